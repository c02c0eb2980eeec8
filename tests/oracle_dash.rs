//! DASH (spec §8.4) read by tools nobody here wrote: ffmpeg's DASH demuxer plays `export-dash`
//! output back to the source's packets; dash-mpd-core parses every MPD, whose timelines, codecs and
//! `kvs:fn` / `kvs:ts` attributes are checked against the fragments; a session's URLs all resolve
//! to the export's bytes; a codec private data change is the service's error.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use kvs_remux::api::dash::{GetDashStreamingSessionUrlInput, get_dash_streaming_session_url};
use kvs_remux::low_level::timeline::Packaging;
use kvs_remux::player::dash_action;
use kvs_remux::session::SessionKey;
use kvs_remux::{Archive, UnixMillis};

const BIN: &str = env!("CARGO_BIN_EXE_kvs-remux");

/// Fixtures DASH packages (spec §5.1), G.711 with H.264 included.
const FIXTURES: [&str; 10] = [
    "h264-high-aac",
    "h264-baseline",
    "h265-main-aac",
    "aac-only",
    "h264-alaw",
    "h264-mulaw",
    "gap",
    "gap-1h",
    "gap-30d",
    "timecode-reset",
];

/// `kvs-remux export-dash SOURCE OUTDIR ARGS` into a fresh directory: the process output.
fn export_output(source: &Path, name: &str, args: &[&str]) -> (PathBuf, std::process::Output) {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("oracle-dash")
        .join(name);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let output = Command::new(BIN)
        .arg("export-dash")
        .arg(source)
        .arg(&out)
        .args(args)
        .output()
        .unwrap();
    (out, output)
}

