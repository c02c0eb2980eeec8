//! GetHLSStreamingSessionURL and GetDASHStreamingSessionURL (spec §1.5, §1.6, §5.1): every request
//! rule and default, the fragments each playback mode lists, the track layouts each output takes,
//! SessionTokens that refuse any altered byte, another key and expiry, and the CLI commands with
//! botocore's own serializer and parser on both sides of the JSON.

use crate::support::{self, mkv_build};

use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use kvs_remux::api::dash::{GetDashStreamingSessionUrlInput, get_dash_streaming_session_url};
use kvs_remux::api::hls::{GetHlsStreamingSessionUrlInput, get_hls_streaming_session_url};
use kvs_remux::archive::TimestampKind;
use kvs_remux::session::{
    ContainerFormat, DiscontinuityMode, Display, PlaybackMode, Protocol, Session, SessionKey,
    SessionRequest, StreamingFragmentSelector, StreamingTimestampRange,
};
use kvs_remux::{ApiError, Archive, UnixMillis};
use mkv_build::{KvsFragment, Track, cluster, h264_frame, simple_block};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_kvs-remux");
const ENDPOINT: &str = "http://127.0.0.1:8080";
/// A time after every fixture's fragments.
const NOW: UnixMillis = UnixMillis(1_800_000_000_000);

fn key() -> SessionKey {
    SessionKey::from_bytes(&[0x5a; 32]).expect("32 bytes")
}

fn archive(name: &str) -> Archive {
    Archive::open(&support::fixture(name)).unwrap()
}

fn hls(archive: &Archive, request: Value) -> Result<Session, ApiError> {
    let input: GetHlsStreamingSessionUrlInput = serde_json::from_value(request).unwrap();
    let url = get_hls_streaming_session_url(archive, "cam", &input, &key(), NOW, ENDPOINT)?
        .hls_streaming_session_url;
    let token = url
        .strip_prefix("http://127.0.0.1:8080/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=")
        .expect("the master playlist URL");
    Ok(Session::from_token(token, &key(), NOW).expect("our own token"))
}

fn dash(archive: &Archive, request: Value) -> Result<Session, ApiError> {
    let input: GetDashStreamingSessionUrlInput = serde_json::from_value(request).unwrap();
    let url = get_dash_streaming_session_url(archive, "cam", &input, &key(), NOW, ENDPOINT)?
        .dash_streaming_session_url;
    let token = url
        .strip_prefix("http://127.0.0.1:8080/dash/v1/getDASHManifest.mpd?SessionToken=")
        .expect("the MPD URL");
    Ok(Session::from_token(token, &key(), NOW).expect("our own token"))
}

/// Epoch seconds of a fragment's timestamp, as a request carries it.
fn seconds(archive: &Archive, position: usize, kind: TimestampKind) -> f64 {
    let fragment = archive.index().get(position).unwrap();
    fragment.timestamp(kind).unwrap().0 as f64 / 1000.0
}

#[test]
fn defaults_follow_the_playback_mode_and_selector() {
    let live = SessionRequest::default()
        .session(Protocol::Hls, "cam", NOW)
        .unwrap();
    assert_eq!(live.playback_mode, PlaybackMode::Live);
    assert_eq!(live.selector_type, TimestampKind::Server);
    assert_eq!(live.container_format, ContainerFormat::FragmentedMp4);
    assert_eq!(live.discontinuity_mode, DiscontinuityMode::Always);
    assert_eq!(live.display_fragment_timestamp, Display::Never);
    assert_eq!(live.display_fragment_number, Display::Never);
    assert_eq!(live.max_fragment_results, 5);
    assert_eq!((live.created, live.expires), (NOW.0, NOW.0 + 300_000));

    let on_demand = SessionRequest {
        playback_mode: Some(PlaybackMode::OnDemand),
        selector: Some(StreamingFragmentSelector {
            fragment_selector_type: Some(TimestampKind::Producer),
            timestamp_range: Some(StreamingTimestampRange {
                start_timestamp: Some(UnixMillis(1000)),
                end_timestamp: Some(UnixMillis(2000)),
            }),
        }),
        expires: Some(43_200),
        ..SessionRequest::default()
    }
    .session(Protocol::Dash, "cam", NOW)
    .unwrap();
    assert_eq!(on_demand.max_fragment_results, 1000);
    assert_eq!(on_demand.discontinuity_mode, DiscontinuityMode::Never);
    assert_eq!((on_demand.start, on_demand.end), (Some(1000), Some(2000)));
    assert_eq!(on_demand.expires, NOW.0 + 43_200_000);
}

