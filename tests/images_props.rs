//! GetImages' slots, NO_MEDIA and paging against a brute-force model of spec §1.7 over random
//! archives (proptest): fragments of 100-ms AAC frames on track 1 (so a slot with media is
//! MEDIA_ERROR, track 1 not being video, and one without is NO_MEDIA: no decoding involved),
//! back to back or with holes of a few ms to minutes, a range that may start inside a fragment, any
//! interval and MaxResults. The model: a slot every interval from Start through End (one at Start for a shorter
//! range); fragments selected by start time in [Start, End]; a slot belongs to the latest selected
//! fragment starting at or before it and has media while that fragment's frames last (to the next
//! fragment's start when it follows within 50 ms, else 100 ms after its last frame).

use crate::support::mkv_build;

use bytes::Bytes;
use kvs_remux::api::images::{
    Format, GetImagesInput, ImageError, ImagesOptions, get_images, get_images_with,
};
use kvs_remux::archive::TimestampKind;
use kvs_remux::{Archive, UnixMillis};
use mkv_build::{KvsFragment, Track, simple_block};
use proptest::prelude::*;

const BASE: u64 = 1_700_000_000_000;
const FRAME_MS: u64 = 100;

/// One fragment: frames, and the hole in ms before it, if any.
#[derive(Debug, Clone)]
struct Spec {
    frames: u64,
    gap: Option<u64>,
}

/// The longest hole after a fragment's last frame that its last frame spans (50 ms, ON_DISCONTINUITY).
const HELD_MS: u64 = 50;

fn archive(specs: &[Spec]) -> (Archive, Vec<(u64, u64)>) {
    let mut bytes = Vec::new();
    let mut spans = Vec::new();
    let mut at = BASE;
    for (i, spec) in specs.iter().enumerate() {
        if let Some(gap) = spec.gap {
            at += gap;
        }
        let blocks: Vec<Vec<u8>> = (0..spec.frames)
            .map(|k| simple_block(1, (k * FRAME_MS) as i16, true, &[0x21, 0x10, 0x04]))
            .collect();
        let track = Track::aac(1).with_default_duration(FRAME_MS * 1_000_000);
        bytes.extend(KvsFragment::new(i as u64 + 1, at, vec![track], &blocks).to_bytes());
        spans.push((at, at + spec.frames * FRAME_MS));
        at += spec.frames * FRAME_MS;
    }
    // Back to back or within 50 ms, a fragment's last frame lasts until the next fragment starts;
    // a longer hole is a gap.
    for i in 1..spans.len() {
        if specs[i].gap.is_none_or(|gap| gap <= HELD_MS) {
            spans[i - 1].1 = spans[i].0;
        }
    }
    (Archive::from_bytes(Bytes::from(bytes)).unwrap(), spans)
}

/// The model's answer per slot: (time, has media).
fn model(spans: &[(u64, u64)], start: u64, end: u64, interval: u64) -> Vec<(u64, bool)> {
    let count = if end - start < interval {
        1
    } else {
        (end - start) / interval + 1
    };
    let selected: Vec<&(u64, u64)> = spans
        .iter()
        .filter(|(s, _)| *s >= start && *s <= end)
        .collect();
    (0..count)
        .map(|k| {
            let t = start + k * interval;
            let owner = selected.iter().rev().find(|(s, _)| *s <= t);
            (t, owner.is_some_and(|(_, e)| t < *e))
        })
        .collect()
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        1u64..30,
        prop_oneof![
            3 => Just(None),
            1 => (1u64..=2 * HELD_MS).prop_map(Some),
            1 => (0u64..5000).prop_map(Some),
            1 => (25_000u64..125_000).prop_map(Some),
        ],
    )
        .prop_map(|(frames, gap)| Spec { frames, gap })
}

