import gzip

import pytest

from sluice_zh import Cleaner

ARTICLE = (
    "跨境電商是電商領域的熱點之一，近期國務院常務會議提出降低進口商品關稅，支持跨境電子商務發展。"
    "蜜淘著重增強供應鏈能力，從保稅倉發貨，把物流時間縮短到三天以內。"
    "謝文斌認為，平臺化的跨境電商最大的問題是貨源和正品保障。"
)


def page(title: str, body: str) -> str:
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{body}</p></body></html>"


@pytest.fixture(scope="session")
def cleaner() -> Cleaner:
    return Cleaner(minhash=True)


def warc_record(n: int, url: str, http_payload: bytes) -> bytes:
    head = (
        f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{n:012d}>\r\n"
        f"WARC-Target-URI: {url}\r\nContent-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(http_payload)}\r\n\r\n"
    ).encode()
    return head + http_payload + b"\r\n\r\n"


def http_response(body: bytes, charset: str) -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset={charset}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


@pytest.fixture
def gbk_warc(tmp_path):
    """A gzip WARC of three pages whose charset only the HTTP header names (GBK, no <meta>)."""
    pages = [("第一篇", ARTICLE), ("第二篇", "今天天氣很好，我們去公園散步，看到很多人在跑步和打太極拳。"), ("第三篇", ARTICLE)]
    data = b"".join(
        warc_record(i, f"http://example.cn/{i}.html", http_response(page(t, b).encode("gbk"), "gbk"))
        for i, (t, b) in enumerate(pages)
    )
    (tmp_path / "crawl").mkdir()
    path = tmp_path / "crawl" / "crawl.warc.gz"
    path.write_bytes(gzip.compress(data))
    return path
