# Messages a consumer holds are never given up for end of stream: a dead consumer's messages are
# delivered to another before it reports end of stream, and a stopped consumer's lease runs out,
# so the others take over what it held instead of stalling behind it.
source "$(dirname "$0")/lib.sh"

# Waits (bounded) until process $1 is stopped (state T in /proc).
wait_until_stopped() {
  for _ in $(seq 1000); do
    [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == T ]] && return 0
    sleep 0.01
  done
  fail "process $1 never stopped"
}

# --- A dead consumer's messages are delivered before another reports end of stream.
new_queue dead-holder
start_fifo_producer "$Q" --capacity 64 --consumers multi
wait_for_queue "$Q"
SHMQ_FAILPOINT=consumer.after_take SHMQ_FAILPOINT_ACTION=stop \
  start "$CONSUMER" --name "$Q" --output "$WORK/a.txt" --quiet 7>&-
holder=$(program_pid "${PIDS[-1]}")
seq 1 10 >&7
wait_until_stopped "$holder"
start "$CONSUMER" --name "$Q" --output "$WORK/b.txt" --quiet --timeout 30 7>&-
other=${PIDS[-1]}
kill -9 "$holder"
exec 7>&-  # the producer's input ends at once
expect_exit "$producer" 0 "producer"
expect_exit "$other" 0 "the surviving consumer"
[[ $(sort -n "$WORK/b.txt" | tr '\n' ' ') == "1 2 3 4 5 6 7 8 9 10 " ]] ||
  fail "the dead consumer's 10 lines were not delivered: got '$(tr '\n' ' ' < "$WORK/b.txt")'"
echo "dead holder: its 10 lines were delivered by the survivor before end of stream"

# --- A stopped consumer's lease runs out: the other delivers everything while it stays stopped.
json_field() {  # file, key: a number from a statistics JSON file
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], 0))' "$1" "$2"
}
new_queue stopped-holder
# It stops holding its first batch, before writing any of it.
SHMQ_FAILPOINT=consumer.after_take SHMQ_FAILPOINT_ACTION=stop \
  start "$CONSUMER" --name "$Q" --capacity 8 --slot-size 64 --consumers multi \
  --verify-checksum --output /dev/null --quiet --lease 1 --json "$WORK/stopped.json" 7>&-
stopped_wrapper=${PIDS[-1]}
stopped=$(program_pid "$stopped_wrapper")
wait_for_queue "$Q"
start "$PRODUCER" --name "$Q" --count 2000 --size 32 --quiet 7>&-
producer=${PIDS[-1]}
wait_until_stopped "$stopped"
# The other may get the stopped one's messages out of order, never twice or corrupt.
start "$CONSUMER" --name "$Q" --verify-checksum --output /dev/null --quiet --lease 1 \
  --timeout 30 --json "$WORK/other.json" 7>&-
other=${PIDS[-1]}
expect_exit "$producer" 0 "producer"
expect_exit "$other" 0 "the consumer beside a stopped one"
[[ $(json_field "$WORK/other.json" messages) == 2000 ]] ||
  fail "the consumer beside a stopped one delivered $(json_field "$WORK/other.json" messages)"
kill -CONT "$stopped"
expect_exit "$stopped_wrapper" 0 "the stopped consumer, resumed"
[[ $(json_field "$WORK/stopped.json" messages) == 0 ]] ||
  fail "the resumed consumer delivered messages it no longer held: $(cat "$WORK/stopped.json")"
[[ $(json_field "$WORK/stopped.json" redelivered) -gt 0 ]] ||
  fail "the resumed consumer did not count what it lost as redelivered: $(cat "$WORK/stopped.json")"
echo "stopped holder: the other consumer delivered all 2000 while it was stopped"
