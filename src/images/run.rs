//! The pictures some frames of one track show (spec open question 14): decoded from the keyframe
//! before the first wanted frame through the last wanted one, once, leaving out the frames no
//! decoded picture predicts from.

use std::collections::{BTreeSet, HashMap};

use super::{DecodeError, FrameDecoder, Libraries, Yuv420, decoder_for};
use crate::codec::{CodecConfig, FrameRole};
use crate::model::sample::Sample;

/// What decoding a run of frames gave.
#[derive(Debug, Default, PartialEq)]
pub struct Decoded {
    /// The wanted pictures, by sample index.
    pub pictures: HashMap<usize, Yuv420>,
    /// Why wanted samples lack a picture: the decoder failed on a frame (the pictures it gave
    /// before that are kept), or gave another number of pictures than it was fed (none kept).
    pub failure: Option<DecodeError>,
}

/// The pictures of the `wanted` samples (indices into `samples`, one video track's frames in
/// decode order), decoded by `libraries`' decoder.
///
/// Frames after the last wanted one are never decoded, nor is an unreferenced frame
/// ([`FrameRole`]) of the highest temporal sub-layer of the run that nobody wants (a non-reference
/// B-frame: about half the frames of x264's default output). When the decoder then fails or gives
/// another number of pictures than it was fed (libavcodec drops a picture it sees out of order
/// when the stream does not state its reorder depth and the left-out frames hid it), the run is
/// decoded again with every frame.
///
/// Choice: when the decoder fails on a frame (OpenH264 on a reference it reports lost), the
/// pictures it gave before are kept where they are certainly the ones they seem (every frame
/// shown before them was decoded), so a GOP broken in its middle still has its first pictures.
///
/// # Errors
/// No decoder for the codec ([`decoder_for`]).
pub fn decode_wanted(
    codec: &CodecConfig,
    samples: &[Sample],
    wanted: &[usize],
    libraries: Libraries,
) -> Result<Decoded, DecodeError> {
    decode_wanted_with(
        &mut || decoder_for(codec, libraries),
        codec,
        samples,
        wanted,
    )
}

