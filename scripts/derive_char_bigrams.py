#!/usr/bin/env python3
"""Derive data/lm/char_bigrams.txt.gz, the character bigram counts of the language model.

Usage (from the repository root): python3 scripts/derive_char_bigrams.py
Sources (MIT; see data/lm/SOURCE.md): ../shared/corpus/cwced/cleaned/*.txt (human-copied main text of
Chinese web pages) and ../shared/corpus/cx163/silver/*.txt (163.com news main text).
Text is normalised as src/text/lm.rs normalises it before scoring: full-width ASCII forms folded to
ASCII, ASCII digits to `0`, ASCII letters to `a`; lines are scored separately, so a bigram never spans
a line break. Output lines: `<2 chars>\t<count>` for bigrams seen at least twice, and
`<1 char>\t<count>` unigram counts.
"""
import collections
import gzip

from derived import ROOT, SHARED, normalise

CORPORA = [
    SHARED / "corpus" / "cwced" / "cleaned",
    SHARED / "corpus" / "cx163" / "silver",
]
OUT = ROOT / "data" / "lm" / "char_bigrams.txt.gz"


def main() -> None:
    unigrams = collections.Counter()
    bigrams = collections.Counter()
    for folder in CORPORA:
        for path in sorted(folder.glob("*.txt")):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                chars = [normalise(c) for c in line.strip() if not c.isspace()]
                chars = [c for c in chars if c != "\ufffd"]
                unigrams.update(chars)
                bigrams.update(a + b for a, b in zip(chars, chars[1:]))
    rows = [f"{u}\t{n}" for u, n in unigrams.most_common()]
    rows += [f"{b}\t{n}" for b, n in bigrams.most_common() if n >= 2]
    with gzip.open(OUT, "wt", encoding="utf-8") as out:
        out.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
