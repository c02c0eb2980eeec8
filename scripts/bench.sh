#!/usr/bin/env bash
# Throughput and memory of kvs-remux against ffmpeg on the same archive in the same run (STYLE §7:
# ffmpeg ratios live here, criterion figures in `cargo bench`): parsing (`inspect`, issue 1),
# MKV→fMP4 and GetClip (issue 5), MKV→TS (issue 6), and ListFragments / GetMediaForFragmentList on a
# 10 000-fragment archive (issue 11, scripts/bench-archive.sh), and the static HLS/DASH exports against
# ffmpeg's HLS and DASH muxers (issue 12, scripts/bench-hls.sh), and GetImages against ffmpeg's fps filter
# (issue 13, scripts/bench-images.sh; default build, then with features `ffmpeg` and `turbojpeg`).
#
#   scripts/bench.sh                      # 600-s 1080p archive (~600 MB) + a 60-s one for RSS
#   BENCH_ONLY=fmp4,clip scripts/bench.sh # sections: parse, fmp4, clip, ts, archive, hls, images (default: all)
#   BENCH_SECONDS=120 scripts/bench.sh    # shorter main archive (keep it >= 100 MB, ~100 s)
#   BENCH_CRITERION=1 scripts/bench.sh    # also run `cargo bench --bench parse` on the archive
#   BENCH_REMUX_CRITERION=0 scripts/bench.sh  # skip `cargo bench --bench remux` (in-process ratios)
#   BENCH_GEN_OPTS="--crc32" scripts/bench.sh  # gen-archive options (--crc32, --bframes)
#   BENCH_NO_BUILD=1 scripts/bench.sh     # use the existing target/release/kvs-remux
#
# parse — measures (page cache warm, hyperfine medians):
#   ours    target/release/kvs-remux inspect ARCHIVE --json > /dev/null   (mmap + Reader)
#   ffmpeg  ffmpeg -v error -i ARCHIVE -map 0 -c copy -f null -          (demux every packet)
#   cat     cat ARCHIVE > /dev/null, cat ARCHIVE > /dev/shm/...          (copy limit, for context)
# and peak RSS of each (/usr/bin/time -v) on the main and the small archive. Ours maps the file,
# so its RSS includes the pages of the archive it touched (file-backed, shared with the page
# cache, dropped under pressure); the script also samples RssAnon/RssFile from /proc and runs
# `inspect -` (stdin, push parser, no mmap) to show what the reader itself holds.
#
# fmp4, clip, ts — each remux three ways, all in one hyperfine run with the copy limit:
#   tmpfs     ours and ffmpeg writing to /dev/shm, against `cat ARCHIVE > /dev/shm/...` (the copy
#             limit: writing a file to tmpfs is itself a full copy); target >= 85 % (TS >= 70 %)
#   /dev/null ffmpeg (and ours for get-clip, the one command with a single output file) writing to
#             /dev/null: the remux itself, no copy into the page cache
#   in-proc   `cargo bench --bench remux` (criterion: chunk lists written vectored to io::sink),
#             `indexed + remux` (the archive opened before timing; each fragment's frames are
#             read during the pass, as the operations read them) and `open + remux` (the index
#             walk timed too: what ffmpeg's demuxing corresponds to), against ffmpeg to
#             /dev/null; `fragment` and `ts`
#             write a file per fragment, so this is their measure of the remux itself
#   commands: ours   kvs-remux fragment ARCHIVE DIR | get-clip ARCHIVE OUT --no-limits | ts ARCHIVE DIR
#             ffmpeg -i ARCHIVE -map 0 -c copy -movflags frag_keyframe+empty_moov+default_base_moof -f mp4 OUT
#                    | -f mp4 OUT | -f mpegts OUT
#   targets: fMP4 and GetClip >= 5x ffmpeg, TS >= 3x ffmpeg (on the remux itself); ours' RSS beyond
#   the mapped input <= 64 MB (RssAnon sampled from /proc; and max RSS minus the archive's size).
# Results are also written to bench-data/bench-results.txt. Only bench-data/ and /dev/shm are
# written; /dev/shm is cleaned after each step and on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/bench.sh   (no arguments; settings via BENCH_ONLY, BENCH_SECONDS, BENCH_CRITERION," >&2
  echo "       BENCH_REMUX_CRITERION, BENCH_GEN_OPTS, BENCH_NO_BUILD: see the comment atop this script)" >&2
}
case "${1:-}" in
  "") ;;
  -h|--help) usage; exit 0 ;;
  *) usage; exit 2 ;;
