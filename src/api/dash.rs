//! DASH (spec §1.6, §1.8, §8.4): GetDASHStreamingSessionURL, a session over a stream as a URL
//! whose SessionToken carries it, and the MPD behind it (GetDASHManifest) for a session or a
//! static export. The segments it names are GetMP4InitFragment and GetMP4MediaFragment
//! ([`super::fmp4`]).

use serde::{Deserialize, Serialize};

use crate::archive::Archive;
use crate::error::ApiError;
use crate::manifest::{
    self,
    dash::{AdaptationSet, Mpd, Period, TimelineSegment},
};
use crate::session::{
    self, Display, PlaybackMode, Protocol, Session, SessionKey, SessionRequest,
    StreamingFragmentSelector,
};
use crate::time::{Nanos, UnixMillis};
use crate::timeline;

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
    Ok(GetDashStreamingSessionUrlOutput {
        dash_streaming_session_url: session::session_url(
            archive,
            stream,
            (&input.session_request(), Protocol::Dash),
            key,
            now,
            endpoint,
        )?,
    })
}

/// Where an MPD's URLs point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links<'a> {
    /// The player actions, relative to `/dash/v1/`, with the session's token (spec §1.8).
    Session {
        /// The SessionToken.
        token: &'a str,
    },
    /// The files of a static export: `track<N>/init.mp4` (`init-<K>.mp4` for a track's K-th
    /// codec configuration) and `track<N>/<Number>.m4s`, numbered per track from 1.
    Files {
        /// Beyond the service (`export-dash --split-on-cpd-change`): where a track's codec private
        /// data changes, a new Period with its own initialization instead of the service's error.
        split_on_cpd_change: bool,
    },
}

impl Links<'_> {
    /// The SegmentTemplate's `initialization` and `media` of `track` in configuration `epoch`.
    fn template(self, track: u64, epoch: usize) -> (String, String) {
        match self {
            Links::Session { token } => (
                format!("getMP4InitFragment.mp4?SessionToken={token}&TrackNumber={track}"),
                format!(
                    "getMP4MediaFragment.mp4?FragmentNumber=$Number$&SessionToken={token}&TrackNumber={track}"
                ),
            ),
            Links::Files { .. } => (
                match epoch {
                    0 => format!("track{track}/init.mp4"),
                    k => format!("track{track}/init-{k}.mp4"),
                },
                format!("track{track}/$Number$.m4s"),
            ),
        }
    }

    /// Whether a codec private data change starts a Period instead of failing.
    fn split_on_cpd_change(self) -> bool {
        matches!(
            self,
            Links::Files {
                split_on_cpd_change: true
            }
        )
    }
}

