//! ftyp and moov: the init segment (GetMP4InitFragment, spec §1.8, §8.5) and the parts of a clip's moov
//! that do not depend on samples (STYLE §5: shared by `init.rs` and `clip.rs`).

use bytes::Bytes;

use super::Error;
use super::tables::SampleTables;
use super::write::{PutBe, write_box, write_full_box};
use crate::codec::{CodecConfig, G711Format};
use crate::model::track::TrackInfo;

/// Movie timescale (mvhd): milliseconds, KVS's own resolution.
pub const MOVIE_TIMESCALE: u32 = 1000;

/// Which kind of file the boxes are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Fragmented MP4 (init + moof/mdat media segments), for HLS/DASH and the player actions.
    Fragmented,
    /// A progressive ("traditional") MP4: ftyp, moov with full sample tables, mdat (GetClip).
    Progressive,
}

/// The init segment for `tracks` (one track for the player actions, or all): ftyp + moov with mvex.
///
/// # Errors
/// [`Error::ValueOutOfRange`] for a sample rate or size a field cannot hold.
pub fn init_segment(tracks: &[TrackInfo]) -> Result<Bytes, Error> {
    let mut out = Vec::with_capacity(1024);
    ftyp(&mut out, Profile::Fragmented)?;
    write_box(&mut out, *b"moov", |out| {
        mvhd(out, 0, tracks)?;
        for track in tracks {
            trak(out, track, &SampleTables::default(), None, 0)?;
        }
        write_box(out, *b"mvex", |out| {
            for track in tracks {
                trex(out, track.track_id)?;
            }
            Ok(())
        })
    })?;
    Ok(Bytes::from(out))
}

/// ftyp. Choice: fragmented files say `iso6` (tfdt, default-base-is-moof) with `iso5`/`mp41` compatible,
/// as CMAF players and ffmpeg expect; progressive files say `isom` with `iso2`/`mp41`, as ffmpeg writes.
pub(crate) fn ftyp(out: &mut Vec<u8>, profile: Profile) -> Result<(), Error> {
    write_box(out, *b"ftyp", |out| {
        let (major, minor, compatible): (&[u8; 4], u32, &[&[u8; 4]]) = match profile {
            Profile::Fragmented => (b"iso6", 0, &[b"iso6", b"iso5", b"mp41"]),
            Profile::Progressive => (b"isom", 0x200, &[b"isom", b"iso2", b"mp41"]),
        };
        out.bytes(major);
        out.u32(minor);
        for brand in compatible {
            out.bytes(*brand);
        }
        Ok(())
    })
}

/// Identity matrix (ISO/IEC 14496-12 §8.2.2).
const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

/// mvhd. Creation and modification times are 0: output is a pure function of the input (STYLE §2).
pub(crate) fn mvhd(out: &mut Vec<u8>, duration_ms: u64, tracks: &[TrackInfo]) -> Result<(), Error> {
    write_full_box(out, *b"mvhd", 1, 0, |out| {
        out.u64(0);
        out.u64(0);
        out.u32(MOVIE_TIMESCALE);
        out.u64(duration_ms);
        out.u32(0x0001_0000); // rate 1.0
        out.u16(0x0100); // volume 1.0
        out.bytes(&[0; 10]);
        MATRIX.iter().for_each(|&m| out.u32(m));
        out.bytes(&[0; 24]);
        let next = tracks
            .iter()
            .map(|t| t.track_id)
            .max()
            .unwrap_or(0)
            .saturating_add(1);
        out.u32(next);
        Ok(())
    })
}

/// The edit list of a clip track (ISO/IEC 14496-12 §8.6.6): an optional empty edit that delays the
/// track to its place in the movie, then the media from `media_time` on (B-frames: the first shown sample).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Edit {
    /// Empty edit before the media, in movie timescale (ms); 0 for none.
    pub delay_ms: u64,
    /// Duration of the media edit, in movie timescale (ms).
    pub duration_ms: u64,
    /// Media time (track ticks) shown first.
    pub media_time: u64,
}

impl Edit {
    /// Where the edited track ends in the movie, in ms (delay + media; saturating, though clip
    /// times are far below u64::MAX ms).
    pub fn end_ms(self) -> u64 {
        self.delay_ms.saturating_add(self.duration_ms)
    }
}

