#!/usr/bin/env bash
# Idempotence over the corpus: clean every page of scripts/corpus_outputs.sh once, clean each output
# again, and count the outputs that the second pass changes (listed, with the rules it applied).
#
#   scripts/idempotence.sh target/release/sluice /tmp/idem
#
# OUT/first is the first pass (as corpus_outputs.sh writes it), OUT/second the second, with reports:
# `diff OUT/first/X.txt OUT/second/X.txt` shows a change, OUT/second/X.json the rule that made it.
set -euo pipefail
bin=$1 out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"
"$root/scripts/corpus_outputs.sh" "$bin" "$out/first" >/dev/null
# The second pass reads only the texts: the reports and summaries beside them are not pages.
mkdir -p "$out/texts"
(cd "$out/first" && find . -name '*.txt' ! -name stderr.txt -exec cp --parents {} "$out/texts" \;)
"$bin" clean "$out/texts" -o "$out/second" --keep-duplicates -q 2>"$out/stderr.txt" || true
changed=0 total=0
while IFS= read -r -d '' text; do
  rel=${text#"$out/texts/"}
  total=$((total + 1))
  if ! cmp -s "$text" "$out/second/$rel"; then
    changed=$((changed + 1))
    rules=$(grep -o '"rule": *"[^"]*"' "$out/second/${rel%.txt}.json" 2>/dev/null |
      sed 's/.*"\([^"]*\)"$/\1/' | sort -u | paste -sd, -)
    echo "changed: $rel (${rules:-no rule in the report})"
  fi
done < <(find "$out/texts" -name '*.txt' -print0 | sort -z)
echo "$changed of $total outputs change when cleaned again"
