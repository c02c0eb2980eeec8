//! Invariants checked on arbitrary input, shared by the cargo-fuzz targets (fuzz/) and by
//! tests/fuzz_replay.rs, which replays the seeds and any saved crash inputs on stable Rust.
//! Each function must not panic for any input; a broken invariant panics with a message.
//!
//! # Options chosen by the input
//! Targets that take options read them from a fixed number of leading bytes ([`OPTION_BYTES`]);
//! the rest is the Matroska input. All-zero options are the plain case (64 KiB reads, producer
//! selector with the service's limits and no range, no H.265 in TS, one input), so a seed is
//! `OPTION_BYTES` zero bytes followed by a file (scripts/fuzz-seed.sh writes them so, with the
//! prefixes of [`seed_prefixes`]).
//!
//! # Output bounds
//! Every output is checked against a bound that holds by construction of its writer: input-sized
//! terms (each frame is copied at most once; codec private data appears in headers), plus a
//! constant per sample and per fragment. The per-sample term cannot be dropped: a laced block of
//! 256 empty frames costs 7 input bytes (RFC 9559 fixed lacing), so no bound in input bytes alone
//! holds for every input the reader accepts.
#![allow(dead_code, reason = "each fuzz target uses one function")]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use bytes::Bytes;
use kvs_remux::api::inspect::Inspector;
use kvs_remux::archive::{Cursor as PageCursor, FragmentIndex, Selection, Source, TimestampKind};
use kvs_remux::low_level::codec::{self, CodecConfig, CodecKind, FrameRole};
use kvs_remux::low_level::ebml::{Cursor, Element};
use kvs_remux::low_level::mkv::{Fragment, Frame, PushParser, Reader};
use kvs_remux::{ApiError, Archive, UnixMillis};

/// How many leading option bytes each target reads (0: the whole input is Matroska or codec data).
pub fn option_bytes(target: &str) -> usize {
    OPTION_BYTES
        .iter()
        .find(|(name, _)| *name == target)
        .map_or(0, |(_, n)| *n)
}

/// Leading option bytes per target (see the module docs).
pub const OPTION_BYTES: [(&str, usize); 9] = [
    ("push_parser", PUSH_OPTIONS),
    ("clip", RANGE_OPTIONS),
    ("ts", 1),
    ("actions", ACTION_OPTIONS),
    ("multi_file", MULTI_OPTIONS),
    ("fragment_index", RANGE_OPTIONS),
    ("list_fragments", LIST_OPTIONS),
    ("pack", 1),
    ("images", IMAGES_OPTIONS),
];

const PUSH_OPTIONS: usize = 8;
const RANGE_OPTIONS: usize = 6;
const ACTION_OPTIONS: usize = 9;
const MULTI_OPTIONS: usize = 15;
const IMAGES_OPTIONS: usize = RANGE_OPTIONS + 2;

