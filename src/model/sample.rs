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

/// Decode times (ns) for frames stored in decode order with presentation times (ns) only
/// (Matroska, spec §7.2: "only the SimpleBlock's PTS is stored").
///
/// The reorder depth `d` is the largest number of later frames (in decode order) that are shown
/// before some frame, or `declared_depth` (the SPS's max_num_reorder_frames) if that is larger. Decode time `i` is then the `i−d`-th smallest presentation time, so every frame
/// is decoded no later than shown and decode times never decrease. The first `d` frames are
/// extrapolated back from the first presentation time by the span of the first `d` frames, unless
/// the previous fragment of the track continues without a gap: then they take its `d` largest
/// presentation times (`previous_sorted_tail`, ascending), as a decoder reading the whole stream
/// would. This is the rule ffmpeg applies when it remuxes Matroska with B-frames, so our decode times
/// equal ffprobe's for the source (up to the source's 1 ms rounding). Without reordering (`d = 0`)
/// decode times equal presentation times.
pub fn decode_times(pts: &[i64], previous_sorted_tail: &[i64], declared_depth: usize) -> Vec<i64> {
    // A previous presentation time within 2 ms of the extrapolated one continues the stream;
    // anything further away is a gap (or overlap) between fragments.
    const CONTINUITY_NS: i64 = 2_000_000;
    let mut sorted = pts.to_vec();
    sorted.sort_unstable();
    let depth = reorder_depth(pts).max(declared_depth);
    let span = match (sorted.first(), sorted.get(depth), sorted.last()) {
        (Some(first), Some(at_depth), _) => at_depth - first,
        // Fewer frames than the depth: extend their mean spacing.
        (Some(first), None, Some(last)) if pts.len() > 1 => {
            (last - first) / (pts.len() as i64 - 1) * depth as i64
        }
        _ => 0,
    };
    let mut dts = Vec::with_capacity(pts.len());
    for i in 0..pts.len() {
        let value = match i.checked_sub(depth) {
            Some(j) => sorted[j],
            None => {
                let extrapolated = sorted[i] - span;
                let previous = previous_sorted_tail
                    .len()
                    .checked_sub(depth - i)
                    .and_then(|k| previous_sorted_tail.get(k))
                    .filter(|&&t| (t - extrapolated).abs() <= CONTINUITY_NS);
                previous.copied().unwrap_or(extrapolated)
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
        let later = pts
            .iter()
            .skip(i + 1)
            .take(WINDOW)
            .filter(|&&q| q < p)
            .count();
        depth = depth.max(later);
    }
    depth
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_reordering_keeps_pts() {
        assert_eq!(decode_times(&[0, 33, 67], &[], 0), [0, 33, 67]);
    }

    #[test]
    fn b_frames_follow_ffmpegs_rule() {
        let ms = |v: &[i64]| v.iter().map(|x| x * 1_000_000).collect::<Vec<i64>>();
        // ffprobe on an x264 -bf 2 Matroska file (pts in ms, decode order) gives dts -67, -34, 0, 33, 67, 100.
        let pts = ms(&[0, 100, 33, 67, 167, 133]);
        assert_eq!(decode_times(&pts, &[], 0), ms(&[-67, -34, 0, 33, 67, 100]));
        for (d, p) in decode_times(&pts, &[], 0).iter().zip(&pts) {
            assert!(d <= p);
        }
        // A later fragment takes its first decode times from the previous fragment's last pts...
        let next = ms(&[200, 300, 233, 267]);
        assert_eq!(
            decode_times(&next, &ms(&[133, 167]), 0),
            ms(&[133, 167, 200, 233])
        );
        // ...unless there is a gap between them: then they are extrapolated.
        let after_gap = ms(&[2200, 2300, 2233, 2267]);
        assert_eq!(
            decode_times(&after_gap, &ms(&[133, 167]), 0),
            ms(&[2133, 2166, 2200, 2233])
        );
        // An SPS that declares 2 reordered frames shifts even frames in order, as ffmpeg does
        // (mkvdump/dateutc.mkv: 2 frames at 25 fps, ffprobe gives dts = pts − 80 ms).
        assert_eq!(decode_times(&ms(&[0, 40]), &[], 2), ms(&[-80, -40]));
    }
}
