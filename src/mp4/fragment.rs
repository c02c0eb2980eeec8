//! moof + mdat: a media segment for one track of one KVS fragment (GetMP4MediaFragment, spec §1.8, §8.5).

use bytes::Bytes;

use super::Error;
use super::write::{PutBe, mdat_header, write_box, write_full_box};
use crate::model::sample::Sample;
use crate::model::track::TrackInfo;
use crate::time::Nanos;

/// tfhd flag: offsets are relative to the moof (ISO/IEC 14496-12 §8.8.7).
const DEFAULT_BASE_IS_MOOF: u32 = 0x02_0000;
/// trun flags: data offset, per-sample duration, size, flags, composition offset (§8.8.8).
const TRUN_DATA_OFFSET: u32 = 0x001;
const TRUN_DURATION: u32 = 0x100;
const TRUN_SIZE: u32 = 0x200;
const TRUN_FLAGS: u32 = 0x400;
const TRUN_CTS: u32 = 0x800;
/// Sample flags: a sync sample depends on no other; a non-sync sample does and is marked non-sync.
pub(crate) const SYNC_FLAGS: u32 = 0x0200_0000;
pub(crate) const NON_SYNC_FLAGS: u32 = 0x0101_0000;

/// Sample times in track ticks, relative to `origin`: decode time, duration, composition offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Timing {
    pub dts: u64,
    pub duration: u32,
    pub composition_offset: i32,
}

/// Converts sample times to ticks. Durations come from rounded decode times, so they add up without drift.
fn timings(track: &TrackInfo, samples: &[Sample], origin: Nanos) -> Result<Vec<Timing>, Error> {
    let id = track.track_id;
    // Times relative to the origin are i128 nanoseconds: sums of two i64 values cannot overflow.
    let ticks = |value: i128, field| {
        u64::try_from(track.timescale.ticks(value)).map_err(|_| Error::TimeOutOfRange {
            track: id,
            field,
            value,
        })
    };
    let mut out = Vec::with_capacity(samples.len());
    for (i, sample) in samples.iter().enumerate() {
        let dts = ticks(sample.dts.wide_sub(origin), "decode time")?;
        let end = match samples.get(i + 1) {
            Some(next) => ticks(next.dts.wide_sub(origin), "decode time")?,
            None => ticks(
                sample.dts.wide_sub(origin) + i128::from(sample.duration.0),
                "duration",
            )?,
        };
        let duration =
            u32::try_from(end.saturating_sub(dts)).map_err(|_| Error::ValueOutOfRange {
                track: id,
                field: "sample duration",
                value: end.saturating_sub(dts),
            })?;
        let pts = ticks(sample.pts.wide_sub(origin), "presentation time")?;
        let offset = i128::from(pts) - i128::from(dts);
        let composition_offset = i32::try_from(offset).map_err(|_| Error::TimeOutOfRange {
            track: id,
            field: "composition offset",
            value: offset,
        })?;
        out.push(Timing {
            dts,
            duration,
            composition_offset,
        });
    }
    Ok(out)
}

/// A media segment: `[moof + mdat header, sample, sample, ...]`, the samples being the input's own bytes.
///
/// `sequence_number` goes in mfhd; `origin` is the time that becomes 0 on the track's timeline:
/// 0 for KVS fragments, whose times are since the Unix epoch, so tfdt is the fragment's own time.
///
/// # Errors
/// [`Error::NoSamples`], times before `origin` or too far apart for 32-bit fields.
pub fn media_segment(
    track: &TrackInfo,
    samples: &[Sample],
    sequence_number: u32,
    origin: Nanos,
) -> Result<Vec<Bytes>, Error> {
    let id = track.track_id;
    if samples.is_empty() {
        return Err(Error::NoSamples { track: id });
    }
    let timings = timings(track, samples, origin)?;
    let base = timings.first().map_or(0, |t| t.dts);
    let has_cts = timings.iter().any(|t| t.composition_offset != 0);
    let flags = TRUN_DATA_OFFSET
        | TRUN_DURATION
        | TRUN_SIZE
        | TRUN_FLAGS
        | if has_cts { TRUN_CTS } else { 0 };
    let count = u32::try_from(samples.len()).map_err(|_| Error::ValueOutOfRange {
        track: id,
        field: "sample count",
        value: samples.len() as u64,
    })?;
    let payload: u64 = samples.iter().map(|s| s.data.len() as u64).sum();
    let mut out = Vec::with_capacity(128 + 16 * samples.len());
    let mut data_offset_at = 0;
    write_box(&mut out, *b"moof", |out| {
        write_full_box(out, *b"mfhd", 0, 0, |out| {
            out.u32(sequence_number);
            Ok(())
        })?;
        write_box(out, *b"traf", |out| {
            write_full_box(out, *b"tfhd", 0, DEFAULT_BASE_IS_MOOF, |out| {
                out.u32(id);
                Ok(())
            })?;
            write_full_box(out, *b"tfdt", 1, 0, |out| {
                out.u64(base);
                Ok(())
            })?;
            write_full_box(out, *b"trun", u8::from(has_cts), flags, |out| {
                out.u32(count);
                data_offset_at = out.len();
                out.i32(0);
                for (sample, timing) in samples.iter().zip(&timings) {
                    out.u32(timing.duration);
                    out.u32(u32::try_from(sample.data.len()).map_err(|_| {
                        Error::ValueOutOfRange {
                            track: id,
                            field: "sample size",
                            value: sample.data.len() as u64,
                        }
                    })?);
                    out.u32(if sample.keyframe || !track.is_video() {
                        SYNC_FLAGS
                    } else {
                        NON_SYNC_FLAGS
                    });
                    if has_cts {
                        out.i32(timing.composition_offset);
                    }
                }
                Ok(())
            })
        })
    })?;
    let header = mdat_header(payload);
    let data_offset =
        i32::try_from(out.len() + header.len()).map_err(|_| Error::ValueOutOfRange {
            track: id,
            field: "data offset",
            value: out.len() as u64,
        })?;
    out.get_mut(data_offset_at..data_offset_at + 4)
        .expect("written above")
        .copy_from_slice(&data_offset.to_be_bytes());
    out.extend_from_slice(&header);
    let mut chunks = Vec::with_capacity(samples.len() + 1);
    chunks.push(Bytes::from(out));
    chunks.extend(samples.iter().map(|s| s.data.clone())); // refcount bumps, no copy
    Ok(chunks)
}
