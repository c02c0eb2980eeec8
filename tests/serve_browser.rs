//! Real browser players on `kvs-remux serve`: hls.js and dash.js in Debian's headless Chromium
//! (tests/browser/play.mjs) play the session URLs of an H.264+AAC archive to the end, from a page
//! of another origin (CORS), once from one server and once alternating between two servers that
//! share only the session key. Screenshots land in target/browser-artifacts/.

use crate::support::{self, server};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use reqwest::blocking::Client;
use serde_json::{Value, json};
use server::{Server, archive_root};

/// The archive's fixture: 4 fragments of ~1 s (H.264 High with B-frames + AAC).
const FIXTURE: &str = "h264-high-aac";
/// Its media span, first frame to the end of the last, in seconds (ffprobe: 0.112 → 4.143).
const DURATION: f64 = 4.031;
/// Its longest fragment, in seconds (FragmentLengthInMilliseconds 1109, plus a frame).
const ONE_FRAGMENT: f64 = 1.2;

/// The harness directory, set up (Chromium, node, npm packages) by its own script; `None`
/// (skip) outside CI when that cannot be done.
fn harness() -> Option<PathBuf> {
    // One setup at a time: the tests run in parallel, and two apt-get or npm runs at once fail on
    // each other's locks (a fresh machine installs Chromium here).
    static SETUP: Mutex<()> = Mutex::new(());
    let _one_at_a_time = SETUP.lock().unwrap_or_else(PoisonError::into_inner);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let setup = Command::new("bash")
        .arg(dir.join("setup.sh"))
        .output()
        .expect("bash runs");
    if setup.status.success() {
        return Some(dir);
    }
    let why = String::from_utf8_lossy(&setup.stderr);
    assert!(
        !support::under_ci(),
        "CI=true but tests/browser/setup.sh failed: {why}"
    );
    eprintln!("SKIP: tests/browser/setup.sh failed: {why}");
    None
}

/// The ON_DEMAND session URL of `server` over the whole archive, for `protocol` (`HLS`/`DASH`).
fn session_url(server: &Server, protocol: &str) -> String {
    let request = json!({
        "StreamName": "cam",
        "PlaybackMode": "ON_DEMAND",
        format!("{protocol}FragmentSelector"): {
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": 1_699_999_000, "EndTimestamp": 1_700_001_000},
        },
    });
    let response = Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
        .post(format!("{}/get{protocol}StreamingSessionURL", server.url))
        .body(request.to_string())
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = serde_json::from_str(&response.text().unwrap()).unwrap();
    body[format!("{protocol}StreamingSessionURL")]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Plays `url` with `player` (`hls`/`dash`), optionally alternating with `alternate`; asserts
/// it played to the end without a fatal error and returns the harness's report.
fn play(harness: &Path, player: &str, url: &str, alternate: Option<&str>, shot: &str) -> Value {
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let screenshot = artifacts.join(format!("{shot}.png"));
    let mut node = Command::new("node");
    node.arg(harness.join("play.mjs"))
        .args(["--player", player, "--url", url, "--timeout", "90"])
        .arg("--screenshot")
        .arg(&screenshot);
    if let Some(origin) = alternate {
        node.args(["--alternate-origin", origin]);
    }
    let output = node.output().expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "{player}: no report ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    eprintln!("{player} {shot}: {report}");
    assert!(
        output.status.success() && report["ended"] == true,
        "{player} did not play to the end: {report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let at = report["currentTime"].as_f64().unwrap();
    assert!(
        (at - DURATION).abs() <= ONE_FRAGMENT,
        "{player} ended at {at} s, the archive lasts {DURATION} s"
    );
    // A real frame was shown: the screenshot is a PNG of some size, not a blank page.
    let png = std::fs::read(&screenshot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{shot}: {} bytes",
        png.len()
    );
    report
}

#[test]
fn hls_js_and_dash_js_play_session_urls_to_the_end() {
    let Some(harness) = harness() else {
        return;
    };
    let root = archive_root(support::fixture(FIXTURE));
    let server = Server::start(root.path(), &[]);
    play(&harness, "hls", &session_url(&server, "HLS"), None, "hls");
    play(
        &harness,
        "dash",
        &session_url(&server, "DASH"),
        None,
        "dash",
    );
}

#[test]
fn players_alternating_between_two_servers_play_to_the_end() {
    let Some(harness) = harness() else {
        return;
    };
    let (root_a, root_b) = (
        archive_root(support::fixture(FIXTURE)),
        archive_root(support::fixture(FIXTURE)),
    );
    let key = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key.path(), [0x3c; 32]).unwrap();
    let key_arg = key.path().to_str().unwrap();
    let a = Server::start(root_a.path(), &["--session-key-file", key_arg]);
    let b = Server::start(root_b.path(), &["--session-key-file", key_arg]);
    for (player, protocol) in [("hls", "HLS"), ("dash", "DASH")] {
        let report = play(
            &harness,
            player,
            &session_url(&a, protocol),
            Some(&b.url),
            &format!("{player}-alternating"),
        );
        assert!(report["alternated"].as_u64().unwrap() >= 4, "{report}");
        // Every request the player made was answered: no failed request was recorded.
        let failed: Vec<&Value> = report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e.as_str().unwrap().contains("request failed"))
            .collect();
        assert!(failed.is_empty(), "{player}: {failed:?}");
    }
}
