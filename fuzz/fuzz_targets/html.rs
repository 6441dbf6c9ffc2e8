//! The `html` stage on any markup (already decoded, as the `decode` stage hands it on): never
//! panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::{Document, StageName};

fuzz_target!(|data: &[u8]| {
    if data.len() > sluice_fuzz::MAX_INPUT {
        return;
    }
    let doc = Document::from_html(String::from_utf8_lossy(data));
    let _ = sluice_fuzz::stage_pipeline(StageName::Html).clean_document(doc);
});
