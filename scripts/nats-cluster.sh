#!/usr/bin/env bash
# A real 3-node NATS JetStream cluster on 127.0.0.1, for the bridge's tests, its benchmark and
# anyone who wants to try it (Debian's nats-server; scripts/setup.sh installs it).
#   scripts/nats-cluster.sh start|stop|status|down|up [--dir D] [--base-port P]
#   scripts/nats-cluster.sh kill|restart NODE [--dir D] [--base-port P]     (NODE: 1, 2 or 3)
#   scripts/nats-cluster.sh leader STREAM [--dir D] [--base-port P]   (prints the leader's NODE)
#   scripts/nats-cluster.sh free-port    (prints a base port P none of whose ports is in use)
# Node i listens for clients on P+i-1, for routes on P+100+i-1 and for monitoring on P+200+i-1
# (P defaults to 14222), keeps its JetStream store in D/n<i> and logs to D/n<i>.log (D defaults
# to /tmp/shmq-nats-<uid>). start and restart wait (at most 60 s) until each node they started
# answers /healthz?js-server-only=true, which it does once the cluster has a JetStream meta
# leader. kill is kill -9 of the node's own pid. down stops every node, keeping their stores;
# up starts the nodes that are down and waits until all are healthy. stop stops every node
# and removes what start put in D (then D itself, if that leaves it empty); nothing else in D.
# Exit codes: 0 done, 1 a node did not come up or stop (its log's tail is printed), 2 usage.
set -euo pipefail

usage() { sed -n '2,10p' "$0" | cut -c3-; }
fail_usage() { echo "nats-cluster: $1 (see --help)" >&2; exit 2; }

COMMAND=${1:-}
shift || true
NODE=""
if [[ $COMMAND == kill || $COMMAND == restart ]]; then
  NODE=${1:-}
  shift || true
  [[ $NODE =~ ^[123]$ ]] || fail_usage "$COMMAND needs a node: 1, 2 or 3"
fi
STREAM=""
if [[ $COMMAND == leader ]]; then
  STREAM=${1:-}
  shift || true
  [[ -n $STREAM ]] || fail_usage "leader needs a stream name"
fi
DIR=/tmp/shmq-nats-$(id -u)
BASE=14222
while (($#)); do
  case $1 in
    --dir) DIR=${2:?--dir needs a directory}; shift 2 ;;
    --base-port) BASE=${2:?--base-port needs a port}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) fail_usage "unexpected argument '$1'" ;;
  esac
done
case $COMMAND in
  start|stop|status|down|up|kill|restart|leader|free-port) ;;
  -h|--help) usage; exit 0 ;;
  *) fail_usage "pick one of start, stop, status, down, up, kill NODE, restart NODE, leader STREAM, free-port" ;;
esac
[[ $BASE =~ ^[0-9]+$ ]] && ((BASE >= 1024 && BASE <= 65000)) ||
  fail_usage "--base-port must be 1024-65000"
command -v nats-server > /dev/null || {
  echo "nats-cluster: nats-server is not installed (Debian package nats-server)" >&2
  exit 1
}

client_port() { echo $((BASE + $1 - 1)); }
route_port() { echo $((BASE + 100 + $1 - 1)); }
monitor_port() { echo $((BASE + 200 + $1 - 1)); }
# The node's pid, if the process of that pid is still a nats-server (a pid can be reused).
pid_of() {
  local pid
  pid=$(cat "$DIR/n$1.pid" 2>/dev/null) || return 0
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == nats-server ]] && echo "$pid"
  return 0
}
running() { [[ -n $(pid_of "$1") ]]; }

write_config() {  # node
  local i=$1 routes=""
  for j in 1 2 3; do routes+="nats-route://127.0.0.1:$(route_port "$j"), "; done
  cat > "$DIR/n$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:$(client_port "$i")
http: 127.0.0.1:$(monitor_port "$i")
jetstream { store_dir: "$DIR/n$i" }
cluster {
  name: shmq
  listen: 127.0.0.1:$(route_port "$i")
  routes: [${routes%, }]
}
CONF
}

# The HTTP status of GET PATH on node i's monitoring port (bash's /dev/tcp: no curl needed).
http_status() {  # node path
  local reply
  reply=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$(monitor_port "$1") &&
    printf 'GET $2 HTTP/1.0\r\n\r\n' >&3 && head -1 <&3" 2>/dev/null) || return 1
  echo "$reply" | awk '{ print $2 }'
}

