#!/usr/bin/env bash
# Main-content quality of sluice and trafilatura on every development set, in one run: per-set means,
# the validation third (held out by source) first; `scripts/extract_eval.sh --pages` adds every page.
# Needs python3 and PyPI once (trafilatura goes into a venv under target/).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/py-extract
work=target/extract-eval
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import trafilatura' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet trafilatura==2.3.1 lxml_html_clean==0.4.7
fi
cargo build --quiet --release -p sluice-eval --bin eval_extract
mkdir -p "$work"
target/release/eval_extract --manifest "$work/pages.tsv"
"$venv/bin/python" scripts/trafilatura_baseline.py "$work/pages.tsv" "$work/trafilatura"
target/release/eval_extract --compare trafilatura="$work/trafilatura" "$@"
