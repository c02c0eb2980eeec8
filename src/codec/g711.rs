//! G.711 codec private data: WAVEFORMATEX under `A_MS/ACM` (spec §5.2, G.711 row).
#![warn(clippy::indexing_slicing)]

use super::error::{Error, Record};

/// Bytes of a WAVEFORMATEX without `cbSize` (spec §5.2: PIC's reader needs ≥ 16 bytes).
const BASE_LEN: usize = 16;

/// The G.711 companding law named by `wFormatTag` (spec §5.2, G.711 row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum G711Format {
    /// `WAVE_FORMAT_ALAW` (6).
    ALaw,
    /// `WAVE_FORMAT_MULAW` (7).
    MuLaw,
}

/// A validated WAVEFORMATEX for G.711 (spec §5.2, G.711 row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveFormatEx {
    format: G711Format,
    channels: u16,
    sample_rate: u32,
    avg_bytes_per_sec: u32,
    block_align: u16,
    bits_per_sample: u16,
}

impl WaveFormatEx {
    /// Parses a little-endian WAVEFORMATEX of ≥ 16 bytes with format tag 6 or 7 (spec §5.2, G.711 row).
    ///
    /// # Errors
    /// [`Error::Truncated`] under 16 bytes or with a 1-byte `cbSize`; [`Error::BadField`] for another format tag
    /// or bits per sample, or a `cbSize` past the end; [`Error::TrailingBytes`] for non-NUL bytes after the
    /// structure; [`Error::UnusableAudioConfig`] (maps to Missing, spec §9.9) for 0 channels or rate 0.
    pub fn parse(cpd: &[u8]) -> Result<WaveFormatEx, Error> {
        let (base, rest) = cpd.split_at_checked(BASE_LEN).ok_or(Error::Truncated {
            record: Record::WaveFormatEx,
            field: "WAVEFORMATEX",
            offset: 0,
            needed: BASE_LEN,
            available: cpd.len(),
        })?;
        let fixed: [u8; BASE_LEN] = base
            .try_into()
            .expect("split_at_checked gave BASE_LEN bytes");
        let [
            t0,
            t1,
            c0,
            c1,
            r0,
            r1,
            r2,
            r3,
            a0,
            a1,
            a2,
            a3,
            b0,
            b1,
            s0,
            s1,
        ] = fixed;
        let tag = u16::from_le_bytes([t0, t1]);
        let format = match tag {
            6 => G711Format::ALaw,
            7 => G711Format::MuLaw,
            // PIC's reader returns STATUS_MKV_INVALID_AMS_ACM_CPD for any other tag (spec §5.2).
            _ => {
                return Err(bad(
                    "wFormatTag",
                    0,
                    "6 (a-law) or 7 (µ-law)",
                    u64::from(tag),
                ));
            }
        };
        let channels = u16::from_le_bytes([c0, c1]);
        if channels == 0 {
            return Err(unusable("nChannels", 2 * 8, 0));
        }
        let sample_rate = u32::from_le_bytes([r0, r1, r2, r3]);
        if sample_rate == 0 {
            return Err(unusable("nSamplesPerSec", 4 * 8, 0));
        }
        let avg_bytes_per_sec = u32::from_le_bytes([a0, a1, a2, a3]);
        let block_align = u16::from_le_bytes([b0, b1]);
        let bits_per_sample = u16::from_le_bytes([s0, s1]);
        // PIC's writer leaves wBitsPerSample 0; G.711 is 8 bits per sample (spec §5.2).
        if bits_per_sample != 0 && bits_per_sample != 8 {
            return Err(bad(
                "wBitsPerSample",
                14,
                "0 or 8",
                u64::from(bits_per_sample),
            ));
        }
        // Choice: nAvgBytesPerSec and nBlockAlign are not checked: PIC writes avgBytes = channels·rate/8
        // (spec §5.2), which is not what G.711 needs, and the service accepts PIC's streams.
        check_extension(rest)?;
        Ok(WaveFormatEx {
            format,
            channels,
            sample_rate,
            avg_bytes_per_sec,
            block_align,
            bits_per_sample,
        })
    }

    /// The companding law (spec §5.2, G.711 row).
    pub fn format(&self) -> G711Format {
        self.format
    }

