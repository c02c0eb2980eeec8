//! Codec private data (CPD) validation and codec strings (spec §5, §6, §9.9, §9.11).
//!
//! A track's CPD is validated once into a view ([`AvcConfig`], [`HevcConfig`], [`AudioSpecificConfig`],
//! [`WaveFormatEx`]) that has walked every length, so accessors cannot fail. Whether a CPD change between
//! fragments is allowed is decided per operation in `api/` (spec §6): this module only says what changed.
#![warn(clippy::indexing_slicing)]

mod aac;
mod avc;
mod bits;
mod error;
mod g711;
mod hevc;
pub mod nal;
#[cfg(test)]
pub(crate) mod test_fixtures;

use std::fmt;

use bytes::Bytes;

pub use aac::AudioSpecificConfig;
pub use avc::{AvcConfig, AvcHighProfileTail};
pub use error::{Error, Record};
pub use g711::{G711Format, WaveFormatEx};
pub use hevc::{HevcConfig, HevcNalArray, NAL_PPS, NAL_SPS, NAL_VPS};
pub use nal::FrameRole;

/// The codecs the service packages, by Matroska CodecID (spec §5.1, §9.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecKind {
    /// H.264, `V_MPEG4/ISO/AVC`.
    Avc,
    /// H.265, `V_MPEGH/ISO/HEVC`.
    Hevc,
    /// AAC, `A_AAC`.
    Aac,
    /// G.711 A-law or µ-law, `A_MS/ACM`.
    G711,
}

impl CodecKind {
    /// The kind for a Matroska CodecID, after stripping trailing NULs (spec §5.1, §9.11).
    ///
    /// Accepts `V_MPEG4/ISO/AVC`, `V_MPEGH/ISO/HEVC`, `A_AAC`, `A_MS/ACM` and the documentation spellings
    /// `V_MPEG/ISO/AVC`, `V_MPEG/ISO/HEVC`; anything else (`A_AAC/MPEG4/MAIN`, `V_MS/VFW/FOURCC`, ...) is `None`.
    pub fn from_codec_id(id: &str) -> Option<CodecKind> {
        match id.trim_end_matches('\0') {
            "V_MPEG4/ISO/AVC" | "V_MPEG/ISO/AVC" => Some(Self::Avc),
            "V_MPEGH/ISO/HEVC" | "V_MPEG/ISO/HEVC" => Some(Self::Hevc),
            "A_AAC" => Some(Self::Aac),
            "A_MS/ACM" => Some(Self::G711),
            _ => None,
        }
    }

    /// Whether this is a video codec (spec §5.1).
    pub fn is_video(self) -> bool {
        matches!(self, Self::Avc | Self::Hevc)
    }
}

impl fmt::Display for CodecKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Avc => "h.264",
            Self::Hevc => "h.265",
            Self::Aac => "aac",
            Self::G711 => "g.711",
        })
    }
}

/// A track's validated codec private data (spec §5.2). Equality is semantic: reserved bits and ignored
/// trailing bytes do not count, parameter-set bytes do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecConfig {
    /// H.264 avcC.
    Avc(AvcConfig),
    /// H.265 hvcC.
    Hevc(HevcConfig),
    /// AAC AudioSpecificConfig.
    Aac(AudioSpecificConfig),
    /// G.711 WAVEFORMATEX.
    G711(WaveFormatEx),
}

