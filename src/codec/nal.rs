//! Length-prefixed NAL unit frames (spec §5.2 "Frames", §5.3 InvalidMediaFrame; ISO/IEC 14496-15 §5.3.2).
#![warn(clippy::indexing_slicing)]

use super::error::{Error, Record};

/// The 4-byte Annex-B start code.
const START_CODE_4: [u8; 4] = [0, 0, 0, 1];
/// The 3-byte Annex-B start code.
const START_CODE_3: [u8; 3] = [0, 0, 1];

/// Length of the Annex-B start code `bytes` begins with (4 or 3), if any (ITU-T H.264 Annex B).
pub(crate) fn start_code_len(bytes: &[u8]) -> Option<usize> {
    if bytes.starts_with(&START_CODE_4) {
        Some(4)
    } else if bytes.starts_with(&START_CODE_3) {
        Some(3)
    } else {
        None
    }
}

/// Whether `frame` begins with an Annex-B start code `00 00 01` or `00 00 00 01` (spec §5.2 "Frames").
pub fn is_annex_b(frame: &[u8]) -> bool {
    start_code_len(frame).is_some()
}

/// Checks that `length_size` is 1, 2 or 4 (ISO/IEC 14496-15 §5.3.3.1: lengthSizeMinusOne 0, 1 or 3).
///
/// # Errors
/// [`Error::LengthSize`] otherwise.
fn check_length_size(length_size: u8) -> Result<usize, Error> {
    match length_size {
        1 | 2 | 4 => Ok(usize::from(length_size)),
        _ => Err(Error::LengthSize { length_size }),
    }
}

/// Checks that `frame` is a sequence of NAL units each prefixed by a big-endian length of `length_size`
/// bytes, with lengths adding up exactly to the frame and no zero-length unit (spec §5.2 "Frames", §5.3).
///
/// # Errors
/// [`Error::LengthSize`] for a `length_size` other than 1, 2, 4; [`Error::EmptyFrame`]; and, when the walk
/// fails, [`Error::AnnexBFrame`] if the frame starts with a start code, else [`Error::EmptyNal`],
/// [`Error::NalLengthOverrun`] or [`Error::Truncated`] (a length prefix cut short) with the offset in the frame.
pub fn check_length_prefixed(frame: &[u8], length_size: u8) -> Result<(), Error> {
    check_length_size(length_size)?;
    if frame.is_empty() {
        // Choice: an empty block is not a "sequence of NAL units" the service could package.
        return Err(Error::EmptyFrame);
    }
    for unit in nal_units(frame, length_size) {
        if let Err(err) = unit {
            return Err(match start_code_len(frame) {
                Some(start_code_len) => Error::AnnexBFrame { start_code_len },
                None => err,
            });
        }
    }
    Ok(())
}

/// Iterates over the NAL unit payloads (without their length prefixes) of a length-prefixed frame
/// (spec §5.2 "Frames"). Yields one error and then stops if the frame is malformed.
pub fn nal_units(frame: &[u8], length_size: u8) -> NalUnits<'_> {
    NalUnits {
        rest: frame,
        offset: 0,
        length_size,
        failed: false,
    }
}

/// Iterator returned by [`nal_units`] (spec §5.2 "Frames").
#[derive(Debug, Clone)]
pub struct NalUnits<'a> {
    rest: &'a [u8],
    /// Offset of `rest` within the frame.
    offset: usize,
    length_size: u8,
    failed: bool,
}

impl<'a> NalUnits<'a> {
    fn next_unit(&mut self) -> Result<&'a [u8], Error> {
        let size = check_length_size(self.length_size)?;
        let (prefix, after) = self.rest.split_at_checked(size).ok_or(Error::Truncated {
            record: Record::Frame,
            field: "nal unit length",
            offset: self.offset,
            needed: size,
            available: self.rest.len(),
        })?;
        let length = prefix
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        if length == 0 {
            return Err(Error::EmptyNal {
                offset: self.offset,
            });
        }
        let overrun = Error::NalLengthOverrun {
            offset: self.offset,
            length,
            available: after.len(),
        };
        let len = usize::try_from(length).map_err(|_| overrun.clone())?;
        let (unit, rest) = after.split_at_checked(len).ok_or(overrun)?;
        self.rest = rest;
        // Cannot overflow: both parts are lengths of sub-slices of one frame.
        self.offset = self.offset.saturating_add(size).saturating_add(len);
        Ok(unit)
    }
}

impl<'a> Iterator for NalUnits<'a> {
    type Item = Result<&'a [u8], Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let unit = self.next_unit();
        self.failed = unit.is_err();
        Some(unit)
    }
}

