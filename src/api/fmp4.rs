//! fMP4 per track: GetMP4InitFragment and GetMP4MediaFragment (spec §1.8, §8.5), and the export of a
//! whole archive as `track<N>/init.mp4` + `track<N>/<FragmentNumber>.m4s`.

use bytes::Bytes;

use super::archive::{media_fragments, track_numbers};
use super::samples::track_samples;
use crate::codec::CodecConfig;
use crate::error::ApiError;
use crate::mkv::{Fragment, TrackEntry};
use crate::model::track::TrackInfo;
use crate::mp4;

/// The writer's view of a Matroska track: its CPD validated as the service does (spec §5.3).
///
/// # Errors
/// Missing, invalid or unsupported codec private data, under the service's names.
pub fn track_info(entry: &TrackEntry) -> Result<TrackInfo, ApiError> {
    let codec =
        CodecConfig::parse(&entry.codec_id, entry.codec_private.as_ref()).map_err(|source| {
            ApiError::Codec {
                track: entry.number,
                source,
            }
        })?;
    let id = u32::try_from(entry.number).map_err(|_| ApiError::InvalidArgument {
        message: format!("track number {} is too large for MP4", entry.number),
    })?;
    Ok(TrackInfo::new(
        id,
        codec,
        entry.codec_private.clone().unwrap_or_default(),
    ))
}

/// The origin (ns) of the media timeline: 0 (the Unix epoch) for KVS fragments; for plain Matroska,
/// whose own timeline may start with negative decode times (B-frames), early enough that none is negative.
pub fn timeline_origin(fragments: &[&Fragment]) -> i64 {
    if fragments.iter().all(|f| !f.synthetic) {
        return 0;
    }
    let earliest = fragments
        .iter()
        .flat_map(|f| f.frames.iter().map(|fr| fr.pts))
        .min()
        .unwrap_or(0);
    // Choice: one second of headroom below the first frame covers any reorder delay (≤ 16 frames).
    earliest.min(0) - 1_000_000_000
}

/// GetMP4InitFragment: ftyp + moov for track `track` as `fragment` describes it (spec §1.8, §8.5).
///
/// # Errors
/// ResourceNotFoundException when the fragment has no such track; the CPD checks of [`track_info`].
pub fn get_mp4_init_fragment(fragment: &Fragment, track: u64) -> Result<Bytes, ApiError> {
    let entry = fragment
        .tracks
        .get(track)
        .ok_or_else(|| ApiError::ResourceNotFound {
            message: format!("fragment {} has no track {track}", fragment.number),
        })?;
    Ok(mp4::init::init_segment(std::slice::from_ref(&track_info(
        entry,
    )?))?)
}

/// GetMP4MediaFragment: moof + mdat of track `track` in fragment `index` of a session's media
/// `fragments` (spec §1.8, §8.5), as chunks. The neighbouring fragments continue reordered decode
/// times and end the last sample, so the segment equals the one [`export`] writes for it; mfhd's
/// sequence number is `index + 1`.
///
/// # Errors
/// ResourceNotFoundException when `index` is past the session or the fragment has no samples of the
/// track; the CPD checks of [`track_info`]; a time the writer cannot express.
pub fn get_mp4_media_fragment(
    fragments: &[&Fragment],
    index: usize,
    track: u64,
) -> Result<Vec<Bytes>, ApiError> {
    let not_found = || ApiError::ResourceNotFound {
        message: format!("no fragment {index} with track {track} in the session"),
    };
    let fragment = fragments.get(index).ok_or_else(not_found)?;
    let entry = fragment.tracks.get(track).ok_or_else(not_found)?;
    let first = index.saturating_sub(1);
    let window = fragments
        .get(first..=(index + 1).min(fragments.len() - 1))
        .unwrap_or_default();
    let samples = track_samples(window, track)
        .into_iter()
        .nth(index - first)
        .unwrap_or_default();
    if samples.is_empty() {
        return Err(not_found());
    }
    let sequence = u32::try_from(index + 1).map_err(|_| ApiError::InvalidArgument {
        message: format!("fragment index {index} is too large"),
    })?;
    Ok(mp4::fragment::media_segment(
        &track_info(entry)?,
        &samples,
        sequence,
        timeline_origin(fragments),
    )?)
}

/// One configuration of a track: its init segment and the media segments that use it.
#[derive(Debug, Clone)]
pub struct InitEpoch {
    /// The fragment where this configuration starts; `None` for the first.
    pub starts_at: Option<String>,
    /// The track as this configuration describes it.
    pub track: TrackInfo,
    /// ftyp + moov.
    pub init: Bytes,
    /// (fragment number, chunks of moof + mdat) in fragment order.
    pub segments: Vec<(String, Vec<Bytes>)>,
}

/// One track of an archive as fMP4: a new init segment wherever the codec private data changes
/// (as HLS allows, spec §6), each followed by the media segments it describes.
#[derive(Debug, Clone)]
pub struct TrackExport {
    /// Matroska TrackNumber.
    pub track_number: u64,
    /// Configurations in fragment order.
    pub epochs: Vec<InitEpoch>,
}

/// Exports every track of `fragments` as fMP4; media segments are numbered 1, 2, … per track (mfhd).
///
/// # Errors
/// A track whose CPD is missing, invalid or unsupported (in any configuration), or a time the writer
/// cannot express.
pub fn export(fragments: &[Fragment]) -> Result<Vec<TrackExport>, ApiError> {
    let media = media_fragments(fragments);
    let origin = timeline_origin(&media);
    let numbers = track_numbers(&media);
    let mut exports = Vec::with_capacity(numbers.len());
    for number in numbers {
        let mut epochs: Vec<InitEpoch> = Vec::new();
        let mut current: Option<&TrackEntry> = None;
        for (sequence, (fragment, samples)) in
            (1u32..).zip(media.iter().zip(track_samples(&media, number)))
        {
            let Some(entry) = fragment.tracks.get(number) else {
                continue;
            };
            if samples.is_empty() {
                continue;
            }
            let changed = current.is_none_or(|c| {
                c.codec_id != entry.codec_id || c.codec_private != entry.codec_private
            });
            if changed {
                let track = track_info(entry)?;
                let init = mp4::init::init_segment(std::slice::from_ref(&track))?;
                let starts_at = current.map(|_| fragment.number.to_string());
                epochs.push(InitEpoch {
                    starts_at,
                    track,
                    init,
                    segments: Vec::new(),
                });
                current = Some(entry);
            }
            let epoch = epochs.last_mut().expect("pushed above");
            let segment = mp4::fragment::media_segment(&epoch.track, &samples, sequence, origin)?;
            epoch.segments.push((fragment.number.to_string(), segment));
        }
        exports.push(TrackExport {
            track_number: number,
            epochs,
        });
    }
    Ok(exports)
}
