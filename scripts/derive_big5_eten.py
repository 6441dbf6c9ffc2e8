#!/usr/bin/env python3
"""Derive rules/mojibake/big5-eten.txt: the pairs C6A1-C7FE of plain Big5 as Python's `big5` codec
(CPython, PSF licence) decodes them.

Web Big5 (WHATWG, HKSCS; what encoding_rs implements) puts other characters in these rows: kana,
Cyrillic and circled numbers that a plain-Big5 decoder wrote are at different bytes there. Re-encoding
such text with the web table gives the wrong bytes back, so the `mojibake` stage encodes these
characters with this table when it undoes a Big5 decoding.

Usage (from the repository root): python3 scripts/derive_big5_eten.py
Output: one `HEX<TAB>char` line per decodable pair, e.g. `C6B7	こ`.
"""
from derived import ROOT, write_table

OUT = ROOT / "rules" / "mojibake" / "big5-eten.txt"


def main() -> None:
    rows = []
    for lead in (0xC6, 0xC7):
        for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            if lead == 0xC6 and trail < 0xA1:
                continue  # C640-C67E are ordinary Big5 Han characters, the same in both tables.
            try:
                char = bytes([lead, trail]).decode("big5")
            except UnicodeDecodeError:
                continue
            rows.append(f"{lead:02X}{trail:02X}\t{char}")
    header = (
        "# Pairs C6A1-C7FE of plain Big5 (ETEN extensions) as CPython's `big5` codec decodes them\n"
        "# (PSF licence), derived by scripts/derive_big5_eten.py. Used to re-encode text that a\n"
        "# plain-Big5 decoder produced; web Big5 (HKSCS) has other characters at these bytes.\n"
    )
    write_table(OUT, header, rows)


if __name__ == "__main__":
    main()
