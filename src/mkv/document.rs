//! The start of a document: the input's first bytes, and the EBML header.

use super::{Error, ids};
use crate::ebml::Element;

/// Checks that the input starts with an EBML header, or with a Cluster (a live stream joined
/// mid-way, as WebM live streams are); `None` while fewer than 8 bytes have arrived (the decision
/// and its message depend on the first 8 bytes only, however the input is split).
pub(super) fn check_start(
    available: &[u8],
    is_final: bool,
    offset: u64,
) -> Result<Option<()>, Error> {
    const STARTS: [[u8; 4]; 2] = [[0x1A, 0x45, 0xDF, 0xA3], [0x1F, 0x43, 0xB6, 0x75]];
    let Some(head) = available.get(..8) else {
        if !is_final {
            return Ok(None);
        }
        // A short input that starts right is cut short, which the reader reports as such.
        if STARTS.iter().any(|start| available.starts_with(start)) {
            return Ok(Some(()));
        }
        return Err(Error::NotMatroska {
            offset,
            reason: describe_start(available),
        });
    };
    if STARTS.iter().any(|start| head.starts_with(start)) {
        return Ok(Some(()));
    }
    Err(Error::NotMatroska {
        offset,
        reason: describe_start(head),
    })
}

/// "starts with 89 50 4e 47 … (a PNG image), not an EBML header": what a non-Matroska input is.
fn describe_start(bytes: &[u8]) -> String {
    let head = bytes.get(..8).unwrap_or(bytes);
    let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
    let guess = if bytes.starts_with(b"\x89PNG") {
        Some("a PNG image")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("a JPEG image")
    } else if bytes.get(4..8) == Some(b"ftyp") {
        Some("an MP4 file")
    } else if bytes.first() == Some(&0x47) {
        Some("MPEG-TS?")
    } else if bytes.starts_with(&[0x1F, 0x8B]) {
        Some("gzip data")
    } else if head
        .iter()
        .all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        Some("text")
    } else {
        None
    };
    let kind = guess.map_or(String::new(), |g| format!(" ({g})"));
    format!(
        "the input starts with {}{kind}, not an EBML header (1a 45 df a3)",
        hex.join(" ")
    )
}

/// Checks the EBML header of a document: Matroska or WebM, ids ≤ 4 bytes, sizes ≤ 8 bytes.
pub(super) fn check_ebml_header(header: &Element) -> Result<(), Error> {
    let offset = header.header.offset;
    let not_matroska = |reason: String| Error::NotMatroska { offset, reason };
    let mut children = header.children()?;
    while let Some(child) = children.next_significant()? {
        match child.id() {
            ids::DOC_TYPE => {
                let doc_type = child.string();
                if doc_type != "matroska" && doc_type != "webm" {
                    return Err(not_matroska(format!("DocType is {doc_type:?}")));
                }
            }
            ids::EBML_MAX_ID_LENGTH if child.uint()? > 4 => {
                return Err(not_matroska("EBMLMaxIDLength above 4".into()));
            }
            ids::EBML_MAX_SIZE_LENGTH if child.uint()? > 8 => {
                return Err(not_matroska("EBMLMaxSizeLength above 8".into()));
            }
            _ => {}
        }
    }
    Ok(())
}
