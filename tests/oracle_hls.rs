//! HLS (spec §8.1–§8.3) read by tools nobody here wrote: ffmpeg's HLS demuxer plays `export-hls`
//! output back to the source's packets (fMP4) and decoded frames (MPEG-TS); m3u8-rs parses every
//! playlist, whose CODECS, RESOLUTION, EXTINF, discontinuities, maps and program date times are
//! checked against values the test derives itself (CPD bytes, ffprobe, the fragments' timestamps).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use kvs_remux::api::hls::{
    GetHlsStreamingSessionUrlInput, Links, get_hls_master_playlist, get_hls_media_playlist,
    get_hls_streaming_session_url,
};
use kvs_remux::low_level::timeline::Packaging;
use kvs_remux::session::{Session, SessionKey};
use kvs_remux::{Archive, UnixMillis};
use m3u8_rs::{MasterPlaylist, MediaPlaylist};

const BIN: &str = env!("CARGO_BIN_EXE_kvs-remux");

/// Fixtures HLS packages (spec §5.1): H.264/H.265 with AAC, video only, AAC only, gaps of every
/// length, a codec private data change, a timecode reset.
const FIXTURES: [&str; 10] = [
    "h264-high-aac",
    "h264-baseline",
    "h265-main-aac",
    "aac-only",
    "gap",
    "gap-1h",
    "gap-20h",
    "gap-30d",
    "cpd-change",
    "timecode-reset",
];

fn ffmpeg_present() -> bool {
    support::tool("ffmpeg").is_some()
}

/// `kvs-remux export-hls SOURCE OUTDIR ARGS`, into a fresh directory.
fn export(source: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("oracle-hls")
        .join(name);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let status = Command::new(BIN)
        .arg("export-hls")
        .arg(source)
        .arg(&out)
        .args(args)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    out
}

fn master(dir: &Path) -> MasterPlaylist {
    let text = std::fs::read(dir.join("master.m3u8")).unwrap();
    m3u8_rs::parse_master_playlist_res(&text).expect("m3u8-rs reads the master playlist")
}

fn media(dir: &Path, name: &str) -> MediaPlaylist {
    let text = std::fs::read(dir.join(name)).unwrap();
    m3u8_rs::parse_media_playlist_res(&text).expect("m3u8-rs reads the media playlist")
}

/// ffmpeg reads the exported master playlist (through its media playlists, init and media
/// segments) to exactly the source's packets, per kind.
#[test]
fn fmp4_export_plays_the_source_packets() {
    if !ffmpeg_present() {
        return;
    }
    let sources = support::packaged_sources(&FIXTURES, Packaging::HlsFmp4);
    for (name, source) in sources {
        let dir = export(&source, &format!("fmp4-{name}"), &[]);
        let played = dir.join("master.m3u8");
        for kind in ["v", "a"] {
            let want = support::copied(&source, kind);
            assert_eq!(
                support::copied(&played, kind),
                want,
                "{name}: {kind} packets"
            );
        }
    }
}

/// With MPEG_TS the muxed chunks of the export decode to the source's frames.
#[test]
fn ts_export_decodes_to_the_source_frames() {
    if !ffmpeg_present() {
        return;
    }
    // (cpd-change is not here: ffmpeg's Matroska demuxer keeps the first CodecPrivate, so the
    // source itself does not decode past the change; tests/oracle_ts.rs checks it per fragment.)
    for name in [
        "h264-high-aac",
        "h264-baseline",
        "aac-only",
        "gap",
        "timecode-reset",
    ] {
        let source = support::fixture(name);
        let dir = export(
            &source,
            &format!("ts-{name}"),
            &["--container-format", "MPEG_TS"],
        );
        assert!(master(&dir).variants[0].uri == "media.m3u8", "{name}");
        let playlist = media(&dir, "media.m3u8");
        assert_eq!(playlist.version, Some(3), "{name}");
        assert!(
            playlist
                .segments
                .iter()
                .all(|s| s.uri.ends_with(".ts") && s.map.is_none())
        );
        assert_eq!(
            support::decoded(&dir.join("master.m3u8")),
            support::decoded(&source),
            "{name}: decoded frames"
        );
    }
}

