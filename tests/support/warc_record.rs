//! One WARC record as bytes, for the WARC reader's unit tests (`src/io/warc.rs`) and the end-to-end
//! tests (`tests/warc_stream.rs`), which include this file with `#[path]`.

/// A WARC/1.0 record of `kind` whose block is `block`, identified by its `url`.
pub fn warc_record(kind: &str, content_type: &str, url: &str, block: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{url}>\r\nWARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: {url}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        block.len()
    )
    .into_bytes();
    out.extend_from_slice(block);
    out.extend_from_slice(b"\r\n\r\n");
    out
}
