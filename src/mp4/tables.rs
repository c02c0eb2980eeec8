//! Sample tables (stts, ctts, stss, stsz, stsc, stco/co64): full for a clip, empty in an init segment.

use super::Error;
use super::write::{PutBe, write_full_box};

/// Per-sample facts of one track of a progressive file, and where its chunks start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleTables {
    /// Duration of each sample in track ticks.
    pub durations: Vec<u32>,
    /// pts − dts of each sample in track ticks (never negative: decode times never follow presentation).
    pub composition_offsets: Vec<u32>,
    /// Size of each sample in bytes.
    pub sizes: Vec<u32>,
    /// Whether each sample is a sync sample.
    pub sync: Vec<bool>,
    /// Each chunk's offset from the first sample byte of the file and its number of samples, in
    /// file order.
    pub chunks: Vec<(u64, u32)>,
}

impl SampleTables {
    /// Sum of the sample durations in track ticks (mdhd duration).
    pub fn media_duration(&self) -> u64 {
        self.durations.iter().map(|&d| u64::from(d)).sum()
    }

    /// Writes stts, ctts (when any offset is non-zero), stss (when some sample is not sync), stsz,
    /// stsc and stco (co64 when an offset passes 4 GiB); the first sample byte is at file offset
    /// `base`.
    pub(crate) fn write(&self, out: &mut Vec<u8>, track: u32, base: u64) -> Result<(), Error> {
        let count = |n: usize| {
            u32::try_from(n).map_err(|_| Error::ValueOutOfRange {
                track,
                field: "sample count",
                value: n as u64,
            })
        };
        let stts = runs(&self.durations);
        write_full_box(out, *b"stts", 0, 0, |out| {
            out.u32(count(stts.len())?);
            for (n, delta) in &stts {
                out.u32(*n);
                out.u32(*delta);
            }
            Ok(())
        })?;
        if self.composition_offsets.iter().any(|&o| o != 0) {
            let ctts = runs(&self.composition_offsets);
            write_full_box(out, *b"ctts", 0, 0, |out| {
                out.u32(count(ctts.len())?);
                for (n, offset) in &ctts {
                    out.u32(*n);
                    out.u32(*offset);
                }
                Ok(())
            })?;
        }
        if self.sync.iter().any(|&s| !s) {
            let sync: Vec<u32> = (1u32..)
                .zip(&self.sync)
                .filter(|(_, s)| **s)
                .map(|(i, _)| i)
                .collect();
            write_full_box(out, *b"stss", 0, 0, |out| {
                out.u32(count(sync.len())?);
                sync.iter().for_each(|&i| out.u32(i));
                Ok(())
            })?;
        }
        write_full_box(out, *b"stsz", 0, 0, |out| {
            out.u32(0); // sizes follow
            out.u32(count(self.sizes.len())?);
            self.sizes.iter().for_each(|&s| out.u32(s));
            Ok(())
        })?;
        let stsc: Vec<(u32, u32)> =
            (1u32..)
                .zip(&self.chunks)
                .fold(Vec::new(), |mut acc, (first, &(_, n))| {
                    if acc.last().is_none_or(|&(_, last)| last != n) {
                        acc.push((first, n));
                    }
                    acc
                });
        write_full_box(out, *b"stsc", 0, 0, |out| {
            out.u32(count(stsc.len())?);
            for (first, n) in &stsc {
                out.u32(*first);
                out.u32(*n);
                out.u32(1); // sample_description_index
            }
            Ok(())
        })?;
        // Offsets within a header and a payload held in memory: the sum fits in u64.
        let offsets = || self.chunks.iter().map(|&(offset, _)| base + offset);
        let large = offsets().any(|offset| offset > u64::from(u32::MAX));
        write_full_box(out, if large { *b"co64" } else { *b"stco" }, 0, 0, |out| {
            out.u32(count(self.chunks.len())?);
            for offset in offsets() {
                match u32::try_from(offset) {
                    Ok(small) if !large => out.u32(small),
                    _ => out.u64(offset),
                }
            }
            Ok(())
        })
    }
}

/// Run-length encoding: (count, value) pairs.
fn runs(values: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &v in values {
        match out.last_mut() {
            Some((n, last)) if *last == v => *n += 1,
            _ => out.push((1, v)),
        }
    }
    out
}
