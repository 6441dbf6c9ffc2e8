#!/usr/bin/env python3
"""Derive rules/pinyin/readings.txt from mozillazg/pinyin-data (MIT), ../shared/data/pinyin/pinyin.txt.

Usage (from the repository root): python3 scripts/derive_pinyin_readings.py
Output: one `char<TAB>reading,reading` line per Han character that has a toned reading.
"""
import re

from derived import ROOT, SHARED, write_table

SRC = SHARED / "data" / "pinyin" / "pinyin.txt"
OUT = ROOT / "rules" / "pinyin" / "readings.txt"

LINE = re.compile(r"^U\+([0-9A-F]+):\s*([^#]+?)\s*#")


def main() -> None:
    rows = []
    for line in SRC.read_text(encoding="utf-8").splitlines():
        m = LINE.match(line)
        if not m:
            continue
        char = chr(int(m.group(1), 16))
        readings = [r.strip() for r in m.group(2).split(",") if r.strip()]
        rows.append(f"{char}\t{','.join(readings)}")
    header = (
        "# Readings of Han characters, derived by scripts/derive_pinyin_readings.py from\n"
        "# mozillazg/pinyin-data 0.15.0 pinyin.txt (MIT, Copyright (c) 2016 mozillazg;\n"
        "# https://github.com/mozillazg/pinyin-data). See rules/pinyin/LICENSE.\n"
    )
    write_table(OUT, header, rows)


if __name__ == "__main__":
    main()
