//! The `decode` stage on any bytes: never panics; what it accepts comes out as text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::StageName;

fuzz_target!(|data: &[u8]| {
    if data.len() <= sluice_fuzz::MAX_INPUT {
        let _ = sluice_fuzz::stage_pipeline(StageName::Decode).clean(data);
    }
});
