//! The `html` stage on any markup (already decoded, as the `decode` stage hands it on): never
//! panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::{Document, Format, StageName};

fuzz_target!(|data: &[u8]| {
    if data.len() > sluice_fuzz::MAX_INPUT {
        return;
    }
    let mut doc = Document::from_text(String::new());
    doc.format = Format::Html;
    doc.html = Some(String::from_utf8_lossy(data).into_owned());
    let _ = sluice_fuzz::stage_pipeline(StageName::Html).clean_document(doc);
});
