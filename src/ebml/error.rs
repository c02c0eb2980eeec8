//! Errors of the EBML layer (RFC 8794).

/// Something in the EBML structure is wrong; every variant names the absolute byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended inside an element header or body.
    #[error("input ends early, {needed} more bytes were needed (offset {offset})")]
    Truncated {
        /// Absolute offset where the input ran out.
        offset: u64,
        /// Bytes still missing (at least).
        needed: u64,
    },
    /// A variable-size integer starts with a zero byte or is wider than allowed.
    #[error("invalid {what} vint (offset {offset})")]
    InvalidVint {
        /// Absolute offset of the vint.
        offset: u64,
        /// "element id" or "element size".
        what: &'static str,
    },
    /// An element's declared size runs past the end of its parent.
    #[error(
        "element 0x{id:X} declares {size} bytes, its parent has {available} left (offset {offset})"
    )]
    SizeOverflow {
        /// Absolute offset of the element header.
        offset: u64,
        /// Element id.
        id: u32,
        /// Declared data size.
        size: u64,
        /// Bytes left in the parent.
        available: u64,
    },
    /// An element has unknown size where Matroska does not allow it.
    #[error(
        "element 0x{id:X} has unknown size, which only Segment and Cluster may have (offset {offset})"
    )]
    UnknownSizeNotAllowed {
        /// Absolute offset of the element header.
        offset: u64,
        /// Element id.
        id: u32,
    },
    /// A fixed-width value (uint, float) has a width the type does not allow.
    #[error("element 0x{id:X} has {len} data bytes, not a valid {kind} (offset {offset})")]
    BadValueWidth {
        /// Absolute offset of the element data.
        offset: u64,
        /// Element id.
        id: u32,
        /// Data length.
        len: u64,
        /// "uint", "int" or "float".
        kind: &'static str,
    },
    /// A CRC-32 child does not match the data that follows it in its parent.
    #[error(
        "CRC-32 mismatch in element 0x{id:X}: stored {stored:08x}, computed {computed:08x} (offset {offset})"
    )]
    CrcMismatch {
        /// Absolute offset of the parent element header.
        offset: u64,
        /// Parent element id.
        id: u32,
        /// CRC stored in the file.
        stored: u32,
        /// CRC of the data.
        computed: u32,
    },
    /// Master elements are nested deeper than [`crate::ebml::MAX_DEPTH`].
    #[error("elements nested deeper than {max} levels (offset {offset})")]
    TooDeep {
        /// Absolute offset of the element that went too deep.
        offset: u64,
        /// The limit.
        max: usize,
    },
}
