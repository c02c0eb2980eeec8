//! GetImages (spec §1.7) against ffmpeg: each image, decoded by the `image` crate, has the luma of
//! the frame ffmpeg decodes from the source under the same rule (the last frame whose pts is at or
//! before the slot): PSNR ≥ 40 dB for PNG at source size, ≥ 30 dB for JPEG quality 80 and for
//! scaled images against ffmpeg's Lanczos scaling. Slots, NO_MEDIA, MEDIA_ERROR, paging and the
//! service's validation errors are checked against the request's own arithmetic. Where the
//! libraries matter, each test runs with each set this build has ([`Libraries::in_this_build`]:
//! the built-in OpenH264 and jpeg-encoder, and with the features libavcodec and libjpeg-turbo).

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use kvs_remux::api::images::{
    Format, GetImagesInput, GetImagesOutput, ImageError, ImagesOptions, Libraries, get_images,
    get_images_with,
};
use kvs_remux::archive::TimestampKind;
use kvs_remux::{Archive, UnixMillis};

/// H.264 fixtures: Baseline, High with B-frames and AAC, an odd cropped size.
const H264: [&str; 3] = ["h264-baseline", "h264-high-aac", "h264-cropped"];

/// A request over `[start, end]` ms, producer time, every `interval` ms.
fn request(start: u64, end: u64, interval: i64, format: Format) -> GetImagesInput {
    GetImagesInput {
        stream_name: Some("s".into()),
        stream_arn: None,
        image_selector_type: TimestampKind::Producer,
        start_timestamp: UnixMillis(start),
        end_timestamp: UnixMillis(end),
        sampling_interval: Some(interval),
        format,
        format_config: None,
        width_pixels: None,
        height_pixels: None,
        max_results: Some(100),
        next_token: None,
    }
}

/// The producer timestamp of the archive's first media fragment, ms.
fn first_producer_ms(archive: &Archive) -> u64 {
    let index = archive.index();
    index
        .get(index.media()[0])
        .unwrap()
        .producer_timestamp
        .unwrap()
        .0
}

/// Every page of `input`.
fn all_pages(archive: &Archive, input: GetImagesInput) -> GetImagesOutput {
    all_pages_with(archive, input, ImagesOptions::default())
}

/// Every page of `input` with `options`.
fn all_pages_with(
    archive: &Archive,
    mut input: GetImagesInput,
    options: ImagesOptions,
) -> GetImagesOutput {
    let mut out = get_images_with(archive, &input, options).unwrap();
    while let Some(token) = out.next_token.take() {
        input.next_token = Some(token);
        let page = get_images_with(archive, &input, options).unwrap();
        out.images.extend(page.images);
        out.next_token = page.next_token;
    }
    out
}

/// The source's video frames as ffmpeg decodes them: (pts in ms, RGB24 bytes), in presentation
/// order, scaled to `size` with Lanczos when given. The fixtures' Cluster times count from the
/// stream's producer epoch, so pts are moved to start at `first` (the first fragment's producer
/// timestamp).
fn ffmpeg_frames(
    source: &Path,
    size: Option<(u32, u32)>,
    first: u64,
) -> (u32, u32, Vec<(u64, Vec<u8>)>) {
    let (w, h) = size.unwrap_or_else(|| archive_size(source));
    let mut ffprobe = support::tool("ffprobe").unwrap();
    ffprobe
        .args(["-v", "error", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "frame=best_effort_timestamp_time",
            "-of",
            "csv=p=0",
        ])
        .arg(source);
    let times: Vec<u64> = support::run(ffprobe)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse::<f64>().ok())
        .map(|s| (s * 1000.0).round() as u64)
        .collect();
    let earliest = *times.iter().min().unwrap();
    let times: Vec<u64> = times.iter().map(|t| t - earliest + first).collect();
    let mut ffmpeg = support::tool("ffmpeg").unwrap();
    ffmpeg
        .args(["-v", "error", "-i"])
        .arg(source)
        .args(["-map", "0:v:0", "-fps_mode", "passthrough"])
        .args(["-vf", &format!("scale={w}:{h}:flags=lanczos")])
        .args(["-pix_fmt", "rgb24", "-f", "rawvideo", "-"]);
    let output = ffmpeg.output().unwrap();
    assert!(output.status.success());
    let frame = (w * h * 3) as usize;
    assert_eq!(
        output.stdout.len(),
        frame * times.len(),
        "{source:?}: frames"
    );
    let frames = times
        .into_iter()
        .zip(output.stdout.chunks(frame).map(<[u8]>::to_vec))
        .collect();
    (w, h, frames)
}

/// Luma (BT.601) PSNR of two RGB24 pictures of the same size.
fn luma_psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let luma =
        |p: &[u8]| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]);
    let mse = a
        .chunks(3)
        .zip(b.chunks(3))
        .map(|(x, y)| (luma(x) - luma(y)).powi(2))
        .sum::<f64>()
        / (a.len() / 3) as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64.powi(2) / mse).log10()
    }
}

