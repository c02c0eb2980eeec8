//! From a decoded picture to image bytes (spec §1.7): YUV→RGB, scaling to the requested size
//! with a Lanczos filter (`fast_image_resize`), JPEG (`jpeg-encoder`) or PNG (`png`).

use fast_image_resize::images::Image;
use fast_image_resize::{PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::Yuv420;

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

/// `picture` as an image of `size` in `format`.
///
/// # Errors
/// Scaling or encoding fails (a size beyond the encoder's 65535 pixels).
pub fn encode(picture: &Yuv420, size: (u32, u32), format: ImageFormat) -> Result<Vec<u8>, Error> {
    let source = (picture.width, picture.height);
    let scale_error = || Error::Scale {
        from: source,
        to: size,
    };
    let (width, height) = size;
    if let ImageFormat::Jpeg { quality } = format
        && (width as usize, height as usize) == source
    {
        // At source size the planes go to the encoder as they are, only widened to full range.
        let rows = JpegRows {
            picture,
            width: u16::try_from(width).map_err(|_| scale_error())?,
            height: u16::try_from(height).map_err(|_| scale_error())?,
            luma: range_table(16, 219),
            chroma: range_table(16, 224),
        };
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, quality)
            .encode_image(rows)
            .map_err(|e| Error::Encode(e.to_string()))?;
        return Ok(out);
    }
    let rgb = to_rgb(picture);
    let rgb = if (width as usize, height as usize) == source {
        rgb
    } else {
        let from = Image::from_vec_u8(
            u32::try_from(source.0).map_err(|_| scale_error())?,
            u32::try_from(source.1).map_err(|_| scale_error())?,
            rgb,
            PixelType::U8x3,
        )
        .map_err(|_| scale_error())?;
        let mut to = Image::new(width, height, PixelType::U8x3);
        Resizer::new()
            .resize(
                &from,
                &mut to,
                &ResizeOptions::new().resize_alg(ResizeAlg::default()),
            )
            .map_err(|_| scale_error())?;
        to.into_vec()
    };
    let mut out = Vec::new();
    match format {
        ImageFormat::Jpeg { quality } => {
            let w = u16::try_from(width).map_err(|_| scale_error())?;
            let h = u16::try_from(height).map_err(|_| scale_error())?;
            jpeg_encoder::Encoder::new(&mut out, quality)
                .encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
                .map_err(|e| Error::Encode(e.to_string()))?;
        }
        ImageFormat::Png => {
            let mut encoder = png::Encoder::new(&mut out, width, height);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            encoder.set_compression(png::Compression::Fast);
            let mut writer = encoder
                .write_header()
                .map_err(|e| Error::Encode(e.to_string()))?;
            writer
                .write_image_data(&rgb)
                .map_err(|e| Error::Encode(e.to_string()))?;
            writer.finish().map_err(|e| Error::Encode(e.to_string()))?;
        }
    }
    Ok(out)
}

/// Limited range (`low` to `low + span`) to full range 0–255, by table.
fn range_table(low: i32, span: i32) -> [u8; 256] {
    let mut table = [0; 256];
    for (value, out) in (0i32..).zip(table.iter_mut()) {
        let full = ((value - low) * 255 + span / 2).div_euclid(span);
        *out = full.clamp(0, 255) as u8;
    }
    table
}

/// A picture as the JPEG encoder reads it: rows of full-range Y, Cb, Cr (JFIF), chroma repeated.
struct JpegRows<'a> {
    picture: &'a Yuv420,
    width: u16,
    height: u16,
    luma: [u8; 256],
    chroma: [u8; 256],
}

impl jpeg_encoder::ImageBuffer for JpegRows<'_> {
    fn get_jpeg_color_type(&self) -> jpeg_encoder::JpegColorType {
        jpeg_encoder::JpegColorType::Ycbcr
    }

    fn width(&self) -> u16 {
        self.width
    }

    fn height(&self) -> u16 {
        self.height
    }

    fn fill_buffers(&self, y: u16, buffers: &mut [Vec<u8>; 4]) {
        let picture = self.picture;
        let row = usize::from(y);
        let chroma_width = picture.width.div_ceil(2);
        let luma = picture
            .y
            .get(row * picture.width..)
            .unwrap_or_default()
            .iter()
            .take(picture.width);
        let start = (row / 2) * chroma_width;
        let cb = picture.u.get(start..).unwrap_or_default();
        let cr = picture.v.get(start..).unwrap_or_default();
        let [y_out, cb_out, cr_out, _] = buffers;
        for (x, &sample) in luma.enumerate() {
            y_out.push(self.luma[usize::from(sample)]);
            cb_out.push(self.chroma[usize::from(cb.get(x / 2).copied().unwrap_or(128))]);
            cr_out.push(self.chroma[usize::from(cr.get(x / 2).copied().unwrap_or(128))]);
        }
    }
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
    fn limited_range_widens_to_full() {
        let luma = range_table(16, 219);
        let chroma = range_table(16, 224);
        assert_eq!((luma[0], luma[16], luma[235], luma[255]), (0, 0, 255, 255));
        assert_eq!((chroma[16], chroma[128], chroma[240]), (0, 128, 255));
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
