//! Test helpers: CPD fixtures and ffprobe golden values made by `testdata/gen-codec-fixtures.sh`.

use bytes::Bytes;

/// Directory of the fixtures.
const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/codec/");

/// The CodecPrivate bytes of fixture `name` (mkvinfo's hex dump, not ours).
pub(crate) fn cpd(name: &str) -> Bytes {
    let path = format!("{DIR}{name}.cpd");
    Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
}

/// ffprobe's value for `key` in fixture `name`'s JSON, without quotes (`"width": 640,` → `640`).
pub(crate) fn golden(name: &str, key: &str) -> Option<String> {
    let path = format!("{DIR}{name}.json");
    let json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let needle = format!("\"{key}\": ");
    json.lines().find_map(|line| {
        let value = line.trim().strip_prefix(&needle)?;
        Some(value.trim_end_matches(',').trim_matches('"').to_owned())
    })
}

/// ffprobe's integer value for `key`.
pub(crate) fn golden_u32(name: &str, key: &str) -> u32 {
    golden(name, key)
        .unwrap_or_else(|| panic!("{name}: no {key}"))
        .parse()
        .unwrap_or_else(|e| panic!("{name}: {key}: {e}"))
}

/// Every H.264 fixture.
pub(crate) const AVC: &[&str] = &[
    "h264-baseline",
    "h264-main",
    "h264-high",
    "real-output_get_media",
    "real-kinesis_video_renderer_example_output",
    "real-output-get-media-equal-timecode",
    "real-output-get-media-non-increasing-timecode",
    "real-vogels_480-video",
    "real-dateutc",
    "real-h264-sample-frames",
];

/// Every H.265 fixture.
pub(crate) const HEVC: &[&str] = &["hevc-main", "real-h265-sample-frames"];

/// Every AAC fixture.
pub(crate) const AAC: &[&str] = &[
    "aac-lc-48k-stereo",
    "aac-lc-22k-mono",
    "real-vogels_480-audio",
];

/// Every G.711 fixture.
pub(crate) const G711: &[&str] = &["alaw-8k-mono", "mulaw-8k-mono", "alaw-16k-stereo"];