fn export(source: &Path, name: &str, args: &[&str]) -> PathBuf {
    let (dir, output) = export_output(source, name, args);
    assert!(
        output.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir
}

/// ffmpeg reads the exported MPD to exactly the source's packets, per kind.
#[test]
fn export_plays_the_source_packets() {
    if support::tool("ffmpeg").is_none() {
        return;
    }
    let sources = support::packaged_sources(&FIXTURES, Packaging::Dash);
    for (name, source) in sources {
        let dir = export(&source, &name, &[]);
        for kind in ["v", "a"] {
            assert_eq!(
                support::copied(&dir.join("manifest.mpd"), kind),
                support::copied(&source, kind),
                "{name}: {kind} packets"
            );
        }
    }
}

/// dash-mpd-core reads the MPD: one AdaptationSet per track (video first), codecs as the CPD
/// says, one `S` per fragment whose times follow each other where the fragments do, starting at
/// presentationTimeOffset; `kvs:fn` and `kvs:ts` are the fragments' numbers and server times.
#[test]
fn mpd_reads_with_dash_mpd_core() {
    let source = support::fixture("h264-high-aac");
    let dir = export(
        &source,
        "attributes",
        &[
            "--display-fragment-number",
            "ALWAYS",
            "--display-fragment-timestamp",
            "ALWAYS",
        ],
    );
    let text = std::fs::read_to_string(dir.join("manifest.mpd")).unwrap();
    let mpd = dash_mpd_core::parse(&text).expect("dash-mpd-core reads the MPD");
    assert_eq!(mpd.mpdtype.as_deref(), Some("static"));
    let period = &mpd.periods[0];
    let kinds: Vec<Option<&str>> = period
        .adaptations
        .iter()
        .map(|a| a.contentType.as_deref())
        .collect();
    assert_eq!(kinds, [Some("video"), Some("audio")]);
    let archive = Archive::open(&source).unwrap();
    let fragments: Vec<_> = archive
        .index()
        .media()
        .iter()
        .map(|&p| archive.index().get(p).unwrap().clone())
        .collect();
    for adaptation in &period.adaptations {
        let representation = &adaptation.representations[0];
        let template = representation.SegmentTemplate.as_ref().unwrap();
        let timeline = &template.SegmentTimeline.as_ref().unwrap().segments;
        assert_eq!(timeline.len(), fragments.len());
        assert_eq!(template.startNumber, Some(1));
        assert_eq!(template.presentationTimeOffset, timeline[0].t);
        for pair in timeline.windows(2) {
            assert_eq!(
                pair[0].t.unwrap() + pair[0].d,
                pair[1].t.unwrap(),
                "contiguous"
            );
        }
        let media = template.media.as_deref().unwrap();
        for number in 1..=timeline.len() {
            let file = media.replace("$Number$", &number.to_string());
            assert!(dir.join(&file).is_file(), "{file}");
        }
        assert!(
            dir.join(template.initialization.as_deref().unwrap())
                .is_file()
        );
    }
    // The kvs attributes, read from the text (dash-mpd-core keeps no foreign attributes).
    let numbers: Vec<String> = fragments.iter().map(|f| f.number.to_string()).collect();
    let times: Vec<String> = fragments
        .iter()
        .map(|f| f.server_timestamp.unwrap().to_iso8601())
        .collect();
    let attribute = |name: &str| -> Vec<String> {
        text.split(&format!(" {name}=\""))
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(attribute("kvs:fn"), [numbers.clone(), numbers].concat());
    assert_eq!(attribute("kvs:ts"), [times.clone(), times].concat());
    assert!(text.contains("xmlns:kvs="));
}

/// DASH forbids a codec private data change (spec §6): InvalidCodecPrivateDataException, nothing
/// written.
#[test]
fn cpd_change_is_refused() {
    let (dir, output) = export_output(&support::fixture("cpd-change"), "cpd-change", &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("InvalidCodecPrivateDataException: "),
        "{stderr}"
    );
    assert!(!dir.exists());
}

/// A session's MPD, init and `$Number$` segment URLs all resolve, each body equal to the export's
/// file; a token of another protocol, an unknown number and a bad number are errors.
#[test]
fn every_session_url_resolves() {
    let key = SessionKey::from_bytes(&[4; 32]).unwrap();
    let now = UnixMillis(1_800_000_000_000);
    for name in ["h264-high-aac", "h264-alaw"] {
        let source = support::fixture(name);
        let archive = Archive::open(&source).unwrap();
        let input = GetDashStreamingSessionUrlInput {
            max_manifest_fragment_results: Some(5000),
            ..Default::default()
        };
        let url = get_dash_streaming_session_url(&archive, "s", &input, &key, now, "http://x")
            .unwrap()
            .dash_streaming_session_url;
        let (action, query) = url
            .strip_prefix("http://x/dash/v1/")
            .unwrap()
            .split_once('?')
            .unwrap();
        let fetch = |action: &str, query: &str| {
            dash_action(action, query, &key, now, |_| Archive::open(&source))
        };
        let response = fetch(action, query).unwrap();
        assert_eq!(response.content_type, "application/dash+xml");
        let text = String::from_utf8(response.body.concat()).unwrap();
        let mpd = dash_mpd_core::parse(&text).unwrap();
        let exported = export(&source, &format!("session-{name}"), &[]);
        let mut segments = 0;
        for adaptation in &mpd.periods[0].adaptations {
            let template = adaptation.representations[0]
                .SegmentTemplate
                .as_ref()
                .unwrap();
            let init = template.initialization.as_deref().unwrap();
            let track = init.rsplit_once("TrackNumber=").unwrap().1;
            let (action, query) = init.split_once('?').unwrap();
            let body = fetch(action, query).unwrap().body.concat();
            let file = exported.join(format!("track{track}/init.mp4"));
            assert_eq!(body, std::fs::read(file).unwrap());
            let count = template.SegmentTimeline.as_ref().unwrap().segments.len();
            for number in 1..=count {
                let uri = template
                    .media
                    .as_deref()
                    .unwrap()
                    .replace("$Number$", &number.to_string());
                let (action, query) = uri.split_once('?').unwrap();
                let body = fetch(action, query).unwrap().body.concat();
                let file = exported.join(format!("track{track}/{number}.m4s"));
                assert_eq!(body, std::fs::read(&file).unwrap(), "{}", file.display());
                segments += 1;
            }
            let past = template
                .media
                .as_deref()
                .unwrap()
                .replace("$Number$", &(count + 1).to_string());
            let (action, query) = past.split_once('?').unwrap();
            assert_eq!(
                fetch(action, query).unwrap_err().code(),
                "ResourceNotFoundException"
            );
            let zero = template.media.as_deref().unwrap().replace("$Number$", "x");
            let (action, query) = zero.split_once('?').unwrap();
            assert_eq!(
                fetch(action, query).unwrap_err().code(),
                "InvalidArgumentException"
            );
        }
        assert!(segments >= 6, "{name}: {segments}");
        let hls =
            kvs_remux::player::hls_action("getHLSMasterPlaylist.m3u8", query, &key, now, |_| {
                Archive::open(&source)
            });
        assert_eq!(hls.unwrap_err().code(), "NotAuthorizedException");
    }
}

/// GStreamer (dashdemux) plays the exports to EOS without an error, gaps and G.711 included.
#[test]
fn gstreamer_plays_the_exports() {
    for name in ["h264-high-aac", "h265-main-aac", "h264-alaw", "gap-1h"] {
        let dir = export(&support::fixture(name), &format!("gst-{name}"), &[]);
        let Some(errors) = support::gstreamer_errors(&dir.join("manifest.mpd")) else {
            return;
        };
        assert_eq!(errors, "", "{name}");
    }
}

/// `export-dash --split-on-cpd-change` (beyond the service): the cpd-change fixture becomes two
/// Periods, read by dash-mpd-core; each Period's initialization followed by its `$Number$`
/// segments (as its startNumber and timeline name them) is an fMP4 file ffmpeg reads, and the
/// Periods' packets in order are the source's; GStreamer plays the MPD through both Periods to EOS,
/// decoding as many frames as the source has, each of its Period's size (320x240, then 160x120).
#[test]
fn split_on_cpd_change_gives_a_period_per_configuration() {
    if support::tool("ffmpeg").is_none() {
        return;
    }
    let source = support::fixture("cpd-change");
    let dir = export(&source, "split", &["--split-on-cpd-change"]);
    let text = std::fs::read_to_string(dir.join("manifest.mpd")).unwrap();
    let mpd = dash_mpd_core::parse(&text).expect("dash-mpd-core reads the MPD");
    assert_eq!(mpd.periods.len(), 2);
    let mut packets = [Vec::new(), Vec::new()];
    for (p, period) in mpd.periods.iter().enumerate() {
        for (adaptation, (kind, packets)) in period
            .adaptations
            .iter()
            .zip(["v", "a"].iter().zip(&mut packets))
        {
            let template = adaptation.representations[0]
                .SegmentTemplate
                .as_ref()
                .unwrap();
            let count = template.SegmentTimeline.as_ref().unwrap().segments.len();
            let first = template.startNumber.unwrap();
            let mut file =
                std::fs::read(dir.join(template.initialization.as_deref().unwrap())).unwrap();
            for number in first..first + count as u64 {
                let media = template.media.as_deref().unwrap();
                file.extend(
                    std::fs::read(dir.join(media.replace("$Number$", &number.to_string())))
                        .unwrap(),
                );
            }
            let joined = dir.join(format!("period{p}-{kind}.mp4"));
            std::fs::write(&joined, file).unwrap();
            packets.extend(support::copied(&joined, kind));
        }
    }
    assert_eq!(packets[0], support::copied(&source, "v"), "video packets");
    assert_eq!(packets[1], support::copied(&source, "a"), "audio packets");

    // ffmpeg's Matroska demuxer keeps the first configuration for the whole source, so the
    // frame sizes come from each Period's file: the fixture's 320x240, then 160x120.
    let mut sizes = Vec::new();
    let mut dimensions = Vec::new();
    for p in 0..2 {
        let joined = dir.join(format!("period{p}-v.mp4"));
        let mut ffprobe = support::tool("ffprobe").unwrap();
        ffprobe
            .args(["-v", "error", "-select_streams", "v:0"])
            .args(["-show_entries", "stream=width,height", "-of", "csv=p=0"])
            .arg(&joined);
        let probed = support::run(ffprobe).trim().to_owned();
        let (w, h) = probed.split_once(',').unwrap();
        let frame = w.parse::<usize>().unwrap() * h.parse::<usize>().unwrap() * 3 / 2;
        sizes.extend(std::iter::repeat_n(
            frame,
            support::copied(&joined, "v").len(),
        ));
        dimensions.push(probed);
    }
    assert_eq!(dimensions, ["320,240", "160,120"]);
    assert_eq!(sizes.len(), packets[0].len());
    if support::tool("gst-launch-1.0").is_none() {
        return;
    }
    // Synchronised sinks (played in real time, about 4 s): GStreamer 1.22's dashdemux stalls at a
    // Period switch in about a third of runs with unsynchronised ones; `timeout` turns a stall
    // into a failure.
    let uri = format!("uri=file://{}", dir.join("manifest.mpd").display());
    let mut gst = Command::new("timeout");
    gst.args(["120", "gst-launch-1.0", "-v", "playbin", &uri])
        .args([
            "video-sink=fakesink sync=true silent=false",
            "audio-sink=fakesink sync=true",
        ]);
    let output = gst.output().unwrap();
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(log.contains("Got EOS") && !log.contains("ERROR"), "{log}");
    let decoded: Vec<usize> = log
        .lines()
        .filter(|line| line.contains("last-message = chain"))
        .map(|line| {
            line.split("(fakesink0:sink) (")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(decoded, sizes, "decoded frame sizes, in order");
}
