//! MPEG-TS: GetTSFragment, one chunk per fragment with every track muxed (spec §1.8, §5.1, §8.3),
//! and the export of an archive as one `<FragmentNumber>.ts` per fragment.

use bytes::Bytes;

use super::archive::{media_fragments, track_numbers};
use super::fmp4::{timeline_origin, track_info};
use super::samples::track_samples;
use crate::codec::CodecKind;
use crate::error::ApiError;
use crate::mkv::Fragment;
use crate::model::sample::Sample;
use crate::model::track::TrackInfo;
use crate::ts;

pub use crate::ts::Options as TsOptions;

/// One fragment as MPEG-TS.
#[derive(Debug, Clone)]
pub struct TsChunk {
    /// The KVS fragment number (the request's FragmentNumber, spec §1.8).
    pub fragment_number: String,
    /// The chunk: PAT, PMT and every track's PES packets.
    pub data: Bytes,
}

/// GetTSFragment: fragment `index` of a session's media `fragments` as one TS chunk (spec §1.8).
///
/// The fragment before it continues the decode times of reordered video (so a chunk equals the one
/// [`export`] writes for it), the fragment after it ends the last sample. Times are the fragment's own
/// (see [`crate::ts::writer`] for how consecutive chunks join).
///
/// # Errors
/// `ResourceNotFoundException` when `index` is past the session; the codec checks of [`track_info`]
/// (MissingCodecPrivateDataException, ...); UnsupportedStreamMediaTypeException for H.265 without
/// `allow_hevc`, G.711, or an AAC config ADTS cannot carry; InvalidMediaFrameException for a frame
/// that is not length-prefixed NAL units.
pub fn get_ts_fragment(
    fragments: &[&Fragment],
    index: usize,
    options: &TsOptions,
) -> Result<Bytes, ApiError> {
    let fragment = fragments
        .get(index)
        .ok_or_else(|| ApiError::ResourceNotFound {
            message: format!("no fragment {index} in the session"),
        })?;
    let first = index.saturating_sub(1);
    let window = fragments
        .get(first..=(index + 1).min(fragments.len() - 1))
        .unwrap_or_default();
    let at = index - first;
    let origin = timeline_origin(fragments);
    let mut samples = Vec::new();
    for entry in sorted_tracks(fragment) {
        let mut per_fragment = track_samples(window, entry.number);
        let own = if at < per_fragment.len() {
            per_fragment.swap_remove(at)
        } else {
            Vec::new()
        };
        samples.push(own);
    }
    mux(fragment, &samples, origin, options)
}

/// Every media fragment of an archive as TS, in order, and the error that stopped the export, if any.
///
/// As an HLS session with MPEG_TS does, the tracks (numbers and codecs) must stay those of the first
/// fragment; codec private data may change (spec §6), the new parameter sets travel in-band.
pub fn export(fragments: &[Fragment], options: &TsOptions) -> (Vec<TsChunk>, Option<ApiError>) {
    let mut chunks = Vec::new();
    let error = export_each(fragments, options, |chunk| {
        chunks.push(chunk);
        Ok(())
    });
    (chunks, error)
}

/// [`export`], handing each chunk to `sink` as soon as it is made (so a caller writing files holds
/// one chunk at a time); stops at the first error, of the export or of `sink`, and returns it.
pub fn export_each(
    fragments: &[Fragment],
    options: &TsOptions,
    mut sink: impl FnMut(TsChunk) -> Result<(), ApiError>,
) -> Option<ApiError> {
    let media = media_fragments(fragments);
    let origin = timeline_origin(&media);
    let numbers = track_numbers(&media);
    let mut per_track: Vec<(u64, Vec<Vec<Sample>>)> = numbers
        .iter()
        .map(|&n| (n, track_samples(&media, n)))
        .collect();
    let mut layout: Option<Vec<(u64, Option<CodecKind>)>> = None;
    for (index, fragment) in media.iter().enumerate() {
        let this: Vec<(u64, Option<CodecKind>)> = sorted_tracks(fragment)
            .map(|t| (t.number, CodecKind::from_codec_id(&t.codec_id)))
            .collect();
        if layout.as_ref().is_some_and(|first| *first != this) {
            let error = ApiError::UnsupportedMedia {
                message: format!(
                    "the tracks change at fragment {}; an MPEG_TS session keeps the first fragment's tracks",
                    fragment.number
                ),
            };
            return Some(error);
        }
        layout.get_or_insert(this);
        let samples: Vec<Vec<Sample>> = sorted_tracks(fragment)
            .map(|entry| {
                per_track
                    .iter_mut()
                    .find(|(n, _)| *n == entry.number)
                    .and_then(|(_, per_fragment)| per_fragment.get_mut(index))
                    .map(std::mem::take)
                    .unwrap_or_default()
            })
            .collect();
        let written = mux(fragment, &samples, origin, options).and_then(|data| {
            sink(TsChunk {
                fragment_number: fragment.number.to_string(),
                data,
            })
        });
        if let Err(error) = written {
            return Some(error);
        }
    }
    None
}

/// The fragment's tracks by ascending TrackNumber (the PID order).
fn sorted_tracks(fragment: &Fragment) -> impl Iterator<Item = &crate::mkv::TrackEntry> {
    let mut entries: Vec<_> = fragment.tracks.entries.iter().collect();
    entries.sort_by_key(|t| t.number);
    entries.into_iter()
}

/// One chunk from the fragment's tracks and their samples (same order as [`sorted_tracks`]).
fn mux(
    fragment: &Fragment,
    samples: &[Vec<Sample>],
    origin: i64,
    options: &TsOptions,
) -> Result<Bytes, ApiError> {
    let tracks: Vec<TrackInfo> = sorted_tracks(fragment)
        .map(track_info)
        .collect::<Result<_, _>>()?;
    let streams: Vec<ts::Stream<'_>> = tracks
        .iter()
        .zip(samples)
        .map(|(track, samples)| ts::Stream { track, samples })
        .collect();
    ts::write_chunk(&streams, origin, options).map_err(|source| ApiError::Ts { source })
}
