//! The segments of a session as playlists and MPDs list them (spec §8): per fragment and track,
//! when its samples start and how long they last (the samples the fMP4 and TS writers write, so a
//! playlist's durations are its segments' own), its size, and the codec-private-data epoch it is in.

use crate::archive::Archive;
use crate::error::ApiError;
use crate::time::Nanos;

use super::{Walk, samples, track_change};

/// One fragment of a session, for one track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentTiming {
    /// Index of the fragment in the session (0-based).
    pub index: usize,
    /// Its position in the archive's index.
    pub position: usize,
    /// Decode time of its first sample of the track.
    pub start: Nanos,
    /// The sum of its samples' durations.
    pub duration: Nanos,
    /// Samples of the track in it.
    pub samples: usize,
    /// Bytes of the track's samples in it.
    pub bytes: u64,
    /// Which configuration of the track describes it: 0 for the first, +1 at every change of codec
    /// private data ([`track_change`], spec §6).
    pub epoch: usize,
}

/// The timings of track `track` in the fragments at `positions` (a session, in order), each
/// fragment read once with its neighbours, as the writers read them. Fragments without samples of
/// the track are left out.
///
/// # Errors
/// Reading a fragment fails; a time leaves the timeline.
pub fn segment_timings(
    archive: &Archive,
    positions: &[usize],
    track: u64,
) -> Result<Vec<SegmentTiming>, ApiError> {
    let mut walk = Walk::new(archive, positions.to_vec());
    let mut timings = Vec::new();
    let mut configuration = None;
    let mut epoch = 0usize;
    while let Some((index, window)) = walk.next_window()? {
        let samples = samples(&window, track)?;
        let Some(first) = samples.first() else {
            continue;
        };
        let entry = window.current.tracks.get(track).cloned();
        if configuration.is_some() && track_change(configuration.as_ref(), entry.as_ref()).is_some()
        {
            epoch = epoch.saturating_add(1);
        }
        configuration = entry;
        let offset = window.current.offset;
        let overflow = || ApiError::Timeline {
            source: super::Error::TimeOverflow { track, offset },
        };
        let mut duration = Nanos::ZERO;
        let mut bytes = 0u64;
        for sample in &samples {
            duration = duration.checked_add(sample.duration).ok_or_else(overflow)?;
            bytes = bytes.saturating_add(sample.data.len() as u64);
        }
        timings.push(SegmentTiming {
            index,
            position: positions.get(index).copied().expect("walked positions"),
            start: first.dts,
            duration,
            samples: samples.len(),
            bytes,
            epoch,
        });
    }
    Ok(timings)
}
