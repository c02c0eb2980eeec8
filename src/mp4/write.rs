//! The one box helper every box function is built on (STYLE §5): reserve the size, write the body,
//! back-patch a checked size.

use super::Error;

/// Writes a box: 4-byte size, 4-byte type, then whatever `body` writes; the size is patched after.
///
/// # Errors
/// [`Error::BoxTooLarge`] past 4 GiB, or the body's error.
pub fn write_box(
    out: &mut Vec<u8>,
    kind: [u8; 4],
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
) -> Result<(), Error> {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&kind);
    body(out)?;
    let size = u32::try_from(out.len() - start).map_err(|_| Error::BoxTooLarge { kind })?;
    out.get_mut(start..start + 4)
        .expect("reserved above")
        .copy_from_slice(&size.to_be_bytes());
    Ok(())
}

/// Writes a full box: [`write_box`] with a version byte and 24 bits of flags first.
///
/// # Errors
/// As [`write_box`].
pub fn write_full_box(
    out: &mut Vec<u8>,
    kind: [u8; 4],
    version: u8,
    flags: u32,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
) -> Result<(), Error> {
    write_box(out, kind, |out| {
        out.push(version);
        out.extend_from_slice(&flags.to_be_bytes()[1..]);
        body(out)
    })
}

/// The mdat header for `payload_len` bytes: 8 bytes, or 16 with a 64-bit size past 4 GiB.
pub fn mdat_header(payload_len: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    match u32::try_from(payload_len + 8) {
        Ok(size) => {
            out.extend_from_slice(&size.to_be_bytes());
            out.extend_from_slice(b"mdat");
        }
        Err(_) => {
            out.extend_from_slice(&1u32.to_be_bytes());
            out.extend_from_slice(b"mdat");
            out.extend_from_slice(&(payload_len + 16).to_be_bytes());
        }
    }
    out
}

/// Appends big-endian integers.
pub trait PutBe {
    /// One byte.
    fn u8(&mut self, v: u8);
    /// Two bytes.
    fn u16(&mut self, v: u16);
    /// Four bytes.
    fn u32(&mut self, v: u32);
    /// Eight bytes.
    fn u64(&mut self, v: u64);
    /// Four bytes, signed.
    fn i32(&mut self, v: i32);
    /// Raw bytes.
    fn bytes(&mut self, v: &[u8]);
}

impl PutBe for Vec<u8> {
    fn u8(&mut self, v: u8) {
        self.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn bytes(&mut self, v: &[u8]) {
        self.extend_from_slice(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_patched() {
        let mut out = Vec::new();
        write_full_box(&mut out, *b"mfhd", 0, 0, |out| {
            out.u32(7);
            Ok(())
        })
        .unwrap();
        assert_eq!(
            out,
            [0, 0, 0, 16, b'm', b'f', b'h', b'd', 0, 0, 0, 0, 0, 0, 0, 7]
        );
        assert_eq!(mdat_header(4), [0, 0, 0, 12, b'm', b'd', b'a', b't']);
        assert_eq!(mdat_header(u64::from(u32::MAX)).len(), 16);
    }
}
