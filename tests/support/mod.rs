//! Shared test helpers: paths to real media and external oracles (ffmpeg, ffprobe, mkvextract).
//!
//! An oracle that is missing fails the test under `CI=true` and skips it (loudly) elsewhere.
#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether we run under CI, where nothing may be skipped.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// `../shared/testdata/real`, or `None` (skip) outside CI when this clone has no `../shared` beside it.
pub fn real_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/real");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(!under_ci(), "CI=true but {} is missing", dir.display());
    eprintln!(
        "SKIP: {} is missing (no ../shared beside this clone)",
        dir.display()
    );
    None
}

/// Every real Matroska/WebM file under `real_dir()`, sorted.
pub fn real_mkv_files() -> Vec<PathBuf> {
    let Some(dir) = real_dir() else {
        return Vec::new();
    };
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable testdata") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "mkv" || e == "webm") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A command for an external tool, or `None` (skip) outside CI when it is not installed.
pub fn tool(name: &str) -> Option<Command> {
    let found = Command::new(name).arg("-version").output().is_ok()
        || Command::new(name).arg("--version").output().is_ok();
    if found {
        return Some(Command::new(name));
    }
    assert!(
        !under_ci(),
        "CI=true but {name} is not installed (scripts/test.sh installs it)"
    );
    eprintln!("SKIP: {name} is not installed");
    None
}

/// Runs a command and returns stdout; panics with stderr when it fails.
pub fn run(mut command: Command) -> String {
    let output = command.output().expect("spawn");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// Reads a file into `Bytes`.
pub fn load(path: &Path) -> bytes::Bytes {
    bytes::Bytes::from(std::fs::read(path).expect("readable file"))
}

/// Hex MD5 of bytes, computed by the `md5` crate (not ours).
pub fn md5_hex(data: &[u8]) -> String {
    format!("{:x}", md5::compute(data))
}
