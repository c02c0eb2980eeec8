//! HLS playlists (spec §8.1–§8.3): the master playlist with one variant (and an audio rendition
//! when there is a second track), and media playlists.

use crate::time::{Nanos, UnixMillis};

/// The variant of a master playlist (spec §8.1).
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// CODECS: RFC 6381 strings of the tracks the variant plays (`avc1.640028`, `mp4a.40.2`).
    pub codecs: Vec<String>,
    /// RESOLUTION, width × height as displayed (the SPS's cropping applied).
    pub resolution: Option<(u32, u32)>,
    /// FRAME-RATE, frames per second (written with 2 decimals).
    pub frame_rate: Option<f64>,
    /// BANDWIDTH: the peak bit rate of the variant's segments, bits per second.
    pub bandwidth: u64,
    /// The URI of its media playlist.
    pub uri: String,
    /// The URI of the audio rendition's media playlist (track 2), when there is one.
    pub audio_uri: Option<String>,
}

/// One segment of a media playlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// `#EXT-X-DISCONTINUITY` before it.
    pub discontinuity: bool,
    /// `#EXT-X-MAP` before it: the init segment's URI, where a new one starts.
    pub map: Option<String>,
    /// `#EXT-X-PROGRAM-DATE-TIME`: the fragment's start time.
    pub program_date_time: Option<UnixMillis>,
    /// Its duration (`#EXTINF`, in seconds with up to 3 decimals).
    pub duration: Nanos,
    /// Its URI.
    pub uri: String,
}

/// A media playlist (spec §8.2, §8.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPlaylist {
    /// `#EXT-X-VERSION` (7 with fMP4, 3 with TS).
    pub version: u8,
    /// `#EXT-X-PLAYLIST-TYPE:VOD` (ON_DEMAND).
    pub vod: bool,
    /// `#EXT-X-MEDIA-SEQUENCE`.
    pub media_sequence: u64,
    /// The segments, in order.
    pub segments: Vec<Segment>,
    /// `#EXT-X-ENDLIST`: the playlist is complete.
    pub endlist: bool,
}

/// The master playlist of `variant` (spec §8.1: version 1, the audio rendition first, attributes
/// in the service's order).
///
/// Choice: the service's audio rendition carries `FORCED=NO`, which RFC 8216 §4.3.4.1 allows only
/// for SUBTITLES (m3u8-rs refuses the playlist); it is left out, which means the same.
pub fn master_playlist(variant: &Variant) -> String {
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:1\n");
    if let Some(audio) = &variant.audio_uri {
        out.push_str(&format!("#EXT-X-MEDIA:AUTOSELECT=YES,TYPE=AUDIO,URI=\"{audio}\",GROUP-ID=\"audio\",DEFAULT=NO,NAME=\"audio\"\n"));
    }
    out.push_str(&format!(
        "#EXT-X-STREAM-INF:CODECS=\"{}\"",
        variant.codecs.join(",")
    ));
    if let Some((width, height)) = variant.resolution {
        out.push_str(&format!(",RESOLUTION={width}x{height}"));
    }
    if let Some(rate) = variant.frame_rate {
        out.push_str(&format!(",FRAME-RATE={rate:.2}"));
    }
    out.push_str(&format!(",BANDWIDTH={}", variant.bandwidth));
    if variant.audio_uri.is_some() {
        out.push_str(",AUDIO=\"audio\"");
    }
    out.push_str(&format!("\n{}\n", variant.uri));
    out
}

/// The media playlist `playlist` (spec §8.2: header order, then per segment
/// `[#EXT-X-DISCONTINUITY] [#EXT-X-MAP] [#EXT-X-PROGRAM-DATE-TIME] #EXTINF URI`).
///
/// `#EXT-X-TARGETDURATION` is the largest EXTINF rounded up to whole seconds (spec §9.3).
pub fn media_playlist(playlist: &MediaPlaylist) -> String {
    let target = playlist
        .segments
        .iter()
        .map(|s| rounded_millis(s.duration).div_ceil(1000))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    out.push_str(&format!("#EXTM3U\n#EXT-X-VERSION:{}\n", playlist.version));
    if playlist.vod {
        out.push_str("#EXT-X-PLAYLIST-TYPE:VOD\n");
    }
    out.push_str(&format!(
        "#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:{}\n#EXT-X-INDEPENDENT-SEGMENTS\n",
        playlist.media_sequence
    ));
    for segment in &playlist.segments {
        if segment.discontinuity {
            out.push_str("#EXT-X-DISCONTINUITY\n");
        }
        if let Some(map) = &segment.map {
            out.push_str(&format!("#EXT-X-MAP:URI=\"{map}\"\n"));
        }
        if let Some(time) = segment.program_date_time {
            out.push_str(&format!("#EXT-X-PROGRAM-DATE-TIME:{}\n", time.to_iso8601()));
        }
        out.push_str(&format!(
            "#EXTINF:{},\n{}\n",
            seconds(segment.duration),
            segment.uri
        ));
    }
    if playlist.endlist {
        out.push_str("#EXT-X-ENDLIST\n");
    }
    out
}

/// A duration in whole milliseconds, rounded to the nearest (negative: 0).
fn rounded_millis(duration: Nanos) -> u64 {
    duration.unsigned().map_or(0, |ns| {
        ns / 1_000_000 + u64::from(ns % 1_000_000 >= 500_000)
    })
}

/// Seconds with up to 3 decimals, trailing zeros dropped (`1.857`, `1.01`, `2`), as the service
/// writes EXTINF (spec §8.2).
fn seconds(duration: Nanos) -> String {
    let ms = rounded_millis(duration);
    let (whole, fraction) = (ms / 1000, ms % 1000);
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = format!("{fraction:03}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extinf_drops_trailing_zeros() {
        let ms = |ms: i64| Nanos(ms * 1_000_000);
        assert_eq!(seconds(ms(1857)), "1.857");
        assert_eq!(seconds(ms(1010)), "1.01");
        assert_eq!(seconds(ms(2680)), "2.68");
        assert_eq!(seconds(ms(998)), "0.998");
        assert_eq!(seconds(ms(2000)), "2");
        assert_eq!(seconds(Nanos(1_856_500_000)), "1.857");
        assert_eq!(seconds(Nanos(-5)), "0");
    }

    /// The service's master playlist with audio, attribute for attribute (spec §8.1).
    #[test]
    fn master_with_audio_as_the_service_writes_it() {
        let variant = Variant {
            codecs: vec!["avc1.42c032".into(), "mp4a.40.2".into()],
            resolution: Some((2592, 1944)),
            frame_rate: Some(15.0149),
            bandwidth: 2_583_047,
            uri: "getHLSMediaPlaylist.m3u8?SessionToken=T&TrackNumber=1".into(),
            audio_uri: Some("getHLSMediaPlaylist.m3u8?SessionToken=T&TrackNumber=2".into()),
        };
        assert_eq!(
            master_playlist(&variant),
            "#EXTM3U\n#EXT-X-VERSION:1\n\
             #EXT-X-MEDIA:AUTOSELECT=YES,TYPE=AUDIO,URI=\"getHLSMediaPlaylist.m3u8?SessionToken=T&TrackNumber=2\",GROUP-ID=\"audio\",DEFAULT=NO,NAME=\"audio\"\n\
             #EXT-X-STREAM-INF:CODECS=\"avc1.42c032,mp4a.40.2\",RESOLUTION=2592x1944,FRAME-RATE=15.01,BANDWIDTH=2583047,AUDIO=\"audio\"\n\
             getHLSMediaPlaylist.m3u8?SessionToken=T&TrackNumber=1\n"
        );
    }
}
