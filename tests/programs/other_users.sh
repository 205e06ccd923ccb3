# Other users' queues (issue 15, item 6), seen by nobody: shmq list shows the files it cannot read
# that could be queues, with owner, mode, size and age, and leaves out those no queue could be;
# "permission denied" on attach names the file's owner and mode.
source "$(dirname "$0")/lib.sh"
SHMQ="$BIN/shmq"
SHORT=10  # seconds: every program here answers at once

as_nobody() {  # command args...
  timeout -k 5 "$SHORT" setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}
if [[ $(id -u) != 0 ]] || ! as_nobody test -x "$SHMQ" 2>/dev/null; then
  echo "skipped: needs root, setpriv, and a build nobody may run"
  exit 0
fi

# Root's queue of 8 slots of 64 bytes, with `mode`, holding 3 messages; sets q.
make_root_queue() {  # label, mode
  new_queue "$1"; q=$Q
  "$PRODUCER" --name "$q" --capacity 8 --slot-size 64 --count 3 --size 16 --mode "$2" --quiet
}

make_root_queue secret 0600; secret=$q
make_root_queue shared 0644; shared=$q
make_root_queue orphan 0600; orphan=$q
chown 54321 "/dev/shm/$orphan"  # a uid with no user name
new_queue tiny; tiny=$Q
printf 'hello' > "/dev/shm/$tiny"; chmod 600 "/dev/shm/$tiny"
new_queue odd; odd=$Q
head -c 100001 /dev/zero > "/dev/shm/$odd"; chmod 600 "/dev/shm/$odd"  # no queue has this size
size=$(stat -c %s "/dev/shm/$secret")

echo "list: another user's queues that cannot be read, with owner, mode, size and age"
table=$(as_nobody "$SHMQ" list) || fail "list as nobody failed: $table"
grep -qE "^$secret +root +0600 +$size +[0-9]+[smhd] +unreadable$" <<< "$table" ||
  fail "list as nobody lacks root's unreadable queue: $table"
grep -qE "^$orphan +54321 +0600 +$size +[0-9]+[smhd] +unreadable$" <<< "$table" ||
  fail "list as nobody lacks uid 54321's queue: $table"
grep -qE "^$shared +8 +64 +1 +0 +0 +healthy$" <<< "$table" ||
  fail "list as nobody lacks the readable queue: $table"
grep -qE "^($tiny|$odd) " <<< "$table" && fail "list shows files no queue could be: $table"
[[ $table != *"(no shmq queues"* ]] || fail "list says there are no queues: $table"

echo "list --json: the same fields"
json=$(as_nobody "$SHMQ" list --json) || fail "list --json as nobody failed: $json"
python3 - "$json" "$secret" "$orphan" "$size" "$tiny" "$odd" <<'PY' || fail "list --json: $json"
import json, sys
rows = {row["name"]: row for row in json.loads(sys.argv[1])}
secret, orphan, size, tiny, odd = sys.argv[2:7]
size = int(size)
for name, uid, user in ((secret, 0, "root"), (orphan, 54321, "54321")):
    row = rows[name]
    assert row["state"] == "unreadable" and row["owner"] == uid and row["owner_name"] == user, row
    assert row["mode"] == "0600" and row["size"] == size, row
    assert 0 <= row["age_seconds"] < 600, row
assert tiny not in rows and odd not in rows, rows.keys()
PY

echo "root reads them all: no unreadable rows for our queues"
"$SHMQ" list | grep -E "^($secret|$orphan|$shared) " | grep -q unreadable &&
  fail "root's list calls a queue unreadable: $("$SHMQ" list)"

prints "unreadable" "$SHMQ" --help || fail "shmq --help does not mention unreadable files"
for program in "$PRODUCER" "$CONSUMER" "$SHMQ"; do
  prints "names the file's owner and mode" "$program" --help ||
    fail "$(basename "$program") --help does not say permission denied names the owner"
done

echo "permission denied on attach names the owner and the mode"
expect_denied() {  # queue, owner, mode, command args...
  local queue=$1 owner=$2 mode=$3 code=0 err
  shift 3
  err=$(as_nobody "$@" 2>&1 >/dev/null < /dev/null) || code=$?
  [[ $code == 3 ]] || fail "$*: exit $code, expected 3 ($err)"
  [[ $err == *"permission denied opening queue '$queue' (owner $owner, mode $mode)"* ]] ||
    fail "$*: no owner and mode in: $err"
  echo "  $err"
}
expect_denied "$secret" root 0600 "$CONSUMER" --name "$secret" --timeout 1 --output /dev/null
expect_denied "$secret" root 0600 "$PRODUCER" --name "$secret" --timeout 1 --count 1
expect_denied "$secret" root 0600 "$SHMQ" stat "$secret"
expect_denied "$orphan" 54321 0600 "$SHMQ" check "$orphan"
# Readable but not writable: the read-only look succeeds, the read-write open is refused.
expect_denied "$shared" root 0644 "$CONSUMER" --name "$shared" --timeout 1 --output /dev/null
echo "PASS"
