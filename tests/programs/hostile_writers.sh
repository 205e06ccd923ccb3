# A peer that writes nonsense into the process table or the mutex of a live queue: the programs
# stop with exit 3 and a message naming the queue, within their bounds; none of them takes the
# nonsense for end of stream, and none of them hangs.
source "$(dirname "$0")/lib.sh"

readonly kMutexOffset=192       # layout::Header::mutex; the lock word comes first
readonly kProcessesOffset=448   # layout::Header::processes, 64 entries of 64 bytes

# A pid that names no process now.
unused_pid() {
  local pid
  for pid in $(seq 4000000 -7 3000000); do
    kill -0 "$pid" 2>/dev/null || { echo "$pid"; return 0; }
  done
  fail "no unused pid found"
}

write_bytes() {  # queue, offset, then bytes from standard input
  dd of="/dev/shm/$1" bs=1 seek="$2" conv=notrunc status=none
}

little_endian_u32() {
  python3 -c 'import struct, sys; sys.stdout.buffer.write(struct.pack("<I", int(sys.argv[1])))' "$1"
}

# Starts a producer that stays attached (its input is a FIFO held open on fd 7) and a consumer.
start_pair() {  # queue, extra options for the producer...
  local queue=$1
  start_fifo_producer "$@"
  wait_for_queue "$queue"
  start "$CONSUMER" --name "$queue" --output "$WORK/out-$queue" --quiet 7>&-
  consumer=${PIDS[-1]}
  seq 1 5 >&7
  for _ in $(seq 1000); do
    [[ $( { wc -l < "$WORK/out-$queue"; } 2>/dev/null || echo 0) == 5 ]] && return 0
    sleep 0.01
  done
  fail "the first lines never arrived"
}

# --- Random bytes over the process table are corruption, not departed producers.
for mode in single multi; do
  new_queue table-$mode
  start_pair "$Q" --producers "$mode" --consumers "$mode"
  head -c 4096 /dev/urandom | write_bytes "$Q" "$kProcessesOffset"
  expect_exit "$consumer" 3 "consumer ($mode) after garbage in the process table"
  exec 7>&-
  wait "$producer" || true
  echo "process table ($mode): the consumer stopped with exit 3"
done

# --- A lock word naming a thread that does not exist: exit 3 within --timeout, never a hang.
new_queue ghost-owner
start_pair "$Q" --producers multi --consumers multi
little_endian_u32 "$(unused_pid)" | write_bytes "$Q" "$kMutexOffset"
expect_exit "$consumer" 3 "running consumer with a ghost mutex owner"
code=0
out=$(timeout -k 5 20 "$CONSUMER" --name "$Q" --timeout 1 --quiet --output /dev/null 2>&1) ||
  code=$?
[[ $code == 3 ]] || fail "a fresh consumer with a ghost mutex owner exited $code: $out"
[[ $out == *"'$Q'"* ]] || fail "the error does not name the queue: $out"
exec 7>&-
wait "$producer" || true
echo "ghost owner: $out"

# --- Random bytes in the mutex: exit 3 naming the queue (not 1, "Invalid argument").
new_queue mutex-garbage
"$PRODUCER" --name "$Q" --capacity 8 --producers multi --consumers multi --count 1 --size 16 \
  --quiet
head -c 40 /dev/urandom | write_bytes "$Q" "$kMutexOffset"
code=0
out=$(timeout -k 5 20 "$CONSUMER" --name "$Q" --timeout 1 --quiet --output /dev/null 2>&1) ||
  code=$?
[[ $code == 3 ]] || fail "a consumer on a mutex of random bytes exited $code: $out"
[[ $out == *"'$Q'"* ]] || fail "the error does not name the queue: $out"
echo "mutex garbage: $out"
