# Lines of any content go through producer and consumer byte-identical, whichever starts first,
# through a ring small enough to wrap thousands of times.
source "$(dirname "$0")/lib.sh"

# Starts a consumer that creates queue LABEL with the given options and writes to a file, then
# a producer that reads INPUT; both must succeed and the output must equal the input.
#   consumer_first LABEL INPUT [consumer options...]
consumer_first() {
  local label=$1 input=$2
  shift 2
  new_queue "$label"
  start "$CONSUMER" --name "$Q" "$@" --output "$WORK/out-$label" --quiet
  local consumer=$!
  wait_for_queue "$Q"
  start "$PRODUCER" --name "$Q" --input "$input" --quiet
  expect_exit $! 0 producer
  expect_exit "$consumer" 0 consumer
  cmp "$input" "$WORK/out-$label" || fail "$label: output differs"
}

awkward_lines 50000 > "$WORK/input"

echo "consumer first, files"
consumer_first consumer-first "$WORK/input" --capacity 4 --slot-size 256

echo "producer first, pipes"
new_queue producer-first; q=$Q
start bash -c "\"$PRODUCER\" --name $q --capacity 4 --slot-size 256 --input - --quiet < \"$WORK/input\""
producer=$!
wait_for_queue "$q"
start bash -c "\"$CONSUMER\" --name $q --quiet > \"$WORK/out2\""
expect_exit "$producer" 0 producer
expect_exit $! 0 consumer
cmp "$WORK/input" "$WORK/out2" || fail "producer-first output differs"

echo "the ring wrapped: 50000 lines through 4 slots"

echo "long lines (written from their slots) between runs of short ones (copied), in big batches"
python3 - > "$WORK/mixed" <<'PY'
import random, sys
random.seed(11)
out = sys.stdout.buffer
for block in range(40):
    # A run of short lines fills more than the consumer's 64 KiB staging buffer within one batch.
    for i in range(300):
        out.write(b"s%d.%d " % (block, i) + b"x" * 400 + b"\n")
    for length in [0, 1, 511, 512, 513, 4095, 4096] + [random.randint(0, 4096) for _ in range(50)]:
        out.write(bytes(random.randint(97, 122) for _ in range(length)) + b"\n")
PY
consumer_first mixed-lengths "$WORK/mixed" --slot-size 4K

echo "a full ring holds the producer until a consumer comes"
new_queue full-ring; q=$Q
seq 1 20000 > "$WORK/numbers"  # about 100 KiB: more than 8 slots of 1 KiB hold, even packed
start "$PRODUCER" --name "$q" --capacity 8 --input "$WORK/numbers" --quiet
producer=$!
wait_for_queue "$q"
sleep 0.2
kill -0 "$producer" 2>/dev/null || fail "producer finished without a consumer (should wait)"
start "$CONSUMER" --name "$q" --output "$WORK/out3" --quiet
expect_exit "$producer" 0 producer
expect_exit $! 0 consumer
cmp "$WORK/numbers" "$WORK/out3" || fail "full-ring output differs"

echo "generated messages verify end to end"
new_queue generated; q=$Q
start "$CONSUMER" --name "$q" --capacity 64 --slot-size 128 --verify --quiet --json "$WORK/c.json"
consumer=$!
wait_for_queue "$q"
start "$PRODUCER" --name "$q" --count 300000 --size 100 --quiet --json "$WORK/p.json"
expect_exit $! 0 producer
expect_exit "$consumer" 0 consumer
grep -q '"messages":300000' "$WORK/c.json" || fail "consumer statistics: $(cat "$WORK/c.json")"
grep -q '"role":"producer"' "$WORK/p.json" || fail "producer statistics: $(cat "$WORK/p.json")"
echo "PASS"
