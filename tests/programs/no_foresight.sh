# A queue that needs no foresight: three producers and two consumers, no mode options, started
# in an order that differs each time (whoever comes first creates the queue); every line,
# short or longer than a slot, arrives exactly once. (The producers wait for both consumers
# and the consumers for three producers, so that no one ends before everyone is in.)
source "$(dirname "$0")/lib.sh"

new_queue open; q=$Q
for p in 1 2 3; do
  # Mostly short lines, and every 500th of 3000 bytes (three 1 KiB slots).
  awk -v p="$p" 'BEGIN { for (i = 1; i <= 20000; i++) {
      line = "p" p " " i; if (i % 500 == 0) { while (length(line) < 3000) line = line " pad" }
      print line } }' > "$WORK/in$p"
done
roles=(consumer consumer producer producer producer)
order=$(python3 -c "import random; r = list(range(5)); random.shuffle(r); print(*r)")
echo "start order: $(for i in $order; do printf '%s ' "${roles[$i]}"; done)"
consumers=0 producers=0
for i in $order; do
  if [[ ${roles[$i]} == consumer ]]; then
    consumers=$((consumers + 1))
    start "$CONSUMER" --name "$q" --expect-producers 3 --output "$WORK/out$consumers" --quiet
  else
    producers=$((producers + 1))
    start "$PRODUCER" --name "$q" --input "$WORK/in$producers" --await-consumers 2 --quiet
  fi
  pids[$i]=${PIDS[-1]}
done
for i in 0 1 2 3 4; do expect_exit "${pids[$i]}" 0 "${roles[$i]} (started ${i}th in the list)"; done

sort "$WORK"/in? > "$WORK/expected"
sort "$WORK"/out? > "$WORK/received"
cmp -s "$WORK/expected" "$WORK/received" ||
  fail "lost or duplicated lines: $(diff "$WORK/expected" "$WORK/received" | head -c 300)"
echo "$(wc -l < "$WORK/received") lines from 3 producers to 2 consumers, each exactly once"
echo "PASS"