/// Option prefixes the replay test puts before each seed file (the first is all zeros).
/// scripts/fuzz-seed.sh writes the second one (its `prefix` table must stay equal to this).
pub fn seed_prefixes(target: &str) -> Vec<Vec<u8>> {
    let n = option_bytes(target);
    let mixed: Vec<u8> = match target {
        // 64 KiB, 1, 61, 509, 64 KiB, 7, 65152, 2 bytes.
        "push_parser" => vec![0x00, 0x01, 0x3D, 0x80, 0x00, 0x07, 0xFF, 0x02],
        // Server selector, no limits, from fragment 1 to 2 s after fragment 3.
        "clip" | "fragment_index" => vec![0x0F, 0x01, 0x00, 0x03, 0x02, 0x02],
        "ts" => vec![0x01],
        // Server selector from fragment 1 to 2 s after fragment 3, MaxResults 2, token corrupted.
        "list_fragments" => vec![0x0F, 0x01, 0x00, 0x03, 0x02, 0x02, 0x0A, 0x05],
        // 500-ms fragments.
        "pack" => vec![0x01],
        // Server selector from fragment 1 to 2 s after fragment 3, every 600 ms, PNG at width 33.
        "images" => vec![0x0F, 0x01, 0x00, 0x03, 0x02, 0x02, 0x02, 0x21],
        // H.265 allowed; fragments 0, 1, one past the end and usize::MAX; the fragment's first,
        // second and first track, and track number 7.
        "actions" => vec![0x01, 0x00, 0x00, 0x01, 0x01, 0xFE, 0x00, 0xFF, 0x87],
        // 4 inputs split at EBML headers, at 1/4, 1/2 and 3/4.
        "multi_file" => vec![
            0x43, 0x40, 0x00, 0x80, 0x00, 0xC0, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        _ => Vec::new(),
    };
    if n == 0 {
        return vec![Vec::new()];
    }
    assert_eq!(mixed.len(), n, "{target}: seed prefix length");
    vec![vec![0; n], mixed]
}

/// The first `N` bytes as options and the rest; `None` when the input is shorter.
fn options<const N: usize>(data: &[u8]) -> Option<([u8; N], &[u8])> {
    let (head, rest) = data.split_at_checked(N)?;
    Some((head.try_into().ok()?, rest))
}

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

/// `frame` is the slice of `input` at its offset.
fn assert_frame_in(input: &[u8], frame: &Frame) {
    let start = usize::try_from(frame.offset).expect("offset fits");
    let slice = start
        .checked_add(frame.data.len())
        .and_then(|end| input.get(start..end))
        .expect("frame inside the input");
    assert_eq!(slice, &frame.data[..], "a frame is a slice of the input");
}

fn check_fragments(input: &Bytes, fragments: &[Fragment]) {
    let mut last_end = 0;
    for fragment in fragments {
        assert!(fragment.offset >= last_end, "fragments do not overlap");
        last_end = fragment.offset + fragment.size;
        assert!(last_end <= input.len() as u64);
        for frame in &fragment.frames {
            assert_frame_in(input, frame);
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

/// Chunk size of a push_parser option byte: 0 → 64 KiB (what stdin reads), 1..=127 → that many
/// bytes, 128..=255 → (code − 127) × 509 bytes (509 … 65 152: odd sizes, unaligned to anything).
fn chunk_size(code: u8) -> usize {
    match code {
        0 => 65_536,
        1..=127 => usize::from(code),
        _ => usize::from(code - 127) * 509,
    }
}

/// Whether the frames `open` (seen while their fragment was still arriving) begin `frames` (the
/// fragment once complete): same track, offset, bytes and key flag, in order. Times may differ
/// (see [`PushParser::open_frames`]).
fn assert_open_prefix(open: &[Frame], frames: &[Frame], what: &str) {
    assert!(
        open.len() <= frames.len(),
        "{what}: {} open frames, {} in the fragment",
        open.len(),
        frames.len()
    );
    for (i, (a, b)) in open.iter().zip(frames).enumerate() {
        assert!(
            a.track == b.track
                && a.offset == b.offset
                && a.data == b.data
                && a.keyframe == b.keyframe,
            "{what}: open frame {i} is not the fragment's frame {i}: {a:?} vs {b:?}"
        );
    }
}

/// The push parser, fed in chunks whose sizes the input chooses (8 option bytes, cycled; see
/// [`chunk_size`]), equals the whole-buffer reader: the same fragments, the same error, the same
/// damaged fragment but for its size. [`PushParser::open_frames`] never panics; each open frame is the slice of the
/// input at its offset and within the bytes pushed so far, and the open frames of a fragment grow
/// as a prefix of the frames it completes with.
pub fn push_parser(data: &[u8]) {
    let Some((codes, input)) = options::<PUSH_OPTIONS>(data) else {
        return;
    };
    let whole_input = Bytes::copy_from_slice(input);
    let mut reader = Reader::new(whole_input);
    let whole: Vec<_> = reader.by_ref().collect();
    let whole_partial = reader.partial();

    let mut parser = PushParser::new();
    let mut got = Vec::new();
    let mut result = Ok(());
    let mut pushed = 0usize;
    // The open frames last seen, not yet matched with the fragment they complete into.
    let mut open: Vec<Frame> = Vec::new();
    // open_frames() clones the open fragment's frames: look after about 512 pushes spread over the
    // input (after each of 2 million 1-byte pushes would take quadratic time).
    let cycle: usize = codes.iter().map(|&c| chunk_size(c)).sum();
    let pushes = input.len() / cycle.div_ceil(codes.len()) + 1;
    let stride = pushes.div_ceil(512);
    let drain = |parser: &mut PushParser, open: &mut Vec<Frame>, got: &mut Vec<_>| {
        while let Some(fragment) = parser.next_fragment() {
            assert_open_prefix(open, &fragment.frames, "completed fragment");
            open.clear();
            got.push(Ok(fragment));
        }
    };
    for (push, size) in codes.iter().cycle().map(|&c| chunk_size(c)).enumerate() {
        if pushed >= input.len() {
            break;
        }
        let end = pushed.saturating_add(size).min(input.len());
        result = parser.push(&input[pushed..end]);
        pushed = end;
        drain(&mut parser, &mut open, &mut got);
        if result.is_err() {
            break;
        }
        if push % stride == 0 {
            let now = parser.open_frames();
            for frame in &now {
                assert_frame_in(input, frame);
                assert!(
                    frame.offset + frame.data.len() as u64 <= pushed as u64,
                    "an open frame ends within the bytes pushed"
                );
            }
            assert_open_prefix(&open, &now, "open frames as more bytes arrive");
            open = now;
        }
    }
    if result.is_ok() {
        result = parser.finish();
        drain(&mut parser, &mut open, &mut got);
    }
    let partial = parser.partial();
    if let Err(error) = result {
        got.push(Err(error));
        if let Some(partial) = &partial {
            assert_open_prefix(&open, &partial.frames, "damaged fragment");
        }
    }
    assert_eq!(got, whole, "push parser equals whole-buffer reader");
    // The damaged fragment is the same but for its size, which runs to the end of the bytes at
    // hand when the damage is found (src/mkv/demux.rs, Machine::run): the whole input for the
    // reader, what was pushed so far for the parser.
    let unsized_fragment = |f: Option<Fragment>| f.map(|f| (f.size, Fragment { size: 0, ..f }));
    match (unsized_fragment(partial), unsized_fragment(whole_partial)) {
        (Some((pushed_size, pushed)), Some((whole_size, whole))) => {
            assert_eq!(
                pushed, whole,
                "push parser's damaged fragment equals the whole-buffer reader's"
            );
            assert!(pushed_size <= whole_size);
        }
        (pushed, whole) => assert_eq!(
            pushed.is_some(),
            whole.is_some(),
            "a damaged fragment from both or neither"
        ),
    }
}

/// SessionTokens (spec §1.8): the first byte picks what the rest is.
/// - 0: token text. Refused with NotAuthorizedException (no input can forge the HMAC).
/// - 1: a token body, signed here as a session would be: decodes to a session or is refused,
///   never panics (the decoder of what the key vouches for).
/// - 2: the fields of a session, made into a token: it decodes to the same session; changing any
///   one character of it (the position and the new character from the input) is refused.
/// - 3: a player request (spec §1.8): the second byte picks the action and whether a valid token
///   of a session over `testdata/fixtures/h264-baseline.mkv` is appended, the rest is the query.
///   The answer is a body or NotAuthorized/InvalidArgument/ResourceNotFound, never a panic.
pub fn session_token(data: &[u8]) {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::{Hmac, Mac};
    use kvs_remux::session::{PlaybackMode, Protocol, Session, SessionKey, SessionRequest};

    const KEY: [u8; 32] = [0x42; 32];
    let key = SessionKey::from_bytes(&KEY).expect("32 bytes");
    let refused = |result: Result<Session, ApiError>| match result {
        Ok(session) => panic!("accepted {session:?}"),
        Err(error) => assert_eq!(error.code(), "NotAuthorizedException", "{error}"),
    };
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        3 => player_request(rest, &key),
        0 => refused(Session::from_token(
            &String::from_utf8_lossy(rest),
            &key,
            UnixMillis(0),
        )),
        1 => {
            let mut signed = vec![1u8];
            signed.extend_from_slice(rest);
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&KEY).expect("any key length");
            mac.update(&signed);
            signed.extend(mac.finalize().into_bytes());
            if let Err(error) =
                Session::from_token(&URL_SAFE_NO_PAD.encode(&signed), &key, UnixMillis(0))
            {
                assert_eq!(error.code(), "NotAuthorizedException", "{error}");
            }
        }
        _ => {
            let byte = |i: usize| rest.get(i).copied().unwrap_or(0);
            let modes = [
                PlaybackMode::Live,
                PlaybackMode::LiveReplay,
                PlaybackMode::OnDemand,
            ];
            let request = SessionRequest {
                playback_mode: Some(modes[usize::from(byte(0)) % 3]),
                expires: Some(300 + i64::from(byte(1)) * 100),
                max_fragment_results: Some(1 + i64::from(byte(2)) * 19),
                ..SessionRequest::default()
            };
            let stream = String::from_utf8_lossy(rest.get(6..).unwrap_or_default());
            let now = UnixMillis(u64::from(u32::from_le_bytes([
                byte(3),
                byte(4),
                byte(5),
                0,
            ])));
            let Ok(session) = request.session(Protocol::Hls, &stream, now) else {
                // LIVE_REPLAY and ON_DEMAND need a range this check does not give.
                return;
            };
            let token = session.token(&key);
            assert_eq!(
                Session::from_token(&token, &key, now).expect("ours"),
                session
            );
            let at = usize::from(byte(1)) % token.len();
            let mut altered = token.into_bytes();
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let replacement = alphabet[usize::from(byte(2)) % alphabet.len()];
            if altered[at] != replacement {
                altered[at] = replacement;
                refused(Session::from_token(
                    &String::from_utf8_lossy(&altered),
                    &key,
                    now,
                ));
            }
        }
    }
}

/// Mode 3 of [`session_token`].
fn player_request(data: &[u8], key: &kvs_remux::session::SessionKey) {
    use kvs_remux::api::dash::{GetDashStreamingSessionUrlInput, get_dash_streaming_session_url};
    use kvs_remux::api::hls::{GetHlsStreamingSessionUrlInput, get_hls_streaming_session_url};
    use kvs_remux::player::{dash_action, hls_action};

    const ARCHIVE: &[u8] = include_bytes!("../../testdata/fixtures/h264-baseline.mkv");
    const ACTIONS: [&str; 7] = [
        "getHLSMasterPlaylist.m3u8",
        "getHLSMediaPlaylist.m3u8",
        "getMP4InitFragment.mp4",
        "getMP4MediaFragment.mp4",
        "getTSFragment.ts",
        "getDASHManifest.mpd",
        "other",
    ];
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let archive = Archive::from_bytes(Bytes::from_static(ARCHIVE)).expect("a fixture");
    let now = UnixMillis(1_800_000_000_000);
    let dash = choice & 0x10 != 0;
    let mut query = String::from_utf8_lossy(rest).into_owned();
    if choice & 0x08 != 0 {
        let url = if dash {
            let input = GetDashStreamingSessionUrlInput::default();
            get_dash_streaming_session_url(&archive, "s", &input, key, now, "")
                .expect("a session over the fixture")
                .dash_streaming_session_url
        } else {
            let input = GetHlsStreamingSessionUrlInput {
                container_format: (choice & 0x20 != 0)
                    .then_some(kvs_remux::session::ContainerFormat::MpegTs),
                ..Default::default()
            };
            get_hls_streaming_session_url(&archive, "s", &input, key, now, "")
                .expect("a session over the fixture")
                .hls_streaming_session_url
        };
        let token = url.split_once("SessionToken=").expect("a token").1;
        query.push_str("&SessionToken=");
        query.push_str(token);
    }
    let action = ACTIONS[usize::from(choice & 0x07) % ACTIONS.len()];
    let open = |_: &str| Archive::from_bytes(Bytes::from_static(ARCHIVE));
    let answer = if dash {
        dash_action(action, &query, key, now, open)
    } else {
        hls_action(action, &query, key, now, open)
    };
    if let Err(error) = answer {
        assert!(
            matches!(
                error.code(),
                "NotAuthorizedException" | "InvalidArgumentException" | "ResourceNotFoundException"
            ),
            "{action}?{query}: {error}"
        );
    }
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
    // What GetImages reads to leave a frame undecoded (both codecs' configurations have 4-byte
    // lengths): a frame that does not split has no known role; a known TemporalId is at most 6.
    let splits = codec::nal::nal_units(frame, 4).all(|nal| nal.is_ok());
    for config in video_configs() {
        let role = config.frame_role(frame).expect("a video codec");
        if !splits {
            assert_eq!(
                role,
                FrameRole::UNKNOWN,
                "{:?}: role of a broken frame",
                config.kind()
            );
        } else if role != FrameRole::UNKNOWN {
            assert!(role.temporal_id <= 6, "{:?}: {role:?}", config.kind());
        }
    }
}

/// An H.264 and an H.265 configuration (testdata/codec, made by testdata/gen-codec-fixtures.sh).
fn video_configs() -> &'static [CodecConfig; 2] {
    static CONFIGS: OnceLock<[CodecConfig; 2]> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let parse = |id: &str, cpd: &'static [u8]| {
            CodecConfig::parse(id, Some(&Bytes::from_static(cpd))).expect("a fixture")
        };
        [
            parse(
                "V_MPEG4/ISO/AVC",
                include_bytes!("../../testdata/codec/h264-high.cpd"),
            ),
            parse(
                "V_MPEGH/ISO/HEVC",
                include_bytes!("../../testdata/codec/hevc-main.cpd"),
            ),
        ]
    })
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
        assert!(rest.len() >= 8, "a box header in {} bytes", rest.len());
        let size = u32::from_be_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
        let kind: [u8; 4] = rest[4..8].try_into().expect("4 bytes");
        let size = if size == 1 {
            assert!(rest.len() >= 16, "a largesize box header");
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

/// Whether `part` lies inside `input`'s buffer: a zero-copy slice, not a copy.
fn is_slice_of(input: &Bytes, part: &[u8]) -> bool {
    let range = input.as_ptr_range();
    let inner = part.as_ptr_range();
    part.is_empty() || (range.start <= inner.start && inner.end <= range.end)
}

/// The longest CodecPrivate of any track of any indexed fragment.
fn longest_cpd(index: &FragmentIndex) -> usize {
    index
        .fragments()
        .iter()
        .flat_map(|f| f.tracks.entries.iter())
        .filter_map(|t| t.codec_private.as_ref().map(Bytes::len))
        .max()
        .unwrap_or(0)
}

/// moof + mdat header of one fMP4 media segment of `samples` samples: moof 8, mfhd 16, traf 8,
/// tfhd 16, tfdt 20, trun 20 + 16 per sample (duration, size, flags, composition offset), mdat
/// header at most 16 (src/mp4/fragment.rs): 104 + 16 × samples, rounded up to 128.
fn segment_header_bound(samples: usize) -> usize {
    128 + 16 * samples
}

/// ftyp + moov of one track: a few hundred bytes of boxes around the codec private data.
fn init_bound(cpd: usize) -> usize {
    4096 + cpd
}

/// Any input that reads as an archive exports as fMP4 whose init segments are ftyp + moov and whose
/// segments are moof + mdat carrying the frames unchanged (slices of the input, not copies).
///
/// Size: each init is at most `4096 + CPD` bytes ([`init_bound`]), each segment's header at most
/// `128 + 16 × samples` ([`segment_header_bound`]) and its payload is the fragment's frames; so
/// the export is at most `2 × input + 64 KiB + 128 × segments + 16 × samples + 4096 × inits`
/// (a frame is in one segment; a CPD is in the input each time a new init carries it).
pub fn fmp4(data: &[u8]) {
    use kvs_remux::api::fmp4::{Fmp4Part, export};
    let input = Bytes::copy_from_slice(data);
    let Ok(archive) = Archive::from_bytes(input.clone()) else {
        return;
    };
    let cpd = longest_cpd(archive.index());
    let (mut total, mut inits, mut segments, mut samples) = (0usize, 0usize, 0usize, 0usize);
    for part in export(&archive).map_while(Result::ok) {
        match &part {
            Fmp4Part::Init { data, .. } => {
                assert_eq!(top_level_boxes(data), [*b"ftyp", *b"moov"]);
                assert!(
                    data.len() <= init_bound(cpd),
                    "init of {} bytes",
                    data.len()
                );
                inits += 1;
            }
            Fmp4Part::Segment { chunks, .. } => {
                let bytes: Vec<u8> = chunks.concat();
                assert_eq!(top_level_boxes(&bytes), [*b"moof", *b"mdat"]);
                let n = chunks.len() - 1;
                assert!(
                    chunks[0].len() <= segment_header_bound(n),
                    "segment header of {} bytes for {n} samples",
                    chunks[0].len()
                );
                assert!(
                    chunks[1..].iter().all(|c| is_slice_of(&input, c)),
                    "samples are slices of the input"
                );
                segments += 1;
                samples += n;
            }
        }
        total += part.chunks().iter().map(Bytes::len).sum::<usize>();
    }
    let bound = 2 * data.len() + (64 << 10) + 128 * segments + 16 * samples + 4096 * inits;
    assert!(
        total <= bound,
        "fMP4 export of {total} bytes > bound {bound} (input {})",
        data.len()
    );
}

/// A selection range from 5 option bytes: `[flags, start anchor, start delta, end anchor, end delta]`
/// plus a unit byte. Flags: bit 2 has a start, bit 3 has an end, bit 4 anchors at extreme times
/// (0, 1, i64::MAX, u64::MAX ms) instead of at fragments' timestamps. A bound is its anchor (the
/// timestamp of fragment `anchor % len`) moved by `delta` (signed) × unit, saturating.
fn range(
    options: &[u8; RANGE_OPTIONS],
    index: &FragmentIndex,
    kind: TimestampKind,
) -> (Option<UnixMillis>, Option<UnixMillis>) {
    const UNITS_MS: [u64; 8] = [
        1,
        100,
        1000,
        60_000,
        3_600_000,
        86_400_000,
        86_400_001,
        1 << 40,
    ];
    let [
        flags,
        start_anchor,
        start_delta,
        end_anchor,
        end_delta,
        unit,
    ] = *options;
    let unit = UNITS_MS[usize::from(unit % 8)];
    let anchored = |anchor: u8, delta: u8| -> UnixMillis {
        let base = if flags & 0x10 != 0 {
            [0, 1, i64::MAX as u64, u64::MAX][usize::from(anchor % 4)]
        } else {
            let fragments = index.fragments();
            let at = usize::from(anchor) % fragments.len().max(1);
            fragments
                .get(at)
                .and_then(|f| f.timestamp(kind))
                .map_or(0, |t| t.0)
        };
        let delta = i64::from(delta as i8);
        let moved = if delta >= 0 {
            base.saturating_add(delta.unsigned_abs().saturating_mul(unit))
        } else {
            base.saturating_sub(delta.unsigned_abs().saturating_mul(unit))
        };
        UnixMillis(moved)
    };
    (
        (flags & 0x04 != 0).then(|| anchored(start_anchor, start_delta)),
        (flags & 0x08 != 0).then(|| anchored(end_anchor, end_delta)),
    )
}

/// Selector of the options' flags: bit 0 set → server timestamps.
fn kind_of(flags: u8) -> TimestampKind {
    if flags & 0x01 != 0 {
        TimestampKind::Server
    } else {
        TimestampKind::Producer
    }
}

/// GetClip with options chosen by the input (6 option bytes: selector and `no_limits` flags, an
/// optional start and end, see [`range`]). An error is a fine answer; a clip must be ftyp + moov +
/// mdat whose payload is exactly the frames of tracks 1 (and 2) of the fragments `select` returns,
/// in order (the first 200 with the service's limits), each a slice of the input.
///
/// Size: moov holds per track a few hundred bytes of boxes and the CPD, per sample at most 24
/// bytes (stsz 4, stts 8, ctts 8, stss 4) and per chunk (fragment and track) 20 (stsc 12, co64 8);
/// the payload is the frames. So a clip is at most `2 × input + 64 KiB + 24 × samples + 40 ×
/// fragments`.
pub fn clip(data: &[u8]) {
    use kvs_remux::{ClipRequest, get_clip};
    let Some((options, rest)) = options::<RANGE_OPTIONS>(data) else {
        return;
    };
    let input = Bytes::copy_from_slice(rest);
    let Ok(archive) = Archive::from_bytes(input.clone()) else {
        return;
    };
    let kind = kind_of(options[0]);
    let (start, end) = range(&options, archive.index(), kind);
    let request = ClipRequest {
        selector: kind,
        start,
        end,
        no_limits: options[0] & 0x02 != 0,
    };
    let Ok(clip) = get_clip(&archive, &request) else {
        return;
    };
    let bytes: Vec<u8> = clip.chunks.concat();
    assert_eq!(top_level_boxes(&bytes), [*b"ftyp", *b"moov", *b"mdat"]);
    assert_eq!(bytes.len() as u64, clip.len());

    // The payload: the frames of tracks 1 and 2 of the selected fragments, in order.
    let index = archive.index();
    let selected = index.select(&Selection { kind, start, end });
    let count = clip.fragments.len();
    assert!(
        count >= 1 && count <= selected.len(),
        "clip of {count} fragments"
    );
    if !request.no_limits {
        assert!(count <= kvs_remux::api::get_clip::MAX_FRAGMENTS);
    }
    assert_eq!(clip.truncated, count < selected.len());
    let positions = &selected[..count];
    assert_eq!(
        clip.fragments, positions,
        "the clip's fragments are the selection's"
    );
    let first = index.get(positions[0]).expect("selected");
    let tracks: Vec<u64> = [1, 2]
        .into_iter()
        .filter(|&t| first.tracks.get(t).is_some())
        .collect();
    let mut expected: Vec<Bytes> = Vec::new();
    for &position in positions {
        let fragment = archive.read(position).expect("a clipped fragment reads");
        for &track in &tracks {
            expected.extend(fragment.frames_of(track).map(|f| f.data.clone()));
        }
    }
    assert!(
        clip.chunks[1..] == expected[..],
        "the clip's samples are the frames of tracks {tracks:?}"
    );
    assert!(
        clip.chunks[1..].iter().all(|c| is_slice_of(&input, c)),
        "samples are slices of the input"
    );
    let samples = expected.len();
    let bound = 2 * rest.len() + (64 << 10) + 24 * samples + 40 * count;
    assert!(
        bytes.len() <= bound,
        "clip of {} bytes > bound {bound} (input {}, {samples} samples, {count} fragments)",
        bytes.len(),
        rest.len()
    );
}

/// The most bytes GetTSFragment may write for `fragment`, by construction of src/ts/writer.rs.
///
/// Let the fragment have `n` frames of the tracks in its Tracks (others are not muxed), `p` bytes
/// in them, `v` of them on video tracks, `s` tracks and `c` bytes of codec private data in all.
/// - A PES is at most `32 + 4 × frame + 2 × c` bytes: PES header (≤ 19) + AUD (≤ 7) or ADTS header
///   (7); each NAL unit's length prefix (≥ 1 byte) becomes a 4-byte start code, so NAL data grows at
///   most 4×; a video key frame may be preceded by the CPD's parameter sets, each with a start code
///   (≤ 2 × the CPD, where each set has a 2-byte length).
/// - A PES of `t` bytes takes at most `2 + t / 184` packets; padding each PID to 16 payload
///   packets adds at most 15 per track; PAT + PMT are sent 16 times each; PCR-only packets are at
///   most 1000 plus one before the first PES.
///
/// So: `188 × (32 + 1001 + 15·s + 2·n + ⌈(32·n + 4·p + 2·c·v) / 184⌉)`.
fn ts_chunk_bound(fragment: &Fragment) -> u64 {
    let entries = &fragment.tracks.entries;
    let s = entries.len() as u64;
    let c: u64 = entries
        .iter()
        .filter_map(|t| t.codec_private.as_ref().map(|b| b.len() as u64))
        .sum();
    let (mut n, mut p, mut v) = (0u64, 0u64, 0u64);
    for frame in &fragment.frames {
        let Some(entry) = fragment.tracks.get(frame.track) else {
            continue;
        };
        n += 1;
        p += frame.data.len() as u64;
        if CodecKind::from_codec_id(&entry.codec_id).is_some_and(CodecKind::is_video) {
            v += 1;
        }
    }
    let pes_bytes = 32 * n + 4 * p + 2 * c * v;
    188 * (32 + 1001 + 15 * s + 2 * n + pes_bytes.div_ceil(184))
}

/// A TS chunk is whole 188-byte packets, each with the sync byte, PAT first.
fn check_ts_packets(chunk: &[u8]) {
    assert_eq!(chunk.len() % 188, 0, "whole packets");
    assert!(chunk.chunks(188).all(|p| p[0] == 0x47), "sync bytes");
    let pid = |p: &[u8]| (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]);
    assert_eq!(chunk.chunks(188).next().map(pid), Some(0), "PAT first");
}

