# A corrupted, truncated or foreign segment is refused with a clear message and exit code 3;
# a line larger than a slot is refused with exit code 6 after every earlier line was delivered.
source "$(dirname "$0")/lib.sh"

expect_refusal() {  # name, what
  local out code=0
  out=$(timeout -k 5 "$LIMIT" "$CONSUMER" --name "$1" --timeout 1 --quiet 2>&1 >/dev/null) || code=$?
  [[ $code == 3 ]] || fail "$2: exit $code, expected 3 ($out)"
  [[ $(wc -l <<< "$out") == 1 ]] || fail "$2: expected one line of error, got: $out"
  echo "$2: $out"
}

make_queue() {
  new_queue "$1"
  q=$Q
  "$PRODUCER" --name "$q" --capacity 8 --slot-size 64 --count 1 --size 16 --quiet --timeout 1 || true
}

make_queue magic
printf 'XXXXXXXX' | dd of="/dev/shm/$q" bs=1 seek=0 conv=notrunc status=none
expect_refusal "$q" "bad magic"

make_queue version
printf '\x63' | dd of="/dev/shm/$q" bs=1 seek=8 conv=notrunc status=none
expect_refusal "$q" "other layout version"

make_queue capacity
printf '\x09' | dd of="/dev/shm/$q" bs=1 seek=16 conv=notrunc status=none
expect_refusal "$q" "capacity changed"

make_queue truncated
truncate -s -64 "/dev/shm/$q"
expect_refusal "$q" "truncated"

make_queue tiny
truncate -s 100 "/dev/shm/$q"
expect_refusal "$q" "smaller than a header"

new_queue foreign; q=$Q
head -c 100000 /dev/urandom > "/dev/shm/$q"
expect_refusal "$q" "foreign file"

new_queue mismatch; q=$Q
"$PRODUCER" --name "$q" --capacity 8 --count 1 --size 16 --quiet --timeout 1 || true
code=0
"$CONSUMER" --name "$q" --capacity 16 --quiet --timeout 1 2>"$WORK/err" || code=$?
[[ $code == 3 ]] || fail "capacity mismatch: exit $code"
grep -q "capacity 16 was asked for but the queue has 8" "$WORK/err" || fail "mismatch message: $(cat "$WORK/err")"

echo "a line longer than a slot: earlier lines delivered, exit 6"
new_queue toolong; q=$Q
{ echo one; echo two; head -c 100 /dev/zero | tr '\0' 'x'; echo; echo four; } > "$WORK/input"
code=0
timeout -k 5 "$LIMIT" "$PRODUCER" --name "$q" --capacity 8 --slot-size 64 --input "$WORK/input" \
  --quiet 2>"$WORK/err" || code=$?
[[ $code == 6 ]] || fail "too-long line: exit $code"
grep -q "line 3 is 100 bytes, larger than the queue's slot size of 64" "$WORK/err" ||
  fail "too-long message: $(cat "$WORK/err")"
timeout -k 5 "$LIMIT" "$CONSUMER" --name "$q" --quiet > "$WORK/out"
printf 'one\ntwo\n' | cmp - "$WORK/out" || fail "lines before the long one were not delivered"
echo "PASS"
