//! Format-neutral values shared by readers and writers: times and their units.

pub mod time;
