//! A progressive MP4 (GetClip, spec §1.4, §8.5, §9.12): ftyp, moov with full sample tables, mdat.
//!
//! The moov is computed from the sample index before any sample is written, so a clip of any size
//! needs memory for its tables only; sample data are the input's own slices, written after.

use std::ops::Range;

use bytes::Bytes;

use super::Error;
use super::fragment::timings;
use super::init::{Edit, Profile, ftyp, mvhd, trak};
use super::tables::SampleTables;
use super::write::{mdat_header, write_box};
use crate::model::sample::Sample;
use crate::model::track::TrackInfo;

/// The samples of a clip: per track in decode order, and the chunks they are written in.
#[derive(Debug, Clone)]
pub struct ClipInput {
    /// The tracks.
    pub tracks: Vec<TrackInfo>,
    /// Samples per track (same order as `tracks`), in decode order.
    pub samples: Vec<Vec<Sample>>,
    /// Chunks in file order: a track index and a range of that track's samples (one per fragment
    /// and track, so audio and video interleave fragment by fragment).
    pub chunks: Vec<(usize, Range<usize>)>,
}

impl ClipInput {
    /// The samples of one chunk (empty for a range outside the track).
    fn chunk(&self, track_index: usize, range: &Range<usize>) -> &[Sample] {
        self.samples
            .get(track_index)
            .and_then(|s| s.get(range.clone()))
            .unwrap_or_default()
    }
}

