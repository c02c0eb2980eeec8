//! The GetImages oracle tests once more, in the build with the features `ffmpeg` (libavcodec
//! decodes H.264 and H.265) and `turbojpeg` (libjpeg-turbo encodes JPEG): scripts/test.sh runs
//! `cargo test --features ffmpeg,turbojpeg --test images_with_features`. A binary of its own, so
//! that build compiles this module and not every integration test again.

#[allow(dead_code, reason = "oracle_images uses part of the helpers")]
mod support;

mod oracle_images;
