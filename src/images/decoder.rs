//! The decoder seam: access units of one video track in decode order in, pictures in
//! presentation order out. H.264 through OpenH264 (the `openh264` crate builds Cisco's decoder
//! from source); with the cargo feature `ffmpeg`, H.264 and H.265 through libavcodec as well
//! ([`Libraries`] chooses).

use openh264::decoder::{DecodedYUV, Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;

use crate::codec::{AvcConfig, CodecConfig, nal};

/// A picture: 8-bit Y, Cb, Cr planes, chroma at half width and height (rounded up), rows packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yuv420 {
    /// Width in pixels (the displayed size, after the SPS cropping window).
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height` luma samples.
    pub y: Vec<u8>,
    /// Cb samples, `width.div_ceil(2) * height.div_ceil(2)`.
    pub u: Vec<u8>,
    /// Cr samples, as `u`.
    pub v: Vec<u8>,
}

/// A picture could not be decoded (MEDIA_ERROR for the images that needed it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The codec or its profile has no decoder here (H.265, 10-bit, 4:2:2 ...).
    #[error("no decoder for {0}")]
    Unsupported(String),
    /// A frame's NAL units do not fit its length prefixes (or one is empty).
    #[error("a frame's NAL unit lengths overrun it")]
    Framing,
    /// The decoder refused the bitstream.
    #[error("the decoder failed: {0}")]
    Decoder(String),
}

/// Decodes one video track.
pub trait FrameDecoder {
    /// Feeds one access unit (the sample as stored, length-prefixed NAL units) in decode order;
    /// `keyframe` marks the start of a decodable run. Returns one entry per picture that became
    /// ready, in presentation order: the picture when `keep` (asked once per picture, in order)
    /// wants it, else `None` (a picture nobody wants is never copied out of the decoder).
    ///
    /// # Errors
    /// The access unit cannot be decoded.
    fn decode(
        &mut self,
        access_unit: &[u8],
        keyframe: bool,
        keep: &mut dyn FnMut() -> bool,
    ) -> Result<Vec<Option<Yuv420>>, DecodeError>;

    /// The pictures still held back for reordering, in presentation order, as [`Self::decode`].
    ///
    /// # Errors
    /// The decoder fails.
    fn flush(&mut self, keep: &mut dyn FnMut() -> bool)
    -> Result<Vec<Option<Yuv420>>, DecodeError>;
}

/// Which libraries decode the video and encode the JPEG images of GetImages.
///
/// Choice: a build with the features has both sets, and the built-in one stays selectable, so
/// that one build tests both (scripts/test.sh builds the tests once, with the features).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Libraries {
    /// The build's best: libavcodec (H.264 and H.265) with the feature `ffmpeg`, libjpeg-turbo
    /// with the feature `turbojpeg`; the built-in library where its feature is off.
    #[default]
    Best,
    /// OpenH264 (H.264 only) and the pure-Rust `jpeg-encoder` in every build: what a build
    /// without the features does.
    Builtin,
}

impl Libraries {
    /// The choices that differ in this build: `Builtin`, and `Best` when a feature is on.
    pub fn in_this_build() -> &'static [Libraries] {
        if cfg!(any(feature = "ffmpeg", feature = "turbojpeg")) {
            &[Libraries::Builtin, Libraries::Best]
        } else {
            &[Libraries::Builtin]
        }
    }

    /// Whether libavcodec decodes (H.264 and H.265): the feature `ffmpeg` and [`Self::Best`];
    /// else OpenH264 does (H.264 only).
    pub fn decode_with_libavcodec(self) -> bool {
        cfg!(feature = "ffmpeg") && self == Libraries::Best
    }
}

/// A decoder for a track of `codec` from `libraries`: libavcodec's for H.264 and H.265, or
/// OpenH264's for H.264.
///
/// # Errors
/// [`DecodeError::Unsupported`] for audio; for libavcodec, when it lacks the codec; for OpenH264,
/// for H.265 and H.264 that is not 8-bit 4:2:0 (it decodes Baseline, Main and High 8-bit 4:2:0
/// only).
pub fn decoder_for(
    codec: &CodecConfig,
    libraries: Libraries,
) -> Result<Box<dyn FrameDecoder>, DecodeError> {
    #[cfg(feature = "ffmpeg")]
    if libraries.decode_with_libavcodec() {
        return Ok(Box::new(super::libav::LibavDecoder::new(codec)?));
    }
    #[cfg(not(feature = "ffmpeg"))]
    let _every_choice_is_openh264 = libraries;
    match codec {
        CodecConfig::Avc(avc) => Ok(Box::new(H264Decoder::new(avc)?)),
        CodecConfig::Hevc(_) => Err(DecodeError::Unsupported(
            "H.265 (OpenH264 decodes H.264 only; libavcodec, in a build with --features ffmpeg, decodes it)"
                .into(),
        )),
        CodecConfig::Aac(_) | CodecConfig::G711(_) => {
            Err(DecodeError::Unsupported("an audio track".into()))
        }
    }
}

/// H.264 through OpenH264: samples are rewritten to Annex B, the avcC parameter sets before each
/// keyframe.
pub struct H264Decoder {
    decoder: Decoder,
    /// The samples as OpenH264 reads them.
    annex_b: AnnexB,
}

/// The Annex B start code.
const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// Samples rewritten for a decoder that reads Annex B: start codes for length prefixes, and the
/// codec private data's parameter sets before each keyframe.
pub(super) struct AnnexB {
    /// Start code + parameter set, for each set of the codec private data.
    parameter_sets: Vec<u8>,
    /// The length-prefix size of the samples' NAL units.
    length_size: u8,
    /// Reused output buffer.
    buffer: Vec<u8>,
}

impl AnnexB {
    /// A rewriter for samples with `length_size`-byte NAL lengths and these parameter sets.
    pub(super) fn new<'a>(sets: impl IntoIterator<Item = &'a [u8]>, length_size: u8) -> AnnexB {
        let mut parameter_sets = Vec::new();
        for set in sets {
            parameter_sets.extend_from_slice(&START_CODE);
            parameter_sets.extend_from_slice(set);
        }
        AnnexB {
            parameter_sets,
            length_size,
            buffer: Vec::new(),
        }
    }

    /// `access_unit` (length-prefixed NAL units) as Annex B, after the parameter sets when
    /// `keyframe`.
    ///
    /// # Errors
    /// [`DecodeError::Framing`] when a length overruns the access unit or a NAL unit is empty.
    pub(super) fn rewrite(
        &mut self,
        access_unit: &[u8],
        keyframe: bool,
    ) -> Result<&[u8], DecodeError> {
        self.buffer.clear();
        if keyframe {
            self.buffer.extend_from_slice(&self.parameter_sets);
        }
        for nal in nal::nal_units(access_unit, self.length_size) {
            let nal = nal.map_err(|_| DecodeError::Framing)?;
            self.buffer.extend_from_slice(&START_CODE);
            self.buffer.extend_from_slice(nal);
        }
        Ok(&self.buffer)
    }
}

impl H264Decoder {
    /// A decoder for the track `avc` describes.
    ///
    /// # Errors
    /// [`DecodeError::Unsupported`] for other than 8-bit 4:2:0; [`DecodeError::Decoder`] when
    /// OpenH264 cannot start.
    pub fn new(avc: &AvcConfig) -> Result<H264Decoder, DecodeError> {
        if avc.chroma_format_idc() != 1 || avc.bit_depth_luma() != 8 || avc.bit_depth_chroma() != 8
        {
            return Err(DecodeError::Unsupported(format!(
                "H.264 with chroma_format_idc {} and {}-bit luma (OpenH264 decodes 8-bit 4:2:0)",
                avc.chroma_format_idc(),
                avc.bit_depth_luma()
            )));
        }
        let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
        let decoder = Decoder::with_api_config(openh264::OpenH264API::from_source(), config)
            .map_err(|e| DecodeError::Decoder(e.to_string()))?;
        let sets = avc.sps().iter().chain(avc.pps()).map(|nal| &nal[..]);
        Ok(H264Decoder {
            decoder,
            annex_b: AnnexB::new(sets, avc.nal_length_size()),
        })
    }
}

impl FrameDecoder for H264Decoder {
    fn decode(
        &mut self,
        access_unit: &[u8],
        keyframe: bool,
        keep: &mut dyn FnMut() -> bool,
    ) -> Result<Vec<Option<Yuv420>>, DecodeError> {
        // Copy: OpenH264 reads Annex B, the archive stores length-prefixed NAL units.
        let annex_b = self.annex_b.rewrite(access_unit, keyframe)?;
        let picture = self
            .decoder
            .decode(annex_b)
            .map_err(|e| openh264_error(&e))?;
        picture
            .iter()
            .map(|p| keep().then(|| owned(p)).transpose())
            .collect()
    }

    fn flush(
        &mut self,
        keep: &mut dyn FnMut() -> bool,
    ) -> Result<Vec<Option<Yuv420>>, DecodeError> {
        let pictures = self
            .decoder
            .flush_remaining()
            .map_err(|e| openh264_error(&e))?;
        pictures
            .iter()
            .map(|p| keep().then(|| owned(p)).transpose())
            .collect()
    }
}

/// OpenH264's error in words: its decoding-state bits (`DECODING_STATE` of `codec_app_def.h`)
/// named, the number kept (the crate's own text when there is no number).
fn openh264_error(error: &openh264::Error) -> DecodeError {
    const STATES: [(i64, &str); 8] = [
        (0x01, "a frame pending"),
        (0x02, "a reference frame lost"),
        (0x04, "a bitstream error"),
        (0x08, "a dependent layer lost"),
        (0x10, "no parameter sets"),
        (0x20, "an error concealed"),
        (0x40, "an empty reference list"),
        (0x1000, "an invalid argument"),
    ];
    let code = error.native_code();
    let named: Vec<&str> = STATES
        .iter()
        .filter(|(bit, _)| code & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    DecodeError::Decoder(if code == 0 {
        error.to_string()
    } else if named.is_empty() {
        format!("OpenH264 state {code:#x}")
    } else {
        format!("OpenH264 reports {} (state {code:#x})", named.join(", "))
    })
}

/// The picture OpenH264 lends, copied out of its buffers (they are reused by the next call).
fn owned(picture: &DecodedYUV<'_>) -> Result<Yuv420, DecodeError> {
    let (width, height) = picture.dimensions();
    let (y_stride, u_stride, v_stride) = picture.strides();
    Yuv420::from_planes(
        width,
        height,
        [
            (picture.y(), y_stride),
            (picture.u(), u_stride),
            (picture.v(), v_stride),
        ],
    )
}

impl Yuv420 {
    /// The `width` x `height` picture whose Y, Cb and Cr planes are `planes` (rows of `stride`
    /// bytes each, of which the first `width` (luma) or `width / 2` rounded up (chroma) count).
    ///
    /// # Errors
    /// [`DecodeError::Decoder`] when a plane is shorter than the size says, or the size is 0.
    pub(super) fn from_planes(
        width: usize,
        height: usize,
        planes: [(&[u8], usize); 3],
    ) -> Result<Yuv420, DecodeError> {
        let (chroma_width, chroma_height) = (width.div_ceil(2), height.div_ceil(2));
        let plane = |(data, stride): (&[u8], usize), w: usize, h: usize| {
            let mut out = Vec::with_capacity(w * h);
            for row in data.chunks(stride.max(1)).take(h) {
                out.extend_from_slice(row.get(..w).unwrap_or(row));
            }
            out
        };
        let [y, u, v] = planes;
        let yuv = Yuv420 {
            width,
            height,
            y: plane(y, width, height),
            u: plane(u, chroma_width, chroma_height),
            v: plane(v, chroma_width, chroma_height),
        };
        let complete = yuv.y.len() == width * height
            && yuv.u.len() == chroma_width * chroma_height
            && yuv.v.len() == yuv.u.len()
            && width > 0
            && height > 0;
        if complete {
            Ok(yuv)
        } else {
            Err(DecodeError::Decoder(format!(
                "a {width}x{height} picture with short planes"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_fixtures::cpd;

    #[test]
    fn audio_and_hevc_have_no_decoder() {
        let aac = CodecConfig::parse("A_AAC", Some(&cpd("aac-lc-48k-stereo"))).expect("fixture");
        for &libraries in Libraries::in_this_build() {
            assert!(matches!(
                decoder_for(&aac, libraries),
                Err(DecodeError::Unsupported(_))
            ));
        }
        let hevc =
            CodecConfig::parse("V_MPEGH/ISO/HEVC", Some(&cpd("hevc-main"))).expect("fixture");
        assert!(matches!(
            decoder_for(&hevc, Libraries::Builtin),
            Err(DecodeError::Unsupported(_))
        ));
    }
}
