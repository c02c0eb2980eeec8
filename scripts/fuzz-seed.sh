#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repo's testdata (and ../shared/testdata/real when present).
set -euo pipefail
cd "$(dirname "$0")/.."
real=../shared/testdata/real
mkdir -p fuzz/corpus/{ebml,mkv_reader,push_parser,fmp4,clip,ts,avcc,hvcc,aac_asc,waveformatex,nal_frame}
seed_mkv() {  # first 64 KiB of each MKV: small seeds run fast, and still hold headers and blocks
  for f in "$@"; do
    [ -f "$f" ] || continue
    for t in ebml mkv_reader push_parser fmp4 clip ts; do head -c 65536 "$f" >"fuzz/corpus/$t/$(basename "$f").head"; done
  done
}
seed_mkv testdata/sample/*.mkv testdata/codec/*.mkv "$real"/*/*.mkv "$real"/*/*.webm "$real"/*/*/*.mkv
for f in testdata/codec/*.cpd; do
  [ -f "$f" ] || continue
  for t in avcc hvcc aac_asc waveformatex; do cp "$f" "fuzz/corpus/$t/"; done
done
if [ -d "$real/kvs-producer-c/samples/h264SampleFrames" ]; then
  cp "$real/kvs-producer-c/samples/h264SampleFrames/frame-00"[1-5].h264 fuzz/corpus/nal_frame/
fi
