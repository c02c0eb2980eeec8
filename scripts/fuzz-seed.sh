#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ (git-ignored) from the repo's testdata and ../shared/testdata/real when
# present: Matroska files up to 2 MiB whole (every fragment of a multi-fragment file), larger ones
# by their first 2 MiB; codec private data and H.264 frames for the codec targets and session_token.
#
# Targets that read leading option bytes (tests/support/fuzz_checks.rs, OPTION_BYTES) get each file
# behind the option prefix below; it must equal the second prefix of `fuzz_checks::seed_prefixes`.
set -euo pipefail
cd "$(dirname "$0")/.."
real=../shared/testdata/real
limit=$((2 << 20))

mkv_targets=(ebml mkv_reader push_parser fmp4 clip ts actions inspector multi_file fragment_index list_fragments pack images)
# session_token reads any bytes (its first byte picks a mode); codec private data serves as seeds.
cpd_targets=(avcc hvcc aac_asc waveformatex session_token)
declare -A prefix=(
  [push_parser]="00 01 3d 80 00 07 ff 02"
  [clip]="0f 01 00 03 02 02"
  [fragment_index]="0f 01 00 03 02 02"
  [ts]="01"
  [actions]="01 00 00 01 01 fe 00 ff 87"
  [multi_file]="43 40 00 80 00 c0 00 00 00 00 00 00 00 00 00"
  [list_fragments]="0f 01 00 03 02 02 0a 05"
  [pack]="01"
  [images]="0f 01 00 03 02 02 02 21"
)

for t in "${mkv_targets[@]}" "${cpd_targets[@]}" nal_frame; do
  mkdir -p "fuzz/corpus/$t"
done
# Seeds of earlier versions of this script (the first 64 KiB of each file, no option prefix).
find fuzz/corpus -name '*.head' -delete

# Prints the prefix of target $1 as bytes.
print_prefix() {
  local escaped="" byte
  for byte in ${prefix[$1]:-}; do escaped+="\\x$byte"; done
  printf "%b" "$escaped"
}

shopt -s nullglob globstar
mkv_files=(testdata/fixtures/*.mkv testdata/sample/*.mkv)
if [ -d "$real" ]; then
  mkv_files+=("$real"/**/*.mkv "$real"/**/*.webm)
fi
seeded=0
for f in "${mkv_files[@]}"; do
  [ -f "$f" ] || continue
  name="seed-$(basename "$f")"
  for t in "${mkv_targets[@]}"; do
    { print_prefix "$t"; head -c "$limit" "$f"; } >"fuzz/corpus/$t/$name"
  done
  seeded=$((seeded + 1))
done
for f in testdata/codec/*.cpd; do
  for t in "${cpd_targets[@]}"; do cp "$f" "fuzz/corpus/$t/"; done
done
frames=("$real/kvs-producer-c/samples/h264SampleFrames/frame-00"[1-5].h264)
for f in "${frames[@]}"; do
  # nal_frame reads its NAL length size from the first byte: 2 → 4-byte lengths (Annex B is not).
  { printf '\x02'; cat "$f"; } >"fuzz/corpus/nal_frame/seed-$(basename "$f")"
done
echo "fuzz-seed: $seeded Matroska files (whole up to $limit bytes) into ${#mkv_targets[@]} targets"
