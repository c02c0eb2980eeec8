//! `pack`: any Matroska or WebM file (ffmpeg, mkvmerge, GStreamer, OBS) turned into a KVS archive
//! laid out as the service stores and returns it (spec §7.2): one chunk per fragment, each with its
//! own EBML header, unknown-size Segment, Info, Tracks, the AWS tags and one Cluster, the chunks
//! back to back as in a GetMediaForFragmentList response. Frames are written by reference to the
//! input.
//!
//! # Fragments
//! A fragment starts at a key frame of the first video track once the fragment before has lasted
//! the target duration (default 2 s), as producers cluster on key frames; audio-only input is cut
//! by duration alone. A change of the input's Tracks (a new Segment) also starts a fragment. Frames
//! keep the input's order; the first fragment holds any audio that comes before the first key frame.
//!
//! # Times and numbers
//! Choice: the input's timeline is taken as Unix time plus `stream_start`, so the output is a
//! function of the input and the options alone. The default start is 2000-01-01T00:00:00Z (what a
//! camera without a set clock shows): far enough from 1970 that decode times before the first
//! presentation time (B-frames) stay after the epoch, where every output format can carry them. A fragment's producer timestamp is `stream_start` + its Cluster timestamp
//! (the earliest frame), in whole milliseconds; its server timestamp equals the producer timestamp
//! (no network in between). Fragment numbers have the service's layout
//! ([`FragmentNumber::service_style`]), counting from 1. The TimestampScale is the input's.
//!
//! # What ingestion refuses, refused here
//! A first video frame that is not a key frame, a block of a track that Tracks does not declare,
//! Tracks that change their track numbers, types or codecs, more than 3 tracks, a fragment longer
//! than 20 s (spec §4.2: key frames too far apart), and frames whose ContentEncoding (compression,
//! encryption) would make the stored bytes unusable. Each is an InvalidArgumentException naming
//! the track and the byte offset.

use std::sync::Arc;

use bytes::Bytes;

use crate::error::ApiError;
use crate::kvs::{self, ChunkFrame, ChunkHeader, ChunkTags, ChunkTrack, TrackMedia};
use crate::mkv::{Fragment, FragmentNumber, Frame, Reader, TrackType, Tracks};
use crate::time::{Nanos, TimestampScale, UnixMillis};

/// The default fragment duration (producers' default key-frame interval is about this).
pub const DEFAULT_FRAGMENT_DURATION_MS: u64 = 2000;
/// The longest fragment ingestion accepts (spec §4.2).
pub const MAX_FRAGMENT_DURATION_MS: u64 = 20_000;
/// The most tracks ingestion accepts (spec §4.2).
pub const MAX_TRACKS: usize = 3;
/// Title, MuxingApp and WritingApp of the chunks.
const APPLICATION: &str = concat!("kvs-remux pack ", env!("CARGO_PKG_VERSION"));

/// How to pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackOptions {
    /// Target fragment duration in ms (1–20 000): a fragment ends at the first key frame after it.
    pub fragment_duration_ms: u64,
    /// The Unix time of the input's time 0.
    pub stream_start: UnixMillis,
}

/// The default stream start, 2000-01-01T00:00:00Z (see the module docs).
pub const DEFAULT_STREAM_START: UnixMillis = UnixMillis(946_684_800_000);

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions {
            fragment_duration_ms: DEFAULT_FRAGMENT_DURATION_MS,
            stream_start: DEFAULT_STREAM_START,
        }
    }
}

