//! fMP4 per track: GetMP4InitFragment and GetMP4MediaFragment (spec §1.8, §8.5), and the export of
//! a whole archive as `track<N>/init.mp4` + `track<N>/<FragmentNumber>.m4s`.

use std::collections::{BTreeSet, VecDeque};
use std::path::PathBuf;

use bytes::Bytes;

use crate::archive::Archive;
use crate::error::ApiError;
use crate::mkv::{FragmentNumber, TrackEntry};
use crate::model::track::TrackInfo;
use crate::mp4;
use crate::time::Nanos;
use crate::timeline::{self, Walk, Window};

/// GetMP4InitFragment: ftyp + moov for track `track` as the fragment at index `position`
/// describes it (spec §1.8, §8.5). Only the index is read.
///
/// # Errors
/// ResourceNotFoundException when there is no such fragment or it has no such track; the codec
/// private data checks (MissingCodecPrivateDataException, ...).
pub fn get_mp4_init_fragment(
    archive: &Archive,
    position: usize,
    track: u64,
) -> Result<Bytes, ApiError> {
    let fragment = archive
        .index()
        .get(position)
        .ok_or_else(|| ApiError::ResourceNotFound {
            message: format!("no fragment at position {position}"),
        })?;
    let entry = fragment
        .tracks
        .get(track)
        .ok_or_else(|| ApiError::ResourceNotFound {
            message: format!("fragment {} has no track {track}", fragment.number),
        })?;
    init_segment(&timeline::track_info(entry)?)
}

/// GetMP4MediaFragment: moof + mdat of track `track` in fragment `index` of a session (`session`:
/// index positions of its media fragments, in order), as chunks (spec §1.8, §8.5). The
/// neighbouring fragments continue reordered decode times and end the last sample, so the segment
/// equals the one [`export`] writes for it; mfhd's sequence number is `index + 1`.
///
/// # Examples
/// ```
/// use kvs_remux::Archive;
/// use kvs_remux::api::fmp4::{get_mp4_init_fragment, get_mp4_media_fragment};
///
/// let archive = Archive::open("testdata/fixtures/h264-high-aac.mkv".as_ref())?;
/// let session = archive.index().media();
/// let init = get_mp4_init_fragment(&archive, session[0], 1)?;
/// let segment = get_mp4_media_fragment(&archive, &session, 2, 1)?;
/// assert_eq!((&init[4..8], &segment[0][4..8]), (&b"ftyp"[..], &b"moof"[..]));
/// # Ok::<(), kvs_remux::ApiError>(())
/// ```
///
/// # Errors
/// ResourceNotFoundException when `index` is past the session or the fragment has no samples of
/// the track; the codec private data checks; a time the writer cannot express.
pub fn get_mp4_media_fragment(
    archive: &Archive,
    session: &[usize],
    index: usize,
    track: u64,
) -> Result<Vec<Bytes>, ApiError> {
    let [previous, current, next] = timeline::window_at(archive, session, index)?;
    let current = current.expect("window_at reads the fragment asked for");
    let not_found = || ApiError::ResourceNotFound {
        message: format!("no fragment {index} with track {track} in the session"),
    };
    let entry = current.tracks.get(track).ok_or_else(not_found)?;
    let window = Window {
        previous: previous.as_ref(),
        current: &current,
        next: next.as_ref(),
    };
    let samples = timeline::samples(&window, track)?;
    if samples.is_empty() {
        return Err(not_found());
    }
    media_segment(
        &timeline::track_info(entry)?,
        &samples,
        index,
        timeline::session_origin(archive, session)?,
    )
}

/// One file of the fMP4 export.
#[derive(Debug, Clone)]
pub enum Fmp4Part {
    /// ftyp + moov of one configuration of a track (a new one wherever its codec private data
    /// changes, as HLS allows, spec §6).
    Init {
        /// Matroska TrackNumber.
        track: u64,
        /// The fragment where this configuration starts; `None` for the track's first.
        starts_at: Option<FragmentNumber>,
        /// ftyp + moov.
        data: Bytes,
    },
    /// moof + mdat of one track of one fragment, described by the track's latest init segment.
    Segment {
        /// Matroska TrackNumber.
        track: u64,
        /// The fragment.
        fragment: FragmentNumber,
        /// moof + mdat header, then the samples' own bytes.
        chunks: Vec<Bytes>,
    },
}

impl Fmp4Part {
    /// Where the part goes in the export: `track<N>/init.mp4`, `track<N>/init-<FragmentNumber>.mp4`
    /// or `track<N>/<FragmentNumber>.m4s` (so `cat init.mp4 *.m4s` plays in fragment order).
    pub fn relative_path(&self) -> PathBuf {
        match self {
            Fmp4Part::Init {
                track, starts_at, ..
            } => PathBuf::from(format!("track{track}")).join(match starts_at {
                None => "init.mp4".to_owned(),
                Some(number) => format!("init-{number}.mp4"),
            }),
            Fmp4Part::Segment {
                track, fragment, ..
            } => PathBuf::from(format!("track{track}")).join(format!("{fragment}.m4s")),
        }
    }