/// The media positions of an archive whose fragment has a frame of one of its own tracks (the ones
/// a TS export writes a chunk for), with the fragment read; stops at the first fragment that does
/// not read (the export stops there too).
fn ts_fragments(archive: &Archive, media: &[usize]) -> Vec<(usize, Fragment)> {
    let mut out = Vec::new();
    for (i, &position) in media.iter().enumerate() {
        let Ok(fragment) = archive.read(position) else {
            break;
        };
        if fragment
            .frames
            .iter()
            .any(|f| fragment.tracks.get(f.track).is_some())
        {
            out.push((i, fragment));
        }
    }
    out
}

/// Any input that reads as an archive muxes (H.265 allowed when option bit 0 says so) into TS chunks
/// of whole 188-byte packets, each opening with the sync byte, PAT first, one per fragment with
/// frames, named after it, each at most [`ts_chunk_bound`] bytes.
pub fn ts(data: &[u8]) {
    let Some(([flags], rest)) = options::<1>(data) else {
        return;
    };
    let Ok(archive) = Archive::from_bytes(Bytes::copy_from_slice(rest)) else {
        return;
    };
    let options = kvs_remux::api::ts::TsOptions {
        allow_hevc: flags & 0x01 != 0,
    };
    let media = archive.index().media();
    let mut fragments = ts_fragments(&archive, &media).into_iter();
    for chunk in kvs_remux::api::ts::export(&archive, &options).map_while(Result::ok) {
        check_ts_packets(&chunk.data);
        let (_, fragment) = fragments
            .next()
            .expect("a chunk for each fragment with frames");
        assert_eq!(
            chunk.fragment_number, fragment.number,
            "chunks in media order"
        );
        let bound = ts_chunk_bound(&fragment);
        assert!(
            chunk.data.len() as u64 <= bound,
            "TS chunk of {} bytes > bound {bound} for fragment {} ({} frames, {} bytes)",
            chunk.data.len(),
            fragment.number,
            fragment.frames.len(),
            fragment.size
        );
    }
}