/// Packs `input`: an iterator of chunks, one chunk list per fragment (`[header, tags and
/// cluster start, block header, frame, ...]`), that stops after the first error.
///
/// # Examples
/// ```
/// use kvs_remux::Archive;
/// use kvs_remux::api::pack::{PackOptions, pack};
///
/// let input = std::fs::read("testdata/fixtures/h264-high-aac.mkv")?;
/// let mut archive = Vec::new();
/// for chunks in pack(input.into(), &PackOptions::default())? {
///     for chunk in chunks? {
///         archive.extend_from_slice(&chunk);
///     }
/// }
/// let packed = Archive::from_bytes(archive.into())?;
/// assert_eq!(packed.index().fragments()[0].number.to_string().len(), 47);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// InvalidArgumentException for a fragment duration outside 1–20 000 ms.
pub fn pack(input: Bytes, options: &PackOptions) -> Result<Pack, ApiError> {
    if !(1..=MAX_FRAGMENT_DURATION_MS).contains(&options.fragment_duration_ms) {
        return Err(ApiError::InvalidArgument {
            message: format!(
                "the fragment duration {} ms is outside 1–20000 ms (KVS fragments last at most 20 s)",
                options.fragment_duration_ms
            ),
        });
    }
    Ok(Pack {
        reader: Reader::new(input),
        options: *options,
        target: Nanos::from_millis(i64::try_from(options.fragment_duration_ms).unwrap_or(0))
            .unwrap_or(Nanos::ZERO),
        source: None,
        next_frame: 0,
        layout: None,
        header: None,
        group: Vec::new(),
        group_start: None,
        group_tracks: None,
        seen_video: false,
        sequence: 0,
        damage: None,
        finished: false,
    })
}

/// The packing in progress; see [`pack`].
pub struct Pack {
    reader: Reader,
    options: PackOptions,
    target: Nanos,
    /// The input fragment frames are taken from, and its frames' Tracks and scale.
    source: Option<Fragment>,
    next_frame: usize,
    /// The first Tracks: what every later one must match in numbers, types and codecs.
    layout: Option<Arc<Tracks>>,
    /// The chunk header of the current Tracks.
    header: Option<(Arc<Tracks>, TimestampScale, Bytes)>,
    /// The fragment being built.
    group: Vec<Frame>,
    group_start: Option<Nanos>,
    group_tracks: Option<(Arc<Tracks>, TimestampScale)>,
    seen_video: bool,
    sequence: u64,
    damage: Option<ApiError>,
    finished: bool,
}

impl Pack {
    /// The damage that ended reading the input early, once the iterator is done: the chunks hold
    /// the frames read completely before it.
    pub fn damage(&self) -> Option<&ApiError> {
        self.damage.as_ref()
    }

    /// The next frame of the input and the Tracks and scale it was written with.
    fn next_input_frame(&mut self) -> Option<(Frame, Arc<Tracks>, TimestampScale)> {
        loop {
            if let Some(fragment) = &self.source
                && let Some(frame) = fragment.frames.get(self.next_frame)
            {
                self.next_frame += 1;
                return Some((
                    frame.clone(),
                    Arc::clone(&fragment.tracks),
                    fragment.timestamp_scale,
                ));
            }
            self.next_frame = 0;
            self.source = match self.reader.next() {
                Some(Ok(fragment)) => Some(fragment),
                Some(Err(error)) => {
                    self.damage = Some(ApiError::from(error));
                    // The damaged fragment's complete frames are used; reading stops there.
                    let partial = self.reader.partial();
                    self.reader = Reader::new(Bytes::new());
                    partial
                }
                None => return None,
            };
        }
    }

    /// Checks what ingestion would refuse about `frame`; whether it must start a new fragment.
    fn starts_fragment(&mut self, frame: &Frame, tracks: &Arc<Tracks>) -> Result<bool, ApiError> {
        let refuse = |message: String| Err(ApiError::InvalidArgument { message });
        let layout = Arc::clone(self.layout.get_or_insert_with(|| Arc::clone(tracks)));
        let new_tracks = self
            .group_tracks
            .as_ref()
            .is_none_or(|(current, _)| !Arc::ptr_eq(current, tracks) && **current != **tracks);
        if new_tracks {
            if tracks.entries.len() > MAX_TRACKS {
                return refuse(format!(
                    "{} tracks: KVS ingestion takes at most {MAX_TRACKS}",
                    tracks.entries.len()
                ));
            }
            if !same_layout(&layout, tracks) {
                return refuse(format!(
                    "the tracks change at byte {} (now {}, were {}): KVS ingestion keeps a \
                     stream's tracks",
                    frame.offset,
                    describe(tracks),
                    describe(&layout)
                ));
            }
            if let Some(track) = tracks.entries.iter().find(|t| t.content_encoded) {
                return refuse(format!(
                    "track {} uses ContentEncoding (compressed or encrypted frames), which KVS \
                     stores as they are and players cannot use: remux it without (e.g. mkvmerge \
                     --compression {}:none)",
                    track.number,
                    track.number.saturating_sub(1)
                ));
            }
        }
        let Some(track) = tracks.get(frame.track) else {
            return refuse(format!(
                "a block of track {} at byte {}, which Tracks does not declare: KVS ingestion \
                 refuses it",
                frame.track, frame.offset
            ));
        };
        let video = first_video(tracks);
        if track.track_type == TrackType::Video && Some(frame.track) == video && !self.seen_video {
            if !frame.keyframe {
                return refuse(format!(
                    "the first video frame (track {}, byte {}) is not a key frame: KVS fragments \
                     start with one",
                    frame.track, frame.offset
                ));
            }
            self.seen_video = true;
        }
        let Some(start) = self.group_start else {
            return Ok(true);
        };
        if new_tracks {
            let key = video.is_none() || (Some(frame.track) == video && frame.keyframe);
            if !key {
                return refuse(format!(
                    "the tracks change at byte {} without a key frame: a KVS fragment starts \
                     with one",
                    frame.offset
                ));
            }
            return Ok(true);
        }
        let boundary = match video {
            Some(video) => frame.track == video && frame.keyframe,
            None => true,
        };
        let elapsed = frame.pts.checked_sub(start).unwrap_or(Nanos::ZERO);
        Ok(boundary && elapsed >= self.target)
    }

