//! PES packet headers with 33-bit PTS/DTS at 90 kHz (ISO/IEC 13818-1 §2.4.3.6–§2.4.3.7).

use super::packet::CLOCK_MODULUS;

/// stream_id of the first video stream (§2.4.3.7, Table 2-22).
pub const STREAM_ID_VIDEO: u8 = 0xE0;
/// stream_id of the first audio stream (§2.4.3.7, Table 2-22).
pub const STREAM_ID_AUDIO: u8 = 0xC0;
/// The longest PES header this writer makes: 9 fixed bytes, PTS and DTS.
pub const MAX_HEADER_LEN: usize = 19;

/// A PES header in a fixed buffer (no allocation per access unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PesHeader {
    bytes: [u8; MAX_HEADER_LEN],
    len: usize,
}

impl PesHeader {
    /// The header for one access unit (§2.4.3.7): `pts`/`dts` in 90 kHz ticks, written mod 2^33; DTS
    /// only when it differs from PTS. `payload_len` gives PES_packet_length; `None` writes 0, which
    /// only video PES packets in a transport stream may use. data_alignment_indicator is set: each
    /// PES starts with an access unit (an AUD or an ADTS header).
    ///
    /// Returns `None` when the packet would be longer than the 16-bit PES_packet_length allows.
    pub fn new(
        stream_id: u8,
        pts: i128,
        dts: i128,
        payload_len: Option<usize>,
    ) -> Option<PesHeader> {
        let pts = wrap(pts);
        let dts = wrap(dts);
        let with_dts = dts != pts;
        let data_len: u8 = if with_dts { 10 } else { 5 };
        let packet_len = match payload_len {
            None => 0,
            Some(len) => u16::try_from(3 + usize::from(data_len) + len).ok()?,
        };
        let mut bytes = [0u8; MAX_HEADER_LEN];
        let [len_hi, len_lo] = packet_len.to_be_bytes();
        // '10', scrambling 00, priority 0, data_alignment_indicator 1, copyright 0, original 0;
        // PTS_DTS_flags, the other flags 0; PES_header_data_length.
        let flags = if with_dts { 0xC0 } else { 0x80 };
        let fixed = [0, 0, 1, stream_id, len_hi, len_lo, 0x84, flags, data_len];
        bytes[..9].copy_from_slice(&fixed);
        bytes[9..14].copy_from_slice(&timestamp(if with_dts { 0b0011 } else { 0b0010 }, pts));
        if with_dts {
            bytes[14..19].copy_from_slice(&timestamp(0b0001, dts));
        }
        Some(PesHeader {
            bytes,
            len: 9 + usize::from(data_len),
        })
    }

    /// The header bytes.
    pub fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&self.bytes)
    }
}

/// A tick count mod 2^33.
fn wrap(ticks: i128) -> u64 {
    u64::try_from(ticks.rem_euclid(CLOCK_MODULUS)).expect("below 2^33")
}

/// A 5-byte PTS or DTS field: 4-bit prefix, bits 32..30, marker, 29..15, marker, 14..0, marker.
fn timestamp(prefix: u8, ticks: u64) -> [u8; 5] {
    let bits = |shift: u32, mask: u64| (ticks >> shift) & mask;
    let byte = |v: u64| u8::try_from(v & 0xFF).expect("masked");
    [
        (prefix << 4) | byte(bits(30, 0x7) << 1) | 1,
        byte(bits(22, 0xFF)),
        byte(bits(15, 0x7F) << 1) | 1,
        byte(bits(7, 0xFF)),
        byte(bits(0, 0x7F) << 1) | 1,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_header_with_pts_only() {
        // PTS 900000 (10 s) = 0x0_000D_BBA0: bits 32..30 = 0, 29..22 = 0x00, 21..15 = 27,
        // 14..7 = 0x77, 6..0 = 0x20 — with markers: 21 00 37 77 41. Length 3 + 5 + 100 = 0x6C.
        let header = PesHeader::new(STREAM_ID_AUDIO, 900_000, 900_000, Some(100)).unwrap();
        assert_eq!(
            header.as_slice(),
            [
                0, 0, 1, 0xC0, 0x00, 0x6C, 0x84, 0x80, 0x05, 0x21, 0x00, 0x37, 0x77, 0x41
            ]
        );
    }

    #[test]
    fn video_header_with_dts_and_wrap() {
        // PTS 2^33 + 3003 wraps to 3003 = 0xBBB: 21 00 01 17 77; DTS 0 → 11 00 01 00 01.
        let header = PesHeader::new(STREAM_ID_VIDEO, (1 << 33) + 3003, 1 << 33, None).unwrap();
        assert_eq!(
            header.as_slice(),
            [
                0, 0, 1, 0xE0, 0, 0, 0x84, 0xC0, 0x0A, 0x31, 0x00, 0x01, 0x17, 0x77, 0x11, 0x00,
                0x01, 0x00, 0x01
            ]
        );
        // The top bits: 2^33 − 1 sets every timestamp bit.
        let max = PesHeader::new(STREAM_ID_VIDEO, -1, -1, None).unwrap();
        assert_eq!(&max.as_slice()[9..], [0x2F, 0xFF, 0xFF, 0xFF, 0xFF]);
    }

    #[test]
    fn too_long_for_pes_packet_length() {
        assert!(PesHeader::new(STREAM_ID_AUDIO, 0, 0, Some(65_527)).is_some());
        assert!(PesHeader::new(STREAM_ID_AUDIO, 0, 0, Some(65_528)).is_none());
    }
}
