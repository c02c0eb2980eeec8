//! GetClip (spec §1.4, §5.1, §6): a progressive MP4 of all tracks for a time range.

use std::collections::HashSet;

use bytes::Bytes;

use super::fmp4::track_info;
use super::samples::track_samples;
use crate::codec::{CodecConfig, CodecKind, G711Format, nal};
use crate::error::ApiError;
use crate::mkv::Fragment;
use crate::model::time::UnixMillis;
use crate::model::track::TrackInfo;
use crate::mp4::clip::{ClipInput, write};

/// The service's clip limits: the first 200 fragments or 100 MB, whichever comes first (spec §4.1).
pub const MAX_FRAGMENTS: usize = 200;
/// Choice: "100 MB" read as 100 MiB of fragment data (the fragments' bytes as stored), counted whole
/// fragments at a time (spec §9.12).
pub const MAX_BYTES: u64 = 100 * 1024 * 1024;
/// End − Start may be at most 24 h (spec §1.4).
const MAX_RANGE_MS: u64 = 24 * 3600 * 1000;

/// Which fragment timestamp selects fragments (ClipFragmentSelectorType).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorType {
    /// PRODUCER_TIMESTAMP.
    ProducerTimestamp,
    /// SERVER_TIMESTAMP.
    ServerTimestamp,
}

/// A GetClip request over an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipRequest {
    /// ClipFragmentSelectorType.
    pub selector: SelectorType,
    /// StartTimestamp: fragments starting at or after it (none: from the first).
    pub start: Option<UnixMillis>,
    /// EndTimestamp, inclusive, compared with fragment starts (none: to the last).
    pub end: Option<UnixMillis>,
    /// Lift the 200-fragment / 100 MB limits (the service cannot; we can).
    pub no_limits: bool,
}

/// The clip and what went into it.
#[derive(Debug, Clone)]
pub struct Clip {
    /// The MP4 as chunks: `[ftyp + moov + mdat header, sample, ...]`.
    pub chunks: Vec<Bytes>,
    /// Fragment numbers in the clip, in order.
    pub fragments: Vec<String>,
    /// Whether the limits cut the range short.
    pub truncated: bool,
}

impl Clip {
    /// Size of the MP4 in bytes.
    pub fn len(&self) -> u64 {
        self.chunks.iter().map(|c| c.len() as u64).sum()
    }

    /// Whether the clip has no bytes (never true for a clip that was made).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Makes a clip from the fragments of an archive, with the service's rules.
///
/// # Errors
/// InvalidArgumentException for a bad range, ResourceNotFoundException when no fragment matches,
/// UnsupportedStreamMediaTypeException for a track layout GetClip refuses, Missing/Invalid
/// CodecPrivateDataException, InvalidCodecPrivateDataException for a CPD change inside the clip,
/// InvalidMediaFrameException for a frame that is not length-prefixed NAL units.
pub fn get_clip(fragments: &[Fragment], request: &ClipRequest) -> Result<Clip, ApiError> {
    let selected = select(fragments, request)?;
    let (selected, truncated) = apply_limits(selected, request.no_limits);
    let first = selected.first().ok_or_else(|| ApiError::ResourceNotFound {
        message: "No fragments found in the stream for the clip request.".into(),
    })?;
    let tracks = check_tracks(first)?;
    for fragment in &selected {
        check_unchanged(first, fragment, &tracks)?;
        check_frames(fragment, &tracks)?;
    }
    let samples: Vec<_> = tracks
        .iter()
        .map(|t| track_samples(&selected, u64::from(t.track_id)))
        .collect();
    let mut chunks = Vec::new();
    let mut per_track: Vec<Vec<_>> = vec![Vec::new(); tracks.len()];
    for fragment_index in 0..selected.len() {
        for (track_index, track_samples) in samples.iter().enumerate() {
            let fragment_samples = &track_samples[fragment_index];
            if fragment_samples.is_empty() {
                continue;
            }
            let start = per_track[track_index].len();
            per_track[track_index].extend(fragment_samples.iter().cloned());
            chunks.push((track_index, start..per_track[track_index].len()));
        }
    }
    let input = ClipInput {
        tracks,
        samples: per_track,
        chunks,
    };
    Ok(Clip {
        chunks: write(&input)?,
        fragments: selected.iter().map(|f| f.number.to_string()).collect(),
        truncated,
    })
}

fn timestamp(fragment: &Fragment, selector: SelectorType) -> Option<UnixMillis> {
    match selector {
        SelectorType::ProducerTimestamp => fragment.producer_timestamp,
        SelectorType::ServerTimestamp => fragment.server_timestamp,
    }
}

/// Fragments whose start lies in [start, end], ordered by that start, producer duplicates removed.
fn select<'a>(
    fragments: &'a [Fragment],
    request: &ClipRequest,
) -> Result<Vec<&'a Fragment>, ApiError> {
    if let (Some(start), Some(end)) = (request.start, request.end) {
        if end <= start {
            return Err(ApiError::InvalidArgument {
                message: "EndTimestamp must be later than StartTimestamp.".into(),
            });
        }
        if end.0 - start.0 > MAX_RANGE_MS {
            return Err(ApiError::InvalidArgument {
                message: "EndTimestamp must be within 24 hours of StartTimestamp.".into(),
            });
        }
    }
    let mut selected: Vec<(UnixMillis, &Fragment)> = fragments
        .iter()
        .filter(|f| f.error.is_none() && !f.frames.is_empty())
        .filter_map(|f| timestamp(f, request.selector).map(|t| (t, f)))
        .filter(|(t, _)| {
            request.start.is_none_or(|s| *t >= s) && request.end.is_none_or(|e| *t <= e)
        })
        .collect();
    selected.sort_by(|(ta, a), (tb, b)| ta.cmp(tb).then_with(|| a.number.cmp(&b.number)));
    if request.selector == SelectorType::ProducerTimestamp {
        // Spec §1.4: producer-timestamp duplicates are deduplicated; the oldest ingested (smallest
        // fragment number, first after the sort) is kept.
        let mut seen = HashSet::new();
        selected.retain(|(t, _)| seen.insert(*t));
    }
    Ok(selected.into_iter().map(|(_, f)| f).collect())
}

