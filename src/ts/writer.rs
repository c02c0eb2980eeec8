//! One MPEG-TS chunk from the samples of one KVS fragment, all tracks muxed (GetTSFragment, spec §1.8,
//! §8.3; ISO/IEC 13818-1). This is the one place payload bytes are copied: into 188-byte packets.
//!
//! # A chunk
//! One program (PAT → PMT on PID 0x1000), elementary streams on PIDs 0x100, 0x101, … in the order
//! given: H.264 (stream_type 0x1B), H.265 (0x24, only with [`Options::allow_hevc`]: the service
//! refuses H.265 in TS, spec §5.1) and AAC in ADTS (0x0F). One PES per access unit, in decode-time
//! order across streams (video first on ties). Video PES: PES_packet_length 0, an access unit
//! delimiter first, then — for a key frame or IDR that lacks them — the parameter sets of the codec
//! private data (SPS, PPS; VPS, SPS, PPS for H.265), then the frame's NAL units (its own AUDs dropped),
//! each after a 4-byte start code. Audio PES: one ADTS frame each. The first packet of a PES on the
//! PCR PID (the first video stream, else the first stream) carries a PCR; a key frame's (and every
//! audio frame's) first packet sets random_access_indicator. Adaptation-only packets carry extra PCRs
//! so that PCRs are never more than 40 ms apart (13818-1 allows 100 ms), also up to the chunk's end.
//!
//! # Consecutive chunks of one session
//! GetTSFragment is one stateless request per fragment, so nothing is carried from chunk to chunk:
//! everything is derived from the chunk's own samples, and the chunks still concatenate into one
//! stream without a discontinuity where the media has none.
//! - Timestamps are the samples' own times: PTS/DTS = (producer time − `origin`) at 90 kHz, mod 2^33
//!   (`origin` is 0 for KVS fragments, whose times count from the Unix epoch). Consecutive fragments
//!   are thus continuous by construction, and a gap in the media stays a gap. PCR = DTS − 100 ms
//!   (the decoder gets 100 ms of buffer), from the chunk's earliest DTS up to 40 ms short of its end,
//!   so PCRs stay monotonic and ≤ 40 ms apart across chunks too — except across a break in the
//!   media of more than 20 s, where the PCR jumps (`MAX_PCR_FILL`).
//! - Continuity counters start at 0 on every PID in every chunk, and every PID carries a multiple of
//!   16 payload packets per chunk, so each chunk ends with counter 15 and the next chunk's 0 follows
//!   on. PAT and PMT are sent 16 times, spread over the chunk (before the first PES and then every
//!   ~1/16 of the PES packets). On a PES PID, the writer reaches the multiple of 16 by spreading some
//!   PES packets over more TS packets (less payload and more stuffing per packet), never by adding
//!   data. No discontinuity_indicator is set: restarting at 0 with one would tell players the time
//!   base broke at every chunk boundary.
//! - The one case that cannot be padded: a PID whose PES packets in the chunk are all too small to
//!   spread over enough packets (less than ~16 bytes of payload per missing packet, e.g. a chunk of
//!   one or two tiny AAC frames). Such a chunk ends on another counter value; a player reading on
//!   sees one continuity jump on that PID. Real fragments (seconds of media) never hit this.

use std::ops::Range;

use bytes::Bytes;

use super::Error;
use super::adts::{self, AdtsConfig};
use super::packet::{Adaptation, MAX_PAYLOAD, PACKET_SIZE, write_header};
use super::pes::{PesHeader, STREAM_ID_AUDIO, STREAM_ID_VIDEO};
use super::psi::{self, PAT_PID, PMT_PID};
use crate::codec::{self, CodecConfig, nal};
use crate::model::sample::Sample;
use crate::model::track::TrackInfo;
use crate::time::{Nanos, Timescale};