impl CodecConfig {
    /// Validates a track's CPD the way the service does (spec §5.1–§5.3, §9.9).
    ///
    /// # Errors
    /// [`Error::UnsupportedCodec`] for a CodecID the service does not package; [`Error::Missing`] for an
    /// absent or empty CPD; [`Error::AacLength`] for an AAC CPD not 2 or 5 bytes long; otherwise the codec
    /// parser's error ([`AvcConfig::parse`], [`HevcConfig::parse`], [`AudioSpecificConfig::parse`],
    /// [`WaveFormatEx::parse`]).
    pub fn parse(codec_id: &str, codec_private: Option<&Bytes>) -> Result<CodecConfig, Error> {
        let kind = CodecKind::from_codec_id(codec_id).ok_or_else(|| Error::UnsupportedCodec {
            codec_id: codec_id.trim_end_matches('\0').to_owned(),
        })?;
        let cpd = codec_private
            .filter(|c| !c.is_empty())
            .ok_or(Error::Missing)?;
        Ok(match kind {
            CodecKind::Avc => Self::Avc(AvcConfig::parse(cpd)?),
            CodecKind::Hevc => Self::Hevc(HevcConfig::parse(cpd)?),
            CodecKind::Aac => {
                // The length rule comes first: the service's message names only the length (spec §5.3).
                if cpd.len() != 2 && cpd.len() != 5 {
                    return Err(Error::AacLength { len: cpd.len() });
                }
                Self::Aac(AudioSpecificConfig::parse(cpd)?)
            }
            CodecKind::G711 => Self::G711(WaveFormatEx::parse(cpd)?),
        })
    }

    /// The [`FrameRole`] of a video frame (length-prefixed NAL units); `None` for audio.
    pub fn frame_role(&self, frame: &[u8]) -> Option<FrameRole> {
        match self {
            Self::Avc(c) => Some(c.frame_role(frame)),
            Self::Hevc(c) => Some(c.frame_role(frame)),
            Self::Aac(_) | Self::G711(_) => None,
        }
    }

    /// The codec (spec §5.1).
    pub fn kind(&self) -> CodecKind {
        match self {
            Self::Avc(_) => CodecKind::Avc,
            Self::Hevc(_) => CodecKind::Hevc,
            Self::Aac(_) => CodecKind::Aac,
            Self::G711(_) => CodecKind::G711,
        }
    }

    /// The RFC 6381 codec string for HLS CODECS / DASH `codecs` (spec §8.1, §8.4).
    pub fn codec_string(&self) -> String {
        match self {
            Self::Avc(c) => c.codec_string(),
            Self::Hevc(c) => c.codec_string(),
            Self::Aac(c) => c.codec_string(),
            Self::G711(c) => c.codec_string(),
        }
    }

    /// Video width in pixels after cropping / the conformance window (spec §8.1 RESOLUTION).
    pub fn width(&self) -> Option<u32> {
        match self {
            Self::Avc(c) => Some(c.width()),
            Self::Hevc(c) => Some(c.width()),
            Self::Aac(_) | Self::G711(_) => None,
        }
    }

    /// Video height in pixels after cropping / the conformance window (spec §8.1 RESOLUTION).
    pub fn height(&self) -> Option<u32> {
        match self {
            Self::Avc(c) => Some(c.height()),
            Self::Hevc(c) => Some(c.height()),
            Self::Aac(_) | Self::G711(_) => None,
        }
    }

    /// Audio output sample rate in Hz (spec §5.2).
    pub fn sample_rate(&self) -> Option<u32> {
        match self {
            // Choice: with SBR signalled, the SBR output rate (what ffprobe reports), else the core rate.
            Self::Aac(c) => Some(
                c.extension_sample_rate()
                    .filter(|_| c.sbr_present())
                    .unwrap_or(c.sample_rate()),
            ),
            Self::G711(c) => Some(c.sample_rate()),
            Self::Avc(_) | Self::Hevc(_) => None,
        }
    }

    /// Audio channel count (spec §5.2).
    pub fn channels(&self) -> Option<u16> {
        match self {
            Self::Aac(c) => Some(u16::from(c.channels())),
            Self::G711(c) => Some(c.channels()),
            Self::Avc(_) | Self::Hevc(_) => None,
        }
    }
}

/// What differs between two CPDs of a track, most significant first (spec §6).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigChange {
    /// A different codec.
    CodecKind {
        /// Before.
        from: CodecKind,
        /// After.
        to: CodecKind,
    },
    /// A different picture size.
    Resolution {
        /// Width and height before.
        from: (u32, u32),
        /// Width and height after.
        to: (u32, u32),
    },
    /// A different codec string: profile, level, object type or companding law.
    ProfileLevel {
        /// Codec string before.
        from: String,
        /// Codec string after.
        to: String,
    },
    /// A different audio sample rate or channel count.
    AudioFormat {
        /// Sample rate and channels before.
        from: (u32, u16),
        /// Sample rate and channels after.
        to: (u32, u16),
    },
    /// Same codec string, size and audio format, but other bytes or fields differ (parameter sets, ...).
    Parameters,
}