/// `avc1.PPCCLL` from avcC bytes 1–3, `mp4a.40.<object type>` from the AudioSpecificConfig, read
/// from the fixture's CodecPrivate bytes by this test.
fn codecs_from_cpd(source: &Path) -> String {
    let data = std::fs::read(source).unwrap();
    // CodecPrivate is element 0x63A2; the fixture's first two are track 1's and track 2's.
    let privates = support::codec_privates(&data, &[]);
    let mut codecs = Vec::new();
    for (at, width, payload) in privates.into_iter().take(2) {
        // The size vint: its marker bit cleared, big-endian.
        let size = data[at + 2..payload]
            .iter()
            .enumerate()
            .fold(0usize, |size, (i, &b)| {
                let b = if i == 0 { b & (0xFF >> width) } else { b };
                (size << 8) | usize::from(b)
            });
        let cpd = &data[payload..payload + size];
        if cpd.len() > 4 && cpd[0] == 1 {
            codecs.push(format!("avc1.{:02x}{:02x}{:02x}", cpd[1], cpd[2], cpd[3]));
        } else {
            codecs.push(format!("mp4a.40.{}", cpd[0] >> 3));
        }
    }
    codecs.join(",")
}

/// What ffprobe says of the first video stream: width and height.
fn ffprobe_size(source: &Path) -> (u64, u64) {
    let mut ffprobe = support::tool("ffprobe").unwrap();
    ffprobe
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=width,height", "-of", "csv=p=0"])
        .arg(source);
    let text = support::run(ffprobe);
    let (w, h) = text.trim().split_once(',').unwrap();
    (w.parse().unwrap(), h.parse().unwrap())
}

/// The master playlist: CODECS from the CPD bytes, RESOLUTION as ffprobe, an audio rendition for
/// track 2; the media playlists: one segment per fragment, VOD and ENDLIST, TARGETDURATION at least
/// every EXTINF, one map, a discontinuity before every segment (SERVER_TIMESTAMP's default
/// ALWAYS), program date times equal to the fragments' server timestamps.
#[test]
fn playlists_read_with_m3u8_rs() {
    if !ffmpeg_present() {
        return;
    }
    let source = support::fixture("h264-high-aac");
    let dir = export(
        &source,
        "playlists",
        &["--display-fragment-timestamp", "ALWAYS"],
    );
    let master = master(&dir);
    let variant = &master.variants[0];
    assert_eq!(
        variant.codecs.as_deref(),
        Some(codecs_from_cpd(&source).as_str())
    );
    let resolution = variant.resolution.expect("RESOLUTION");
    assert_eq!((resolution.width, resolution.height), ffprobe_size(&source));
    assert_eq!(variant.audio.as_deref(), Some("audio"));
    assert_eq!(master.alternatives[0].uri.as_deref(), Some("track2.m3u8"));
    assert!(variant.bandwidth > 0);
    assert!((variant.frame_rate.unwrap() - 15.0).abs() < 0.01);

    let archive = Archive::open(&source).unwrap();
    let servers: Vec<UnixMillis> = archive
        .index()
        .media()
        .iter()
        .map(|&p| archive.index().get(p).unwrap().server_timestamp.unwrap())
        .collect();
    for name in ["track1.m3u8", "track2.m3u8"] {
        let playlist = media(&dir, name);
        assert_eq!(playlist.version, Some(7));
        assert!(playlist.end_list);
        assert_eq!(
            playlist.playlist_type,
            Some(m3u8_rs::MediaPlaylistType::Vod)
        );
        assert!(playlist.independent_segments);
        assert_eq!(playlist.segments.len(), servers.len(), "{name}");
        for (segment, server) in playlist.segments.iter().zip(&servers) {
            assert!(segment.discontinuity, "{name}: ALWAYS");
            assert!(f64::from(segment.duration) <= playlist.target_duration as f64);
            let pdt = segment.program_date_time.expect("ALWAYS");
            assert_eq!(pdt.timestamp_millis(), server.0 as i64, "{name}");
            assert!(dir.join(&segment.uri).is_file(), "{name}: {}", segment.uri);
        }
        // Segments are named by their index in the session, from 1.
        let names: Vec<&str> = playlist.segments.iter().map(|s| s.uri.as_str()).collect();
        let track = name.trim_end_matches(".m3u8");
        let want: Vec<String> = (1..=servers.len())
            .map(|i| format!("{track}/{i}.m4s"))
            .collect();
        assert_eq!(names, want);
        let maps: Vec<_> = playlist
            .segments
            .iter()
            .filter_map(|s| s.map.as_ref())
            .collect();
        assert_eq!(maps.len(), 1, "{name}");
        assert!(dir.join(&maps[0].uri).is_file());
    }
}

