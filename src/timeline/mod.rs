//! The timeline every operation stands on: which fragments a request reads and their neighbours,
//! samples with decode times, the timeline's origin, and the one rule for codec private data
//! changes. It sees Matroska fragments and hands the writers format-neutral samples and tracks.
//!
//! Times come from the fragments: frame times are producer timestamp + offset in the Cluster
//! (spec §7.1), so they count from the Unix epoch for KVS fragments and from the file's own zero
//! for plain Matroska.

mod decode;
mod gaps;
mod packaging;
mod samples;
mod segments;
mod tracks;
mod walk;

pub use gaps::GapFree;
pub use packaging::{Packaging, packaged_tracks};
pub use samples::{MAX_SAMPLE_DURATION, Window, samples};
pub use segments::{SegmentTiming, segment_timings};
pub use tracks::{
    CpdChange, TrackChange, changes, cpd_change, layout, sorted, track_change, track_info,
};
pub use walk::{Walk, window_at};

use crate::archive::Archive;
use crate::error::ApiError;
use crate::mkv::FrameSummary;
use crate::time::Nanos;

/// A hole or overlap between fragments above this is a discontinuity: ON_DISCONTINUITY's 50 ms
/// (spec §1.5), within which a player sees no break.
pub const DISCONTINUITY_THRESHOLD: Nanos = Nanos(50_000_000);

/// A time derived from the input leaves the 64-bit nanosecond timeline (hostile input only).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A decode time or duration of a track does not fit.
    #[error(
        "track {track}: a decode time or duration leaves the 64-bit nanosecond timeline (offset {offset})"
    )]
    TimeOverflow {
        /// The track.
        track: u64,
        /// Absolute offset of the fragment in the input.
        offset: u64,
    },
    /// The timeline's origin does not fit.
    #[error("the earliest frame is too early for the timeline (offset {offset})")]
    Origin {
        /// Absolute offset of the fragment with the earliest frame.
        offset: u64,
    },
    /// A frame without bytes: no media of any codec the service packages.
    #[error("track {track}: the frame is empty (offset {offset})")]
    EmptyFrame {
        /// The track.
        track: u64,
        /// Absolute offset of the frame in the input.
        offset: u64,
    },
}

/// The origin of the media timeline, the time that becomes 0 in the outputs' time fields: 0 (the
/// Unix epoch) when every fragment is a KVS fragment; for plain Matroska, whose own timeline may
/// start with negative decode times (B-frames), one second before the earliest frame (or 0).
///
/// `fragments` gives, per media fragment, whether its number is synthetic, its earliest frame time
/// and its offset.
///
/// # Errors
/// [`Error::Origin`] when the earliest frame is within a second of the start of the `i64` timeline.
pub fn origin(
    fragments: impl IntoIterator<Item = (bool, Option<Nanos>, u64)>,
) -> Result<Nanos, Error> {
    let mut synthetic = false;
    let mut earliest: Option<(Nanos, u64)> = None;
    for (is_synthetic, first, offset) in fragments {
        synthetic |= is_synthetic;
        if let Some(first) = first
            && earliest.is_none_or(|(e, _)| first < e)
        {
            earliest = Some((first, offset));
        }
    }
    if !synthetic {
        return Ok(Nanos::ZERO);
    }
    let (earliest, offset) = earliest.unwrap_or((Nanos::ZERO, 0));
    // Choice: one second of headroom below the first frame covers any reorder delay (≤ 16 frames).
    earliest
        .min(Nanos::ZERO)
        .checked_sub(Nanos::SECOND)
        .ok_or(Error::Origin { offset })
}

/// FragmentLengthInMilliseconds (spec §1.2, §7.1): from the fragment's earliest to its latest
/// frame time, in whole milliseconds (rounded down); 0 for one frame or none.
///
/// Choice (spec §7.1, §9.2): the real sample where ListFragments said 1796 ms while consecutive
/// producer starts were 1.856 s apart and EXTINF said 1.857 s, and single-frame fragments listed
/// with 0, both fit "latest − earliest frame time", which leaves out the last frame's duration.
/// ListFragments and `inspect` use this rule; playlist durations (EXTINF, the MPD timeline) are
/// this span plus the last frame's duration.
pub fn fragment_length_millis(summary: &FrameSummary) -> u64 {
    summary
        .span
        .map_or(0, |(first, last)| last.abs_diff(first) / 1_000_000)
}

/// The [`origin`] of a session: the media fragments at index `positions` of `archive`.
///
/// # Errors
/// As [`origin`].
pub fn session_origin(archive: &Archive, positions: &[usize]) -> Result<Nanos, ApiError> {
    let fragments = || positions.iter().filter_map(|&p| archive.index().get(p));
    if fragments().all(|f| !f.synthetic) {
        return Ok(Nanos::ZERO);
    }
    // Plain Matroska: the earliest frame of all, which may need the fragments' blocks walked.
    let mut earliest = Vec::with_capacity(positions.len());
    for &position in positions {
        let summary = archive.summary(position)?;
        let offset = archive.index().get(position).map_or(0, |f| f.offset);
        earliest.push((true, summary.span.map(|(first, _)| first), offset));
    }
    Ok(origin(earliest)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_is_the_epoch_for_kvs_and_checked_for_plain_matroska() {
        assert_eq!(origin([(false, Some(Nanos(5)), 0)]), Ok(Nanos::ZERO));
        assert_eq!(
            origin([(true, Some(Nanos(5)), 0), (true, Some(Nanos(-7)), 9)]),
            Ok(Nanos(-1_000_000_007))
        );
        // Issue 9's reproducer: TimestampScale 2^48, a block at −32768 → the earliest frame is i64::MIN.
        assert_eq!(
            origin([(true, Some(Nanos(i64::MIN)), 42)]),
            Err(Error::Origin { offset: 42 })
        );
    }
}
