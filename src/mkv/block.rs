//! SimpleBlock and Block payloads: header and lacing (RFC 9559 §10).

use bytes::{Buf, Bytes};

use super::Error;
use crate::ebml::vint;

/// SimpleBlock flag: the frame is a key frame.
const KEYFRAME: u8 = 0x80;
/// Lacing bits of the flags byte.
const LACING_MASK: u8 = 0x06;

/// A parsed block: the track, its timestamp relative to the cluster, and its frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Track number.
    pub track: u64,
    /// Timestamp relative to the Cluster, in ticks.
    pub relative_timestamp: i16,
    /// Keyframe flag (SimpleBlock only; a Block's key-ness comes from ReferenceBlock).
    pub keyframe: bool,
    /// The frames: one without lacing, up to 256 with. Each is a slice of the input with its absolute offset.
    pub frames: Vec<(u64, Bytes)>,
}

/// What a block's first bytes say: track, timestamp, flags and how many frames it laces, without
/// reading the lace sizes or touching the payload (what the fragment index walks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// Track number.
    pub track: u64,
    /// Timestamp relative to the Cluster, in ticks.
    pub relative_timestamp: i16,
    /// Keyframe flag (SimpleBlock).
    pub keyframe: bool,
    /// Frames in the block: 1 without lacing, up to 256 with.
    pub laces: usize,
    /// Bytes before the lace sizes or the payload (track vint, timestamp, flags).
    header_len: usize,
    /// The lacing kind (0 none, 1 Xiph, 2 fixed, 3 EBML).
    lacing: u8,
}

impl BlockHeader {
    /// Reads the header of SimpleBlock or Block `data` whose first byte is at absolute `offset`.
    ///
    /// # Errors
    /// [`Error::InvalidBlock`] for a short header, a bad track vint or a missing lace count.
    pub fn parse(data: &[u8], offset: u64) -> Result<BlockHeader, Error> {
        let invalid = |reason| Error::InvalidBlock { offset, reason };
        let (track, track_len) = match vint::read_size(data, offset) {
            Ok(Some((Some(track), len))) => (track, len),
            _ => return Err(invalid("bad track number")),
        };
        let header_len = track_len + 3;
        let &[t0, t1, flags] = data
            .get(track_len..header_len)
            .and_then(|h| <&[u8; 3]>::try_from(h).ok())
            .ok_or_else(|| invalid("block header is truncated"))?;
        let lacing = (flags & LACING_MASK) >> 1;
        let laces = match lacing {
            0 => 1,
            _ => {
                usize::from(
                    *data
                        .get(header_len)
                        .ok_or_else(|| invalid("lace count is missing"))?,
                ) + 1
            }
        };
        Ok(BlockHeader {
            track,
            relative_timestamp: i16::from_be_bytes([t0, t1]),
            keyframe: flags & KEYFRAME != 0,
            laces,
            header_len,
            lacing,
        })
    }
}

impl Block {
    /// Parses SimpleBlock or Block `data` whose first byte is at absolute `offset`.
    ///
    /// # Errors
    /// [`Error::InvalidBlock`] for a short header, a bad track vint or lace sizes that do not add up.
    pub fn parse(data: &Bytes, offset: u64) -> Result<Block, Error> {
        let invalid = |reason| Error::InvalidBlock { offset, reason };
        let BlockHeader {
            track,
            relative_timestamp,
            keyframe,
            header_len,
            lacing,
            laces,
        } = BlockHeader::parse(data, offset)?;
        let mut rest = data.slice(header_len..);
        let mut rest_offset = offset + header_len as u64;
        let frames = match lacing {
            0 => vec![(rest_offset, rest)],
            lacing => {
                // Past the lace count byte, which BlockHeader::parse has read.
                let count = laces;
                rest.advance(1);
                rest_offset += 1;
                let sizes = match lacing {
                    1 => xiph_sizes(&mut rest, &mut rest_offset, count, offset)?,
                    3 => ebml_sizes(&mut rest, &mut rest_offset, count, offset)?,
                    _ => fixed_sizes(rest.len(), count, offset)?,
                };
                let mut frames = Vec::with_capacity(count); // count <= 256
                for size in sizes {
                    if size > rest.len() {
                        return Err(invalid("lace sizes exceed the block"));
                    }
                    frames.push((rest_offset, rest.split_to(size)));
                    rest_offset += size as u64;
                }
                frames.push((rest_offset, rest));
                frames
            }
        };
        Ok(Block {
            track,
            relative_timestamp,
            keyframe,
            frames,
        })
    }
}

/// Sizes of all laced frames but the last, Xiph style (255-runs).
fn xiph_sizes(
    rest: &mut Bytes,
    at: &mut u64,
    count: usize,
    offset: u64,
) -> Result<Vec<usize>, Error> {
    let mut sizes = Vec::with_capacity(count - 1);
    let mut total = 0usize;
    for _ in 1..count {
        let mut size = 0usize;
        loop {
            let (&byte, _) = rest.split_first().ok_or(Error::InvalidBlock {
                offset,
                reason: "xiph lace sizes are truncated",
            })?;
            rest.advance(1);
            *at += 1;
            size += usize::from(byte);
            if byte != 255 {
                break;
            }
        }
        total += size;
        sizes.push(size);
    }
    if total > rest.len() {
        return Err(Error::InvalidBlock {
            offset,
            reason: "xiph lace sizes exceed the block",
        });
    }
    Ok(sizes)
}

