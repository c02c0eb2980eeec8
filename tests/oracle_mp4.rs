//! GetClip and fMP4 output against oracles nobody here wrote (issue 5): ffmpeg, ffprobe, GStreamer's
//! qtdemux and the `mp4` crate, on the fixtures of `testdata/gen-fixtures.sh` and on every real
//! H.264 file in ../shared/testdata/real.
//!
//! Packets: `ffmpeg -i X -map 0 -c copy -f framemd5 -` gives per stream the same sizes and MD5s, in
//! order, for our MP4 as for the source MKV. Times: ffmpeg shifts every input by its own start time
//! (the smallest first timestamp over its streams), so framemd5's dts/pts of source and output share an
//! origin: the file's first presented instant. For the clip (all tracks) we compare those times as they
//! are, which also checks A/V sync; for a track's `init.mp4 + *.m4s` (one stream) we compare times
//! relative to the stream's first pts on both sides. Bound: the source is on Matroska's 1 ms grid,
//! which our time scales (90 kHz video, the sample rate for audio) hold exactly except 44.1 kHz, where
//! each time is rounded to the nearest tick; ffmpeg's start-time shift is rounded once more to the
//! output tick. So |Δ| ≤ one output tick (≤ 22.7 µs) + 1 µs for ffmpeg's microsecond start time.
//! Decode times: Matroska stores none; ffmpeg derives them for the source, and ours must agree.

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};

use kvs_remux::low_level::mkv::Reader;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_kvs-remux");

/// Fixtures whose whole archive GetClip packages (spec §5.1: H.264 + AAC or A-law, H.265 + AAC, video only).
const CLIP_FIXTURES: &[&str] = &[
    "h264-high-aac",
    "h265-main-aac",
    "h264-alaw",
    "h264-baseline",
    "gap",
];
/// Fixtures whose every track exports as fMP4 (all but the CPD change).
const FMP4_FIXTURES: &[&str] = &[
    "h264-high-aac",
    "h265-main-aac",
    "h264-alaw",
    "h264-mulaw",
    "aac-only",
    "h264-baseline",
    "gap",
    "gap-1h",
    "gap-20h",
    "gap-30d",
    "timecode-reset",
];
/// Fixtures with a break longer than a sample may last (20 s): the clip closes it.
const GAP_FIXTURES: &[&str] = &["gap-1h", "gap-20h", "gap-30d", "timecode-reset"];

fn fixture(name: &str) -> PathBuf {
    support::fixture(name)
}

/// A scratch directory of this module's tests, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("oracle_mp4")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir); // absent on the first run: nothing to remove
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Whether every oracle tool is here (else the tests skip, or fail under CI=true).
fn have_tools() -> bool {
    support::tool("ffmpeg").is_some()
        && support::tool("ffprobe").is_some()
        && support::tool("gst-launch-1.0").is_some()
        && support::tool("mkvinfo").is_some()
}

fn kvs_remux(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("spawn kvs-remux")
}

fn ok(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---------------------------------------------------------------- ffmpeg framemd5

/// One packet (or decoded frame) as ffmpeg's framemd5 muxer prints it, times in ns.
#[derive(Debug, Clone)]
struct Packet {
    dts_ns: i128,
    pts_ns: i128,
    size: usize,
    md5: String,
}

/// Per stream: the time base's tick in ns (rounded up) and the packets in order.
type Streams = BTreeMap<usize, (i128, Vec<Packet>)>;

/// `ffmpeg -i PATH ARGS -f framemd5 -`, parsed.
fn framemd5(path: &Path, args: &[&str]) -> Streams {
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg
        .args(["-nostdin", "-v", "quiet", "-i"])
        .arg(path)
        .args(args)
        .args(["-f", "framemd5", "-"]);
    let text = support::run(ffmpeg);
    let mut bases: BTreeMap<usize, (i128, i128)> = BTreeMap::new();
    let mut streams = Streams::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("#tb ") {
            let (stream, base) = rest.split_once(": ").expect("#tb line");
            let (num, den) = base.split_once('/').expect("time base");
            bases.insert(
                stream.parse().unwrap(),
                (num.parse().unwrap(), den.parse().unwrap()),
            );
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [stream, dts, pts, _duration, size, md5] = fields[..] else {
            panic!("framemd5 line {line}")
        };
        let stream: usize = stream.parse().unwrap();
        let (num, den) = bases[&stream];
        let ns = |t: &str| t.parse::<i128>().unwrap() * 1_000_000_000 * num / den;
        let tick = (1_000_000_000 * num + den - 1) / den;
        streams
            .entry(stream)
            .or_insert_with(|| (tick, Vec::new()))
            .1
            .push(Packet {
                dts_ns: ns(dts),
                pts_ns: ns(pts),
                size: size.parse().unwrap(),
                md5: md5.to_owned(),
            });
    }
    streams
}

/// [`framemd5`] of a source, which no test changes: each (path, args) is run once per test
/// binary (a source is read by its clip case and by each of its fMP4 track cases, which run on
/// both test threads at once: the second caller of a key waits for the first one's run).
fn source_framemd5(path: &Path, args: &[&str]) -> Streams {
    type Key = (PathBuf, Vec<String>);
    static RUNS: Mutex<BTreeMap<Key, Arc<OnceLock<Streams>>>> = Mutex::new(BTreeMap::new());
    let key = (
        path.to_path_buf(),
        args.iter().map(|a| a.to_string()).collect(),
    );
    let run = Arc::clone(RUNS.lock().unwrap().entry(key).or_default());
    run.get_or_init(|| framemd5(path, args)).clone()
}

/// The packets of the one stream that `streams` (a [`framemd5`] of one mapped stream) holds.
fn only_stream(mut streams: Streams) -> Vec<Packet> {
    assert!(streams.len() <= 1, "one stream mapped");
    streams.pop_first().map(|(_, (_, p))| p).unwrap_or_default()
}

/// The packets of the one stream `args` maps.
fn framemd5_one(path: &Path, args: &[&str]) -> Vec<Packet> {
    only_stream(framemd5(path, args))
}

/// ffmpeg arguments that decode stream `index` (video: every frame, no rate conversion).
fn decode_args(index: usize, video: bool) -> Vec<&'static str> {
    let map: &'static str = Box::leak(format!("0:{index}").into_boxed_str());
    let mut args = vec!["-map", map];
    if video {
        args.extend(["-fps_mode", "passthrough"]);
    }
    args
}

/// Asserts two lists are equal, reporting the lengths and the first difference (not both lists).
fn assert_same_list<T: PartialEq + std::fmt::Debug>(what: &str, ours: &[T], want: &[T]) {
    if let Some(i) = (0..ours.len().min(want.len())).find(|&i| ours[i] != want[i]) {
        panic!(
            "{what}: first difference at {i} of {} (ours) / {} (oracle): ours {:?}, oracle {:?}",
            ours.len(),
            want.len(),
            ours[i],
            want[i]
        );
    }
    assert_eq!(
        ours.len(),
        want.len(),
        "{what}: lengths differ (ours, oracle); equal up to the shorter"
    );
}

