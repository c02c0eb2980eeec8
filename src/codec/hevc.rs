//! H.265 codec private data: HEVCDecoderConfigurationRecord (spec §5.2; ISO/IEC 14496-15 §8.3.3.1).
#![warn(clippy::indexing_slicing)]

use std::io::Read;
use std::num::NonZeroUsize;

use bytes::Bytes;
use h264_reader::rbsp::ByteReader;

use super::bits::{BitReader, ByteCursor};
use super::error::{Error, Record};
use super::nal::{self, FrameRole, start_code_len};

/// H.265 NAL unit type of a video parameter set (ITU-T H.265 Table 7-1).
pub const NAL_VPS: u8 = 32;
/// H.265 NAL unit type of a sequence parameter set (ITU-T H.265 Table 7-1).
pub const NAL_SPS: u8 = 33;
/// H.265 NAL unit type of a picture parameter set (ITU-T H.265 Table 7-1).
pub const NAL_PPS: u8 = 34;

/// Length of an H.265 NAL unit header (ITU-T H.265 §7.3.1.2).
const NAL_HEADER_LEN: NonZeroUsize = NonZeroUsize::new(2).expect("2 is not zero");

/// A validated hvcC with its NAL units as zero-copy slices of the CPD (spec §5.2, H.265 row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HevcConfig {
    general_profile_space: u8,
    general_tier_flag: bool,
    general_profile_idc: u8,
    general_profile_compatibility_flags: u32,
    general_constraint_indicator_flags: u64,
    general_level_idc: u8,
    min_spatial_segmentation_idc: u16,
    parallelism_type: u8,
    chroma_format_idc: u8,
    bit_depth_luma_minus8: u8,
    bit_depth_chroma_minus8: u8,
    avg_frame_rate: u16,
    constant_frame_rate: u8,
    num_temporal_layers: u8,
    temporal_id_nested: bool,
    length_size_minus_one: u8,
    arrays: Vec<HevcNalArray>,
    sps_info: HevcSpsInfo,
}

/// One hvcC array: NAL units of one type (ISO/IEC 14496-15 §8.3.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HevcNalArray {
    /// `array_completeness`: all units of this type are in the array.
    pub array_completeness: bool,
    /// `NAL_unit_type` (32 VPS, 33 SPS, 34 PPS, 39/40 SEI).
    pub nal_unit_type: u8,
    /// The NAL units with their 2-byte headers, zero-copy slices of the CPD.
    pub nalus: Vec<Bytes>,
}

/// What the first SPS says (ITU-T H.265 §7.4.3.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HevcSpsInfo {
    chroma_format_idc: u8,
    bit_depth_luma: u8,
    bit_depth_chroma: u8,
    width: u32,
    height: u32,
}

