//! Zero-copy EBML reading (RFC 8794): vints, element headers, a cursor over `Bytes`, CRC-32 checks.
//!
//! The streaming side (unknown-size Segment and Cluster, input arriving in chunks) lives in
//! [`crate::mkv`], which knows the Matroska schema; this module knows only EBML.
#![warn(clippy::indexing_slicing)]

mod error;
pub mod reader;
pub mod vint;

pub use error::Error;
pub use reader::{Cursor, Element, Header};

/// Deepest nesting of master elements the reader accepts (Matroska's deepest path is 6 levels).
pub const MAX_DEPTH: usize = 16;