/// Sizes and MD5s of a stream's packets.
fn hashes(packets: &[Packet]) -> Vec<(usize, String)> {
    packets.iter().map(|p| (p.size, p.md5.clone())).collect()
}

/// Asserts equal sizes/MD5s and, when `times`, equal dts/pts within one tick of `ours`'s time base + 1 µs.
/// `relative`: compare times relative to each side's first pts instead of ffmpeg's file origin.
fn assert_same_packets(
    what: &str,
    source: &[Packet],
    ours: &[Packet],
    tick_ns: i128,
    times: bool,
    relative: bool,
) {
    assert_same_list(
        &format!("{what}: packets (size, MD5)"),
        &hashes(ours),
        &hashes(source),
    );
    if !times {
        return;
    }
    let origin = |p: &[Packet]| {
        if relative {
            p.iter().map(|x| x.pts_ns).min().unwrap_or(0)
        } else {
            0
        }
    };
    let (o_src, o_ours) = (origin(source), origin(ours));
    // pts: one output tick (+1 µs). dts: the source stores none (Matroska keeps pts only); ffmpeg and we
    // both derive the first frames' decode times of a B-frame GOP from ms-rounded presentation times,
    // and a frame interval such as 1/15 s falls between ms, so the source's 1 ms grid is allowed too.
    let bound = tick_ns + 1_000;
    let dts_bound = 1_000_000 + bound;
    let mut previous_dts = i128::MIN;
    // ffmpeg guesses the source's decode times by continuing from the previous frame, so after a
    // timestamp gap its dts trails the pts by the gap. Such a packet (source pts − dts > 1 s) is not
    // compared with ffmpeg's dts; ours must then lie within the stream's reorder delay instead.
    let max_offset = source
        .iter()
        .map(|p| p.pts_ns - p.dts_ns)
        .filter(|&d| d <= 1_000_000_000)
        .max()
        .unwrap_or(0);
    for (i, (s, o)) in source.iter().zip(ours).enumerate() {
        let (dp, mut dd) = (
            (o.pts_ns - o_ours) - (s.pts_ns - o_src),
            (o.dts_ns - o_ours) - (s.dts_ns - o_src),
        );
        if s.pts_ns - s.dts_ns > 1_000_000_000 {
            let offset = o.pts_ns - o.dts_ns;
            assert!(
                (0..=max_offset + bound).contains(&offset),
                "{what}: packet {i} (after a gap): composition offset {offset} ns, reorder delay {max_offset} ns"
            );
            eprintln!("{what}: packet {i}: after a gap; ffmpeg's dts guess not compared");
            dd = 0;
        }
        assert!(
            dp.abs() <= bound && dd.abs() <= dts_bound,
            "{what}: packet {i}: ours pts {} dts {} ns, source pts {} dts {} ns (relative to origin; bounds {bound}/{dts_bound} ns)",
            o.pts_ns - o_ours,
            o.dts_ns - o_ours,
            s.pts_ns - o_src,
            s.dts_ns - o_src,
        );
        if dd.abs() > bound {
            eprintln!("{what}: packet {i}: dts differs by {dd} ns (within the 1 ms grid)");
        }
        assert!(
            o.dts_ns <= o.pts_ns && o.dts_ns >= previous_dts,
            "{what}: packet {i}: decode time {} after its presentation time {} or before the previous one {previous_dts}",
            o.dts_ns,
            o.pts_ns
        );
        previous_dts = o.dts_ns;
    }
}

// ---------------------------------------------------------------- our outputs

/// `get-clip PATH OUT --no-limits [extra]`; panics when it fails.
fn clip(source: &Path, dir: &Path, extra: &[&str]) -> PathBuf {
    let out = dir.join("clip.mp4");
    let mut args = vec![
        "get-clip",
        source.to_str().unwrap(),
        out.to_str().unwrap(),
        "--no-limits",
    ];
    args.extend_from_slice(extra);
    ok_or_read_error(
        &kvs_remux(&args),
        source,
        &format!("get-clip {}", source.display()),
    );
    out
}

/// A command over a source that our reader cannot read to the end (a truncated real file) uses the
/// fragments completed before the damage, says where the damage is in one `warning:` line and exits 0
/// (README: what a failure leaves behind); any other source must succeed silently.
fn ok_or_read_error(output: &Output, source: &Path, what: &str) {
    let read_error = Reader::new(support::load(source)).find_map(Result::err);
    match read_error {
        None => ok(output, what),
        Some(error) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(0), "{what}: {stderr}");
            let code = kvs_remux::ApiError::from(error).code();
            assert!(
                stderr.starts_with(&format!("warning: {code}: ")),
                "{what}: expected a warning with the reader's {code}: {stderr}"
            );
            eprintln!("{what}: source ends early: {}", stderr.trim());
        }
    }
}

/// `fragment PATH DIR`, then per track `cat init.mp4 *.m4s` in fragment order: (track, file).
fn fragment_files(source: &Path, dir: &Path) -> Vec<(u64, PathBuf)> {
    let outdir = dir.join("fmp4");
    ok_or_read_error(
        &kvs_remux(&[
            "fragment",
            source.to_str().unwrap(),
            outdir.to_str().unwrap(),
        ]),
        source,
        &format!("fragment {}", source.display()),
    );
    let mut tracks = Vec::new();
    for entry in std::fs::read_dir(&outdir).expect("fragment output") {
        let track_dir = entry.unwrap().path();
        let name = track_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let track: u64 = name.strip_prefix("track").unwrap().parse().unwrap();
        let mut segments: Vec<String> = std::fs::read_dir(&track_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".m4s"))
            .collect();
        // Fragment numbers are decimal big integers: order by length, then lexically.
        segments.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        let mut joined = std::fs::read(track_dir.join("init.mp4")).expect("init.mp4");
        for segment in &segments {
            joined.extend(std::fs::read(track_dir.join(segment)).unwrap());
        }
        let file = dir.join(format!("track{track}.mp4"));
        std::fs::write(&file, joined).unwrap();
        tracks.push((track, file));
    }
    tracks.sort();
    tracks
}

/// Frames per track in the fragments our reader completed (the rest of a truncated file is not ours to
/// package), and whether the file's own timeline runs parallel to the producer timestamps (the same
/// producer − Cluster offset in every fragment), i.e. whether the source's times are comparable.
fn completed(path: &Path) -> (BTreeMap<u64, usize>, bool) {
    let mut counts = BTreeMap::new();
    let mut shifts = Vec::new();
    // map_while: an error means the rest is cut off.
    let fragments = Reader::new(support::load(path)).map_while(Result::ok);
    for fragment in fragments.filter(|f| f.has_media()) {
        shifts.push(fragment.timeline_shift);
        for frame in &fragment.frames {
            *counts.entry(frame.track).or_insert(0) += 1;
        }
    }
    shifts.dedup();
    (counts, shifts.len() <= 1)
}

