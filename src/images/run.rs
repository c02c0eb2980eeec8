//! The pictures some frames of one track show (spec open question 14): decoded from the keyframe
//! before the first wanted frame through the last wanted one, once, leaving out the frames no
//! decoded picture predicts from.

use std::collections::{BTreeSet, HashMap};

use super::{DecodeError, FrameDecoder, Yuv420, decoder_for};
use crate::codec::{CodecConfig, FrameRole};
use crate::model::sample::Sample;

/// The pictures of the `wanted` samples (indices into `samples`, one video track's frames in
/// decode order), by index.
///
/// Frames after the last wanted one are never decoded, nor is an unreferenced frame
/// ([`FrameRole`]) of the highest temporal sub-layer of the run that nobody wants (a non-reference
/// B-frame: about half the frames of x264's default output). When the decoder then gives another
/// number of pictures than it was fed (libavcodec drops a picture it sees out of order when the
/// stream does not state its reorder depth and the left-out frames hid it), the run is decoded
/// again with every frame. A run the decoder fails on gives no pictures.
///
/// # Errors
/// No decoder for the codec ([`decoder_for`]).
pub fn decode_wanted(
    codec: &CodecConfig,
    samples: &[Sample],
    wanted: &[usize],
) -> Result<HashMap<usize, Yuv420>, DecodeError> {
    decode_wanted_with(&mut || decoder_for(codec), codec, samples, wanted)
}

/// [`decode_wanted`] with decoders from `new_decoder`.
fn decode_wanted_with(
    new_decoder: &mut dyn FnMut() -> Result<Box<dyn FrameDecoder>, DecodeError>,
    codec: &CodecConfig,
    samples: &[Sample],
    wanted: &[usize],
) -> Result<HashMap<usize, Yuv420>, DecodeError> {
    let wanted: BTreeSet<usize> = wanted.iter().copied().collect();
    let (Some(&first), Some(&last)) = (wanted.first(), wanted.last()) else {
        return Ok(HashMap::new());
    };
    let mut decoder = new_decoder()?;
    let from = samples
        .get(..=first)
        .and_then(|before| before.iter().rposition(|s| s.keyframe));
    let (Some(from), true) = (from, last < samples.len()) else {
        return Ok(HashMap::new());
    };
    let roles: Vec<FrameRole> = (from..=last)
        .map(|i| {
            samples
                .get(i)
                .and_then(|s| codec.frame_role(&s.data))
                .unwrap_or(FrameRole::UNKNOWN)
        })
        .collect();
    let highest = roles.iter().map(|r| r.temporal_id).max();
    let every: Vec<usize> = (from..=last).collect();
    let fed: Vec<usize> = every
        .iter()
        .zip(&roles)
        .filter(|&(i, role)| {
            wanted.contains(i) || !role.unreferenced || Some(role.temporal_id) != highest
        })
        .map(|(&i, _)| i)
        .collect();
    if let Some(pictures) = decode_run(decoder.as_mut(), samples, &fed, &wanted) {
        return Ok(pictures);
    }
    if fed.len() == every.len() {
        return Ok(HashMap::new());
    }
    let mut decoder = new_decoder()?;
    Ok(decode_run(decoder.as_mut(), samples, &every, &wanted).unwrap_or_default())
}

