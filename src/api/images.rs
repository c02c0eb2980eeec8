//! GetImages (spec §1.7, open question 14): stills of track 1 at one slot every SamplingInterval
//! from StartTimestamp, each the last frame whose presentation time is at or before the slot,
//! decoded from its fragment's keyframe; paged with an opaque NextToken.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use rayon::prelude::*;

use crate::archive::{Archive, Selection, TimestampKind};
use crate::codec::CodecConfig;
use crate::error::ApiError;
pub use crate::images::Libraries;
use crate::images::picture::{self, ImageFormat};
use crate::images::{Decoded, Yuv420, decode_wanted};
use crate::mkv::Fragment;
use crate::model::sample::Sample;
use crate::shapes::{Validation, epoch_seconds};
use crate::time::{Nanos, UnixMillis};
use crate::timeline::{self, DISCONTINUITY_THRESHOLD};

/// End − Start may be at most 300 s (spec §1.7).
const MAX_RANGE_MS: u64 = 300_000;
/// The smallest SamplingInterval, ms (spec §1.7).
const MIN_INTERVAL_MS: i64 = 200;
/// Choice: SamplingInterval is optional in the current model with no documented default; 3000 ms,
/// the older models' minimum, is used when it is absent.
const DEFAULT_INTERVAL_MS: u64 = 3000;
/// Choice (spec §1.7, conflicting documentation): a page holds at most 25 images; MaxResults
/// (1–100) lowers that, a larger one still gives pages of 25 ("a larger value still yields pages
/// of 25"), and NextToken leads to the rest.
const PAGE_SIZE: usize = 25;
/// ImageContent may hold at most this many base64 characters (spec §1.7).
pub const MAX_IMAGE_CONTENT: usize = 6_291_456;
/// The track GetImages reads (spec §1.7: track 1 must be video).
const TRACK: u64 = 1;

/// ImageSelectorType.
pub type ImageSelectorType = TimestampKind;

/// Format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    /// JPEG.
    #[serde(rename = "JPEG")]
    Jpeg,
    /// PNG.
    #[serde(rename = "PNG")]
    Png,
}

/// The GetImages request (spec §1.7), as the service's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GetImagesInput {
    /// StreamName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_name: Option<String>,
    /// StreamARN.
    #[serde(default, rename = "StreamARN", skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    /// ImageSelectorType.
    pub image_selector_type: ImageSelectorType,
    /// StartTimestamp.
    #[serde(with = "epoch_seconds")]
    pub start_timestamp: UnixMillis,
    /// EndTimestamp.
    #[serde(with = "epoch_seconds")]
    pub end_timestamp: UnixMillis,
    /// SamplingInterval, ms (at least 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling_interval: Option<i64>,
    /// Format.
    pub format: Format,
    /// FormatConfig: `{"JPEGQuality": "1".."100"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_config: Option<BTreeMap<String, String>>,
    /// WidthPixels (1–3840).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width_pixels: Option<i64>,
    /// HeightPixels (1–2160).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_pixels: Option<i64>,
    /// MaxResults (1–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    /// NextToken of a previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// The GetImages response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetImagesOutput {
    /// Images, one per slot of the page, in time order.
    pub images: Vec<Image>,
    /// NextToken, when slots remain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// TimeStamp (capital S, as the service): the slot's time.
    #[serde(rename = "TimeStamp", with = "epoch_seconds")]
    pub time_stamp: UnixMillis,
    /// Error: why there is no image.
    #[serde(rename = "Error", default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ImageError>,
    /// ImageContent: the image, base64.
    #[serde(
        rename = "ImageContent",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub image_content: Option<String>,
    /// Beyond the service, never serialized: why there is no image (`get-images --verbose`).
    #[serde(skip)]
    pub reason: Option<String>,
}

