//! Replays the fuzz targets' invariants on stable Rust: every seed the fuzz corpus starts from
//! (testdata fixtures and sample, real media), every saved input under fuzz/regressions/<target>/,
//! and each seed cut and bit-flipped at a few places. Targets that read leading option bytes get
//! each seed behind every prefix of `fuzz_checks::seed_prefixes`.
//!
//! `issue9_regression_inputs_are_committed` is the generator of fuzz/regressions/*/issue9-*:
//! `KVS_WRITE_FUZZ_REGRESSIONS=1 cargo test --test integration fuzz_replay::issue9` writes them.

use crate::support::{self, fuzz_checks, mkv_build};

use std::path::{Path, PathBuf};

use mkv_build::{
    KvsFragment, Track, block_group, cluster, element, h264_frame, id, plain_mkv, simple_block,
};

fn files(dir: &Path, extension: Option<&str>) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            p.is_file() && extension.is_none_or(|ext| p.extension().is_some_and(|e| e == ext))
        })
        .collect();
    files.sort();
    files
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The input and a few damaged variants: cut at quarters, one bit flipped at sixteenths.
fn variants(data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![data.to_vec()];
    for quarter in 1..4 {
        out.push(data[..data.len() * quarter / 4].to_vec());
    }
    for sixteenth in 0..16 {
        let mut flipped = data.to_vec();
        if let Some(byte) = flipped.get_mut(data.len() * sixteenth / 16) {
            *byte ^= 0x10;
            out.push(flipped);
        }
    }
    out
}

/// Names the input on stderr when a check panics on it.
struct Naming<'a>(&'a Path, &'a str);

impl Drop for Naming<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("fuzz_replay: failed on {} ({})", self.0.display(), self.1);
        }
    }
}

/// Seeds are read up to 1 MiB (the replay stays fast); saved inputs whole.
const SEED_LIMIT: usize = 1 << 20;

fn replay(target: &str, seeds: &[PathBuf], check: fn(&[u8])) {
    let prefixes = fuzz_checks::seed_prefixes(target);
    let regressions = files(&root().join("fuzz/regressions").join(target), None);
    assert!(
        !seeds.is_empty() || !regressions.is_empty(),
        "{target}: no seeds"
    );
    for path in seeds {
        let data = std::fs::read(path).expect("readable seed");
        let data = &data[..data.len().min(SEED_LIMIT)];
        for (n, prefix) in prefixes.iter().enumerate() {
            let input = [&prefix[..], data].concat();
            // Every variant behind the first prefix, the whole seed behind the others.
            let inputs = if n == 0 {
                variants(&input)
            } else {
                vec![input]
            };
            for (v, input) in inputs.iter().enumerate() {
                let _naming = Naming(path, &format!("prefix {n}, variant {v}"));
                check(input);
            }
        }
    }
    for path in regressions {
        let data = std::fs::read(&path).expect("readable regression input");
        for (v, input) in variants(&data).iter().enumerate() {
            let _naming = Naming(&path, &format!("variant {v}"));
            check(input);
        }
    }
}

fn mkv_seeds() -> Vec<PathBuf> {
    let mut seeds = files(&root().join("testdata/fixtures"), Some("mkv"));
    seeds.extend(files(&root().join("testdata/sample"), Some("mkv")));
    seeds.extend(support::real_mkv_files());
    seeds
}

fn cpd_seeds() -> Vec<PathBuf> {
    files(&root().join("testdata/codec"), Some("cpd"))
}

#[test]
fn ebml() {
    replay("ebml", &mkv_seeds(), fuzz_checks::ebml);
}

#[test]
fn mkv_reader() {
    replay("mkv_reader", &mkv_seeds(), fuzz_checks::mkv_reader);
}

#[test]
fn push_parser() {
    replay("push_parser", &mkv_seeds(), fuzz_checks::push_parser);
}

#[test]
fn fmp4() {
    replay("fmp4", &mkv_seeds(), fuzz_checks::fmp4);
}

#[test]
fn ts() {
    replay("ts", &mkv_seeds(), fuzz_checks::ts);
}

#[test]
fn clip() {
    replay("clip", &mkv_seeds(), fuzz_checks::clip);
}

#[test]
fn actions() {
    replay("actions", &mkv_seeds(), fuzz_checks::actions);
}

#[test]
fn inspector() {
    replay("inspector", &mkv_seeds(), fuzz_checks::inspector);
}

#[test]
fn multi_file() {
    replay("multi_file", &mkv_seeds(), fuzz_checks::multi_file);
}

