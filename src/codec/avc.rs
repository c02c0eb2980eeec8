//! H.264 codec private data: AVCDecoderConfigurationRecord (spec §5.2; ISO/IEC 14496-15 §5.3.3.1).
#![warn(clippy::indexing_slicing)]

use bytes::Bytes;
use h264_reader::nal::sps::{ChromaFormat, FrameMbsFlags, SeqParameterSet};
use h264_reader::rbsp::{BitReader, decode_nal};

use super::bits::ByteCursor;
use super::error::{Error, Record};
use super::nal::{self, FrameRole, start_code_len};

/// H.264 NAL unit type of a sequence parameter set (ITU-T H.264 Table 7-1).
const NAL_SPS: u8 = 7;
/// H.264 NAL unit type of a picture parameter set (ITU-T H.264 Table 7-1).
const NAL_PPS: u8 = 8;
/// H.264 NAL unit type of a sequence parameter set extension (ITU-T H.264 Table 7-1).
const NAL_SPS_EXT: u8 = 13;

/// A validated avcC with its parameter sets as zero-copy slices of the CPD (spec §5.2, H.264 row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvcConfig {
    profile_indication: u8,
    profile_compatibility: u8,
    level_indication: u8,
    length_size_minus_one: u8,
    sps: Vec<Bytes>,
    pps: Vec<Bytes>,
    high_profile_tail: Option<AvcHighProfileTail>,
    sps_info: AvcSpsInfo,
}

/// The optional avcC fields after the PPS list for profiles 100, 110, 122, 244 (ISO/IEC 14496-15 §5.3.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvcHighProfileTail {
    /// `chroma_format` (0–3).
    pub chroma_format: u8,
    /// `bit_depth_luma_minus8`.
    pub bit_depth_luma_minus8: u8,
    /// `bit_depth_chroma_minus8`.
    pub bit_depth_chroma_minus8: u8,
    /// The sequence parameter set extensions, zero-copy slices of the CPD.
    pub sps_ext: Vec<Bytes>,
}

/// What the first SPS says (ITU-T H.264 §7.4.2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AvcSpsInfo {
    profile_idc: u8,
    level_idc: u8,
    chroma_format_idc: u8,
    bit_depth_luma: u8,
    bit_depth_chroma: u8,
    width: u32,
    height: u32,
    max_num_reorder_frames: Option<u32>,
}

/// Profiles whose avcC may carry the chroma/bit-depth tail (ISO/IEC 14496-15 §5.3.3.1).
fn has_high_profile_tail(profile_indication: u8) -> bool {
    matches!(profile_indication, 100 | 110 | 122 | 244)
}

