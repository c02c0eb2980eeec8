//! The commands shaped like `aws kinesis-video-archived-media`, as a user runs them: streams of an
//! archive root by StreamName or StreamARN, `--cli-input-json` (inline and file://), the AWS CLI's
//! shorthand, paging by hand and automatic, payloads to OUTFILE, the service's exceptions, and
//! botocore (the AWS SDK for Python's own model, serializer and parser) on both sides of the JSON.

use crate::support;

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_kvs-remux");
const ARN_A: &str = "arn:aws:kinesisvideo:us-west-2:123456789012:stream/cam-a/1600000000000";

fn kvs_remux(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("spawn kvs-remux")
}

fn stdout_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An archive root: `cam-a` a directory of the sample's fragment files, `cam-b` one file (the gap
/// fixture: 4 fragments with a hole), `notes.txt` not a stream.
fn archive_root(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-archive")
        .join(name);
    let _ = std::fs::remove_dir_all(&root); // absent on the first run
    std::fs::create_dir_all(root.join("cam-a")).unwrap();
    let sample = std::fs::read(support::sample()).unwrap();
    for (i, chunk) in support::ebml_documents(&sample).into_iter().enumerate() {
        std::fs::write(root.join("cam-a").join(format!("{i:03}.mkv")), chunk).unwrap();
    }
    std::fs::copy(support::fixture("gap"), root.join("cam-b")).unwrap();
    std::fs::write(root.join("notes.txt"), "not a stream").unwrap();
    root
}

