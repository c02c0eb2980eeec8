//! ListFragments (spec §1.2): the fragments of a stream, optionally in a timestamp range, a page at
//! a time, with the service's request and response JSON.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::archive::{Archive, Cursor, Selection, TimestampKind};
use crate::error::ApiError;
use crate::mkv::FragmentNumber;
use crate::shapes::{TimestampRange, Validation, epoch_seconds};
use crate::time::UnixMillis;
use crate::timeline;

/// The most fragments one page holds (ListFragmentsMaxResults, spec §4.1).
pub const MAX_RESULTS: i64 = 1000;
/// The longest NextToken (spec §1.1).
const MAX_TOKEN_LEN: usize = 4096;
/// The NextToken pattern (spec §1.1).
const TOKEN_PATTERN: &str = "[a-zA-Z0-9+/]+={0,2}";

/// The ListFragments request (spec §1.2), as the service's JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ListFragmentsInput {
    /// StreamName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_name: Option<String>,
    /// StreamARN.
    #[serde(default, rename = "StreamARN", skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    /// MaxResults: 1–1000.
    ///
    /// Choice: without it a page holds up to 1000 fragments (the model documents no default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    /// NextToken from a previous response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// FragmentSelector; without it (and without NextToken) every fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fragment_selector: Option<FragmentSelector>,
}

/// FragmentSelector (spec §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FragmentSelector {
    /// FragmentSelectorType.
    pub fragment_selector_type: TimestampKind,
    /// TimestampRange: inclusive at both ends, compared with fragment starts.
    pub timestamp_range: TimestampRange,
}

/// The ListFragments response (spec §1.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListFragmentsOutput {
    /// Fragments.
    pub fragments: Vec<Fragment>,
    /// NextToken: present when more fragments remain.
    ///
    /// Choice: absent rather than `null` at the end, as AWS services omit empty members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One fragment of a ListFragments response (spec §1.2 Fragment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Fragment {
    /// FragmentNumber.
    pub fragment_number: String,
    /// FragmentSizeInBytes: the whole stored chunk, metadata included.
    pub fragment_size_in_bytes: u64,
    /// ProducerTimestamp (absent for plain Matroska, which has none).
    #[serde(
        default,
        with = "epoch_seconds::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub producer_timestamp: Option<UnixMillis>,
    /// ServerTimestamp (absent for plain Matroska).
    #[serde(
        default,
        with = "epoch_seconds::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub server_timestamp: Option<UnixMillis>,
    /// FragmentLengthInMilliseconds ([`timeline::fragment_length_millis`]; 0 when the fragment's
    /// blocks cannot be read).
    pub fragment_length_in_milliseconds: u64,
}

/// ListFragments over `archive`: one page of its media fragments, in the selector's range when
/// there is one, ordered by the selected timestamp then fragment number (without a selector: by
/// fragment number). The service promises no order (spec §1.2); this one is stable.
///
/// Choice: a request with both NextToken and FragmentSelector (as SDK paginators send them) must
/// carry the selector the token was made for.
///
/// # Examples
/// ```
/// use kvs_remux::Archive;
/// use kvs_remux::api::list_fragments::{ListFragmentsInput, list_fragments};
///
/// let archive = Archive::open("testdata/fixtures/gap.mkv".as_ref())?;
/// let input: ListFragmentsInput = serde_json::from_str(
///     r#"{"StreamName": "gap", "MaxResults": 2, "FragmentSelector": {
///         "FragmentSelectorType": "PRODUCER_TIMESTAMP",
///         "TimestampRange": {"StartTimestamp": 1700000000, "EndTimestamp": 1700000010}}}"#,
/// )?;
/// let page = list_fragments(&archive, &input)?;
/// assert_eq!(page.fragments.len(), 2);
/// assert!(page.next_token.is_some());
/// let json = serde_json::to_string(&page.fragments[0])?;
/// assert!(json.starts_with(r#"{"FragmentNumber":"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// InvalidArgumentException for a value outside the model's constraints (MaxResults 1–1000,
/// NextToken pattern and length), an EndTimestamp before StartTimestamp, a NextToken this
/// operation did not make or made for another selector; an input that cannot be read again.
pub fn list_fragments(
    archive: &Archive,
    input: &ListFragmentsInput,
) -> Result<ListFragmentsOutput, ApiError> {
    let max = validate(input)?;
    let selection = input.fragment_selector.map(|selector| Selection {
        kind: selector.fragment_selector_type,
        start: Some(selector.timestamp_range.start_timestamp),
        end: Some(selector.timestamp_range.end_timestamp),
    });
    let (selection, after) = match input.next_token.as_deref() {
        None => (selection, None),
        Some(token) => {
            let (token_selection, cursor) = decode_token(token)?;
            if selection.is_some() && selection != token_selection {
                return Err(ApiError::InvalidArgument {
                    message: "The NextToken was made for another FragmentSelector.".into(),
                });
            }
            (token_selection, Some(cursor))
        }
    };
    let index = archive.index();
    let (page, cursor) = index.page(selection.as_ref(), after.as_ref(), max);
    let mut fragments = Vec::with_capacity(page.len());
    for position in page {
        let entry = index.get(position).expect("pages hold indexed positions");
        let length = match archive.summary(position) {
            Ok(summary) => timeline::fragment_length_millis(&summary),
            // Choice: ListFragments reads metadata (spec §1.2); a fragment whose blocks are damaged
            // is still listed, with length 0, as `inspect` reports it (with its error).
            Err(ApiError::Media { .. }) => 0,
            Err(error) => return Err(error),
        };
        fragments.push(Fragment {
            fragment_number: entry.number.to_string(),
            fragment_size_in_bytes: entry.size,
            producer_timestamp: entry.producer_timestamp,
            server_timestamp: entry.server_timestamp,
            fragment_length_in_milliseconds: length,
        });
    }
    Ok(ListFragmentsOutput {
        fragments,
        next_token: cursor.map(|c| encode_token(selection.as_ref(), &c)),
    })
}