/// A session index from an option byte: 0xFF → `usize::MAX`, 0xFE → one past the end, else the
/// byte modulo (length + 1) (so one past the end is reachable too).
fn session_index(byte: u8, len: usize) -> usize {
    match byte {
        0xFF => usize::MAX,
        0xFE => len,
        b => usize::from(b) % (len + 1),
    }
}

/// A track from an option byte: below 0x80 the `byte % n`-th track of `fragment` (its first
/// otherwise), else the number `byte & 0x7F` (0 and absent tracks included).
fn track_of(byte: u8, fragment: Option<&kvs_remux::archive::IndexedFragment>) -> u64 {
    let entries = fragment.map(|f| &f.tracks.entries[..]).unwrap_or_default();
    if byte < 0x80 && !entries.is_empty() {
        entries[usize::from(byte) % entries.len()].number
    } else {
        u64::from(byte & 0x7F)
    }
}

/// The per-request actions against the exports: GetMP4InitFragment, GetMP4MediaFragment and
/// GetTSFragment at 4 (index, track) pairs the input chooses (9 option bytes: flags with bit 0
/// allowing H.265 in TS, then the pairs, see [`session_index`] and [`track_of`]), over the session
/// of all media fragments. None panics; an index past the session is ResourceNotFound; where a
/// request and the export both succeed for a fragment, their bytes are equal. Every init segment
/// the export writes equals GetMP4InitFragment at the fragment where it starts.
pub fn actions(data: &[u8]) {
    use kvs_remux::api::fmp4::{self, Fmp4Part};
    use kvs_remux::api::ts;
    let Some((options, rest)) = options::<ACTION_OPTIONS>(data) else {
        return;
    };
    let Ok(archive) = Archive::from_bytes(Bytes::copy_from_slice(rest)) else {
        return;
    };
    let index = archive.index();
    let session = index.media();
    let ts_options = ts::TsOptions {
        allow_hevc: options[0] & 0x01 != 0,
    };

    // The fMP4 export, each part labelled with its session index: the export writes, per media
    // fragment in order, per track of the archive (ascending) that the fragment has and has frames
    // of, an init where the track's configuration starts, then a segment.
    let all_tracks: BTreeSet<u64> = session
        .iter()
        .filter_map(|&p| index.get(p))
        .flat_map(|f| f.tracks.entries.iter().map(|t| t.number))
        .collect();
    let mut labels: Vec<(usize, u64)> = Vec::new();
    for (i, &position) in session.iter().enumerate() {
        let Ok(fragment) = archive.read(position) else {
            break;
        };
        for &track in &all_tracks {
            if fragment.tracks.get(track).is_some() && fragment.frames_of(track).next().is_some() {
                labels.push((i, track));
            }
        }
    }
    let mut labels = labels.into_iter();
    // (session index, track) → (segment bytes, the init segment in force, the CodecID and CPD it
    // was written from).
    let mut segments: BTreeMap<(usize, u64), (Vec<u8>, InitInForce)> = BTreeMap::new();
    let mut inits: BTreeMap<u64, InitInForce> = BTreeMap::new();
    let mut pending: Vec<(u64, Bytes)> = Vec::new();
    for part in fmp4::export(&archive).map_while(Result::ok) {
        match part {
            Fmp4Part::Init { track, data, .. } => pending.push((track, data)),
            Fmp4Part::Segment {
                track,
                fragment,
                chunks,
            } => {
                let (i, label_track) = labels.next().expect("a label for each segment");
                assert_eq!(track, label_track, "segments in fragment and track order");
                let position = session[i];
                let indexed = index.get(position).expect("indexed");
                assert_eq!(fragment, indexed.number);
                if let Some(at) = pending.iter().position(|(t, _)| *t == track) {
                    let (_, init) = pending.remove(at);
                    // The export's init is GetMP4InitFragment where the configuration starts.
                    match fmp4::get_mp4_init_fragment(&archive, position, track) {
                        Ok(single) => assert_eq!(single, init, "init of track {track} at {i}"),
                        Err(error) => {
                            panic!("export wrote an init of track {track} at {i}: {error}")
                        }
                    }
                    let entry = indexed.tracks.get(track).expect("a segment's track");
                    inits.insert(
                        track,
                        (init, entry.codec_id.clone(), entry.codec_private.clone()),
                    );
                }
                let init = inits.get(&track).expect("an init before a segment").clone();
                segments.insert((i, track), (chunks.concat(), init));
            }
        }
    }
    assert!(pending.is_empty(), "every init is followed by its segment");

    // The TS export, each chunk labelled with its session index.
    let mut chunks: BTreeMap<usize, Bytes> = BTreeMap::new();
    let mut with_frames = ts_fragments(&archive, &session).into_iter();
    for chunk in ts::export(&archive, &ts_options).map_while(Result::ok) {
        let (i, fragment) = with_frames
            .next()
            .expect("a chunk per fragment with frames");
        assert_eq!(chunk.fragment_number, fragment.number);
        chunks.insert(i, chunk.data);
    }

    // The 4 chosen (index, track) pairs, and the first 8 indices with the first pair's track.
    let mut requests: Vec<(usize, u8)> = options[1..]
        .chunks_exact(2)
        .map(|pair| (session_index(pair[0], session.len()), pair[1]))
        .collect();
    requests.extend((0..session.len().min(8)).map(|i| (i, options[2])));
    for (i, track_byte) in requests {
        let position = session.get(i).copied();
        let track = track_of(track_byte, position.and_then(|p| index.get(p)));
        let media = fmp4::get_mp4_media_fragment(&archive, &session, i, track);
        let single_ts = ts::get_ts_fragment(&archive, &session, i, &ts_options);
        let init = fmp4::get_mp4_init_fragment(&archive, position.unwrap_or(usize::MAX), track);
        let Some(position) = position else {
            for (what, result) in [("media", media.map(|_| ())), ("TS", single_ts.map(|_| ()))] {
                let error = result.expect_err("no fragment past the session");
                assert_eq!(error.code(), "ResourceNotFoundException", "{what}: {error}");
            }
            assert!(init.is_err(), "no init past the index");
            continue;
        };
        if let Some((export, (export_init, codec_id, cpd))) = segments.get(&(i, track)) {
            if let Ok(single) = &media {
                assert_eq!(
                    &single.concat(),
                    export,
                    "media segment {i} of track {track}"
                );
            }
            // The init in force is the request's when the fragment has the CodecID and CPD bytes
            // the export's init was written from (a CPD equal only by parsing keeps the export's).
            let entry = index.get(position).and_then(|f| f.tracks.get(track));
            if let (Ok(single), Some(entry)) = (&init, entry)
                && entry.codec_id == *codec_id
                && entry.codec_private == *cpd
            {
                assert_eq!(
                    single, export_init,
                    "init in force at {i} for track {track}"
                );
            }
        }
        if let Ok(single) = &single_ts {
            check_ts_packets(single);
            if let Some(export) = chunks.get(&i) {
                assert_eq!(single, export, "TS chunk {i}");
            }
        }
    }
}

