//! EBML variable-size integers: element ids and data sizes (RFC 8794 §4).

use super::Error;

/// Largest element id width Matroska allows (EBMLMaxIDLength).
pub const MAX_ID_LEN: usize = 4;
/// Largest size width (EBMLMaxSizeLength).
pub const MAX_SIZE_LEN: usize = 8;

/// Width in bytes of a vint, from its first byte (1–8), or `None` for a zero first byte.
fn width(first: u8) -> Option<usize> {
    let zeros = first.leading_zeros() as usize;
    (zeros < 8).then_some(zeros + 1)
}

/// Reads an element id (marker bits kept, as ids are written in specs) at the start of `buf`.
///
/// Returns `Ok(None)` when `buf` is too short to tell, else the id and its width.
///
/// # Errors
/// [`Error::InvalidVint`] for a zero first byte or an id wider than 4 bytes.
pub fn read_id(buf: &[u8], offset: u64) -> Result<Option<(u32, usize)>, Error> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let len = width(first)
        .filter(|&len| len <= MAX_ID_LEN)
        .ok_or(Error::InvalidVint {
            offset,
            what: "element id",
        })?;
    let Some(bytes) = buf.get(..len) else {
        return Ok(None);
    };
    let id = bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    Ok(Some((id, len)))
}

/// Reads a data size at the start of `buf`: `Some(n)` or `None` for the all-ones "unknown size".
///
/// Returns `Ok(None)` when `buf` is too short to tell, else the size and its width.
///
/// # Errors
/// [`Error::InvalidVint`] for a zero first byte (a width above 8).
pub fn read_size(buf: &[u8], offset: u64) -> Result<Option<(Option<u64>, usize)>, Error> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let len = width(first).ok_or(Error::InvalidVint {
        offset,
        what: "element size",
    })?;
    let Some(bytes) = buf.get(..len) else {
        return Ok(None);
    };
    let (value, all_ones) = unsigned_value(bytes, len);
    Ok(Some((if all_ones { None } else { Some(value) }, len)))
}

/// The value bits of a `len`-byte vint and whether they are all ones.
fn unsigned_value(bytes: &[u8], len: usize) -> (u64, bool) {
    // Choice: the marker bit is the only bit of the first byte above the value (len <= 8).
    let marker_mask = u8::try_from(0xFFu16 >> len).expect("len >= 1 leaves at most 7 bits");
    let mut value = 0u64;
    let mut all_ones = true;
    for (i, &b) in bytes.iter().enumerate() {
        let b = if i == 0 { b & marker_mask } else { b };
        let full = if i == 0 { marker_mask } else { 0xFF };
        all_ones &= b == full;
        value = (value << 8) | u64::from(b);
    }
    (value, all_ones)
}

/// Reads a signed vint (EBML lacing size differences, RFC 8794 §4 with a bias of 2^(7·len−1)−1).
///
/// Returns the value and its width, or `Ok(None)` when `buf` is too short.
///
/// # Errors
/// [`Error::InvalidVint`] for a zero first byte.
pub fn read_signed(buf: &[u8], offset: u64) -> Result<Option<(i64, usize)>, Error> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let len = width(first).ok_or(Error::InvalidVint {
        offset,
        what: "lace size",
    })?;
    let Some(bytes) = buf.get(..len) else {
        return Ok(None);
    };
    let (value, _) = unsigned_value(bytes, len);
    // len <= 8 so 7 * len - 1 <= 55: the bias fits in i64 and so does the value.
    let bias = (1i64 << (7 * len - 1)) - 1;
    let value = i64::try_from(value).map_err(|_| Error::InvalidVint {
        offset,
        what: "lace size",
    })?;
    Ok(Some((value - bias, len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_of_every_width() {
        for len in 1..=8usize {
            // value 5 written in `len` bytes
            let mut buf = vec![0u8; len];
            buf[0] = 0x80 >> (len - 1);
            buf[len - 1] |= 5;
            assert_eq!(read_size(&buf, 0).unwrap(), Some((Some(5), len)));
            // all ones = unknown
            let mut ones = vec![0xFFu8; len];
            ones[0] = (0x80u8 >> (len - 1)) | (0xFFu16 >> len) as u8;
            assert_eq!(read_size(&ones, 0).unwrap(), Some((None, len)));
            // too short
            assert_eq!(read_size(&buf[..len - 1], 0).unwrap(), None);
        }
        assert!(read_size(&[0x00, 1, 2], 7).is_err());
        assert_eq!(
            read_size(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], 0).unwrap(),
            Some((None, 8))
        );
        // 0x7F 0xFF is the unknown size in 2 bytes; 0x40 0x7F is 127 (not unknown)
        assert_eq!(read_size(&[0x7F, 0xFF], 0).unwrap(), Some((None, 2)));
        assert_eq!(read_size(&[0x40, 0x7F], 0).unwrap(), Some((Some(127), 2)));
    }

    #[test]
    fn ids_keep_their_marker() {
        assert_eq!(
            read_id(&[0x1A, 0x45, 0xDF, 0xA3], 0).unwrap(),
            Some((0x1A45_DFA3, 4))
        );
        assert_eq!(read_id(&[0xA3], 0).unwrap(), Some((0xA3, 1)));
        assert_eq!(read_id(&[0x42, 0x86], 0).unwrap(), Some((0x4286, 2)));
        assert!(read_id(&[0x08, 0, 0, 0, 0], 3).is_err());
        assert_eq!(read_id(&[0x1A, 0x45], 0).unwrap(), None);
    }

    #[test]
    fn signed_lace_differences() {
        // 1-byte: bias 63; 0xBF = 63 -> 0; 0x80 -> -63
        assert_eq!(read_signed(&[0xBF], 0).unwrap(), Some((0, 1)));
        assert_eq!(read_signed(&[0x80], 0).unwrap(), Some((-63, 1)));
        assert_eq!(read_signed(&[0x5F, 0xFF], 0).unwrap(), Some((0, 2)));
    }
}
