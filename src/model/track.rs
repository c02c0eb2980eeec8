//! A track as the writers see it: id, validated codec configuration, and media timescale.

use bytes::Bytes;

use crate::codec::{CodecConfig, CodecKind};
use crate::time::Timescale;

/// One output track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInfo {
    /// MP4 track_ID / TS stream order: the Matroska TrackNumber.
    pub track_id: u32,
    /// The validated codec configuration.
    pub codec: CodecConfig,
    /// The codec private data as stored (avcC, hvcC, AudioSpecificConfig, WAVEFORMATEX).
    pub codec_private: Bytes,
    /// Media timescale in ticks per second.
    pub timescale: Timescale,
}

impl TrackInfo {
    /// A track with the timescale we choose for its codec.
    ///
    /// Choice: video uses 90 kHz (the MPEG-TS clock; KVS times are whole milliseconds, and 1 ms is
    /// exactly 90 ticks), audio its sample rate (as ffmpeg's mp4 muxer does, so every AAC frame of
    /// 1024 samples lasts a whole number of ticks).
    pub fn new(track_id: u32, codec: CodecConfig, codec_private: Bytes) -> TrackInfo {
        let ticks = match codec.kind() {
            CodecKind::Avc | CodecKind::Hevc => 90_000,
            CodecKind::Aac | CodecKind::G711 => codec.sample_rate().unwrap_or(90_000),
        };
        TrackInfo {
            track_id,
            codec,
            codec_private,
            timescale: Timescale::new(ticks).unwrap_or(Timescale::VIDEO),
        }
    }

    /// Whether this is a video track.
    pub fn is_video(&self) -> bool {
        self.codec.kind().is_video()
    }
}
