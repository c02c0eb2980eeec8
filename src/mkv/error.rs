//! Errors of the Matroska layer.

use crate::ebml;

/// The input is not a readable (KVS) Matroska stream; every variant says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An EBML-level problem (truncation, bad vint, size overflow, CRC-32 mismatch, ...).
    #[error(transparent)]
    Ebml(#[from] ebml::Error),
    /// The EBML header names a DocType other than `matroska` or `webm`, or limits Matroska cannot use.
    #[error("not EBML/Matroska: {reason} (offset {offset})")]
    NotMatroska {
        /// Absolute offset of the EBML header.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// An element appears where the schema does not allow it and it cannot be skipped.
    #[error("element 0x{id:X} cannot appear in {parent} (offset {offset})")]
    UnexpectedElement {
        /// Absolute offset of the element.
        offset: u64,
        /// Element id.
        id: u32,
        /// Name of the parent.
        parent: &'static str,
    },
    /// A mandatory element without a default is missing.
    #[error("{parent} lacks its mandatory {element} (offset {offset})")]
    MissingElement {
        /// Absolute offset of the parent.
        offset: u64,
        /// Parent name.
        parent: &'static str,
        /// Missing element name.
        element: &'static str,
    },
    /// A value is outside what the schema allows.
    #[error("{element} has the invalid value {value} (offset {offset})")]
    InvalidValue {
        /// Absolute offset of the element.
        offset: u64,
        /// Element name.
        element: &'static str,
        /// The value found.
        value: String,
    },
    /// A SimpleBlock or Block cannot be parsed (header, lacing).
    #[error("invalid block: {reason} (offset {offset})")]
    InvalidBlock {
        /// Absolute offset of the block data.
        offset: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// A timestamp does not fit in 64-bit nanoseconds.
    #[error("a timestamp does not fit in 64-bit nanoseconds (offset {offset})")]
    TimestampOverflow {
        /// Absolute offset of the block or cluster.
        offset: u64,
    },
    /// A KVS tag value does not have the form the service writes (spec §7.2).
    #[error("tag {name} has the malformed value {value:?} (offset {offset})")]
    InvalidTagValue {
        /// Absolute offset of the Tags element.
        offset: u64,
        /// Tag name.
        name: String,
        /// Tag value.
        value: String,
    },
    /// A track uses ContentEncoding (compression or encryption), whose frames cannot be sliced as-is.
    #[error("track {track} uses ContentEncoding, which is not supported (offset {offset})")]
    ContentEncoding {
        /// Absolute offset of the block.
        offset: u64,
        /// Track number.
        track: u64,
    },
    /// A single element is larger than the reader is willing to buffer.
    #[error("element 0x{id:X} declares {size} bytes, above the {max}-byte limit (offset {offset})")]
    ElementTooLarge {
        /// Absolute offset of the element.
        offset: u64,
        /// Element id.
        id: u32,
        /// Declared size.
        size: u64,
        /// The limit.
        max: u64,
    },
}

impl Error {
    /// The absolute byte offset the error refers to.
    pub fn offset(&self) -> u64 {
        match self {
            Error::Ebml(e) => match e {
                ebml::Error::Truncated { offset, .. }
                | ebml::Error::InvalidVint { offset, .. }
                | ebml::Error::SizeOverflow { offset, .. }
                | ebml::Error::UnknownSizeNotAllowed { offset, .. }
                | ebml::Error::BadValueWidth { offset, .. }
                | ebml::Error::CrcMismatch { offset, .. }
                | ebml::Error::TooDeep { offset, .. } => *offset,
            },
            Error::NotMatroska { offset, .. }
            | Error::UnexpectedElement { offset, .. }
            | Error::MissingElement { offset, .. }
            | Error::InvalidValue { offset, .. }
            | Error::InvalidBlock { offset, .. }
            | Error::TimestampOverflow { offset }
            | Error::InvalidTagValue { offset, .. }
            | Error::ContentEncoding { offset, .. }
            | Error::ElementTooLarge { offset, .. } => *offset,
        }
    }

    /// Whether the input simply ended early (the fragments before it are complete).
    pub fn is_truncation(&self) -> bool {
        matches!(self, Error::Ebml(ebml::Error::Truncated { .. }))
    }
}