esac

seconds="${BENCH_SECONDS:-600}"
small_seconds=$((seconds >= 120 ? 60 : seconds / 2))
((small_seconds >= 2)) || small_seconds=2
read -r -a gen_opts <<< "${BENCH_GEN_OPTS:-}"
variant=""
for opt in "${gen_opts[@]}"; do
  case "$opt" in
    --crc32) variant+="-crc32" ;;
    --bframes) variant+="-bf2" ;;
    *) echo "bench: unknown BENCH_GEN_OPTS option $opt" >&2; exit 2 ;;
  esac
done
if [ "$seconds" = 600 ]; then
  archive="bench-data/archive-1080p${variant}.mkv"
else
  archive="bench-data/archive-1080p-${seconds}s${variant}.mkv"
fi
small="bench-data/archive-1080p-${small_seconds}s${variant}.mkv"
shm_copy="/dev/shm/kvs-remux-bench-$$.mkv"
# Remux outputs: everything under one directory, emptied before every timed run.
shm_dir="/dev/shm/kvs-remux-bench-$$"
results=bench-data/bench-results.txt
cleanup() { rm -rf "$shm_copy" "$shm_dir"; }
trap cleanup EXIT

only="${BENCH_ONLY:-parse,fmp4,clip,ts,archive,hls,images}"
for section in ${only//,/ }; do
  case "$section" in
    parse|fmp4|clip|ts|archive|hls|images) ;;
    *) echo "bench: unknown BENCH_ONLY section $section (parse, fmp4, clip, ts, archive, hls, images)" >&2; exit 2 ;;
  esac
done
want() { [[ ",$only," == *",$1,"* ]]; }
remux_sections=()
for section in fmp4 clip ts; do
  if want "$section"; then remux_sections+=("$section"); fi
done

missing=()
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
if want images; then
  # The second GetImages build (features `ffmpeg` and `turbojpeg`).
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  pkg-config --exists libavcodec libavformat 2>/dev/null || missing+=(libavcodec-dev libavformat-dev)
  compgen -G '/usr/lib/llvm-*/lib/libclang*.so*' >/dev/null || missing+=(libclang-dev)
  command -v cmake >/dev/null || missing+=(cmake)
  command -v nasm >/dev/null || missing+=(nasm)
fi
# shellcheck source=apt-install.sh
. scripts/apt-install.sh
apt_install bench "${missing[@]}"

mkdir -p bench-data
scripts/gen-archive.sh "$archive" "$seconds" "${gen_opts[@]}"
if want parse; then scripts/gen-archive.sh "$small" "$small_seconds" "${gen_opts[@]}"; fi
bin=target/release/kvs-remux
if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
  [ -x "$bin" ] || { echo "bench: BENCH_NO_BUILD=1 but $bin is missing" >&2; exit 1; }
  echo "bench: using the existing $bin ($(date -r "$bin" +%FT%T))" >&2
else
  cargo build --release --locked --quiet ||
    { echo "bench: cargo build failed (BENCH_NO_BUILD=1 reuses an existing binary)" >&2; exit 1; }
fi

size=$(stat -c %s "$archive")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
if ((size < 100000000)); then
  echo "bench: warning: $archive is only $((size / 1000000)) MB; figures under 100 MB are noisy" >&2
fi
# The archive must parse cleanly, or we would be timing an early exit.
fragments=$("$bin" inspect "$archive" --json | grep -o '"FragmentNumber"' | wc -l)
"$bin" inspect "$archive" --json > /dev/null || { echo "bench: $archive does not parse" >&2; exit 1; }