/// ImageError.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageError {
    /// No selected fragment has media at the slot.
    #[serde(rename = "NO_MEDIA")]
    NoMedia,
    /// The media there cannot be made an image (track 1 not video, not decodable, too large).
    #[serde(rename = "MEDIA_ERROR")]
    MediaError,
}

impl ImageError {
    /// The service's name: `NO_MEDIA` or `MEDIA_ERROR`.
    pub fn name(self) -> &'static str {
        match self {
            ImageError::NoMedia => "NO_MEDIA",
            ImageError::MediaError => "MEDIA_ERROR",
        }
    }
}

/// The checked request.
struct Request {
    kind: TimestampKind,
    start: UnixMillis,
    slots: usize,
    interval: u64,
    format: ImageFormat,
    size: (Option<u32>, Option<u32>),
    libraries: Libraries,
    first: usize,
    page: usize,
    fingerprint: [u8; 8],
}

/// GetImages over `archive` (spec §1.7).
///
/// Choices (spec §9.14): fragments are selected by start time in [StartTimestamp, EndTimestamp]
/// (a Start inside a fragment leaves it out, as the service does); a slot belongs to the latest
/// selected fragment starting at or before it and gets its last frame whose presentation time is
/// at or before the slot, if the fragment's frames reach the slot (to the end of its last frame,
/// or to the next fragment's start when no more than 50 ms lie between), else NO_MEDIA — never a
/// frame from before a gap. Only the frames up to the last one a slot needs are decoded, from
/// the keyframe before the first one needed. Track 1 not video or not decodable, or its fragment's
/// blocks damaged: MEDIA_ERROR. An image whose base64 exceeds 6,291,456 characters is MEDIA_ERROR.
///
/// # Errors
/// InvalidArgumentException for a value outside the model's constraints, End before Start, a range
/// over 300 s, a FormatConfig other than `JPEGQuality` 1–100, or a NextToken not of this request;
/// ResourceNotFoundException or InternalFailure when an input went away or changed since it was
/// indexed. A fragment whose blocks are damaged is its slots' MEDIA_ERROR, not an error.
pub fn get_images(archive: &Archive, input: &GetImagesInput) -> Result<GetImagesOutput, ApiError> {
    get_images_with(archive, input, ImagesOptions::default())
}

/// Options beyond the service (all off: the service's behaviour).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImagesOptions {
    /// `--fill-from-previous-keyframe`: a slot belongs to the latest fragment of the archive
    /// starting at or before it, also one starting before StartTimestamp, and shows that
    /// fragment's last frame at or before the slot even where the slot lies in a gap after it, so
    /// every slot from the archive's first frame to its last gets an image.
    pub fill_from_previous_keyframe: bool,
    /// Every slot from the first (or NextToken's) through the last in one response without a
    /// NextToken, MaxResults aside: what a caller that would fetch every page gets at once, with
    /// each GOP decoded once where pages split by a page boundary would decode it twice.
    pub all_pages: bool,
    /// Which libraries decode and encode ([`Libraries::Best`] unless a caller, such as the test
    /// of the built-in ones in a build with the features, asks otherwise).
    pub libraries: Libraries,
}

