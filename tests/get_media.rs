//! GetMediaForFragmentList (spec §1.3): the payload equals the requested chunks cut from the input
//! by a byte scan, in request order; unknown numbers get the in-band FRAGMENT_NOT_FOUND chunk as
//! mkvinfo and ffprobe read it; every validation rule gives InvalidArgumentException.

use crate::support::{self, mkv_build};

use bytes::Bytes;
use kvs_remux::Archive;
use kvs_remux::api::get_media::{
    CONTENT_TYPE, GetMediaForFragmentListInput, MediaPayload, get_media_for_fragment_list,
};

fn request(numbers: &[&str]) -> GetMediaForFragmentListInput {
    GetMediaForFragmentListInput {
        fragments: numbers.iter().map(|n| n.to_string()).collect(),
        ..Default::default()
    }
}

fn payload_bytes(payload: &MediaPayload, archive: &Archive) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in payload.chunks(archive) {
        out.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(out.len() as u64, payload.len());
    out
}

/// On each real capture: the chunks in reverse order, one twice, and an unknown number between
/// them; the payload is those chunks' bytes exactly (cut by scanning for EBML headers) with the
/// error chunk in its place, and mkvinfo reads the error chunk's three tags in the spec's order.
#[test]
fn payload_is_the_stored_chunks_in_request_order() {
    let mut checked = 0;
    for (path, data) in support::whole_kvs_captures() {
        let chunks = support::ebml_documents(&data);
        let archive = Archive::from_bytes(Bytes::from(data.clone())).unwrap();
        let index = archive.index();
        let numbers: Vec<String> = index
            .fragments()
            .iter()
            .map(|f| f.number.to_string())
            .collect();
        let mut asked: Vec<&str> = numbers.iter().rev().map(String::as_str).collect();
        asked.insert(1, "12345");
        asked.push(&numbers[0]);
        let payload = get_media_for_fragment_list(&archive, &request(&asked)).unwrap();
        assert_eq!(payload.content_type, CONTENT_TYPE);
        let bytes = payload_bytes(&payload, &archive);
        let mut expected = Vec::new();
        let mut error_chunk = None;
        for number in &asked {
            match numbers.iter().position(|n| n == number) {
                Some(i) => expected.extend_from_slice(chunks[i]),
                None => {
                    // The error chunk comes from us; what it says is checked by mkvinfo below.
                    let start = expected.len();
                    let chunk = support::ebml_documents(&bytes[start..])[0];
                    error_chunk = Some(chunk.to_vec());
                    expected.extend_from_slice(chunk);
                }
            }
        }
        assert!(
            bytes == expected,
            "{}: payload differs from the chunks",
            path.display()
        );
        let Some(info) = support::mkvinfo_chunk(&error_chunk.unwrap()) else {
            return;
        };
        assert_eq!(
            info.tags,
            [
                (
                    "AWS_KINESISVIDEO_ERROR_CODE".to_owned(),
                    "FRAGMENT_NOT_FOUND".to_owned()
                ),
                ("AWS_KINESISVIDEO_ERROR_ID".to_owned(), "3000".to_owned()),
                (
                    "AWS_KINESISVIDEO_FRAGMENT_NUMBER".to_owned(),
                    "12345".to_owned()
                ),
            ]
        );
        checked += 1;
    }
    eprintln!("{checked} captures checked");
    assert!(
        checked >= 5 || !support::under_ci(),
        "{checked} captures checked"
    );
}

