//! Every integration test, in one binary: one build and link instead of one per file, and the
//! tests of all files share the test threads. Each module is one file of tests/ (run one with
//! `cargo test --test integration oracle_images::`); tests/support/ holds what they share.
//! scripts/test.sh builds them with the features `ffmpeg` and `turbojpeg`; oracle_images then
//! checks GetImages with those libraries and with the built-in ones.

mod support;

mod archive;
mod cli_archive;
mod cli_inspect;
mod diff_matroska_demuxer;
mod fuzz_replay;
mod get_media;
mod hostile;
mod images_props;
mod list_fragments;
mod mp4_props;
mod oracle_dash;
mod oracle_hls;
mod oracle_images;
mod oracle_mp4;
mod oracle_reader;
mod oracle_ts;
mod pack;
mod player_actions;
mod reader_props;
mod serve;
mod serve_browser;
mod serve_load;
mod serve_sdk;
mod sessions;
