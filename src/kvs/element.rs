//! EBML element writing (RFC 8794): ids, size vints and the value kinds the KVS chunk uses.
//!
//! Choice: sizes use the shortest vint, except where the service's producer library writes a fixed
//! width and readers may rely on it (spec §7.2): unknown-size Segment (8 bytes) and Cluster (1 byte),
//! SimpleBlock sizes (8 bytes) and the Cluster Timestamp (8 bytes).

/// The size vint meaning "unknown size" in 8 bytes (spec §7.2 Segment).
pub const UNKNOWN_SIZE_8: [u8; 8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
/// The size vint meaning "unknown size" in 1 byte (spec §7.2 Cluster).
pub const UNKNOWN_SIZE_1: u8 = 0xFF;
/// Largest size an 8-byte vint holds (2^56 − 2; all ones means unknown).
const MAX_SIZE: u64 = (1 << 56) - 2;

/// Writes an element id (its marker bits are part of the id, RFC 8794 §5).
pub fn id(out: &mut Vec<u8>, id: u32) {
    let bytes = id.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
    out.extend_from_slice(bytes.get(skip..).unwrap_or(&bytes));
}

/// Writes `len` as the shortest size vint that holds it.
///
/// # Panics
/// When `len` exceeds 2^56 − 2: every size written here is the length of bytes in memory.
pub fn size(out: &mut Vec<u8>, len: u64) {
    assert!(len <= MAX_SIZE, "element sizes come from bytes in memory");
    // A width of w bytes holds values up to 2^(7w) − 2 (all ones is reserved).
    let width = (1..=8u32)
        .find(|w| len < (1u64 << (7 * w)) - 1)
        .expect("len fits in 8 bytes (checked above)");
    write_vint(out, len, width);
}

/// Writes `len` as an 8-byte size vint.
///
/// # Panics
/// As [`size`].
pub fn size_8(out: &mut Vec<u8>, len: u64) {
    assert!(len <= MAX_SIZE, "element sizes come from bytes in memory");
    write_vint(out, len, 8);
}

/// Writes `value` as a vint of `width` bytes (`value` < 2^(7·width) − 1).
fn write_vint(out: &mut Vec<u8>, value: u64, width: u32) {
    let marked = value | (1u64 << (7 * width));
    let bytes = marked.to_be_bytes();
    let from = 8 - width as usize;
    out.extend_from_slice(bytes.get(from..).expect("width is 1..=8"));
}

/// An element of raw bytes.
pub fn binary(out: &mut Vec<u8>, element: u32, data: &[u8]) {
    id(out, element);
    size(out, data.len() as u64);
    out.extend_from_slice(data);
}

/// An unsigned integer element in the fewest bytes (at least one).
pub fn uint(out: &mut Vec<u8>, element: u32, value: u64) {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
    binary(out, element, bytes.get(skip..).unwrap_or(&bytes));
}

/// An unsigned integer element in 8 bytes.
pub fn uint_8(out: &mut Vec<u8>, element: u32, value: u64) {
    binary(out, element, &value.to_be_bytes());
}

/// A float element (8 bytes, big-endian IEEE 754).
pub fn float(out: &mut Vec<u8>, element: u32, value: f64) {
    binary(out, element, &value.to_be_bytes());
}

/// A UTF-8 string element.
pub fn string(out: &mut Vec<u8>, element: u32, value: &str) {
    binary(out, element, value.as_bytes());
}

/// A master element of known size holding what `body` writes.
pub fn master(out: &mut Vec<u8>, element: u32, body: impl FnOnce(&mut Vec<u8>)) {
    let mut inner = Vec::new();
    body(&mut inner);
    binary(out, element, &inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_the_shortest_vint() {
        let cases: [(u64, &[u8]); 6] = [
            (0, &[0x80]),
            (126, &[0xFE]),
            (127, &[0x40, 0x7F]),
            (16_382, &[0x7F, 0xFE]),
            (16_383, &[0x20, 0x3F, 0xFF]),
            (MAX_SIZE, &[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]),
        ];
        for (len, expected) in cases {
            let mut out = Vec::new();
            size(&mut out, len);
            assert_eq!(out, expected, "{len}");
        }
        let mut out = Vec::new();
        size_8(&mut out, 5);
        assert_eq!(out, [0x01, 0, 0, 0, 0, 0, 0, 5]);
    }

    #[test]
    fn ids_and_values() {
        let mut out = Vec::new();
        uint(&mut out, 0xD7, 0);
        uint(&mut out, 0x2A_D7B1, 1_000_000);
        string(&mut out, 0x86, "A_AAC");
        assert_eq!(
            out,
            [
                0xD7, 0x81, 0x00, 0x2A, 0xD7, 0xB1, 0x83, 0x0F, 0x42, 0x40, 0x86, 0x85, b'A', b'_',
                b'A', b'A', b'C'
            ]
        );
    }
}