/// A fragment whose block cannot be read (fixed lacing that does not divide it) makes its own slots
/// MEDIA_ERROR with the reader's message as the reason; the request succeeds and the other
/// fragment's slots keep their outcome. (Until stop 22 the whole request failed with
/// InvalidArgumentException, a case the `images` fuzz target found.)
#[test]
fn unreadable_block_is_media_error_of_its_fragment() {
    let track = || Track::aac(1).with_default_duration(FRAME_MS * 1_000_000);
    let good = simple_block(1, 0, true, &[0x21, 0x10, 0x04]);
    // Flags byte (after ID, size, track number and timecode): fixed lacing, two frames in 3 bytes.
    let mut laced = simple_block(1, 0, true, &[0x01, 0x21, 0x10, 0x04]);
    laced[5] |= 0x04;
    let mut bytes = KvsFragment::new(1, BASE, vec![track()], &[good]).to_bytes();
    bytes.extend(KvsFragment::new(2, BASE + 1000, vec![track()], &[laced]).to_bytes());
    let archive = Archive::from_bytes(Bytes::from(bytes)).unwrap();
    let input = GetImagesInput {
        stream_name: Some("s".into()),
        stream_arn: None,
        image_selector_type: TimestampKind::Server,
        start_timestamp: UnixMillis(BASE),
        end_timestamp: UnixMillis(BASE + 2000),
        sampling_interval: Some(500),
        format: Format::Jpeg,
        format_config: None,
        width_pixels: None,
        height_pixels: None,
        max_results: None,
        next_token: None,
    };
    let page = get_images(&archive, &input).unwrap();
    let reasons: Vec<(u64, Option<ImageError>, String)> = page
        .images
        .iter()
        .map(|i| {
            (
                i.time_stamp.0 - BASE,
                i.error,
                i.reason.clone().unwrap_or_default(),
            )
        })
        .collect();
    // Fragment 1 (one 100-ms AAC frame): its first slot is MEDIA_ERROR (not video), the next one
    // after its frames; fragment 2 (from 1000 ms): MEDIA_ERROR for the damaged block.
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert_eq!(reasons[0].1, Some(ImageError::MediaError), "{reasons:?}");
    assert!(reasons[0].2.contains("not video"), "{reasons:?}");
    assert_eq!(reasons[1].1, Some(ImageError::NoMedia), "{reasons:?}");
    for (at, error, reason) in &reasons[2..] {
        assert_eq!(*error, Some(ImageError::MediaError), "{at}: {reason}");
        assert!(reason.contains("lacing"), "{at}: {reason}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn slots_and_pages_follow_the_model(
        specs in prop::collection::vec(spec(), 1..8),
        start_offset in -3000i64..20_000,
        length in 0u64..300_001,
        interval in 200u64..5000,
        max_results in 1i64..40,
    ) {
        let (archive, spans) = archive(&specs);
        let start = BASE.checked_add_signed(start_offset).unwrap();
        let end = start + length;
        let expected = model(&spans, start, end, interval);
        let mut input = GetImagesInput {
            stream_name: Some("s".into()),
            stream_arn: None,
            image_selector_type: TimestampKind::Server,
            start_timestamp: UnixMillis(start),
            end_timestamp: UnixMillis(end),
            sampling_interval: Some(interval as i64),
            format: Format::Jpeg,
            format_config: None,
            width_pixels: None,
            height_pixels: None,
            max_results: Some(max_results),
            next_token: None,
        };
        let all_pages = ImagesOptions { all_pages: true, ..ImagesOptions::default() };
        let at_once = get_images_with(&archive, &input, all_pages).unwrap();
        prop_assert!(at_once.next_token.is_none());
        let mut got = Vec::new();
        loop {
            let page = get_images(&archive, &input).unwrap();
            let size = page.images.len();
            got.extend(page.images);
            match page.next_token {
                Some(token) => {
                    prop_assert_eq!(size as i64, max_results.min(25));
                    input.next_token = Some(token);
                }
                None => break,
            }
        }
        let answers: Vec<(u64, bool)> = got
            .iter()
            .map(|i| (i.time_stamp.0, i.error == Some(ImageError::MediaError)))
            .collect();
        prop_assert_eq!(&answers, &expected);
        prop_assert_eq!(&got, &at_once.images);
        prop_assert!(got.iter().all(|i| i.image_content.is_none()
            && matches!(i.error, Some(ImageError::MediaError | ImageError::NoMedia))));
    }
}
