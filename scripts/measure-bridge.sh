#!/usr/bin/env bash
# Measures shmq-bridge against JetStream alone, on one 3-node cluster this script starts (and
# stops) on free ports. For 64 B and 1 KiB messages: a throughput run (as fast as it goes) and a
# latency run (2000 msg/s for 10 s), each through JetStream alone (shmq-nats-bench --mode plain),
# through JetStream alone with a Nats-Msg-Id on every message (--msg-id: what exactly-once
# publishing costs the engine) and through shmq + shmq-bridge out + JetStream + shmq-bridge in +
# shmq (--mode shmq), the three alternating, --repetitions times, every run on a fresh stream,
# durable and queues. Prints medians and the median of each repetition's bridge/baseline ratio,
# against the goal: the bridge keeps >= 0.8 x plain's rate, and its p50 stays <= 1.2 x plain's.
#   scripts/measure-bridge.sh [--repetitions K] [--plain-only] [--quick] [--out DIR]
#     --repetitions K  runs of each kind (default 3; --quick: 1)
#     --plain-only     skip the bridge runs (before shmq-bridge exists)
#     --quick          a smoke run: a tenth of the messages, latency runs of 2 s
#     --out DIR        where bridge.txt (the table) and bridge-runs.jsonl go (default results)
# Needs build/bin/shmq-nats-bench, shmq and (unless --plain-only) shmq-bridge, and nats-server;
# SHMQ_BRIDGE=PATH runs another shmq-bridge.
# Exit codes: 0 every run delivered every message, 1 some run failed (the table shows the rest),
# 2 usage.
set -euo pipefail

usage() { awk 'NR > 1 && /^#/ { print substr($0, 3); next } NR > 1 { exit }' "$0"; }
fail_usage() { echo "measure-bridge: $1 (see --help)" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
OUT=${SHMQ_RESULTS:-$ROOT/results}
REPETITIONS="" PLAIN_ONLY=0 QUICK=0
while (($#)); do
  case $1 in
    --repetitions) REPETITIONS=${2:?--repetitions needs a number}; shift 2 ;;
    --plain-only) PLAIN_ONLY=1; shift ;;
    --quick) QUICK=1; shift ;;
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) fail_usage "unexpected argument '$1'" ;;
  esac
done
[[ -z $REPETITIONS ]] && REPETITIONS=$((QUICK ? 1 : 3))
if ! [[ $REPETITIONS =~ ^[0-9]+$ ]] || ((REPETITIONS < 1)); then
  fail_usage "--repetitions must be >= 1"
fi

SIZES=(64 1024)
declare -A THROUGHPUT_COUNT=([64]=200000 [1024]=100000)
RATE=2000 LATENCY_SECONDS=10
if ((QUICK)); then
  THROUGHPUT_COUNT=([64]=20000 [1024]=10000)
  LATENCY_SECONDS=2
fi
LIMIT=300  # seconds one run may take (shmq-nats-bench --timeout); the bridges get 30 more
((QUICK)) && LIMIT=60
BRIDGE=${SHMQ_BRIDGE:-$BIN/shmq-bridge}

needed=("$BIN/shmq-nats-bench" "$BIN/shmq")
((PLAIN_ONLY)) || needed+=("$BRIDGE")
for program in "${needed[@]}"; do
  [[ -x $program ]] || {
    echo "measure-bridge: $program is missing; build it first (cmake --build build)" >&2
    exit 1
  }
done

DIR=$(mktemp -d /tmp/shmq-measure-bridge.XXXXXX)
BRIDGE_PIDS=()
QUEUES=()
remove_queues() {
  for queue in "${QUEUES[@]}"; do "$BIN/shmq" remove "$queue" > /dev/null 2>&1 || true; done
  QUEUES=()
}
cleanup() {
  for pid in "${BRIDGE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${BRIDGE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  remove_queues
  timeout -k 5 120 "$ROOT/scripts/nats-cluster.sh" stop --dir "$DIR" --base-port "$BASE" \
    > /dev/null 2>&1 || true
  # A node that would not stop: its pid is still in DIR.
  for pidfile in "$DIR"/n*.pid; do
    [[ -e $pidfile ]] && { kill -9 "$(cat "$pidfile")" 2>/dev/null || true; }
  done
  rm -rf "$DIR"
}

