//! A gap-free timeline for a progressive clip: fragments moved so that the clip plays on through
//! a break in the recording instead of showing one frame for its length.

use super::samples::MAX_SAMPLE_DURATION;
use super::{DISCONTINUITY_THRESHOLD, Error};
use crate::model::sample::Sample;
use crate::time::Nanos;

/// Places fragments one after the other on a clip's timeline.
///
/// Choice (how GetClip carries a gap, spec §1.4): a hole of more than [`MAX_SAMPLE_DURATION`]
/// between fragments (a camera offline), or a step back of more than [`DISCONTINUITY_THRESHOLD`]
/// (a producer clock set back), is closed: the later fragments move by its length, every track
/// alike, so the clip plays its fragments back to back with audio and video in step. Shorter holes stay in the
/// clip as the last frame held, as the fragments' own timing has them. The service rewrites the
/// DASH timeline the same way (spec §1.6: "rewritten by KVS to be gap-free"); an MP4 has no place
/// for wall-clock times, which `inspect` and the fragment list keep.
///
/// The length of a break is measured per track (from where the track's last sample ends to its
/// next decode time) and the track closest to continuous decides: tracks end a frame apart (a
/// long G.711 block, a reorder delay), while a break moves them all alike.
#[derive(Debug, Default)]
pub struct GapFree {
    /// What is added to every later fragment's times.
    shift: Nanos,
    /// Per track (in the order `place` is given them), where its last sample ends, after shifts.
    ends: Vec<Option<Nanos>>,
}

impl GapFree {
    /// A timeline starting with the first fragment where it is.
    pub fn new() -> GapFree {
        GapFree::default()
    }

    /// Moves one fragment's samples (per track, always in the same track order) into place after
    /// the fragments before it.
    ///
    /// # Errors
    /// [`Error::TimeOverflow`] (track 0: every track) when a moved time leaves the timeline
    /// (`offset`: the fragment's).
    pub fn place(&mut self, tracks: &mut [Vec<Sample>], offset: u64) -> Result<(), Error> {
        let overflow = || Error::TimeOverflow { track: 0, offset };
        let mut gap: Option<Nanos> = None;
        for (samples, end) in tracks.iter().zip(&self.ends) {
            let (Some(first), Some(end)) = (samples.first(), end) else {
                continue;
            };
            let start = first.dts.checked_add(self.shift).ok_or_else(overflow)?;
            let this = start.checked_sub(*end).ok_or_else(overflow)?;
            if gap.is_none_or(|g| this.0.unsigned_abs() < g.0.unsigned_abs()) {
                gap = Some(this);
            }
        }
        if let Some(gap) = gap
            && (gap > MAX_SAMPLE_DURATION || gap < Nanos(-DISCONTINUITY_THRESHOLD.0))
        {
            self.shift = self.shift.checked_sub(gap).ok_or_else(overflow)?;
        }
        self.ends.resize(tracks.len().max(self.ends.len()), None);
        for (samples, end) in tracks.iter_mut().zip(self.ends.iter_mut()) {
            for sample in samples.iter_mut() {
                sample.dts = sample.dts.checked_add(self.shift).ok_or_else(overflow)?;
                sample.pts = sample.pts.checked_add(self.shift).ok_or_else(overflow)?;
            }
            if let Some(last) = samples.last() {
                *end = Some(last.dts.checked_add(last.duration).ok_or_else(overflow)?);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn sample(ms: i64, duration_ms: i64) -> Sample {
        Sample {
            dts: Nanos(ms * 1_000_000),
            pts: Nanos(ms * 1_000_000),
            duration: Nanos(duration_ms * 1_000_000),
            keyframe: true,
            data: Bytes::new(),
        }
    }

    fn starts(tracks: &[Vec<Sample>]) -> Vec<i64> {
        tracks
            .iter()
            .filter_map(|s| s.first())
            .map(|s| s.dts.0 / 1_000_000)
            .collect()
    }

    #[test]
    fn long_holes_and_steps_back_close_short_ones_stay() {
        let mut timeline = GapFree::new();
        let mut first = vec![vec![sample(0, 40), sample(40, 40)], vec![sample(0, 21)]];
        timeline.place(&mut first, 0).unwrap();
        assert_eq!(starts(&first), [0, 0]);
        // A 2-s hole stays (the last frame is held, as the fragments' timing has it).
        let mut second = vec![vec![sample(2080, 40)], vec![sample(2085, 21)]];
        timeline.place(&mut second, 1).unwrap();
        assert_eq!(starts(&second), [2080, 2085]);
        // A 20-h hole closes: both tracks move alike, so they stay 5 ms apart.
        let mut third = vec![vec![sample(72_002_120, 40)], vec![sample(72_002_125, 21)]];
        timeline.place(&mut third, 2).unwrap();
        assert_eq!(starts(&third), [2120, 2125]);
        // A producer clock set back by an hour closes too.
        let mut fourth = vec![vec![sample(72_002_160 - 3_600_000, 40)], vec![]];
        timeline.place(&mut fourth, 3).unwrap();
        assert_eq!(starts(&fourth), [2160]);
        // An overlap within 50 ms stays.
        let mut fifth = vec![vec![sample(72_002_160 - 3_600_000 + 10, 40)], vec![]];
        timeline.place(&mut fifth, 4).unwrap();
        assert_eq!(starts(&fifth), [2170]);
    }

    #[test]
    fn moves_that_leave_the_timeline_are_errors() {
        let mut timeline = GapFree::new();
        timeline.place(&mut [vec![sample(0, 40)]], 0).unwrap();
        let mut far = vec![vec![Sample {
            dts: Nanos(i64::MIN),
            pts: Nanos(i64::MIN),
            ..sample(0, 40)
        }]];
        assert!(timeline.place(&mut far, 7).is_err());
    }
}