/// What a picture's NAL unit headers say about prediction from it (ITU-T H.264 §7.4.1, H.265
/// §7.4.2.2): a decoder may leave out an unreferenced picture of the highest temporal sub-layer it
/// decodes when nobody wants that picture itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRole {
    /// The highest `TemporalId` of its NAL units (0 for H.264; [`u8::MAX`] when a header cannot be
    /// read, which makes no picture the highest).
    pub temporal_id: u8,
    /// No picture of its sub-layer predicts from it, and it carries nothing that changes the
    /// decoder's state for later pictures (parameter sets, end of sequence ...).
    pub unreferenced: bool,
}

impl FrameRole {
    /// The role of an unreadable frame: referenced, of no readable sub-layer.
    pub const UNKNOWN: FrameRole = FrameRole {
        temporal_id: u8::MAX,
        unreferenced: false,
    };
}

/// The [`FrameRole`] of a length-prefixed `frame`; `unit` reads one NAL unit's header as
/// `(temporal_id, Some(unreferenced))` for a slice, or a unit that makes the picture matter to
/// others (`Some(false)`: parameter sets, end of sequence ...), `(temporal_id, None)` for a unit
/// that changes nothing for other pictures (SEI, access unit delimiter, filler), and `None` when
/// the header cannot be read. A frame with no such unit, or a malformed one, is [`FrameRole::UNKNOWN`].
pub(crate) fn frame_role(
    frame: &[u8],
    length_size: u8,
    unit: impl Fn(&[u8]) -> Option<(u8, Option<bool>)>,
) -> FrameRole {
    let mut role = FrameRole {
        temporal_id: 0,
        unreferenced: true,
    };
    let mut counted = false;
    for nal in nal_units(frame, length_size) {
        let Some((temporal_id, slice)) = nal.ok().and_then(&unit) else {
            return FrameRole::UNKNOWN;
        };
        role.temporal_id = role.temporal_id.max(temporal_id);
        if let Some(unreferenced) = slice {
            counted = true;
            role.unreferenced &= unreferenced;
        }
    }
    if !counted {
        return FrameRole::UNKNOWN;
    }
    role
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn build(units: &[Vec<u8>], length_size: u8) -> Vec<u8> {
        let mut frame = Vec::new();
        for unit in units {
            let len = unit.len() as u64;
            let bytes = len.to_be_bytes();
            frame.extend_from_slice(&bytes[8 - usize::from(length_size)..]);
            frame.extend_from_slice(unit);
        }
        frame
    }

    #[test]
    fn accepts_and_iterates() {
        let units = vec![vec![0x67, 1, 2], vec![0x68, 3], vec![0x65; 300]];
        let frame = build(&units, 4);
        assert_eq!(check_length_prefixed(&frame, 4), Ok(()));
        let seen: Vec<&[u8]> = nal_units(&frame, 4).map(|u| u.unwrap()).collect();
        assert_eq!(seen, units.iter().map(Vec::as_slice).collect::<Vec<_>>());
    }

    #[test]
    fn rejects_bad_frames() {
        assert_eq!(check_length_prefixed(&[], 4), Err(Error::EmptyFrame));
        assert_eq!(
            check_length_prefixed(&[0, 0, 0, 5, 1], 4),
            Err(Error::NalLengthOverrun {
                offset: 0,
                length: 5,
                available: 1
            })
        );
        assert_eq!(
            check_length_prefixed(&[0, 1, 9, 0, 0], 2),
            Err(Error::EmptyNal { offset: 3 })
        );
        assert_eq!(
            check_length_prefixed(&[0, 1, 9, 0], 2),
            Err(Error::Truncated {
                record: Record::Frame,
                field: "nal unit length",
                offset: 3,
                needed: 2,
                available: 1
            })
        );
        assert_eq!(
            check_length_prefixed(&[0, 1, 9], 3),
            Err(Error::LengthSize { length_size: 3 })
        );
        assert_eq!(
            check_length_prefixed(&[0, 1, 9], 0),
            Err(Error::LengthSize { length_size: 0 })
        );
    }

    #[test]
    fn annex_b_frames() {
        // The first real H.264 sample frame starts AUD: 00 00 00 01 09 10 00 00 00 01 67 ...
        let annex_b = [0, 0, 0, 1, 0x09, 0x10, 0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1e];
        assert!(is_annex_b(&annex_b));
        assert_eq!(
            check_length_prefixed(&annex_b, 4),
            Err(Error::AnnexBFrame { start_code_len: 4 })
        );
        let annex_b3 = [0, 0, 1, 0x65, 0x88, 0x84];
        assert_eq!(
            check_length_prefixed(&annex_b3, 4),
            Err(Error::AnnexBFrame { start_code_len: 3 })
        );
        // A length-prefixed frame whose first length is 1 also starts with 00 00 00 01: it walks, so it is fine.
        assert_eq!(check_length_prefixed(&[0, 0, 0, 1, 0x09], 4), Ok(()));
        assert!(!is_annex_b(&[0, 0, 2, 1]));
    }

    #[test]
    fn real_sample_frames_are_annex_b() {
        // First 16 bytes of the producer SDK's h264SampleFrames/frame-001.h264 (AUD, SPS ...) and
        // frame-002.h264 (AUD, then a 3-byte start code before the slice), and h265SampleFrames/frame-002.h265.
        let frames: [&[u8]; 3] = [
            &[
                0, 0, 0, 1, 0x09, 0x10, 0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1e, 0xac, 0xb2,
            ],
            &[
                0, 0, 0, 1, 0x09, 0x30, 0, 0, 1, 0x41, 0x9a, 0x3b, 0x10, 0xbf, 0x65, 0x98,
            ],
            &[
                0, 0, 0, 1, 0x02, 0x01, 0xd0, 0x00, 0x0d, 0xc4, 0x2e, 0x31, 0xfb, 0x29, 0x97, 0x00,
            ],
        ];
        for frame in frames {
            assert!(is_annex_b(frame));
            assert_eq!(
                check_length_prefixed(frame, 4),
                Err(Error::AnnexBFrame { start_code_len: 4 })
            );
        }
    }

    proptest! {
        #[test]
        fn correct_prefixes_accepted(
            units in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..300), 1..8),
            size_idx in 0usize..3,
        ) {
            let length_size = [1u8, 2, 4][size_idx];
            let units: Vec<Vec<u8>> = units.into_iter().map(|mut u| { u.truncate(if length_size == 1 { 255 } else { 300 }); u }).collect();
            let frame = build(&units, length_size);
            prop_assert_eq!(check_length_prefixed(&frame, length_size), Ok(()));
            let seen: Vec<&[u8]> = nal_units(&frame, length_size).map(|u| u.unwrap()).collect();
            prop_assert_eq!(seen, units.iter().map(Vec::as_slice).collect::<Vec<_>>());
        }

        /// Any prefix that is off is either rejected or makes the walk see different NAL units: a corrupted
        /// frame is never taken for the original. (With arbitrary payload bytes a misaligned walk can end
        /// exactly at the frame's end by chance, so "always rejected" only holds for the last prefix, below.)
        #[test]
        fn wrong_prefix_detected(
            units in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..200), 1..8),
            size_idx in 0usize..3,
            which in any::<prop::sample::Index>(),
            delta in prop_oneof![Just(-1i64), 1i64..1000],
        ) {
            let length_size = [1u8, 2, 4][size_idx];
            let size = usize::from(length_size);
            let mut frame = build(&units, length_size);
            let i = which.index(units.len());
            let at: usize = units[..i].iter().map(|u| u.len() + size).sum();
            let old = units[i].len() as i64;
            let max = (1i64 << (8 * size as u32)) - 1;
            let new = (old + delta).clamp(0, max);
            prop_assume!(new != old);
            frame[at..at + size].copy_from_slice(&(new as u64).to_be_bytes()[8 - size..]);
            let walked: Result<Vec<&[u8]>, Error> = nal_units(&frame, length_size).collect();
            match check_length_prefixed(&frame, length_size) {
                Err(_) => prop_assert!(walked.is_err()),
                Ok(()) => prop_assert_ne!(walked.unwrap(), units.iter().map(Vec::as_slice).collect::<Vec<_>>()),
            }
        }

        /// A last prefix that claims more bytes than the frame holds is always rejected.
        #[test]
        fn longer_last_prefix_rejected(
            units in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..200), 1..8),
            size_idx in 0usize..3,
            delta in 1u64..1000,
        ) {
            let length_size = [1u8, 2, 4][size_idx];
            let size = usize::from(length_size);
            let mut frame = build(&units, length_size);
            let last = units.last().unwrap();
            let at = frame.len() - last.len() - size;
            // Units are shorter than 200 bytes, so even a 1-byte prefix can grow.
            let new = (last.len() as u64 + delta).min((1u64 << (8 * size as u32)) - 1);
            frame[at..at + size].copy_from_slice(&new.to_be_bytes()[8 - size..]);
            prop_assert!(check_length_prefixed(&frame, length_size).is_err());
        }

        #[test]
        fn never_panics(frame in prop::collection::vec(any::<u8>(), 0..64), length_size in 0u8..6) {
            let checked = check_length_prefixed(&frame, length_size);
            let units: Vec<Result<&[u8], Error>> = nal_units(&frame, length_size).collect();
            for (i, unit) in units.iter().enumerate() {
                match unit {
                    Ok(unit) => prop_assert!(!unit.is_empty()),
                    Err(_) => prop_assert_eq!(i, units.len() - 1),
                }
            }
            let walked = !frame.is_empty() && units.iter().all(Result::is_ok);
            prop_assert_eq!(checked.is_ok(), walked);
        }
    }
}
