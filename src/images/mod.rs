//! Stills for GetImages (spec §1.7): a [`FrameDecoder`] turns one video track's access units into
//! YUV 4:2:0 pictures (the rest of GetImages never names a codec library), [`picture`] converts,
//! scales and encodes them as JPEG or PNG.

mod decoder;
mod jpeg_rust;
#[cfg(feature = "turbojpeg")]
mod jpeg_turbo;
#[cfg(feature = "ffmpeg")]
mod libav;
pub mod picture;
mod run;

pub use decoder::{DecodeError, FrameDecoder, H264Decoder, Libraries, Yuv420, decoder_for};
pub use run::{Decoded, decode_wanted};
