#!/bin/sh
# Start-up of one process to its first document, and where it goes. Medians of RUNS (default 11)
# processes, CPU time (user + system), so the other processes of a shared machine matter little:
# - `sluice clean` of a one-line simplified and a one-line traditional text (the whole process);
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
for doc in hans hant; do
    i=0
    while [ $i -lt "$RUNS" ]; do
        /usr/bin/time -f '%U %S' -o "$DIR/t" "$BIN" clean -q "$DIR/$doc.txt" >/dev/null
        awk '{printf "%.0f\n", ($1 + $2) * 1000}' "$DIR/t"
        i=$((i + 1))
    done | median | xargs printf "sluice clean, one %s line: %s ms CPU (median of $RUNS)\n" "$doc"
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
