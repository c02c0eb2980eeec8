//! The operations, one file each, built on the reader, the codec checks and the writers.

pub mod archive;
pub mod fmp4;
pub mod get_clip;
pub mod inspect;
pub mod samples;
pub mod ts;
