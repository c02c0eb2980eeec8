//! The library's archive, index and live reading, as a library user sees them: selections against
//! mkvinfo's fragment list, inputs that change under the reader, frames of a stream as they arrive,
//! frames GetClip would refuse reported by `inspect`.

use crate::support;

use std::path::PathBuf;

use bytes::Bytes;
use kvs_remux::archive::{Selection, TimestampKind};
use kvs_remux::low_level::mkv::{PushParser, Reader};
use kvs_remux::{Archive, ClipRequest, SelectorType, UnixMillis, get_clip};

/// Producer timestamps (ms) of a KVS-shaped file's fragments, as mkvinfo reads each chunk.
fn mkvinfo_producer_ms(data: &[u8]) -> Option<Vec<u64>> {
    support::ebml_documents(data)
        .into_iter()
        .map(|chunk| {
            let info = support::mkvinfo_chunk(chunk)?;
            let tag = info.tag("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP")?.to_owned();
            let (s, ms) = tag.split_once('.')?;
            Some(s.parse::<u64>().ok()? * 1000 + ms.parse::<u64>().ok()?)
        })
        .collect()
}

/// Selections are inclusive at both ends and pages visit exactly the selection, in order.
#[test]
fn selection_and_pages_follow_the_fragment_list() {
    let path = support::fixture("gap");
    let data = std::fs::read(&path).unwrap();
    let Some(producer) = mkvinfo_producer_ms(&data) else {
        return;
    };
    let archive = Archive::from_bytes(Bytes::from(data)).unwrap();
    let index = archive.index();
    assert_eq!(index.len(), producer.len());
    for (start, end) in [(0, 3), (1, 2), (2, 2), (0, 0), (3, 3)] {
        let (start, end) = (producer[start], producer[end]);
        let selection = Selection {
            kind: TimestampKind::Producer,
            start: Some(UnixMillis(start)),
            end: Some(UnixMillis(end)),
        };
        let selected = index.select(&selection);
        let want: Vec<usize> = (0..producer.len())
            .filter(|&i| (start..=end).contains(&producer[i]))
            .collect();
        assert_eq!(selected, want, "[{start}, {end}]");
        // One past either end leaves the edge fragment out (inclusive start and end).
        let narrower = Selection {
            start: Some(UnixMillis(start + 1)),
            ..selection
        };
        assert!(!index.select(&narrower).contains(&want[0]));
        for max in 1..=3 {
            let mut after = None;
            let mut paged = Vec::new();
            loop {
                let (page, next) = index.page(Some(&selection), after.as_ref(), max);
                assert!(page.len() <= max);
                paged.extend(page);
                match next {
                    Some(cursor) => after = Some(cursor),
                    None => break,
                }
            }
            assert_eq!(paged, want, "pages of {max}");
        }
    }
}

/// A scratch directory for this module's tests.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("archive")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir); // absent on the first run: nothing to remove
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A directory of one file per fragment, many copies of the sample's fragments.
fn fragment_files(name: &str, copies: usize) -> (PathBuf, Vec<PathBuf>) {
    let data = std::fs::read(support::sample()).unwrap();
    let dir = scratch(name);
    let mut files = Vec::new();
    for copy in 0..copies {
        for (i, chunk) in support::ebml_documents(&data).into_iter().enumerate() {
            let file = dir.join(format!("{copy:03}-{i}.mkv"));
            std::fs::write(&file, chunk).unwrap();
            files.push(file);
        }
    }
    (dir, files)
}

/// Files are read as long as they were when opened (a download still appending is fine); a file
/// that shrank since the archive was indexed is an error when its fragment is read, not a crash.
/// (Directories of more than 16 files load each file again when it is read.)
#[test]
fn inputs_that_change_under_the_reader() {
    let (dir, files) = fragment_files("changing", 3);
    let archive = Archive::open(&dir).unwrap();
    assert_eq!(archive.index().len(), files.len());
    // Appended to: the fragment as indexed reads back.
    let mut grown = std::fs::read(&files[0]).unwrap();
    grown.extend_from_slice(&[0xEC, 0x80]);
    std::fs::write(&files[0], &grown).unwrap();
    let first = archive.read(0).unwrap();
    assert!(!first.frames.is_empty());
    // Cut short: a local failure naming the file.
    let cut = std::fs::read(&files[5]).unwrap();
    std::fs::write(&files[5], &cut[..cut.len() / 2]).unwrap();
    let error = archive.read(5).unwrap_err();
    assert!(error.is_local(), "{error}");
    assert!(error.to_string().contains("changed"), "{error}");
    assert!(error.to_string().contains("000-5.mkv"), "{error}");
}