/// Writes the clip: `[ftyp + moov + mdat header, sample, sample, ...]`.
///
/// Each track's timeline starts at its first decode time; an edit list starts presentation at its
/// first presentation time and delays a track that starts after the earliest one.
///
/// # Errors
/// [`Error::NoSamples`] for a track without samples, values that do not fit their fields.
pub fn write(input: &ClipInput) -> Result<Vec<Bytes>, Error> {
    let mut tables = Vec::with_capacity(input.tracks.len());
    let mut edits = Vec::with_capacity(input.tracks.len());
    let movie_start = input
        .samples
        .iter()
        .filter_map(|s| s.iter().map(|x| x.pts).min())
        .min()
        .unwrap_or(0);
    for (track, samples) in input.tracks.iter().zip(&input.samples) {
        let first = samples.first().ok_or(Error::NoSamples {
            track: track.track_id,
        })?;
        let mut timing = timings(track, samples, first.dts)?;
        let id = track.track_id;
        // The media must last until the last shown sample ends: when decode times lag presentation
        // (a declared reorder delay), the last sample's duration covers the rest.
        let shown_end = samples
            .iter()
            .map(|s| i128::from(s.pts) + i128::from(s.duration) - i128::from(first.dts))
            .max()
            .map_or(0, |end| track.timescale.ticks(end));
        let decoded_end: i128 = timing.iter().map(|t| i128::from(t.duration)).sum();
        if let Some(last) = timing.last_mut()
            && shown_end > decoded_end
        {
            let extended = i128::from(last.duration) + shown_end - decoded_end;
            last.duration = u32::try_from(extended).map_err(|_| Error::ValueOutOfRange {
                track: id,
                field: "sample duration",
                value: u64::try_from(extended).unwrap_or(u64::MAX),
            })?;
        }
        let composition_offsets = timing
            .iter()
            .map(|t| {
                // ctts version 0: a sample shown before it is decoded cannot be written.
                u32::try_from(t.composition_offset).map_err(|_| Error::TimeOutOfRange {
                    track: id,
                    field: "composition offset",
                    value: i128::from(t.composition_offset),
                })
            })
            .collect::<Result<Vec<u32>, Error>>()?;
        let sizes = samples
            .iter()
            .map(|s| {
                u32::try_from(s.data.len()).map_err(|_| Error::ValueOutOfRange {
                    track: id,
                    field: "sample size",
                    value: s.data.len() as u64,
                })
            })
            .collect::<Result<Vec<u32>, Error>>()?;
        let table = SampleTables {
            durations: timing.iter().map(|t| t.duration).collect(),
            composition_offsets,
            sizes,
            sync: samples
                .iter()
                .map(|s| s.keyframe || !track.is_video())
                .collect(),
            chunks: Vec::new(),
        };
        let first_shown = samples.iter().map(|s| s.pts).min().unwrap_or(first.pts);
        let media_time = u64::try_from(
            track
                .timescale
                .ticks(i128::from(first_shown) - i128::from(first.dts)),
        )
        .unwrap_or(0);
        let delay_ms =
            u64::try_from((i128::from(first_shown) - i128::from(movie_start)) / 1_000_000)
                .unwrap_or(0);
        // The media edit spans presentation: from the first shown sample to the end of the last
        // shown one (with B-frames that ends one reorder delay after the last decode).
        let shown_end = samples
            .iter()
            .map(|s| i128::from(s.pts) + i128::from(s.duration))
            .max()
            .unwrap_or(i128::from(first_shown));
        let duration_ms =
            u64::try_from((shown_end - i128::from(first_shown) + 500_000) / 1_000_000).unwrap_or(0);
        edits.push((media_time > 0 || delay_ms > 0).then_some(Edit {
            delay_ms,
            duration_ms,
            media_time,
        }));
        tables.push(table);
    }
    let movie_ms = input
        .tracks
        .iter()
        .zip(&tables)
        .zip(&edits)
        .map(|((track, table), edit)| {
            edit.map_or(
                table.media_duration() * 1000 / u64::from(track.timescale.get()),
                |e| e.delay_ms + e.duration_ms,
            )
        })
        .max()
        .unwrap_or(0);
    // Chunk offsets relative to the first payload byte, then made absolute once the header size is known.
    let mut relative = Vec::with_capacity(input.chunks.len());
    let mut position = 0u64;
    for (track_index, range) in &input.chunks {
        let samples = input.chunk(*track_index, range);
        relative.push((*track_index, position, samples.len()));
        position += samples.iter().map(|s| s.data.len() as u64).sum::<u64>();
    }
    let payload = position;
    // The header's size decides the chunk offsets, which decide the header's size only through the
    // stco → co64 switch: a second pass settles it, a third confirms.
    let mut header = Vec::new();
    let mut header_len = 0u64;
    for _ in 0..3 {
        header = build_header(
            input,
            &mut tables,
            &edits,
            movie_ms,
            &relative,
            header_len,
            payload,
        )?;
        if header.len() as u64 == header_len {
            break;
        }
        header_len = header.len() as u64;
    }
    if header.len() as u64 != header_len {
        return Err(Error::ValueOutOfRange {
            track: 0,
            field: "moov size",
            value: header.len() as u64,
        });
    }
    let mut chunks = Vec::with_capacity(1 + input.samples.iter().map(Vec::len).sum::<usize>());
    chunks.push(Bytes::from(header));
    for (track_index, range) in &input.chunks {
        let samples = input.chunk(*track_index, range);
        chunks.extend(samples.iter().map(|s| s.data.clone()));
    }
    Ok(chunks)
}

/// ftyp + moov + mdat header, with chunk offsets for a header of `header_len` bytes.
fn build_header(
    input: &ClipInput,
    tables: &mut [SampleTables],
    edits: &[Option<Edit>],
    movie_ms: u64,
    relative: &[(usize, u64, usize)],
    header_len: u64,
    payload: u64,
) -> Result<Vec<u8>, Error> {
    for table in tables.iter_mut() {
        table.chunks.clear();
    }
    for &(track_index, offset, count) in relative {
        if let Some(table) = tables.get_mut(track_index) {
            // A chunk holds one fragment's samples of one track: far fewer than 2^32.
            let count = u32::try_from(count).expect("samples per chunk fit in u32");
            table.chunks.push((header_len + offset, count));
        }
    }
    let mut header = Vec::new();
    ftyp(&mut header, Profile::Progressive)?;
    write_box(&mut header, *b"moov", |out| {
        mvhd(out, movie_ms, &input.tracks)?;
        for ((track, table), edit) in input.tracks.iter().zip(tables.iter()).zip(edits) {
            trak(out, track, table, *edit)?;
        }
        Ok(())
    })?;
    header.extend_from_slice(&mdat_header(payload));
    Ok(header)
}