/// GetDASHManifest (spec §1.8, §8.4): an MPD of the session, one AdaptationSet per track (video
/// first) whose SegmentTimeline has one `S` per fragment with samples of the track, in the
/// track's timescale, at the segments' own decode times (`presentationTimeOffset` the first), so
/// the MPD and the segments' `tfdt` agree; `$Number$` counts a track's segments from 1.
/// `kvs:fn` / `kvs:ts` as DisplayFragmentNumber / DisplayFragmentTimestamp say.
///
/// Choice: the service rewrites its timeline to be gap-free (spec §1.6); here a gap between
/// fragments stays a gap in the timeline, as it is in the segments' decode times.
///
/// Beyond the service, with [`Links::Files`] `split_on_cpd_change`: a Period starts at each
/// fragment where some track's configuration changes (its `start` the offset of its earliest
/// segment from the presentation's, to the ms), its AdaptationSets described by that fragment's
/// tracks, `startNumber` continuing each track's numbering.
///
/// # Errors
/// InvalidCodecPrivateDataException where a track's codec private data changes (DASH forbids it,
/// spec §6) and the MPD is not split; the layout and codec checks of session creation; reading a
/// fragment fails.
pub fn get_dash_manifest(
    archive: &Archive,
    session: &Session,
    links: Links<'_>,
) -> Result<String, ApiError> {
    let positions = session.check(archive)?;
    let index = archive.index();
    let first = index
        .get(positions[0])
        .expect("check gives at least one fragment");
    let packaging = session.packaging();
    let mut tracks = Vec::new();
    for track in timeline::packaged_tracks(&first.tracks, packaging)? {
        let number = u64::from(track.track_id);
        let timings = timeline::segment_timings(archive, &positions, number)?;
        if let Some(changed) = timings.iter().find(|t| t.epoch > 0)
            && !links.split_on_cpd_change()
        {
            let fragment = index.get(changed.position).expect("indexed");
            return Err(ApiError::CodecPrivateDataChange {
                track: number,
                fragment: fragment.number.to_string(),
                change: "DASH sessions keep one codec private data per track".into(),
            });
        }
        tracks.push((number, timings));
    }
    // Periods begin at the session's first fragment and at every configuration change.
    let mut period_starts: Vec<usize> = tracks
        .iter()
        .flat_map(|(_, timings)| {
            timings
                .windows(2)
                .filter(|pair| pair[0].epoch != pair[1].epoch)
                .map(|pair| pair[1].index)
        })
        .chain([0])
        .collect();
    period_starts.sort_unstable();
    period_starts.dedup();
    let origin = tracks
        .iter()
        .filter_map(|(_, timings)| timings.first().map(|t| t.start))
        .min();
    let mut duration_ms = 0u64;
    for (_, timings) in &tracks {
        if let (Some(a), Some(b)) = (timings.first(), timings.last()) {
            let end = b.start.checked_add(b.duration).unwrap_or(b.start);
            duration_ms = duration_ms.max(end.abs_diff(a.start) / 1_000_000);
        }
    }
    let mut periods = Vec::with_capacity(period_starts.len());
    for (k, &from) in period_starts.iter().enumerate() {
        let to = period_starts.get(k + 1).copied().unwrap_or(usize::MAX);
        let described = index
            .get(positions[from])
            .expect("period starts are session indexes");
        let mut sets = Vec::with_capacity(tracks.len());
        let mut period_start = None;
        for track in timeline::packaged_tracks(&described.tracks, packaging)? {
            let number = u64::from(track.track_id);
            let Some((_, timings)) = tracks.iter().find(|(n, _)| *n == number) else {
                continue;
            };
            let before = timings.iter().take_while(|t| t.index < from).count();
            let segments = &timings[before..];
            let segments = &segments[..segments.iter().take_while(|t| t.index < to).count()];
            let Some(head) = segments.first() else {
                continue;
            };
            period_start =
                Some(period_start.map_or(head.start, |start: Nanos| start.min(head.start)));
            let timescale = track.timescale;
            let ticks = |ns: Nanos| u64::try_from(timescale.ticks(i128::from(ns.0))).unwrap_or(0);
            let bandwidth = segments
                .iter()
                .filter(|t| t.duration > Nanos::ZERO)
                .map(|t| (t.bytes as f64 * 8e9 / t.duration.0 as f64).round() as u64)
                .max()
                .unwrap_or(0);
            let (initialization, media) = links.template(number, head.epoch);
            sets.push(AdaptationSet {
                content_type: if track.is_video() { "video" } else { "audio" },
                codecs: track.codec.codec_string(),
                bandwidth,
                size: track.codec.width().zip(track.codec.height()),
                sample_rate: track.codec.sample_rate(),
                timescale: timescale.get(),
                presentation_time_offset: ticks(head.start),
                initialization,
                media,
                start_number: u64::try_from(before).map_or(u64::MAX, |n| n.saturating_add(1)),
                segments: segments
                    .iter()
                    .map(|t| {
                        let fragment = index.get(t.position).expect("indexed");
                        TimelineSegment {
                            start: ticks(t.start),
                            duration: ticks(t.duration),
                            fragment_number: (session.display_fragment_number == Display::Always)
                                .then(|| fragment.number.to_string()),
                            timestamp: (session.display_fragment_timestamp == Display::Always)
                                .then(|| fragment.timestamp(session.selector_type))
                                .flatten(),
                        }
                    })
                    .collect(),
            });
        }
        periods.push(Period {
            start_ms: period_start
                .zip(origin)
                .map_or(0, |(start, origin)| start.abs_diff(origin) / 1_000_000),
            adaptation_sets: sets,
        });
    }
    Ok(manifest::dash::mpd(&Mpd {
        dynamic: session.playback_mode != PlaybackMode::OnDemand,
        availability_start: first
            .timestamp(session.selector_type)
            .unwrap_or(UnixMillis(0)),
        duration_ms,
        periods,
    }))
}
