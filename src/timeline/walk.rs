//! Reading the fragments of a selection in order, each once, with its neighbours at hand.

use crate::archive::Archive;
use crate::error::ApiError;
use crate::mkv::Fragment;

use super::Window;

/// Walks `positions` (index positions of media fragments, in session order), reading each
/// fragment once and keeping the one before and after it: memory for three fragments, whatever
/// the length of the selection.
pub struct Walk<'a> {
    archive: &'a Archive,
    positions: Vec<usize>,
    /// Index in `positions` of the fragment the next call to [`Walk::next_window`] yields.
    at: usize,
    previous: Option<Fragment>,
    current: Option<Fragment>,
    next: Option<Fragment>,
}

impl<'a> Walk<'a> {
    /// A walk over `positions` of `archive`.
    pub fn new(archive: &'a Archive, positions: Vec<usize>) -> Walk<'a> {
        Walk {
            archive,
            positions,
            at: 0,
            previous: None,
            current: None,
            next: None,
        }
    }

    /// The positions walked.
    pub fn positions(&self) -> &[usize] {
        &self.positions
    }

    /// The next fragment with its neighbours, and its index in the selection; `None` at the end.
    ///
    /// # Errors
    /// Reading a fragment fails ([`Archive::read`]).
    pub fn next_window(&mut self) -> Result<Option<(usize, Window<'_>)>, ApiError> {
        let Some(&position) = self.positions.get(self.at) else {
            return Ok(None);
        };
        let current = match self.next.take() {
            Some(fragment) => fragment,
            None => self.archive.read(position)?,
        };
        self.previous = self.current.replace(current);
        self.next = match self.positions.get(self.at + 1) {
            Some(&next) => Some(self.archive.read(next)?),
            None => None,
        };
        let index = self.at;
        self.at += 1;
        let current = self.current.as_ref().expect("set above");
        Ok(Some((
            index,
            Window {
                previous: self.previous.as_ref(),
                current,
                next: self.next.as_ref(),
            },
        )))
    }
}

/// Reads fragment `index` of a selection with its neighbours: what a per-request action needs.
///
/// # Errors
/// `index` is past the selection (ResourceNotFoundException), or reading fails.
pub fn window_at(
    archive: &Archive,
    positions: &[usize],
    index: usize,
) -> Result<[Option<Fragment>; 3], ApiError> {
    let position = *positions
        .get(index)
        .ok_or_else(|| ApiError::ResourceNotFound {
            message: format!("no fragment {index} in the session"),
        })?;
    let read = |i: Option<usize>| -> Result<Option<Fragment>, ApiError> {
        match i.and_then(|i| positions.get(i)) {
            Some(&p) => archive.read(p).map(Some),
            None => Ok(None),
        }
    };
    Ok([
        read(index.checked_sub(1))?,
        Some(archive.read(position)?),
        read(index.checked_add(1))?,
    ])
}
