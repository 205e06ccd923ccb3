# What shmq prints (issue 15, item 8): list's columns stay aligned whatever the names' length,
# every line of stat --watch --json says when it was read, and every JSON object ends with its
# schema version.
source "$(dirname "$0")/lib.sh"
SHMQ="$BIN/shmq"

echo "list: the NAME column fits the longest name"
new_queue short; short=$Q
new_queue "long-name-for-the-column-$(printf 'x%.0s' $(seq 40))"; long=$Q
for q in "$short" "$long"; do
  "$PRODUCER" --name "$q" --capacity 8 --slot-size 64 --count 1 --size 16 --quiet
done
table=$("$SHMQ" list)
python3 - "$table" "$short" "$long" <<'PY' || fail "list's columns are not aligned:
$table"
import sys
lines = sys.argv[1].splitlines()
header, rows = lines[0], [l for l in lines[1:] if l.split(" ")[0] in sys.argv[2:]]
assert len(rows) == 2, rows
# Each column's right edge (the numbers are right-aligned) and STATE's left edge match the header.
for title in ("CAPACITY", "SLOT", "DEPTH"):
    edge = header.index(title) + len(title)
    for row in rows:
        assert row[edge - 1] != " " and row[edge] == " ", (title, row)
state = header.index("STATE")
for row in rows:
    assert row[state - 1] == " " and row[state:] == "healthy", row
    assert row.split()[0] in sys.argv[2:] and len(row.split()[0]) < header.index("CAPACITY"), row
PY

echo "stat --watch --json: every line carries the time it was read"
prints 'begins with "time"' "$SHMQ" --help || fail "shmq --help lacks \"time\""
new_queue watch; q=$Q
"$PRODUCER" --name "$q" --count 5 --size 16 --quiet
before=$(date +%s.%N)
lines=$(timeout -k 5 "$LIMIT" "$SHMQ" stat "$q" --watch --interval 0.2 --count 3 --json)
after=$(date +%s.%N)
python3 - "$lines" "$before" "$after" <<'PY' || fail "stat --watch --json: $lines"
import datetime, json, sys
objects = [json.loads(line) for line in sys.argv[1].splitlines()]
before, after = float(sys.argv[2]), float(sys.argv[3])
assert len(objects) == 3, objects
times = [o["time"] for o in objects]
assert all(isinstance(t, float) for t in times), times
assert before - 0.001 <= times[0] and times[-1] <= after + 0.001, (before, times, after)
assert all(b - a >= 0.15 for a, b in zip(times, times[1:])), times  # 0.2 s apart
for o in objects:
    at = datetime.datetime.strptime(o["at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    at = at.replace(tzinfo=datetime.timezone.utc).timestamp()
    assert abs(at - o["time"]) < 0.0011, o  # the same moment, to the millisecond
    assert len(o["at"]) == len("2026-01-01T00:00:00.000Z"), o
PY

echo "JSON: every object a reader takes whole ends with \"schema_version\":1"
new_queue schema; q=$Q
producer_json=$("$PRODUCER" --name "$q" --count 2 --size 16 --quiet --json -)
stat_json=$("$SHMQ" stat "$q" --json)
list_json=$("$SHMQ" list --json)
consumer_json=$("$CONSUMER" --name "$q" --verify --timeout 2 --quiet --output /dev/null --json -)
python3 - "$q" "$producer_json" "$consumer_json" "$stat_json" "$list_json" <<'PY' || fail "JSON: $producer_json $consumer_json $stat_json"
import json, sys
q, producer, consumer, stat, listing = sys.argv[1:]
objects = [json.loads(producer), json.loads(consumer), json.loads(stat)]
objects += [row for row in json.loads(listing) if row["name"] == q]
assert len(objects) == 4, objects
for o in objects:
    assert list(o)[-1] == "schema_version" and o["schema_version"] == 1, o
assert objects[1]["role"] == "consumer" and objects[1]["messages"] == 2, objects[1]
PY
echo "PASS"