/// stream_type of H.264 video (ISO/IEC 13818-1 Table 2-34).
pub const STREAM_TYPE_H264: u8 = 0x1B;
/// stream_type of H.265 video (ISO/IEC 13818-1 Table 2-34).
pub const STREAM_TYPE_H265: u8 = 0x24;
/// stream_type of AAC in ADTS (ISO/IEC 13818-1 Table 2-34).
pub const STREAM_TYPE_AAC_ADTS: u8 = 0x0F;
/// PID of the first elementary stream; the others follow.
///
/// Choice: 0x100, as ffmpeg's mpegts muxer numbers them.
pub const FIRST_ES_PID: u16 = 0x100;
/// The most elementary streams in a chunk.
pub const MAX_STREAMS: usize = 16;
/// PAT/PMT repetitions per chunk: one full turn of the continuity counter.
const PSI_REPEATS: usize = 16;
/// Largest PCR spacing we write: 40 ms at 90 kHz.
const PCR_INTERVAL: i128 = 3_600;
/// How far the PCR runs ahead of the DTS of the PES it starts: 100 ms at 90 kHz.
const PCR_LEAD: i128 = 9_000;
/// The longest pause filled with PCR-only packets: 20 s at 90 kHz.
///
/// Choice: PCRs fill a pause of up to 20 s between PES packets or after the last one (a sparse
/// timelapse, a short hole before the next fragment: the longest a sample lasts,
/// `timeline::MAX_SAMPLE_DURATION`), at most [`MAX_PCR_PACKETS`] per chunk; across a longer break
/// (or past the budget, which only damaged times reach) the PCR jumps, as it does between two
/// chunks with a gap. So a chunk holds its fragment's media and at most 188 KB of PCR packets,
/// never something that grows with a span of time.
const MAX_PCR_FILL: i128 = 20 * 90_000;
/// The most PCR-only packets in a chunk: 40 s of PCRs every 40 ms (a 20-s fragment and a 20-s
/// last sample).
const MAX_PCR_PACKETS: usize = 1_000;
/// The Annex-B start code before every NAL unit.
const START_CODE: &[u8] = &[0, 0, 0, 1];
/// H.264 access unit delimiter, primary_pic_type 7 (any slice type) (ITU-T H.264 §7.3.2.4).
const AUD_H264: &[u8] = &[0, 0, 0, 1, 0x09, 0xF0];
/// H.265 access unit delimiter, pic_type 2 (any), nuh_temporal_id_plus1 1 (ITU-T H.265 §7.3.2.5).
const AUD_H265: &[u8] = &[0, 0, 0, 1, 0x46, 0x01, 0x50];
/// Room for a PES header and an AUD or ADTS header.
const PREFIX_CAPACITY: usize = 32;

/// How the writer treats what the service would refuse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Write H.265 as stream_type 0x24 instead of refusing it as the service does (spec §5.1).
    pub allow_hevc: bool,
}

/// One track of the chunk and its samples in decode order (times in ns).
#[derive(Debug, Clone, Copy)]
pub struct Stream<'a> {
    /// The track; its codec decides the stream type.
    pub track: &'a TrackInfo,
    /// The samples, in decode order; may be empty.
    pub samples: &'a [Sample],
}

/// What an elementary stream needs to turn samples into PES payloads.
enum Elementary<'a> {
    Video {
        hevc: bool,
        length_size: u8,
        /// VPS, SPS, PPS of the codec private data, in that order.
        parameter_sets: Vec<&'a [u8]>,
    },
    Audio(AdtsConfig),
}

/// One PES packet, planned.
struct Unit {
    stream: usize,
    /// DTS in 90 kHz ticks, not wrapped.
    dts: i128,
    random_access: bool,
    /// PES header, then the AUD (video) or ADTS header (audio).
    prefix: [u8; PREFIX_CAPACITY],
    prefix_len: usize,
    /// The unit's payload slices in `Plan::parts`.
    parts: Range<usize>,
    /// PES bytes: prefix plus parts.
    total: usize,
    /// TS packets the PES is spread over.
    packets: usize,
}

