#!/usr/bin/env python3
"""Throughput of the sluice-zh wheel's batch call against the sluice binary alone, on the same files.

    PYTHON scripts/python_throughput.py [--runs N] SLUICE_BIN PATH...

PYTHON is a venv with the wheel installed (a release build: `maturin build --release`; compare it
with `target/release/sluice`). PATHs are files or directories (walked, every file). Each side runs
N times (default 5) on all cores; the medians of wall time and of CPU time (user + system, all
threads: what a loaded machine disturbs least) are printed with their throughput over the input
bytes:
- python: `Cleaner().clean_batch(pages)` on the pages already read into memory (the cleaner built
  once before, outside the timing: its start-up is printed on its own line);
- binary: `SLUICE_BIN clean -q --format json PATH...` with stdout to /dev/null, one process per run
  (its start-up, reading the files and writing each text and report as JSON included).
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

from cpu_time import child
from sluice_zh import Cleaner


def files(paths):
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file())
        else:
            yield p


def cpu_seconds(usage):
    return usage.ru_utime + usage.ru_stime


def in_process(clean):
    """Runs `clean` here: (wall, CPU) seconds."""
    start, cpu = time.perf_counter(), cpu_seconds(resource.getrusage(resource.RUSAGE_SELF))
    clean()
    return time.perf_counter() - start, cpu_seconds(resource.getrusage(resource.RUSAGE_SELF)) - cpu


def report(what, run, runs, mb):
    wall, cpu = (statistics.median(t) for t in zip(*(run() for _ in range(runs))))
    print(f"{what}: {wall:.2f} s wall ({mb / wall:.1f} MB/s), {cpu:.2f} s CPU ({mb / cpu:.1f} MB/s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("binary")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    pages = [f.read_bytes() for f in files(args.paths)]
    mb = sum(map(len, pages)) / 1e6
    print(f"{len(pages)} files, {mb:.1f} MB, {os.cpu_count()} cores, median of {args.runs} runs")

    start = time.perf_counter()
    cleaner = Cleaner()
    print(f"python Cleaner() start-up: {(time.perf_counter() - start) * 1000:.0f} ms")
    failed = sum("error" in r for r in cleaner.clean_batch(pages))
    print(f"python: {failed} failed")
    report("python clean_batch", lambda: in_process(lambda: cleaner.clean_batch(pages)), args.runs, mb)
    command = [args.binary, "clean", "-q", "--format", "json", *args.paths]
    report("binary clean --format json", lambda: child(command), args.runs, mb)


if __name__ == "__main__":
    sys.exit(main())
