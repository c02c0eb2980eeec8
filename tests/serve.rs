//! `kvs-remux serve` over HTTP: a player (ffmpeg) gets the source's packets from the session URLs,
//! two servers with one session key answer each other's URLs, and the wire answers of spec §3.2
//! for bad requests, tokens, quotas and hostile connections.

use crate::support::{self, server};

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use kvs_remux::api::hls::{GetHlsStreamingSessionUrlInput, get_hls_streaming_session_url};
use kvs_remux::archive::Archive;
use kvs_remux::archive::root::read_session_key;
use kvs_remux::session::PlaybackMode;
use kvs_remux::{ApiError, UnixMillis};
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};
use server::{Server, archive_root, playlist_uris};

/// A client without proxies.
fn client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// POSTs `body` to operation `path` of `server`.
fn post(server: &Server, path: &str, body: impl Into<reqwest::blocking::Body>) -> Response {
    client()
        .post(format!("{}{path}", server.url))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .unwrap()
}

/// GETs `url`.
fn get(url: &str) -> Response {
    client().get(url).send().unwrap()
}

/// A response's status, error type header and body.
fn answer(response: Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let headers = response.headers();
    assert!(
        headers.contains_key("x-amz-requestid") && headers.contains_key("x-amzn-requestid"),
        "no request id: {headers:?}"
    );
    let error_type = headers
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    if let Some(both) = headers.get("x-amz-errortype") {
        assert_eq!(both.to_str().unwrap(), error_type);
    }
    (status, error_type, response.text().unwrap())
}

