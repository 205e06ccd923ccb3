#!/usr/bin/env bash
# Multi-process integration test: P producers and C consumers of the built programs on one
# multi/multi queue; a killer sends kill -9 to random producers and consumers at random moments
# and supervisors restart them. At the end every message is accounted for:
#   sent  received  lost  duplicated  corrupt  (+ the queue's recoveries)  seconds
# Exits non-zero on any loss, corruption, excess duplicates, or hang.
#
# --shm-size SIZE runs it all in a private mount namespace with a tmpfs of SIZE (e.g. 16m) on
# /dev/shm, filled up: first a full /dev/shm, where a producer and a consumer must refuse the
# queue (exit 3, saying what it needs) and accept nothing; then the queue is created and the rest
# of /dev/shm filled with ballast for the whole run. (Skipped, exit 0, where unshare -m or the
# mount is not permitted.)
#
# --stop-consumers K sends SIGSTOP to a random consumer K times, each for --stop-seconds S
# (default 3) before SIGCONT; consumers run with --lease 1 (and 100 us per message, so that a
# stop finds one holding a message), so what a stopped one holds goes to the others meanwhile
# (at-least-once: what it wrote of a batch before it stopped may come twice).
#
# --slot-size B below --size sends every message in fragments over several slots (at most a
# quarter of the ring's payload: --capacity x --slot-size / 4).
#
#   scripts/integration-test.sh [--producers P] [--consumers C] [--count N] [--size B]
#       [--slot-size B] [--kill-producers K] [--kill-consumers K] [--capacity N] [--batch N]
#       [--bin DIR] [--limit SECONDS] [--shm-size SIZE] [--stop-consumers K] [--stop-seconds S]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PRODUCERS=3 CONSUMERS=2 COUNT=200000 SIZE=64 SLOT_SIZE="" KILL_PRODUCERS=0 KILL_CONSUMERS=0
CAPACITY=256 BATCH=32 BIN=$ROOT/build/bin LIMIT=600 SHM_SIZE="" STOP_CONSUMERS=0 STOP_SECONDS=3
ARGUMENTS=("$@")
while (($#)); do
  case $1 in
    --producers) PRODUCERS=$2 ;;
    --consumers) CONSUMERS=$2 ;;
    --count) COUNT=$2 ;;
    --size) SIZE=$2 ;;
    --slot-size) SLOT_SIZE=$2 ;;
    --kill-producers) KILL_PRODUCERS=$2 ;;
    --kill-consumers) KILL_CONSUMERS=$2 ;;
    --capacity) CAPACITY=$2 ;;
    --batch) BATCH=$2 ;;
    --bin) BIN=$2 ;;
    --limit) LIMIT=$2 ;;
    --shm-size) SHM_SIZE=$2 ;;
    --stop-consumers) STOP_CONSUMERS=$2 ;;
    --stop-seconds) STOP_SECONDS=$2 ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "integration-test: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift 2
done

# --shm-size: the same script again, in a mount namespace of its own (it, and the mount, end
# with the script).
if [[ -n $SHM_SIZE && -z ${SHMQ_INTEGRATION_PRIVATE_SHM:-} ]]; then
  if ! unshare -m true 2>/dev/null; then
    echo "integration-test: SKIP: --shm-size needs unshare -m (root or CAP_SYS_ADMIN)"
    exit 0
  fi
  SHMQ_INTEGRATION_PRIVATE_SHM=1 exec unshare -m bash "$0" "${ARGUMENTS[@]}"
fi
if [[ -n $SHM_SIZE ]] && ! mount -t tmpfs -o "size=$SHM_SIZE" tmpfs /dev/shm 2>/dev/null; then
  echo "integration-test: SKIP: cannot mount a tmpfs of $SHM_SIZE on /dev/shm"
  exit 0
fi