/// A live stream: frames are visible as soon as their blocks arrive, and a fragment is handed out
/// as soon as GetMedia's closing tags (CONTINUATION_TOKEN) arrive, before the next fragment starts.
#[test]
fn a_stream_shows_frames_and_fragments_as_they_arrive() {
    let data = std::fs::read(support::sample()).unwrap();
    let fragments: Vec<_> = Reader::new(Bytes::from(data.clone()))
        .map(Result::unwrap)
        .collect();
    let first = &fragments[0];
    let end = usize::try_from(first.offset + first.size).unwrap();
    let mut parser = PushParser::new();
    let mut seen_open = 0;
    // Every prefix of the fragment short of its last byte, in steps of 997 bytes.
    for chunk in data[..end - 1].chunks(997) {
        parser.push(chunk).unwrap();
        assert!(
            parser.next_fragment().is_none(),
            "a fragment came out before its last byte"
        );
        let open = parser.open_frames();
        assert!(
            open.len() >= seen_open,
            "frames never disappear while arriving"
        );
        for frame in &open {
            let at = usize::try_from(frame.offset).unwrap();
            assert_eq!(&data[at..at + frame.data.len()], &frame.data[..]);
        }
        seen_open = open.len();
    }
    assert!(
        seen_open > 0,
        "frames were visible before the fragment completed"
    );
    // The rest of the fragment, up to its last byte and not one more.
    let mut parser = PushParser::new();
    parser.push(&data[..end]).unwrap();
    let complete = parser
        .next_fragment()
        .expect("complete at its closing tags");
    assert_eq!(complete, *first);
    // Frame times seen while arriving equal the finished fragment's.
    let mut parser = PushParser::new();
    parser.push(&data[..end - 1]).unwrap();
    let times: Vec<_> = parser.open_frames().iter().map(|f| f.pts).collect();
    let finished: Vec<_> = first.frames.iter().map(|f| f.pts).collect();
    assert_eq!(times, finished);
}

/// H.264 frames given as Annex-B while the codec private data is avcC: `inspect` names the fragment
/// with InvalidMediaFrameException, as GetClip refuses it (spec §5.2, §5.3).
#[test]
fn inspect_reports_frames_getclip_refuses() {
    let mut data = std::fs::read(support::sample()).unwrap();
    let fragments: Vec<_> = Reader::new(Bytes::from(data.clone()))
        .map(Result::unwrap)
        .collect();
    let frame = &fragments[2].frames[0];
    let at = usize::try_from(frame.offset).unwrap();
    data[at..at + 4].copy_from_slice(&[0, 0, 0, 1]);
    let bytes = Bytes::from(data);
    let report = kvs_remux::inspect(bytes.clone());
    for (i, fragment) in report.fragments.iter().enumerate() {
        match i {
            2 => {
                let error = fragment.error.as_deref().unwrap_or_default();
                assert!(
                    error.starts_with("InvalidMediaFrameException: ") && error.contains("annex-b"),
                    "{error}"
                );
                assert!(error.ends_with(&format!("(offset {at})")), "{error}");
            }
            _ => assert_eq!(fragment.error, None, "fragment {i}"),
        }
    }
    let archive = Archive::from_bytes(bytes).unwrap();
    let request = ClipRequest {
        selector: SelectorType::Server,
        start: None,
        end: None,
        no_limits: false,
    };
    let error = get_clip(&archive, &request).unwrap_err();
    assert_eq!(error.code(), "InvalidMediaFrameException");
    assert_eq!(error.offset(), Some(frame.offset));
}