/// [`get_images`] with `options`.
///
/// # Errors
/// As [`get_images`].
pub fn get_images_with(
    archive: &Archive,
    input: &GetImagesInput,
    options: ImagesOptions,
) -> Result<GetImagesOutput, ApiError> {
    let mut request = validate(input)?;
    request.libraries = options.libraries;
    if options.all_pages {
        request.page = request.slots - request.first;
    }
    let index = archive.index();
    let fill = options.fill_from_previous_keyframe;
    let selected = index.select(&Selection {
        kind: request.kind,
        start: (!fill).then_some(input.start_timestamp),
        end: Some(input.end_timestamp),
    });
    let archive_all = index.select(&Selection {
        kind: request.kind,
        start: None,
        end: None,
    });
    let archive_last = archive_all.last().copied();
    let timestamp = |p: usize| {
        index
            .get(p)
            .and_then(|f| f.timestamp(request.kind))
            .expect("selected by it")
    };
    let all_starts: Vec<UnixMillis> = archive_all.iter().map(|&p| timestamp(p)).collect();
    // The producer timestamp of the archive's fragment after one starting at `start`.
    let following = |start: UnixMillis| {
        let next = archive_all.get(all_starts.partition_point(|&s| s <= start))?;
        index.get(*next)?.producer_timestamp
    };
    let starts: Vec<UnixMillis> = selected.iter().map(|&p| timestamp(p)).collect();
    let last = request.first + request.page;
    let times: Vec<UnixMillis> = (request.first..last)
        .map(|k| UnixMillis(request.start.0 + k as u64 * request.interval))
        .collect();
    // The selected fragment each slot falls in, by start time.
    let owners: Vec<Option<usize>> = times
        .iter()
        .map(|t| starts.partition_point(|s| s <= t).checked_sub(1))
        .collect();
    let mut wanted: Vec<usize> = owners.iter().flatten().copied().collect();
    wanted.dedup();
    let before = match starts.first() {
        None => "no fragment starts between StartTimestamp and EndTimestamp",
        Some(_) if fill => "before the archive's first fragment",
        Some(_) => {
            "before the first fragment starting in the range (one starting before \
             StartTimestamp is left out, as the service does)"
        }
    };
    let mut images: Vec<Image> = times
        .iter()
        .map(|&time_stamp| Image {
            time_stamp,
            error: Some(ImageError::NoMedia),
            image_content: None,
            reason: Some(before.to_owned()),
        })
        .collect();
    let mut jobs = Vec::with_capacity(wanted.len());
    for &fragment in &wanted {
        let slots: Vec<usize> = (0..images.len())
            .filter(|&s| owners[s] == Some(fragment))
            .collect();
        let plan = match archive.read(selected[fragment]) {
            Ok(current) => {
                let targets: Vec<u64> = slots
                    .iter()
                    .map(|&s| times[s].0.saturating_sub(starts[fragment].0))
                    .collect();
                // Filling, only the archive's last fragment ends where its frames do.
                let open_ended = fill && Some(selected[fragment]) != archive_last;
                let next = following(starts[fragment]);
                plan(&current, &targets, open_ended, next)
            }
            // Choice: damage that reading a fragment's blocks finds (the index's header walk
            // passed it: a bad block, a Cluster CRC-32 mismatch) makes that fragment's slots
            // MEDIA_ERROR ("the image could not be produced"), with the reader's message and
            // offset as the reason: GetImages has no InvalidMediaFrameException (spec §3.1), and
            // one damaged fragment does not cost the images of the others. An input that went
            // away or changed since it was indexed fails the request (a local failure).
            Err(error @ ApiError::Media { .. }) => Plan::Each(
                slots
                    .iter()
                    .map(|_| Err((ImageError::MediaError, error.message())))
                    .collect(),
            ),
            Err(error) => return Err(error),
        };
        jobs.push((slots, plan));
    }
    // Choice (issue 13): fragments decode in parallel on rayon's pool, the only threads of the
    // library; results are placed by slot, so the order stays by time.
    let made: Vec<Vec<Made>> = jobs
        .par_iter()
        .map(|(_, plan)| make(plan, &request))
        .collect();
    for ((slots, _), made) in jobs.iter().zip(made) {
        for (slot, result) in slots.iter().zip(made) {
            let image = &mut images[*slot];
            match result {
                Ok(content) => {
                    image.error = None;
                    image.image_content = Some(content);
                    image.reason = None;
                }
                Err((error, reason)) => {
                    image.error = Some(error);
                    image.reason = Some(reason);
                }
            }
        }
    }
    Ok(GetImagesOutput {
        images,
        next_token: (last < request.slots).then(|| token(last, &request.fingerprint)),
    })
}

/// One slot's outcome: the base64 image, or the error and why.
type Made = Result<String, (ImageError, String)>;