# Bytes -> MB (10^6); /proc and time(1) kB (KiB) -> MiB.
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# hyperfine CSV: command,mean,stddev,median,user,system,min,max
median() { awk -F, -v c="$1" '$1 == c { print $4 }' "${2:-$csv}"; }
user_sys() { awk -F, -v c="$1" '$1 == c { printf "%.3f %.3f", $5, $6 }' "${2:-$csv}"; }
rate() { awk -v s="$size" -v t="$1" 'BEGIN { printf "%.0f", s / t / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# --- Memory ----------------------------------------------------------------------------------
# Peak RSS (kB) of a command with stdout to /dev/null.
peak_rss() {
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'
}
# Same, reading FILE on stdin.
peak_rss_stdin() {
  local file="$1"
  shift
  /usr/bin/time -v "$@" < "$file" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'
}
# shellcheck source=scripts/rss-split.sh
source scripts/rss-split.sh


if want parse; then
# --- Throughput ------------------------------------------------------------------------------
csv=bench-data/hyperfine.csv
echo "bench: timing on $archive ($(mb "$size") MB, $fragments fragments), $(nproc) cores" >&2
hyperfine --style basic --warmup 1 --min-runs 5 --max-runs 20 --export-csv "$csv" \
  --command-name ours "$bin inspect $archive --json > /dev/null" \
  --command-name ffmpeg "ffmpeg -v error -i $archive -map 0 -c copy -f null -" \
  --command-name cat-null "cat $archive > /dev/null" \
  --command-name cat-shm "cat $archive > $shm_copy" >&2
rm -f "$shm_copy"

t_ours=$(median ours)
t_ffmpeg=$(median ffmpeg)
t_cat=$(median cat-null)
t_shm=$(median cat-shm)
small_size=$(stat -c %s "$small")
rss_ours_big=$(peak_rss "$bin" inspect "$archive" --json)
rss_ours_small=$(peak_rss "$bin" inspect "$small" --json)
read -r anon_big file_big <<< "$(rss_split "$bin" inspect "$archive" --json)"
read -r anon_small file_small <<< "$(rss_split "$bin" inspect "$small" --json)"
rss_stdin_big=$(peak_rss_stdin "$archive" "$bin" inspect - --json)
rss_stdin_small=$(peak_rss_stdin "$small" "$bin" inspect - --json)
rss_ffmpeg_big=$(peak_rss ffmpeg -nostdin -v error -i "$archive" -map 0 -c copy -f null -)
rss_ffmpeg_small=$(peak_rss ffmpeg -nostdin -v error -i "$small" -map 0 -c copy -f null -)

fi

# --- Remux: MKV→fMP4, GetClip, MKV→TS (issues 5 and 6) --------------------------------------
remux_csv=bench-data/hyperfine-remux.csv
ff="ffmpeg -nostdin -v error -y -i $archive -map 0 -c copy"
fmp4_flags="-movflags frag_keyframe+empty_moov+default_base_moof -f mp4"
declare -A title target_x target_pct out_mb rss_max rss_anon rss_file rss_ff crit_alone crit_read
title[fmp4]="MKV→fMP4 (ours: fragment ARCHIVE DIR, every fragment and track; ffmpeg: $fmp4_flags)"
title[clip]="GetClip (ours: get-clip ARCHIVE OUT --no-limits; ffmpeg: -f mp4, progressive)"
title[ts]="MKV→TS (ours: ts ARCHIVE DIR, a .ts per fragment; ffmpeg: -f mpegts)"
target_x=([fmp4]=5 [clip]=5 [ts]=3)
target_pct=([fmp4]=85 [clip]=85 [ts]=70)
# name=command, per section; tmpfs outputs all go under $shm_dir.
declare -A cmd
cmd[fmp4-ours-shm]="$bin fragment $archive $shm_dir/fmp4"
cmd[fmp4-ffmpeg-shm]="$ff $fmp4_flags $shm_dir/ffmpeg.mp4"
cmd[fmp4-ffmpeg-null]="$ff $fmp4_flags /dev/null"
cmd[clip-ours-null]="$bin get-clip $archive /dev/null --no-limits"
cmd[clip-ours-shm]="$bin get-clip $archive $shm_dir/clip.mp4 --no-limits"
cmd[clip-ffmpeg-null]="$ff -f mp4 /dev/null"
cmd[clip-ffmpeg-shm]="$ff -f mp4 $shm_dir/ffmpeg.mp4"
cmd[ts-ours-shm]="$bin ts $archive $shm_dir/ts"
cmd[ts-ffmpeg-null]="$ff -f mpegts /dev/null"
cmd[ts-ffmpeg-shm]="$ff -f mpegts $shm_dir/ffmpeg.ts"
rows() {
  case "$1" in
    fmp4) echo fmp4-ours-shm fmp4-ffmpeg-shm fmp4-ffmpeg-null ;;
    clip) echo clip-ours-null clip-ours-shm clip-ffmpeg-null clip-ffmpeg-shm ;;
    ts) echo ts-ours-shm ts-ffmpeg-null ts-ffmpeg-shm ;;
  esac
}
fresh_shm() { rm -rf "$shm_dir" && mkdir -p "$shm_dir"; }