trap cleanup EXIT
BASE=$(bash "$ROOT/scripts/nats-cluster.sh" free-port) || exit 1
timeout -k 5 120 "$ROOT/scripts/nats-cluster.sh" start --dir "$DIR" --base-port "$BASE" >&2
URLS="nats://127.0.0.1:$BASE,nats://127.0.0.1:$((BASE + 1)),nats://127.0.0.1:$((BASE + 2))"

mkdir -p "$OUT"
RUNS_FILE=$OUT/bridge-runs.jsonl
: > "$RUNS_FILE"
declare -A RESULTS  # "size,path,kind,repetition" -> msgs_per_sec (throughput) or p50_us (latency)
FAILURES=0
RUN=0

# The value of a numeric key in one of shmq-nats-bench's JSON lines.
json_number() { sed -n "s/.*\"$2\":\([-0-9.e+]*\).*/\1/p" <<< "$1"; }

# Runs shmq-nats-bench, its JSON line into $LINE_FILE; the names it uses are new for every run:
# stream, subject, durable, queues.
LINE_FILE=$DIR/line.json
bench() {  # path size count rate
  local path=$1 tag="mb-$$-$RUN"
  local common=(--size "$2" --count "$3" --rate "$4" --timeout "$LIMIT")
  if [[ $path == plain* ]]; then
    [[ $path == plain-ids ]] && common+=(--msg-id)
    timeout -k 5 $((LIMIT + 30)) "$BIN/shmq-nats-bench" --mode plain --url "$URLS" \
      --stream "${tag//-/_}" --subject "${tag//-/.}" --durable "$tag" "${common[@]}" > "$LINE_FILE"
  else
    timeout -k 5 $((LIMIT + 30)) "$BIN/shmq-nats-bench" --mode shmq --queue-in "$tag-in" \
      --queue-out "$tag-out" "${common[@]}" > "$LINE_FILE"
  fi
}

# One bridge run: both bridges in the background (in this shell, so that cleanup can stop them),
# the bench, then both bridges' exits, which end of stream brings.
bench_bridged() {  # size count rate
  local tag="mb-$$-$RUN" rc=0 out_rc=0 in_rc=0
  QUEUES=("$tag-in" "$tag-out")
  timeout -k 5 $((LIMIT + 30)) "$BRIDGE" out --queue "$tag-in" --nats "$URLS" \
    --stream "${tag//-/_}" --subject "${tag//-/.}" --quiet >&2 &
  BRIDGE_PIDS=($!)
  timeout -k 5 $((LIMIT + 30)) "$BRIDGE" in --queue "$tag-out" --nats "$URLS" \
    --stream "${tag//-/_}" --durable "$tag" --quiet >&2 &
  BRIDGE_PIDS+=($!)
  bench bridge "$@" || rc=$?
  wait "${BRIDGE_PIDS[0]}" || out_rc=$?
  wait "${BRIDGE_PIDS[1]}" || in_rc=$?
  BRIDGE_PIDS=()
  remove_queues
  ((out_rc == 0 && in_rc == 0)) ||
    echo "measure-bridge: shmq-bridge out exited $out_rc, in exited $in_rc" >&2
  return $((rc != 0 ? rc : out_rc != 0 ? out_rc : in_rc))
}

measure() {  # repetition size kind path
  local repetition=$1 size=$2 kind=$3 path=$4 count rate line rc=0
  RUN=$((RUN + 1))
  if [[ $kind == throughput ]]; then
    count=${THROUGHPUT_COUNT[$size]} rate=0
  else
    count=$((RATE * LATENCY_SECONDS)) rate=$RATE
  fi
  : > "$LINE_FILE"
  if [[ $path == plain* ]]; then
    bench "$path" "$size" "$count" "$rate" || rc=$?
  else
    bench_bridged "$size" "$count" "$rate" || rc=$?
  fi
  line=$(cat "$LINE_FILE")
  if [[ -n $line ]]; then
    echo "{\"path\":\"$path\",\"kind\":\"$kind\",\"repetition\":$repetition,${line#\{}" >> "$RUNS_FILE"
  fi
  if ((rc != 0)); then
    FAILURES=$((FAILURES + 1))
    echo "measure-bridge: run $RUN ($size B, $kind, $path) failed (exit $rc): ${line:-no output}" >&2
    return 0
  fi
  local key=msgs_per_sec unit=msg/s
  [[ $kind == latency ]] && key=p50_us unit="us p50"
  RESULTS["$size,$path,$kind,$repetition"]=$(json_number "$line" "$key")
  echo "measure-bridge: repetition $repetition, $size B, $kind, $path:" \
    "${RESULTS["$size,$path,$kind,$repetition"]} $unit" >&2
}

