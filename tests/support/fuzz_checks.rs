//! Invariants checked on arbitrary input, shared by the cargo-fuzz targets (fuzz/) and by
//! tests/fuzz_replay.rs, which replays the seeds and any saved crash inputs on stable Rust.
//! Each function must not panic for any input; a broken invariant panics with a message.
#![allow(dead_code, reason = "each fuzz target uses one function")]

use bytes::Bytes;
use kvs_remux::low_level::codec::{self, CodecConfig};
use kvs_remux::low_level::ebml::{Cursor, Element};
use kvs_remux::low_level::mkv::{Fragment, PushParser, Reader};

/// Walks every element, descending into anything that parses as children, to a fixed depth.
pub fn ebml(data: &[u8]) {
    fn walk(element: &Element, depth: usize) {
        if depth == 0 {
            return;
        }
        // Errors are the expected answer to garbage; only panics and wrong offsets are bugs.
        if let Ok(mut children) = element.children() {
            while let Ok(Some(child)) = children.next_element() {
                assert!(child.header.offset >= element.data_offset());
                walk(&child, depth - 1);
            }
        }
    }
    let mut cursor = Cursor::new(Bytes::copy_from_slice(data), 0);
    let mut last = 0;
    while let Ok(Some(element)) = cursor.next_element() {
        assert!(element.header.offset >= last, "offsets only grow");
        last = element.header.offset;
        walk(&element, 6);
    }
}

fn check_fragments(input: &Bytes, fragments: &[Fragment]) {
    let mut last_end = 0;
    for fragment in fragments {
        assert!(fragment.offset >= last_end, "fragments do not overlap");
        last_end = fragment.offset + fragment.size;
        assert!(last_end <= input.len() as u64);
        for frame in &fragment.frames {
            let start = usize::try_from(frame.offset).expect("offset fits");
            let slice = input
                .get(start..start + frame.data.len())
                .expect("frame inside the input");
            assert_eq!(slice, &frame.data[..], "a frame is a slice of the input");
        }
    }
}

/// Reads fragments from the whole buffer; every frame is a sub-slice of the input.
pub fn mkv_reader(data: &[u8]) {
    let input = Bytes::copy_from_slice(data);
    let mut reader = Reader::new(input.clone());
    let fragments: Vec<Fragment> = reader.by_ref().map_while(Result::ok).collect();
    check_fragments(&input, &fragments);
    if let Some(partial) = reader.partial() {
        check_fragments(&input, std::slice::from_ref(&partial));
    }
}

/// The push parser, fed in chunks whose sizes come from the first byte, equals the whole-buffer reader.
pub fn push_parser(data: &[u8]) {
    let Some((&seed, input)) = data.split_first() else {
        return;
    };
    let whole: Vec<_> = Reader::new(Bytes::copy_from_slice(input)).collect();
    let mut parser = PushParser::new();
    let mut got = Vec::new();
    let mut result = Ok(());
    let step = usize::from(seed % 61) + 1;
    for (i, chunk) in input.chunks(step).enumerate() {
        // Vary chunk sizes: split every third chunk once more.
        let (a, b) = chunk.split_at(if i % 3 == 0 {
            chunk.len() / 2
        } else {
            chunk.len()
        });
        result = parser.push(a).and_then(|()| parser.push(b));
        got.extend(std::iter::from_fn(|| parser.next_fragment()).map(Ok));
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = parser.finish();
        got.extend(std::iter::from_fn(|| parser.next_fragment()).map(Ok));
    }
    if let Err(error) = result {
        got.push(Err(error));
    }
    assert_eq!(got, whole, "push parser equals whole-buffer reader");
}

/// Any avcC that parses answers every accessor and re-parses to the same view.
pub fn avcc(data: &[u8]) {
    let bytes = Bytes::copy_from_slice(data);
    if let Ok(config) = CodecConfig::parse("V_MPEG4/ISO/AVC", Some(&bytes)) {
        accessors(&config);
        let again = CodecConfig::parse("V_MPEG4/ISO/AVC", Some(&bytes)).expect("parses twice");
        assert_eq!(config, again);
    }
}

/// Any hvcC that parses answers every accessor.
pub fn hvcc(data: &[u8]) {
    if let Ok(config) = CodecConfig::parse("V_MPEGH/ISO/HEVC", Some(&Bytes::copy_from_slice(data)))
    {
        accessors(&config);
    }
}

/// Any AudioSpecificConfig that parses answers every accessor; the service's length rule holds.
pub fn aac_asc(data: &[u8]) {
    if let Ok(config) = CodecConfig::parse("A_AAC", Some(&Bytes::copy_from_slice(data))) {
        assert!(
            data.len() == 2 || data.len() == 5,
            "only 2- or 5-byte configs pass (spec §5.3)"
        );
        accessors(&config);
    }
}

