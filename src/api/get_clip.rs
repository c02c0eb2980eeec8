//! GetClip (spec §1.4, §5.1, §6): a progressive MP4 of all tracks for a time range.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::archive::{Archive, IndexedFragment, Selection, TimestampKind};
use crate::codec::{CodecConfig, nal};
use crate::error::ApiError;
use crate::mkv::{Fragment, Tracks};
use crate::model::track::TrackInfo;
use crate::mp4::clip::ClipBuilder;
use crate::shapes::TimestampRange;
use crate::time::UnixMillis;
use crate::timeline::{self, GapFree, Packaging, TrackChange, Walk};

/// The service's clip limits: the first 200 fragments or 100 MB, whichever comes first (spec §4.1).
pub const MAX_FRAGMENTS: usize = 200;
/// Choice: "100 MB" read as 100 MiB of fragment data (the fragments' bytes as stored), counted whole
/// fragments at a time (spec §9.12).
pub const MAX_BYTES: u64 = 100 * 1024 * 1024;
/// End − Start may be at most 24 h (spec §1.4).
const MAX_RANGE_MS: u64 = 24 * 3600 * 1000;

/// The clip's content type (spec §9.12).
pub const CONTENT_TYPE: &str = "video/mp4";

/// Which fragment timestamp selects fragments (ClipFragmentSelectorType).
pub type SelectorType = TimestampKind;

/// The GetClip request (spec §1.4), as the service's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GetClipInput {
    /// StreamName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_name: Option<String>,
    /// StreamARN.
    #[serde(default, rename = "StreamARN", skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    /// ClipFragmentSelector.
    pub clip_fragment_selector: ClipFragmentSelector,
}

/// ClipFragmentSelector (spec §1.4): both timestamps are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ClipFragmentSelector {
    /// FragmentSelectorType.
    pub fragment_selector_type: SelectorType,
    /// TimestampRange.
    pub timestamp_range: TimestampRange,
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

impl ClipRequest {
    /// The request GetClip's `input` makes: its selector and range, with the service's limits.
    pub fn from_input(input: &GetClipInput) -> ClipRequest {
        let selector = input.clip_fragment_selector;
        ClipRequest {
            selector: selector.fragment_selector_type,
            start: Some(selector.timestamp_range.start_timestamp),
            end: Some(selector.timestamp_range.end_timestamp),
            no_limits: false,
        }
    }
}

