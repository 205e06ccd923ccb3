#!/usr/bin/env bash
# The figures of "Any number of processes, any message size": what the multi default costs
# against the single modes, and messages larger than a slot, each against baselines measured in
# the same run (the machine is shared: compare ratios, not absolute figures).
#   scripts/measure-defaults.sh [RUNS]    RUNS alternating program runs per mode (default 7)
# 1. The programs end to end, 40 M x 64 B: a queue created with no mode options against
#    --producers single --consumers single, alternating runs; medians and their ratio.
# 2. shmq-bench: one-by-one put/get and batches on the default queue against the single modes and
#    Boost mq (1x1, 2x2, 4x4; 64 B and 1 KiB), 64 KiB put/get and 1 MiB messages in fragments
#    through 64 KiB slots against memcpy, and the spinning round trip against a bare ping-pong on
#    one cache line.
# 3. shmq-bench: the peers a user would pick instead, like for like (copy against copy, zero-copy
#    against zero-copy): ZeroMQ PUSH/PULL over ipc:// and eclipse iceoryx (its RouDi daemon
#    started and stopped by the bench).
# Writes results/defaults.txt.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-7}
OUT=${SHMQ_RESULTS:-$ROOT/results}
BIN=$ROOT/build/bin
[[ -x $BIN/shmq-bench ]] || "$ROOT/scripts/setup.sh" "$ROOT/build"
mkdir -p "$OUT"
exec > >(tee "$OUT/defaults.txt")

# One run of the programs: prints its wall time in nanoseconds.
programs_run() {  # single|default
  local q=shmq-measure-$$ modes=() start
  [[ $1 == single ]] && modes=(--producers single --consumers single)
  start=$(date +%s%N)
  "$BIN/consumer" --name "$q" "${modes[@]}" --quiet --output /dev/null &
  "$BIN/producer" --name "$q" "${modes[@]}" --count 40M --size 64 --quiet
  wait $!
  rm -f "/dev/shm/$q"
  echo $(($(date +%s%N) - start))
}

echo "shmq measure-defaults, $(date -u +%Y-%m-%d), $(nproc) cores"
echo
echo "1. producer | consumer, 40 M x 64 B, $RUNS alternating runs each (seconds)"
single=() default=()
for _ in $(seq "$RUNS"); do
  single+=("$(programs_run single)")
  default+=("$(programs_run default)")
done
python3 - "${single[*]}" "${default[*]}" <<'PY'
import statistics, sys
single, default = ([int(x) / 1e9 for x in arg.split()] for arg in sys.argv[1:3])
pairs = sorted(s / d for s, d in zip(single, default))
print(f"  single modes:  median {statistics.median(single):.2f} s   ({min(single):.2f}-{max(single):.2f})")
print(f"  default queue: median {statistics.median(default):.2f} s   ({min(default):.2f}-{max(default):.2f})")
print(f"  default throughput / single: {statistics.median(single) / statistics.median(default):.2f}x"
      f" (pair by pair {pairs[0]:.2f}-{pairs[-1]:.2f})")
PY

echo
echo "2. shmq-bench"
"$BIN/shmq-bench" --out "$OUT/defaults-bench" --sizes 64,1K,64K --configs 1x1,2x2,4x4 \
  --transports shmq,shmq-default,shmq-1-by-1,shmq-1-by-1-default,shmq-spin,shmq-spin-1-by-1-default,shmq-fragments,boost-mq,pipe,limit-ping-pong
"$BIN/shmq-bench" --out "$OUT/defaults-bench-1M" --sizes 1M --configs 1x1 \
  --transports shmq-fragments,shmq-1-by-1,pipe
echo
echo "3. shmq-bench, the peers"
"$BIN/shmq-bench" --out "$OUT/defaults-peers" --sizes 64,1K,64K --configs 1x1,2x2 \
  --transports shmq,shmq-default,shmq-1-by-1-default,shmq-zero-copy,zeromq,iceoryx,iceoryx-zero-copy
