#!/usr/bin/env bash
# Runs every cargo-fuzz target, seeded from testdata (scripts/fuzz-seed.sh):
#   scripts/fuzz.sh SECONDS [libfuzzer args]
# SECONDS per target (0 = no time limit, e.g. with -runs=N). FUZZ_TARGETS="ebml mkv_reader" limits
# the run to those targets; FUZZ_JOBS=N runs N targets at a time (default 1: one after the other,
# each with the whole machine). Needs the nightly toolchain and cargo-fuzz.
#
# Defaults (later libFuzzer args override them): -malloc_limit_mb=512 (no single allocation above
# 512 MB), -rss_limit_mb=2048, -timeout=60 (one input), and for the Matroska-level targets the EBML
# dictionary (fuzz/dict/ebml.dict) and -max_len of 2 MiB + option bytes (seeds are whole files up
# to 2 MiB). Saved inputs under fuzz/regressions/<target>/ join the seeds.
#
# FUZZ_BUILD="--dev" (or other `cargo fuzz build` options) changes how the targets are built; the
# test command's smoke run uses --dev (unoptimised: a build in a fraction of the time, and a
# second a target needs no speed). The long runs keep the default optimised ASan build.
# FUZZ_SEEDS=0 starts every target from an empty corpus (in a temporary directory) instead of its
# seeds: the smoke run shows each target builds and fuzzes; replaying the seeds unoptimised took
# most of its time, and tests/fuzz_replay.rs replays them (and the regressions) on every test run.
#
# Prints per target: executions, final coverage (libFuzzer's `cov:`) and features (`ft:`), corpus
# files, and OK or the reproducer. Every target runs; the script exits 1 when any crashed (or ran out
# of memory or time on one input), naming each reproducer. Logs: fuzz/artifacts/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
seeded=${FUZZ_SEEDS:-1}
[ "$seeded" = 0 ] || scripts/fuzz-seed.sh
cd fuzz
if [ "$seeded" = 0 ]; then
  unseeded=$(mktemp -d)
  trap 'rm -rf "$unseeded"' EXIT
fi

matroska=" ebml mkv_reader push_parser fmp4 clip ts actions inspector multi_file fragment_index list_fragments pack images "
targets=${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}
read -r -a build <<<"${FUZZ_BUILD:-}"
mkdir -p artifacts
# Build every target first (all of them in one cargo run unless FUZZ_TARGETS names some): build time
# is not fuzzing time, and a build failure stops here.
for target in ${FUZZ_TARGETS:-}; do
  cargo +nightly fuzz build "${build[@]}" "$target" >/dev/null 2>artifacts/build.log || {
    cat artifacts/build.log
    exit 1
  }
done
if [ -z "${FUZZ_TARGETS:-}" ]; then
  cargo +nightly fuzz build "${build[@]}" >/dev/null 2>artifacts/build.log || {
    cat artifacts/build.log
    exit 1
  }
fi

# Fuzzes target $1 and writes its summary line to artifacts/$1.result (then, when it failed, the
# crash report and "CRASHED <reproducer>" as the last line).
fuzz_one() {
  local target=$1 args dirs log status execs cov ft corpus reproducer
  args=(-malloc_limit_mb=512 -rss_limit_mb=2048 -timeout=60 -print_final_stats=1)
  if [[ "$matroska" == *" $target "* ]]; then
    args+=(-dict=dict/ebml.dict -max_len=$(((2 << 20) + 64)))
  fi
  [ "$seconds" = 0 ] || args+=("-max_total_time=$seconds")
  args+=("${extra[@]}")
  if [ "$seeded" = 0 ]; then
    dirs=("$unseeded/$target")
    mkdir -p "${dirs[0]}"
  else
    dirs=("corpus/$target")
    [ -d "regressions/$target" ] && dirs+=("regressions/$target")
  fi
  log="artifacts/$target.log"
  status=0
  cargo +nightly fuzz run "${build[@]}" "$target" "${dirs[@]}" -- "${args[@]}" >"$log" 2>&1 || status=$?
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
  [ -n "$execs" ] || execs=$(grep -Eo '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
  cov=$(grep -Eo ' cov: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  ft=$(grep -Eo ' ft: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  corpus=$(find "${dirs[0]}" -type f | wc -l)
  {
    if [ "$status" = 0 ]; then
      echo "fuzz $target: ${execs:-?} execs, cov ${cov:-?}, ft ${ft:-?}, corpus $corpus files: OK"
    else
      reproducer=$(grep -Eo '(Test unit|artifact) written to [^ ]+' "$log" | tail -1 | awk '{print $NF}' || true)
      grep -E -m1 -A12 'panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer|==[0-9]+==ERROR' "$log" || tail -20 "$log"
      echo "fuzz $target: ${execs:-?} execs, cov ${cov:-?}, ft ${ft:-?}, corpus $corpus files:" \
        "CRASHED (exit $status): ${reproducer:-no reproducer written, see $PWD/$log}"
      echo "CRASHED $target: ${reproducer:-$PWD/$log}"
    fi
  } >"artifacts/$target.result"
}

# FUZZ_JOBS targets at a time (default 1); the summaries print in target order once all are done.
jobs=${FUZZ_JOBS:-1}
extra=("$@")
running=0
for target in $targets; do
  rm -f "artifacts/$target.result"
  fuzz_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true
crashed=()
for target in $targets; do
  result="artifacts/$target.result"
  [ -s "$result" ] || echo "CRASHED $target: the script failed before its summary, see $PWD/artifacts/$target.log" >"$result"
  if [[ "$(tail -1 "$result")" == CRASHED* ]]; then
    head -n -1 "$result"
    crashed+=("$(tail -1 "$result" | cut -d' ' -f2-)")
  else
    cat "$result"
  fi
done
if [ "${#crashed[@]}" -gt 0 ]; then
  echo "fuzz: ${#crashed[@]} target(s) failed; reproducers:" >&2
  printf '  %s\n' "${crashed[@]}" >&2
  exit 1
fi
