#!/usr/bin/env bash
# The static HLS and DASH exports against ffmpeg's HLS/DASH muxers on the same archive, in the same
# hyperfine run, all writing to tmpfs, with the copy limit (`cat ARCHIVE > /dev/shm/...`):
#   ours    kvs-remux export-hls ARCHIVE DIR          (fMP4: master, 2 media playlists, init + m4s)
#           kvs-remux export-hls ARCHIVE DIR --container-format MPEG_TS
#           kvs-remux export-dash ARCHIVE DIR
#   ffmpeg  ffmpeg -i ARCHIVE -map 0 -c copy -f hls -hls_segment_type fmp4 -hls_time 2
#                  -hls_playlist_type vod DIR/out.m3u8   (and -hls_segment_type mpegts)
#           ffmpeg -i ARCHIVE -map 0 -c copy -f dash DIR/out.mpd
# plus peak RSS of ours (/usr/bin/time -v). Called by scripts/bench.sh (section `hls`), or alone:
#   scripts/bench-hls.sh ARCHIVE [BIN]     (BIN defaults to target/release/kvs-remux)
# Results are appended to bench-data/bench-hls-results.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

archive="${1:?usage: scripts/bench-hls.sh ARCHIVE [BIN]}"
bin="${2:-target/release/kvs-remux}"
[ -x "$bin" ] || cargo build --release --locked --quiet
shm="/dev/shm/kvs-remux-bench-hls-$$"
results=bench-data/bench-hls-results.txt
csv=$(mktemp)
trap 'rm -rf "$shm" "$csv"' EXIT
mkdir -p bench-data

ff="ffmpeg -nostdin -v error -y -i $archive -map 0 -c copy"
fresh="rm -rf $shm && mkdir -p $shm/ff"
hyperfine -N --warmup 1 --runs 7 --export-csv "$csv" --style basic --prepare "bash -c '$fresh'" \
  -n cat "bash -c 'cat $archive > $shm/copy.mkv'" \
  -n hls-fmp4-ours "$bin export-hls $archive $shm/ours" \
  -n hls-fmp4-ffmpeg "$ff -f hls -hls_segment_type fmp4 -hls_time 2 -hls_playlist_type vod $shm/ff/out.m3u8" \
  -n hls-ts-ours "$bin export-hls $archive $shm/ours --container-format MPEG_TS" \
  -n hls-ts-ffmpeg "$ff -f hls -hls_segment_type mpegts -hls_time 2 -hls_playlist_type vod $shm/ff/out.m3u8" \
  -n dash-ours "$bin export-dash $archive $shm/ours" \
  -n dash-ffmpeg "$ff -f dash $shm/ff/out.mpd" >&2

median() { awk -F, -v c="$1" '$1 == c { print $4 }' "$csv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
peak_mib() {
  rm -rf "$shm/ours"
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }'
}
size=$(stat -c %s "$archive")
t_cat=$(median cat)
{
  echo
  echo "kvs-remux static HLS/DASH exports, $(date -u +%FT%TZ), $(nproc) cores, page cache warm, outputs on tmpfs"
  echo "archive: $archive, $((size / 1000000)) MB; cat ARCHIVE > tmpfs (the copy limit): $(ms "$t_cat") ms"
  echo
  printf '%-14s %10s %10s %12s %12s %14s\n' export "ours ms" "ffmpeg ms" "vs ffmpeg" "copy limit" "peak RSS MiB"
  for row in hls-fmp4 hls-ts dash; do
    t_ours=$(median "$row-ours")
    t_ff=$(median "$row-ffmpeg")
    case "$row" in
      hls-fmp4) args=(export-hls "$archive" "$shm/ours") ;;
      hls-ts) args=(export-hls "$archive" "$shm/ours" --container-format MPEG_TS) ;;
      dash) args=(export-dash "$archive" "$shm/ours") ;;
    esac
    printf '%-14s %10s %10s %11sx %11s%% %14s\n' "$row" "$(ms "$t_ours")" "$(ms "$t_ff")" \
      "$(ratio "$t_ff" "$t_ours")" "$(awk -v c="$t_cat" -v o="$t_ours" 'BEGIN { printf "%.0f", 100 * c / o }')" \
      "$(peak_mib "$bin" "${args[@]}")"
  done
} | tee -a "$results"
