# The command line's rough edges (issue 15, items 3, 7 and 8): leftover words, signals' exit
# codes, a standard output that cannot be written, --json -, and the wording of a few messages.
source "$(dirname "$0")/lib.sh"
SHMQ="$BIN/shmq"
SHORT=10  # seconds: a program that should leave at once, bounded well below the test's limit

# Runs a program that must fail at once with exit `want` and one line on stderr; sets `err`.
expect_one_line() {  # want, program, args...
  local want=$1 program=$2 code=0
  shift 2
  err=$(timeout -k 5 "$SHORT" "$program" "$@" 2>&1 >/dev/null) || code=$?
  [[ $code == "$want" ]] || fail "$(basename "$program") $*: exit $code, expected $want ($err)"
  [[ $(wc -l <<< "$err") == 1 ]] || fail "$(basename "$program") $*: not one line: $err"
}

echo "a word that is not an option is a usage error, and creates no queue"
new_queue leftover; q=$Q
expect_one_line 2 "$CONSUMER" --name "$q" extra-arg
[[ $err == "consumer: unexpected argument 'extra-arg' (see --help)" ]] || fail "consumer: $err"
expect_one_line 2 "$PRODUCER" --name "$q" extra --count 3
[[ $err == "producer: unexpected argument 'extra' (see --help)" ]] || fail "producer: $err"
[[ ! -e /dev/shm/$q ]] || fail "a usage error created queue $q"
expect_one_line 2 "$SHMQ" stat "$q" extra
[[ $err == "shmq: unexpected argument 'extra' (see --help)" ]] || fail "shmq: $err"

# Starts a consumer on a fresh queue, waits until it is attached, sends it `signal` and checks
# its exit code, its statistics and that it left no entry behind.
expect_signal_exit() {  # signal, exit code
  local signal=$1 want=$2 consumer
  new_queue "sig$signal"; q=$Q
  start "$CONSUMER" --name "$q" --output /dev/null 2>"$WORK/err-$signal"
  consumer=$!
  wait_for_queue "$q"
  for _ in $(seq 1000); do  # the file appears before the consumer attaches: wait for that
    prints '"consumers":1' "$SHMQ" stat "$q" --json --interval 0.01 2>/dev/null && break
  done
  kill "-$signal" "$(program_pid "$consumer")"
  expect_exit "$consumer" "$want" "consumer stopped by SIG$signal"
  grep -q "(interrupted)" "$WORK/err-$signal" || fail "SIG$signal: no clean shutdown's statistics"
  "$SHMQ" check "$q" >/dev/null ||
    fail "SIG$signal left the consumer's entry behind"
  "$CONSUMER" --name "$q" --remove --quiet
}

echo "signals: a clean shutdown exits 128 + the signal's number"
expect_signal_exit TERM 143
expect_signal_exit INT 130
expect_signal_exit HUP 129

echo "a standard output that cannot be written is exit 1 with one line on stderr"
[[ -w /dev/full ]] || fail "no /dev/full"
for command in "$PRODUCER --help" "$PRODUCER --version" "$CONSUMER --help" \
               "$CONSUMER --version" "$SHMQ --help" "$SHMQ --version" "$SHMQ list"; do
  code=0
  err=$(timeout -k 5 "$SHORT" $command 2>&1 >/dev/full) || code=$?
  [[ $code == 1 ]] || fail "$command > /dev/full: exit $code, expected 1 ($err)"
  [[ $(wc -l <<< "$err") == 1 && $err == *"standard output"* ]] ||
    fail "$command > /dev/full: not one line about standard output: $err"
done

echo "--json - writes the statistics to standard output, not to a file named '-'"
new_queue json; q=$Q
out=$(cd "$WORK" && timeout -k 5 "$SHORT" "$PRODUCER" --name "$q" --count 1 --size 16 \
                      --json - 2>"$WORK/err-json")
[[ $out == '{"role":"producer",'*'"messages":1,'* ]] || fail "--json - printed: $out"
[[ ! -e $WORK/- ]] || fail "--json - wrote a file named '-'"

echo "one message is '1 message'"
grep -q "^producer: 1 message, " "$WORK/err-json" || fail "summary: $(cat "$WORK/err-json")"

echo "a line longer than the queue's largest message names it, --capacity and --slot-size"
new_queue long; q=$Q
code=0
{ echo short; head -c 262145 /dev/zero | tr '\0' x; echo; } |
  timeout -k 5 "$SHORT" "$PRODUCER" --name "$q" --input - --quiet 2>"$WORK/err-long" || code=$?