#[test]
fn fragment_index() {
    replay("fragment_index", &mkv_seeds(), fuzz_checks::fragment_index);
}

#[test]
fn list_fragments() {
    replay("list_fragments", &mkv_seeds(), fuzz_checks::list_fragments);
}

#[test]
fn images() {
    replay("images", &mkv_seeds(), fuzz_checks::images);
}

#[test]
fn pack() {
    replay("pack", &mkv_seeds(), fuzz_checks::pack);
}

#[test]
fn codec_private_data() {
    let seeds = cpd_seeds();
    replay("avcc", &seeds, fuzz_checks::avcc);
    replay("hvcc", &seeds, fuzz_checks::hvcc);
    replay("aac_asc", &seeds, fuzz_checks::aac_asc);
    replay("waveformatex", &seeds, fuzz_checks::waveformatex);
}

#[test]
fn session_token() {
    replay("session_token", &cpd_seeds(), fuzz_checks::session_token);
}

#[test]
fn nal_frame() {
    let mut seeds = cpd_seeds();
    if let Some(real) = support::real_dir() {
        seeds.extend(
            files(
                &real.join("kvs-producer-c/samples/h264SampleFrames"),
                Some("h264"),
            )
            .into_iter()
            .take(5),
        );
    }
    replay("nal_frame", &seeds, fuzz_checks::nal_frame);
}

/// 2026-02-23T21:57:47.997Z, a KVS producer time.
const T0_MS: u64 = 1_771_883_867_997;

/// Raw AAC bytes (ADTS and MP4 carry them as they are; nothing decodes them here).
const AAC_FRAME: [u8; 6] = [0x21, 0x10, 0x04, 0x60, 0x8C, 0x1C];

/// A SimpleBlock of track `track` with fixed lacing (flags 0x04) and lace count 255: 256 frames of
/// 0 bytes in 7 bytes of input (RFC 9559 §10.3.3).
fn laced_empty_block(track: u8, relative: i16) -> Vec<u8> {
    let [hi, lo] = relative.to_be_bytes();
    element(id::SIMPLE_BLOCK, &[0x80 | track, hi, lo, 0x04, 0xFF])
}