healthy() { [[ $(http_status "$1" "/healthz?js-server-only=true") == 200 ]]; }

start_node() {  # node
  local i=$1
  running "$i" && return 0
  mkdir -p "$DIR/n$i"
  write_config "$i"
  nats-server -c "$DIR/n$i.conf" >> "$DIR/n$i.log" 2>&1 < /dev/null &
  echo $! > "$DIR/n$i.pid"  # the server's own pid: no wrapper between us
  disown
}

wait_healthy() {  # nodes...
  local i deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    local all=1
    for i in "$@"; do healthy "$i" || all=0; done
    ((all)) && return 0
    sleep 0.1
  done
  for i in "$@"; do
    healthy "$i" && continue
    echo "nats-cluster: node $i did not become healthy in 60 s; the end of $DIR/n$i.log:" >&2
    tail -5 "$DIR/n$i.log" >&2 || true
  done
  return 1
}

stop_node() {  # node
  local i=$1 pid
  pid=$(pid_of "$i")
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$DIR/n$i.pid"
}

# A base port whose nine ports (clients, routes, monitoring) nobody listens on.
free_base_port() {
  local base offset free
  for _ in $(seq 50); do
    base=$((20000 + RANDOM % 20000))
    free=1
    for offset in 0 1 2 100 101 102 200 201 202; do
      ss -ltnH "( sport = :$((base + offset)) )" | grep -q . && free=0
    done
    ((free)) && { echo "$base"; return 0; }
  done
  echo "nats-cluster: no free base port found" >&2
  return 1
}

# The node that leads STREAM's replicas now, from a healthy node's /jsz (empty if none does).
stream_leader() {  # stream
  local i reply
  for i in 1 2 3; do
    running "$i" || continue
    reply=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$(monitor_port "$i") &&
      printf 'GET /jsz?streams=true HTTP/1.0\r\n\r\n' >&3 && cat <&3" 2>/dev/null) || continue
    python3 -c '
import json, sys
body = sys.stdin.read().split("\r\n\r\n", 1)[-1]
for account in json.loads(body).get("account_details", []):
    for stream in account.get("stream_detail", []):
        if stream.get("name") == sys.argv[1] and stream.get("cluster", {}).get("leader"):
            print(stream["cluster"]["leader"].lstrip("n"))
            sys.exit(0)
sys.exit(1)' "$1" <<< "$reply" && return 0
  done
  return 1
}

case $COMMAND in
  free-port)
    free_base_port
    ;;
  leader)
    stream_leader "$STREAM" || { echo "nats-cluster: no leader of stream $STREAM found" >&2; exit 1; }
    ;;
  down)
    for i in 1 2 3; do stop_node "$i"; done
    echo "nats-cluster: every node down (stores kept)"
    ;;
  up)
    for i in 1 2 3; do start_node "$i"; done
    wait_healthy 1 2 3
    echo "nats-cluster: every node up"
    ;;
  start)
    mkdir -p "$DIR"
    for i in 1 2 3; do start_node "$i"; done
    wait_healthy 1 2 3
    echo "nats-cluster: 3 nodes up: nats://127.0.0.1:$(client_port 1),nats://127.0.0.1:$(client_port 2),nats://127.0.0.1:$(client_port 3)"
    ;;
  stop)
    for i in 1 2 3; do
      stop_node "$i"
      rm -rf "${DIR:?}/n$i"
      rm -f "$DIR/n$i.conf" "$DIR/n$i.log" "$DIR/n$i.pid"
    done
    rmdir "$DIR" 2>/dev/null || true  # only if nothing else is in it
    echo "nats-cluster: stopped"
    ;;
  status)
    for i in 1 2 3; do
      state="down"
      if running "$i"; then state="running, pid $(pid_of "$i")"; healthy "$i" && state+=", healthy"; fi
      echo "node $i (nats://127.0.0.1:$(client_port "$i")): $state"
    done
    ;;
  kill)
    pid=$(pid_of "$NODE")
    [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || { echo "nats-cluster: node $NODE is not running" >&2; exit 1; }
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$DIR/n$NODE.pid"
    echo "nats-cluster: node $NODE killed (pid $pid)"
    ;;
  restart)
    stop_node "$NODE"
    start_node "$NODE"
    wait_healthy "$NODE"
    echo "nats-cluster: node $NODE restarted"
    ;;
esac
