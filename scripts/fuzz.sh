#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan+UBSan) and runs each for a fixed number of
# inputs, starting from the seed corpus. Exits non-zero if any input crashes a target.
#   scripts/fuzz.sh [--runs N]   inputs per target (default 1000000; test.sh runs 200000)
# The corpus each run grows is kept in build-fuzz/corpus/ and reused by the next run.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build-fuzz
RUNS=1000000
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "fuzz: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: --runs must be a positive integer" >&2; exit 2; }

SHMQ_EXTRA_PACKAGES="clang-14 libclang-rt-14-dev" "$ROOT/scripts/setup.sh" "$BUILD" \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHMQ_BUILD_FUZZERS=ON \
  -DSHMQ_BUILD_TESTS=OFF -DSHMQ_BUILD_PROGRAMS=OFF -DSHMQ_BUILD_BENCHMARK=OFF

"$BUILD/bin/shmq-fuzz-seeds" "$BUILD/seeds"
for target in header slots; do
  mkdir -p "$BUILD/corpus/$target"
  echo "fuzz: $target, $RUNS inputs"
  start=$(date +%s)
  # -timeout: one input may take at most 10 s; artifacts (crashing inputs) land in the build dir.
  (cd "$BUILD" && timeout 3600 "$BUILD/bin/fuzz-$target" -runs="$RUNS" -timeout=10 \
     -print_final_stats=1 "$BUILD/corpus/$target" "$BUILD/seeds/$target" 2>"$BUILD/fuzz-$target.log") || {
    tail -40 "$BUILD/fuzz-$target.log" >&2
    echo "fuzz: $target FAILED (crashing input saved in $BUILD)" >&2
    exit 1
  }
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$BUILD/fuzz-$target.log" | sed 's/^/  /'
  echo "  $(( $(date +%s) - start )) s, nothing found"
done