if ((${#remux_sections[@]})); then
  # One untimed run of each tmpfs command: it must succeed, and its output size is reported.
  hf_args=(--command-name cat-shm "cat $archive > $shm_dir/copy.mkv")
  for section in "${remux_sections[@]}"; do
    for name in $(rows "$section"); do
      if [[ "$name" == *-shm ]]; then
        fresh_shm
        bash -c "${cmd[$name]}" || { echo "bench: $name failed: ${cmd[$name]}" >&2; exit 1; }
        out_mb[$name]=$(mb "$(du -sb "$shm_dir" | cut -f1)")
      fi
      hf_args+=(--command-name "$name" "${cmd[$name]}")
    done
  done
  rm -rf "$shm_dir"

  echo "bench: timing ${remux_sections[*]} on $archive, outputs in $shm_dir (emptied before each run)" >&2
  hyperfine --style basic --warmup 1 --min-runs 5 --max-runs 20 --export-csv "$remux_csv" \
    --prepare "rm -rf $shm_dir && mkdir -p $shm_dir" "${hf_args[@]}" >&2
  rm -rf "$shm_dir"

  # Peak RSS: ours writing to tmpfs (to /dev/null for get-clip), ffmpeg to /dev/null.
  for section in "${remux_sections[@]}"; do
    case "$section" in
      fmp4) ours=(fragment "$archive" "$shm_dir/fmp4"); ffm=($fmp4_flags) ;;
      clip) ours=(get-clip "$archive" /dev/null --no-limits); ffm=(-f mp4) ;;
      ts) ours=(ts "$archive" "$shm_dir/ts"); ffm=(-f mpegts) ;;
    esac
    fresh_shm
    rss_max[$section]=$(peak_rss "$bin" "${ours[@]}")
    fresh_shm
    read -r "rss_anon[$section]" "rss_file[$section]" <<< "$(rss_split "$bin" "${ours[@]}")"
    rm -rf "$shm_dir"
    rss_ff[$section]=$(peak_rss ffmpeg -nostdin -v error -y -i "$archive" -map 0 -c copy "${ffm[@]}" /dev/null)
  done

  # In process: criterion medians (ns) from target/criterion/<group>/<function>/new/estimates.json.
  if [ "${BENCH_REMUX_CRITERION:-1}" != 0 ]; then
    echo "bench: cargo bench --bench remux (log: bench-data/criterion-remux.log)" >&2
    KVS_BENCH_ARCHIVE="$PWD/$archive" cargo bench --locked --bench remux > bench-data/criterion-remux.log 2>&1 ||
      { echo "bench: cargo bench --bench remux failed, see bench-data/criterion-remux.log" >&2; exit 1; }
    target_dir=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
    for section in "${remux_sections[@]}"; do
      case "$section" in fmp4) group=mkv_to_fmp4 ;; clip) group=get_clip ;; ts) group=mkv_to_ts ;; esac
      estimate() {
        jq -r '.median.point_estimate / 1e9' "$target_dir/criterion/$group/$1/new/estimates.json" 2>/dev/null ||
          echo ""
      }
      crit_alone[$section]=$(estimate archive)
      crit_read[$section]=$(estimate archive_read_too)
    done
  fi
fi

# Prints "met" or "NOT met (short by ...)" for value $1 against minimum $2 (unit $3).
verdict() {
  awk -v v="$1" -v t="$2" -v u="$3" 'BEGIN {
    if (v >= t) print "met"; else if (u == "x") printf "NOT met: %.1f%% short\n", (1 - v / t) * 100;
    else printf "NOT met: %.1f points short\n", t - v }'
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a / b * 100 }'; }

