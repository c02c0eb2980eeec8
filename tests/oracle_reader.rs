//! The reader against ffmpeg/ffprobe and mkvextract on every real MKV in ../shared/testdata/real.
//!
//! Per track, in order: frame count, size and MD5 of every frame equal ffmpeg's
//! `-map 0 -c copy -f framemd5`; pts and key flags equal ffprobe's `-show_packets` (the demuxer's
//! own timestamps, before any muxer fix-ups). KVS tag values equal what `mkvinfo -v` reads
//! from each fragment chunk.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;

use kvs_remux::low_level::mkv::{Fragment, Reader};
use serde_json::Value;

/// One packet as an oracle sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Packet {
    size: usize,
    md5: String,
}

/// What our reader gives: complete fragments, then the damaged fragment's complete frames.
struct Ours {
    fragments: Vec<Fragment>,
    /// Reading stopped at a CRC-32 mismatch, which ffmpeg does not check by default.
    stopped_at_crc: bool,
}

fn read_ours(path: &Path) -> Ours {
    let mut reader = Reader::new(support::load(path));
    let mut fragments = Vec::new();
    let mut stopped_at_crc = false;
    for next in reader.by_ref() {
        match next {
            Ok(fragment) => fragments.push(fragment),
            Err(error) => {
                stopped_at_crc = matches!(
                    error,
                    kvs_remux::low_level::mkv::Error::Ebml(
                        kvs_remux::low_level::ebml::Error::CrcMismatch { .. }
                    )
                );
            }
        }
    }
    fragments.extend(reader.partial());
    Ours {
        fragments,
        stopped_at_crc,
    }
}

/// Track numbers in ffmpeg's stream order (TrackEntry order; ascending numbers when no Tracks came first).
fn stream_order(ours: &Ours) -> Vec<u64> {
    if let Some(f) = ours.fragments.iter().find(|f| !f.tracks.entries.is_empty()) {
        return f.tracks.entries.iter().map(|t| t.number).collect();
    }
    let mut numbers: Vec<u64> = ours
        .fragments
        .iter()
        .flat_map(|f| f.frames.iter().map(|fr| fr.track))
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

fn framemd5(path: &Path) -> Option<BTreeMap<usize, Vec<Packet>>> {
    let mut ffmpeg = support::tool("ffmpeg")?;
    ffmpeg
        .args(["-v", "quiet", "-i"])
        .arg(path)
        .args(["-map", "0", "-c", "copy", "-f", "framemd5", "-"]);
    let output = ffmpeg.output().expect("spawn ffmpeg");
    let mut streams: BTreeMap<usize, Vec<Packet>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [stream, _dts, _pts, _duration, size, hash] = fields[..] else {
            panic!("framemd5 line {line}")
        };
        streams
            .entry(stream.parse().unwrap())
            .or_default()
            .push(Packet {
                size: size.parse().unwrap(),
                md5: hash.to_owned(),
            });
    }
    Some(streams)
}

/// (pts in stream ticks, keyframe) per stream from ffprobe, or `None` when ffprobe cannot read the file.
fn ffprobe_packets(path: &Path) -> Option<BTreeMap<usize, Vec<(i64, bool)>>> {
    let mut ffprobe = support::tool("ffprobe")?;
    ffprobe
        .args([
            "-v",
            "quiet",
            "-of",
            "json",
            "-show_entries",
            "packet=stream_index,pts,flags",
            "-show_packets",
        ])
        .arg(path);
    let output = ffprobe.output().expect("spawn ffprobe");
    let json: Value = serde_json::from_slice(&output.stdout).ok()?;
    let mut streams: BTreeMap<usize, Vec<(i64, bool)>> = BTreeMap::new();
    for packet in json["packets"].as_array()? {
        let stream = usize::try_from(packet["stream_index"].as_u64().unwrap()).unwrap();
        let pts = packet["pts"].as_i64().expect("mkv packets have pts");
        let key = packet["flags"].as_str().unwrap().starts_with('K');
        streams.entry(stream).or_default().push((pts, key));
    }
    Some(streams)
}

fn ffprobe_reads(path: &Path) -> bool {
    let Some(mut ffprobe) = support::tool("ffprobe") else {
        return false;
    };
    ffprobe.args(["-v", "quiet", "-show_streams"]).arg(path);
    ffprobe.output().is_ok_and(|o| o.status.success())
}

