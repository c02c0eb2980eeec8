//! The per-request player actions give the same bytes as the archive exports the other tests check
//! against ffmpeg, GStreamer and the mp4/mpeg2ts crates: GetMP4InitFragment, GetMP4MediaFragment
//! and GetTSFragment, one fragment at a time (spec §1.8).

use crate::support;

use std::path::Path;

use kvs_remux::Archive;
use kvs_remux::api::fmp4::{self, Fmp4Part};
use kvs_remux::api::ts;

fn fixtures() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 8, "run testdata/gen-fixtures.sh");
    files
}

#[test]
fn mp4_player_actions_equal_the_export() {
    for path in fixtures() {
        let archive = Archive::from_bytes(support::load(&path)).unwrap();
        assert!(archive.damage().is_empty(), "{}", path.display());
        let media = archive.index().media();
        let index_of = |number: &kvs_remux::low_level::mkv::FragmentNumber| {
            media
                .iter()
                .position(|&p| archive.index().get(p).unwrap().number == *number)
                .unwrap()
        };
        let mut parts = 0;
        for part in fmp4::export(&archive) {
            parts += 1;
            match part.unwrap() {
                Fmp4Part::Init {
                    track,
                    starts_at,
                    data,
                } => {
                    let first = match &starts_at {
                        None => media
                            .iter()
                            .position(|&p| {
                                archive.index().get(p).unwrap().tracks.get(track).is_some()
                            })
                            .unwrap(),
                        Some(number) => index_of(number),
                    };
                    let init = fmp4::get_mp4_init_fragment(&archive, media[first], track).unwrap();
                    assert_eq!(init, data, "{}: init of track {track}", path.display());
                }
                Fmp4Part::Segment {
                    track,
                    fragment,
                    chunks,
                } => {
                    let single =
                        fmp4::get_mp4_media_fragment(&archive, &media, index_of(&fragment), track)
                            .unwrap();
                    assert_eq!(
                        single.concat(),
                        chunks.concat(),
                        "{}: segment {fragment}",
                        path.display()
                    );
                }
            }
        }
        assert!(parts > 0, "{}", path.display());
    }
}

#[test]
fn ts_player_action_equals_the_export() {
    let options = ts::TsOptions { allow_hevc: true };
    for path in fixtures() {
        let archive = Archive::from_bytes(support::load(&path)).unwrap();
        let media = archive.index().media();
        let mut chunks = Vec::new();
        let mut error = None;
        for chunk in ts::export(&archive, &options) {
            match chunk {
                Ok(chunk) => chunks.push(chunk),
                Err(e) => error = Some(e),
            }
        }
        match error {
            // G.711 is refused in TS (spec §5.1): the single request refuses the same way.
            Some(error) => {
                let single =
                    ts::get_ts_fragment(&archive, &media, chunks.len(), &options).unwrap_err();
                assert_eq!(single.code(), error.code(), "{}", path.display());
                assert_eq!(
                    error.code(),
                    "UnsupportedStreamMediaTypeException",
                    "{}",
                    path.display()
                );
            }
            None => assert_eq!(chunks.len(), media.len()),
        }
        for (index, chunk) in chunks.iter().enumerate() {
            let single = ts::get_ts_fragment(&archive, &media, index, &options).unwrap();
            assert_eq!(
                single,
                chunk.data,
                "{}: chunk {}",
                path.display(),
                chunk.fragment_number
            );
        }
    }
}
