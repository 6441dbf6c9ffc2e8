#!/usr/bin/env python3
"""Derive data/charset/cns11643.txt: CNS 11643 planes 1-7 to Unicode, for the EUC-TW and
ISO-2022-CN decoders of the `decode` stage (src/stages/decode/cns.rs).

Sources (both redistributable; see data/charset/SOURCE.md):
- Han characters: the Unicode Unihan database's `kIRG_TSource` field (`T1-4421` is plane 1,
  row 0x44, cell 0x21), Unicode licence, as Debian's `unicode-data` package ships it
  (/usr/share/unicode/Unihan_IRGSources.txt.bz2).
- The symbol rows of plane 1 (0x21-0x43: punctuation, full-width forms, bopomofo, radicals), which
  Unihan does not cover: the CNS 11643 全字庫 open data's CNS-to-Unicode table (Taiwan Open
  Government Data License 1.0), as the npm package @lazy-cjk/cns-11643 1.0.34 (ISC) carries it
  (`lib/cns/unicode/cns2uni.bmp.json`); private-use code points are left out.

Usage (from the repository root):
    apt-get install unicode-data
    (cd /tmp && npm pack @lazy-cjk/cns-11643@1.0.34 && tar xzf lazy-cjk-cns-11643-1.0.34.tgz)
    python3 scripts/derive_cns11643.py /tmp/package [--check-iconv]

`--check-iconv` compares every entry with glibc's EUC-TW converter (an independent
implementation) and prints how many agree.

Output: `P-RRCC<TAB>characters` lines, one per run of consecutive mapped cells of a row, e.g.
`1-4421	一乙丁七乃九了二人儿入八几刀刁力匕十卜又三下丈上丫丸凡久么也乞于亡兀刃勺千叉口土士夕大女子孑孓寸小尢尸山川工己已巾干廾弋弓才`.
"""
import bz2
import json
import pathlib
import subprocess
import sys

from derived import ROOT, write_table

UNIHAN = pathlib.Path("/usr/share/unicode/Unihan_IRGSources.txt.bz2")
OUT = ROOT / "data" / "charset" / "cns11643.txt"
PLANES = range(1, 8)
FIRST_HAN_ROW = 0x44


def unihan_han() -> dict[tuple[int, int], int]:
    """(plane, code) -> code point from kIRG_TSource, planes 1-7."""
    table = {}
    with bz2.open(UNIHAN, "rt", encoding="utf-8") as lines:
        for line in lines:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[1] != "kIRG_TSource":
                continue
            source, code = parts[2].split("-")
            if len(source) == 2 and source[1].isdigit() and int(source[1]) in PLANES:
                table[(int(source[1]), int(code, 16))] = int(parts[0][2:], 16)
    return table


def is_private_use(cp: int) -> bool:
    return 0xE000 <= cp <= 0xF8FF or cp >= 0xF0000


def quanziku_symbols(package: pathlib.Path) -> dict[tuple[int, int], int]:
    """Plane 1 rows before the Han rows, from the 全字庫 table."""
    data = json.loads((package / "lib/cns/unicode/cns2uni.bmp.json").read_text(encoding="utf-8"))
    table = {}
    for key, cp in data.items():
        plane, code = key.split("-")
        code = int(code, 16)
        if int(plane, 16) == 1 and code >> 8 < FIRST_HAN_ROW and not is_private_use(cp):
            table[(1, code)] = cp
    return table


def runs(table: dict[tuple[int, int], int]) -> list[str]:
    lines = []
    start, chars, last = None, [], None
    for key in sorted(table):
        plane, code = key
        if last is not None and last == (plane, code - 1) and (code & 0xFF) != 0x21:
            chars.append(chr(table[key]))
        else:
            if start is not None:
                lines.append(f"{start[0]}-{start[1]:04X}\t{''.join(chars)}")
            start, chars = key, [chr(table[key])]
        last = key
    if start is not None:
        lines.append(f"{start[0]}-{start[1]:04X}\t{''.join(chars)}")
    return lines


def check_iconv(table: dict[tuple[int, int], int]) -> None:
    """Decode every entry with glibc's EUC-TW converter: one call, one entry a line (`-c` drops
    what glibc does not map, which leaves that line empty)."""
    keys = sorted(table)
    stream = bytearray()
    for plane, code in keys:
        if plane > 1:
            stream += bytes([0x8E, 0xA0 + plane])
        stream += (code | 0x8080).to_bytes(2, "big") + b"\n"
    out = subprocess.run(["iconv", "-c", "-f", "EUC-TW", "-t", "UTF-8"], input=bytes(stream),
                         capture_output=True, check=False).stdout.decode("utf-8").split("\n")
    agree = sum(1 for key, got in zip(keys, out) if got == chr(table[key]))
    missing = sum(1 for got in out[: len(keys)] if got == "")
    differ = len(keys) - agree - missing
    print(f"glibc iconv EUC-TW: {agree} agree, {differ} differ, {missing} not mapped by glibc")


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    han = unihan_han()
    table = quanziku_symbols(pathlib.Path(sys.argv[1]))
    table.update(han)
    header = (
        "# CNS 11643 planes 1-7 to Unicode, derived by scripts/derive_cns11643.py.\n"
        "# Han characters: Unicode Unihan database 15.0.0, field kIRG_TSource (Unicode licence,\n"
        "# https://www.unicode.org/license.txt). Symbol rows 0x21-0x43 of plane 1: the CNS 11643\n"
        "# 全字庫 CNS-to-Unicode table (Taiwan Open Government Data License 1.0), via the npm\n"
        "# package @lazy-cjk/cns-11643 1.0.34 (ISC). See data/charset/SOURCE.md.\n"
        "# Format: PLANE-CODE<TAB>characters of consecutive cells from CODE on, in one row.\n"
    )
    write_table(OUT, header, runs(table))
    print(f"{len(table)} entries ({len(han)} Han from Unihan) written to {OUT.relative_to(ROOT)}")
    if "--check-iconv" in sys.argv:
        check_iconv(table)


if __name__ == "__main__":
    main()