/// An init segment and the CodecID and CodecPrivate of the track entry it was written from.
type InitInForce = (Bytes, String, Option<Bytes>);

/// Every fragment of the Reader (and the damaged one, with the frames read before the damage) fed to
/// an [`Inspector`]: one row per fragment, the first with the tracks; frame counts per track sum to
/// the fragment's frames; the length in ms is at most the span of the frames' times; the row
/// repeats the fragment's number, timestamps and size; CPD changes name the fragment. The rows
/// equal [`kvs_remux::inspect`]'s.
pub fn inspector(data: &[u8]) {
    let input = Bytes::copy_from_slice(data);
    let mut inspector = Inspector::new();
    let mut reader = Reader::new(input.clone());
    let mut rows = Vec::new();
    let mut check = |fragment: &Fragment, inspected: kvs_remux::api::inspect::Inspected| {
        assert_eq!(
            inspected.tracks.is_some(),
            rows.is_empty(),
            "tracks head the report"
        );
        let row = &inspected.fragment;
        assert_eq!(row.fragment_number, fragment.number);
        assert_eq!(row.producer_timestamp, fragment.producer_timestamp);
        assert_eq!(row.server_timestamp, fragment.server_timestamp);
        assert_eq!(row.fragment_size_in_bytes, fragment.size);
        assert_eq!(
            row.frames.values().sum::<u64>(),
            fragment.frames.len() as u64,
            "frames per track sum to the fragment's frames"
        );
        for (&track, &count) in &row.frames {
            assert_eq!(count, fragment.frames_of(track).count() as u64);
        }
        let times = fragment.frames.iter().map(|f| f.pts);
        let span_ns = match (times.clone().min(), times.max()) {
            (Some(first), Some(last)) => last.abs_diff(first),
            _ => 0,
        };
        assert!(
            u128::from(row.fragment_length_in_milliseconds) * 1_000_000 <= u128::from(span_ns),
            "length {} ms > span {span_ns} ns",
            row.fragment_length_in_milliseconds
        );
        assert!(
            inspected
                .changes
                .iter()
                .all(|c| c.fragment_number == fragment.number)
        );
        rows.push(inspected.fragment);
    };
    while let Some(next) = reader.next() {
        match next {
            Ok(fragment) => {
                let inspected = inspector.add(&fragment);
                match (&fragment.error, &inspected.fragment.error) {
                    (Some(in_band), error) => assert_eq!(error.as_ref(), Some(&in_band.code)),
                    (None, Some(error)) => assert!(
                        error.starts_with("InvalidMediaFrameException: "),
                        "a complete fragment's error is a bad frame: {error}"
                    ),
                    (None, None) => {}
                }
                check(&fragment, inspected);
            }
            Err(error) => {
                let error = ApiError::from(error);
                if let Some(partial) = reader.partial() {
                    let inspected = inspector.add_damaged(&error, &partial);
                    assert_eq!(inspected.fragment.error.as_deref(), Some(error.code()));
                    check(&partial, inspected);
                }
            }
        }
    }
    let report = kvs_remux::inspect(input);
    assert_eq!(report.fragments.len(), rows.len(), "one row per fragment");
    for (a, b) in report.fragments.iter().zip(&rows) {
        assert_eq!(
            (
                &a.fragment_number,
                a.fragment_size_in_bytes,
                &a.frames,
                &a.error
            ),
            (
                &b.fragment_number,
                b.fragment_size_in_bytes,
                &b.frames,
                &b.error
            )
        );
    }
}

