//! `inspect`: what an archive holds, in ListFragments terms (spec §1.2), with each track's codec
//! private data checked the way the service checks it (spec §5), every frame's NAL framing checked
//! the way GetClip, HLS and DASH check it (spec §5.2), and every CPD change listed by the rule the
//! operations apply (spec §6).
//!
//! [`Inspector`] takes fragments one at a time as they are read and returns what each adds to the
//! report, so a caller prints rows as fragments arrive (a live stream) and memory stays bounded by
//! one fragment, not the input.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

use crate::codec::{CodecConfig, nal};
use crate::error::ApiError;
use crate::mkv::{Fragment, FragmentNumber, Reader, TrackEntry, Tracks};
use crate::time::UnixMillis;
use crate::timeline;

/// One track as the service would describe it.
#[derive(Debug, Clone)]
pub struct TrackReport {
    /// TrackNumber.
    pub track_number: u64,
    /// CodecID as stored.
    pub codec_id: String,
    /// RFC 6381 codec string, when the codec private data is valid.
    pub codec: Option<String>,
    /// Width in pixels: from the SPS when the CPD is valid, else PixelWidth.
    pub width: Option<u64>,
    /// Height in pixels: from the SPS when the CPD is valid, else PixelHeight.
    pub height: Option<u64>,
    /// Sample rate in Hz: from the CPD when valid, else SamplingFrequency.
    pub sample_rate: Option<u64>,
    /// Channels: from the CPD when valid, else Channels.
    pub channels: Option<u64>,
    /// The CPD check: `Ok` or the exception the service would raise (spec §5.3).
    pub codec_private_data: Result<(), ApiError>,
}

/// One fragment as ListFragments describes it (spec §1.2), plus frame counts per track.
#[derive(Debug, Clone)]
pub struct FragmentReport {
    /// FragmentNumber (synthetic for plain Matroska).
    pub fragment_number: FragmentNumber,
    /// ProducerTimestamp.
    pub producer_timestamp: Option<UnixMillis>,
    /// ServerTimestamp.
    pub server_timestamp: Option<UnixMillis>,
    /// FragmentSizeInBytes.
    pub fragment_size_in_bytes: u64,
    /// FragmentLengthInMilliseconds ([`timeline::fragment_length_millis`]).
    pub fragment_length_in_milliseconds: u64,
    /// Frames per track number.
    pub frames: BTreeMap<u64, u64>,
    /// What makes the fragment unusable: the in-band error code (e.g. `FRAGMENT_NOT_FOUND`), the
    /// exception that cut it short, or `InvalidMediaFrameException: …` for a frame GetClip, HLS
    /// and DASH would refuse.
    pub error: Option<String>,
}

/// A change of a track's codec or codec private data between consecutive fragments (spec §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpdChange {
    /// The first fragment with the new data.
    pub fragment_number: FragmentNumber,
    /// The track.
    pub track_number: u64,
    /// What changed.
    pub change: String,
}

/// What one fragment adds to the report, in the order to print it.
#[derive(Debug, Clone)]
pub struct Inspected {
    /// The tracks, with the first fragment (they head the report).
    pub tracks: Option<Vec<TrackReport>>,
    /// The fragment's row.
    pub fragment: FragmentReport,
    /// The CPD and track changes this fragment brings.
    pub changes: Vec<CpdChange>,
}

/// Builds the report one fragment at a time.
#[derive(Debug, Default)]
pub struct Inspector {
    previous_tracks: Option<Arc<Tracks>>,
    /// The tracks whose frames are checked, for the last `Tracks` seen.
    framing: Option<Framing>,
}

/// The H.264/H.265 tracks of one `Tracks` and their NAL length sizes.
#[derive(Debug)]
struct Framing {
    tracks: Arc<Tracks>,
    /// (TrackNumber, NAL length size).
    checked: Vec<(u64, u8)>,
}

impl Inspector {
    /// An empty report.
    pub fn new() -> Inspector {
        Inspector::default()
    }

    /// Adds a complete fragment.
    pub fn add(&mut self, fragment: &Fragment) -> Inspected {
        let error = match &fragment.error {
            Some(in_band) => Some(in_band.code.clone()),
            None => self.frame_error(fragment),
        };
        self.add_with_error(fragment, error)
    }

    /// Adds the fragment that damage cut short, with the frames read before the damage, marked
    /// with the damage's exception name.
    pub fn add_damaged(&mut self, error: &ApiError, partial: &Fragment) -> Inspected {
        self.add_with_error(partial, Some(error.code().to_owned()))
    }

    fn add_with_error(&mut self, fragment: &Fragment, error: Option<String>) -> Inspected {
        let mut tracks = None;
        let mut changes = Vec::new();
        match &self.previous_tracks {
            None => tracks = Some(fragment.tracks.entries.iter().map(track_report).collect()),
            // Error chunks have no Tracks: they change nothing, and the first real Tracks after
            // them add no tracks.
            Some(previous)
                if !Arc::ptr_eq(previous, &fragment.tracks)
                    && !fragment.tracks.entries.is_empty()
                    && !previous.entries.is_empty() =>
            {
                changes = timeline::changes(previous, &fragment.tracks)
                    .into_iter()
                    .map(|(track_number, change)| CpdChange {
                        fragment_number: fragment.number.clone(),
                        track_number,
                        change: change.to_string(),
                    })
                    .collect();
            }
            Some(_) => {}
        }
        // Keep comparing against the last real Tracks.
        if !fragment.tracks.entries.is_empty() || self.previous_tracks.is_none() {
            self.previous_tracks = Some(Arc::clone(&fragment.tracks));
        }
        let mut frames = BTreeMap::new();
        for frame in &fragment.frames {
            *frames.entry(frame.track).or_insert(0) += 1;
        }
        Inspected {
            tracks,
            fragment: FragmentReport {
                fragment_number: fragment.number.clone(),
                producer_timestamp: fragment.producer_timestamp,
                server_timestamp: fragment.server_timestamp,
                fragment_size_in_bytes: fragment.size,
                fragment_length_in_milliseconds: fragment
                    .summary
                    .as_ref()
                    .map_or(0, timeline::fragment_length_millis),
                frames,
                error,
            },
            changes,
        }
    }

