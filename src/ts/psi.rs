//! Program-specific information: PAT and PMT sections with CRC-32/MPEG-2 (ISO/IEC 13818-1 §2.4.4).

use super::packet::{Adaptation, MAX_PAYLOAD, write_header};

/// PID of the program association table (§2.4.4.3).
pub const PAT_PID: u16 = 0;
/// PID of our one program's map table.
///
/// Choice: 0x1000, transport_stream_id 1 and program_number 1, as ffmpeg's mpegts muxer writes.
pub const PMT_PID: u16 = 0x1000;
/// transport_stream_id of every chunk.
pub const TRANSPORT_STREAM_ID: u16 = 1;
/// program_number of the one program.
pub const PROGRAM_NUMBER: u16 = 1;

/// CRC-32/MPEG-2 (Annex A: polynomial 0x04C11DB7, initial value all ones, not reflected, no final xor).
/// The CRC of a whole section including its CRC field is 0.
pub fn crc32_mpeg2(data: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in data {
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// A long-form section: `table_id`, section_length, `id` (transport_stream_id or program_number),
/// version 0, current, section 0 of 0, then `body` and the CRC (§2.4.4.3, §2.4.4.8).
fn section(table_id: u8, id: u16, body: &[u8]) -> Vec<u8> {
    // section_length counts from after itself to the end of the CRC: 5 header bytes, body, 4 CRC.
    let length = u16::try_from(5 + body.len() + 4).expect("callers keep sections short");
    let mut out = Vec::with_capacity(3 + usize::from(length));
    let [len_hi, len_lo] = length.to_be_bytes();
    // section_syntax_indicator 1, '0', reserved '11'.
    out.extend_from_slice(&[table_id, 0xB0 | (len_hi & 0x0F), len_lo]);
    out.extend_from_slice(&id.to_be_bytes());
    // reserved '11', version_number 0, current_next_indicator 1; section_number 0; last_section_number 0.
    out.extend_from_slice(&[0xC1, 0x00, 0x00]);
    out.extend_from_slice(body);
    let crc = crc32_mpeg2(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// A 13-bit PID after 3 reserved one bits.
fn reserved_pid(pid: u16) -> [u8; 2] {
    (0xE000 | (pid & 0x1FFF)).to_be_bytes()
}

/// The PAT: program [`PROGRAM_NUMBER`] on [`PMT_PID`] (§2.4.4.3).
pub fn pat_section() -> Vec<u8> {
    let mut body = Vec::with_capacity(4);
    body.extend_from_slice(&PROGRAM_NUMBER.to_be_bytes());
    body.extend_from_slice(&reserved_pid(PMT_PID));
    section(0x00, TRANSPORT_STREAM_ID, &body)
}

/// The PMT of [`PROGRAM_NUMBER`]: PCR on `pcr_pid`, one entry per `(stream_type, pid)` and no
/// descriptors (§2.4.4.8). The caller keeps the list short enough for one packet (≤ 33 entries).
pub fn pmt_section(pcr_pid: u16, streams: &[(u8, u16)]) -> Vec<u8> {
    let mut body = Vec::with_capacity(4 + 5 * streams.len());
    body.extend_from_slice(&reserved_pid(pcr_pid));
    // reserved '1111', program_info_length 0.
    body.extend_from_slice(&[0xF0, 0x00]);
    for &(stream_type, pid) in streams {
        body.push(stream_type);
        body.extend_from_slice(&reserved_pid(pid));
        // reserved '1111', ES_info_length 0.
        body.extend_from_slice(&[0xF0, 0x00]);
    }
    section(0x02, PROGRAM_NUMBER, &body)
}

/// One packet carrying a whole section: pointer_field 0, the section, `0xFF` fill (§2.4.4.1–§2.4.4.2).
pub fn write_section_packet(out: &mut Vec<u8>, pid: u16, continuity_counter: u8, section: &[u8]) {
    write_header(
        out,
        pid,
        true,
        continuity_counter,
        &Adaptation::default(),
        MAX_PAYLOAD,
    );
    out.push(0);
    let used = (1 + section.len()).min(MAX_PAYLOAD);
    out.extend_from_slice(section.get(..used - 1).unwrap_or(section));
    out.resize(out.len() + (MAX_PAYLOAD - used), 0xFF);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        // The catalogued check value of CRC-32/MPEG-2 over "123456789".
        assert_eq!(crc32_mpeg2(b"123456789"), 0x0376_E6E7);
    }

    #[test]
    fn pat_equals_the_well_known_one() {
        // The PAT ffmpeg's muxer writes for ts id 1 / program 1 / PMT PID 0x1000, CRC 2A B1 04 B2,
        // quoted in many TS dumps.
        assert_eq!(
            pat_section(),
            [
                0x00, 0xB0, 0x0D, 0x00, 0x01, 0xC1, 0x00, 0x00, 0x00, 0x01, 0xF0, 0x00, 0x2A, 0xB1,
                0x04, 0xB2
            ]
        );
        assert_eq!(crc32_mpeg2(&pat_section()), 0);
    }

    #[test]
    fn pmt_layout() {
        let pmt = pmt_section(0x100, &[(0x1B, 0x100), (0x0F, 0x101)]);
        assert_eq!(
            &pmt[..pmt.len() - 4],
            [
                0x02, 0xB0, 0x17, 0x00, 0x01, 0xC1, 0x00, 0x00, 0xE1, 0x00, 0xF0, 0x00, 0x1B, 0xE1,
                0x00, 0xF0, 0x00, 0x0F, 0xE1, 0x01, 0xF0, 0x00
            ]
        );
        assert_eq!(crc32_mpeg2(&pmt), 0);
    }

    #[test]
    fn section_packet_is_filled() {
        let mut out = Vec::new();
        write_section_packet(&mut out, PAT_PID, 5, &pat_section());
        assert_eq!(out.len(), 188);
        assert_eq!(&out[..6], [0x47, 0x40, 0x00, 0x15, 0x00, 0x00]);
        assert!(out[5 + 16..].iter().all(|&b| b == 0xFF));
    }
}