/// Writes one chunk: `streams` (at most [`MAX_STREAMS`]) with times relative to `origin`.
///
/// The output depends on the input alone; see the module docs for how consecutive chunks join.
/// Steps: `Layout::new` picks stream types and PIDs, `plan_units` makes one PES per sample in
/// decode order, `plan_packets` spreads them over packets, `write_packets` writes PSI, PES and
/// PCR packets.
///
/// # Errors
/// [`Error::HevcNotAllowed`], [`Error::UnsupportedCodec`] (G.711), [`Error::AdtsUnsupported`],
/// [`Error::AdtsFrameTooLarge`], [`Error::Frame`] for a frame that is not length-prefixed NAL units,
/// [`Error::NoSamples`], [`Error::TooManyStreams`].
pub fn write_chunk(
    streams: &[Stream<'_>],
    origin: Nanos,
    options: &Options,
) -> Result<Bytes, Error> {
    let layout = Layout::new(streams, options)?;
    let (parts, mut units) = plan_units(streams, &layout.elementary, origin)?;
    plan_packets(&mut units, streams.len(), layout.pcr_stream);
    let end = streams
        .iter()
        .filter_map(|s| s.samples.last())
        .map(|last| {
            // i128 nanoseconds: the sum of two i64 values cannot overflow.
            Timescale::VIDEO.ticks(last.dts.wide_sub(origin) + i128::from(last.duration.0))
        })
        .min();
    Ok(Bytes::from(write_packets(&layout, &units, &parts, end)))
}

/// The chunk's program: each stream's type and PES builder, PIDs, and the PCR stream.
struct Layout<'a> {
    stream_types: Vec<u8>,
    elementary: Vec<Elementary<'a>>,
    pids: Vec<u16>,
    /// The first video stream, else the first stream.
    pcr_stream: usize,
}

