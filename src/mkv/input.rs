//! What the reader reads from: the rest of a whole buffer, or what a stream delivered so far.

use bytes::{Buf, Bytes, BytesMut};

use crate::ebml::{Element, Header};

/// Bytes the machine reads from: the rest of a whole buffer, or what a stream delivered so far.
pub(super) trait Input {
    /// Unread bytes available now.
    fn available(&self) -> &[u8];
    /// Absolute offset of the first available byte.
    fn offset(&self) -> u64;
    /// Takes the first `n` available bytes (`n <= available().len()`).
    fn take(&mut self, n: usize) -> Bytes;
    /// Drops the first `n` available bytes (`n <= available().len()`).
    fn skip(&mut self, n: usize);
    /// Whether no more bytes will ever arrive.
    fn is_final(&self) -> bool;
    /// The complete element at absolute `offset`, at or after the next unread byte.
    fn element_at(&self, offset: u64) -> Lookup;
    /// Absolute offset just past the available bytes.
    fn end(&self) -> u64 {
        // Offsets count bytes of one input held in memory: far below u64::MAX.
        self.offset() + self.available().len() as u64
    }
}

/// What looking for an element ahead of the reader found.
pub(super) enum Lookup {
    /// The complete element.
    Found(Element),
    /// Not all of it has arrived yet.
    NotYet,
    /// It is not there and will not be (behind the reader, past the end, or malformed).
    Never,
}

/// Where the element at absolute `at` lies in `buffer` (whose first byte is at absolute `offset`):
/// its header and the range of its data in `buffer`.
fn locate(
    buffer: &[u8],
    offset: u64,
    at: u64,
    is_final: bool,
) -> Result<(Header, std::ops::Range<usize>), Lookup> {
    let missing = || {
        if is_final {
            Lookup::Never
        } else {
            Lookup::NotYet
        }
    };
    let relative = at
        .checked_sub(offset)
        .and_then(|r| usize::try_from(r).ok())
        .ok_or(Lookup::Never)?;
    let rest = buffer.get(relative..).ok_or_else(missing)?;
    let header = match Header::read(rest, at) {
        Ok(Some(header)) => header,
        Ok(None) => return Err(missing()),
        Err(_) => return Err(Lookup::Never),
    };
    let size = header
        .size
        .and_then(|size| usize::try_from(size).ok())
        .ok_or(Lookup::Never)?;
    let start = relative + usize::from(header.header_len);
    let end = start.checked_add(size).ok_or(Lookup::Never)?;
    if end > buffer.len() {
        return Err(missing());
    }
    Ok((header, start..end))
}

pub(super) struct WholeInput {
    rest: Bytes,
    offset: u64,
}

impl WholeInput {
    pub(super) fn new(whole: Bytes, base: u64) -> WholeInput {
        WholeInput {
            rest: whole,
            offset: base,
        }
    }
}

impl Input for WholeInput {
    fn available(&self) -> &[u8] {
        &self.rest
    }
    fn offset(&self) -> u64 {
        self.offset
    }
    fn take(&mut self, n: usize) -> Bytes {
        self.offset += n as u64;
        self.rest.split_to(n)
    }
    fn skip(&mut self, n: usize) {
        self.offset += n as u64;
        self.rest.advance(n);
    }
    fn is_final(&self) -> bool {
        true
    }
    fn element_at(&self, offset: u64) -> Lookup {
        match locate(&self.rest, self.offset, offset, true) {
            Ok((header, range)) => Lookup::Found(Element {
                header,
                data: self.rest.slice(range),
            }),
            Err(lookup) => lookup,
        }
    }
}

pub(super) struct StreamInput {
    pub(super) buffer: BytesMut,
    pub(super) offset: u64,
    pub(super) finished: bool,
}

impl Input for StreamInput {
    fn available(&self) -> &[u8] {
        &self.buffer
    }
    fn offset(&self) -> u64 {
        self.offset
    }
    fn take(&mut self, n: usize) -> Bytes {
        self.offset += n as u64;
        self.buffer.split_to(n).freeze()
    }
    fn skip(&mut self, n: usize) {
        self.offset += n as u64;
        self.buffer.advance(n);
    }
    fn is_final(&self) -> bool {
        self.finished
    }
    fn element_at(&self, offset: u64) -> Lookup {
        match locate(&self.buffer, self.offset, offset, self.finished) {
            // A copy of one Tracks element (not frame data): the stream buffer cannot lend a slice
            // of bytes it has not yet handed out.
            Ok((header, range)) => Lookup::Found(Element {
                header,
                data: Bytes::copy_from_slice(self.buffer.get(range).unwrap_or_default()),
            }),
            Err(lookup) => lookup,
        }
    }
}