/// The fragment numbers of a ListFragments response.
fn numbers(response: &Value) -> Vec<String> {
    response["Fragments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["FragmentNumber"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn streams_of_an_archive_root_by_name_and_arn() {
    let root = archive_root("names");
    let by_path = stdout_json(&kvs_remux(&[&"list-fragments", &root.join("cam-a")]));
    assert_eq!(numbers(&by_path).len(), 8);
    let by_name = stdout_json(&kvs_remux(&[
        &"list-fragments",
        &"--archive-root",
        &root,
        &"--stream-name",
        &"cam-a",
    ]));
    let by_arn = stdout_json(&kvs_remux(&[
        &"list-fragments",
        &"--archive-root",
        &root,
        &"--stream-arn",
        &ARN_A,
    ]));
    assert_eq!(by_name, by_path);
    assert_eq!(by_arn, by_path);
    // The stream named in the request JSON, as `aws ... --cli-input-json` users write it.
    let json = format!(r#"{{"StreamARN":"{ARN_A}"}}"#);
    let by_json = stdout_json(&kvs_remux(&[
        &"list-fragments",
        &"--archive-root",
        &root,
        &"--cli-input-json",
        &json,
    ]));
    assert_eq!(by_json, by_path);

    let unknown = kvs_remux(&[
        &"list-fragments",
        &"--archive-root",
        &root,
        &"--stream-name",
        &"cam-c",
    ]);
    assert_eq!(unknown.status.code(), Some(1));
    let message = stderr(&unknown);
    assert!(
        message.starts_with(
            "ResourceNotFoundException: The requested stream is not found or not active."
        ),
        "{message}"
    );
    assert!(
        message.contains("cam-a, cam-b"),
        "names the streams there: {message}"
    );
    for (name, exception) in [
        ("..", "ResourceNotFoundException"),
        (".", "ResourceNotFoundException"),
        ("a/b", "InvalidArgumentException"),
        ("", "InvalidArgumentException"),
    ] {
        let out = kvs_remux(&[
            &"list-fragments",
            &"--archive-root",
            &root,
            &"--stream-name",
            &name,
        ]);
        assert_eq!(out.status.code(), Some(1), "{name:?}");
        assert!(
            stderr(&out).starts_with(exception),
            "{name:?}: {}",
            stderr(&out)
        );
    }
    let both = kvs_remux(&[
        &"list-fragments",
        &"--archive-root",
        &root,
        &"--stream-name",
        &"cam-b",
        &"--stream-arn",
        &ARN_A,
    ]);
    assert!(stderr(&both).starts_with("InvalidArgumentException: StreamName cam-b and StreamARN"));
    // PATH and --archive-root together, or neither, is a usage error.
    let usage = kvs_remux(&[
        &"list-fragments",
        &root.join("cam-a"),
        &"--archive-root",
        &root,
    ]);
    assert_eq!(usage.status.code(), Some(2));
    assert_eq!(kvs_remux(&[&"list-fragments"]).status.code(), Some(2));
}

#[test]
fn paging_by_hand_equals_the_whole_listing() {
    let root = archive_root("paging");
    let stream = root.join("cam-a");
    let whole = stdout_json(&kvs_remux(&[&"list-fragments", &stream]));
    assert!(whole.get("NextToken").is_none());
    let mut paged = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> =
            vec![&"list-fragments", &stream, &"--max-results", &"3"];
        if let Some(token) = &token {
            args.push(&"--next-token");
            args.push(token);
        }
        let page = stdout_json(&kvs_remux(&args));
        assert!(numbers(&page).len() <= 3);
        paged.extend(numbers(&page));
        match page.get("NextToken").and_then(Value::as_str) {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, numbers(&whole));
    let bad = kvs_remux(&[&"list-fragments", &stream, &"--max-results", &"0"]);
    assert!(stderr(&bad).starts_with(
        "InvalidArgumentException: 1 validation error detected: Value '0' at 'maxResults'"
    ));
}

#[test]
fn selectors_from_json_shorthand_and_files() {
    let root = archive_root("selectors");
    let stream = root.join("cam-b");
    let all = stdout_json(&kvs_remux(&[&"list-fragments", &stream]));
    let producer: Vec<f64> = all["Fragments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["ProducerTimestamp"].as_f64().unwrap())
        .collect();
    assert!(producer.len() >= 3);
    let (start, end) = (producer[1], producer[2]);
    let json = format!(
        r#"{{"FragmentSelectorType":"PRODUCER_TIMESTAMP","TimestampRange":{{"StartTimestamp":{start},"EndTimestamp":{end}}}}}"#
    );
    let from_json = stdout_json(&kvs_remux(&[
        &"list-fragments",
        &stream,
        &"--fragment-selector",
        &json,
    ]));
    assert_eq!(numbers(&from_json), numbers(&all)[1..3]);
    let shorthand = format!(
        "FragmentSelectorType=PRODUCER_TIMESTAMP,TimestampRange={{StartTimestamp={start},EndTimestamp={end}}}"
    );
    let from_shorthand = stdout_json(&kvs_remux(&[
        &"list-fragments",
        &stream,
        &"--fragment-selector",
        &shorthand,
    ]));
    assert_eq!(from_shorthand, from_json);
    let file = root.join("request.json");
    std::fs::write(
        &file,
        format!(r#"{{"FragmentSelector":{json},"MaxResults":1}}"#),
    )
    .unwrap();
    let from_file = stdout_json(&kvs_remux(&[
        &"list-fragments",
        &stream,
        &"--cli-input-json",
        &format!("file://{}", file.display()),
    ]));
    assert_eq!(numbers(&from_file), numbers(&all)[1..2]);
    assert!(from_file.get("NextToken").is_some());
    // A flag takes precedence over the same field of --cli-input-json.
    let overridden = stdout_json(&kvs_remux(&[
        &"list-fragments",
        &stream,
        &"--cli-input-json",
        &format!("file://{}", file.display()),
        &"--max-results",
        &"2",
    ]));
    assert_eq!(numbers(&overridden), numbers(&all)[1..3]);
    for (bad, exception) in [
        (
            "FragmentSelectorType=producer_timestamp,TimestampRange={StartTimestamp=1,EndTimestamp=2}",
            "InvalidArgumentException: --fragment-selector: unknown variant",
        ),
        (
            "FragmentSelectorType=SERVER_TIMESTAMP",
            "InvalidArgumentException: --fragment-selector: missing field `TimestampRange`",
        ),
        (
            "{\"FragmentSelectorType\":\"SERVER_TIMESTAMP\",\"TimestampRange\":{\"StartTimestamp\":5,\"EndTimestamp\":4}}",
            "InvalidArgumentException: EndTimestamp must be later than or equal to StartTimestamp.",
        ),
    ] {
        let out = kvs_remux(&[&"list-fragments", &stream, &"--fragment-selector", &bad]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(
            stderr(&out).starts_with(exception),
            "{bad}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn payloads_go_to_outfile_and_content_type_to_stdout() {
    let root = archive_root("payloads");
    let sample = std::fs::read(support::sample()).unwrap();
    let chunks = support::ebml_documents(&sample);
    let all = stdout_json(&kvs_remux(&[&"list-fragments", &root.join("cam-a")]));
    let numbers = numbers(&all);
    let out_file = root.join("payload.webm");
    let response = stdout_json(&kvs_remux(&[
        &"get-media-for-fragment-list",
        &"--archive-root",
        &root,
        &"--stream-name",
        &"cam-a",
        &out_file,
        &"--fragments",
        &numbers[3],
        &numbers[1],
    ]));
    assert_eq!(response, serde_json::json!({"ContentType": "video/webm"}));
    assert!(std::fs::read(&out_file).unwrap() == [chunks[3], chunks[1]].concat());
    // The list as one JSON array (the AWS CLI's other form), and PATH OUTFILE.
    let list = format!(r#"["{}","{}"]"#, numbers[3], numbers[1]);
    let second = root.join("payload2.webm");
    stdout_json(&kvs_remux(&[
        &"get-media-for-fragment-list",
        &root.join("cam-a"),
        &second,
        &"--fragments",
        &list,
    ]));
    assert_eq!(
        std::fs::read(&second).unwrap(),
        std::fs::read(&out_file).unwrap()
    );
    // To stdout with `-`: the payload alone.
    let piped = kvs_remux(&[
        &"get-media-for-fragment-list",
        &root.join("cam-a"),
        &"-",
        &"--fragments",
        &numbers[0],
    ]);
    assert!(piped.status.success());
    assert!(piped.stdout == chunks[0]);
    let none = kvs_remux(&[
        &"get-media-for-fragment-list",
        &root.join("cam-a"),
        &root.join("x"),
    ]);
    assert!(stderr(&none).starts_with(
        "InvalidArgumentException: 1 validation error detected: Value '[]' at 'fragments'"
    ));
    assert!(!root.join("x").exists());
}

#[test]
fn get_clip_by_request_json_equals_the_short_form() {
    let root = archive_root("clip");
    let stream = root.join("cam-b");
    let all = stdout_json(&kvs_remux(&[&"list-fragments", &stream]));
    let producer: Vec<f64> = all["Fragments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["ProducerTimestamp"].as_f64().unwrap())
        .collect();
    let (start, end) = (producer[0], producer[1]);
    let short = root.join("short.mp4");
    let out = kvs_remux(&[
        &"get-clip",
        &stream,
        &short,
        &"--fragment-selector-type",
        &"PRODUCER_TIMESTAMP",
        &"--start-timestamp",
        &start.to_string(),
        &"--end-timestamp",
        &end.to_string(),
    ]);
    assert_eq!(
        stdout_json(&out),
        serde_json::json!({"ContentType": "video/mp4"})
    );
    let by_selector = root.join("selector.mp4");
    let selector = format!(
        "FragmentSelectorType=PRODUCER_TIMESTAMP,TimestampRange={{StartTimestamp={start},EndTimestamp={end}}}"
    );
    stdout_json(&kvs_remux(&[
        &"get-clip",
        &"--archive-root",
        &root,
        &"--stream-name",
        &"cam-b",
        &by_selector,
        &"--clip-fragment-selector",
        &selector,
    ]));
    let by_json = root.join("json.mp4");
    let request = format!(
        r#"{{"StreamName":"cam-b","ClipFragmentSelector":{{"FragmentSelectorType":"PRODUCER_TIMESTAMP","TimestampRange":{{"StartTimestamp":{start},"EndTimestamp":{end}}}}}}}"#
    );
    stdout_json(&kvs_remux(&[
        &"get-clip",
        &"--archive-root",
        &root,
        &by_json,
        &"--cli-input-json",
        &request,
    ]));
    let short = std::fs::read(&short).unwrap();
    assert!(std::fs::read(&by_selector).unwrap() == short);
    assert!(std::fs::read(&by_json).unwrap() == short);

    // Spec §1.4's rules, each with the service's exception.
    let day_later = start + 86_400.5;
    let cases: Vec<(String, &str)> = vec![
        (
            format!("FragmentSelectorType=PRODUCER_TIMESTAMP,TimestampRange={{StartTimestamp={start},EndTimestamp={start}}}"),
            "InvalidArgumentException: EndTimestamp must be later than StartTimestamp.",
        ),
        (
            format!("FragmentSelectorType=PRODUCER_TIMESTAMP,TimestampRange={{StartTimestamp={start},EndTimestamp={day_later}}}"),
            "InvalidArgumentException: EndTimestamp must be within 24 hours of StartTimestamp.",
        ),
        (
            "FragmentSelectorType=PRODUCER_TIMESTAMP,TimestampRange={StartTimestamp=1,EndTimestamp=2}".into(),
            "ResourceNotFoundException: No fragments found in the stream for the clip request.",
        ),
        (
            format!("FragmentSelectorType=Producer_Timestamp,TimestampRange={{StartTimestamp={start},EndTimestamp={end}}}"),
            "InvalidArgumentException: --clip-fragment-selector: unknown variant `Producer_Timestamp`",
        ),
        (
            format!("FragmentSelectorType=PRODUCER_TIMESTAMP,TimestampRange={{StartTimestamp={start}}}"),
            "InvalidArgumentException: --clip-fragment-selector: missing field `EndTimestamp`",
        ),
    ];
    for (selector, exception) in cases {
        let target = root.join("refused.mp4");
        let out = kvs_remux(&[
            &"get-clip",
            &stream,
            &target,
            &"--clip-fragment-selector",
            &selector,
        ]);
        assert_eq!(out.status.code(), Some(1), "{selector}");
        assert!(
            stderr(&out).starts_with(exception),
            "{selector}: {}",
            stderr(&out)
        );
        assert!(!target.exists());
    }
    let no_selector = kvs_remux(&[
        &"get-clip",
        &stream,
        &root.join("refused.mp4"),
        &"--cli-input-json",
        &r#"{"StreamName":"cam-b"}"#,
    ]);
    assert!(
        stderr(&no_selector).starts_with(
            "InvalidArgumentException: --cli-input-json: missing field `ClipFragmentSelector`"
        ),
        "{}",
        stderr(&no_selector)
    );
    let usage = kvs_remux(&[&"get-clip", &stream]);
    assert_eq!(usage.status.code(), Some(2));
}

/// `list-fragments -` reads the archive from stdin, as every other command.
#[test]
fn list_fragments_reads_stdin() {
    let sample = std::fs::read(support::sample()).unwrap();
    let mut child = Command::new(BIN)
        .args(["list-fragments", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&sample).unwrap();
    let from_stdin = stdout_json(&child.wait_with_output().unwrap());
    let from_file = stdout_json(&kvs_remux(&[&"list-fragments", &support::sample()]));
    assert_eq!(from_stdin, from_file);
}

/// botocore, with the service model it ships, serializes each request as boto3 sends it; our CLI
/// takes that JSON as --cli-input-json; botocore's rest-json parser reads our ListFragments
/// response with the model's output shape (names, types, timestamps).
#[test]
fn botocore_requests_and_responses() {
    let Some(python) = support::sdk_python() else {
        return;
    };
    let root = archive_root("botocore");
    let script = r#"
import datetime, json, subprocess, sys
import botocore.session
from botocore import parsers, serialize
binary, root = sys.argv[1], sys.argv[2]
model = botocore.session.get_session().get_service_model("kinesis-video-archived-media")
serializer = serialize.create_serializer(model.metadata["protocol"])
parser = parsers.create_parser(model.metadata["protocol"])
def body(op, params):
    return serializer.serialize_to_request(params, model.operation_model(op))["body"].decode()
def run(*args):
    out = subprocess.run([binary, *args], capture_output=True)
    if out.returncode != 0:
        sys.exit(out.stderr.decode())
    return out.stdout
utc = datetime.timezone.utc
result = {}
request = body("ListFragments", {
    "StreamName": "cam-a", "MaxResults": 5,
    "FragmentSelector": {"FragmentSelectorType": "PRODUCER_TIMESTAMP", "TimestampRange": {
        "StartTimestamp": datetime.datetime(2018, 2, 23, 21, 57, 49, 996000, tzinfo=utc),
        "EndTimestamp": 1519423083.996}}})
result["list_request"] = json.loads(request)
raw = run("list-fragments", "--archive-root", root, "--cli-input-json", request)
parsed = parser.parse({"status_code": 200, "headers": {}, "body": raw},
                      model.operation_model("ListFragments").output_shape)
result["fragments"] = [{
    "number": f["FragmentNumber"], "size": f["FragmentSizeInBytes"],
    "producer_ms": round(f["ProducerTimestamp"].timestamp() * 1000),
    "server_ms": round(f["ServerTimestamp"].timestamp() * 1000),
    "length": f["FragmentLengthInMilliseconds"],
    "types": [type(f[k]).__name__ for k in ("FragmentNumber", "FragmentSizeInBytes",
              "ProducerTimestamp", "ServerTimestamp", "FragmentLengthInMilliseconds")],
} for f in parsed["Fragments"]]
result["next_token"] = parsed.get("NextToken")
numbers = [f["FragmentNumber"] for f in parsed["Fragments"]][:2]
request = body("GetMediaForFragmentList", {"StreamName": "cam-a", "Fragments": numbers})
result["media"] = json.loads(run("get-media-for-fragment-list", "--archive-root", root,
                                 root + "/media.webm", "--cli-input-json", request))
request = body("GetClip", {"StreamARN": "arn:aws:kinesisvideo:us-west-2:123456789012:stream/cam-a/1",
    "ClipFragmentSelector": {"FragmentSelectorType": "SERVER_TIMESTAMP", "TimestampRange": {
        "StartTimestamp": datetime.datetime(2018, 2, 23, 21, 57, 49, tzinfo=utc),
        "EndTimestamp": datetime.datetime(2018, 2, 23, 21, 57, 50, tzinfo=utc)}}})
result["clip"] = json.loads(run("get-clip", "--archive-root", root, root + "/clip.mp4",
                                "--cli-input-json", request))
print(json.dumps(result))
"#;
    let out = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(BIN)
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    // botocore sends timestamps as epoch seconds.
    assert_eq!(
        result["list_request"]["FragmentSelector"]["TimestampRange"]["StartTimestamp"],
        serde_json::json!(1519423069.996)
    );
    // Our own listing of the same range, through the library.
    let archive = kvs_remux::Archive::open(&root.join("cam-a")).unwrap();
    let ours = kvs_remux::api::list_fragments::list_fragments(
        &archive,
        &serde_json::from_value(result["list_request"].clone()).unwrap(),
    )
    .unwrap();
    let fragments = result["fragments"].as_array().unwrap();
    assert_eq!(fragments.len(), ours.fragments.len());
    assert_eq!(fragments.len(), 5);
    for (seen, ours) in fragments.iter().zip(&ours.fragments) {
        assert_eq!(seen["number"], ours.fragment_number.as_str());
        assert_eq!(seen["size"], ours.fragment_size_in_bytes);
        assert_eq!(seen["producer_ms"], ours.producer_timestamp.unwrap().0);
        assert_eq!(seen["server_ms"], ours.server_timestamp.unwrap().0);
        assert_eq!(seen["length"], ours.fragment_length_in_milliseconds);
        assert_eq!(
            seen["types"],
            serde_json::json!(["str", "int", "datetime", "datetime", "int"])
        );
    }
    assert_eq!(result["next_token"].as_str(), ours.next_token.as_deref());
    assert_eq!(
        result["media"],
        serde_json::json!({"ContentType": "video/webm"})
    );
    assert_eq!(
        result["clip"],
        serde_json::json!({"ContentType": "video/mp4"})
    );
    let sample = std::fs::read(support::sample()).unwrap();
    let chunks = support::ebml_documents(&sample);
    assert!(std::fs::read(root.join("media.webm")).unwrap() == [chunks[1], chunks[2]].concat());
    assert!(std::fs::metadata(root.join("clip.mp4")).unwrap().len() > 0);
}