#[test]
fn frames_equal_ffmpeg_on_every_real_file() {
    let mut checked = 0;
    for path in support::real_mkv_files() {
        if !ffprobe_reads(&path) {
            eprintln!("ffprobe cannot read {}: not an oracle case", path.display());
            continue;
        }
        let (Some(hashes), Some(times)) = (framemd5(&path), ffprobe_packets(&path)) else {
            return;
        };
        let ours = read_ours(&path);
        let order = stream_order(&ours);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (stream, track) in order.iter().enumerate() {
            let frames: Vec<(&Fragment, &kvs_remux::low_level::mkv::Frame)> = ours
                .fragments
                .iter()
                .flat_map(|f| {
                    f.frames
                        .iter()
                        .filter(|fr| fr.track == *track)
                        .map(move |fr| (f, fr))
                })
                .collect();
            let mut theirs = hashes.get(&stream).cloned().unwrap_or_default();
            let mut their_times = times.get(&stream).cloned().unwrap_or_default();
            if ours.stopped_at_crc {
                // We stop at the stale CRC-32 (stale_crc32_in_merged_file_is_reported checks it with zlib);
                // everything before it must still match.
                theirs.truncate(frames.len());
                their_times.truncate(frames.len());
            }
            let mine: Vec<Packet> = frames
                .iter()
                .map(|(_, fr)| Packet {
                    size: fr.data.len(),
                    md5: support::md5_hex(&fr.data),
                })
                .collect();
            assert_eq!(
                mine.len(),
                theirs.len(),
                "{name} track {track}: frame count"
            );
            assert_eq!(mine, theirs, "{name} track {track}: sizes and MD5s");
            let my_times: Vec<(i64, bool)> = frames
                .iter()
                .map(|(f, fr)| {
                    (
                        (fr.pts.0 - f.timeline_shift.0)
                            / i64::try_from(f.timestamp_scale.get()).unwrap(),
                        fr.keyframe,
                    )
                })
                .collect();
            // ffmpeg marks every packet of intra-only codecs (audio, M-JPEG) as key whatever the
            // container says; compare key flags where the container's flag is what ffmpeg reports.
            let codec_id = ours
                .fragments
                .iter()
                .find_map(|f| f.tracks.get(*track))
                .map(|t| t.codec_id.clone());
            let inter_coded = codec_id.as_deref().is_some_and(|c| {
                c.starts_with("V_MPEG4/ISO/AVC") || c.starts_with("V_MPEGH") || c == "V_VP9"
            });
            let strip = |v: Vec<(i64, bool)>| -> Vec<(i64, bool)> {
                v.into_iter()
                    .map(|(pts, key)| (pts, key && inter_coded))
                    .collect()
            };
            let (mine, theirs) = (strip(my_times), strip(their_times));
            assert_eq!(
                mine.len(),
                theirs.len(),
                "{name} track {track}: packets in ffprobe"
            );
            for (i, (my, their)) in mine.iter().zip(&theirs).enumerate() {
                // Matroska stores one timestamp per block; a laced frame after the first has none
                // unless BlockDuration or DefaultDuration gives one. ffmpeg then derives it from the
                // codec bitstream (the Vorbis parser in simple.mkv), which a container reader cannot:
                // there we only require the same block time and ffmpeg's time to lie after it.
                let untimed_lace = i > 0 && frames[i].1.duration.is_none() && mine[i - 1].0 == my.0;
                if untimed_lace {
                    assert!(
                        their.0 >= my.0 && their.1 == my.1,
                        "{name} track {track} frame {i}: {my:?} vs {their:?}"
                    );
                } else {
                    assert_eq!(
                        my, their,
                        "{name} track {track} frame {i}: pts and key flag"
                    );
                }
            }
        }
        checked += 1;
    }
    if support::real_dir().is_some() {
        assert!(checked >= 13, "only {checked} real files were compared");
    }
}

/// The files whose reading ends in an error, and which error: each is checked independently below.
#[test]
fn damaged_real_files_give_typed_errors_after_complete_fragments() {
    let Some(dir) = support::real_dir() else {
        return;
    };
    let lib = dir.join("kvs-parser-library");
    for (file, complete) in [
        ("output-get-media-equal-timecode.mkv", 1),
        ("output-get-media-non-increasing-timecode.mkv", 11),
    ] {
        let mut reader = Reader::new(support::load(&lib.join(file)));
        let results: Vec<_> = reader.by_ref().collect();
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            complete,
            "{file}"
        );
        let error = results.last().unwrap().as_ref().unwrap_err();
        assert!(error.is_truncation(), "{file}: {error}");
        assert_eq!(
            error.offset(),
            std::fs::metadata(lib.join(file)).unwrap().len(),
            "{file}: cut at EOF"
        );
        assert!(
            !reader.partial().unwrap().frames.is_empty(),
            "{file}: frames before the cut are kept"
        );
    }
}