// ---------------------------------------------------------------- the mp4 crate

/// Every box header, walked with the `mp4` crate's `BoxHeader` down the container boxes; asserts that
/// children exactly fill their parent. Returns (fourcc, absolute offset, size) of each box.
fn walk_boxes(data: &[u8]) -> Vec<(String, u64, u64)> {
    const CONTAINERS: &[&str] = &[
        "moov", "trak", "edts", "mdia", "minf", "dinf", "stbl", "mvex", "moof", "traf",
    ];
    fn walk(data: &[u8], start: u64, end: u64, out: &mut Vec<(String, u64, u64)>) {
        let mut at = start;
        while at < end {
            let mut cursor = std::io::Cursor::new(&data[at as usize..end as usize]);
            let header = mp4::BoxHeader::read(&mut cursor).expect("box header");
            let header_len = cursor.position();
            let kind = header.name.to_string();
            assert!(
                header.size >= header_len && at + header.size <= end,
                "box {kind} at {at} (size {}) overruns its parent (ends {end})",
                header.size
            );
            out.push((kind.clone(), at, header.size));
            if CONTAINERS.contains(&kind.as_str()) {
                walk(data, at + header_len, at + header.size, out);
            }
            at += header.size;
        }
        assert_eq!(at, end, "children do not fill their parent exactly");
    }
    let mut out = Vec::new();
    walk(data, 0, data.len() as u64, &mut out);
    out
}

/// Per track id: (size, MD5, sync) of every sample as the `mp4` crate reads a progressive file.
fn mp4_crate_samples(path: &Path) -> BTreeMap<u32, Vec<(usize, String, bool)>> {
    let data = std::fs::read(path).unwrap();
    let size = data.len() as u64;
    let mut reader = mp4::Mp4Reader::read_header(std::io::Cursor::new(data), size)
        .unwrap_or_else(|e| panic!("mp4 crate cannot read {}: {e}", path.display()));
    let ids: Vec<u32> = reader.tracks().keys().copied().collect();
    let mut out = BTreeMap::new();
    for id in ids {
        let count = reader.sample_count(id).unwrap();
        let mut samples = Vec::new();
        for n in 1..=count {
            let sample = reader.read_sample(id, n).unwrap().expect("sample in range");
            samples.push((
                sample.bytes.len(),
                support::md5_hex(&sample.bytes),
                sample.is_sync,
            ));
        }
        out.insert(id, samples);
    }
    out
}

/// Per track id: (size, MD5) of every sample of a fragmented file, from the `mp4` crate's trun
/// entries. (Its `read_sample` ignores trun data offsets, so the bytes are located here: a moof's
/// offset, found with the crate's `BoxHeader`, + trun data_offset, as default-base-is-moof says.)
fn mp4_crate_fragment_samples(path: &Path) -> BTreeMap<u32, Vec<(usize, String)>> {
    let data = std::fs::read(path).unwrap();
    let moofs: Vec<u64> = walk_boxes(&data)
        .into_iter()
        .filter(|(kind, _, _)| kind == "moof")
        .map(|(_, at, _)| at)
        .collect();
    let reader = mp4::Mp4Reader::read_header(std::io::Cursor::new(data.clone()), data.len() as u64)
        .unwrap_or_else(|e| panic!("mp4 crate cannot read {}: {e}", path.display()));
    assert!(reader.is_fragmented(), "{}: no mvex", path.display());
    let mut out = BTreeMap::new();
    for (id, track) in reader.tracks() {
        assert_eq!(
            track.trafs.len(),
            moofs.len(),
            "one traf per moof (single-track file)"
        );
        let mut samples = Vec::new();
        for (traf, moof) in track.trafs.iter().zip(&moofs) {
            assert_ne!(traf.tfhd.flags & 0x02_0000, 0, "tfhd default-base-is-moof");
            let trun = traf.trun.as_ref().expect("trun");
            let mut at =
                (*moof as i64 + i64::from(trun.data_offset.expect("data offset"))) as usize;
            for &size in &trun.sample_sizes {
                let bytes = &data[at..at + size as usize];
                samples.push((bytes.len(), support::md5_hex(bytes)));
                at += size as usize;
            }
        }
        out.insert(*id, samples);
    }
    out
}

// ---------------------------------------------------------------- GStreamer

/// Per qtdemux source pad: its caps (without codec_data) and the bytes of every buffer it gave,
/// concatenated (a filesink per pad; fakesink's per-buffer messages are coalesced under load).
///
/// The caps come from `gst-launch-1.0 -v`'s notifications, which are printed for some pads of a
/// chain and not others from one run to the next: any pad of chain `i` (its queue `q{i}` or
/// filesink `sink{i}`) will do, and a run that printed none for a chain is repeated (at most 3 runs).
fn gstreamer(path: &Path, streams: usize) -> Vec<(String, Vec<u8>)> {
    for _attempt in 0..3 {
        let dir = path.with_extension("gst");
        let _ = std::fs::remove_dir_all(&dir); // absent on the first run
        std::fs::create_dir_all(&dir).unwrap();
        let mut gst = Command::new("gst-launch-1.0");
        gst.args(["-v", "filesrc"])
            .arg(format!("location={}", path.display()))
            .args(["!", "qtdemux", "name=d"]);
        for i in 0..streams {
            gst.args(["d.", "!", "queue", &format!("name=q{i}"), "!", "filesink"])
                .arg(format!("name=sink{i}"))
                .arg(format!(
                    "location={}",
                    dir.join(format!("{i}.bin")).display()
                ));
        }
        let text = support::run(gst);
        assert!(!text.contains("ERROR"), "gst-launch: {text}");
        let caps_of = |i: usize| {
            let keys = [
                format!("GstQueue:q{i}.GstPad:sink: caps = "),
                format!("GstQueue:q{i}.GstPad:src: caps = "),
                format!("GstFileSink:sink{i}.GstPad:sink: caps = "),
            ];
            text.lines().find_map(|l| {
                keys.iter()
                    .find_map(|key| l.split_once(key.as_str()).map(|(_, c)| c.to_owned()))
            })
        };
        let Some(all) = (0..streams).map(caps_of).collect::<Option<Vec<String>>>() else {
            eprintln!(
                "gst-launch printed no caps for a pad of {}; again",
                path.display()
            );
            continue;
        };
        return all
            .into_iter()
            .enumerate()
            .map(|(i, caps)| {
                let caps = caps
                    .split(", ")
                    .filter(|f| !f.starts_with("codec_data="))
                    .collect::<Vec<_>>()
                    .join(", ");
                (caps, std::fs::read(dir.join(format!("{i}.bin"))).unwrap())
            })
            .collect();
    }
    panic!(
        "gst-launch printed no caps for a pad of {} in 3 runs",
        path.display()
    );
}

// ---------------------------------------------------------------- the checks