QUEUE=shmq-integration-$$
BALLAST=shmq-integration-ballast-$$
WORK=$(mktemp -d /tmp/shmq-integration.XXXXXX)
START=$EPOCHREALTIME
SUPERVISORS=()

cleanup() {
  set +e
  touch "$WORK/stopping"
  [[ -n ${SHMQ_KEEP_SEGMENT:-} ]] && cp "/dev/shm/$QUEUE" "$SHMQ_KEEP_SEGMENT"
  for pid in "${SUPERVISORS[@]}" ${KEEPER:-} ${KILLER:-} ${STOPPER:-} ${PROGRESS:-}; do
    kill "$pid" 2>/dev/null
  done
  for f in "$WORK"/pid.*; do [[ -e $f ]] && kill -9 "$(cat "$f")" 2>/dev/null; done
  [[ -s $WORK/stopped.pid ]] && kill -9 "$(cat "$WORK/stopped.pid")" 2>/dev/null
  wait 2>/dev/null
  "$BIN/consumer" --name "$QUEUE" --remove --quiet 2>/dev/null
  rm -f "/dev/shm/$BALLAST"
  rm -rf "$WORK"
}
trap cleanup EXIT

COMMON=(--name "$QUEUE" --capacity "$CAPACITY" --slot-size "${SLOT_SIZE:-$SIZE}" --producers multi
        --consumers multi --quiet)
CONSUMER_OPTIONS=()
# Slowed down, so that a stop nearly always finds a consumer holding a message.
((STOP_CONSUMERS > 0)) && CONSUMER_OPTIONS=(--lease 1 --delay 0.0001)

# Runs one producer slot: restarts it after a kill -9 with a new id for what is left to send.
producer_slot() {
  local slot=$1 remaining=$COUNT generation=0 rc id accepted
  while ((remaining > 0)); do
    id=$((slot * 100000 + generation))
    rc=0
    timeout -k 5 "$LIMIT" "$BIN/producer" "${COMMON[@]}" --count "$remaining" --size "$SIZE" \
      --producer-id "$id" --progress "$WORK/progress.$id" --timeout "${SHMQ_STALL_SECONDS:-60}" &
    echo $! > "$WORK/pid.producer.$slot"
    { wait $! || rc=$?; } 2>/dev/null
    rm -f "$WORK/pid.producer.$slot"
    accepted=$(awk '{print $2}' "$WORK/progress.$id" 2>/dev/null || echo 0)
    remaining=$((remaining - ${accepted:-0}))
    case $rc in
      0) break ;;
      137) echo "producer" >> "$WORK/killed" ;;
      *) echo "integration-test: producer $id exited $rc" >&2; return 1 ;;
    esac
    generation=$((generation + 1))
  done
}

# Runs one consumer slot until end of stream; restarts it after a kill -9.
consumer_slot() {
  local slot=$1 generation=0 rc
  while :; do
    rc=0
    timeout -k 5 "$LIMIT" "$BIN/consumer" "${COMMON[@]}" --verify-checksum --batch "$BATCH" \
      --record "$WORK/records.$slot.$generation" --timeout 3 "${CONSUMER_OPTIONS[@]}" &
    echo $! > "$WORK/pid.consumer.$slot"
    { wait $! || rc=$?; } 2>/dev/null
    rm -f "$WORK/pid.consumer.$slot"
    case $rc in
      0) return 0 ;;
      137) echo "consumer" >> "$WORK/killed" ;;
      4) [[ -e $WORK/stopping ]] && return 0 ;;  # idle after the stream ended: the tally judges
      *) echo "integration-test: consumer exited $rc" >&2; return 1 ;;
    esac
    generation=$((generation + 1))
  done
}