/// Each rule of spec §1.5/§1.6 and §4.1, on HLS and DASH alike: InvalidArgumentException.
#[test]
fn each_request_rule_is_invalid_argument() {
    let archive = archive("h264-high-aac");
    let start = seconds(&archive, 0, TimestampKind::Server);
    let range = |start: f64, end: f64| json!({"StartTimestamp": start, "EndTimestamp": end});
    let cases: Vec<(Value, &str)> = vec![
        (json!({"Expires": 299}), "Value '299' at 'expires'"),
        (json!({"Expires": 43_201}), "less than or equal to 43200"),
        (json!({"MAX": 0}), "greater than or equal to 1"),
        (json!({"MAX": 5001}), "less than or equal to 5000"),
        (
            json!({"PlaybackMode": "LIVE", "SELECTOR": {"TimestampRange": range(start, start + 1.0)}}),
            "must not be set when PlaybackMode is LIVE",
        ),
        (
            json!({"PlaybackMode": "ON_DEMAND"}),
            "required when PlaybackMode is ON_DEMAND",
        ),
        (
            json!({"PlaybackMode": "LIVE_REPLAY", "SELECTOR": {"FragmentSelectorType": "SERVER_TIMESTAMP"}}),
            "required when PlaybackMode is LIVE_REPLAY",
        ),
        (
            json!({"PlaybackMode": "ON_DEMAND", "SELECTOR": {"TimestampRange": {"StartTimestamp": start}}}),
            "EndTimestamp is required",
        ),
        (
            json!({"PlaybackMode": "LIVE_REPLAY", "SELECTOR": {"TimestampRange": {"EndTimestamp": start}}}),
            "StartTimestamp is required",
        ),
        (
            json!({"PlaybackMode": "ON_DEMAND", "SELECTOR": {"TimestampRange": range(start, start)}}),
            "later than StartTimestamp",
        ),
        (
            json!({"PlaybackMode": "LIVE_REPLAY", "SELECTOR": {"TimestampRange": range(start, start - 0.001)}}),
            "later than StartTimestamp",
        ),
        (
            json!({"PlaybackMode": "ON_DEMAND", "SELECTOR": {"TimestampRange": range(start, start + 86_400.001)}}),
            "within 24 hours",
        ),
        (
            json!({"PlaybackMode": "ON_DEMAND", "SELECTOR": {"TimestampRange": range(1.8e9 - 10.0, 1.8e9 + 0.001)}}),
            "in the past",
        ),
    ];
    for (request, words) in cases {
        for protocol in ["HLS", "DASH"] {
            let text = request
                .to_string()
                .replace("SELECTOR", &format!("{protocol}FragmentSelector"))
                .replace(
                    "MAX",
                    if protocol == "HLS" {
                        "MaxMediaPlaylistFragmentResults"
                    } else {
                        "MaxManifestFragmentResults"
                    },
                );
            let request: Value = serde_json::from_str(&text).unwrap();
            let result = if protocol == "HLS" {
                hls(&archive, request)
            } else {
                dash(&archive, request)
            };
            let error = result.expect_err(&text);
            assert_eq!(error.code(), "InvalidArgumentException", "{text}: {error}");
            assert!(error.message().contains(words), "{text}: {error}");
        }
    }
    // Exactly 24 h, and an End in the future under PRODUCER_TIMESTAMP, are accepted.
    let day = json!({"PlaybackMode": "ON_DEMAND", "HLSFragmentSelector": {"TimestampRange": range(start, start + 86_400.0)}});
    assert!(hls(&archive, day).is_ok());
    let future = json!({"PlaybackMode": "ON_DEMAND", "HLSFragmentSelector": {
        "FragmentSelectorType": "PRODUCER_TIMESTAMP", "TimestampRange": range(1.8e9 - 10.0, 1.8e9 + 10.0)}});
    let nothing_there = hls(&archive, future).unwrap_err();
    assert_eq!(nothing_there.code(), "ResourceNotFoundException");
}