/// What one fragment's slots need.
enum Plan {
    /// Every slot gets the same outcome (no media, or track 1 unusable), one per slot.
    Each(Vec<Made>),
    /// Decode: per slot, the index of the sample it shows, if any.
    Decode {
        /// Track 1's configuration.
        codec: CodecConfig,
        /// Track 1's samples in decode order.
        samples: Vec<Sample>,
        /// Per slot, the sample it shows.
        chosen: Vec<Option<usize>>,
        /// Why a slot without a sample has none.
        gap: String,
    },
}

/// The plan for slots at `targets` (ms after the fragment's start) in `fragment`: each
/// slot shows the fragment's last frame by presentation time at or before it, measured from the
/// fragment's producer timestamp (where its frame times count from, spec §7.1), if the frames
/// reach the slot (or always, when `open_ended`). `following` is the producer timestamp of the
/// archive's next fragment.
///
/// Choice (issue 13: a slot inside a gap is NO_MEDIA, never the last frame before it): the frames
/// reach to the end of the last one by its own duration (DefaultDuration, else the frame before's),
/// and on to the next fragment's start when that follows within
/// [`timeline::DISCONTINUITY_THRESHOLD`] (a hole no player shows as a break); a longer hole is a
/// gap, however short. (A clip holds the last frame over holes up to 20 s: there the frame is
/// played, here a still would be stamped with a time its picture is not from.)
fn plan(
    fragment: &Fragment,
    targets: &[u64],
    open_ended: bool,
    following: Option<UnixMillis>,
) -> Plan {
    let each = |error: ImageError, reason: String| {
        Plan::Each(
            targets
                .iter()
                .map(|_| Err((error, reason.clone())))
                .collect(),
        )
    };
    let number = &fragment.number;
    let Some(entry) = fragment.tracks.get(TRACK) else {
        return each(
            ImageError::MediaError,
            format!("fragment {number} has no track 1"),
        );
    };
    let info = match timeline::track_info(entry) {
        Ok(info) => info,
        Err(error) => return each(ImageError::MediaError, error.to_string()),
    };
    // Without the next fragment: the last frame keeps its own duration.
    let own = timeline::Window {
        previous: None,
        current: fragment,
        next: None,
    };
    let samples = match timeline::samples(&own, TRACK) {
        Ok(samples) => samples,
        Err(error) => return each(ImageError::MediaError, error.to_string()),
    };
    let gap = format!("after the frames of fragment {number} (a gap or the end follows)");
    let millis = |t: u64| i64::try_from(t).ok().and_then(Nanos::from_millis);
    let Some(media_start) = fragment
        .producer_timestamp
        .and_then(|t| millis(t.0))
        .or_else(|| samples.iter().map(|s| s.pts).min())
    else {
        return each(
            ImageError::NoMedia,
            format!("fragment {number} has no frames"),
        );
    };
    let own_end = samples
        .iter()
        .filter_map(|s| s.pts.checked_add(s.duration))
        .max();
    let end = match (own_end, following.and_then(|t| millis(t.0))) {
        (Some(end), Some(next))
            if next
                .checked_sub(end)
                .is_some_and(|hole| hole >= Nanos::ZERO && hole <= DISCONTINUITY_THRESHOLD) =>
        {
            Some(next)
        }
        (end, _) => end,
    };
    let chosen: Vec<Option<usize>> = targets
        .iter()
        .map(|&offset| {
            let target = media_start.checked_add(millis(offset)?)?;
            if !open_ended && end.is_none_or(|end| target >= end) {
                return None;
            }
            samples
                .iter()
                .enumerate()
                .filter(|(_, s)| s.pts <= target)
                .max_by_key(|(_, s)| s.pts)
                .map(|(i, _)| i)
        })
        .collect();
    if chosen.iter().all(Option::is_none) {
        return each(ImageError::NoMedia, gap);
    }
    if !info.is_video() {
        let reason = format!(
            "track 1 of fragment {number} is {}, not video",
            entry.codec_id
        );
        return Plan::Each(
            chosen
                .iter()
                .map(|c| match c {
                    Some(_) => Err((ImageError::MediaError, reason.clone())),
                    None => Err((ImageError::NoMedia, gap.clone())),
                })
                .collect(),
        );
    }
    Plan::Decode {
        codec: info.codec,
        samples,
        chosen,
        gap,
    }
}

