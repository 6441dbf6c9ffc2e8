#!/usr/bin/env python3
"""Write trafilatura's main text for the shared HTML corpora, to score it beside sluice's.

    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install trafilatura lxml_html_clean
    /tmp/tv/bin/python scripts/trafilatura_baseline.py /tmp/trafilatura
    cargo run --release -p sluice-eval --bin eval_extract -- --extracted /tmp/trafilatura
    cargo run --release -p sluice-eval --bin eval_extract -- --extracted /tmp/trafilatura --drop-related-lines

Each page is decoded before trafilatura sees it, with its real encoding (cwced's `encodings.tsv`;
cx163 is all GBK family), so the comparison is of extraction, not of charset detection. Writes
OUT/<corpus>/<page>.txt; an empty file when trafilatura returns nothing.
"""
import csv
import sys
from pathlib import Path

import trafilatura

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def encodings(corpus: Path) -> dict:
    """Page name → Python codec, from the corpus's encodings.tsv when it has one."""
    table = corpus / "encodings.tsv"
    if not table.exists():
        return {}
    with table.open(encoding="utf-8") as f:
        rows = csv.DictReader(f, delimiter="\t")
        return {r["file"]: r["actual_encoding"].split("/")[-1] for r in rows}


def main(out: Path) -> None:
    for name in ("cwced", "cx163"):
        corpus = CORPORA / name
        codecs = encodings(corpus)
        target = out / name
        target.mkdir(parents=True, exist_ok=True)
        pages = sorted((corpus / "original").glob("*.html"))
        for page in pages:
            codec = codecs.get(page.name, "gb18030")
            markup = page.read_bytes().decode(codec, errors="replace")
            text = trafilatura.extract(markup) or ""
            (target / f"{page.stem}.txt").write_text(text, encoding="utf-8")
        print(f"{name}: {len(pages)} pages → {target}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
