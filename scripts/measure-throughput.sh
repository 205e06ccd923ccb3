#!/usr/bin/env bash
# Measures shmq against its baselines (pipe, Unix socket, POSIX mq, boost::interprocess
# message_queue, a naive three-semaphore ring, a per-message lock-free ring) in one run, then plots
# throughput against message size (log axes) for one producer and one consumer.
#   scripts/measure-throughput.sh [shmq-bench options...]     (e.g. --quick)
# Results: results/bench.txt (the table), throughput.csv, medians.csv, bench.json, throughput.png
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${SHMQ_RESULTS:-$ROOT/results}
# setup.sh installs gnuplot with everything else, and builds shmq-bench.
if ! command -v gnuplot >/dev/null || [[ ! -x $ROOT/build/bin/shmq-bench ]]; then
  SHMQ_EXTRA_PACKAGES=gnuplot-nox "$ROOT/scripts/setup.sh" "$ROOT/build"
fi
mkdir -p "$OUT"
"$ROOT/build/bin/shmq-bench" --out "$OUT" "$@" | tee "$OUT/bench.txt"

command -v gnuplot >/dev/null || exit 0
# One data block per transport (1x1), separated by two blank lines, for gnuplot's `index`.
awk -F, 'NR > 1 && $2 == 1 && $3 == 1 { rows[$1] = rows[$1] $4 " " $5 "\n"; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
         END { for (i = 1; i <= n; i++) { printf "# %s\n%s\n\n", order[i], rows[order[i]] } }' \
  "$OUT/medians.csv" > "$OUT/plot-1x1.dat"
titles=$(grep '^# ' "$OUT/plot-1x1.dat" | cut -c3- | tr '\n' ' ')
machine=$(head -1 "$OUT/bench.txt" | sed 's/^shmq-bench on //')
gnuplot <<GNUPLOT
set terminal pngcairo size 1000,650 font ",10"
set output "$OUT/throughput.png"
set title "Throughput, 1 producer x 1 consumer (medians)\n$machine"
set logscale xy
set xlabel "message size (bytes)"
set ylabel "messages per second"
set key outside right
set grid
titles = "$titles"
plot for [i=0:words(titles)-1] "$OUT/plot-1x1.dat" index i using 1:2 with linespoints title word(titles, i+1)
GNUPLOT
echo "measure-throughput: wrote $OUT/throughput.png"
