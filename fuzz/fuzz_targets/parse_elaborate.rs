//! The language front end on arbitrary text (inputs not starting with a NUL
//! byte; seeds: stdlib/*.gssm and the test sources in fuzz/seeds/parse) and
//! on grammar-aware generated programs (inputs starting with NUL; see
//! gssm_fuzz::source). Parsing, import loading and elaboration of every
//! definition must end in a group or a diagnostic, never a panic or a hang,
//! and every diagnostic must render. Small groups the front end builds are
//! compiled end to end, and the compiled model must pass its proof.
#![no_main]

use arbitrary::Unstructured;
use gssm_fuzz::{check, source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = match data.split_first() {
        Some((0, rest)) => match source::program(&mut Unstructured::new(rest)) {
            Ok(t) => t,
            Err(_) => return,
        },
        _ => String::from_utf8_lossy(data).into_owned(),
    };
    check::elaborate(&text, data);
});
