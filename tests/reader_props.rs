//! Properties of the reader on real KVS captures: the push parser gives the same fragments for any
//! split of the input, and a cut at any byte gives the complete fragments before it plus a typed error.

use crate::support;

use bytes::Bytes;
use kvs_remux::low_level::mkv::{Error, Fragment, PushParser, Reader};
use proptest::prelude::*;

/// Complete fragments, then the error (if any) and the damaged fragment (if any).
type Outcome = (Vec<Fragment>, Option<Error>, Option<Fragment>);

fn whole(input: &Bytes) -> Outcome {
    let mut reader = Reader::new(input.clone());
    let mut fragments = Vec::new();
    let mut error = None;
    for next in reader.by_ref() {
        match next {
            Ok(f) => fragments.push(f),
            Err(e) => error = Some(e),
        }
    }
    (fragments, error, reader.partial())
}

fn pushed(input: &[u8], chunk_sizes: &[usize]) -> Outcome {
    let mut parser = PushParser::new();
    let mut fragments = Vec::new();
    let mut rest = input;
    let mut sizes = chunk_sizes.iter().cycle();
    let mut result = Ok(());
    while !rest.is_empty() && result.is_ok() {
        let n = (*sizes.next().unwrap()).clamp(1, rest.len());
        let (chunk, tail) = rest.split_at(n);
        result = parser.push(chunk);
        rest = tail;
        fragments.extend(std::iter::from_fn(|| parser.next_fragment()));
    }
    if result.is_ok() {
        result = parser.finish();
    }
    fragments.extend(std::iter::from_fn(|| parser.next_fragment()));
    (fragments, result.err(), parser.partial())
}

/// Real inputs: unknown-size Clusters with producer tags, known-size Clusters with CRC-32, a
/// producer stream of many Clusters in one unknown-size Segment (cut mid-way), and a truncated capture.
fn inputs() -> Vec<(String, Bytes)> {
    let Some(dir) = support::real_dir() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (file, limit) in [
        ("kvs-parser-library/test_mixed_tags.mkv", usize::MAX),
        (
            "kvs-parser-library/output_get_media_sparse_fragments.mkv",
            700_000,
        ),
        ("kvs-producer-sdk-cpp/media/test-stream-1_0.mkv", 400_000),
        (
            "kvs-parser-library/output-get-media-equal-timecode.mkv",
            usize::MAX,
        ),
        ("mkvdump/two_inits_segment_unknown_size.webm", usize::MAX),
        ("matroska-demuxer/simple.mkv", usize::MAX),
    ] {
        let bytes = support::load(&dir.join(file));
        let end = bytes.len().min(limit);
        out.push((file.to_owned(), bytes.slice(..end)));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_split_gives_the_same_fragments(sizes in prop::collection::vec(prop_oneof![1usize..16, 1usize..4096, 1usize..200_000], 1..64)) {
        for (name, input) in inputs() {
            let expected = whole(&input);
            let got = pushed(&input, &sizes);
            prop_assert_eq!(&got.0, &expected.0, "{}: fragments", name);
            prop_assert_eq!(&got.1, &expected.1, "{}: error", name);
            prop_assert_eq!(&got.2, &expected.2, "{}: damaged fragment", name);
        }
    }

    #[test]
    fn a_cut_anywhere_keeps_complete_fragments(cut_fraction in 0.0f64..1.0) {
        for (name, input) in inputs() {
            // The full reading: complete fragments, then the damaged one if the input itself is cut.
            let (mut full, _, full_partial) = whole(&input);
            full.extend(full_partial);
            let cut = (input.len() as f64 * cut_fraction) as usize;
            let (fragments, error, partial) = whole(&input.slice(..cut));
            // Every fragment whose successor's header lies before the cut is complete and unchanged.
            let complete = full.iter().filter(|f| f.offset + f.size + 12 <= cut as u64).count();
            prop_assert!(fragments.len() >= complete.min(full.len()), "{}: {} < {}", name, fragments.len(), complete);
            for (got, want) in fragments.iter().zip(&full).take(complete) {
                prop_assert_eq!(got, want, "{}", name);
            }
            // Fragments read past that point are the full ones or prefixes of them (frames so far).
            for (got, want) in fragments.iter().zip(&full).skip(complete) {
                prop_assert!(want.frames.starts_with(&got.frames), "{}", name);
            }
            if let Some(error) = &error {
                prop_assert!(error.offset() <= cut as u64, "{}: error offset {} past the cut {}", name, error.offset(), cut);
            }
            if let Some(partial) = partial {
                prop_assert!(error.is_some());
                let want = &full[fragments.len()];
                prop_assert!(want.frames.starts_with(&partial.frames), "{}: damaged fragment keeps a prefix", name);
            }
            // Every frame is a slice of the input.
            for frame in fragments.iter().flat_map(|f| &f.frames) {
                let start = usize::try_from(frame.offset).unwrap();
                prop_assert_eq!(&input[start..start + frame.data.len()], &frame.data[..]);
            }
        }
    }
}

/// A cut at every byte of a small real capture: never a panic, always complete fragments or a typed error.
#[test]
fn every_cut_of_a_small_capture() {
    let Some(dir) = support::real_dir() else {
        return;
    };
    let input = support::load(&dir.join("kvs-parser-library/test_mixed_tags.mkv"));
    let (full, error, _) = whole(&input);
    assert!(error.is_none());
    assert_eq!(full.len(), 10);
    for cut in 0..input.len() {
        let (fragments, error, _) = whole(&input.slice(..cut));
        let complete = full
            .iter()
            .filter(|f| f.offset + f.size + 12 <= cut as u64)
            .count();
        assert!(fragments.len() >= complete, "cut {cut}");
        assert_eq!(&fragments[..complete], &full[..complete], "cut {cut}");
        if let Some(error) = &error {
            assert!(error.offset() <= cut as u64, "cut {cut}: {error}");
        }
    }
}
