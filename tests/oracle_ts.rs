//! MPEG-TS output (issue 6) against oracles we did not write: ffmpeg/ffprobe, GStreamer's `tsdemux`
//! and the `mpeg2ts` crate.
//!
//! Inputs: the real files of ../shared/testdata/real that export to TS (H.264 ± AAC) and the
//! fixtures of testdata/gen-fixtures.sh. For each:
//! - decoded frames (ffmpeg `-f framemd5` of video and audio) of the concatenated chunks equal the
//!   source's; where the source is KVS-shaped (one Matroska segment per fragment), each chunk alone
//!   decodes to the frames of its source fragment decoded alone (that is how the CPD change is
//!   checked: ffmpeg cannot decode the whole source across the change);
//! - the video payload equals ffmpeg's `-c copy -bsf:v h264_mp4toannexb` of the source, NAL unit for
//!   NAL unit, once access unit delimiters and SPS/PPS are set aside (where those go is checked on
//!   its own: an AUD first in every PES, SPS and PPS before every IDR); the audio payload equals
//!   ffmpeg's `-c copy -f adts` of the source byte for byte;
//! - `ffmpeg -v error` and `ffprobe -v error` print nothing; `tsdemux` parses it;
//! - the `mpeg2ts` crate reads every packet: PAT first, PMT stream types, continuity counters (from 0
//!   in every chunk, continuous across chunks), PCR at most 40 ms apart and never behind, DTS ≤ PTS,
//!   DTS non-decreasing, PCR ≤ DTS at every PES start.

use crate::support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use bytes::Bytes;
use kvs_remux::api::ts::{TsChunk, TsOptions, export, get_ts_fragment};
use kvs_remux::low_level::mkv::{Fragment, Reader};
use kvs_remux::{ApiError, Archive};
use mpeg2ts::ts::{ReadTsPacket, TsPacketReader, TsPayload};