/// The first 200 fragments or 100 MB, whole fragments only (spec §1.4 "truncation, not error").
fn apply_limits(selected: Vec<&Fragment>, no_limits: bool) -> (Vec<&Fragment>, bool) {
    if no_limits {
        return (selected, false);
    }
    let total = selected.len();
    let mut bytes = 0u64;
    let mut kept = Vec::new();
    for fragment in selected {
        bytes = bytes.saturating_add(fragment.size);
        if kept.len() == MAX_FRAGMENTS || (bytes > MAX_BYTES && !kept.is_empty()) {
            break;
        }
        kept.push(fragment);
    }
    let truncated = kept.len() < total;
    (kept, truncated)
}

/// GetClip's track matrix (spec §5.1): track 1 H.264 or H.265; an optional track 2: AAC, or G.711
/// A-law with H.264 only. Anything else is UnsupportedStreamMediaTypeException.
fn check_tracks(first: &Fragment) -> Result<Vec<TrackInfo>, ApiError> {
    let unsupported = |message: String| ApiError::UnsupportedMedia { message };
    let entries = &first.tracks.entries;
    if let Some(extra) = entries.iter().find(|t| t.number > 2) {
        return Err(unsupported(format!(
            "GetClip packages tracks 1 and 2 only; track {} is present",
            extra.number
        )));
    }
    let video = first
        .tracks
        .get(1)
        .ok_or_else(|| unsupported("GetClip needs a video track 1".into()))?;
    let video_kind = CodecKind::from_codec_id(&video.codec_id).filter(|k| k.is_video());
    if video_kind.is_none() {
        return Err(unsupported(format!(
            "track 1 has codec {}, GetClip needs H.264 or H.265",
            video.codec_id
        )));
    }
    let mut tracks = vec![track_info(video)?];
    if let Some(audio) = first.tracks.get(2) {
        let kind = CodecKind::from_codec_id(&audio.codec_id);
        if !matches!(kind, Some(CodecKind::Aac | CodecKind::G711)) {
            return Err(unsupported(format!(
                "track 2 has codec {}, GetClip accepts AAC or G.711 A-law",
                audio.codec_id
            )));
        }
        let audio = track_info(audio)?;
        match (&tracks[0].codec, &audio.codec) {
            (_, CodecConfig::Aac(_)) => {}
            (CodecConfig::Avc(_), CodecConfig::G711(wave)) if wave.format() == G711Format::ALaw => {
            }
            (video, CodecConfig::G711(wave)) => {
                return Err(unsupported(format!(
                    "GetClip does not package {} audio with {}",
                    if wave.format() == G711Format::ALaw {
                        "G.711 A-law"
                    } else {
                        "G.711 µ-law"
                    },
                    if video.kind() == CodecKind::Hevc {
                        "H.265"
                    } else {
                        "H.264"
                    }
                )));
            }
            _ => return Err(unsupported("track 2 is not audio".into())),
        }
        tracks.push(audio);
    }
    Ok(tracks)
}

/// GetClip forbids any codec or CPD change inside the clip (spec §6).
fn check_unchanged(
    first: &Fragment,
    fragment: &Fragment,
    tracks: &[TrackInfo],
) -> Result<(), ApiError> {
    if first.tracks.entries.len() != fragment.tracks.entries.len() {
        return Err(ApiError::UnsupportedMedia {
            message: format!("the set of tracks changes at fragment {}", fragment.number),
        });
    }
    for track in tracks {
        let number = u64::from(track.track_id);
        let (Some(before), Some(now)) = (first.tracks.get(number), fragment.tracks.get(number))
        else {
            return Err(ApiError::UnsupportedMedia {
                message: format!(
                    "track {number} is missing from fragment {}",
                    fragment.number
                ),
            });
        };
        if before.codec_id != now.codec_id {
            return Err(ApiError::UnsupportedMedia {
                message: format!(
                    "track {number} changes codec at fragment {}",
                    fragment.number
                ),
            });
        }
        if before.codec_private != now.codec_private {
            return Err(ApiError::CodecPrivateDataChange {
                track: number,
                fragment: fragment.number.to_string(),
            });
        }
    }
    Ok(())
}

/// H.264/H.265 frames must be length-prefixed NAL units (spec §5.2, §5.3).
fn check_frames(fragment: &Fragment, tracks: &[TrackInfo]) -> Result<(), ApiError> {
    for track in tracks {
        let length_size = match &track.codec {
            CodecConfig::Avc(avc) => avc.nal_length_size(),
            CodecConfig::Hevc(hevc) => hevc.nal_length_size(),
            _ => continue,
        };
        for frame in fragment
            .frames
            .iter()
            .filter(|f| f.track == u64::from(track.track_id))
        {
            nal::check_length_prefixed(&frame.data, length_size).map_err(|source| {
                ApiError::MediaFrame {
                    track: frame.track,
                    offset: frame.offset,
                    source,
                }
            })?;
        }
    }
    Ok(())
}
