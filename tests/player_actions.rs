//! The per-request player actions give the same bytes as the archive exports the other tests check
//! against ffmpeg, GStreamer and the mp4/mpeg2ts crates: GetMP4InitFragment, GetMP4MediaFragment
//! and GetTSFragment, one fragment at a time (spec §1.8).

mod support;

use std::path::Path;

use kvs_remux::api::archive::{Archive, media_fragments};
use kvs_remux::api::{fmp4, ts};

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
        let (archive, error) = Archive::read([support::load(&path)]);
        assert!(error.is_none(), "{}", path.display());
        let media = media_fragments(&archive.fragments);
        let exports = fmp4::export(&archive.fragments).unwrap();
        for track in &exports {
            for epoch in &track.epochs {
                let first = match &epoch.starts_at {
                    None => media
                        .iter()
                        .position(|f| f.tracks.get(track.track_number).is_some())
                        .unwrap(),
                    Some(number) => media
                        .iter()
                        .position(|f| f.number.as_str() == number)
                        .unwrap(),
                };
                let init = fmp4::get_mp4_init_fragment(media[first], track.track_number).unwrap();
                assert_eq!(
                    init,
                    epoch.init,
                    "{}: init of track {}",
                    path.display(),
                    track.track_number
                );
                for (number, chunks) in &epoch.segments {
                    let index = media
                        .iter()
                        .position(|f| f.number.as_str() == number)
                        .unwrap();
                    let single =
                        fmp4::get_mp4_media_fragment(&media, index, track.track_number).unwrap();
                    assert_eq!(
                        single.concat(),
                        chunks.concat(),
                        "{}: segment {number}",
                        path.display()
                    );
                }
            }
        }
    }
}

#[test]
fn ts_player_action_equals_the_export() {
    let options = ts::TsOptions { allow_hevc: true };
    for path in fixtures() {
        let (archive, _) = Archive::read([support::load(&path)]);
        let media = media_fragments(&archive.fragments);
        let (chunks, error) = ts::export(&archive.fragments, &options);
        match error {
            // G.711 is refused in TS (spec §5.1): the single request refuses the same way.
            Some(error) => {
                let single = ts::get_ts_fragment(&media, chunks.len(), &options).unwrap_err();
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
            let single = ts::get_ts_fragment(&media, index, &options).unwrap();
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