# The program under a slot's timeout(1) wrapper, or nothing.
program_of_slot() {  # pid file
  local wrapper="" program=""
  # (A slot's pid file and process come and go under us: every read may fail.)
  { read -r wrapper < "$1"; } 2>/dev/null || true
  [[ -n $wrapper ]] || return 0
  # /proc's children file has no final newline, so read's status says nothing: test the value.
  { read -r program _ < "/proc/$wrapper/task/$wrapper/children"; } 2>/dev/null || true
  echo "$program"
}

# Sends kill -9 to random producers and consumers until both quotas are used up (or nothing
# is left to kill).
killer() {
  local producers_left=$KILL_PRODUCERS consumers_left=$KILL_CONSUMERS role files victim
  while ((producers_left + consumers_left > 0)); do
    sleep "0.00$((RANDOM % 5 + 1))"
    if ((RANDOM % (producers_left + consumers_left) < producers_left)); then role=producer; else role=consumer; fi
    files=("$WORK"/pid."$role".*)
    if [[ ! -e ${files[0]} ]]; then
      [[ $role == producer ]] && producers_left=0  # all producers have finished
      continue
    fi
    # Kill the program, not its timeout(1) wrapper.
    victim=$(program_of_slot "${files[RANDOM % ${#files[@]}]}")
    [[ -n $victim ]] && kill -9 "$victim" 2>/dev/null || continue
    if [[ $role == producer ]]; then producers_left=$((producers_left - 1)); else consumers_left=$((consumers_left - 1)); fi
  done
}

# Stops a random consumer for STOP_SECONDS, STOP_CONSUMERS times; the others must go on.
stopper() {
  local left=$STOP_CONSUMERS files stopped
  while ((left > 0)); do
    sleep "0.$((RANDOM % 5 + 1))"
    files=("$WORK"/pid.consumer.*)
    [[ -e ${files[0]} ]] || continue
    stopped=$(program_of_slot "${files[RANDOM % ${#files[@]}]}")
    echo "$stopped" > "$WORK/stopped.pid"  # for cleanup, should we end while it is stopped
    [[ -n $stopped ]] && kill -STOP "$stopped" 2>/dev/null || continue
    echo "consumer" >> "$WORK/stopped"
    sleep "$STOP_SECONDS"
    kill -CONT "$stopped" 2>/dev/null || true
    left=$((left - 1))
  done
}

# Fills what is left of /dev/shm with the ballast file.
fill_shm() {
  cat /dev/zero >> "/dev/shm/$BALLAST" 2>/dev/null || true
  [[ $(stat -f -c %a /dev/shm) == 0 ]] && return 0
  echo "integration-test: /dev/shm is not full: $(df /dev/shm | tail -1)" >&2
  exit 1
}

# On a full /dev/shm, a program refuses to create the queue: exit 3, one line saying what it
# needs, no file left behind.
expect_refusal_on_full_shm() {  # program, its own options...
  local program=$1 rc=0 out
  shift
  out=$(timeout -k 5 "$LIMIT" "$BIN/$program" "${COMMON[@]}" "$@" --timeout 10 2>&1 >/dev/null) ||
    rc=$?
  if [[ $rc != 3 || $out != *"needs"*"/dev/shm has"* || -e /dev/shm/$QUEUE ]]; then
    echo "integration-test: on a full /dev/shm, $program exited $rc: $out" >&2
    exit 1
  fi
  echo "integration-test: full /dev/shm: $out"
}

# Waits (bounded) until the queue is created and marked ready.
wait_until_ready() {
  for _ in $(seq 1000); do
    "$BIN/shmq" check "$QUEUE" >/dev/null 2>&1 && return 0
    sleep 0.01
  done
  echo "integration-test: the queue never became ready" >&2
  exit 1
}

# --shm-size: nothing may be accepted while /dev/shm is full (the refused producer's --progress
# goes to the tally, its id is 99999).
if [[ -n $SHM_SIZE ]]; then
  fill_shm
  expect_refusal_on_full_shm consumer --verify-checksum --record "$WORK/records.refused"
  expect_refusal_on_full_shm producer --count "$COUNT" --size "$SIZE" --producer-id 99999 \
    --progress "$WORK/progress.refused"
  rm -f "/dev/shm/$BALLAST"
