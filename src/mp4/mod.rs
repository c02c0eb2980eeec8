//! ISO BMFF writing, by hand on the hot path (STYLE §5): init segments, media segments, progressive clips.
//! Output is a list of `Bytes` chunks whose sample data are the input's own slices.

pub mod clip;
mod error;
pub mod fragment;
pub mod init;
pub mod tables;
pub mod write;

pub use error::Error;