/// Options that select `libraries`.
fn with(libraries: Libraries) -> ImagesOptions {
    ImagesOptions {
        libraries,
        ..ImagesOptions::default()
    }
}

/// Options that select each set of libraries of this build.
fn each_library() -> Vec<ImagesOptions> {
    Libraries::in_this_build()
        .iter()
        .map(|&libraries| with(libraries))
        .collect()
}

/// Every image of every H.264 fixture (and H.265 where libavcodec decodes) at 250 ms over its
/// whole span, PNG at source size, JPEG at quality 80 and PNG at width 160: each the frame
/// ffmpeg picks, by luma PSNR.
#[test]
fn images_are_the_frames_ffmpeg_decodes() {
    if support::tool("ffmpeg").is_none() {
        return;
    }
    for &libraries in Libraries::in_this_build() {
        if libraries.decode_with_libavcodec() {
            let name = "h265-main-aac";
            check_against_ffmpeg(name, &support::fixture(name), 250, &[with(libraries)]);
        }
    }
    for name in H264 {
        check_against_ffmpeg(name, &support::fixture(name), 250, &each_library());
    }
}

/// As [`images_are_the_frames_ffmpeg_decodes`], on every whole real capture whose track 1 is
/// H.264, at 500 ms.
#[test]
fn real_capture_images_are_the_frames_ffmpeg_decodes() {
    if support::tool("ffmpeg").is_none() {
        return;
    }
    let mut checked = 0;
    for (path, _) in support::whole_kvs_captures() {
        let archive = Archive::open(&path).unwrap();
        let index = archive.index();
        let Some(&first) = index.media().first() else {
            continue;
        };
        let h264 = index
            .get(first)
            .unwrap()
            .tracks
            .entries
            .first()
            .is_some_and(|t| t.number == 1 && t.codec_id == "V_MPEG4/ISO/AVC");
        if h264 {
            check_against_ffmpeg(&path.display().to_string(), &path, 500, &each_library());
            checked += 1;
        }
    }
    assert!(checked > 0 || support::real_mkv_files().is_empty());
}

/// Real captures OpenH264 cannot decode past their first frame: the Kinesis renderer sample's
/// frame_num jumps from 0 to 2 after each IDR with gaps_in_frame_num_allowed_flag 0, which
/// OpenH264 reports as a lost reference (and gives no picture for the rest of the GOP) where
/// ffmpeg conceals it. Their images are the keyframes' and MEDIA_ERROR naming the lost reference
/// elsewhere. libavcodec (feature `ffmpeg`) conceals as ffmpeg does and they are whole.
const OPENH264_REFUSES: [&str; 1] = ["kinesis_video_renderer_example_output.mkv"];

/// Whether OpenH264 decodes with `libraries`, and refuses source `name`.
fn refused(name: &str, libraries: Libraries) -> bool {
    !libraries.decode_with_libavcodec()
        && OPENH264_REFUSES
            .iter()
            .any(|refused| name.ends_with(refused))
}

/// The bundled sample (a GOP per fragment, broken for OpenH264 after its keyframe): a slot on
/// each fragment's keyframe has its image even when a later slot of the same fragment needs a
/// frame OpenH264 refuses (it used to cost the whole fragment); that later slot is MEDIA_ERROR
/// naming the lost reference, or an image where libavcodec decodes (feature `ffmpeg`).
#[test]
fn keyframes_of_a_broken_gop_have_their_images() {
    let archive = Archive::open(&support::sample()).unwrap();
    let start = first_producer_ms(&archive);
    for &libraries in Libraries::in_this_build() {
        // Fragments start every 1999–2000 ms: a slot every 1000 ms is 0–3 ms after each
        // keyframe (30 frames a second), then in the middle of its GOP.
        let out = all_pages_with(
            &archive,
            request(start, start + 14_000, 1000, Format::Jpeg),
            with(libraries),
        );
        assert_eq!(out.images.len(), 15);
        for (k, image) in out.images.iter().enumerate() {
            let reason = image.reason.as_deref().unwrap_or_default();
            if k % 2 == 0 || libraries.decode_with_libavcodec() {
                assert!(
                    image.image_content.is_some(),
                    "{libraries:?} slot {k}: {reason}"
                );
            } else {
                assert_eq!(image.error, Some(ImageError::MediaError), "slot {k}");
                assert!(
                    reason.contains("reference frame lost"),
                    "slot {k}: {reason}"
                );
            }
        }
    }
}

