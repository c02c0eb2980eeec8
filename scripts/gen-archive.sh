#!/usr/bin/env bash
# Makes a KVS GetMedia-style archive for benchmarks: every 2-s GOP is its own MKV (EBML header +
# unknown-size Segment + Info + Tracks + KVS Tags + Cluster), the pieces concatenated back to back as
# GetMedia returns them (spec §7.2). Not committed: write it under bench-data/ (git-ignored).
#
#   scripts/gen-archive.sh OUT.mkv [SECONDS] [--bframes] [--crc32] [--force]
#
# Content: testsrc2 1920x1080 30 fps H.264 (libx264 ultrafast, 8 Mbit/s, a key frame every 2 s)
# + AAC-LC 48 kHz stereo (sine). SECONDS defaults to 600 (~600 MB). --bframes adds `-bf 2`.
# Like the producer SDK's fragments the pieces carry no CRC-32 elements; --crc32 keeps the ones
# ffmpeg writes by default (each Cluster, Info, Tracks, Tags), which a verifying reader must hash.
# Each piece carries the service tags AWS_KINESISVIDEO_FRAGMENT_NUMBER (47 digits, +2^92 per
# fragment), _SERVER_TIMESTAMP and _PRODUCER_TIMESTAMP (epoch seconds, 3 decimals; producer =
# 1700000000.000 + fragment start, server a little later). Bit-exact flags and fixed parameters
# make reruns give the same bytes. Skips all work when OUT exists and is newer than this script.
set -euo pipefail

usage() { echo "usage: $0 OUT.mkv [SECONDS] [--bframes] [--crc32] [--force]" >&2; exit 2; }

out="" seconds=600 bframes=0 crc32=0 force=0
for arg in "$@"; do
  case "$arg" in
    --bframes) bframes=2 ;;
    --crc32) crc32=1 ;;
    --force) force=1 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *)
      if [ -z "$out" ]; then out="$arg"
      elif [[ "$arg" =~ ^[0-9]+$ ]] && [ "$arg" -ge 2 ]; then seconds="$arg"
      else usage
      fi ;;
  esac
done
[ -n "$out" ] || usage

script="${BASH_SOURCE[0]}"
if [ "$force" = 0 ] && [ -s "$out" ] && [ "$out" -nt "$script" ]; then
  echo "gen-archive: $out is up to date ($(du -h "$out" | cut -f1)); --force to remake" >&2
  exit 0
fi

missing=()
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v bc >/dev/null || missing+=(bc)
# shellcheck source=apt-install.sh
. "$(dirname "$0")/apt-install.sh"
apt_install gen-archive "${missing[@]}"

mkdir -p "$(dirname "$out")"
work="$(mktemp -d "$(dirname "$out")/.gen-archive.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# 1. Encode and cut into 2-s pieces in one pass (no full-size intermediate). Timestamps stay
#    absolute (-reset_timestamps 0), like a KVS stream's cluster timecodes. One x264 thread: with
#    frame threads its 8 Mbit/s rate control depends on thread timing and reruns differ.
echo "gen-archive: encoding ${seconds}s of 1080p30 H.264 + AAC into 2-s pieces" >&2
start_s=$(date +%s)
ffmpeg -nostdin -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=1920x1080:rate=30:duration=${seconds}" \
  -f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=48000:duration=${seconds}" \
  -map 0:v -map 1:a \
  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -b:v 8M -maxrate 8M -bufsize 16M \
  -g 60 -keyint_min 60 -sc_threshold 0 -bf "$bframes" -threads 1 \
  -x264-params "seed=1" \
  -c:a aac -profile:a aac_low -ar 48000 -ac 2 -b:a 128k \
  -fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
  -f segment -segment_time 2 -reset_timestamps 0 -segment_format matroska \
  -segment_list "$work/pieces.csv" -segment_list_type csv \
  "$work/piece-%05d.mkv"
echo "gen-archive: encoded in $(( $(date +%s) - start_s )) s" >&2

# 2. Give every piece the service's tags and append it (scripts/kvs-shape.sh, shared with the
#    test fixtures): one GetMedia-style fragment per 2-s GOP, back to back.
# shellcheck source=kvs-shape.sh
. "$(dirname "$0")/kvs-shape.sh"
: > "$work/archive.mkv"
KVS_SHAPE_CRC32="$crc32" kvs_shape_pieces "$work/archive.mkv" "$work" "$work/pieces.csv" 0 2
i=$KVS_SHAPE_NEXT

mv "$work/archive.mkv" "$out"
echo "gen-archive: $out: $i fragments, $(du -h "$out" | cut -f1), $(( $(date +%s) - start_s )) s" >&2
