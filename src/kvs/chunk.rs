//! One stored KVS fragment ("chunk", spec §7.2) as the service returns it: EBML header, an
//! unknown-size Segment, Info, Tracks, the AWS Tags, and an unknown-size Cluster of SimpleBlocks.
//! The header up to Tracks is written once per track configuration and shared by every chunk
//! ([`ChunkHeader`]); each chunk adds its Tags, Cluster and blocks, the frames by reference.
//!
//! Choice (layout): the element order and fixed widths of the AWS producer library's output, as in
//! the real capture `test_mixed_tags.mkv` (Segment size `01 FF FF FF FF FF FF FF`, Cluster size
//! `FF`, an 8-byte Cluster Timestamp, Position 0, SimpleBlocks with 8-byte sizes).

use bytes::Bytes;

use super::element::{self, UNKNOWN_SIZE_1, UNKNOWN_SIZE_8};
use super::{Error, ids};
use crate::mkv::tags::{FRAGMENT_NUMBER, PRODUCER_TIMESTAMP, SERVER_TIMESTAMP};
use crate::time::UnixMillis;

/// Video or audio settings of a track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrackMedia {
    /// TrackType 1 with PixelWidth and PixelHeight.
    Video {
        /// PixelWidth.
        pixel_width: u64,
        /// PixelHeight.
        pixel_height: u64,
    },
    /// TrackType 2 with SamplingFrequency, Channels and BitDepth.
    Audio {
        /// SamplingFrequency in Hz.
        sampling_frequency: f64,
        /// Channels.
        channels: u64,
        /// BitDepth, when known.
        bit_depth: Option<u64>,
    },
    /// Another TrackType (written with its number, no settings).
    Other(u64),
}

/// One TrackEntry of the chunk header.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkTrack {
    /// TrackNumber (1-based).
    pub number: u64,
    /// TrackUID.
    pub uid: u64,
    /// Name, when the source had one.
    pub name: Option<String>,
    /// CodecID.
    pub codec_id: String,
    /// DefaultDuration in ns, when the source had one.
    pub default_duration: Option<u64>,
    /// Video or audio settings.
    pub media: TrackMedia,
    /// CodecPrivate, when the source had one.
    pub codec_private: Option<Bytes>,
}

/// What every chunk of one track configuration starts with.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkHeader {
    /// SegmentUID.
    pub segment_uid: [u8; 16],
    /// TimestampScale in ns per tick.
    pub timestamp_scale: u64,
    /// Title, MuxingApp and WritingApp.
    pub application: String,
    /// The tracks, in order.
    pub tracks: Vec<ChunkTrack>,
}

impl ChunkHeader {
    /// The EBML header, the Segment's start and its Info and Tracks.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::new();
        element::master(&mut out, ids::EBML, |o| {
            element::uint(o, ids::EBML_VERSION, 1);
            element::uint(o, ids::EBML_READ_VERSION, 1);
            element::uint(o, ids::EBML_MAX_ID_LENGTH, 4);
            element::uint(o, ids::EBML_MAX_SIZE_LENGTH, 8);
            element::string(o, ids::DOC_TYPE, "matroska");
            element::uint(o, ids::DOC_TYPE_VERSION, 2);
            element::uint(o, ids::DOC_TYPE_READ_VERSION, 2);
        });
        element::id(&mut out, ids::SEGMENT);
        out.extend_from_slice(&UNKNOWN_SIZE_8);
        element::master(&mut out, ids::INFO, |o| {
            element::binary(o, ids::SEGMENT_UID, &self.segment_uid);
            element::uint(o, ids::TIMESTAMP_SCALE, self.timestamp_scale);
            element::string(o, ids::TITLE, &self.application);
            element::string(o, ids::MUXING_APP, &self.application);
            element::string(o, ids::WRITING_APP, &self.application);
        });
        element::master(&mut out, ids::TRACKS, |o| {
            for track in &self.tracks {
                element::master(o, ids::TRACK_ENTRY, |e| track_entry(e, track));
            }
        });
        Bytes::from(out)
    }
}