/// trak with its tkhd, optional edts, and mdia; `tables` are empty for fragmented files, and their
/// chunk offsets count from the first sample byte at file offset `chunk_base`.
pub(crate) fn trak(
    out: &mut Vec<u8>,
    track: &TrackInfo,
    tables: &SampleTables,
    edit: Option<Edit>,
    chunk_base: u64,
) -> Result<(), Error> {
    write_box(out, *b"trak", |out| {
        tkhd(out, track, edit.map_or(0, Edit::end_ms))?;
        if let Some(edit) = edit {
            write_box(out, *b"edts", |out| {
                write_full_box(out, *b"elst", 1, 0, |out| {
                    out.u32(if edit.delay_ms > 0 { 2 } else { 1 });
                    if edit.delay_ms > 0 {
                        out.u64(edit.delay_ms);
                        out.u64(u64::MAX); // media_time -1: empty edit
                        out.u32(0x0001_0000);
                    }
                    out.u64(edit.duration_ms);
                    out.u64(edit.media_time);
                    out.u32(0x0001_0000); // rate 1.0
                    Ok(())
                })
            })?;
        }
        write_box(out, *b"mdia", |out| {
            write_full_box(out, *b"mdhd", 1, 0, |out| {
                out.u64(0);
                out.u64(0);
                out.u32(track.timescale.get());
                out.u64(tables.media_duration());
                out.u16(0x55C4); // language "und" (ISO-639-2/T packed)
                out.u16(0);
                Ok(())
            })?;
            let (handler, name): (&[u8; 4], &[u8]) = if track.is_video() {
                (b"vide", b"VideoHandler\0")
            } else {
                (b"soun", b"SoundHandler\0")
            };
            write_full_box(out, *b"hdlr", 0, 0, |out| {
                out.u32(0);
                out.bytes(handler);
                out.bytes(&[0; 12]);
                out.bytes(name);
                Ok(())
            })?;
            write_box(out, *b"minf", |out| {
                if track.is_video() {
                    write_full_box(out, *b"vmhd", 0, 1, |out| {
                        out.bytes(&[0; 8]);
                        Ok(())
                    })?;
                } else {
                    write_full_box(out, *b"smhd", 0, 0, |out| {
                        out.u32(0);
                        Ok(())
                    })?;
                }
                write_box(out, *b"dinf", |out| {
                    write_full_box(out, *b"dref", 0, 0, |out| {
                        out.u32(1);
                        write_full_box(out, *b"url ", 0, 1, |_| Ok(()))
                    })
                })?;
                write_box(out, *b"stbl", |out| {
                    stsd(out, track)?;
                    tables.write(out, track.track_id, chunk_base)
                })
            })
        })
    })
}

fn tkhd(out: &mut Vec<u8>, track: &TrackInfo, duration_ms: u64) -> Result<(), Error> {
    // flags: enabled | in movie | in preview.
    write_full_box(out, *b"tkhd", 1, 0x7, |out| {
        out.u64(0);
        out.u64(0);
        out.u32(track.track_id);
        out.u32(0);
        out.u64(duration_ms);
        out.bytes(&[0; 8]);
        out.u16(0); // layer
        out.u16(if track.is_video() { 0 } else { 1 }); // alternate group
        out.u16(if track.is_video() { 0 } else { 0x0100 }); // volume
        out.u16(0);
        MATRIX.iter().for_each(|&m| out.u32(m));
        let (width, height) = (
            track.codec.width().unwrap_or(0),
            track.codec.height().unwrap_or(0),
        );
        out.u32(
            width
                .checked_shl(16)
                .filter(|_| width <= 0xFFFF)
                .unwrap_or(0),
        );
        out.u32(
            height
                .checked_shl(16)
                .filter(|_| height <= 0xFFFF)
                .unwrap_or(0),
        );
        Ok(())
    })
}

fn trex(out: &mut Vec<u8>, track_id: u32) -> Result<(), Error> {
    write_full_box(out, *b"trex", 0, 0, |out| {
        out.u32(track_id);
        out.u32(1); // default_sample_description_index
        out.u32(0);
        out.u32(0);
        out.u32(0);
        Ok(())
    })
}

/// stsd with the one sample entry of the track's codec.
fn stsd(out: &mut Vec<u8>, track: &TrackInfo) -> Result<(), Error> {
    write_full_box(out, *b"stsd", 0, 0, |out| {
        out.u32(1);
        match &track.codec {
            CodecConfig::Avc(_) => visual_entry(out, track, *b"avc1", *b"avcC"),
            CodecConfig::Hevc(_) => visual_entry(out, track, *b"hvc1", *b"hvcC"),
            CodecConfig::Aac(asc) => {
                let channels = u16::from(asc.channels()).max(1);
                audio_entry(out, track, *b"mp4a", channels, 16, |out| esds(out, track))
            }
            CodecConfig::G711(wave) => {
                // Choice: QuickTime's `alaw`/`ulaw` entries, which the DASH codec strings `alaw`/`ulaw`
                // name (spec §8.4). ffmpeg reads them as pcm_alaw/pcm_mulaw and GStreamer's qtdemux as
                // audio/x-alaw / audio/x-mulaw (tests/oracle_mp4.rs checks both). Chromium plays no
                // G.711 in MP4 whatever the entry (spec §5.1: browsers cannot play G.711 via HLS/DASH);
                // not tested here. Sample size 16 as QuickTime writes; each sample is one KVS frame.
                let kind = match wave.format() {
                    G711Format::ALaw => *b"alaw",
                    G711Format::MuLaw => *b"ulaw",
                };
                audio_entry(out, track, kind, wave.channels(), 16, |_| Ok(()))
            }
        }
    })
}

