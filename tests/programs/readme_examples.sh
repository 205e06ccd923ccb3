#!/usr/bin/env bash
# Runs the README's examples as written (issue 15, item 1): the two terminals (the lines piped in
# instead of typed) and every example under "Other things to try", each on queues of its own, in
# a directory of its own, bounded by the time limit; then checks what each printed. An example
# this script has no check for is a failure: a new example gets a check with it.
source "$(dirname "$0")/lib.sh"

README=$(cd "$(dirname "$0")/../.." && pwd)/README.md

# The shell blocks after line FROM up to line UNTIL (or the next heading), one example per
# paragraph, separated by NUL bytes.
examples_of() {  # from until
  awk -v from="$1" -v until="$2" '
    $0 == from { inside = 1; next }
    inside && (/^## / || (until != "" && $0 == until)) { exit }
    inside && /^```sh$/ { block = 1; text = ""; next }
    block && /^```$/ { if (text != "") printf "%s%c", text, 0; block = 0; next }
    block && $0 == "" { if (text != "") printf "%s%c", text, 0; text = ""; next }
    block { text = text $0 "\n" }' "$README"
}

# Sets RUNNABLE to an example with build/bin/ pointing at the programs under test and each queue
# name made unique (and recorded for removal, so not in a subshell).
make_runnable() {  # example
  local name
  RUNNABLE=$1
  for name in $(grep -o -- '--name [A-Za-z0-9._-]*' <<< "$RUNNABLE" | cut -d' ' -f2 | sort -u); do
    new_queue "readme-$name"
    RUNNABLE=$(sed "s/--name $name\\b/--name $Q/g" <<< "$RUNNABLE")
  done
  RUNNABLE=$(sed "s|build/bin/|$BIN/|g" <<< "$RUNNABLE")
}

# Runs an example in a fresh directory, its stdin from /dev/null; its stdout and stderr go to
# out and err there, its exit code to `code`.
run_example() {  # example
  local dir
  dir=$(mktemp -d "$WORK/example.XXXXXX")
  cd "$dir"
  make_runnable "$1"
  code=0
  timeout -k 5 "$LIMIT" bash -euo pipefail -c "$RUNNABLE" < /dev/null > out 2> err || code=$?
}

consumer_total() {  # the messages that consumers' summary lines in err add up to
  awk '/^consumer: [0-9]+ messages?,/ { sum += $2 } END { print sum + 0 }' err
}

checked=0
while IFS= read -r -d '' example; do
  first=$(head -1 <<< "$example")
  echo "README example: $first"
  case $first in
    "# a file through a 4-slot ring"*)
      run_example "$example"
      [[ $code == 0 ]] || fail "exit $code: $(cat err)" ;;
    "# 10 million generated, checkable messages"*)
      run_example "$example"
      [[ $code == 0 ]] || fail "exit $code: $(cat err)"
      grep -q "^consumer: 10000000 messages, .*, missing 0 (end-of-stream)" err ||
        fail "the consumer did not verify 10 M messages: $(cat err)" ;;
    "# three producers and two consumers"*)
      run_example "$example"
      [[ $code == 0 ]] || fail "exit $code: $(cat err)"
      [[ $(grep -c "^producer: 1000000 messages, .*(ok)$" err) == 3 ]] ||
        fail "not three producers of 1 M each: $(cat err)"
      [[ $(grep -c "^consumer: .*(end-of-stream)$" err) == 2 ]] ||
        fail "not two consumers to end of stream: $(cat err)"
      [[ $(consumer_total) == 3000000 ]] || fail "consumers got $(consumer_total) of 3000000" ;;
    "# messages larger than a slot"*)
      run_example "$example"
      [[ $code == 0 ]] || fail "exit $code: $(cat err)"
      grep -q "^consumer: 2000 messages, .*, missing 0 (end-of-stream)" err ||
        fail "the consumer did not verify 2000 messages of 100 KiB: $(cat err)" ;;
    *) fail "no check for this README example: $first" ;;
  esac
  checked=$((checked + 1))
done < <(examples_of "Other things to try:" "")
((checked == 4)) || fail "found $checked examples under 'Other things to try', expected 4"

echo "README example: the two terminals"
mapfile -d '' terminals < <(examples_of "## Two terminals" "Other things to try:")
((${#terminals[@]} == 2)) || fail "the two terminals: ${#terminals[@]} blocks, expected 2"
# Terminal 1 in the background, terminal 2 with lines instead of typing; the same queue name.
printf 'first job\nsecond job\n' > "$WORK/typed"
# Then the queue stays until removed, as the README says below the block.
removal=$(grep -A1 'stays in `/dev/shm/jobs` until removed:' "$README" | tail -1 | tr -d '`.')
[[ $removal == "build/bin/consumer --name jobs --remove" ]] ||
  fail "the README's removal of 'jobs' reads '$removal'"
run_example "${terminals[0]%$'\n'} &
terminal_1=\$!
${terminals[1]%$'\n'} < $WORK/typed
wait \$terminal_1
$removal 2> removal.err"
[[ $code == 0 ]] || fail "the two terminals: exit $code: $(cat err)"
[[ $(cat out) == $'first job\nsecond job' ]] || fail "the two terminals printed: $(cat out)"
[[ ! -e /dev/shm/$Q ]] || fail "the README's --remove left the queue"
# It stayed after the run: the removal found it.
grep -q "removed queue '$Q'" removal.err || fail "the removal said: $(cat removal.err)"
echo "PASS"
