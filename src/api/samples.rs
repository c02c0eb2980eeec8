//! From fragments to samples: per track, decode times derived and durations filled in (spec §7.2).

use crate::codec::CodecConfig;
use crate::mkv::Fragment;
use crate::model::sample::{Sample, decode_times};

/// How many of a fragment's largest presentation times the next fragment may need (16 reordered frames
/// at most in H.264/H.265).
const TAIL: usize = 16;

/// The samples of track `track` in each of `fragments` (one `Vec` per fragment, in the same order).
///
/// Decode times follow [`decode_times`], continuing from the previous fragment. A sample lasts until
/// the next sample's decode time; the last sample of the track in a fragment lasts until the track's
/// first decode time in the next fragment, else the track's DefaultDuration, else as long as the
/// sample before it (issue 5 rule), else its BlockDuration, else 0.
pub fn track_samples(fragments: &[&Fragment], track: u64) -> Vec<Vec<Sample>> {
    // The reorder depth the H.264 SPS declares, which ffmpeg uses to time the source (decode_times).
    let declared_depth = fragments
        .iter()
        .find_map(|f| f.tracks.get(track))
        .and_then(
            |t| match CodecConfig::parse(&t.codec_id, t.codec_private.as_ref()) {
                Ok(CodecConfig::Avc(avc)) => avc.max_num_reorder_frames(),
                _ => None,
            },
        )
        .and_then(|d| usize::try_from(d).ok())
        .unwrap_or(0)
        .min(16);
    let mut tail: Vec<i64> = Vec::new();
    let mut per_fragment: Vec<(Vec<i64>, Vec<i64>)> = Vec::with_capacity(fragments.len());
    for fragment in fragments {
        let pts: Vec<i64> = fragment
            .frames
            .iter()
            .filter(|f| f.track == track)
            .map(|f| f.pts)
            .collect();
        let dts = decode_times(&pts, &tail, declared_depth);
        if !pts.is_empty() {
            let mut sorted = pts.clone();
            sorted.sort_unstable();
            tail = sorted.split_off(sorted.len().saturating_sub(TAIL));
        }
        per_fragment.push((pts, dts));
    }
    let mut out = Vec::with_capacity(fragments.len());
    for (index, fragment) in fragments.iter().enumerate() {
        let (_, dts) = &per_fragment[index];
        let next_start = per_fragment
            .iter()
            .skip(index + 1)
            .find_map(|(_, d)| d.first().copied());
        let default_duration = fragment.tracks.get(track).and_then(|t| t.default_duration);
        let frames: Vec<_> = fragment
            .frames
            .iter()
            .filter(|f| f.track == track)
            .collect();
        let mut samples: Vec<Sample> = Vec::with_capacity(frames.len());
        for (i, (frame, &dts_i)) in frames.iter().zip(dts).enumerate() {
            let following = dts
                .get(i + 1)
                .copied()
                .or(next_start.filter(|&n| n > dts_i));
            let duration = match following {
                Some(next) => u64::try_from(next - dts_i).unwrap_or(0),
                None => default_duration
                    .or_else(|| samples.last().map(|s| s.duration))
                    .or(frame.duration)
                    .unwrap_or(0),
            };
            samples.push(Sample {
                dts: dts_i,
                pts: frame.pts,
                duration,
                keyframe: frame.keyframe,
                data: frame.data.clone(),
            });
        }
        out.push(samples);
    }
    out
}