fn visual_entry(
    out: &mut Vec<u8>,
    track: &TrackInfo,
    kind: [u8; 4],
    config: [u8; 4],
) -> Result<(), Error> {
    let dimension = |value: Option<u32>, field| {
        u16::try_from(value.unwrap_or(0)).map_err(|_| Error::ValueOutOfRange {
            track: track.track_id,
            field,
            value: u64::from(value.unwrap_or(0)),
        })
    };
    let (width, height) = (
        dimension(track.codec.width(), "width")?,
        dimension(track.codec.height(), "height")?,
    );
    write_box(out, kind, |out| {
        out.bytes(&[0; 6]);
        out.u16(1); // data_reference_index
        out.bytes(&[0; 16]);
        out.u16(width);
        out.u16(height);
        out.u32(0x0048_0000); // 72 dpi
        out.u32(0x0048_0000);
        out.u32(0);
        out.u16(1); // frame_count
        out.bytes(&[0; 32]); // compressorname
        out.u16(0x0018); // depth
        out.u16(0xFFFF); // pre_defined = -1
        write_box(out, config, |out| {
            out.bytes(&track.codec_private);
            Ok(())
        })
    })
}

fn audio_entry(
    out: &mut Vec<u8>,
    track: &TrackInfo,
    kind: [u8; 4],
    channels: u16,
    sample_size: u16,
    extra: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
) -> Result<(), Error> {
    let rate = track.codec.sample_rate().unwrap_or(0);
    // samplerate is 16.16 fixed point: rates above 65535 Hz do not fit (ISO/IEC 14496-12 §12.2.3).
    let rate = u16::try_from(rate).map_err(|_| Error::ValueOutOfRange {
        track: track.track_id,
        field: "samplerate",
        value: u64::from(rate),
    })?;
    write_box(out, kind, |out| {
        out.bytes(&[0; 6]);
        out.u16(1);
        out.bytes(&[0; 8]);
        out.u16(channels);
        out.u16(sample_size);
        out.u32(0);
        out.u32(u32::from(rate) << 16);
        extra(out)
    })
}

/// esds: ES_Descriptor > DecoderConfigDescriptor (AAC, 0x40) > DecoderSpecificInfo = the ASC
/// (ISO/IEC 14496-1 §7.2.6, 14496-14 §3.1.2).
fn esds(out: &mut Vec<u8>, track: &TrackInfo) -> Result<(), Error> {
    let id = track.track_id;
    let mut decoder_config = vec![0x40, 0x15]; // MPEG-4 audio; stream type audio, upstream 0, reserved 1
    decoder_config.extend_from_slice(&[0, 0, 0]); // bufferSizeDB
    decoder_config.u32(0); // maxBitrate
    decoder_config.u32(0); // avgBitrate
    descriptor(&mut decoder_config, 0x05, &track.codec_private, id)?;
    let mut es = Vec::new();
    es.u16(u16::try_from(id).unwrap_or(0)); // ES_ID (informative in MP4)
    es.u8(0); // no dependence, URL or OCR stream
    descriptor(&mut es, 0x04, &decoder_config, id)?;
    descriptor(&mut es, 0x06, &[0x02], id)?; // SLConfigDescriptor: predefined for MP4
    write_full_box(out, *b"esds", 0, 0, |out| descriptor(out, 0x03, &es, id))
}

/// A descriptor with a 1–4 byte expandable size (ISO/IEC 14496-1 §8.3.3).
fn descriptor(out: &mut Vec<u8>, tag: u8, body: &[u8], track: u32) -> Result<(), Error> {
    let len = u32::try_from(body.len())
        .ok()
        .filter(|&len| len < 1 << 28)
        .ok_or(Error::ValueOutOfRange {
            track,
            field: "esds descriptor",
            value: body.len() as u64,
        })?;
    out.push(tag);
    let mut shift = 21;
    while shift > 0 && len >> shift == 0 {
        shift -= 7;
    }
    while shift > 0 {
        out.push(0x80 | ((len >> shift) & 0x7F) as u8);
        shift -= 7;
    }
    out.push((len & 0x7F) as u8);
    out.extend_from_slice(body);
    Ok(())
}
