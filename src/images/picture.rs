//! From a decoded picture to image bytes (spec §1.7): YUV→RGB, scaling to the requested size
//! with a Lanczos filter (`fast_image_resize`), JPEG (`jpeg-encoder`, or libjpeg-turbo with the
//! feature `turbojpeg` and [`Libraries::Best`]) or PNG (`png`).

use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::U8;
use fast_image_resize::{ResizeAlg, ResizeOptions, Resizer};

use super::{Libraries, Yuv420};

/// The image format and its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// JPEG at `quality` 1–100.
    Jpeg {
        /// JPEGQuality.
        quality: u8,
    },
    /// PNG, 8-bit RGB.
    Png,
}

/// An image could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Scaling failed.
    #[error("cannot scale {from:?} to {to:?}")]
    Scale {
        /// The source size.
        from: (usize, usize),
        /// The requested size.
        to: (u32, u32),
    },
    /// The encoder failed.
    #[error("cannot encode the image: {0}")]
    Encode(String),
}

/// RGB of `picture`, BT.601 limited range, chroma upsampled by repetition.
///
/// Choice: BT.601 limited range is what ffmpeg's scaler assumes for an untagged stream, so the
/// images match `ffmpeg -frames:v 1 out.png` of the same frame.
pub fn to_rgb(picture: &Yuv420) -> Vec<u8> {
    let chroma_width = picture.width.div_ceil(2);
    let mut rgb = Vec::with_capacity(picture.width * picture.height * 3);
    for (row, luma) in picture.y.chunks(picture.width).enumerate() {
        let start = (row / 2) * chroma_width;
        let cb = picture.u.get(start..).unwrap_or_default();
        let cr = picture.v.get(start..).unwrap_or_default();
        for (x, &y) in luma.iter().enumerate() {
            let c = 298 * (i32::from(y) - 16);
            let d = i32::from(cb.get(x / 2).copied().unwrap_or(128)) - 128;
            let e = i32::from(cr.get(x / 2).copied().unwrap_or(128)) - 128;
            let clamp = |v: i32| ((v + 128) >> 8).clamp(0, 255) as u8;
            rgb.push(clamp(c + 409 * e));
            rgb.push(clamp(c - 100 * d - 208 * e));
            rgb.push(clamp(c + 516 * d));
        }
    }
    rgb
}

/// The image size for a request: both given → stretched to them; one → the other from the
/// source's aspect ratio (rounded, at least 1); neither → the source size (spec §1.7).
pub fn target_size(source: (usize, usize), width: Option<u32>, height: Option<u32>) -> (u32, u32) {
    let (sw, sh) = (source.0.max(1) as u64, source.1.max(1) as u64);
    let scaled = |given: u32, num: u64, den: u64| {
        let value = (u64::from(given) * num + den / 2) / den;
        u32::try_from(value.max(1)).unwrap_or(u32::MAX)
    };
    match (width, height) {
        (Some(w), Some(h)) => (w, h),
        (Some(w), None) => (w, scaled(w, sh, sw)),
        (None, Some(h)) => (scaled(h, sw, sh), h),
        (None, None) => (
            u32::try_from(sw).unwrap_or(u32::MAX),
            u32::try_from(sh).unwrap_or(u32::MAX),
        ),
    }
}

/// `picture` as an image of `size` in `format`, JPEG by `libraries`' encoder.
///
/// Choice: a picture is scaled as YUV, each plane on its own (as ffmpeg's scaler does), before
/// any colour conversion: a third of the work of scaling RGB, and JPEG takes YCbCr anyway.
///
/// # Errors
/// Scaling or encoding fails (a size beyond the encoder's 65535 pixels).
pub fn encode(
    picture: Yuv420,
    size: (u32, u32),
    format: ImageFormat,
    libraries: Libraries,
) -> Result<Vec<u8>, Error> {
    let source = (picture.width, picture.height);
    let picture = if (size.0 as usize, size.1 as usize) == source {
        picture
    } else {
        scale(&picture, size).ok_or(Error::Scale {
            from: source,
            to: size,
        })?
    };
    match format {
        ImageFormat::Jpeg { quality } => jpeg(picture, quality, libraries),
        ImageFormat::Png => png(&picture),
    }
}

