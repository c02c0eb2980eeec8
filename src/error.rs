//! `ApiError`: one variant per kind of failure, named after the service's exception (spec §3).
//! Every mapping from a layer error to a service exception lives here (STYLE §4).

use crate::codec::{self, Record};
use crate::mkv::{self, InBandError};

/// A failure as the service would report it; `code()` is the exception name.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A request parameter breaks its constraints (InvalidArgumentException).
    #[error("InvalidArgumentException: {message}")]
    InvalidArgument {
        /// What is wrong.
        message: String,
    },
    /// The input could not be opened (ResourceNotFoundException when absent, else InvalidArgumentException).
    #[error("{}: cannot read {path}: {message}", if *.not_found { "ResourceNotFoundException" } else { "InvalidArgumentException" })]
    Source {
        /// The path.
        path: String,
        /// Whether it does not exist.
        not_found: bool,
        /// The operating system's message.
        message: String,
    },
    /// The media is not readable KVS Matroska.
    ///
    /// Choice: the service never shows its own storage as broken, so there is no exception for it;
    /// damage inside a block maps to InvalidMediaFrameException (the GetClip error for frames that
    /// cannot be parsed, spec §3.1), and every other container damage to InvalidArgumentException
    /// (the input given to us is the argument that is invalid).
    #[error("{}: {source}", media_code(source))]
    Media {
        /// The reader's error, with its byte offset.
        #[source]
        source: mkv::Error,
    },
    /// A track's codec or codec private data is unusable (spec §5.3).
    #[error("{}: {}", codec_code(source), codec_message(*track, source))]
    Codec {
        /// The track number.
        track: u64,
        /// The codec layer's error.
        #[source]
        source: codec::Error,
    },
    /// The codec private data of a track changes where the operation forbids it (spec §6).
    ///
    /// Choice: InvalidCodecPrivateDataException, the error seen for a forbidden CPD change (spec §9.10).
    #[error(
        "InvalidCodecPrivateDataException: the codec private data of track {track} changes at fragment {fragment}"
    )]
    CodecPrivateDataChange {
        /// The track.
        track: u64,
        /// The first fragment with the new data.
        fragment: String,
    },
    /// A frame cannot be parsed for its codec (GetClip, spec §3.1, §5.3).
    #[error("InvalidMediaFrameException: track {track} frame at byte {offset}: {source}")]
    MediaFrame {
        /// The track.
        track: u64,
        /// Absolute offset of the frame in the input.
        offset: u64,
        /// What is wrong inside the frame.
        #[source]
        source: codec::Error,
    },
    /// The tracks cannot be packaged by this operation (spec §5.1).
    #[error("UnsupportedStreamMediaTypeException: {message}")]
    UnsupportedMedia {
        /// What the operation refuses.
        message: String,
    },
    /// No fragment matches the request (spec §1.4: "No fragments found in the stream for the clip request.").
    #[error("ResourceNotFoundException: {message}")]
    ResourceNotFound {
        /// The service's message.
        message: String,
    },
    /// The writer cannot express the media (a time or size outside its fields).
    #[error("InvalidArgumentException: {source}")]
    Output {
        /// The writer's error.
        #[source]
        source: crate::mp4::Error,
    },
    /// An in-band error chunk: the fragment is not available (spec §1.3, §3.3).
    #[error("ResourceNotFoundException: {source}")]
    InBand {
        /// The error the chunk carries.
        #[source]
        source: InBandError,
    },
    /// The MPEG-TS writer refuses the media (spec §5.1: no H.265, AAC only) or a frame.
    #[error("{}: {source}", ts_code(source))]
    Ts {
        /// The writer's error.
        #[source]
        source: crate::ts::Error,
    },
}

impl ApiError {
    /// The service's exception name, e.g. `MissingCodecPrivateDataException`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidArgument { .. } | ApiError::Output { .. } => {
                "InvalidArgumentException"
            }
            ApiError::CodecPrivateDataChange { .. } => "InvalidCodecPrivateDataException",
            ApiError::UnsupportedMedia { .. } => "UnsupportedStreamMediaTypeException",
            ApiError::MediaFrame { .. } => "InvalidMediaFrameException",
            ApiError::ResourceNotFound { .. } => "ResourceNotFoundException",
            ApiError::Source {
                not_found: true, ..
            }
            | ApiError::InBand { .. } => "ResourceNotFoundException",
            ApiError::Source {
                not_found: false, ..
            } => "InvalidArgumentException",
            ApiError::Media { source } => media_code(source),
            ApiError::Codec { source, .. } => codec_code(source),
            ApiError::Ts { source } => ts_code(source),
        }
    }

    /// The message without the exception name.
    pub fn message(&self) -> String {
        let text = self.to_string();
        text.strip_prefix(self.code())
            .and_then(|t| t.strip_prefix(": "))
            .unwrap_or(&text)
            .to_owned()
    }

    /// The absolute byte offset in the input the error refers to, when it has one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            ApiError::Media { source } => Some(source.offset()),
            ApiError::MediaFrame { offset, .. } => Some(*offset),
            _ => None,
        }
    }
}

impl From<crate::mp4::Error> for ApiError {
    fn from(source: crate::mp4::Error) -> Self {
        ApiError::Output { source }
    }
}

impl From<mkv::Error> for ApiError {
    fn from(source: mkv::Error) -> Self {
        ApiError::Media { source }
    }
}

fn media_code(error: &mkv::Error) -> &'static str {
    match error {
        mkv::Error::InvalidBlock { .. } | mkv::Error::ContentEncoding { .. } => {
            "InvalidMediaFrameException"
        }
        _ => "InvalidArgumentException",
    }
}

fn codec_code(error: &codec::Error) -> &'static str {
    use codec::Error as E;
    match error {
        E::UnsupportedCodec { .. } => "UnsupportedStreamMediaTypeException",
        // Spec §5.3/§9.9: absent, empty, or AAC/G.711 key fields that cannot be used are "missing".
        E::Missing | E::UnusableAudioConfig { .. } => "MissingCodecPrivateDataException",
        E::Truncated {
            record: Record::Frame,
            ..
        }
        | E::EmptyFrame
        | E::EmptyNal { .. }
        | E::NalLengthOverrun { .. }
        | E::AnnexBFrame { .. } => "InvalidMediaFrameException",
        _ => "InvalidCodecPrivateDataException",
    }
}

fn ts_code(error: &crate::ts::Error) -> &'static str {
    use crate::ts::Error as E;
    match error {
        // Choice: an AAC config ADTS cannot carry is media HLS TS does not package (spec §5.1).
        E::HevcNotAllowed { .. } | E::UnsupportedCodec { .. } | E::AdtsUnsupported { .. } => {
            "UnsupportedStreamMediaTypeException"
        }
        E::Frame { .. } | E::AdtsFrameTooLarge { .. } => "InvalidMediaFrameException",
        _ => "InvalidArgumentException",
    }
}

fn codec_message(track: u64, error: &codec::Error) -> String {
    match error {
        // The service's own wording (spec §3.2).
        codec::Error::Missing => {
            format!("Missing codec private data in fragment for track {track}.")
        }
        // Verbatim service message (spec §5.3).
        codec::Error::AacLength { .. } => error.to_string(),
        _ => format!("track {track}: {error}"),
    }
}
