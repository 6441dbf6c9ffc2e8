"""What the derive scripts share: writing a derived table with its header, and the language
model's character normalisation (src/text/lm's). Imported by the scripts beside it, which are run
from the repository root (`python3 scripts/derive_….py`), so this folder is on the import path.
"""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def write_table(out: pathlib.Path, header: str, rows) -> None:
    """Write `header` (its `#` comment lines) and then one line a row, as UTF-8, to `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")


def normalise(c: str, simplify=None) -> str:
    """A character as the language models read it: full-width ASCII folded to ASCII, ASCII digits
    to `0`, ASCII letters to `a`, any other character through `simplify` (a traditional→simplified
    map) when given."""
    cp = ord(c)
    if 0xFF01 <= cp <= 0xFF5E:
        c = chr(cp - 0xFEE0)
    if c.isascii() and c.isdigit():
        return "0"
    if c.isascii() and c.isalpha():
        return "a"
    return simplify.get(c, c) if simplify else c