impl HevcConfig {
    /// Parses and validates an hvcC (spec §5.2, H.265 row; ISO/IEC 14496-15 §8.3.3.1).
    ///
    /// Walks every array and length, requires a VPS and an SPS and parses the first SPS for the picture size
    /// after the conformance window, so that no accessor can fail.
    ///
    /// # Errors
    /// [`Error::AnnexBCodecPrivate`] for an Annex-B CPD; [`Error::Truncated`], [`Error::BadField`],
    /// [`Error::NoParameterSet`] for a malformed record or SPS.
    pub fn parse(cpd: &Bytes) -> Result<HevcConfig, Error> {
        if let Some(start_code_len) = start_code_len(cpd) {
            return Err(Error::AnnexBCodecPrivate {
                record: Record::Hvcc,
                start_code_len,
            });
        }
        let mut c = ByteCursor::new(cpd, Record::Hvcc);
        let version = c.u8("configurationVersion")?;
        if version != 1 {
            return Err(bad(
                Record::Hvcc,
                0,
                "configurationVersion",
                "1",
                u64::from(version),
            ));
        }
        let b = c.u8("general_profile_idc")?;
        let general_profile_space = b >> 6;
        let general_tier_flag = b & 0x20 != 0;
        let general_profile_idc = b & 0x1f;
        let compat = c.take(4, "general_profile_compatibility_flags")?;
        let general_profile_compatibility_flags =
            compat.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b));
        let constraint = c.take(6, "general_constraint_indicator_flags")?;
        let general_constraint_indicator_flags = constraint
            .iter()
            .fold(0u64, |a, &b| (a << 8) | u64::from(b));
        let general_level_idc = c.u8("general_level_idc")?;
        // Choice: reserved bits are ignored (ffmpeg does the same), like the avcC reader.
        let min_spatial_segmentation_idc = c.u16("min_spatial_segmentation_idc")? & 0x0fff;
        let parallelism_type = c.u8("parallelismType")? & 0b11;
        let chroma_format_idc = c.u8("chromaFormat")? & 0b11;
        let bit_depth_luma_minus8 = c.u8("bitDepthLumaMinus8")? & 0b111;
        let bit_depth_chroma_minus8 = c.u8("bitDepthChromaMinus8")? & 0b111;
        let avg_frame_rate = c.u16("avgFrameRate")?;
        let at = c.offset();
        let b = c.u8("lengthSizeMinusOne")?;
        let constant_frame_rate = b >> 6;
        let num_temporal_layers = (b >> 3) & 0b111;
        let temporal_id_nested = b & 0b100 != 0;
        let length_size_minus_one = b & 0b11;
        if length_size_minus_one == 2 {
            return Err(bad(
                Record::Hvcc,
                at,
                "lengthSizeMinusOne",
                "0, 1 or 3",
                u64::from(length_size_minus_one),
            ));
        }
        let num_arrays = c.u8("numOfArrays")?;
        let mut arrays = Vec::new();
        let mut first_sps: Option<(usize, Bytes)> = None;
        // Choice: an array with numNalus 0 is accepted and kept (ffmpeg skips it); it holds no units.
        for _ in 0..num_arrays {
            let b = c.u8("NAL_unit_type")?;
            let array_completeness = b & 0x80 != 0;
            let nal_unit_type = b & 0x3f;
            let num_nalus = c.u16("numNalus")?;
            let mut nalus = Vec::new();
            for _ in 0..num_nalus {
                let (unit_at, unit) = c.nal_u16("nalUnit")?;
                check_nal_header(&unit, unit_at, nal_unit_type)?;
                if nal_unit_type == NAL_SPS && first_sps.is_none() {
                    first_sps = Some((unit_at, unit.clone()));
                }
                nalus.push(unit);
            }
            arrays.push(HevcNalArray {
                array_completeness,
                nal_unit_type,
                nalus,
            });
        }
        // Choice: a VPS and an SPS are required, a PPS is not: PIC writes 2–3 arrays and may leave the PPS out
        // (spec §5.2), sending it in band instead. Bytes after the last array are ignored, as ffmpeg does.
        if !arrays
            .iter()
            .any(|a| a.nal_unit_type == NAL_VPS && !a.nalus.is_empty())
        {
            return Err(Error::NoParameterSet {
                record: Record::Hvcc,
                what: "vps",
            });
        }
        let (sps_at, sps) = first_sps.ok_or(Error::NoParameterSet {
            record: Record::Hvcc,
            what: "sps",
        })?;
        let sps_info = parse_sps(&sps, sps_at)?;
        Ok(HevcConfig {
            general_profile_space,
            general_tier_flag,
            general_profile_idc,
            general_profile_compatibility_flags,
            general_constraint_indicator_flags,
            general_level_idc,
            min_spatial_segmentation_idc,
            parallelism_type,
            chroma_format_idc,
            bit_depth_luma_minus8,
            bit_depth_chroma_minus8,
            avg_frame_rate,
            constant_frame_rate,
            num_temporal_layers,
            temporal_id_nested,
            length_size_minus_one,
            arrays,
            sps_info,
        })
    }

    /// `general_profile_space` (ISO/IEC 14496-15 §8.3.3.1).
    pub fn general_profile_space(&self) -> u8 {
        self.general_profile_space
    }

    /// `general_tier_flag`: true for the High tier (ISO/IEC 14496-15 §8.3.3.1).
    pub fn general_tier_flag(&self) -> bool {
        self.general_tier_flag
    }

    /// `general_profile_idc` (1 Main, 2 Main 10, ...) (ISO/IEC 14496-15 §8.3.3.1).
    pub fn general_profile_idc(&self) -> u8 {
        self.general_profile_idc
    }

    /// `general_profile_compatibility_flags`, flag 0 in the most significant bit (ISO/IEC 14496-15 §8.3.3.1).
    pub fn general_profile_compatibility_flags(&self) -> u32 {
        self.general_profile_compatibility_flags
    }

    /// `general_constraint_indicator_flags`, the 48 bits in the low bits (ISO/IEC 14496-15 §8.3.3.1).
    pub fn general_constraint_indicator_flags(&self) -> u64 {
        self.general_constraint_indicator_flags
    }

    /// `general_level_idc`: 30 × the level (ISO/IEC 14496-15 §8.3.3.1).
    pub fn general_level_idc(&self) -> u8 {
        self.general_level_idc
    }

    /// `min_spatial_segmentation_idc` (ISO/IEC 14496-15 §8.3.3.1).
    pub fn min_spatial_segmentation_idc(&self) -> u16 {
        self.min_spatial_segmentation_idc
    }

    /// `parallelismType` (ISO/IEC 14496-15 §8.3.3.1).
    pub fn parallelism_type(&self) -> u8 {
        self.parallelism_type
    }

    /// `chromaFormat` of the record (ISO/IEC 14496-15 §8.3.3.1); see [`Self::sps_chroma_format_idc`].
    pub fn chroma_format_idc(&self) -> u8 {
        self.chroma_format_idc
    }

    /// `bitDepthLumaMinus8` of the record (ISO/IEC 14496-15 §8.3.3.1).
    pub fn bit_depth_luma_minus8(&self) -> u8 {
        self.bit_depth_luma_minus8
    }

    /// `bitDepthChromaMinus8` of the record (ISO/IEC 14496-15 §8.3.3.1).
    pub fn bit_depth_chroma_minus8(&self) -> u8 {
        self.bit_depth_chroma_minus8
    }

    /// `avgFrameRate` in frames per 256 s, 0 if unknown (ISO/IEC 14496-15 §8.3.3.1).
    pub fn avg_frame_rate(&self) -> u16 {
        self.avg_frame_rate
    }

    /// `constantFrameRate` (ISO/IEC 14496-15 §8.3.3.1).
    pub fn constant_frame_rate(&self) -> u8 {
        self.constant_frame_rate
    }

    /// `numTemporalLayers` (ISO/IEC 14496-15 §8.3.3.1).
    pub fn num_temporal_layers(&self) -> u8 {
        self.num_temporal_layers
    }

    /// `temporalIdNested` (ISO/IEC 14496-15 §8.3.3.1).
    pub fn temporal_id_nested(&self) -> bool {
        self.temporal_id_nested
    }

    /// `lengthSizeMinusOne`: 0, 1 or 3 (ISO/IEC 14496-15 §8.3.3.1).
    pub fn length_size_minus_one(&self) -> u8 {
        self.length_size_minus_one
    }

    /// Size of the frames' NAL length prefixes in bytes: 1, 2 or 4 (spec §5.2 "Frames").
    pub fn nal_length_size(&self) -> u8 {
        self.length_size_minus_one.saturating_add(1)
    }

    /// The [`FrameRole`] of one of the track's frames: unreferenced when its slices are
    /// sub-layer non-reference pictures (TRAIL_N, TSA_N, STSA_N, RADL_N, RASL_N) and its other
    /// units only SEI, access unit delimiters or filler (ITU-T H.265 §7.4.2.2); such a picture may
    /// still be a reference for a higher sub-layer, so only one of the highest `TemporalId` decoded
    /// may be left out.
    pub fn frame_role(&self, frame: &[u8]) -> FrameRole {
        nal::frame_role(frame, self.nal_length_size(), |unit| {
            let (&first, &second) = (unit.first()?, unit.get(1)?);
            let temporal_id = (second & 0x07).checked_sub(1)?;
            match (first >> 1) & 0x3f {
                0 | 2 | 4 | 6 | 8 => Some((temporal_id, Some(true))),
                35 | 38 | 39 | 40 => Some((temporal_id, None)),
                _ => Some((temporal_id, Some(false))),
            }
        })
    }

    /// All arrays in record order (ISO/IEC 14496-15 §8.3.3.1).
    pub fn arrays(&self) -> &[HevcNalArray] {
        &self.arrays
    }

    /// NAL units of one type across all arrays, in record order (ISO/IEC 14496-15 §8.3.3.1).
    pub fn nal_units_of_type(&self, nal_unit_type: u8) -> impl Iterator<Item = &Bytes> {
        self.arrays
            .iter()
            .filter(move |a| a.nal_unit_type == nal_unit_type)
            .flat_map(|a| a.nalus.iter())
    }

    /// The video parameter sets (spec §5.2, H.265 row).
    pub fn vps(&self) -> impl Iterator<Item = &Bytes> {
        self.nal_units_of_type(NAL_VPS)
    }

    /// The sequence parameter sets (spec §5.2, H.265 row).
    pub fn sps(&self) -> impl Iterator<Item = &Bytes> {
        self.nal_units_of_type(NAL_SPS)
    }

    /// The picture parameter sets; may be none (spec §5.2, H.265 row).
    pub fn pps(&self) -> impl Iterator<Item = &Bytes> {
        self.nal_units_of_type(NAL_PPS)
    }

    /// `chroma_format_idc` of the first SPS (ITU-T H.265 §7.4.3.2.1).
    pub fn sps_chroma_format_idc(&self) -> u8 {
        self.sps_info.chroma_format_idc
    }

    /// Luma bit depth of the first SPS (ITU-T H.265 §7.4.3.2.1).
    pub fn bit_depth_luma(&self) -> u8 {
        self.sps_info.bit_depth_luma
    }

    /// Chroma bit depth of the first SPS (ITU-T H.265 §7.4.3.2.1).
    pub fn bit_depth_chroma(&self) -> u8 {
        self.sps_info.bit_depth_chroma
    }

    /// Picture width in pixels inside the conformance window (ITU-T H.265 §7.4.3.2.1).
    pub fn width(&self) -> u32 {
        self.sps_info.width
    }

    /// Picture height in pixels inside the conformance window (ITU-T H.265 §7.4.3.2.1).
    pub fn height(&self) -> u32 {
        self.sps_info.height
    }

    /// RFC 6381 codec string, e.g. `hvc1.1.6.L93.B0` (ISO/IEC 14496-15 Annex E.3; spec §8.1).
    pub fn codec_string(&self) -> String {
        let space = match self.general_profile_space {
            1 => "A",
            2 => "B",
            3 => "C",
            _ => "",
        };
        let tier = if self.general_tier_flag { 'H' } else { 'L' };
        let mut s = format!(
            "hvc1.{space}{}.{:X}.{tier}{}",
            self.general_profile_idc,
            self.general_profile_compatibility_flags.reverse_bits(),
            self.general_level_idc
        );
        // The six constraint bytes, trailing zero bytes dropped.
        let bytes = self.general_constraint_indicator_flags.to_be_bytes();
        let constraint = bytes.get(2..).unwrap_or_default();
        let kept = constraint
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |i| i.saturating_add(1));
        for b in constraint.iter().take(kept) {
            s.push_str(&format!(".{b:X}"));
        }
        s
    }
}

