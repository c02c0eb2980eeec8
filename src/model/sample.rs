//! Samples: format-neutral frames with decode and presentation times, what the writers consume.

use bytes::Bytes;

use crate::time::Nanos;

/// One access unit of one track, in decode order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Decode time (same timeline as `pts`).
    pub dts: Nanos,
    /// Presentation time.
    pub pts: Nanos,
    /// Duration; never negative.
    pub duration: Nanos,
    /// A sync sample (IDR / key frame).
    pub keyframe: bool,
    /// The payload, a slice of the input.
    pub data: Bytes,
}
