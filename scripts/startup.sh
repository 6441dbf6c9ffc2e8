#!/bin/sh
# Start-up of one process to its first document, and where it goes. Medians of RUNS (default 11)
# processes, CPU time (user + system), so the other processes of a shared machine matter little:
# - `sluice clean` of a one-line simplified and a one-line traditional text (the whole process;
#   `scripts/cpu_time.py`: CPU time from getrusage, in turn with BASE_BIN when it is set);
# - `startup` (sluice-eval): each resource's build in one process, in the order `clean` builds them.
# Usage: scripts/startup.sh [SLUICE_BIN [STARTUP_BIN]]
# (defaults target/release/sluice and target/release/startup:
#  cargo build --release -p sluice --bin sluice -p sluice-eval --bin startup)
set -eu
BIN=${1:-target/release/sluice}
STARTUP=${2:-target/release/startup}
RUNS=${RUNS:-11}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
printf '正文。\n' >"$DIR/hans.txt"
printf '正體中文的頁面。\n' >"$DIR/hant.txt"
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# BASE_BIN: a second build (say, of the commit before) run in turn with BIN, for a ratio.
for doc in hans hant; do
    # shellcheck disable=SC2086
    python3 "$(dirname "$0")/cpu_time.py" "$RUNS" -- "$BIN" clean -q "$DIR/$doc.txt" \
        ${BASE_BIN:+-- "$BASE_BIN" clean -q "$DIR/$doc.txt"}
done
i=0
while [ $i -lt "$RUNS" ]; do
    "$STARTUP" >"$DIR/run$i"
    i=$((i + 1))
done
cut -c1-24 "$DIR/run0" | while IFS= read -r what; do
    what=$(echo "$what" | sed 's/ *$//')
    grep -h "^$what  " "$DIR"/run* | awk '{print $(NF-1)}' | median |
        xargs printf "%-24s %8s ms (median)\n" "$what"
done