PATHS=(plain plain-ids)
((PLAIN_ONLY)) || PATHS+=(bridge)
for ((repetition = 1; repetition <= REPETITIONS; repetition++)); do
  for size in "${SIZES[@]}"; do
    for kind in throughput latency; do
      for path in "${PATHS[@]}"; do measure "$repetition" "$size" "$kind" "$path"; done
    done
  done
done

# The median of the numbers on standard input, one a line, in printf's `format`; "-" for none.
median() {  # format
  awk 'NF' | sort -g | awk -v format="$1\n" '{ v[NR] = $1 } END { if (NR == 0) print "-";
    else printf format, NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
values() {  # size path kind: each repetition's value
  for ((r = 1; r <= REPETITIONS; r++)); do echo "${RESULTS["$1,$2,$3,$r"]:-}"; done
}
ratios() {  # size kind baseline: bridge / baseline of each repetition that has both
  for ((r = 1; r <= REPETITIONS; r++)); do
    local plain=${RESULTS["$1,$3,$2,$r"]:-} bridge=${RESULTS["$1,bridge,$2,$r"]:-}
    if [[ -n $plain && -n $bridge ]]; then
      awk -v b="$bridge" -v p="$plain" 'BEGIN { if (p > 0) print b / p }'
    fi
  done
}

machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores,"
machine+=" $(uname -sr)"
goal_met=1 goal_known=0
{
  echo "shmq-bridge against JetStream alone, on $machine"
  echo "3-node cluster on 127.0.0.1 (plain: file storage, 3 replicas); throughput at full speed,"
  echo "latency (p50, receive - send) at $RATE msg/s; medians of $REPETITIONS repetition(s), ratios:"
  echo "the median of each repetition's bridge/baseline ratio. Baselines: plain, JetStream alone;"
  echo "ids, JetStream alone with a Nats-Msg-Id on every message (as out publishes them)"
  printf '%6s %11s %11s %11s %7s %7s %9s %9s %9s %7s %7s\n' size "plain msg/s" "ids msg/s" \
    "bridge" "/plain" "/ids" "plain p50" "ids p50" "bridge" "/plain" "/ids"
  for size in "${SIZES[@]}"; do
    rate_ratio=$(ratios "$size" throughput plain | median %.2f)
    p50_ratio=$(ratios "$size" latency plain | median %.2f)
    printf '%6s %11s %11s %11s %7s %7s %9s %9s %9s %7s %7s\n' "$size" \
      "$(values "$size" plain throughput | median %.0f)" \
      "$(values "$size" plain-ids throughput | median %.0f)" \
      "$(values "$size" bridge throughput | median %.0f)" "$rate_ratio" \
      "$(ratios "$size" throughput plain-ids | median %.2f)" \
      "$(values "$size" plain latency | median %.0f)" \
      "$(values "$size" plain-ids latency | median %.0f)" \
      "$(values "$size" bridge latency | median %.0f)" "$p50_ratio" \
      "$(ratios "$size" latency plain-ids | median %.2f)"
    if [[ $rate_ratio != - && $p50_ratio != - ]]; then
      goal_known=1
      awk -v r="$rate_ratio" -v l="$p50_ratio" 'BEGIN { exit !(r >= 0.8 && l <= 1.2) }' || goal_met=0
    fi
  done
  echo "(msg/s at full speed; p50 in us at $RATE msg/s)"
  verdict="not measured (no bridge results)"
  ((goal_known)) && verdict=$( ((goal_met)) && echo met || echo "NOT met")
  echo "goal: bridge rate >= 0.8 x plain and bridge p50 <= 1.2 x plain: $verdict"
  ((FAILURES == 0)) || echo "$FAILURES run(s) failed; see $RUNS_FILE and the messages above"
} | tee "$OUT/bridge.txt"
echo "measure-bridge: wrote $OUT/bridge.txt and $RUNS_FILE" >&2
((FAILURES == 0))
