#!/usr/bin/env bash
# Sets everything up and runs the demo: a consumer and a producer on one queue, as in the
# documents shmq grew from, then real lines piped through the two programs.
#   scripts/demo.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/setup.sh" "$ROOT/build"
BIN=$ROOT/build/bin
QUEUE=shmq-demo-$$
trap '"$BIN/consumer" --name "$QUEUE" --remove --quiet 2>/dev/null || true' EXIT

echo
echo "== 1. The documents' demo: random numbers through a ring of 4 slots =="
"$BIN/consumer" --name "$QUEUE" --capacity 4 --verbose --delay 0.05 --timeout 30 >/dev/null &
consumer=$!
# Both name the capacity: whichever starts first creates the queue.
"$BIN/producer" --name "$QUEUE" --capacity 4 --count 10 --delay 0.02 --timeout 30
wait "$consumer"
"$BIN/consumer" --name "$QUEUE" --remove --quiet

echo
echo "== 2. Lines of a real file, producer started first, consumer writing them back =="
# base-files puts the licence on every Debian; /etc/services needs netbase, which a slim one lacks.
head -n 5 /usr/share/common-licenses/GPL-3 > /tmp/$QUEUE.in
"$BIN/producer" --name "$QUEUE" --input /tmp/$QUEUE.in --timeout 30 &
"$BIN/consumer" --name "$QUEUE" --timeout 30
wait
"$BIN/consumer" --name "$QUEUE" --remove --quiet
rm -f /tmp/$QUEUE.in

echo
echo "== 3. Five million checkable 64-byte messages, verified =="
"$BIN/consumer" --name "$QUEUE" --verify --timeout 30 &
"$BIN/producer" --name "$QUEUE" --count 5M --size 64 --timeout 30
wait

PYTHON=$(sed -n 's/^SHMQ_PYTHON_INTERPRETER:INTERNAL=//p' "$ROOT/build/CMakeCache.txt")
if [[ -n $PYTHON && -d $ROOT/build/python/shmq ]]; then
  echo
  echo "== 4. The documents' pipeline in Python: producer and consumer in separate processes =="
  PYTHONPATH=$ROOT/build/python timeout 30 "$PYTHON" "$ROOT/examples/python/pipeline.py" \
    --seconds 0.001 --queue "$QUEUE-py" 2>&1 |
    awk '{ line[NR] = $0 } END { for (i = 1; i <= NR; i++)
           if (i <= 4 || i > NR - 4) print line[i]; else if (i == 5) print "  ..." }'
fi
echo
echo "Try it in two terminals:  build/bin/consumer --name q   and   build/bin/producer --name q --input -"
