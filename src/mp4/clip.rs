//! A progressive MP4 (GetClip, spec §1.4, §8.5, §9.12): ftyp, moov with full sample tables, mdat.
//!
//! The moov is computed from the sample index before any sample is written, so a clip of any size
//! needs memory for its tables only; sample data are the input's own slices, written after.
//!
//! Steps: `track_layout` turns each track's samples into sample tables and an edit list,
//! `movie_duration` takes the longest track, `chunk_positions` lays the samples out in the mdat,
//! `settle_header` writes ftyp + moov + mdat header with the chunk offsets that header implies.

use std::ops::Range;

use bytes::Bytes;

use super::Error;
use super::fragment::timings;
use super::init::{Edit, Profile, ftyp, mvhd, trak};
use super::tables::SampleTables;
use super::write::{mdat_header, write_box};
use crate::model::sample::Sample;
use crate::model::track::TrackInfo;
use crate::time::Nanos;

/// Nanoseconds per millisecond of the movie timescale.
const NS_PER_MS: i128 = 1_000_000;

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
    let movie_start = input
        .samples
        .iter()
        .filter_map(|s| s.iter().map(|x| x.pts).min())
        .min()
        .unwrap_or(Nanos::ZERO);
    let mut tables = Vec::with_capacity(input.tracks.len());
    let mut edits = Vec::with_capacity(input.tracks.len());
    for (track, samples) in input.tracks.iter().zip(&input.samples) {
        let (table, edit) = track_layout(track, samples, movie_start)?;
        tables.push(table);
        edits.push(edit);
    }
    let movie_ms = movie_duration(&input.tracks, &tables, &edits);
    let (positions, payload) = chunk_positions(input);
    let header = settle_header(input, &mut tables, &edits, movie_ms, &positions, payload)?;
    let mut chunks = Vec::with_capacity(1 + input.samples.iter().map(Vec::len).sum::<usize>());
    chunks.push(Bytes::from(header));
    for (track_index, range) in &input.chunks {
        let samples = input.chunk(*track_index, range);
        chunks.extend(samples.iter().map(|s| s.data.clone()));
    }
    Ok(chunks)
}

/// One track's sample tables (without chunk offsets) and its edit list.
fn track_layout(
    track: &TrackInfo,
    samples: &[Sample],
    movie_start: Nanos,
) -> Result<(SampleTables, Option<Edit>), Error> {
    let id = track.track_id;
    let first = samples.first().ok_or(Error::NoSamples { track: id })?;
    let mut timing = timings(track, samples, first.dts)?;
    // The media must last until the last shown sample ends: when decode times lag presentation
    // (a declared reorder delay), the last sample's duration covers the rest. Times are i128
    // nanoseconds relative to the first decode time: sums of two i64 values cannot overflow.
    let shown_end = samples
        .iter()
        .map(|s| s.pts.wide_sub(first.dts) + i128::from(s.duration.0))
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
    Ok((table, edit(track, samples, first.dts, movie_start)))
}

/// The edit list of a track: presentation starts at its first shown sample, delayed to its place
/// in the movie; `None` when neither is needed.
fn edit(
    track: &TrackInfo,
    samples: &[Sample],
    first_dts: Nanos,
    movie_start: Nanos,
) -> Option<Edit> {
    let first_shown = samples.iter().map(|s| s.pts).min()?;
    let media_time =
        u64::try_from(track.timescale.ticks(first_shown.wide_sub(first_dts))).unwrap_or(0);
    let delay_ms = u64::try_from(first_shown.wide_sub(movie_start) / NS_PER_MS).unwrap_or(0);
    // The media edit spans presentation: from the first shown sample to the end of the last
    // shown one (with B-frames that ends one reorder delay after the last decode).
    let shown_end = samples
        .iter()
        .map(|s| s.pts.wide_sub(first_shown) + i128::from(s.duration.0))
        .max()
        .unwrap_or(0);
    let duration_ms = u64::try_from((shown_end + NS_PER_MS / 2) / NS_PER_MS).unwrap_or(0);
    (media_time > 0 || delay_ms > 0).then_some(Edit {
        delay_ms,
        duration_ms,
        media_time,
    })
}

/// The movie's duration in ms: the end of the longest track, edits included.
fn movie_duration(tracks: &[TrackInfo], tables: &[SampleTables], edits: &[Option<Edit>]) -> u64 {
    tracks
        .iter()
        .zip(tables)
        .zip(edits)
        .map(|((track, table), edit)| {
            edit.map_or(track.timescale.millis(table.media_duration()), |e| {
                e.end_ms()
            })
        })
        .max()
        .unwrap_or(0)
}

/// Each chunk's track, offset from the first payload byte and sample count; and the payload size.
fn chunk_positions(input: &ClipInput) -> (Vec<(usize, u64, usize)>, u64) {
    let mut positions = Vec::with_capacity(input.chunks.len());
    let mut position = 0u64;
    for (track_index, range) in &input.chunks {
        let samples = input.chunk(*track_index, range);
        positions.push((*track_index, position, samples.len()));
        // Sizes of samples held in memory: their sum fits in u64.
        position += samples.iter().map(|s| s.data.len() as u64).sum::<u64>();
    }
    (positions, position)
}

/// ftyp + moov + mdat header. The header's size decides the chunk offsets, which decide the header's
/// size only through the stco → co64 switch: a second pass settles it, a third confirms.
fn settle_header(
    input: &ClipInput,
    tables: &mut [SampleTables],
    edits: &[Option<Edit>],
    movie_ms: u64,
    positions: &[(usize, u64, usize)],
    payload: u64,
) -> Result<Vec<u8>, Error> {
    let mut header = Vec::new();
    let mut header_len = 0u64;
    for _ in 0..3 {
        header = build_header(
            input, tables, edits, movie_ms, positions, header_len, payload,
        )?;
        if header.len() as u64 == header_len {
            return Ok(header);
        }
        header_len = header.len() as u64;
    }
    Err(Error::ValueOutOfRange {
        track: 0,
        field: "moov size",
        value: header.len() as u64,
    })
}

/// ftyp + moov + mdat header, with chunk offsets for a header of `header_len` bytes.
fn build_header(
    input: &ClipInput,
    tables: &mut [SampleTables],
    edits: &[Option<Edit>],
    movie_ms: u64,
    positions: &[(usize, u64, usize)],
    header_len: u64,
    payload: u64,
) -> Result<Vec<u8>, Error> {
    for table in tables.iter_mut() {
        table.chunks.clear();
    }
    for &(track_index, offset, count) in positions {
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