impl AvcConfig {
    /// Parses and validates an avcC (spec §5.2, H.264 row; ISO/IEC 14496-15 §5.3.3.1).
    ///
    /// Walks every length, requires at least one SPS and one PPS, and parses the first SPS for the picture
    /// size after cropping, so that no accessor can fail.
    ///
    /// # Errors
    /// [`Error::AnnexBCodecPrivate`] for an Annex-B CPD; [`Error::Truncated`], [`Error::BadField`],
    /// [`Error::NoParameterSet`] or [`Error::ParameterSet`] for a malformed record.
    pub fn parse(cpd: &Bytes) -> Result<AvcConfig, Error> {
        if let Some(start_code_len) = start_code_len(cpd) {
            return Err(Error::AnnexBCodecPrivate {
                record: Record::Avcc,
                start_code_len,
            });
        }
        let mut c = ByteCursor::new(cpd, Record::Avcc);
        let version = c.u8("configurationVersion")?;
        if version != 1 {
            return Err(bad(0, "configurationVersion", "1", version));
        }
        let profile_indication = c.u8("AVCProfileIndication")?;
        let profile_compatibility = c.u8("profile_compatibility")?;
        let level_indication = c.u8("AVCLevelIndication")?;
        // Choice: reserved bits ('111111' before lengthSizeMinusOne, '111' before numOfSPS) are ignored, as
        // ffmpeg does: the real GetMedia file output_get_media.mkv (Lavf57) writes them as zeros (`03 01`).
        let at = c.offset();
        let length_size_minus_one = c.u8("lengthSizeMinusOne")? & 0b11;
        if length_size_minus_one == 2 {
            return Err(bad(
                at,
                "lengthSizeMinusOne",
                "0, 1 or 3",
                length_size_minus_one,
            ));
        }
        let num_sps = c.u8("numOfSequenceParameterSets")? & 0b1_1111;
        let mut sps = Vec::new();
        let mut first_sps_offset = 0;
        for i in 0..num_sps {
            let (at, unit) = parameter_set(&mut c, "sequenceParameterSetNALUnit", NAL_SPS)?;
            if i == 0 {
                first_sps_offset = at;
            }
            sps.push(unit);
        }
        let num_pps = c.u8("numOfPictureParameterSets")?;
        let mut pps = Vec::new();
        for _ in 0..num_pps {
            pps.push(parameter_set(&mut c, "pictureParameterSetNALUnit", NAL_PPS)?.1);
        }
        let first_sps = sps.first().ok_or(Error::NoParameterSet {
            record: Record::Avcc,
            what: "sps",
        })?;
        if pps.is_empty() {
            return Err(Error::NoParameterSet {
                record: Record::Avcc,
                what: "pps",
            });
        }
        // Choice: the tail is optional (producers before 14496-15:2010 and the real mkvdump/dateutc.mkv, profile
        // 244, omit it) and read only when the 4-byte minimum is there. Other trailing bytes are ignored, as
        // ffmpeg's avcC reader does.
        let high_profile_tail = if has_high_profile_tail(profile_indication) && c.rest().len() >= 4
        {
            Some(high_profile_tail(&mut c)?)
        } else {
            None
        };
        let sps_info = parse_sps(first_sps, first_sps_offset)?;
        // Choice: avcC profile/level bytes are not checked against the SPS. The service copies avcC bytes 1–3
        // into the HLS CODECS string (spec §8.1) and hands the SPS to players; a mismatch "breaks playback"
        // (spec §5.3) but is not documented as an error.
        Ok(AvcConfig {
            profile_indication,
            profile_compatibility,
            level_indication,
            length_size_minus_one,
            sps,
            pps,
            high_profile_tail,
            sps_info,
        })
    }

    /// `AVCProfileIndication`, avcC byte 1 (ISO/IEC 14496-15 §5.3.3.1).
    pub fn profile_indication(&self) -> u8 {
        self.profile_indication
    }

    /// `profile_compatibility`, avcC byte 2: the SPS constraint_set flags (ISO/IEC 14496-15 §5.3.3.1).
    pub fn profile_compatibility(&self) -> u8 {
        self.profile_compatibility
    }

    /// `AVCLevelIndication`, avcC byte 3 (ISO/IEC 14496-15 §5.3.3.1).
    pub fn level_indication(&self) -> u8 {
        self.level_indication
    }

    /// `lengthSizeMinusOne`: 0, 1 or 3 (ISO/IEC 14496-15 §5.3.3.1).
    pub fn length_size_minus_one(&self) -> u8 {
        self.length_size_minus_one
    }

    /// Size of the frames' NAL length prefixes in bytes: 1, 2 or 4 (spec §5.2 "Frames").
    pub fn nal_length_size(&self) -> u8 {
        self.length_size_minus_one.saturating_add(1)
    }

    /// The [`FrameRole`] of one of the track's frames: unreferenced when its slices are non-IDR
    /// with `nal_ref_idc` 0 and its other units only SEI, access unit delimiters or filler (ITU-T
    /// H.264 §7.4.1); `TemporalId` is always 0.
    pub fn frame_role(&self, frame: &[u8]) -> FrameRole {
        nal::frame_role(frame, self.nal_length_size(), |unit| {
            let header = *unit.first()?;
            match header & 0x1f {
                1 => Some((0, Some(header & 0x60 == 0))),
                6 | 9 | 12 => Some((0, None)),
                _ => Some((0, Some(false))),
            }
        })
    }

