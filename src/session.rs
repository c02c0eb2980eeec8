//! Streaming sessions (spec §1.5, §1.6, §1.8): the parameters GetHLSStreamingSessionURL and
//! GetDASHStreamingSessionURL share, their rules and defaults, and the SessionToken that carries a
//! whole session, signed, so that no process keeps session state and any process holding the same
//! key answers the same session.
//!
//! Token: URL-safe base64 (no padding) of a version byte, the session (postcard), and an
//! HMAC-SHA256 of both under the [`SessionKey`]. Sans-IO: the caller gives the key and the time.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::archive::{Archive, Selection, TimestampKind};
use crate::error::ApiError;
use crate::shapes::{Validation, epoch_seconds};
use crate::time::UnixMillis;
use crate::timeline::{self, Packaging};

/// Expires: 300–43 200 s, default 300 (spec §1.5, §4.1).
pub const EXPIRES_SECONDS: (i64, i64, i64) = (300, 43_200, 300);
/// MaxMediaPlaylistFragmentResults / MaxManifestFragmentResults: 1–5000 (spec §4.1).
pub const MAX_FRAGMENT_RESULTS: i64 = 5000;
/// The default of Max…FragmentResults for LIVE and LIVE_REPLAY; ON_DEMAND's is 1000 (spec §1.5).
const LIVE_FRAGMENT_RESULTS: u32 = 5;
/// The default of Max…FragmentResults for ON_DEMAND.
const ON_DEMAND_FRAGMENT_RESULTS: u32 = 1000;
/// End − Start may be at most 24 h (spec §1.5).
const MAX_RANGE_MS: u64 = 24 * 3600 * 1000;
/// The token's layout version (the first byte).
const TOKEN_VERSION: u8 = 1;
/// Bytes of the HMAC-SHA256 tag at the token's end.
const TAG_LEN: usize = 32;

/// HLSPlaybackMode / DASHPlaybackMode (spec §1.5, §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlaybackMode {
    /// LIVE (the default): the newest fragments. Over an archive: as if its end were now.
    Live,
    /// LIVE_REPLAY: from StartTimestamp on.
    LiveReplay,
    /// ON_DEMAND: the fragments of a closed range.
    OnDemand,
}

/// ContainerFormat of HLS segments (spec §1.5, §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContainerFormat {
    /// FRAGMENTED_MP4 (the default; DASH always).
    FragmentedMp4,
    /// MPEG_TS.
    MpegTs,
}

/// HLSDiscontinuityMode (spec §1.5, §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DiscontinuityMode {
    /// ALWAYS: a discontinuity before every fragment (default with SERVER_TIMESTAMP).
    Always,
    /// NEVER (default with PRODUCER_TIMESTAMP).
    Never,
    /// ON_DISCONTINUITY: where a gap or overlap between fragments exceeds 50 ms.
    OnDiscontinuity,
}

impl DiscontinuityMode {
    /// The default for a selector type: ALWAYS with SERVER_TIMESTAMP, NEVER with
    /// PRODUCER_TIMESTAMP (spec §1.5).
    pub fn default_for(selector_type: TimestampKind) -> DiscontinuityMode {
        match selector_type {
            TimestampKind::Server => DiscontinuityMode::Always,
            TimestampKind::Producer => DiscontinuityMode::Never,
        }
    }
}

/// ALWAYS / NEVER of DisplayFragmentTimestamp and DisplayFragmentNumber (spec §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Display {
    /// ALWAYS.
    Always,
    /// NEVER (the default).
    Never,
}

/// Which streaming protocol a session serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Protocol {
    /// HLS: master and media playlists, fMP4 or TS segments.
    Hls,
    /// DASH: an MPD and fMP4 segments.
    Dash,
}

impl Protocol {
    /// The path of the session URL under the endpoint (spec §1.5, §1.6).
    pub fn entry_path(self) -> &'static str {
        match self {
            Protocol::Hls => "/hls/v1/getHLSMasterPlaylist.m3u8",
            Protocol::Dash => "/dash/v1/getDASHManifest.mpd",
        }
    }
}

