//! `kvs-remux pack` on files ffmpeg and mkvmerge write (H.264+AAC, H.265+AAC, H.264+G.711,
//! audio only, laced audio): ffmpeg reads the same packets from the archive as from the input,
//! every fragment opens on a key frame, the layout is a real capture's element by element (mkvinfo),
//! the other commands run clean on it, the output is deterministic, and what ingestion refuses is
//! refused with nothing written.

use crate::support::{self, mkv_build};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bytes::Bytes;
use kvs_remux::api::pack::{PackOptions, pack};
use kvs_remux::low_level::mkv::Reader;
use mkv_build::{Track, cluster, h264_frame, plain_mkv, simple_block};
use proptest::prelude::*;

const BIN: &str = env!("CARGO_BIN_EXE_kvs-remux");

fn kvs_remux(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("spawn kvs-remux")
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("pack")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir); // absent on the first run
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The inputs: (name, ffmpeg arguments). Each is 6 s of lavfi test sources with a key frame every
/// second (audio only: 5.9 s, so that the encoder's last frame starts before 6 s), so 2-s
/// fragments give 3 of them.
const INPUTS: [(&str, &str); 5] = [
    (
        "ffmpeg-h264-aac",
        "-f lavfi -i testsrc=size=160x120:rate=15 -f lavfi -i sine=frequency=440:sample_rate=48000 \
         -t 6 -pix_fmt yuv420p -c:v libx264 -g 15 -bf 2 -metadata:s:v title=camera -c:a aac -shortest",
    ),
    (
        "ffmpeg-h265-aac",
        "-f lavfi -i testsrc=size=160x120:rate=15 -f lavfi -i sine=frequency=440:sample_rate=44100 \
         -t 6 -pix_fmt yuv420p -c:v libx265 -x265-params keyint=15:bframes=2:log-level=error \
         -c:a aac -shortest",
    ),
    (
        "ffmpeg-h264-alaw",
        "-f lavfi -i testsrc=size=160x120:rate=15 -f lavfi -i sine=frequency=440:sample_rate=8000 \
         -t 6 -pix_fmt yuv420p -c:v libx264 -g 15 -c:a pcm_alaw -ac 1 -shortest",
    ),
    (
        "ffmpeg-aac-only",
        "-f lavfi -i sine=frequency=440:sample_rate=48000 -t 5.9 -c:a aac",
    ),
    // mkvmerge remuxes the first input: it laces AAC, 8 frames a block.
    ("mkvmerge-h264-aac-laced", ""),
];

/// Makes input `name` in `dir` with ffmpeg (or mkvmerge); `None` (skip) when a tool is missing.
fn make_input(dir: &Path, name: &str, args: &str) -> Option<PathBuf> {
    let out = dir.join(format!("{name}.mkv"));
    if name.starts_with("mkvmerge") {
        let source = make_input(dir, "ffmpeg-h264-aac", INPUTS[0].1)?;
        let mut mkvmerge = support::tool("mkvmerge")?;
        mkvmerge.arg("-q").arg("-o").arg(&out).arg(&source);
        support::run(mkvmerge);
    } else {
        let mut ffmpeg = support::tool("ffmpeg")?;
        ffmpeg
            .args(["-v", "error", "-y"])
            .args(args.split_whitespace())
            .arg(&out);
        support::run(ffmpeg);
    }
    Some(out)
}

/// Per stream, the size and MD5 of each packet in order (`ffmpeg -map 0 -c copy -f framemd5`).
fn packets(path: &Path) -> Vec<Vec<String>> {
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0", "-c", "copy", "-f", "framemd5", "-"]);
    let mut streams: Vec<Vec<String>> = Vec::new();
    for line in support::run(ffmpeg).lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let stream: usize = fields[0].parse().unwrap();
        if streams.len() <= stream {
            streams.resize(stream + 1, Vec::new());
        }
        streams[stream].push(format!("{} {}", fields[4], fields[5]));
    }
    streams
}

