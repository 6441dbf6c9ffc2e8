#!/usr/bin/env python3
"""The wheel's `Cleaner.clean_batch` against the binary alone (`sluice clean --jsonl`) on the same
records (issue 16): the cwced and cx163 pages of ../shared/corpus as raw bytes, REPEAT times each.

Usage: python_throughput.py BIN [REPEAT]   (REPEAT: 10; run with a Python that has a --release
build of sluice_zh installed, BIN a release build of sluice)

Both use every core. Wall-clock seconds, the median of 3 runs each: the binary's include its
start-up (one process, the records piped as JSON Lines with `content_base64`, output to
/dev/null); clean_batch's are the call alone, on bytes already in memory, with the Cleaner built
once before (its build is timed apart).
"""

import base64
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

from sluice_zh import Cleaner

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def pages(repeat):
    files = sorted((CORPUS / "cwced" / "original").iterdir())
    files += sorted((CORPUS / "cx163" / "original").iterdir())
    return [f.read_bytes() for f in files] * repeat


def median_seconds(run):
    times = []
    for _ in range(3):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    binary = sys.argv[1]
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    docs = pages(repeat)
    mb = sum(map(len, docs)) / 1e6
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as records:
        for i, doc in enumerate(docs):
            line = {"id": i, "content_base64": base64.b64encode(doc).decode()}
            records.write(json.dumps(line) + "\n")
        records.flush()

        def binary_run():
            with open(records.name, "rb") as stdin:
                subprocess.run([binary, "clean", "--jsonl", "-", "--keep-duplicates", "-q"],
                               stdin=stdin, stdout=subprocess.DEVNULL, check=True)

        binary_s = median_seconds(binary_run)
    start = time.perf_counter()
    cleaner = Cleaner()
    build_s = time.perf_counter() - start
    results = []
    batch_s = median_seconds(lambda: results.append(cleaner.clean_batch(docs)))
    assert not any("error" in r for r in results[-1])
    print(f"{len(docs)} documents, {mb:.1f} MB")
    print(f"sluice clean --jsonl: {binary_s:.2f} s ({mb / binary_s:.1f} MB/s)")
    print(f"Cleaner.clean_batch:  {batch_s:.2f} s ({mb / batch_s:.1f} MB/s), Cleaner() {build_s:.2f} s")


if __name__ == "__main__":
    main()
