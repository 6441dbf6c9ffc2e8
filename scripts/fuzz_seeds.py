#!/usr/bin/env python3
"""Write the fuzz targets' seed corpora from fixtures/ (nothing committed but this script).

Usage: scripts/fuzz_seeds.py [OUT_DIR]   (default fuzz/corpus; one directory per target)

Seeds are small, so the fuzzer runs many of them a second: texts are cut into pieces of whole lines
of at most PIECE bytes. Each target gets the inputs of its kind:
  text stages   the seed pages, the markup and charset fixtures' expected texts, ftfy's test cases
  decode, pipeline   every fixture file (any charset, HTML or text) and the text pieces
  html          the HTML fixtures
  jsonl         records built from the pieces: `text`, `html` and `content_base64` fields, bad lines
  warc          small WARC files of the HTML fixtures: plain, chunked and gzip HTTP bodies, a request
Deterministic: the same fixtures give the same seeds.
"""

import base64
import gzip
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
PIECE = 4096
TEXT_STAGES = ["markup", "mojibake", "pinyin", "spam", "script", "boilerplate", "dedup"]


def pieces(data: bytes):
    """Whole lines of `data`, grouped into pieces of at most PIECE bytes (a longer line is cut)."""
    piece = b""
    for line in data.splitlines(keepends=True):
        while len(line) > PIECE:
            yield line[:PIECE]
            line = line[PIECE:]
        if len(piece) + len(line) > PIECE:
            yield piece
            piece = b""
        piece += line
    if piece:
        yield piece


def files(pattern: str):
    return sorted(p for p in FIXTURES.glob(pattern) if p.is_file())


def text_seeds():
    texts = [p.read_bytes() for p in files("seeds/*.txt") + files("markup/*.txt")]
    texts += [p.read_bytes() for p in files("charset/*.expected.txt") + files("html/*.expected.txt")]
    out = [piece for text in texts for piece in pieces(text)]
    for case in json.loads((FIXTURES / "ftfy/test_cases.json").read_text()):
        out.append(case["original"].encode())
    return out


def html_seeds():
    return [p.read_bytes()[: 4 * PIECE] for p in files("**/*.html")]


def jsonl_seeds(texts, html):
    lines = []
    for i, text in enumerate(texts[:40]):
        s = text.decode("utf-8", "replace")
        lines.append(json.dumps({"id": i, "text": s}, ensure_ascii=i % 2 == 0))
    for i, page in enumerate(html[:10]):
        lines.append(json.dumps({"id": f"h{i}", "html": page.decode("utf-8", "replace")}))
        lines.append(json.dumps({"id": f"b{i}", "content_base64": base64.b64encode(page).decode(), "charset": "gbk"}))
    lines += ['{"id": 1, "text": "\\ud800 孤立的代理"}', "not json", '{"no_content": 1}', "[1, 2]", ""]
    # Seeds of a few lines each: the reader's work is per line, and short streams run fast.
    return ["\n".join(lines[i : i + 3]).encode() + b"\n" for i in range(0, len(lines), 3)]


def warc_record(kind, content_type, url, block):
    head = (
        f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{url}>\r\n"
        f"WARC-Target-URI: {url}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(block)}\r\n\r\n"
    ).encode()
    return head + block + b"\r\n\r\n"


def http_response(body: bytes, variant: int) -> bytes:
    headers = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
    if variant == 1:
        body = gzip.compress(body, mtime=0)
        headers += "Content-Encoding: gzip\r\n"
    if variant == 2:
        body = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
        headers += "Transfer-Encoding: chunked\r\n"
    return (headers + "\r\n").encode() + body


def warc_seeds(html):
    out = []
    for i, page in enumerate(html):
        page = page[:PIECE]
        records = warc_record("warcinfo", "application/warc-fields", "info", b"software: sluice\r\n")
        records += warc_record("request", "application/http; msgtype=request", f"http://x/{i}", b"GET / HTTP/1.1\r\n\r\n")
        records += warc_record("response", "application/http; msgtype=response", f"http://x/{i}", http_response(page, i % 3))
        records += warc_record("resource", "text/html", f"http://x/r{i}", page[:512])
        out.append(records)
    return out


def write(directory: Path, seeds):
    directory.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        if seed:
            (directory / hashlib.sha1(seed).hexdigest()).write_bytes(seed)


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fuzz/corpus"
    texts, html = text_seeds(), html_seeds()
    for stage in TEXT_STAGES:
        write(out / stage, texts)
    every_fixture = [p.read_bytes()[: 4 * PIECE] for p in files("**/*") if p.suffix in (".txt", ".html")]
    write(out / "decode", every_fixture + texts)
    write(out / "pipeline", every_fixture + texts)
    write(out / "html", html)
    write(out / "jsonl", jsonl_seeds(texts, html))
    write(out / "warc", warc_seeds(html))
    for target in sorted(out.iterdir()):
        print(f"{target.name}: {sum(1 for _ in target.iterdir())} seeds")


if __name__ == "__main__":
    main()
