#!/usr/bin/env bash
# A wait that goes on says, once and on a terminal only, what it waits for; --no-create attaches
# only to a queue that exists (issue 15, item 4).
source "$(dirname "$0")/lib.sh"

have_terminal || { echo "wait notices: skipped, script(1) gets no pseudo-terminal here"; exit 0; }

# Runs a program on a terminal with --timeout 1.5 (it waits and times out: exit 4) and checks
# that it said PATTERN.
says_on_terminal() {  # pattern command-line
  local got=0
  on_terminal "$WORK/tty" "$2 --timeout 1.5" || got=$?
  [[ $got == 4 ]] || fail "'$2' exited $got, expected 4 (timeout): $(cat -v "$WORK/tty")"
  grep -q -- "$1" "$WORK/tty" || fail "'$2' did not say '$1' on a terminal: $(cat -v "$WORK/tty")"
  [[ $(grep -c ": waiting " "$WORK/tty") == 1 ]] || fail "'$2' said it waits more than once"
}

new_queue fresh
says_on_terminal "consumer: waiting for a producer on new queue '$Q' (created now; --no-create" \
  "'$CONSUMER' --name $Q"

new_queue ended
printf 'one\ntwo\n' | "$PRODUCER" --name "$Q" --input - --quiet
timeout -k 5 "$LIMIT" "$CONSUMER" --name "$Q" --quiet > /dev/null
says_on_terminal "waiting for a producer on queue '$Q': none is attached and the ring is empty (1 producer came and went before; their stream has ended)" \
  "'$CONSUMER' --name $Q"

new_queue full
says_on_terminal "producer: waiting for room on new queue '$Q': all 4 slots are full and no consumer is attached" \
  "'$PRODUCER' --name $Q --capacity 4 --count 1000 --size 64 --batch 1"

new_queue join
says_on_terminal "producer: waiting for consumers to finish what we sent (--join) on new queue '$Q': no consumer is attached" \
  "'$PRODUCER' --name $Q --count 3 --size 64 --join"

new_queue silent
start_fifo_producer "$Q"
wait_for_queue "$Q"
says_on_terminal "consumer: waiting for messages on queue '$Q': its 1 producer attached sent nothing more" \
  "'$CONSUMER' --name $Q 7>&-"
exec 7>&-
expect_exit "$producer" 0 "the silent producer"

# Not a terminal: nothing but the summary, as before.
new_queue pipe
got=0
timeout -k 5 "$LIMIT" "$CONSUMER" --name "$Q" --timeout 1.5 2> "$WORK/err" || got=$?
[[ $got == 4 ]] || fail "consumer with no producer exited $got, expected 4"
! grep -q waiting "$WORK/err" || fail "a consumer off a terminal said it waits: $(cat "$WORK/err")"

# --no-create: a missing queue is exit 3 with one line, and creates nothing.
new_queue missing
for program in "$CONSUMER" "$PRODUCER --count 1 --size 64"; do
  got=0
  timeout -k 5 "$LIMIT" $program --name "$Q" --no-create 2> "$WORK/err" || got=$?
  [[ $got == 3 ]] || fail "$program --no-create on a missing queue exited $got, expected 3"
  grep -q "queue '$Q' does not exist" "$WORK/err" || fail "no reason given: $(cat "$WORK/err")"
  [[ $(wc -l < "$WORK/err") == 1 ]] || fail "more than one line: $(cat "$WORK/err")"
  [[ ! -e /dev/shm/$Q ]] || fail "$program --no-create created the queue"
done
# ... and an existing one is attached as ever.
new_queue existing
timeout -k 5 "$LIMIT" "$PRODUCER" --name "$Q" --count 5 --size 64 --quiet
timeout -k 5 "$LIMIT" "$CONSUMER" --name "$Q" --no-create --verify --quiet ||
  fail "consumer --no-create did not drain an existing queue"

echo "wait notices: all cases passed"