/// Feeds the samples `fed` (indices, decode order, from a keyframe) to `decoder` and keeps the
/// `wanted` pictures. Pictures come out in presentation order, so the k-th is the fed sample with
/// the k-th smallest pts; `None` when the decoder fails or gives another number of pictures.
fn decode_run(
    decoder: &mut dyn FrameDecoder,
    samples: &[Sample],
    fed: &[usize],
    wanted: &BTreeSet<usize>,
) -> Option<HashMap<usize, Yuv420>> {
    let mut by_pts: Vec<(&Sample, usize)> = fed
        .iter()
        .map(|&i| samples.get(i).map(|s| (s, i)))
        .collect::<Option<_>>()?;
    let decode_order: Vec<&Sample> = by_pts.iter().map(|&(s, _)| s).collect();
    by_pts.sort_by_key(|&(s, i)| (s.pts, i));
    let mut out = 0usize;
    let mut keep = || {
        let keep = by_pts.get(out).is_some_and(|(_, i)| wanted.contains(i));
        out += 1;
        keep
    };
    let mut pictures = Vec::new();
    for sample in decode_order {
        pictures.extend(
            decoder
                .decode(&sample.data, sample.keyframe, &mut keep)
                .ok()?,
        );
    }
    pictures.extend(decoder.flush(&mut keep).ok()?);
    if pictures.len() != by_pts.len() {
        return None;
    }
    Some(
        pictures
            .into_iter()
            .zip(by_pts)
            .filter_map(|(picture, (_, i))| Some((i, picture?)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;
    use crate::archive::Archive;
    use crate::timeline::{self, Walk};

    /// Track 1 of the first fragment of a fixture: its configuration and samples.
    fn track(name: &str) -> (CodecConfig, Vec<Sample>) {
        let path = format!(
            "{}/testdata/fixtures/{name}.mkv",
            env!("CARGO_MANIFEST_DIR")
        );
        let archive = Archive::open(path.as_ref()).expect("fixture");
        let mut walk = Walk::new(&archive, vec![0]);
        let (_, window) = walk.next_window().expect("readable").expect("a fragment");
        let entry = window.current.tracks.get(1).expect("track 1");
        let codec = timeline::track_info(entry).expect("codec").codec;
        (codec, timeline::samples(&window, 1).expect("samples"))
    }

    /// A decoder that counts the frames it is fed and, when `drop_last`, loses the last picture.
    struct Counting {
        inner: Box<dyn FrameDecoder>,
        fed: Rc<Cell<usize>>,
        drop_last: bool,
    }

    impl FrameDecoder for Counting {
        fn decode(
            &mut self,
            access_unit: &[u8],
            keyframe: bool,
            keep: &mut dyn FnMut() -> bool,
        ) -> Result<Vec<Option<Yuv420>>, DecodeError> {
            self.fed.set(self.fed.get() + 1);
            self.inner.decode(access_unit, keyframe, keep)
        }

        fn flush(
            &mut self,
            keep: &mut dyn FnMut() -> bool,
        ) -> Result<Vec<Option<Yuv420>>, DecodeError> {
            let mut pictures = self.inner.flush(keep)?;
            if self.drop_last {
                pictures.pop();
            }
            Ok(pictures)
        }
    }

    /// Decoders for `codec` that count the frames fed to them in `fed` and themselves in `made`;
    /// the first one made loses its last picture when `first_drops`.
    fn counting<'a>(
        codec: &'a CodecConfig,
        fed: &'a Rc<Cell<usize>>,
        made: &'a Cell<usize>,
        first_drops: bool,
    ) -> impl FnMut() -> Result<Box<dyn FrameDecoder>, DecodeError> + 'a {
        move || {
            made.set(made.get() + 1);
            Ok(Box::new(Counting {
                inner: decoder_for(codec)?,
                fed: Rc::clone(fed),
                drop_last: first_drops && made.get() == 1,
            }))
        }
    }

    /// Every frame's picture, decoded with every frame before it, equals the one decoded with
    /// the unreferenced frames left out, in one run; and frames were left out.
    #[test]
    fn h264_b_frames_are_left_out_and_change_no_picture() {
        let (codec, samples) = track("h264-high-aac");
        let (fed, made) = (Rc::new(Cell::new(0)), Cell::new(0));
        let mut left_out = 0;
        for wanted in 0..samples.len() {
            fed.set(0);
            made.set(0);
            let mut decoders = counting(&codec, &fed, &made, false);
            let pictures =
                decode_wanted_with(&mut decoders, &codec, &samples, &[wanted]).expect("decoder");
            let every: Vec<usize> = (0..=wanted).collect();
            let mut decoder = decoder_for(&codec).expect("decoder");
            let reference =
                decode_run(decoder.as_mut(), &samples, &every, &[wanted].into()).expect("decodes");
            assert_eq!(pictures, reference, "frame {wanted}");
            assert_eq!(pictures.len(), 1, "frame {wanted}");
            assert_eq!(made.get(), 1, "frame {wanted}: decoded again");
            left_out += every.len() - fed.get();
        }
        assert!(left_out > 0, "no frame was left out");
    }

    #[test]
    fn a_run_short_of_pictures_is_decoded_again_with_every_frame() {
        let (codec, samples) = track("h264-high-aac");
        let (fed, made) = (Rc::new(Cell::new(0)), Cell::new(0));
        let mut first_drops = counting(&codec, &fed, &made, true);
        let last = samples.len() - 1;
        let pictures =
            decode_wanted_with(&mut first_drops, &codec, &samples, &[last]).expect("decoder");
        assert_eq!(made.get(), 2);
        // The first run left frames out; the second fed every one.
        assert!((samples.len() + 1..2 * samples.len()).contains(&fed.get()));
        assert!(pictures.contains_key(&last));
    }
}
