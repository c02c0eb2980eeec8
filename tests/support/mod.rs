//! Shared test helpers: paths to real media and external oracles (ffmpeg, ffprobe, mkvextract).
//!
//! An oracle that is missing fails the test under `CI=true` and skips it (loudly) elsewhere.

pub mod fuzz_checks;
pub mod measure;
pub mod mkv_build;
pub mod server;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, PoisonError};

/// Whether we run under CI, where nothing may be skipped.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// `../shared/testdata/real`, or `None` (skip) outside CI when this clone has no `../shared` beside it.
pub fn real_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/real");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(!under_ci(), "CI=true but {} is missing", dir.display());
    eprintln!(
        "SKIP: {} is missing (no ../shared beside this clone)",
        dir.display()
    );
    None
}

/// Every real Matroska/WebM file under `real_dir()`, sorted.
pub fn real_mkv_files() -> Vec<PathBuf> {
    let Some(dir) = real_dir() else {
        return Vec::new();
    };
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable testdata") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "mkv" || e == "webm") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The real captures (and the bundled sample) that are whole KVS archives, with their bytes: our
/// reader finds no damage, one fragment per Matroska document (as a byte scan cuts them), each with
/// a KVS fragment number and none an in-band error.
pub fn whole_kvs_captures() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = real_mkv_files();
    files.push(sample());
    files
        .into_iter()
        .filter_map(|path| {
            let data = std::fs::read(&path).expect("readable testdata");
            let archive = kvs_remux::Archive::from_bytes(bytes::Bytes::from(data.clone())).ok()?;
            let index = archive.index();
            let whole = archive.damage().is_empty()
                && index.len() == ebml_documents(&data).len()
                && index
                    .fragments()
                    .iter()
                    .all(|f| !f.synthetic && f.error.is_none());
            whole.then_some((path, data))
        })
        .collect()
}

/// `testdata/fixtures/NAME.mkv`, made by testdata/gen-fixtures.sh and committed: a missing one is a
/// broken checkout, never a skip.
pub fn fixture(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/fixtures")
        .join(format!("{name}.mkv"));
    assert!(
        path.is_file(),
        "{} is missing: run testdata/gen-fixtures.sh",
        path.display()
    );
    path
}

/// The bundled real GetMedia response (testdata/sample/README.md).
pub fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/sample/kinesis_video_renderer_example_output.mkv")
}

/// TrackNumber of each TrackEntry of the file's first Tracks, in order, as `mkvinfo` lists them
/// (ffmpeg numbers its streams in the same order). `None` (skip) when mkvinfo is missing.
pub fn mkvinfo_track_numbers(path: &Path) -> Option<Vec<u64>> {
    let mut mkvinfo = tool("mkvinfo")?;
    mkvinfo.arg(path);
    let text = run(mkvinfo);
    let mut numbers = Vec::new();
    for line in text.lines() {
        if line
            .trim_start_matches(['|', ' ', '+'])
            .starts_with("Cluster")
        {
            break;
        }
        // "|  + Track number: 1 (track ID for mkvmerge & mkvextract: 0)"
        if let Some((_, rest)) = line.split_once("+ Track number: ") {
            let number = rest.split_whitespace().next().unwrap().parse().unwrap();
            if !numbers.contains(&number) {
                numbers.push(number);
            }
        }
    }
    Some(numbers)
}

/// A command for an external tool, or `None` (skip) outside CI when it is not installed.
pub fn tool(name: &str) -> Option<Command> {
    if installed(name) {
        return Some(Command::new(name));
    }
    assert!(
        !under_ci(),
        "CI=true but {name} is not installed (scripts/test.sh installs it)"
    );
    eprintln!("SKIP: {name} is not installed");
    None
}

/// Whether the tool `name` runs, found out once per name and test binary (running ffmpeg or ffprobe
/// costs about 0.1 s, and the tests ask before each of their thousands of runs).
fn installed(name: &str) -> bool {
    static FOUND: Mutex<BTreeMap<String, bool>> = Mutex::new(BTreeMap::new());
    let mut found = FOUND.lock().unwrap_or_else(PoisonError::into_inner);
    *found.entry(name.to_owned()).or_insert_with(|| {
        Command::new(name).arg("-version").output().is_ok()
            || Command::new(name).arg("--version").output().is_ok()
    })
}

