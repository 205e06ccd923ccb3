#!/usr/bin/env bash
# Issue 17: a queue carried across "hosts" (two queues on this machine) through a real 3-node
# JetStream cluster: producer -> Q_A -> shmq-bridge out -> stream (3 replicas) -> shmq-bridge in
# -> Q_B -> consumer gives a byte-identical copy, with end of stream crossing both bridges, in
# both start orders; and bad input earns a clear line and its exit code.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/bridge_lib.sh"
start_cluster
awkward_lines 5000 > "$WORK/input.txt"

# One run: the bridges in the order given, then a producer and a consumer; all exit 0.
roundtrip() {  # tag first-bridge(in|out)
  local tag=$1 first=$2 qa qb
  new_queue "$tag-a"; qa=$Q
  new_queue "$tag-b"; qb=$Q
  local stream="S_$tag" out_args in_args
  out_args=(out --queue "$qa" --nats "$URLS" --stream "$stream" --subject "copy.$tag" --quiet)
  in_args=(in --queue "$qb" --nats "$URLS" --stream "$stream" --durable "d_$tag" --quiet)
  if [[ $first == in ]]; then
    start "$BRIDGE" "${in_args[@]}"; local in_pid=${PIDS[-1]}
    sleep 0.5  # in waits for the stream that out creates
    start "$BRIDGE" "${out_args[@]}"; local out_pid=${PIDS[-1]}
  else
    start "$BRIDGE" "${out_args[@]}"; local out_pid=${PIDS[-1]}
    wait_for_queue "$qa"
    start "$BRIDGE" "${in_args[@]}"; local in_pid=${PIDS[-1]}
  fi
  wait_for_queue "$qa"
  wait_for_queue "$qb"
  # shmq stat shows the bridge beside its queue, with what it is connected to.
  wait_until "out's note" prints "bridge out to nats://127.0.0.1:" "$BIN/shmq" stat "$qa"
  prints "consumer *alive" "$BIN/shmq" stat "$qa" || fail "stat does not show out as a consumer"
  wait_until "in's note" prints "bridge in from nats://127.0.0.1:.* durable d_$tag" "$BIN/shmq" stat "$qb"
  start "$CONSUMER" --name "$qb" --output "$WORK/copy-$tag.txt" --quiet; local consumer=${PIDS[-1]}
  timeout -k 5 "$LIMIT" "$PRODUCER" --name "$qa" --input "$WORK/input.txt" --quiet ||
    fail "$tag: producer failed"
  expect_exit "$out_pid" 0 "$tag: shmq-bridge out"
  expect_exit "$in_pid" 0 "$tag: shmq-bridge in"
  expect_exit "$consumer" 0 "$tag: consumer (end of stream across both bridges)"
  cmp "$WORK/input.txt" "$WORK/copy-$tag.txt" || fail "$tag: the copy differs from the input"
}

echo "in started first: a byte-identical copy, end of stream crossing both bridges"
roundtrip in-first in
echo "out started first: the same"
roundtrip out-first out

echo "an unreachable URL: a clear line, exit 4 after --timeout"
new_queue unreachable
rc=0
timeout -k 5 "$LIMIT" "$BRIDGE" out --queue "$Q" --nats nats://127.0.0.1:1 --stream X --subject x \
  --timeout 1 --quiet 2> "$WORK/unreachable.err" || rc=$?
[[ $rc == 4 ]] || fail "unreachable: exit $rc, expected 4"
grep -q "cannot reach NATS at nats://127.0.0.1:1" "$WORK/unreachable.err" || fail "unreachable: $(cat "$WORK/unreachable.err")"

echo "wrong credentials: exit 1 with the server's reason"
AUTH_PORT=$(bash "$CLUSTER" free-port)
nats-server -a 127.0.0.1 -p "$AUTH_PORT" --user alice --pass right > "$WORK/auth.log" 2>&1 &
auth_server=$!
PIDS+=("$auth_server")
wait_until "the password-protected server" bash -c "exec 3<>/dev/tcp/127.0.0.1/$AUTH_PORT" 2>/dev/null
rc=0
timeout -k 5 "$LIMIT" "$BRIDGE" out --queue "$Q" --nats "nats://127.0.0.1:$AUTH_PORT" --stream X \
  --subject x --user alice --password wrong --timeout 5 --quiet 2> "$WORK/auth.err" || rc=$?
[[ $rc == 1 ]] || fail "wrong credentials: exit $rc, expected 1"
grep -qi "authorization violation" "$WORK/auth.err" || fail "wrong credentials: $(cat "$WORK/auth.err")"
kill "$auth_server"

echo "a stream that exists with other subjects: refused, exit 1"
rc=0
timeout -k 5 "$LIMIT" "$BRIDGE" out --queue "$Q" --nats "$URLS" --stream S_in-first \
  --subject other.subject --quiet 2> "$WORK/subjects.err" || rc=$?
[[ $rc == 1 ]] || fail "other subjects: exit $rc, expected 1"
grep -q "do not cover 'other.subject'" "$WORK/subjects.err" || fail "other subjects: $(cat "$WORK/subjects.err")"

echo "a message larger than the stream's max message size: refused; nothing after it is lost"
new_queue big-a; qa=$Q
new_queue big-b; qb=$Q
python3 -c '
for i in range(200):
    print(("x" * 900) if i == 100 else "line %d" % i)' > "$WORK/big.txt"
grep -v "^x" "$WORK/big.txt" > "$WORK/big-expected.txt"
start "$BRIDGE" out --queue "$qa" --nats "$URLS" --stream S_big --subject big.x \
  --max-message-size 512 --quiet 2> "$WORK/big-out.err"
out_pid=${PIDS[-1]}
start "$BRIDGE" in --queue "$qb" --nats "$URLS" --stream S_big --durable d_big --quiet
in_pid=${PIDS[-1]}
start "$CONSUMER" --name "$qb" --output "$WORK/big-copy.txt" --quiet
consumer=${PIDS[-1]}
wait_for_queue "$qa"
timeout -k 5 "$LIMIT" "$PRODUCER" --name "$qa" --input "$WORK/big.txt" --quiet || fail "big: producer"
expect_exit "$out_pid" 6 "big: shmq-bridge out"
expect_exit "$in_pid" 0 "big: shmq-bridge in"
expect_exit "$consumer" 0 "big: consumer"
grep -q "(900 bytes) refused: larger than stream 'S_big' allows" "$WORK/big-out.err" ||
  fail "big: $(cat "$WORK/big-out.err")"
cmp "$WORK/big-expected.txt" "$WORK/big-copy.txt" || fail "big: messages other than the large one were lost"
echo "PASS"