/// One source's images at every `interval` ms over its first 300 s, with each of `choices`,
/// against ffmpeg's frames.
fn check_against_ffmpeg(name: &str, source: &Path, interval: i64, choices: &[ImagesOptions]) {
    let archive = Archive::open(source).unwrap();
    let first = first_producer_ms(&archive);
    let cases: [(Format, Option<u32>, f64); 3] = [
        (Format::Png, None, 40.0),
        (Format::Jpeg, None, 30.0),
        (Format::Png, Some(160), 30.0),
    ];
    // ffmpeg's frames at the size last asked: the cases at source size and every choice of
    // options share one decode.
    let mut frames_at = None;
    let runs = cases
        .into_iter()
        .flat_map(|case| choices.iter().map(move |&options| (case, options)));
    for ((format, width, threshold), options) in runs {
        let mut input = request(first, first + 300_000, interval, format);
        input.width_pixels = width.map(i64::from);
        let out = all_pages_with(&archive, input, options);
        let size = width.map(|w| {
            let (sw, sh) = archive_size(source);
            (
                w,
                ((u64::from(w) * u64::from(sh) + u64::from(sw) / 2) / u64::from(sw)) as u32,
            )
        });
        if frames_at.as_ref().is_none_or(|(at, _)| *at != size) {
            frames_at = Some((size, ffmpeg_frames(source, size, first)));
        }
        let (_, (w, h, frames)) = frames_at.as_ref().unwrap();
        let (w, h) = (*w, *h);
        for image in &out.images {
            let Some(content) = &image.image_content else {
                continue;
            };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(content)
                .unwrap();
            let decoded = image::load_from_memory(&bytes).unwrap().to_rgb8();
            assert_eq!((decoded.width(), decoded.height()), (w, h), "{name}");
            let (pts, expected) = frames
                .iter()
                .filter(|(pts, _)| *pts <= image.time_stamp.0)
                .max_by_key(|(pts, _)| *pts)
                .expect("a frame at or before an image's slot");
            let psnr = luma_psnr(decoded.as_raw(), expected);
            // Not a neighbouring frame: the ones before and after match worse (unless the source
            // repeats the picture there: ffmpeg conceals the renderer sample's missing frames
            // with copies, and copies cannot be told apart).
            let at = frames.iter().position(|(p, _)| p == pts).unwrap();
            for neighbour in [at.checked_sub(1), Some(at + 1)].into_iter().flatten() {
                if let Some((other, frame)) = frames.get(neighbour)
                    && luma_psnr(expected, frame) < 50.0
                {
                    let worse = luma_psnr(decoded.as_raw(), frame);
                    assert!(
                        worse < psnr,
                        "{name}: frame {other} matches as well ({worse:.1} dB)"
                    );
                }
            }
            assert!(
                psnr >= threshold,
                "{name} {format:?} {width:?}: slot {} (frame {pts}) luma PSNR {psnr:.1} dB",
                image.time_stamp.0
            );
        }
        // Every slot from the first fragment's start to the last frame has an image, except in
        // a gap: where the next frame comes more than a frame interval (the median step) and
        // 50 ms after the one before, a slot past that frame's interval is NO_MEDIA (within 2 ms
        // of where the interval ends, a slot is not judged), unless filling. In a stream OpenH264 refuses, a
        // slot with media it cannot decode is MEDIA_ERROR.
        let pts: Vec<u64> = frames.iter().map(|(pts, _)| *pts).collect();
        let mut steps: Vec<u64> = pts.windows(2).map(|w| w[1] - w[0]).collect();
        steps.sort_unstable();
        let step = steps.get(steps.len() / 2).copied().unwrap_or(0);
        let last = *pts.last().unwrap();
        let mut judged = [0usize; 2];
        for image in out.images.iter().filter(|i| i.time_stamp.0 >= first) {
            let t = image.time_stamp.0;
            if t > last {
                continue;
            }
            let before = pts[pts.partition_point(|&p| p <= t) - 1];
            let hole = pts
                .get(pts.partition_point(|&p| p <= t))
                .is_some_and(|&next| next - before > step + 50);
            // `--fill-from-previous-keyframe` fills the gaps too.
            let fill = options.fill_from_previous_keyframe;
            let in_gap = !fill && hole && t >= before + step + 2;
            let in_stream = fill || !hole || t + 2 <= before + step;
            let has_media = image.image_content.is_some()
                || (refused(name, options.libraries)
                    && image.error == Some(ImageError::MediaError)
                    && image
                        .reason
                        .as_deref()
                        .is_some_and(|r| r.contains("reference frame lost")));
            if in_gap {
                assert_eq!(
                    image.error,
                    Some(ImageError::NoMedia),
                    "{name} {format:?}: slot {t} in a gap after frame {before}"
                );
                judged[0] += 1;
            } else if in_stream {
                assert!(
                    has_media,
                    "{name} {format:?}: slot {t} (frame {before}) has no image: {:?}",
                    image.reason
                );
                judged[1] += 1;
            }
        }
        assert!(judged[1] > 0, "{name}: no slot inside the stream");
        assert!(
            out.images.iter().any(|i| i.image_content.is_some()),
            "{name}: no image"
        );
    }
}