/// ON_DISCONTINUITY marks exactly where a segment does not start within 50 ms of the previous
/// one's end (by the fragments' producer timestamps and the EXTINFs); NEVER marks only a change
/// of codec private data, where a new map starts.
#[test]
fn discontinuities_follow_the_mode() {
    if !ffmpeg_present() {
        return;
    }
    for name in ["gap", "gap-1h", "timecode-reset", "h264-high-aac"] {
        let dir = export(
            &support::fixture(name),
            &format!("on-discontinuity-{name}"),
            &[
                "--fragment-selector-type",
                "PRODUCER_TIMESTAMP",
                "--discontinuity-mode",
                "ON_DISCONTINUITY",
                "--display-fragment-timestamp",
                "ALWAYS",
            ],
        );
        let playlist = media(&dir, "track1.m3u8");
        let segments = &playlist.segments;
        assert!(!segments[0].discontinuity, "{name}: none before the first");
        for pair in segments.windows(2) {
            let end = pair[0].program_date_time.unwrap().timestamp_millis()
                + (f64::from(pair[0].duration) * 1000.0).round() as i64;
            let start = pair[1].program_date_time.unwrap().timestamp_millis();
            let jump = (start - end).abs();
            assert_eq!(pair[1].discontinuity, jump > 51, "{name}: jump {jump} ms");
        }
    }
    let gap = media(
        &export(
            &support::fixture("gap-1h"),
            "gap-1h-modes",
            &["--discontinuity-mode", "ON_DISCONTINUITY"],
        ),
        "track1.m3u8",
    );
    assert_eq!(gap.segments.iter().filter(|s| s.discontinuity).count(), 1);

    let dir = export(
        &support::fixture("cpd-change"),
        "cpd-change-never",
        &["--discontinuity-mode", "NEVER"],
    );
    let playlist = media(&dir, "track1.m3u8");
    let marked: Vec<usize> = playlist
        .segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.discontinuity)
        .map(|(i, _)| i)
        .collect();
    let mapped: Vec<usize> = playlist
        .segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.map.is_some())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(mapped.len(), 2, "a new init segment where the CPD changes");
    assert_eq!(
        marked,
        mapped[1..],
        "NEVER: a discontinuity only at the change"
    );
}

/// Session playlists name the player actions (spec §8.2 URL forms) with the session's token and
/// its fragment numbers.
#[test]
fn session_playlists_name_the_player_actions() {
    let archive = Archive::open(&support::fixture("h264-high-aac")).unwrap();
    let key = SessionKey::from_bytes(&[3; 32]).unwrap();
    let now = UnixMillis(1_800_000_000_000);
    let url = get_hls_streaming_session_url(
        &archive,
        "cam",
        &GetHlsStreamingSessionUrlInput::default(),
        &key,
        now,
        "http://localhost",
    )
    .unwrap()
    .hls_streaming_session_url;
    let token = url.split_once("SessionToken=").unwrap().1;
    let session = Session::from_token(token, &key, now).unwrap();
    let links = Links::Session { token };
    let text = get_hls_master_playlist(&archive, &session, links).unwrap();
    let master = m3u8_rs::parse_master_playlist_res(text.as_bytes()).unwrap();
    assert_eq!(
        master.variants[0].uri,
        format!("getHLSMediaPlaylist.m3u8?SessionToken={token}&TrackNumber=1")
    );
    let text = get_hls_media_playlist(&archive, &session, links, 1).unwrap();
    // A reload of the same session gives the same bytes.
    let reloaded = Archive::open(&support::fixture("h264-high-aac")).unwrap();
    assert_eq!(
        get_hls_media_playlist(&reloaded, &session, links, 1).unwrap(),
        text
    );
    assert_eq!(
        get_hls_master_playlist(&reloaded, &session, links).unwrap(),
        get_hls_master_playlist(&archive, &session, links).unwrap()
    );
    let playlist = m3u8_rs::parse_media_playlist_res(text.as_bytes()).unwrap();
    assert!(!playlist.end_list, "LIVE has no ENDLIST");
    assert_eq!(playlist.playlist_type, None);
    let numbers: Vec<String> = session
        .fragments(&archive)
        .iter()
        .map(|&p| archive.index().get(p).unwrap().number.to_string())
        .collect();
    let uris: Vec<String> = playlist.segments.iter().map(|s| s.uri.clone()).collect();
    let want: Vec<String> = numbers
        .iter()
        .map(|n| {
            format!("getMP4MediaFragment.mp4?FragmentNumber={n}&SessionToken={token}&TrackNumber=1")
        })
        .collect();
    assert_eq!(uris, want);
    assert_eq!(
        playlist.segments[0].map.as_ref().unwrap().uri,
        format!("getMP4InitFragment.mp4?SessionToken={token}&TrackNumber=1&SequenceNumber=0")
    );
    let missing = get_hls_media_playlist(&archive, &session, links, 3).unwrap_err();
    assert_eq!(missing.code(), "ResourceNotFoundException");
}

