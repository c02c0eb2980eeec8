//! An archive: the fragments of one or more inputs, read in order, with the error that ended reading.

use bytes::Bytes;

use crate::error::ApiError;
use crate::mkv::{Fragment, Reader};

/// Every complete fragment of the inputs, in input order.
#[derive(Debug, Clone, Default)]
pub struct Archive {
    /// The fragments (frame data are slices of the inputs).
    pub fragments: Vec<Fragment>,
}

impl Archive {
    /// Reads every input (each a whole file or response) in order.
    ///
    /// Returns the complete fragments and the first error, if any; reading stops there, so the
    /// fragments before the damage are kept (the damaged one is not: its frames are incomplete).
    pub fn read(inputs: impl IntoIterator<Item = Bytes>) -> (Archive, Option<ApiError>) {
        let mut fragments = Vec::new();
        for input in inputs {
            for next in Reader::new(input) {
                match next {
                    Ok(fragment) => fragments.push(fragment),
                    Err(error) => return (Archive { fragments }, Some(error.into())),
                }
            }
        }
        (Archive { fragments }, None)
    }
}

/// The fragments that carry media (not in-band error chunks, not header-only ones), in order.
pub fn media_fragments(fragments: &[Fragment]) -> Vec<&Fragment> {
    fragments
        .iter()
        .filter(|f| f.error.is_none() && !f.frames.is_empty())
        .collect()
}

/// Every track number any of `fragments` declares, ascending.
pub fn track_numbers(fragments: &[&Fragment]) -> Vec<u64> {
    let mut numbers: Vec<u64> = fragments
        .iter()
        .flat_map(|f| f.tracks.entries.iter().map(|t| t.number))
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}
