#!/usr/bin/env bash
# Parse throughput and memory of `kvs-remux inspect` against ffmpeg's demuxer, on the same archive
# in the same run (STYLE §7: ffmpeg ratios live here, criterion figures in `cargo bench`).
#
#   scripts/bench.sh                      # 600-s 1080p archive (~600 MB) + a 60-s one for RSS
#   BENCH_SECONDS=120 scripts/bench.sh    # shorter main archive (keep it >= 100 MB, ~100 s)
#   BENCH_CRITERION=1 scripts/bench.sh    # also run `cargo bench --bench parse` on the archive
#   BENCH_GEN_OPTS="--crc32" scripts/bench.sh  # gen-archive options (--crc32, --bframes)
#   BENCH_NO_BUILD=1 scripts/bench.sh     # use the existing target/release/kvs-remux
#
# Measures (page cache warm, hyperfine medians):
#   ours    target/release/kvs-remux inspect ARCHIVE --json > /dev/null   (mmap + Reader)
#   ffmpeg  ffmpeg -v error -i ARCHIVE -map 0 -c copy -f null -          (demux every packet)
#   cat     cat ARCHIVE > /dev/null, cat ARCHIVE > /dev/shm/...          (copy limit, for context)
# and peak RSS of each (/usr/bin/time -v) on the main and the small archive. Ours maps the file,
# so its RSS includes the pages of the archive it touched (file-backed, shared with the page
# cache, dropped under pressure); the script also samples RssAnon/RssFile from /proc and runs
# `inspect -` (stdin, push parser, no mmap) to show what the reader itself holds.
# Results are also written to bench-data/bench-results.txt. Only bench-data/ and /dev/shm are
# written; /dev/shm is cleaned on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

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
results=bench-data/bench-results.txt
cleanup() { rm -f "$shm_copy"; }
trap cleanup EXIT

missing=()
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "bench: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p bench-data
scripts/gen-archive.sh "$archive" "$seconds" "${gen_opts[@]}"
scripts/gen-archive.sh "$small" "$small_seconds" "${gen_opts[@]}"
bin=target/release/kvs-remux
if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
  [ -x "$bin" ] || { echo "bench: BENCH_NO_BUILD=1 but $bin is missing" >&2; exit 1; }
  echo "bench: using the existing $bin ($(date -r "$bin" +%FT%T))" >&2
else
  cargo build --release --locked --quiet ||
    { echo "bench: cargo build failed (BENCH_NO_BUILD=1 reuses an existing binary)" >&2; exit 1; }
fi

size=$(stat -c %s "$archive")
small_size=$(stat -c %s "$small")
if ((size < 100000000)); then
  echo "bench: warning: $archive is only $((size / 1000000)) MB; figures under 100 MB are noisy" >&2
fi
# The archive must parse cleanly, or we would be timing an early exit.
fragments=$("$bin" inspect "$archive" --json | grep -o '"FragmentNumber"' | wc -l)
"$bin" inspect "$archive" --json > /dev/null || { echo "bench: $archive does not parse" >&2; exit 1; }

# Bytes -> MB (10^6); /proc and time(1) kB (KiB) -> MiB.
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# --- Throughput ------------------------------------------------------------------------------
csv=bench-data/hyperfine.csv
echo "bench: timing on $archive ($(mb "$size") MB, $fragments fragments), $(nproc) cores" >&2
hyperfine --style basic --warmup 1 --min-runs 5 --max-runs 20 --export-csv "$csv" \
  --command-name ours "$bin inspect $archive --json > /dev/null" \
  --command-name ffmpeg "ffmpeg -v error -i $archive -map 0 -c copy -f null -" \
  --command-name cat-null "cat $archive > /dev/null" \
  --command-name cat-shm "cat $archive > $shm_copy" >&2
rm -f "$shm_copy"

# hyperfine CSV: command,mean,stddev,median,user,system,min,max
median() { awk -F, -v c="$1" '$1 == c { print $4 }' "$csv"; }
t_ours=$(median ours)
t_ffmpeg=$(median ffmpeg)
t_cat=$(median cat-null)
t_shm=$(median cat-shm)
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
# Peak RssAnon and RssFile (kB) of a running command, polling /proc/PID/status with bash builtins
# only (no sleep, no subprocess) so even a sub-second run gets many samples.
rss_split() {
  "$@" > /dev/null &
  local pid=$! anon=0 file=0 state=R key value
  while [ "$state" != Z ] && [ -r "/proc/$pid/status" ]; do
    while IFS=$': \t' read -r key value _; do
      case "$key" in
        State) state=$value ;;
        RssAnon) ((value > anon)) && anon=$value ;;
        RssFile) ((value > file)) && file=$value ;;
      esac
    done < "/proc/$pid/status" 2>/dev/null || state=Z
  done
  wait "$pid"
  echo "$anon $file"
}

rss_ours_big=$(peak_rss "$bin" inspect "$archive" --json)
rss_ours_small=$(peak_rss "$bin" inspect "$small" --json)
read -r anon_big file_big <<< "$(rss_split "$bin" inspect "$archive" --json)"
read -r anon_small file_small <<< "$(rss_split "$bin" inspect "$small" --json)"
rss_stdin_big=$(peak_rss_stdin "$archive" "$bin" inspect - --json)
rss_stdin_small=$(peak_rss_stdin "$small" "$bin" inspect - --json)
rss_ffmpeg_big=$(peak_rss ffmpeg -nostdin -v error -i "$archive" -map 0 -c copy -f null -)
rss_ffmpeg_small=$(peak_rss ffmpeg -nostdin -v error -i "$small" -map 0 -c copy -f null -)

# --- Optional: criterion in-process throughput -----------------------------------------------
criterion=""
if [ "${BENCH_CRITERION:-0}" = 1 ]; then
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
  echo "kvs-remux parse benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, page cache warm"
  echo "archive: $archive, $(mb "$size") MB, $fragments fragments, ${seconds} s of 1080p30 H.264 + AAC" \
    "${BENCH_GEN_OPTS:+(gen-archive $BENCH_GEN_OPTS)}"
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
} | tee "$results"