remux_report() {
  local section=$1 t_cat t_ff_null t_ff_shm t_ours_shm t_ours_null name t us sy x
  t_cat=$(median cat-shm "$remux_csv")
  t_ff_null=$(median "$section-ffmpeg-null" "$remux_csv")
  t_ff_shm=$(median "$section-ffmpeg-shm" "$remux_csv")
  t_ours_shm=$(median "$section-ours-shm" "$remux_csv")
  t_ours_null=$(median "$section-ours-null" "$remux_csv")
  echo
  echo "${title[$section]}"
  printf '  %-36s %8s %7s %7s %7s %8s %10s %8s\n' "run" "time s" "MB/s" "user s" "sys s" "out MB" \
    "vs ffmpeg" "% copy"
  for name in $(rows "$section") cat-shm; do
    t=$(median "$name" "$remux_csv")
    read -r us sy <<< "$(user_sys "$name" "$remux_csv")"
    case "$name" in
      *-null) x=$(ratio "$t_ff_null" "$t")x ;;
      *-shm) x=$(ratio "$t_ff_shm" "$t")x ;;
    esac
    [ "$name" = cat-shm ] && x="-"
    local label="${name#"$section"-}"
    label="${label/-shm/ → /dev/shm}"
    label="${label/-null/ → /dev/null}"
    [ "$name" = cat-shm ] && label="cat ARCHIVE > /dev/shm (copy limit)"
    printf '  %-36s %8.3f %7s %7s %7s %8s %10s %8s\n' "$label" "$t" "$(rate "$t")" "$us" "$sy" \
      "${out_mb[$name]:-$([ "$name" = cat-shm ] && mb "$size" || echo -)}" "$x" \
      "$([[ "$name" == *-shm ]] && echo "$(pct "$t_cat" "$t")%" || echo -)"
  done
  if [ -n "${crit_alone[$section]:-}" ]; then
    printf '  %-36s %8.3f %7s %7s %7s %8s %10s\n' "ours in process, indexed + remux" "${crit_alone[$section]}" \
      "$(rate "${crit_alone[$section]}")" - - - "$(ratio "$t_ff_null" "${crit_alone[$section]}")x"
    printf '  %-36s %8.3f %7s %7s %7s %8s %10s\n' "ours in process, open + remux" "${crit_read[$section]}" \
      "$(rate "${crit_read[$section]}")" - - - "$(ratio "$t_ff_null" "${crit_read[$section]}")x"
  fi
  echo "  (in-process rows: criterion median, chunk lists written vectored to io::sink; their"
  echo "   'vs ffmpeg' is against ffmpeg → /dev/null)"
  local copy_pct
  copy_pct=$(pct "$t_cat" "$t_ours_shm")
  echo "  tmpfs: ours / ffmpeg $(ratio "$t_ff_shm" "$t_ours_shm")x; ours at ${copy_pct} % of the copy limit" \
    "(target >= ${target_pct[$section]} %: $(verdict "$copy_pct" "${target_pct[$section]}" pct))"
  if [ -n "$t_ours_null" ]; then
    x=$(ratio "$t_ff_null" "$t_ours_null")
    echo "  remux itself, processes → /dev/null: ours / ffmpeg ${x}x" \
      "(target >= ${target_x[$section]}x: $(verdict "$x" "${target_x[$section]}" x))"
  fi
  if [ -n "${crit_read[$section]:-}" ]; then
    x=$(ratio "$t_ff_null" "${crit_read[$section]}")
    echo "  remux itself, in process (open + remux) / ffmpeg → /dev/null: ${x}x" \
      "(target >= ${target_x[$section]}x: $(verdict "$x" "${target_x[$section]}" x));" \
      "indexed archive + remux: $(ratio "$t_ff_null" "${crit_alone[$section]}")x"
  fi
  local beyond=$((rss_max[$section] - size / 1024))
  echo "  peak RSS, MiB: ours $(mib "${rss_max[$section]}") (time -v); sampled RssAnon" \
    "$(mib "${rss_anon[$section]}") (heap), RssFile $(mib "${rss_file[$section]}") (mapped input);" \
    "max RSS minus the archive's size $(mib "$beyond"); ffmpeg → /dev/null $(mib "${rss_ff[$section]}")"
  awk -v a="${rss_anon[$section]}" -v b="$beyond" 'BEGIN {
    printf "  RSS beyond the mapped input, target <= 64 MB (62500 KiB): RssAnon %s",
      (a <= 62500 ? "met" : sprintf("NOT met: %.1f MiB over", (a - 62500) / 1024));
    printf "; max RSS minus the archive %s\n",
      (b <= 62500 ? "met" : sprintf("NOT met: %.1f MiB over", (b - 62500) / 1024)) }'
}