/// A session's URLs, followed as a player follows them (master → media playlists → init and media
/// segments), all resolve, and each body equals the file `export-hls` writes for it (which ffmpeg
/// plays back to the source's packets above). Tampered tokens, unknown actions and fragments are
/// the service's errors.
#[test]
fn every_session_url_resolves() {
    use kvs_remux::api::hls::GetHlsStreamingSessionUrlInput as Input;
    use kvs_remux::player::hls_action;

    let key = SessionKey::from_bytes(&[9; 32]).unwrap();
    let now = UnixMillis(1_800_000_000_000);
    for (name, container) in [
        ("h264-high-aac", "FRAGMENTED_MP4"),
        ("cpd-change", "FRAGMENTED_MP4"),
        ("h264-high-aac", "MPEG_TS"),
    ] {
        let source = support::fixture(name);
        let archive = Archive::open(&source).unwrap();
        let input: Input = serde_json::from_value(serde_json::json!({
            "ContainerFormat": container, "MaxMediaPlaylistFragmentResults": 5000
        }))
        .unwrap();
        let url = get_hls_streaming_session_url(&archive, "s", &input, &key, now, "http://x")
            .unwrap()
            .hls_streaming_session_url;
        let (action, query) = url
            .strip_prefix("http://x/hls/v1/")
            .unwrap()
            .split_once('?')
            .unwrap();
        let fetch = |action: &str, query: &str| {
            hls_action(action, query, &key, now, |stream| {
                assert_eq!(stream, "s");
                Archive::open(&source)
            })
        };
        let body = |action: &str, query: &str| -> Vec<u8> {
            let response = fetch(action, query).unwrap_or_else(|e| panic!("{action}?{query}: {e}"));
            response.body.concat()
        };
        let exported = export(
            &source,
            &format!("session-{name}-{container}"),
            &[
                "--container-format",
                container,
                "--segment-names",
                "fragment-number",
            ],
        );
        let master_text = body(action, query);
        let master = m3u8_rs::parse_master_playlist_res(&master_text).unwrap();
        let mut playlists: Vec<String> = master.variants.iter().map(|v| v.uri.clone()).collect();
        playlists.extend(master.alternatives.iter().filter_map(|a| a.uri.clone()));
        let mut segments = 0;
        for uri in playlists {
            let (action, query) = uri.split_once('?').unwrap();
            let playlist = m3u8_rs::parse_media_playlist_res(&body(action, query)).unwrap();
            let track = query.rsplit_once("TrackNumber=").unwrap().1;
            let mut epoch = 0;
            for segment in &playlist.segments {
                if let Some(map) = &segment.map {
                    let (action, query) = map.uri.split_once('?').unwrap();
                    let file = if epoch == 0 {
                        format!("track{track}/init.mp4")
                    } else {
                        let number = segment.uri.split_once("FragmentNumber=").unwrap().1;
                        let number = number.split_once('&').unwrap().0;
                        format!("track{track}/init-{number}.mp4")
                    };
                    assert_eq!(
                        body(action, query),
                        std::fs::read(exported.join(&file)).unwrap(),
                        "{file}"
                    );
                    epoch += 1;
                }
                let (action, query) = segment.uri.split_once('?').unwrap();
                let number = query
                    .split_once("FragmentNumber=")
                    .unwrap()
                    .1
                    .split_once('&')
                    .unwrap()
                    .0;
                let file = if action == "getTSFragment.ts" {
                    format!("{number}.ts")
                } else {
                    format!("track{track}/{number}.m4s")
                };
                assert_eq!(
                    body(action, query),
                    std::fs::read(exported.join(&file)).unwrap(),
                    "{name}: {file}"
                );
                segments += 1;
            }
        }
        assert!(segments >= 4, "{name}: {segments} segments");

        let code = |action: &str, query: &str| fetch(action, query).unwrap_err().code();
        let altered = query.replacen("SessionToken=", "SessionToken=A", 1);
        assert_eq!(code(action, &altered), "NotAuthorizedException");
        assert_eq!(code(action, "TrackNumber=1"), "NotAuthorizedException");
        assert_eq!(
            code("getSomething.m3u8", query),
            "ResourceNotFoundException"
        );
        let token = query.split_once("SessionToken=").unwrap().1;
        let unknown = format!("FragmentNumber=123&SessionToken={token}&TrackNumber=1");
        let action = if container == "MPEG_TS" {
            "getTSFragment.ts"
        } else {
            "getMP4MediaFragment.mp4"
        };
        assert_eq!(code(action, &unknown), "ResourceNotFoundException");
        let later = UnixMillis(now.0 + 300_000);
        let expired = hls_action(action, &unknown, &key, later, |_| Archive::open(&source));
        assert_eq!(expired.unwrap_err().code(), "NotAuthorizedException");
    }
}