/// `--fill-from-previous-keyframe` (beyond the service) on the 1-h gap fixture: every slot from
/// the first frame on has an image, those in the gap the last frame before it, as ffmpeg's frame
/// at or before the slot; a start inside the first fragment still shows it.
#[test]
fn fill_from_previous_keyframe_fills_gaps() {
    if support::tool("ffmpeg").is_none() {
        return;
    }
    let fill = ImagesOptions {
        fill_from_previous_keyframe: true,
        ..ImagesOptions::default()
    };
    check_against_ffmpeg("gap-1h", &support::fixture("gap-1h"), 1000, &[fill]);
    let archive = Archive::open(&support::fixture("gap-1h")).unwrap();
    let start = first_producer_ms(&archive) + 300;
    let out = all_pages_with(
        &archive,
        request(start, start + 400, 200, Format::Png),
        fill,
    );
    assert!(out.images.iter().all(|i| i.image_content.is_some()));
    let service = all_pages(&archive, request(start, start + 400, 200, Format::Png));
    assert!(
        service
            .images
            .iter()
            .all(|i| i.error == Some(ImageError::NoMedia))
    );
}

/// The source's displayed size, as ffprobe reads it.
fn archive_size(source: &Path) -> (u32, u32) {
    let mut ffprobe = support::tool("ffprobe").unwrap();
    ffprobe
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=width,height", "-of", "csv=p=0"])
        .arg(source);
    let probed = support::run(ffprobe);
    let (w, h) = probed.trim().split_once(',').unwrap();
    (w.parse().unwrap(), h.parse().unwrap())
}

/// Slots every SamplingInterval from Start through End (one at Start for a shorter range);
/// NO_MEDIA before the first fragment, in a gap and after the end, never a repeated frame.
#[test]
fn slots_and_no_media_follow_the_fragments() {
    let archive = Archive::open(&support::fixture("gap-1h")).unwrap();
    let index = archive.index();
    let starts: Vec<u64> = index
        .media()
        .iter()
        .map(|&p| index.get(p).unwrap().producer_timestamp.unwrap().0)
        .collect();
    let first = starts[0];
    let out = all_pages(
        &archive,
        request(first - 1000, first + 5000, 500, Format::Jpeg),
    );
    let times: Vec<u64> = out.images.iter().map(|i| i.time_stamp.0).collect();
    let expected: Vec<u64> = (0..=12).map(|k| first - 1000 + k * 500).collect();
    assert_eq!(times, expected);
    assert_eq!(out.images[0].error, Some(ImageError::NoMedia));
    assert_eq!(out.images[1].error, Some(ImageError::NoMedia));
    assert!(
        out.images[2].image_content.is_some(),
        "a slot at the first fragment's start"
    );
    let short = get_images(&archive, &request(first, first + 100, 500, Format::Png)).unwrap();
    assert_eq!(short.images.len(), 1);
    assert!(short.images[0].image_content.is_some());
    // In the hour-long gap: NO_MEDIA, not the last frame before it.
    let gap_start = starts.windows(2).find(|w| w[1] - w[0] > 3_000_000).unwrap()[1] - 1_800_000;
    let gap = get_images(
        &archive,
        &request(gap_start, gap_start + 2000, 1000, Format::Png),
    )
    .unwrap();
    assert!(
        gap.images
            .iter()
            .all(|i| i.error == Some(ImageError::NoMedia))
    );
    // Each says why (`--verbose`), never serialized.
    let reason = |image: &kvs_remux::api::images::Image| image.reason.clone().unwrap_or_default();
    assert!(reason(&out.images[0]).starts_with("before the first fragment"));
    assert!(reason(out.images.last().unwrap()).starts_with("after the frames of fragment"));
    assert!(
        gap.images
            .iter()
            .all(|i| reason(i).starts_with("no fragment starts"))
    );
    assert!(
        !serde_json::to_string(&out)
            .unwrap()
            .contains("after the frames")
    );
    // Start inside a fragment leaves that fragment out (spec §1.7): NO_MEDIA until the next one.
    let inside = get_images(
        &archive,
        &request(first + 200, starts[1] + 800, 200, Format::Png),
    )
    .unwrap();
    for image in &inside.images {
        let has = image.image_content.is_some();
        assert_eq!(
            has,
            image.time_stamp.0 >= starts[1],
            "{}",
            image.time_stamp.0
        );
    }
}