/// The session URL a request makes (spec §1.5, §1.6): the session of `request` for `protocol`
/// on `stream` at `now`, checked against `archive` as session creation does ([`Session::check`]),
/// as `<endpoint><entry path>?SessionToken=<token signed with key>`.
///
/// # Errors
/// As [`SessionRequest::session`] and [`Session::check`].
pub fn session_url(
    archive: &Archive,
    stream: &str,
    (request, protocol): (&SessionRequest, Protocol),
    key: &SessionKey,
    now: UnixMillis,
    endpoint: &str,
) -> Result<String, ApiError> {
    let session = request.session(protocol, stream, now)?;
    session.check(archive)?;
    Ok(format!(
        "{}{}?SessionToken={}",
        endpoint.trim_end_matches('/'),
        protocol.entry_path(),
        session.token(key)
    ))
}

/// HLSFragmentSelector / DASHFragmentSelector (spec §1.5, §1.6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StreamingFragmentSelector {
    /// FragmentSelectorType (default SERVER_TIMESTAMP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fragment_selector_type: Option<TimestampKind>,
    /// TimestampRange (absent in LIVE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_range: Option<StreamingTimestampRange>,
}

/// HLSTimestampRange / DASHTimestampRange (spec §1.5): both ends optional in the model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StreamingTimestampRange {
    /// StartTimestamp.
    #[serde(
        default,
        with = "epoch_seconds::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_timestamp: Option<UnixMillis>,
    /// EndTimestamp.
    #[serde(
        default,
        with = "epoch_seconds::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_timestamp: Option<UnixMillis>,
}

/// The session parameters of a GetHLSStreamingSessionURL or GetDASHStreamingSessionURL request,
/// as given (absent fields are `None`); [`SessionRequest::session`] applies rules and defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionRequest {
    /// PlaybackMode.
    pub playback_mode: Option<PlaybackMode>,
    /// HLSFragmentSelector / DASHFragmentSelector.
    pub selector: Option<StreamingFragmentSelector>,
    /// ContainerFormat (HLS).
    pub container_format: Option<ContainerFormat>,
    /// DiscontinuityMode (HLS).
    pub discontinuity_mode: Option<DiscontinuityMode>,
    /// DisplayFragmentTimestamp.
    pub display_fragment_timestamp: Option<Display>,
    /// DisplayFragmentNumber (DASH).
    pub display_fragment_number: Option<Display>,
    /// Expires, seconds.
    pub expires: Option<i64>,
    /// MaxMediaPlaylistFragmentResults (HLS) / MaxManifestFragmentResults (DASH).
    pub max_fragment_results: Option<i64>,
}

/// A streaming session: everything its SessionToken carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// HLS or DASH.
    pub protocol: Protocol,
    /// The stream, as the caller names it to open it again (a StreamName under an archive root,
    /// or a path).
    pub stream: String,
    /// PlaybackMode.
    pub playback_mode: PlaybackMode,
    /// FragmentSelectorType.
    pub selector_type: TimestampKind,
    /// StartTimestamp, ms (none in LIVE).
    pub start: Option<u64>,
    /// EndTimestamp, ms (none in LIVE; optional in LIVE_REPLAY).
    pub end: Option<u64>,
    /// ContainerFormat (FRAGMENTED_MP4 for DASH).
    pub container_format: ContainerFormat,
    /// DiscontinuityMode (HLS; DASH keeps the selector's default, unused).
    pub discontinuity_mode: DiscontinuityMode,
    /// DisplayFragmentTimestamp.
    pub display_fragment_timestamp: Display,
    /// DisplayFragmentNumber (NEVER for HLS).
    pub display_fragment_number: Display,
    /// Max…FragmentResults: 1–5000 (a static export lists every fragment: `u32::MAX`).
    pub max_fragment_results: u32,
    /// When the session was created, ms.
    pub created: u64,
    /// When the session expires, ms: from then on every action is NotAuthorizedException.
    pub expires: u64,
}