/// Enum strings are exact (spec §1.1, §2): the request JSON does not read with another spelling,
/// and unknown members are refused.
#[test]
fn enum_spellings_and_members_are_exact() {
    for bad in [
        json!({"PlaybackMode": "on_demand"}),
        json!({"PlaybackMode": "ON-DEMAND"}),
        json!({"ContainerFormat": "MPEG-TS"}),
        json!({"DiscontinuityMode": "Always"}),
        json!({"DisplayFragmentTimestamp": "YES"}),
        json!({"HLSFragmentSelector": {"FragmentSelectorType": "server_timestamp"}}),
        json!({"DisplayFragmentNumber": "ALWAYS"}),
    ] {
        assert!(
            serde_json::from_value::<GetHlsStreamingSessionUrlInput>(bad.clone()).is_err(),
            "{bad}"
        );
    }
    assert!(
        serde_json::from_value::<GetDashStreamingSessionUrlInput>(
            json!({"DASHFragmentSelector": {"FragmentSelectorType": "PRODUCER_TIMESTAMP"},
                   "DisplayFragmentNumber": "ALWAYS", "MaxManifestFragmentResults": 7})
        )
        .is_ok()
    );
}

/// LIVE lists the newest fragments, ON_DEMAND its range (inclusive on fragment starts), LIVE_REPLAY
/// from its start; each up to Max…Results.
#[test]
fn each_playback_mode_lists_its_fragments() {
    let archive = archive("h264-high-aac");
    let all = archive.index().media();
    assert_eq!(all.len(), 4);
    let live = hls(&archive, json!({"MaxMediaPlaylistFragmentResults": 2})).unwrap();
    assert_eq!(live.fragments(&archive), all[2..]);
    let live_all = dash(&archive, json!({})).unwrap();
    assert_eq!(live_all.fragments(&archive), all);

    let (s1, s2) = (
        seconds(&archive, all[1], TimestampKind::Server),
        seconds(&archive, all[2], TimestampKind::Server),
    );
    let on_demand = hls(
        &archive,
        json!({"PlaybackMode": "ON_DEMAND", "HLSFragmentSelector": {
            "TimestampRange": {"StartTimestamp": s1, "EndTimestamp": s2}}}),
    )
    .unwrap();
    assert_eq!(on_demand.fragments(&archive), all[1..3]);
    // A start one millisecond after a fragment's start leaves it out.
    let later = dash(
        &archive,
        json!({"PlaybackMode": "ON_DEMAND", "DASHFragmentSelector": {
            "TimestampRange": {"StartTimestamp": s1 + 0.001, "EndTimestamp": s2}}}),
    )
    .unwrap();
    assert_eq!(later.fragments(&archive), all[2..3]);
    let replay = hls(
        &archive,
        json!({"PlaybackMode": "LIVE_REPLAY", "MaxMediaPlaylistFragmentResults": 2,
               "HLSFragmentSelector": {"TimestampRange": {"StartTimestamp": s1}}}),
    )
    .unwrap();
    assert_eq!(replay.fragments(&archive), all[1..3]);

    let empty = hls(
        &archive,
        json!({"PlaybackMode": "ON_DEMAND", "HLSFragmentSelector": {
            "TimestampRange": {"StartTimestamp": 1.0, "EndTimestamp": 2.0}}}),
    )
    .unwrap_err();
    assert_eq!(empty.code(), "ResourceNotFoundException");
    assert_eq!(
        empty.message(),
        "No fragments found in the stream for the streaming request."
    );
}