impl fmt::Display for ConfigChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CodecKind { from, to } => write!(f, "codec changed from {from} to {to}"),
            Self::Resolution { from, to } => {
                write!(
                    f,
                    "resolution changed from {}x{} to {}x{}",
                    from.0, from.1, to.0, to.1
                )
            }
            Self::ProfileLevel { from, to } => {
                write!(f, "codec parameters changed from {from} to {to}")
            }
            Self::AudioFormat { from, to } => write!(
                f,
                "audio format changed from {} hz {} ch to {} hz {} ch",
                from.0, from.1, to.0, to.1
            ),
            Self::Parameters => f.write_str("codec private data changed"),
        }
    }
}

/// Compares two CPDs of one track; `None` when they are semantically equal (spec §6).
///
/// The service forbids any CPD change within a GetClip clip or a DASH session and allows changes within a
/// track in HLS (spec §6); the operation in `api/` decides what a change means, not this function.
pub fn compare(prev: &CodecConfig, next: &CodecConfig) -> Option<ConfigChange> {
    if prev == next {
        return None;
    }
    let (from, to) = (prev.kind(), next.kind());
    if from != to {
        return Some(ConfigChange::CodecKind { from, to });
    }
    let size = |c: &CodecConfig| c.width().zip(c.height());
    if let (Some(from), Some(to)) = (size(prev), size(next))
        && from != to
    {
        return Some(ConfigChange::Resolution { from, to });
    }
    let audio = |c: &CodecConfig| c.sample_rate().zip(c.channels());
    if let (Some(from), Some(to)) = (audio(prev), audio(next))
        && from != to
    {
        return Some(ConfigChange::AudioFormat { from, to });
    }
    let (from, to) = (prev.codec_string(), next.codec_string());
    if from != to {
        return Some(ConfigChange::ProfileLevel { from, to });
    }
    Some(ConfigChange::Parameters)
}

#[cfg(test)]
mod tests {
    use super::test_fixtures::{AAC, AVC, G711, HEVC, cpd, golden_u32};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codec_ids() {
        let cases = [
            ("V_MPEG4/ISO/AVC", Some(CodecKind::Avc)),
            ("V_MPEG/ISO/AVC", Some(CodecKind::Avc)),
            ("V_MPEGH/ISO/HEVC", Some(CodecKind::Hevc)),
            ("V_MPEG/ISO/HEVC", Some(CodecKind::Hevc)),
            ("A_AAC", Some(CodecKind::Aac)),
            ("A_MS/ACM", Some(CodecKind::G711)),
            (
                "V_MPEG4/ISO/AVC\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
                Some(CodecKind::Avc),
            ),
            ("A_AAC/MPEG4/MAIN", None),
            ("A_PCM/INT/LIT", None),
            ("V_MS/VFW/FOURCC\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", None),
            ("V_VP9", None),
            ("v_mpeg4/iso/avc", None),
            ("", None),
        ];
        for (id, kind) in cases {
            assert_eq!(CodecKind::from_codec_id(id), kind, "{id:?}");
        }
    }