impl SessionRequest {
    /// The session this request makes for `protocol` on `stream` at `now`: the model's constraints
    /// (Expires, Max…Results) and the playback-mode rules of spec §1.5, §1.6, with their defaults.
    ///
    /// Choices where the record is silent: FragmentSelectorType defaults to SERVER_TIMESTAMP
    /// whenever the selector is absent or omits it; ON_DEMAND and LIVE_REPLAY need the selector
    /// with a TimestampRange holding StartTimestamp (ON_DEMAND also EndTimestamp); "EndTimestamp in
    /// the past" is checked against `now` for SERVER_TIMESTAMP only.
    ///
    /// # Errors
    /// InvalidArgumentException for each broken rule.
    pub fn session(
        &self,
        protocol: Protocol,
        stream: &str,
        now: UnixMillis,
    ) -> Result<Session, ApiError> {
        let max_member = match protocol {
            Protocol::Hls => "maxMediaPlaylistFragmentResults",
            Protocol::Dash => "maxManifestFragmentResults",
        };
        let mut validation = Validation::new();
        let (min, max, default) = EXPIRES_SECONDS;
        if let Some(expires) = self.expires {
            validation.check(
                expires >= min,
                expires,
                "expires",
                &format!("have value greater than or equal to {min}"),
            );
            validation.check(
                expires <= max,
                expires,
                "expires",
                &format!("have value less than or equal to {max}"),
            );
        }
        if let Some(results) = self.max_fragment_results {
            validation.check(
                results >= 1,
                results,
                max_member,
                "have value greater than or equal to 1",
            );
            validation.check(
                results <= MAX_FRAGMENT_RESULTS,
                results,
                max_member,
                &format!("have value less than or equal to {MAX_FRAGMENT_RESULTS}"),
            );
        }
        validation.finish()?;

        let mode = self.playback_mode.unwrap_or(PlaybackMode::Live);
        let (start, end) = self.range(mode, now)?;
        let selector_type = self.selector_type();
        let default_results = match mode {
            PlaybackMode::OnDemand => ON_DEMAND_FRAGMENT_RESULTS,
            PlaybackMode::Live | PlaybackMode::LiveReplay => LIVE_FRAGMENT_RESULTS,
        };
        let max_fragment_results = self
            .max_fragment_results
            .map_or(Ok(default_results), u32::try_from)
            .expect("validated to 1–5000");
        let expires_seconds = self.expires.unwrap_or(default);
        let expires_ms = u64::try_from(expires_seconds).expect("validated to 300–43200") * 1000;
        let expires = now
            .0
            .checked_add(expires_ms)
            .ok_or_else(|| invalid("the current time is out of range"))?;
        Ok(Session {
            protocol,
            stream: stream.to_owned(),
            playback_mode: mode,
            selector_type,
            start: start.map(|t| t.0),
            end: end.map(|t| t.0),
            container_format: self
                .container_format
                .unwrap_or(ContainerFormat::FragmentedMp4),
            discontinuity_mode: self
                .discontinuity_mode
                .unwrap_or(DiscontinuityMode::default_for(selector_type)),
            display_fragment_timestamp: self.display_fragment_timestamp.unwrap_or(Display::Never),
            display_fragment_number: self.display_fragment_number.unwrap_or(Display::Never),
            max_fragment_results,
            created: now.0,
            expires,
        })
    }

