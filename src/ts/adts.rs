//! ADTS headers for AAC in MPEG-TS (stream_type 0x0F; ISO/IEC 13818-7 §6.2.1, ISO/IEC 14496-3 §1.A.2).
//!
//! The fixed header carries a 2-bit `profile_ObjectType` (AOT − 1: Main, LC, SSR, LTP), a 4-bit
//! `sampling_frequency_index` (no escape for an explicit frequency) and a 3-bit
//! `channel_configuration` (0 would need a program_config_element in-band). A frame is always 1024
//! samples. An AudioSpecificConfig outside that is refused with [`Error::AdtsUnsupported`].
//! HE-AAC (explicit SBR/PS signalling) is carried as its AAC-LC core at the core rate, which decoders
//! extend implicitly, as ffmpeg's ADTS muxer does.

use super::Error;
use crate::codec::AudioSpecificConfig;

/// ADTS header length without CRC (protection_absent = 1).
pub const HEADER_LEN: usize = 7;
/// Largest aac_frame_length (13 bits), header included.
const MAX_FRAME_LEN: usize = (1 << 13) - 1;
/// Sampling frequencies by index (ISO/IEC 14496-3 Table 1.18).
const FREQUENCIES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// The fixed-header fields of one AAC track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdtsConfig {
    /// profile_ObjectType: audio object type − 1.
    profile: u8,
    /// sampling_frequency_index.
    sampling_frequency_index: u8,
    /// channel_configuration, 1–7.
    channel_configuration: u8,
}

impl AdtsConfig {
    /// The ADTS fields for `asc` of track `track`.
    ///
    /// # Errors
    /// [`Error::AdtsUnsupported`] for an object type above 4 (AAC Main, LC, SSR, LTP fit the 2-bit
    /// field), a frequency not in the index table, channel configuration 0, or 960-sample frames.
    pub fn new(track: u32, asc: &AudioSpecificConfig) -> Result<AdtsConfig, Error> {
        let refuse = |field, value, allowed| Error::AdtsUnsupported {
            track,
            field,
            value,
            allowed,
        };
        let aot = asc.audio_object_type();
        if !(1..=4).contains(&aot) {
            return Err(refuse("audio object type", u32::from(aot), "1 to 4"));
        }
        let index = FREQUENCIES
            .iter()
            .position(|&f| f == asc.sample_rate())
            .ok_or_else(|| {
                refuse(
                    "sampling frequency",
                    asc.sample_rate(),
                    "one of the 13 indexed frequencies",
                )
            })?;
        let channels = asc.channel_configuration();
        if !(1..=7).contains(&channels) {
            return Err(refuse(
                "channel configuration",
                u32::from(channels),
                "1 to 7",
            ));
        }
        if asc.frame_length() != 1024 {
            return Err(refuse("frame length", asc.frame_length(), "1024 samples"));
        }
        Ok(AdtsConfig {
            profile: aot - 1,
            sampling_frequency_index: u8::try_from(index).expect("below 13"),
            channel_configuration: channels,
        })
    }

    /// The 7-byte header for a raw AAC frame of `payload_len` bytes: MPEG-4 ID, layer 0, no CRC,
    /// buffer fullness 0x7FF (variable rate), one raw data block; `None` when the frame is longer
    /// than aac_frame_length can say.
    pub fn header(&self, payload_len: usize) -> Option<[u8; HEADER_LEN]> {
        let len = payload_len
            .checked_add(HEADER_LEN)
            .filter(|&l| l <= MAX_FRAME_LEN)?;
        let len = u16::try_from(len).ok()?;
        let byte = |v: u16| u8::try_from(v & 0xFF).expect("masked");
        Some([
            0xFF,
            // syncword low bits, ID 0 (MPEG-4), layer 00, protection_absent 1.
            0xF1,
            (self.profile << 6)
                | (self.sampling_frequency_index << 2)
                | (self.channel_configuration >> 2),
            // channel bits, original/copy 0, home 0, copyright bits 0, frame length bits 12..11.
            ((self.channel_configuration & 0x3) << 6) | byte(len >> 11),
            byte(len >> 3),
            // frame length bits 2..0, buffer fullness 0x7FF bits 10..6.
            (byte(len & 0x7) << 5) | 0x1F,
            // buffer fullness bits 5..0, number_of_raw_data_blocks_in_frame 0.
            0xFC,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(asc: &[u8]) -> Result<AdtsConfig, Error> {
        AdtsConfig::new(2, &AudioSpecificConfig::parse(asc).unwrap())
    }

    #[test]
    fn aac_lc_48k_stereo() {
        // ASC 11 90: AOT 2 (00010), index 3 (0011), channels 2 (0010).
        // ADTS for 100 payload bytes, aac_frame_length 107 = 0b000_0000_1101_011:
        //   FF F1 | 01 0011 0 0 = 0x4C | 10 0 0 0 0 00 = 0x80 | 0000_1101 = 0x0D |
        //   011 11111 = 0x7F | 111111 00 = 0xFC.
        let header = config(&[0x11, 0x90]).unwrap().header(100).unwrap();
        assert_eq!(header, [0xFF, 0xF1, 0x4C, 0x80, 0x0D, 0x7F, 0xFC]);
    }

    #[test]
    fn aac_lc_44k_mono_long_frame() {
        // ASC 12 08: AOT 2, index 4 (44100), channels 1. Payload 1000: length 1007 = 0x3EF
        // = 0b00_0111_1110_1111: byte 3 = 01 0000 00 = 0x40, byte 4 = 1007 >> 3 = 125 = 0x7D,
        // byte 5 = 111 11111 = 0xFF. Byte 2: 01 0100 0 0 = 0x50.
        let header = config(&[0x12, 0x08]).unwrap().header(1000).unwrap();
        assert_eq!(header, [0xFF, 0xF1, 0x50, 0x40, 0x7D, 0xFF, 0xFC]);
        // 8191 − 7 is the largest payload.
        assert!(config(&[0x12, 0x08]).unwrap().header(8184).is_some());
        assert!(config(&[0x12, 0x08]).unwrap().header(8185).is_none());
    }

    #[test]
    fn configs_adts_cannot_express() {
        // Channel configuration 0 (a PCE would be needed), 11 80, never gets here: the codec layer
        // already refuses it as unusable (MissingCodecPrivateData, spec §5.3).
        assert!(AudioSpecificConfig::parse(&[0x11, 0x80]).is_err());
        // AOT 6 (AAC scalable) does not fit the 2-bit profile: 00110 0011 0010, GASpecificConfig
        // 0 0 0 and layerNr 000 → 31 90 00.
        assert!(matches!(
            config(&[0x31, 0x90, 0x00]),
            Err(Error::AdtsUnsupported {
                field: "audio object type",
                value: 6,
                ..
            })
        ));
        // Explicit frequency 12345 Hz (index 15 + 24 bits): AOT 2, 1111, 0x003039, channels 2.
        // 00010 1111 000000000011000000111001 0010 000 → 17 80 18 1C 90.
        assert!(matches!(
            config(&[0x17, 0x80, 0x18, 0x1C, 0x90]),
            Err(Error::AdtsUnsupported {
                field: "sampling frequency",
                value: 12345,
                ..
            })
        ));
        // 960-sample frames (frameLengthFlag 1): 11 94.
        assert!(matches!(
            config(&[0x11, 0x94]),
            Err(Error::AdtsUnsupported {
                field: "frame length",
                ..
            })
        ));
    }
}
