//! Errors of the MP4 writer.

/// The writer cannot express the input in ISO BMFF.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A box (other than mdat, which switches to a 64-bit size) outgrew its 32-bit size field.
    #[error("box {} is larger than 4 GiB", String::from_utf8_lossy(kind))]
    BoxTooLarge {
        /// The box type.
        kind: [u8; 4],
    },
    /// A time does not fit the field it goes into, or lies before the timeline's origin.
    #[error("track {track}: time {value} ns does not fit in {field}")]
    TimeOutOfRange {
        /// Track id.
        track: u32,
        /// The field, e.g. "tfdt" or "composition offset".
        field: &'static str,
        /// The value in ns.
        value: i128,
    },
    /// A value (sample count, size, sample rate) does not fit its field.
    #[error("track {track}: {field} {value} does not fit in its box field")]
    ValueOutOfRange {
        /// Track id.
        track: u32,
        /// The field.
        field: &'static str,
        /// The value.
        value: u64,
    },
    /// A segment or clip needs at least one sample.
    #[error("track {track} has no samples")]
    NoSamples {
        /// Track id.
        track: u32,
    },
}