/// Runs a command and returns stdout; panics with stderr when it fails.
pub fn run(mut command: Command) -> String {
    let output = command.output().expect("spawn");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// Reads a file into `Bytes`.
pub fn load(path: &Path) -> bytes::Bytes {
    bytes::Bytes::from(std::fs::read(path).expect("readable file"))
}

/// Hex MD5 of bytes, computed by the `md5` crate (not ours).
pub fn md5_hex(data: &[u8]) -> String {
    format!("{:x}", md5::compute(data))
}

/// Every CodecPrivate element (ID `63 A2`) whose payload starts with `prefix`: (element offset,
/// size-vint width, payload offset). Found by scanning bytes, not by our reader.
pub fn codec_privates(data: &[u8], prefix: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut found = Vec::new();
    for at in 0..data.len().saturating_sub(3) {
        if data[at] != 0x63 || data[at + 1] != 0xA2 {
            continue;
        }
        let first = data[at + 2];
        let width = first.leading_zeros() as usize + 1;
        if width > 8 {
            continue;
        }
        let payload = at + 2 + width;
        if data[payload..].starts_with(prefix) {
            found.push((at, width, payload));
        }
    }
    found
}

/// Turns the CodecPrivate element at `at` (1-byte size, as ffmpeg writes short ones) into a Void
/// (ID EC) of the same length: the 2-byte ID `63 A2` + size `8S` become `EC` + the 2-byte size `40 S`
/// (RFC 8794 VINT), so no other offset moves and the track has no CodecPrivate.
pub fn remove_codec_private(data: &mut [u8], at: usize) {
    assert_eq!(data[at + 2] & 0x80, 0x80, "a 1-byte size");
    let size = data[at + 2] & 0x7F;
    data[at..at + 3].copy_from_slice(&[0xEC, 0x40, size]);
    void_tracks_crc(data, at);
}

/// The CRC-32 (ID BF, 4-byte payload) that ffmpeg writes first in each Tracks (ID 16 54 AE 6B) before
/// `at` becomes a Void (ID EC) of the same size: its checksum no longer holds once a CodecPrivate in
/// that Tracks is patched, and CRC-32 elements are optional (RFC 9559 §6.2).
pub fn void_tracks_crc(data: &mut [u8], at: usize) {
    let tracks = (0..at)
        .rev()
        .find(|&i| data[i..].starts_with(&[0x16, 0x54, 0xAE, 0x6B]))
        .expect("Tracks before the CodecPrivate");
    let width = data[tracks + 4].leading_zeros() as usize + 1;
    let child = tracks + 4 + width;
    assert_eq!(
        &data[child..child + 2],
        &[0xBF, 0x84],
        "CRC-32 first in Tracks"
    );
    data[child] = 0xEC;
}

/// Name/String pairs of every SimpleTag, in file order, and the number of blocks per track, as
/// `mkvinfo -v` prints them for one Matroska document (it reads the whole chunk, including the Tags
/// after the Cluster, which `mkvextract tags` skips). `None` (skip) when mkvinfo is missing.
pub fn mkvinfo_chunk(chunk: &[u8]) -> Option<MkvinfoChunk> {
    // A file of its own: tests of several modules call this at once.
    let input = tempfile::Builder::new()
        .prefix("kvs-mkvinfo-")
        .suffix(".mkv")
        .tempfile()
        .unwrap();
    std::fs::write(input.path(), chunk).unwrap();
    let mut mkvinfo = tool("mkvinfo")?;
    mkvinfo.arg("-v").arg(input.path());
    let text = run(mkvinfo);
    let lines: Vec<&str> = text.lines().collect();
    let mut tags = Vec::new();
    for pair in lines.windows(2) {
        let field = |line: &str, tag: &str| {
            line.split_once(&format!("+ {tag}: "))
                .map(|(_, v)| v.to_owned())
        };
        if let (Some(name), Some(value)) = (field(pair[0], "Name"), field(pair[1], "String")) {
            tags.push((name, value));
        }
    }
    let mut frames = std::collections::BTreeMap::new();
    let mut block_ns = Vec::new();
    for line in &lines {
        // "... 1 frame(s), timestamp 00:00:00.022000000 at 59060"
        if line.contains("block: ")
            && let Some((_, time)) = line.split_once(", timestamp ")
        {
            block_ns.extend(mkvinfo_time_ns(time.split(' ').next().unwrap_or("")));
        }
        // "| + Simple block: key, track number 1, 1 frame(s), timestamp ..."
        if let Some((_, rest)) = line.split_once("block: ")
            && let Some((_, number)) = rest.split_once("track number ")
        {
            let track: u64 = number.split(',').next().unwrap().trim().parse().unwrap();
            let laced: usize = rest
                .split(", ")
                .find_map(|part| part.strip_suffix(" frame(s)"))
                .map_or(1, |n| n.parse().unwrap());
            *frames.entry(track).or_insert(0) += laced;
        }
    }
    // "| + Cluster timestamp: 720:00:02.200000000" (hours may pass 24).
    let cluster_ns = lines.iter().find_map(|line| {
        let (_, time) = line.split_once("Cluster timestamp: ")?;
        mkvinfo_time_ns(time)
    });
    Some(MkvinfoChunk {
        tags,
        frames,
        cluster_ns,
        block_ns,
    })
}

/// `H:MM:SS.nnnnnnnnn` as mkvinfo prints times (hours may pass 24), in ns.
fn mkvinfo_time_ns(time: &str) -> Option<i128> {
    let mut parts = time.trim().split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    let (s, ns) = s.split_once('.')?;
    let whole: i128 =
        h.parse::<i128>().ok()? * 3600 + m.parse::<i128>().ok()? * 60 + s.parse::<i128>().ok()?;
    Some(whole * 1_000_000_000 + ns.parse::<i128>().ok()?)
}

/// What `mkvinfo -v` reads from one fragment chunk.
#[derive(Debug, Clone)]
pub struct MkvinfoChunk {
    /// SimpleTag Name/String pairs in file order.
    pub tags: Vec<(String, String)>,
    /// Frames per track number.
    pub frames: std::collections::BTreeMap<u64, usize>,
    /// The first Cluster's timestamp in ns.
    pub cluster_ns: Option<i128>,
    /// Every block's timestamp in ns (a laced block once), in file order.
    pub block_ns: Vec<i128>,
}

impl MkvinfoChunk {
    /// The value of the SimpleTag `name`.
    pub fn tag(&self, name: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The chunks of a GetMedia-shaped file (each its own Matroska document), split where each EBML
/// header's magic starts — by scanning bytes, not by our reader.
pub fn ebml_documents(data: &[u8]) -> Vec<&[u8]> {
    let starts: Vec<usize> = data
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == [0x1A, 0x45, 0xDF, 0xA3])
        .map(|(i, _)| i)
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(i, &start)| &data[start..starts.get(i + 1).copied().unwrap_or(data.len())])
        .collect()
}

/// The Python interpreter with botocore: `KVS_SDK_PYTHON`, or the venv scripts/test.sh makes;
/// `None` (skip) outside CI when there is none.
pub fn sdk_python() -> Option<PathBuf> {
    let python = std::env::var_os("KVS_SDK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/sdk-venv/bin/python")
        });
    let ok = Command::new(&python)
        .args(["-c", "import botocore"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    assert!(
        !under_ci(),
        "CI=true but {} has no botocore (scripts/test.sh makes target/sdk-venv)",
        python.display()
    );
    eprintln!("SKIP: no Python with botocore at {}", python.display());
    None
}

/// Whether `input` has a stream of kind `v` or `a` (ffprobe).
pub fn has_stream(input: &Path, kind: &str) -> bool {
    let mut ffprobe = tool("ffprobe").unwrap();
    ffprobe
        .args(["-v", "error", "-select_streams", kind])
        .args(["-show_entries", "stream=index", "-of", "csv=p=0"])
        .arg(input);
    !run(ffprobe).trim().is_empty()
}

/// MD5s of the decoded frames of the first video and the first audio stream, in output order
/// (empty for a kind the input does not have): one ffmpeg run for both.
pub fn decoded(input: &Path) -> Decoded {
    decoded_and_errors(input).0
}

/// [`decoded`], and what ffmpeg printed at level `error` while decoding (empty for a clean input).
pub fn decoded_and_errors(input: &Path) -> (Decoded, String) {
    let mut ffmpeg = tool("ffmpeg").unwrap();
    ffmpeg
        .args(["-v", "error", "-i"])
        .arg(input)
        // Optional maps: a kind the input lacks is left out (and a test that wants it sees no frames).
        .args([
            "-map",
            "0:v:0?",
            "-map",
            "0:a:0?",
            "-fps_mode",
            "passthrough",
        ])
        // Frames keep their own size where the resolution changes (cpd-change), instead of being
        // scaled to the first frame's.
        .args(["-autoscale", "0"])
        .args(["-f", "framemd5", "-"]);
    let run = ffmpeg.output().expect("spawn");
    let errors = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{ffmpeg:?} failed: {errors}");
    let output = String::from_utf8(run.stdout).expect("utf-8 output");
    // The output stream index of each kind, from the `#media_type N: video` lines.
    let mut kinds = BTreeMap::new();
    let mut decoded = Decoded::default();
    for line in output.lines() {
        if let Some(media_type) = line.strip_prefix("#media_type ") {
            let (index, kind) = media_type.split_once(": ").unwrap();
            kinds.insert(index, kind);
        } else if !line.starts_with('#') {
            let index = line.split(',').next().unwrap().trim();
            let md5 = line.rsplit(',').next().unwrap().trim().to_owned();
            match kinds.get(index) {
                Some(&"video") => decoded.video.push(md5),
                Some(&"audio") => decoded.audio.push(md5),
                other => panic!("frame of stream {index} ({other:?}) in {}", input.display()),
            }
        }
    }
    (decoded, errors)
}

/// The frames [`decoded`] gives: an MD5 per decoded frame, per kind.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// The first video stream's frames.
    pub video: Vec<String>,
    /// The first audio stream's frames.
    pub audio: Vec<String>,
}