    /// The sequence parameter set NAL units, with their NAL header byte (ISO/IEC 14496-15 §5.3.3.1).
    pub fn sps(&self) -> &[Bytes] {
        &self.sps
    }

    /// The picture parameter set NAL units, with their NAL header byte (ISO/IEC 14496-15 §5.3.3.1).
    pub fn pps(&self) -> &[Bytes] {
        &self.pps
    }

    /// The high-profile tail, when the avcC has one (ISO/IEC 14496-15 §5.3.3.1).
    pub fn high_profile_tail(&self) -> Option<&AvcHighProfileTail> {
        self.high_profile_tail.as_ref()
    }

    /// `profile_idc` of the first SPS (ITU-T H.264 §7.4.2.1.1).
    pub fn sps_profile_idc(&self) -> u8 {
        self.sps_info.profile_idc
    }

    /// `level_idc` of the first SPS (ITU-T H.264 §7.4.2.1.1).
    pub fn sps_level_idc(&self) -> u8 {
        self.sps_info.level_idc
    }

    /// `chroma_format_idc` of the first SPS, 1 (4:2:0) when absent (ITU-T H.264 §7.4.2.1.1).
    pub fn chroma_format_idc(&self) -> u8 {
        self.sps_info.chroma_format_idc
    }

    /// Luma bit depth of the first SPS, 8–14 (ITU-T H.264 §7.4.2.1.1).
    pub fn bit_depth_luma(&self) -> u8 {
        self.sps_info.bit_depth_luma
    }

    /// Chroma bit depth of the first SPS, 8–14 (ITU-T H.264 §7.4.2.1.1).
    pub fn bit_depth_chroma(&self) -> u8 {
        self.sps_info.bit_depth_chroma
    }

    /// Picture width in pixels after frame cropping (ITU-T H.264 §7.4.2.1.1, equations 7-19 to 7-22).
    pub fn width(&self) -> u32 {
        self.sps_info.width
    }

    /// Picture height in pixels after frame cropping (ITU-T H.264 §7.4.2.1.1).
    pub fn height(&self) -> u32 {
        self.sps_info.height
    }

    /// `max_num_reorder_frames` from the SPS VUI bitstream restrictions, when the encoder wrote it
    /// (ITU-T H.264 §E.2.1): how many frames a decoder may have to hold back for reordering.
    pub fn max_num_reorder_frames(&self) -> Option<u32> {
        self.sps_info.max_num_reorder_frames
    }

    /// RFC 6381 codec string `avc1.PPCCLL` from avcC bytes 1–3, lower-case hex (spec §8.1).
    pub fn codec_string(&self) -> String {
        format!(
            "avc1.{:02x}{:02x}{:02x}",
            self.profile_indication, self.profile_compatibility, self.level_indication
        )
    }
}

fn bad(offset: usize, field: &'static str, expected: &'static str, found: u8) -> Error {
    Error::BadField {
        record: Record::Avcc,
        field,
        offset,
        expected,
        found: u64::from(found),
    }
}

/// Takes one u16-length-prefixed parameter set and checks its NAL header (ITU-T H.264 §7.3.1).
/// Returns its offset in the CPD and the unit.
fn parameter_set(
    c: &mut ByteCursor,
    field: &'static str,
    nal_type: u8,
) -> Result<(usize, Bytes), Error> {
    let (at, unit) = c.nal_u16(field)?;
    let header = unit.first().copied().ok_or(Error::BadField {
        record: Record::Avcc,
        field,
        offset: at,
        expected: "a non-empty nal unit",
        found: 0,
    })?;
    let expected = match nal_type {
        NAL_SPS => "nal_unit_type 7 (sps)",
        NAL_PPS => "nal_unit_type 8 (pps)",
        _ => "nal_unit_type 13 (sps extension)",
    };
    if header & 0x80 != 0 || header & 0x1f != nal_type {
        return Err(bad(at, field, expected, header));
    }
    Ok((at, unit))
}