/// The input split into inputs (15 option bytes: byte 0 says how many, `1 + byte % 8`, and with
/// bit 6 that each split moves forward to the next EBML header, as fragment files are cut; bit 7
/// adds 12 empty inputs, past the 16 an archive keeps in memory; then 7 big-endian u16 split points,
/// as fractions of the length) and opened with [`Archive::from_sources`]. Every indexed fragment
/// reads back to a fragment with the number, offset and size indexed, or a typed error;
/// [`Archive::summary`] agrees with the frames read; each damage names an input and how many
/// fragments it gave; indexed fragments lie inside their input.
pub fn multi_file(data: &[u8]) {
    let Some((options, rest)) = options::<MULTI_OPTIONS>(data) else {
        return;
    };
    let count = 1 + usize::from(options[0] % 8);
    let snap = options[0] & 0x40 != 0;
    let mut cuts: Vec<usize> = options[1..]
        .chunks_exact(2)
        .take(count - 1)
        .map(|pair| {
            let fraction = usize::from(u16::from_be_bytes([pair[0], pair[1]]));
            let at = (rest.len() * fraction) >> 16;
            if snap {
                rest.get(at..)
                    .and_then(|tail| tail.windows(4).position(|w| w == [0x1A, 0x45, 0xDF, 0xA3]))
                    .map_or(rest.len(), |found| at + found)
            } else {
                at
            }
        })
        .collect();
    cuts.sort_unstable();
    let mut sources = Vec::new();
    let mut start = 0;
    for end in cuts.into_iter().chain([rest.len()]) {
        let name = format!("input{}", sources.len());
        sources.push(Source::memory(
            &name,
            Bytes::copy_from_slice(&rest[start..end]),
        ));
        start = end;
    }
    if options[0] & 0x80 != 0 {
        for _ in 0..12 {
            let name = format!("input{}", sources.len());
            sources.push(Source::memory(&name, Bytes::new()));
        }
    }
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let lengths: Vec<u64> = sources.iter().map(|s| s.len).collect();
    let archive = match Archive::from_sources(sources) {
        Ok(archive) => archive,
        Err(error) => {
            assert!(!error.code().is_empty());
            return;
        }
    };
    let index = archive.index();
    for damage in archive.damage() {
        let input = names
            .iter()
            .position(|n| *n == damage.input)
            .unwrap_or_else(|| panic!("damage names an input: {}", damage.input));
        let indexed = index
            .fragments()
            .iter()
            .filter(|f| usize::try_from(f.source).is_ok_and(|s| s == input))
            .count();
        assert_eq!(
            damage.complete_fragments, indexed,
            "{}: complete fragments before the damage",
            damage.input
        );
    }
    for (i, entry) in index.fragments().iter().enumerate() {
        let len = usize::try_from(entry.source)
            .ok()
            .and_then(|s| lengths.get(s).copied())
            .expect("a fragment's input exists");
        assert!(
            entry
                .offset
                .checked_add(entry.size)
                .is_some_and(|end| end <= len),
            "fragment {i} inside its input"
        );
        let read = archive.read(i);
        if let Ok(fragment) = &read {
            assert_eq!(
                (&fragment.number, fragment.offset, fragment.size),
                (&entry.number, entry.offset, entry.size),
                "fragment {i} reads back as indexed"
            );
        }
        match (archive.summary(i), &read) {
            (Ok(summary), Ok(fragment)) => {
                assert_eq!(
                    summary.count,
                    fragment.frames.len() as u64,
                    "fragment {i}: summary counts the frames read"
                );
                let times = fragment.frames.iter().map(|f| f.pts);
                let span = times.clone().min().zip(times.max());
                assert_eq!(summary.span, span, "fragment {i}: summary spans the frames");
            }
            (Err(error), _) => assert!(!error.code().is_empty()),
            (_, Err(error)) => assert!(!error.code().is_empty()),
        }
    }
    assert!(
        archive.read(index.len()).is_err(),
        "no fragment past the index"
    );
}

