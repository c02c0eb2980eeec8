//! Manifests written as the service writes them (spec §8): HLS master and media playlists. Written
//! by hand with `fmt::Write` in the service's tag order (STYLE §5); tests read them back with
//! `m3u8-rs`. Writers see format-neutral values, never Matroska.

pub mod hls;
