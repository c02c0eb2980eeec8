//! Small Matroska and KVS-shaped byte strings built by hand, element by element (RFC 8794 EBML,
//! RFC 9559 Matroska), so that a test can say exactly which odd value sits in which element.
//!
//! Nothing here validates: a builder writes what it is given, including values no muxer would write
//! (a TimestampScale of `u64::MAX`, a block at relative time -32768). Sizes use the shortest vint.

use std::io::{self, Write};
use std::path::Path;

/// Element ids (RFC 9559 §5.1, RFC 8794 §11.2), with their marker bits.
pub mod id {
    pub use kvs_remux::low_level::mkv::ids::*;
}

/// The KVS tag names (spec §7.2).
pub mod kvs {
    /// AWS_KINESISVIDEO_FRAGMENT_NUMBER.
    pub const FRAGMENT_NUMBER: &str = "AWS_KINESISVIDEO_FRAGMENT_NUMBER";
    /// AWS_KINESISVIDEO_SERVER_TIMESTAMP.
    pub const SERVER_TIMESTAMP: &str = "AWS_KINESISVIDEO_SERVER_TIMESTAMP";
    /// AWS_KINESISVIDEO_PRODUCER_TIMESTAMP.
    pub const PRODUCER_TIMESTAMP: &str = "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP";
    /// AWS_KINESISVIDEO_MILLIS_BEHIND_NOW.
    pub const MILLIS_BEHIND_NOW: &str = "AWS_KINESISVIDEO_MILLIS_BEHIND_NOW";
    /// AWS_KINESISVIDEO_CONTINUATION_TOKEN.
    pub const CONTINUATION_TOKEN: &str = "AWS_KINESISVIDEO_CONTINUATION_TOKEN";
}

/// The Segment header with the unknown size (all ones in 8 bytes), as GetMedia writes it.
pub const UNKNOWN_SIZE_SEGMENT: [u8; 12] = [
    0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
];

/// AudioSpecificConfig of AAC-LC, 48 kHz, stereo (ISO 14496-3 §1.6.2.1: 2, 3, 2).
pub const AAC_LC_48K_STEREO: [u8; 2] = [0x11, 0x90];

/// A 40-digit prefix shared by the synthetic fragment numbers (real KVS numbers have 47 digits).
const FRAGMENT_NUMBER_PREFIX: &str = "9134385233318143239268206260977623423082";

/// The id's bytes: the marker bit is part of the id, so only leading zero bytes are dropped.
pub fn id_bytes(id: u32) -> Vec<u8> {
    let bytes = id.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
    bytes[skip..].to_vec()
}

/// The shortest EBML size vint for `len` (RFC 8794 §4.4), never the reserved all-ones value.
pub fn vint_size(len: u64) -> Vec<u8> {
    let width = (1..=8u32)
        .find(|&w| len < (1u64 << (7 * w)) - 1)
        .expect("test payloads are far below 2^56 bytes");
    let marked = len | (1u64 << (7 * width));
    marked.to_be_bytes()[8 - width as usize..].to_vec()
}

/// An element: id, size, payload.
pub fn element(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = id_bytes(id);
    out.extend(vint_size(payload.len() as u64));
    out.extend_from_slice(payload);
    out
}

/// A master element from its already built children.
pub fn master(id: u32, children: &[Vec<u8>]) -> Vec<u8> {
    element(id, &children.concat())
}

/// An unsigned integer element in the fewest bytes (at least one).
pub fn uint(id: u32, value: u64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
    element(id, &bytes[skip..])
}

/// A string element.
pub fn string(id: u32, value: &str) -> Vec<u8> {
    element(id, value.as_bytes())
}

/// An 8-byte float element.
pub fn float(id: u32, value: f64) -> Vec<u8> {
    element(id, &value.to_be_bytes())
}

/// The EBML header of a Matroska document (DocType matroska, version 4, read version 2).
pub fn ebml_header() -> Vec<u8> {
    master(
        id::EBML,
        &[
            uint(id::EBML_VERSION, 1),
            uint(id::EBML_READ_VERSION, 1),
            uint(id::EBML_MAX_ID_LENGTH, 4),
            uint(id::EBML_MAX_SIZE_LENGTH, 8),
            string(id::DOC_TYPE, "matroska"),
            uint(id::DOC_TYPE_VERSION, 4),
            uint(id::DOC_TYPE_READ_VERSION, 2),
        ],
    )
}

