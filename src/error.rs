//! `ApiError`: every failure an operation reports, under the service's exception name and HTTP
//! status (spec §3). All mapping from a layer error to a service exception lives here, in
//! exhaustive matches (STYLE §4): a new layer error cannot fall into a default by accident.

use std::fmt;

use crate::codec::{self, Record};
use crate::mkv::{self, InBandError};
use crate::{ebml, mp4, timeline, ts};

/// The service's exceptions (spec §3.1), plus the AWS common error for a failure of our own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exception {
    /// ClientLimitExceededException, HTTP 400.
    ClientLimitExceeded,
    /// InvalidArgumentException, HTTP 400.
    InvalidArgument,
    /// InvalidCodecPrivateDataException, HTTP 400.
    InvalidCodecPrivateData,
    /// InvalidMediaFrameException, HTTP 400.
    InvalidMediaFrame,
    /// MissingCodecPrivateDataException, HTTP 400.
    MissingCodecPrivateData,
    /// NoDataRetentionException, HTTP 400.
    NoDataRetention,
    /// NotAuthorizedException, HTTP 401.
    NotAuthorized,
    /// ResourceNotFoundException, HTTP 404.
    ResourceNotFound,
    /// UnsupportedStreamMediaTypeException, HTTP 400.
    UnsupportedStreamMediaType,
    /// InternalFailure, HTTP 500 (spec §3.2 common errors): the machine failed, not the request.
    InternalFailure,
}

impl Exception {
    /// The exception's name as the service spells it.
    pub fn name(self) -> &'static str {
        match self {
            Exception::ClientLimitExceeded => "ClientLimitExceededException",
            Exception::InvalidArgument => "InvalidArgumentException",
            Exception::InvalidCodecPrivateData => "InvalidCodecPrivateDataException",
            Exception::InvalidMediaFrame => "InvalidMediaFrameException",
            Exception::MissingCodecPrivateData => "MissingCodecPrivateDataException",
            Exception::NoDataRetention => "NoDataRetentionException",
            Exception::NotAuthorized => "NotAuthorizedException",
            Exception::ResourceNotFound => "ResourceNotFoundException",
            Exception::UnsupportedStreamMediaType => "UnsupportedStreamMediaTypeException",
            Exception::InternalFailure => "InternalFailure",
        }
    }

    /// The HTTP status the service answers with (spec §3.1; 401 for NotAuthorized as modeled).
    pub fn http_status(self) -> u16 {
        match self {
            Exception::NotAuthorized => 401,
            Exception::ResourceNotFound => 404,
            Exception::InternalFailure => 500,
            Exception::ClientLimitExceeded
            | Exception::InvalidArgument
            | Exception::InvalidCodecPrivateData
            | Exception::InvalidMediaFrame
            | Exception::MissingCodecPrivateData
            | Exception::NoDataRetention
            | Exception::UnsupportedStreamMediaType => 400,
        }
    }
}

