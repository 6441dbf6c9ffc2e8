#!/usr/bin/env python3
"""Check that sluice's shards are read by the tools they are written for (issue 17).

Usage: check_shards.py BIN   (BIN: a sluice binary; run by .ci/run in a venv with pyarrow and
datatrove, versions pinned there)

Cleans the seed pages and the HTML fixtures into sharded JSON Lines (zstd) and into Parquet, then
reads the JSON Lines back with datatrove's JsonlReader and the Parquet with pyarrow, each given the
output directory as it is (no file pattern: the summary, `_summary.json`, is one line that datatrove
skips for having no text, and a name pyarrow's datasets leave out), and checks that every record
the summary counts comes back, in order, with its id, text and report. Then the same pages as JSON
Lines records with fields of their own (an integer id, a decimal) go through `--jsonl FILE -o`, and
the fields come back as given (a 25-digit integer is tested in tests/scale/contract.rs: datatrove's JSON
reader, orjson, refuses integers past 64 bits).
"""

import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pyarrow.parquet as pq
import zstandard
from datatrove.pipeline.readers import JsonlReader

ROOT = pathlib.Path(__file__).resolve().parent.parent


def clean(binary, inputs, out, fmt, *extra):
    """Run `sluice clean INPUTS -o OUT --output-format FMT` (INPUTS: arguments), return its
    summary."""
    subprocess.run(
        [binary, "clean", *map(str, inputs), "-o", str(out), "--output-format", fmt,
         "--shard-records", "3", *extra],
        check=True, stderr=subprocess.DEVNULL,
    )
    summary = (out / "_summary.json").read_text()
    assert summary.count("\n") == 1, "the summary is one line"
    return json.loads(summary)


def expected_ids(inputs):
    return [str(p) for p in sorted(inputs.iterdir())]


def check_jsonl(binary, inputs, work):
    out = work / "jsonl"
    summary = clean(binary, [inputs], out, "jsonl.zst", "--keep-duplicates")
    docs = list(JsonlReader(str(out)).run())
    assert len(docs) == summary["records"] == len(expected_ids(inputs)), (len(docs), summary)
    assert [d.id for d in docs] == expected_ids(inputs), [d.id for d in docs]
    assert all(d.text for d in docs)
    assert all("edits" in d.metadata["sluice"] for d in docs)
    print(f"datatrove JsonlReader: {len(docs)} documents from {len(summary['shards'])} shards")


def check_parquet(binary, inputs, work):
    out = work / "parquet"
    summary = clean(binary, [inputs], out, "parquet", "--keep-duplicates", "--report", "summary")
    tables = [pq.read_table(out / name) for name in summary["shards"]]
    rows = [row for table in tables for row in table.to_pylist()]
    assert pq.read_table(out).to_pylist() == rows, "the directory read as it is"
    assert tables[0].column_names == [
        "id", "text", "title", "url", "warc_record_id", "sluice", "metadata"]
    assert len(rows) == summary["records"] == len(expected_ids(inputs)), (len(rows), summary)
    assert [r["id"] for r in rows] == expected_ids(inputs)
    assert all(r["text"] for r in rows)
    reports = [json.loads(r["sluice"]) for r in rows]
    assert all("edits_per_rule" in r and r["run"]["version"] for r in reports)
    print(f"pyarrow: {len(rows)} rows from {len(tables)} Parquet shards")


def check_json_lines_input(binary, inputs, work):
    """Records with fields of their own, cleaned into shards, keep them as given."""
    records = work / "records.jsonl"
    with records.open("w") as f:
        for i, page in enumerate(sorted(inputs.iterdir())):
            # Written by hand: Python's json would read the decimal back as a float.
            text = json.dumps(page.read_text(), ensure_ascii=False)
            f.write(f'{{"id":{10**18 + i},"text":{text},"score":2.50,"lang":"zh"}}\n')
    out = work / "records"
    summary = clean(binary, ["--jsonl", records], out, "jsonl.zst", "--keep-duplicates")
    docs = list(JsonlReader(str(out)).run())
    assert len(docs) == summary["records"] == len(expected_ids(inputs)), (len(docs), summary)
    assert [d.id for d in docs] == [10**18 + i for i in range(len(docs))], [d.id for d in docs]
    assert all(d.metadata["lang"] == "zh" and d.metadata["score"] == 2.5 for d in docs)
    raw = zstandard.ZstdDecompressor().stream_reader((out / "00000.jsonl.zst").open("rb")).read()
    first = raw.decode().splitlines()[0]
    assert first.startswith(f'{{"id":{10**18},"score":2.50,"lang":"zh","text":'), first[:80]
    out = work / "records-parquet"
    summary = clean(binary, ["--jsonl", records], out, "parquet", "--keep-duplicates")
    rows = pq.read_table(out).to_pylist()
    assert [r["id"] for r in rows] == [str(10**18 + i) for i in range(len(rows))]
    assert rows[0]["metadata"] == '{"score":2.50,"lang":"zh"}', rows[0]["metadata"]
    print(f"--jsonl records: {len(docs)} documents with their ids and fields as given")


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
        check_json_lines_input(binary, inputs, work)


if __name__ == "__main__":
    main()
