//! Replays the fuzz targets' invariants on stable Rust: every seed the fuzz corpus starts from
//! (testdata, real media heads), every saved input under fuzz/regressions/<target>/, and each
//! seed cut and bit-flipped at a few places.

mod support;

#[path = "support/fuzz_checks.rs"]
mod fuzz_checks;

use std::path::{Path, PathBuf};

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

fn replay(target: &str, seeds: &[PathBuf], check: fn(&[u8])) {
    let mut inputs = seeds.to_vec();
    inputs.extend(files(&root().join("fuzz/regressions").join(target), None));
    assert!(!inputs.is_empty(), "{target}: no seeds");
    for path in inputs {
        let data = std::fs::read(&path).expect("readable seed");
        let data = &data[..data.len().min(1 << 20)];
        for variant in variants(data) {
            check(&variant);
        }
    }
}

fn mkv_seeds() -> Vec<PathBuf> {
    let mut seeds = files(&root().join("testdata/sample"), Some("mkv"));
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
fn codec_private_data() {
    let seeds = cpd_seeds();
    replay("avcc", &seeds, fuzz_checks::avcc);
    replay("hvcc", &seeds, fuzz_checks::hvcc);
    replay("aac_asc", &seeds, fuzz_checks::aac_asc);
    replay("waveformatex", &seeds, fuzz_checks::waveformatex);
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