fn bad(
    record: Record,
    offset: usize,
    field: &'static str,
    expected: &'static str,
    found: u64,
) -> Error {
    Error::BadField {
        record,
        field,
        offset,
        expected,
        found,
    }
}

/// Checks a NAL unit's 2-byte header against its array's type (ITU-T H.265 §7.3.1.2).
fn check_nal_header(unit: &[u8], offset: usize, nal_unit_type: u8) -> Result<(), Error> {
    let header = unit.first().copied().ok_or(Error::BadField {
        record: Record::Hvcc,
        field: "nalUnitLength",
        offset,
        expected: "a nal unit with a 2-byte header",
        found: 0,
    })?;
    if unit.len() < 2 {
        return Err(bad(
            Record::Hvcc,
            offset,
            "nalUnitLength",
            "a nal unit with a 2-byte header",
            1,
        ));
    }
    // Choice: each unit's own header must carry its array's type and forbidden_zero_bit 0.
    if header & 0x80 != 0 || (header >> 1) & 0x3f != nal_unit_type {
        return Err(bad(
            Record::Hvcc,
            offset,
            "nal_unit_header",
            "the array's NAL_unit_type",
            u64::from(header),
        ));
    }
    Ok(())
}

/// Reads profile_tier_level(1, max_sub_layers_minus1) and discards it (ITU-T H.265 §7.3.3).
fn skip_profile_tier_level(r: &mut BitReader<'_>, max_sub_layers_minus1: u8) -> Result<(), Error> {
    // general_profile_space .. general_level_idc: 2 + 1 + 5 + 32 + 4 + 43 + 1 + 8 bits.
    r.skip(96, "general_profile_tier_level")?;
    let mut profile_present = [false; 8];
    let mut level_present = [false; 8];
    let sub_layers = usize::from(max_sub_layers_minus1);
    for (p, l) in profile_present
        .iter_mut()
        .zip(level_present.iter_mut())
        .take(sub_layers)
    {
        *p = r.bit("sub_layer_profile_present_flag")?;
        *l = r.bit("sub_layer_level_present_flag")?;
    }
    if sub_layers > 0 {
        r.skip(2 * (8 - sub_layers.min(8)), "reserved_zero_2bits")?;
    }
    for (&p, &l) in profile_present
        .iter()
        .zip(level_present.iter())
        .take(sub_layers)
    {
        if p {
            r.skip(88, "sub_layer_profile")?;
        }
        if l {
            r.skip(8, "sub_layer_level_idc")?;
        }
    }
    Ok(())
}