impl<'a> Layout<'a> {
    fn new(streams: &[Stream<'a>], options: &Options) -> Result<Layout<'a>, Error> {
        if streams.len() > MAX_STREAMS {
            return Err(Error::TooManyStreams {
                count: streams.len(),
                max: MAX_STREAMS,
            });
        }
        let mut stream_types = Vec::with_capacity(streams.len());
        let mut elementary = Vec::with_capacity(streams.len());
        for stream in streams {
            let (stream_type, kind) = elementary_of(stream.track, options)?;
            stream_types.push(stream_type);
            elementary.push(kind);
        }
        if streams.iter().all(|s| s.samples.is_empty()) {
            return Err(Error::NoSamples);
        }
        let pcr_stream = elementary
            .iter()
            .position(|e| matches!(e, Elementary::Video { .. }))
            .unwrap_or(0);
        Ok(Layout {
            stream_types,
            elementary,
            pids: (FIRST_ES_PID..).take(streams.len()).collect(),
            pcr_stream,
        })
    }

    fn pcr_pid(&self) -> u16 {
        self.pids
            .get(self.pcr_stream)
            .copied()
            .unwrap_or(FIRST_ES_PID)
    }
}

/// One PES unit per sample, sorted by decode time (each stream keeps its order; ties go to the
/// stream given first), and the payload slices they point into.
fn plan_units<'a>(
    streams: &[Stream<'a>],
    elementary: &[Elementary<'a>],
    origin: Nanos,
) -> Result<(Vec<&'a [u8]>, Vec<Unit>), Error> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut units: Vec<Unit> = Vec::new();
    let mut scratch: Vec<&[u8]> = Vec::new();
    let (mut videos, mut audios) = (0u8, 0u8);
    for (index, (stream, kind)) in streams.iter().zip(elementary).enumerate() {
        // At most 16 streams (Layout::new): the ids stay in their 0xE0/0xC0 ranges.
        let stream_id = match kind {
            Elementary::Video { .. } => {
                videos += 1;
                STREAM_ID_VIDEO + videos - 1
            }
            Elementary::Audio(_) => {
                audios += 1;
                STREAM_ID_AUDIO + audios - 1
            }
        };
        for (number, sample) in stream.samples.iter().enumerate() {
            let unit = match kind {
                Elementary::Video {
                    hevc,
                    length_size,
                    parameter_sets,
                } => video_unit(
                    stream.track.track_id,
                    number,
                    sample,
                    (*hevc, *length_size, parameter_sets),
                    stream_id,
                    origin,
                    &mut parts,
                    &mut scratch,
                )?,
                Elementary::Audio(config) => audio_unit(
                    stream.track.track_id,
                    number,
                    sample,
                    config,
                    stream_id,
                    origin,
                    &mut parts,
                )?,
            };
            units.push(Unit {
                stream: index,
                ..unit
            });
        }
    }
    units.sort_by(|a, b| a.dts.cmp(&b.dts).then(a.stream.cmp(&b.stream)));
    Ok((parts, units))
}

/// The packets of a chunk: PAT and PMT spread over it, each unit's PES, PCRs at most 40 ms apart
/// up to `end` (90 kHz ticks).
fn write_packets(
    layout: &Layout<'_>,
    units: &[Unit],
    parts: &[&[u8]],
    end: Option<i128>,
) -> Vec<u8> {
    let pcr_stream = layout.pcr_stream;
    let payload_packets: usize = units.iter().map(|u| u.packets).sum();
    let mut out = Vec::with_capacity((payload_packets + 2 * PSI_REPEATS + 64) * PACKET_SIZE);
    let pat = psi::pat_section();
    let pmt = psi::pmt_section(
        layout.pcr_pid(),
        &layout
            .stream_types
            .iter()
            .copied()
            .zip(layout.pids.iter().copied())
            .collect::<Vec<_>>(),
    );
    let mut counters = vec![0u8; layout.pids.len()];
    let mut psi_counter = 0u8;
    let mut psi_sent = 0;
    let mut last_pcr: Option<i128> = None;
    let mut budget = MAX_PCR_PACKETS;
    let pcr_pid = layout.pcr_pid();
    let pcr_counter = |counters: &[u8]| {
        counters
            .get(pcr_stream)
            .map_or(0, |c| c.wrapping_sub(1) & 0x0F)
    };
    for (index, unit) in units.iter().enumerate() {
        while psi_sent < PSI_REPEATS && psi_sent * units.len() / PSI_REPEATS <= index {
            psi::write_section_packet(&mut out, PAT_PID, psi_counter, &pat);
            psi::write_section_packet(&mut out, PMT_PID, psi_counter, &pmt);
            psi_counter = (psi_counter + 1) & 0x0F;
            psi_sent += 1;
        }
        let target = unit.dts - PCR_LEAD;
        match last_pcr {
            None if unit.stream != pcr_stream => {
                pcr_only(&mut out, pcr_pid, pcr_counter(&counters), target);
                last_pcr = Some(target);
            }
            None => {}
            Some(last) => {
                let counter = pcr_counter(&counters);
                last_pcr = Some(fill_pcr(
                    &mut out,
                    (pcr_pid, counter),
                    last,
                    target,
                    &mut budget,
                ));
            }
        }
        let adaptation = first_adaptation(unit, pcr_stream);
        if adaptation.pcr.is_some() {
            last_pcr = Some(target);
        }
        let counter = counters
            .get_mut(unit.stream)
            .expect("one counter per stream");
        let pid = layout
            .pids
            .get(unit.stream)
            .copied()
            .expect("one pid per stream");
        write_unit(&mut out, unit, parts, pid, counter, &adaptation);
    }
    if let (Some(end), Some(last)) = (end, last_pcr) {
        let counter = pcr_counter(&counters);
        fill_pcr(
            &mut out,
            (pcr_pid, counter),
            last,
            end - PCR_LEAD,
            &mut budget,
        );
    }
    out
}

/// PCR-only packets every 40 ms after `last` up to `target` (90 kHz), when the pause is at most
/// [`MAX_PCR_FILL`] and `budget` has the packets; returns the last PCR, or `target` where the PCR
/// jumps instead.
fn fill_pcr(
    out: &mut Vec<u8>,
    (pid, counter): (u16, u8),
    mut last: i128,
    target: i128,
    budget: &mut usize,
) -> i128 {
    let pause = target - last;
    let needed = usize::try_from((pause - 1).max(0) / PCR_INTERVAL).unwrap_or(usize::MAX);
    if pause > MAX_PCR_FILL || needed > *budget {
        return target.max(last);
    }
    while target - last > PCR_INTERVAL {
        last += PCR_INTERVAL;
        pcr_only(out, pid, counter, last);
        *budget -= 1;
    }
    last
}

/// Stream type and PES builder for a track (spec §5.1).
fn elementary_of<'a>(
    track: &'a TrackInfo,
    options: &Options,
) -> Result<(u8, Elementary<'a>), Error> {
    let id = track.track_id;
    Ok(match &track.codec {
        CodecConfig::Avc(avc) => (
            STREAM_TYPE_H264,
            Elementary::Video {
                hevc: false,
                length_size: avc.nal_length_size(),
                parameter_sets: avc
                    .sps()
                    .iter()
                    .chain(avc.pps())
                    .map(|b| b.as_ref())
                    .collect(),
            },
        ),
        CodecConfig::Hevc(hevc) => {
            if !options.allow_hevc {
                return Err(Error::HevcNotAllowed { track: id });
            }
            (
                STREAM_TYPE_H265,
                Elementary::Video {
                    hevc: true,
                    length_size: hevc.nal_length_size(),
                    parameter_sets: hevc
                        .vps()
                        .chain(hevc.sps())
                        .chain(hevc.pps())
                        .map(|b| b.as_ref())
                        .collect(),
                },
            )
        }
        CodecConfig::Aac(asc) => (
            STREAM_TYPE_AAC_ADTS,
            Elementary::Audio(AdtsConfig::new(id, asc)?),
        ),
        other => {
            return Err(Error::UnsupportedCodec {
                track: id,
                codec: other.kind(),
            });
        }
    })
}

/// A time relative to `origin`, in 90 kHz ticks (not wrapped).
fn ticks(time: Nanos, origin: Nanos) -> i128 {
    Timescale::VIDEO.ticks_between(origin, time)
}

/// An empty unit with `prefix` (PES header + `extra`) in place.
fn unit_with_prefix(header: &PesHeader, extra: &[u8], dts: i128, random_access: bool) -> Unit {
    let mut prefix = [0u8; PREFIX_CAPACITY];
    let head = header.as_slice();
    let len = head.len() + extra.len();
    prefix[..head.len()].copy_from_slice(head);
    prefix[head.len()..len].copy_from_slice(extra);
    Unit {
        stream: 0,
        dts,
        random_access,
        prefix,
        prefix_len: len,
        parts: 0..0,
        total: len,
        packets: 0,
    }
}

/// The PES of one video access unit: AUD, parameter sets when needed, the frame's NAL units.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site, each argument a different input"
)]
fn video_unit<'a>(
    track: u32,
    number: usize,
    sample: &'a Sample,
    (hevc, length_size, parameter_sets): (bool, u8, &[&'a [u8]]),
    stream_id: u8,
    origin: Nanos,
    parts: &mut Vec<&'a [u8]>,
    scratch: &mut Vec<&'a [u8]>,
) -> Result<Unit, Error> {
    let frame_error = |source| Error::Frame {
        track,
        sample: number,
        source,
    };
    if sample.data.is_empty() {
        return Err(frame_error(codec::Error::EmptyFrame));
    }
    scratch.clear();
    let (mut idr, mut found) = (false, [false; 3]);
    for unit in nal::nal_units(&sample.data, length_size) {
        let unit = unit.map_err(frame_error)?;
        let header = unit.first().copied().unwrap_or(0);
        let kind = if hevc {
            (header >> 1) & 0x3F
        } else {
            header & 0x1F
        };
        let (aud, is_idr, set) = if hevc {
            (kind == 35, (16..=21).contains(&kind), kind.checked_sub(32))
        } else {
            (kind == 9, kind == 5, kind.checked_sub(6).filter(|&k| k > 0))
        };
        if aud {
            continue;
        }
        idr |= is_idr;
        if let Some(flag) = set.and_then(|s| found.get_mut(usize::from(s))) {
            *flag = true;
        }
        scratch.push(unit);
    }
    let has_all = if hevc {
        found == [true; 3]
    } else {
        found[1] && found[2]
    };
    let pts = ticks(sample.pts, origin);
    let dts = ticks(sample.dts, origin);
    let header = PesHeader::new(stream_id, pts, dts, None).expect("no PES_packet_length");
    let aud = if hevc { AUD_H265 } else { AUD_H264 };
    let mut unit = unit_with_prefix(&header, aud, dts, sample.keyframe || idr);
    let start = parts.len();
    if (sample.keyframe || idr) && !has_all {
        for set in parameter_sets {
            parts.push(START_CODE);
            parts.push(set);
        }
    }
    for nal in scratch.iter() {
        parts.push(START_CODE);
        parts.push(nal);
    }
    unit.parts = start..parts.len();
    unit.total += parts
        .get(start..)
        .unwrap_or_default()
        .iter()
        .map(|p| p.len())
        .sum::<usize>();
    Ok(unit)
}

/// The PES of one AAC frame: ADTS header and the raw frame.
fn audio_unit<'a>(
    track: u32,
    number: usize,
    sample: &'a Sample,
    config: &AdtsConfig,
    stream_id: u8,
    origin: Nanos,
    parts: &mut Vec<&'a [u8]>,
) -> Result<Unit, Error> {
    let size = sample.data.len();
    let too_large = Error::AdtsFrameTooLarge {
        track,
        sample: number,
        size,
    };
    let adts = config.header(size).ok_or(too_large.clone())?;
    let pts = ticks(sample.pts, origin);
    let header =
        PesHeader::new(stream_id, pts, pts, Some(adts::HEADER_LEN + size)).ok_or(too_large)?;
    let mut unit = unit_with_prefix(&header, &adts, pts, true);
    unit.parts = parts.len()..parts.len() + 1;
    parts.push(&sample.data);
    unit.total += size;
    Ok(unit)
}