/// One hostile input: name, TimestampScale, tracks, Clusters.
type Case = (&'static str, u64, Vec<Track>, Vec<Vec<u8>>);

/// Issue 9's hostile inputs and their kin, each as a plain Matroska file and as one KVS fragment:
/// (name, bytes).
fn issue9_inputs() -> Vec<(String, Vec<u8>)> {
    let key = || h264_frame(true);
    let delta = || h264_frame(false);
    let video = vec![Track::h264(1)];
    let av = vec![Track::h264(1), Track::aac(2)];
    let two_frames = vec![
        simple_block(1, 0, true, &key()),
        simple_block(1, 1, false, &delta()),
    ];
    let one_frame = vec![simple_block(1, 0, true, &key())];
    let with_default = |ns: u64| vec![Track::h264(1).with_default_duration(ns)];
    let cases: Vec<Case> = vec![
        // TimestampScale 2^48 and a block at −32768: exactly i64::MIN ns.
        (
            "scale-2p48-block-min",
            1 << 48,
            video.clone(),
            vec![cluster(0, &[simple_block(1, i16::MIN, true, &key())])],
        ),
        // The same scale, blocks at +32767 and −32768 (584 years apart).
        (
            "scale-2p48-584-years",
            1 << 48,
            video.clone(),
            vec![cluster(
                0,
                &[
                    simple_block(1, i16::MAX, true, &key()),
                    simple_block(1, i16::MIN, false, &delta()),
                ],
            )],
        ),
        (
            "scale-max",
            u64::MAX,
            video.clone(),
            vec![cluster(0, &two_frames)],
        ),
        (
            "block-i16-min",
            1_000_000,
            av.clone(),
            vec![cluster(
                0,
                &[
                    simple_block(1, i16::MIN, true, &key()),
                    simple_block(2, i16::MIN, true, &AAC_FRAME),
                ],
            )],
        ),
        (
            "cluster-u64-max",
            1_000_000,
            video.clone(),
            vec![cluster(u64::MAX, &two_frames)],
        ),
        (
            "cluster-i64-max",
            1,
            video.clone(),
            vec![cluster(
                i64::MAX as u64,
                &[
                    simple_block(1, 0, true, &key()),
                    simple_block(1, i16::MAX, false, &delta()),
                ],
            )],
        ),
        (
            "default-duration-max",
            1_000_000,
            with_default(u64::MAX),
            vec![cluster(0, &one_frame)],
        ),
        (
            "default-duration-2p63",
            1_000_000,
            with_default(1 << 63),
            vec![cluster(0, &two_frames)],
        ),
        (
            "default-duration-day",
            1_000_000,
            with_default(86_400_000_000_000),
            vec![cluster(0, &one_frame)],
        ),
        (
            "block-duration-max",
            1_000_000,
            video.clone(),
            vec![cluster(0, &[block_group(1, 0, &key(), Some(u64::MAX))])],
        ),
        (
            "block-duration-i64-max",
            1,
            av.clone(),
            vec![cluster(
                0,
                &[
                    block_group(1, 0, &key(), Some(i64::MAX as u64)),
                    block_group(2, 0, &AAC_FRAME, Some(i64::MAX as u64 + 1)),
                ],
            )],
        ),
        // 10^12 ns per tick: two clusters a year apart (made `ts` abort on allocation).
        (
            "year-apart",
            1_000_000_000_000,
            av.clone(),
            vec![
                cluster(
                    0,
                    &[
                        simple_block(1, 0, true, &key()),
                        simple_block(2, 0, true, &AAC_FRAME),
                    ],
                ),
                cluster(
                    365 * 86_400 / 1000,
                    &[
                        simple_block(1, 0, true, &key()),
                        simple_block(2, 0, true, &AAC_FRAME),
                    ],
                ),
            ],
        ),
        // 64 blocks of 256 empty laced AAC frames: 16 384 samples from ~600 bytes.
        ("laced-empty-aac", 1_000_000, av.clone(), {
            let mut blocks = vec![simple_block(1, 0, true, &key())];
            blocks.extend((0..64).map(|i| laced_empty_block(2, i)));
            vec![cluster(0, &blocks)]
        }),
    ];
    let mut out = Vec::new();
    for (name, scale, tracks, clusters) in cases {
        out.push((
            format!("issue9-{name}-plain"),
            plain_mkv(scale, &tracks, &clusters),
        ));
        let kvs = KvsFragment {
            timestamp_scale: scale,
            clusters,
            ..KvsFragment::new(0, T0_MS, tracks, &[])
        };
        out.push((format!("issue9-{name}-kvs"), kvs.to_bytes()));
    }
    out
}

/// The Matroska-level targets that get issue 9's inputs, behind their all-zero option prefix.
const ISSUE9_TARGETS: [&str; 6] = ["mkv_reader", "fmp4", "clip", "ts", "actions", "inspector"];

/// Inputs the fuzzers found, rebuilt small: (target, name, input with its option bytes).
fn found_inputs() -> Vec<(&'static str, String, Vec<u8>)> {
    // fragment_index, `scripts/fuzz.sh 60`: one fragment twice (same number and timestamps, as
    // when a fragment file is listed twice or GetMedia responses overlap). SERVER_TIMESTAMP
    // selects both; paging with max 1 resumes after the cursor (timestamp, number) and so skips
    // the second.
    let blocks = [simple_block(1, 0, true, &h264_frame(true))];
    let fragment = KvsFragment::new(0, T0_MS, vec![Track::h264(1)], &blocks).to_bytes();
    let server_selector = [0x01, 0, 0, 0, 0, 0];
    vec![(
        "fragment_index",
        "paging-duplicate-fragment".into(),
        [&server_selector[..], &fragment, &fragment].concat(),
    )]
}

/// fuzz/regressions/<target>/issue9-* and the inputs of [`found_inputs`] are these; with
/// `KVS_WRITE_FUZZ_REGRESSIONS=1` this writes them.
#[test]
fn issue9_regression_inputs_are_committed() {
    let write = std::env::var_os("KVS_WRITE_FUZZ_REGRESSIONS").is_some();
    let mut inputs = found_inputs();
    for target in ISSUE9_TARGETS {
        let prefix = vec![0u8; fuzz_checks::option_bytes(target)];
        for (name, bytes) in issue9_inputs() {
            inputs.push((target, name, [&prefix[..], &bytes[..]].concat()));
        }
    }
    for (target, name, input) in inputs {
        let dir = root().join("fuzz/regressions").join(target);
        let path = dir.join(&name);
        if write {
            std::fs::create_dir_all(&dir).expect("create the regressions directory");
            std::fs::write(&path, &input).expect("write a regression input");
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == input,
            "{} differs from its generator: run KVS_WRITE_FUZZ_REGRESSIONS=1 cargo test --test integration fuzz_replay::issue9",
            path.display()
        );
    }
}
