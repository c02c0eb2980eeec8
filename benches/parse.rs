//! Fragment-reader throughput (STYLE §7): bytes per second of MKV read into fragments and frames.
//!
//! - `reader_whole`: [`Reader`] over the memory-mapped archive, every fragment, frames counted.
//! - `push_parser_64k`: [`PushParser`] fed the same bytes from memory in 64 KiB chunks.
//! - `reader_small`: [`Reader`] over the bundled real KVS sample (1.2 MB).
//!
//! The archive is `$KVS_BENCH_ARCHIVE` (default `bench-data/archive-1080p.mkv`, made by
//! `scripts/gen-archive.sh`); without it only the sample is benched. Inputs are mapped and
//! checked once before timing; an iteration is one full pass. `scripts/bench.sh` puts these
//! figures next to ffmpeg's.
#![deny(clippy::unwrap_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kvs_remux::archive::source::load_path;
use kvs_remux::low_level::mkv::{Fragment, PushParser, Reader};

const SAMPLE: &str = "testdata/sample/kinesis_video_renderer_example_output.mkv";
const DEFAULT_ARCHIVE: &str = "bench-data/archive-1080p.mkv";
const CHUNK: usize = 64 * 1024;

/// What a pass saw; returned so the work cannot be optimised away and so passes can be compared.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
struct Totals {
    fragments: u64,
    frames: u64,
    frame_bytes: u64,
}

impl Totals {
    fn add(&mut self, fragment: &Fragment) {
        self.fragments += 1;
        self.frames += fragment.frames.len() as u64;
        self.frame_bytes += fragment
            .frames
            .iter()
            .map(|f| f.data.len() as u64)
            .sum::<u64>();
    }
}

fn read_whole(input: &Bytes) -> Totals {
    let mut totals = Totals::default();
    // `clone` is a refcount bump: the reader slices frames out of the mapped file.
    for fragment in Reader::new(input.clone()) {
        totals.add(&fragment.expect("bench input was checked before timing"));
    }
    totals
}

fn read_pushed(input: &[u8], chunk: usize) -> Totals {
    let mut totals = Totals::default();
    let mut parser = PushParser::new();
    for piece in input.chunks(chunk) {
        parser
            .push(piece)
            .expect("bench input was checked before timing");
        while let Some(fragment) = parser.next_fragment() {
            totals.add(&fragment);
        }
    }
    parser
        .finish()
        .expect("bench input was checked before timing");
    while let Some(fragment) = parser.next_fragment() {
        totals.add(&fragment);
    }
    totals
}

fn manifest_path(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Maps `path` and checks, outside the timed loop, that both readers parse it the same way.
fn load(path: &Path) -> Bytes {
    let input = load_path(path).unwrap_or_else(|e| panic!("cannot map {}: {e}", path.display()));
    let whole = read_whole(&input);
    let pushed = read_pushed(&input, CHUNK);
    assert_eq!(
        whole,
        pushed,
        "Reader and PushParser disagree on {}",
        path.display()
    );
    assert!(whole.frames > 0, "{} has no frames", path.display());
    eprintln!(
        "parse bench input {}: {:.1} MB, {} fragments, {} frames, {:.1} MB of frame data",
        path.display(),
        input.len() as f64 / 1e6,
        whole.fragments,
        whole.frames,
        whole.frame_bytes as f64 / 1e6,
    );
    input
}

/// The big archive, or `None` (with a note) when it has not been generated.
fn archive() -> Option<Bytes> {
    let path = match std::env::var_os("KVS_BENCH_ARCHIVE") {
        Some(path) => PathBuf::from(path),
        None => manifest_path(DEFAULT_ARCHIVE),
    };
    if path.is_file() {
        Some(load(&path))
    } else {
        eprintln!(
            "parse bench: no archive at {} (make one with scripts/gen-archive.sh or set \
             KVS_BENCH_ARCHIVE): benching only the bundled sample",
            path.display()
        );
        None
    }
}

fn benches(c: &mut Criterion) {
    let sample = load(&manifest_path(SAMPLE));
    let archive = archive();

    if let Some(archive) = &archive {
        let mut g = c.benchmark_group("reader_whole");
        g.sample_size(10).measurement_time(Duration::from_secs(10));
        g.throughput(Throughput::Bytes(archive.len() as u64));
        g.bench_function("archive", |b| b.iter(|| read_whole(black_box(archive))));
        g.finish();
    }

    let mut g = c.benchmark_group("push_parser_64k");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    if let Some(archive) = &archive {
        g.throughput(Throughput::Bytes(archive.len() as u64));
        g.bench_function("archive", |b| {
            b.iter(|| read_pushed(black_box(archive), CHUNK))
        });
    }
    g.throughput(Throughput::Bytes(sample.len() as u64));
    g.bench_function("sample", |b| {
        b.iter(|| read_pushed(black_box(&sample), CHUNK))
    });
    g.finish();

    let mut g = c.benchmark_group("reader_small");
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Bytes(sample.len() as u64));
    g.bench_function("sample", |b| b.iter(|| read_whole(black_box(&sample))));
    g.finish();
}

criterion_group!(parse, benches);
criterion_main!(parse);
