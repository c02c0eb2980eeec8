#!/usr/bin/env bash
# The archive operations against their physical limits (issue 11), on a 10 000-fragment archive from
# the page cache:
#   ListFragments   `kvs-remux list-fragments ARCHIVE` (every page, every fragment) and one page of 100,
#                   against walking the same archive with `kvs-remux inspect --json` (which reads every
#                   frame) and `cat ARCHIVE > /dev/null`
#   GetMediaForFragmentList
#                   1000 fragments (every 10th) to /dev/null, against `cat` of the same bytes (the
#                   payload written once to a file) to /dev/null
# plus peak RSS of each (/usr/bin/time -v). Called by scripts/bench.sh (section `archive`), or alone:
#   scripts/bench-archive.sh [BIN]      (BIN defaults to target/release/kvs-remux, built by bench.sh)
# The archive: 1000 s of 640x360 10 fps all-intra H.264 (ffmpeg testsrc2), packed by `kvs-remux pack
# --fragment-duration 100` into one fragment per frame; made once under bench-data/.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${1:-target/release/kvs-remux}"
[ -x "$bin" ] || cargo build --release --locked --quiet
source_mkv=bench-data/intra-640x360-1000s.mkv
archive=bench-data/archive-10k-fragments.mkv
request=bench-data/gmffl-1000.json
payload=bench-data/gmffl-1000.payload
results=bench-data/bench-archive-results.txt
mkdir -p bench-data

if [ ! -s "$source_mkv" ]; then
  echo "bench-archive: encoding $source_mkv (10 000 intra frames)" >&2
  ffmpeg -v error -y -f lavfi -i testsrc2=size=640x360:rate=10 -t 1000 -pix_fmt yuv420p \
    -c:v libx264 -preset ultrafast -g 1 -threads 2 "$source_mkv"
fi
if [ ! -s "$archive" ] || [ "$archive" -ot "$bin" ]; then
  "$bin" pack "$source_mkv" "$archive" --fragment-duration 100
fi
fragments=$("$bin" list-fragments "$archive" | grep -c '"FragmentNumber"')
if [ "$fragments" != 10000 ]; then
  echo "bench-archive: $archive has $fragments fragments, not 10000" >&2
  exit 1
fi
# Every 10th fragment, as the service's request JSON.
"$bin" list-fragments "$archive" |
  awk -F'"' '/"FragmentNumber"/ { if (n++ % 10 == 0) printf "%s\"%s\"", (n > 1 ? "," : ""), $4 }' |
  { printf '{"Fragments":['; cat; printf ']}'; } > "$request"
"$bin" get-media-for-fragment-list "$archive" "$payload" --cli-input-json "file://$request" > /dev/null

size=$(stat -c %s "$archive")
payload_size=$(stat -c %s "$payload")
csv=$(mktemp)
trap 'rm -f "$csv"' EXIT
hyperfine -N --warmup 2 --runs 10 --export-csv "$csv" --style basic \
  -n list-all "$bin list-fragments $archive" \
  -n list-page "$bin list-fragments $archive --max-results 100" \
  -n inspect "$bin inspect --json $archive" \
  -n cat-archive "cat $archive" \
  -n gmffl "$bin get-media-for-fragment-list $archive /dev/null --cli-input-json file://$request" \
  -n cat-payload "cat $payload" >&2

median() { awk -F, -v c="$1" '$1 == c { print $4 }' "$csv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
peak_mib() {
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }'
}

{
  echo
  echo "kvs-remux archive operations, $(date -u +%FT%TZ), $(nproc) cores, page cache warm"
  echo "archive: $archive, $((size / 1000000)) MB, $fragments fragments; payload: 1000 fragments, $((payload_size / 1000000)) MB"
  echo
  printf '%-44s %9s %12s\n' "command (hyperfine median)" "time ms" "peak RSS MiB"
  printf '%-44s %9s %12s\n' "list-fragments (all 10 000, 10 pages)" "$(ms "$(median list-all)")" \
    "$(peak_mib "$bin" list-fragments "$archive")"
  printf '%-44s %9s %12s\n' "list-fragments --max-results 100" "$(ms "$(median list-page)")" \
    "$(peak_mib "$bin" list-fragments "$archive" --max-results 100)"
  printf '%-44s %9s %12s\n' "inspect --json (reads every frame)" "$(ms "$(median inspect)")" \
    "$(peak_mib "$bin" inspect --json "$archive")"
  printf '%-44s %9s\n' "cat ARCHIVE > /dev/null" "$(ms "$(median cat-archive)")"
  printf '%-44s %9s %12s\n' "get-media-for-fragment-list 1000 > /dev/null" "$(ms "$(median gmffl)")" \
    "$(peak_mib "$bin" get-media-for-fragment-list "$archive" /dev/null --cli-input-json "file://$request")"
  printf '%-44s %9s\n' "cat PAYLOAD > /dev/null" "$(ms "$(median cat-payload)")"
  echo
  echo "ListFragments (all) / inspect walk: $(ratio "$(median list-all)" "$(median inspect)") of the time"
  echo "ListFragments (one page) / inspect walk: $(ratio "$(median list-page)" "$(median inspect)") of the time"
  echo "GetMediaForFragmentList / cat of the same bytes: $(ratio "$(median gmffl)" "$(median cat-payload)")x the time"
  echo "  (peak RSS counts the archive's pages the index walk touched: file-backed, shared with the page cache)"
} | tee -a "$results"
