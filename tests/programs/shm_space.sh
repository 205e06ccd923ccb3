# /dev/shm smaller than a queue, or full: creating the queue is refused (exit 3, one line saying
# what it needs and what /dev/shm has, no file left behind); a queue once created keeps its pages
# when /dev/shm fills up; a producer whose mapping is lost counts nothing it cannot vouch for.
# Runs in a private mount namespace with a 16 MiB tmpfs on /dev/shm (as Docker's 64 MiB default,
# only smaller); the namespace, and the mount, end with the script.

if [[ -z ${SHMQ_PRIVATE_SHM:-} ]]; then
  if ! unshare -m true 2>/dev/null; then
    echo "SKIP: unshare -m is not permitted here (needs root or CAP_SYS_ADMIN)"
    exit 0
  fi
  SHMQ_PRIVATE_SHM=1 exec timeout -k 5 170 unshare -m bash "$0" "$@"
fi
if ! mount -t tmpfs -o size=16m tmpfs /dev/shm 2>/dev/null; then
  echo "SKIP: cannot mount a tmpfs on /dev/shm in a private mount namespace"
  exit 0
fi
source "$(dirname "$0")/lib.sh"
SHMQ="$BIN/shmq"
BIG=(--capacity 64 --slot-size 1M)  # 64 MiB and a header: four times this /dev/shm

# Fills what is left of /dev/shm with the file $1.
fill_shm() {
  cat /dev/zero >> "/dev/shm/$1" 2>/dev/null || true
  [[ $(stat -f -c %a /dev/shm) == 0 ]] || fail "/dev/shm is not full: $(df /dev/shm)"
}

# Waits (bounded) until queue $1 is created and marked ready.
wait_until_ready() {
  for _ in $(seq 1000); do
    "$SHMQ" check "$1" >/dev/null 2>&1 && return 0
    sleep 0.01
  done
  fail "queue $1 never became ready"
}

# The refusal is one line saying what the queue needs and what /dev/shm has, and leaves no file.
expect_space_refusal() {  # queue, what, stderr file
  local out
  out=$(cat "$3")
  [[ $(wc -l <<< "$out") == 1 ]] || fail "$2: expected one line of error, got: $out"
  [[ $out == *"needs 64.0 MiB"*"/dev/shm has 16.0 MiB free"* ]] ||
    fail "$2: the refusal does not say what is needed and what there is: $out"
  [[ ! -e /dev/shm/$1 ]] || fail "$2: the half-made queue file was left in /dev/shm"
  echo "$2: $out"
}

echo "a queue larger than /dev/shm: refused by whoever would create it"
for batch in 256 1; do
  new_queue big; q=$Q
  start "$CONSUMER" --name "$q" "${BIG[@]}" --verify --timeout 10 --quiet 2> "$WORK/big.consumer"
  consumer=$!
  # The consumer is refused at once, or waits for a producer if it got the queue.
  sleep 0.5
  code=0
  timeout -k 5 "$LIMIT" "$PRODUCER" --name "$q" "${BIG[@]}" --count 40 --size 1000000 \
    --batch "$batch" --timeout 10 2> "$WORK/big.producer" || code=$?
  [[ $code == 3 ]] || fail "--batch $batch: producer exited $code: $(cat "$WORK/big.producer")"
  expect_exit "$consumer" 3 "--batch $batch: consumer"
  expect_space_refusal "$q" "--batch $batch: consumer" "$WORK/big.consumer"
  expect_space_refusal "$q" "--batch $batch: producer" "$WORK/big.producer"
done

# Starts a verifying consumer that creates queue $1 of 8 x 1 MiB slots (its stderr to
# $WORK/$2.consumer, its pid in `consumer`), then fills what is left of /dev/shm with `ballast`.
start_consumer_then_fill() {
  start "$CONSUMER" --name "$1" --capacity 8 --slot-size 1M --verify --timeout 20 \
    2> "$WORK/$2.consumer"
  consumer=$!
  wait_until_ready "$1"
  fill_shm "$ballast"
}

echo "/dev/shm filled after creation: the queue keeps its pages and delivers everything"
new_queue filled; q=$Q
new_queue ballast; ballast=$Q
start_consumer_then_fill "$q" filled
code=0
timeout -k 5 "$LIMIT" "$PRODUCER" --name "$q" --count 40 --size 1000000 --timeout 20 \
  2> "$WORK/filled.producer" || code=$?
[[ $code == 0 ]] || fail "producer on a full /dev/shm exited $code: $(cat "$WORK/filled.producer")"
expect_exit "$consumer" 0 "consumer on a full /dev/shm"
grep -q "consumer: 40 messages.*missing 0 (end-of-stream)" "$WORK/filled.consumer" ||
  fail "consumer on a full /dev/shm: $(cat "$WORK/filled.consumer")"
rm -f "/dev/shm/$ballast" "/dev/shm/$q"

echo "a page of a slot gone while /dev/shm is full: the producer counts only what was delivered"
new_queue hole; q=$Q
start_consumer_then_fill "$q" hole
# Punch a hole into slot 3's payload, past the page of its slot header, and fill /dev/shm again:
# the producer claims slot 3 fine, and its copy into the payload then faults (SIGBUS).
stride=$(( (16 + 1048576 + 15) / 16 * 16 ))
header=$(( $(stat -c %s "/dev/shm/$q") - 8 * stride ))
hole=$(( (header + 3 * stride + 4096 + 4095) / 4096 * 4096 ))
fallocate --punch-hole --offset "$hole" --length 65536 "/dev/shm/$q"
fill_shm "$ballast"
code=0
timeout -k 5 "$LIMIT" "$PRODUCER" --name "$q" --count 40 --size 1000000 --batch 1 --timeout 20 \
  --progress "$WORK/hole.progress" 2> "$WORK/hole.producer" || code=$?
[[ $code == 3 ]] || fail "producer of a lost mapping exited $code: $(cat "$WORK/hole.producer")"
grep -q "(ok)" "$WORK/hole.producer" && fail "a producer that lost its queue said ok"
expect_exit "$consumer" 0 "consumer of the producer that lost its mapping"
accepted=$(awk '{print $2}' "$WORK/hole.progress")
delivered=$(sed -n 's/^consumer: \([0-9]*\) messages.*/\1/p' "$WORK/hole.consumer")
echo "producer accepted $accepted, consumer delivered $delivered"
[[ $accepted == 3 && $delivered == 3 ]] ||
  fail "accepted $accepted, delivered $delivered; expected 3 and 3 (slots 0-2, before the hole)"
grep -q "producer: 3 messages" "$WORK/hole.producer" ||
  fail "the producer's summary counts what it could not vouch for: $(cat "$WORK/hole.producer")"
echo "PASS"