fn high_profile_tail(c: &mut ByteCursor) -> Result<AvcHighProfileTail, Error> {
    // Reserved bits ('111111', '11111', '11111') ignored as above.
    let chroma_format = c.u8("chroma_format")? & 0b11;
    let bit_depth_luma_minus8 = c.u8("bit_depth_luma_minus8")? & 0b111;
    let bit_depth_chroma_minus8 = c.u8("bit_depth_chroma_minus8")? & 0b111;
    let num_sps_ext = c.u8("numOfSequenceParameterSetExt")?;
    let mut sps_ext = Vec::new();
    for _ in 0..num_sps_ext {
        sps_ext.push(parameter_set(c, "sequenceParameterSetExtNALUnit", NAL_SPS_EXT)?.1);
    }
    Ok(AvcHighProfileTail {
        chroma_format,
        bit_depth_luma_minus8,
        bit_depth_chroma_minus8,
        sps_ext,
    })
}

/// Parses an SPS NAL unit with `h264-reader` and computes the cropped size (ITU-T H.264 §7.3.2.1.1).
fn parse_sps(nal: &Bytes, offset: usize) -> Result<AvcSpsInfo, Error> {
    let fail = |detail: String| Error::ParameterSet {
        record: Record::AvcSps,
        offset,
        detail,
    };
    // `parameter_set` checked the header byte, so `nal` is not empty, which `decode_nal` needs.
    // The RBSP is a copy only when the SPS has emulation-prevention bytes.
    let rbsp = decode_nal(nal).map_err(|e| fail(e.to_string()))?;
    let sps = SeqParameterSet::from_bits(BitReader::new(&rbsp[..]))
        .map_err(|e| fail(format!("{e:?}")))?;
    let chroma_format_idc: u8 = match sps.chroma_info.chroma_format {
        ChromaFormat::Monochrome => 0,
        ChromaFormat::YUV420 => 1,
        ChromaFormat::YUV422 => 2,
        ChromaFormat::YUV444 => 3,
        ChromaFormat::Invalid(found) => {
            return Err(Error::BadField {
                record: Record::AvcSps,
                field: "chroma_format_idc",
                offset,
                expected: "0 to 3",
                found: u64::from(found),
            });
        }
    };
    let too_large = |field: &'static str, found: u32| Error::BadField {
        record: Record::AvcSps,
        field,
        offset,
        expected: "a picture size that fits after cropping",
        found: u64::from(found),
    };
    let frame_mbs_only = matches!(sps.frame_mbs_flags, FrameMbsFlags::Frames);
    let field_factor: u32 = if frame_mbs_only { 1 } else { 2 };
    let width = sps
        .pic_width_in_mbs_minus1
        .checked_add(1)
        .and_then(|w| w.checked_mul(16))
        .ok_or_else(|| too_large("pic_width_in_mbs_minus1", sps.pic_width_in_mbs_minus1))?;
    let height = sps
        .pic_height_in_map_units_minus1
        .checked_add(1)
        .and_then(|h| h.checked_mul(16 * field_factor))
        .ok_or_else(|| {
            too_large(
                "pic_height_in_map_units_minus1",
                sps.pic_height_in_map_units_minus1,
            )
        })?;
    // Equations 7-19 to 7-22: ChromaArrayType 0 (monochrome or separate planes) crops in luma samples.
    let chroma_array_type = if sps.chroma_info.separate_colour_plane_flag {
        0
    } else {
        chroma_format_idc
    };
    let (crop_unit_x, crop_unit_y): (u32, u32) = match chroma_array_type {
        0 => (1, field_factor),
        1 => (2, 2 * field_factor),
        2 => (2, field_factor),
        _ => (1, field_factor),
    };
    let (width, height) = match &sps.frame_cropping {
        None => (width, height),
        Some(crop) => {
            let cut =
                |a: u32, b: u32, unit: u32| a.checked_add(b).and_then(|s| s.checked_mul(unit));
            let width = cut(crop.left_offset, crop.right_offset, crop_unit_x)
                .and_then(|c| width.checked_sub(c))
                .ok_or_else(|| too_large("frame_crop_left_offset", crop.left_offset))?;
            let height = cut(crop.top_offset, crop.bottom_offset, crop_unit_y)
                .and_then(|c| height.checked_sub(c))
                .ok_or_else(|| too_large("frame_crop_top_offset", crop.top_offset))?;
            (width, height)
        }
    };
    if width == 0 || height == 0 {
        return Err(too_large("frame_cropping", 0));
    }
    Ok(AvcSpsInfo {
        profile_idc: u8::from(sps.profile_idc),
        level_idc: sps.level_idc,
        chroma_format_idc,
        bit_depth_luma: sps.chroma_info.bit_depth_luma_minus8.saturating_add(8),
        bit_depth_chroma: sps.chroma_info.bit_depth_chroma_minus8.saturating_add(8),
        width,
        height,
        max_num_reorder_frames: sps
            .vui_parameters
            .as_ref()
            .and_then(|vui| vui.bitstream_restrictions.as_ref())
            .map(|r| r.max_num_reorder_frames),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_fixtures::{AVC, cpd, golden, golden_u32};
    use proptest::prelude::*;

    /// Length-prefixed (4 bytes) NAL units.
    fn frame(units: &[&[u8]]) -> Vec<u8> {
        units
            .iter()
            .flat_map(|u| {
                (u.len() as u32)
                    .to_be_bytes()
                    .into_iter()
                    .chain(u.iter().copied())
            })
            .collect()
    }

    #[test]
    fn frame_roles_follow_nal_ref_idc() {
        let c = AvcConfig::parse(&cpd("h264-high")).expect("fixture");
        let role = |units: &[&[u8]]| c.frame_role(&frame(units));
        let unreferenced = FrameRole {
            temporal_id: 0,
            unreferenced: true,
        };
        // AUD, SEI, a slice with nal_ref_idc 0.
        assert_eq!(
            role(&[&[0x09, 0x10], &[0x06, 5], &[0x01, 0x9e]]),
            unreferenced
        );
        // nal_ref_idc 2; an IDR; a parameter set carried with a non-reference slice.
        assert!(!role(&[&[0x41, 0x9a]]).unreferenced);
        assert!(!role(&[&[0x65, 0x88]]).unreferenced);
        assert!(!role(&[&[0x68, 0xce], &[0x01, 0x9e]]).unreferenced);
        // No slice; a broken length prefix.
        assert_eq!(role(&[&[0x06, 5]]), FrameRole::UNKNOWN);
        assert_eq!(c.frame_role(&[0, 0, 0, 9, 0x01]), FrameRole::UNKNOWN);
    }

    /// profile_idc for ffprobe's H.264 profile names (ITU-T H.264 Annex A).
    fn profile_idc(name: &str) -> u8 {
        match name {
            "Baseline" | "Constrained Baseline" => 66,
            "Main" => 77,
            "High" => 100,
            "High 4:4:4 Predictive" => 244,
            other => panic!("unmapped ffprobe profile {other}"),
        }
    }

    #[test]
    fn fixtures_agree_with_ffprobe() {
        for name in AVC {
            let c = AvcConfig::parse(&cpd(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(c.width(), golden_u32(name, "width"), "{name}");
            assert_eq!(c.height(), golden_u32(name, "height"), "{name}");
            assert_eq!(
                u32::from(c.sps_level_idc()),
                golden_u32(name, "level"),
                "{name}"
            );
            let profile = profile_idc(&golden(name, "profile").unwrap());
            assert_eq!(c.sps_profile_idc(), profile, "{name}");
            // In every fixture the avcC bytes 1 and 3 repeat the SPS's.
            assert_eq!(c.profile_indication(), profile, "{name}");
            assert_eq!(
                u32::from(c.level_indication()),
                golden_u32(name, "level"),
                "{name}"
            );
            assert_eq!(c.sps().len(), 1, "{name}");
            assert_eq!(c.pps().len(), 1, "{name}");
            assert_eq!(c.nal_length_size(), 4, "{name}");
            let fmt = golden(name, "pix_fmt").unwrap();
            assert_eq!(
                c.chroma_format_idc(),
                if fmt == "yuv444p" { 3 } else { 1 },
                "{name}"
            );
            assert_eq!((c.bit_depth_luma(), c.bit_depth_chroma()), (8, 8), "{name}");
        }
    }

    #[test]
    fn codec_strings_by_hand() {
        // avc1.PPCCLL from avcC bytes 1-3: Main = 77 = 0x4d, constraint_set1 = 0x40, level 3.0 = 30 = 0x1e.
        let cases = [
            ("h264-main", "avc1.4d401e"),
            ("real-output_get_media", "avc1.4d401e"),
            // High = 100 = 0x64, no constraint flags, level 4.0 = 0x28.
            ("real-kinesis_video_renderer_example_output", "avc1.640028"),
            // Constrained Baseline: 66 = 0x42 with constraint_set0 and set1 (0xc0), level 4.0.
            ("real-vogels_480-video", "avc1.42c028"),
            // High 4:4:4 Predictive 244 = 0xf4, level 1.3 = 13 = 0x0d.
            ("real-dateutc", "avc1.f4000d"),
            ("real-output-get-media-equal-timecode", "avc1.64001f"),
        ];
        for (name, expected) in cases {
            assert_eq!(
                AvcConfig::parse(&cpd(name)).unwrap().codec_string(),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn odd_size_is_cropped() {
        // 170x98 is coded as 176x112 macroblocks; ffprobe reports the cropped size.
        let c = AvcConfig::parse(&cpd("h264-high")).unwrap();
        assert_eq!((c.width(), c.height()), (170, 98));
        let tail = c
            .high_profile_tail()
            .expect("ffmpeg writes the high-profile tail");
        assert_eq!(
            (
                tail.chroma_format,
                tail.bit_depth_luma_minus8,
                tail.sps_ext.len()
            ),
            (1, 0, 0)
        );
        // 1280x674 from the real GetMedia file: cropped from 1280x688.
        let c = AvcConfig::parse(&cpd("real-output-get-media-equal-timecode")).unwrap();
        assert_eq!((c.width(), c.height()), (1280, 674));
    }

    #[test]
    fn tolerant_of_producer_variants() {
        // Lavf57 wrote zero reserved bits (`03 01`), the service passed it through.
        let raw = cpd("real-output_get_media");
        assert_eq!(&raw[4..6], &[0x03, 0x01]);
        assert_eq!(AvcConfig::parse(&raw).unwrap().nal_length_size(), 4);
        // Profile 244 without the optional tail (mkvdump/dateutc.mkv).
        assert!(
            AvcConfig::parse(&cpd("real-dateutc"))
                .unwrap()
                .high_profile_tail()
                .is_none()
        );
    }

    #[test]
    fn parameter_sets_are_slices_of_the_input() {
        let raw = cpd("h264-main");
        let c = AvcConfig::parse(&raw).unwrap();
        let range = raw.as_ptr_range();
        for unit in c.sps().iter().chain(c.pps()) {
            assert!(range.contains(&unit.as_ptr()));
        }
        assert_eq!(c.sps()[0][0], 0x67);
        assert_eq!(c.pps()[0][0], 0x68);
    }

    #[test]
    fn truncated_at_every_byte() {
        let raw = cpd("h264-main");
        for len in 0..raw.len() {
            let err = AvcConfig::parse(&raw.slice(..len)).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Truncated {
                        record: Record::Avcc,
                        ..
                    }
                ),
                "{len}: {err}"
            );
        }
    }

    fn with(raw: &Bytes, at: usize, value: u8) -> Bytes {
        let mut v = raw.to_vec();
        v[at] = value;
        Bytes::from(v)
    }

    #[test]
    fn malformed_records() {
        let raw = cpd("h264-main");
        assert!(matches!(
            AvcConfig::parse(&with(&raw, 0, 2)),
            Err(Error::BadField {
                field: "configurationVersion",
                found: 2,
                ..
            })
        ));
        assert!(matches!(
            AvcConfig::parse(&with(&raw, 4, 0xfe)),
            Err(Error::BadField {
                field: "lengthSizeMinusOne",
                offset: 4,
                found: 2,
                ..
            })
        ));
        // 1- and 2-byte NAL lengths are allowed.
        assert_eq!(
            AvcConfig::parse(&with(&raw, 4, 0xfc))
                .unwrap()
                .nal_length_size(),
            1
        );
        assert_eq!(
            AvcConfig::parse(&with(&raw, 4, 0xfd))
                .unwrap()
                .nal_length_size(),
            2
        );
        // SPS length one past the end of the record.
        let sps_len = usize::from(raw[7]);
        let err =
            AvcConfig::parse(&with(&raw, 7, u8::try_from(raw.len() - 8 + 1).unwrap())).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Truncated {
                    field: "sequenceParameterSetNALUnit",
                    offset: 8,
                    ..
                }
            ),
            "{err}"
        );
        // A PPS where the SPS should be.
        let err = AvcConfig::parse(&with(&raw, 8, 0x68)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::BadField {
                    field: "sequenceParameterSetNALUnit",
                    found: 0x68,
                    ..
                }
            ),
            "{err}"
        );
        // Zero SPS, then zero PPS.
        let no_sps = Bytes::from_static(&[1, 0x4d, 0x40, 0x1e, 0xff, 0xe0, 1, 0, 2, 0x68, 0xeb]);
        assert_eq!(
            AvcConfig::parse(&no_sps),
            Err(Error::NoParameterSet {
                record: Record::Avcc,
                what: "sps"
            })
        );
        let pps_count = 8 + sps_len;
        assert_eq!(
            AvcConfig::parse(&with(&raw, pps_count, 0).slice(..pps_count + 1)),
            Err(Error::NoParameterSet {
                record: Record::Avcc,
                what: "pps"
            })
        );
        // An SPS cut to two bytes does not parse.
        let short_sps = Bytes::from_static(&[
            1, 0x4d, 0x40, 0x1e, 0xff, 0xe1, 0, 2, 0x67, 0x4d, 1, 0, 2, 0x68, 0xeb,
        ]);
        let err = AvcConfig::parse(&short_sps).unwrap_err();
        assert!(
            matches!(
                err,
                Error::ParameterSet {
                    record: Record::AvcSps,
                    offset: 8,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn annex_b_cpd() {
        // What a producer without NAL adaptation sends: start code, then the SPS.
        let four =
            Bytes::from_static(&[0, 0, 0, 1, 0x67, 0x4d, 0x40, 0x1e, 0, 0, 0, 1, 0x68, 0xeb]);
        assert_eq!(
            AvcConfig::parse(&four),
            Err(Error::AnnexBCodecPrivate {
                record: Record::Avcc,
                start_code_len: 4
            })
        );
        let three = Bytes::from_static(&[0, 0, 1, 0x67, 0x4d, 0x40, 0x1e]);
        assert_eq!(
            AvcConfig::parse(&three),
            Err(Error::AnnexBCodecPrivate {
                record: Record::Avcc,
                start_code_len: 3
            })
        );
    }

    proptest! {
        #[test]
        fn never_panics(data in prop::collection::vec(any::<u8>(), 0..128)) {
            // Any input gives a value or an error; a value has a real picture.
            prop_assert!(AvcConfig::parse(&Bytes::from(data)).map_or(true, |c| c.width() > 0 && c.height() > 0));
        }

        #[test]
        fn mutated_fixtures_never_panic(at in any::<prop::sample::Index>(), value in any::<u8>(), which in 0..AVC.len()) {
            let raw = cpd(AVC[which]);
            let i = at.index(raw.len());
            if let Ok(c) = AvcConfig::parse(&with(&raw, i, value)) {
                prop_assert!(c.width() > 0 && c.height() > 0);
            }
        }
    }
}
