//! Decode times for frames stored in decode order with presentation times only (Matroska, spec
//! §7.2: "only the SimpleBlock's PTS is stored").

use crate::time::Nanos;

/// Most frames H.264/H.265 may hold back for reordering.
pub(crate) const MAX_REORDER: usize = 16;

/// Decode times for frames whose presentation times are `pts` (in decode order), or `None` when one
/// would leave the `i64` timeline (only hostile input gets there).
///
/// The reorder depth `d` is the largest number of later frames (in decode order) that are shown
/// before some frame, or `declared_depth` (the SPS's max_num_reorder_frames) if that is larger.
/// Decode time `i` is then the `i−d`-th smallest presentation time, so every frame is decoded no
/// later than shown and decode times never decrease. The first `d` frames are extrapolated back
/// from the first presentation time by the span of the first `d` frames, unless the previous
/// fragment of the track continues without a gap: then they take its `d` largest presentation
/// times (`previous_sorted_tail`, ascending), as a decoder reading the whole stream would. This is
/// the rule ffmpeg applies when it remuxes Matroska with B-frames, so our decode times equal
/// ffprobe's for the source (up to the source's 1 ms rounding). Without reordering (`d = 0`)
/// decode times equal presentation times.
pub(crate) fn decode_times(
    pts: &[Nanos],
    previous_sorted_tail: &[Nanos],
    declared_depth: usize,
) -> Option<Vec<Nanos>> {
    // A previous presentation time within 2 ms of the extrapolated one continues the stream;
    // anything further away is a gap (or overlap) between fragments.
    const CONTINUITY_NS: u64 = 2_000_000;
    let mut sorted = pts.to_vec();
    sorted.sort_unstable();
    let depth = reorder_depth(pts).max(declared_depth);
    // Spans are i128: the difference of two i64 times cannot overflow there.
    let span: i128 = match (sorted.first(), sorted.get(depth), sorted.last()) {
        (Some(first), Some(at_depth), _) => at_depth.wide_sub(*first),
        // Fewer frames than the depth: extend their mean spacing (n ≥ 2, depth ≤ 16).
        (Some(first), None, Some(last)) if pts.len() > 1 => {
            last.wide_sub(*first) / (pts.len() as i128 - 1) * depth as i128
        }
        _ => 0,
    };
    let mut dts = Vec::with_capacity(pts.len());
    for (i, shown) in sorted.iter().enumerate() {
        let value = match i.checked_sub(depth) {
            Some(j) => *sorted.get(j)?,
            None => {
                let extrapolated = Nanos(i64::try_from(i128::from(shown.0) - span).ok()?);
                let previous = previous_sorted_tail
                    .len()
                    .checked_sub(depth - i)
                    .and_then(|k| previous_sorted_tail.get(k))
                    .filter(|t| t.abs_diff(extrapolated) <= CONTINUITY_NS);
                previous.copied().unwrap_or(extrapolated)
            }
        };
        dts.push(value);
    }
    Some(dts)
}

/// The largest number of frames after a frame (in decode order) that are presented before it.
fn reorder_depth(pts: &[Nanos]) -> usize {
    // Choice: O(n·w) with a window of 16 frames (H.264/H.265 allow at most 16 reordered frames).
    let mut depth = 0;
    for (i, &p) in pts.iter().enumerate() {
        let later = pts
            .iter()
            .skip(i + 1)
            .take(MAX_REORDER)
            .filter(|&&q| q < p)
            .count();
        depth = depth.max(later);
    }
    depth
}

/// The up to 16 largest of `pts`, ascending: what the next fragment's first decode times may need.
pub(crate) fn sorted_tail(pts: &[Nanos]) -> Vec<Nanos> {
    let mut sorted = pts.to_vec();
    sorted.sort_unstable();
    sorted.split_off(sorted.len().saturating_sub(MAX_REORDER))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[i64]) -> Vec<Nanos> {
        v.iter().map(|x| Nanos(x * 1_000_000)).collect()
    }

    #[test]
    fn no_reordering_keeps_pts() {
        assert_eq!(
            decode_times(&ms(&[0, 33, 67]), &[], 0),
            Some(ms(&[0, 33, 67]))
        );
    }

    #[test]
    fn b_frames_follow_ffmpegs_rule() {
        // ffprobe on an x264 -bf 2 Matroska file (pts in ms, decode order) gives dts -67, -34, 0, 33, 67, 100.
        let pts = ms(&[0, 100, 33, 67, 167, 133]);
        let dts = decode_times(&pts, &[], 0).unwrap();
        assert_eq!(dts, ms(&[-67, -34, 0, 33, 67, 100]));
        for (d, p) in dts.iter().zip(&pts) {
            assert!(d <= p);
        }
        // A later fragment takes its first decode times from the previous fragment's last pts...
        let next = ms(&[200, 300, 233, 267]);
        assert_eq!(
            decode_times(&next, &ms(&[133, 167]), 0),
            Some(ms(&[133, 167, 200, 233]))
        );
        // ...unless there is a gap between them: then they are extrapolated.
        let after_gap = ms(&[2200, 2300, 2233, 2267]);
        assert_eq!(
            decode_times(&after_gap, &ms(&[133, 167]), 0),
            Some(ms(&[2133, 2166, 2200, 2233]))
        );
        // An SPS that declares 2 reordered frames shifts even frames in order, as ffmpeg does
        // (mkvdump/dateutc.mkv: 2 frames at 25 fps, ffprobe gives dts = pts − 80 ms).
        assert_eq!(decode_times(&ms(&[0, 40]), &[], 2), Some(ms(&[-80, -40])));
    }

    #[test]
    fn times_at_the_ends_of_i64_are_checked() {
        // The first frame at i64::MIN, reordered: extrapolating back leaves the timeline.
        let pts = [Nanos(i64::MIN + 10), Nanos(i64::MIN)];
        assert_eq!(decode_times(&pts, &[], 0), None);
        // Frames at both ends: the span is computed without overflow.
        let wide = [Nanos(i64::MIN), Nanos(i64::MAX)];
        assert_eq!(decode_times(&wide, &[], 0), Some(wide.to_vec()));
        assert_eq!(sorted_tail(&ms(&[3, 1, 2])), ms(&[1, 2, 3]));
    }
}
