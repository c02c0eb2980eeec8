//! 188-byte transport packets: header, adaptation field with PCR, random_access_indicator and
//! stuffing (ISO/IEC 13818-1 §2.4.3.2–§2.4.3.5).

/// Bytes in a transport packet.
pub const PACKET_SIZE: usize = 188;
/// The sync byte every packet starts with.
pub const SYNC_BYTE: u8 = 0x47;
/// Payload bytes of a packet without adaptation field.
pub const MAX_PAYLOAD: usize = PACKET_SIZE - 4;
/// The 90 kHz PCR/PTS base wraps at 2^33 (§2.4.3.5, §2.4.3.7).
pub const CLOCK_MODULUS: i128 = 1 << 33;

/// What a packet's adaptation field carries besides stuffing (§2.4.3.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Adaptation {
    /// program_clock_reference_base in 90 kHz ticks (any value; written mod 2^33, extension 0).
    pub pcr: Option<i128>,
    /// random_access_indicator: the PES starting here begins a random access point.
    pub random_access: bool,
}

impl Adaptation {
    /// Bytes of adaptation field these flags need (length byte included), before stuffing; 0 for none.
    pub fn min_len(&self) -> usize {
        match (self.pcr, self.random_access) {
            (Some(_), _) => 8,
            (None, true) => 2,
            (None, false) => 0,
        }
    }

    /// Payload bytes a packet with these flags can carry.
    pub fn capacity(&self) -> usize {
        MAX_PAYLOAD - self.min_len()
    }
}

/// Writes a packet's 4-byte header and its adaptation field, sized so that exactly `payload_len`
/// payload bytes (which the caller appends) complete the 188 bytes (§2.4.3.2, §2.4.3.4).
///
/// `continuity_counter` is written as given: the caller increments it for packets with payload and
/// repeats the last value for adaptation-only packets (`payload_len == 0`), as §2.4.3.3 requires.
/// The caller keeps `payload_len <= adaptation.capacity()`; stuffing fills the rest: a lone length
/// byte of 0 for one byte, else a flags byte and `0xFF`s (§2.4.3.5).
pub fn write_header(
    out: &mut Vec<u8>,
    pid: u16,
    unit_start: bool,
    continuity_counter: u8,
    adaptation: &Adaptation,
    payload_len: usize,
) {
    let field_len = MAX_PAYLOAD.saturating_sub(payload_len);
    debug_assert!(
        payload_len <= adaptation.capacity(),
        "caller checks capacity"
    );
    let control: u8 = match (field_len > 0, payload_len > 0) {
        (false, _) => 0b01,
        (true, false) => 0b10,
        (true, true) => 0b11,
    };
    let [pid_hi, pid_lo] = (pid & 0x1FFF).to_be_bytes();
    out.extend_from_slice(&[
        SYNC_BYTE,
        (u8::from(unit_start) << 6) | pid_hi,
        pid_lo,
        (control << 4) | (continuity_counter & 0x0F),
    ]);
    if field_len == 0 {
        return;
    }
    // adaptation_field_length counts the bytes after itself.
    let length = field_len - 1;
    out.push(u8::try_from(length).expect("at most 183"));
    if length == 0 {
        return;
    }
    let flags =
        (u8::from(adaptation.random_access) << 6) | (u8::from(adaptation.pcr.is_some()) << 4);
    out.push(flags);
    let mut written = 1;
    if let Some(pcr) = adaptation.pcr {
        out.extend_from_slice(&pcr_bytes(pcr));
        written += 6;
    }
    out.resize(out.len() + length.saturating_sub(written), 0xFF);
}

/// The 6 PCR bytes: 33-bit base (mod 2^33), 6 reserved bits, 9-bit extension 0 (§2.4.3.5).
pub fn pcr_bytes(base_90khz: i128) -> [u8; 6] {
    let base = u64::try_from(base_90khz.rem_euclid(CLOCK_MODULUS)).expect("below 2^33");
    let top = u32::try_from(base >> 1).expect("32 bits");
    let [b0, b1, b2, b3] = top.to_be_bytes();
    [b0, b1, b2, b3, (u8::from(base & 1 == 1) << 7) | 0x7E, 0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_payload_has_no_adaptation_field() {
        let mut out = Vec::new();
        write_header(&mut out, 0x100, true, 3, &Adaptation::default(), 184);
        assert_eq!(out, [0x47, 0x41, 0x00, 0x13]);
    }

    #[test]
    fn stuffing_of_one_and_two_bytes() {
        let mut out = Vec::new();
        write_header(&mut out, 0x101, false, 15, &Adaptation::default(), 183);
        // adaptation_field_control 11, adaptation_field_length 0.
        assert_eq!(out, [0x47, 0x01, 0x01, 0x3F, 0x00]);
        out.clear();
        write_header(&mut out, 0x101, false, 0, &Adaptation::default(), 182);
        assert_eq!(out, [0x47, 0x01, 0x01, 0x30, 0x01, 0x00]);
    }

    #[test]
    fn pcr_and_random_access() {
        let mut out = Vec::new();
        let adaptation = Adaptation {
            pcr: Some(0x1_2345_6789),
            random_access: true,
        };
        write_header(&mut out, 0x100, true, 0, &adaptation, 176);
        // base 0x1_2345_6789: base >> 1 = 0x91A2B3C4, low bit 1 → 0x80 | 0x7E.
        assert_eq!(
            out,
            [
                0x47, 0x41, 0x00, 0x30, 7, 0x50, 0x91, 0xA2, 0xB3, 0xC4, 0xFE, 0x00
            ]
        );
        // Adaptation only: the whole packet is the field, PCR then stuffing.
        out.clear();
        let pcr_only = Adaptation {
            pcr: Some(-1),
            random_access: false,
        };
        write_header(&mut out, 0x100, false, 9, &pcr_only, 0);
        assert_eq!(out.len(), PACKET_SIZE);
        assert_eq!(
            &out[..12],
            [
                0x47, 0x01, 0x00, 0x29, 183, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0x00
            ]
        );
        assert!(out[12..].iter().all(|&b| b == 0xFF));
    }
}