impl fmt::Display for Exception {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failure as the service would report it: [`ApiError::exception`] names it, `Display` gives
/// `ExceptionName: message`, the message ending in ` (offset N)` when it points into the input.
///
/// # Examples
/// ```
/// use kvs_remux::Archive;
///
/// let error = Archive::from_bytes(bytes::Bytes::from_static(b"\x89PNG\r\n\x1a\n...")).unwrap_err();
/// assert_eq!(error.code(), "InvalidArgumentException");
/// assert_eq!(error.http_status(), 400);
/// assert_eq!(error.offset(), Some(0));
/// assert!(error.to_string().contains("89 50 4e 47"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ApiError {
    /// A request parameter breaks its constraints.
    InvalidArgument {
        /// What is wrong.
        message: String,
    },
    /// Nothing matches the request (spec §1.4: "No fragments found in the stream for the clip request.").
    ResourceNotFound {
        /// The service's message.
        message: String,
    },
    /// A SessionToken that is not valid or has expired (spec §1.8, §3.1).
    NotAuthorized {
        /// What is wrong with it.
        message: String,
    },
    /// A request over a rate limit of the service (spec §4.2; `serve --enforce-quotas`).
    ClientLimitExceeded {
        /// Which limit.
        message: String,
    },
    /// The input path does not exist (ResourceNotFoundException, as for an unknown stream).
    InputNotFound {
        /// The path.
        path: String,
    },
    /// The operating system could not read an input (permissions, I/O): a local failure, not a
    /// condition of the request (InternalFailure).
    InputUnreadable {
        /// The path.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// The input is not readable KVS Matroska.
    ///
    /// Choice: the service never shows its own storage as broken, so there is no exception for it;
    /// damage inside a block maps to InvalidMediaFrameException (the GetClip error for frames that
    /// cannot be parsed, spec §3.1), every other container damage to InvalidArgumentException (the
    /// input given to us is the argument that is invalid).
    Media {
        /// The file the damage is in, when the input has several (or a name at all).
        input: Option<String>,
        /// The reader's error, with its byte offset.
        source: mkv::Error,
    },
    /// A track's codec or codec private data is unusable (spec §5.3).
    Codec {
        /// The track number.
        track: u64,
        /// The codec layer's error.
        source: codec::Error,
    },
    /// The codec private data of a track changes where the operation forbids it (spec §6).
    ///
    /// Choice: InvalidCodecPrivateDataException, the error seen for a forbidden CPD change (spec §9.10).
    CodecPrivateDataChange {
        /// The track.
        track: u64,
        /// The first fragment with the new data.
        fragment: String,
        /// What changed (codec::compare).
        change: String,
    },
    /// A frame cannot be parsed for its codec (GetClip, spec §3.1, §5.3).
    MediaFrame {
        /// The track.
        track: u64,
        /// Absolute offset of the frame in the input.
        offset: u64,
        /// What is wrong inside the frame.
        source: codec::Error,
    },
    /// The tracks cannot be packaged by this operation (spec §5.1).
    UnsupportedMedia {
        /// What the operation refuses.
        message: String,
    },
    /// The MP4 writer cannot express the media (a time or size outside its fields).
    Output {
        /// The writer's error.
        source: mp4::Error,
    },
    /// An in-band error chunk: the fragment is not available (spec §1.3, §3.3).
    InBand {
        /// The error the chunk carries.
        source: InBandError,
    },
    /// The MPEG-TS writer refuses the media (spec §5.1: no H.265, AAC only) or a frame.
    Ts {
        /// The writer's error.
        source: ts::Error,
    },
    /// A time derived from the input leaves the timeline (hostile input).
    Timeline {
        /// The timeline's error.
        source: timeline::Error,
    },
}

impl ApiError {
    /// The exception this error is reported as: the one place that decides (spec §3.1).
    pub fn exception(&self) -> Exception {
        match self {
            ApiError::Timeline {
                source: timeline::Error::EmptyFrame { .. },
            } => Exception::InvalidMediaFrame,
            ApiError::InvalidArgument { .. }
            | ApiError::Output { .. }
            | ApiError::Timeline { .. } => Exception::InvalidArgument,
            ApiError::ResourceNotFound { .. }
            | ApiError::InputNotFound { .. }
            | ApiError::InBand { .. } => Exception::ResourceNotFound,
            ApiError::NotAuthorized { .. } => Exception::NotAuthorized,
            ApiError::ClientLimitExceeded { .. } => Exception::ClientLimitExceeded,
            ApiError::InputUnreadable { .. } => Exception::InternalFailure,
            ApiError::CodecPrivateDataChange { .. } => Exception::InvalidCodecPrivateData,
            ApiError::MediaFrame { .. } => Exception::InvalidMediaFrame,
            ApiError::UnsupportedMedia { .. } => Exception::UnsupportedStreamMediaType,
            ApiError::Media { source, .. } => media_exception(source),
            ApiError::Codec { source, .. } => codec_exception(source),
            ApiError::Ts { source } => ts_exception(source),
        }
    }

