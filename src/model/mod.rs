//! Format-neutral values shared by readers and writers: times, samples, tracks.

pub mod sample;
pub mod time;
pub mod track;