/// ffprobe reads a payload with an error chunk in the middle: the packets of the stored chunks, in
/// order, as ffmpeg reads them from the capture itself.
#[test]
fn ffmpeg_reads_the_payload_like_the_capture() {
    let Some(mut ffmpeg) = support::tool("ffmpeg") else {
        return;
    };
    let path = support::sample();
    let archive = Archive::open(&path).unwrap();
    let numbers: Vec<String> = archive
        .index()
        .fragments()
        .iter()
        .map(|f| f.number.to_string())
        .collect();
    let mut asked: Vec<&str> = numbers.iter().map(String::as_str).collect();
    asked.insert(2, "777");
    let payload = get_media_for_fragment_list(&archive, &request(&asked)).unwrap();
    let dir = std::env::temp_dir().join(format!("kvs-get-media-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("payload.mkv");
    std::fs::write(&out, payload_bytes(&payload, &archive)).unwrap();
    let framemd5 = |ffmpeg: &mut std::process::Command, input: &std::path::Path| {
        ffmpeg
            .args(["-v", "error", "-i"])
            .arg(input)
            .args(["-map", "0", "-c", "copy", "-f", "framemd5", "-"]);
        let text = support::run(std::mem::replace(
            ffmpeg,
            std::process::Command::new("ffmpeg"),
        ));
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                let f: Vec<&str> = l.split(',').map(str::trim).collect();
                format!("{} {} {}", f[0], f[4], f[5])
            })
            .collect::<Vec<_>>()
    };
    let from_payload = framemd5(&mut ffmpeg, &out);
    let from_capture = framemd5(&mut std::process::Command::new("ffmpeg"), &path);
    assert!(!from_capture.is_empty());
    assert_eq!(from_payload, from_capture);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Spec §1.3 and §4.1: 1–1000 numbers of 1–128 digits; numbers of Clusters that are not stored
/// chunks (plain Matroska) are "Fragment numbers are invalid".
#[test]
fn invalid_requests_are_invalid_argument() {
    let archive = Archive::open(&support::sample()).unwrap();
    let thousand_and_one: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
    let long = "1".repeat(129);
    let cases: Vec<(GetMediaForFragmentListInput, &str)> = vec![
        (
            request(&[]),
            "Value '[]' at 'fragments' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
        (
            GetMediaForFragmentListInput {
                fragments: thousand_and_one,
                ..Default::default()
            },
            "at 'fragments' failed to satisfy constraint: Member must have length less than or equal to 1000",
        ),
        (
            request(&["12a"]),
            "Value '12a' at 'fragments.1.member' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9]+$",
        ),
        (
            request(&["1", ""]),
            "at 'fragments.2.member' failed to satisfy constraint: Member must have length between 1 and 128",
        ),
        (
            request(&[&long]),
            "Member must have length between 1 and 128",
        ),
    ];
    for (input, message) in cases {
        let error = get_media_for_fragment_list(&archive, &input).unwrap_err();
        assert_eq!(error.code(), "InvalidArgumentException");
        assert!(error.message().contains(message), "{}", error.message());
    }
    let clusters = [
        mkv_build::cluster(
            0,
            &[mkv_build::simple_block(
                1,
                0,
                true,
                &mkv_build::h264_frame(true),
            )],
        ),
        mkv_build::cluster(
            40,
            &[mkv_build::simple_block(
                1,
                0,
                true,
                &mkv_build::h264_frame(true),
            )],
        ),
    ];
    let plain = mkv_build::plain_mkv(1_000_000, &[mkv_build::Track::h264(1)], &clusters);
    let plain = Archive::from_bytes(Bytes::from(plain)).unwrap();
    let synthetic = plain.index().fragments()[0].number.to_string();
    let error = get_media_for_fragment_list(&plain, &request(&[&synthetic])).unwrap_err();
    assert_eq!(error.code(), "InvalidArgumentException");
    assert!(
        error
            .message()
            .starts_with("Fragment numbers are invalid : "),
        "{}",
        error.message()
    );
    // 1000 numbers is allowed, even all unknown.
    let thousand: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    let payload = get_media_for_fragment_list(
        &archive,
        &GetMediaForFragmentListInput {
            fragments: thousand,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(payload.parts.len(), 1000);
}

/// The request JSON is the service's: `Fragments` required, unknown fields refused.
#[test]
fn requests_read_the_service_json() {
    let input: GetMediaForFragmentListInput = serde_json::from_str(
        r#"{"StreamARN":"arn:aws:kinesisvideo:us-west-2:1:stream/a/1","Fragments":["1","2"]}"#,
    )
    .unwrap();
    assert_eq!(input.fragments, ["1", "2"]);
    assert!(serde_json::from_str::<GetMediaForFragmentListInput>(r#"{"StreamName":"a"}"#).is_err());
    assert!(
        serde_json::from_str::<GetMediaForFragmentListInput>(r#"{"Fragments":[],"fragments":[]}"#)
            .is_err()
    );
}
