//! Format-neutral values shared by readers and writers: times, samples.

pub mod sample;
pub mod time;