/// What each packed input must show (see the module docs).
#[test]
fn packed_archives_hold_the_input_packets_in_kvs_chunks() {
    let dir = scratch("inputs");
    for (name, args) in INPUTS {
        let Some(input) = make_input(&dir, name, args) else {
            return;
        };
        let packed = dir.join(format!("{name}.packed.mkv"));
        let out = kvs_remux(&[&"pack", &input, &packed]);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );

        assert_eq!(packets(&packed), packets(&input), "{name}: packets");

        let data = std::fs::read(&packed).unwrap();
        let chunks = support::ebml_documents(&data);
        assert_eq!(chunks.len(), 3, "{name}: 6 s in 2-s fragments");
        let mut previous_number = String::new();
        let mut previous_producer = 0.0;
        for (i, chunk) in chunks.iter().enumerate() {
            let info = support::mkvinfo_chunk(chunk).unwrap();
            let number = info
                .tag("AWS_KINESISVIDEO_FRAGMENT_NUMBER")
                .unwrap()
                .to_owned();
            assert_eq!(number.len(), 47, "{name}: 47-digit numbers");
            assert!(
                (number.len(), &number) > (previous_number.len(), &previous_number),
                "{name}: numbers increase"
            );
            previous_number = number;
            for tag in [
                "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP",
                "AWS_KINESISVIDEO_SERVER_TIMESTAMP",
            ] {
                let value = info.tag(tag).unwrap();
                let (_, decimals) = value.split_once('.').unwrap();
                assert_eq!(decimals.len(), 3, "{name}: {tag} {value} has 3 decimals");
            }
            let producer: f64 = info
                .tag("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP")
                .unwrap()
                .parse()
                .unwrap();
            assert!(
                i == 0 || producer > previous_producer,
                "{name}: producer times increase"
            );
            previous_producer = producer;
            // Each fragment's first video block is a key frame, read by mkvinfo.
            let text = mkvinfo_text(chunk);
            if !name.contains("only") {
                let first_video = text
                    .lines()
                    .find(|l| l.contains("block: ") && l.contains("track number 1,"))
                    .unwrap_or_else(|| panic!("{name}: fragment {i} has video"));
                assert!(
                    first_video.contains("block: key,"),
                    "{name} fragment {i}: {first_video}"
                );
            }
        }

        // The other commands run clean on the archive (the service refuses G.711 and H.265 in TS).
        let out_dir = dir.join(format!("{name}-outputs"));
        let clip = out_dir.join("clip.mp4");
        std::fs::create_dir_all(&out_dir).unwrap();
        // GetClip needs a video track (spec §5.1).
        let mut runs: Vec<Vec<&dyn AsRef<std::ffi::OsStr>>> = vec![vec![&"inspect", &packed]];
        if !name.contains("only") {
            runs.push(vec![
                &"get-clip",
                &packed,
                &clip,
                &"--fragment-selector-type",
                &"PRODUCER_TIMESTAMP",
            ]);
        }
        let fmp4 = out_dir.join("fmp4");
        let ts = out_dir.join("ts");
        runs.push(vec![&"fragment", &packed, &fmp4]);
        if !name.contains("alaw") && !name.contains("h265") {
            runs.push(vec![&"ts", &packed, &ts]);
        }
        for args in runs {
            let out = kvs_remux(&args);
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "{name}: {:?}: {}",
                args.iter()
                    .map(|a| a.as_ref().to_string_lossy().into_owned())
                    .collect::<Vec<_>>(),
                String::from_utf8_lossy(&out.stderr)
            );
        }

        // The clip of the whole archive holds the input's packets.
        if !name.contains("only") {
            assert_eq!(packets(&clip), packets(&input), "{name}: clip packets");
        }

        // Deterministic: the same input and options give the same bytes.
        let again = dir.join(format!("{name}.again.mkv"));
        assert!(kvs_remux(&[&"pack", &input, &again]).status.success());
        assert!(
            std::fs::read(&again).unwrap() == data,
            "{name}: deterministic"
        );
    }
}

/// `mkvinfo -v` of one chunk.
fn mkvinfo_text(chunk: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!(
        "kvs-pack-{}-{}.mkv",
        std::process::id(),
        support::md5_hex(chunk)
    ));
    std::fs::write(&path, chunk).unwrap();
    let mut mkvinfo = Command::new("mkvinfo");
    mkvinfo.arg("-v").arg(&path);
    let text = support::run(mkvinfo);
    std::fs::remove_file(&path).unwrap();
    text
}