/// The ON_DEMAND session URL of `server` over the whole fixture, for `protocol` (`HLS`/`DASH`).
fn session_url(server: &Server, protocol: &str, extra: Value) -> String {
    let mut request = json!({
        "StreamName": "cam",
        "PlaybackMode": "ON_DEMAND",
        "Expires": 600,
        format!("{protocol}FragmentSelector"): {
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": 1_699_999_000, "EndTimestamp": 1_700_001_000},
        },
    });
    let fields = request.as_object_mut().unwrap();
    for (name, value) in extra.as_object().unwrap() {
        fields.insert(name.clone(), value.clone());
    }
    let path = format!("/get{protocol}StreamingSessionURL");
    let (status, error, body) = answer(post(server, &path, request.to_string()));
    assert_eq!((status, error.as_str()), (200, ""), "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    body[format!("{protocol}StreamingSessionURL")]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `url` with its origin (`http://host:port`) replaced by `origin`.
fn at_origin(url: &str, origin: &str) -> String {
    let path = url.splitn(4, '/').nth(3).unwrap();
    format!("{origin}/{path}")
}

#[test]
fn ffmpeg_plays_the_session_urls_with_the_sources_packets() {
    if support::tool("ffmpeg").is_none() {
        return;
    }
    let root = archive_root(support::fixture("h264-high-aac"));
    let server = Server::start(root.path(), &[]);
    let source = support::fixture("h264-high-aac");
    let hls = session_url(&server, "HLS", json!({}));
    let dash = session_url(&server, "DASH", json!({}));
    for url in [hls, dash] {
        for kind in ["v", "a"] {
            let expected = support::copied(&source, kind);
            assert!(!expected.is_empty());
            assert_eq!(
                support::copied(Path::new(&url), kind),
                expected,
                "{kind} of {url}"
            );
        }
    }
}

#[test]
fn two_servers_with_one_key_answer_each_others_session_urls() {
    if support::tool("ffmpeg").is_none() {
        return;
    }
    // Two machines: each its own copy of the archive, no state shared but the key.
    let (root_a, root_b) = (
        archive_root(support::fixture("h264-high-aac")),
        archive_root(support::fixture("h264-high-aac")),
    );
    let key = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key.path(), [0x5a; 32]).unwrap();
    let key_arg = key.path().to_str().unwrap();
    let a = Server::start(root_a.path(), &["--session-key-file", key_arg]);
    let mut b = Server::start(root_b.path(), &["--session-key-file", key_arg]);
    let master_url = session_url(&a, "HLS", json!({}));
    // A player alternating between the two: each request goes to the other server.
    let origins = [b.url.clone(), a.url.clone()];
    let mut turn = 0;
    let mut fetch = |url: &str| {
        turn += 1;
        let response = get(&at_origin(url, &origins[turn % 2]));
        assert_eq!(response.status(), 200, "{url}");
        response.bytes().unwrap()
    };
    let master = String::from_utf8(fetch(&master_url).to_vec()).unwrap();
    let media_url = playlist_uris(&master, &master_url)
        .into_iter()
        .find(|uri| uri.contains("TrackNumber=1"))
        .unwrap();
    let media = String::from_utf8(fetch(&media_url).to_vec()).unwrap();
    let mut stream = Vec::new();
    for uri in playlist_uris(&media, &media_url) {
        stream.extend_from_slice(&fetch(&uri));
    }
    assert!(turn > 4, "{turn} requests");
    let played = tempfile::NamedTempFile::with_suffix(".mp4").unwrap();
    std::fs::write(played.path(), &stream).unwrap();
    let source = support::fixture("h264-high-aac");
    assert_eq!(
        support::copied(played.path(), "v"),
        support::copied(&source, "v")
    );
    // Server A gone, its session goes on at B.
    drop(a);
    assert!(b.is_running());
    assert_eq!(get(&at_origin(&master_url, &b.url)).status(), 200);
}

#[test]
fn wire_errors_are_the_services() {
    let root = archive_root(support::fixture("h264-high-aac"));
    let server = Server::start(root.path(), &[]);
    let coral = r#"{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}"#;
    let clip = |start: u64, end: u64| {
        json!({"StreamName": "cam", "ClipFragmentSelector": {
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": start, "EndTimestamp": end}}})
        .to_string()
    };

    // Operation errors: status, error type and Message.
    let (status, error, body) = answer(post(
        &server,
        "/getClip",
        clip(1_700_000_010, 1_700_000_000),
    ));
    assert_eq!(
        (status, error.as_str()),
        (400, "InvalidArgumentException"),
        "{body}"
    );
    assert!(serde_json::from_str::<Value>(&body).unwrap()["Message"].is_string());
    let (status, error, _) = answer(post(
        &server,
        "/listFragments",
        json!({"StreamName": "elsewhere"}).to_string(),
    ));
    assert_eq!((status, error.as_str()), (404, "ResourceNotFoundException"));
    let (status, error, _) = answer(post(&server, "/getClip", r#"{"StreamName":"cam"}"#));
    assert_eq!((status, error.as_str()), (400, "InvalidArgumentException"));

    // What the service cannot route: the recorded Coral answer (spec §1.1).
    for (path, body) in [
        ("/GetClip", clip(1_699_999_000, 1_700_001_000)),
        ("/nothing/here", String::new()),
        (
            "/getHLSStreamingSessionURL",
            json!({"StreamName": "cam", "PlaybackMode": "ON-DEMAND"}).to_string(),
        ),
    ] {
        let (status, error, text) = answer(post(&server, path, body));
        assert_eq!(
            (status, error.as_str(), text.as_str()),
            (200, "", coral),
            "{path}"
        );
    }
    let (status, _, text) = answer(get(&format!("{}/getClip", server.url)));
    assert_eq!((status, text.as_str()), (200, coral));

    // Bodies that are not JSON or not the input's types, and too large ones.
    for body in [
        "{\"StreamName\":",
        r#"{"StreamName": 7}"#,
        r#"{"StreamName":"cam","MaxResults":"x"}"#,
    ] {
        let (status, error, _) = answer(post(&server, "/listFragments", body));
        assert_eq!(
            (status, error.as_str()),
            (400, "SerializationException"),
            "{body}"
        );
    }
    let huge = format!("{{\"StreamName\":\"{}\"}}", "a".repeat(2 << 20));
    let (status, error, _) = answer(post(&server, "/listFragments", huge));
    assert_eq!((status, error.as_str()), (413, "SerializationException"));

    // Session tokens: altered, expired.
    let url = session_url(&server, "HLS", json!({}));
    let (head, token) = url.split_once("SessionToken=").unwrap();
    let mut altered = token.as_bytes().to_vec();
    altered[20] = if altered[20] == b'A' { b'B' } else { b'A' };
    let altered = format!("{head}SessionToken={}", String::from_utf8(altered).unwrap());
    let (status, error, _) = answer(get(&altered));
    assert_eq!((status, error.as_str()), (401, "NotAuthorizedException"));
    let key = read_session_key(&root.path().join(".kvs-remux-session-key"), false).unwrap();
    let archive = Archive::open(&support::fixture("h264-high-aac")).unwrap();
    let an_hour_ago = UnixMillis(
        u64::try_from(
            (std::time::SystemTime::now() - Duration::from_secs(3600))
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap(),
    );
    let input = GetHlsStreamingSessionUrlInput {
        playback_mode: Some(PlaybackMode::OnDemand),
        hls_fragment_selector: serde_json::from_value(json!({
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": 1_699_999_000, "EndTimestamp": 1_700_001_000}}))
        .unwrap(),
        ..Default::default()
    };
    let expired =
        get_hls_streaming_session_url(&archive, "cam", &input, &key, an_hour_ago, &server.url)
            .map_err(|e: ApiError| e.to_string())
            .unwrap()
            .hls_streaming_session_url;
    let (status, error, body) = answer(get(&expired));
    assert_eq!(
        (status, error.as_str()),
        (401, "NotAuthorizedException"),
        "{body}"
    );

    // CORS: a preflight from another origin, and the headers on an answer.
    let preflight = client()
        .request(reqwest::Method::OPTIONS, format!("{}/getClip", server.url))
        .header("origin", "http://player.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization,x-amz-date",
        )
        .send()
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    // A browser never lets `*` cover Authorization: the names must be listed.
    assert_eq!(
        preflight.headers()["access-control-allow-headers"],
        "content-type,authorization,x-amz-date"
    );
    assert!(preflight.headers().contains_key("x-amz-requestid"));
    let playlist = client()
        .get(&url)
        .header("origin", "http://player.example")
        .send()
        .unwrap();
    assert_eq!(playlist.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        playlist.headers()["content-type"],
        "application/vnd.apple.mpegurl"
    );
}

#[test]
fn hostile_connections_neither_crash_nor_stall_the_server() {
    let root = archive_root(support::fixture("h264-high-aac"));
    let mut server = Server::start(root.path(), &[]);
    let address = server.url.trim_start_matches("http://").to_owned();
    // Connections that stall mid-request, and garbage.
    let mut stalled = Vec::new();
    for _ in 0..50 {
        let mut connection = TcpStream::connect(&address).unwrap();
        connection
            .write_all(b"POST /listFragments HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            .unwrap();
        stalled.push(connection);
    }
    for garbage in [
        &b"\x00\x01\x02\xff\xfe garbage\r\n\r\n"[..],
        b"GET /hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=%%%%\r\n\r\n",
        b"POST /getClip HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzzzz\r\n",
    ] {
        let mut connection = TcpStream::connect(&address).unwrap();
        connection.write_all(garbage).unwrap();
    }
    // Everyone else is still answered, and quickly.
    let quick = Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for _ in 0..20 {
        let response = quick
            .post(format!("{}/listFragments", server.url))
            .body(r#"{"StreamName":"cam"}"#)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let url = session_url(&server, "DASH", json!({}));
    let mut token = url.split_once("SessionToken=").unwrap().1.to_owned();
    token.truncate(token.len() / 2);
    for query in [
        format!("SessionToken={token}"),
        "SessionToken=".to_owned(),
        "TrackNumber=99999999999999999999999&SessionToken=x".to_owned(),
        String::new(),
    ] {
        let response = quick
            .get(format!(
                "{}/dash/v1/getDASHManifest.mpd?{query}",
                server.url
            ))
            .send()
            .unwrap();
        assert!(
            [400, 401, 404].contains(&response.status().as_u16()),
            "{query}: {}",
            response.status()
        );
    }
    assert!(server.is_running());
    drop(stalled);
}

#[test]
fn enforced_quotas_refuse_a_burst_with_client_limit_exceeded() {
    let root = archive_root(support::fixture("h264-high-aac"));
    let server = Server::start(root.path(), &["--enforce-quotas"]);
    let url = session_url(&server, "HLS", json!({}));
    // 16 requests span at most 3 wall-clock seconds here, and 3 × 5 TPS admit 15.
    let refused: Vec<(u16, String, String)> = (0..16)
        .map(|_| answer(get(&url)))
        .filter(|(status, _, _)| *status != 200)
        .collect();
    assert!(!refused.is_empty(), "no request refused");
    for (status, error, _) in refused {
        assert_eq!(
            (status, error.as_str()),
            (400, "ClientLimitExceededException")
        );
    }
}