/// The outcomes of a plan: the needed frames decoded once, each chosen picture encoded once.
fn make(plan: &Plan, request: &Request) -> Vec<Made> {
    let (codec, samples, chosen, gap) = match plan {
        Plan::Each(made) => return made.clone(),
        Plan::Decode {
            codec,
            samples,
            chosen,
            gap,
        } => (codec, samples, chosen, gap),
    };
    let no_media = || Err((ImageError::NoMedia, gap.clone()));
    let wanted: Vec<usize> = chosen.iter().flatten().copied().collect();
    let Decoded {
        mut pictures,
        failure,
    } = match decode_wanted(codec, samples, &wanted, request.libraries) {
        Ok(decoded) => decoded,
        Err(error) => {
            let media_error = Err((ImageError::MediaError, error.to_string()));
            return chosen
                .iter()
                .map(|c| c.map_or_else(no_media, |_| media_error.clone()))
                .collect();
        }
    };
    let mut encoded: HashMap<usize, Made> = HashMap::new();
    chosen
        .iter()
        .map(|c| {
            let Some(sample) = *c else {
                return no_media();
            };
            encoded
                .entry(sample)
                .or_insert_with(|| {
                    let picture = pictures.remove(&sample).ok_or_else(|| {
                        let reason = failure.as_ref().map_or_else(
                            || "the decoder gave no picture for the frame".to_owned(),
                            ToString::to_string,
                        );
                        (ImageError::MediaError, reason)
                    })?;
                    image_content(picture, request)
                        .map_err(|reason| (ImageError::MediaError, reason))
                })
                .clone()
        })
        .collect()
}

/// The base64 ImageContent of `picture` as the request asks, or why it cannot be made (it
/// exceeds [`MAX_IMAGE_CONTENT`], or encoding fails).
fn image_content(picture: Yuv420, request: &Request) -> Result<String, String> {
    let size = picture::target_size(
        (picture.width, picture.height),
        request.size.0,
        request.size.1,
    );
    let bytes = picture::encode(picture, size, request.format, request.libraries)
        .map_err(|e| e.to_string())?;
    let content = base64::engine::general_purpose::STANDARD.encode(bytes);
    if content.len() > MAX_IMAGE_CONTENT {
        return Err(format!(
            "the image's base64 is {} characters, over the service's {MAX_IMAGE_CONTENT}",
            content.len()
        ));
    }
    Ok(content)
}