/// Pages of at most 25 (MaxResults lowers it); NextToken resumes exactly; a token of another
/// request is InvalidArgumentException.
#[test]
fn pages_resume_exactly() {
    let archive = Archive::open(&support::fixture("h264-baseline")).unwrap();
    let start = first_producer_ms(&archive);
    let whole = all_pages(&archive, request(start, start + 10_000, 200, Format::Jpeg));
    assert_eq!(whole.images.len(), 51);
    let mut input = request(start, start + 10_000, 200, Format::Jpeg);
    input.max_results = None;
    let page = get_images(&archive, &input).unwrap();
    assert_eq!(page.images.len(), 25);
    input.max_results = Some(7);
    let mut pages = Vec::new();
    loop {
        let page = get_images(&archive, &input).unwrap();
        pages.push(page.images.len());
        let Some(token) = page.next_token else { break };
        input.next_token = Some(token);
    }
    assert_eq!(pages, [7, 7, 7, 7, 7, 7, 7, 2]);
    input.next_token = Some(
        get_images(&archive, &request(start, start + 9000, 200, Format::Jpeg))
            .unwrap()
            .next_token
            .unwrap(),
    );
    assert_eq!(
        get_images(&archive, &input).unwrap_err().code(),
        "InvalidArgumentException"
    );
    assert_eq!(
        whole,
        all_pages(&archive, request(start, start + 10_000, 200, Format::Jpeg))
    );
    let mut at_once = request(start, start + 10_000, 200, Format::Jpeg);
    at_once.max_results = Some(3);
    let options = ImagesOptions {
        all_pages: true,
        ..ImagesOptions::default()
    };
    assert_eq!(whole, get_images_with(&archive, &at_once, options).unwrap());
}

/// Track 1 not video (AAC only), and H.265 without a decoder (OpenH264): MEDIA_ERROR per image.
#[test]
fn undecodable_tracks_are_media_errors() {
    for &libraries in Libraries::in_this_build() {
        let names: &[&str] = if libraries.decode_with_libavcodec() {
            &["aac-only"]
        } else {
            &["aac-only", "h265-main-aac"]
        };
        for &name in names {
            let archive = Archive::open(&support::fixture(name)).unwrap();
            let start = first_producer_ms(&archive);
            let input = request(start, start + 2000, 500, Format::Png);
            let out = get_images_with(&archive, &input, with(libraries)).unwrap();
            assert!(!out.images.is_empty());
            assert!(
                out.images
                    .iter()
                    .all(|i| i.error == Some(ImageError::MediaError)),
                "{name} {libraries:?}"
            );
        }
    }
}

/// One flipped byte in a frame in the middle of a real H.264 archive (what a bad disk or a broken
/// copy does): the Cluster's CRC-32 no longer matches, so that fragment's slots are MEDIA_ERROR
/// naming the mismatch; every other slot is exactly what the undamaged archive gives.
#[test]
fn damaged_fragment_is_media_error_of_its_slots_only() {
    let path = support::fixture("h264-baseline");
    let archive = Archive::open(&path).unwrap();
    let start = first_producer_ms(&archive);
    let input = request(start, start + 6000, 500, Format::Jpeg);
    let whole = get_images(&archive, &input).unwrap();
    let index = archive.index();
    let position = index.media()[1];
    let damaged_from = index.get(position).unwrap().producer_timestamp.unwrap().0;
    let damaged_to = index
        .get(index.media()[2])
        .unwrap()
        .producer_timestamp
        .unwrap()
        .0;
    let frame = archive.read(position).unwrap().frames.swap_remove(0);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[usize::try_from(frame.offset).unwrap() + frame.data.len() / 2] ^= 0x10;
    let damaged = Archive::from_bytes(bytes::Bytes::from(bytes)).unwrap();
    let out = get_images(&damaged, &input).unwrap();
    assert_eq!(out.images.len(), whole.images.len());
    let mut hit = 0;
    for (got, want) in out.images.iter().zip(&whole.images) {
        let t = got.time_stamp.0;
        if (damaged_from..damaged_to).contains(&t) {
            hit += 1;
            assert_eq!(got.error, Some(ImageError::MediaError), "{t}");
            let reason = got.reason.as_deref().unwrap_or_default();
            assert!(reason.contains("CRC-32 mismatch"), "{t}: {reason}");
        } else {
            assert_eq!(got, want, "{t}");
        }
    }
    assert!(hit >= 2, "{hit} slots in the damaged fragment");
    let images = out.images.iter().filter(|i| i.image_content.is_some());
    assert!(images.count() >= 4, "{out:?}");
}