/// The model's constraints and the range rule; the page size.
fn validate(input: &ListFragmentsInput) -> Result<usize, ApiError> {
    let mut validation = Validation::new();
    if let Some(max) = input.max_results {
        validation.check(
            max >= 1,
            max,
            "maxResults",
            "have value greater than or equal to 1",
        );
        validation.check(
            max <= MAX_RESULTS,
            max,
            "maxResults",
            "have value less than or equal to 1000",
        );
    }
    if let Some(token) = &input.next_token {
        validation.check(
            (1..=MAX_TOKEN_LEN).contains(&token.len()),
            token,
            "nextToken",
            "have length between 1 and 4096",
        );
        validation.check(
            is_token(token),
            token,
            "nextToken",
            &format!("satisfy regular expression pattern: {TOKEN_PATTERN}"),
        );
    }
    validation.finish()?;
    if let Some(selector) = &input.fragment_selector {
        let range = selector.timestamp_range;
        if range.end_timestamp < range.start_timestamp {
            return Err(ApiError::InvalidArgument {
                message: "EndTimestamp must be later than or equal to StartTimestamp.".into(),
            });
        }
    }
    let max = input.max_results.unwrap_or(MAX_RESULTS);
    Ok(usize::try_from(max).expect("1..=1000 (validated)"))
}

/// Whether `token` matches [`TOKEN_PATTERN`]: base64 characters, then at most two `=`.
fn is_token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && token.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// Token layout version.
const TOKEN_VERSION: u8 = 1;

/// NextToken: base64 of the selection and the cursor, so a request with the token alone resumes
/// (spec §1.2: FragmentSelector is needed only without NextToken). Layout: version, selector kind
/// (0 none, 1 producer, 2 server), start and end ms, cursor timestamp flag and ms, position,
/// then the fragment number's digits.
fn encode_token(selection: Option<&Selection>, cursor: &Cursor) -> String {
    let mut bytes = vec![TOKEN_VERSION];
    let (kind, start, end) = match selection {
        None => (0u8, 0, 0),
        Some(s) => (
            match s.kind {
                TimestampKind::Producer => 1,
                TimestampKind::Server => 2,
            },
            s.start.map_or(0, |t| t.0),
            s.end.map_or(u64::MAX, |t| t.0),
        ),
    };
    bytes.push(kind);
    bytes.extend_from_slice(&start.to_be_bytes());
    bytes.extend_from_slice(&end.to_be_bytes());
    bytes.push(u8::from(cursor.timestamp.is_some()));
    bytes.extend_from_slice(&cursor.timestamp.map_or(0, |t| t.0).to_be_bytes());
    bytes.extend_from_slice(&(cursor.position as u64).to_be_bytes());
    bytes.extend_from_slice(cursor.number.to_string().as_bytes());
    BASE64.encode(bytes)
}

/// The selection and cursor of a token [`encode_token`] made.
fn decode_token(token: &str) -> Result<(Option<Selection>, Cursor), ApiError> {
    let invalid = || ApiError::InvalidArgument {
        message: format!("The NextToken {token} is not valid."),
    };
    let bytes = BASE64.decode(token).map_err(|_| invalid())?;
    let (head, digits) = bytes.split_at_checked(35).ok_or_else(invalid)?;
    let u64_at = |at: usize| -> Option<u64> {
        Some(u64::from_be_bytes(head.get(at..at + 8)?.try_into().ok()?))
    };
    let (version, kind, has_time) = (head.first(), head.get(1), head.get(18));
    let (start, end, time, position) = (u64_at(2), u64_at(10), u64_at(19), u64_at(27));
    let (
        Some(&TOKEN_VERSION),
        Some(&kind),
        Some(&has_time),
        Some(start),
        Some(end),
        Some(time),
        Some(position),
    ) = (version, kind, has_time, start, end, time, position)
    else {
        return Err(invalid());
    };
    let selection = match kind {
        0 => None,
        1 | 2 => Some(Selection {
            kind: if kind == 1 {
                TimestampKind::Producer
            } else {
                TimestampKind::Server
            },
            start: Some(UnixMillis(start)),
            end: Some(UnixMillis(end)),
        }),
        _ => return Err(invalid()),
    };
    let number = std::str::from_utf8(digits)
        .ok()
        .and_then(FragmentNumber::parse)
        .ok_or_else(invalid)?;
    let timestamp = match has_time {
        0 => None,
        1 => Some(UnixMillis(time)),
        _ => return Err(invalid()),
    };
    Ok((
        selection,
        Cursor {
            timestamp,
            number,
            position: usize::try_from(position).map_err(|_| invalid())?,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_match_the_pattern() {
        let selection = Selection {
            kind: TimestampKind::Server,
            start: Some(UnixMillis(5)),
            end: Some(UnixMillis(9)),
        };
        let cursor = Cursor {
            timestamp: Some(UnixMillis(7)),
            number: FragmentNumber::parse("91343852333181432392682062607743920146159169392")
                .unwrap(),
            position: 3,
        };
        for selection in [Some(selection), None] {
            let token = encode_token(selection.as_ref(), &cursor);
            assert!(is_token(&token) && token.len() <= MAX_TOKEN_LEN, "{token}");
            assert_eq!(decode_token(&token).unwrap(), (selection, cursor.clone()));
        }
        for bad in ["", "AAAA", "!!!", "AQ=="] {
            assert_eq!(
                decode_token(bad).unwrap_err().code(),
                "InvalidArgumentException"
            );
        }
    }
}
