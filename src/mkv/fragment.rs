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

/// How many frames a fragment has and the span of their presentation times: what the fragment
/// index keeps instead of the frames.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameSummary {
    /// Frames in the fragment.
    pub count: u64,
    /// The earliest and latest frame time.
    pub span: Option<(Nanos, Nanos)>,
}

impl FrameSummary {
    /// Counts `frames` more frames shown from `first` to `last` (`first` ≤ `last`).
    pub(crate) fn add(&mut self, first: Nanos, last: Nanos, frames: u64) {
        self.count = self.count.saturating_add(frames);
        self.span = Some(self.span.map_or((first, last), |(low, high)| {
            (low.min(first), high.max(last))
        }));
    }

    /// The summary with every time moved by `shift`, or `None` when one leaves the timeline.
    pub(crate) fn shifted(self, shift: Nanos) -> Option<FrameSummary> {
        let span = match self.span {
            None => None,
            Some((low, high)) => Some((low.checked_add(shift)?, high.checked_add(shift)?)),
        };
        Some(FrameSummary { span, ..self })
    }
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
    /// Frames in file order (empty when read with [`super::ReadOptions::keep_frames`] off).
    pub frames: Vec<Frame>,
    /// How many frames there are and when they are shown (also when the frames are not kept);
    /// `None` when the reader passed over the Cluster without counting them
    /// ([`super::ReadOptions::walk_sized_clusters`]).
    pub summary: Option<FrameSummary>,
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

    /// Whether the fragment carries media: no in-band error, and frames (or a Cluster whose
    /// frames were not counted).
    pub fn has_media(&self) -> bool {
        self.error.is_none() && self.summary.is_none_or(|s| s.count > 0)
    }

    /// The frames of track `track`, in file order.
    pub fn frames_of(&self, track: u64) -> impl Iterator<Item = &Frame> {
        self.frames.iter().filter(move |f| f.track == track)
    }
}