/// Size and MD5 of each packet of the first stream of kind `v`/`a`, copied (not decoded), in order.
pub fn copied(input: &Path, kind: &str) -> Vec<(usize, String)> {
    if !has_stream(input, kind) {
        return Vec::new();
    }
    let mut ffmpeg = tool("ffmpeg").unwrap();
    ffmpeg.args(["-v", "error", "-i"]).arg(input).args([
        "-map",
        &format!("0:{kind}:0"),
        "-c",
        "copy",
        "-f",
        "framemd5",
        "-",
    ]);
    run(ffmpeg)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let fields: Vec<&str> = l.split(',').map(str::trim).collect();
            (fields[4].parse().unwrap(), fields[5].to_owned())
        })
        .collect()
}

/// GStreamer's `playbin` plays `manifest` (an HLS playlist or MPD file) to end-of-stream, sinks
/// unsynchronised: the error lines it printed, empty when it reached EOS cleanly. `None` (skip)
/// outside CI when GStreamer is missing.
pub fn gstreamer_errors(manifest: &Path) -> Option<String> {
    let mut gst = tool("gst-launch-1.0")?;
    let uri = format!("uri=file://{}", manifest.canonicalize().unwrap().display());
    gst.args(["playbin", &uri]).args([
        "video-sink=fakesink sync=false",
        "audio-sink=fakesink sync=false",
    ]);
    let output = gst.output().expect("spawn gst-launch-1.0");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut errors: Vec<&str> = text.lines().filter(|l| l.contains("ERROR")).collect();
    if !output.status.success() || !text.contains("Got EOS") {
        errors.push("no clean EOS");
    }
    Some(errors.join("\n"))
}

/// The named fixtures, then every whole real capture (the bundled sample among them) whose first
/// media fragment's tracks `packaging` packages (spec §5.1), each with a label.
pub fn packaged_sources(
    fixtures: &[&str],
    packaging: kvs_remux::low_level::timeline::Packaging,
) -> Vec<(String, PathBuf)> {
    let mut sources: Vec<(String, PathBuf)> = fixtures
        .iter()
        .map(|name| (name.to_string(), fixture(name)))
        .collect();
    for (path, _) in whole_kvs_captures() {
        let archive = kvs_remux::Archive::open(&path).unwrap();
        let media = archive.index().media();
        let Some(first) = media.first().and_then(|&p| archive.index().get(p)) else {
            continue;
        };
        if kvs_remux::low_level::timeline::packaged_tracks(&first.tracks, packaging).is_ok() {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            sources.push((format!("real-{name}"), path));
        }
    }
    sources
}