    #[test]
    fn service_rules() {
        let any = Bytes::from_static(&[1, 2, 3]);
        assert_eq!(
            CodecConfig::parse("V_MS/VFW/FOURCC\0\0", Some(&any)),
            Err(Error::UnsupportedCodec {
                codec_id: "V_MS/VFW/FOURCC".into()
            })
        );
        for id in ["V_MPEG4/ISO/AVC", "V_MPEGH/ISO/HEVC", "A_AAC", "A_MS/ACM"] {
            assert_eq!(CodecConfig::parse(id, None), Err(Error::Missing), "{id}");
            assert_eq!(
                CodecConfig::parse(id, Some(&Bytes::new())),
                Err(Error::Missing),
                "{id}"
            );
        }
        // The RTSP/LATM round trip's 4-byte ASC and the other lengths the service refuses (spec §5.3).
        for cpd in [
            &[0x14, 0x08, 0x1f, 0xe0][..],
            &[0x11],
            &[0x11, 0x90, 0x56],
            &[0; 18],
        ] {
            let err = CodecConfig::parse("A_AAC", Some(&Bytes::copy_from_slice(cpd))).unwrap_err();
            assert_eq!(err, Error::AacLength { len: cpd.len() });
        }
        assert_eq!(
            Error::AacLength { len: 4 }.to_string(),
            "AAC CPD must be of length 2 or 5, but was 4"
        );
        // HE-AACv2 with backward-compatible signalling is 7 bytes: valid ASC, refused by the length rule.
        let v2 = Bytes::from_static(&[0x13, 0x08, 0x56, 0xe5, 0x9d, 0x48, 0x80]);
        assert!(AudioSpecificConfig::parse(&v2).is_ok());
        assert_eq!(
            CodecConfig::parse("A_AAC", Some(&v2)),
            Err(Error::AacLength { len: 7 })
        );
        // Reserved frequency index within a 2-byte CPD: unusable (maps to Missing, spec §5.3).
        let reserved = Bytes::from_static(&[0x16, 0x90]);
        assert!(matches!(
            CodecConfig::parse("A_AAC", Some(&reserved)),
            Err(Error::UnusableAudioConfig { .. })
        ));
    }

    #[test]
    fn every_fixture_through_the_facade() {
        let groups: [(&str, &[&str], CodecKind); 4] = [
            ("V_MPEG4/ISO/AVC", AVC, CodecKind::Avc),
            ("V_MPEGH/ISO/HEVC", HEVC, CodecKind::Hevc),
            ("A_AAC", AAC, CodecKind::Aac),
            ("A_MS/ACM", G711, CodecKind::G711),
        ];
        for (id, names, kind) in groups {
            for name in names {
                let c = CodecConfig::parse(id, Some(&cpd(name)))
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(c.kind(), kind);
                if kind.is_video() {
                    assert_eq!(c.width(), Some(golden_u32(name, "width")), "{name}");
                    assert_eq!(c.height(), Some(golden_u32(name, "height")), "{name}");
                    assert_eq!((c.sample_rate(), c.channels()), (None, None));
                } else {
                    assert_eq!(
                        c.sample_rate(),
                        Some(golden_u32(name, "sample_rate")),
                        "{name}"
                    );
                    assert_eq!(
                        c.channels().map(u32::from),
                        Some(golden_u32(name, "channels")),
                        "{name}"
                    );
                    assert_eq!((c.width(), c.height()), (None, None));
                }
            }
        }
        let aac = CodecConfig::parse("A_AAC", Some(&cpd("real-vogels_480-audio"))).unwrap();
        assert_eq!(aac.codec_string(), "mp4a.40.2");
        let alaw = CodecConfig::parse("A_MS/ACM", Some(&cpd("alaw-8k-mono"))).unwrap();
        assert_eq!(alaw.codec_string(), "alaw");
        // HE-AAC (5 bytes, backward compatible): the output rate is the SBR rate.
        let he = CodecConfig::parse(
            "A_AAC",
            Some(&Bytes::from_static(&[0x13, 0x10, 0x56, 0xe5, 0x98])),
        )
        .unwrap();
        assert_eq!(he.sample_rate(), Some(48000));
    }

    fn parse(id: &str, name: &str) -> CodecConfig {
        CodecConfig::parse(id, Some(&cpd(name))).unwrap()
    }