    /// The service's exception name, e.g. `MissingCodecPrivateDataException`.
    pub fn code(&self) -> &'static str {
        self.exception().name()
    }

    /// The HTTP status of the exception (spec §3.1).
    pub fn http_status(&self) -> u16 {
        self.exception().http_status()
    }

    /// The message without the exception name.
    pub fn message(&self) -> String {
        match self {
            ApiError::InvalidArgument { message }
            | ApiError::ResourceNotFound { message }
            | ApiError::NotAuthorized { message }
            | ApiError::ClientLimitExceeded { message }
            | ApiError::UnsupportedMedia { message } => message.clone(),
            ApiError::InputNotFound { path } => format!("{path} does not exist"),
            ApiError::InputUnreadable { path, message } => format!("cannot read {path}: {message}"),
            ApiError::Media { input, source } => {
                format!("{}{source}", input_prefix(input.as_deref()))
            }
            ApiError::Codec { track, source } => codec_message(*track, source),
            ApiError::CodecPrivateDataChange {
                track,
                fragment,
                change,
            } => format!(
                "the codec private data of track {track} changes at fragment {fragment}: {change}"
            ),
            ApiError::MediaFrame {
                track,
                offset,
                source,
            } => format!("track {track} frame: {source} (offset {offset})"),
            ApiError::Output { source } => source.to_string(),
            ApiError::InBand { source } => source.to_string(),
            ApiError::Ts { source } => source.to_string(),
            ApiError::Timeline { source } => source.to_string(),
        }
    }

    /// Whether this is a failure of the local machine (reading a file), not of the request.
    pub fn is_local(&self) -> bool {
        self.exception() == Exception::InternalFailure
    }

    /// The absolute byte offset in the input the error refers to, when it has one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            ApiError::Media { source, .. } => Some(source.offset()),
            ApiError::MediaFrame { offset, .. } => Some(*offset),
            ApiError::Timeline {
                source:
                    timeline::Error::TimeOverflow { offset, .. }
                    | timeline::Error::Origin { offset }
                    | timeline::Error::EmptyFrame { offset, .. },
            } => Some(*offset),
            _ => None,
        }
    }

    /// The same error, saying which input file it is in.
    pub fn in_input(self, name: &str) -> ApiError {
        match self {
            ApiError::Media { source, .. } => ApiError::Media {
                input: Some(name.to_owned()),
                source,
            },
            other => other,
        }
    }
}

impl fmt::Display for ApiError {
    /// `ExceptionName: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ApiError::Media { source, .. } => Some(source),
            ApiError::Codec { source, .. } | ApiError::MediaFrame { source, .. } => Some(source),
            ApiError::Output { source } => Some(source),
            ApiError::InBand { source } => Some(source),
            ApiError::Ts { source } => Some(source),
            ApiError::Timeline { source } => Some(source),
            ApiError::InvalidArgument { .. }
            | ApiError::ResourceNotFound { .. }
            | ApiError::NotAuthorized { .. }
            | ApiError::ClientLimitExceeded { .. }
            | ApiError::InputNotFound { .. }
            | ApiError::InputUnreadable { .. }
            | ApiError::CodecPrivateDataChange { .. }
            | ApiError::UnsupportedMedia { .. } => None,
        }
    }
}

impl From<mp4::Error> for ApiError {
    fn from(source: mp4::Error) -> Self {
        ApiError::Output { source }
    }
}

impl From<timeline::Error> for ApiError {
    fn from(source: timeline::Error) -> Self {
        ApiError::Timeline { source }
    }
}

impl From<mkv::Error> for ApiError {
    fn from(source: mkv::Error) -> Self {
        ApiError::Media {
            input: None,
            source,
        }
    }
}

fn input_prefix(input: Option<&str>) -> String {
    input.map_or(String::new(), |name| format!("{name}: "))
}