    /// The part's bytes, as chunks.
    pub fn chunks(&self) -> &[Bytes] {
        match self {
            Fmp4Part::Init { data, .. } => std::slice::from_ref(data),
            Fmp4Part::Segment { chunks, .. } => chunks,
        }
    }
}

/// Exports every track of every media fragment of `archive` as fMP4, fragment by fragment (each
/// read once, with its neighbours): for each fragment and track (ascending), the track's init
/// segment where its configuration starts, then its media segment. Media segments are numbered
/// 1, 2, … by fragment (mfhd).
///
/// The iterator stops after the first error: a track whose CPD is missing, invalid or
/// unsupported, a time the writer cannot express, damage found while reading frames.
///
/// # Examples
/// ```
/// use kvs_remux::Archive;
/// use kvs_remux::api::fmp4::export;
///
/// let archive = Archive::open("testdata/fixtures/h264-high-aac.mkv".as_ref())?;
/// let mut files = Vec::new();
/// for part in export(&archive) {
///     files.push(part?.relative_path());
/// }
/// // Two tracks: an init segment and four media segments each.
/// assert_eq!(files.len(), 10);
/// assert_eq!(files[0], std::path::Path::new("track1/init.mp4"));
/// # Ok::<(), kvs_remux::ApiError>(())
/// ```
pub fn export(archive: &Archive) -> Fmp4Export<'_> {
    export_fragments(archive, archive.index().media())
}

/// [`export`] of the media fragments at `positions` only (a session's, in order): media segments
/// are numbered by their index there, and a track's first init segment is `init.mp4`.
pub fn export_fragments(archive: &Archive, media: Vec<usize>) -> Fmp4Export<'_> {
    let tracks: BTreeSet<u64> = media
        .iter()
        .filter_map(|&p| archive.index().get(p))
        .flat_map(|f| f.tracks.entries.iter().map(|t| t.number))
        .collect();
    let origin = timeline::session_origin(archive, &media);
    Fmp4Export {
        tracks: tracks.into_iter().map(|n| (n, None)).collect(),
        walk: Walk::new(archive, media),
        origin,
        ready: VecDeque::new(),
        done: false,
    }
}

/// The iterator [`export`] returns.
pub struct Fmp4Export<'a> {
    /// Each track number and its current configuration (entry and writer view).
    tracks: Vec<(u64, Option<(TrackEntry, TrackInfo)>)>,
    walk: Walk<'a>,
    origin: Result<Nanos, ApiError>,
    ready: VecDeque<Fmp4Part>,
    done: bool,
}

impl Fmp4Export<'_> {
    /// Makes the parts of the next fragment.
    fn fill(&mut self) -> Result<(), ApiError> {
        let origin = self.origin.clone()?;
        let Some((index, window)) = self.walk.next_window()? else {
            self.done = true;
            return Ok(());
        };
        let fragment = window.current;
        for (number, epoch) in &mut self.tracks {
            let Some(entry) = fragment.tracks.get(*number) else {
                continue;
            };
            let samples = timeline::samples(&window, *number)?;
            if samples.is_empty() {
                continue;
            }
            let changed = match epoch {
                None => true,
                Some((current, _)) => timeline::track_change(Some(current), Some(entry)).is_some(),
            };
            if changed {
                let info = timeline::track_info(entry)?;
                self.ready.push_back(Fmp4Part::Init {
                    track: *number,
                    starts_at: epoch.as_ref().map(|_| fragment.number.clone()),
                    data: init_segment(&info)?,
                });
                *epoch = Some((entry.clone(), info));
            }
            let (_, info) = epoch.as_ref().expect("set above");
            self.ready.push_back(Fmp4Part::Segment {
                track: *number,
                fragment: fragment.number.clone(),
                chunks: media_segment(info, &samples, index, origin)?,
            });
        }
        Ok(())
    }
}

impl Iterator for Fmp4Export<'_> {
    type Item = Result<Fmp4Part, ApiError>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.ready.is_empty() && !self.done {
            if let Err(error) = self.fill() {
                self.done = true;
                return Some(Err(error));
            }
        }
        self.ready.pop_front().map(Ok)
    }
}

/// ftyp + moov for one track.
fn init_segment(track: &TrackInfo) -> Result<Bytes, ApiError> {
    Ok(mp4::init::init_segment(std::slice::from_ref(track))?)
}

/// moof + mdat of fragment `index` of a session.
fn media_segment(
    track: &TrackInfo,
    samples: &[crate::model::sample::Sample],
    index: usize,
    origin: Nanos,
) -> Result<Vec<Bytes>, ApiError> {
    let sequence = index
        .checked_add(1)
        .and_then(|s| u32::try_from(s).ok())
        .ok_or_else(|| ApiError::InvalidArgument {
            message: format!("fragment index {index} is too large for mfhd"),
        })?;
    Ok(mp4::fragment::media_segment(
        track, samples, sequence, origin,
    )?)
}
