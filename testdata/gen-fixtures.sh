#!/usr/bin/env bash
# Makes the small KVS GetMedia-style archives under testdata/fixtures/ that tests/oracle_mp4.rs checks
# our fMP4 and GetClip output against (ffmpeg, ffprobe, GStreamer and the `mp4` crate are the oracles).
#
#   testdata/gen-fixtures.sh [--check]
#
# Each fixture: an ffmpeg encode of lavfi test sources with fixed settings and bit-exact flags, cut by
# `-f segment` at every key frame (one GOP = 1 s = one fragment), then shaped by scripts/kvs-shape.sh
# (the same shaping as scripts/gen-archive.sh): one MKV per fragment, each with its own EBML header,
# unknown-size Segment, Tracks and the KVS tags (47-digit fragment numbers, producer timestamps
# 1700000000.000 + fragment start), concatenated back to back (spec §7.2).
#
#   h264-high-aac     H.264 High, 2 B-frames, 320x240 15 fps + AAC-LC 48 kHz stereo, 4 fragments
#   h265-main-aac     H.265 Main, 2 B-frames, 320x240 15 fps + AAC-LC 44.1 kHz mono, 4 fragments
#   h264-alaw         H.264 Main, 2 B-frames, 160x120 15 fps + G.711 A-law 8 kHz mono (A_MS/ACM), 3 fragments
#   h264-mulaw        same with G.711 µ-law, 3 fragments
#   aac-only          AAC-LC 44.1 kHz stereo only, 3 fragments
#   h264-baseline     H.264 Constrained Baseline 160x120 10 fps, video only, 4 fragments
#   h264-cropped      H.264 Main 642x362 10 fps (coded 656x368 with an SPS cropping window), video only,
#                     2 fragments
#   cpd-change        H.264 High 320x240 (fragments 0–1) then H.264 High 160x120 (fragments 2–3), + AAC
#   gap               H.264 High + AAC, 6 s encoded, fragments 2 and 3 dropped (numbers and producer
#                     timestamps of the others kept: a 2-s hole between fragment 1 and fragment 4)
#   gap-1h, gap-20h, gap-30d
#                     H.264 High (2 B-frames) 160x120 15 fps + AAC-LC 48 kHz stereo: 2 s, then a camera
#                     offline for 1 hour, 20 hours or 30 days, then 2 s more (Cluster timestamps and
#                     producer timestamps jump alike, as with ABSOLUTE timecodes)
#   timecode-reset    the same 2 s + 2 s back to back, but the second part's Cluster timestamps start
#                     again at 0 (a producer restarting with relative timecodes); its producer
#                     timestamps go on where the first part's end
#
# Idempotent: reruns write the same bytes (bit-exact flags, one encoder thread). With --check, each
# output is also listed by `kvs-remux inspect` (when target/release/kvs-remux exists) and checked:
# ffprobe -v error prints nothing, and every fragment's first video packet is a key frame.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/.."
out="$here/fixtures"
check=0
[ "${1:-}" = "--check" ] && check=1

need() { command -v "$1" >/dev/null 2>&1; }
missing=()
need ffmpeg || missing+=(ffmpeg)
need bc || missing+=(bc)
need mkvmerge || missing+=(mkvtoolnix)
need jq || missing+=(jq)
# shellcheck source=../scripts/apt-install.sh
. "$root/scripts/apt-install.sh"
apt_install gen-fixtures "${missing[@]}"

# shellcheck source=../scripts/kvs-shape.sh
. "$root/scripts/kvs-shape.sh"

mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

bitexact=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact)

# encode TAG SECONDS TS_OFFSET INPUT_AND_CODEC_ARGS...: pieces of 1 s under $tmp/TAG/ with a csv list.
encode() {
  local tag="$1" seconds="$2" offset="$3"
  shift 3
  mkdir -p "$tmp/$tag"
  ffmpeg -nostdin -hide_banner -loglevel error -y "$@" -t "$seconds" "${bitexact[@]}" \
    -output_ts_offset "$offset" \
    -f segment -segment_time 1 -reset_timestamps 0 -segment_format matroska \
    -segment_list "$tmp/$tag/pieces.csv" -segment_list_type csv "$tmp/$tag/piece-%03d.mkv"
}

# Inputs: test pattern and a beeping sine (sound that changes, so decoded audio hashes mean something).
video() { echo "-f lavfi -i testsrc2=size=$1:rate=$2"; }
audio() { echo "-f lavfi -i sine=frequency=440:beep_factor=4:sample_rate=$1"; }
x264() { # PROFILE BFRAMES GOP
  echo "-c:v libx264 -profile:v $1 -preset veryfast -pix_fmt yuv420p -crf 30 -bf $2 -g $3 -keyint_min $3 -sc_threshold 0 -threads 1 -x264-params seed=1"
}

# shape NAME TAG [FIRST_INDEX] [SKIP]: (re)writes fixtures/NAME.mkv from the pieces of TAG.
shape() {
  local name="$1" tag="$2" first="${3:-0}" skip="${4:-}"
  : >"$tmp/$name.mkv"
  kvs_shape_pieces "$tmp/$name.mkv" "$tmp/$tag" "$tmp/$tag/pieces.csv" "$first" 1 "$skip"
  mv "$tmp/$name.mkv" "$out/$name.mkv"
}