/// The clip and what went into it.
#[derive(Debug, Clone)]
pub struct Clip {
    /// The MP4 as chunks: `[ftyp + moov + mdat header, sample, ...]`.
    pub chunks: Vec<Bytes>,
    /// The fragments in the clip (positions in the archive's index), in clip order.
    pub fragments: Vec<usize>,
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

/// GetClip: a clip of the fragments `request` selects, with the service's rules.
///
/// # Errors
/// InvalidArgumentException for a bad range, ResourceNotFoundException when no fragment matches,
/// UnsupportedStreamMediaTypeException for a track layout GetClip refuses, Missing/Invalid
/// CodecPrivateDataException, InvalidCodecPrivateDataException for a CPD change inside the clip,
/// InvalidMediaFrameException for a frame that is not length-prefixed NAL units.
pub fn get_clip(archive: &Archive, request: &ClipRequest) -> Result<Clip, ApiError> {
    let (selected, truncated) = clip_fragments(archive, request)?;
    let index = archive.index();
    let first = index
        .get(selected[0])
        .expect("clip_fragments gives one at least");
    let tracks = timeline::packaged_tracks(&first.tracks, Packaging::Clip)?;
    for fragment in selected.iter().filter_map(|&p| index.get(p)) {
        check_unchanged(&first.tracks, fragment, &tracks)?;
    }
    Ok(Clip {
        chunks: clip_chunks(archive, &selected, tracks)?,
        fragments: selected,
        truncated,
    })
}

/// GetClip beyond the service (`get-clip --split-on-cpd-change`): where the service refuses a
/// clip whose codec private data changes (spec §6), one clip per configuration, in order, each
/// checked as [`get_clip`] checks a clip. The limits apply to all of them together.
///
/// # Errors
/// As [`get_clip`], except a change of codec private data.
pub fn get_clips_by_configuration(
    archive: &Archive,
    request: &ClipRequest,
) -> Result<Vec<Clip>, ApiError> {
    let (selected, truncated) = clip_fragments(archive, request)?;
    let index = archive.index();
    let mut groups: Vec<(Vec<usize>, Vec<TrackInfo>)> = Vec::new();
    for &position in &selected {
        let fragment = index.get(position).expect("selected from this index");
        if let Some((group, tracks)) = groups.last_mut() {
            let first = index.get(group[0]).expect("selected from this index");
            match check_unchanged(&first.tracks, fragment, tracks) {
                Ok(()) => {
                    group.push(position);
                    continue;
                }
                Err(ApiError::CodecPrivateDataChange { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        let tracks = timeline::packaged_tracks(&fragment.tracks, Packaging::Clip)?;
        groups.push((vec![position], tracks));
    }
    groups
        .into_iter()
        .map(|(group, tracks)| {
            Ok(Clip {
                chunks: clip_chunks(archive, &group, tracks)?,
                fragments: group,
                truncated,
            })
        })
        .collect()
}

/// The fragments a clip request selects, within the service's limits (and whether they cut it).
///
/// # Errors
/// InvalidArgumentException for a bad range; ResourceNotFoundException when none matches.
fn clip_fragments(
    archive: &Archive,
    request: &ClipRequest,
) -> Result<(Vec<usize>, bool), ApiError> {
    check_range(request)?;
    let selected = archive.index().select(&Selection {
        kind: request.selector,
        start: request.start,
        end: request.end,
    });
    let (selected, truncated) = apply_limits(archive, selected, request.no_limits);
    if selected.is_empty() {
        return Err(ApiError::ResourceNotFound {
            message: "No fragments found in the stream for the clip request.".into(),
        });
    }
    Ok((selected, truncated))
}

/// End after Start and within 24 h of it (spec §1.4).
fn check_range(request: &ClipRequest) -> Result<(), ApiError> {
    if let (Some(start), Some(end)) = (request.start, request.end) {
        if end <= start {
            return Err(ApiError::InvalidArgument {
                message: "EndTimestamp must be later than StartTimestamp.".into(),
            });
        }
        if start.millis_until(end).is_some_and(|ms| ms > MAX_RANGE_MS) {
            return Err(ApiError::InvalidArgument {
                message: "EndTimestamp must be within 24 hours of StartTimestamp.".into(),
            });
        }
    }
    Ok(())
}

/// Reads the selected fragments in order (each once, with their neighbours) into the clip: per
/// fragment and track one chunk, the fragments placed on a gap-free timeline.
fn clip_chunks(
    archive: &Archive,
    selected: &[usize],
    tracks: Vec<TrackInfo>,
) -> Result<Vec<Bytes>, ApiError> {
    let numbers: Vec<u64> = tracks.iter().map(|t| u64::from(t.track_id)).collect();
    let mut clip = ClipBuilder::new(tracks);
    let mut timeline = GapFree::new();
    let mut walk = Walk::new(archive, selected.to_vec());
    while let Some((_, window)) = walk.next_window()? {
        check_frames(window.current, clip.tracks())?;
        let mut fragment = numbers
            .iter()
            .map(|&number| timeline::samples(&window, number))
            .collect::<Result<Vec<_>, _>>()?;
        timeline.place(&mut fragment, window.current.offset)?;
        for (index, samples) in fragment.iter().enumerate() {
            clip.push(index, samples)?;
        }
    }
    Ok(clip.finish()?)
}

/// The first 200 fragments or 100 MB, whole fragments only (spec §1.4 "truncation, not error").
fn apply_limits(archive: &Archive, selected: Vec<usize>, no_limits: bool) -> (Vec<usize>, bool) {
    if no_limits {
        return (selected, false);
    }
    let total = selected.len();
    let mut bytes = 0u64;
    let mut kept = Vec::new();
    for position in selected {
        let size = archive.index().get(position).map_or(0, |f| f.size);
        bytes = bytes.saturating_add(size);
        if kept.len() == MAX_FRAGMENTS || (bytes > MAX_BYTES && !kept.is_empty()) {
            break;
        }
        kept.push(position);
    }
    let truncated = kept.len() < total;
    (kept, truncated)
}

/// GetClip forbids any codec or CPD change inside the clip (spec §6), by the one rule of
/// [`timeline::track_change`].
fn check_unchanged(
    first: &Tracks,
    fragment: &IndexedFragment,
    tracks: &[TrackInfo],
) -> Result<(), ApiError> {
    if first.entries.len() != fragment.tracks.entries.len() {
        return Err(ApiError::UnsupportedMedia {
            message: format!("the set of tracks changes at fragment {}", fragment.number),
        });
    }
    for track in tracks {
        let number = u64::from(track.track_id);
        match timeline::track_change(first.get(number), fragment.tracks.get(number)) {
            None => {}
            Some(TrackChange::Removed | TrackChange::Added) => {
                return Err(ApiError::UnsupportedMedia {
                    message: format!(
                        "track {number} is missing from fragment {}",
                        fragment.number
                    ),
                });
            }
            Some(TrackChange::Codec { .. }) => {
                return Err(ApiError::UnsupportedMedia {
                    message: format!(
                        "track {number} changes codec at fragment {}",
                        fragment.number
                    ),
                });
            }
            Some(change @ TrackChange::CodecPrivateData(_)) => {
                return Err(ApiError::CodecPrivateDataChange {
                    track: number,
                    fragment: fragment.number.to_string(),
                    change: change.to_string(),
                });
            }
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
            CodecConfig::Aac(_) | CodecConfig::G711(_) => continue,
        };
        for frame in fragment.frames_of(u64::from(track.track_id)) {
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