/// The first packet's adaptation field of a unit.
fn first_adaptation(unit: &Unit, pcr_stream: usize) -> Adaptation {
    Adaptation {
        pcr: (unit.stream == pcr_stream).then_some(unit.dts - PCR_LEAD),
        random_access: unit.random_access,
    }
}

/// Fewest TS packets for a PES of `total` bytes whose first packet holds `first_capacity`.
fn min_packets(total: usize, first_capacity: usize) -> usize {
    1 + total.saturating_sub(first_capacity).div_ceil(MAX_PAYLOAD)
}

/// Chooses each unit's packet count: the fewest, plus what makes each PID's count a multiple of 16.
fn plan_packets(units: &mut [Unit], streams: usize, pcr_stream: usize) {
    let mut per_stream = vec![0usize; streams];
    for unit in units.iter_mut() {
        unit.packets = min_packets(unit.total, first_adaptation(unit, pcr_stream).capacity());
        if let Some(count) = per_stream.get_mut(unit.stream) {
            *count += unit.packets;
        }
    }
    for (stream, count) in per_stream.into_iter().enumerate() {
        let mut missing = (16 - count % 16) % 16;
        // Spread the latest PES packets first: the first packet must keep the whole prefix, every
        // other packet at least one byte.
        for unit in units.iter_mut().rev().filter(|u| u.stream == stream) {
            if missing == 0 {
                break;
            }
            let most = (unit.total + 1).saturating_sub(unit.prefix_len);
            let extra = most.saturating_sub(unit.packets).min(missing);
            unit.packets += extra;
            missing -= extra;
        }
    }
}

