//! Errors of the codec layer (spec §5.2, §5.3, §9.9).
//!
//! Every variant's doc names the service exception the facade (`src/error.rs`) maps it to. Offsets are byte
//! offsets within the CodecPrivate (CPD) or within the frame; inside a parameter set they count bytes of the
//! RBSP (the NAL unit after its header with emulation-prevention bytes removed), as noted per variant.

use std::fmt;

/// The structure an error was found in (spec §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Record {
    /// AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1).
    Avcc,
    /// HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1).
    Hvcc,
    /// H.264 sequence parameter set RBSP (ITU-T H.264 §7.3.2.1.1).
    AvcSps,
    /// H.265 sequence parameter set RBSP (ITU-T H.265 §7.3.2.2).
    HevcSps,
    /// AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1).
    AudioSpecificConfig,
    /// WAVEFORMATEX (spec §5.2, G.711 row).
    WaveFormatEx,
    /// A length-prefixed H.264/H.265 frame (spec §5.2, "Frames").
    Frame,
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Avcc => "avcC",
            Self::Hvcc => "hvcC",
            Self::AvcSps => "h.264 sps",
            Self::HevcSps => "h.265 sps",
            Self::AudioSpecificConfig => "audio specific config",
            Self::WaveFormatEx => "waveformatex",
            Self::Frame => "frame",
        })
    }
}

/// A codec-layer failure: unsupported codec, missing or invalid CPD, or a malformed frame (spec §5.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The CodecID is not one the service packages (spec §5.1, §9.11).
    /// Maps to UnsupportedStreamMediaTypeException.
    #[error("unsupported codec id {codec_id:?}")]
    UnsupportedCodec {
        /// The CodecID as given, trailing NULs stripped.
        codec_id: String,
    },
    /// The track has no CodecPrivate, or it is empty (spec §5.3).
    /// Maps to MissingCodecPrivateDataException.
    #[error("missing codec private data")]
    Missing,
    /// The structure ended before a field (spec §5.2).
    /// Maps to InvalidCodecPrivateDataException (InvalidMediaFrameException when `record` is `Frame`).
    #[error(
        "{record} truncated: field {field} at byte {offset} needs {needed} bytes, {available} left"
    )]
    Truncated {
        /// Structure being read.
        record: Record,
        /// Field that did not fit.
        field: &'static str,
        /// Byte offset of the field.
        offset: usize,
        /// Bytes the field needs (rounded up for bit fields).
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A field holds a value the format does not allow (spec §5.2).
    /// Maps to InvalidCodecPrivateDataException.
    #[error("{record} field {field} at byte {offset}: expected {expected}, found {found}")]
    BadField {
        /// Structure being read.
        record: Record,
        /// Field with the bad value.
        field: &'static str,
        /// Byte offset of the field.
        offset: usize,
        /// What the format allows.
        expected: &'static str,
        /// What the input holds.
        found: u64,
    },
    /// A required parameter-set array or list is empty (spec §5.2: avcC needs an SPS and a PPS, hvcC a VPS and
    /// an SPS). Maps to InvalidCodecPrivateDataException.
    #[error("{record} has no {what}")]
    NoParameterSet {
        /// Structure being read.
        record: Record,
        /// Which parameter set is absent ("sps", "pps", "vps").
        what: &'static str,
    },
    /// An H.264/H.265 CPD given as Annex-B start codes instead of avcC/hvcC (spec §5.3).
    /// Maps to InvalidCodecPrivateDataException.
    #[error(
        "{record} expected but the codec private data is annex-b (starts with a {start_code_len}-byte start code)"
    )]
    AnnexBCodecPrivate {
        /// The record that was expected.
        record: Record,
        /// 3 or 4.
        start_code_len: usize,
    },
    /// The parameter set could not be parsed by the H.264 SPS reader (spec §5.2).
    /// Maps to InvalidCodecPrivateDataException.
    #[error("{record} at byte {offset} of the codec private data does not parse: {detail}")]
    ParameterSet {
        /// Which parameter set.
        record: Record,
        /// Byte offset of the NAL unit within the CPD.
        offset: usize,
        /// The reader's description of the failure.
        detail: String,
    },
    /// Non-NUL bytes follow the structure where nothing may follow (spec §5.2).
    /// Maps to InvalidCodecPrivateDataException.
    #[error("{record} has {len} unexpected trailing bytes at byte {offset}")]
    TrailingBytes {
        /// Structure being read.
        record: Record,
        /// Offset of the first trailing byte.
        offset: usize,
        /// Number of trailing bytes.
        len: usize,
    },
    /// The AAC CPD is not 2 or 5 bytes long: the service's rule and message, verbatim (spec §5.3).
    /// Maps to InvalidCodecPrivateDataException.
    #[error("AAC CPD must be of length 2 or 5, but was {len}")]
    AacLength {
        /// Length of the CPD in bytes.
        len: usize,
    },
    /// An audio CPD parses but a key field (object type, sampling frequency, channels) cannot be used
    /// (spec §5.3: reserved frequency index 13 was reported as missing; §9.9).
    /// Maps to MissingCodecPrivateDataException.
    #[error("{record} field {field} at bit {bit_offset} is unusable: found {found}")]
    UnusableAudioConfig {
        /// Structure being read.
        record: Record,
        /// Field with the unusable value.
        field: &'static str,
        /// Bit offset of the field within the CPD.
        bit_offset: usize,
        /// What the input holds.
        found: u64,
    },
    /// A NAL length-prefix size other than 1, 2 or 4 bytes was asked for (ISO/IEC 14496-15 §5.3.3.1).
    /// Maps to InvalidCodecPrivateDataException (the size comes from the CPD).
    #[error("nal length size must be 1, 2 or 4 bytes, found {length_size}")]
    LengthSize {
        /// The size asked for.
        length_size: u8,
    },
    /// The frame has no bytes (spec §5.2 "Frames"). Maps to InvalidMediaFrameException.
    #[error("frame is empty")]
    EmptyFrame,
    /// A NAL length prefix of zero (spec §5.2 "Frames"). Maps to InvalidMediaFrameException.
    #[error("frame has a zero-length nal unit at byte {offset}")]
    EmptyNal {
        /// Offset of the length prefix within the frame.
        offset: usize,
    },
    /// A NAL length runs past the end of the frame (spec §5.3). Maps to InvalidMediaFrameException.
    #[error(
        "frame nal unit at byte {offset} has length {length} but only {available} bytes follow"
    )]
    NalLengthOverrun {
        /// Offset of the length prefix within the frame.
        offset: usize,
        /// The length the prefix gives.
        length: u64,
        /// Bytes after the prefix.
        available: usize,
    },
    /// The frame is Annex-B (starts with a start code) and is not a valid length-prefixed frame
    /// (spec §5.2 "Frames"). Maps to InvalidMediaFrameException.
    #[error(
        "frame is annex-b (starts with a {start_code_len}-byte start code), expected length-prefixed nal units"
    )]
    AnnexBFrame {
        /// 3 or 4.
        start_code_len: usize,
    },
}
