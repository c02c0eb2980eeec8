//! From a fragment's frames to samples: per track, decode times derived and durations filled in
//! (spec §7.2), looking only at the fragments next to it.

use super::Error;
use super::decode::{decode_times, sorted_tail};
use crate::codec::CodecConfig;
use crate::mkv::{Fragment, TrackEntry};
use crate::model::sample::Sample;
use crate::time::Nanos;

/// A fragment with its neighbours among the media fragments of a session or archive: decode times
/// of reordered video continue from the previous one, and the last sample ends where the next
/// one begins. This is all a per-request action (GetMP4MediaFragment, GetTSFragment) needs to give
/// the same samples as an export of the whole archive.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// The media fragment before, if any.
    pub previous: Option<&'a Fragment>,
    /// The fragment whose samples are wanted.
    pub current: &'a Fragment,
    /// The media fragment after, if any.
    pub next: Option<&'a Fragment>,
}

/// Choice: a sample lasts at most 20 s, the longest fragment the service accepts (spec §4.2). A
/// longer hole before the next fragment is a break in the recording (a camera offline overnight),
/// not a frame to show for hours; a DefaultDuration or BlockDuration beyond it is damage.
pub const MAX_SAMPLE_DURATION: Nanos = Nanos(20_000_000_000);

/// The samples of track `track` in `window.current`, in decode order.
///
/// A sample lasts until the next sample's decode time. The last one lasts until the track's first
/// decode time in the next fragment when that comes later and within [`MAX_SAMPLE_DURATION`];
/// after a longer break (or at the end) it lasts its own duration: the track's DefaultDuration,
/// else as long as the sample before it, else its BlockDuration — and, across a break with none
/// of these, [`MAX_SAMPLE_DURATION`], else 0 at the end. No duration exceeds
/// [`MAX_SAMPLE_DURATION`].
///
/// # Errors
/// [`Error::TimeOverflow`] when a derived time leaves the `i64` nanosecond timeline;
/// [`Error::EmptyFrame`] for a frame without bytes.
///
/// Choice: an empty frame is refused rather than passed on, whatever the codec: no H.264/H.265
/// access unit, AAC frame or G.711 block is empty, and one laced block of a few bytes can carry 256
/// of them, each of which would cost a sample entry and a TS packet of output.
pub fn samples(window: &Window<'_>, track: u64) -> Result<Vec<Sample>, Error> {
    let current = window.current;
    let entry = current.tracks.get(track);
    let depth = entry.map_or(0, declared_depth);
    let overflow = |fragment: &Fragment| Error::TimeOverflow {
        track,
        offset: fragment.offset,
    };
    let pts = pts_of(current, track);
    let tail = window
        .previous
        .map(|p| sorted_tail(&pts_of(p, track)))
        .unwrap_or_default();
    let dts = decode_times(&pts, &tail, depth).ok_or_else(|| overflow(current))?;
    let next_start = match window.next {
        Some(next) => {
            let next_pts = pts_of(next, track);
            decode_times(&next_pts, &sorted_tail(&pts), depth)
                .ok_or_else(|| overflow(next))?
                .first()
                .copied()
        }
        None => None,
    };
    let default_duration = entry
        .and_then(|t| t.default_duration)
        .and_then(Nanos::from_unsigned);
    let mut samples: Vec<Sample> = Vec::with_capacity(pts.len());
    for (i, (frame, &dts_i)) in current.frames_of(track).zip(&dts).enumerate() {
        if frame.data.is_empty() {
            return Err(Error::EmptyFrame {
                track,
                offset: frame.offset,
            });
        }
        let own = || {
            default_duration
                .or_else(|| samples.last().map(|s| s.duration))
                .or(frame.duration)
        };
        let duration = match dts.get(i + 1) {
            // A negative step (only where extrapolated decode times meet the sorted ones) is 0.
            Some(next) => next
                .checked_sub(dts_i)
                .ok_or_else(|| overflow(current))?
                .max(Nanos::ZERO),
            None => match next_start.filter(|&n| n > dts_i) {
                Some(next) => {
                    let step = next.checked_sub(dts_i).ok_or_else(|| overflow(current))?;
                    if step <= MAX_SAMPLE_DURATION {
                        step
                    } else {
                        own().unwrap_or(MAX_SAMPLE_DURATION)
                    }
                }
                None => own().unwrap_or(Nanos::ZERO),
            },
        }
        .min(MAX_SAMPLE_DURATION);
        samples.push(Sample {
            dts: dts_i,
            pts: frame.pts,
            duration,
            keyframe: frame.keyframe,
            data: frame.data.clone(),
        });
    }
    Ok(samples)
}

/// Presentation times of the frames of `track` in `fragment`, in decode (file) order.
fn pts_of(fragment: &Fragment, track: u64) -> Vec<Nanos> {
    fragment.frames_of(track).map(|f| f.pts).collect()
}

/// The reorder depth the H.264 SPS declares, which ffmpeg uses to time the source (decode_times).
fn declared_depth(entry: &TrackEntry) -> usize {
    match CodecConfig::parse(&entry.codec_id, entry.codec_private.as_ref()) {
        Ok(CodecConfig::Avc(avc)) => avc
            .max_num_reorder_frames()
            .and_then(|d| usize::try_from(d).ok())
            .unwrap_or(0)
            .min(super::decode::MAX_REORDER),
        _ => 0,
    }
}
