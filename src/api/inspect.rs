//! `inspect`: what an archive holds, in ListFragments terms (spec §1.2), with each track's codec
//! private data checked the way the service checks it (spec §5) and every CPD change listed (spec §6).
//!
//! Fragments are folded in one at a time, so memory stays bounded by the report, not the input.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::codec::{self, CodecConfig};
use crate::error::ApiError;
use crate::mkv::{Fragment, TrackEntry, Tracks};
use crate::model::time::UnixMillis;

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
    pub fragment_number: String,
    /// ProducerTimestamp.
    pub producer_timestamp: Option<UnixMillis>,
    /// ServerTimestamp.
    pub server_timestamp: Option<UnixMillis>,
    /// FragmentSizeInBytes.
    pub fragment_size_in_bytes: u64,
    /// FragmentLengthInMilliseconds: last frame time − first frame time (spec §9.2).
    pub fragment_length_in_milliseconds: u64,
    /// Frames per track number.
    pub frames: BTreeMap<u64, u64>,
    /// The in-band error code (e.g. `FRAGMENT_NOT_FOUND`), or the exception that cut this fragment short.
    pub error: Option<String>,
}

/// A change of a track's codec or codec private data between consecutive fragments (spec §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpdChange {
    /// The first fragment with the new data.
    pub fragment_number: String,
    /// The track.
    pub track_number: u64,
    /// What changed.
    pub change: String,
}

/// The whole report.
#[derive(Debug, Default)]
pub struct Inspection {
    /// Tracks of the first fragment.
    pub tracks: Vec<TrackReport>,
    /// Fragments in input order.
    pub fragments: Vec<FragmentReport>,
    /// CPD and track changes in input order.
    pub codec_private_data_changes: Vec<CpdChange>,
    /// The error that stopped reading, if any; the fragments before it are complete.
    pub error: Option<ApiError>,
}

/// Builds an [`Inspection`] from fragments as they are read.
#[derive(Debug, Default)]
pub struct Inspector {
    report: Inspection,
    previous_tracks: Option<Arc<Tracks>>,
}

impl Inspector {
    /// An empty report.
    pub fn new() -> Inspector {
        Inspector::default()
    }

    /// Adds a complete fragment.
    pub fn add(&mut self, fragment: &Fragment) {
        self.add_with_error(fragment, fragment.error.as_ref().map(|e| e.code.clone()));
    }

    /// Records the error that stopped reading, with the damaged fragment's complete frames if any.
    pub fn fail(&mut self, error: ApiError, partial: Option<&Fragment>) {
        if let Some(fragment) = partial {
            self.add_with_error(fragment, Some(error.code().to_owned()));
        }
        self.report.error = Some(error);
    }

    /// The finished report.
    pub fn finish(self) -> Inspection {
        self.report
    }

    fn add_with_error(&mut self, fragment: &Fragment, error: Option<String>) {
        let number = fragment.number.as_str().to_owned();
        match &self.previous_tracks {
            None => self.report.tracks = fragment.tracks.entries.iter().map(track_report).collect(),
            // Error chunks have no Tracks: they change nothing.
            Some(previous)
                if !Arc::ptr_eq(previous, &fragment.tracks)
                    && !fragment.tracks.entries.is_empty() =>
            {
                let changes = track_changes(previous, &fragment.tracks);
                self.report
                    .codec_private_data_changes
                    .extend(changes.into_iter().map(|(track_number, change)| CpdChange {
                        fragment_number: number.clone(),
                        track_number,
                        change,
                    }));
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
        let first = fragment.frames.iter().map(|f| f.pts).min();
        let last = fragment.frames.iter().map(|f| f.pts).max();
        let length_ns = first
            .zip(last)
            .map_or(0, |(first, last)| last.abs_diff(first));
        self.report.fragments.push(FragmentReport {
            fragment_number: number,
            producer_timestamp: fragment.producer_timestamp,
            server_timestamp: fragment.server_timestamp,
            fragment_size_in_bytes: fragment.size,
            fragment_length_in_milliseconds: length_ns / 1_000_000,
            frames,
            error,
        });
    }
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

/// What changed per track between two Tracks elements: codec, CPD, or the track itself.
fn track_changes(previous: &Tracks, next: &Tracks) -> Vec<(u64, String)> {
    let mut changes = Vec::new();
    for track in &previous.entries {
        if next.get(track.number).is_none() {
            changes.push((track.number, "track removed".to_owned()));
        }
    }
    for track in &next.entries {
        let Some(before) = previous.get(track.number) else {
            changes.push((track.number, "track added".to_owned()));
            continue;
        };
        if before.codec_id != track.codec_id {
            changes.push((
                track.number,
                format!("codec {} -> {}", before.codec_id, track.codec_id),
            ));
            continue;
        }
        if before.codec_private == track.codec_private {
            continue;
        }
        let parsed = (
            CodecConfig::parse(&before.codec_id, before.codec_private.as_ref()),
            CodecConfig::parse(&track.codec_id, track.codec_private.as_ref()),
        );
        let change = match parsed {
            (Ok(a), Ok(b)) => match codec::compare(&a, &b) {
                Some(change) => change.to_string(),
                None => continue,
            },
            _ => "codec private data".to_owned(),
        };
        changes.push((track.number, change));
    }
    changes
}
