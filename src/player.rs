//! The player-facing actions behind HLS and DASH session URLs (spec §1.8), as one function of the
//! action's path and query: what the local endpoint routes `GET /hls/v1/<action>?<query>` and `/dash/v1/...` to. It
//! checks the SessionToken, reopens the session's stream and answers with a content type and the
//! body as chunks (segments stay slices of the mapped archive).

use std::borrow::Borrow;

use bytes::Bytes;

use crate::api::{dash, fmp4, hls, ts};
use crate::archive::Archive;
use crate::error::ApiError;
use crate::session::{ContainerFormat, Protocol, Session, SessionKey};
use crate::time::UnixMillis;
use crate::timeline;

/// Content type of playlists (spec §1.8).
pub const M3U8: &str = "application/vnd.apple.mpegurl";
/// Content type of the MPD.
pub const MPD: &str = "application/dash+xml";
/// Content type of fMP4 init and media segments.
pub const MP4: &str = "video/mp4";
/// Content type of MPEG-TS chunks.
pub const MPEG_TS: &str = "video/mp2t";

/// An action's answer: its content type and body.
#[derive(Debug, Clone)]
pub struct PlayerResponse {
    /// The Content-Type.
    pub content_type: &'static str,
    /// The body, as chunks to be written in order.
    pub body: Vec<Bytes>,
}

/// The query parameters the actions read (spec §1.8, §8.2 URL forms).
#[derive(Debug, Default)]
struct Query<'a> {
    session_token: Option<&'a str>,
    track_number: Option<&'a str>,
    fragment_number: Option<&'a str>,
    sequence_number: Option<&'a str>,
}

impl<'a> Query<'a> {
    /// Reads `a=b&c=d`; other parameters are ignored, as the service does with unknown ones.
    fn parse(query: &'a str) -> Query<'a> {
        let mut parsed = Query::default();
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match name {
                "SessionToken" => &mut parsed.session_token,
                "TrackNumber" => &mut parsed.track_number,
                "FragmentNumber" => &mut parsed.fragment_number,
                "SequenceNumber" => &mut parsed.sequence_number,
                _ => continue,
            };
            *slot = Some(value);
        }
        parsed
    }
}

/// Answers HLS action `action` (`getHLSMasterPlaylist.m3u8`, `getHLSMediaPlaylist.m3u8`,
/// `getMP4InitFragment.mp4`, `getMP4MediaFragment.mp4`, `getTSFragment.ts`) with `query`: the
/// token is checked with `key` at `now`, the stream opened with `open` (given the name the
/// session carries; it may hand out an `Archive` or a shared `Arc<Archive>` a server keeps open).
///
/// Choices: TrackNumber defaults to 1; `FragmentNumber` is the KVS fragment number (the 2022
/// service form) and must be one of the session's; `SequenceNumber` (default 0) picks the
/// configuration of the track counted from 0 at each codec private data change.
///
/// # Errors
/// NotAuthorizedException for a missing, altered or expired token, or one of a DASH session;
/// InvalidArgumentException for a parameter that is not a number; ResourceNotFoundException for
/// an unknown action, track, fragment or sequence number; the operations' errors.
pub fn hls_action<A: Borrow<Archive>>(
    action: &str,
    query: &str,
    key: &SessionKey,
    now: UnixMillis,
    open: impl FnOnce(&str) -> Result<A, ApiError>,
) -> Result<PlayerResponse, ApiError> {
    let query = Query::parse(query);
    let (token, session, opened, track) = open_request(&query, key, now, Protocol::Hls, open)?;
    let archive: &Archive = opened.borrow();
    let links = hls::Links::Session { token };
    let text = |text: String| PlayerResponse {
        content_type: M3U8,
        body: vec![Bytes::from(text)],
    };
    match action {
        "getHLSMasterPlaylist.m3u8" => Ok(text(hls::get_hls_master_playlist(
            archive, &session, links,
        )?)),
        "getHLSMediaPlaylist.m3u8" => Ok(text(hls::get_hls_media_playlist(
            archive, &session, links, track,
        )?)),
        "getMP4InitFragment.mp4" => {
            let epoch = number("SequenceNumber", query.sequence_number)?.unwrap_or(0);
            let positions = fmp4_session(archive, &session)?;
            let starts = timeline::segment_timings(archive, &positions, track)?
                .into_iter()
                .find(|t| u64::try_from(t.epoch).is_ok_and(|e| e == epoch))
                .ok_or_else(|| ApiError::ResourceNotFound {
                    message: format!("The session has no init fragment {epoch} for track {track}."),
                })?;
            Ok(PlayerResponse {
                content_type: MP4,
                body: vec![fmp4::get_mp4_init_fragment(
                    archive,
                    starts.position,
                    track,
                )?],
            })
        }
        "getMP4MediaFragment.mp4" => {
            let positions = fmp4_session(archive, &session)?;
            let index = session_index(archive, &positions, query.fragment_number)?;
            same_tracks(archive, &positions, index)?;
            Ok(PlayerResponse {
                content_type: MP4,
                body: fmp4::get_mp4_media_fragment(archive, &positions, index, track)?,
            })
        }
        "getTSFragment.ts" => {
            if session.container_format != ContainerFormat::MpegTs {
                return Err(not_in_session("getTSFragment.ts"));
            }
            let positions = session.check(archive)?;
            let index = session_index(archive, &positions, query.fragment_number)?;
            same_tracks(archive, &positions, index)?;
            Ok(PlayerResponse {
                content_type: MPEG_TS,
                body: vec![ts::get_ts_fragment(
                    archive,
                    &positions,
                    index,
                    &ts::TsOptions::default(),
                )?],
            })
        }
        other => Err(not_in_session(other)),
    }
}

