#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need when missing (Debian packages,
# botocore in target/sdk-venv), then runs
# rustfmt, clippy -D warnings, rustdoc -D warnings, every test (with overflow checks, in the
# test-release profile, which also has debug assertions on, and with the features ffmpeg and
# turbojpeg), a check that the library without the `cli` feature pulls no CLI parser, and a short
# time-bounded run of each fuzz target. Every test binary runs even after a failure; the last line
# counts them all, and each phase prints its time.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v mkvextract >/dev/null || missing+=(mkvtoolnix)
# nasm: the openh264 crate assembles OpenH264's SIMD decoder with it (without it, a C decoder ~2x slower).
command -v nasm >/dev/null || missing+=(nasm)
command -v python3 >/dev/null || missing+=(python3)
command -v gst-launch-1.0 >/dev/null || missing+=(gstreamer1.0-tools)
[ -x /usr/bin/time ] || missing+=(time)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
[ -e /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstisomp4.so ] || missing+=(gstreamer1.0-plugins-good)
[ -e /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstmpegtsdemux.so ] || missing+=(gstreamer1.0-plugins-bad)
# The `ffmpeg` feature (GetImages through libavcodec, H.265 included) builds against FFmpeg's headers.
command -v pkg-config >/dev/null || missing+=(pkg-config)
pkg-config --exists libavcodec 2>/dev/null || missing+=(libavcodec-dev)
pkg-config --exists libavformat 2>/dev/null || missing+=(libavformat-dev)
compgen -G '/usr/lib/llvm-*/lib/libclang*.so*' >/dev/null || missing+=(libclang-dev)
# The `turbojpeg` feature builds libjpeg-turbo from source with cmake (and nasm, above).
command -v cmake >/dev/null || missing+=(cmake)
# shellcheck source=apt-install.sh
. scripts/apt-install.sh
apt_install test.sh "${missing[@]}"

# boto3 and botocore (the AWS SDK for Python, with the service model): botocore reads and writes
# the request and response JSON in tests/cli_archive.rs; boto3 is the client of `serve` in
# tests/serve_sdk.rs.
if ! target/sdk-venv/bin/python -c 'import boto3, botocore' 2>/dev/null; then
  python3 -m venv target/sdk-venv
  target/sdk-venv/bin/pip install --quiet --disable-pip-version-check botocore==1.44.8 boto3==1.44.8
fi

# Each phase's wall time on stderr (CI must stay well under 20 minutes on 2 cores).
phase() {
  echo "test.sh: $1 done at ${SECONDS} s" >&2
}
phase installs
cargo fmt --all -- --check
# Lints and docs in the test profile: the build scripts' work (OpenH264's C++ build, libjpeg-turbo's
# cmake build, bindgen of FFmpeg's headers) is then done once, for them and the test build below.
# The tests build once, with the features `ffmpeg` (libavcodec decodes H.264 and H.265) and
# `turbojpeg` (libjpeg-turbo encodes JPEG): GetImages' tests run with those libraries and with the
# built-in ones (OpenH264, jpeg-encoder), which a build with the features can still choose. The
# library without the features (the code behind `cfg(not(feature))`) is linted on its own.
features=(--features ffmpeg,turbojpeg)
cargo clippy --locked --profile test-release --all-targets "${features[@]}" -- -D warnings
cargo clippy --locked --profile test-release --lib -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --locked --profile test-release --no-deps --quiet
if cargo tree --locked -e normal --no-default-features --prefix none | grep -E '^(clap|serde_json) '; then
  echo "test.sh: the library without the cli feature depends on a CLI crate" >&2
  exit 1
fi
phase 'fmt, clippy, doc, tree'

mkdir -p target
status=0
# Built first, so that the phase times tell building from testing.
cargo test --locked --profile test-release "${features[@]}" --no-run --quiet || status=1
phase 'test build'
cargo test --locked --profile test-release "${features[@]}" --no-fail-fast 2>&1 | tee target/test-output.txt ||
  status=1
phase tests

# Fuzz smoke: every target fuzzes for a second from an empty corpus (the seeds and saved
# regressions are replayed by tests/fuzz_replay.rs above; the long runs are scripts/fuzz.sh 3600).
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
  # An unoptimised build (--dev): it builds in a fraction of the optimised build's time.
  FUZZ_BUILD=--dev FUZZ_SEEDS=0 FUZZ_JOBS=2 scripts/fuzz.sh 1 || status=1
  phase 'fuzz smoke'
else
  echo "nightly toolchain absent: fuzz smoke not run"
fi

# One closing line for the whole run (the last cargo summary is the doc-tests', which has none).
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' \
  target/test-output.txt
exit "$status"