/// Info with only a TimestampScale (ns per tick).
pub fn info(timestamp_scale: u64) -> Vec<u8> {
    master(id::INFO, &[uint(id::TIMESTAMP_SCALE, timestamp_scale)])
}

/// One TrackEntry, described by value.
#[derive(Debug, Clone)]
pub struct Track {
    /// TrackNumber (also used as TrackUID).
    pub number: u64,
    /// CodecID.
    pub codec_id: &'static str,
    /// CodecPrivate.
    pub codec_private: Vec<u8>,
    /// DefaultDuration in ns.
    pub default_duration: Option<u64>,
    /// Audio sampling frequency and channels; `None` makes a video track (640x480).
    pub audio: Option<(f64, u64)>,
}

impl Track {
    /// An H.264 track with the avcC of `testdata/codec/h264-baseline.cpd`.
    pub fn h264(number: u64) -> Track {
        Track {
            number,
            codec_id: "V_MPEG4/ISO/AVC",
            codec_private: avcc(),
            default_duration: None,
            audio: None,
        }
    }

    /// An AAC-LC track, 48 kHz stereo.
    pub fn aac(number: u64) -> Track {
        Track {
            number,
            codec_id: "A_AAC",
            codec_private: AAC_LC_48K_STEREO.to_vec(),
            default_duration: None,
            audio: Some((48_000.0, 2)),
        }
    }

    /// The same track with a DefaultDuration.
    pub fn with_default_duration(mut self, ns: u64) -> Track {
        self.default_duration = Some(ns);
        self
    }

    /// The TrackEntry element.
    pub fn entry(&self) -> Vec<u8> {
        let mut children = vec![
            uint(id::TRACK_NUMBER, self.number),
            uint(id::TRACK_UID, self.number),
            uint(id::TRACK_TYPE, if self.audio.is_some() { 2 } else { 1 }),
            string(id::CODEC_ID, self.codec_id),
        ];
        if let Some(ns) = self.default_duration {
            children.push(uint(id::DEFAULT_DURATION, ns));
        }
        children.push(match self.audio {
            Some((rate, channels)) => master(
                id::AUDIO,
                &[
                    float(id::SAMPLING_FREQUENCY, rate),
                    uint(id::CHANNELS, channels),
                ],
            ),
            None => master(
                id::VIDEO,
                &[uint(id::PIXEL_WIDTH, 640), uint(id::PIXEL_HEIGHT, 480)],
            ),
        });
        children.push(element(id::CODEC_PRIVATE, &self.codec_private));
        master(id::TRACK_ENTRY, &children)
    }
}

/// The Tracks element.
pub fn tracks(tracks: &[Track]) -> Vec<u8> {
    let entries: Vec<Vec<u8>> = tracks.iter().map(Track::entry).collect();
    master(id::TRACKS, &entries)
}

