//! GetHLSStreamingSessionURL (spec §1.5): a session over a stream, as a URL whose SessionToken
//! carries it. The player actions behind the URL (spec §1.8) build on [`Session`].

use serde::{Deserialize, Serialize};

use crate::archive::Archive;
use crate::error::ApiError;
use crate::session::{
    ContainerFormat, DiscontinuityMode, Display, PlaybackMode, Protocol, Session, SessionKey,
    SessionRequest, StreamingFragmentSelector,
};
use crate::time::UnixMillis;

/// The path of the master playlist under the endpoint (spec §1.5).
pub const MASTER_PLAYLIST_PATH: &str = "/hls/v1/getHLSMasterPlaylist.m3u8";

/// The GetHLSStreamingSessionURL request (spec §1.5), as the service's JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GetHlsStreamingSessionUrlInput {
    /// StreamName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_name: Option<String>,
    /// StreamARN.
    #[serde(default, rename = "StreamARN", skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    /// PlaybackMode (default LIVE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playback_mode: Option<PlaybackMode>,
    /// HLSFragmentSelector.
    #[serde(
        default,
        rename = "HLSFragmentSelector",
        skip_serializing_if = "Option::is_none"
    )]
    pub hls_fragment_selector: Option<StreamingFragmentSelector>,
    /// ContainerFormat (default FRAGMENTED_MP4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_format: Option<ContainerFormat>,
    /// DiscontinuityMode (default by selector type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discontinuity_mode: Option<DiscontinuityMode>,
    /// DisplayFragmentTimestamp (default NEVER).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_fragment_timestamp: Option<Display>,
    /// Expires, seconds (300–43200, default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    /// MaxMediaPlaylistFragmentResults (1–5000; default 5 live, 1000 ON_DEMAND).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_media_playlist_fragment_results: Option<i64>,
}

/// The GetHLSStreamingSessionURL response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetHlsStreamingSessionUrlOutput {
    /// HLSStreamingSessionURL: `<endpoint>/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=<token>`.
    #[serde(rename = "HLSStreamingSessionURL")]
    pub hls_streaming_session_url: String,
}

impl GetHlsStreamingSessionUrlInput {
    /// The session parameters of the request.
    pub fn session_request(&self) -> SessionRequest {
        SessionRequest {
            playback_mode: self.playback_mode,
            selector: self.hls_fragment_selector,
            container_format: self.container_format,
            discontinuity_mode: self.discontinuity_mode,
            display_fragment_timestamp: self.display_fragment_timestamp,
            display_fragment_number: None,
            expires: self.expires,
            max_fragment_results: self.max_media_playlist_fragment_results,
        }
    }
}

/// GetHLSStreamingSessionURL over `archive` (the stream the caller opened as `stream`): checks the
/// request and the stream as session creation does, and returns the session URL under `endpoint`
/// (e.g. `http://127.0.0.1:8080`), its token signed with `key`, valid from `now` for Expires.
///
/// # Examples
/// ```
/// use kvs_remux::{Archive, UnixMillis};
/// use kvs_remux::api::hls::{GetHlsStreamingSessionUrlInput, get_hls_streaming_session_url};
/// use kvs_remux::session::{Session, SessionKey};
///
/// let archive = Archive::open("testdata/fixtures/h264-high-aac.mkv".as_ref())?;
/// let key = SessionKey::from_bytes(&[7; 32]).expect("32 bytes");
/// let now = UnixMillis(1_800_000_000_000);
/// let input = GetHlsStreamingSessionUrlInput::default(); // LIVE: the newest fragments
/// let url = get_hls_streaming_session_url(&archive, "cam", &input, &key, now, "http://127.0.0.1:8080")?
///     .hls_streaming_session_url;
/// let token = url.split_once("SessionToken=").expect("a token").1;
/// let session = Session::from_token(token, &key, now)?;
/// assert_eq!((session.stream.as_str(), session.fragments(&archive).len()), ("cam", 4));
/// # Ok::<(), kvs_remux::ApiError>(())
/// ```
///
/// # Errors
/// InvalidArgumentException for a request that breaks the rules of spec §1.5;
/// ResourceNotFoundException when the session would hold no fragment;
/// UnsupportedStreamMediaTypeException for tracks HLS does not package in the container (spec
/// §5.1); Missing/InvalidCodecPrivateDataException.
pub fn get_hls_streaming_session_url(
    archive: &Archive,
    stream: &str,
    input: &GetHlsStreamingSessionUrlInput,
    key: &SessionKey,
    now: UnixMillis,
    endpoint: &str,
) -> Result<GetHlsStreamingSessionUrlOutput, ApiError> {
    let session: Session = input
        .session_request()
        .session(Protocol::Hls, stream, now)?;
    session.check(archive)?;
    Ok(GetHlsStreamingSessionUrlOutput {
        hls_streaming_session_url: format!(
            "{}{MASTER_PLAYLIST_PATH}?SessionToken={}",
            endpoint.trim_end_matches('/'),
            session.token(key)
        ),
    })
}