/// Every validation of spec §1.7 is InvalidArgumentException.
#[test]
fn validation_errors_name_the_exception() {
    let archive = Archive::open(&support::fixture("h264-baseline")).unwrap();
    let base = request(1_700_000_000_000, 1_700_000_010_000, 1000, Format::Jpeg);
    let bad: Vec<GetImagesInput> = vec![
        GetImagesInput {
            sampling_interval: Some(199),
            ..base.clone()
        },
        GetImagesInput {
            width_pixels: Some(0),
            ..base.clone()
        },
        GetImagesInput {
            width_pixels: Some(3841),
            ..base.clone()
        },
        GetImagesInput {
            height_pixels: Some(2161),
            ..base.clone()
        },
        GetImagesInput {
            max_results: Some(0),
            ..base.clone()
        },
        GetImagesInput {
            max_results: Some(101),
            ..base.clone()
        },
        GetImagesInput {
            end_timestamp: UnixMillis(1_699_999_999_999),
            ..base.clone()
        },
        GetImagesInput {
            end_timestamp: UnixMillis(1_700_000_300_001),
            ..base.clone()
        },
        GetImagesInput {
            next_token: Some("garbage".into()),
            ..base.clone()
        },
        GetImagesInput {
            format_config: Some(BTreeMap::from([("JPEGQuality".into(), "0".into())])),
            ..base.clone()
        },
        GetImagesInput {
            format_config: Some(BTreeMap::from([("Quality".into(), "80".into())])),
            ..base.clone()
        },
        GetImagesInput {
            format_config: Some(BTreeMap::from([("JPEGQuality".into(), "8 0".into())])),
            ..base.clone()
        },
    ];
    for input in bad {
        let error = get_images(&archive, &input).unwrap_err();
        assert_eq!(error.code(), "InvalidArgumentException", "{input:?}");
    }
    let exact = GetImagesInput {
        end_timestamp: UnixMillis(1_700_000_300_000),
        ..base
    };
    assert!(get_images(&archive, &exact).is_ok());
}

/// The CLI: `get-images` prints the service's JSON (TimeStamp in epoch seconds) and writes
/// `<ms>.jpg` files ffprobe opens.
#[test]
fn cli_writes_images_ffprobe_opens() {
    if support::tool("ffprobe").is_none() {
        return;
    }
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("get-images");
    let _ = std::fs::remove_dir_all(&dir);
    let output = Command::new(env!("CARGO_BIN_EXE_kvs-remux"))
        .arg("get-images")
        .arg(support::fixture("h264-high-aac"))
        .args(["--image-selector-type", "PRODUCER_TIMESTAMP"])
        .args([
            "--start-timestamp",
            "2023-11-14T22:13:20.133Z",
            "--end-timestamp",
            "1700000002.133",
        ])
        .args([
            "--sampling-interval",
            "1000",
            "--format",
            "JPEG",
            "--format-config",
            "JPEGQuality=90",
        ])
        .arg("--output-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let stamps: Vec<f64> = json["Images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["TimeStamp"].as_f64().unwrap())
        .collect();
    assert_eq!(
        stamps,
        [1_700_000_000.133, 1_700_000_001.133, 1_700_000_002.133]
    );
    for ms in [1_700_000_000_133u64, 1_700_000_001_133, 1_700_000_002_133] {
        let file = dir.join(format!("{ms}.jpg"));
        let mut ffprobe = support::tool("ffprobe").unwrap();
        ffprobe
            .args([
                "-v",
                "error",
                "-show_entries",
                "stream=codec_name",
                "-of",
                "csv=p=0",
            ])
            .arg(&file);
        assert_eq!(support::run(ffprobe).trim(), "mjpeg");
    }
}

/// H.264 that OpenH264 cannot decode (High 10, High 4:2:2), made by ffmpeg and packed by
/// `kvs-remux pack`: MEDIA_ERROR for every image, no failed request.
#[test]
fn high_bit_depth_and_422_are_media_errors() {
    let Some(_) = support::tool("ffmpeg") else {
        return;
    };
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("images-profiles");
    std::fs::create_dir_all(&dir).unwrap();
    for (pix_fmt, profile) in [("yuv420p10le", "high10"), ("yuv422p", "high422")] {
        let plain = dir.join(format!("{profile}.mkv"));
        let packed = dir.join(format!("{profile}-kvs.mkv"));
        let mut ffmpeg = support::tool("ffmpeg").unwrap();
        ffmpeg
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=320x240:rate=15",
            ])
            .args([
                "-t",
                "2",
                "-c:v",
                "libx264",
                "-pix_fmt",
                pix_fmt,
                "-profile:v",
                profile,
            ])
            .args(["-g", "15"])
            .arg(&plain);
        support::run(ffmpeg);
        let status = Command::new(env!("CARGO_BIN_EXE_kvs-remux"))
            .arg("pack")
            .arg(&plain)
            .arg(&packed)
            .args(["--stream-start", "2023-11-14T22:13:20Z"])
            .status()
            .unwrap();
        assert!(status.success());
        let archive = Archive::open(&packed).unwrap();
        let input = request(1_700_000_000_000, 1_700_000_001_500, 500, Format::Png);
        for &libraries in Libraries::in_this_build() {
            let out = get_images_with(&archive, &input, with(libraries)).unwrap();
            assert_eq!(out.images.len(), 4);
            assert!(
                out.images
                    .iter()
                    .all(|i| i.error == Some(ImageError::MediaError)),
                "{profile} {libraries:?}: {:?}",
                out.images.iter().map(|i| i.error).collect::<Vec<_>>()
            );
        }
    }
}

