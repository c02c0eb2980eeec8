//! From a decoded picture to image bytes (spec §1.7): YUV→RGB, scaling to the requested size
//! with a Lanczos filter (`fast_image_resize`), JPEG (`jpeg-encoder`) or PNG (`png`).

use fast_image_resize::images::{Image, ImageRef};
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
/// Choice: a picture is scaled as YUV, each plane on its own (as ffmpeg's scaler does), before
/// any colour conversion: a third of the work of scaling RGB, and JPEG takes YCbCr anyway.
///
/// # Errors
/// Scaling or encoding fails (a size beyond the encoder's 65535 pixels).
pub fn encode(picture: Yuv420, size: (u32, u32), format: ImageFormat) -> Result<Vec<u8>, Error> {
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
        ImageFormat::Jpeg { quality } => jpeg(picture, quality),
        ImageFormat::Png => png(&picture),
    }
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
    let mut plane = |data: &[u8], from: (usize, usize), to: (u32, u32)| {
        let (w, h) = (u32::try_from(from.0).ok()?, u32::try_from(from.1).ok()?);
        let source = ImageRef::new(w, h, data, PixelType::U8).ok()?;
        let mut target = Image::new(to.0, to.1, PixelType::U8);
        let options = ResizeOptions::new().resize_alg(ResizeAlg::default());
        resizer.resize(&source, &mut target, &options).ok()?;
        Some(target.into_vec())
    };
    Some(Yuv420 {
        width: usize::try_from(width).ok()?,
        height: usize::try_from(height).ok()?,
        y: plane(&picture.y, (picture.width, picture.height), (width, height))?,
        u: plane(&picture.u, chroma_from, chroma_to)?,
        v: plane(&picture.v, chroma_from, chroma_to)?,
    })
}

/// `picture` as JPEG (JFIF: full-range YCbCr, chroma at half width and height) through the
/// pure-Rust `jpeg-encoder`; the planes are only widened to full range on the way in.
#[cfg(not(feature = "turbojpeg"))]
fn jpeg(picture: Yuv420, quality: u8) -> Result<Vec<u8>, Error> {
    let size = |side: usize| u16::try_from(side).map_err(|_| Error::Encode(format!("{side} px")));
    let rows = JpegRows {
        picture: &picture,
        width: size(picture.width)?,
        height: size(picture.height)?,
        luma: range_table(16, 219),
        chroma: range_table(16, 224),
    };
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode_image(rows)
        .map_err(|e| Error::Encode(e.to_string()))?;
    Ok(out)
}

/// `picture` as JPEG (JFIF: full-range YCbCr, chroma at half width and height) through
/// libjpeg-turbo (feature `turbojpeg`), which takes the planes as they are once widened to full
/// range (in place: a new 1080p plane is 3 MB of fresh pages to fault in).
#[cfg(feature = "turbojpeg")]
fn jpeg(mut picture: Yuv420, quality: u8) -> Result<Vec<u8>, Error> {
    widen_to_full_range(&mut picture);
    let (width, chroma_width) = (picture.width, picture.width.div_ceil(2));
    let image = turbojpeg::YuvPlanesImage {
        y_plane: &picture.y[..],
        u_plane: &picture.u[..],
        v_plane: &picture.v[..],
        width,
        height: picture.height,
        y_stride: width,
        u_stride: chroma_width,
        v_stride: chroma_width,
        subsamp: turbojpeg::Subsamp::Sub2x2,
    };
    turbojpeg::compress_yuv_planes(&image, i32::from(quality))
        .map(|jpeg| jpeg.to_vec())
        .map_err(|e| Error::Encode(e.to_string()))
}

/// Widens the limited-range planes of `picture` to full range in place ([`range_table`]'s
/// values), each plane padded (black, neutral chroma) or cut to the exact size its dimensions
/// give: libjpeg-turbo reads that many samples.
#[cfg(feature = "turbojpeg")]
fn widen_to_full_range(picture: &mut Yuv420) {
    let widen = |plane: &mut Vec<u8>, span: u32, len: usize, pad: u8| {
        plane.resize(len, pad);
        for value in plane.iter_mut() {
            // range_table's rounding, in arithmetic the compiler vectorises (a table lookup
            // is one load per sample).
            let full = (u32::from(*value).saturating_sub(16) * 255 + span / 2) / span;
            *value = full.min(255) as u8;
        }
    };
    let luma_len = picture.width * picture.height;
    let chroma_len = picture.width.div_ceil(2) * picture.height.div_ceil(2);
    widen(&mut picture.y, 219, luma_len, 16);
    widen(&mut picture.u, 224, chroma_len, 128);
    widen(&mut picture.v, 224, chroma_len, 128);
}

/// Limited range (`low` to `low + span`) to full range 0–255, by table.
#[cfg(any(test, not(feature = "turbojpeg")))]
fn range_table(low: i32, span: i32) -> [u8; 256] {
    let mut table = [0; 256];
    for (value, out) in (0i32..).zip(table.iter_mut()) {
        let full = ((value - low) * 255 + span / 2).div_euclid(span);
        *out = full.clamp(0, 255) as u8;
    }
    table
}

/// A picture as the JPEG encoder reads it: rows of full-range Y, Cb, Cr (JFIF), chroma repeated.
#[cfg(not(feature = "turbojpeg"))]
struct JpegRows<'a> {
    picture: &'a Yuv420,
    width: u16,
    height: u16,
    luma: [u8; 256],
    chroma: [u8; 256],
}

#[cfg(not(feature = "turbojpeg"))]
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
        let width = picture.width;
        let row = usize::from(y);
        let luma = plane_row(&picture.y, row, width);
        let chroma_width = width.div_ceil(2);
        let cb = plane_row(&picture.u, row / 2, chroma_width);
        let cr = plane_row(&picture.v, row / 2, chroma_width);
        let [y_out, cb_out, cr_out, _] = buffers;
        let start = y_out.len();
        y_out.extend(luma.iter().map(|&s| self.luma[usize::from(s)]));
        y_out.resize(start + width, self.luma[16]);
        repeat_chroma(cb_out, cb, &self.chroma, width);
        repeat_chroma(cr_out, cr, &self.chroma, width);
    }
}

/// Row `row` of a plane `width` samples wide (shorter, or empty, when the plane is short).
#[cfg(not(feature = "turbojpeg"))]
fn plane_row(plane: &[u8], row: usize, width: usize) -> &[u8] {
    let start = row.saturating_mul(width);
    let row = plane.get(start..).unwrap_or_default();
    row.get(..width).unwrap_or(row)
}

/// Appends `width` samples to `out`: each of `chroma` mapped by `table` and repeated (a missing
/// sample reads as neutral grey).
#[cfg(not(feature = "turbojpeg"))]
fn repeat_chroma(out: &mut Vec<u8>, chroma: &[u8], table: &[u8; 256], width: usize) {
    let start = out.len();
    out.resize(start + width, table[128]);
    for (pair, &sample) in out[start..].chunks_mut(2).zip(chroma) {
        pair.fill(table[usize::from(sample)]);
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
