//! JPEG through the pure-Rust `jpeg-encoder` (the default build): rows of full-range YCbCr fed to
//! the encoder, widened from the picture's limited range on the way in.

use super::Yuv420;
use super::picture::Error;

/// `picture` as JPEG (JFIF: full-range YCbCr, chroma at half width and height) through the
/// pure-Rust `jpeg-encoder`; the planes are only widened to full range on the way in.
pub(super) fn jpeg(picture: Yuv420, quality: u8) -> Result<Vec<u8>, Error> {
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
fn plane_row(plane: &[u8], row: usize, width: usize) -> &[u8] {
    let start = row.saturating_mul(width);
    let row = plane.get(start..).unwrap_or_default();
    row.get(..width).unwrap_or(row)
}

/// Appends `width` samples to `out`: each of `chroma` mapped by `table` and repeated (a missing
/// sample reads as neutral grey).
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
    fn limited_range_widens_to_full() {
        let luma = range_table(16, 219);
        let chroma = range_table(16, 224);
        assert_eq!((luma[0], luma[16], luma[235], luma[255]), (0, 0, 255, 255));
        assert_eq!((chroma[16], chroma[128], chroma[240]), (0, 128, 255));
    }
}
