#!/usr/bin/env bash
# Fuzz every target (or the ones named) for SECONDS each (default 60), then print per target its
# runs, execs/s, crashes and the slowest input per 100 KB:
#
#   scripts/fuzz.sh [SECONDS] [TARGET…]      JOBS=2 runs two targets at a time (default 1)
#   scripts/fuzz.sh 0 skips fuzzing: it only times the corpora and prints the table.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain. Seeds come from fixtures/
# (scripts/fuzz_seeds.py, plus the kept crash inputs of fixtures/fuzz/TARGET) into
# fuzz/corpus/TARGET, which keeps what the fuzzer finds between runs; crashes land in
# fuzz/artifacts/TARGET and logs in fuzz/logs. The fuzzing build has debug assertions and no
# sanitizer (FUZZ_SANITIZER=address for one): the code is safe Rust, so the findings are panics,
# overflows, hangs and slow inputs, and the shared 2-core machine runs several times more inputs a
# second without AddressSanitizer. An input over 60 s while fuzzing is a crash (a timeout): a
# hang detector, not the speed limit. The instrumentation and debug assertions slow the mojibake
# search ten to twenty times, and a short input that spends its minimum search budget (about 0.5 s
# in release) passed libFuzzer's default 10 s on the loaded shared machine; the speed limit (1 s
# per 100 KB) is checked on the release timing below.
#
# Slowness is timed apart, on a release build of the same targets without the fuzzer's coverage
# instrumentation (which slows the stages ten times): every corpus input is run twice and the
# second run counts (the first use of some tables builds them), divided by the input's size in
# units of 100 KB (an input under 100 KB counts as 100 KB, so for small inputs it is their time).
set -euo pipefail
seconds=${1:-60}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
fuzz_bin=target/x86_64-unknown-linux-gnu/release
time_bin=target/timing/release
python3 "$root/scripts/fuzz_seeds.py" corpus >/dev/null
mkdir -p logs artifacts

fuzz_one() { # target
  local t=$1
  mkdir -p "corpus/$t" "artifacts/$t"
  if [ -d "$root/fixtures/fuzz/$t" ]; then cp "$root/fixtures/fuzz/$t"/* "corpus/$t/"; fi
  "$fuzz_bin/$t" "corpus/$t" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"logs/$t.log" 2>&1 || true
}

time_one() { # target
  local t=$1
  find "corpus/$t" -type f -printf '%p\0%p\0' |
    xargs -0 "$time_bin/$t" -runs=1 >"logs/$t.times" 2>&1 || true
}

if [ "$seconds" -gt 0 ]; then
  cargo +nightly fuzz build -s "${FUZZ_SANITIZER:-none}"
  running=0
  for t in "${targets[@]}"; do
    fuzz_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "${JOBS:-1}" ]; then
      wait -n
      running=$((running - 1))
    fi
  done
  wait
fi
cargo build --release --target-dir target/timing --bins
for t in "${targets[@]}"; do
  mkdir -p "artifacts/$t" # with SECONDS 0 nothing was fuzzed, and the table looks here
  time_one "$t"
done

printf '%-12s %10s %8s %8s %8s  %s\n' target runs execs/s crashes s/100KB 'slowest input'
for t in "${targets[@]}"; do
  # No fuzzing log when SECONDS is 0: those columns are `-`.
  runs=$({ sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" 2>/dev/null || true; } | tail -1)
  rate=$({ sed -n 's/^stat::average_exec_per_sec: *//p' "logs/$t.log" 2>/dev/null || true; } | tail -1)
  crashes=$(find "artifacts/$t" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  slowest=$(awk '
    /^Executed .* in [0-9]+ ms$/ { ms[$2] = $(NF - 1) }
    END {
      for (file in ms) {
        cmd = "stat -c %s \"" file "\""; cmd | getline size; close(cmd)
        units = size / 102400; if (units < 1) units = 1
        per = ms[file] / 1000 / units
        if (name == "" || per > best) { best = per; name = file; bytes = size }
      }
      if (name != "") printf "%.3f %s (%d bytes)", best, name, bytes; else print "- -"
    }
  ' "logs/$t.times")
  printf '%-12s %10s %8s %8s %8s  %s\n' "$t" "${runs:--}" "${rate:--}" "$crashes" \
    "${slowest%% *}" "${slowest#* }"
  find "artifacts/$t" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) \
    -exec echo "  {}" \;
done
