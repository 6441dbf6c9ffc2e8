#!/bin/sh
# Throughput of the spam stage on clean text in MB per CPU-second (see eval/src/bin/spam_throughput.rs).
# Runs the example twice under `perf stat` (with no repetitions, then with REPS) and divides the
# bytes by the difference in task-clock, so start-up (rules, language model) is not counted.
# Usage: scripts/spam_cpu_throughput.sh [REPS]
set -eu
reps="${1:-200}"
cargo build --release -p sluice-eval --bin spam_throughput >/dev/null 2>&1
bin=target/release/spam_throughput
cpu_ms() { REPS="$1" perf stat -x, -e task-clock "$bin" 2>&1 >/dev/null | awk -F, '/task-clock/ {print $1}'; }
bytes=$(REPS="$reps" "$bin")
base=$(cpu_ms 0)
full=$(cpu_ms "$reps")
awk -v b="$bytes" -v f="$full" -v z="$base" \
  'BEGIN { printf "%d bytes in %.0f ms of CPU: %.1f MB/s per core\n", b, f - z, b / ((f - z) / 1000) / 1e6 }'
