//! Player requests per second in process (issue 12): what one HLS player costs the library behind
//! a session URL. A LIVE session over the whole archive (`MaxMediaPlaylistFragmentResults` 5000,
//! so every fragment is listed), then per request [`hls_action`] as the stateless actions run:
//! the token checked, the archive handed out as a shared `Arc<Archive>` (as a server keeps its
//! streams open), the answer built and its body written to a discarding sink:
//! - `master`: getHLSMasterPlaylist.m3u8 (reads every fragment's track-1 samples for FRAME-RATE);
//! - `media_playlist`: getHLSMediaPlaylist.m3u8 for track 1 (every fragment's sample durations);
//! - `segment`: getMP4MediaFragment.mp4 of the middle fragment, track 1.
//!
//! The archive is `$KVS_BENCH_ARCHIVE` (default `bench-data/archive-1080p.mkv`), else the bundled
//! sample. Criterion reports time per request; requests per second are its inverse.
#![deny(clippy::unwrap_used)]

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use kvs_remux::api::hls::{GetHlsStreamingSessionUrlInput, get_hls_streaming_session_url};
use kvs_remux::archive::sink::write_chunks;
use kvs_remux::archive::source::load_path;
use kvs_remux::player::hls_action;
use kvs_remux::session::SessionKey;
use kvs_remux::{Archive, UnixMillis};

fn benches(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = std::env::var_os("KVS_BENCH_ARCHIVE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("bench-data/archive-1080p.mkv"));
    let path = if path.is_file() {
        path
    } else {
        root.join("testdata/sample/kinesis_video_renderer_example_output.mkv")
    };
    let bytes: Bytes = load_path(&path).expect("readable archive");
    let archive = Arc::new(Archive::from_bytes(bytes).expect("a readable archive"));
    let key = SessionKey::from_bytes(&[1; 32]).expect("32 bytes");
    let now = UnixMillis(4_000_000_000_000);
    let input = GetHlsStreamingSessionUrlInput {
        max_media_playlist_fragment_results: Some(5000),
        ..Default::default()
    };
    let url = get_hls_streaming_session_url(&archive, "bench", &input, &key, now, "")
        .expect("a session over the archive")
        .hls_streaming_session_url;
    let token = url
        .split_once("SessionToken=")
        .expect("a token")
        .1
        .to_owned();
    let media = archive.index().media();
    let middle = &archive
        .index()
        .get(media[media.len() / 2])
        .expect("indexed")
        .number;
    eprintln!(
        "player bench: {} ({} fragments)",
        path.display(),
        media.len()
    );
    let requests = [
        (
            "master",
            "getHLSMasterPlaylist.m3u8",
            format!("SessionToken={token}"),
        ),
        (
            "media_playlist",
            "getHLSMediaPlaylist.m3u8",
            format!("SessionToken={token}&TrackNumber=1"),
        ),
        (
            "segment",
            "getMP4MediaFragment.mp4",
            format!("FragmentNumber={middle}&SessionToken={token}&TrackNumber=1"),
        ),
    ];
    let mut g = c.benchmark_group("hls_request");
    g.sample_size(20);
    for (name, action, query) in &requests {
        let serve = || {
            let response = hls_action(action, query, &key, now, |_| Ok(Arc::clone(&archive)))
                .expect("the request succeeds");
            write_chunks(&mut io::sink(), &response.body).expect("io::sink never fails");
        };
        serve();
        g.bench_function(*name, |b| b.iter(&serve));
    }
    g.finish();
}

criterion_group!(player, benches);
criterion_main!(player);
