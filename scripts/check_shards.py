#!/usr/bin/env python3
"""Check that sluice's shards are read by the tools they are written for (issue 17).

Usage: check_shards.py BIN   (BIN: a sluice binary; run by .ci/run in a venv with pyarrow and
datatrove, versions pinned there)

Cleans the seed pages and the HTML fixtures into sharded JSON Lines (zstd) and into Parquet, then
reads the JSON Lines back with datatrove's JsonlReader and the Parquet with pyarrow, and checks
that every record the summary counts comes back, in order, with its id, text and report.
"""

import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pyarrow.parquet as pq
from datatrove.pipeline.readers import JsonlReader

ROOT = pathlib.Path(__file__).resolve().parent.parent


def clean(binary, inputs, out, fmt, *extra):
    """Run `sluice clean INPUTS -o OUT --output-format FMT`, return its summary."""
    subprocess.run(
        [binary, "clean", str(inputs), "-o", str(out), "--output-format", fmt,
         "--shard-records", "3", *extra],
        check=True, stderr=subprocess.DEVNULL,
    )
    return json.loads((out / "summary.json").read_text())


def expected_ids(inputs):
    return [str(p) for p in sorted(inputs.iterdir())]


def check_jsonl(binary, inputs, work):
    out = work / "jsonl"
    summary = clean(binary, inputs, out, "jsonl.zst", "--keep-duplicates")
    docs = list(JsonlReader(str(out), glob_pattern="*.jsonl.zst").run())
    assert len(docs) == summary["records"] == len(expected_ids(inputs)), (len(docs), summary)
    assert [d.id for d in docs] == expected_ids(inputs), [d.id for d in docs]
    assert all(d.text for d in docs)
    assert all("edits" in d.metadata["sluice"] for d in docs)
    print(f"datatrove JsonlReader: {len(docs)} documents from {len(summary['shards'])} shards")


def check_parquet(binary, inputs, work):
    out = work / "parquet"
    summary = clean(binary, inputs, out, "parquet", "--keep-duplicates", "--report", "summary")
    tables = [pq.read_table(out / name) for name in summary["shards"]]
    rows = [row for table in tables for row in table.to_pylist()]
    assert tables[0].column_names == ["id", "text", "title", "url", "warc_record_id", "sluice"]
    assert len(rows) == summary["records"] == len(expected_ids(inputs)), (len(rows), summary)
    assert [r["id"] for r in rows] == expected_ids(inputs)
    assert all(r["text"] for r in rows)
    reports = [json.loads(r["sluice"]) for r in rows]
    assert all("edits_per_rule" in r and r["run"]["version"] for r in reports)
    print(f"pyarrow: {len(rows)} rows from {len(tables)} Parquet shards")


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        inputs = work / "in"
        inputs.mkdir()
        sources = sorted((ROOT / "fixtures/seeds").glob("00?.txt"))
        sources += sorted((ROOT / "fixtures/html").glob("*.html"))[:10]
        for i, source in enumerate(sources):
            shutil.copy(source, inputs / f"{i:02}{source.suffix}")
        check_jsonl(binary, inputs, work)
        check_parquet(binary, inputs, work)


if __name__ == "__main__":
    main()