    /// The chunk of the fragment built so far.
    fn emit(&mut self) -> Result<Vec<Bytes>, ApiError> {
        let frames = std::mem::take(&mut self.group);
        let (tracks, scale) = self
            .group_tracks
            .clone()
            .expect("a group with frames has its tracks");
        let header = match &self.header {
            Some((t, s, bytes)) if Arc::ptr_eq(t, &tracks) && *s == scale => bytes.clone(),
            _ => {
                let bytes = chunk_header(&tracks, scale);
                self.header = Some((Arc::clone(&tracks), scale, bytes.clone()));
                bytes
            }
        };
        let ticks: Vec<i64> = frames
            .iter()
            .map(|f| ticks_of(f, scale))
            .collect::<Result<_, _>>()?;
        let first = frames.first().expect("a group has a frame");
        let cluster = *ticks.iter().min().expect("a group has a frame");
        let last = *ticks.iter().max().expect("a group has a frame");
        let too_long = || ApiError::InvalidArgument {
            message: format!(
                "the fragment starting at byte {} lasts more than 20 s: KVS ingestion refuses \
                 fragments that long (key frames too far apart: re-encode with shorter \
                 intervals, e.g. ffmpeg -g)",
                first.offset
            ),
        };
        let span = scale
            .nanos(last.checked_sub(cluster).ok_or_else(too_long)?)
            .ok_or_else(too_long)?;
        if span > Nanos::from_millis(20_000).expect("20 s") {
            return Err(too_long());
        }
        let cluster_ns = scale.nanos(cluster).ok_or_else(|| time_error(first))?;
        let producer = u64::try_from(cluster_ns.whole_millis())
            .ok()
            .and_then(|ms| self.options.stream_start.0.checked_add(ms))
            .filter(|_| cluster >= 0)
            .map(UnixMillis)
            .ok_or_else(|| ApiError::InvalidArgument {
                message: format!(
                    "the frame at byte {} is before 1970 with this stream start: give a later \
                     --stream-start",
                    first.offset
                ),
            })?;
        self.sequence += 1;
        let tags = ChunkTags {
            fragment_number: FragmentNumber::service_style(self.sequence, producer).to_string(),
            server_timestamp: producer,
            producer_timestamp: producer,
        };
        let chunk_frames: Vec<ChunkFrame> = frames
            .into_iter()
            .zip(&ticks)
            .map(|(frame, &t)| {
                // |t − cluster| ≤ span ≤ 20 s in ticks of at least 1 ns; i16 is checked here.
                let relative = i16::try_from(t - cluster).map_err(|_| ApiError::InvalidArgument {
                    message: format!(
                        "the frame at byte {} is {} ticks after its fragment's start, more than a \
                         block's 16-bit time holds (TimestampScale {} ns)",
                        frame.offset,
                        t - cluster,
                        scale.get()
                    ),
                })?;
                Ok(ChunkFrame {
                    track: frame.track,
                    relative,
                    keyframe: frame.keyframe,
                    data: frame.data,
                })
            })
            .collect::<Result<_, ApiError>>()?;
        let cluster = u64::try_from(cluster).expect("non-negative (checked above)");
        kvs::chunk::write(&header, &tags, cluster, &chunk_frames).map_err(|e| {
            ApiError::InvalidArgument {
                message: e.to_string(),
            }
        })
    }
}

