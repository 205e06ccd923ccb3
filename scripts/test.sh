#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (unit, multi-process, program tiers).
#   scripts/test.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/setup.sh" "$ROOT/build"
echo "test: running the suite"
ctest --test-dir "$ROOT/build" --output-on-failure -j"$(nproc)" --timeout 300
