//! GetDASHStreamingSessionURL (spec §1.6): a session over a stream, as a URL whose SessionToken
//! carries it. The MPD and segments behind the URL (spec §1.8) build on [`Session`].

use serde::{Deserialize, Serialize};

use crate::archive::Archive;
use crate::error::ApiError;
use crate::session::{
    Display, PlaybackMode, Protocol, Session, SessionKey, SessionRequest, StreamingFragmentSelector,
};
use crate::time::UnixMillis;

/// The path of the MPD under the endpoint (spec §1.6).
pub const MANIFEST_PATH: &str = "/dash/v1/getDASHManifest.mpd";

/// The GetDASHStreamingSessionURL request (spec §1.6), as the service's JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GetDashStreamingSessionUrlInput {
    /// StreamName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_name: Option<String>,
    /// StreamARN.
    #[serde(default, rename = "StreamARN", skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    /// PlaybackMode (default LIVE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playback_mode: Option<PlaybackMode>,
    /// DisplayFragmentTimestamp (default NEVER): `kvs:ts` on each S element.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_fragment_timestamp: Option<Display>,
    /// DisplayFragmentNumber (default NEVER): `kvs:fn` on each S element.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_fragment_number: Option<Display>,
    /// DASHFragmentSelector.
    #[serde(
        default,
        rename = "DASHFragmentSelector",
        skip_serializing_if = "Option::is_none"
    )]
    pub dash_fragment_selector: Option<StreamingFragmentSelector>,
    /// Expires, seconds (300–43200, default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    /// MaxManifestFragmentResults (1–5000; default 5 live, 1000 ON_DEMAND).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_manifest_fragment_results: Option<i64>,
}

/// The GetDASHStreamingSessionURL response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetDashStreamingSessionUrlOutput {
    /// DASHStreamingSessionURL: `<endpoint>/dash/v1/getDASHManifest.mpd?SessionToken=<token>`.
    #[serde(rename = "DASHStreamingSessionURL")]
    pub dash_streaming_session_url: String,
}

impl GetDashStreamingSessionUrlInput {
    /// The session parameters of the request.
    pub fn session_request(&self) -> SessionRequest {
        SessionRequest {
            playback_mode: self.playback_mode,
            selector: self.dash_fragment_selector,
            container_format: None,
            discontinuity_mode: None,
            display_fragment_timestamp: self.display_fragment_timestamp,
            display_fragment_number: self.display_fragment_number,
            expires: self.expires,
            max_fragment_results: self.max_manifest_fragment_results,
        }
    }
}

/// GetDASHStreamingSessionURL over `archive` (the stream the caller opened as `stream`): checks the
/// request and the stream as session creation does, and returns the session URL under `endpoint`
/// (e.g. `http://127.0.0.1:8080`), its token signed with `key`, valid from `now` for Expires.
///
/// # Examples
/// ```
/// use kvs_remux::{Archive, UnixMillis};
/// use kvs_remux::api::dash::{GetDashStreamingSessionUrlInput, get_dash_streaming_session_url};
/// use kvs_remux::session::{Session, SessionKey};
///
/// let archive = Archive::open("testdata/fixtures/h264-high-aac.mkv".as_ref())?;
/// let key = SessionKey::from_bytes(&[7; 32]).expect("32 bytes");
/// let now = UnixMillis(1_800_000_000_000);
/// let input = GetDashStreamingSessionUrlInput::default(); // LIVE: the newest fragments
/// let url = get_dash_streaming_session_url(&archive, "cam", &input, &key, now, "http://127.0.0.1:8080")?
///     .dash_streaming_session_url;
/// let token = url.split_once("SessionToken=").expect("a token").1;
/// let session = Session::from_token(token, &key, now)?;
/// assert_eq!((session.stream.as_str(), session.fragments(&archive).len()), ("cam", 4));
/// # Ok::<(), kvs_remux::ApiError>(())
/// ```
///
/// # Errors
/// InvalidArgumentException for a request that breaks the rules of spec §1.6;
/// ResourceNotFoundException when the session would hold no fragment;
/// UnsupportedStreamMediaTypeException for tracks DASH does not package (spec §5.1); Missing/InvalidCodecPrivateDataException.
pub fn get_dash_streaming_session_url(
    archive: &Archive,
    stream: &str,
    input: &GetDashStreamingSessionUrlInput,
    key: &SessionKey,
    now: UnixMillis,
    endpoint: &str,
) -> Result<GetDashStreamingSessionUrlOutput, ApiError> {
    let session: Session = input
        .session_request()
        .session(Protocol::Dash, stream, now)?;
    session.check(archive)?;
    Ok(GetDashStreamingSessionUrlOutput {
        dash_streaming_session_url: format!(
            "{}{MANIFEST_PATH}?SessionToken={}",
            endpoint.trim_end_matches('/'),
            session.token(key)
        ),
    })
}