/// `picture` as JPEG: libjpeg-turbo's with the feature `turbojpeg` and [`Libraries::Best`], else
/// `jpeg-encoder`'s.
fn jpeg(picture: Yuv420, quality: u8, libraries: Libraries) -> Result<Vec<u8>, Error> {
    #[cfg(feature = "turbojpeg")]
    if libraries == Libraries::Best {
        return super::jpeg_turbo::jpeg(picture, quality);
    }
    #[cfg(not(feature = "turbojpeg"))]
    let _every_choice_is_jpeg_encoder = libraries;
    super::jpeg_rust::jpeg(picture, quality)
}

/// `picture` as PNG, 8-bit RGB ([`to_rgb`]).
fn png(picture: &Yuv420) -> Result<Vec<u8>, Error> {
    let failed = |e: png::EncodingError| Error::Encode(e.to_string());
    let size = |side: usize| u32::try_from(side).map_err(|_| Error::Encode(format!("{side} px")));
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, size(picture.width)?, size(picture.height)?);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(&to_rgb(picture)).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

/// `picture` scaled to `width` x `height` with the default (Lanczos3) filter, or `None` when a
/// plane does not fit its size.
fn scale(picture: &Yuv420, (width, height): (u32, u32)) -> Option<Yuv420> {
    let mut resizer = Resizer::new();
    let chroma_from = (picture.width.div_ceil(2), picture.height.div_ceil(2));
    let chroma_to = (width.div_ceil(2), height.div_ceil(2));
    // `resize_typed`, not `resize`: the untyped call instantiates the filters of every pixel type
    // the crate has (about 60 % of this library's compiled code, for the one type used here).
    let mut plane = |data: &[u8], from: (usize, usize), to: (u32, u32)| {
        let (w, h) = (u32::try_from(from.0).ok()?, u32::try_from(from.1).ok()?);
        let source = TypedImageRef::<U8>::from_buffer(w, h, data).ok()?;
        let mut scaled = vec![
            0;
            usize::try_from(to.0)
                .ok()?
                .checked_mul(usize::try_from(to.1).ok()?)?
        ];
        let mut target = TypedImage::<U8>::from_buffer(to.0, to.1, &mut scaled).ok()?;
        let options = ResizeOptions::new().resize_alg(ResizeAlg::default());
        resizer.resize_typed(&source, &mut target, &options).ok()?;
        Some(scaled)
    };
    Some(Yuv420 {
        width: usize::try_from(width).ok()?,
        height: usize::try_from(height).ok()?,
        y: plane(&picture.y, (picture.width, picture.height), (width, height))?,
        u: plane(&picture.u, chroma_from, chroma_to)?,
        v: plane(&picture.v, chroma_from, chroma_to)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_service_rules() {
        assert_eq!(target_size((1920, 1080), None, None), (1920, 1080));
        assert_eq!(target_size((1920, 1080), Some(640), None), (640, 360));
        assert_eq!(target_size((1920, 1080), None, Some(360)), (640, 360));
        assert_eq!(target_size((1920, 1080), Some(100), Some(100)), (100, 100));
        assert_eq!(target_size((640, 330), Some(1), None), (1, 1));
    }

    #[test]
    fn grey_stays_grey() {
        let picture = Yuv420 {
            width: 3,
            height: 3,
            y: vec![16, 126, 235, 16, 126, 235, 16, 126, 235],
            u: vec![128; 4],
            v: vec![128; 4],
        };
        let rgb = to_rgb(&picture);
        assert_eq!(&rgb[..9], &[0, 0, 0, 128, 128, 128, 255, 255, 255]);
    }
}
