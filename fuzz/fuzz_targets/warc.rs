//! The WARC reader on any stream: never panics, and ends.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(records) = sluice::run::warc::records(Cursor::new(data)) {
        for (_index, document) in records {
            let _ = document;
        }
    }
});