/// Parses the start of an H.265 SPS for chroma format, size and bit depths (ITU-T H.265 §7.3.2.2.1).
/// Offsets in errors are bytes of the RBSP after the 2-byte header.
fn parse_sps(nal: &Bytes, offset: usize) -> Result<HevcSpsInfo, Error> {
    // Copy: emulation-prevention bytes must be removed before bit parsing; the RBSP grows as it is read
    // and is never sized from a length in the input. `check_nal_header` ensured the 2-byte header is there.
    let mut rbsp = Vec::new();
    ByteReader::skipping_bytes(&nal[..], NAL_HEADER_LEN)
        .read_to_end(&mut rbsp)
        .map_err(|e| Error::ParameterSet {
            record: Record::HevcSps,
            offset,
            detail: e.to_string(),
        })?;
    let mut r = BitReader::new(&rbsp, Record::HevcSps);
    r.skip(4, "sps_video_parameter_set_id")?;
    let max_sub_layers_minus1 = u8::try_from(r.bits32(3, "sps_max_sub_layers_minus1")?)
        .ok()
        .filter(|&n| n <= 6)
        .ok_or_else(|| bad(Record::HevcSps, 0, "sps_max_sub_layers_minus1", "0 to 6", 7))?;
    r.skip(1, "sps_temporal_id_nesting_flag")?;
    skip_profile_tier_level(&mut r, max_sub_layers_minus1)?;
    let id = r.ue("sps_seq_parameter_set_id")?;
    if id > 15 {
        return Err(bad(
            Record::HevcSps,
            r.position() / 8,
            "sps_seq_parameter_set_id",
            "0 to 15",
            u64::from(id),
        ));
    }
    let chroma_format_idc = r.ue("chroma_format_idc")?;
    let separate_colour_plane = chroma_format_idc == 3 && r.bit("separate_colour_plane_flag")?;
    let pic_width = r.ue("pic_width_in_luma_samples")?;
    let pic_height = r.ue("pic_height_in_luma_samples")?;
    let window = if r.bit("conformance_window_flag")? {
        [
            r.ue("conf_win_left_offset")?,
            r.ue("conf_win_right_offset")?,
            r.ue("conf_win_top_offset")?,
            r.ue("conf_win_bottom_offset")?,
        ]
    } else {
        [0; 4]
    };
    let bit_depth_luma_minus8 = r.ue("bit_depth_luma_minus8")?;
    let bit_depth_chroma_minus8 = r.ue("bit_depth_chroma_minus8")?;
    let at = r.position() / 8;
    let chroma_format_idc = u8::try_from(chroma_format_idc)
        .ok()
        .filter(|&c| c <= 3)
        .ok_or_else(|| {
            bad(
                Record::HevcSps,
                at,
                "chroma_format_idc",
                "0 to 3",
                u64::from(chroma_format_idc),
            )
        })?;
    let depth = |v: u32, field| {
        u8::try_from(v)
            .ok()
            .filter(|&d| d <= 8)
            .map(|d| d.saturating_add(8))
            .ok_or_else(|| bad(Record::HevcSps, at, field, "0 to 8", u64::from(v)))
    };
    let bit_depth_luma = depth(bit_depth_luma_minus8, "bit_depth_luma_minus8")?;
    let bit_depth_chroma = depth(bit_depth_chroma_minus8, "bit_depth_chroma_minus8")?;
    // Table 6-1: SubWidthC/SubHeightC; ChromaArrayType 0 (separate planes) uses 1.
    let (sub_width, sub_height): (u32, u32) = match (chroma_format_idc, separate_colour_plane) {
        (1, _) => (2, 2),
        (2, _) => (2, 1),
        _ => (1, 1),
    };
    let [left, right, top, bottom] = window;
    let cut = |a: u32, b: u32, unit: u32| a.checked_add(b).and_then(|s| s.checked_mul(unit));
    let width = cut(left, right, sub_width)
        .and_then(|c| pic_width.checked_sub(c))
        .filter(|&w| w > 0)
        .ok_or_else(|| {
            bad(
                Record::HevcSps,
                at,
                "conf_win_left_offset",
                "a window inside the picture",
                u64::from(left),
            )
        })?;
    let height = cut(top, bottom, sub_height)
        .and_then(|c| pic_height.checked_sub(c))
        .filter(|&h| h > 0)
        .ok_or_else(|| {
            bad(
                Record::HevcSps,
                at,
                "conf_win_top_offset",
                "a window inside the picture",
                u64::from(top),
            )
        })?;
    Ok(HevcSpsInfo {
        chroma_format_idc,
        bit_depth_luma,
        bit_depth_chroma,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_fixtures::{HEVC, cpd, golden, golden_u32};
    use proptest::prelude::*;

    #[test]
    fn frame_roles_follow_nal_types_and_temporal_ids() {
        let c = HevcConfig::parse(&cpd("hevc-main")).expect("fixture");
        let frame = |units: &[[u8; 3]]| -> Vec<u8> {
            units
                .iter()
                .flat_map(|u| [0, 0, 0, 3].into_iter().chain(*u))
                .collect()
        };
        let role = |units: &[[u8; 3]]| c.frame_role(&frame(units));
        // TRAIL_N (type 0) at TemporalId 0 and 2, with an AUD (35) and a prefix SEI (39).
        let trail_n = [0x00, 0x01, 0xaf];
        assert_eq!(
            role(&[[35 << 1, 0x01, 0x50], [39 << 1, 0x01, 0x05], trail_n]),
            FrameRole {
                temporal_id: 0,
                unreferenced: true
            }
        );
        assert_eq!(role(&[[0x00, 0x03, 0xaf]]).temporal_id, 2);
        // TRAIL_R (1), CRA (21), a PPS (34) with a TRAIL_N.
        assert!(!role(&[[0x02, 0x01, 0xaf]]).unreferenced);
        assert!(!role(&[[21 << 1, 0x01, 0xaf]]).unreferenced);
        assert!(!role(&[[34 << 1, 0x01, 0xc1], trail_n]).unreferenced);
        // nuh_temporal_id_plus1 0 is not a header.
        assert_eq!(role(&[[0x00, 0x00, 0xaf]]), FrameRole::UNKNOWN);
    }

    #[test]
    fn fixtures_agree_with_ffprobe() {
        for name in HEVC {
            let c = HevcConfig::parse(&cpd(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(c.width(), golden_u32(name, "width"), "{name}");
            assert_eq!(c.height(), golden_u32(name, "height"), "{name}");
            assert_eq!(
                u32::from(c.general_level_idc()),
                golden_u32(name, "level"),
                "{name}"
            );
            assert_eq!(golden(name, "profile").as_deref(), Some("Main"), "{name}");
            assert_eq!(c.general_profile_idc(), 1, "{name}");
            assert_eq!(
                (
                    c.sps_chroma_format_idc(),
                    c.bit_depth_luma(),
                    c.bit_depth_chroma()
                ),
                (1, 8, 8)
            );
            assert_eq!(c.nal_length_size(), 4, "{name}");
            assert_eq!(c.vps().count(), 1, "{name}");
            assert_eq!(c.sps().count(), 1, "{name}");
            assert_eq!(c.pps().count(), 1, "{name}");
        }
    }

    #[test]
    fn conformance_window_crops() {
        // x265 codes 170x98 as 176x104 and crops with the conformance window (ffprobe coded_width/height).
        let c = HevcConfig::parse(&cpd("hevc-main")).unwrap();
        assert_eq!(
            (
                golden_u32("hevc-main", "coded_width"),
                golden_u32("hevc-main", "coded_height")
            ),
            (176, 104)
        );
        assert_eq!((c.width(), c.height()), (170, 98));
    }

    #[test]
    fn codec_strings_by_hand() {
        // hevc-main: profile_space 0 (no letter), profile_idc 1; compat flags 0x60000000 (flags 1 and 2)
        // reversed = 0x6; Main tier 'L', level_idc 30; constraint bytes 90 00 00 00 00 00 (progressive,
        // frame-only) -> "90", trailing zero bytes dropped (ISO/IEC 14496-15 E.3).
        assert_eq!(
            HevcConfig::parse(&cpd("hevc-main")).unwrap().codec_string(),
            "hvc1.1.6.L30.90"
        );
        // The SDK sample frames: same compat flags, level 5.0 = 150, all six constraint bytes zero.
        assert_eq!(
            HevcConfig::parse(&cpd("real-h265-sample-frames"))
                .unwrap()
                .codec_string(),
            "hvc1.1.6.L150"
        );
        // The spec's example hvc1.1.6.L93.B0: constraint byte 0xb0, level 93, built from hevc-main.
        let mut v = cpd("hevc-main").to_vec();
        v[6] = 0xb0;
        v[12] = 93;
        assert_eq!(
            HevcConfig::parse(&Bytes::from(v.clone()))
                .unwrap()
                .codec_string(),
            "hvc1.1.6.L93.B0"
        );
        // Main 10 in profile space 1, High tier, two constraint bytes: A2.4.H120.B0.23
        v[1] = 0x40 | 0x20 | 2;
        v[2..6].copy_from_slice(&0x2000_0000u32.to_be_bytes());
        v[7] = 0x23;
        v[12] = 120;
        assert_eq!(
            HevcConfig::parse(&Bytes::from(v)).unwrap().codec_string(),
            "hvc1.A2.4.H120.B0.23"
        );
    }

    #[test]
    fn nal_units_are_slices_of_the_input() {
        let raw = cpd("real-h265-sample-frames");
        let c = HevcConfig::parse(&raw).unwrap();
        let range = raw.as_ptr_range();
        for unit in c.vps().chain(c.sps()).chain(c.pps()) {
            assert!(range.contains(&unit.as_ptr()));
        }
        assert_eq!(c.vps().next().unwrap()[..2], [0x40, 0x01]);
        assert_eq!(c.sps().next().unwrap()[..2], [0x42, 0x01]);
        assert_eq!(c.pps().next().unwrap()[..2], [0x44, 0x01]);
    }

    /// The SDK sample's hvcC as PIC would write it (spec §5.2): same header, arrays VPS and SPS only.
    fn without_pps() -> Bytes {
        let raw = cpd("real-h265-sample-frames");
        let mut v = raw.to_vec();
        assert_eq!(v[22], 3);
        v[22] = 2;
        let pps_at = v.len() - (1 + 2 + 2 + 7);
        assert_eq!(v[pps_at], 0x22);
        v.truncate(pps_at);
        Bytes::from(v)
    }

    #[test]
    fn pps_may_be_missing() {
        let c = HevcConfig::parse(&without_pps()).unwrap();
        assert_eq!(c.pps().count(), 0);
        assert_eq!((c.width(), c.height()), (640, 360));
    }

    #[test]
    fn truncated_at_every_byte() {
        let raw = cpd("real-h265-sample-frames");
        for len in 0..raw.len() {
            let err = HevcConfig::parse(&raw.slice(..len)).unwrap_err();
            // Cut exactly between arrays, the record is short of an SPS rather than of bytes.
            assert!(
                matches!(
                    err,
                    Error::Truncated {
                        record: Record::Hvcc,
                        ..
                    } | Error::NoParameterSet { .. }
                ),
                "{len}: {err}"
            );
        }
    }

    #[test]
    fn malformed_records() {
        let raw = cpd("real-h265-sample-frames");
        let with = |at: usize, value: u8| {
            let mut v = raw.to_vec();
            v[at] = value;
            Bytes::from(v)
        };
        assert!(matches!(
            HevcConfig::parse(&with(0, 0)),
            Err(Error::BadField {
                field: "configurationVersion",
                ..
            })
        ));
        assert!(matches!(
            HevcConfig::parse(&with(21, 0x0e)),
            Err(Error::BadField {
                field: "lengthSizeMinusOne",
                offset: 21,
                found: 2,
                ..
            })
        ));
        // VPS array claims to hold SPS units: the unit header disagrees.
        assert!(matches!(
            HevcConfig::parse(&with(23, 0x21)),
            Err(Error::BadField {
                field: "nal_unit_header",
                ..
            })
        ));
        // VPS length past the end.
        let err = HevcConfig::parse(&with(26, 0xff)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Truncated {
                    field: "nalUnit",
                    offset: 28,
                    ..
                }
            ),
            "{err}"
        );
        // No arrays at all.
        let err = HevcConfig::parse(
            &raw.slice(..22)
                .iter()
                .copied()
                .chain([0])
                .collect::<Vec<u8>>()
                .into(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            Error::NoParameterSet {
                record: Record::Hvcc,
                what: "vps"
            }
        );
        // VPS only.
        let mut v = without_pps().to_vec();
        v[22] = 1;
        v.truncate(23 + 3 + 2 + 0x23);
        assert_eq!(
            HevcConfig::parse(&Bytes::from(v)),
            Err(Error::NoParameterSet {
                record: Record::Hvcc,
                what: "sps"
            })
        );
    }

    #[test]
    fn annex_b_cpd() {
        // The CPD of producer-sdk-java#183 / spec §5.3: Annex-B VPS instead of hvcC.
        let cpd = Bytes::from_static(&[0, 0, 0, 1, 0x40, 0x01, 0x0c, 0x01, 0xff, 0xff]);
        assert_eq!(
            HevcConfig::parse(&cpd),
            Err(Error::AnnexBCodecPrivate {
                record: Record::Hvcc,
                start_code_len: 4
            })
        );
    }

    proptest! {
        #[test]
        fn never_panics(data in prop::collection::vec(any::<u8>(), 0..160)) {
            // Any input gives a value or an error; a value has a real picture.
            prop_assert!(HevcConfig::parse(&Bytes::from(data)).map_or(true, |c| c.width() > 0 && c.height() > 0));
        }

        #[test]
        fn mutated_fixtures_never_panic(at in any::<prop::sample::Index>(), value in any::<u8>(), which in 0..HEVC.len()) {
            let mut v = cpd(HEVC[which]).to_vec();
            let i = at.index(v.len());
            v[i] = value;
            prop_assert!(HevcConfig::parse(&Bytes::from(v)).map_or(true, |c| c.width() > 0 && c.height() > 0));
        }
    }
}
