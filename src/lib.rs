//! kvs-remux: the Amazon Kinesis Video Streams archived-media API, offline.
//!
//! KVS keeps video as Matroska (MKV) fragments. This crate opens an archive of them (a GetMedia or
//! GetMediaForFragmentList response, a directory of fragment files, bytes in memory or a live
//! stream) and answers what the service answers: ListFragments, GetMediaForFragmentList, GetClip's
//! MP4, GetMP4InitFragment and GetMP4MediaFragment's fMP4, GetTSFragment's MPEG-TS, HLS and DASH
//! streaming sessions (their URLs, playlists and MPDs), with the service's request and response
//! JSON ([`shapes`], serde), codec private data checked the way the service checks it and every
//! failure an [`ApiError`] named after the service's exception.
//!
//! # Entry points
//! - [`Archive`]: open a file, a directory or bytes; its [`FragmentIndex`](archive::FragmentIndex)
//!   holds every fragment's metadata, frames are read when an operation asks.
//!   [`ArchiveRoot`](archive::ArchiveRoot) finds streams by StreamName or StreamARN.
//! - [`PushParser`]: fragments of a network stream, as its bytes arrive.
//! - Operations: [`inspect()`], [`api::list_fragments`], [`api::get_media`]
//!   (GetMediaForFragmentList), [`get_clip()`], [`api::fmp4`] (per-request init and media
//!   segments, and the export), [`api::ts`] (per-request chunks, and the export), [`api::hls`]
//!   and [`api::dash`] (streaming-session URLs, playlists and MPDs), [`api::pack`] (any Matroska
//!   file as a KVS archive).
//! - Streaming sessions: [`session`] (what a SessionToken carries, signed) and [`player`] (every
//!   request a player makes behind a session URL, as a content type and body).
//! - [`ApiError`]: the service's exception name, HTTP status and message.
//! - `server` (feature `server`, on by default): the local endpoint `kvs-remux serve`, the
//!   operations and player actions over HTTP as the service answers them.
//!
//! The parsers and writers they are built from are public under [`low_level`].
//!
//! # Example
//! ```
//! use kvs_remux::{Archive, ClipRequest, SelectorType, get_clip};
//!
//! let archive = Archive::open("testdata/fixtures/h264-high-aac.mkv".as_ref())?;
//! assert_eq!(archive.index().len(), 4);
//! let clip = get_clip(&archive, &ClipRequest {
//!     selector: SelectorType::Producer,
//!     start: None,
//!     end: None,
//!     no_limits: false,
//! })?;
//! assert_eq!(&clip.chunks[0][4..8], b"ftyp");
//! # Ok::<(), kvs_remux::ApiError>(())
//! ```
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used)]

pub mod api;
pub mod archive;
pub mod error;
pub mod player;
#[cfg(feature = "server")]
pub mod server;
pub mod session;
pub mod shapes;

pub mod low_level;

pub(crate) use low_level::{
    codec, ebml, images, kvs, manifest, mkv, model, mp4, time, timeline, ts,
};

pub use api::get_clip::{Clip, ClipRequest, SelectorType, get_clip};
pub use api::inspect::inspect;
pub use archive::Archive;
pub use error::ApiError;
pub use low_level::mkv::PushParser;
pub use low_level::time::UnixMillis;
