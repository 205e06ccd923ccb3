# 3 producers x 2 consumers on one multi queue: every line arrives exactly once, and within each
# consumer's output each producer's lines keep their order.
source "$(dirname "$0")/lib.sh"

new_queue many; q=$Q
for p in 1 2 3; do
  seq 1 40000 | sed "s/^/p$p /" > "$WORK/in$p"
done
for c in 1 2; do
  start "$CONSUMER" --name "$q" --capacity 16 --producers multi --consumers multi \
    --expect-producers 3 --output "$WORK/out$c" --quiet
  consumers[$c]=$!
done
wait_for_queue "$q"
# Each producer sends only once both consumers are attached: one that came and went before the
# second consumer attached would not count for that consumer's --expect-producers, which would
# then wait for ever (seen in 1 run of about 100).
for p in 1 2 3; do
  start "$PRODUCER" --name "$q" --input "$WORK/in$p" --await-consumers 2 --quiet
  producers[$p]=$!
done
for p in 1 2 3; do expect_exit "${producers[$p]}" 0 "producer $p"; done
for c in 1 2; do expect_exit "${consumers[$c]}" 0 "consumer $c"; done

sort "$WORK"/in? > "$WORK/expected"
sort "$WORK"/out? > "$WORK/received"
cmp "$WORK/expected" "$WORK/received" || fail "lost or duplicated lines: $(diff "$WORK/expected" "$WORK/received" | head -5)"
for c in 1 2; do
  awk '{ n = $2 + 0; if ($1 in last && n <= last[$1]) { print "out of order: " $0; exit 1 } last[$1] = n }' \
    "$WORK/out$c" || fail "consumer $c broke per-producer order"
done
echo "$(wc -l < "$WORK/received") lines, each exactly once, per-producer order kept"
echo "PASS"