/// Index selection and paging with a selection the input chooses (6 option bytes, see [`range`]
/// and [`kind_of`]). `select` returns media fragments with the timestamp, inside [start, end]
/// (inclusive), ordered by (timestamp, fragment number); with producer timestamps no two share one
/// and each kept fragment is the smallest number of its timestamp; with server timestamps every
/// media fragment in range is selected. `matching` is `select` without the producer-timestamp
/// de-duplication. Paging with `max` 1..=7 visits exactly what `matching` returns (or, without a
/// selection, every media fragment by number), in order, each once, with full pages while more
/// remain.
pub fn fragment_index(data: &[u8]) {
    let Some((options, rest)) = options::<RANGE_OPTIONS>(data) else {
        return;
    };
    let Ok(archive) = Archive::from_bytes(Bytes::copy_from_slice(rest)) else {
        return;
    };
    let index = archive.index();
    let kind = kind_of(options[0]);
    let (start, end) = range(&options, index, kind);
    let selection = Selection { kind, start, end };
    let selected = index.select(&selection);
    let in_range = |t: UnixMillis| start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e);
    let key = |p: usize| {
        let f = index.get(p).expect("selected positions are indexed");
        (
            f.timestamp(kind)
                .expect("selected fragments have the timestamp"),
            &f.number,
        )
    };
    for pair in selected.windows(2) {
        assert!(
            key(pair[0]) <= key(pair[1]),
            "ordered by timestamp and number"
        );
    }
    let mut seen = BTreeSet::new();
    for &p in &selected {
        let f = index.get(p).expect("indexed");
        assert!(f.has_media(), "only media fragments are selected");
        assert!(in_range(key(p).0), "selected within [start, end]");
        assert!(seen.insert(p), "each fragment once");
    }
    let media = index.media();
    for &p in &media {
        let f = index.get(p).expect("indexed");
        let Some(t) = f.timestamp(kind).filter(|&t| in_range(t)) else {
            continue;
        };
        match kind {
            TimestampKind::Server => assert!(seen.contains(&p), "every media fragment in range"),
            TimestampKind::Producer => {
                let kept = selected
                    .iter()
                    .find(|&&q| key(q).0 == t)
                    .expect("each producer timestamp in range is kept once");
                assert!(
                    key(*kept).1 <= &f.number,
                    "the smallest fragment number is kept"
                );
            }
        }
    }
    if kind == TimestampKind::Producer {
        let times: BTreeSet<_> = selected.iter().map(|&p| key(p).0).collect();
        assert_eq!(
            times.len(),
            selected.len(),
            "no duplicate producer timestamps"
        );
    }
    let matching = index.matching(&selection);
    let deduplicated: Vec<usize> = {
        let mut times = BTreeSet::new();
        matching
            .iter()
            .copied()
            .filter(|&p| kind == TimestampKind::Server || times.insert(key(p).0))
            .collect()
    };
    assert_eq!(deduplicated, selected, "select is matching, de-duplicated");
    let mut by_number = index.media();
    by_number.sort_by(|&a, &b| {
        let number = |p: usize| &index.get(p).expect("indexed").number;
        number(a).cmp(number(b)).then(a.cmp(&b))
    });
    for (paged_selection, expected) in [(Some(&selection), &matching), (None, &by_number)] {
        for max in 1..=7 {
            let mut visited = Vec::new();
            let mut after: Option<PageCursor> = None;
            loop {
                let (page, cursor) = index.page(paged_selection, after.as_ref(), max);
                assert!(page.len() <= max, "a page holds at most max");
                visited.extend_from_slice(&page);
                assert!(
                    visited.len() <= expected.len(),
                    "paging visits each fragment once"
                );
                let Some(cursor) = cursor else {
                    break;
                };
                assert_eq!(page.len(), max, "pages are full while more remain");
                let last = *page.last().expect("a full page");
                assert_eq!(cursor.position, last);
                if paged_selection.is_some() {
                    assert_eq!(
                        (cursor.timestamp, &cursor.number),
                        (Some(key(last).0), key(last).1)
                    );
                }
                after = Some(cursor);
            }
            assert_eq!(
                &visited, expected,
                "paging with max {max} visits the listing"
            );
        }
    }
}

/// ListFragments with a request the input chooses (8 option bytes: the 6 of [`range`], whose
/// flags' bit 1 says "no selector"; MaxResults − 8; a byte that corrupts the NextToken). Every
/// answer is Ok or InvalidArgumentException; an invalid MaxResults is refused. Following the
/// tokens lists exactly what the index lists (`matching`, or every media fragment by number), each
/// fragment once, with its indexed number, size and timestamps; every token matches the model's
/// pattern and length; a corrupted token is refused or resumes, never panics.
pub fn list_fragments(data: &[u8]) {
    use kvs_remux::api::list_fragments::{FragmentSelector, ListFragmentsInput, list_fragments};
    use kvs_remux::shapes::TimestampRange;
    let Some((options, rest)) = options::<LIST_OPTIONS>(data) else {
        return;
    };
    let Ok(archive) = Archive::from_bytes(Bytes::copy_from_slice(rest)) else {
        return;
    };
    let index = archive.index();
    let range_options: [u8; RANGE_OPTIONS] = options[..RANGE_OPTIONS].try_into().expect("6 bytes");
    let kind = kind_of(options[0]);
    let (start, end) = range(&range_options, index, kind);
    let selection = (options[0] & 0x02 == 0).then(|| Selection {
        kind,
        start: Some(start.unwrap_or(UnixMillis(0))),
        end: Some(end.unwrap_or(UnixMillis(u64::MAX))),
    });
    let input = ListFragmentsInput {
        max_results: Some(i64::from(options[6]) - 8),
        fragment_selector: selection.map(|s| FragmentSelector {
            fragment_selector_type: s.kind,
            timestamp_range: TimestampRange {
                start_timestamp: s.start.expect("set above"),
                end_timestamp: s.end.expect("set above"),
            },
        }),
        ..Default::default()
    };
    let refused = |error: &ApiError| {
        assert_eq!(error.code(), "InvalidArgumentException", "{error}");
    };
    let max = i64::from(options[6]) - 8;
    let mut request = input.clone();
    let mut listed = Vec::new();
    let mut pages = 0usize;
    loop {
        let page = match list_fragments(&archive, &request) {
            Ok(page) => page,
            Err(error) => {
                refused(&error);
                // Only an invalid MaxResults, an inverted range or a token that cannot be read.
                return;
            }
        };
        assert!((1..=1000).contains(&max), "MaxResults {max} accepted");
        pages += 1;
        assert!(pages <= index.len() + 1, "paging terminates");
        listed.extend(page.fragments.iter().map(|f| f.fragment_number.clone()));
        // Hostile input may repeat a fragment number (on a chunk without media, say): a listed
        // fragment is one of the indexed fragments of its number.
        for fragment in &page.fragments {
            assert!(
                index.fragments().iter().any(|e| {
                    e.number.to_string() == fragment.fragment_number
                        && fragment.fragment_size_in_bytes == e.size
                        && fragment.producer_timestamp == e.producer_timestamp
                        && fragment.server_timestamp == e.server_timestamp
                }),
                "listed fragment {} is not indexed so",
                fragment.fragment_number
            );
        }
        let Some(token) = page.next_token else {
            break;
        };
        let body = token.trim_end_matches('=');
        assert!(!body.is_empty() && token.len() <= 4096 && token.len() - body.len() <= 2);
        assert!(
            body.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        );
        if pages == 1 && options[7] != 0 {
            // A corrupted token: refused, or a page of some resumption; never a panic.
            let mut bytes = token.clone().into_bytes();
            let at = usize::from(options[7]) % bytes.len();
            bytes[at] = b"A/+9z="[usize::from(options[7]) % 6];
            let corrupted = ListFragmentsInput {
                next_token: Some(String::from_utf8(bytes).expect("ASCII")),
                ..input.clone()
            };
            if let Err(error) = list_fragments(&archive, &corrupted) {
                refused(&error);
            }
        }
        request.next_token = Some(token);
    }
    let expected: Vec<String> = match &selection {
        Some(selection) => index.matching(selection),
        None => {
            let mut all = index.media();
            all.sort_by(|&a, &b| {
                let number = |p: usize| &index.get(p).expect("indexed").number;
                number(a).cmp(number(b)).then(a.cmp(&b))
            });
            all
        }
    }
    .into_iter()
    .map(|p| index.get(p).expect("indexed").number.to_string())
    .collect();
    assert_eq!(listed, expected, "the pages list the selection");
}