    /// The range rules of the playback modes (spec §1.5): none in LIVE; Start required in
    /// LIVE_REPLAY and ON_DEMAND, End required in ON_DEMAND; End after Start, within 24 h of it,
    /// and in the past for SERVER_TIMESTAMP.
    fn range(
        &self,
        mode: PlaybackMode,
        now: UnixMillis,
    ) -> Result<(Option<UnixMillis>, Option<UnixMillis>), ApiError> {
        let range = self.selector.and_then(|s| s.timestamp_range);
        if mode == PlaybackMode::Live {
            if range.is_some() {
                return Err(invalid(
                    "TimestampRange must not be set when PlaybackMode is LIVE.",
                ));
            }
            return Ok((None, None));
        }
        let mode_name = match mode {
            PlaybackMode::OnDemand => "ON_DEMAND",
            PlaybackMode::LiveReplay | PlaybackMode::Live => "LIVE_REPLAY",
        };
        let Some(range) = range else {
            return Err(invalid(&format!(
                "The fragment selector and its TimestampRange are required when PlaybackMode is {mode_name}."
            )));
        };
        let start = range
            .start_timestamp
            .ok_or_else(|| invalid("StartTimestamp is required in a TimestampRange."))?;
        let end = range.end_timestamp;
        if mode == PlaybackMode::OnDemand && end.is_none() {
            return Err(invalid(
                "EndTimestamp is required when PlaybackMode is ON_DEMAND.",
            ));
        }
        if let Some(end) = end {
            if end <= start {
                return Err(invalid("EndTimestamp must be later than StartTimestamp."));
            }
            if start.millis_until(end).is_some_and(|ms| ms > MAX_RANGE_MS) {
                return Err(invalid(
                    "EndTimestamp must be within 24 hours of StartTimestamp.",
                ));
            }
            if self.selector_type() == TimestampKind::Server && end > now {
                return Err(invalid(
                    "EndTimestamp must be in the past when FragmentSelectorType is SERVER_TIMESTAMP.",
                ));
            }
        }
        Ok((Some(start), end))
    }

    /// FragmentSelectorType, SERVER_TIMESTAMP when not given.
    fn selector_type(&self) -> TimestampKind {
        self.selector
            .and_then(|s| s.fragment_selector_type)
            .unwrap_or(TimestampKind::Server)
    }
}

