import threading

import pytest

import sluice_zh
from sluice_zh import Cleaner, SluiceError

from conftest import ARTICLE, page


def test_bytes_in_any_charset_are_decoded_and_reported(cleaner):
    result = cleaner.clean(page("標題", ARTICLE).encode("big5", errors="replace"))
    assert result["title"] == "標題"
    assert "跨境電商" in result["text"]
    assert result["report"]["encoding"] == "Big5"
    assert result["report"]["format"] == "html"
    assert "decode" in result["report"]["stages"]


def test_str_is_taken_as_decoded_text_and_html_is_recognised(cleaner):
    text = cleaner.clean(ARTICLE)
    assert text["report"]["encoding"] is None
    assert text["text"] == ARTICLE
    html = cleaner.clean(page("標題", ARTICLE))
    assert html["report"]["format"] == "html"
    assert "<p>" not in html["text"]


def test_edits_are_reported_with_their_rule(cleaner):
    # UTF-8 read as Latin-1 is repaired by the mojibake stage, and the edit says so.
    text = "中文網頁的內容，這是一段很長的說明文字。"
    result = cleaner.clean(text.encode().decode("latin-1"))
    assert result["text"] == text
    assert [e["rule"] for e in result["report"]["edits"]] == ["mojibake.codepage"]


def test_a_document_that_cannot_be_cleaned_raises_alone_but_fails_alone_in_a_batch(cleaner):
    with pytest.raises(SluiceError):
        cleaner.clean(b"")
    with pytest.raises(TypeError):
        cleaner.clean(42)
    results = cleaner.clean_batch([b"", ARTICLE.encode(), b"\x00\x01\x02"])
    assert "error" in results[0] and "error" in results[2]
    assert results[1]["text"] == ARTICLE


def test_a_batch_gives_what_one_by_one_gives_in_order(cleaner):
    docs = [page(f"標題{i}", ARTICLE[i:]).encode("utf-8") for i in range(40)]
    assert cleaner.clean_batch(docs) == [cleaner.clean(d) for d in docs]


def test_the_gil_is_released_while_a_batch_is_cleaned(cleaner):
    # A Python thread counting while clean_batch runs only gets to count if the GIL is released.
    docs = [page("標題", ARTICLE * 20).encode()] * 200
    done, counts = threading.Event(), []

    def count():
        n = 0
        while not done.is_set():
            n += 1
            counts.append(n)

    thread = threading.Thread(target=count)
    thread.start()
    before = len(counts)
    cleaner.clean_batch(docs)
    during = len(counts) - before
    done.set()
    thread.join()
    assert during > 0


def test_fingerprints_are_those_of_the_clean_text_and_copies_share_bands(cleaner):
    first = cleaner.clean(page("標題", ARTICLE))
    copy = cleaner.clean(page("轉載", ARTICLE + "轉載請註明出處。"))
    other = cleaner.clean("今天天氣很好，我們去公園散步，看到很多人在跑步和打太極拳。")
    assert first["minhash"] == cleaner.fingerprint(first["text"])
    assert len(first["minhash"]["slots"]) == 256
    assert first["minhash"]["text_bytes"] == len(first["text"].encode())
    assert set(first["minhash"]["bands"]) & set(copy["minhash"]["bands"])
    assert not set(first["minhash"]["bands"]) & set(other["minhash"]["bands"])
    assert "minhash" not in Cleaner().clean(ARTICLE)


def test_a_rules_directory_is_laid_over_the_defaults(tmp_path):
    (tmp_path / "dedup.toml").write_text("[settings.dedup]\nbands = 16\nrows = 8\n", encoding="utf-8")
    custom = Cleaner(tmp_path, minhash=True)
    assert custom.dedup_settings()["bands"] == 16
    assert len(custom.clean(ARTICLE)["minhash"]["bands"]) == 16
    (tmp_path / "dedup.toml").write_text("[settings.dedup]\nbands = 0\n", encoding="utf-8")
    with pytest.raises(SluiceError, match="dedup.bands"):
        Cleaner(tmp_path)


def test_a_warc_file_is_read_from_raw_bytes_with_the_http_charset(cleaner, gbk_warc):
    results = list(cleaner.clean_warc(gbk_warc, batch_size=2))
    assert [r["record"] for r in results] == [0, 1, 2]
    assert [r["title"] for r in results] == ["第一篇", "第二篇", "第三篇"]
    assert results[0]["report"]["url"] == "http://example.cn/0.html"
    assert results[0]["report"]["decode"]["transport"] == "gbk"
    assert results[0]["report"]["encoding"] == "gb18030"
    assert "跨境電商" in results[0]["text"]
    with pytest.raises(SluiceError):
        cleaner.clean_warc(gbk_warc.parent / "missing.warc")


def test_the_package_names_its_version():
    assert sluice_zh.__version__ == sluice_zh.version()


def _clean_a_batch_in_the_child(texts):
    return [r["text"] for r in Cleaner().clean_batch(texts)]


def test_a_process_forked_after_a_batch_cleans_batches_too(cleaner):
    # The parent's pool has run; a forked child (data-juicer's workers, multiprocessing's default on
    # Linux) has no thread of it and builds its own. The timeout turns a hang into a failure.
    import multiprocessing

    texts = [ARTICLE, page("標題", ARTICLE)]
    parent = [r["text"] for r in cleaner.clean_batch(texts)]
    with multiprocessing.get_context("fork").Pool(1) as workers:
        child = workers.apply_async(_clean_a_batch_in_the_child, (texts,)).get(timeout=300)
    assert child == parent
