//! Tags, and the KVS fragment metadata carried in them (spec §7.2, §3.3).

use bytes::Bytes;

use super::number::FragmentNumber;
use super::{Error, ids};
use crate::ebml::{self, Element, MAX_DEPTH};
use crate::time::UnixMillis;

/// KVS tag: the fragment number.
pub const FRAGMENT_NUMBER: &str = "AWS_KINESISVIDEO_FRAGMENT_NUMBER";
/// KVS tag: server timestamp, decimal seconds.
pub const SERVER_TIMESTAMP: &str = "AWS_KINESISVIDEO_SERVER_TIMESTAMP";
/// KVS tag: producer timestamp, decimal seconds.
pub const PRODUCER_TIMESTAMP: &str = "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP";
/// KVS tag: milliseconds behind the stream head (GetMedia only).
pub const MILLIS_BEHIND_NOW: &str = "AWS_KINESISVIDEO_MILLIS_BEHIND_NOW";
/// KVS tag: continuation token (GetMedia only).
pub const CONTINUATION_TOKEN: &str = "AWS_KINESISVIDEO_CONTINUATION_TOKEN";
/// KVS in-band error tag: error code, e.g. `FRAGMENT_NOT_FOUND`.
pub const ERROR_CODE: &str = "AWS_KINESISVIDEO_ERROR_CODE";
/// KVS in-band error tag: numeric error id, e.g. `3000`.
pub const ERROR_ID: &str = "AWS_KINESISVIDEO_ERROR_ID";

/// One SimpleTag, flattened out of its Tag (nested SimpleTags become their own entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleTag {
    /// TagName.
    pub name: String,
    /// TagString or TagBinary.
    pub value: TagValue,
}

/// The value of a SimpleTag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagValue {
    /// TagString (trailing NULs dropped); empty when the SimpleTag has no value.
    String(String),
    /// TagBinary, as a slice of the input.
    Binary(Bytes),
}

impl TagValue {
    /// The string value, or `None` for a binary one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            TagValue::String(s) => Some(s),
            TagValue::Binary(_) => None,
        }
    }
}

/// An in-band error chunk (GetMediaForFragmentList, spec §1.3, §3.3): the fragment is not available.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fragment {fragment} not available: {code} ({id})", fragment = fragment_number.as_ref().map_or_else(|| "?".to_owned(), FragmentNumber::to_string), id = id.map_or_else(|| "no id".to_owned(), |id| id.to_string()))]
pub struct InBandError {
    /// AWS_KINESISVIDEO_ERROR_CODE, e.g. `FRAGMENT_NOT_FOUND`.
    pub code: String,
    /// AWS_KINESISVIDEO_ERROR_ID, e.g. 3000.
    pub id: Option<u64>,
    /// The fragment the error is about.
    pub fragment_number: Option<FragmentNumber>,
}

/// The KVS metadata found in one or more Tags elements, plus every other tag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KvsTags {
    /// AWS_KINESISVIDEO_FRAGMENT_NUMBER.
    pub fragment_number: Option<FragmentNumber>,
    /// AWS_KINESISVIDEO_SERVER_TIMESTAMP.
    pub server_timestamp: Option<UnixMillis>,
    /// AWS_KINESISVIDEO_PRODUCER_TIMESTAMP.
    pub producer_timestamp: Option<UnixMillis>,
    /// AWS_KINESISVIDEO_MILLIS_BEHIND_NOW.
    pub millis_behind_now: Option<u64>,
    /// AWS_KINESISVIDEO_CONTINUATION_TOKEN.
    pub continuation_token: Option<String>,
    /// AWS_KINESISVIDEO_ERROR_CODE.
    pub error_code: Option<String>,
    /// AWS_KINESISVIDEO_ERROR_ID.
    pub error_id: Option<u64>,
    /// Every other SimpleTag, in file order.
    pub other: Vec<SimpleTag>,
}

impl KvsTags {
    /// Whether these tags open a new fragment (they carry a fragment number or an error).
    pub fn starts_fragment(&self) -> bool {
        self.fragment_number.is_some() || self.error_code.is_some()
    }

