//! Tracks: what each track number carries (RFC 9559 §5.1.4).
//!
//! Rules for missing, empty and defaulted elements, followed by every parser in this module
//! (RFC 8794 §11.3, RFC 9559 §5.1):
//! - A missing element that has a schema default takes it (TimestampScale 1 000 000 ns,
//!   SamplingFrequency 8000 Hz, Channels 1, CodecDelay 0, SeekPreRoll 0).
//! - A present but empty element reads as 0, 0.0 or "" (RFC 8794 §7); an empty CodecPrivate is kept
//!   as empty bytes, and the codec layer treats it as missing (spec §5.3).
//! - A missing mandatory element without a default (TrackNumber, TrackType, CodecID) is
//!   [`Error::MissingElement`]; a TrackNumber of 0 is [`Error::InvalidValue`].
//! - An element that may occur once but occurs again: the last one wins. // Choice: as ffmpeg.
//! - Unknown elements, Void and CRC-32 (after it is checked) are skipped.
//! - Strings drop trailing NULs (old KVS producers NUL-pad CodecID and Name to 32 bytes, spec §5.1).

use bytes::Bytes;

use super::{Error, ids};
use crate::ebml::Element;

/// Kind of a track (TrackType).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackType {
    /// 1: video.
    Video,
    /// 2: audio.
    Audio,
    /// Any other value (complex, logo, subtitle, buttons, control, metadata).
    Other(u64),
}

/// Video settings of a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoSettings {
    /// PixelWidth.
    pub pixel_width: u64,
    /// PixelHeight.
    pub pixel_height: u64,
}

/// Audio settings of a track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioSettings {
    /// SamplingFrequency in Hz (default 8000).
    pub sampling_frequency: f64,
    /// Channels (default 1).
    pub channels: u64,
    /// BitDepth, when given.
    pub bit_depth: Option<u64>,
}

/// One TrackEntry.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackEntry {
    /// TrackNumber, as used by blocks (1-based).
    pub number: u64,
    /// TrackUID, when given.
    pub uid: Option<u64>,
    /// TrackType.
    pub track_type: TrackType,
    /// CodecID without trailing NULs, e.g. `V_MPEG4/ISO/AVC`.
    pub codec_id: String,
    /// CodecPrivate as a slice of the input; `None` when absent.
    pub codec_private: Option<Bytes>,
    /// DefaultDuration in ns.
    pub default_duration: Option<u64>,
    /// Name.
    pub name: Option<String>,
    /// Language.
    pub language: Option<String>,
    /// CodecDelay in ns.
    pub codec_delay: u64,
    /// SeekPreRoll in ns.
    pub seek_pre_roll: u64,
    /// Video settings, for video tracks that have them.
    pub video: Option<VideoSettings>,
    /// Audio settings, for audio tracks that have them.
    pub audio: Option<AudioSettings>,
    /// Whether the track declares ContentEncodings (its frames are not usable as stored).
    pub content_encoded: bool,
}

/// The tracks of a segment, in declaration order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tracks {
    /// TrackEntry elements in file order.
    pub entries: Vec<TrackEntry>,
}

impl Tracks {
    /// The entry with TrackNumber `number`.
    pub fn get(&self, number: u64) -> Option<&TrackEntry> {
        self.entries.iter().find(|t| t.number == number)
    }

    /// Parses a Tracks element.
    ///
    /// # Errors
    /// EBML errors (with CRC-32 checks), and the rules atop this module.
    pub fn parse(tracks: &Element) -> Result<Tracks, Error> {
        let mut entries: Vec<TrackEntry> = Vec::new();
        let mut children = tracks.children()?;
        while let Some(child) = children.next_significant()? {
            if child.id() == ids::TRACK_ENTRY {
                let entry = parse_entry(&child)?;
                // Choice: a repeated TrackNumber replaces the earlier entry (last one wins).
                entries.retain(|e| e.number != entry.number);
                entries.push(entry);
            }
        }
        Ok(Tracks { entries })
    }
}

fn parse_entry(entry: &Element) -> Result<TrackEntry, Error> {
    let offset = entry.header.offset;
    let missing = |element| Error::MissingElement {
        offset,
        parent: "TrackEntry",
        element,
    };
    let mut number = None;
    let mut track_type = None;
    let mut codec_id = None;
    let mut track = TrackEntry {
        number: 0,
        uid: None,
        track_type: TrackType::Other(0),
        codec_id: String::new(),
        codec_private: None,
        default_duration: None,
        name: None,
        language: None,
        codec_delay: 0,
        seek_pre_roll: 0,
        video: None,
        audio: None,
        content_encoded: false,
    };
    let mut children = entry.children()?;
    while let Some(child) = children.next_significant()? {
        match child.id() {
            ids::TRACK_NUMBER => number = Some(child.uint()?),
            ids::TRACK_UID => track.uid = Some(child.uint()?),
            ids::TRACK_TYPE => track_type = Some(child.uint()?),
            ids::CODEC_ID => codec_id = Some(child.string()),
            ids::CODEC_PRIVATE => track.codec_private = Some(child.data.clone()),
            ids::DEFAULT_DURATION => track.default_duration = Some(child.uint()?),
            ids::NAME => track.name = Some(child.string()),
            ids::LANGUAGE => track.language = Some(child.string()),
            ids::CODEC_DELAY => track.codec_delay = child.uint()?,
            ids::SEEK_PRE_ROLL => track.seek_pre_roll = child.uint()?,
            ids::VIDEO => track.video = Some(parse_video(&child)?),
            ids::AUDIO => track.audio = Some(parse_audio(&child)?),
            ids::CONTENT_ENCODINGS => track.content_encoded = true,
            _ => {}
        }
    }
    track.number = number.ok_or_else(|| missing("TrackNumber"))?;
    if track.number == 0 {
        return Err(Error::InvalidValue {
            offset,
            element: "TrackNumber",
            value: "0".into(),
        });
    }
    track.track_type = match track_type.ok_or_else(|| missing("TrackType"))? {
        1 => TrackType::Video,
        2 => TrackType::Audio,
        other => TrackType::Other(other),
    };
    track.codec_id = codec_id.ok_or_else(|| missing("CodecID"))?;
    Ok(track)
}

fn parse_video(video: &Element) -> Result<VideoSettings, Error> {
    let mut settings = VideoSettings {
        pixel_width: 0,
        pixel_height: 0,
    };
    let mut children = video.children()?;
    while let Some(child) = children.next_significant()? {
        match child.id() {
            ids::PIXEL_WIDTH => settings.pixel_width = child.uint()?,
            ids::PIXEL_HEIGHT => settings.pixel_height = child.uint()?,
            _ => {}
        }
    }
    Ok(settings)
}

fn parse_audio(audio: &Element) -> Result<AudioSettings, Error> {
    let mut settings = AudioSettings {
        sampling_frequency: 8000.0,
        channels: 1,
        bit_depth: None,
    };
    let mut children = audio.children()?;
    while let Some(child) = children.next_significant()? {
        match child.id() {
            ids::SAMPLING_FREQUENCY => settings.sampling_frequency = child.float()?,
            ids::CHANNELS => settings.channels = child.uint()?,
            ids::BIT_DEPTH => settings.bit_depth = Some(child.uint()?),
            _ => {}
        }
    }
    Ok(settings)
}
