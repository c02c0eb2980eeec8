//! kvs-remux: an offline re-implementation of the Amazon Kinesis Video Streams archived-media API.
//!
//! The layers follow `STYLE.md`: [`archive`] maps files to `Bytes`, [`ebml`] and [`mkv`] read KVS
//! MKV fragments without copying frame data, [`codec`] validates codec private data the way the
//! service does, and [`api`] puts them together per operation. Every error that reaches a user is
//! an [`error::ApiError`] named after the service's exception.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used)]

pub mod api;
pub mod archive;
pub mod codec;
pub mod ebml;
pub mod error;
pub mod mkv;
pub mod model;
pub mod mp4;
pub mod ts;

pub use error::ApiError;
