//! A fragment being read: its frames on the file's timeline, and what moves them to the
//! producer's (spec §7.1).

use std::sync::Arc;

use super::Error;
use super::block::Block;
use super::demux::Resume;
use super::fragment::{Frame, FrameSummary};
use super::tags::KvsTags;
use super::tracks::Tracks;
use crate::time::{Nanos, TimestampScale};

/// A fragment being read.
pub(super) struct OpenFragment {
    pub(super) start: u64,
    pub(super) resume: Resume,
    pub(super) tags: KvsTags,
    pub(super) cluster_timestamp: Option<u64>,
    pub(super) frames: Vec<Frame>,
    /// `None` when the Cluster was passed over without counting its frames.
    pub(super) summary: Option<FrameSummary>,
    pub(super) timestamp_scale: TimestampScale,
    pub(super) tracks: Arc<Tracks>,
}

/// The Cluster Timestamp on the file's timeline, checked.
pub(super) fn cluster_nanos(
    ticks: Option<u64>,
    scale: TimestampScale,
    offset: u64,
) -> Result<Option<Nanos>, Error> {
    let overflow = Error::TimestampOverflow { offset };
    match ticks {
        None => Ok(None),
        Some(ticks) => {
            let ticks = i64::try_from(ticks).map_err(|_| overflow.clone())?;
            scale.nanos(ticks).map(Some).ok_or(overflow)
        }
    }
}

/// What moves a fragment's frames from the file's timeline to the producer's (spec §7.1): producer
/// timestamp − Cluster timestamp for a KVS fragment with both, else nothing.
pub(super) fn timeline_shift(open: &OpenFragment) -> Result<Nanos, Error> {
    if open.tags.fragment_number.is_none() {
        return Ok(Nanos::ZERO);
    }
    let overflow = Error::TimestampOverflow { offset: open.start };
    let cluster = cluster_nanos(open.cluster_timestamp, open.timestamp_scale, open.start)?;
    match (open.tags.producer_timestamp, cluster) {
        (Some(producer), Some(cluster)) => producer
            .as_nanos()
            .and_then(|p| p.checked_sub(cluster))
            .ok_or(overflow),
        // A producer time past 2262 cannot anchor frames on the timeline at all.
        (Some(producer), None) if producer.as_nanos().is_none() => Err(overflow),
        _ => Ok(Nanos::ZERO),
    }
}

/// A block's presentation time on the file's timeline and the duration of each of its laces.
pub(super) fn block_timing(
    open: &OpenFragment,
    (number, relative_timestamp, laces): (u64, i16, usize),
    duration_ticks: Option<u64>,
    offset: u64,
) -> Result<(Nanos, Option<Nanos>), Error> {
    let overflow = || Error::TimestampOverflow { offset };
    let track = open.tracks.get(number);
    if track.is_some_and(|t| t.content_encoded) {
        return Err(Error::ContentEncoding {
            offset,
            track: number,
        });
    }
    // Choice: a Cluster without Timestamp counts from 0, as ffmpeg does.
    let cluster = i64::try_from(open.cluster_timestamp.unwrap_or(0)).map_err(|_| overflow())?;
    let ticks = cluster
        .checked_add(i64::from(relative_timestamp))
        .ok_or_else(overflow)?;
    let pts = open.timestamp_scale.nanos(ticks).ok_or_else(overflow)?;
    // At most 256 laces (BlockHeader::parse).
    let laces = laces as i64;
    let default_duration = match track.and_then(|t| t.default_duration) {
        Some(ns) => Some(Nanos::from_unsigned(ns).ok_or_else(overflow)?),
        None => None,
    };
    let block_duration = match duration_ticks {
        Some(ticks) => Some(open.timestamp_scale.span(ticks).ok_or_else(overflow)?),
        None => match default_duration {
            Some(d) => Some(d.checked_mul(laces).ok_or_else(overflow)?),
            None => None,
        },
    };
    // Laced frames share the block's duration equally (RFC 9559 §10.4), as ffmpeg times them.
    Ok((pts, block_duration.and_then(|d| d.checked_div(laces))))
}

/// Turns a block into frames on the file's timeline, with durations and lace timing; counts them
/// in the fragment's summary, and keeps them when `keep`.
pub(super) fn add_block(
    open: &mut OpenFragment,
    block: Block,
    duration_ticks: Option<u64>,
    keyframe: bool,
    keep: bool,
) -> Result<(), Error> {
    let offset = block.frames.first().map_or(0, |(offset, _)| *offset);
    let overflow = || Error::TimestampOverflow { offset };
    let (pts, lace_duration) = block_timing(
        open,
        (block.track, block.relative_timestamp, block.frames.len()),
        duration_ticks,
        offset,
    )?;
    for (i, (offset, data)) in (0i64..).zip(block.frames) {
        let step = lace_duration
            .map_or(Some(Nanos::ZERO), |d| d.checked_mul(i))
            .ok_or_else(overflow)?;
        let pts = pts.checked_add(step).ok_or_else(overflow)?;
        if let Some(summary) = &mut open.summary {
            summary.add(pts, pts, 1);
        }
        if keep {
            open.frames.push(Frame {
                track: block.track,
                pts,
                duration: lace_duration,
                keyframe,
                offset,
                data,
            });
        }
    }
    Ok(())
}