    /// `nChannels`, at least 1 (spec §5.2, G.711 row).
    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// `nSamplesPerSec`, above 0 (spec §5.2, G.711 row).
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// `nAvgBytesPerSec` as written (spec §5.2, G.711 row).
    pub fn avg_bytes_per_sec(&self) -> u32 {
        self.avg_bytes_per_sec
    }

    /// `nBlockAlign` as written (spec §5.2, G.711 row).
    pub fn block_align(&self) -> u16 {
        self.block_align
    }

    /// `wBitsPerSample`: 0 (PIC) or 8 (spec §5.2, G.711 row).
    pub fn bits_per_sample(&self) -> u16 {
        self.bits_per_sample
    }

    /// Codec string `alaw` or `ulaw` (spec §8.4).
    pub fn codec_string(&self) -> String {
        match self.format {
            G711Format::ALaw => "alaw",
            G711Format::MuLaw => "ulaw",
        }
        .to_owned()
    }
}

/// Checks the optional `cbSize` and the `cbSize` extra bytes after it, then any padding (spec §5.2).
fn check_extension(rest: &[u8]) -> Result<(), Error> {
    if rest.is_empty() {
        return Ok(());
    }
    let (cb, after) = rest.split_first_chunk::<2>().ok_or(Error::Truncated {
        record: Record::WaveFormatEx,
        field: "cbSize",
        offset: BASE_LEN,
        needed: 2,
        available: rest.len(),
    })?;
    let cb_size = u16::from_le_bytes(*cb);
    // Choice: the extra bytes cbSize announces are kept opaque (G.711 defines none).
    let (_extra, tail) = after
        .split_at_checked(usize::from(cb_size))
        .ok_or_else(|| {
            bad(
                "cbSize",
                BASE_LEN,
                "at most the bytes that follow",
                u64::from(cb_size),
            )
        })?;
    // Choice: NUL padding after the structure is tolerated (some producers pad), anything else is not.
    if tail.iter().any(|&b| b != 0) {
        return Err(Error::TrailingBytes {
            record: Record::WaveFormatEx,
            offset: BASE_LEN + 2 + usize::from(cb_size),
            len: tail.len(),
        });
    }
    Ok(())
}

fn bad(field: &'static str, offset: usize, expected: &'static str, found: u64) -> Error {
    Error::BadField {
        record: Record::WaveFormatEx,
        field,
        offset,
        expected,
        found,
    }
}