/// Any WAVEFORMATEX that parses is A-law or µ-law.
pub fn waveformatex(data: &[u8]) {
    if let Ok(config) = CodecConfig::parse("A_MS/ACM", Some(&Bytes::copy_from_slice(data))) {
        assert!(matches!(config.codec_string().as_str(), "alaw" | "ulaw"));
        accessors(&config);
    }
}

/// A frame accepted as length-prefixed NAL units splits into units whose prefixes add up to it.
pub fn nal_frame(data: &[u8]) {
    let Some((&seed, frame)) = data.split_first() else {
        return;
    };
    let length_size = [1u8, 2, 4][usize::from(seed % 3)];
    if codec::nal::check_length_prefixed(frame, length_size).is_ok() {
        let total: usize = codec::nal::nal_units(frame, length_size)
            .map(|nal| nal.expect("a checked frame splits").len() + usize::from(length_size))
            .sum();
        assert_eq!(total, frame.len(), "nal units cover the frame");
    }
}

fn accessors(config: &CodecConfig) {
    let _codec = config.codec_string();
    let _size = (
        config.width(),
        config.height(),
        config.sample_rate(),
        config.channels(),
        config.kind(),
    );
}

/// Top-level boxes of an MP4 byte string tile it exactly (sizes add up); returns their types.
fn top_level_boxes(file: &[u8]) -> Vec<[u8; 4]> {
    let mut kinds = Vec::new();
    let mut rest = file;
    while !rest.is_empty() {
        let size = u32::from_be_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
        let kind: [u8; 4] = rest[4..8].try_into().expect("4 bytes");
        let size = if size == 1 {
            u64::from_be_bytes(rest[8..16].try_into().expect("8 bytes")) as usize
        } else {
            size
        };
        assert!(
            size >= 8 && size <= rest.len(),
            "box {kind:?} of {size} bytes in {} left",
            rest.len()
        );
        kinds.push(kind);
        rest = &rest[size..];
    }
    kinds
}

/// Any input that reads as an archive exports as fMP4 whose segments are moof + mdat and carry the
/// frames unchanged.
pub fn fmp4(data: &[u8]) {
    use kvs_remux::api::fmp4::{Fmp4Part, export};
    let Ok(archive) = kvs_remux::Archive::from_bytes(Bytes::copy_from_slice(data)) else {
        return;
    };
    for part in export(&archive).map_while(Result::ok) {
        match part {
            Fmp4Part::Init { data, .. } => {
                assert_eq!(top_level_boxes(&data), [*b"ftyp", *b"moov"]);
            }
            Fmp4Part::Segment { chunks, .. } => {
                let bytes: Vec<u8> = chunks.concat();
                assert_eq!(top_level_boxes(&bytes), [*b"moof", *b"mdat"]);
            }
        }
    }
}

/// Any input that makes a clip makes ftyp + moov + mdat whose payload is the frames' bytes.
pub fn clip(data: &[u8]) {
    use kvs_remux::{Archive, ClipRequest, SelectorType, get_clip};
    let Ok(archive) = Archive::from_bytes(Bytes::copy_from_slice(data)) else {
        return;
    };
    let request = ClipRequest {
        selector: SelectorType::Producer,
        start: None,
        end: None,
        no_limits: true,
    };
    let Ok(clip) = get_clip(&archive, &request) else {
        return;
    };
    let bytes: Vec<u8> = clip.chunks.concat();
    assert_eq!(top_level_boxes(&bytes), [*b"ftyp", *b"moov", *b"mdat"]);
    let payload: usize = clip.chunks[1..].iter().map(|c| c.len()).sum();
    assert!(bytes.ends_with(&clip.chunks[1..].concat()) && payload <= bytes.len());
}

/// Any input that reads as an archive muxes into TS chunks of whole 188-byte packets, each opening
/// with the sync byte, PAT first.
pub fn ts(data: &[u8]) {
    let Ok(archive) = kvs_remux::Archive::from_bytes(Bytes::copy_from_slice(data)) else {
        return;
    };
    let options = kvs_remux::api::ts::TsOptions { allow_hevc: true };
    for chunk in kvs_remux::api::ts::export(&archive, &options).map_while(Result::ok) {
        assert_eq!(chunk.data.len() % 188, 0, "whole packets");
        assert!(chunk.data.chunks(188).all(|p| p[0] == 0x47), "sync bytes");
        let pid = |p: &[u8]| (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]);
        assert_eq!(chunk.data.chunks(188).next().map(pid), Some(0), "PAT first");
    }
}
