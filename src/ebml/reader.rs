//! Element headers and a zero-copy cursor over `Bytes` that knows absolute offsets.

use bytes::Bytes;

use super::{Error, vint};

/// Id of the EBML Void element, skipped wherever it appears.
pub const VOID: u32 = 0xEC;
/// Id of the EBML CRC-32 element, checked when it is the first child of a master element.
pub const CRC32: u32 = 0xBF;

/// An element header: id, where it starts and how large its data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Element id with its marker bits (e.g. `0x1A45DFA3`).
    pub id: u32,
    /// Absolute offset of the first id byte.
    pub offset: u64,
    /// Bytes taken by id and size.
    pub header_len: u8,
    /// Data size, `None` for unknown size.
    pub size: Option<u64>,
}

impl Header {
    /// Absolute offset of the element's data.
    pub fn data_offset(&self) -> u64 {
        self.offset + u64::from(self.header_len)
    }

    /// Reads a header at the start of `buf` (whose first byte is at absolute `offset`).
    ///
    /// Returns `Ok(None)` when `buf` ends before the header does.
    ///
    /// # Errors
    /// [`Error::InvalidVint`] for a malformed id or size.
    pub fn read(buf: &[u8], offset: u64) -> Result<Option<Header>, Error> {
        let Some((id, id_len)) = vint::read_id(buf, offset)? else {
            return Ok(None);
        };
        let rest = buf.get(id_len..).unwrap_or_default();
        let size_offset = offset + id_len as u64;
        let Some((size, size_len)) = vint::read_size(rest, size_offset)? else {
            return Ok(None);
        };
        // id_len <= 4 and size_len <= 8.
        let header_len = u8::try_from(id_len + size_len).expect("at most 12 header bytes");
        Ok(Some(Header {
            id,
            offset,
            header_len,
            size,
        }))
    }
}

/// A complete element: its header and its data as a slice of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The header.
    pub header: Header,
    /// The data bytes (zero copy).
    pub data: Bytes,
}

impl Element {
    /// Element id.
    pub fn id(&self) -> u32 {
        self.header.id
    }

    /// Absolute offset of the data.
    pub fn data_offset(&self) -> u64 {
        self.header.data_offset()
    }

    /// The children of this master element, after checking a leading CRC-32 child if present.
    ///
    /// # Errors
    /// [`Error::CrcMismatch`] when the stored CRC-32 does not match.
    pub fn children(&self) -> Result<Cursor, Error> {
        let mut cursor = Cursor::new(self.data.clone(), self.data_offset());
        check_crc32(self, &mut cursor)?;
        Ok(cursor)
    }

    /// The children of this master element without checking a CRC-32 child (which
    /// [`Cursor::next_significant`] then skips like Void): for walks that must not hash the payload.
    pub fn children_unchecked(&self) -> Cursor {
        Cursor::new(self.data.clone(), self.data_offset())
    }