fn unusable(field: &'static str, bit_offset: usize, found: u64) -> Error {
    Error::UnusableAudioConfig {
        record: Record::WaveFormatEx,
        field,
        bit_offset,
        found,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_fixtures::{G711, cpd, golden, golden_u32};
    use proptest::prelude::*;

    #[test]
    fn fixtures_agree_with_ffprobe() {
        for name in G711 {
            let c = WaveFormatEx::parse(&cpd(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(c.sample_rate(), golden_u32(name, "sample_rate"), "{name}");
            assert_eq!(
                u32::from(c.channels()),
                golden_u32(name, "channels"),
                "{name}"
            );
            assert_eq!(
                u32::from(c.bits_per_sample()),
                golden_u32(name, "bits_per_sample"),
                "{name}"
            );
            let (tag, string) = match c.format() {
                G711Format::ALaw => ("[6][0][0][0]", "alaw"),
                G711Format::MuLaw => ("[7][0][0][0]", "ulaw"),
            };
            assert_eq!(
                golden(name, "codec_tag_string").as_deref(),
                Some(tag),
                "{name}"
            );
            assert_eq!(c.codec_string(), string, "{name}");
            // ffmpeg writes the correct G.711 values.
            assert_eq!(
                c.avg_bytes_per_sec(),
                c.sample_rate() * u32::from(c.channels()),
                "{name}"
            );
            assert_eq!(c.block_align(), c.channels(), "{name}");
        }
    }

    /// PIC's writer (spec §5.2): 18 bytes, blockAlign = channels, avgBytes = channels·rate/8, bits 0, cbSize 0.
    /// `mkvgenGeneratePcmCpd(ALAW = 6, 8000, 1)`: avgBytes 1000 = 0x3e8.
    const PIC_ALAW: [u8; 18] = [
        6, 0, 1, 0, 0x40, 0x1f, 0, 0, 0xe8, 3, 0, 0, 1, 0, 0, 0, 0, 0,
    ];

    #[test]
    fn pic_writer_output() {
        let c = WaveFormatEx::parse(&PIC_ALAW).unwrap();
        assert_eq!(
            (c.format(), c.channels(), c.sample_rate()),
            (G711Format::ALaw, 1, 8000)
        );
        assert_eq!(
            (c.avg_bytes_per_sec(), c.block_align(), c.bits_per_sample()),
            (1000, 1, 0)
        );
        let mut mulaw = PIC_ALAW;
        mulaw[0] = 7;
        assert_eq!(
            WaveFormatEx::parse(&mulaw).unwrap().format(),
            G711Format::MuLaw
        );
        // Without cbSize (PIC's reader needs only 16 bytes).
        assert_eq!(WaveFormatEx::parse(&PIC_ALAW[..16]).unwrap(), c);
        // NUL padding after the structure.
        let padded: Vec<u8> = PIC_ALAW.iter().copied().chain([0; 14]).collect();
        assert_eq!(WaveFormatEx::parse(&padded).unwrap(), c);
    }

    #[test]
    fn malformed() {
        for len in 0..16 {
            assert!(
                matches!(
                    WaveFormatEx::parse(&PIC_ALAW[..len]),
                    Err(Error::Truncated { needed: 16, .. })
                ),
                "{len}"
            );
        }
        assert!(matches!(
            WaveFormatEx::parse(&PIC_ALAW[..17]),
            Err(Error::Truncated {
                field: "cbSize",
                offset: 16,
                ..
            })
        ));
        let with = |at: usize, value: u8| {
            let mut v = PIC_ALAW.to_vec();
            v[at] = value;
            v
        };
        // WAVE_FORMAT_PCM.
        assert_eq!(
            WaveFormatEx::parse(&with(0, 1)),
            Err(Error::BadField {
                record: Record::WaveFormatEx,
                field: "wFormatTag",
                offset: 0,
                expected: "6 (a-law) or 7 (µ-law)",
                found: 1
            })
        );
        assert!(matches!(
            WaveFormatEx::parse(&with(2, 0)),
            Err(Error::UnusableAudioConfig {
                field: "nChannels",
                ..
            })
        ));
        let mut no_rate = PIC_ALAW.to_vec();
        no_rate[4..8].fill(0);
        assert!(matches!(
            WaveFormatEx::parse(&no_rate),
            Err(Error::UnusableAudioConfig {
                field: "nSamplesPerSec",
                ..
            })
        ));
        assert!(matches!(
            WaveFormatEx::parse(&with(14, 16)),
            Err(Error::BadField {
                field: "wBitsPerSample",
                found: 16,
                ..
            })
        ));
        // cbSize 4 with nothing after it.
        assert!(matches!(
            WaveFormatEx::parse(&with(16, 4)),
            Err(Error::BadField {
                field: "cbSize",
                found: 4,
                ..
            })
        ));
        // cbSize 2 with its 2 bytes is fine; a non-NUL byte after them is not.
        let mut extra = with(16, 2);
        extra.extend_from_slice(&[9, 9]);
        assert!(WaveFormatEx::parse(&extra).is_ok());
        extra.push(1);
        assert_eq!(
            WaveFormatEx::parse(&extra),
            Err(Error::TrailingBytes {
                record: Record::WaveFormatEx,
                offset: 20,
                len: 1
            })
        );
        let mut tail = PIC_ALAW.to_vec();
        tail.extend_from_slice(&[0, 0, 0x41]);
        assert_eq!(
            WaveFormatEx::parse(&tail),
            Err(Error::TrailingBytes {
                record: Record::WaveFormatEx,
                offset: 18,
                len: 3
            })
        );
    }

    proptest! {
        #[test]
        fn never_panics(data in prop::collection::vec(any::<u8>(), 0..40)) {
            // Any input gives a value or an error; a value has usable key fields.
            prop_assert!(WaveFormatEx::parse(&data).map_or(true, |c| c.channels() > 0 && c.sample_rate() > 0));
        }
    }
}
