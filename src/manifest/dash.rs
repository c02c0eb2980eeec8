//! DASH MPD (spec §8.4): one Period (several only beyond the service, one per codec
//! configuration), one AdaptationSet per track (video first), each with a SegmentTemplate
//! (`$Number$`) and a SegmentTimeline of one `S` per fragment, optionally carrying `kvs:fn` (the
//! fragment number) and `kvs:ts` (its timestamp).

use crate::time::UnixMillis;

/// The `kvs` namespace of `kvs:fn` and `kvs:ts`.
///
/// Choice (spec §9.8): the public record shows the attributes, not the URI; this one names it.
pub const KVS_NAMESPACE: &str = "https://kinesisvideo.amazonaws.com/ns/dash";

/// An MPD.
#[derive(Debug, Clone, PartialEq)]
pub struct Mpd {
    /// `type="dynamic"` (LIVE, LIVE_REPLAY) or `"static"` (ON_DEMAND).
    pub dynamic: bool,
    /// `availabilityStartTime`: the first fragment's timestamp.
    pub availability_start: UnixMillis,
    /// `mediaPresentationDuration` in milliseconds (static MPDs).
    pub duration_ms: u64,
    /// The Periods, in order (one unless split per codec configuration).
    pub periods: Vec<Period>,
}

/// One Period.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    /// `start`: milliseconds from the presentation's start.
    pub start_ms: u64,
    /// One per track with segments in the Period, video first.
    pub adaptation_sets: Vec<AdaptationSet>,
}

/// One track.
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptationSet {
    /// `contentType` and the `mimeType` prefix: `video` or `audio`.
    pub content_type: &'static str,
    /// `codecs` (RFC 6381, `alaw`/`ulaw` for G.711).
    pub codecs: String,
    /// `bandwidth`: bits per second.
    pub bandwidth: u64,
    /// `width`, `height` (video).
    pub size: Option<(u32, u32)>,
    /// `audioSamplingRate` (audio).
    pub sample_rate: Option<u32>,
    /// `timescale` of the SegmentTemplate (the track's).
    pub timescale: u32,
    /// `presentationTimeOffset`: the first segment's start, in `timescale` ticks.
    pub presentation_time_offset: u64,
    /// `initialization` URL.
    pub initialization: String,
    /// `media` URL, with `$Number$`.
    pub media: String,
    /// `startNumber`: the `$Number$` of the first segment.
    pub start_number: u64,
    /// The `S` elements, in order.
    pub segments: Vec<TimelineSegment>,
}

/// One `S` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineSegment {
    /// `t`: start in ticks.
    pub start: u64,
    /// `d`: duration in ticks.
    pub duration: u64,
    /// `kvs:fn`, when DisplayFragmentNumber is ALWAYS.
    pub fragment_number: Option<String>,
    /// `kvs:ts`, when DisplayFragmentTimestamp is ALWAYS (ISO 8601 UTC with ms, spec §9.8).
    pub timestamp: Option<UnixMillis>,
}

/// The MPD's XML text.
pub fn mpd(mpd: &Mpd) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" xmlns:kvs=\"{KVS_NAMESPACE}\" \
         profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" type=\"{}\" minBufferTime=\"PT2S\" \
         availabilityStartTime=\"{}\"",
        if mpd.dynamic { "dynamic" } else { "static" },
        mpd.availability_start.to_iso8601(),
    ));
    if !mpd.dynamic {
        out.push_str(&format!(
            " mediaPresentationDuration=\"{}\"",
            duration(mpd.duration_ms)
        ));
    }
    out.push_str(">\n");
    for (id, period) in mpd.periods.iter().enumerate() {
        out.push_str(&format!(
            "  <Period id=\"{id}\" start=\"{}\">\n",
            match period.start_ms {
                0 => "PT0S".to_owned(),
                ms => duration(ms),
            }
        ));
        for (id, set) in period.adaptation_sets.iter().enumerate() {
            adaptation_set(&mut out, id, set);
        }
        out.push_str("  </Period>\n");
    }
    out.push_str("</MPD>\n");
    out
}

/// One AdaptationSet with its Representation, template and timeline.
fn adaptation_set(out: &mut String, id: usize, set: &AdaptationSet) {
    out.push_str(&format!(
        "    <AdaptationSet id=\"{id}\" contentType=\"{0}\" mimeType=\"{0}/mp4\" \
         segmentAlignment=\"true\" startWithSAP=\"1\">\n",
        set.content_type
    ));
    out.push_str(&format!(
        "      <Representation id=\"{}\" codecs=\"{}\" bandwidth=\"{}\"",
        id + 1,
        escape(&set.codecs),
        set.bandwidth
    ));
    if let Some((width, height)) = set.size {
        out.push_str(&format!(" width=\"{width}\" height=\"{height}\""));
    }
    if let Some(rate) = set.sample_rate {
        out.push_str(&format!(" audioSamplingRate=\"{rate}\""));
    }
    out.push_str(&format!(
        ">\n        <SegmentTemplate timescale=\"{}\" presentationTimeOffset=\"{}\" \
         startNumber=\"{}\" initialization=\"{}\" media=\"{}\">\n          <SegmentTimeline>\n",
        set.timescale,
        set.presentation_time_offset,
        set.start_number,
        escape(&set.initialization),
        escape(&set.media)
    ));
    for segment in &set.segments {
        out.push_str(&format!(
            "            <S t=\"{}\" d=\"{}\"",
            segment.start, segment.duration
        ));
        if let Some(number) = &segment.fragment_number {
            out.push_str(&format!(" kvs:fn=\"{}\"", escape(number)));
        }
        if let Some(time) = segment.timestamp {
            out.push_str(&format!(" kvs:ts=\"{}\"", time.to_iso8601()));
        }
        out.push_str("/>\n");
    }
    out.push_str(
        "          </SegmentTimeline>\n        </SegmentTemplate>\n      </Representation>\n    </AdaptationSet>\n",
    );
}

/// An xs:duration of whole milliseconds: `PT12.345S`.
fn duration(ms: u64) -> String {
    format!("PT{}.{:03}S", ms / 1000, ms % 1000)
}

/// XML attribute text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_escaped_and_durations_exact() {
        assert_eq!(escape("a?b=1&c=\"2\""), "a?b=1&amp;c=&quot;2&quot;");
        assert_eq!(duration(12_345), "PT12.345S");
        assert_eq!(duration(7), "PT0.007S");
    }
}
