#!/usr/bin/env bash
# What a process costs while it waits for a peer: wake-ups per second and CPU, for each kind of
# idle wait the programs have. A process waiting for a peer sleeps in the kernel between checks
# for dead peers, stop requests and deadlines, which come at most 10 times a second.
#   scripts/idle-cost.sh [--bin DIR] [--seconds S] [--check]
# --check: exit 1 if a wait woke more often than 10 times a second. A wake-up is a voluntary
# context switch of the program's main thread (/proc/PID/status); the count is compared with what
# 10 a second allows over the wall time around the two samples, so a slow machine can only make
# it smaller: the check does not depend on timing. CPU is the program's threads' run time
# (/proc/PID/task/*/schedstat) over the same span, printed, never checked (it is noisy).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
SECONDS_IDLE=10
CHECK=0
while (($#)); do
  case $1 in
    --bin) BIN=$2; shift 2 ;;
    --seconds) SECONDS_IDLE=$2; shift 2 ;;
    --check) CHECK=1; shift ;;
    -h|--help) sed -n '2,10p' "$0" | cut -c3-; exit 0 ;;
    *) echo "idle-cost: unexpected argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -x $BIN/producer && -x $BIN/consumer ]] || { echo "idle-cost: no programs in $BIN" >&2; exit 1; }

MAX_PER_SECOND=10
WORK=$(mktemp -d /tmp/shmq-idle.XXXXXX)
QUEUES=()
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for queue in "${QUEUES[@]}"; do rm -f "/dev/shm/$queue"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILED=0

new_queue() {
  Q="shmq-idle-$$-${#QUEUES[@]}"
  QUEUES+=("$Q")
}

now() { date +%s.%N; }
wakeups() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/status"; }
run_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ sum += $1 } END { print sum }'; }

# Starts a program in the background (killed at the end whatever happens; its pid is the
# program's own, no wrapper), lets it settle into its wait, then samples it for SECONDS_IDLE.
measure() {  # what program args...
  local what=$1
  shift
  "$@" 2>>"$WORK/stderr" &
  local pid=$!
  PIDS+=("$pid")
  sleep 1  # into the wait: attaching and filling the ring are not idle
  kill -0 "$pid" 2>/dev/null || { echo "idle-cost: '$what' exited early" >&2; FAILED=1; return; }
  local t0 w0 c0 t1 w1 c1
  t0=$(now); w0=$(wakeups "$pid"); c0=$(run_ns "$pid")
  sleep "$SECONDS_IDLE"
  w1=$(wakeups "$pid"); c1=$(run_ns "$pid"); t1=$(now)
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  awk -v what="$what" -v t0="$t0" -v t1="$t1" -v w="$((w1 - w0))" -v c="$((c1 - c0))" \
      -v max="$MAX_PER_SECOND" -v check="$CHECK" 'BEGIN {
    span = t1 - t0
    allowed = int(span * max) + 2
    verdict = w <= allowed ? "" : "  TOO MANY (more than " allowed ")"
    printf "%-48s %6d wake-ups in %5.2f s = %6.1f/s, CPU %.3f %%%s\n", what, w, span, w / span,
           100 * c / (span * 1e9), verdict
    exit (check && w > allowed) ? 1 : 0
  }' || FAILED=1
}

echo "idle-cost: each wait measured for $SECONDS_IDLE s (allowed: $MAX_PER_SECOND wake-ups/s)"

new_queue
measure "consumer, no producer yet" "$BIN/consumer" --name "$Q" --quiet --output /dev/null

new_queue
printf 'one\ntwo\n' | "$BIN/producer" --name "$Q" --quiet --input -
"$BIN/consumer" --name "$Q" --quiet --output /dev/null
measure "consumer started after the stream ended" "$BIN/consumer" --name "$Q" --quiet \
  --output /dev/null

new_queue
measure "producer, ring full, no consumer" "$BIN/producer" --name "$Q" --quiet --capacity 4 \
  --count 1000000 --size 64

new_queue
measure "producer --join, no consumer" "$BIN/producer" --name "$Q" --quiet --count 10 --size 64 \
  --join

new_queue
mkfifo "$WORK/input"
exec 7<>"$WORK/input"  # keeps the producer's input open and empty: it waits in read(2)
"$BIN/producer" --name "$Q" --quiet --input "$WORK/input" 7>&- &
PIDS+=($!)
measure "consumer, producer attached and silent" "$BIN/consumer" --name "$Q" --quiet \
  --output /dev/null 7>&-
exec 7>&-

if ((FAILED)); then
  [[ -s $WORK/stderr ]] && sed 's/^/  program: /' "$WORK/stderr" >&2
  exit 1
fi