    /// The first frame GetClip, HLS and DASH would refuse: one that is not length-prefixed NAL
    /// units of its track's length size (spec §5.2). Only the length prefixes are walked.
    fn frame_error(&mut self, fragment: &Fragment) -> Option<String> {
        let stale = self
            .framing
            .as_ref()
            .is_none_or(|framing| !Arc::ptr_eq(&framing.tracks, &fragment.tracks));
        if stale {
            let checked = fragment
                .tracks
                .entries
                .iter()
                .filter_map(
                    |t| match CodecConfig::parse(&t.codec_id, t.codec_private.as_ref()) {
                        Ok(CodecConfig::Avc(avc)) => Some((t.number, avc.nal_length_size())),
                        Ok(CodecConfig::Hevc(hevc)) => Some((t.number, hevc.nal_length_size())),
                        _ => None,
                    },
                )
                .collect();
            self.framing = Some(Framing {
                tracks: Arc::clone(&fragment.tracks),
                checked,
            });
        }
        let checked = &self.framing.as_ref()?.checked;
        fragment.frames.iter().find_map(|frame| {
            let (_, length_size) = checked.iter().find(|(n, _)| *n == frame.track)?;
            nal::check_length_prefixed(&frame.data, *length_size)
                .err()
                .map(|source| {
                    ApiError::MediaFrame {
                        track: frame.track,
                        offset: frame.offset,
                        source,
                    }
                    .to_string()
                })
        })
    }
}

/// The whole report of one input held in memory: every fragment row, the tracks of the first
/// fragment, every CPD change, and the damage that ended reading, if any.
#[derive(Debug, Default)]
pub struct Inspection {
    /// Tracks of the first fragment.
    pub tracks: Vec<TrackReport>,
    /// Fragments in input order (the damaged one last, with the frames read before the damage).
    pub fragments: Vec<FragmentReport>,
    /// CPD and track changes in input order.
    pub codec_private_data_changes: Vec<CpdChange>,
    /// The damage that stopped reading, if any.
    pub error: Option<ApiError>,
}

/// Inspects a whole input in memory (a GetMedia response). For inputs too large to hold a row per
/// fragment, or arriving live, feed an [`Inspector`] fragment by fragment instead.
///
/// # Examples
/// ```
/// let bytes = std::fs::read("testdata/sample/kinesis_video_renderer_example_output.mkv")?;
/// let report = kvs_remux::inspect(bytes::Bytes::from(bytes));
/// assert_eq!(report.fragments.len(), 8);
/// assert_eq!(report.tracks[0].codec.as_deref(), Some("avc1.640028"));
/// assert!(report.error.is_none());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn inspect(input: Bytes) -> Inspection {
    let mut inspector = Inspector::new();
    let mut report = Inspection::default();
    let take = |inspected: Inspected, report: &mut Inspection| {
        if let Some(tracks) = inspected.tracks {
            report.tracks = tracks;
        }
        report.fragments.push(inspected.fragment);
        report.codec_private_data_changes.extend(inspected.changes);
    };
    let mut reader = Reader::new(input);
    while let Some(next) = reader.next() {
        match next {
            Ok(fragment) => take(inspector.add(&fragment), &mut report),
            Err(error) => {
                let error = ApiError::from(error);
                if let Some(partial) = reader.partial() {
                    take(inspector.add_damaged(&error, &partial), &mut report);
                }
                report.error = Some(error);
            }
        }
    }
    report
}

/// Describes one track, validating its CPD as GetClip/HLS/DASH would (spec §5).
pub fn track_report(track: &TrackEntry) -> TrackReport {
    let config = CodecConfig::parse(&track.codec_id, track.codec_private.as_ref());
    let video = track.video;
    let audio = track.audio;
    let mut report = TrackReport {
        track_number: track.number,
        codec_id: track.codec_id.clone(),
        codec: None,
        width: video.map(|v| v.pixel_width),
        height: video.map(|v| v.pixel_height),
        // Choice: SamplingFrequency is a float in Matroska; reports use whole Hz as ffprobe does.
        sample_rate: audio.map(|a| a.sampling_frequency.round() as u64),
        channels: audio.map(|a| a.channels),
        codec_private_data: Ok(()),
    };
    match config {
        Ok(config) => {
            report.codec = Some(config.codec_string());
            report.width = config.width().map(u64::from).or(report.width);
            report.height = config.height().map(u64::from).or(report.height);
            report.sample_rate = config.sample_rate().map(u64::from).or(report.sample_rate);
            report.channels = config.channels().map(u64::from).or(report.channels);
        }
        Err(error) => {
            report.codec_private_data = Err(ApiError::Codec {
                track: track.number,
                source: error,
            })
        }
    }
    report
}
