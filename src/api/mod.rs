//! The operations, one file each, built on the reader and the codec checks.

pub mod inspect;
