//! AAC codec private data: AudioSpecificConfig (spec §5.2, §5.3; ISO/IEC 14496-3 §1.6.2.1).
#![warn(clippy::indexing_slicing)]

use super::bits::BitReader;
use super::error::{Error, Record};

/// Sampling frequencies by `samplingFrequencyIndex` 0–12 (ISO/IEC 14496-3 Table 1.18; spec §5.2).
const SAMPLING_FREQUENCIES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// AOT of SBR, the HE-AAC extension (ISO/IEC 14496-3 Table 1.17).
const AOT_SBR: u8 = 5;
/// AOT of PS, the HE-AAC v2 extension (ISO/IEC 14496-3 Table 1.17).
const AOT_PS: u8 = 29;
/// AOT of ER BSAC (ISO/IEC 14496-3 Table 1.17).
const AOT_ER_BSAC: u8 = 22;
/// Backward-compatible SBR signalling (ISO/IEC 14496-3 §1.6.2.1).
const SYNC_EXTENSION_SBR: u64 = 0x2b7;
/// Backward-compatible PS signalling (ISO/IEC 14496-3 §1.6.2.1).
const SYNC_EXTENSION_PS: u64 = 0x548;

/// A validated AudioSpecificConfig of the AAC family (spec §5.2, AAC row; ISO/IEC 14496-3 §1.6.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioSpecificConfig {
    signalled_object_type: u8,
    audio_object_type: u8,
    sample_rate: u32,
    channel_configuration: u8,
    sbr_present: bool,
    ps_present: bool,
    extension_sample_rate: Option<u32>,
    frame_length_flag: bool,
    core_coder_delay: Option<u16>,
    extension_flag: bool,
}

impl AudioSpecificConfig {
    /// Parses an AudioSpecificConfig of any length (ISO/IEC 14496-3 §1.6.2.1); bits after the last field
    /// read are ignored. The service's 2-or-5-byte rule is applied by [`super::CodecConfig::parse`].
    ///
    /// # Errors
    /// [`Error::UnusableAudioConfig`] (maps to Missing, spec §5.3) for reserved or unusable object type,
    /// sampling frequency or channel configuration; [`Error::Truncated`] when the bits run out.
    pub fn parse(asc: &[u8]) -> Result<AudioSpecificConfig, Error> {
        let mut r = BitReader::new(asc, Record::AudioSpecificConfig);
        let signalled_object_type = object_type(&mut r)?;
        let sample_rate = sampling_frequency(&mut r, "samplingFrequencyIndex")?;
        let at = r.position();
        let channel_configuration =
            u8::try_from(r.bits32(4, "channelConfiguration")?).unwrap_or(u8::MAX);
        let mut sbr_present = false;
        let mut ps_present = false;
        let mut extension_sample_rate = None;
        let mut audio_object_type = signalled_object_type;
        let mut aot_at = 0;
        if matches!(signalled_object_type, AOT_SBR | AOT_PS) {
            // Explicit, hierarchical signalling: the extension first, then the underlying AOT.
            sbr_present = true;
            ps_present = signalled_object_type == AOT_PS;
            extension_sample_rate = Some(sampling_frequency(
                &mut r,
                "extensionSamplingFrequencyIndex",
            )?);
            aot_at = r.position();
            audio_object_type = object_type(&mut r)?;
            if audio_object_type == AOT_ER_BSAC {
                r.skip(4, "extensionChannelConfiguration")?;
            }
        }
        // Choice: channelConfiguration 0 (a program_config_element) is treated as unusable: the service needs
        // a channel count, its own producers never write 0, and the 4-byte `14 08 1f e0` it refused has 0.
        if channel_configuration == 0 || channel_configuration >= 8 {
            return Err(unusable(
                "channelConfiguration",
                at,
                u64::from(channel_configuration),
            ));
        }
        // GASpecificConfig (§4.4.1) for the AAC types. Choice: ER AAC LD (23) and the non-AAC types are
        // refused as unusable: their frame lengths and configs differ from what the service packages.
        if !matches!(audio_object_type, 1..=4 | 6 | 7 | 17 | 19..=22) {
            return Err(unusable(
                "audioObjectType",
                aot_at,
                u64::from(audio_object_type),
            ));
        }
        let frame_length_flag = r.bit("frameLengthFlag")?;
        let core_coder_delay = if r.bit("dependsOnCoreCoder")? {
            Some(u16::try_from(r.bits32(14, "coreCoderDelay")?).unwrap_or(u16::MAX))
        } else {
            None
        };
        let extension_flag = r.bit("extensionFlag")?;
        if matches!(audio_object_type, 6 | 20) {
            r.skip(3, "layerNr")?;
        }
        if extension_flag {
            if audio_object_type == AOT_ER_BSAC {
                r.skip(16, "numOfSubFrame")?;
            }
            if matches!(audio_object_type, 17 | 19 | 20) {
                r.skip(3, "aacSectionDataResilienceFlag")?;
            }
            r.skip(1, "extensionFlag3")?;
        }
        if matches!(audio_object_type, 17 | 19..=22) {
            let at = r.position();
            let ep_config = r.bits(2, "epConfig")?;
            if ep_config >= 2 {
                // Choice: ErrorProtectionSpecificConfig is not read; such a config is unusable here.
                return Err(unusable("epConfig", at, ep_config));
            }
        }
        if !sbr_present && r.remaining() >= 16 {
            // Backward-compatible signalling after the base config.
            if r.bits(11, "syncExtensionType")? == SYNC_EXTENSION_SBR {
                let extension_object_type = object_type(&mut r)?;
                if extension_object_type == AOT_SBR {
                    sbr_present = r.bit("sbrPresentFlag")?;
                    if sbr_present {
                        extension_sample_rate = Some(sampling_frequency(
                            &mut r,
                            "extensionSamplingFrequencyIndex",
                        )?);
                        if r.remaining() >= 12
                            && r.bits(11, "syncExtensionType")? == SYNC_EXTENSION_PS
                        {
                            ps_present = r.bit("psPresentFlag")?;
                        }
                    }
                }
            }
            // Choice: any other extension (or unknown syncExtensionType) is ignored, as ffmpeg does.
        }
        Ok(AudioSpecificConfig {
            signalled_object_type,
            audio_object_type,
            sample_rate,
            channel_configuration,
            sbr_present,
            ps_present,
            extension_sample_rate,
            frame_length_flag,
            core_coder_delay,
            extension_flag,
        })
    }

