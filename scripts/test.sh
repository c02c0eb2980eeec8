#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need when missing, then runs
# rustfmt, clippy -D warnings, rustdoc -D warnings, every test, and a short run of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v mkvextract >/dev/null || missing+=(mkvtoolnix)
command -v python3 >/dev/null || missing+=(python3)
command -v gst-launch-1.0 >/dev/null || missing+=(gstreamer1.0-tools)
[ -e /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstisomp4.so ] || missing+=(gstreamer1.0-plugins-good)
[ -e /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstmpegtsdemux.so ] || missing+=(gstreamer1.0-plugins-bad)
# shellcheck source=apt-install.sh
. scripts/apt-install.sh
apt_install test.sh "${missing[@]}"

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --quiet
mkdir -p target
cargo test --locked --release 2>&1 | tee target/test-output.txt

# Fuzz smoke: every target for 20 000 runs from its seeds (the long runs are scripts/fuzz.sh).
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
  scripts/fuzz.sh 0 -runs=20000
else
  echo "nightly toolchain absent: fuzz smoke not run"
fi

# One closing line for the whole run (the last cargo summary is the doc-tests', which has none).
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' \
  target/test-output.txt
