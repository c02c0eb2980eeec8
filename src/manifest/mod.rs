//! Manifests written as the service writes them (spec §8): HLS master and media playlists, the
//! DASH MPD. Written
//! by hand with `fmt::Write` in the service's tag order (STYLE §5); tests read them back with
//! `m3u8-rs` and `dash-mpd`. Writers see format-neutral values, never Matroska.

pub mod dash;
pub mod hls;