const LIST_OPTIONS: usize = 8;

/// `pack` with a fragment duration the input chooses (1 option byte: 1, 500, 2000 or 20 000 ms).
/// An error is an InvalidArgumentException; a packed archive is documents of their own (each
/// starts with the EBML magic), which the reader reads back as exactly the input's frames (track,
/// key flag, bytes) in order, one fragment per document, numbers increasing; its size is the frames
/// plus at most 32 bytes a frame and the header and tags once per fragment.
pub fn pack(data: &[u8]) {
    use kvs_remux::api::pack::{PackOptions, pack};
    let Some((options, rest)) = options::<1>(data) else {
        return;
    };
    let input = Bytes::copy_from_slice(rest);
    let options = PackOptions {
        fragment_duration_ms: [1, 500, 2000, 20_000][usize::from(options[0] % 4)],
        ..PackOptions::default()
    };
    let Ok(mut packed) = pack(input.clone(), &options) else {
        panic!("valid options are accepted");
    };
    let mut chunks: Vec<Vec<Bytes>> = Vec::new();
    for result in &mut packed {
        match result {
            Ok(chunk) => chunks.push(chunk),
            Err(error) => {
                assert_eq!(error.code(), "InvalidArgumentException", "{error}");
                return;
            }
        }
    }
    let mut expected: Vec<(u64, bool, Bytes)> = Vec::new();
    let mut reader = Reader::new(input);
    for next in reader.by_ref() {
        match next {
            Ok(fragment) => expected.extend(
                fragment
                    .frames
                    .into_iter()
                    .map(|f| (f.track, f.keyframe, f.data)),
            ),
            Err(_) => break,
        }
    }
    if let Some(partial) = reader.partial() {
        expected.extend(
            partial
                .frames
                .into_iter()
                .map(|f| (f.track, f.keyframe, f.data)),
        );
    }
    let mut output = Vec::new();
    let mut header_bytes = 0usize;
    for chunk in &chunks {
        assert!(
            chunk[0].starts_with(&[0x1A, 0x45, 0xDF, 0xA3]),
            "a chunk is a document"
        );
        header_bytes += chunk[0].len() + chunk.get(1).map_or(0, |c| c.len());
        for part in chunk {
            output.extend_from_slice(part);
        }
    }
    let payload: usize = expected.iter().map(|(_, _, d)| d.len()).sum();
    assert!(
        output.len() <= payload + 32 * expected.len() + header_bytes,
        "packed size {} for {payload} payload bytes",
        output.len()
    );
    let mut seen = Vec::new();
    let mut numbers = Vec::new();
    for next in Reader::new(Bytes::from(output)) {
        let fragment = next.expect("a packed archive reads back");
        assert!(!fragment.synthetic, "packed fragments carry KVS numbers");
        numbers.push(fragment.number.clone());
        seen.extend(
            fragment
                .frames
                .into_iter()
                .map(|f| (f.track, f.keyframe, f.data)),
        );
    }
    assert_eq!(numbers.len(), chunks.len(), "one fragment per chunk");
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "numbers increase");
    assert_eq!(seen, expected, "the packed frames are the input's");
}

/// GetImages (the decode path): the range of the options (start and end default to the first and
/// last fragment), SamplingInterval 200 ms × (1 + byte 6), byte 7: bit 0 PNG else JPEG, bits 1–7
/// a width (0: source size). One page: Ok or InvalidArgumentException (a range over 300 s, End
/// before Start, damage read in a fragment); the page's slots are
/// the request's (from Start, one per interval, at most 25); each image is an error or a JPEG/PNG
/// whose base64 fits the service's limit.
pub fn images(data: &[u8]) {
    use base64::Engine as _;
    use kvs_remux::api::images::{Format, GetImagesInput, MAX_IMAGE_CONTENT, get_images};
    let Some((options, rest)) = options::<IMAGES_OPTIONS>(data) else {
        return;
    };
    let Ok(archive) = Archive::from_bytes(Bytes::copy_from_slice(rest)) else {
        return;
    };
    let index = archive.index();
    let range_options: [u8; RANGE_OPTIONS] = options[..RANGE_OPTIONS].try_into().expect("6 bytes");
    let kind = kind_of(options[0]);
    let (start, end) = range(&range_options, index, kind);
    let times: Vec<u64> = index
        .fragments()
        .iter()
        .filter_map(|f| f.timestamp(kind))
        .map(|t| t.0)
        .collect();
    let start = start.unwrap_or(UnixMillis(times.iter().copied().min().unwrap_or(0)));
    let end = end.unwrap_or(UnixMillis(times.iter().copied().max().unwrap_or(0)));
    let interval = 200 * (1 + i64::from(options[6]));
    let input = GetImagesInput {
        stream_name: Some("fuzz".into()),
        stream_arn: None,
        image_selector_type: kind,
        start_timestamp: start,
        end_timestamp: end,
        sampling_interval: Some(interval),
        format: if options[7] & 1 != 0 {
            Format::Png
        } else {
            Format::Jpeg
        },
        format_config: None,
        width_pixels: (options[7] >> 1 != 0).then_some(i64::from(options[7] >> 1)),
        height_pixels: None,
        max_results: None,
        next_token: None,
    };
    let page = match get_images(&archive, &input) {
        Ok(page) => page,
        Err(error) => {
            // A range the service refuses (damage in a fragment is its slots' MEDIA_ERROR).
            assert_eq!(error.code(), "InvalidArgumentException", "{error}");
            return;
        }
    };
    assert!(
        end >= start && end.0 - start.0 <= 300_000,
        "accepted a range over 300 s"
    );
    let span = end.0 - start.0;
    let slots = if span < interval as u64 {
        1
    } else {
        span / interval as u64 + 1
    };
    assert_eq!(page.images.len() as u64, slots.min(25), "page size");
    assert_eq!(page.next_token.is_some(), slots > 25, "NextToken");
    for (k, image) in page.images.iter().enumerate() {
        assert_eq!(
            image.time_stamp.0,
            start.0 + k as u64 * interval as u64,
            "slot time"
        );
        match (&image.error, &image.image_content) {
            (Some(_), None) => {}
            (None, Some(content)) => {
                assert!(content.len() <= MAX_IMAGE_CONTENT);
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(content)
                    .expect("base64");
                let magic: &[u8] = match input.format {
                    Format::Png => b"\x89PNG",
                    Format::Jpeg => b"\xFF\xD8\xFF",
                };
                assert!(bytes.starts_with(magic), "not a {:?}", input.format);
            }
            other => panic!("an image with both or neither of error and content: {other:?}"),
        }
    }
}
