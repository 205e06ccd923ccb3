#!/usr/bin/env bash
# scripts/nats-cluster.sh starts a real 3-node JetStream cluster on ports of its own, kills and
# restarts a node, and stops it all, leaving no process and no directory behind (issue 17: the
# cluster the bridge's tests run against).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLUSTER="$ROOT/scripts/nats-cluster.sh"
DIR=$(mktemp -d /tmp/shmq-nats-test.XXXXXX)

fail() { echo "FAIL: $*" >&2; exit 1; }
command -v nats-server > /dev/null || fail "nats-server is not installed (scripts/setup.sh installs it)"

BASE=$(bash "$CLUSTER" free-port) || fail "no free base port found"
run() { timeout -k 5 120 bash "$CLUSTER" "$@" --dir "$DIR" --base-port "$BASE"; }
cleanup() {
  run stop > /dev/null 2>&1 || true
  for pidfile in "$DIR"/n*.pid; do
    [[ -e $pidfile ]] && { kill -9 "$(cat "$pidfile")" 2>/dev/null || true; }
  done
  rm -rf "$DIR"
}
trap cleanup EXIT

echo "start: three nodes, each healthy (a JetStream meta leader exists)"
run start
status=$(run status)
[[ $(grep -c "healthy" <<< "$status") == 3 ]] || fail "status after start: $status"
jsz=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$((BASE + 200)) &&
  printf 'GET /jsz HTTP/1.0\r\n\r\n' >&3 && cat <&3")
grep -q '"cluster_size": *3' <<< "$jsz" || fail "JetStream does not see a 3-node cluster: $jsz"

echo "kill 2: node 2's own process dies; restart 2: healthy again"
pid=$(cat "$DIR/n2.pid")
run kill 2
! kill -0 "$pid" 2>/dev/null || fail "node 2 (pid $pid) still runs after kill"
grep -q "node 2 .*: down" <<< "$(run status)" || fail "status does not say node 2 is down"
run restart 2
grep -q "node 2 .*healthy" <<< "$(run status)" || fail "node 2 not healthy after restart"

echo "down, then up: every node stops and comes back healthy, with its store"
pids=$(cat "$DIR"/n*.pid)
run down
for pid in $pids; do ! kill -0 "$pid" 2>/dev/null || fail "pid $pid still runs after down"; done
[[ -d $DIR/n1 ]] || fail "down removed node 1's store"
run up
[[ $(grep -c "healthy" <<< "$(run status)") == 3 ]] || fail "not every node healthy after up"

echo "stop: no process, no directory left"
pids=$(cat "$DIR"/n*.pid)
run stop
for pid in $pids; do ! kill -0 "$pid" 2>/dev/null || fail "pid $pid still runs after stop"; done
[[ ! -e $DIR ]] || fail "$DIR is still there after stop"
echo "PASS"
