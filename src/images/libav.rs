//! H.264 and H.265 through FFmpeg's libavcodec (cargo feature `ffmpeg`, Debian's
//! `libavcodec-dev`): the decoder ffmpeg itself uses, faster than OpenH264 and able to conceal a
//! lost reference where OpenH264 gives up.

use ffmpeg_next::codec::{self, Context};
use ffmpeg_next::format::Pixel;
use ffmpeg_next::frame;
use ffmpeg_next::{Packet, decoder};

use super::decoder::{AnnexB, DecodeError, FrameDecoder, Yuv420};
use crate::codec::CodecConfig;

/// A libavcodec decoder for one track: samples are rewritten to Annex B with the codec private
/// data's parameter sets before each keyframe (so no extradata is handed over).
pub struct LibavDecoder {
    decoder: decoder::Video,
    /// The samples as libavcodec reads them here (no extradata is handed over).
    annex_b: AnnexB,
    /// Reused decoded frame.
    frame: frame::Video,
}

impl LibavDecoder {
    /// A decoder for the video track `codec` describes.
    ///
    /// # Errors
    /// [`DecodeError::Unsupported`] for audio; [`DecodeError::Decoder`] when libavcodec cannot
    /// start.
    pub fn new(codec: &CodecConfig) -> Result<LibavDecoder, DecodeError> {
        let (id, length_size, sets): (_, _, Vec<&[u8]>) = match codec {
            CodecConfig::Avc(avc) => (
                codec::Id::H264,
                avc.nal_length_size(),
                avc.sps().iter().chain(avc.pps()).map(|n| &n[..]).collect(),
            ),
            CodecConfig::Hevc(hevc) => (
                codec::Id::HEVC,
                hevc.nal_length_size(),
                hevc.arrays()
                    .iter()
                    .flat_map(|array| &array.nalus)
                    .map(|n| &n[..])
                    .collect(),
            ),
            CodecConfig::Aac(_) | CodecConfig::G711(_) => {
                return Err(DecodeError::Unsupported("an audio track".into()));
            }
        };
        let failed = |e: ffmpeg_next::Error| DecodeError::Decoder(e.to_string());
        ffmpeg_next::init().map_err(failed)?;
        let found = decoder::find(id).ok_or_else(|| {
            DecodeError::Unsupported(format!("{id:?} (libavcodec has no decoder)"))
        })?;
        let mut context = Context::new_with_codec(found);
        // One thread per decoder: GetImages decodes fragments in parallel already.
        context.set_threading(codec::threading::Config {
            kind: codec::threading::Type::None,
            count: 1,
            ..Default::default()
        });
        let decoder = context.decoder().video().map_err(failed)?;
        Ok(LibavDecoder {
            decoder,
            annex_b: AnnexB::new(sets, length_size),
            frame: frame::Video::empty(),
        })
    }

    /// The pictures libavcodec has ready, in presentation order.
    fn receive(
        &mut self,
        keep: &mut dyn FnMut() -> bool,
    ) -> Result<Vec<Option<Yuv420>>, DecodeError> {
        let mut pictures = Vec::new();
        while self.decoder.receive_frame(&mut self.frame).is_ok() {
            pictures.push(keep().then(|| owned(&self.frame)).transpose()?);
        }
        Ok(pictures)
    }
}

impl FrameDecoder for LibavDecoder {
    fn decode(
        &mut self,
        access_unit: &[u8],
        keyframe: bool,
        keep: &mut dyn FnMut() -> bool,
    ) -> Result<Vec<Option<Yuv420>>, DecodeError> {
        // Copy: the decoder reads Annex B here, the archive stores length-prefixed NAL units.
        let annex_b = self.annex_b.rewrite(access_unit, keyframe)?;
        self.decoder
            .send_packet(&Packet::copy(annex_b))
            .map_err(|e| DecodeError::Decoder(e.to_string()))?;
        self.receive(keep)
    }

    fn flush(
        &mut self,
        keep: &mut dyn FnMut() -> bool,
    ) -> Result<Vec<Option<Yuv420>>, DecodeError> {
        self.decoder
            .send_eof()
            .map_err(|e| DecodeError::Decoder(e.to_string()))?;
        let pictures = self.receive(keep);
        // Ready for the next run (a decoder is reused across the GOPs of a fragment).
        self.decoder.flush();
        pictures
    }
}

/// The picture in `frame`, copied out of libavcodec's buffers; 8-bit 4:2:0 only.
fn owned(frame: &frame::Video) -> Result<Yuv420, DecodeError> {
    if !matches!(frame.format(), Pixel::YUV420P | Pixel::YUVJ420P) {
        return Err(DecodeError::Unsupported(format!(
            "pictures in {:?} (GetImages takes 8-bit 4:2:0)",
            frame.format()
        )));
    }
    let (width, height) = (frame.width() as usize, frame.height() as usize);
    Yuv420::from_planes(
        width,
        height,
        [0, 1, 2].map(|plane| (frame.data(plane), frame.stride(plane))),
    )
}