/// Checks `input` as the service does (spec §1.7, §4.1).
fn validate(input: &GetImagesInput) -> Result<Request, ApiError> {
    let mut validation = Validation::new();
    if let Some(interval) = input.sampling_interval {
        validation.check(
            interval >= MIN_INTERVAL_MS,
            interval,
            "samplingInterval",
            "have value greater than or equal to 200",
        );
    }
    if let Some(width) = input.width_pixels {
        validation.check(
            (1..=3840).contains(&width),
            width,
            "widthPixels",
            "have value between 1 and 3840",
        );
    }
    if let Some(height) = input.height_pixels {
        validation.check(
            (1..=2160).contains(&height),
            height,
            "heightPixels",
            "have value between 1 and 2160",
        );
    }
    if let Some(max) = input.max_results {
        validation.check(
            (1..=100).contains(&max),
            max,
            "maxResults",
            "have value between 1 and 100",
        );
    }
    if let Some(config) = &input.format_config {
        validation.check(
            config.len() == 1,
            config.len(),
            "formatConfig",
            "have length between 1 and 1",
        );
        for (key, value) in config {
            validation.check(
                key == "JPEGQuality",
                key,
                "formatConfig.key",
                "satisfy enum value set: [JPEGQuality]",
            );
            validation.check(
                value.len() <= 256
                    && !value.is_empty()
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                value,
                "formatConfig.value",
                "satisfy regular expression pattern: ^[a-zA-Z_0-9]+",
            );
        }
    }
    validation.finish()?;
    let invalid = |message: String| ApiError::InvalidArgument { message };
    let (start, end) = (input.start_timestamp, input.end_timestamp);
    if end < start {
        return Err(invalid(
            "EndTimestamp must be equal to or after StartTimestamp".into(),
        ));
    }
    let span = end.0 - start.0;
    if span > MAX_RANGE_MS {
        return Err(invalid(
            "The time range between StartTimestamp and EndTimestamp must not exceed 300 seconds"
                .into(),
        ));
    }
    let quality = match input
        .format_config
        .as_ref()
        .and_then(|c| c.get("JPEGQuality"))
    {
        None => 80,
        Some(text) => text
            .parse::<u8>()
            .ok()
            .filter(|q| (1..=100).contains(q))
            .ok_or_else(|| {
                invalid(format!(
                    "JPEGQuality {text} is not an integer from 1 to 100"
                ))
            })?,
    };
    let interval = input
        .sampling_interval
        .map_or(DEFAULT_INTERVAL_MS, |i| i.unsigned_abs());
    // span ≤ 300 000 and interval ≥ 200: at most 1501 slots.
    let slots = if span < interval {
        1
    } else {
        (span / interval) as usize + 1
    };
    let fingerprint = fingerprint(input, interval);
    let first = match &input.next_token {
        None => 0,
        Some(text) => from_token(text, &fingerprint)
            .filter(|&first| first < slots)
            .ok_or_else(|| invalid("NextToken is not a token of this request".into()))?,
    };
    let page = input
        .max_results
        .map_or(PAGE_SIZE, |m| (m as usize).min(PAGE_SIZE))
        .min(slots - first);
    let pixels = |value: Option<i64>| value.and_then(|v| u32::try_from(v).ok());
    Ok(Request {
        kind: input.image_selector_type,
        start,
        slots,
        interval,
        format: match input.format {
            Format::Jpeg => ImageFormat::Jpeg { quality },
            Format::Png => ImageFormat::Png,
        },
        size: (pixels(input.width_pixels), pixels(input.height_pixels)),
        libraries: Libraries::default(),
        first,
        page,
        fingerprint,
    })
}

/// What a NextToken is bound to: the stream, selector, range and interval of its request.
fn fingerprint(input: &GetImagesInput, interval: u64) -> [u8; 8] {
    let text = format!(
        "{:?}|{:?}|{:?}|{}|{}|{interval}",
        input.stream_name,
        input.stream_arn,
        input.image_selector_type,
        input.start_timestamp.0,
        input.end_timestamp.0
    );
    let digest = Sha256::digest(text.as_bytes());
    let mut out = [0; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

/// Token version byte.
const TOKEN_VERSION: u8 = 1;

/// NextToken: version, next slot (u32 big-endian), request fingerprint; URL-safe base64.
fn token(next: usize, fingerprint: &[u8; 8]) -> String {
    let mut bytes = vec![TOKEN_VERSION];
    bytes.extend_from_slice(&u32::try_from(next).unwrap_or(u32::MAX).to_be_bytes());
    bytes.extend_from_slice(fingerprint);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The next slot a token names, if it is one of this request's.
fn from_token(text: &str, fingerprint: &[u8; 8]) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let (&version, rest) = bytes.split_first()?;
    let (next, bound) = rest.split_first_chunk::<4>()?;
    (version == TOKEN_VERSION && bound == fingerprint)
        .then(|| usize::try_from(u32::from_be_bytes(*next)).ok())
        .flatten()
}
