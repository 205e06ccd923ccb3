# Messages larger than a slot, as a user sends them: lines of 256 KiB and 3 MiB arrive
# byte-identical (in fragments over consecutive slots); a line above the queue's largest message
# is refused with exit 6 after everything before it was delivered; generated 100 KiB messages
# verify through 1 KiB slots.
source "$(dirname "$0")/lib.sh"

python3 - "$WORK" <<'PY'
import random, sys
random.seed(18)
work = sys.argv[1]
def line(n):
    return bytes(random.choice(b"abcdefghij \t\x01\xff") for _ in range(n)) + b"\n"
with open(work + "/mixed", "wb") as f:
    for n in [0, 10, 1024, 1025, 256 * 1024, 7, 3 * 1024 * 1024, 2000, 100 * 1024 + 3, 1]:
        f.write(line(n))
with open(work + "/default-sized", "wb") as f:
    for n in [5, 256 * 1024, 1500, 256 * 1024 - 1, 9]:
        f.write(line(n))
    f.write(line(256 * 1024 + 1))  # above the default queue's largest message
    f.write(line(3))
PY

echo "256 KiB and 3 MiB lines through --capacity 64 --slot-size 256K"
new_queue wide; q=$Q
start "$CONSUMER" --name "$q" --capacity 64 --slot-size 256K --output "$WORK/mixed.out" --quiet
consumer=${PIDS[-1]}
wait_for_queue "$q"
start "$PRODUCER" --name "$q" --input "$WORK/mixed" --quiet
expect_exit "${PIDS[-1]}" 0 "producer"
expect_exit "$consumer" 0 "consumer"
cmp "$WORK/mixed" "$WORK/mixed.out" || fail "the lines did not arrive byte-identical"

echo "the default queue (1024 x 1 KiB) carries a 256 KiB line; one byte more is refused, exit 6"
new_queue default; q=$Q
start "$CONSUMER" --name "$q" --output "$WORK/default.out" --quiet
consumer=${PIDS[-1]}
wait_for_queue "$q"
code=0
timeout -k 5 "$LIMIT" "$PRODUCER" --name "$q" --input "$WORK/default-sized" --quiet \
  2> "$WORK/refusal" || code=$?
[[ $code == 6 ]] || fail "producer exit $code for a line above the largest message, expected 6"
[[ $(wc -l < "$WORK/refusal") == 1 ]] || fail "not a one-line error: $(cat "$WORK/refusal")"
grep -q "line 6 is 262145 bytes, larger than the queue's largest message of 262144" \
  "$WORK/refusal" || fail "unclear refusal: $(cat "$WORK/refusal")"
expect_exit "$consumer" 0 "consumer"
head -n 5 "$WORK/default-sized" | cmp - "$WORK/default.out" ||
  fail "the lines accepted before the refused one did not all arrive"
echo "  $(cat "$WORK/refusal")"

echo "--count 2000 --size 100K through 1 KiB slots, verified"
new_queue verify; q=$Q
start "$CONSUMER" --name "$q" --verify --json "$WORK/verify.json" --quiet
consumer=${PIDS[-1]}
wait_for_queue "$q"
start "$PRODUCER" --name "$q" --count 2000 --size 100K --quiet
expect_exit "${PIDS[-1]}" 0 "producer"
expect_exit "$consumer" 0 "consumer"
python3 - "$WORK/verify.json" <<'PY' || fail "the verifier did not see 2000 intact messages"
import json, sys
stats = json.load(open(sys.argv[1]))
sys.exit(0 if (stats["messages"], stats["corrupt"], stats["missing"]) == (2000, 0, 0) else 1)
PY
echo "PASS"
