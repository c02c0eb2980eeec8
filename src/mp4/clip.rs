//! A progressive MP4 (GetClip, spec §1.4, §8.5, §9.12): ftyp, moov with full sample tables, mdat.
//!
//! [`ClipBuilder`] takes the samples chunk by chunk (a fragment's samples of one track) and keeps
//! only what the moov needs: per sample its table rows (13 bytes) and its bytes (a slice of the
//! input), so a clip of a million fragments needs memory for its tables, not for its samples.
//! [`ClipBuilder::finish`] computes the moov before any sample is written; the sample data follow
//! as the input's own slices.

use bytes::Bytes;

use super::Error;
use super::init::{Edit, Profile, ftyp, mvhd, trak};
use super::tables::SampleTables;
use super::write::{mdat_header, write_box};
use crate::model::sample::Sample;
use crate::model::track::TrackInfo;
use crate::time::Nanos;

/// Nanoseconds per millisecond of the movie timescale.
const NS_PER_MS: i128 = 1_000_000;

/// A clip being built, chunk by chunk.
#[derive(Debug)]
pub struct ClipBuilder {
    tracks: Vec<TrackInfo>,
    layouts: Vec<TrackLayout>,
    /// The output: a place for the header, then the sample bytes in file order.
    data: Vec<Bytes>,
    /// Bytes of sample data so far.
    payload: u64,
}

/// One track's tables as its samples arrive. Times are track ticks from the track's first decode
/// time (each track's timeline starts there); a sample's duration is known when the next arrives.
#[derive(Debug, Default)]
struct TrackLayout {
    tables: SampleTables,
    /// The first decode time.
    origin: Option<Nanos>,
    /// The last sample so far: its decode time and end in ticks (the end from its own duration).
    last: Option<(u64, u64)>,
    /// The earliest presentation time, and the latest end of a presentation (pts + duration).
    first_shown: Option<Nanos>,
    shown_end: Option<i128>,
}

impl ClipBuilder {
    /// A clip of `tracks` (in moov order).
    pub fn new(tracks: Vec<TrackInfo>) -> ClipBuilder {
        let layouts = tracks.iter().map(|_| TrackLayout::default()).collect();
        ClipBuilder {
            tracks,
            layouts,
            data: vec![Bytes::new()],
            payload: 0,
        }
    }

    /// The clip's tracks, in moov order.
    pub fn tracks(&self) -> &[TrackInfo] {
        &self.tracks
    }

    /// Appends a chunk: `samples` of track `index` (in decode order), written together in the mdat.
    ///
    /// # Errors
    /// Times before the track's first decode time or too far apart for their fields, a sample
    /// shown before it is decoded (ctts version 0), a sample over 4 GiB.
    pub fn push(&mut self, index: usize, samples: &[Sample]) -> Result<(), Error> {
        if samples.is_empty() {
            return Ok(());
        }
        let (Some(track), Some(layout)) = (self.tracks.get(index), self.layouts.get_mut(index))
        else {
            return Err(Error::ValueOutOfRange {
                track: 0,
                field: "track index",
                value: index as u64,
            });
        };
        for sample in samples {
            layout.push(track, sample)?;
        }
        let count = u32::try_from(samples.len()).map_err(|_| Error::ValueOutOfRange {
            track: track.track_id,
            field: "samples per chunk",
            value: samples.len() as u64,
        })?;
        layout.tables.chunks.push((self.payload, count));
        for sample in samples {
            // Sizes of samples held in memory: their sum fits in u64.
            self.payload += sample.data.len() as u64;
            self.data.push(sample.data.clone());
        }
        Ok(())
    }

    /// Writes the clip: `[ftyp + moov + mdat header, sample, sample, ...]`.
    ///
    /// An edit list starts each track's presentation at its first presentation time and delays a
    /// track that starts after the earliest one.
    ///
    /// # Errors
    /// [`Error::NoSamples`] for a track without samples, values that do not fit their fields.
    pub fn finish(mut self) -> Result<Vec<Bytes>, Error> {
        let movie_start = self
            .layouts
            .iter()
            .filter_map(|l| l.first_shown)
            .min()
            .unwrap_or(Nanos::ZERO);
        let mut edits = Vec::with_capacity(self.tracks.len());
        for (track, layout) in self.tracks.iter().zip(&mut self.layouts) {
            edits.push(layout.finish(track, movie_start)?);
        }
        let tables: Vec<SampleTables> = self.layouts.into_iter().map(|l| l.tables).collect();
        let movie_ms = movie_duration(&self.tracks, &tables, &edits);
        let header = settle_header(&self.tracks, &tables, &edits, movie_ms, self.payload)?;
        let mut out = self.data;
        if let Some(first) = out.first_mut() {
            *first = Bytes::from(header);
        }
        Ok(out)
    }
}

