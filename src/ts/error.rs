//! Errors of the MPEG-TS writer (ISO/IEC 13818-1; spec §5.1, §8.3).

use crate::codec::{self, CodecKind};

/// The writer cannot express the input as an MPEG-TS chunk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// H.265 in TS, which the service refuses (spec §5.1) unless `allow_hevc` is set.
    #[error("track {track}: h.265 is not allowed in mpeg-ts (allow_hevc is off)")]
    HevcNotAllowed {
        /// Track id.
        track: u32,
    },
    /// A codec that HLS TS does not carry (spec §5.1: AAC is the only audio).
    #[error("track {track}: {codec} cannot be carried in mpeg-ts")]
    UnsupportedCodec {
        /// Track id.
        track: u32,
        /// The codec.
        codec: CodecKind,
    },
    /// An AudioSpecificConfig field ADTS has no way to express (ISO/IEC 13818-7 §6.2.1, 14496-3 §1.A.2).
    #[error("track {track}: adts cannot express {field} {value} ({allowed})")]
    AdtsUnsupported {
        /// Track id.
        track: u32,
        /// The AudioSpecificConfig field.
        field: &'static str,
        /// Its value.
        value: u32,
        /// What ADTS allows.
        allowed: &'static str,
    },
    /// An AAC frame longer than ADTS's 13-bit aac_frame_length allows (8191 bytes with the header).
    #[error("track {track}: aac frame {sample} of {size} bytes is too large for adts")]
    AdtsFrameTooLarge {
        /// Track id.
        track: u32,
        /// Index of the sample in the chunk's samples of the track.
        sample: usize,
        /// Payload size.
        size: usize,
    },
    /// A video frame that is not a sequence of length-prefixed NAL units (spec §5.2 "Frames").
    #[error("track {track}: frame {sample}: {source}")]
    Frame {
        /// Track id.
        track: u32,
        /// Index of the sample in the chunk's samples of the track.
        sample: usize,
        /// What is wrong with the frame.
        #[source]
        source: codec::Error,
    },
    /// A chunk needs at least one stream with at least one sample.
    #[error("a ts chunk needs at least one sample")]
    NoSamples,
    /// More elementary streams than one PMT section of this writer holds.
    #[error("{count} streams; a ts chunk holds at most {max}")]
    TooManyStreams {
        /// Streams given.
        count: usize,
        /// The limit.
        max: usize,
    },
}
