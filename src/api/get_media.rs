//! GetMediaForFragmentList (spec §1.3): the stored chunks of the requested fragments, back to
//! back in request order, as slices of the archive; a number the stream does not have gets the
//! service's in-band FRAGMENT_NOT_FOUND chunk.

use std::collections::HashMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::archive::Archive;
use crate::error::ApiError;
use crate::kvs;
use crate::mkv::FragmentNumber;
use crate::shapes::Validation;

/// The payload's content type (spec §1.3: observed for H.264 and H.265 streams).
pub const CONTENT_TYPE: &str = "video/webm";
/// The most fragments one request may list (spec §4.1).
pub const MAX_FRAGMENTS: usize = 1000;

/// The GetMediaForFragmentList request (spec §1.3), as the service's JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GetMediaForFragmentListInput {
    /// StreamName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_name: Option<String>,
    /// StreamARN.
    #[serde(default, rename = "StreamARN", skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    /// Fragments: 1–1000 fragment numbers.
    pub fragments: Vec<String>,
}

/// The response: its content type and the payload's parts, whose bytes are read when written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPayload {
    /// ContentType (`video/webm`).
    pub content_type: &'static str,
    /// The chunks, in request order.
    pub parts: Vec<PayloadPart>,
}

/// One chunk of the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadPart {
    /// A stored fragment: the archive's bytes at index `position`, `size` of them.
    Stored {
        /// Position in the archive's index.
        position: usize,
        /// FragmentSizeInBytes.
        size: u64,
    },
    /// The in-band error chunk for a number the stream does not have.
    NotFound(Bytes),
}

impl MediaPayload {
    /// The payload's length in bytes.
    pub fn len(&self) -> u64 {
        self.parts
            .iter()
            .map(|part| match part {
                PayloadPart::Stored { size, .. } => *size,
                PayloadPart::NotFound(chunk) => chunk.len() as u64,
            })
            .sum()
    }

    /// Whether the payload is empty (never: a request lists at least one fragment).
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The payload's chunks, each a slice of the archive's input (or the error chunk), read as
    /// the iterator goes: one fragment's input is held at a time, never the whole payload.
    pub fn chunks<'a>(
        &'a self,
        archive: &'a Archive,
    ) -> impl Iterator<Item = Result<Bytes, ApiError>> + 'a {
        self.parts.iter().map(|part| match part {
            PayloadPart::Stored { position, .. } => archive.stored_bytes(*position),
            PayloadPart::NotFound(chunk) => Ok(chunk.clone()),
        })
    }
}

/// GetMediaForFragmentList over `archive`: the chunks of `input.fragments` in request order (a
/// number listed twice is returned twice); a fragment the archive holds twice is returned once
/// per request, from where it first appears.
///
/// Choice: a Cluster that is not a stored chunk of its own (plain Matroska, whose fragment numbers
/// are synthetic, or a GetMedia capture merged into one Matroska document) has no bytes the
/// service would return; it is refused with the service's "Fragment numbers are invalid" (spec
/// §9.13), and `kvs-remux pack` turns such input into an archive of chunks.
///
/// # Examples
/// ```
/// use kvs_remux::Archive;
/// use kvs_remux::api::get_media::{GetMediaForFragmentListInput, get_media_for_fragment_list};
///
/// let archive = Archive::open("testdata/fixtures/gap.mkv".as_ref())?;
/// let first = archive.index().fragments()[0].number.to_string();
/// let input = GetMediaForFragmentListInput {
///     fragments: vec![first, "123".into()],
///     ..Default::default()
/// };
/// let payload = get_media_for_fragment_list(&archive, &input)?;
/// assert_eq!(payload.content_type, "video/webm");
/// // The stored chunk, then the in-band FRAGMENT_NOT_FOUND chunk for 123.
/// let chunks: Vec<_> = payload.chunks(&archive).collect::<Result<_, _>>()?;
/// assert_eq!(chunks[0], archive.stored_bytes(0)?);
/// assert!(chunks[1].windows(18).any(|w| w == b"FRAGMENT_NOT_FOUND"));
/// # Ok::<(), kvs_remux::ApiError>(())
/// ```
///
/// # Errors
/// InvalidArgumentException for a list of 0 or more than 1000 numbers, a number that is not 1–128
/// digits, or numbers of fragments that are not stored chunks.
pub fn get_media_for_fragment_list(
    archive: &Archive,
    input: &GetMediaForFragmentListInput,
) -> Result<MediaPayload, ApiError> {
    let numbers = validate(&input.fragments)?;
    let mut found: HashMap<&FragmentNumber, Option<usize>> =
        numbers.iter().map(|n| (n, None)).collect();
    for (position, fragment) in archive.index().fragments().iter().enumerate() {
        if fragment.error.is_none()
            && let Some(slot @ None) = found.get_mut(&fragment.number)
        {
            *slot = Some(position);
        }
    }
    let mut invalid = Vec::new();
    let mut parts = Vec::with_capacity(numbers.len());
    for (number, text) in numbers.iter().zip(&input.fragments) {
        let located = found.get(number).copied().flatten();
        match located.and_then(|p| archive.index().get(p).map(|f| (p, f))) {
            Some((_, fragment)) if fragment.synthetic || !fragment.is_chunk() => {
                invalid.push(text.as_str());
            }
            Some((position, fragment)) => parts.push(PayloadPart::Stored {
                position,
                size: fragment.size,
            }),
            None => parts.push(PayloadPart::NotFound(kvs::not_found_chunk(text))),
        }
    }
    if !invalid.is_empty() {
        return Err(ApiError::InvalidArgument {
            message: format!(
                "Fragment numbers are invalid : {} (not stored KVS fragments: Clusters of plain \
                 Matroska or of a merged capture; `kvs-remux pack` makes an archive of them)",
                invalid.join(", ")
            ),
        });
    }
    Ok(MediaPayload {
        content_type: CONTENT_TYPE,
        parts,
    })
}

/// The model's constraints on Fragments (spec §1.3, §1.1 FragmentNumberString); the numbers.
fn validate(fragments: &[String]) -> Result<Vec<FragmentNumber>, ApiError> {
    let mut validation = Validation::new();
    let count = fragments.len();
    validation.check(
        count >= 1,
        "[]",
        "fragments",
        "have length greater than or equal to 1",
    );
    validation.check(
        count <= MAX_FRAGMENTS,
        format_args!("[{count} numbers]"),
        "fragments",
        "have length less than or equal to 1000",
    );
    let mut numbers = Vec::with_capacity(count.min(MAX_FRAGMENTS));
    for (i, text) in fragments.iter().enumerate() {
        let member = format!("fragments.{}.member", i + 1);
        validation.check(
            (1..=crate::mkv::number::MAX_DIGITS).contains(&text.len()),
            text,
            &member,
            "have length between 1 and 128",
        );
        validation.check(
            !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()),
            text,
            &member,
            "satisfy regular expression pattern: ^[0-9]+$",
        );
        numbers.extend(FragmentNumber::parse(text));
    }
    validation.finish()?;
    Ok(numbers)
}