/// 40 ms in 27 MHz PCR units.
const PCR_40_MS: u64 = 27_000 * 40;
/// The 27 MHz PCR wraps at 2^33 · 300.
const PCR_MODULUS: u64 = (1 << 33) * 300;
const CLOCK_MODULUS: u64 = 1 << 33;

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("kvs-remux-oracle-ts-{}", std::process::id()))
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read(path: &Path) -> Vec<Fragment> {
    Reader::new(support::load(path))
        .map(|f| f.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// The archive at `path`, which must read without damage.
fn archive(path: &Path) -> Archive {
    let archive = Archive::from_bytes(support::load(path)).unwrap();
    assert!(archive.damage().is_empty(), "{}", path.display());
    archive
}

/// The TS export: the chunks made before the first error, and that error.
fn export_all(archive: &Archive, options: &TsOptions) -> (Vec<TsChunk>, Option<ApiError>) {
    let mut chunks = Vec::new();
    for chunk in export(archive, options) {
        match chunk {
            Ok(chunk) => chunks.push(chunk),
            Err(error) => return (chunks, Some(error)),
        }
    }
    (chunks, None)
}

/// The decoded frames of `input` ([`support::decoded`]), after checking that `ffmpeg -v error`
/// (that full decode) and `ffprobe -v error` (streams and packets) print nothing about it.
fn decoded_without_complaints(input: &Path, label: &str) -> support::Decoded {
    let (decoded, mut complaints) = support::decoded_and_errors(input);
    let mut ffprobe = support::tool("ffprobe").unwrap();
    ffprobe
        .args(["-v", "error", "-show_streams", "-show_packets"])
        .arg(input);
    complaints += &String::from_utf8_lossy(&ffprobe.output().unwrap().stderr);
    assert_eq!(complaints, "", "{label}");
    decoded
}

/// GStreamer's tsdemux reads the file without an error (stderr empty, exit 0).
fn gst_parses(input: &Path) {
    let Some(mut gst) = support::tool("gst-launch-1.0") else {
        return;
    };
    static HAS_TSDEMUX: OnceLock<bool> = OnceLock::new();
    let has_tsdemux = HAS_TSDEMUX.get_or_init(|| {
        Command::new("gst-inspect-1.0")
            .arg("tsdemux")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !has_tsdemux {
        assert!(
            !support::under_ci(),
            "CI=true but GStreamer's tsdemux is missing (gstreamer1.0-plugins-bad)"
        );
        eprintln!("SKIP: GStreamer's tsdemux is missing (gstreamer1.0-plugins-bad)");
        return;
    }
    gst.args(["-q", "filesrc"])
        .arg(format!("location={}", input.display()))
        .args(["!", "tsdemux", "!", "fakesink"]);
    let output = gst.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.trim().is_empty(),
        "tsdemux on {}: {stderr}",
        input.display()
    );
}

/// ffmpeg's bitstream copy of the source: `-c copy` with `extra` output options.
fn ffmpeg_copy(input: &Path, map: &str, extra: &[&str]) -> Vec<u8> {
    let mut ffmpeg = support::tool("ffmpeg").unwrap();
    ffmpeg
        .args(["-v", "error", "-i"])
        .arg(input)
        .args(["-map", map, "-c", "copy"])
        .args(extra)
        .arg("-");
    let output = ffmpeg.output().unwrap();
    assert!(output.status.success(), "{ffmpeg:?}");
    output.stdout
}

/// NAL units of an Annex-B stream (start codes and trailing zero bytes removed).
fn annex_b_nal_units(stream: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= stream.len() {
        if stream[i..i + 3] == [0, 0, 1] {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut units = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).map_or(stream.len(), |&next| next - 3);
        let mut unit = &stream[start..end];
        while let [rest @ .., 0] = unit {
            unit = rest;
        }
        units.push(unit);
    }
    units
}

/// What the `mpeg2ts` crate reads from a TS: PES payloads per PID, stream types, and the checks.
#[derive(Default)]
struct Demuxed {
    /// (stream_type, PES payloads) per elementary PID.
    streams: HashMap<u16, (u8, Vec<Vec<u8>>)>,
    /// Payload packets per PID.
    payload_packets: HashMap<u16, usize>,
}

/// Signed difference `a − b` of two values on a wrapping clock.
fn wrapped_diff(a: u64, b: u64, modulus: u64) -> i64 {
    let d = (a + modulus - b) % modulus;
    if d > modulus / 2 {
        d as i64 - modulus as i64
    } else {
        d as i64
    }
}

/// Reads `data` with the `mpeg2ts` crate and checks PSI, counters, PCR and timestamps.
/// `max_pcr_step` is the largest allowed PCR spacing (27 MHz); `None` where the media itself jumps
/// (a gap, or a new encoder whose first decode times overlap the previous fragment): then PCR and
/// DTS order are left to the per-chunk checks. With `ends_on_15`, every PID must end
/// on counter 15 so that a following chunk's 0 continues it.
fn demux_and_check(
    data: &[u8],
    label: &str,
    max_pcr_step: Option<u64>,
    ends_on_15: bool,
) -> Demuxed {
    assert_eq!(data.len() % 188, 0, "{label}: not whole packets");
    let mut reader = TsPacketReader::new(data);
    let mut out = Demuxed::default();
    let mut counters: HashMap<u16, u8> = HashMap::new();
    let mut pcr_pid = None;
    let mut last_pcr: Option<u64> = None;
    let mut last_dts: HashMap<u16, u64> = HashMap::new();
    let mut first = true;
    while let Some(packet) = reader
        .read_ts_packet()
        .unwrap_or_else(|e| panic!("{label}: mpeg2ts: {e}"))
    {
        let pid = packet.header.pid.as_u16();
        if first {
            assert!(
                matches!(packet.payload, Some(TsPayload::Pat(_))),
                "{label}: PAT first"
            );
            first = false;
        }
        let cc = packet.header.continuity_counter.as_u8();
        let has_payload = packet.payload.is_some();
        match counters.get(&pid) {
            Some(&last) => {
                let expected = if has_payload { (last + 1) & 0x0F } else { last };
                assert_eq!(cc, expected, "{label}: continuity counter of pid {pid:#x}");
            }
            None => {
                // Every chunk starts each PID at 0 (adaptation-only packets repeat "15").
                let expected = if has_payload { 0 } else { 15 };
                assert_eq!(cc, expected, "{label}: first counter of pid {pid:#x}");
            }
        }
        counters.insert(pid, cc);
        if has_payload {
            *out.payload_packets.entry(pid).or_default() += 1;
        }
        let mut pes_pcr = None;
        if let Some(pcr) = packet.adaptation_field.as_ref().and_then(|a| a.pcr) {
            assert_eq!(Some(pid), pcr_pid, "{label}: PCR on the PMT's PCR PID");
            let pcr = pcr.as_u64();
            if let (Some(last), Some(max_pcr_step)) = (last_pcr, max_pcr_step) {
                let step = wrapped_diff(pcr, last, PCR_MODULUS);
                assert!(step >= 0, "{label}: PCR goes back by {step}");
                assert!(
                    step as u64 <= max_pcr_step,
                    "{label}: PCR step {} ms",
                    step as f64 / 27_000.0
                );
            }
            last_pcr = Some(pcr);
            pes_pcr = Some(pcr);
        }
        match packet.payload {
            Some(TsPayload::Pmt(pmt)) => {
                pcr_pid = pmt.pcr_pid.map(|p| p.as_u16());
                for es in &pmt.es_info {
                    let stream_type = es.stream_type as u8;
                    assert!(
                        [0x1B, 0x0F, 0x24].contains(&stream_type),
                        "{label}: stream type {stream_type:#x}"
                    );
                    out.streams
                        .entry(es.elementary_pid.as_u16())
                        .or_insert((stream_type, Vec::new()));
                }
            }
            Some(TsPayload::PesStart(pes)) => {
                let pts = pes.header.pts.expect("every PES has a PTS").as_u64();
                let dts = pes.header.dts.map_or(pts, |d| d.as_u64());
                assert!(
                    pes.header.dts.is_none() || pes.header.dts != pes.header.pts,
                    "{label}: DTS written equal to PTS"
                );
                assert!(
                    wrapped_diff(pts, dts, CLOCK_MODULUS) >= 0,
                    "{label}: DTS after PTS"
                );
                if let (Some(&previous), Some(_)) = (last_dts.get(&pid), max_pcr_step) {
                    assert!(
                        wrapped_diff(dts, previous, CLOCK_MODULUS) >= 0,
                        "{label}: DTS goes back on pid {pid:#x}"
                    );
                }
                last_dts.insert(pid, dts);
                if let Some(pcr) = pes_pcr.or(last_pcr) {
                    assert!(
                        wrapped_diff(dts, pcr / 300, CLOCK_MODULUS) >= 0,
                        "{label}: PCR ahead of DTS"
                    );
                }
                let (_, payloads) = out
                    .streams
                    .get_mut(&pid)
                    .unwrap_or_else(|| panic!("{label}: PES on pid {pid:#x} before its PMT"));
                payloads.push(pes.data.to_vec());
            }
            Some(TsPayload::PesContinuation(bytes)) => {
                let (_, payloads) = out.streams.get_mut(&pid).unwrap();
                payloads.last_mut().unwrap().extend_from_slice(&bytes);
            }
            _ => {}
        }
    }
    if ends_on_15 {
        for (pid, count) in &out.payload_packets {
            assert_eq!(
                count % 16,
                0,
                "{label}: pid {pid:#x} does not end on counter 15"
            );
        }
    }
    out
}

/// One input exported to TS, with the source fragment pieces when the source is KVS-shaped.
struct Case {
    name: String,
    source: PathBuf,
    chunks: Vec<TsChunk>,
    /// The source bytes of each chunk's fragment, when each is a Matroska file of its own.
    pieces: Option<Vec<Bytes>>,
    /// Whether the media jumps between fragments (a gap, a new encoder).
    jumps: bool,
}

fn case(name: &str, source: PathBuf, jumps: bool) -> Option<Case> {
    // Damage at the end of a real file leaves its complete fragments, as ffmpeg reads them.
    let archive = Archive::from_bytes(support::load(&source)).unwrap();
    let (chunks, error) = export_all(&archive, &TsOptions::default());
    if let Some(error) = error {
        eprintln!("{name}: not a TS case: {error}");
        return None;
    }
    if chunks.is_empty() {
        return None;
    }
    let input = support::load(&source);
    let pieces: Option<Vec<Bytes>> = chunks
        .iter()
        .map(|c| {
            let f = archive
                .index()
                .fragments()
                .iter()
                .find(|f| f.number == c.fragment_number && !f.synthetic)?;
            let piece = input.slice(f.offset as usize..(f.offset + f.size) as usize);
            piece
                .starts_with(&[0x1A, 0x45, 0xDF, 0xA3])
                .then_some(piece)
        })
        .collect();
    Some(Case {
        name: name.to_owned(),
        source,
        chunks,
        pieces,
        jumps,
    })
}

fn check_case(case: &Case) {
    let dir = scratch_dir(&case.name);
    let name = &case.name;
    let mut concatenation = Vec::new();
    let mut video_of_pieces = Vec::new();
    for (index, chunk) in case.chunks.iter().enumerate() {
        let label = format!("{name} chunk {}", chunk.fragment_number);
        concatenation.extend_from_slice(&chunk.data);
        // The writer cannot pad a PID whose PES packets are all tiny (the 1-frame last fragment of
        // aac-only); nothing follows the last chunk, and the concatenation checks every join.
        let last = index + 1 == case.chunks.len();
        demux_and_check(&chunk.data, &label, Some(PCR_40_MS), !last);
        let file = dir.join(format!("{}.ts", chunk.fragment_number));
        std::fs::write(&file, &chunk.data).unwrap();
        gst_parses(&file);
        if let Some(pieces) = &case.pieces {
            // A chunk holds its fragment's media and nothing that grows with the time to the next
            // fragment (issue 10): TS overhead, 16 PAT/PMT pairs, at most 1 s of PCR packets.
            let bound = 2 * pieces[index].len() + 64 * 1024;
            assert!(
                chunk.data.len() <= bound,
                "{label}: {} bytes for a {}-byte fragment",
                chunk.data.len(),
                pieces[index].len()
            );
            // A KVS fragment starts with a key frame: the chunk alone decodes cleanly, to the same
            // frames as its source fragment alone.
            let piece = dir.join(format!("{index}.mkv"));
            std::fs::write(&piece, &pieces[index]).unwrap();
            let expected = support::decoded(&piece);
            let ours = decoded_without_complaints(&file, &label);
            assert_eq!(ours, expected, "{label}: decoded frames");
            // Video decoding restarts at every IDR, so the fragments' frames add up to the
            // whole stream's (and across a CPD change ffmpeg can only decode them this way);
            // AAC decoding carries state from frame to frame, so whole audio is compared whole.
            video_of_pieces.extend(expected.video);
        }
    }
    let all = dir.join("all.ts");
    std::fs::write(&all, &concatenation).unwrap();
    let max_step = (!case.jumps).then_some(PCR_40_MS);
    let demuxed = demux_and_check(
        &concatenation,
        &format!("{name} concatenated"),
        max_step,
        false,
    );
    gst_parses(&all);
    let ours = decoded_without_complaints(&all, &format!("{name} concatenated"));
    let mut expected = support::decoded(&case.source);
    if case.pieces.is_some() {
        expected.video = video_of_pieces;
    }
    let mut frames = Vec::new();
    for (kind, ours, expected) in [
        ("video", ours.video, expected.video),
        ("audio", ours.audio, expected.audio),
    ] {
        assert_eq!(ours.len(), expected.len(), "{name}: {kind} frame count");
        assert_eq!(ours, expected, "{name}: decoded {kind} frames");
        frames.push(format!("{} {kind}", ours.len()));
    }
    check_payloads(case, &demuxed);
    eprintln!(
        "{name}: {} chunks, {} bytes, {} frames checked",
        case.chunks.len(),
        concatenation.len(),
        frames.join(" and ")
    );
}

/// Video NAL units and ADTS frames against ffmpeg's copies of the source.
fn check_payloads(case: &Case, demuxed: &Demuxed) {
    let name = &case.name;
    for (stream_type, payloads) in demuxed.streams.values() {
        match stream_type {
            0x1B => {
                let mut ours: Vec<&[u8]> = Vec::new();
                for pes in payloads {
                    let units = annex_b_nal_units(pes);
                    assert_eq!(
                        units.first().map(|u| u[0] & 0x1F),
                        Some(9),
                        "{name}: AUD first"
                    );
                    let types: Vec<u8> = units.iter().map(|u| u[0] & 0x1F).collect();
                    if let Some(idr) = types.iter().position(|&t| t == 5) {
                        assert!(types[..idr].contains(&7), "{name}: SPS before IDR");
                        assert!(types[..idr].contains(&8), "{name}: PPS before IDR");
                    }
                    ours.extend(
                        units
                            .into_iter()
                            .filter(|u| ![7, 8, 9].contains(&(u[0] & 0x1F))),
                    );
                }
                let source = ffmpeg_copy(
                    &case.source,
                    "0:v:0",
                    &["-bsf:v", "h264_mp4toannexb", "-f", "h264"],
                );
                let expected: Vec<&[u8]> = annex_b_nal_units(&source)
                    .into_iter()
                    .filter(|u| ![7, 8, 9].contains(&(u[0] & 0x1F)))
                    .collect();
                assert_eq!(ours.len(), expected.len(), "{name}: NAL unit count");
                assert!(ours == expected, "{name}: NAL units differ");
            }
            0x0F => {
                let ours: Vec<u8> = payloads.concat();
                let expected = ffmpeg_copy(&case.source, "0:a:0", &["-f", "adts"]);
                assert_eq!(ours.len(), expected.len(), "{name}: ADTS length");
                assert!(ours == expected, "{name}: ADTS bytes differ from ffmpeg's");
            }
            other => panic!("{name}: stream type {other:#x}"),
        }
    }
}

#[test]
fn real_h264_files_round_trip() {
    if support::tool("ffmpeg").is_none() || support::tool("ffprobe").is_none() {
        return;
    }
    let mut checked = Vec::new();
    for path in support::real_mkv_files() {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let archive = match Archive::from_bytes(support::load(&path)) {
            Ok(archive) if archive.damage().is_empty() => archive,
            Ok(archive) => {
                let error = &archive.damage()[0].error;
                eprintln!("{name}: not an oracle case (damaged: {error}; ffmpeg reads past it)");
                continue;
            }
            Err(error) => {
                eprintln!("{name}: not an oracle case ({error})");
                continue;
            }
        };
        let h264_first = archive
            .index()
            .fragments()
            .iter()
            .find_map(|f| f.tracks.get(1))
            .is_some_and(|t| t.codec_id.trim_end_matches('\0') == "V_MPEG4/ISO/AVC");
        if !h264_first {
            eprintln!("{name}: not an oracle case (track 1 is not H.264)");
            continue;
        }
        let Some(case) = case(&name, path.clone(), false) else {
            continue;
        };
        check_case(&case);
        checked.push(name);
    }
    if support::real_dir().is_none() {
        return;
    }
    for must in [
        "output_get_media",
        "kinesis_video_renderer_example_output",
        "vogels_480",
        "test-stream-1_0",
    ] {
        assert!(
            checked.iter().any(|c| c == must),
            "{must} not checked: {checked:?}"
        );
    }
}

#[test]
fn fixtures_round_trip() {
    if support::tool("ffmpeg").is_none() || support::tool("ffprobe").is_none() {
        return;
    }
    // cpd-change joins two encodes: the second's first decode times (B-frames) overlap the first's.
    for (name, jumps) in [
        ("h264-high-aac", false),
        ("h264-baseline", false),
        ("aac-only", false),
        ("cpd-change", true),
        ("gap", true),
        ("gap-1h", true),
        ("gap-20h", true),
        ("gap-30d", true),
        ("timecode-reset", false),
    ] {
        let path = support::fixture(name);
        let case = case(name, path, jumps).expect("fixture exports");
        check_case(&case);
    }
}

#[test]
fn get_ts_fragment_equals_the_export() {
    let path = support::fixture("h264-high-aac");
    let archive = archive(&path);
    let media = archive.index().media();
    let (chunks, error) = export_all(&archive, &TsOptions::default());
    assert!(error.is_none());
    assert_eq!(chunks.len(), media.len());
    for (index, chunk) in chunks.iter().enumerate() {
        let single = get_ts_fragment(&archive, &media, index, &TsOptions::default()).unwrap();
        assert!(single == chunk.data, "chunk {index}");
    }
    let past = get_ts_fragment(&archive, &media, media.len(), &TsOptions::default()).unwrap_err();
    assert_eq!(past.code(), "ResourceNotFoundException");
}

#[test]
fn refused_combinations_name_the_service_exception() {
    for (name, code) in [
        ("h265-main-aac", "UnsupportedStreamMediaTypeException"),
        ("h264-alaw", "UnsupportedStreamMediaTypeException"),
        ("h264-mulaw", "UnsupportedStreamMediaTypeException"),
    ] {
        let path = support::fixture(name);
        let (chunks, error) = export_all(&archive(&path), &TsOptions::default());
        assert!(chunks.is_empty(), "{name}");
        assert_eq!(error.expect(name).code(), code, "{name}");
    }
    // H.265 behind the option: written as stream type 0x24 and decoded to the source's frames.
    {
        let path = support::fixture("h265-main-aac");
        let (chunks, error) = export_all(&archive(&path), &TsOptions { allow_hevc: true });
        assert!(error.is_none(), "{error:?}");
        let all: Vec<u8> = chunks.iter().flat_map(|c| c.data.to_vec()).collect();
        let demuxed = demux_and_check(&all, "h265 concatenated", Some(PCR_40_MS), false);
        assert!(demuxed.streams.values().any(|(t, _)| *t == 0x24));
        if support::tool("ffmpeg").is_some() {
            let file = scratch_dir("hevc").join("all.ts");
            std::fs::write(&file, &all).unwrap();
            let ours = decoded_without_complaints(&file, "h265 concatenated");
            assert_eq!(ours, support::decoded(&path), "h265");
        }
    }
    // Missing codec private data: track 2's AudioSpecificConfig (AAC-LC 48 kHz stereo, `11 90`)
    // turned into a Void in every fragment.
    {
        let path = support::fixture("h264-high-aac");
        let mut bytes = support::load(&path).to_vec();
        let cpds = support::codec_privates(&bytes, &[0x11, 0x90]);
        assert_eq!(cpds.len(), 4, "one ASC per fragment");
        for &(at, _, _) in &cpds {
            support::remove_codec_private(&mut bytes, at);
        }
        let archive = Archive::from_bytes(Bytes::from(bytes)).unwrap();
        let (chunks, error) = export_all(&archive, &TsOptions::default());
        assert!(chunks.is_empty());
        let error = error.unwrap();
        assert_eq!(error.code(), "MissingCodecPrivateDataException");
        assert_eq!(
            error.message(),
            "Missing codec private data in fragment for track 2."
        );
    }
}

#[test]
fn cli_writes_one_file_per_fragment_and_warns_on_bad_input() {
    let path = support::fixture("h264-high-aac");
    let bin = env!("CARGO_BIN_EXE_kvs-remux");
    let out = scratch_dir("cli-good");
    let status = Command::new(bin)
        .arg("ts")
        .arg(&path)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let fragments = read(&path);
    let mut expected: Vec<String> = fragments
        .iter()
        .map(|f| format!("{}.ts", f.number))
        .collect();
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    expected.sort();
    written.sort();
    assert_eq!(written, expected);

    // Cut inside the last fragment: the complete ones are written, one warning line names the
    // damage, exit 0 (README: what a failure leaves behind).
    let input = support::load(&path);
    let last = fragments.last().unwrap();
    let cut = scratch_dir("cli-cut").join("cut.mkv");
    std::fs::write(&cut, &input[..(last.offset + last.size / 2) as usize]).unwrap();
    let out = scratch_dir("cli-cut-out").join("ts");
    let output = Command::new(bin)
        .arg("ts")
        .arg(&cut)
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let warning = stderr.strip_prefix("warning: ").expect("one warning line");
    let (name, _) = warning.split_once(": ").expect("ExceptionName: message");
    assert!(name.ends_with("Exception"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        fragments.len() - 1,
        "{stderr}"
    );
    // --strict: the damage is the error, and nothing is written.
    let strict = scratch_dir("cli-cut-strict").join("ts");
    let output = Command::new(bin)
        .arg("ts")
        .arg(&cut)
        .arg(&strict)
        .arg("--strict")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(!strict.exists());

    // A refused codec: the service's exception name, nothing written.
    {
        let alaw = support::fixture("h264-alaw");
        let out = scratch_dir("cli-alaw");
        let output = Command::new(bin)
            .arg("ts")
            .arg(&alaw)
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with("UnsupportedStreamMediaTypeException: "),
            "{stderr}"
        );
        assert_eq!(std::fs::read_dir(&out).map_or(0, |d| d.count()), 0);
    }
}