/// The element tree mkvinfo prints for a chunk, as (depth, name) with values dropped.
fn layout(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .filter_map(|line| {
            let depth = line.find('+')?;
            let name = line[depth + 1..].trim_start();
            let name = name.split([':', '(']).next()?.trim();
            let name = name.split(" at ").next()?.trim();
            Some((depth, name.to_owned()))
        })
        .collect()
}

/// The layout of a packed fragment is the AWS producer library's, element by element, as in the
/// real capture `test_mixed_tags.mkv`: EBML header fields, Segment of unknown size, Info fields,
/// TrackEntry fields, the AWS tags in order, then the Cluster (unknown size) with its Timestamp,
/// Position and SimpleBlocks. Producer metadata Tags of the capture and DefaultDuration (carried
/// from the input) are left out of the comparison.
#[test]
fn packed_layout_is_a_real_captures() {
    let Some(real_dir) = support::real_dir() else {
        return;
    };
    let real = std::fs::read(real_dir.join("kvs-parser-library/test_mixed_tags.mkv")).unwrap();
    let dir = scratch("layout");
    let Some(input) = make_input(&dir, "ffmpeg-h264-aac", INPUTS[0].1) else {
        return;
    };
    // Video only, as the capture is (one track).
    let video = dir.join("video.mkv");
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg
        .args(["-v", "error", "-y", "-i"])
        .arg(&input)
        .args(["-map", "0:v", "-c", "copy"])
        .arg(&video);
    support::run(ffmpeg);
    let packed = dir.join("video.packed.mkv");
    assert!(kvs_remux(&[&"pack", &video, &packed]).status.success());
    let ours_data = std::fs::read(&packed).unwrap();
    let ours_chunk = support::ebml_documents(&ours_data)[0];
    let real_chunk = support::ebml_documents(&real)[0];
    let normalise = |chunk: &[u8]| -> Vec<(usize, String)> {
        let mut kept = Vec::new();
        let mut skip_below: Option<usize> = None;
        let mut seen_cluster = false;
        let mut blocks = 0;
        for (depth, name) in layout(&mkvinfo_text(chunk)) {
            if skip_below.is_some_and(|d| depth > d) {
                continue;
            }
            skip_below = None;
            // Tags after the Cluster (producer metadata, GetMedia's) are not compared.
            if depth == 1 && name == "Tags" && seen_cluster {
                skip_below = Some(depth);
                continue;
            }
            if name == "Default duration" || name.starts_with("Frame with size") {
                continue;
            }
            if depth == 1 && name == "Cluster" {
                seen_cluster = true;
            }
            if name == "Simple block" {
                blocks += 1;
                if blocks > 2 {
                    continue;
                }
            }
            kept.push((depth, name));
        }
        drop_producer_tags(kept)
    };
    let ours = normalise(ours_chunk);
    let real_tree = normalise(real_chunk);
    assert!(
        tag_names(real_chunk).iter().any(|n| n == "testTag_0"),
        "the capture has producer tags, which are left out"
    );
    assert_eq!(ours, real_tree);
    let aws: Vec<String> = tag_names(ours_chunk);
    assert_eq!(
        aws,
        [
            "AWS_KINESISVIDEO_FRAGMENT_NUMBER",
            "AWS_KINESISVIDEO_SERVER_TIMESTAMP",
            "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP"
        ]
    );
    // Unknown sizes, by bytes: the Segment's 8-byte and the Cluster's 1-byte, as in the capture.
    for (what, chunk) in [("ours", ours_chunk), ("capture", real_chunk)] {
        let segment = find(chunk, &[0x18, 0x53, 0x80, 0x67]).unwrap();
        assert_eq!(
            &chunk[segment + 4..segment + 12],
            &[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
            "{what}"
        );
        let cluster = find(chunk, &[0x1F, 0x43, 0xB6, 0x75]).unwrap();
        assert_eq!(chunk[cluster + 4], 0xFF, "{what}");
    }
}

fn find(data: &[u8], needle: &[u8]) -> Option<usize> {
    data.windows(needle.len()).position(|w| w == needle)
}

/// TagName values of a chunk, in order.
fn tag_names(chunk: &[u8]) -> Vec<String> {
    support::mkvinfo_chunk(chunk)
        .unwrap()
        .tags
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// The tree with one Tags before the Cluster: the last one, where the service puts its tags (the
/// capture's producer Tags come before Info).
fn drop_producer_tags(tree: Vec<(usize, String)>) -> Vec<(usize, String)> {
    let cluster = tree
        .iter()
        .position(|(d, n)| *d == 1 && n == "Cluster")
        .unwrap();
    let aws_tags = tree[..cluster]
        .iter()
        .rposition(|(d, n)| *d == 1 && n == "Tags")
        .unwrap();
    let mut kept = Vec::new();
    let mut skipping = false;
    for (i, (depth, name)) in tree.into_iter().enumerate() {
        if depth == 1 {
            skipping = name == "Tags" && i != aws_tags;
        }
        if !skipping {
            kept.push((depth, name));
        }
    }
    kept
}

/// What KVS ingestion refuses, pack refuses: an InvalidArgumentException naming the problem, exit
/// 1, and no output file.
#[test]
fn what_ingestion_refuses_is_refused() {
    let dir = scratch("refused");
    let key = || simple_block(1, 0, true, &h264_frame(true));
    let delta = |t: i16| simple_block(1, t, false, &h264_frame(false));
    let mut two_segments = plain_mkv(1_000_000, &[Track::h264(1)], &[cluster(0, &[key()])]);
    two_segments.extend(plain_mkv(
        1_000_000,
        &[Track::h264(1), Track::h264(2)],
        &[cluster(2000, &[key()])],
    ));
    let cases: Vec<(&str, Vec<u8>, Vec<&str>, &str)> = vec![
        (
            "delta-first",
            plain_mkv(
                1_000_000,
                &[Track::h264(1)],
                &[cluster(0, &[delta(0), key()])],
            ),
            vec![],
            "is not a key frame",
        ),
        (
            "undeclared-track",
            plain_mkv(
                1_000_000,
                &[Track::h264(1)],
                &[cluster(0, &[key(), simple_block(3, 5, true, &[1, 2, 3])])],
            ),
            vec![],
            "which Tracks does not declare",
        ),
        ("tracks-change", two_segments, vec![], "the tracks change"),
        (
            "four-tracks",
            plain_mkv(
                1_000_000,
                &[
                    Track::h264(1),
                    Track::h264(2),
                    Track::h264(3),
                    Track::h264(4),
                ],
                &[cluster(0, &[key()])],
            ),
            vec![],
            "at most 3",
        ),
        (
            "key-frames-25-s-apart",
            plain_mkv(
                1_000_000,
                &[Track::h264(1)],
                &[
                    cluster(0, &[key(), delta(30_000)]),
                    cluster(50_000, &[key()]),
                ],
            ),
            vec![],
            "lasts more than 20 s",
        ),
        (
            "fragment-duration-0",
            plain_mkv(1_000_000, &[Track::h264(1)], &[cluster(0, &[key()])]),
            vec!["--fragment-duration", "0"],
            "outside 1–20000 ms",
        ),
        (
            "fragment-duration-20001",
            plain_mkv(1_000_000, &[Track::h264(1)], &[cluster(0, &[key()])]),
            vec!["--fragment-duration", "20001"],
            "outside 1–20000 ms",
        ),
    ];
    for (name, bytes, extra, message) in cases {
        let input = dir.join(format!("{name}.mkv"));
        std::fs::write(&input, bytes).unwrap();
        let output = dir.join(format!("{name}.packed.mkv"));
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"pack", &input, &output];
        for e in &extra {
            args.push(e);
        }
        let out = kvs_remux(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.starts_with("InvalidArgumentException: "),
            "{name}: {stderr}"
        );
        assert!(stderr.contains(message), "{name}: {stderr}");
        assert!(!output.exists(), "{name}: no output is left");
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".kvs-remux-"))
            .collect();
        assert!(leftovers.is_empty(), "{name}: no temporary file is left");
    }
}