impl TrackLayout {
    /// A sample's table rows; the previous sample's duration ends at its decode time.
    fn push(&mut self, track: &TrackInfo, sample: &Sample) -> Result<(), Error> {
        let id = track.track_id;
        let origin = *self.origin.get_or_insert(sample.dts);
        // Times relative to the origin are i128 nanoseconds: sums of two i64 values cannot overflow.
        let ticks = |value: i128, field| {
            u64::try_from(track.timescale.ticks(value)).map_err(|_| Error::TimeOutOfRange {
                track: id,
                field,
                value,
            })
        };
        let dts = ticks(sample.dts.wide_sub(origin), "decode time")?;
        if let Some((previous, _)) = self.last {
            self.close_last(id, dts.saturating_sub(previous))?;
        }
        let pts = ticks(sample.pts.wide_sub(origin), "presentation time")?;
        // ctts version 0: a sample shown before it is decoded cannot be written.
        let offset = i128::from(pts) - i128::from(dts);
        let composition_offset = i32::try_from(offset)
            .ok()
            .and_then(|o| u32::try_from(o).ok())
            .ok_or(Error::TimeOutOfRange {
                track: id,
                field: "composition offset",
                value: offset,
            })?;
        let size = u32::try_from(sample.data.len()).map_err(|_| Error::ValueOutOfRange {
            track: id,
            field: "sample size",
            value: sample.data.len() as u64,
        })?;
        let end = ticks(
            sample.dts.wide_sub(origin) + i128::from(sample.duration.0),
            "duration",
        )?;
        self.tables.composition_offsets.push(composition_offset);
        self.tables.sizes.push(size);
        self.tables.sync.push(sample.keyframe || !track.is_video());
        self.last = Some((dts, end));
        self.first_shown = Some(self.first_shown.map_or(sample.pts, |f| f.min(sample.pts)));
        let shown = i128::from(sample.pts.0) + i128::from(sample.duration.0);
        self.shown_end = Some(self.shown_end.map_or(shown, |e| e.max(shown)));
        Ok(())
    }

    /// The duration row of the last sample.
    fn close_last(&mut self, track: u32, ticks: u64) -> Result<(), Error> {
        let duration = u32::try_from(ticks).map_err(|_| Error::ValueOutOfRange {
            track,
            field: "sample duration",
            value: ticks,
        })?;
        self.tables.durations.push(duration);
        Ok(())
    }

    /// The last sample's duration and the track's edit list. The media must last until the last
    /// shown sample ends: when decode times lag presentation (a declared reorder delay), the last
    /// sample's duration covers the rest.
    fn finish(&mut self, track: &TrackInfo, movie_start: Nanos) -> Result<Option<Edit>, Error> {
        let id = track.track_id;
        let (Some(origin), Some((dts, end)), Some(first_shown), Some(shown_end)) =
            (self.origin, self.last, self.first_shown, self.shown_end)
        else {
            return Err(Error::NoSamples { track: id });
        };
        let decoded_end = self.tables.media_duration() + end.saturating_sub(dts);
        let shown_end_ticks = track.timescale.ticks(shown_end - i128::from(origin.0));
        let extra = u64::try_from(shown_end_ticks - i128::from(decoded_end)).unwrap_or(0);
        self.close_last(id, end.saturating_sub(dts).saturating_add(extra))?;
        let media_time =
            u64::try_from(track.timescale.ticks(first_shown.wide_sub(origin))).unwrap_or(0);
        let delay_ms = u64::try_from(first_shown.wide_sub(movie_start) / NS_PER_MS).unwrap_or(0);
        // The media edit spans presentation: from the first shown sample to the end of the last
        // shown one (with B-frames that ends one reorder delay after the last decode).
        let shown = shown_end - i128::from(first_shown.0);
        let duration_ms = u64::try_from((shown + NS_PER_MS / 2) / NS_PER_MS).unwrap_or(0);
        Ok((media_time > 0 || delay_ms > 0).then_some(Edit {
            delay_ms,
            duration_ms,
            media_time,
        }))
    }
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

/// ftyp + moov + mdat header. The header's size decides the chunk offsets, which decide the header's
/// size only through the stco → co64 switch: a second pass settles it, a third confirms.
fn settle_header(
    tracks: &[TrackInfo],
    tables: &[SampleTables],
    edits: &[Option<Edit>],
    movie_ms: u64,
    payload: u64,
) -> Result<Vec<u8>, Error> {
    let mut header = Vec::new();
    let mut header_len = 0u64;
    for _ in 0..3 {
        header = build_header(tracks, tables, edits, movie_ms, header_len, payload)?;
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
    tracks: &[TrackInfo],
    tables: &[SampleTables],
    edits: &[Option<Edit>],
    movie_ms: u64,
    header_len: u64,
    payload: u64,
) -> Result<Vec<u8>, Error> {
    let mut header = Vec::new();
    ftyp(&mut header, Profile::Progressive)?;
    write_box(&mut header, *b"moov", |out| {
        mvhd(out, movie_ms, tracks)?;
        for ((track, table), edit) in tracks.iter().zip(tables).zip(edits) {
            trak(out, track, table, *edit, header_len)?;
        }
        Ok(())
    })?;
    header.extend_from_slice(&mdat_header(payload));
    Ok(header)
}