    /// The data as an unsigned integer (0–8 bytes, big-endian; empty is 0).
    ///
    /// # Errors
    /// [`Error::BadValueWidth`] for more than 8 bytes.
    pub fn uint(&self) -> Result<u64, Error> {
        if self.data.len() > 8 {
            return Err(self.bad_width("uint"));
        }
        Ok(self
            .data
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// The data as a signed integer (0–8 bytes, big-endian two's complement).
    ///
    /// # Errors
    /// [`Error::BadValueWidth`] for more than 8 bytes.
    pub fn int(&self) -> Result<i64, Error> {
        let len = self.data.len();
        if len > 8 {
            return Err(self.bad_width("int"));
        }
        if len == 0 {
            return Ok(0);
        }
        let raw = self
            .data
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        // Sign-extend from len bytes: shift the value to the top, then arithmetic-shift back.
        let shift = 64 - 8 * len as u32;
        Ok(((raw << shift) as i64) >> shift)
    }

    /// The data as a float (0, 4 or 8 bytes; empty is 0.0).
    ///
    /// # Errors
    /// [`Error::BadValueWidth`] for any other width.
    pub fn float(&self) -> Result<f64, Error> {
        match self.data.len() {
            0 => Ok(0.0),
            4 => Ok(f64::from(f32::from_be_bytes(self.fixed()?))),
            8 => Ok(f64::from_be_bytes(self.fixed()?)),
            _ => Err(self.bad_width("float")),
        }
    }

    fn fixed<const N: usize>(&self) -> Result<[u8; N], Error> {
        <[u8; N]>::try_from(self.data.as_ref()).map_err(|_| self.bad_width("float"))
    }

    /// The data as a string: invalid UTF-8 is replaced, trailing NULs are dropped
    /// (RFC 8794 §7.4; old KVS producers NUL-pad names to 32 bytes).
    pub fn string(&self) -> String {
        let text = String::from_utf8_lossy(&self.data);
        text.trim_end_matches('\0').to_owned()
    }

    fn bad_width(&self, kind: &'static str) -> Error {
        Error::BadValueWidth {
            offset: self.data_offset(),
            id: self.id(),
            len: self.data.len() as u64,
            kind,
        }
    }
}

/// Verifies a CRC-32 child that opens `element` (RFC 8794 §11.3.1) and steps `cursor` past it.
fn check_crc32(element: &Element, cursor: &mut Cursor) -> Result<(), Error> {
    let Some(header) = Header::read(cursor.rest(), cursor.offset())? else {
        return Ok(());
    };
    if header.id != CRC32 || header.size != Some(4) {
        return Ok(());
    }
    let crc = cursor
        .next_element()?
        .expect("a 4-byte CRC-32 whose header was read");
    let stored = u32::from_le_bytes(<[u8; 4]>::try_from(crc.data.as_ref()).expect("size is 4"));
    let computed = crc32fast::hash(cursor.rest());
    if stored != computed {
        return Err(Error::CrcMismatch {
            offset: element.header.offset,
            id: element.id(),
            stored,
            computed,
        });
    }
    Ok(())
}

/// A cursor over in-memory element data; yields children as zero-copy [`Element`]s.
#[derive(Debug, Clone)]
pub struct Cursor {
    data: Bytes,
    /// Index in `data` of the next unread byte.
    pos: usize,
    /// Absolute offset of the next unread byte.
    offset: u64,
}

impl Cursor {
    /// A cursor over `data`, whose first byte is at absolute `offset`.
    pub fn new(data: Bytes, offset: u64) -> Self {
        Cursor {
            data,
            pos: 0,
            offset,
        }
    }

    /// Bytes not yet read.
    pub fn rest(&self) -> &[u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    /// Absolute offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Takes `n` bytes as a slice of the input.
    ///
    /// # Errors
    /// [`Error::Truncated`] when fewer than `n` bytes are left.
    pub fn take(&mut self, n: u64) -> Result<Bytes, Error> {
        let left = self.rest().len();
        let len = usize::try_from(n)
            .ok()
            .filter(|&len| len <= left)
            .ok_or(Error::Truncated {
                offset: self.offset + left as u64,
                needed: n.saturating_sub(left as u64),
            })?;
        let taken = self.data.slice(self.pos..self.pos + len);
        self.pos += len;
        self.offset += n;
        Ok(taken)
    }

    /// The next child's header and where its data lies in the rest, checked against it.
    fn next_header(&self) -> Result<Option<(Header, usize, usize)>, Error> {
        let rest = self.rest();
        if rest.is_empty() {
            return Ok(None);
        }
        let header = Header::read(rest, self.offset)?.ok_or(Error::Truncated {
            offset: self.offset + rest.len() as u64,
            needed: 1,
        })?;
        let size = header.size.ok_or(Error::UnknownSizeNotAllowed {
            offset: header.offset,
            id: header.id,
        })?;
        let start = usize::from(header.header_len);
        let available = (rest.len() - start) as u64;
        let len = usize::try_from(size)
            .ok()
            .filter(|_| size <= available)
            .ok_or(Error::SizeOverflow {
                offset: header.offset,
                id: header.id,
                size,
                available,
            })?;
        Ok(Some((header, start, start + len)))
    }

    /// The next child element (Void and misplaced CRC-32 included), or `None` at the end.
    ///
    /// # Errors
    /// [`Error::Truncated`] for a header or data running past the end, [`Error::UnknownSizeNotAllowed`]
    /// for unknown sizes (an in-memory parent always has a known size), vint errors.
    pub fn next_element(&mut self) -> Result<Option<Element>, Error> {
        let Some((header, start, end)) = self.next_header()? else {
            return Ok(None);
        };
        let data = self.data.slice(self.pos + start..self.pos + end);
        self.pos += end;
        self.offset += end as u64;
        Ok(Some(Element { header, data }))
    }

    /// The next child's header and a borrowed view of its data, without making a `Bytes` of it
    /// (a refcount round trip per element, for walks that look at a few bytes of most elements).
    ///
    /// # Errors
    /// As [`Cursor::next_element`].
    pub fn next_borrowed(&mut self) -> Result<Option<(Header, &[u8])>, Error> {
        let Some((header, start, end)) = self.next_header()? else {
            return Ok(None);
        };
        let begin = self.pos;
        self.pos += end;
        self.offset += end as u64;
        let data = self
            .data
            .get(begin + start..begin + end)
            .unwrap_or_default();
        Ok(Some((header, data)))
    }

    /// The next child that is not Void or CRC-32.
    ///
    /// # Errors
    /// As [`Cursor::next_element`].
    pub fn next_significant(&mut self) -> Result<Option<Element>, Error> {
        while let Some(element) = self.next_element()? {
            if element.id() != VOID && element.id() != CRC32 {
                return Ok(Some(element));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(id: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = id.to_vec();
        out.push(0x80 | u8::try_from(data.len()).unwrap());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn cursor_yields_children_with_offsets() {
        let mut buf = element(&[0x42, 0x86], &[1]);
        buf.extend(element(&[0xEC], &[0, 0]));
        buf.extend(element(&[0x42, 0x82], b"matroska\0\0"));
        let mut cursor = Cursor::new(Bytes::from(buf), 100);
        let first = cursor.next_significant().unwrap().unwrap();
        assert_eq!(
            (first.id(), first.header.offset, first.uint().unwrap()),
            (0x4286, 100, 1)
        );
        let doc_type = cursor.next_significant().unwrap().unwrap();
        assert_eq!(doc_type.header.offset, 108);
        assert_eq!(doc_type.string(), "matroska");
        assert!(cursor.next_element().unwrap().is_none());
    }

    #[test]
    fn oversize_child_is_an_error_with_offset() {
        let mut buf = element(&[0xA3], &[1, 2, 3]);
        buf.truncate(3);
        let err = Cursor::new(Bytes::from(buf), 10)
            .next_element()
            .unwrap_err();
        assert_eq!(
            err,
            Error::SizeOverflow {
                offset: 10,
                id: 0xA3,
                size: 3,
                available: 1
            }
        );
    }

    #[test]
    fn crc32_is_checked() {
        let child = element(&[0x42, 0x86], &[1]);
        let crc = crc32fast::hash(&child).to_le_bytes();
        let mut data = element(&[0xBF], &crc);
        data.extend_from_slice(&child);
        let good = Element {
            header: Header {
                id: 0x1549_A966,
                offset: 0,
                header_len: 5,
                size: Some(data.len() as u64),
            },
            data: Bytes::from(data.clone()),
        };
        let mut children = good.children().unwrap();
        assert_eq!(children.next_element().unwrap().unwrap().id(), 0x4286);
        let mut bad = data;
        *bad.last_mut().unwrap() = 2;
        let bad = Element {
            data: Bytes::from(bad),
            ..good
        };
        assert!(matches!(bad.children(), Err(Error::CrcMismatch { .. })));
    }

    #[test]
    fn ints_and_floats() {
        let e = |data: &[u8]| Element {
            header: Header {
                id: 0xFB,
                offset: 0,
                header_len: 2,
                size: Some(data.len() as u64),
            },
            data: Bytes::copy_from_slice(data),
        };
        assert_eq!(e(&[0xFF, 0xFE]).int().unwrap(), -2);
        assert_eq!(e(&[]).uint().unwrap(), 0);
        assert_eq!(e(&48000f32.to_be_bytes()).float().unwrap(), 48000.0);
        assert_eq!(e(&8000f64.to_be_bytes()).float().unwrap(), 8000.0);
        assert!(e(&[0; 3]).float().is_err());
        assert!(e(&[0; 9]).uint().is_err());
    }
}
