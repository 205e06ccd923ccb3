# Helpers for the bridge's tests, sourced after lib.sh: a real 3-node JetStream cluster on
# ports of its own (scripts/nats-cluster.sh), stopped and removed at exit whatever happens, and
# bridges run as a supervisor would (restarted when they die).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLUSTER="$ROOT/scripts/nats-cluster.sh"
BRIDGE="$BIN/shmq-bridge"
NATS_DIR="$WORK/nats"
command -v nats-server > /dev/null || fail "nats-server is not installed (scripts/setup.sh installs it)"

cleanup_bridges() {
  touch "$WORK/stopping" 2>/dev/null || true  # supervisors start nothing more
  for wrapper in "$WORK"/*.wrapper; do
    [[ -e $wrapper ]] && { kill -9 "$(cat "$wrapper")" 2>/dev/null || true; }
  done
  if [[ -n ${BASE:-} ]]; then
    timeout -k 5 60 bash "$CLUSTER" stop --dir "$NATS_DIR" --base-port "$BASE" > /dev/null 2>&1 || true
  fi
  for pidfile in "$NATS_DIR"/n*.pid; do
    [[ -e $pidfile ]] && { kill -9 "$(cat "$pidfile")" 2>/dev/null || true; }
  done
  cleanup
}
trap cleanup_bridges EXIT

cluster() {  # command [args]; the servers it starts must not hold a test's FIFO open (fd 7)
  timeout -k 5 120 bash "$CLUSTER" "$@" --dir "$NATS_DIR" --base-port "$BASE" 7>&-
}

start_cluster() {
  BASE=$(bash "$CLUSTER" free-port) || fail "no free base port"
  cluster start > /dev/null
  URLS="nats://127.0.0.1:$BASE,nats://127.0.0.1:$((BASE + 1)),nats://127.0.0.1:$((BASE + 2))"
}

# Runs a bridge as a supervisor would, in the background: started again whenever it dies,
# until one run exits 0 (its stream ended) or the test stops. Each run is bounded by the time
# limit; the wrapper's pid is in $WORK/NAME.wrapper, its log in $WORK/NAME.log, and a
# restart count in $WORK/NAME.restarts. Sets `supervisor` to the loop's pid.
supervise() {  # name bridge-arguments...
  local name=$1
  shift
  echo 0 > "$WORK/$name.restarts"
  (
    while [[ ! -e $WORK/stopping ]]; do
      timeout -k 5 "$LIMIT" "$BRIDGE" "$@" >> "$WORK/$name.log" 2>&1 7>&- &
      echo $! > "$WORK/$name.wrapper"
      rc=0
      wait $! || rc=$?
      echo "exit $rc" >> "$WORK/$name.log"
      ((rc == 0)) && exit 0
      echo $(($(cat "$WORK/$name.restarts") + 1)) > "$WORK/$name.restarts"
    done
    exit 1
  ) 7>&- 2>/dev/null &  # its job notices ("Killed") are noise: each run logs to NAME.log
  supervisor=$!
  PIDS+=("$supervisor")
}

# kill -9 of the bridge itself (not its timeout wrapper) that supervisor NAME runs now.
kill_bridge() {  # name
  local pid
  pid=$(program_pid "$(cat "$WORK/$1.wrapper")")
  kill -9 "$pid"
}

# Waits (bounded: 60 s) until a command succeeds.
wait_until() {  # what command...
  local what=$1
  shift
  for _ in $(seq 600); do
    "$@" && return 0
    sleep 0.1
  done
  fail "timed out waiting for $what"
}
