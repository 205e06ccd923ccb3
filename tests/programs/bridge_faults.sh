#!/usr/bin/env bash
# Issue 17: the bridges and the cluster under faults, with generated, checkable messages
# (producer --count, consumer --verify-checksum --record, shmq-tally to account for each):
#  - kill -9 of `out`, of `in` and of the stream's leader node at random moments mid-stream,
#    the bridges restarted as a supervisor would: lost 0, corrupt 0, duplicates within the
#    bound the README states (--batch per killed `in`, MaxAckPending per killed node);
#  - a multi-consumer Q_A (one batch in flight), out killed twice: lost 0, no duplicates;
#  - the whole cluster stopped for 10 s mid-stream, then started: lost 0, and the producer
#    felt backpressure (the ring filled while JetStream was away);
#  - the cluster down for longer than out's --timeout: out says why and exits 4, and the
#    successor started once the cluster is back carries the rest: lost 0.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/bridge_lib.sh"
LIMIT=120
BATCH=64           # in --batch: the most one killed `in` duplicates
MAX_ACK_PENDING=1024  # the durable's, as `in` creates it: the most one killed node duplicates
start_cluster

# Starts producer -> Q_A -> out -> stream -> in -> Q_B -> consumer for `count` messages, the
# producer paced (--delay) so that faults land mid-stream. Beside it a second producer that
# sends nothing holds the stream open until finish_flow, so that a fault never finds the flow
# ended (however slow the machine): a bridge killed then would not be running. Further
# arguments go to out (which creates Q_A). Sets qa, qb, stream, consumer, producer, holder.
start_flow() {  # tag count [out-options...]
  local tag=$1 count=$2
  shift 2
  new_queue "$tag-a"; qa=$Q
  new_queue "$tag-b"; qb=$Q
  stream="F_$tag"
  supervise "$tag-out" out --queue "$qa" --nats "$URLS" --stream "$stream" --subject "f.$tag" \
    --timeout 60 --quiet --producers multi "$@"
  supervise "$tag-in" in --queue "$qb" --nats "$URLS" --stream "$stream" --durable "d_$tag" \
    --batch "$BATCH" --ack-wait 2 --timeout 60 --quiet
  start "$CONSUMER" --name "$qb" --verify-checksum --record "$WORK/$tag.records" --timeout 90 \
    --quiet
  consumer=${PIDS[-1]}
  wait_for_queue "$qa"
  start_fifo_producer "$qa"
  holder=$producer
  start "$PRODUCER" --name "$qa" --count "$count" --size 64 --delay 0.0002 \
    --progress "$WORK/$tag.progress" --quiet 7>&-
  producer=${PIDS[-1]}
}

# Ends the stream (the holder leaves), waits for the flow to end (every program exits 0) and
# accounts for every message.
finish_flow() {  # tag max-duplicates
  local tag=$1
  exec 7>&-
  expect_exit "$holder" 0 "$tag: the producer holding the stream open"
  expect_exit "$producer" 0 "$tag: producer"
  expect_exit "$consumer" 0 "$tag: consumer (end of stream across the bridges)"
  "$BIN/shmq-tally" --records "$WORK/$tag.records" --progress "$WORK/$tag.progress" \
    --max-duplicates "$2" || fail "$tag: messages lost, corrupt, or too many duplicates"
}

pause_random() {  # from-seconds spread-seconds
  sleep "$(python3 -c "import random; print($1 + random.random() * $2)")"
}

echo "kill -9 of out, of in and of the stream's leader node, at random moments"
start_flow kills 30000
wait_until "messages through" test -s "$WORK/kills.records"
pause_random 0.2 1; kill_bridge kills-out
pause_random 0.2 1; kill_bridge kills-in
pause_random 0.2 1
leader=$(cluster leader "$stream") || fail "no leader of stream $stream"
cluster kill "$leader" > /dev/null
pause_random 0.5 1
cluster restart "$leader" > /dev/null
finish_flow kills $((BATCH + MAX_ACK_PENDING))
echo "  out restarted $(cat "$WORK/kills-out.restarts"), in $(cat "$WORK/kills-in.restarts") times; node $leader killed"
[[ $(cat "$WORK/kills-out.restarts") -ge 1 && $(cat "$WORK/kills-in.restarts") -ge 1 ]] ||
  fail "a killed bridge was not restarted"

echo "a multi-consumer Q_A (one batch in flight at a time): kill -9 of out twice"
start_flow multi 20000 --consumers multi
wait_until "messages through" test -s "$WORK/multi.records"
pause_random 0.2 1; kill_bridge multi-out
pause_random 0.5 1; kill_bridge multi-out
finish_flow multi 0

echo "the whole cluster down for 10 s mid-stream: nothing lost, the producer felt backpressure"
start_flow outage 30000
wait_until "messages through" test -s "$WORK/outage.records"
cluster down > /dev/null
sleep 10
cluster up > /dev/null
finish_flow outage $((BATCH + MAX_ACK_PENDING))
waits=$("$BIN/shmq" stat "$qa" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["producer_waits"])')
((waits > 0)) || fail "the producer never waited for room while the cluster was down"
grep -q "JetStream has not acknowledged" "$WORK/outage-out.log" ||
  fail "out did not say that JetStream stopped acknowledging: $(cat "$WORK/outage-out.log")"
echo "  the producer slept $waits times on a full ring"

echo "the cluster down for longer than out's --timeout: out exits 4, its successor carries the rest"
new_queue late-a; qa=$Q
new_queue late-b; qb=$Q
start "$BRIDGE" out --queue "$qa" --nats "$URLS" --stream F_late --subject f.late --timeout 3 \
  --quiet 2> "$WORK/late-out.err"
impatient=${PIDS[-1]}
supervise late-in in --queue "$qb" --nats "$URLS" --stream F_late --durable d_late \
  --batch "$BATCH" --ack-wait 2 --timeout 60 --quiet
start "$CONSUMER" --name "$qb" --verify-checksum --record "$WORK/late.records" --timeout 90 --quiet
consumer=${PIDS[-1]}
wait_for_queue "$qa"
start_fifo_producer "$qa"  # holds the stream open, as in start_flow
holder=$producer
start "$PRODUCER" --name "$qa" --count 20000 --size 64 --delay 0.0002 \
  --progress "$WORK/late.progress" --quiet 7>&-
producer=${PIDS[-1]}
wait_until "messages through" test -s "$WORK/late.records"
cluster down > /dev/null
expect_exit "$impatient" 4 "out, the cluster gone for longer than its --timeout"
grep -q "JetStream has not acknowledged" "$WORK/late-out.err" ||
  fail "out did not say why it waited: $(cat "$WORK/late-out.err")"
cluster up > /dev/null
supervise late-out out --queue "$qa" --nats "$URLS" --stream F_late --subject f.late \
  --timeout 60 --quiet
finish_flow late $((BATCH + MAX_ACK_PENDING))
echo "PASS"
