//! The KVS chunk writer (spec §7.2, §1.3): the Matroska bytes the service stores and returns for a
//! fragment, and the in-band error chunk GetMediaForFragmentList returns for a fragment it does not
//! have. Takes plain values (track descriptions, frames as bytes), not the reader's types.

pub mod chunk;
pub mod element;

use bytes::Bytes;

pub(crate) use crate::mkv::ids;
use crate::mkv::tags::{ERROR_CODE, ERROR_ID, FRAGMENT_NUMBER};

pub use chunk::{ChunkFrame, ChunkHeader, ChunkTags, ChunkTrack, TrackMedia};

/// What the chunk writer refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A track number a block header cannot hold.
    #[error("track number {track} does not fit in a block header")]
    TrackNumber {
        /// The track number.
        track: u64,
    },
}

/// The chunk GetMediaForFragmentList returns for a fragment number it does not have (spec §1.3):
/// an EBML header, a Segment, and Tags with `AWS_KINESISVIDEO_ERROR_CODE` `FRAGMENT_NOT_FOUND`,
/// `AWS_KINESISVIDEO_ERROR_ID` `3000` and `AWS_KINESISVIDEO_FRAGMENT_NUMBER`, in that order.
///
/// Choice: the EBML header holds DocType, DocTypeVersion and DocTypeReadVersion only, and the
/// Segment has the 8-byte unknown size, as in the service's chunk quoted in aws/aws-sdk-js#3217.
pub fn not_found_chunk(fragment_number: &str) -> Bytes {
    let mut out = Vec::new();
    element::master(&mut out, ids::EBML, |o| {
        element::string(o, ids::DOC_TYPE, "matroska");
        element::uint(o, ids::DOC_TYPE_VERSION, 2);
        element::uint(o, ids::DOC_TYPE_READ_VERSION, 2);
    });
    element::id(&mut out, ids::SEGMENT);
    out.extend_from_slice(&element::UNKNOWN_SIZE_8);
    element::master(&mut out, ids::TAGS, |t| {
        element::master(t, ids::TAG, |tag| {
            for (name, value) in [
                (ERROR_CODE, "FRAGMENT_NOT_FOUND"),
                (ERROR_ID, "3000"),
                (FRAGMENT_NUMBER, fragment_number),
            ] {
                element::master(tag, ids::SIMPLE_TAG, |s| {
                    element::string(s, ids::TAG_NAME, name);
                    element::string(s, ids::TAG_STRING, value);
                });
            }
        });
    });
    Bytes::from(out)
}