# shellcheck disable=SC2046 # word splitting of the helpers' argument lists is intended
{
  encode h264-high-aac 4 0 $(video 320x240 15) $(audio 48000) -map 0:v -map 1:a \
    $(x264 high 2 15) -c:a aac -profile:a aac_low -ar 48000 -ac 2 -b:a 64k
  shape h264-high-aac h264-high-aac

  encode h265-main-aac 4 0 $(video 320x240 15) $(audio 44100) -map 0:v -map 1:a \
    -c:v libx265 -profile:v main -preset veryfast -pix_fmt yuv420p -crf 32 \
    -x265-params "bframes=2:keyint=15:min-keyint=15:scenecut=0:open-gop=0:pools=none:frame-threads=1:log-level=error" \
    -c:a aac -profile:a aac_low -ar 44100 -ac 1 -b:a 48k
  shape h265-main-aac h265-main-aac

  encode h264-alaw 3 0 $(video 160x120 15) $(audio 8000) -map 0:v -map 1:a \
    $(x264 main 2 15) -c:a pcm_alaw -ar 8000 -ac 1
  shape h264-alaw h264-alaw

  encode h264-mulaw 3 0 $(video 160x120 15) $(audio 8000) -map 0:v -map 1:a \
    $(x264 main 2 15) -c:a pcm_mulaw -ar 8000 -ac 1
  shape h264-mulaw h264-mulaw

  encode aac-only 3 0 $(audio 44100) -map 0:a -c:a aac -profile:a aac_low -ar 44100 -ac 2 -b:a 64k
  shape aac-only aac-only

  encode h264-baseline 4 0 $(video 160x120 10) -map 0:v $(x264 baseline 0 10)
  shape h264-baseline h264-baseline

  encode h264-cropped 2 0 $(video 642x362 10) -map 0:v $(x264 main 0 10)
  shape h264-cropped h264-cropped

  # Two encodes on one timeline: the second starts 2.2 s in, just after the first one's last frame
  # (its frames run to 2.133 s: x264's B-frame delay shifts them by 2 frames).
  encode cpd-a 2 0 $(video 320x240 15) $(audio 48000) -map 0:v -map 1:a \
    $(x264 high 2 15) -c:a aac -profile:a aac_low -ar 48000 -ac 2 -b:a 64k
  encode cpd-b 2 2.2 $(video 160x120 15) $(audio 48000) -map 0:v -map 1:a \
    $(x264 high 2 15) -c:a aac -profile:a aac_low -ar 48000 -ac 2 -b:a 64k
  : >"$tmp/cpd-change.mkv"
  kvs_shape_pieces "$tmp/cpd-change.mkv" "$tmp/cpd-a" "$tmp/cpd-a/pieces.csv" 0 1
  kvs_shape_pieces "$tmp/cpd-change.mkv" "$tmp/cpd-b" "$tmp/cpd-b/pieces.csv" "$KVS_SHAPE_NEXT" 1
  mv "$tmp/cpd-change.mkv" "$out/cpd-change.mkv"

  encode gap 6 0 $(video 320x240 15) $(audio 48000) -map 0:v -map 1:a \
    $(x264 high 2 15) -c:a aac -profile:a aac_low -ar 48000 -ac 2 -b:a 64k
  shape gap gap 0 "2 3"

  # Two encodes with a camera offline between them: the second starts OFFSET seconds after the first.
  small_av() { echo "$(video 160x120 15) $(audio 48000) -map 0:v -map 1:a $(x264 high 2 15) -c:a aac -profile:a aac_low -ar 48000 -ac 2 -b:a 48k"; }
  encode offline-a 2 0 $(small_av)
  for gap in 1h:3602.2 20h:72002.2 30d:2592002.2; do
    name="gap-${gap%%:*}" offset="${gap#*:}"
    encode "$name" 2 "$offset" $(small_av)
    : >"$tmp/$name.mkv"
    kvs_shape_pieces "$tmp/$name.mkv" "$tmp/offline-a" "$tmp/offline-a/pieces.csv" 0 1
    kvs_shape_pieces "$tmp/$name.mkv" "$tmp/$name" "$tmp/$name/pieces.csv" "$KVS_SHAPE_NEXT" 1
    mv "$tmp/$name.mkv" "$out/$name.mkv"
  done
  # The second part's Cluster timestamps restart at 0; its producer timestamps continue 2.2 s on.
  : >"$tmp/timecode-reset.mkv"
  kvs_shape_pieces "$tmp/timecode-reset.mkv" "$tmp/offline-a" "$tmp/offline-a/pieces.csv" 0 1
  KVS_SHAPE_PRODUCER_BASE=1700000002.2 \
    kvs_shape_pieces "$tmp/timecode-reset.mkv" "$tmp/offline-a" "$tmp/offline-a/pieces.csv" "$KVS_SHAPE_NEXT" 1
  mv "$tmp/timecode-reset.mkv" "$out/timecode-reset.mkv"
}

ls -l "$out"/*.mkv >&2
du -ch "$out"/*.mkv | tail -1 >&2

if [ "$check" = 1 ]; then
  bin="$root/target/release/kvs-remux"
  for file in "$out"/*.mkv; do
    errors="$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$file" 2>&1 >/dev/null)"
    [ -z "$errors" ] || { echo "gen-fixtures: ffprobe errors on $file: $errors" >&2; exit 1; }
    if [ -x "$bin" ]; then
      "$bin" inspect "$file" >&2
      # The first video frame after each fragment's Cluster is a key frame: ffprobe's key packets,
      # taken at the fragments' starts, must number as many as the fragments.
      fragments="$("$bin" inspect --json "$file" | jq '.Fragments | length')"
      if ffprobe -v error -select_streams v -show_entries stream=index -of csv=p=0 "$file" | grep -q .; then
        keys="$(ffprobe -v error -select_streams v:0 -show_entries packet=flags -of csv=p=0 "$file" | grep -c '^K')"
        [ "$keys" = "$fragments" ] || { echo "gen-fixtures: $file: $keys key frames, $fragments fragments" >&2; exit 1; }
      fi
    fi
  done
  echo "gen-fixtures: all fixtures check out" >&2
fi