fn media_exception(error: &mkv::Error) -> Exception {
    use mkv::Error as E;
    match error {
        E::InvalidBlock { .. } | E::ContentEncoding { .. } => Exception::InvalidMediaFrame,
        E::Ebml(e) => match e {
            ebml::Error::Truncated { .. }
            | ebml::Error::InvalidVint { .. }
            | ebml::Error::SizeOverflow { .. }
            | ebml::Error::UnknownSizeNotAllowed { .. }
            | ebml::Error::BadValueWidth { .. }
            | ebml::Error::CrcMismatch { .. }
            | ebml::Error::TooDeep { .. } => Exception::InvalidArgument,
        },
        E::NotMatroska { .. }
        | E::UnexpectedElement { .. }
        | E::MissingElement { .. }
        | E::InvalidValue { .. }
        | E::TimestampOverflow { .. }
        | E::InvalidTagValue { .. }
        | E::ElementTooLarge { .. } => Exception::InvalidArgument,
    }
}

fn codec_exception(error: &codec::Error) -> Exception {
    use codec::Error as E;
    match error {
        E::UnsupportedCodec { .. } => Exception::UnsupportedStreamMediaType,
        // Spec §5.3/§9.9: absent, empty, or AAC/G.711 key fields that cannot be used are "missing".
        E::Missing | E::UnusableAudioConfig { .. } => Exception::MissingCodecPrivateData,
        E::Truncated { record, .. } => match record {
            Record::Frame => Exception::InvalidMediaFrame,
            Record::Avcc
            | Record::Hvcc
            | Record::AvcSps
            | Record::HevcSps
            | Record::AudioSpecificConfig
            | Record::WaveFormatEx => Exception::InvalidCodecPrivateData,
        },
        E::EmptyFrame | E::EmptyNal { .. } | E::NalLengthOverrun { .. } | E::AnnexBFrame { .. } => {
            Exception::InvalidMediaFrame
        }
        E::BadField { .. }
        | E::NoParameterSet { .. }
        | E::AnnexBCodecPrivate { .. }
        | E::ParameterSet { .. }
        | E::TrailingBytes { .. }
        | E::AacLength { .. }
        | E::LengthSize { .. } => Exception::InvalidCodecPrivateData,
    }
}

fn ts_exception(error: &ts::Error) -> Exception {
    use ts::Error as E;
    match error {
        // Choice: an AAC config ADTS cannot carry is media HLS TS does not package (spec §5.1).
        E::HevcNotAllowed { .. } | E::UnsupportedCodec { .. } | E::AdtsUnsupported { .. } => {
            Exception::UnsupportedStreamMediaType
        }
        E::Frame { .. } | E::AdtsFrameTooLarge { .. } => Exception::InvalidMediaFrame,
        E::NoSamples | E::TooManyStreams { .. } => Exception::InvalidArgument,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_model() {
        assert_eq!(Exception::NotAuthorized.http_status(), 401);
        assert_eq!(Exception::ResourceNotFound.http_status(), 404);
        assert_eq!(Exception::InvalidMediaFrame.http_status(), 400);
        let missing = ApiError::Codec {
            track: 2,
            source: codec::Error::Missing,
        };
        assert_eq!(
            missing.to_string(),
            "MissingCodecPrivateDataException: Missing codec private data in fragment for track 2."
        );
        assert_eq!(missing.http_status(), 400);
    }

    #[test]
    fn offsets_are_printed_once() {
        let error = ApiError::from(mkv::Error::Ebml(ebml::Error::Truncated {
            offset: 400_000,
            needed: 12,
        }))
        .in_input("cut.mkv");
        let line = error.to_string();
        assert!(
            line.starts_with("InvalidArgumentException: cut.mkv: "),
            "{line}"
        );
        assert!(line.ends_with("(offset 400000)"), "{line}");
        assert_eq!(line.matches("400000").count(), 1, "{line}");
    }
}
