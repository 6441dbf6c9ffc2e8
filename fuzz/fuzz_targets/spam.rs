//! The `spam` stage on any text: never panics, and its report replays to its output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::StageName;

fuzz_target!(|data: &[u8]| sluice_fuzz::fuzz_text_stage(StageName::Spam, data));