/// The merger rewrote Cluster timestamps but kept the Clusters' CRC-32: python's zlib agrees it is stale.
#[test]
fn stale_crc32_in_merged_file_is_reported() {
    let Some(dir) = support::real_dir() else {
        return;
    };
    let path = dir.join("kvs-parser-library/output_get_media_sparse_fragments_merged.mkv");
    let error = Reader::new(support::load(&path))
        .find_map(Result::err)
        .expect("a CRC error");
    let kvs_remux::low_level::mkv::Error::Ebml(kvs_remux::low_level::ebml::Error::CrcMismatch {
        offset,
        stored,
        ..
    }) = error
    else {
        panic!("expected a CRC-32 mismatch, got {error}")
    };
    let Some(mut python) = support::tool("python3") else {
        return;
    };
    // Independent check: read the Cluster's size and CRC child by hand, recompute with zlib.
    let script = format!(
        "import zlib\nd=open({path:?},'rb').read()\no={offset}\nassert d[o:o+4]==bytes.fromhex('1f43b675')\n\
         w=8-(d[o+4]).bit_length()+1\nsize=int.from_bytes(d[o+4:o+4+w],'big')&((1<<(7*w))-1)\n\
         s=o+4+w\nassert d[s]==0xbf and d[s+1]==0x84\nstored=int.from_bytes(d[s+2:s+6],'little')\n\
         print(stored, zlib.crc32(d[s+6:s+size]))\n",
        path = path.display().to_string()
    );
    python.args(["-c", &script]);
    let out = support::run(python);
    let [theirs_stored, theirs_computed] = out
        .split_whitespace()
        .map(|v| v.parse::<u32>().unwrap())
        .collect::<Vec<_>>()[..]
    else {
        panic!("{out}")
    };
    assert_eq!(theirs_stored, stored);
    assert_ne!(
        theirs_stored, theirs_computed,
        "zlib also finds the CRC stale"
    );
}

#[test]
fn kvs_tags_equal_mkvinfo() {
    let Some(dir) = support::real_dir() else {
        return;
    };
    let mut compared = 0;
    for file in [
        "output_get_media.mkv",
        "kinesis_video_renderer_example_output.mkv",
        "test_mixed_tags.mkv",
        "output_get_media_sparse_fragments.mkv",
    ] {
        let path = dir.join("kvs-parser-library").join(file);
        let input = support::load(&path);
        for fragment in Reader::new(input.clone()).map(Result::unwrap) {
            let start = usize::try_from(fragment.offset).unwrap();
            let chunk = &input[start..start + usize::try_from(fragment.size).unwrap()];
            let Some(theirs) = support::mkvinfo_chunk(chunk).map(|c| c.tags) else {
                return;
            };
            let get = |name: &str| {
                theirs
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            assert_eq!(
                get("AWS_KINESISVIDEO_FRAGMENT_NUMBER").as_deref(),
                Some(fragment.number.to_string().as_str()),
                "{file}"
            );
            assert_eq!(
                get("AWS_KINESISVIDEO_SERVER_TIMESTAMP"),
                fragment.server_timestamp.map(|t| t.to_string()),
                "{file}"
            );
            assert_eq!(
                get("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP"),
                fragment.producer_timestamp.map(|t| t.to_string()),
                "{file}"
            );
            assert_eq!(
                get("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW"),
                fragment.millis_behind_now.map(|t| t.to_string()),
                "{file}"
            );
            assert_eq!(
                get("AWS_KINESISVIDEO_CONTINUATION_TOKEN"),
                fragment.continuation_token,
                "{file}"
            );
            let others: Vec<(String, String)> = theirs
                .iter()
                .filter(|(n, _)| !n.starts_with("AWS_KINESISVIDEO_"))
                .cloned()
                .collect();
            let mine: Vec<(String, String)> = fragment
                .tags
                .iter()
                .filter_map(|t| Some((t.name.clone(), t.value.as_str()?.to_owned())))
                .collect();
            assert_eq!(mine, others, "{file}: other tags");
            compared += 1;
        }
    }
    assert_eq!(compared, 5 + 8 + 10 + 3);
}

/// The real files ffprobe cannot read, against what ../shared/testdata/real/README.md says they hold.
#[test]
fn files_ffprobe_cannot_read_match_their_description() {
    let Some(dir) = support::real_dir() else {
        return;
    };
    let read = |file: &str| {
        let mut reader = Reader::new(support::load(&dir.join(file)));
        let results: Vec<_> = reader.by_ref().collect();
        (results, reader.partial())
    };
    // "EBML, Segment, SeekHead, Void, Info, Tracks (H.264 ...), Void, Tags; no Cluster", with FN ST PT.
    let (results, _) = read("kvs-parser-library/empty-mkv-with-tags.mkv");
    let [Ok(fragment)] = &results[..] else {
        panic!("{results:?}")
    };
    assert!(
        !fragment.synthetic && fragment.frames.is_empty() && fragment.server_timestamp.is_some()
    );
    assert_eq!(fragment.tracks.entries[0].codec_id, "V_MPEG4/ISO/AVC");
    // "EBML + unknown-size Segment holding only 5 Tags": no fragment, no error.
    assert!(
        read("kvs-parser-library/test_tags_empty_cluster.mkv")
            .0
            .is_empty()
    );
    // "two back-to-back EBML headers + unknown-size Segments holding only Void/Info/Tracks/Tags".
    assert!(
        read("mkvdump/two_inits_segment_unknown_size.webm")
            .0
            .is_empty()
    );
    // "begins with a top-level unknown-size Cluster (tc 1084, 70 AV1 SimpleBlocks) ... then EBML +
    // unknown-size Segment (Void, Info, Tracks, Tags)".
    let (results, _) = read("mkvdump/init_after_cluster_unknown_size.webm");
    let Ok(first) = &results[0] else {
        panic!("{results:?}")
    };
    assert_eq!(
        (first.frames.len(), first.cluster_timestamp),
        (70, Some(1084))
    );
}
