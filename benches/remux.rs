//! Remux throughput (STYLE §7, issues 5 and 6): bytes of MKV input per second turned into fMP4,
//! a GetClip MP4 and MPEG-TS, in process, with the output written to a discarding sink.
//!
//! - `mkv_to_fmp4`: [`fmp4::export`] (every fragment, every track: init and media segments).
//! - `get_clip`: [`get_clip`] of the whole archive with `no_limits: true`.
//! - `mkv_to_ts`: [`ts::export`], one chunk per fragment, all tracks muxed.
//!
//! Every output chunk list goes through [`write_chunks`] (the CLI's own vectored-write path) into
//! [`std::io::sink`], so the batching of `IoSlice`s is timed but no byte is copied or stored; the
//! pass also sums the chunk lengths it wrote and returns them (checked against a first pass).
//!
//! Each group has up to three functions:
//! - `archive`: the remux alone; the archive is mapped and indexed into an [`Archive`] before
//!   `iter` (each fragment's frames are read during the pass, as the operations read them).
//! - `archive_read_too`: [`Archive::from_bytes`] (the header walk) inside the timed pass as well,
//!   which is what ffmpeg's figures include (it demuxes), so `scripts/bench.sh` prints ratios
//!   against both.
//! - `sample`: the bundled real KVS sample (1.2 MB, H.264 only), remux alone.
//!
//! The archive is `$KVS_BENCH_ARCHIVE` (default `bench-data/archive-1080p.mkv`, made by
//! `scripts/gen-archive.sh`); without it only the sample is benched. Throughput is the input's
//! size in bytes.
#![deny(clippy::unwrap_used)]

use std::hint::black_box;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, measurement::WallTime};
use criterion::{criterion_group, criterion_main};
use kvs_remux::api::fmp4;
use kvs_remux::api::ts::{self, TsOptions};
use kvs_remux::archive::sink::write_chunks;
use kvs_remux::archive::source::load_path;
use kvs_remux::{ApiError, Archive, ClipRequest, SelectorType, get_clip};

const SAMPLE: &str = "testdata/sample/kinesis_video_renderer_example_output.mkv";
const DEFAULT_ARCHIVE: &str = "bench-data/archive-1080p.mkv";

/// A remux pass over a read archive; returns the output bytes written.
type Remux = fn(&Archive) -> Result<u64, ApiError>;

/// Writes `chunks` to a discarding sink with vectored writes and returns their total length.
fn discard(chunks: &[Bytes]) -> u64 {
    write_chunks(&mut io::sink(), chunks).expect("io::sink never fails");
    chunks.iter().map(|c| c.len() as u64).sum()
}

fn mkv_to_fmp4(archive: &Archive) -> Result<u64, ApiError> {
    let mut written = 0;
    for part in fmp4::export(archive) {
        written += discard(part?.chunks());
    }
    Ok(written)
}

fn whole_clip(archive: &Archive) -> Result<u64, ApiError> {
    let request = ClipRequest {
        selector: SelectorType::Producer,
        start: None,
        end: None,
        no_limits: true,
    };
    let clip = get_clip(archive, &request)?;
    Ok(discard(&clip.chunks))
}

fn mkv_to_ts(archive: &Archive) -> Result<u64, ApiError> {
    let mut written = 0;
    let options = TsOptions { allow_hevc: false };
    for chunk in ts::export(archive, &options) {
        written += discard(std::slice::from_ref(&chunk?.data));
    }
    Ok(written)
}

/// Indexes `input` into an archive; the bench inputs were checked to read without damage.
fn read(input: &Bytes) -> Archive {
    // `clone` is a refcount bump: frames are slices of the mapped file.
    Archive::from_bytes(input.clone()).expect("bench input was checked before timing")
}

/// A mapped input and the archive read from it, both made before timing.
struct Input {
    name: &'static str,
    bytes: Bytes,
    archive: Archive,
}

fn manifest_path(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn load(name: &'static str, path: &Path) -> Input {
    let bytes = load_path(path).unwrap_or_else(|e| panic!("cannot map {}: {e}", path.display()));
    let archive = Archive::from_bytes(bytes.clone())
        .unwrap_or_else(|e| panic!("{} does not read: {e}", path.display()));
    if let Some(damage) = archive.damage().first() {
        panic!("{} does not read cleanly: {}", path.display(), damage.error);
    }
    assert!(
        !archive.index().media().is_empty(),
        "{} has no media fragments",
        path.display()
    );
    eprintln!(
        "remux bench input {}: {:.1} MB, {} fragments",
        path.display(),
        bytes.len() as f64 / 1e6,
        archive.index().len()
    );
    Input {
        name,
        bytes,
        archive,
    }
}

/// The big archive, or `None` (with a note) when it has not been generated.
fn archive() -> Option<Input> {
    let path = match std::env::var_os("KVS_BENCH_ARCHIVE") {
        Some(path) => PathBuf::from(path),
        None => manifest_path(DEFAULT_ARCHIVE),
    };
    if path.is_file() {
        Some(load("archive", &path))
    } else {
        eprintln!(
            "remux bench: no archive at {} (make one with scripts/gen-archive.sh or set \
             KVS_BENCH_ARCHIVE): benching only the bundled sample",
            path.display()
        );
        None
    }
}

/// Benches `remux` on `input` if a first, untimed pass succeeds and repeats itself; otherwise says
/// why it is skipped (the sample has no audio, an operation may refuse a codec).
fn bench(g: &mut BenchmarkGroup<'_, WallTime>, op: &str, remux: Remux, input: &Input) {
    let first = match remux(&input.archive) {
        Ok(written) => written,
        Err(error) => {
            eprintln!("remux bench: skipping {op}/{}: {error}", input.name);
            return;
        }
    };
    let again = remux(&read(&input.bytes)).expect("the first pass succeeded");
    assert_eq!(first, again, "{op} is not deterministic on {}", input.name);
    eprintln!(
        "remux bench: {op}/{}: {:.1} MB in, {:.1} MB out",
        input.name,
        input.bytes.len() as f64 / 1e6,
        first as f64 / 1e6
    );
    g.throughput(Throughput::Bytes(input.bytes.len() as u64));
    g.bench_function(input.name, |b| {
        b.iter(|| remux(black_box(&input.archive)).expect("checked before timing"))
    });
    if input.name == "archive" {
        g.bench_function("archive_read_too", |b| {
            b.iter(|| remux(&read(black_box(&input.bytes))).expect("checked before timing"))
        });
    }
}

fn benches(c: &mut Criterion) {
    let sample = load("sample", &manifest_path(SAMPLE));
    let archive = archive();
    let ops: [(&str, Remux); 3] = [
        ("mkv_to_fmp4", mkv_to_fmp4),
        ("get_clip", whole_clip),
        ("mkv_to_ts", mkv_to_ts),
    ];
    for (op, remux) in ops {
        let mut g = c.benchmark_group(op);
        // Flat sampling: a pass over the archive takes a good fraction of a second, so equal
        // iteration counts per sample keep the group near warm-up + measurement time.
        g.sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));
        if let Some(archive) = &archive {
            bench(&mut g, op, remux, archive);
        }
        bench(&mut g, op, remux, &sample);
        g.finish();
    }
}

criterion_group!(remux, benches);
criterion_main!(remux);
