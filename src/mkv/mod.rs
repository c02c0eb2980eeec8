//! Matroska reading for KVS fragments: tracks, clusters, blocks, lacing, tags (RFC 9559, spec §7).
//!
//! [`Reader`] reads a whole buffer, [`PushParser`] a stream in chunks; both yield [`Fragment`]s whose
//! frames are slices of the input.
#![warn(clippy::indexing_slicing)]

pub mod block;
mod demux;
#[cfg(test)]
mod demux_tests;
mod document;
mod error;
pub mod fragment;
pub mod ids;
mod input;
pub mod number;
mod open;
mod reader;
pub mod tags;
pub mod tracks;

pub use demux::{MAX_ELEMENT_SIZE, ReadOptions, Resume};
pub use error::Error;
pub use fragment::{Fragment, Frame, FrameSummary};
pub use number::FragmentNumber;
pub use reader::{PushParser, Reader};
pub use tags::{InBandError, KvsTags, SimpleTag, TagValue};
pub use tracks::{AudioSettings, TrackEntry, TrackType, Tracks, VideoSettings};
