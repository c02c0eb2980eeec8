//! Fragments and frames: what the reader yields (spec §7).

use std::sync::Arc;

use bytes::Bytes;

use super::demux::Resume;
use super::number::FragmentNumber;
use super::tags::{InBandError, SimpleTag};
use super::tracks::Tracks;
use crate::time::{Nanos, TimestampScale, UnixMillis};

/// One frame: a slice of the input, never a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Track number.
    pub track: u64,
    /// Presentation time in ns since the Unix epoch when the fragment has a KVS producer timestamp
    /// (fragment producer time + offset of the block in its Cluster, spec §7.1), else on the
    /// file's own timeline (Cluster timestamp + block timestamp).
    pub pts: Nanos,
    /// Duration from BlockDuration, else the track's DefaultDuration; `None` when neither exists.
    pub duration: Option<Nanos>,
    /// Key frame: SimpleBlock flag, or a Block without ReferenceBlock.
    pub keyframe: bool,
    /// Absolute offset of the first payload byte in the input.
    pub offset: u64,
    /// The payload.
    pub data: Bytes,
}

/// One KVS fragment: one Cluster with the metadata the service attached to it (spec §7.1–7.2).
#[derive(Debug, Clone, PartialEq)]
pub struct Fragment {
    /// AWS_KINESISVIDEO_FRAGMENT_NUMBER, or the fragment's index in the input when `synthetic`.
    pub number: FragmentNumber,
    /// Producer timestamp: the KVS tag, or (synthetic) the Cluster timestamp on the file's timeline.
    pub producer_timestamp: Option<UnixMillis>,
    /// Server timestamp: the KVS tag, or (synthetic) the same as the producer timestamp.
    pub server_timestamp: Option<UnixMillis>,
    /// True when the input had no KVS fragment number for this Cluster (plain Matroska).
    pub synthetic: bool,
    /// Absolute offset of the fragment's first byte (its EBML header, for GetMedia output).
    pub offset: u64,
    /// Bytes from `offset` up to the next fragment (FragmentSizeInBytes, spec §1.2).
    pub size: u64,
    /// Nanoseconds per Matroska tick in this fragment's segment.
    pub timestamp_scale: TimestampScale,
    /// The Cluster Timestamp in ticks, `None` for a fragment without Cluster.
    pub cluster_timestamp: Option<u64>,
    /// What is added to the file's own timeline to give the frames' `pts`
    /// (producer timestamp − Cluster timestamp; 0 when synthetic).
    pub timeline_shift: Nanos,
    /// The tracks of the fragment's segment; the same `Arc` as the previous fragment's when unchanged.
    pub tracks: Arc<Tracks>,
    /// Frames in file order.
    pub frames: Vec<Frame>,
    /// Tags other than the KVS ones (producer metadata, muxer statistics), in file order.
    pub tags: Vec<SimpleTag>,
    /// AWS_KINESISVIDEO_MILLIS_BEHIND_NOW.
    pub millis_behind_now: Option<u64>,
    /// AWS_KINESISVIDEO_CONTINUATION_TOKEN.
    pub continuation_token: Option<String>,
    /// The in-band error, for an error chunk (e.g. FRAGMENT_NOT_FOUND / 3000, spec §1.3).
    pub error: Option<InBandError>,
    /// The reader's state at the fragment's first byte, to read it again ([`super::Reader::resume`]).
    pub resume: Resume,
}

impl Fragment {
    /// `Ok` for a fragment with media, the in-band error for an error chunk (spec §1.3, §3.3).
    ///
    /// # Errors
    /// The [`InBandError`] the service put in the chunk.
    pub fn check(&self) -> Result<(), InBandError> {
        self.error.clone().map_or(Ok(()), Err)
    }

    /// Whether the fragment carries media: frames, and no in-band error.
    pub fn has_media(&self) -> bool {
        self.error.is_none() && !self.frames.is_empty()
    }

    /// The frames of track `track`, in file order.
    pub fn frames_of(&self, track: u64) -> impl Iterator<Item = &Frame> {
        self.frames.iter().filter(move |f| f.track == track)
    }
}
