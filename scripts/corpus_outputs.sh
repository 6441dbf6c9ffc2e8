#!/usr/bin/env bash
# Clean every page of ../shared/corpus and the seed fixtures with one sluice binary into OUT, so that two
# builds (or two rule sets) can be compared file by file:
#
#   scripts/corpus_outputs.sh target/release/sluice /tmp/new [--rules DIR …]
#   scripts/corpus_outputs.sh /tmp/old-sluice /tmp/old
#   diff -r /tmp/old /tmp/new          # every text and report that changed
#
# Reports carry timings, so compare the .txt outputs (`diff -r -x '*.json'`) for behaviour.
set -euo pipefail
bin=$1 out=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
shared="$root/../shared/corpus"
rm -rf "$out"
mkdir -p "$out"
run() { # name, inputs…
  local name=$1
  shift
  "$bin" clean "$@" -o "$out/$name" --keep-duplicates "${extra[@]}" 2>>"$out/stderr.txt" || true
}
extra=("$@")
run cwced "$shared/cwced/original"
run cx163 "$shared/cx163/original"
run gne "$shared/gne/tests"
run magic-article "$shared/magic-html/article/htmls"
run magic-forum "$shared/magic-html/forum/htmls"
run seeds "$root"/fixtures/seeds/00?.txt
echo "$(find "$out" -name '*.txt' ! -name stderr.txt | wc -l) outputs in $out"