/// `testdata/codec/h264-baseline.cpd`: a real avcC (Constrained Baseline, one SPS, one PPS).
pub fn avcc() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/codec/h264-baseline.cpd");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A tiny H.264 access unit in avcC framing: one 4-byte big-endian length, then one NAL unit
/// (an IDR slice, type 5, for a key frame; a non-IDR slice, type 1, otherwise).
pub fn h264_frame(keyframe: bool) -> Vec<u8> {
    let nal: &[u8] = if keyframe {
        &[0x65, 0x88, 0x84, 0x00, 0x33, 0xFF]
    } else {
        &[0x41, 0x9A, 0x02, 0x04, 0x10]
    };
    let mut out = (nal.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(nal);
    out
}

/// The body of a Block or SimpleBlock: track vint, signed 16-bit relative time, flags, payload (no lacing).
fn block_body(track: u64, relative: i16, flags: u8, payload: &[u8]) -> Vec<u8> {
    assert!(track < 127, "one-byte track vints only");
    let mut out = vec![0x80 | track as u8];
    out.extend_from_slice(&relative.to_be_bytes());
    out.push(flags);
    out.extend_from_slice(payload);
    out
}

/// A SimpleBlock at `relative` ticks from its Cluster's Timestamp.
pub fn simple_block(track: u64, relative: i16, keyframe: bool, payload: &[u8]) -> Vec<u8> {
    let flags = if keyframe { 0x80 } else { 0x00 };
    element(
        id::SIMPLE_BLOCK,
        &block_body(track, relative, flags, payload),
    )
}

/// A BlockGroup holding one Block (a key frame: no ReferenceBlock) and, when given, a BlockDuration in ticks.
pub fn block_group(track: u64, relative: i16, payload: &[u8], duration: Option<u64>) -> Vec<u8> {
    let mut children = vec![element(id::BLOCK, &block_body(track, relative, 0, payload))];
    if let Some(ticks) = duration {
        children.push(uint(id::BLOCK_DURATION, ticks));
    }
    master(id::BLOCK_GROUP, &children)
}

/// A known-size Cluster: its Timestamp (ticks), then the given blocks.
pub fn cluster(timestamp: u64, blocks: &[Vec<u8>]) -> Vec<u8> {
    let mut children = vec![uint(id::TIMESTAMP, timestamp)];
    children.extend(blocks.iter().cloned());
    master(id::CLUSTER, &children)
}

/// A Tags element with one Tag holding SimpleTags (name, string), without Targets, as KVS writes them.
pub fn tags(pairs: &[(&str, &str)]) -> Vec<u8> {
    let simple: Vec<Vec<u8>> = pairs
        .iter()
        .map(|(name, value)| {
            master(
                id::SIMPLE_TAG,
                &[string(id::TAG_NAME, name), string(id::TAG_STRING, value)],
            )
        })
        .collect();
    master(id::TAGS, &[master(id::TAG, &simple)])
}

/// A plain Matroska file (no KVS tags): header, unknown-size Segment, Info, Tracks, then `clusters`.
pub fn plain_mkv(timestamp_scale: u64, track_list: &[Track], clusters: &[Vec<u8>]) -> Vec<u8> {
    let mut out = ebml_header();
    out.extend_from_slice(&UNKNOWN_SIZE_SEGMENT);
    out.extend(info(timestamp_scale));
    out.extend(tracks(track_list));
    for cluster in clusters {
        out.extend_from_slice(cluster);
    }
    out
}

/// A synthetic 47-digit fragment number; ascending with `index` (up to 10^7 fragments).
pub fn fragment_number(index: u64) -> String {
    assert!(index < 10_000_000);
    format!("{FRAGMENT_NUMBER_PREFIX}{index:07}")
}

/// Decimal seconds with milliseconds, as KVS spells timestamps in tags (`1519423067.997`).
pub fn kvs_seconds(millis: u64) -> String {
    format!("{}.{:03}", millis / 1000, millis % 1000)
}

/// One KVS fragment as GetMedia returns it: its own EBML document.
#[derive(Debug, Clone)]
pub struct KvsFragment {
    /// AWS_KINESISVIDEO_FRAGMENT_NUMBER.
    pub number: String,
    /// AWS_KINESISVIDEO_PRODUCER_TIMESTAMP text; `None` leaves the tag out.
    pub producer: Option<String>,
    /// AWS_KINESISVIDEO_SERVER_TIMESTAMP text; `None` leaves the tag out.
    pub server: Option<String>,
    /// TimestampScale of the fragment's segment.
    pub timestamp_scale: u64,
    /// The fragment's tracks.
    pub tracks: Vec<Track>,
    /// The fragment's Clusters (usually one).
    pub clusters: Vec<Vec<u8>>,
}

impl KvsFragment {
    /// A fragment of `tracks` with producer and server timestamp `millis`, TimestampScale 1 ms and
    /// one Cluster at Timestamp 0 holding `blocks`.
    pub fn new(index: u64, millis: u64, tracks: Vec<Track>, blocks: &[Vec<u8>]) -> KvsFragment {
        KvsFragment {
            number: fragment_number(index),
            producer: Some(kvs_seconds(millis)),
            server: Some(kvs_seconds(millis)),
            timestamp_scale: 1_000_000,
            tracks,
            clusters: vec![cluster(0, blocks)],
        }
    }

    /// The document: EBML header, unknown-size Segment, Info, Tracks, Tags (fragment number, server and
    /// producer timestamps), the Clusters, then the Tags GetMedia ends every fragment with
    /// (MILLIS_BEHIND_NOW, CONTINUATION_TOKEN).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = ebml_header();
        out.extend_from_slice(&UNKNOWN_SIZE_SEGMENT);
        out.extend(info(self.timestamp_scale));
        out.extend(tracks(&self.tracks));
        let mut head = vec![(kvs::FRAGMENT_NUMBER, self.number.as_str())];
        if let Some(server) = &self.server {
            head.push((kvs::SERVER_TIMESTAMP, server));
        }
        if let Some(producer) = &self.producer {
            head.push((kvs::PRODUCER_TIMESTAMP, producer));
        }
        out.extend(tags(&head));
        for cluster in &self.clusters {
            out.extend_from_slice(cluster);
        }
        out.extend(tags(&[
            (kvs::MILLIS_BEHIND_NOW, "1000"),
            (kvs::CONTINUATION_TOKEN, &self.number),
        ]));
        out
    }
}

