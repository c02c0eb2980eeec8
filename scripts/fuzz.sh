#!/usr/bin/env bash
# Runs every cargo-fuzz target, seeded from testdata: `scripts/fuzz.sh SECONDS [libfuzzer args]`
# (SECONDS 0 = no time limit, e.g. with -runs=N). Prints exec counts and corpus sizes per target.
# FUZZ_TARGETS="ebml mkv_reader" limits the run to those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
scripts/fuzz-seed.sh
cd fuzz
for target in ${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}; do
  args=("$@")
  [ "$seconds" = 0 ] || args+=("-max_total_time=$seconds")
  log="artifacts/$target.log"
  mkdir -p artifacts
  cargo +nightly fuzz run "$target" "corpus/$target" -- "${args[@]}" >"$log" 2>&1 || { tail -40 "$log"; exit 1; }
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || true)
  [ -n "$execs" ] || execs=$(grep -Eo '#[0-9]+' "$log" | tail -1 | tr -d '#')
  echo "fuzz $target: ${execs} execs, corpus $(find "corpus/$target" -type f | wc -l) files"
done
