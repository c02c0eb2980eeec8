//! `kvs-remux serve` driven by the AWS SDK for Python: tests/sdk/serve_sdk.py calls the six
//! operations through boto3/botocore, compares every answer with the kvs-remux CLI's output for
//! the same request, follows the HLS and DASH session URLs as a player does, and checks the
//! modeled errors and (with `--credentials`) the SigV4 ones.

use crate::support::{self, server};

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use server::Server;

/// The script, beside this file.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/serve_sdk.py");

/// A made-up key the credentials file lists (no real account has it).
const KEY_ID: &str = "AKIAKVSREMUXSDKTEST1";
const SECRET: &str = "kvsRemuxServeSdk/MadeUpSecret+0123456789";

/// A fresh archive root; `cam` is the fixture (a file) or, with `split`, a directory holding one
/// file per fragment (the fixture cut where each EBML header starts).
fn archive_root(split: bool) -> tempfile::TempDir {
    let root = tempfile::Builder::new()
        .prefix("kvs-serve-sdk-")
        .tempdir()
        .unwrap();
    let fixture = support::fixture("h264-high-aac");
    let stream = root.path().join("cam");
    if split {
        let data = std::fs::read(&fixture).unwrap();
        let documents = support::ebml_documents(&data);
        assert!(documents.len() > 1, "the fixture has several fragments");
        std::fs::create_dir(&stream).unwrap();
        for (index, document) in documents.iter().enumerate() {
            std::fs::write(stream.join(format!("{index:03}.mkv")), document).unwrap();
        }
    } else {
        std::fs::copy(&fixture, &stream).unwrap();
    }
    root
}

/// Runs the script against `server` and asserts that every check passed.
fn run_script(python: &Path, server: &Server, root: &Path, credentials: Option<&Path>) {
    let started = Instant::now();
    let mut command = Command::new(python);
    command
        .arg(SCRIPT)
        .args(["--endpoint", &server.url, "--archive-root"])
        .arg(root)
        .args([
            "--stream",
            "cam",
            "--kvs-remux",
            env!("CARGO_BIN_EXE_kvs-remux"),
        ])
        // The endpoint is local: no proxy, and no credentials or config from the environment.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL");
    if let Some(file) = credentials {
        command.arg("--credentials").arg(file);
    }
    let out = command.output().expect("the SDK python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    println!("serve_sdk.py took {:.1?}", started.elapsed());
    assert!(
        out.status.success(),
        "serve_sdk.py exited {}:\n{stdout}\n{stderr}",
        out.status
    );
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("serve_sdk: ") && summary.ends_with(" checks passed"),
        "no summary line: {summary:?}"
    );
    assert!(!stdout.contains("FAIL:"), "{stdout}");
}

#[test]
fn boto3_against_serve() {
    let Some(python) = support::sdk_python() else {
        return;
    };
    let root = archive_root(false);
    let server = Server::start(root.path(), &[]);
    run_script(&python, &server, root.path(), None);
}

#[test]
fn boto3_against_serve_with_credentials() {
    let Some(python) = support::sdk_python() else {
        return;
    };
    let root = archive_root(false);
    let credentials = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        credentials.path(),
        format!(
            "[other]\naws_access_key_id = AKIAKVSREMUXSDKOTHER\n\
             aws_secret_access_key = another/made-up/secret\n\n\
             [default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
        ),
    )
    .unwrap();
    let path = credentials.path().to_str().unwrap();
    let server = Server::start(root.path(), &["--credentials", path]);
    run_script(&python, &server, root.path(), Some(credentials.path()));
}

#[test]
fn boto3_against_a_directory_stream() {
    let Some(python) = support::sdk_python() else {
        return;
    };
    let root = archive_root(true);
    let server = Server::start(root.path(), &[]);
    run_script(&python, &server, root.path(), None);
}
