//! HLS (spec §1.5, §1.8, §8): GetHLSStreamingSessionURL, a session over a stream as a URL whose
//! SessionToken carries it, and the playlists behind it (GetHLSMasterPlaylist,
//! GetHLSMediaPlaylist), for a session or a static export. The segments the playlists name are
//! GetMP4InitFragment and GetMP4MediaFragment ([`super::fmp4`]) and GetTSFragment ([`super::ts`]).

use serde::{Deserialize, Serialize};

use crate::archive::Archive;
use crate::error::ApiError;
use crate::manifest::{
    self,
    hls::{MediaPlaylist, Segment, Variant},
};
use crate::mkv::FragmentNumber;
use crate::model::track::TrackInfo;
use crate::session::{
    self, ContainerFormat, DiscontinuityMode, Display, PlaybackMode, Protocol, Session, SessionKey,
    SessionRequest, StreamingFragmentSelector,
};
use crate::time::{Nanos, UnixMillis};
use crate::timeline::{self, SegmentTiming};

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
    Ok(GetHlsStreamingSessionUrlOutput {
        hls_streaming_session_url: session::session_url(
            archive,
            stream,
            (&input.session_request(), Protocol::Hls),
            key,
            now,
            endpoint,
        )?,
    })
}

/// The most codec private data changes one session may have (spec §4.1, §6).
pub const MAX_CPD_CHANGES: usize = 500;

/// Where a playlist's URIs point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links<'a> {
    /// The player actions, relative to `/hls/v1/`, with the session's token (spec §1.8, §8.2).
    Session {
        /// The SessionToken.
        token: &'a str,
    },
    /// The files of a static export, relative to its directory: `track<N>.m3u8` (fMP4) or
    /// `media.m3u8` (TS); `track<N>/init.mp4`, then `track<N>/init-<K>.mp4` for the K-th change of
    /// codec private data; segments `track<N>/<I>.m4s` or `<I>.ts` with I the fragment's index in
    /// the session from 1, or with `by_fragment_number` the 47-digit fragment number in place of
    /// I and K (the names [`fmp4::Fmp4Part::relative_path`](super::fmp4::Fmp4Part::relative_path)
    /// and [`ts::TsChunk::file_name`](super::ts::TsChunk::file_name) give).
    Files {
        /// Name segments (and later init segments) by fragment number instead of by index.
        by_fragment_number: bool,
    },
}

impl Links<'_> {
    /// The media playlist of `track` (TS: of the muxed chunks).
    fn media_playlist(self, track: u64, container: ContainerFormat) -> String {
        match (self, container) {
            (Links::Session { token }, _) => {
                format!("getHLSMediaPlaylist.m3u8?SessionToken={token}&TrackNumber={track}")
            }
            (Links::Files { .. }, ContainerFormat::FragmentedMp4) => format!("track{track}.m3u8"),
            (Links::Files { .. }, ContainerFormat::MpegTs) => "media.m3u8".to_owned(),
        }
    }

    /// The init segment of configuration `epoch` of `track`, which starts at fragment `starts_at`.
    fn init(self, track: u64, epoch: usize, starts_at: &FragmentNumber) -> String {
        match self {
            Links::Session { token } => format!(
                "getMP4InitFragment.mp4?SessionToken={token}&TrackNumber={track}&SequenceNumber={epoch}"
            ),
            Links::Files { .. } if epoch == 0 => format!("track{track}/init.mp4"),
            Links::Files {
                by_fragment_number: true,
            } => format!("track{track}/init-{starts_at}.mp4"),
            Links::Files {
                by_fragment_number: false,
            } => format!("track{track}/init-{epoch}.mp4"),
        }
    }

    /// The media segment of `track` in fragment `number`, at `index` in the session.
    fn segment(self, track: u64, number: &FragmentNumber, index: usize) -> String {
        match self {
            Links::Session { token } => format!(
                "getMP4MediaFragment.mp4?FragmentNumber={number}&SessionToken={token}&TrackNumber={track}"
            ),
            Links::Files {
                by_fragment_number: true,
            } => format!("track{track}/{number}.m4s"),
            Links::Files {
                by_fragment_number: false,
            } => format!("track{track}/{}.m4s", index.saturating_add(1)),
        }
    }

    /// The TS chunk of fragment `number`, at `index` in the session.
    fn ts_chunk(self, number: &FragmentNumber, index: usize) -> String {
        match self {
            Links::Session { token } => {
                format!("getTSFragment.ts?FragmentNumber={number}&SessionToken={token}")
            }
            Links::Files {
                by_fragment_number: true,
            } => format!("{number}.ts"),
            Links::Files {
                by_fragment_number: false,
            } => format!("{}.ts", index.saturating_add(1)),
        }
    }
}

