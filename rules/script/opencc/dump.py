#!/usr/bin/env python3
"""Regenerate the OpenCC tables of this directory from OpenCC's own release.

The tables are OpenCC 1.4.2's dictionaries, the release whose test cases are vendored under
fixtures/opencc/. OpenCC's wheel on PyPI ships them compiled (`.ocd2`) with the `opencc_dict` tool
that writes them back as text; this script runs that tool on each table the `script` stage uses and
puts a one-line attribution before the entries.

Usage (from the repository root):
    pip install opencc==1.4.2
    python3 rules/script/opencc/dump.py
"""

import pathlib
import subprocess
import sys
import tempfile

import opencc

VERSION = "1.4.2"
TABLES = [
    "STPhrases",
    "STPhrases_GeneratedFromRegionalPhrases",
    "STCharacters",
    "TSPhrases",
    "TSCharactersExt",
    "TSCharacters",
    "TWPhrases",
    "TWPhrasesRev",
    "TWVariants",
    "TWVariantsPhrases",
    "TWVariantsRev",
    "TWVariantsRevPhrases",
    "HKPhrases",
    "HKPhrasesRev",
    "HKVariants",
    "HKVariantsPhrases",
    "HKVariantsRev",
    "HKVariantsRevPhrases",
]


def main():
    package = pathlib.Path(opencc.__file__).parent / "clib"
    version = subprocess.run(
        [sys.executable, "-m", "pip", "show", "opencc"], capture_output=True, text=True, check=True
    ).stdout
    if f"Version: {VERSION}" not in version:
        sys.exit(f"needs opencc=={VERSION} (pip install opencc=={VERSION})")
    out_dir = pathlib.Path(__file__).parent
    for name in TABLES:
        with tempfile.TemporaryDirectory() as tmp:
            text = pathlib.Path(tmp) / f"{name}.txt"
            subprocess.run(
                [
                    package / "bin" / "opencc_dict",
                    "-i", package / "share" / "opencc" / f"{name}.ocd2",
                    "-o", text,
                    "-f", "ocd2",
                    "-t", "text",
                ],
                check=True,
            )
            entries = text.read_text(encoding="utf-8")
        header = f"# OpenCC {VERSION} {name} (Apache-2.0, see SOURCE.md and LICENSE)\n"
        (out_dir / f"{name}.txt").write_text(header + entries, encoding="utf-8")


if __name__ == "__main__":
    main()