    /// The base audio object type: 2 for AAC-LC, also under HE-AAC (ISO/IEC 14496-3 Table 1.17).
    pub fn audio_object_type(&self) -> u8 {
        self.audio_object_type
    }

    /// The first audio object type in the config: 5 or 29 with explicit HE-AAC signalling, else the base
    /// type (ISO/IEC 14496-3 §1.6.2.1).
    pub fn signalled_object_type(&self) -> u8 {
        self.signalled_object_type
    }

    /// The core sampling frequency in Hz (ISO/IEC 14496-3 §1.6.2.1, Table 1.18).
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The SBR output sampling frequency in Hz, when signalled (ISO/IEC 14496-3 §1.6.2.1).
    pub fn extension_sample_rate(&self) -> Option<u32> {
        self.extension_sample_rate
    }

    /// `channelConfiguration`, 1–7 (ISO/IEC 14496-3 Table 1.19; spec §5.2).
    pub fn channel_configuration(&self) -> u8 {
        self.channel_configuration
    }

    /// Number of channels of the channel configuration: 1–6, or 8 for configuration 7
    /// (ISO/IEC 14496-3 Table 1.19). Parametric stereo is not counted.
    pub fn channels(&self) -> u8 {
        if self.channel_configuration == 7 {
            8
        } else {
            self.channel_configuration
        }
    }

    /// Whether SBR is signalled present (explicitly or backward-compatibly) (ISO/IEC 14496-3 §1.6.2.1).
    pub fn sbr_present(&self) -> bool {
        self.sbr_present
    }

    /// Whether PS is signalled present (ISO/IEC 14496-3 §1.6.2.1).
    pub fn ps_present(&self) -> bool {
        self.ps_present
    }

    /// Samples per frame of the core coder: 1024, or 960 with frameLengthFlag (ISO/IEC 14496-3 §4.5.1.1).
    pub fn frame_length(&self) -> u32 {
        if self.frame_length_flag { 960 } else { 1024 }
    }

    /// `coreCoderDelay` when `dependsOnCoreCoder` is set (ISO/IEC 14496-3 §4.4.1).
    pub fn core_coder_delay(&self) -> Option<u16> {
        self.core_coder_delay
    }

    /// GASpecificConfig `extensionFlag` (ISO/IEC 14496-3 §4.4.1).
    pub fn extension_flag(&self) -> bool {
        self.extension_flag
    }

    /// RFC 6381 codec string `mp4a.40.<AOT>` with the signalled object type (spec §8.1).
    pub fn codec_string(&self) -> String {
        format!("mp4a.40.{}", self.signalled_object_type)
    }
}

fn unusable(field: &'static str, bit_offset: usize, found: u64) -> Error {
    Error::UnusableAudioConfig {
        record: Record::AudioSpecificConfig,
        field,
        bit_offset,
        found,
    }
}

