#!/usr/bin/env bash
# Regenerates testdata/codec/: small MKVs' CodecPrivate (as seen by mkvinfo, not by us) plus ffprobe's view
# of each track as golden JSON. Idempotent: rerunning rewrites the same files (ffmpeg runs with -bitexact).
#   <name>.cpd   CodecPrivate bytes, from `mkvinfo -v -v -X` (mkvtoolnix's own hex dump)
#   <name>.json  ffprobe -show_entries stream=... for that track (ffprobe's JSON, unchanged)
# (ffmpeg's HLS muxer would give RFC 6381 strings, but it omits CODECS without bitrate info on -c copy;
# codec strings are therefore checked against values derived by hand in the unit tests.)
# The MKVs themselves are made in a temp dir and not kept (commit size).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/codec"
real="${REAL_TESTDATA:-$here/../../shared/testdata/real}"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

need() { command -v "$1" >/dev/null 2>&1; }
missing=()
{ need ffmpeg && need ffprobe; } || missing+=(ffmpeg)
need mkvinfo || missing+=(mkvtoolnix)
# shellcheck source=../scripts/apt-install.sh
. "$here/../scripts/apt-install.sh"
apt_install gen-codec-fixtures "${missing[@]}"

ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }

# cpd_of FILE TRACKNUMBER -> prints the CodecPrivate hex (first track with that MKV TrackNumber)
cpd_of() {
  { mkvinfo -v -v -X "$1" 2>/dev/null || true; } | awk -v want="$2" '
    /\+ Track number: / { split($0, a, "Track number: "); split(a[2], b, " "); cur = b[1] }
    /Codec.s private data:/ && cur == want && !done {
      sub(/.*hexdump /, ""); sub(/ at [0-9]+$/, ""); gsub(/ /, ""); print; done = 1 }'
}

# extract NAME FILE TRACKNUMBER STREAMSPEC
extract() {
  local name="$1" file="$2" track="$3" spec="$4" hex
  hex="$(cpd_of "$file" "$track")"
  if [ -z "$hex" ]; then echo "no CodecPrivate for $name" >&2; exit 1; fi
  printf '%s' "$hex" | xxd -r -p > "$out/$name.cpd"
  ffprobe -v quiet -select_streams "$spec" -of json -show_entries \
    stream=codec_name,codec_tag_string,profile,level,width,height,coded_width,coded_height,pix_fmt,sample_rate,channels,bits_per_sample \
    "$file" > "$out/$name.json"
}

# --- made here: 0.5 s test sources, small sizes -----------------------------------------------
v() { ff -f lavfi -i "testsrc=d=0.5:s=$1:r=10" -pix_fmt "${3:-yuv420p}" "${@:4}" -bitexact -fflags +bitexact "$tmp/$2.mkv"; }
v 160x120 h264-baseline yuv420p -c:v libx264 -profile:v baseline -level 1.2
v 160x120 h264-main yuv420p -c:v libx264 -profile:v main -level 3.0
v 170x98 h264-high yuv420p -c:v libx264 -profile:v high -level 4.0
v 170x98 hevc-main yuv420p -c:v libx265 -x265-params log-level=error
a() { ff -f lavfi -i "sine=d=0.5:sample_rate=$1" -ac "$2" -c:a "$3" -bitexact -fflags +bitexact "$tmp/$4.mkv"; }
a 48000 2 aac aac-lc-48k-stereo
a 22050 1 aac aac-lc-22k-mono
a 8000 1 pcm_alaw alaw-8k-mono
a 8000 1 pcm_mulaw mulaw-8k-mono
a 16000 2 pcm_alaw alaw-16k-stereo

for n in h264-baseline h264-main h264-high hevc-main; do extract "$n" "$tmp/$n.mkv" 1 v:0; done
for n in aac-lc-48k-stereo aac-lc-22k-mono alaw-8k-mono mulaw-8k-mono alaw-16k-stereo; do
  extract "$n" "$tmp/$n.mkv" 1 a:0
done

# --- real files (shared/testdata/real, not written by this project) ----------------------------
k="$real/kvs-parser-library"
extract real-output_get_media "$k/output_get_media.mkv" 1 v:0
extract real-kinesis_video_renderer_example_output "$k/kinesis_video_renderer_example_output.mkv" 1 v:0
extract real-output-get-media-equal-timecode "$k/output-get-media-equal-timecode.mkv" 1 v:0
extract real-output-get-media-non-increasing-timecode "$k/output-get-media-non-increasing-timecode.mkv" 1 v:0
extract real-vogels_480-video "$k/vogels_480.mkv" 1 v:0
extract real-vogels_480-audio "$k/vogels_480.mkv" 2 a:0
extract real-dateutc "$real/mkvdump/dateutc.mkv" 1 v:0
# The producer SDK's Annex-B sample frames carry SPS/PPS (and VPS) in band; ffmpeg's Matroska muxer turns
# them into avcC/hvcC the way the SDK's NalAdapter does (spec §5.2). Only the first (key) frame is used.
s="$real/kvs-producer-c/samples"
ff -f h264 -i "$s/h264SampleFrames/frame-001.h264" -c copy "$tmp/h264-sample.mkv"
ff -f hevc -i "$s/h265SampleFrames/frame-001.h265" -c copy "$tmp/h265-sample.mkv"
extract real-h264-sample-frames "$tmp/h264-sample.mkv" 1 v:0
extract real-h265-sample-frames "$tmp/h265-sample.mkv" 1 v:0

ls -l "$out" >&2
