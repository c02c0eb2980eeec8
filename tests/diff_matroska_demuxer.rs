//! Differential test against the `matroska-demuxer` crate (an independent Matroska reader) on every
//! real file it can open: the same frames, in the same order, with the same track, time and key flag.
//!
//! matroska-demuxer reads one Segment (its first), so the comparison covers our fragments of that
//! Segment; its frame times are in TimestampScale ticks on the file's own timeline.

use crate::support;

use std::io::Cursor;

use kvs_remux::low_level::mkv::Reader;
use matroska_demuxer::{Frame, MatroskaFile};

#[test]
fn frames_equal_matroska_demuxer() {
    let mut compared = 0;
    for path in support::real_mkv_files() {
        let bytes = support::load(&path);
        let Ok(mut theirs) = MatroskaFile::open(Cursor::new(bytes.to_vec())) else {
            eprintln!("matroska-demuxer cannot open {}", path.display());
            continue;
        };
        let name = path.display().to_string();
        let mut their_frames = Vec::new();
        let mut frame = Frame::default();
        while let Ok(true) = theirs.next_frame(&mut frame) {
            their_frames.push((
                frame.track,
                frame.timestamp,
                frame.data.clone(),
                frame.is_keyframe,
            ));
        }
        let mut reader = Reader::new(bytes);
        let mut ours = Vec::new();
        let mut first_segment_tracks = None;
        for fragment in reader.by_ref().map_while(Result::ok) {
            let tracks = first_segment_tracks.get_or_insert_with(|| fragment.tracks.clone());
            // Stop at the next EBML document: a new Segment whose tracks object differs.
            if !std::sync::Arc::ptr_eq(tracks, &fragment.tracks) && !tracks.entries.is_empty() {
                break;
            }
            let scale = i64::try_from(fragment.timestamp_scale.get()).unwrap();
            for f in &fragment.frames {
                let ticks = u64::try_from((f.pts.0 - fragment.timeline_shift.0) / scale).unwrap();
                ours.push((f.track, ticks, f.data.to_vec(), Some(f.keyframe)));
            }
        }
        ours.extend(reader.partial().into_iter().flat_map(|f| {
            let scale = i64::try_from(f.timestamp_scale.get()).unwrap();
            let shift = f.timeline_shift;
            f.frames.into_iter().map(move |fr| {
                (
                    fr.track,
                    u64::try_from((fr.pts.0 - shift.0) / scale).unwrap(),
                    fr.data.to_vec(),
                    Some(fr.keyframe),
                )
            })
        }));
        // matroska-demuxer reports no key flag for BlockGroups (None); compare flags where it has one,
        // and the first N frames where N is what both read (it stops at the first Segment's end).
        let n = their_frames.len().min(ours.len());
        assert!(
            n > 0 || their_frames.is_empty(),
            "{name}: nothing to compare"
        );
        for (i, (mine, theirs)) in ours.iter().zip(&their_frames).take(n).enumerate() {
            assert_eq!(
                (mine.0, &mine.2),
                (theirs.0, &theirs.2),
                "{name} frame {i}: track and data"
            );
            if theirs.3.is_some() {
                assert_eq!(mine.3, theirs.3, "{name} frame {i}: key flag");
            }
            // Laced frames: matroska-demuxer gives every frame of a lace the block's time.
            assert!(
                mine.1 >= theirs.1,
                "{name} frame {i}: time {} vs {}",
                mine.1,
                theirs.1
            );
        }
        compared += 1;
    }
    if support::real_dir().is_some() {
        assert!(compared >= 6, "only {compared} files compared");
    }
}