/// [`decode_wanted`] with decoders from `new_decoder`.
fn decode_wanted_with(
    new_decoder: &mut dyn FnMut() -> Result<Box<dyn FrameDecoder>, DecodeError>,
    codec: &CodecConfig,
    samples: &[Sample],
    wanted: &[usize],
) -> Result<Decoded, DecodeError> {
    let wanted: BTreeSet<usize> = wanted.iter().copied().collect();
    let (Some(&first), Some(&last)) = (wanted.first(), wanted.last()) else {
        return Ok(Decoded::default());
    };
    let mut decoder = new_decoder()?;
    let from = samples
        .get(..=first)
        .and_then(|before| before.iter().rposition(|s| s.keyframe));
    let (Some(from), true) = (from, last < samples.len()) else {
        return Ok(Decoded::default());
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
    let run = decode_run(decoder.as_mut(), samples, &fed, &wanted);
    if run.failure.is_none() || fed.len() == every.len() {
        return Ok(run);
    }
    let mut decoder = new_decoder()?;
    Ok(decode_run(decoder.as_mut(), samples, &every, &wanted))
}

/// Feeds the samples `fed` (indices, decode order, from a keyframe) to `decoder` and keeps the
/// `wanted` pictures. Pictures come out in presentation order, so the k-th is the fed sample with
/// the k-th smallest pts: when the decoder fails on a frame, of the pictures it gives before and
/// on the flush after, as long as each frame up to the k-th smallest pts was decoded; none when
/// the count comes out wrong.
fn decode_run(
    decoder: &mut dyn FrameDecoder,
    samples: &[Sample],
    fed: &[usize],
    wanted: &BTreeSet<usize>,
) -> Decoded {
    let mut by_pts: Vec<(&Sample, usize)> = fed
        .iter()
        .filter_map(|&i| samples.get(i).map(|s| (s, i)))
        .collect();
    let decode_order: Vec<(&Sample, usize)> = by_pts.clone();
    by_pts.sort_by_key(|&(s, i)| (s.pts, i));
    let mut out = 0usize;
    let mut keep = || {
        let keep = by_pts.get(out).is_some_and(|(_, i)| wanted.contains(i));
        out += 1;
        keep
    };
    let mut pictures = Vec::new();
    let mut decoded = BTreeSet::new();
    let mut failure = None;
    for &(sample, i) in &decode_order {
        match decoder.decode(&sample.data, sample.keyframe, &mut keep) {
            Ok(more) => pictures.extend(more),
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
        decoded.insert(i);
    }
    // After a failure too: a decoder holding pictures back for reordering gives the ones decoded.
    match decoder.flush(&mut keep) {
        Ok(more) => pictures.extend(more),
        Err(error) => failure = failure.or(Some(error)),
    }
    let certain = match &failure {
        None if pictures.len() != by_pts.len() => {
            return Decoded {
                pictures: HashMap::new(),
                failure: Some(DecodeError::Decoder(format!(
                    "{} pictures came out of {} frames",
                    pictures.len(),
                    by_pts.len()
                ))),
            };
        }
        None => pictures.len(),
        // Shown before a frame not decoded: the pictures up to the first such frame.
        Some(_) => by_pts
            .iter()
            .position(|(_, i)| !decoded.contains(i))
            .unwrap_or(by_pts.len())
            .min(pictures.len()),
    };
    Decoded {
        pictures: pictures
            .into_iter()
            .take(certain)
            .zip(by_pts)
            .filter_map(|(picture, (_, i))| Some((i, picture?)))
            .collect(),
        failure,
    }
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

    /// A decoder that counts the frames it is fed, when `drop_last` loses the last picture, and
    /// fails on its `fail_at`-th frame.
    struct Counting {
        inner: Box<dyn FrameDecoder>,
        fed: Rc<Cell<usize>>,
        drop_last: bool,
        own_fed: usize,
        fail_at: Option<usize>,
    }

    impl FrameDecoder for Counting {
        fn decode(
            &mut self,
            access_unit: &[u8],
            keyframe: bool,
            keep: &mut dyn FnMut() -> bool,
        ) -> Result<Vec<Option<Yuv420>>, DecodeError> {
            self.fed.set(self.fed.get() + 1);
            self.own_fed += 1;
            if Some(self.own_fed) == self.fail_at {
                return Err(DecodeError::Decoder("broken on purpose".into()));
            }
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
                inner: decoder_for(codec, Libraries::Builtin)?,
                fed: Rc::clone(fed),
                drop_last: first_drops && made.get() == 1,
                own_fed: 0,
                fail_at: None,
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
            let pictures = decode_wanted_with(&mut decoders, &codec, &samples, &[wanted])
                .expect("decoder")
                .pictures;
            let every: Vec<usize> = (0..=wanted).collect();
            let mut decoder = decoder_for(&codec, Libraries::Builtin).expect("decoder");
            let reference = decode_run(decoder.as_mut(), &samples, &every, &[wanted].into());
            assert_eq!(reference.failure, None, "frame {wanted}");
            let reference = reference.pictures;
            assert_eq!(pictures, reference, "frame {wanted}");
            assert_eq!(pictures.len(), 1, "frame {wanted}");
            assert_eq!(made.get(), 1, "frame {wanted}: decoded again");
            left_out += every.len() - fed.get();
        }
        assert!(left_out > 0, "no frame was left out");
    }

    /// A decoder failing in the middle of a run keeps the pictures it gave before, each the
    /// picture of its own frame (with B-frames, where output order is not decode order), and says
    /// why the others are missing.
    #[test]
    fn pictures_before_a_failure_are_kept_and_are_their_frames() {
        for name in ["h264-baseline", "h264-high-aac"] {
            let (codec, samples) = track(name);
            let wanted: Vec<usize> = (0..samples.len().min(20)).collect();
            let reference =
                decode_wanted(&codec, &samples, &wanted, Libraries::Builtin).expect("decoder");
            assert_eq!(reference.failure, None, "{name}");
            assert_eq!(reference.pictures.len(), wanted.len(), "{name}");
            for fail_at in [1, 2, 4, 7] {
                let mut failing = || -> Result<Box<dyn FrameDecoder>, DecodeError> {
                    Ok(Box::new(Counting {
                        inner: decoder_for(&codec, Libraries::Builtin)?,
                        fed: Rc::default(),
                        drop_last: false,
                        own_fed: 0,
                        fail_at: Some(fail_at),
                    }))
                };
                let cut =
                    decode_wanted_with(&mut failing, &codec, &samples, &wanted).expect("decoder");
                assert_eq!(
                    cut.failure,
                    Some(DecodeError::Decoder("broken on purpose".into())),
                    "{name} {fail_at}"
                );
                assert!(cut.pictures.len() < fail_at, "{name} {fail_at}");
                if fail_at > 4 {
                    assert!(!cut.pictures.is_empty(), "{name} {fail_at}: nothing kept");
                }
                for (i, picture) in &cut.pictures {
                    assert_eq!(
                        Some(picture),
                        reference.pictures.get(i),
                        "{name} {fail_at}: {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_run_short_of_pictures_is_decoded_again_with_every_frame() {
        let (codec, samples) = track("h264-high-aac");
        let (fed, made) = (Rc::new(Cell::new(0)), Cell::new(0));
        let mut first_drops = counting(&codec, &fed, &made, true);
        let last = samples.len() - 1;
        let pictures = decode_wanted_with(&mut first_drops, &codec, &samples, &[last])
            .expect("decoder")
            .pictures;
        assert_eq!(made.get(), 2);
        // The first run left frames out; the second fed every one.
        assert!((samples.len() + 1..2 * samples.len()).contains(&fed.get()));
        assert!(pictures.contains_key(&last));
    }
}