/// GetAudioObjectType(): 5 bits, 31 escapes to 32 + 6 more bits (ISO/IEC 14496-3 §1.6.2.1).
fn object_type(r: &mut BitReader<'_>) -> Result<u8, Error> {
    let at = r.position();
    let aot = r.bits32(5, "audioObjectType")?;
    let aot = if aot == 31 {
        32 + r.bits32(6, "audioObjectTypeExt")?
    } else {
        aot
    };
    u8::try_from(aot)
        .ok()
        .filter(|&a| a != 0)
        .ok_or_else(|| unusable("audioObjectType", at, u64::from(aot)))
}

/// A 4-bit frequency index, or the explicit 24-bit frequency after index 15 (ISO/IEC 14496-3 §1.6.2.1).
fn sampling_frequency(r: &mut BitReader<'_>, field: &'static str) -> Result<u32, Error> {
    let at = r.position();
    let index = r.bits32(4, field)?;
    let rate = if index == 15 {
        r.bits32(24, "samplingFrequency")?
    } else {
        // Index 13 and 14 are reserved: the service reported such a CPD as missing (spec §5.3).
        usize::try_from(index)
            .ok()
            .and_then(|i| SAMPLING_FREQUENCIES.get(i))
            .copied()
            .ok_or_else(|| unusable(field, at, u64::from(index)))?
    };
    if rate == 0 {
        return Err(unusable("samplingFrequency", at, 0));
    }
    Ok(rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_fixtures::{AAC, cpd, golden, golden_u32};
    use proptest::prelude::*;

    #[test]
    fn fixtures_agree_with_ffprobe() {
        for name in AAC {
            let c =
                AudioSpecificConfig::parse(&cpd(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(c.sample_rate(), golden_u32(name, "sample_rate"), "{name}");
            assert_eq!(
                u32::from(c.channels()),
                golden_u32(name, "channels"),
                "{name}"
            );
            assert_eq!(golden(name, "profile").as_deref(), Some("LC"), "{name}");
            assert_eq!(c.audio_object_type(), 2, "{name}");
            assert_eq!(c.codec_string(), "mp4a.40.2", "{name}");
            assert!(!c.sbr_present() && !c.ps_present(), "{name}");
            assert_eq!(c.frame_length(), 1024, "{name}");
        }
    }

    #[test]
    fn ffmpeg_signals_no_sbr_backward_compatibly() {
        // ffmpeg's `aac` writes 5 bytes: 11 90 = LC, 48 kHz, stereo, GASpecificConfig 000, then
        // syncExtensionType 0x2b7, extension AOT 5, sbrPresentFlag 0.
        assert_eq!(
            &cpd("aac-lc-48k-stereo")[..],
            &[0x11, 0x90, 0x56, 0xe5, 0x00]
        );
        let five = AudioSpecificConfig::parse(&cpd("aac-lc-48k-stereo")).unwrap();
        let two = AudioSpecificConfig::parse(&cpd("real-vogels_480-audio")).unwrap();
        assert_eq!(five, two);
        assert_eq!(five.extension_sample_rate(), None);
    }

    // Hand-built configs (ISO/IEC 14496-3 §1.6.2.1), fields MSB first, zero-padded to a byte:
    //   explicit HE-AAC:  AOT 5 (00101) | idx 6 = 24000 (0110) | ch 2 (0010) | ext idx 3 = 48000 (0011)
    //                     | AOT 2 (00010) | GASpecificConfig 000                          = 2b 11 88 00
    //   explicit HE-AACv2: AOT 29 (11101) | idx 6 | ch 1 (0001) | ext idx 3 | AOT 2 | 000  = eb 09 88 00
    //   backward-compatible HE-AAC: AOT 2 | idx 6 | ch 2 | 000 | sync 0x2b7 (010 1011 0111)
    //                     | AOT 5 | sbrPresentFlag 1 | ext idx 3                          = 13 10 56 e5 98
    //   backward-compatible HE-AACv2: AOT 2 | idx 6 | ch 1 | 000 | 0x2b7 | AOT 5 | 1 | ext idx 3
    //                     | sync 0x548 (101 0100 1000) | psPresentFlag 1                 = 13 08 56 e5 9d 48 80
    #[test]
    fn he_aac_explicit() {
        let c = AudioSpecificConfig::parse(&[0x2b, 0x11, 0x88, 0x00]).unwrap();
        assert_eq!((c.signalled_object_type(), c.audio_object_type()), (5, 2));
        assert_eq!(
            (c.sample_rate(), c.extension_sample_rate()),
            (24000, Some(48000))
        );
        assert!(c.sbr_present() && !c.ps_present());
        assert_eq!((c.channels(), c.codec_string().as_str()), (2, "mp4a.40.5"));

        let c = AudioSpecificConfig::parse(&[0xeb, 0x09, 0x88, 0x00]).unwrap();
        assert_eq!((c.signalled_object_type(), c.audio_object_type()), (29, 2));
        assert!(c.sbr_present() && c.ps_present());
        assert_eq!((c.channels(), c.codec_string().as_str()), (1, "mp4a.40.29"));
    }

    #[test]
    fn he_aac_backward_compatible() {
        let c = AudioSpecificConfig::parse(&[0x13, 0x10, 0x56, 0xe5, 0x98]).unwrap();
        assert_eq!((c.signalled_object_type(), c.audio_object_type()), (2, 2));
        assert_eq!(
            (c.sample_rate(), c.extension_sample_rate()),
            (24000, Some(48000))
        );
        assert!(c.sbr_present() && !c.ps_present());
        assert_eq!(c.codec_string(), "mp4a.40.2");

        let c = AudioSpecificConfig::parse(&[0x13, 0x08, 0x56, 0xe5, 0x9d, 0x48, 0x80]).unwrap();
        assert!(c.sbr_present() && c.ps_present());
        assert_eq!((c.channels(), c.extension_sample_rate()), (1, Some(48000)));
    }

    #[test]
    fn other_fields() {
        // AOT 2 | idx 15 | 24-bit 48000 (0x00bb80) | ch 2 | 000 = 17 80 5d c0 10
        let c = AudioSpecificConfig::parse(&[0x17, 0x80, 0x5d, 0xc0, 0x10]).unwrap();
        assert_eq!((c.sample_rate(), c.channels()), (48000, 2));
        // frameLengthFlag 1: 00010 0011 0010 1 00 = 11 94
        assert_eq!(
            AudioSpecificConfig::parse(&[0x11, 0x94])
                .unwrap()
                .frame_length(),
            960
        );
        // channelConfiguration 7 is 8 channels: 00010 0011 0111 000 = 11 b8
        let c = AudioSpecificConfig::parse(&[0x11, 0xb8]).unwrap();
        assert_eq!((c.channel_configuration(), c.channels()), (7, 8));
    }

    #[test]
    fn unusable_fields() {
        let field = |bytes: &[u8]| match AudioSpecificConfig::parse(bytes) {
            Err(Error::UnusableAudioConfig {
                field,
                bit_offset,
                found,
                ..
            }) => (field, bit_offset, found),
            other => panic!("{bytes:02x?}: {other:?}"),
        };
        // Reserved frequency index 13 (demos#165, reported as missing) and 14: 00010 1101 0010 000.
        assert_eq!(field(&[0x16, 0x90]), ("samplingFrequencyIndex", 5, 13));
        assert_eq!(field(&[0x17, 0x10]), ("samplingFrequencyIndex", 5, 14));
        // channelConfiguration 8 and 0.
        assert_eq!(field(&[0x11, 0xc0]), ("channelConfiguration", 9, 8));
        assert_eq!(field(&[0x11, 0x80]), ("channelConfiguration", 9, 0));
        // Escaped object type 31 + 6 bits: 11111 000010 = 32 + 2 = 34 (MPEG-1 layer 3), not AAC.
        assert_eq!(field(&[0xf8, 0x46, 0x40]), ("audioObjectType", 0, 34));
        // Object type 0 ("null").
        assert_eq!(field(&[0x01, 0x90]), ("audioObjectType", 0, 0));
        // Explicit frequency 0: 00010 1111 <24 zero bits> 0010 000.
        assert_eq!(
            field(&[0x17, 0x80, 0x00, 0x00, 0x10]),
            ("samplingFrequency", 5, 0)
        );
    }

    #[test]
    fn truncated() {
        let err = AudioSpecificConfig::parse(&[0x11]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Truncated {
                    record: Record::AudioSpecificConfig,
                    field: "samplingFrequencyIndex",
                    ..
                }
            ),
            "{err}"
        );
        assert!(matches!(
            AudioSpecificConfig::parse(&[]),
            Err(Error::Truncated {
                field: "audioObjectType",
                ..
            })
        ));
        // Explicit HE-AAC cut before its base object type.
        assert!(matches!(
            AudioSpecificConfig::parse(&[0x2b, 0x11]),
            Err(Error::Truncated { .. })
        ));
    }

    proptest! {
        #[test]
        fn never_panics(data in prop::collection::vec(any::<u8>(), 0..12)) {
            // Any input gives a value or an error; a value has usable key fields.
            prop_assert!(AudioSpecificConfig::parse(&data).map_or(true, |c| c.sample_rate() > 0 && (1..=8).contains(&c.channels())));
        }
    }
}
