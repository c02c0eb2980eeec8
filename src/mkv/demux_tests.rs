//! Edge cases of the fragment reader on small documents built element by element.
//! Expected values come from RFC 8794 / RFC 9559 and spec §7, not from the reader.

use std::sync::Arc;

use bytes::Bytes;

use super::{Error, PushParser, Reader, ids};
use crate::ebml;
use crate::time::Nanos;

/// Id bytes without leading zero bytes (ids keep their marker bits).
fn id_bytes(id: u32) -> Vec<u8> {
    let bytes = id.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    bytes[skip..].to_vec()
}

/// An element with an 8-byte size vint (the width KVS producers use).
fn el(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = id_bytes(id);
    out.push(0x01);
    out.extend_from_slice(&(payload.len() as u64).to_be_bytes()[1..]);
    out.extend_from_slice(payload);
    out
}

/// An element header with the unknown size (`01 FF FF FF FF FF FF FF`).
fn unknown(id: u32) -> Vec<u8> {
    let mut out = id_bytes(id);
    out.extend_from_slice(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    out
}

fn uint(id: u32, value: u64) -> Vec<u8> {
    el(id, &value.to_be_bytes())
}

fn ebml_header(doc_type: &str) -> Vec<u8> {
    el(ids::EBML, &el(ids::DOC_TYPE, doc_type.as_bytes()))
}

fn track(number: u64, codec: &str, default_duration: Option<u64>) -> Vec<u8> {
    let mut body = [
        uint(ids::TRACK_NUMBER, number),
        uint(ids::TRACK_TYPE, 1),
        el(ids::CODEC_ID, codec.as_bytes()),
    ]
    .concat();
    if let Some(d) = default_duration {
        body.extend(uint(ids::DEFAULT_DURATION, d));
    }
    el(ids::TRACK_ENTRY, &body)
}

fn simple_block(track: u8, timestamp: i16, key: bool, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![0x80 | track];
    body.extend_from_slice(&timestamp.to_be_bytes());
    body.push(if key { 0x80 } else { 0 });
    body.extend_from_slice(payload);
    el(ids::SIMPLE_BLOCK, &body)
}

fn kvs_tags(pairs: &[(&str, &str)]) -> Vec<u8> {
    let simple: Vec<u8> = pairs
        .iter()
        .flat_map(|(n, v)| {
            el(
                ids::SIMPLE_TAG,
                &[
                    el(ids::TAG_NAME, n.as_bytes()),
                    el(ids::TAG_STRING, v.as_bytes()),
                ]
                .concat(),
            )
        })
        .collect();
    el(ids::TAGS, &el(ids::TAG, &simple))
}

fn read_all(input: Vec<u8>) -> (Vec<super::Fragment>, Option<Error>) {
    let mut fragments = Vec::new();
    let mut error = None;
    for next in Reader::new(Bytes::from(input)) {
        match next {
            Ok(f) => fragments.push(f),
            Err(e) => error = Some(e),
        }
    }
    (fragments, error)
}

fn kvs_fragment(number: &str, producer: &str, cluster_tc: u64, blocks: &[Vec<u8>]) -> Vec<u8> {
    [
        ebml_header("matroska"),
        unknown(ids::SEGMENT),
        el(ids::TRACKS, &track(1, "V_MPEG4/ISO/AVC", Some(33_333_333))),
        kvs_tags(&[
            ("AWS_KINESISVIDEO_FRAGMENT_NUMBER", number),
            ("AWS_KINESISVIDEO_SERVER_TIMESTAMP", "1700000001.500"),
            ("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", producer),
        ]),
        unknown(ids::CLUSTER),
        uint(ids::TIMESTAMP, cluster_tc),
        blocks.concat(),
        kvs_tags(&[
            ("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", "42"),
            ("AWS_KINESISVIDEO_CONTINUATION_TOKEN", number),
        ]),
    ]
    .concat()
}

#[test]
fn kvs_fragments_anchor_frames_on_the_producer_timestamp() {
    let one = kvs_fragment(
        "100",
        "1700000000.000",
        0,
        &[
            simple_block(1, 0, true, b"a"),
            simple_block(1, 33, false, b"b"),
        ],
    );
    // The second PutMedia session restarts its Cluster timestamps at 0 (spec §7.1, equal-timecode case).
    let two = kvs_fragment(
        "101",
        "1700000002.000",
        0,
        &[simple_block(1, 0, true, b"c")],
    );
    let (fragments, error) = read_all([one.clone(), two].concat());
    assert!(error.is_none());
    let [a, b] = &fragments[..] else {
        panic!("{fragments:?}")
    };
    assert_eq!(
        (a.number.to_string(), b.number.to_string()),
        ("100".into(), "101".into())
    );
    assert_eq!(
        a.frames.iter().map(|f| f.pts.0).collect::<Vec<_>>(),
        [1_700_000_000_000_000_000, 1_700_000_000_033_000_000]
    );
    assert_eq!(b.frames[0].pts.0, 1_700_000_002_000_000_000);
    assert_eq!(
        (a.millis_behind_now, a.continuation_token.as_deref()),
        (Some(42), Some("100"))
    );
    assert_eq!(
        a.frames[0].duration,
        Some(Nanos(33_333_333)),
        "DefaultDuration"
    );
    assert_eq!(
        (a.offset, a.size),
        (0, one.len() as u64),
        "a fragment runs from its EBML header to the next"
    );
    assert!(
        Arc::ptr_eq(&a.tracks, &b.tracks),
        "unchanged Tracks are shared"
    );
    assert!(!a.frames[1].keyframe && a.frames[0].keyframe);
}

#[test]
fn unknown_size_clusters_end_at_the_next_non_child() {
    // One Segment, two unknown-size Clusters, producer Tags between them, no KVS tags: plain Matroska.
    let input = [
        ebml_header("webm"),
        unknown(ids::SEGMENT),
        el(ids::INFO, &uint(ids::TIMESTAMP_SCALE, 1_000)),
        el(ids::TRACKS, &track(1, "V_VP9", None)),
        unknown(ids::CLUSTER),
        uint(ids::TIMESTAMP, 5_000),
        simple_block(1, -2, true, b"x"),
        kvs_tags(&[("producer_key", "v")]),
        unknown(ids::CLUSTER),
        uint(ids::TIMESTAMP, 9_000),
        simple_block(1, 1, true, b"y"),
    ]
    .concat();
    let (fragments, error) = read_all(input);
    assert!(error.is_none());
    let [a, b] = &fragments[..] else {
        panic!("{fragments:?}")
    };
    assert!(a.synthetic && b.synthetic);
    // Synthetic numbers are zero-padded so that file names made from them sort in order.
    assert_eq!(
        (a.number.to_string(), b.number.to_string()),
        ("00000000000000000000".into(), "00000000000000000001".into())
    );
    // TimestampScale 1000 ns: (5000 - 2) ticks = 4 998 000 ns.
    assert_eq!(a.frames[0].pts.0, 4_998_000);
    assert_eq!(b.frames[0].pts.0, 9_001_000);
    assert_eq!(
        a.tags.len(),
        1,
        "tags after a Cluster belong to its fragment"
    );
    assert_eq!(a.frames[0].duration, None);
}

#[test]
fn block_groups_and_lacing() {
    let mut block = vec![0x81, 0, 10, 0x04, 2]; // track 1, t=10, fixed lacing, 3 frames
    block.extend_from_slice(b"aabbcc");
    let group = |reference: bool| {
        let mut body = el(ids::BLOCK, &[0x81, 0, 20, 0, b'z']);
        body.extend(uint(ids::BLOCK_DURATION, 7));
        if reference {
            body.extend(el(ids::REFERENCE_BLOCK, &[0xF6]));
        }
        el(ids::BLOCK_GROUP, &body)
    };
    let input = [
        ebml_header("matroska"),
        unknown(ids::SEGMENT),
        el(ids::TRACKS, &track(1, "A_AAC", Some(2_000_000))),
        el(
            ids::CLUSTER,
            &[
                uint(ids::TIMESTAMP, 0),
                el(ids::SIMPLE_BLOCK, &block),
                group(false),
                group(true),
            ]
            .concat(),
        ),
    ]
    .concat();
    let (fragments, error) = read_all(input);
    assert!(error.is_none(), "{error:?}");
    let frames = &fragments[0].frames;
    let data: Vec<&[u8]> = frames.iter().map(|f| &f.data[..]).collect();
    assert_eq!(data, [&b"aa"[..], b"bb", b"cc", b"z", b"z"]);
    // Laced frames share DefaultDuration x 3 equally: 10 ms, 12 ms, 14 ms.
    let pts: Vec<i64> = frames.iter().map(|f| f.pts.0).collect();
    assert_eq!(
        pts,
        [10_000_000, 12_000_000, 14_000_000, 20_000_000, 20_000_000]
    );
    assert_eq!(frames[3].duration, Some(Nanos(7_000_000)), "BlockDuration");
    assert!(
        frames[3].keyframe && !frames[4].keyframe,
        "ReferenceBlock marks a non-key frame"
    );
}

#[test]
fn tracks_change_makes_a_new_arc() {
    let doc = |codec: &str| {
        [
            ebml_header("matroska"),
            unknown(ids::SEGMENT),
            el(ids::TRACKS, &track(1, codec, None)),
            unknown(ids::CLUSTER),
            uint(ids::TIMESTAMP, 0),
            simple_block(1, 0, true, b"k"),
        ]
        .concat()
    };
    let (fragments, _) = read_all(
        [
            doc("V_MPEG4/ISO/AVC"),
            doc("V_MPEG4/ISO/AVC"),
            doc("V_MPEGH/ISO/HEVC"),
        ]
        .concat(),
    );
    assert!(Arc::ptr_eq(&fragments[0].tracks, &fragments[1].tracks));
    assert!(!Arc::ptr_eq(&fragments[1].tracks, &fragments[2].tracks));
    assert_eq!(fragments[2].tracks.entries[0].codec_id, "V_MPEGH/ISO/HEVC");
}

#[test]
fn schema_violations_are_typed_errors() {
    // DocType that is not Matroska.
    let (_, error) = read_all([ebml_header("mp4"), unknown(ids::SEGMENT)].concat());
    assert!(
        matches!(error, Some(Error::NotMatroska { offset: 0, .. })),
        "{error:?}"
    );
    // Unknown size where Matroska does not allow it (Tags).
    let mut bad = [ebml_header("matroska"), unknown(ids::SEGMENT)].concat();
    let tags_at = bad.len() as u64;
    bad.extend(unknown(ids::TAGS));
    let (_, error) = read_all(bad);
    assert_eq!(
        error,
        Some(Error::Ebml(ebml::Error::UnknownSizeNotAllowed {
            offset: tags_at,
            id: ids::TAGS
        }))
    );
    // A hostile size: an error before any allocation, whole or streamed.
    let mut huge = [ebml_header("matroska"), unknown(ids::SEGMENT)].concat();
    huge.extend(id_bytes(ids::TRACKS));
    huge.extend_from_slice(&[0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]);
    let (_, error) = read_all(huge.clone());
    assert!(
        matches!(error, Some(Error::ElementTooLarge { .. })),
        "{error:?}"
    );
    let mut parser = PushParser::new();
    assert!(matches!(
        parser.push(&huge),
        Err(Error::ElementTooLarge { .. })
    ));
    // CodecID missing; TrackNumber 0.
    let entry = el(
        ids::TRACK_ENTRY,
        &[uint(ids::TRACK_NUMBER, 1), uint(ids::TRACK_TYPE, 1)].concat(),
    );
    let (_, error) = read_all(
        [
            ebml_header("matroska"),
            unknown(ids::SEGMENT),
            el(ids::TRACKS, &entry),
        ]
        .concat(),
    );
    assert!(
        matches!(
            error,
            Some(Error::MissingElement {
                element: "CodecID",
                ..
            })
        ),
        "{error:?}"
    );
    let (_, error) = read_all(
        [
            ebml_header("matroska"),
            unknown(ids::SEGMENT),
            el(ids::TRACKS, &track(0, "A_AAC", None)),
        ]
        .concat(),
    );
    assert!(
        matches!(
            error,
            Some(Error::InvalidValue {
                element: "TrackNumber",
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn crc32_mismatch_in_tracks_is_reported() {
    let body = track(1, "A_AAC", None);
    let mut crc = el(ebml::reader::CRC32, &crc32fast::hash(&body).to_le_bytes());
    crc.extend_from_slice(&body);
    let good = [
        ebml_header("matroska"),
        unknown(ids::SEGMENT),
        el(ids::TRACKS, &crc),
    ]
    .concat();
    assert!(read_all(good.clone()).1.is_none());
    let mut bad = good;
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(matches!(
        read_all(bad).1,
        Some(Error::Ebml(ebml::Error::CrcMismatch {
            id: ids::TRACKS,
            ..
        }))
    ));
}

#[test]
fn nested_simple_tags_are_depth_limited() {
    let mut simple = el(ids::SIMPLE_TAG, &el(ids::TAG_NAME, b"leaf"));
    for _ in 0..ebml::MAX_DEPTH + 1 {
        simple = el(ids::SIMPLE_TAG, &[el(ids::TAG_NAME, b"n"), simple].concat());
    }
    let input = [
        ebml_header("matroska"),
        unknown(ids::SEGMENT),
        el(ids::TAGS, &el(ids::TAG, &simple)),
    ]
    .concat();
    assert!(matches!(
        read_all(input).1,
        Some(Error::Ebml(ebml::Error::TooDeep { .. }))
    ));
}

#[test]
fn known_size_segment_cut_short_is_truncated() {
    let body = [
        el(ids::TRACKS, &track(1, "A_AAC", None)),
        el(
            ids::CLUSTER,
            &[uint(ids::TIMESTAMP, 0), simple_block(1, 0, true, b"k")].concat(),
        ),
    ]
    .concat();
    let mut input = [ebml_header("matroska"), el(ids::SEGMENT, &body)].concat();
    let (fragments, error) = read_all(input.clone());
    assert_eq!((fragments.len(), error), (1, None));
    // Cut exactly after the Cluster's last byte but declare one more byte in the Segment.
    let segment_size_at = ebml_header("matroska").len() + 4 + 7;
    input[segment_size_at] += 1;
    let (fragments, error) = read_all(input.clone());
    assert_eq!(fragments.len(), 1);
    assert_eq!(
        error,
        Some(Error::Ebml(ebml::Error::Truncated {
            offset: input.len() as u64,
            needed: 1
        }))
    );
}