impl Session {
    /// The ON_DEMAND session a static export plays (`export-hls`, `export-dash`): every fragment
    /// of `stream` whose `selector_type` timestamp lies in [`start`, `end`] (either end open),
    /// however many and however long (an export is not bound by the service's 24 h and 5000
    /// fragments), with the defaults of a session request; the caller sets the display and
    /// container fields it was given.
    ///
    /// # Errors
    /// InvalidArgumentException when `end` is before `start`.
    pub fn export(
        stream: &str,
        protocol: Protocol,
        selector_type: TimestampKind,
        (start, end): (Option<UnixMillis>, Option<UnixMillis>),
    ) -> Result<Session, ApiError> {
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            return Err(invalid(
                "EndTimestamp must not be earlier than StartTimestamp.",
            ));
        }
        Ok(Session {
            protocol,
            stream: stream.to_owned(),
            playback_mode: PlaybackMode::OnDemand,
            selector_type,
            start: start.map(|t| t.0),
            end: end.map(|t| t.0),
            container_format: ContainerFormat::FragmentedMp4,
            discontinuity_mode: DiscontinuityMode::default_for(selector_type),
            display_fragment_timestamp: Display::Never,
            display_fragment_number: Display::Never,
            max_fragment_results: u32::MAX,
            created: 0,
            expires: u64::MAX,
        })
    }

    /// Positions (in `archive`'s index) of the fragments the session lists, in playback order:
    /// ON_DEMAND the first Max…Results of its range, LIVE_REPLAY the first Max…Results from its
    /// Start (up to End when given), LIVE the newest Max…Results of the archive by server time
    /// (spec §1.5: in LIVE, selection follows server time even with PRODUCER_TIMESTAMP, which then
    /// only de-duplicates). Producer-timestamp sessions de-duplicate as every media operation
    /// does ([`FragmentIndex::select`](crate::archive::FragmentIndex::select)).
    ///
    /// Choice: over an archive every fragment has already arrived, so LIVE_REPLAY lists what the
    /// service would list once its pace had caught up, and LIVE takes the archive's end as now.
    pub fn fragments(&self, archive: &Archive) -> Vec<usize> {
        let index = archive.index();
        let max = usize::try_from(self.max_fragment_results).unwrap_or(usize::MAX);
        if self.playback_mode == PlaybackMode::Live {
            let mut newest = index.matching(&Selection {
                kind: TimestampKind::Server,
                start: None,
                end: None,
            });
            if self.selector_type == TimestampKind::Producer {
                let mut seen = HashSet::new();
                newest.retain(|&p| seen.insert(index.get(p).and_then(|f| f.producer_timestamp)));
            }
            let skip = newest.len().saturating_sub(max);
            return newest.split_off(skip);
        }
        let mut selected = index.select(&Selection {
            kind: self.selector_type,
            start: self.start.map(UnixMillis),
            end: self.end.map(UnixMillis),
        });
        selected.truncate(max);
        selected
    }

    /// The track layout rule this session's outputs follow (spec §5.1).
    pub fn packaging(&self) -> Packaging {
        match (self.protocol, self.container_format) {
            (Protocol::Dash, _) => Packaging::Dash,
            (Protocol::Hls, ContainerFormat::FragmentedMp4) => Packaging::HlsFmp4,
            (Protocol::Hls, ContainerFormat::MpegTs) => Packaging::HlsTs,
        }
    }

    /// Checks that `archive` can serve the session, as session creation does (spec §1.5): it has
    /// fragments, and the first one's tracks are a layout the output packages, with usable codec
    /// private data. Returns the session's fragments.
    ///
    /// # Errors
    /// ResourceNotFoundException "No fragments found in the stream for the streaming request.";
    /// UnsupportedStreamMediaTypeException; Missing/InvalidCodecPrivateDataException.
    pub fn check(&self, archive: &Archive) -> Result<Vec<usize>, ApiError> {
        let fragments = self.fragments(archive);
        let first = fragments
            .first()
            .and_then(|&p| archive.index().get(p))
            .ok_or_else(|| ApiError::ResourceNotFound {
                message: "No fragments found in the stream for the streaming request.".into(),
            })?;
        timeline::packaged_tracks(&first.tracks, self.packaging())?;
        Ok(fragments)
    }

    /// The SessionToken of this session under `key`: URL-safe base64 without padding.
    pub fn token(&self, key: &SessionKey) -> String {
        let mut bytes = vec![TOKEN_VERSION];
        bytes.extend(postcard::to_allocvec(self).expect("a session always serializes"));
        let tag = key.mac(&bytes);
        bytes.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The session `token` carries, when `key` signed it and it has not expired at `now`.
    ///
    /// # Errors
    /// NotAuthorizedException for a token that is not one of ours (malformed, altered, signed
    /// under another key), and for an expired one.
    pub fn from_token(token: &str, key: &SessionKey, now: UnixMillis) -> Result<Session, ApiError> {
        let refused = || ApiError::NotAuthorized {
            message: "The SessionToken is not valid.".into(),
        };
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| refused())?;
        let (signed, tag) = bytes.split_last_chunk::<TAG_LEN>().ok_or_else(refused)?;
        key.verify(signed, tag).map_err(|()| refused())?;
        let (&version, body) = signed.split_first().ok_or_else(refused)?;
        if version != TOKEN_VERSION {
            return Err(refused());
        }
        let session: Session = postcard::from_bytes(body).map_err(|_| refused())?;
        if now.0 >= session.expires {
            return Err(ApiError::NotAuthorized {
                message: "The SessionToken has expired.".into(),
            });
        }
        Ok(session)
    }
}

/// The secret that signs session tokens: 32 or more bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey(Vec<u8>);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl SessionKey {
    /// Fewest bytes a key may have (HMAC-SHA256's output size).
    pub const MIN_LEN: usize = 32;

    /// The key of `bytes`, when there are at least [`SessionKey::MIN_LEN`].
    pub fn from_bytes(bytes: &[u8]) -> Option<SessionKey> {
        (bytes.len() >= Self::MIN_LEN).then(|| SessionKey(bytes.to_vec()))
    }

    /// HMAC-SHA256 of `data`.
    fn mac(&self, data: &[u8]) -> [u8; TAG_LEN] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// Whether `tag` is the HMAC of `data`, compared in constant time.
    fn verify(&self, data: &[u8], tag: &[u8; TAG_LEN]) -> Result<(), ()> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(data);
        mac.verify_slice(tag).map_err(|_| ())
    }
}

/// InvalidArgumentException with `message`.
fn invalid(message: &str) -> ApiError {
    ApiError::InvalidArgument {
        message: message.to_owned(),
    }
}
