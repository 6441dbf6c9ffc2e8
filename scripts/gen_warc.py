#!/usr/bin/env python3
"""Generate a crawl-like WARC (gzip, one member per record) from the shared HTML corpora.

Usage: scripts/gen_warc.py OUT.warc.gz [RECORDS] [CORPUS_DIR...]
  RECORDS      number of response records (default 2000)
  CORPUS_DIR   directories of *.html pages (default ../shared/corpus/{cx163,cwced}/original)

The pages are repeated in turn, each copy with a varied id (in its URL and in one added paragraph),
so near-duplicate detection sees clusters. Every 10th record's HTTP body is gzip-encoded, every 7th
is chunked, and every 50th record is an image (skipped by sluice). A warcinfo record comes first.
Deterministic: the same arguments give the same file. For the memory measurement see
scripts/warc_memory.sh; 3,000 records decompress to more than 256 MiB.
"""

import gzip
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = [ROOT / "../shared/corpus/cx163/original", ROOT / "../shared/corpus/cwced/original"]


def record(kind, content_type, url, block, n):
    record_id = uuid.UUID(int=n)
    head = (
        f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{record_id}>\r\n"
        f"WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: {url}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(block)}\r\n\r\n"
    ).encode()
    return head + block + b"\r\n\r\n"


def chunked(body):
    out = b""
    for i in range(0, len(body), 8192):
        part = body[i : i + 8192]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n\r\n"


def http_response(page, i):
    headers = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
    body = page
    if i % 10 == 3:
        headers += "Content-Encoding: gzip\r\n"
        body = gzip.compress(body, mtime=0)
    if i % 7 == 5:
        headers += "Transfer-Encoding: chunked\r\n"
        body = chunked(body)
    else:
        headers += f"Content-Length: {len(body)}\r\n"
    return headers.encode() + b"\r\n" + body


def varied(page, i):
    """The page with a paragraph naming its copy, before </body> (or at the end)."""
    marker = f"<p>copy {i}</p>".encode()
    at = page.rfind(b"</body>")
    return page + marker if at < 0 else page[:at] + marker + page[at:]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    corpora = [Path(d) for d in sys.argv[3:]] or DEFAULT_CORPORA
    pages = [p.read_bytes() for d in corpora for p in sorted(d.glob("*.html"))]
    if not pages:
        sys.exit("no *.html pages found")
    with open(out, "wb") as f:
        f.write(gzip.compress(record("warcinfo", "application/warc-fields", "", b"software: gen_warc.py\r\n", 0), mtime=0))
        for i in range(count):
            url = f"http://example.cn/{i % len(pages)}.html?id={i}"
            if i % 50 == 49:
                http = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n" + bytes(1000)
            else:
                http = http_response(varied(pages[i % len(pages)], i), i)
            rec = record("response", "application/http; msgtype=response", url, http, i + 1)
            f.write(gzip.compress(rec, compresslevel=6, mtime=0))


if __name__ == "__main__":
    main()
