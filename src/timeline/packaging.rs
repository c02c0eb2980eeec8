//! Which track layouts each output packages (spec §5.1): one table for GetClip, DASH and HLS (fMP4
//! and MPEG-TS), checked on the tracks of a request's first fragment.

use crate::codec::{CodecConfig, CodecKind, G711Format};
use crate::error::ApiError;
use crate::mkv::Tracks;
use crate::model::track::TrackInfo;

use super::tracks::track_info;

/// An output with its own row in the track-layout table (spec §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Packaging {
    /// GetClip's MP4: H.264 or H.265; with H.264 AAC or G.711 A-law, with H.265 AAC.
    Clip,
    /// DASH (fMP4): H.264, H.265 or AAC alone; with H.264 AAC or G.711 (A-law or µ-law), with
    /// H.265 AAC.
    Dash,
    /// HLS with FRAGMENTED_MP4: H.264, H.265 or AAC alone; AAC with either video.
    HlsFmp4,
    /// HLS with MPEG_TS: H.264 or AAC alone (no H.265 in TS); AAC with H.264.
    HlsTs,
}

impl Packaging {
    /// The output's name in messages.
    fn name(self) -> &'static str {
        match self {
            Packaging::Clip => "GetClip",
            Packaging::Dash => "DASH",
            Packaging::HlsFmp4 => "HLS with FRAGMENTED_MP4",
            Packaging::HlsTs => "HLS with MPEG_TS",
        }
    }

    /// Whether track 1 may be of `kind`.
    fn first_track(self, kind: CodecKind) -> bool {
        match self {
            Packaging::Clip => kind.is_video(),
            Packaging::Dash | Packaging::HlsFmp4 => kind.is_video() || kind == CodecKind::Aac,
            Packaging::HlsTs => matches!(kind, CodecKind::Avc | CodecKind::Aac),
        }
    }

    /// What track 1 may be, as a message says it.
    fn first_track_wanted(self) -> &'static str {
        match self {
            Packaging::Clip => "H.264 or H.265",
            Packaging::Dash | Packaging::HlsFmp4 => "H.264, H.265 or AAC",
            Packaging::HlsTs => "H.264 or AAC",
        }
    }

    /// Whether track 2 `audio` may go with track 1 `first`.
    fn pairs(self, first: &CodecConfig, audio: &CodecConfig) -> bool {
        match (first, audio) {
            (CodecConfig::Aac(_) | CodecConfig::G711(_), _) => false,
            (_, CodecConfig::Aac(_)) => true,
            (CodecConfig::Avc(_), CodecConfig::G711(wave)) => match self {
                Packaging::Clip => wave.format() == G711Format::ALaw,
                Packaging::Dash => true,
                Packaging::HlsFmp4 | Packaging::HlsTs => false,
            },
            _ => false,
        }
    }
}

/// The tracks `packaging` makes of `tracks` (a request's first fragment), CPD validated, track 1
/// first: the layout check of spec §5.1.
///
/// # Errors
/// UnsupportedStreamMediaTypeException for a layout the output does not package (a track above 2,
/// no track 1, a codec outside its row, a pair it does not combine); the codec private data
/// checks of [`track_info`] (MissingCodecPrivateDataException, ...).
pub fn packaged_tracks(tracks: &Tracks, packaging: Packaging) -> Result<Vec<TrackInfo>, ApiError> {
    let name = packaging.name();
    let unsupported = |message: String| ApiError::UnsupportedMedia { message };
    if let Some(extra) = tracks.entries.iter().find(|t| t.number > 2) {
        return Err(unsupported(format!(
            "{name} packages tracks 1 and 2 only; track {} is present",
            extra.number
        )));
    }
    let first = tracks
        .get(1)
        .ok_or_else(|| unsupported(format!("{name} needs a track 1")))?;
    if !CodecKind::from_codec_id(&first.codec_id).is_some_and(|kind| packaging.first_track(kind)) {
        return Err(unsupported(format!(
            "track 1 has codec {}, {name} needs {}",
            first.codec_id,
            packaging.first_track_wanted()
        )));
    }
    let first = track_info(first)?;
    let Some(second) = tracks.get(2) else {
        return Ok(vec![first]);
    };
    if !matches!(
        CodecKind::from_codec_id(&second.codec_id),
        Some(CodecKind::Aac | CodecKind::G711)
    ) {
        return Err(unsupported(format!(
            "track 2 has codec {}, {name} packages AAC or G.711 audio there",
            second.codec_id
        )));
    }
    let second = track_info(second)?;
    if !packaging.pairs(&first.codec, &second.codec) {
        return Err(unsupported(format!(
            "{name} does not package {} audio with {} track 1",
            describe(&second.codec),
            describe(&first.codec)
        )));
    }
    Ok(vec![first, second])
}

/// A codec as messages name it.
fn describe(codec: &CodecConfig) -> &'static str {
    match codec {
        CodecConfig::Avc(_) => "H.264",
        CodecConfig::Hevc(_) => "H.265",
        CodecConfig::Aac(_) => "AAC",
        CodecConfig::G711(wave) if wave.format() == G711Format::ALaw => "G.711 A-law",
        CodecConfig::G711(_) => "G.711 µ-law",
    }
}
