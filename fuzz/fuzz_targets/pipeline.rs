//! The whole `clean` pipeline on any bytes: never panics, and every text stage's report replays to
//! its output.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sluice_fuzz::fuzz_pipeline(data));