impl Iterator for Pack {
    type Item = Result<Vec<Bytes>, ApiError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        loop {
            let Some((frame, tracks, scale)) = self.next_input_frame() else {
                self.finished = true;
                return (!self.group.is_empty()).then(|| self.emit());
            };
            let starts = match self.starts_fragment(&frame, &tracks) {
                Ok(starts) => starts,
                Err(error) => {
                    self.finished = true;
                    return Some(Err(error));
                }
            };
            let previous = if starts && !self.group.is_empty() {
                Some(self.emit())
            } else {
                None
            };
            if starts {
                self.group_start = Some(frame.pts);
                self.group_tracks = Some((tracks, scale));
            }
            self.group.push(frame);
            if let Some(result) = previous {
                self.finished = result.is_err();
                return Some(result);
            }
        }
    }
}

/// A frame's time in ticks of `scale`, rounded down.
fn ticks_of(frame: &Frame, scale: TimestampScale) -> Result<i64, ApiError> {
    let scale = i64::try_from(scale.get()).map_err(|_| time_error(frame))?;
    Ok(frame.pts.0.div_euclid(scale))
}

fn time_error(frame: &Frame) -> ApiError {
    ApiError::InvalidArgument {
        message: format!(
            "the time of the frame at byte {} is out of range",
            frame.offset
        ),
    }
}

/// The first video track, which fragments start on.
fn first_video(tracks: &Tracks) -> Option<u64> {
    tracks
        .entries
        .iter()
        .find(|t| t.track_type == TrackType::Video)
        .map(|t| t.number)
}

/// Whether two Tracks have the same track numbers, types and codecs, in order.
fn same_layout(a: &Tracks, b: &Tracks) -> bool {
    let key = |t: &Tracks| -> Vec<(u64, TrackType, String)> {
        t.entries
            .iter()
            .map(|e| (e.number, e.track_type, e.codec_id.clone()))
            .collect()
    };
    key(a) == key(b)
}

/// `1:V_MPEG4/ISO/AVC 2:A_AAC`.
fn describe(tracks: &Tracks) -> String {
    let parts: Vec<String> = tracks
        .entries
        .iter()
        .map(|e| format!("{}:{}", e.number, e.codec_id))
        .collect();
    parts.join(" ")
}

/// The chunk header for `tracks`: their entries as the producer library writes them, and a
/// SegmentUID derived from them (deterministic: the CRC-32s of the header written without one).
fn chunk_header(tracks: &Tracks, scale: TimestampScale) -> Bytes {
    let mut header = ChunkHeader {
        segment_uid: [0; 16],
        timestamp_scale: scale.get(),
        application: APPLICATION.to_owned(),
        tracks: tracks.entries.iter().map(chunk_track).collect(),
    };
    let plain = header.to_bytes();
    for (i, part) in header.segment_uid.chunks_mut(4).enumerate() {
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&[i as u8]);
        hasher.update(&plain);
        part.copy_from_slice(&hasher.finalize().to_be_bytes());
    }
    header.to_bytes()
}

/// One TrackEntry of the chunk header.
fn chunk_track(entry: &crate::mkv::TrackEntry) -> ChunkTrack {
    let media = match (entry.track_type, entry.video, entry.audio) {
        (TrackType::Video, Some(video), _) => TrackMedia::Video {
            pixel_width: video.pixel_width,
            pixel_height: video.pixel_height,
        },
        (TrackType::Audio, _, Some(audio)) => TrackMedia::Audio {
            sampling_frequency: audio.sampling_frequency,
            channels: audio.channels,
            bit_depth: audio.bit_depth,
        },
        (TrackType::Video, None, _) => TrackMedia::Other(1),
        (TrackType::Audio, _, None) => TrackMedia::Other(2),
        (TrackType::Other(kind), _, _) => TrackMedia::Other(kind),
    };
    ChunkTrack {
        number: entry.number,
        uid: entry.uid.unwrap_or(entry.number),
        name: entry.name.clone(),
        codec_id: entry.codec_id.clone(),
        default_duration: entry.default_duration,
        media,
        codec_private: entry.codec_private.clone(),
    }
}
