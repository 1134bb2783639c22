//! Arbitrary bytes into the weight-file loader: it must return Ok or Err,
//! never panic, hang or allocate without bound; and every model it accepts
//! must run on every consumer of loaded models without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gssm_fuzz::check::load(data));
