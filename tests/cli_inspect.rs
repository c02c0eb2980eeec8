//! `kvs-remux inspect` as a user runs it: JSON agrees with ffprobe on every real file, stdin and
//! directories give the same report, bad input gives one `ExceptionName: message (offset N)` line.

use crate::support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn inspect(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kvs-remux"));
    command.arg("inspect").args(args);
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn kvs-remux");
    if let Some(bytes) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).expect("inspect --json prints JSON")
}

fn ffprobe_streams(path: &Path) -> Option<Vec<Value>> {
    let mut ffprobe = support::tool("ffprobe")?;
    ffprobe
        .args([
            "-v",
            "quiet",
            "-count_packets",
            "-show_streams",
            "-of",
            "json",
        ])
        .arg(path);
    let output = ffprobe.output().unwrap();
    if !output.status.success() {
        return None;
    }
    let json: Value = serde_json::from_slice(&output.stdout).ok()?;
    json["streams"].as_array().cloned()
}

/// ffprobe's H.264 profile names and their profile_idc (ITU-T H.264 Annex A).
fn h264_profile_idc(name: &str) -> u64 {
    match name {
        "Baseline" | "Constrained Baseline" => 66,
        "Main" => 77,
        "High" => 100,
        "High 4:4:4 Predictive" => 244,
        other => panic!("profile {other} not in the table"),
    }
}

#[test]
fn json_agrees_with_ffprobe_on_every_real_file() {
    let mut compared = 0;
    for path in support::real_mkv_files() {
        let Some(streams) = ffprobe_streams(&path) else {
            continue;
        };
        let name = path.display().to_string();
        let output = inspect(&["--json", path.to_str().unwrap()], None);
        let report = json_of(&output);
        let tracks = report["Tracks"].as_array().unwrap();
        let damaged = !output.status.success();
        for (track, stream) in tracks.iter().zip(&streams) {
            match stream["codec_type"].as_str().unwrap() {
                "video" => {
                    assert_eq!(track["Width"], stream["width"], "{name}: width");
                    assert_eq!(track["Height"], stream["height"], "{name}: height");
                }
                "audio" => {
                    let rate: u64 = stream["sample_rate"].as_str().unwrap().parse().unwrap();
                    assert_eq!(
                        track["SampleRate"].as_u64(),
                        Some(rate),
                        "{name}: sample rate"
                    );
                    assert_eq!(track["Channels"], stream["channels"], "{name}: channels");
                }
                _ => {}
            }
            if stream["codec_name"] == "h264" {
                let codec = track["Codec"].as_str().unwrap();
                let profile = u64::from_str_radix(&codec[5..7], 16).unwrap();
                let level = u64::from_str_radix(&codec[9..11], 16).unwrap();
                assert_eq!(
                    profile,
                    h264_profile_idc(stream["profile"].as_str().unwrap()),
                    "{name}: {codec}"
                );
                assert_eq!(Some(level), stream["level"].as_u64(), "{name}: {codec}");
                assert_eq!(track["CodecPrivateData"], "ok", "{name}");
            }
            // Frame totals per track equal ffprobe's packet count (up to the damage, if any).
            let number = track["TrackNumber"].as_u64().unwrap().to_string();
            let ours: u64 = report["Fragments"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|f| f["Frames"][&number].as_u64())
                .sum();
            let theirs: u64 = stream["nb_read_packets"].as_str().unwrap().parse().unwrap();
            if damaged {
                assert!(ours <= theirs, "{name}: {ours} > {theirs}");
            } else {
                assert_eq!(ours, theirs, "{name}: frames of track {number}");
            }
        }
        compared += 1;
    }
    if support::real_dir().is_some() {
        assert!(compared >= 13, "only {compared} files compared");
    }
}

fn sample() -> std::path::PathBuf {
    support::sample()
}

#[test]
fn sample_report_matches_its_description() {
    let output = inspect(&["--json", sample().to_str().unwrap()], None);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_of(&output);
    // testdata/sample/README.md: 8 fragments, 444 frames of H.264 High@L4.0 640x480.
    let fragments = report["Fragments"].as_array().unwrap();
    assert_eq!(fragments.len(), 8);
    let frames: u64 = fragments
        .iter()
        .map(|f| f["Frames"]["1"].as_u64().unwrap())
        .sum();
    assert_eq!(frames, 444);
    assert_eq!(report["Tracks"][0]["Codec"], "avc1.640028");
    let sizes: u64 = fragments
        .iter()
        .map(|f| f["FragmentSizeInBytes"].as_u64().unwrap())
        .sum();
    assert_eq!(
        sizes,
        std::fs::metadata(sample()).unwrap().len(),
        "fragments tile the GetMedia response"
    );
    let keys: Vec<&str> = fragments[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "FragmentNumber",
            "ProducerTimestamp",
            "ServerTimestamp",
            "FragmentSizeInBytes",
            "FragmentLengthInMilliseconds",
            "Frames",
            "Error"
        ]
    );
    let table = inspect(&[sample().to_str().unwrap()], None);
    assert!(table.status.success());
    assert!(
        String::from_utf8_lossy(&table.stdout)
            .contains("91343852333181432392682062609776234230823574155")
    );
}