/// Every check of one output file against its source: packets, times, decoded frames, ffprobe,
/// GStreamer and the `mp4` crate. `streams`: (our stream index → source stream index, MP4 track id).
struct Case<'a> {
    name: String,
    source: &'a Path,
    ours: &'a Path,
    fragmented: bool,
    /// (source stream index, MP4 track id) in our stream order.
    streams: Vec<(usize, u32)>,
    /// Packets per source stream that our reader completed (a prefix of ffmpeg's).
    expected: BTreeMap<usize, usize>,
    times: bool,
}

fn check(case: &Case) {
    let name = &case.name;
    let src = source_framemd5(case.source, &["-map", "0", "-c", "copy"]);
    let ours = framemd5(case.ours, &["-map", "0", "-c", "copy"]);
    assert_eq!(ours.len(), case.streams.len(), "{name}: stream count");
    let mut expected_packets: BTreeMap<usize, Vec<Packet>> = BTreeMap::new();
    for (our_index, &(src_index, _)) in case.streams.iter().enumerate() {
        let (_, src_packets) = &src[&src_index];
        let count = case.expected[&src_index];
        assert!(
            count <= src_packets.len(),
            "{name}: reader completed more frames than ffmpeg reads"
        );
        let src_packets = &src_packets[..count];
        let (tick, our_packets) = &ours[&our_index];
        assert_same_packets(
            &format!("{name} stream {our_index}"),
            src_packets,
            our_packets,
            *tick,
            case.times,
            case.fragmented,
        );
        expected_packets.insert(our_index, src_packets.to_vec());
    }

    // Decoding: the same frames (video passthrough, audio as decoded); a prefix of the source's when
    // the source goes on past what our reader completed.
    let whole = case
        .streams
        .iter()
        .all(|(s, _)| case.expected[s] == src[s].1.len());
    for (our_index, &(src_index, _)) in case.streams.iter().enumerate() {
        let video = ours_is_video(case.ours, our_index);
        let frames = framemd5_one(case.ours, &decode_args(our_index, video));
        let src_frames = only_stream(source_framemd5(case.source, &decode_args(src_index, video)));
        let want = if whole {
            hashes(&src_frames)
        } else {
            assert!(!frames.is_empty(), "{name}: nothing decoded");
            hashes(&src_frames[..frames.len().min(src_frames.len())])
        };
        assert_same_list(
            &format!("{name}: decoded stream {our_index} (frame size, MD5)"),
            &hashes(&frames),
            &want,
        );
    }

    // ffprobe reports nothing.
    let mut ffprobe = Command::new("ffprobe");
    ffprobe.args(["-v", "error"]).arg(case.ours);
    let output = ffprobe.output().unwrap();
    assert!(
        output.status.success() && output.stderr.is_empty() && output.stdout.is_empty(),
        "{name}: ffprobe -v error: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    // GStreamer's qtdemux: one pad per track, giving the bytes of the source's packets in order.
    let pads = gstreamer(case.ours, case.streams.len());
    for (caps, bytes) in &pads {
        let video = caps.starts_with("video/");
        let stream = case
            .streams
            .iter()
            .enumerate()
            .find(|(i, _)| {
                let codec_video = ours_is_video(case.ours, *i);
                codec_video == video
            })
            .map(|(i, _)| i)
            .unwrap_or_else(|| panic!("{name}: no stream for caps {caps}"));
        let want: usize = expected_packets[&stream].iter().map(|p| p.size).sum();
        if bytes.len() != want {
            // qtdemux applies the edit list and drops samples shown past it (dateutc.mkv, whose SPS
            // declares 2 reordered frames but has 2 frames in all). Then it must do exactly what it
            // does with ffmpeg's own `-c copy` MP4 of the same source.
            let reference = std::env::temp_dir().join(format!(
                "kvs-qtdemux-ref-{}-{}.mp4",
                std::process::id(),
                stream
            ));
            let mut ffmpeg = Command::new("ffmpeg");
            ffmpeg
                .args(["-v", "error", "-y", "-i"])
                .arg(case.source)
                .args(["-map", "0", "-c", "copy"])
                .arg(&reference);
            assert!(
                ffmpeg.status().unwrap().success(),
                "{name}: ffmpeg remux of the source"
            );
            let theirs = gstreamer(&reference, case.streams.len());
            std::fs::remove_file(&reference).unwrap();
            let (_, their_bytes) = theirs
                .iter()
                .find(|(c, _)| c.starts_with("video/") == video)
                .unwrap_or_else(|| panic!("{name}: qtdemux gave no {caps} pad for ffmpeg's MP4"));
            assert!(
                *bytes == *their_bytes,
                "{name}: qtdemux gives {} bytes of {caps} for ours, {} for ffmpeg's MP4",
                bytes.len(),
                their_bytes.len()
            );
            continue;
        }
        let src_bytes = source_stream_bytes(
            case.source,
            case.streams[stream].0,
            expected_packets[&stream].len(),
        );
        assert!(
            *bytes == src_bytes,
            "{name}: qtdemux payload of {caps} differs from the source's packets"
        );
    }

    // The mp4 crate: every box nests; sample sizes and MD5s equal the source's packets.
    let data = std::fs::read(case.ours).unwrap();
    let boxes = walk_boxes(&data);
    assert!(boxes.iter().any(|(k, _, _)| k == "moov"), "{name}: no moov");
    for (our_index, &(_, track_id)) in case.streams.iter().enumerate() {
        let want: Vec<(usize, String)> = hashes(&expected_packets[&our_index]);
        let got: Vec<(usize, String)> = if case.fragmented {
            mp4_crate_fragment_samples(case.ours)
                .remove(&track_id)
                .unwrap_or_else(|| panic!("{name}: mp4 crate: no track {track_id}"))
        } else {
            mp4_crate_samples(case.ours)
                .remove(&track_id)
                .unwrap_or_else(|| panic!("{name}: mp4 crate: no track {track_id}"))
                .into_iter()
                .map(|(size, md5, _)| (size, md5))
                .collect()
        };
        assert_same_list(
            &format!("{name}: mp4 crate samples (size, MD5) of track {track_id}"),
            &got,
            &want,
        );
    }
}

/// The first `count` packets of source stream `index`, concatenated (ffmpeg's demuxer, raw copy).
fn source_stream_bytes(path: &Path, index: usize, count: usize) -> Vec<u8> {
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg
        .args(["-nostdin", "-v", "quiet", "-i"])
        .arg(path)
        .args([
            "-map",
            &format!("0:{index}"),
            "-c",
            "copy",
            "-frames",
            &count.to_string(),
        ])
        .args(["-f", "data", "-"]);
    let output = ffmpeg.output().expect("spawn ffmpeg");
    assert!(output.status.success(), "ffmpeg -f data");
    output.stdout
}

fn ours_is_video(path: &Path, index: usize) -> bool {
    let mut ffprobe = Command::new("ffprobe");
    ffprobe
        .args([
            "-v",
            "quiet",
            "-of",
            "csv=p=0",
            "-show_entries",
            "stream=codec_type",
        ])
        .arg(path);
    support::run(ffprobe).lines().nth(index) == Some("video")
}

/// Source stream index of each MKV track: ffmpeg numbers streams in TrackEntry order (mkvinfo).
fn track_streams(path: &Path) -> Vec<u64> {
    support::mkvinfo_track_numbers(path).expect("mkvinfo (have_tools)")
}

fn clip_case(source: &Path, name: &str, dir: &Path) {
    let out = clip(source, dir, &[]);
    let (counts, times) = completed(source);
    let tracks = track_streams(source);
    let streams: Vec<(usize, u32)> = tracks
        .iter()
        .enumerate()
        .map(|(i, &t)| (i, u32::try_from(t).unwrap()))
        .collect();
    let expected = tracks
        .iter()
        .enumerate()
        .map(|(i, t)| (i, counts.get(t).copied().unwrap_or(0)))
        .collect();
    if !times {
        eprintln!(
            "{name}: producer timestamps do not follow the file's timeline: times not compared"
        );
    }
    check(&Case {
        name: format!("{name} clip"),
        source,
        ours: &out,
        fragmented: false,
        streams,
        expected,
        times,
    });
}

fn fragment_case(source: &Path, name: &str, dir: &Path) {
    let (counts, times) = completed(source);
    // ffmpeg's `-c copy` "corrects" time jumps past its dts_error_threshold (30 h): across the
    // breaks of the gap fixtures the times are compared on ffprobe's demuxer instead
    // (fmp4_across_a_break_keeps_producer_times).
    let times = times && !GAP_FIXTURES.contains(&name);
    let tracks = track_streams(source);
    for (track, file) in fragment_files(source, dir) {
        let index = tracks.iter().position(|&t| t == track).unwrap();
        check(&Case {
            name: format!("{name} track {track} fMP4"),
            source,
            ours: &file,
            fragmented: true,
            streams: vec![(index, u32::try_from(track).unwrap())],
            expected: [(index, counts.get(&track).copied().unwrap_or(0))].into(),
            times,
        });
    }
}

/// Runs every case, then fails listing each case that failed (so one file does not hide the others).
fn each(cases: impl Iterator<Item = (String, impl FnOnce())>) {
    let mut failed = Vec::new();
    for (name, case) in cases {
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(case)).is_err() {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "failed: {failed:?} (messages above)");
}

#[test]
fn clip_of_each_fixture_equals_source() {
    if !have_tools() {
        return;
    }
    each(CLIP_FIXTURES.iter().map(|name| {
        (name.to_string(), move || {
            clip_case(&fixture(name), name, &scratch(&format!("clip-{name}")));
        })
    }));
}

/// A clip across a camera offline for an hour, a day or a month (or a timecode reset) holds the
/// source's packets and frames, back to back (src/timeline/gaps.rs): no frame held for the length of
/// the break, audio and video in step in every fragment as in the source.
#[test]
fn clip_across_a_break_plays_the_fragments_back_to_back() {
    if !have_tools() {
        return;
    }
    each(GAP_FIXTURES.iter().map(|name| {
        (name.to_string(), move || {
            let source = fixture(name);
            let dir = scratch(&format!("clip-gap-{name}"));
            let out = clip(&source, &dir, &[]);
            let (counts, _) = completed(&source);
            let tracks = track_streams(&source);
            check(&Case {
                name: format!("{name} clip"),
                source: &source,
                ours: &out,
                fragmented: false,
                streams: tracks
                    .iter()
                    .enumerate()
                    .map(|(i, &t)| (i, u32::try_from(t).unwrap()))
                    .collect(),
                expected: tracks
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (i, counts.get(t).copied().unwrap_or(0)))
                    .collect(),
                // The times move at the break by design; what they must be is checked below.
                times: false,
            });
            // No frame held for the break: the clip lasts about as long as its media (4 s).
            let mut ffprobe = Command::new("ffprobe");
            ffprobe
                .args([
                    "-v",
                    "error",
                    "-show_entries",
                    "format=duration",
                    "-of",
                    "csv=p=0",
                ])
                .arg(&out);
            let duration: f64 = support::run(ffprobe).trim().parse().unwrap();
            assert!(duration < 4.5, "{name}: the clip lasts {duration} s");
            // Audio and video in step: in each fragment, the first audio packet starts as long after
            // the first video packet as in the source (ffprobe's times, split by mkvinfo's
            // per-fragment counts).
            let (src_video, src_audio) = (ffprobe_pts(&source, 0), ffprobe_pts(&source, 1));
            let (our_video, our_audio) = (ffprobe_pts(&out, 0), ffprobe_pts(&out, 1));
            let (mut video, mut audio) = (0, 0);
            for (_, frames) in producer_ms(&source) {
                let theirs = src_audio[audio] - src_video[video];
                let mine = our_audio[audio] - our_video[video];
                assert!(
                    (theirs - mine).abs() <= 1_000_000,
                    "{name}: audio {mine} ns after video, the source has {theirs} ns"
                );
                video += frames[&1];
                audio += frames[&2];
            }
        })
    }));
}