/// Garbage behind valid length prefixes is the decoder's error or no picture, never a panic,
/// for every decoder of this build and codec it decodes (OpenH264's H.264, libavcodec's H.264
/// and H.265); a length prefix that overruns the frame is a framing error.
#[test]
fn decoders_answer_garbage_with_errors() {
    use kvs_remux::low_level::codec::CodecConfig;
    use kvs_remux::low_level::images::{DecodeError, decoder_for};
    let mut cases = Vec::new();
    for &libraries in Libraries::in_this_build() {
        cases.push(("V_MPEG4/ISO/AVC", "h264-high", libraries));
        cases.push(("V_MPEG4/ISO/AVC", "h264-baseline", libraries));
        if libraries.decode_with_libavcodec() {
            cases.push(("V_MPEGH/ISO/HEVC", "hevc-main", libraries));
        }
    }
    for (codec_id, name, libraries) in cases {
        let cpd = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("testdata/codec/{name}.cpd")),
        )
        .unwrap();
        let codec = CodecConfig::parse(codec_id, Some(&cpd.into())).unwrap();
        let mut decoder = decoder_for(&codec, libraries).unwrap();
        let mut keep = || true;
        let mut state = 0x2545_F491_u32;
        for round in 0..64u32 {
            let length = 1 + (round * 37) % 900;
            let mut frame = length.to_be_bytes().to_vec();
            for _ in 0..length {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                frame.push(state.to_le_bytes()[0]);
            }
            // Ok or Err: the decoder's call; a panic fails the test.
            let _ = decoder.decode(&frame, round % 8 == 0, &mut keep);
        }
        let _ = decoder.flush(&mut keep);
        assert_eq!(
            decoder.decode(&[0, 0, 0, 9, 0x65], true, &mut keep),
            Err(DecodeError::Framing),
            "{name} {libraries:?}"
        );
    }
}

/// JPEG is full-range YCbCr (JFIF): every limited-range level comes back, decoded by the `image`
/// crate, as ffmpeg's range conversion gives it (Y 16 → 0, 235 → 255, (Y − 16) · 255 / 219
/// between), with each encoder this build has (jpeg-encoder, and libjpeg-turbo with the feature).
#[test]
fn jpeg_widens_limited_range_as_ffmpeg_does() {
    use kvs_remux::low_level::images::Yuv420;
    use kvs_remux::low_level::images::picture::{ImageFormat, encode};
    let levels = [0u8, 16, 17, 60, 126, 200, 234, 235, 255];
    let cases = Libraries::in_this_build()
        .iter()
        .flat_map(|&libraries| levels.map(|level| (level, libraries)));
    for (level, libraries) in cases {
        // A flat grey 16x16 picture: quality 100 keeps it exact up to rounding.
        let picture = Yuv420 {
            width: 16,
            height: 16,
            y: vec![level; 256],
            u: vec![128; 64],
            v: vec![128; 64],
        };
        let jpeg = encode(
            picture,
            (16, 16),
            ImageFormat::Jpeg { quality: 100 },
            libraries,
        )
        .unwrap();
        let decoded = image::load_from_memory(&jpeg).unwrap().to_luma8();
        let full = ((i32::from(level) - 16) * 255 + 109)
            .div_euclid(219)
            .clamp(0, 255);
        for &sample in decoded.as_raw() {
            assert!(
                (i32::from(sample) - full).abs() <= 1,
                "{libraries:?} Y {level}: decoded {sample}, expected {full}"
            );
        }
    }
}

/// Track 1's frames of `source` in presentation order: whether each is unreferenced
/// (`FrameRole`, what GetImages may leave undecoded), `None` when track 1 is not H.264 or H.265.
fn unreferenced_by_pts(source: &Path) -> Option<Vec<bool>> {
    use kvs_remux::low_level::timeline::{self, Walk};
    let archive = Archive::open(source).unwrap();
    let mut walk = Walk::new(&archive, archive.index().media().to_vec());
    let mut frames = Vec::new();
    while let Some((_, window)) = walk.next_window().unwrap() {
        let Some(entry) = window.current.tracks.get(1) else {
            continue;
        };
        // H.264 and H.265 only (a capture may hold another codec).
        let codec = timeline::track_info(entry).ok()?.codec;
        for sample in timeline::samples(&window, 1).unwrap() {
            frames.push((sample.pts, codec.frame_role(&sample.data)?.unreferenced));
        }
    }
    frames.sort_by_key(|&(pts, _)| pts);
    Some(
        frames
            .into_iter()
            .map(|(_, unreferenced)| unreferenced)
            .collect(),
    )
}

