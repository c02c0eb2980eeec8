//! Tracks as the writers see them, and the one rule for when a track's codec private data changes
//! (spec §6).

use std::fmt;

use crate::codec::{self, CodecConfig, CodecKind};
use crate::error::ApiError;
use crate::mkv::{TrackEntry, Tracks};
use crate::model::track::TrackInfo;

/// The writer's view of a Matroska track: its CPD validated as the service does (spec §5.3).
///
/// # Errors
/// Missing, invalid or unsupported codec private data, under the service's names; a track number
/// MP4 cannot carry.
pub fn track_info(entry: &TrackEntry) -> Result<TrackInfo, ApiError> {
    let codec =
        CodecConfig::parse(&entry.codec_id, entry.codec_private.as_ref()).map_err(|source| {
            ApiError::Codec {
                track: entry.number,
                source,
            }
        })?;
    let id = u32::try_from(entry.number).map_err(|_| ApiError::InvalidArgument {
        message: format!("track number {} is too large for MP4", entry.number),
    })?;
    Ok(TrackInfo::new(
        id,
        codec,
        entry.codec_private.clone().unwrap_or_default(),
    ))
}

/// The tracks of `tracks` by ascending TrackNumber (PID and MP4 track order).
pub fn sorted(tracks: &Tracks) -> Vec<&TrackEntry> {
    let mut entries: Vec<&TrackEntry> = tracks.entries.iter().collect();
    entries.sort_by_key(|t| t.number);
    entries
}

/// How a track differs between two fragments (spec §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackChange {
    /// The track appears.
    Added,
    /// The track disappears.
    Removed,
    /// A different CodecID.
    Codec {
        /// CodecID before.
        from: String,
        /// CodecID after.
        to: String,
    },
    /// The codec private data differs by the rule of [`cpd_change`].
    CodecPrivateData(CpdChange),
}

/// What differs between two CPDs of one track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpdChange {
    /// Both parse; [`codec::compare`] says what differs.
    Config(codec::ConfigChange),
    /// At least one does not parse, and their bytes differ.
    Bytes,
}

impl fmt::Display for TrackChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrackChange::Added => f.write_str("track added"),
            TrackChange::Removed => f.write_str("track removed"),
            TrackChange::Codec { from, to } => write!(f, "codec {from} -> {to}"),
            TrackChange::CodecPrivateData(CpdChange::Config(change)) => write!(f, "{change}"),
            TrackChange::CodecPrivateData(CpdChange::Bytes) => f.write_str("codec private data"),
        }
    }
}

/// Whether the CPD of a track (same CodecID) changes from `before` to `after`: the one rule every
/// operation applies (spec §6) — GetClip refuses a change, the fMP4 export starts a new init
/// segment, HLS will start a new EXT-X-MAP, `inspect` lists it.
///
/// Choice: two CPDs are the same when their bytes are equal or when both parse to equal views
/// ([`codec::compare`] returns `None`: reserved bits and ignored trailing bytes do not count,
/// parameter-set bytes do). A decoder configured from either plays the other's frames, and the
/// service validates CPDs by parsing them (spec §5.3); a producer that re-sends its configuration
/// with different padding has not changed its stream.
pub fn cpd_change(before: &TrackEntry, after: &TrackEntry) -> Option<CpdChange> {
    if before.codec_private == after.codec_private {
        return None;
    }
    let parsed = (
        CodecConfig::parse(&before.codec_id, before.codec_private.as_ref()),
        CodecConfig::parse(&after.codec_id, after.codec_private.as_ref()),
    );
    match parsed {
        (Ok(a), Ok(b)) => codec::compare(&a, &b).map(CpdChange::Config),
        _ => Some(CpdChange::Bytes),
    }
}

/// How one track changes between two fragments' tracks, if it does.
pub fn track_change(
    before: Option<&TrackEntry>,
    after: Option<&TrackEntry>,
) -> Option<TrackChange> {
    match (before, after) {
        (None, None) => None,
        (None, Some(_)) => Some(TrackChange::Added),
        (Some(_), None) => Some(TrackChange::Removed),
        (Some(before), Some(after)) if before.codec_id != after.codec_id => {
            Some(TrackChange::Codec {
                from: before.codec_id.clone(),
                to: after.codec_id.clone(),
            })
        }
        (Some(before), Some(after)) => cpd_change(before, after).map(TrackChange::CodecPrivateData),
    }
}

/// Every track change from `previous` to `next`: removed tracks first, then the tracks of `next`
/// in declaration order.
pub fn changes(previous: &Tracks, next: &Tracks) -> Vec<(u64, TrackChange)> {
    let mut changes = Vec::new();
    for track in &previous.entries {
        if next.get(track.number).is_none() {
            changes.push((track.number, TrackChange::Removed));
        }
    }
    for track in &next.entries {
        if let Some(change) = track_change(previous.get(track.number), Some(track)) {
            changes.push((track.number, change));
        }
    }
    changes
}

/// The codec kinds of a fragment's tracks by ascending number (`None` for a CodecID the service
/// does not package): what an MPEG_TS session keeps from its first fragment.
pub fn layout(tracks: &Tracks) -> Vec<(u64, Option<CodecKind>)> {
    sorted(tracks)
        .into_iter()
        .map(|t| (t.number, CodecKind::from_codec_id(&t.codec_id)))
        .collect()
}