    /// Adds the SimpleTags of a Tags element; KVS values are checked (spec §7.2).
    ///
    /// # Errors
    /// EBML errors, nesting deeper than [`MAX_DEPTH`], [`Error::InvalidTagValue`].
    pub fn absorb(&mut self, tags: &Element) -> Result<(), Error> {
        let offset = tags.header.offset;
        let mut flat = Vec::new();
        let mut children = tags.children()?;
        while let Some(tag) = children.next_significant()? {
            if tag.id() == ids::TAG {
                let mut inner = tag.children()?;
                while let Some(child) = inner.next_significant()? {
                    if child.id() == ids::SIMPLE_TAG {
                        flatten(&child, 1, &mut flat)?;
                    }
                }
            }
        }
        for tag in flat {
            self.absorb_one(tag, offset)?;
        }
        Ok(())
    }

    /// Moves every value of `later` into `self` (later values win).
    pub fn merge(&mut self, later: KvsTags) {
        let KvsTags {
            fragment_number,
            server_timestamp,
            producer_timestamp,
            millis_behind_now,
            continuation_token,
            error_code,
            error_id,
            other,
        } = later;
        self.fragment_number = fragment_number.or(self.fragment_number.take());
        self.server_timestamp = server_timestamp.or(self.server_timestamp);
        self.producer_timestamp = producer_timestamp.or(self.producer_timestamp);
        self.millis_behind_now = millis_behind_now.or(self.millis_behind_now);
        self.continuation_token = continuation_token.or(self.continuation_token.take());
        self.error_code = error_code.or(self.error_code.take());
        self.error_id = error_id.or(self.error_id);
        self.other.extend(other);
    }

    fn absorb_one(&mut self, tag: SimpleTag, offset: u64) -> Result<(), Error> {
        let invalid = |tag: &SimpleTag| Error::InvalidTagValue {
            offset,
            name: tag.name.clone(),
            value: match &tag.value {
                TagValue::String(s) => s.clone(),
                TagValue::Binary(b) => format!("{} binary bytes", b.len()),
            },
        };
        let text = tag.value.as_str().map(str::trim);
        match tag.name.as_str() {
            FRAGMENT_NUMBER => {
                self.fragment_number = Some(
                    text.and_then(FragmentNumber::parse)
                        .ok_or_else(|| invalid(&tag))?,
                );
            }
            SERVER_TIMESTAMP => {
                self.server_timestamp = Some(
                    text.and_then(UnixMillis::parse_kvs_seconds)
                        .ok_or_else(|| invalid(&tag))?,
                );
            }
            PRODUCER_TIMESTAMP => {
                self.producer_timestamp = Some(
                    text.and_then(UnixMillis::parse_kvs_seconds)
                        .ok_or_else(|| invalid(&tag))?,
                );
            }
            MILLIS_BEHIND_NOW => {
                self.millis_behind_now = Some(
                    text.and_then(|t| t.parse().ok())
                        .ok_or_else(|| invalid(&tag))?,
                );
            }
            CONTINUATION_TOKEN => {
                self.continuation_token = Some(text.ok_or_else(|| invalid(&tag))?.to_owned());
            }
            ERROR_CODE => self.error_code = Some(text.ok_or_else(|| invalid(&tag))?.to_owned()),
            ERROR_ID => {
                self.error_id = Some(
                    text.and_then(|t| t.parse().ok())
                        .ok_or_else(|| invalid(&tag))?,
                );
            }
            _ => self.other.push(tag),
        }
        Ok(())
    }

    /// The in-band error these tags describe, if any.
    pub fn in_band_error(&self) -> Option<InBandError> {
        self.error_code.as_ref().map(|code| InBandError {
            code: code.clone(),
            id: self.error_id,
            fragment_number: self.fragment_number.clone(),
        })
    }
}

fn flatten(simple: &Element, depth: usize, out: &mut Vec<SimpleTag>) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(ebml::Error::TooDeep {
            offset: simple.header.offset,
            max: MAX_DEPTH,
        }
        .into());
    }
    let mut name = String::new();
    let mut value = TagValue::String(String::new());
    let mut nested = Vec::new();
    let mut children = simple.children()?;
    while let Some(child) = children.next_significant()? {
        match child.id() {
            ids::TAG_NAME => name = child.string(),
            ids::TAG_STRING => value = TagValue::String(child.string()),
            ids::TAG_BINARY => value = TagValue::Binary(child.data.clone()),
            ids::SIMPLE_TAG => nested.push(child),
            _ => {}
        }
    }
    out.push(SimpleTag { name, value });
    for child in nested {
        flatten(&child, depth + 1, out)?;
    }
    Ok(())
}