/// GetHLSMasterPlaylist (spec §1.8, §8.1): one variant playing track 1 (and track 2 as an audio
/// rendition with fMP4; muxed in TS), CODECS from the codec private data, RESOLUTION as displayed
/// (the SPS's cropping applied), FRAME-RATE from the session's video samples, BANDWIDTH the peak
/// of its fragments' stored bytes over their durations.
///
/// # Errors
/// ResourceNotFoundException when the session has no fragment left; the layout and codec checks of
/// session creation; reading a fragment fails.
pub fn get_hls_master_playlist(
    archive: &Archive,
    session: &Session,
    links: Links<'_>,
) -> Result<String, ApiError> {
    let (positions, tracks) = session_tracks(archive, session)?;
    let first = tracks.first().expect("packaged_tracks gives track 1");
    let track_one = u64::from(first.track_id);
    let timings = timeline::segment_timings(archive, &positions, track_one)?;
    let seconds = |d: Nanos| d.unsigned().unwrap_or(0) as f64 / 1e9;
    let total: f64 = timings.iter().map(|t| seconds(t.duration)).sum();
    let frames: usize = timings.iter().map(|t| t.samples).sum();
    let bandwidth = timings
        .iter()
        .filter(|t| t.duration > Nanos::ZERO)
        .filter_map(|t| {
            let size = archive.index().get(t.position)?.size;
            Some((size as f64 * 8.0 / seconds(t.duration)).round() as u64)
        })
        .max()
        .unwrap_or(0);
    let video = first.is_video();
    let audio = tracks.get(1).map(|t| u64::from(t.track_id));
    let container = session.container_format;
    Ok(manifest::hls::master_playlist(&Variant {
        codecs: tracks.iter().map(|t| t.codec.codec_string()).collect(),
        resolution: first.codec.width().zip(first.codec.height()),
        frame_rate: (video && total > 0.0).then(|| frames as f64 / total),
        bandwidth,
        uri: links.media_playlist(track_one, container),
        audio_uri: audio
            .filter(|_| container == ContainerFormat::FragmentedMp4)
            .map(|track| links.media_playlist(track, container)),
    }))
}

/// GetHLSMediaPlaylist (spec §1.8, §8.2, §8.3): the segments of `track` (with MPEG_TS: the muxed
/// chunks; `track` must be 1), each with its own duration (the sum of the samples the segment
/// holds), a discontinuity by the session's DiscontinuityMode and before every new init segment
/// (`EXT-X-MAP`, at each change of codec private data), the fragment's timestamp when
/// DisplayFragmentTimestamp is ALWAYS; VOD and ENDLIST for ON_DEMAND.
///
/// Choices (spec §9.3, §9.4): MEDIA-SEQUENCE 0; TARGETDURATION the largest EXTINF rounded up;
/// ON_DISCONTINUITY compares a segment's first decode time with the previous segment's end.
///
/// # Errors
/// ResourceNotFoundException for a track the session does not play; InvalidArgumentException past
/// [`MAX_CPD_CHANGES`]; as [`get_hls_master_playlist`].
pub fn get_hls_media_playlist(
    archive: &Archive,
    session: &Session,
    links: Links<'_>,
    track: u64,
) -> Result<String, ApiError> {
    let (positions, tracks) = session_tracks(archive, session)?;
    let ts = session.container_format == ContainerFormat::MpegTs;
    let plays = tracks.iter().any(|t| u64::from(t.track_id) == track);
    if !plays || (ts && track != 1) {
        return Err(ApiError::ResourceNotFound {
            message: format!("The session has no media playlist for track {track}."),
        });
    }
    let timings = timeline::segment_timings(archive, &positions, track)?;
    let changes = timings.last().map_or(0, |t| t.epoch);
    if changes > MAX_CPD_CHANGES {
        return Err(ApiError::InvalidArgument {
            message: format!(
                "The session has {changes} codec private data changes; at most {MAX_CPD_CHANGES} are allowed."
            ),
        });
    }
    let index = archive.index();
    let mut segments = Vec::with_capacity(timings.len());
    let mut previous: Option<&SegmentTiming> = None;
    for timing in &timings {
        let fragment = index
            .get(timing.position)
            .expect("session positions are indexed");
        let new_epoch = previous.is_none_or(|p| p.epoch != timing.epoch);
        let gap = previous.is_some_and(|p| {
            let end = p.start.checked_add(p.duration).unwrap_or(p.start);
            Nanos::from_unsigned(end.abs_diff(timing.start))
                .is_none_or(|gap| gap > timeline::DISCONTINUITY_THRESHOLD)
        });
        let discontinuity = match session.discontinuity_mode {
            DiscontinuityMode::Always => true,
            DiscontinuityMode::Never => false,
            DiscontinuityMode::OnDiscontinuity => gap,
        } || (new_epoch && previous.is_some());
        segments.push(Segment {
            discontinuity,
            map: (new_epoch && !ts).then(|| links.init(track, timing.epoch, &fragment.number)),
            program_date_time: (session.display_fragment_timestamp == Display::Always)
                .then(|| fragment.timestamp(session.selector_type))
                .flatten(),
            duration: timing.duration,
            uri: if ts {
                links.ts_chunk(&fragment.number, timing.index)
            } else {
                links.segment(track, &fragment.number, timing.index)
            },
        });
        previous = Some(timing);
    }
    // Choice (spec §9.5): LIVE_REPLAY is live-style (no PLAYLIST-TYPE) and ends with ENDLIST once
    // its EndTimestamp is reached, which over an archive is when the playlist holds every fragment
    // of its range (Max…Results did not cut it).
    let vod = session.playback_mode == PlaybackMode::OnDemand;
    let replay_done = session.playback_mode == PlaybackMode::LiveReplay
        && session.end.is_some()
        && positions.len() < usize::try_from(session.max_fragment_results).unwrap_or(usize::MAX);
    Ok(manifest::hls::media_playlist(&MediaPlaylist {
        version: if ts { 3 } else { 7 },
        vod,
        media_sequence: 0,
        segments,
        endlist: vod || replay_done,
    }))
}

/// The session's fragments and the tracks its first fragment packages (spec §5.1).
fn session_tracks(
    archive: &Archive,
    session: &Session,
) -> Result<(Vec<usize>, Vec<TrackInfo>), ApiError> {
    let positions = session.check(archive)?;
    let first = positions
        .first()
        .and_then(|&p| archive.index().get(p))
        .expect("check gives at least one fragment");
    let tracks = timeline::packaged_tracks(&first.tracks, session.packaging())?;
    Ok((positions, tracks))
}
