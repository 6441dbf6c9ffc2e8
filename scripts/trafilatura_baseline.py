#!/usr/bin/env python3
"""Write trafilatura's main text for every page of a manifest, to score it beside sluice's.

    python scripts/trafilatura_baseline.py MANIFEST OUT

MANIFEST is what `eval_extract --manifest FILE` writes (`set<TAB>page<TAB>path` a line), so the pages
are enumerated in one place. trafilatura gets each page's raw bytes, as sluice does (it detects the
encoding itself), with its default settings. Writes OUT/<set>/<page>.txt, an empty file when
trafilatura returns nothing. `scripts/extract_eval.sh` runs the whole comparison.
"""
import sys
from pathlib import Path

import trafilatura


def main(manifest: Path, out: Path) -> None:
    count = 0
    for line in manifest.read_text(encoding="utf-8").splitlines():
        corpus, page, path = line.split("\t")
        target = out / corpus
        target.mkdir(parents=True, exist_ok=True)
        text = trafilatura.extract(Path(path).read_bytes()) or ""
        (target / f"{page}.txt").write_text(text, encoding="utf-8")
        count += 1
    print(f"trafilatura {trafilatura.__version__}: {count} pages → {out}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