/// Sizes of all laced frames but the last, EBML style (first size, then signed differences).
fn ebml_sizes(
    rest: &mut Bytes,
    at: &mut u64,
    count: usize,
    offset: u64,
) -> Result<Vec<usize>, Error> {
    let invalid = |reason| Error::InvalidBlock { offset, reason };
    let mut sizes = Vec::with_capacity(count - 1);
    let mut previous = 0i64;
    let mut total = 0i64;
    for i in 1..count {
        let (size, len) = if i == 1 {
            match vint::read_size(rest, *at) {
                Ok(Some((Some(size), len))) => (
                    i64::try_from(size).map_err(|_| invalid("ebml lace size overflows"))?,
                    len,
                ),
                _ => return Err(invalid("bad ebml lace size")),
            }
        } else {
            match vint::read_signed(rest, *at) {
                Ok(Some((delta, len))) => (
                    previous
                        .checked_add(delta)
                        .ok_or_else(|| invalid("ebml lace size overflows"))?,
                    len,
                ),
                _ => return Err(invalid("bad ebml lace size difference")),
            }
        };
        rest.advance(len);
        *at += len as u64;
        if size < 0 {
            return Err(invalid("negative ebml lace size"));
        }
        total = total
            .checked_add(size)
            .ok_or_else(|| invalid("ebml lace size overflows"))?;
        previous = size;
        sizes.push(usize::try_from(size).map_err(|_| invalid("ebml lace size overflows"))?);
    }
    if total > rest.len() as i64 {
        return Err(invalid("ebml lace sizes exceed the block"));
    }
    Ok(sizes)
}

/// Sizes of all laced frames but the last, fixed-size lacing (equal shares).
fn fixed_sizes(len: usize, count: usize, offset: u64) -> Result<Vec<usize>, Error> {
    if !len.is_multiple_of(count) {
        return Err(Error::InvalidBlock {
            offset,
            reason: "fixed lacing does not divide the block evenly",
        });
    }
    Ok(vec![len / count; count - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(block: &Block) -> Vec<usize> {
        block.frames.iter().map(|(_, f)| f.len()).collect()
    }

    #[test]
    fn unlaced() {
        let b = Block::parse(&Bytes::from_static(&[0x81, 0x00, 0x05, 0x80, 1, 2, 3]), 10).unwrap();
        assert_eq!((b.track, b.relative_timestamp, b.keyframe), (1, 5, true));
        assert_eq!(b.frames, vec![(14, Bytes::from_static(&[1, 2, 3]))]);
        let neg = Block::parse(&Bytes::from_static(&[0x82, 0xFF, 0xFE, 0x00]), 0).unwrap();
        assert_eq!(
            (neg.track, neg.relative_timestamp, neg.keyframe),
            (2, -2, false)
        );
        assert!(Block::parse(&Bytes::from_static(&[0x81, 0x00]), 0).is_err());
        assert!(Block::parse(&Bytes::from_static(&[0x00]), 0).is_err());
    }

    #[test]
    fn xiph_lacing() {
        // 3 frames: 256, 2, rest(1)
        let mut data = vec![0x81, 0, 0, 0x02, 2, 255, 1, 2];
        data.extend(std::iter::repeat_n(7u8, 259));
        let b = Block::parse(&Bytes::from(data), 0).unwrap();
        assert_eq!(sizes(&b), vec![256, 2, 1]);
        assert_eq!(b.frames[1].0, 8 + 256);
        assert!(Block::parse(&Bytes::from_static(&[0x81, 0, 0, 0x02, 1, 255]), 0).is_err());
    }

    #[test]
    fn ebml_lacing() {
        // 3 frames: 3, 3-1=2, rest
        let data = [0x81, 0, 0, 0x06, 2, 0x83, 0xBE, 1, 1, 1, 2, 2, 3, 3, 3];
        let b = Block::parse(&Bytes::copy_from_slice(&data), 0).unwrap();
        assert_eq!(sizes(&b), vec![3, 2, 3]);
        let too_big = [0x81, 0, 0, 0x06, 1, 0x8F, 1];
        assert!(Block::parse(&Bytes::copy_from_slice(&too_big), 0).is_err());
    }

    #[test]
    fn fixed_lacing() {
        let b = Block::parse(&Bytes::from_static(&[0x81, 0, 0, 0x04, 1, 1, 2, 3, 4]), 0).unwrap();
        assert_eq!(sizes(&b), vec![2, 2]);
        assert!(Block::parse(&Bytes::from_static(&[0x81, 0, 0, 0x04, 1, 1, 2, 3]), 0).is_err());
    }
}