/// A truncated input: the frames read completely before the damage are packed with a warning, or
/// nothing is written under --strict.
#[test]
fn truncated_input_packs_what_was_complete() {
    let dir = scratch("truncated");
    let Some(input) = make_input(&dir, "ffmpeg-h264-aac", INPUTS[0].1) else {
        return;
    };
    let data = std::fs::read(&input).unwrap();
    let cut = dir.join("cut.mkv");
    std::fs::write(&cut, &data[..data.len() * 2 / 3]).unwrap();
    let packed = dir.join("cut.packed.mkv");
    let out = kvs_remux(&[&"pack", &cut, &packed]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.starts_with("warning: InvalidArgumentException: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("packed the frames read completely before the damage"),
        "{stderr}"
    );
    let whole = packets(&input);
    let kept = packets(&packed);
    for (stream, packets) in kept.iter().enumerate() {
        assert!(!packets.is_empty() && packets.len() < whole[stream].len());
        assert_eq!(
            packets[..],
            whole[stream][..packets.len()],
            "stream {stream}: a prefix"
        );
    }
    let strict = dir.join("strict.mkv");
    let out = kvs_remux(&[&"pack", &cut, &strict, &"--strict"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!strict.exists());
}

static PACKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static REFUSED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any plain Matroska of key and delta frames (video track 1 starting on a key frame, audio
    /// track 2, Clusters up to 6 s apart, blocks up to 1 s into them) packs into an archive whose
    /// frames, read back, are the input's: same tracks, key flags, bytes and order, each at its
    /// input time + the stream start; every fragment starts on a video key frame and lasts at
    /// most the 20 s ingestion allows.
    #[test]
    fn packed_frames_read_back_as_the_input(
        clusters in prop::collection::vec(
            (0u64..6_000, prop::collection::vec((1u64..=2, any::<bool>(), 0i16..1000, 1usize..40), 1..12)),
            1..8,
        ),
        duration in prop::sample::select(vec![1u64, 500, 2000, 20_000]),
    ) {
        let mut blocks_by_cluster = Vec::new();
        let mut at = 0u64;
        let mut expected = Vec::new();
        for (i, (gap, blocks)) in clusters.iter().enumerate() {
            at += gap;
            let mut built = Vec::new();
            for (j, &(track, key, relative, len)) in blocks.iter().enumerate() {
                // The first frame of all is a video key frame.
                let (track, key) = if i == 0 && j == 0 { (1, true) } else { (track, key) };
                let payload: Vec<u8> = (0..len).map(|k| (k + j + i) as u8).collect();
                built.push(simple_block(track, relative, key, &payload));
                expected.push((track, key, payload, (at as i64 + i64::from(relative)) * 1_000_000));
            }
            blocks_by_cluster.push(cluster(at, &built));
        }
        let tracks = [Track::h264(1), Track::aac(2)];
        let input = plain_mkv(1_000_000, &tracks, &blocks_by_cluster);
        let options = PackOptions { fragment_duration_ms: duration, ..PackOptions::default() };
        let mut archive = Vec::new();
        let mut failure = None;
        for chunk in pack(Bytes::from(input), &options).unwrap() {
            match chunk {
                Ok(parts) => parts.iter().for_each(|p| archive.extend_from_slice(p)),
                Err(error) => failure = Some(error),
            }
        }
        if let Some(error) = failure {
            // Only a fragment longer than ingestion allows is refused here (key frames far apart).
            prop_assert!(error.message().contains("lasts more than 20 s"), "{}", error);
            REFUSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(());
        }
        PACKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let start = (options.stream_start.0 as i64) * 1_000_000;
        let mut seen = Vec::new();
        for fragment in Reader::new(Bytes::from(archive)) {
            let fragment = fragment.unwrap();
            let first_video = fragment.frames.iter().find(|f| f.track == 1);
            prop_assert!(first_video.is_none_or(|f| f.keyframe), "opens on a key frame");
            let times: Vec<i64> = fragment.frames.iter().map(|f| f.pts.0).collect();
            prop_assert!(times.iter().max().unwrap() - times.iter().min().unwrap() <= 20_000_000_000);
            seen.extend(fragment.frames.iter().map(|f| (f.track, f.keyframe, f.data.to_vec(), f.pts.0 - start)));
        }
        prop_assert_eq!(seen, expected);
    }
}

/// The property above mostly packs (it is not all refusals).
#[test]
fn packed_frames_property_packs_most_cases() {
    packed_frames_read_back_as_the_input();
    let packed = PACKED.load(std::sync::atomic::Ordering::Relaxed);
    let refused = REFUSED.load(std::sync::atomic::Ordering::Relaxed);
    assert!(packed > 3 * refused, "{packed} packed, {refused} refused");
}
