//! An MSB-first bit reader for AudioSpecificConfig and H.265 SPS RBSPs (ISO/IEC 14496-3 §1.6.2.1, H.265 §7.2).
#![warn(clippy::indexing_slicing)]

use super::error::{Error, Record};

/// Reads big-endian bit fields and Exp-Golomb codes; every read is bounds-checked.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Bits consumed so far.
    pos: usize,
    record: Record,
}

impl<'a> BitReader<'a> {
    /// A reader over `data`, reporting errors against `record`.
    pub(crate) fn new(data: &'a [u8], record: Record) -> Self {
        Self {
            data,
            pos: 0,
            record,
        }
    }

    /// Bits consumed so far.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Bits not yet consumed.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_mul(8).saturating_sub(self.pos)
    }

    fn truncated(&self, field: &'static str, bits: usize) -> Error {
        Error::Truncated {
            record: self.record,
            field,
            offset: self.pos / 8,
            needed: bits.div_ceil(8),
            available: self.remaining() / 8,
        }
    }

    /// Reads one bit.
    pub(crate) fn bit(&mut self, field: &'static str) -> Result<bool, Error> {
        let byte = self
            .data
            .get(self.pos / 8)
            .ok_or_else(|| self.truncated(field, 1))?;
        let bit = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Ok(bit == 1)
    }

    /// Reads `n` (at most 64) bits as an unsigned number.
    pub(crate) fn bits(&mut self, n: u32, field: &'static str) -> Result<u64, Error> {
        debug_assert!(n <= 64, "callers read at most 64 bits");
        let n_bits = usize::try_from(n).map_err(|_| self.truncated(field, usize::MAX))?;
        if self.remaining() < n_bits {
            return Err(self.truncated(field, n_bits));
        }
        let mut value = 0u64;
        for _ in 0..n {
            value = (value << 1) | u64::from(self.bit(field)?);
        }
        Ok(value)
    }

    /// Reads `n` (at most 32) bits as a `u32`.
    pub(crate) fn bits32(&mut self, n: u32, field: &'static str) -> Result<u32, Error> {
        debug_assert!(n <= 32, "callers read at most 32 bits");
        let start = self.pos;
        let value = self.bits(n, field)?;
        u32::try_from(value).map_err(|_| Error::BadField {
            record: self.record,
            field,
            offset: start / 8,
            expected: "at most 32 bits",
            found: value,
        })
    }

    /// Skips `n` bits.
    pub(crate) fn skip(&mut self, n: usize, field: &'static str) -> Result<(), Error> {
        if self.remaining() < n {
            return Err(self.truncated(field, n));
        }
        self.pos += n;
        Ok(())
    }

    /// Reads an unsigned Exp-Golomb code `ue(v)` (H.265 §9.2), limited to 32-bit values.
    pub(crate) fn ue(&mut self, field: &'static str) -> Result<u32, Error> {
        let start = self.pos;
        let mut leading_zeros = 0u32;
        while !self.bit(field)? {
            leading_zeros += 1;
            if leading_zeros > 31 {
                return Err(Error::BadField {
                    record: self.record,
                    field,
                    offset: start / 8,
                    expected: "an exp-golomb code of at most 32 bits",
                    found: u64::from(leading_zeros),
                });
            }
        }
        let suffix = self.bits(leading_zeros, field)?;
        let value = (1u64 << leading_zeros) - 1 + suffix;
        u32::try_from(value).map_err(|_| Error::BadField {
            record: self.record,
            field,
            offset: start / 8,
            expected: "a value below 2^32",
            found: value,
        })
    }
}

/// A byte cursor over a CPD that knows its offset; `take` returns zero-copy `Bytes` slices.
pub(crate) struct ByteCursor {
    rest: bytes::Bytes,
    offset: usize,
    record: Record,
}

impl ByteCursor {
    /// A cursor at the start of `data`.
    pub(crate) fn new(data: &bytes::Bytes, record: Record) -> Self {
        Self {
            rest: data.clone(),
            offset: 0,
            record,
        }
    }

    /// Offset of the next byte.
    pub(crate) fn offset(&self) -> usize {
        self.offset
    }

    /// The bytes not yet consumed.
    pub(crate) fn rest(&self) -> &[u8] {
        &self.rest
    }

    /// Takes `n` bytes as a slice of the input.
    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<bytes::Bytes, Error> {
        if n > self.rest.len() {
            return Err(Error::Truncated {
                record: self.record,
                field,
                offset: self.offset,
                needed: n,
                available: self.rest.len(),
            });
        }
        // Cannot overflow: `n` is at most the length of the input.
        self.offset = self.offset.saturating_add(n);
        Ok(self.rest.split_to(n))
    }

    /// Reads one byte.
    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, Error> {
        let b = self.take(1, field)?;
        b.first().copied().ok_or(Error::Truncated {
            record: self.record,
            field,
            offset: self.offset,
            needed: 1,
            available: 0,
        })
    }

    /// Reads a big-endian `u16`.
    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, Error> {
        let hi = self.u8(field)?;
        let lo = self.u8(field)?;
        Ok(u16::from_be_bytes([hi, lo]))
    }

    /// Takes a NAL unit preceded by a big-endian u16 length (ISO/IEC 14496-15 parameter-set lists).
    /// Returns the unit and its offset.
    pub(crate) fn nal_u16(&mut self, field: &'static str) -> Result<(usize, bytes::Bytes), Error> {
        let len = self.u16(field)?;
        let at = self.offset;
        Ok((at, self.take(usize::from(len), field)?))
    }
}