/// Presentation times (ns) of stream `index`'s packets in decode order, as ffprobe's demuxer gives
/// them (no muxer between: ffmpeg's `-c copy` loses times across a month-long jump).
fn ffprobe_pts(path: &Path, index: usize) -> Vec<i128> {
    let mut ffprobe = Command::new("ffprobe");
    ffprobe
        .args(["-v", "error", "-select_streams", &index.to_string()])
        .args([
            "-show_entries",
            "stream=time_base:packet=pts",
            "-of",
            "json",
        ])
        .arg(path);
    let json: Value = serde_json::from_str(&support::run(ffprobe)).unwrap();
    let base = json["streams"][0]["time_base"].as_str().unwrap();
    let (num, den) = base.split_once('/').unwrap();
    let (num, den): (i128, i128) = (num.parse().unwrap(), den.parse().unwrap());
    json["packets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| i128::from(p["pts"].as_i64().unwrap()) * 1_000_000_000 * num / den)
        .collect()
}

/// fMP4 across a break keeps the producer's times (spec §7.1): each packet of fragment k shows at
/// its source time − the fragment's Cluster timestamp + its producer timestamp (ffprobe's times,
/// mkvinfo's tags), also where the Cluster timestamps start again at 0.
#[test]
fn fmp4_across_a_break_keeps_producer_times() {
    if !have_tools() {
        return;
    }
    each(GAP_FIXTURES.iter().map(|name| {
        (name.to_string(), move || {
            let source = fixture(name);
            let dir = scratch(&format!("fmp4-gap-{name}"));
            let data = std::fs::read(&source).unwrap();
            let chunks: Vec<support::MkvinfoChunk> = support::ebml_documents(&data)
                .into_iter()
                .map(|c| support::mkvinfo_chunk(c).expect("mkvinfo"))
                .collect();
            for (track, file) in fragment_files(&source, &dir) {
                let stream = usize::try_from(track - 1).unwrap();
                let (src, ours) = (ffprobe_pts(&source, stream), ffprobe_pts(&file, 0));
                assert_eq!(ours.len(), src.len(), "{name} track {track}: packets");
                let mut at = 0;
                for chunk in &chunks {
                    let producer = chunk.tag("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP").unwrap();
                    let (s, ms) = producer.split_once('.').unwrap();
                    let producer_ns = (s.parse::<i128>().unwrap() * 1000
                        + ms.parse::<i128>().unwrap())
                        * 1_000_000;
                    let shift = producer_ns - chunk.cluster_ns.expect("a Cluster timestamp");
                    for i in at..at + chunk.frames[&track] {
                        assert!(
                            (ours[i] - (src[i] + shift)).abs() <= 1_000,
                            "{name} track {track} packet {i}: {} ns, expected {}",
                            ours[i],
                            src[i] + shift
                        );
                    }
                    at += chunk.frames[&track];
                }
            }
        })
    }));
}

#[test]
fn fmp4_of_each_fixture_equals_source() {
    if !have_tools() {
        return;
    }
    each(FMP4_FIXTURES.iter().map(|name| {
        (name.to_string(), move || {
            fragment_case(&fixture(name), name, &scratch(&format!("fmp4-{name}")));
        })
    }));
}

/// Real files whose track 1 is H.264 and that have at least one complete fragment with frames.
///
/// Files with a stale Cluster CRC-32 are left to `stale_cluster_crc_fails_where_frames_are_read`:
/// the fragment index does not hash payloads, the frames' reader does, so operations that read the
/// damaged Cluster fail there instead of warning.
fn real_h264_files() -> Vec<PathBuf> {
    support::real_mkv_files()
        .into_iter()
        .filter(|path| {
            // ffprobe's first stream is the first TrackEntry (GetClip needs H.264 there).
            let mut ffprobe = Command::new("ffprobe");
            ffprobe
                .args([
                    "-v",
                    "quiet",
                    "-show_entries",
                    "stream=codec_name",
                    "-of",
                    "csv=p=0",
                ])
                .arg(path);
            let output = ffprobe.output().unwrap();
            let h264 = String::from_utf8_lossy(&output.stdout).lines().next() == Some("h264");
            h264 && completed(path).0.values().any(|&n| n > 0) && !stale_crc(path)
        })
        .collect()
}

/// Whether a Cluster's CRC-32 does not match its data (checked by zlib in oracle_reader).
fn stale_crc(path: &Path) -> bool {
    Reader::new(support::load(path)).any(|r| {
        matches!(
            r,
            Err(kvs_remux::low_level::mkv::Error::Ebml(
                kvs_remux::low_level::ebml::Error::CrcMismatch { .. }
            ))
        )
    })
}

/// A stale Cluster CRC-32 (output_get_media_sparse_fragments_merged.mkv, fragment 2) is checked when
/// that Cluster's frames are read: a clip over it fails with the typed error and writes nothing; a
/// clip of the fragment before it is made.
#[test]
fn stale_cluster_crc_fails_where_frames_are_read() {
    let Some(dir) = support::real_dir() else {
        return;
    };
    let source = dir.join("kvs-parser-library/output_get_media_sparse_fragments_merged.mkv");
    assert!(stale_crc(&source));
    let out = scratch("stale-crc");
    let clip = out.join("whole.mp4");
    let output = kvs_remux(&["get-clip", source.to_str().unwrap(), clip.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("InvalidArgumentException: ") && stderr.contains("CRC-32 mismatch"),
        "{stderr}"
    );
    assert!(!clip.exists());
    // The first fragment alone: its producer timestamp (mkvinfo's first) is the whole range.
    let data = std::fs::read(&source).unwrap();
    let first = support::mkvinfo_chunk(&data)
        .expect("mkvinfo")
        .tag("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP")
        .unwrap()
        .to_owned();
    let one = out.join("first.mp4");
    let output = kvs_remux(&[
        "get-clip",
        source.to_str().unwrap(),
        one.to_str().unwrap(),
        "--fragment-selector-type",
        "PRODUCER_TIMESTAMP",
        "--start-timestamp",
        &first,
        "--end-timestamp",
        &first,
    ]);
    // Start = End is refused by the service's rule; widen the end by one millisecond.
    assert_eq!(output.status.code(), Some(1));
    let (s, ms) = first.split_once('.').unwrap();
    let end = format!("{s}.{:03}", ms.parse::<u64>().unwrap() + 1);
    let output = kvs_remux(&[
        "get-clip",
        source.to_str().unwrap(),
        one.to_str().unwrap(),
        "--fragment-selector-type",
        "PRODUCER_TIMESTAMP",
        "--start-timestamp",
        &first,
        "--end-timestamp",
        &end,
    ]);
    ok(&output, "clip of the first fragment");
    let samples = mp4_crate_samples(&one);
    assert_eq!(
        samples[&1].len(),
        first_cluster_blocks(&source),
        "frames of fragment 1"
    );
}

/// Blocks in the file's first Cluster, as `mkvinfo -v` lists them.
fn first_cluster_blocks(path: &Path) -> usize {
    let mut mkvinfo = support::tool("mkvinfo").expect("mkvinfo");
    mkvinfo.arg("-v").arg(path);
    let text = support::run(mkvinfo);
    text.lines()
        .skip_while(|l| !l.starts_with("|+ Cluster"))
        .skip(1)
        .take_while(|l| !l.starts_with("|+ "))
        .filter(|l| l.contains("block: ") && l.contains("track number 1,"))
        .count()
}

#[test]
fn clip_of_each_real_h264_file_equals_source() {
    if !have_tools() {
        return;
    }
    let files = real_h264_files();
    assert!(
        files.is_empty() == support::real_dir().is_none(),
        "real H.264 files found"
    );
    each(files.into_iter().map(|path| {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        (name.clone(), move || {
            clip_case(&path, &name, &scratch(&format!("real-clip-{name}")));
        })
    }));
}

#[test]
fn fmp4_of_each_real_h264_file_equals_source() {
    if !have_tools() {
        return;
    }
    each(real_h264_files().into_iter().map(|path| {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        (name.clone(), move || {
            fragment_case(&path, &name, &scratch(&format!("real-fmp4-{name}")));
        })
    }));
}

// ---------------------------------------------------------------- errors and ranges

/// Runs get-clip and returns the exception name it printed (one line `Name: message`).
fn clip_error(source: &Path, extra: &[&str]) -> String {
    let dir = scratch("errors");
    let out = dir.join("clip.mp4");
    let mut args = vec!["get-clip", source.to_str().unwrap(), out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = kvs_remux(&args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "exit code; stderr {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr.split_once(':').expect("Name: message").0.to_owned()
}

#[test]
fn clip_refuses_what_the_service_refuses() {
    // Spec §6: no CPD change inside a clip (320x240 → 160x120 at the third fragment).
    assert_eq!(
        clip_error(&fixture("cpd-change"), &[]),
        "InvalidCodecPrivateDataException"
    );
    // Spec §5.1: GetClip takes G.711 A-law only, and needs a video track 1.
    assert_eq!(
        clip_error(&fixture("h264-mulaw"), &[]),
        "UnsupportedStreamMediaTypeException"
    );
    assert_eq!(
        clip_error(&fixture("aac-only"), &[]),
        "UnsupportedStreamMediaTypeException"
    );
}

/// Producer timestamps (ms since the epoch) and frames per track of the fixture's fragments, as
/// `mkvinfo -v` reads each fragment's chunk (not our reader).
fn producer_ms(path: &Path) -> Vec<(u64, BTreeMap<u64, usize>)> {
    let data = std::fs::read(path).unwrap();
    support::ebml_documents(&data)
        .into_iter()
        .map(|chunk| {
            let info = support::mkvinfo_chunk(chunk).expect("mkvinfo (have_tools checked)");
            let tag = info
                .tag("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP")
                .expect("a producer timestamp");
            // "1700000001.133": decimal seconds with 3 decimals (spec §7.2).
            let (s, ms) = tag.split_once('.').unwrap();
            let ms = s.parse::<u64>().unwrap() * 1000 + ms.parse::<u64>().unwrap();
            (ms, info.frames)
        })
        .collect()
}

fn epoch(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// A PRODUCER_TIMESTAMP range selects exactly the fragments whose producer timestamp is in [start, end]:
/// the clip's packets are the source's packets of those fragments (ffmpeg's, split by inspect's counts).
#[test]
fn producer_range_selects_exactly_the_fragments_in_it() {
    if !have_tools() {
        return;
    }
    for name in ["h264-high-aac", "gap"] {
        let source = fixture(name);
        let fragments = producer_ms(&source);
        let src = framemd5(&source, &["-map", "0", "-c", "copy"]);
        let tracks = track_streams(&source);
        let n = fragments.len();
        let t = |i: usize| fragments[i].0;
        // (start, end, first selected, last selected)
        let ranges = [
            (t(0), t(n - 1), 0, n - 1),
            (t(1), t(2), 1, 2),
            (t(1) + 1, t(2), 2, 2),
            (t(1), t(2) - 1, 1, 1),
            (t(0) - 5000, t(1), 0, 1),
            (t(n - 1), t(n - 1) + 5000, n - 1, n - 1),
        ];
        for (start, end, first, last) in ranges {
            let dir = scratch(&format!("range-{name}"));
            let out = clip(
                &source,
                &dir,
                &[
                    "--fragment-selector-type",
                    "PRODUCER_TIMESTAMP",
                    "--start-timestamp",
                    &epoch(start),
                    "--end-timestamp",
                    &epoch(end),
                ],
            );
            let ours = framemd5(&out, &["-map", "0", "-c", "copy"]);
            for (index, track) in tracks.iter().enumerate() {
                let skip: usize = fragments[..first]
                    .iter()
                    .map(|f| f.1.get(track).copied().unwrap_or(0))
                    .sum();
                let take: usize = fragments[first..=last]
                    .iter()
                    .map(|f| f.1.get(track).copied().unwrap_or(0))
                    .sum();
                let want = hashes(&src[&index].1[skip..skip + take]);
                assert_eq!(
                    hashes(&ours[&index].1),
                    want,
                    "{name} [{}, {}]: track {track} should hold fragments {first}..={last}",
                    epoch(start),
                    epoch(end)
                );
            }
        }
        // Nothing in range: before the first fragment, and (gap) in the hole of the dropped ones.
        let before = [
            "--fragment-selector-type".to_owned(),
            "PRODUCER_TIMESTAMP".to_owned(),
            "--start-timestamp".to_owned(),
            epoch(t(0) - 10_000),
            "--end-timestamp".to_owned(),
            epoch(t(0) - 1),
        ];
        let before: Vec<&str> = before.iter().map(String::as_str).collect();
        assert_eq!(clip_error(&source, &before), "ResourceNotFoundException");
        if name == "gap" {
            let hole = [
                "--fragment-selector-type".to_owned(),
                "PRODUCER_TIMESTAMP".to_owned(),
                "--start-timestamp".to_owned(),
                epoch(t(1) + 1),
                "--end-timestamp".to_owned(),
                epoch(t(2) - 1),
            ];
            let hole: Vec<&str> = hole.iter().map(String::as_str).collect();
            assert_eq!(clip_error(&source, &hole), "ResourceNotFoundException");
        }
    }
    // Either side of the CPD change alone is a valid clip; both together are not.
    let source = fixture("cpd-change");
    let fragments = producer_ms(&source);
    let range = |a: usize, b: usize| {
        vec![
            "--fragment-selector-type".to_owned(),
            "PRODUCER_TIMESTAMP".to_owned(),
            "--start-timestamp".to_owned(),
            epoch(fragments[a].0),
            "--end-timestamp".to_owned(),
            epoch(fragments[b].0),
        ]
    };
    for (a, b) in [(0, 1), (2, 3)] {
        let args = range(a, b);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        clip(&source, &scratch("cpd-halves"), &args);
    }
    let args = range(1, 2);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(
        clip_error(&source, &args),
        "InvalidCodecPrivateDataException"
    );
}

#[test]
fn missing_or_broken_codec_private_data_is_named() {
    let source = std::fs::read(fixture("h264-high-aac")).unwrap();
    // The avcC of every fragment's track 1: configurationVersion 1, then High profile (100 = 0x64).
    let cpds = support::codec_privates(&source, &[0x01, 0x64]);
    assert_eq!(cpds.len(), 4, "one avcC per fragment header");
    let dir = scratch("cpd-patches");

    // Missing: the CodecPrivate element becomes a Void of the same length.
    let mut missing = source.clone();
    for &(at, width, _) in &cpds {
        assert_eq!(width, 1, "ffmpeg writes a 1-byte size for a short avcC");
        support::remove_codec_private(&mut missing, at);
    }
    let path = dir.join("missing.mkv");
    std::fs::write(&path, &missing).unwrap();
    assert_eq!(clip_error(&path, &[]), "MissingCodecPrivateDataException");

    // Broken: the avcC's SPS length (bytes 6–7, after `01 64 00 0c FF E1`) set to 0xFFFF, so the SPS
    // runs past the end of the record (ISO/IEC 14496-15 §5.3.3.1).
    let mut broken = source.clone();
    for &(at, _, payload) in &cpds {
        assert_eq!(broken[payload + 5] & 0x1F, 1, "one SPS");
        broken[payload + 6..payload + 8].copy_from_slice(&[0xFF, 0xFF]);
        support::void_tracks_crc(&mut broken, at);
    }
    let path = dir.join("broken.mkv");
    std::fs::write(&path, &broken).unwrap();
    assert_eq!(clip_error(&path, &[]), "InvalidCodecPrivateDataException");

    // Broken in the first fragment only: the clip of the whole archive is refused, a clip of the
    // later fragments is fine.
    let mut first_only = source;
    let (at, _, payload) = cpds[0];
    first_only[payload + 6..payload + 8].copy_from_slice(&[0xFF, 0xFF]);
    support::void_tracks_crc(&mut first_only, at);
    let path = dir.join("first-broken.mkv");
    std::fs::write(&path, &first_only).unwrap();
    assert_eq!(clip_error(&path, &[]), "InvalidCodecPrivateDataException");
    let fragments = producer_ms(&path);
    let later = [
        "--fragment-selector-type",
        "PRODUCER_TIMESTAMP",
        "--start-timestamp",
        &epoch(fragments[1].0),
        "--end-timestamp",
        &epoch(fragments[3].0),
    ];
    clip(&path, &dir, &later);
}

/// What GStreamer and ffmpeg make of our G.711 entries (`alaw` in a clip, `alaw`/`ulaw` in fMP4).
#[test]
fn g711_entries_are_read_as_g711() {
    if !have_tools() {
        return;
    }
    let dir = scratch("g711");
    let out = clip(&fixture("h264-alaw"), &dir, &[]);
    let pads = gstreamer(&out, 2);
    assert!(
        pads.iter()
            .any(|(caps, _)| caps == "audio/x-alaw, rate=(int)8000, channels=(int)1"),
        "{pads:?}"
    );
    for (name, caps, codec) in [
        (
            "h264-alaw",
            "audio/x-alaw, rate=(int)8000, channels=(int)1",
            "pcm_alaw",
        ),
        (
            "h264-mulaw",
            "audio/x-mulaw, rate=(int)8000, channels=(int)1",
            "pcm_mulaw",
        ),
    ] {
        let dir = scratch(&format!("g711-{name}"));
        let files = fragment_files(&fixture(name), &dir);
        let (_, audio) = files.iter().find(|(t, _)| *t == 2).unwrap();
        let pads = gstreamer(audio, 1);
        assert_eq!(pads[0].0, caps, "{name}: qtdemux caps");
        let mut ffprobe = Command::new("ffprobe");
        ffprobe
            .args([
                "-v",
                "error",
                "-of",
                "csv=p=0",
                "-show_entries",
                "stream=codec_name,codec_tag_string,sample_rate,channels",
            ])
            .arg(audio);
        let tag = if codec == "pcm_alaw" { "alaw" } else { "ulaw" };
        assert_eq!(
            support::run(ffprobe).trim(),
            format!("{codec},{tag},8000,1")
        );
    }
}

/// Where a track's CPD changes, `fragment` starts `init-<FragmentNumber>.mp4`: each init plus the
/// segments it describes plays, and together they carry the source's packets in order.
#[test]
fn fmp4_starts_a_new_init_where_the_cpd_changes() {
    if !have_tools() {
        return;
    }
    let source = fixture("cpd-change");
    let dir = scratch("cpd-change-fmp4");
    let outdir = dir.join("fmp4");
    ok(
        &kvs_remux(&[
            "fragment",
            source.to_str().unwrap(),
            outdir.to_str().unwrap(),
        ]),
        "fragment cpd-change",
    );
    let data = std::fs::read(&source).unwrap();
    let numbers: Vec<String> = support::ebml_documents(&data)
        .into_iter()
        .map(|chunk| {
            let info = support::mkvinfo_chunk(chunk).expect("mkvinfo");
            info.tag("AWS_KINESISVIDEO_FRAGMENT_NUMBER")
                .unwrap()
                .to_owned()
        })
        .collect();
    // gen-fixtures.sh: 320x240 for 2 fragments, then 160x120 for 2.
    assert_eq!(numbers.len(), 4);
    let track = outdir.join("track1");
    let second_init = track.join(format!("init-{}.mp4", numbers[2]));
    assert!(
        second_init.is_file(),
        "{} is missing",
        second_init.display()
    );
    let mut packets = Vec::new();
    for (init, segments, width) in [
        (track.join("init.mp4"), &numbers[..2], 320),
        (second_init, &numbers[2..], 160),
    ] {
        let mut joined = std::fs::read(&init).unwrap();
        for number in segments {
            joined.extend(std::fs::read(track.join(format!("{number}.m4s"))).unwrap());
        }
        let file = dir.join(format!("epoch-{width}.mp4"));
        std::fs::write(&file, joined).unwrap();
        let streams = ffprobe_streams_json(&file);
        assert_eq!(
            streams[0]["width"].as_u64(),
            Some(width),
            "{}",
            init.display()
        );
        packets.extend(hashes(&framemd5_one(&file, &["-map", "0:0", "-c", "copy"])));
    }
    let want = hashes(&framemd5_one(&source, &["-map", "0:0", "-c", "copy"]));
    assert_same_list("cpd-change fMP4 epochs (size, MD5)", &packets, &want);
}

fn ffprobe_streams_json(path: &Path) -> Vec<Value> {
    let mut ffprobe = Command::new("ffprobe");
    ffprobe
        .args(["-v", "error", "-show_streams", "-of", "json"])
        .arg(path);
    let json: Value = serde_json::from_str(&support::run(ffprobe)).unwrap();
    json["streams"].as_array().unwrap().clone()
}

/// `get-clip --split-on-cpd-change` (beyond the service): the cpd-change fixture becomes one clip
/// per configuration, 320x240 then 160x120 as ffprobe reads them, whose packets together are the
/// source's, in order; without the flag the service's refusal stands.
#[test]
fn split_on_cpd_change_writes_one_clip_per_configuration() {
    if support::tool("ffprobe").is_none() {
        return;
    }
    let source = support::fixture("cpd-change");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("split-on-cpd-change");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let refused = Command::new(BIN)
        .arg("get-clip")
        .arg(&source)
        .arg(dir.join("whole.mp4"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&refused.stderr).starts_with("InvalidCodecPrivateDataException")
    );
    let out = Command::new(BIN)
        .arg("get-clip")
        .arg(&source)
        .arg(dir.join("clip.mp4"))
        .arg("--split-on-cpd-change")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let clips = [dir.join("clip.mp4"), dir.join("clip-2.mp4")];
    assert!(!dir.join("clip-3.mp4").exists());
    let sizes: Vec<String> = clips
        .iter()
        .map(|clip| {
            let mut ffprobe = support::tool("ffprobe").unwrap();
            ffprobe
                .args(["-v", "error", "-select_streams", "v:0"])
                .args(["-show_entries", "stream=width,height", "-of", "csv=p=0"])
                .arg(clip);
            support::run(ffprobe).trim().to_owned()
        })
        .collect();
    assert_eq!(sizes, ["320,240", "160,120"]);
    for kind in ["v", "a"] {
        let joined: Vec<(usize, String)> = clips
            .iter()
            .flat_map(|clip| support::copied(clip, kind))
            .collect();
        assert_eq!(joined, support::copied(&source, kind), "{kind} packets");
    }
}