/// LIVE follows server time; PRODUCER_TIMESTAMP there only de-duplicates (spec §1.5).
#[test]
fn live_selects_by_server_time() {
    const BASE: u64 = 1_700_000_000_000;
    let mut data = Vec::new();
    for (index, producer, server) in [(0u64, 3000u64, 1000u64), (1, 1000, 2000), (2, 1000, 3000)] {
        let blocks = [simple_block(1, 0, true, &h264_frame(true))];
        let mut fragment = KvsFragment::new(index, BASE + producer, vec![Track::h264(1)], &[]);
        fragment.server = Some(mkv_build::kvs_seconds(BASE + server));
        fragment.clusters = vec![cluster(0, &blocks)];
        data.extend(fragment.to_bytes());
    }
    let archive = Archive::from_bytes(Bytes::from(data)).unwrap();
    let server = hls(&archive, json!({"MaxMediaPlaylistFragmentResults": 2})).unwrap();
    assert_eq!(server.fragments(&archive), [1, 2]);
    let producer = hls(
        &archive,
        json!({"MaxMediaPlaylistFragmentResults": 2,
               "HLSFragmentSelector": {"FragmentSelectorType": "PRODUCER_TIMESTAMP"}}),
    )
    .unwrap();
    assert_eq!(producer.fragments(&archive), [0, 1]);
}

/// Spec §5.1's table, checked at session creation on the fixtures' track layouts.
#[test]
fn each_output_takes_its_track_layouts() {
    let ok = "ok";
    let unsupported = "UnsupportedStreamMediaTypeException";
    // (fixture, HLS fMP4, HLS TS, DASH)
    let table = [
        ("h264-high-aac", ok, ok, ok),
        ("h264-baseline", ok, ok, ok),
        ("h265-main-aac", ok, unsupported, ok),
        ("h264-alaw", unsupported, unsupported, ok),
        ("h264-mulaw", unsupported, unsupported, ok),
        ("aac-only", ok, ok, ok),
    ];
    let outcome = |result: Result<Session, ApiError>| result.map_or_else(|e| e.code(), |_| ok);
    for (name, fmp4, ts, dash_outcome) in table {
        let archive = archive(name);
        let got = (
            outcome(hls(&archive, json!({}))),
            outcome(hls(&archive, json!({"ContainerFormat": "MPEG_TS"}))),
            outcome(dash(&archive, json!({}))),
        );
        assert_eq!(got, (fmp4, ts, dash_outcome), "{name}");
    }
}

/// A track without codec private data fails session creation with the service's words.
#[test]
fn missing_codec_private_data_fails_session_creation() {
    let mut track = Track::h264(1);
    track.codec_private = Vec::new();
    let blocks = [simple_block(1, 0, true, &h264_frame(true))];
    let mut fragment = KvsFragment::new(0, 1_700_000_000_000, vec![track], &[]);
    fragment.clusters = vec![cluster(0, &blocks)];
    let archive = Archive::from_bytes(Bytes::from(fragment.to_bytes())).unwrap();
    let error = hls(&archive, json!({})).unwrap_err();
    assert_eq!(error.code(), "MissingCodecPrivateDataException");
    assert_eq!(
        error.message(),
        "Missing codec private data in fragment for track 1."
    );
}

