#!/usr/bin/env bash
# GetImages against ffmpeg on the same archive, in the same hyperfine run (issue 13): one JPEG per
# second over the first 300 s (GetImages' longest range) of an H.264 archive,
#   ours    kvs-remux get-images ARCHIVE --start-timestamp S --end-timestamp S+300
#                    --sampling-interval 1000 --format JPEG [--width-pixels 640] --output-dir DIR
#   ffmpeg  ffmpeg -t 300 -i ARCHIVE -vf fps=1 -q:v 3 DIR/out%04d.jpg   (and with scale=640:-2)
# and a third row `late`: ours at 640 wide with the range started later, so that a slot falls 21 ms
# before each fragment's end (the start moved by the first fragment's length minus 21 ms, modulo
# the interval) and every fragment is decoded to its last frame: the worst phase for decoding only
# what the samples need (ffmpeg decodes every frame whatever the phase; its 640 run is the
# reference). Outputs on tmpfs, plus peak RSS of each (/usr/bin/time -v) and ours split into heap
# and the mapped archive's pages (RssAnon / RssFile, sampled). Called by scripts/bench.sh (section
# `images`), or alone:
#   scripts/bench-images.sh ARCHIVE [BIN]     (BIN defaults to target/release/kvs-remux)
# Results are appended to bench-data/bench-images-results.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

archive="${1:?usage: scripts/bench-images.sh ARCHIVE [BIN]}"
bin="${2:-target/release/kvs-remux}"
[ -x "$bin" ] || cargo build --release --locked --quiet
shm="/dev/shm/kvs-remux-bench-images-$$"
results=bench-data/bench-images-results.txt
csv=$(mktemp)
trap 'rm -rf "$shm" "$csv"' EXIT
mkdir -p bench-data

# The first fragment's producer timestamp (epoch seconds) starts the range; its length sets `late`.
read -r start length_ms < <("$bin" list-fragments "$archive" --max-results 1 |
  awk -F': ' '{ gsub(/,/, "", $2) } /"ProducerTimestamp"/ { s = $2 } /"FragmentLengthInMilliseconds"/ { l = $2 }
    END { print s, l }')
range() { # start offset in ms -> the request's range options
  awk -v s="$start" -v o="$1" 'BEGIN { printf "--start-timestamp %.3f --end-timestamp %.3f", s + o / 1000, s + o / 1000 + 300 }'
}
request="$bin get-images $archive --image-selector-type PRODUCER_TIMESTAMP --sampling-interval 1000 --format JPEG"
ours="$request $(range 0)"
late="$request $(range $(((length_ms + 1000 - 21) % 1000)))"
ff="ffmpeg -nostdin -v quiet -y -t 300 -i $archive"
fresh="rm -rf $shm && mkdir -p $shm/ff"
hyperfine -N --warmup 1 --runs 3 --export-csv "$csv" --style basic --prepare "bash -c '$fresh'" \
  -n full-ours "$ours --output-dir $shm/ours" \
  -n full-ffmpeg "$ff -vf fps=1 -q:v 3 $shm/ff/out%04d.jpg" \
  -n 640-ours "$ours --width-pixels 640 --output-dir $shm/ours" \
  -n 640-ffmpeg "$ff -vf fps=1,scale=640:-2 -q:v 3 $shm/ff/out%04d.jpg" \
  -n late-ours "$late --width-pixels 640 --output-dir $shm/ours" >&2

# shellcheck source=scripts/rss-split.sh
source scripts/rss-split.sh
median() { awk -F, -v c="$1" '$1 == c { print $4 }' "$csv"; }
peak_mib() {
  rm -rf "$shm/ours" "$shm/ff" && mkdir -p "$shm/ff"
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }'
}
# Ours: peak heap (RssAnon) / mapped archive (RssFile), MiB.
split_mib() {
  rm -rf "$shm/ours"
  rss_split "$@" | awk '{ printf "%.0f / %.0f", $1 / 1024, $2 / 1024 }'
}
{
  echo
  echo "kvs-remux GetImages, $(date -u +%FT%TZ), $(nproc) cores, page cache warm, outputs on tmpfs"
  echo "archive: $archive; 300 JPEG images, 1 per second from $start; binary $bin"
  echo "late: 640 wide from $start + $(((length_ms + 1000 - 21) % 1000)) ms, slots 21 ms before fragment ends; ffmpeg as 640"
  echo
  printf '%-8s %10s %10s %10s %16s %16s %20s\n' size "ours s" "ffmpeg s" "vs ffmpeg" "ours RSS MiB" "ffmpeg RSS MiB" \
    "ours heap/file MiB"
  for row in full 640 late; do
    width=() scale=fps=1 cmd=$ours reference=$row-ffmpeg
    if [ "$row" != full ]; then width=(--width-pixels 640) scale=fps=1,scale=640:-2; fi
    if [ "$row" = late ]; then cmd=$late reference=640-ffmpeg; fi
    # shellcheck disable=SC2086
    printf '%-8s %10.2f %10.2f %9.2fx %16s %16s %20s\n' "$row" "$(median "$row-ours")" "$(median "$reference")" \
      "$(awk -v a="$(median "$reference")" -v b="$(median "$row-ours")" 'BEGIN { print a / b }')" \
      "$(peak_mib $cmd "${width[@]}" --output-dir "$shm/ours")" \
      "$(peak_mib $ff -vf "$scale" -q:v 3 "$shm/ff/out%04d.jpg")" \
      "$(split_mib $cmd "${width[@]}" --output-dir "$shm/ours")"
  done
} | tee -a "$results"
