#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (unit, multi-process, program tiers), then the
# suite again under AddressSanitizer+UBSan and under ThreadSanitizer, then a short fuzz run.
#   scripts/test.sh            everything (what CI runs)
#   SHMQ_NO_SANITIZERS=1 scripts/test.sh   the Release suite only
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHMQ_EXTRA_PACKAGES="clang-14 libclang-rt-14-dev" "$ROOT/scripts/setup.sh" "$ROOT/build"
echo "test: running the suite"
ctest --test-dir "$ROOT/build" --output-on-failure -j"$(nproc)" --timeout 300

[[ -n ${SHMQ_NO_SANITIZERS:-} ]] && exit 0
# Under the sanitizers, everything but the runs that are long by design (the 30 s stop, the
# integration script with kills, the benchmark) which the Release suite above has covered. The
# hostile writer races on purpose, so ThreadSanitizer would only report the attack.
declare -A SKIP=([address]="stopped consumer|integration with kills"
                 [thread]="stopped consumer|integration with kills|hostile writer")
for sanitizer in address thread; do
  echo "test: running the suite under the $sanitizer sanitizer"
  SHMQ_SKIP_INSTALL=1 "$ROOT/scripts/setup.sh" "$ROOT/build-$sanitizer" \
    -DSHMQ_SANITIZE="$sanitizer" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHMQ_BUILD_BENCHMARK=OFF \
    -DSHMQ_CHECK_THREADS=ON
  ASAN_OPTIONS=detect_leaks=1 TSAN_OPTIONS=halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1 \
    ctest --test-dir "$ROOT/build-$sanitizer" --output-on-failure -j"$(nproc)" --timeout 300 \
    -E "${SKIP[$sanitizer]}"
done

echo "test: a short fuzz run of each libFuzzer target"
SHMQ_SKIP_INSTALL=1 "$ROOT/scripts/fuzz.sh" --runs 200000