/// A token is accepted only whole, under its key, before it expires.
#[test]
fn tokens_refuse_any_change_another_key_and_expiry() {
    let session = SessionRequest::default()
        .session(Protocol::Hls, "a-stream", NOW)
        .unwrap();
    let token = session.token(&key());
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "URL-safe: {token}"
    );
    assert_eq!(Session::from_token(&token, &key(), NOW).unwrap(), session);
    let not_authorized = |token: &str, key: &SessionKey, now: UnixMillis| {
        let error = Session::from_token(token, key, now).expect_err(token);
        assert_eq!(error.code(), "NotAuthorizedException");
        assert_eq!(error.http_status(), 401);
        error.message()
    };
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for at in 0..token.len() {
        let mut bytes = token.clone().into_bytes();
        let original = bytes[at];
        for &other in ALPHABET.iter().filter(|&&c| c != original).step_by(9) {
            bytes[at] = other;
            not_authorized(std::str::from_utf8(&bytes).unwrap(), &key(), NOW);
        }
    }
    for cut in [0, 1, token.len() / 2, token.len() - 1] {
        not_authorized(&token[..cut], &key(), NOW);
    }
    not_authorized(&format!("{token}A"), &key(), NOW);
    not_authorized("not a token!", &key(), NOW);
    let other = SessionKey::from_bytes(&[0x5b; 32]).unwrap();
    not_authorized(&token, &other, NOW);
    let last_valid = UnixMillis(session.expires - 1);
    assert!(Session::from_token(&token, &key(), last_valid).is_ok());
    let message = not_authorized(&token, &key(), UnixMillis(session.expires));
    assert!(message.contains("expired"), "{message}");
    assert!(SessionKey::from_bytes(&[1; 31]).is_none());
}

/// Now, as the CLI reads it.
fn wall_clock() -> UnixMillis {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    UnixMillis(u64::try_from(since_epoch.as_millis()).unwrap())
}

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("spawn kvs-remux")
}

fn url_token(out: &std::process::Output, field: &str) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let response: Value = serde_json::from_slice(&out.stdout).unwrap();
    let url = response[field].as_str().expect("the URL field").to_owned();
    url.split_once("SessionToken=").unwrap().1.to_owned()
}

fn root(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("sessions")
        .join(name);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(support::fixture("h264-high-aac"), root.join("cam")).unwrap();
    std::fs::copy(support::fixture("h265-main-aac"), root.join("hevc")).unwrap();
    root
}

