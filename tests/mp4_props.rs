//! Properties of the MP4 writer, read back by the `mp4` crate (not ours): for any samples, a clip
//! and a media segment keep every sample's bytes, decode time, duration, composition offset and
//! sync flag.

use std::io::Cursor;

use bytes::Bytes;
use kvs_remux::low_level::codec::CodecConfig;
use kvs_remux::low_level::model::sample::Sample;
use kvs_remux::low_level::model::track::TrackInfo;
use kvs_remux::low_level::mp4 as writer;
use kvs_remux::low_level::time::Nanos;
use proptest::prelude::*;

fn video_track() -> TrackInfo {
    let cpd = Bytes::from(
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/codec/h264-high.cpd"
        ))
        .unwrap(),
    );
    let codec = CodecConfig::parse("V_MPEG4/ISO/AVC", Some(&cpd)).unwrap();
    TrackInfo::new(1, codec, cpd)
}

fn audio_track() -> TrackInfo {
    let cpd = Bytes::from_static(&[0x11, 0x90]); // AAC-LC 48 kHz stereo (spec §5.2)
    TrackInfo::new(2, CodecConfig::parse("A_AAC", Some(&cpd)).unwrap(), cpd)
}

/// Samples in decode order: whole-millisecond durations, composition offsets of 0–3 frames.
fn arb_samples(epoch_ms: i64) -> impl Strategy<Value = Vec<Sample>> {
    prop::collection::vec(
        (1usize..3000, 1u64..100, 0u64..4, any::<bool>(), any::<u8>()),
        1..80,
    )
    .prop_map(move |specs| {
        let mut dts = epoch_ms * 1_000_000;
        specs
            .into_iter()
            .enumerate()
            .map(|(i, (size, duration_ms, offset_frames, key, fill))| {
                let duration = duration_ms * 1_000_000;
                let sample = Sample {
                    dts: Nanos(dts),
                    pts: Nanos(dts + i64::try_from(offset_frames * duration).unwrap()),
                    duration: Nanos(i64::try_from(duration).unwrap()),
                    keyframe: i == 0 || key,
                    data: Bytes::from(vec![fill; size]),
                };
                dts += i64::try_from(duration).unwrap();
                sample
            })
            .collect()
    })
}

fn ticks(track: &TrackInfo, ns: i64) -> u64 {
    u64::try_from(track.timescale.ticks(i128::from(ns))).unwrap()
}

fn check_track(
    reader: &mut ::mp4::Mp4Reader<Cursor<Vec<u8>>>,
    track: &TrackInfo,
    samples: &[Sample],
    origin: i64,
) -> Result<(), TestCaseError> {
    let id = track.track_id;
    prop_assert_eq!(reader.sample_count(id).unwrap() as usize, samples.len());
    for (i, sample) in samples.iter().enumerate() {
        let read = reader
            .read_sample(id, u32::try_from(i + 1).unwrap())
            .unwrap()
            .expect("sample");
        prop_assert_eq!(&read.bytes[..], &sample.data[..]);
        prop_assert_eq!(read.start_time, ticks(track, sample.dts.0 - origin));
        let mut end = ticks(track, sample.dts.0 - origin + sample.duration.0);
        if i + 1 == samples.len() {
            // A clip's media lasts until the last shown sample ends (clip.rs), past the last decode.
            let shown_end = samples
                .iter()
                .map(|s| ticks(track, s.pts.0 - origin + s.duration.0))
                .max()
                .unwrap();
            end = end.max(shown_end);
        }
        prop_assert_eq!(
            u64::from(read.duration),
            end - ticks(track, sample.dts.0 - origin)
        );
        let cts = i64::try_from(ticks(track, sample.pts.0 - origin)).unwrap()
            - i64::try_from(ticks(track, sample.dts.0 - origin)).unwrap();
        prop_assert_eq!(i64::from(read.rendering_offset), cts);
        prop_assert_eq!(read.is_sync, sample.keyframe || !track.is_video());
    }
    Ok(())
}

fn read(file: Vec<u8>) -> ::mp4::Mp4Reader<Cursor<Vec<u8>>> {
    let size = file.len() as u64;
    ::mp4::Mp4Reader::read_header(Cursor::new(file), size).expect("the mp4 crate reads our file")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn clip_keeps_every_sample(video in arb_samples(1_700_000_000_000), audio in arb_samples(1_700_000_000_000), per_chunk in 1usize..20) {
        let tracks = vec![video_track(), audio_track()];
        let audio: Vec<Sample> = audio.into_iter().map(|s| Sample { pts: s.dts, keyframe: true, ..s }).collect();
        let mut chunks = Vec::new();
        for (index, samples) in [&video, &audio].iter().enumerate() {
            let mut start = 0;
            while start < samples.len() {
                let end = (start + per_chunk).min(samples.len());
                chunks.push((index, start..end));
                start = end;
            }
        }
        let mut clip = writer::clip::ClipBuilder::new(tracks.clone());
        for (index, range) in chunks {
            let samples = if index == 0 { &video } else { &audio };
            clip.push(index, &samples[range]).unwrap();
        }
        let file: Vec<u8> = clip.finish().unwrap().concat();
        let mut reader = read(file);
        // Each track's timeline starts at its first decode time (clip.rs).
        check_track(&mut reader, &tracks[0], &video, video[0].dts.0)?;
        check_track(&mut reader, &tracks[1], &audio, audio[0].dts.0)?;
    }

    #[test]
    fn init_and_media_segment_keep_every_sample(video in arb_samples(1_700_000_000_000), sequence in 1u32..1000) {
        let track = video_track();
        let init = writer::init::init_segment(std::slice::from_ref(&track)).unwrap();
        let segment = writer::fragment::media_segment(&track, &video, sequence, Nanos::ZERO).unwrap();
        let mut file = init.to_vec();
        file.extend(segment.concat());
        let moof_start = init.len();
        let reader = read(file.clone());
        prop_assert!(reader.is_fragmented());
        prop_assert_eq!(reader.moofs[0].mfhd.sequence_number, sequence);
        // tfdt is the first decode time since the Unix epoch (origin 0). The mp4 crate times fragmented
        // samples by the default duration only, so times are checked on the trun it parsed.
        let traf = reader.moofs[0].trafs[0].clone();
        prop_assert_eq!(traf.tfdt.as_ref().expect("tfdt").base_media_decode_time, ticks(&track, video[0].dts.0));
        let trun = traf.trun.expect("trun");
        prop_assert_eq!(trun.sample_count as usize, video.len());
        // The crate locates fragmented samples by tfhd.base_data_offset only; apply ISO/IEC 14496-12
        // §8.8.7 (default-base-is-moof) to the data offset and sizes it parsed instead.
        let mut position = moof_start + usize::try_from(trun.data_offset.expect("data offset")).unwrap();
        for (i, sample) in video.iter().enumerate() {
            let size = trun.sample_sizes[i] as usize;
            prop_assert_eq!(&file[position..position + size], &sample.data[..], "data offset and sizes locate the bytes");
            position += size;
            let dts = ticks(&track, sample.dts.0);
            let end = ticks(&track, sample.dts.0 + sample.duration.0);
            prop_assert_eq!(u64::from(trun.sample_durations[i]), end - dts);
            let cts = ticks(&track, sample.pts.0) - dts;
            prop_assert_eq!(u64::from(trun.sample_cts.get(i).copied().unwrap_or(0)), cts);
            let non_sync = trun.sample_flags[i] & 0x0001_0000 != 0;
            prop_assert_eq!(non_sync, !sample.keyframe);
        }
    }
}
