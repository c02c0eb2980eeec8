//! JPEG through libjpeg-turbo (cargo feature `turbojpeg`, built from source): the planes are
//! widened to full range in place and compressed as they are.

use super::Yuv420;
use super::picture::Error;

/// `picture` as JPEG (JFIF: full-range YCbCr, chroma at half width and height) through
/// libjpeg-turbo (feature `turbojpeg`), which takes the planes as they are once widened to full
/// range (in place: a new 1080p plane is 3 MB of fresh pages to fault in).
pub(super) fn jpeg(mut picture: Yuv420, quality: u8) -> Result<Vec<u8>, Error> {
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

/// Widens the limited-range planes of `picture` to full range in place (the values of the
/// default build's range tables: tests/oracle_images.rs checks both builds), each plane padded (black, neutral chroma) or cut to the exact size its dimensions
/// give: libjpeg-turbo reads that many samples.
fn widen_to_full_range(picture: &mut Yuv420) {
    let widen = |plane: &mut Vec<u8>, span: u32, len: usize, pad: u8| {
        plane.resize(len, pad);
        for value in plane.iter_mut() {
            // The range tables' rounding, in arithmetic the compiler vectorises (a table
            // lookup is one load per sample).
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
