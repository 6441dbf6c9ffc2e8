#!/usr/bin/env python3
"""Derive rules/mojibake/badness.txt: the character categories and the character-class sequences of
ftfy 6.3.1's badness heuristic (ftfy/badness.py, Copyright 2023 Robyn Speer, Apache License 2.0; the
licence is fixtures/ftfy/LICENSE).

The `mojibake.codepage` rule repairs a line only when it holds one of these sequences: characters
that are implausible together in any script but usual in UTF-8 read through a single-byte code page.
The file keeps ftfy's categories by name and each sequence as one regex line with `{category}`
placeholders; invisible characters are written `\\x{HHHH}` so the file can be read and reviewed.

Usage (from the repository root, with ftfy installed: `pip install ftfy==6.3.1`):
    python3 scripts/derive_badness.py
"""
import pathlib
import unicodedata

from ftfy import badness

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "rules" / "mojibake" / "badness.txt"
HEADER = """\
# Character categories and character-class sequences that are implausible in any script but usual
# in UTF-8 read through a single-byte code page ("badness"). Taken from ftfy 6.3.1 (ftfy/badness.py,
# Copyright 2023 Robyn Speer, Apache License 2.0: fixtures/ftfy/LICENSE) by
# scripts/derive_badness.py. `category NAME = CLASS` defines a regex character-class body;
# `sequence PATTERN` is one sequence, {NAME} standing for the category. Invisible characters are
# written \\x{HHHH}.
"""


def invisible(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in "CZ" or category == "Mn"


def escape_class(body: str) -> str:
    """A class body with invisible characters and regex class syntax escaped (`-` keeps its range
    meaning)."""
    return "".join(
        "\\x{%04X}" % ord(ch) if ch != "-" and (invisible(ch) or ch in "[]\\^") else ch
        for ch in body
    )


def escape_pattern(pattern: str) -> str:
    return "".join("\\x{%04X}" % ord(ch) if invisible(ch) else ch for ch in pattern)


def sequences() -> list[str]:
    """The alternatives of ftfy's verbose BADNESS_RE, with its comments and layout white space
    removed (white space inside a class is literal and kept)."""
    source = pathlib.Path(badness.__file__).read_text()
    start = source.index('BADNESS_RE = re.compile(\n    r"""') + len('BADNESS_RE = re.compile(\n    r"""')
    body = source[start : source.index('""".format(', start)]
    compact = []
    for line in body.split("\n"):
        depth = 0
        kept = ""
        for ch in line:
            depth += ch == "["
            depth -= ch == "]"
            if ch == "#" and depth == 0:
                break
            if ch in " \t" and depth == 0:
                continue
            kept += ch
        compact.append(kept)
    return [alt for alt in "".join(compact).split("|") if alt]


def main() -> None:
    lines = [HEADER, "\n"]
    for name, chars in badness.MOJIBAKE_CATEGORIES.items():
        lines.append(f"category {name} = {escape_class(chars)}\n")
    lines.append("\n")
    for alt in sequences():
        lines.append(f"sequence {escape_pattern(alt)}\n")
    OUT.write_text("".join(lines))


if __name__ == "__main__":
    main()
