# The shmq tool (list, stat, check, remove) on real queues, and the live progress line: on a
# terminal (under script(1)) it appears, in a pipe it never does.
source "$(dirname "$0")/lib.sh"
SHMQ="$BIN/shmq"

prints "Exit codes" "$SHMQ" --help || fail "shmq --help lacks exit codes"
for command in list stat check remove; do
  prints "^  $command" "$SHMQ" --help || fail "shmq --help lacks $command"
done
expect_tool_usage() {  # args...
  local code=0 out
  out=$("$SHMQ" "$@" 2>&1 >/dev/null) || code=$?
  [[ $code == 2 ]] || fail "shmq $*: exit $code, expected 2 ($out)"
  [[ $(wc -l <<< "$out") == 1 ]] || fail "shmq $*: not one line: $out"
}
expect_tool_usage frobnicate
expect_tool_usage
expect_tool_usage stat
expect_tool_usage list extra-name
expect_tool_usage check "../x"
expect_tool_usage check q --json
expect_tool_usage stat q --count 3
expect_tool_usage stat q --watch --interval 0
expect_tool_usage stat q --force
expect_tool_usage remove q --watch

echo "a live queue: 100 messages waiting in a 200-slot ring, one producer attached"
new_queue stat; q=$Q
start "$PRODUCER" --name "$q" --capacity 200 --slot-size 64 --count 100 --size 64 --join \
  --progress "$WORK/stat.progress" --quiet
producer=$!
for _ in $(seq 1000); do [[ $(cat "$WORK/stat.progress" 2>/dev/null) == *" 100" ]] && break; sleep 0.01; done
json=$("$SHMQ" stat "$q" --json)
python3 - "$json" <<'PY' || fail "stat --json: $json"
import json, sys
s = json.loads(sys.argv[1])
assert s["capacity"] == 200 and s["slot_size"] == 64, s
assert s["depth"] == 100 and s["messages_in"] == 100 and s["messages_out"] == 0, s
assert s["messages_waiting"] == 100, s
assert s["producers"] == 1 and s["consumers"] == 0 and s["state"] == "healthy", s
assert s["producers_ever"] == 1 and s["consumers_ever"] == 0, s
PY
"$SHMQ" list | grep -E "^$q +200 +64 +100 +1 +0 +healthy$" >/dev/null ||
  fail "list does not show the queue: $("$SHMQ" list)"
"$SHMQ" list --json | python3 -c "import json,sys; assert any(q['name']=='$q' for q in json.load(sys.stdin))" ||
  fail "list --json lacks the queue"
prints "pid .* producer alive" "$SHMQ" stat "$q" || fail "stat lists no live producer"
prints "(1 and 0 attached since creation)" "$SHMQ" stat "$q" || fail "stat lacks attachments"
prints "healthy" "$SHMQ" check "$q" || fail "check of a healthy queue"

code=0; "$SHMQ" remove "$q" 2>"$WORK/err" || code=$?
[[ $code == 7 ]] || fail "remove of a queue in use: exit $code, expected 7"
grep -q "live processes attached" "$WORK/err" || fail "remove message: $(cat "$WORK/err")"
[[ -e /dev/shm/$q ]] || fail "a refused remove removed the file"

echo "stale: a producer killed while attached"
kill -9 "$(program_pid "$producer")"
expect_exit "$producer" 137 "killed producer"
code=0; "$SHMQ" check "$q" > "$WORK/check" || code=$?
[[ $code == 3 ]] || fail "check of a stale queue: exit $code, expected 3"
grep -q "stale: dead processes still attached (producer pid" "$WORK/check" ||
  fail "check message: $(cat "$WORK/check")"
"$SHMQ" list | grep -E "^$q .*0 \(\+1 dead\) .*stale$" >/dev/null || fail "list: $("$SHMQ" list)"
"$SHMQ" remove "$q" >/dev/null || fail "remove of a queue whose processes are dead"
[[ ! -e /dev/shm/$q ]] || fail "remove left the file"
code=0; "$SHMQ" remove "$q" 2>/dev/null || code=$?
[[ $code == 3 ]] || fail "remove of a missing queue: exit $code, expected 3"

echo "corrupt: a waiting message's stamp overwritten"
new_queue corrupt; q=$Q
"$PRODUCER" --name "$q" --capacity 8 --slot-size 64 --count 2 --size 16 --quiet
# Slot 0's stamp is the first byte after the header: the file less 8 slots of 80 bytes.
header=$(($(stat -c %s "/dev/shm/$q") - 8 * 80))
printf '\x77' | dd of="/dev/shm/$q" bs=1 seek="$header" conv=notrunc status=none
code=0; "$SHMQ" check "$q" > "$WORK/check" || code=$?
[[ $code == 3 ]] || fail "check of a corrupt queue: exit $code, expected 3"
grep -q "corrupt: slot of waiting position 0" "$WORK/check" || fail "check: $(cat "$WORK/check")"
"$SHMQ" remove "$q" >/dev/null

echo "stat --watch: one JSON object per refresh, bounded by --count"
new_queue watch; q=$Q
"$PRODUCER" --name "$q" --count 5 --size 16 --quiet  # packed: one slot holds all five
[[ $("$SHMQ" stat "$q" --watch --interval 0.05 --count 3 --json |
     grep -c '"depth":1,.*"messages_in":5') == 3 ]] || fail "stat --watch --count 3"

echo "the progress line: on a terminal, never in a pipe"
new_queue tty; q=$Q
if ! have_terminal; then
  echo "the progress line on a terminal: skipped, this machine gives script(1) no pseudo-terminal"
else
  on_terminal "$WORK/tty" "'$CONSUMER' --name $q --output /dev/null & \
    '$PRODUCER' --name $q --count 200k --size 64; wait"
  grep -q $'\r\033\[Kproducer: [0-9]* messages, .* msg/s, ring depth' "$WORK/tty" ||
    fail "no producer progress line on a terminal: $(cat -v "$WORK/tty" | head -c 400)"
  grep -q $'\r\033\[Kconsumer: [0-9]* messages, .* msg/s, ring depth' "$WORK/tty" ||
    fail "no consumer progress line on a terminal"
fi
new_queue pipe; q=$Q
start "$CONSUMER" --name "$q" --output /dev/null
consumer=$!
"$PRODUCER" --name "$q" --count 200k --size 64 2>&1 | cat > "$WORK/pipe.producer"
expect_exit "$consumer" 0 "consumer"
if grep -q "ring depth" "$WORK/pipe.producer" || grep -q $'\r' "$WORK/pipe.producer"; then
  fail "progress output in a pipe: $(cat -v "$WORK/pipe.producer")"
fi
grep -q "producer: 200000 messages" "$WORK/pipe.producer" || fail "no summary in the pipe"
echo "PASS"