/// The pts of the video frames ffprobe decodes from `source`, with the decoder option
/// `skip_frame` (`default` decodes every frame, `noref` skips the ones no frame refers to).
fn ffprobe_frame_pts(source: &Path, skip_frame: &str) -> Vec<i64> {
    let mut ffprobe = support::tool("ffprobe").unwrap();
    ffprobe
        .args([
            "-v",
            "error",
            "-skip_frame",
            skip_frame,
            "-select_streams",
            "v:0",
        ])
        .args(["-show_entries", "frame=pts", "-of", "csv=p=0"])
        .arg(source);
    let mut pts: Vec<i64> = support::run(ffprobe)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse().ok())
        .collect();
    pts.sort_unstable();
    pts
}

/// The frames GetImages may leave undecoded (unreferenced, by their NAL headers) are exactly the
/// ones libavcodec skips as non-reference (`-skip_frame noref`), on the B-frame fixtures (and
/// every real capture); and the B-frame fixtures have some.
#[test]
fn unreferenced_frames_are_the_ones_ffmpeg_skips_as_noref() {
    if support::tool("ffprobe").is_none() {
        return;
    }
    let fixtures = ["h264-high-aac", "h265-main-aac"].map(support::fixture);
    let real = support::whole_kvs_captures()
        .into_iter()
        .map(|(path, _)| path);
    for (n, source) in fixtures.into_iter().chain(real).enumerate() {
        let Some(ours) = unreferenced_by_pts(&source).filter(|f| !f.is_empty()) else {
            continue;
        };
        let every = ffprobe_frame_pts(&source, "default");
        let kept = ffprobe_frame_pts(&source, "noref");
        assert_eq!(ours.len(), every.len(), "{source:?}: frames");
        let skipped: Vec<bool> = every
            .iter()
            .map(|t| kept.binary_search(t).is_err())
            .collect();
        assert_eq!(ours, skipped, "{source:?}: unreferenced frames, by pts");
        if n < 2 {
            assert!(ours.contains(&true), "{source:?} has no unreferenced frame");
        }
    }
}

/// Each frame's picture from `decode_wanted` (the frame alone wanted: the run leaves out the
/// unreferenced frames before it) is the picture ffmpeg decodes, on the B-frame fixtures: exactly
/// with the feature `ffmpeg` (libavcodec on both sides; H.265 too). OpenH264 (built in)
/// rounds a few samples of some B-frames differently from libavcodec (up to 24 of 115 200, by
/// at most 1–3, with or without the left-out frames): it must be within 0.1 % of the samples and
/// 3 of each; a frame decoded without a reference it needs is far off.
#[test]
fn pictures_decoded_without_unreferenced_frames_are_ffmpegs() {
    use kvs_remux::low_level::images::decode_wanted;
    use kvs_remux::low_level::timeline::{self, Walk};
    if support::tool("ffmpeg").is_none() {
        return;
    }
    let mut cases = Vec::new();
    for &libraries in Libraries::in_this_build() {
        cases.push(("h264-high-aac", libraries));
        if libraries.decode_with_libavcodec() {
            cases.push(("h265-main-aac", libraries));
        }
    }
    for (name, libraries) in cases {
        let source = support::fixture(name);
        let archive = Archive::open(&source).unwrap();
        let mut walk = Walk::new(&archive, archive.index().media().to_vec());
        let mut ours = Vec::new();
        while let Some((_, window)) = walk.next_window().unwrap() {
            let codec = timeline::track_info(window.current.tracks.get(1).unwrap())
                .unwrap()
                .codec;
            let samples = timeline::samples(&window, 1).unwrap();
            for (i, sample) in samples.iter().enumerate() {
                let mut pictures = decode_wanted(&codec, &samples, &[i], libraries)
                    .unwrap()
                    .pictures;
                let picture = pictures.remove(&i).expect("a picture");
                ours.push((sample.pts, [picture.y, picture.u, picture.v].concat()));
            }
        }
        ours.sort_by_key(|(pts, _)| *pts);
        let mut ffmpeg = support::tool("ffmpeg").unwrap();
        ffmpeg
            .args(["-v", "error", "-i"])
            .arg(&source)
            .args(["-map", "0:v:0", "-fps_mode", "passthrough"])
            .args(["-pix_fmt", "yuv420p", "-f", "rawvideo", "-"]);
        let output = ffmpeg.output().unwrap();
        assert!(output.status.success(), "{name}: ffmpeg");
        let size = ours[0].1.len();
        assert_eq!(output.stdout.len(), size * ours.len(), "{name}: frames");
        for (n, (theirs, (pts, ours))) in output.stdout.chunks(size).zip(&ours).enumerate() {
            let differing = theirs.iter().zip(ours).filter(|(a, b)| a != b).count();
            let most = theirs.iter().zip(ours).map(|(a, b)| a.abs_diff(*b)).max();
            let close = differing * 1000 < size && most <= Some(3);
            assert!(
                differing == 0 || (!libraries.decode_with_libavcodec() && close),
                "{name} {libraries:?}: frame {n} (pts {pts:?}): {differing} samples differ, by up to {most:?}"
            );
        }
    }
}
