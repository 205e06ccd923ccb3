# Every program explains itself and turns bad options into one line and exit code 2.
source "$(dirname "$0")/lib.sh"

for program in "$PRODUCER" "$CONSUMER"; do
  prints "Exit codes" "$program" --help || fail "$program --help lacks exit codes"
  prints "shmq" "$program" --version || fail "$program --version"
done

expect_usage() {  # program, args...
  local program=$1 code=0 out
  shift
  out=$(timeout -k 5 "$LIMIT" "$program" "$@" 2>&1 >/dev/null) || code=$?
  [[ $code == 2 ]] || fail "$(basename "$program") $*: exit $code, expected 2 ($out)"
  [[ $(wc -l <<< "$out") == 1 ]] || fail "$(basename "$program") $*: not one line: $out"
}

new_queue usage; q=$Q
expect_usage "$PRODUCER" --name "$q" --bogus
expect_usage "$PRODUCER" --name "$q" --capacity 0
expect_usage "$PRODUCER" --name "$q" --capacity -5
expect_usage "$PRODUCER" --name "$q" --capacity 12x
expect_usage "$PRODUCER" --name "$q" --capacity 99999999999999999999999
expect_usage "$PRODUCER" --name "$q" --slot-size 4KB
expect_usage "$PRODUCER" --name "$q" --slot-size 0
expect_usage "$PRODUCER" --name "$q" --timeout 0
expect_usage "$PRODUCER" --name "$q" --timeout abc
expect_usage "$PRODUCER" --name "$q" --producers many
expect_usage "$PRODUCER" --name "$q" --count 0
expect_usage "$PRODUCER" --name "$q" --count 10 --size 8
expect_usage "$PRODUCER" --name "$q" --size 64
expect_usage "$PRODUCER" --name "$q" --input /dev/null --count 5
expect_usage "$PRODUCER" --name "$q" --input /nonexistent/file
expect_usage "$PRODUCER" --name "$q" --quiet --verbose
expect_usage "$PRODUCER" --name "$q" --wait sometimes
expect_usage "$PRODUCER" --name "../etc/passwd"
expect_usage "$PRODUCER" --name ""
expect_usage "$PRODUCER" --name "a/b"
expect_usage "$PRODUCER" --name "$(printf 'x%.0s' {1..201})"
expect_usage "$PRODUCER" --name "$q" --mode 0777
expect_usage "$PRODUCER" --name "$q" --mode 0066
expect_usage "$PRODUCER" --name "$q" --mode 4600
expect_usage "$PRODUCER" --name "$q" --mode rw
expect_usage "$PRODUCER" --name "$q" --mode 0689
expect_usage "$CONSUMER" --name "$q" --allow-owner -1
expect_usage "$CONSUMER" --name "$q" --allow-owner root
expect_usage "$CONSUMER" --name "$q" --allow-owner 99999999999
expect_usage "$PRODUCER" --name "$q" --batch 999999
expect_usage "$PRODUCER" --name "$q" --producer-id -1
expect_usage "$PRODUCER" --name "$q" --producer-id 4294967295
expect_usage "$PRODUCER" --name "$q" --count 1 --size 2K --capacity 4 --slot-size 1K  # max 1K
expect_usage "$PRODUCER" --name "$q" --count 1 --size 64 --progress /nonexistent/dir/file
expect_usage "$CONSUMER" --name "$q" --batch 0
expect_usage "$CONSUMER" --name "$q" --expect-producers 99999999
expect_usage "$CONSUMER" --name "$q" --verify --verify-order
expect_usage "$CONSUMER" --name "$q" --expect-producers 0
expect_usage "$CONSUMER" --name "$q" --delay -1
[[ ! -e /dev/shm/$q ]] || fail "a usage error created the queue"

code=0
"$CONSUMER" --name "$q" --remove 2>/dev/null || code=$?
[[ $code == 3 ]] || fail "--remove of a missing queue: exit $code, expected 3"

echo "timeout: a consumer with no producer gives up with exit 4"
code=0
timeout -k 5 "$LIMIT" "$CONSUMER" --name "$q" --timeout 0.2 --quiet || code=$?
[[ $code == 4 ]] || fail "consumer --timeout: exit $code, expected 4"

echo "SIGTERM: a waiting consumer stops cleanly with exit 143 (128 + 15) and prints statistics"
"$CONSUMER" --name "$q" --remove --quiet
new_queue sigterm; q=$Q  # a fresh name: its file appears only once the handlers are installed
start "$CONSUMER" --name "$q"
consumer=$!
wait_for_queue "$q"
kill -TERM "$(program_pid "$consumer")"
expect_exit "$consumer" 143 "interrupted consumer"
"$CONSUMER" --name "$q" --remove --quiet
[[ ! -e /dev/shm/$q ]] || fail "--remove left the file"
echo "SIGINT: a producer that never waits for room still stops between batches, exit 130 (128 + 2)"
new_queue sigint; q=$Q
start "$PRODUCER" --name "$q" --count 1000 --size 64 --delay 0.05 --quiet
producer=$!
wait_for_queue "$q"
kill -INT "$(program_pid "$producer")"
expect_exit "$producer" 130 "interrupted producer"

echo "--remove refuses while a live process is attached (exit 7)"
new_queue busy; q=$Q
start "$CONSUMER" --name "$q" --output /dev/null --quiet
consumer=$!
wait_for_queue "$q"
for _ in $(seq 1000); do  # the file appears before the consumer attaches: wait for that
  prints '"consumers":1' "$BIN/shmq" stat "$q" --json --interval 0.01 2>/dev/null && break
done
code=0
"$PRODUCER" --name "$q" --remove 2>/dev/null || code=$?
[[ $code == 7 ]] || fail "--remove of a queue in use: exit $code, expected 7"
[[ -e /dev/shm/$q ]] || fail "a refused --remove removed the file"
kill -TERM "$(program_pid "$consumer")"
expect_exit "$consumer" 143 "interrupted consumer"
"$CONSUMER" --name "$q" --remove --quiet

echo "PASS"
