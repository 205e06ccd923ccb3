#!/usr/bin/env bash
# Python's view of shmq: items/s from producer processes to consumer processes, shmq one by one
# and in batches against multiprocessing.Queue, SimpleQueue and Pipe, in one run (ratios to
# multiprocessing.Queue). Writes results/python.txt; run after scripts/setup.sh.
#   scripts/measure-python.sh [RUNS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-5}
PYTHON=$(sed -n 's/^SHMQ_PYTHON:FILEPATH=//p' "$ROOT/build/CMakeCache.txt")
[[ -d $ROOT/build/python/shmq ]] || { echo "measure-python: build the module first (scripts/setup.sh)" >&2; exit 1; }
mkdir -p "$ROOT/results"
PYTHONPATH=$ROOT/build/python "${PYTHON:-/usr/bin/python3}" "$ROOT/bench/python/throughput.py" \
  --runs "$RUNS" | tee "$ROOT/results/python.txt"
