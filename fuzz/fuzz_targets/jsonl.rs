//! The JSON Lines reader on any stream: never panics, and every line gives one output record that
//! serialises, whether it was read, refused as too long or rejected.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use sluice::run::jsonl::{Lines, error_record, line_limit, output_record, parse};

/// Small limits, so that fuzzed inputs reach the over-limit paths.
const MAX_CONTENT: usize = 1 << 10;

fuzz_target!(|data: &[u8]| {
    let max_line = line_limit(MAX_CONTENT);
    for line in Lines::new(Cursor::new(data), max_line) {
        let Ok(line) = line else { return };
        let record = match parse(&line, MAX_CONTENT) {
            Ok((record, _document)) => output_record(record, []),
            Err(rejected) => error_record(rejected, line.number),
        };
        serde_json::to_string(&record).expect("an output record serialises");
    }
});