/// An adaptation-only packet with a PCR; its counter repeats the PID's last one (§2.4.3.3).
fn pcr_only(out: &mut Vec<u8>, pid: u16, counter: u8, pcr: i128) {
    let adaptation = Adaptation {
        pcr: Some(pcr),
        random_access: false,
    };
    write_header(out, pid, false, counter, &adaptation, 0);
}

/// Writes a unit's PES over `unit.packets` packets: each packet as full as it can be while leaving
/// every later packet at least one byte, the rest of each packet stuffed.
fn write_unit(
    out: &mut Vec<u8>,
    unit: &Unit,
    parts: &[&[u8]],
    pid: u16,
    counter: &mut u8,
    adaptation: &Adaptation,
) {
    let mut remaining = unit.total;
    let mut part = unit.parts.start;
    let mut offset = 0;
    let prefix = unit.prefix.get(..unit.prefix_len).unwrap_or_default();
    for index in 0..unit.packets {
        let first = index == 0;
        let flags = if first {
            *adaptation
        } else {
            Adaptation::default()
        };
        let later = unit.packets - index - 1;
        let take = flags.capacity().min(remaining.saturating_sub(later));
        write_header(out, pid, first, *counter, &flags, take);
        *counter = (*counter + 1) & 0x0F;
        remaining -= take;
        let mut need = take;
        if first {
            // plan_packets keeps the whole prefix in the first packet.
            out.extend_from_slice(prefix);
            need -= prefix.len();
        }
        // The copy: payload slices of the input into the packet.
        while need > 0 {
            let Some(slice) = parts.get(part).and_then(|p| p.get(offset..)) else {
                break;
            };
            let n = need.min(slice.len());
            out.extend_from_slice(slice.get(..n).unwrap_or_default());
            need -= n;
            offset += n;
            if n == slice.len() {
                part += 1;
                offset = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::CodecConfig;

    const ASC_LC_48K_STEREO: [u8; 2] = [0x11, 0x90];

    fn aac_track() -> TrackInfo {
        let cpd = Bytes::from_static(&ASC_LC_48K_STEREO);
        let codec = CodecConfig::parse("A_AAC", Some(&cpd)).unwrap();
        TrackInfo::new(2, codec, cpd)
    }

    fn aac_sample(i: i64, size: usize) -> Sample {
        Sample {
            dts: Nanos(i * 21_333_333),
            pts: Nanos(i * 21_333_333),
            duration: Nanos(21_333_333),
            keyframe: true,
            data: Bytes::from(vec![0xAB; size]),
        }
    }

    /// Splits a chunk into packets and checks the bytes every packet must have.
    fn packets(chunk: &[u8]) -> Vec<&[u8]> {
        assert_eq!(chunk.len() % PACKET_SIZE, 0);
        let packets: Vec<&[u8]> = chunk.chunks(PACKET_SIZE).collect();
        for p in &packets {
            assert_eq!(p[0], 0x47);
        }
        packets
    }

    fn pid(p: &[u8]) -> u16 {
        u16::from_be_bytes([p[1] & 0x1F, p[2]])
    }

    /// Payload bytes of a packet (after header and adaptation field).
    fn payload(p: &[u8]) -> &[u8] {
        match (p[3] >> 4) & 3 {
            0b01 => &p[4..],
            0b11 => &p[5 + usize::from(p[4])..],
            _ => &[],
        }
    }

    /// The PES bytes of one audio frame of `size` bytes, reassembled from the chunk.
    fn audio_pes(size: usize) -> (Vec<u8>, usize) {
        let track = aac_track();
        let samples = [aac_sample(0, size)];
        let chunk = write_chunk(
            &[Stream {
                track: &track,
                samples: &samples,
            }],
            Nanos::ZERO,
            &Options::default(),
        )
        .unwrap();
        let es: Vec<&[u8]> = packets(&chunk)
            .into_iter()
            .filter(|p| pid(p) == FIRST_ES_PID && (p[3] & 0x10) != 0)
            .collect();
        (
            es.iter().flat_map(|p| payload(p).to_vec()).collect(),
            es.len(),
        )
    }

    #[test]
    fn payload_sizes_packetize_exactly() {
        // PES header 14 + ADTS 7 = 21 bytes before the frame. The first packet carries a PCR
        // (audio-only: the audio PID is the PCR PID) and random_access_indicator: 176 bytes.
        for size in [
            0, 1, 155, 156, 157, 183, 184, 185, 339, 340, 341, 1000, 8184,
        ] {
            let (pes, count) = audio_pes(size);
            assert_eq!(pes.len(), 21 + size, "size {size}");
            assert!(pes[21..].iter().all(|&b| b == 0xAB));
            assert_eq!(&pes[..4], [0, 0, 1, 0xC0]);
            assert_eq!(
                u16::from_be_bytes([pes[4], pes[5]]) as usize,
                3 + 5 + 7 + size
            );
            if size >= 15 {
                // Padded to one full turn of the continuity counter.
                assert_eq!(count % 16, 0, "size {size}");
            } else {
                // Too small to spread over 16 packets: as many packets as bytes after the prefix, + 1.
                assert_eq!(count, size + 1, "size {size}");
            }
        }
    }

    #[test]
    fn fewest_packets_before_padding() {
        let first = Adaptation {
            pcr: Some(0),
            random_access: true,
        }
        .capacity();
        assert_eq!(first, 176);
        assert_eq!(min_packets(0, first), 1);
        assert_eq!(min_packets(176, first), 1);
        assert_eq!(min_packets(177, first), 2);
        assert_eq!(min_packets(176 + 184, first), 2);
        assert_eq!(min_packets(176 + 185, first), 3);
        assert_eq!(min_packets(184, MAX_PAYLOAD), 1);
        assert_eq!(min_packets(185, MAX_PAYLOAD), 2);
    }

    #[test]
    fn counters_turn_full_circles() {
        let track = aac_track();
        let samples: Vec<Sample> = (0..50)
            .map(|i| aac_sample(i, 200 + i as usize * 7))
            .collect();
        let chunk = write_chunk(
            &[Stream {
                track: &track,
                samples: &samples,
            }],
            Nanos::ZERO,
            &Options::default(),
        )
        .unwrap();
        let mut next = std::collections::HashMap::new();
        for p in packets(&chunk) {
            let has_payload = (p[3] & 0x10) != 0;
            let cc = p[3] & 0x0F;
            let expected = next.entry(pid(p)).or_insert(0u8);
            if has_payload {
                assert_eq!(cc, *expected, "pid {:#x}", pid(p));
                *expected = (*expected + 1) & 0x0F;
            } else {
                assert_eq!(cc, expected.wrapping_sub(1) & 0x0F);
            }
        }
        assert!(next.values().all(|&n| n == 0), "{next:?}");
    }

    #[test]
    fn g711_and_hevc_are_refused() {
        let cpd = Bytes::from_static(&[
            6, 0, 1, 0, 0x40, 0x1F, 0, 0, 0x40, 0x1F, 0, 0, 1, 0, 8, 0, 0, 0,
        ]);
        let codec = CodecConfig::parse("A_MS/ACM", Some(&cpd)).unwrap();
        let track = TrackInfo::new(2, codec, cpd);
        let samples = [aac_sample(0, 10)];
        let result = write_chunk(
            &[Stream {
                track: &track,
                samples: &samples,
            }],
            Nanos::ZERO,
            &Options::default(),
        );
        assert!(matches!(
            result,
            Err(Error::UnsupportedCodec { track: 2, .. })
        ));
    }
}
