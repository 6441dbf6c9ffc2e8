#!/usr/bin/env python3
"""Throughput of the datatrove and data-juicer integrations against the sluice binary alone.

    PYTHON scripts/integration_throughput.py [--runs N] SLUICE_BIN CRAWL.warc.gz [PAGES_DIR...]

PYTHON is a venv with the sluice-zh wheel and both frameworks installed (CI's target/py-ci after
scripts/python_ci.sh; compare a dev-profile wheel with target/debug/sluice, a release wheel with
target/release/sluice). CRAWL is a WARC file (scripts/gen_warc.py writes one from the shared pages).
Each pair runs N times (default 3), one worker each; the medians of wall time and of CPU time (this
process and its children: user + system) are printed with the throughput over the input bytes (the
WARC's, decompressed; the records' text):
- datatrove: `SluiceWarcReader` → `JsonlWriter` in a `LocalPipelineExecutor` (tasks=1), against
  `SLUICE_BIN clean CRAWL -o OUT --output-format jsonl.gz -j1` (the same records into JSON Lines);
- data-juicer: `NestedDataset.process(SluiceCleanMapper())` over the UTF-8 pages of PAGES_DIR
  (default ../shared/corpus/{cwced,cx163}/original) as `{"text": …}` records (data-juicer datasets
  hold text, not bytes), against `SLUICE_BIN clean --jsonl` of the same pages as `{"html": …}`
  records (the binary's contract reads markup from `html`) with stdout to /dev/null, -j1.
Python's own start-up (imports, `Cleaner()`) is outside the timing; the binary's is inside.
"""

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cpu_seconds():
    self_, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return sum(u.ru_utime + u.ru_stime for u in (self_, children))


def timed(run):
    """(wall, CPU) seconds of `run()`, children included."""
    start, cpu = time.perf_counter(), cpu_seconds()
    run()
    return time.perf_counter() - start, cpu_seconds() - cpu


def report(what, run, runs, mb):
    wall, cpu = (statistics.median(t) for t in zip(*(timed(run) for _ in range(runs))))
    print(f"{what}: {wall:.2f} s wall ({mb / wall:.1f} MB/s), {cpu:.2f} s CPU ({mb / cpu:.1f} MB/s)")


def utf8_pages(dirs):
    """The pages of `dirs` that are UTF-8, as text."""
    pages = []
    for path in sorted(f for d in dirs for f in Path(d).rglob("*") if f.is_file()):
        try:
            pages.append(path.read_bytes().decode("utf-8"))
        except UnicodeDecodeError:
            pass
    return pages


def datatrove_pair(binary, warc, runs, mb):
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.writers import JsonlWriter

    from sluice_zh.datatrove import SluiceWarcReader

    def pipeline():
        with tempfile.TemporaryDirectory() as tmp:
            LocalPipelineExecutor(
                pipeline=[SluiceWarcReader(str(warc.parent), glob_pattern=warc.name), JsonlWriter(f"{tmp}/out")],
                tasks=1,
                logging_dir=f"{tmp}/logs",
            ).run()

    def binary_run():
        with tempfile.TemporaryDirectory() as tmp:
            command = [binary, "clean", "-q", "-j1", str(warc), "-o", f"{tmp}/out", "--output-format", "jsonl.gz"]
            subprocess.run(command, check=True)

    report("datatrove SluiceWarcReader → JsonlWriter", pipeline, runs, mb)
    report("binary clean CRAWL -o OUT --output-format jsonl.gz", binary_run, runs, mb)


def data_juicer_pair(binary, pages, runs, mb):
    from data_juicer.core.data import NestedDataset

    from sluice_zh.data_juicer import SluiceCleanMapper

    mapper = SluiceCleanMapper()
    records = [{"text": p} for p in pages]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        # The binary's JSON Lines contract reads markup from `html` (`text` is plain text).
        f.writelines(json.dumps({"html": p}, ensure_ascii=False) + "\n" for p in pages)
    try:
        report(
            "data-juicer SluiceCleanMapper",
            lambda: NestedDataset.from_list(records).process(mapper).to_list(),
            runs,
            mb,
        )
        command = [binary, "clean", "-q", "-j1", "--jsonl", f.name]
        report(
            "binary clean --jsonl",
            lambda: subprocess.run(command, check=True, stdout=subprocess.DEVNULL),
            runs,
            mb,
        )
    finally:
        os.unlink(f.name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("binary")
    parser.add_argument("warc", type=Path)
    parser.add_argument("pages", nargs="*", default=[ROOT / "../shared/corpus/cwced/original", ROOT / "../shared/corpus/cx163/original"])
    args = parser.parse_args()
    opener = gzip.open if args.warc.suffix == ".gz" else open
    with opener(args.warc, "rb") as f:
        warc_mb = len(f.read()) / 1e6
    print(f"{args.warc}: {warc_mb:.1f} MB decompressed; median of {args.runs} runs, one worker each")
    datatrove_pair(args.binary, args.warc.resolve(), args.runs, warc_mb)
    pages = utf8_pages(args.pages)
    pages_mb = sum(len(p.encode()) for p in pages) / 1e6
    print(f"{len(pages)} UTF-8 pages, {pages_mb:.1f} MB")
    data_juicer_pair(args.binary, pages, args.runs, pages_mb)


if __name__ == "__main__":
    sys.exit(main())