/// Answers DASH action `action` (`getDASHManifest.mpd`, `getMP4InitFragment.mp4`,
/// `getMP4MediaFragment.mp4` with `FragmentNumber` the MPD's `$Number$`: the track's n-th segment,
/// from 1) with `query`, as [`hls_action`] does.
///
/// # Errors
/// As [`hls_action`]; NotAuthorizedException for the token of an HLS session.
pub fn dash_action<A: Borrow<Archive>>(
    action: &str,
    query: &str,
    key: &SessionKey,
    now: UnixMillis,
    open: impl FnOnce(&str) -> Result<A, ApiError>,
) -> Result<PlayerResponse, ApiError> {
    let query = Query::parse(query);
    let (token, session, opened, track) = open_request(&query, key, now, Protocol::Dash, open)?;
    let archive: &Archive = opened.borrow();
    match action {
        "getDASHManifest.mpd" => Ok(PlayerResponse {
            content_type: MPD,
            body: vec![Bytes::from(dash::get_dash_manifest(
                archive,
                &session,
                dash::Links::Session { token },
            )?)],
        }),
        "getMP4InitFragment.mp4" | "getMP4MediaFragment.mp4" => {
            let positions = session.check(archive)?;
            let timings = timeline::segment_timings(archive, &positions, track)?;
            let first = timings
                .first()
                .ok_or_else(|| not_in_session("that track"))?;
            if action == "getMP4InitFragment.mp4" {
                return Ok(PlayerResponse {
                    content_type: MP4,
                    body: vec![fmp4::get_mp4_init_fragment(archive, first.position, track)?],
                });
            }
            let wanted = number("FragmentNumber", query.fragment_number)?.ok_or_else(|| {
                ApiError::InvalidArgument {
                    message: "FragmentNumber is required.".into(),
                }
            })?;
            let timing = usize::try_from(wanted)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|n| timings.get(n))
                .ok_or_else(|| ApiError::ResourceNotFound {
                    message: format!("The session has no segment {wanted} of track {track}."),
                })?;
            same_tracks(archive, &positions, timing.index)?;
            Ok(PlayerResponse {
                content_type: MP4,
                body: fmp4::get_mp4_media_fragment(archive, &positions, timing.index, track)?,
            })
        }
        other => Err(not_in_session(other)),
    }
}

/// The token of `query`, the session it carries (checked for `protocol`), the session's stream
/// opened with `open`, and the TrackNumber (default 1).
fn open_request<'a, A: Borrow<Archive>>(
    query: &Query<'a>,
    key: &SessionKey,
    now: UnixMillis,
    protocol: Protocol,
    open: impl FnOnce(&str) -> Result<A, ApiError>,
) -> Result<(&'a str, Session, A, u64), ApiError> {
    let token = query.session_token.ok_or_else(|| ApiError::NotAuthorized {
        message: "The SessionToken is missing.".into(),
    })?;
    let session = Session::from_token(token, key, now)?;
    if session.protocol != protocol {
        return Err(ApiError::NotAuthorized {
            message: "The SessionToken is not valid for this protocol.".into(),
        });
    }
    let archive = open(&session.stream)?;
    let track = number("TrackNumber", query.track_number)?.unwrap_or(1);
    Ok((token, session, archive, track))
}

/// A session keeps the tracks of its first fragment: a fragment whose track numbers or codecs
/// differ (video only → video + audio, AAC → G.711) is refused when it is loaded (spec §6).
///
/// Choice (spec §9.10): UnsupportedStreamMediaTypeException, the error for tracks an output
/// cannot take.
fn same_tracks(archive: &Archive, positions: &[usize], index: usize) -> Result<(), ApiError> {
    let layout = |i: usize| {
        positions
            .get(i)
            .and_then(|&p| archive.index().get(p))
            .map(|f| (timeline::layout(&f.tracks), f.number.to_string()))
    };
    match (layout(0), layout(index)) {
        (Some((first, _)), Some((this, number))) if first != this => {
            Err(ApiError::UnsupportedMedia {
                message: format!(
                    "the tracks change at fragment {number}; a session keeps its first fragment's tracks"
                ),
            })
        }
        _ => Ok(()),
    }
}

/// The session's fragments, for an action of FRAGMENTED_MP4 sessions.
fn fmp4_session(archive: &Archive, session: &Session) -> Result<Vec<usize>, ApiError> {
    if session.container_format != ContainerFormat::FragmentedMp4 {
        return Err(not_in_session("an fMP4 fragment"));
    }
    session.check(archive)
}

/// The index in the session of the fragment numbered `fragment_number`.
fn session_index(
    archive: &Archive,
    positions: &[usize],
    fragment_number: Option<&str>,
) -> Result<usize, ApiError> {
    let wanted = fragment_number.ok_or_else(|| ApiError::InvalidArgument {
        message: "FragmentNumber is required.".into(),
    })?;
    positions
        .iter()
        .position(|&p| {
            archive
                .index()
                .get(p)
                .is_some_and(|f| f.number.to_string() == wanted)
        })
        .ok_or_else(|| ApiError::ResourceNotFound {
            message: format!("Fragment {wanted} is not in the session."),
        })
}

/// A decimal query parameter, if given.
fn number(name: &str, value: Option<&str>) -> Result<Option<u64>, ApiError> {
    value
        .map(|v| {
            v.parse().map_err(|_| ApiError::InvalidArgument {
                message: format!("{name} must be a number, not {v:?}."),
            })
        })
        .transpose()
}

/// ResourceNotFoundException for what the session does not serve.
fn not_in_session(what: &str) -> ApiError {
    ApiError::ResourceNotFound {
        message: format!("The session does not serve {what}."),
    }
}