fi

# The keeper: a producer that sends nothing and stays attached until we close its input, so that
# consumers do not see end of stream while every real producer happens to be dead or restarting.
mkfifo "$WORK/keeper"
timeout -k 5 "$LIMIT" "$BIN/producer" "${COMMON[@]}" --input "$WORK/keeper" --producer-id 0 &
KEEPER=$!
exec 3> "$WORK/keeper"
# --shm-size: the queue exists (the keeper created it); nothing else may have a page from now on.
if [[ -n $SHM_SIZE ]]; then wait_until_ready; fill_shm; fi

for ((c = 1; c <= CONSUMERS; c++)); do consumer_slot "$c" 3>&- & SUPERVISORS+=($!); done
for ((p = 1; p <= PRODUCERS; p++)); do producer_slot "$p" 3>&- & SUPERVISORS+=($!); done
killer 3>&- & KILLER=$!
stopper 3>&- & STOPPER=$!

# On a terminal only: a live line of what the queue has seen (never in a pipe or a CI log).
show_progress() {
  local json killed
  while [[ ! -e $WORK/stopping ]]; do
    json=$("$BIN/shmq" stat "$QUEUE" --json --interval 0.5 2>/dev/null) || continue
    killed=$(cat "$WORK/killed" 2>/dev/null | wc -l)
    printf '\r\033[Kintegration-test: %s in, %s out, depth %s, killed %s' \
      "$(grep -o '"messages_in":[0-9]*' <<< "$json" | cut -d: -f2)" \
      "$(grep -o '"messages_out":[0-9]*' <<< "$json" | cut -d: -f2)" \
      "$(grep -o '"depth":[0-9]*' <<< "$json" | cut -d: -f2)" "$killed" >&2
  done
  printf '\r\033[K' >&2
}
if [[ -t 2 ]]; then show_progress 3>&- & PROGRESS=$!; fi

status=0
for ((i = CONSUMERS; i < ${#SUPERVISORS[@]}; i++)); do wait "${SUPERVISORS[i]}" || status=1; done
wait "$KILLER" || true
wait "$STOPPER" || status=1
touch "$WORK/stopping"
[[ -n ${PROGRESS:-} ]] && wait "$PROGRESS"
exec 3>&-  # close the keeper's input: it detaches, and consumers reach end of stream
wait "$KEEPER" || status=1
for ((i = 0; i < CONSUMERS; i++)); do wait "${SUPERVISORS[i]}" || status=1; done
SECONDS_TAKEN=$(awk -v a="$START" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')

killed_producers=$(grep -c producer "$WORK/killed" 2>/dev/null || true)
killed_consumers=$(grep -c consumer "$WORK/killed" 2>/dev/null || true)
stopped_consumers=$(grep -c consumer "$WORK/stopped" 2>/dev/null || true)
echo "integration-test: $PRODUCERS producers x $CONSUMERS consumers, $COUNT messages of $SIZE B each" \
     "(slots of ${SLOT_SIZE:-$SIZE} B);" \
     "killed ${killed_producers:-0} producers and ${killed_consumers:-0} consumers," \
     "stopped ${stopped_consumers:-0} consumers for ${STOP_SECONDS} s each"
tally=0
"$BIN/shmq-tally" --records "$WORK"/records.* --progress "$WORK"/progress.* --queue "$QUEUE" \
  --max-duplicates $(((${killed_consumers:-0} + ${stopped_consumers:-0}) * BATCH)) || tally=$?
echo "seconds $SECONDS_TAKEN"
if ((status != 0)); then echo "integration-test: FAIL (a process failed or hung)"; exit 1; fi
if ((tally != 0)); then echo "integration-test: FAIL"; exit 1; fi
echo "integration-test: PASS"