    #[test]
    fn changes() {
        let avc = "V_MPEG4/ISO/AVC";
        let a = parse(avc, "real-output_get_media");
        assert_eq!(compare(&a, &a.clone()), None);
        // The README's real CPD change: output_get_media.mkv then kinesis_video_renderer_example_output.mkv.
        let b = parse(avc, "real-kinesis_video_renderer_example_output");
        let change = compare(&a, &b).unwrap();
        assert_eq!(
            change,
            ConfigChange::Resolution {
                from: (640, 360),
                to: (640, 480)
            }
        );
        assert_eq!(
            change.to_string(),
            "resolution changed from 640x360 to 640x480"
        );
        // Same size, other profile.
        let change = compare(&parse(avc, "h264-baseline"), &parse(avc, "h264-main")).unwrap();
        assert!(
            matches!(change, ConfigChange::ProfileLevel { .. }),
            "{change}"
        );
        // Same everything but the PPS bytes.
        let raw = cpd("h264-main");
        let mut v = raw.to_vec();
        *v.last_mut().unwrap() ^= 0x01;
        let other = CodecConfig::parse(avc, Some(&Bytes::from(v))).unwrap();
        assert_eq!(
            compare(&parse(avc, "h264-main"), &other),
            Some(ConfigChange::Parameters)
        );
        // Codec kind.
        let aac = parse("A_AAC", "aac-lc-48k-stereo");
        assert_eq!(
            compare(&a, &aac),
            Some(ConfigChange::CodecKind {
                from: CodecKind::Avc,
                to: CodecKind::Aac
            })
        );
        // Audio format; and the 2- vs 5-byte LC configs are the same config.
        assert_eq!(
            compare(&aac, &parse("A_AAC", "aac-lc-22k-mono")),
            Some(ConfigChange::AudioFormat {
                from: (48000, 2),
                to: (22050, 1)
            })
        );
        assert_eq!(
            compare(&aac, &parse("A_AAC", "real-vogels_480-audio")),
            None
        );
        // A-law to µ-law: same format, other codec string.
        let change = compare(
            &parse("A_MS/ACM", "alaw-8k-mono"),
            &parse("A_MS/ACM", "mulaw-8k-mono"),
        )
        .unwrap();
        assert_eq!(
            change.to_string(),
            "codec parameters changed from alaw to ulaw"
        );
    }

    #[test]
    fn error_display_conventions() {
        let errors = [
            Error::UnsupportedCodec {
                codec_id: "V_VP9".into(),
            },
            Error::Missing,
            Error::Truncated {
                record: Record::Avcc,
                field: "f",
                offset: 1,
                needed: 2,
                available: 0,
            },
            Error::BadField {
                record: Record::Hvcc,
                field: "f",
                offset: 1,
                expected: "1",
                found: 2,
            },
            Error::NoParameterSet {
                record: Record::Avcc,
                what: "pps",
            },
            Error::AnnexBCodecPrivate {
                record: Record::Hvcc,
                start_code_len: 4,
            },
            Error::ParameterSet {
                record: Record::AvcSps,
                offset: 8,
                detail: "x".into(),
            },
            Error::TrailingBytes {
                record: Record::WaveFormatEx,
                offset: 18,
                len: 1,
            },
            Error::UnusableAudioConfig {
                record: Record::AudioSpecificConfig,
                field: "f",
                bit_offset: 5,
                found: 13,
            },
            Error::LengthSize { length_size: 3 },
            Error::EmptyFrame,
            Error::EmptyNal { offset: 0 },
            Error::NalLengthOverrun {
                offset: 0,
                length: 9,
                available: 1,
            },
            Error::AnnexBFrame { start_code_len: 3 },
        ];
        for e in errors {
            let s = e.to_string();
            assert!(s.starts_with(|c: char| c.is_lowercase()), "{s}");
            assert!(!s.ends_with('.'), "{s}");
        }
    }

    proptest! {
        #[test]
        fn facade_never_panics(data in prop::collection::vec(any::<u8>(), 0..64), which in 0usize..4) {
            let id = ["V_MPEG4/ISO/AVC", "V_MPEGH/ISO/HEVC", "A_AAC", "A_MS/ACM"][which];
            if let Ok(c) = CodecConfig::parse(id, Some(&Bytes::from(data))) {
                prop_assert!(!c.codec_string().is_empty());
                prop_assert_eq!(compare(&c, &c), None);
            }
        }
    }
}