/// A TrackEntry's children in the producer library's order.
fn track_entry(out: &mut Vec<u8>, track: &ChunkTrack) {
    element::uint(out, ids::TRACK_NUMBER, track.number);
    element::uint(out, ids::TRACK_UID, track.uid);
    let track_type = match track.media {
        TrackMedia::Video { .. } => 1,
        TrackMedia::Audio { .. } => 2,
        TrackMedia::Other(kind) => kind,
    };
    element::uint(out, ids::TRACK_TYPE, track_type);
    if let Some(name) = &track.name {
        element::string(out, ids::NAME, name);
    }
    element::string(out, ids::CODEC_ID, &track.codec_id);
    if let Some(ns) = track.default_duration {
        element::uint(out, ids::DEFAULT_DURATION, ns);
    }
    match track.media {
        TrackMedia::Video {
            pixel_width,
            pixel_height,
        } => element::master(out, ids::VIDEO, |v| {
            element::uint(v, ids::PIXEL_WIDTH, pixel_width);
            element::uint(v, ids::PIXEL_HEIGHT, pixel_height);
        }),
        TrackMedia::Audio {
            sampling_frequency,
            channels,
            bit_depth,
        } => element::master(out, ids::AUDIO, |a| {
            element::float(a, ids::SAMPLING_FREQUENCY, sampling_frequency);
            element::uint(a, ids::CHANNELS, channels);
            if let Some(bits) = bit_depth {
                element::uint(a, ids::BIT_DEPTH, bits);
            }
        }),
        TrackMedia::Other(_) => {}
    }
    if let Some(cpd) = &track.codec_private {
        element::binary(out, ids::CODEC_PRIVATE, cpd);
    }
}

/// The AWS tags of one chunk (spec §7.2), in the service's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkTags {
    /// AWS_KINESISVIDEO_FRAGMENT_NUMBER.
    pub fragment_number: String,
    /// AWS_KINESISVIDEO_SERVER_TIMESTAMP.
    pub server_timestamp: UnixMillis,
    /// AWS_KINESISVIDEO_PRODUCER_TIMESTAMP.
    pub producer_timestamp: UnixMillis,
}

/// One frame of a chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkFrame {
    /// TrackNumber.
    pub track: u64,
    /// Presentation time in ticks, relative to the Cluster Timestamp.
    pub relative: i16,
    /// Key frame flag.
    pub keyframe: bool,
    /// The payload, by reference.
    pub data: Bytes,
}

/// One chunk: `header` (shared), then the Tags, the Cluster at `cluster_timestamp` ticks and one
/// SimpleBlock per frame, as a chunk list `[header, tags + cluster start, block header, frame, ...]`.
///
/// # Errors
/// [`Error::TrackNumber`] for a track number a SimpleBlock cannot hold (above 2^56 − 2).
pub fn write(
    header: &Bytes,
    tags: &ChunkTags,
    cluster_timestamp: u64,
    frames: &[ChunkFrame],
) -> Result<Vec<Bytes>, Error> {
    let mut meta = Vec::new();
    element::master(&mut meta, ids::TAGS, |t| {
        element::master(t, ids::TAG, |tag| {
            simple_tag(tag, FRAGMENT_NUMBER, &tags.fragment_number);
            simple_tag(tag, SERVER_TIMESTAMP, &tags.server_timestamp.to_string());
            simple_tag(
                tag,
                PRODUCER_TIMESTAMP,
                &tags.producer_timestamp.to_string(),
            );
        });
    });
    element::id(&mut meta, ids::CLUSTER);
    meta.push(UNKNOWN_SIZE_1);
    element::uint_8(&mut meta, ids::TIMESTAMP, cluster_timestamp);
    element::uint(&mut meta, ids::POSITION, 0);
    // The block headers of all frames in one buffer, sliced per frame (one allocation per chunk).
    let first_block = meta.len();
    let mut ends = Vec::with_capacity(frames.len());
    for frame in frames {
        if frame.track > (1 << 56) - 2 {
            return Err(Error::TrackNumber { track: frame.track });
        }
        let mut track = Vec::with_capacity(8);
        element::size(&mut track, frame.track);
        // Track vint + 2-byte time + flags + payload: lengths of bytes in memory.
        let body = (track.len() + 3 + frame.data.len()) as u64;
        element::id(&mut meta, ids::SIMPLE_BLOCK);
        element::size_8(&mut meta, body);
        meta.extend_from_slice(&track);
        meta.extend_from_slice(&frame.relative.to_be_bytes());
        meta.push(if frame.keyframe { 0x80 } else { 0x00 });
        ends.push(meta.len());
    }
    let meta = Bytes::from(meta);
    let mut chunks = Vec::with_capacity(2 + 2 * frames.len());
    chunks.push(header.clone());
    chunks.push(meta.slice(..first_block));
    let mut start = first_block;
    for (frame, end) in frames.iter().zip(ends) {
        chunks.push(meta.slice(start..end));
        chunks.push(frame.data.clone());
        start = end;
    }
    Ok(chunks)
}

/// A SimpleTag of a TagName and a TagString.
fn simple_tag(out: &mut Vec<u8>, name: &str, value: &str) {
    element::master(out, ids::SIMPLE_TAG, |s| {
        element::string(s, ids::TAG_NAME, name);
        element::string(s, ids::TAG_STRING, value);
    });
}