# --- Optional: criterion in-process throughput -----------------------------------------------
criterion=""
if want parse && [ "${BENCH_CRITERION:-0}" = 1 ]; then
  criterion=$( (KVS_BENCH_ARCHIVE="$PWD/$archive" cargo bench --locked --bench parse 2>&1 ||
    echo "cargo bench failed") |
    awk '/cargo bench failed|^error/ { print "  " $0 }
      /^[a-z_0-9]+\/[a-z]+/ { name = $1 }
      /thrpt:/ && name != "" { print "  " name ": " $0; name = "" }' |
    sed 's/  */ /g')
fi

# --- Report ----------------------------------------------------------------------------------
{
  echo
  echo "kvs-remux benchmark ($only), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, page cache warm," \
    "load average before: $load_before"
  echo "archive: $archive, $(mb "$size") MB, $fragments fragments, ${seconds} s of 1080p30 H.264 + AAC" \
    "${BENCH_GEN_OPTS:+(gen-archive $BENCH_GEN_OPTS)}"
  if want parse; then
  echo
  printf '%-34s %9s %9s %10s %8s\n' "command (hyperfine median)" "time s" "MB/s" "vs ffmpeg" "vs cat"
  for row in "ours inspect --json:$t_ours" "ffmpeg -c copy -f null:$t_ffmpeg" \
    "cat > /dev/null:$t_cat" "cat > /dev/shm:$t_shm"; do
    t="${row##*:}"
    printf '%-34s %9.3f %9s %9sx %7sx\n' "${row%:*}" "$t" "$(rate "$t")" \
      "$(ratio "$t_ffmpeg" "$t")" "$(ratio "$t_cat" "$t")"
  done
  speedup=$(ratio "$t_ffmpeg" "$t_ours")
  verdict=$(awk -v r="$speedup" 'BEGIN { print (r >= 10 ? "met" : "NOT met") }')
  echo
  echo "ours / ffmpeg throughput: ${speedup}x (target >= 10x: $verdict)"
  echo
  printf '%-40s %14s %14s\n' "peak RSS, MiB" "$(mb "$size") MB in" "$(mb "$small_size") MB in"
  printf '%-40s %14s %14s\n' "ours, file (mmap) — /usr/bin/time -v" "$(mib "$rss_ours_big")" "$(mib "$rss_ours_small")"
  printf '%-40s %14s %14s\n' "  of which anonymous (RssAnon, sampled)" "$(mib "$anon_big")" "$(mib "$anon_small")"
  printf '%-40s %14s %14s\n' "  of which file-backed (RssFile, sampled)" "$(mib "$file_big")" "$(mib "$file_small")"
  printf '%-40s %14s %14s\n' "  max RSS minus the archive's size" "$(mib $((rss_ours_big - size / 1024)))" \
    "$(mib $((rss_ours_small - small_size / 1024)))"
  printf '%-40s %14s %14s\n' "ours, stdin (push parser, 64 KiB reads)" "$(mib "$rss_stdin_big")" "$(mib "$rss_stdin_small")"
  printf '%-40s %14s %14s\n' "ffmpeg -c copy -f null" "$(mib "$rss_ffmpeg_big")" "$(mib "$rss_ffmpeg_small")"
  echo "ratio ours (mmap) / ffmpeg peak RSS on the big archive: $(ratio "$rss_ours_big" "$rss_ffmpeg_big")x;" \
    "anonymous only: $(ratio "$anon_big" "$rss_ffmpeg_big")x"
  if [ -n "$criterion" ]; then
    echo
    echo "criterion (in-process, cargo bench --bench parse):"
    echo "$criterion"
  fi
  fi
  for section in "${remux_sections[@]}"; do remux_report "$section"; done
} | tee "$results"

# ListFragments and GetMediaForFragmentList on a 10 000-fragment archive (issue 11).
if want archive; then scripts/bench-archive.sh "$bin"; fi

# Static HLS and DASH exports against ffmpeg's muxers (issue 12).
if want hls; then scripts/bench-hls.sh "$archive" "$bin"; fi
if want images; then
  scripts/bench-images.sh "$archive" "$bin"
  # Once more with libavcodec decoding and libjpeg-turbo encoding (features `ffmpeg` and
  # `turbojpeg`), built beside the default binary.
  cargo build --release --locked --quiet --features ffmpeg,turbojpeg --target-dir target/ffmpeg-feature
  scripts/bench-images.sh "$archive" target/ffmpeg-feature/release/kvs-remux
fi
