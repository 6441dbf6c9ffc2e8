"""A real data-juicer run of the sluice mapper over a dataset."""

import json

import pytest

pytest.importorskip("data_juicer")

from data_juicer.core.data import NestedDataset  # noqa: E402
from data_juicer.ops.base_op import OPERATORS  # noqa: E402

from sluice_zh.data_juicer import SluiceCleanMapper  # noqa: E402

from conftest import ARTICLE, page  # noqa: E402


def test_the_mapper_cleans_a_dataset_and_adds_its_columns():
    dataset = NestedDataset.from_list(
        [
            {"text": page("標題", ARTICLE)},
            {"text": "中文網頁的內容，這是一段很長的說明文字。".encode().decode("latin-1")},
            {"text": ""},
        ]
    )
    assert OPERATORS.modules["sluice_clean_mapper"] is SluiceCleanMapper
    result = dataset.process(SluiceCleanMapper(minhash=True)).to_list()
    assert result[0]["text"] == ARTICLE
    assert result[0]["sluice_title"] == "標題"
    assert result[1]["text"] == "中文網頁的內容，這是一段很長的說明文字。"
    assert json.loads(result[1]["sluice_report"])["edits"][0]["rule"] == "mojibake.codepage"
    assert len(result[0]["sluice_minhash"]["slots"]) == 256
    assert result[2]["text"] == ""
    assert json.loads(result[2]["sluice_report"]) == {"error": "empty document"}
