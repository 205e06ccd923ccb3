# Shared helpers for the program-level tests. Source it with the bin directory as $1.
set -euo pipefail

BIN=${1:?usage: $0 BIN_DIR}
PRODUCER="$BIN/producer"
CONSUMER="$BIN/consumer"
LIMIT=${SHMQ_TEST_TIMEOUT:-60}  # seconds any one program may run
WORK=$(mktemp -d /tmp/shmq-programs.XXXXXX)
QUEUES=()
PIDS=()

cleanup() {
  # The program under each timeout(1) wrapper first: killed alone, a wrapper leaves it running.
  local pid child
  for pid in "${PIDS[@]}"; do
    for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
      kill -9 "$child" 2>/dev/null || true
    done
    kill -9 "$pid" 2>/dev/null || true
  done
  for queue in "${QUEUES[@]}"; do
    rm -f "/dev/shm/$queue" 2>/dev/null || rmdir "/dev/shm/$queue" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Sets Q to a queue name unique to this run, removed at exit whatever happens. (Not for use in
# $(...): a subshell could not record the name for cleanup.)
new_queue() {
  Q="shmq-prog-$1-$$-${#QUEUES[@]}"
  QUEUES+=("$Q")
}

# The pid of the program that `start` runs under timeout(1), to signal it directly.
program_pid() {
  local children
  for _ in $(seq 500); do
    children=$(cat "/proc/$1/task/$1/children" 2>/dev/null || true)
    [[ -n $children ]] && { echo "${children%% *}"; return 0; }
    sleep 0.01
  done
  fail "no program under pid $1"
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Whether a command, run to its end and successful, printed a line matching PATTERN. Not
# `command | grep -q`: grep may leave at the first match, and the command's next write then dies
# of SIGPIPE, which pipefail reports as a failure (consumer --help is two writes of 4 KiB).
prints() {  # pattern command args...
  local pattern=$1 output
  shift
  output=$("$@") || return 1
  grep -q -- "$pattern" <<< "$output"
}

# Runs a program bounded by the time limit, in the background; its pid goes to PIDS.
start() {
  timeout -k 5 "$LIMIT" "$@" &
  PIDS+=($!)
}

# Waits for a background pid and checks its exit code.
expect_exit() {
  local pid=$1 want=$2 what=$3 got=0
  wait "$pid" || got=$?
  [[ $got == "$want" ]] || fail "$what exited $got, expected $want"
}

# Waits (bounded) until a queue's file exists, so a test can fix who starts first.
wait_for_queue() {
  for _ in $(seq 1000); do
    [[ -e /dev/shm/$1 ]] && return 0
    sleep 0.01
  done
  fail "queue $1 never appeared"
}

# Lines of awkward content: empty, spaces, tabs, CR, UTF-8, backslashes, NUL-free binary bytes.
awkward_lines() {
  local count=$1
  python3 - "$count" <<'PY'
import random, sys
random.seed(7)
alphabet = [bytes([b]) for b in range(1, 256) if b != 10]
out = sys.stdout.buffer
for i in range(int(sys.argv[1])):
    kind = i % 7
    if kind == 0:
        line = b""
    elif kind == 1:
        line = ("line %d \t tab, unicode \u00e9\u4e2d\U0001F600 \\ backslash" % i).encode()
    elif kind == 2:
        line = b" " * random.randint(1, 40) + b"\r"
    else:
        line = b"".join(random.choice(alphabet) for _ in range(random.randint(1, 60)))
    out.write(line + b"\n")
PY
}

# Starts a producer on queue $1 (further arguments are its options) reading lines from a FIFO
# that this shell keeps open on fd 7, so that it stays attached until the test closes fd 7
# (`exec 7>&-`). Sets `producer` to its pid. Programs started after it must not inherit fd 7
# (start them with `7>&-`), or the producer never sees the end of its input.
start_fifo_producer() {
  local queue=$1
  shift
  mkfifo "$WORK/input-$queue"
  start "$PRODUCER" --name "$queue" --input "$WORK/input-$queue" --quiet "$@" 7>&-
  producer=${PIDS[-1]}
  exec 7>"$WORK/input-$queue"
}

# Whether script(1) can give a program a pseudo-terminal here (some containers have none).
have_terminal() {
  command -v script >/dev/null && script -qec true /dev/null > /dev/null 2>&1 < /dev/null
}

# Runs a command line (one string, words quoted as for sh -c) on a pseudo-terminal, bounded by
# the time limit; what it printed goes to file $1. Returns the command's exit code.
on_terminal() {  # output-file command-line
  timeout -k 5 "$LIMIT" script -qec "$2" /dev/null > "$1" < /dev/null
}
