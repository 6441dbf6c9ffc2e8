"""A real data-juicer run of the sluice mapper over a dataset."""

import json

import pytest

pytest.importorskip("data_juicer")

from data_juicer.core.data import NestedDataset  # noqa: E402
from data_juicer.ops.base_op import OPERATORS  # noqa: E402
from data_juicer.utils.lazy_loader import LazyLoader  # noqa: E402

from sluice_zh.data_juicer import SluiceCleanMapper  # noqa: E402

from conftest import ARTICLE, page  # noqa: E402


@pytest.fixture(autouse=True)
def no_runtime_installs(monkeypatch):
    """data-juicer pip-installs a missing module the moment anything touches its lazy handle: its
    Mapper.run asked for torch (gigabytes of CUDA wheels) after every operator until the mapper
    stopped it, and a CI run failed when that download filled the disk. Refuse installs, so a
    mapper that needs a module the CI environment lacks fails here with the module's name."""

    def refuse(cls, package_spec, pip_args=None):
        raise ImportError(f"data-juicer tried to install {package_spec} at run time; the test forbids it")

    monkeypatch.setattr(LazyLoader, "_install_package", classmethod(refuse))


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
