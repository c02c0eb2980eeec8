//! Samples: format-neutral frames with decode and presentation times, what the writers consume.

use bytes::Bytes;

/// One access unit of one track, in decode order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Decode time in ns (same epoch as `pts`).
    pub dts: i64,
    /// Presentation time in ns.
    pub pts: i64,
    /// Duration in ns.
    pub duration: u64,
    /// A sync sample (IDR / key frame).
    pub keyframe: bool,
    /// The payload, a slice of the input.
    pub data: Bytes,
}

/// Decode times for frames stored in decode order with presentation times only (Matroska, spec §7.2:
/// "only the SimpleBlock's PTS is stored").
///
/// The reorder depth `d` is the largest number of later frames (in decode order) that are shown
/// before some frame. Decode time `i` is then the `i−d`-th smallest presentation time, so every frame
/// is decoded no later than shown and decode times never decrease. The first `d` frames take the
/// `d` largest presentation times of the previous fragment of the track (`previous_sorted_tail`,
/// ascending) when given; without them they are extrapolated back from the first presentation time by
/// the span of the first `d` frames. This is the rule ffmpeg applies when it remuxes Matroska with
/// B-frames, so our decode times equal ffprobe's for the source (up to the source's 1 ms rounding).
/// Without reordering (`d = 0`) decode times equal presentation times.
pub fn decode_times(pts: &[i64], previous_sorted_tail: &[i64]) -> Vec<i64> {
    let mut sorted = pts.to_vec();
    sorted.sort_unstable();
    let depth = reorder_depth(pts);
    let mut dts = Vec::with_capacity(pts.len());
    for i in 0..pts.len() {
        let value = match i.checked_sub(depth) {
            Some(j) => sorted[j],
            None => {
                let from_previous = previous_sorted_tail.len().checked_sub(depth - i);
                match from_previous.and_then(|k| previous_sorted_tail.get(k)) {
                    Some(&t) if t <= sorted[i] => t,
                    _ => {
                        let span = sorted.get(depth).map_or(0, |&s| s - sorted[0]);
                        sorted[i] - span
                    }
                }
            }
        };
        dts.push(value);
    }
    dts
}

/// The largest number of frames after a frame (in decode order) that are presented before it.
fn reorder_depth(pts: &[i64]) -> usize {
    // Choice: O(n·w) with a window of 16 frames (H.264/H.265 allow at most 16 reordered frames).
    const WINDOW: usize = 16;
    let mut depth = 0;
    for (i, &p) in pts.iter().enumerate() {
        let later = pts.iter().skip(i + 1).take(WINDOW).filter(|&&q| q < p).count();
        depth = depth.max(later);
    }
    depth
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_reordering_keeps_pts() {
        assert_eq!(decode_times(&[0, 33, 67], &[]), [0, 33, 67]);
    }

    #[test]
    fn b_frames_follow_ffmpegs_rule() {
        // ffprobe on an x264 -bf 2 Matroska file (pts in ms, decode order) gives dts -67, -34, 0, 33, 67, 100.
        let pts = [0, 100, 33, 67, 167, 133];
        assert_eq!(decode_times(&pts, &[]), [-67, -34, 0, 33, 67, 100]);
        // In a later fragment, the first decode times come from the previous fragment's last pts.
        let next = [200, 300, 233, 267];
        assert_eq!(decode_times(&next, &[133, 167]), [133, 167, 200, 233]);
        for (d, p) in decode_times(&pts, &[]).iter().zip(pts) {
            assert!(*d <= p);
        }
    }
}