/// GStreamer (hlsdemux) plays the fMP4 and TS exports to EOS without an error, gaps included.
#[test]
fn gstreamer_plays_the_exports() {
    for name in ["h264-high-aac", "h265-main-aac", "gap-1h", "cpd-change"] {
        for container in ["FRAGMENTED_MP4", "MPEG_TS"] {
            if name == "h265-main-aac" && container == "MPEG_TS" {
                continue;
            }
            let dir = export(
                &support::fixture(name),
                &format!("gst-{name}-{container}"),
                &["--container-format", container],
            );
            let Some(errors) = support::gstreamer_errors(&dir.join("master.m3u8")) else {
                return;
            };
            assert_eq!(errors, "", "{name} {container}");
        }
    }
}

/// RESOLUTION is the displayed size, the SPS's cropping window applied (642x362 coded as 656x368),
/// as ffprobe reports it; the DASH Representation says the same.
#[test]
fn resolution_is_the_displayed_size() {
    if !ffmpeg_present() {
        return;
    }
    let source = support::fixture("h264-cropped");
    let size = ffprobe_size(&source);
    assert_eq!(size, (642, 362), "the fixture's displayed size");
    let dir = export(&source, "cropped", &[]);
    let resolution = master(&dir).variants[0].resolution.unwrap();
    assert_eq!((resolution.width, resolution.height), size);
    assert_eq!(
        support::copied(&dir.join("master.m3u8"), "v"),
        support::copied(&source, "v")
    );
    let dash = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("oracle-hls/cropped-dash");
    let _ = std::fs::remove_dir_all(&dash);
    let out = Command::new(BIN)
        .arg("export-dash")
        .arg(&source)
        .arg(&dash)
        .output()
        .unwrap();
    assert!(out.status.success());
    let mpd = std::fs::read_to_string(dash.join("manifest.mpd")).unwrap();
    assert!(mpd.contains(" width=\"642\" height=\"362\""), "{mpd}");
}

/// LIVE_REPLAY playlists are live-style (no PLAYLIST-TYPE) and end with ENDLIST once they hold
/// every fragment up to EndTimestamp; cut by MaxMediaPlaylistFragmentResults, or without an End,
/// they stay open.
#[test]
fn live_replay_ends_when_its_range_is_complete() {
    let archive = Archive::open(&support::fixture("h264-high-aac")).unwrap();
    let key = SessionKey::from_bytes(&[5; 32]).unwrap();
    let now = UnixMillis(1_800_000_000_000);
    let first = archive.index().get(archive.index().media()[0]).unwrap();
    let start = first.server_timestamp.unwrap().0 as f64 / 1000.0;
    let playlist = |request: serde_json::Value| {
        let input: GetHlsStreamingSessionUrlInput = serde_json::from_value(request).unwrap();
        let url = get_hls_streaming_session_url(&archive, "s", &input, &key, now, "")
            .unwrap()
            .hls_streaming_session_url;
        let token = url.split_once("SessionToken=").unwrap().1;
        let session = Session::from_token(token, &key, now).unwrap();
        let text = get_hls_media_playlist(&archive, &session, Links::Session { token }, 1).unwrap();
        m3u8_rs::parse_media_playlist_res(text.as_bytes()).unwrap()
    };
    let range = |end: Option<f64>| match end {
        Some(end) => serde_json::json!({"StartTimestamp": start, "EndTimestamp": end}),
        None => serde_json::json!({"StartTimestamp": start}),
    };
    let whole = playlist(serde_json::json!({"PlaybackMode": "LIVE_REPLAY",
        "HLSFragmentSelector": {"TimestampRange": range(Some(start + 60.0))}}));
    assert_eq!((whole.segments.len(), whole.end_list), (4, true));
    assert_eq!(whole.playlist_type, None);
    let cut = playlist(serde_json::json!({"PlaybackMode": "LIVE_REPLAY",
        "MaxMediaPlaylistFragmentResults": 2,
        "HLSFragmentSelector": {"TimestampRange": range(Some(start + 60.0))}}));
    assert_eq!((cut.segments.len(), cut.end_list), (2, false));
    let open = playlist(serde_json::json!({"PlaybackMode": "LIVE_REPLAY",
        "MaxMediaPlaylistFragmentResults": 10,
        "HLSFragmentSelector": {"TimestampRange": range(None)}}));
    assert_eq!((open.segments.len(), open.end_list), (4, false));
}
