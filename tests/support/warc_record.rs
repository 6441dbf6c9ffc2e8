//! One WARC record as bytes, for the WARC reader's unit tests (`src/run/warc.rs`) and the end-to-end
//! tests (`tests/warc_stream.rs`, `tests/cli.rs`), which include this file with `#[path]`.

/// A WARC/1.0 record of `kind` whose block is `block`, identified by its `url`.
pub fn warc_record(kind: &str, content_type: &str, url: &str, block: &[u8]) -> Vec<u8> {
    let id = format!("<urn:uuid:{url}>");
    warc_record_with(
        &[
            (b"WARC-Type", kind.as_bytes()),
            (b"WARC-Record-ID", id.as_bytes()),
            (b"WARC-Date", b"2024-01-01T00:00:00Z"),
            (b"WARC-Target-URI", url.as_bytes()),
            (b"Content-Type", content_type.as_bytes()),
        ],
        block,
    )
}

/// A WARC/1.0 record with these header lines (as bytes: they may be in any charset, or malformed)
/// and a `Content-Length` that fits `block`.
pub fn warc_record_with(headers: &[(&[u8], &[u8])], block: &[u8]) -> Vec<u8> {
    let mut out = b"WARC/1.0\r\n".to_vec();
    for (name, value) in headers {
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", block.len()).as_bytes());
    out.extend_from_slice(block);
    out.extend_from_slice(b"\r\n\r\n");
    out
}