/// Writes a Matroska file cluster by cluster, so a file of any length needs no copy in memory: plain
/// Clusters, or KVS fragments inside the one Segment (each fragment's KVS Tags, then its Cluster).
pub struct StreamingMkv<W: Write> {
    out: W,
}

impl<W: Write> StreamingMkv<W> {
    /// Writes the header, the unknown-size Segment, Info and Tracks.
    ///
    /// # Errors
    /// The writer's.
    pub fn new(mut out: W, timestamp_scale: u64, track_list: &[Track]) -> io::Result<Self> {
        out.write_all(&plain_mkv(timestamp_scale, track_list, &[]))?;
        Ok(StreamingMkv { out })
    }

    /// Appends one Cluster.
    ///
    /// # Errors
    /// The writer's.
    pub fn cluster(&mut self, timestamp: u64, blocks: &[Vec<u8>]) -> io::Result<()> {
        self.out.write_all(&cluster(timestamp, blocks))
    }

    /// Appends one KVS fragment to the Segment: Tags with its fragment number and its server and
    /// producer timestamps (`millis`), then a Cluster at Timestamp `millis` (TimestampScale 1 ms assumed)
    /// holding `blocks`.
    ///
    /// # Errors
    /// The writer's.
    pub fn kvs_fragment(&mut self, index: u64, millis: u64, blocks: &[Vec<u8>]) -> io::Result<()> {
        let seconds = kvs_seconds(millis);
        self.out.write_all(&tags(&[
            (kvs::FRAGMENT_NUMBER, &fragment_number(index)),
            (kvs::SERVER_TIMESTAMP, &seconds),
            (kvs::PRODUCER_TIMESTAMP, &seconds),
        ]))?;
        self.cluster(millis, blocks)
    }

    /// Flushes and returns the writer.
    ///
    /// # Errors
    /// The writer's.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vint_sizes_are_shortest_and_never_reserved() {
        assert_eq!(vint_size(0), [0x80]);
        assert_eq!(vint_size(126), [0xFE]);
        // 127 in one byte would be 0xFF, the reserved unknown size.
        assert_eq!(vint_size(127), [0x40, 0x7F]);
        assert_eq!(vint_size(300), [0x41, 0x2C]);
    }

    #[test]
    fn ids_keep_their_marker_bits() {
        assert_eq!(id_bytes(id::SIMPLE_BLOCK), [0xA3]);
        assert_eq!(id_bytes(id::TIMESTAMP_SCALE), [0x2A, 0xD7, 0xB1]);
        assert_eq!(id_bytes(id::EBML), [0x1A, 0x45, 0xDF, 0xA3]);
        assert_eq!(UNKNOWN_SIZE_SEGMENT[..4], id_bytes(id::SEGMENT));
    }
}