[[ $code == 6 ]] || fail "a long line: exit $code, expected 6"
grep -q "^producer: line 2 is 262145 bytes, larger than the queue's largest message of 262144 bytes.*--capacity or a larger --slot-size)$" \
  "$WORK/err-long" || fail "a long line: $(cat "$WORK/err-long")"

echo "--output: a consumer refused at attach leaves the file as it was"
new_queue keep-output
# A text line: a generated message's bytes (its checksum) may hold a newline.
printf 'fresh\n' | "$PRODUCER" --name "$Q" --capacity 8 --input - --quiet
printf 'precious\n' > "$WORK/keep.txt"
code=0
timeout -k 5 "$LIMIT" "$CONSUMER" --name "$Q" --capacity 4 --output "$WORK/keep.txt" --quiet \
  --timeout 5 2>/dev/null || code=$?
[[ $code == 3 ]] || fail "a consumer of the wrong capacity exited $code, expected 3"
[[ $(cat "$WORK/keep.txt") == precious ]] || fail "--output was truncated by a failed start"
timeout -k 5 "$LIMIT" "$CONSUMER" --name "$Q" --output "$WORK/keep.txt" --quiet --timeout 5 ||
  fail "the consumer of the right queue failed"
[[ $(cat "$WORK/keep.txt") == fresh ]] ||
  fail "--output was not truncated once attached: $(cat "$WORK/keep.txt")"

echo "a consumer of a stream that has ended sees its end at once, without sleeping a wait slice"
new_queue ended-stream
printf 'one\ntwo\n' | "$PRODUCER" --name "$Q" --input - --quiet
timeout -k 5 "$SHORT" "$CONSUMER" --name "$Q" --quiet > /dev/null ||
  fail "the consumer of an ended stream failed"
waits=$("$BIN/shmq" stat "$Q" --json --interval 0.01 | python3 -c 'import json, sys; print(json.load(sys.stdin)["consumer_waits"])')
[[ $waits == 0 ]] || fail "the consumer slept $waits times before seeing the end of the stream"

echo "a producer's --join is no 'ring full' sleep in shmq stat"
new_queue join-waits
code=0
timeout -k 5 "$SHORT" "$PRODUCER" --name "$Q" --count 3 --size 16 --join --timeout 1 --quiet ||
  code=$?
[[ $code == 4 ]] || fail "--join with no consumer exited $code, expected 4"
waits=$("$BIN/shmq" stat "$Q" --json --interval 0.01 | python3 -c 'import json, sys; print(json.load(sys.stdin)["producer_waits"])')
[[ $waits == 0 ]] || fail "--join counted $waits producer sleeps for a ring that was never full"

echo "a directory as --input is named, exit 2, and creates nothing"
new_queue dir-input
mkdir "$WORK/a-directory"
code=0
timeout -k 5 "$SHORT" "$PRODUCER" --name "$Q" --input "$WORK/a-directory" 2>"$WORK/err-dir" ||
  code=$?
[[ $code == 2 ]] || fail "a directory as --input: exit $code, expected 2"
grep -q "^producer: --input '$WORK/a-directory' is a directory" "$WORK/err-dir" ||
  fail "a directory as --input: $(cat "$WORK/err-dir")"
[[ ! -e /dev/shm/$Q ]] || fail "a directory as --input created the queue"

echo "binary messages to a terminal: the consumer says --output wants a file or a pipe"
if have_terminal; then
  new_queue binary
  "$PRODUCER" --name "$Q" --count 3 --size 64 --quiet
  on_terminal "$WORK/tty" "'$CONSUMER' --name $Q" || fail "the consumer on a terminal failed"
  grep -q "consumer: message 1 is binary .*--output wants a file or a pipe" "$WORK/tty" ||
    fail "no hint for binary messages on a terminal: $(cat -v "$WORK/tty" | head -c 300)"
  [[ $(grep -c "is binary" "$WORK/tty") == 1 ]] || fail "the binary hint came more than once"
  new_queue text
  printf 'plain\ttext\n' | "$PRODUCER" --name "$Q" --input - --quiet
  on_terminal "$WORK/tty" "'$CONSUMER' --name $Q" || fail "the consumer on a terminal failed"
  ! grep -q "is binary" "$WORK/tty" || fail "text lines were called binary"
fi

echo "PASS"
