"""Real datatrove pipelines (LocalPipelineExecutor) with sluice's reader and step."""

import gzip
import json

import pytest

pytest.importorskip("datatrove")

from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.readers import JsonlReader  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402

from sluice_zh.datatrove import SluiceClean, SluiceWarcReader  # noqa: E402

from conftest import ARTICLE, page  # noqa: E402


def written(folder):
    rows = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            rows += [json.loads(line) for line in f]
    return rows


def test_a_warc_pipeline_cleans_raw_records(tmp_path, gbk_warc):
    out = tmp_path / "out"
    LocalPipelineExecutor(
        pipeline=[SluiceWarcReader(str(gbk_warc.parent), minhash=True), JsonlWriter(str(out))],
        tasks=1,
        logging_dir=str(tmp_path / "logs"),
    ).run()
    rows = written(out)
    assert [r["metadata"]["title"] for r in rows] == ["第一篇", "第二篇", "第三篇"]
    assert rows[0]["id"] == "<urn:uuid:00000000-0000-0000-0000-000000000000>"
    assert rows[0]["metadata"]["url"] == "http://example.cn/0.html"
    assert rows[0]["metadata"]["sluice"]["decode"]["transport"] == "gbk"
    assert "跨境電商" in rows[0]["text"]
    assert len(rows[0]["metadata"]["minhash"]["slots"]) == 256


def test_a_step_cleans_the_documents_of_another_reader(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    records = [
        {"id": "a", "text": page("標題", ARTICLE)},
        {"id": "b", "text": ""},
        {"id": "c", "text": "中文網頁的內容，這是一段很長的說明文字。".encode().decode("latin-1")},
    ]
    (source / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out"
    LocalPipelineExecutor(
        pipeline=[JsonlReader(str(source)), SluiceClean(batch_size=2), JsonlWriter(str(out))],
        tasks=1,
        logging_dir=str(tmp_path / "logs"),
    ).run()
    rows = written(out)
    assert [r["id"] for r in rows] == ["a", "c"], "the empty record is dropped by the reader"
    assert rows[0]["metadata"]["title"] == "標題"
    assert rows[0]["text"] == ARTICLE
    assert rows[1]["text"] == "中文網頁的內容，這是一段很長的說明文字。"
    assert rows[1]["metadata"]["sluice"]["edits"][0]["rule"] == "mojibake.codepage"