#[test]
fn stdin_and_directory_give_the_same_report_as_the_file() {
    let bytes = std::fs::read(sample()).unwrap();
    let from_file = json_of(&inspect(&["--json", sample().to_str().unwrap()], None));
    let from_stdin = json_of(&inspect(&["--json", "-"], Some(&bytes)));
    assert_eq!(from_stdin, from_file);
    // One file per fragment, split where each EBML header starts (how GetMediaForFragmentList chunks arrive).
    let dir = std::env::temp_dir().join(format!("kvs-inspect-dir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let chunks = support::ebml_documents(&bytes);
    assert_eq!(chunks.len(), 8);
    for (i, chunk) in chunks.iter().enumerate() {
        std::fs::write(dir.join(format!("{i:03}.mkv")), chunk).unwrap();
    }
    let from_dir = json_of(&inspect(&["--json", dir.to_str().unwrap()], None));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(from_dir["Fragments"], from_file["Fragments"]);
    assert_eq!(from_dir["Tracks"], from_file["Tracks"]);
}

/// EBML element bytes: id, an 8-byte size, payload (the vint width KVS itself uses for Tags, spec §7.2).
fn element(id: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = id.to_vec();
    out.push(0x01);
    out.extend_from_slice(&(payload.len() as u64).to_be_bytes()[1..]);
    out.extend_from_slice(payload);
    out
}

/// The in-band error chunk of spec §1.3: EBML header + Segment with only a Tags element holding
/// ERROR_CODE, ERROR_ID and FRAGMENT_NUMBER, in that order.
fn error_chunk(fragment_number: &str) -> Vec<u8> {
    let simple = |name: &str, value: &str| {
        element(
            &[0x67, 0xC8],
            &[
                element(&[0x45, 0xA3], name.as_bytes()),
                element(&[0x44, 0x87], value.as_bytes()),
            ]
            .concat(),
        )
    };
    let tag = element(
        &[0x73, 0x73],
        &[
            simple("AWS_KINESISVIDEO_ERROR_CODE", "FRAGMENT_NOT_FOUND"),
            simple("AWS_KINESISVIDEO_ERROR_ID", "3000"),
            simple("AWS_KINESISVIDEO_FRAGMENT_NUMBER", fragment_number),
        ]
        .concat(),
    );
    let header = element(
        &[0x1A, 0x45, 0xDF, 0xA3],
        &element(&[0x42, 0x82], b"matroska"),
    );
    let mut segment = vec![
        0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ];
    segment.extend(element(&[0x12, 0x54, 0xC3, 0x67], &tag));
    [header, segment].concat()
}

#[test]
fn in_band_error_chunk_is_a_fragment_with_an_error() {
    let mut bytes = std::fs::read(sample()).unwrap();
    bytes.extend(error_chunk(
        "91343852333181432392682062607743920146159169392",
    ));
    let output = inspect(&["--json", "-"], Some(&bytes));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_of(&output);
    let last = report["Fragments"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["FragmentNumber"],
        "91343852333181432392682062607743920146159169392"
    );
    assert_eq!(last["Error"], "FRAGMENT_NOT_FOUND");
    assert_eq!(last["Frames"], serde_json::json!({}));
    assert_eq!(
        report["CodecPrivateDataChanges"],
        serde_json::json!([]),
        "an error chunk changes no track"
    );
}

fn assert_one_error_line(output: &Output, exception: &str) {
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with(&format!("{exception}: ")), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn bad_input_gives_one_line_and_keeps_what_was_complete() {
    // Garbage.
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let output = inspect(&["-"], Some(&garbage));
    assert_one_error_line(&output, "InvalidArgumentException");
    // A cut inside the third fragment: two complete fragments, the third with the frames before the cut.
    let bytes = std::fs::read(sample()).unwrap();
    let cut = 400_000;
    let output = inspect(&["--json", "-"], Some(&bytes[..cut]));
    assert_one_error_line(&output, "InvalidArgumentException");
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .trim_end()
            .ends_with(&format!("(offset {cut})"))
    );
    let report = json_of(&output);
    let fragments = report["Fragments"].as_array().unwrap();
    assert_eq!(fragments.len(), 3);
    assert_eq!(fragments[0]["Error"], Value::Null);
    assert_eq!(fragments[2]["Error"], "InvalidArgumentException");
    assert!(fragments[2]["Frames"]["1"].as_u64().unwrap() > 0);
    // A missing file.
    let output = inspect(&["/nonexistent/kvs.mkv"], None);
    assert_one_error_line(&output, "ResourceNotFoundException");
}
