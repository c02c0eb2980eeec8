//! MPEG-TS: GetTSFragment, one chunk per fragment with every track muxed (spec §1.8, §5.1, §8.3),
//! and the export of an archive as one `<FragmentNumber>.ts` per fragment.

use bytes::Bytes;

use crate::archive::Archive;
use crate::codec::CodecKind;
use crate::error::ApiError;
use crate::mkv::FragmentNumber;
use crate::model::track::TrackInfo;
use crate::time::Nanos;
use crate::timeline::{self, Walk, Window};
use crate::ts;

pub use crate::ts::Options as TsOptions;

/// One fragment as MPEG-TS.
#[derive(Debug, Clone)]
pub struct TsChunk {
    /// The KVS fragment number (the request's FragmentNumber, spec §1.8).
    pub fragment_number: FragmentNumber,
    /// The chunk: PAT, PMT and every track's PES packets.
    pub data: Bytes,
}

impl TsChunk {
    /// The chunk's file name in an export: `<FragmentNumber>.ts`.
    pub fn file_name(&self) -> String {
        format!("{}.ts", self.fragment_number)
    }
}

/// GetTSFragment: fragment `index` of a session (`session`: index positions of its media
/// fragments, in order) as one TS chunk (spec §1.8).
///
/// The fragment before it continues the decode times of reordered video (so a chunk equals the one
/// [`export`] writes for it), the fragment after it ends the last sample. Times are the fragment's
/// own (see [`crate::ts::writer`] for how consecutive chunks join).
///
/// # Examples
/// ```
/// use kvs_remux::Archive;
/// use kvs_remux::api::ts::{TsOptions, get_ts_fragment};
///
/// let archive = Archive::open("testdata/fixtures/h264-high-aac.mkv".as_ref())?;
/// let session = archive.index().media();
/// let chunk = get_ts_fragment(&archive, &session, 0, &TsOptions::default())?;
/// assert_eq!((chunk.len() % 188, chunk[0]), (0, 0x47));
/// # Ok::<(), kvs_remux::ApiError>(())
/// ```
///
/// # Errors
/// ResourceNotFoundException when `index` is past the session; the codec private data checks
/// (MissingCodecPrivateDataException, ...); UnsupportedStreamMediaTypeException for H.265 without
/// `allow_hevc`, G.711, or an AAC config ADTS cannot carry; InvalidMediaFrameException for a frame
/// that is not length-prefixed NAL units.
pub fn get_ts_fragment(
    archive: &Archive,
    session: &[usize],
    index: usize,
    options: &TsOptions,
) -> Result<Bytes, ApiError> {
    let [previous, current, next] = timeline::window_at(archive, session, index)?;
    let current = current.expect("window_at reads the fragment asked for");
    let window = Window {
        previous: previous.as_ref(),
        current: &current,
        next: next.as_ref(),
    };
    mux(
        &window,
        timeline::session_origin(archive, session)?,
        options,
    )?
    .ok_or_else(|| ApiError::ResourceNotFound {
        message: format!("fragment {} has no frames", current.number),
    })
}

/// Every media fragment of an archive as TS, in order (each read once, with its neighbours).
///
/// As an HLS session with MPEG_TS does, the tracks (numbers and codecs) must stay those of the first
/// fragment; codec private data may change (spec §6), the new parameter sets travel in-band. The
/// iterator stops after the first error.
///
/// # Examples
/// ```
/// use kvs_remux::Archive;
/// use kvs_remux::api::ts::{TsOptions, export};
///
/// let archive = Archive::open("testdata/fixtures/h264-alaw.mkv".as_ref())?;
/// // G.711 is not carried in MPEG-TS (spec §5.1): the first item is the service's refusal.
/// let first = export(&archive, &TsOptions::default()).next().unwrap();
/// assert_eq!(first.unwrap_err().code(), "UnsupportedStreamMediaTypeException");
/// # Ok::<(), kvs_remux::ApiError>(())
/// ```
pub fn export<'a>(archive: &'a Archive, options: &TsOptions) -> TsExport<'a> {
    export_fragments(archive, archive.index().media(), options)
}

/// [`export`] of the media fragments at `positions` only (a session's, in order).
pub fn export_fragments<'a>(
    archive: &'a Archive,
    media: Vec<usize>,
    options: &TsOptions,
) -> TsExport<'a> {
    let origin = timeline::session_origin(archive, &media);
    TsExport {
        walk: Walk::new(archive, media),
        origin,
        options: *options,
        layout: None,
        done: false,
    }
}

/// The iterator [`export`] returns.
pub struct TsExport<'a> {
    walk: Walk<'a>,
    origin: Result<Nanos, ApiError>,
    options: TsOptions,
    layout: Option<Vec<(u64, Option<CodecKind>)>>,
    done: bool,
}

impl TsExport<'_> {
    fn next_chunk(&mut self) -> Result<Option<TsChunk>, ApiError> {
        let origin = self.origin.clone()?;
        let Some((_, window)) = self.walk.next_window()? else {
            return Ok(None);
        };
        let fragment = window.current;
        let this = timeline::layout(&fragment.tracks);
        if self.layout.as_ref().is_some_and(|first| *first != this) {
            return Err(ApiError::UnsupportedMedia {
                message: format!(
                    "the tracks change at fragment {}; an MPEG_TS session keeps the first fragment's tracks",
                    fragment.number
                ),
            });
        }
        self.layout.get_or_insert(this);
        match mux(&window, origin, &self.options)? {
            Some(data) => Ok(Some(TsChunk {
                fragment_number: fragment.number.clone(),
                data,
            })),
            // A Cluster without frames: no chunk, the next fragment's follows.
            None => self.next_chunk(),
        }
    }
}

impl Iterator for TsExport<'_> {
    type Item = Result<TsChunk, ApiError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_chunk().transpose();
        self.done = !matches!(next, Some(Ok(_)));
        next
    }
}

/// One chunk from the window's fragment: its tracks by ascending number (the PID order); `None`
/// for a fragment without frames.
fn mux(window: &Window<'_>, origin: Nanos, options: &TsOptions) -> Result<Option<Bytes>, ApiError> {
    let entries = timeline::sorted(&window.current.tracks);
    let tracks: Vec<TrackInfo> = entries
        .iter()
        .map(|entry| timeline::track_info(entry))
        .collect::<Result<_, _>>()?;
    let samples = entries
        .iter()
        .map(|entry| timeline::samples(window, entry.number))
        .collect::<Result<Vec<_>, _>>()?;
    if samples.iter().all(Vec::is_empty) {
        return Ok(None);
    }
    let streams: Vec<ts::Stream<'_>> = tracks
        .iter()
        .zip(&samples)
        .map(|(track, samples)| ts::Stream { track, samples })
        .collect();
    ts::write_chunk(&streams, origin, options)
        .map(Some)
        .map_err(|source| ApiError::Ts { source })
}