/// The CLI: the key is made once under the archive root (0600) and used by every later process;
/// a PATH stream keeps its key beside it and its absolute path in the token; flags override
/// --cli-input-json; bad requests exit 1 with the service's exception.
#[test]
fn cli_sessions_share_one_key_per_root() {
    let root = root("cli");
    let key_file = root.join(".kvs-remux-session-key");
    let first = url_token(
        &run(&[
            &"get-hls-streaming-session-url",
            &"--archive-root",
            &root,
            &"--stream-name",
            &"cam",
        ]),
        "HLSStreamingSessionURL",
    );
    let key_bytes = std::fs::read(&key_file).unwrap();
    assert_eq!(key_bytes.len(), 32);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let second = url_token(
        &run(&[
            &"get-dash-streaming-session-url",
            &"--archive-root",
            &root,
            &"--stream-arn",
            &"arn:aws:kinesisvideo:us-west-2:123456789012:stream/cam/1",
            &"--display-fragment-number",
            &"ALWAYS",
            &"--cli-input-json",
            &r#"{"DisplayFragmentNumber": "NEVER", "Expires": 600}"#,
        ]),
        "DASHStreamingSessionURL",
    );
    assert_eq!(std::fs::read(&key_file).unwrap(), key_bytes, "made once");
    let key = SessionKey::from_bytes(&key_bytes).unwrap();
    let now = wall_clock();
    let first = Session::from_token(&first, &key, now).unwrap();
    let second = Session::from_token(&second, &key, now).unwrap();
    assert_eq!(
        (first.protocol, first.stream.as_str()),
        (Protocol::Hls, "cam")
    );
    assert_eq!(
        (second.protocol, second.display_fragment_number),
        (Protocol::Dash, Display::Always)
    );
    assert_eq!(second.expires - second.created, 600_000);

    // A PATH stream: the key beside it, the absolute path in the token.
    let path_token = url_token(
        &run(&[
            &"get-hls-streaming-session-url",
            &root.join("cam"),
            &"--container-format",
            &"MPEG_TS",
        ]),
        "HLSStreamingSessionURL",
    );
    let session = Session::from_token(&path_token, &key, now).unwrap();
    assert_eq!(
        Path::new(&session.stream),
        std::fs::canonicalize(root.join("cam")).unwrap()
    );
    assert_eq!(session.container_format, ContainerFormat::MpegTs);

    let failures = [
        (
            vec!["--stream-name", "hevc", "--container-format", "MPEG_TS"],
            "UnsupportedStreamMediaTypeException: ",
        ),
        (
            vec!["--stream-name", "cam", "--playback-mode", "on_demand"],
            "InvalidArgumentException: ",
        ),
        (
            vec!["--stream-name", "nothing"],
            "ResourceNotFoundException: ",
        ),
        (
            vec!["--stream-name", ".kvs-remux-session-key"],
            "ResourceNotFoundException: ",
        ),
    ];
    for (args, prefix) in failures {
        let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> =
            vec![&"get-hls-streaming-session-url", &"--archive-root", &root];
        all.extend(args.iter().map(|a| a as &dyn AsRef<std::ffi::OsStr>));
        let out = run(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.starts_with(prefix), "{args:?}: {stderr}");
    }

    let short_key = root.join("short.key");
    std::fs::write(&short_key, [1u8; 8]).unwrap();
    let out = run(&[
        &"get-hls-streaming-session-url",
        &root.join("cam"),
        &"--session-key-file",
        &short_key,
    ]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("at least 32 are needed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[&"get-hls-streaming-session-url", &"-"]);
    assert_eq!(out.status.code(), Some(2), "stdin cannot be reopened");
}

/// botocore serializes GetHLSStreamingSessionURL and GetDASHStreamingSessionURL requests as boto3
/// sends them; the CLI takes them as --cli-input-json; botocore's parser reads our responses with
/// the model's output shapes.
#[test]
fn botocore_session_requests_and_responses() {
    let Some(python) = support::sdk_python() else {
        return;
    };
    let root = root("botocore");
    let archive = Archive::open(&root.join("cam")).unwrap();
    let start = seconds(&archive, 1, TimestampKind::Producer);
    let script = r#"
import json, subprocess, sys
import botocore.session
from botocore import parsers, serialize
binary, root, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
model = botocore.session.get_session().get_service_model("kinesis-video-archived-media")
serializer = serialize.create_serializer(model.metadata["protocol"])
parser = parsers.create_parser(model.metadata["protocol"])
result = {}
for op, command, params in [
    ("GetHLSStreamingSessionURL", "get-hls-streaming-session-url", {
        "StreamName": "cam", "PlaybackMode": "ON_DEMAND", "ContainerFormat": "MPEG_TS",
        "DiscontinuityMode": "ON_DISCONTINUITY", "DisplayFragmentTimestamp": "ALWAYS",
        "Expires": 900, "MaxMediaPlaylistFragmentResults": 2,
        "HLSFragmentSelector": {"FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": start, "EndTimestamp": start + 60}}}),
    ("GetDASHStreamingSessionURL", "get-dash-streaming-session-url", {
        "StreamARN": "arn:aws:kinesisvideo:us-west-2:123456789012:stream/cam/1",
        "PlaybackMode": "LIVE", "DisplayFragmentNumber": "ALWAYS", "MaxManifestFragmentResults": 3,
        "DASHFragmentSelector": {"FragmentSelectorType": "SERVER_TIMESTAMP"}}),
]:
    operation = model.operation_model(op)
    body = serializer.serialize_to_request(params, operation)["body"].decode()
    out = subprocess.run([binary, command, "--archive-root", root, "--cli-input-json", body],
                         capture_output=True)
    if out.returncode != 0:
        sys.exit(out.stderr.decode())
    parsed = parser.parse({"status_code": 200, "headers": {}, "body": out.stdout},
                          operation.output_shape)
    result[op] = {"request": json.loads(body),
                  "url": parsed.get("HLSStreamingSessionURL") or parsed.get("DASHStreamingSessionURL")}
print(json.dumps(result))
"#;
    let out = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(BIN)
        .arg(&root)
        .arg(start.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = SessionKey::from_bytes(&std::fs::read(root.join(".kvs-remux-session-key")).unwrap())
        .unwrap();
    let token = |op: &str, path: &str| {
        let url = result[op]["url"].as_str().expect("botocore read the URL");
        let prefix = format!("{ENDPOINT}{path}?SessionToken=");
        let token = url.strip_prefix(&prefix).expect("the endpoint and path");
        Session::from_token(token, &key, wall_clock()).unwrap()
    };
    let hls_session = token(
        "GetHLSStreamingSessionURL",
        "/hls/v1/getHLSMasterPlaylist.m3u8",
    );
    assert_eq!(hls_session.playback_mode, PlaybackMode::OnDemand);
    assert_eq!(hls_session.selector_type, TimestampKind::Producer);
    assert_eq!(hls_session.container_format, ContainerFormat::MpegTs);
    assert_eq!(
        hls_session.discontinuity_mode,
        DiscontinuityMode::OnDiscontinuity
    );
    assert_eq!(hls_session.display_fragment_timestamp, Display::Always);
    assert_eq!(hls_session.max_fragment_results, 2);
    assert_eq!(hls_session.expires - hls_session.created, 900_000);
    assert_eq!(
        hls_session.fragments(&archive),
        archive.index().media()[1..3]
    );
    let dash_session = token("GetDASHStreamingSessionURL", "/dash/v1/getDASHManifest.mpd");
    assert_eq!(dash_session.protocol, Protocol::Dash);
    assert_eq!(dash_session.display_fragment_number, Display::Always);
    assert_eq!(
        dash_session.fragments(&archive),
        archive.index().media()[1..]
    );
}

/// A track added mid-session (video only → video + audio) is refused when the changed fragment is
/// loaded, by HLS (fMP4 and TS) and DASH alike (spec §6); the fragments before it play.
#[test]
fn a_track_change_is_refused_when_loaded() {
    use kvs_remux::player::{dash_action, hls_action};

    const BASE: u64 = 1_700_000_000_000;
    let mut data = Vec::new();
    for index in 0..3u64 {
        let mut tracks = vec![Track::h264(1)];
        let mut blocks = vec![simple_block(1, 0, true, &h264_frame(true))];
        if index == 2 {
            tracks.push(Track::aac(2));
            blocks.push(simple_block(2, 0, true, &[0x21, 0x10, 0x04]));
        }
        let mut fragment = KvsFragment::new(index, BASE + index * 1000, tracks, &[]);
        fragment.clusters = vec![cluster(0, &blocks)];
        data.extend(fragment.to_bytes());
    }
    let data = Bytes::from(data);
    let open = |_: &str| Archive::from_bytes(data.clone());
    let archive = open("").unwrap();
    let numbers: Vec<String> = archive
        .index()
        .media()
        .iter()
        .map(|&p| archive.index().get(p).unwrap().number.to_string())
        .collect();
    for container in ["FRAGMENTED_MP4", "MPEG_TS"] {
        let session = hls(&archive, json!({"ContainerFormat": container})).unwrap();
        let token = session.token(&key());
        let action = if container == "MPEG_TS" {
            "getTSFragment.ts"
        } else {
            "getMP4MediaFragment.mp4"
        };
        let fetch = |number: &str| {
            let query = format!("FragmentNumber={number}&SessionToken={token}&TrackNumber=1");
            hls_action(action, &query, &key(), NOW, open)
        };
        assert!(fetch(&numbers[1]).is_ok(), "{container}");
        let error = fetch(&numbers[2]).unwrap_err();
        assert_eq!(
            error.code(),
            "UnsupportedStreamMediaTypeException",
            "{container}"
        );
    }
    let session = dash(&archive, json!({})).unwrap();
    let token = session.token(&key());
    let fetch = |number: u32| {
        let query = format!("FragmentNumber={number}&SessionToken={token}&TrackNumber=1");
        dash_action("getMP4MediaFragment.mp4", &query, &key(), NOW, open)
    };
    assert!(fetch(2).is_ok());
    assert_eq!(
        fetch(3).unwrap_err().code(),
        "UnsupportedStreamMediaTypeException"
    );
}
