//! The loader on structure-aware mutations of valid model files (seeds in
//! fuzz/seeds/load): the same checks as `load_bytes`, but the mutator edits
//! manifests, tensors, shapes and dtypes so inputs get past the safetensors
//! header and reach every check behind it, down to the labels, generators
//! and target the validator checks against the tensors.
#![no_main]

use gssm_fuzz::{mutate::mutate_file, Rng};
use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};

fuzz_target!(|data: &[u8]| gssm_fuzz::check::load(data));

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    let mut rng = Rng::new(seed as u64);
    // Some byte-level mutation still, for the container's own checks.
    if !rng.one_in(5) {
        if let Some(out) = mutate_file(&data[..size], &mut rng) {
            if out.len() <= max_size {
                data[..out.len()].copy_from_slice(&out);
                return out.len();
            }
        }
    }
    fuzzer_mutate(data, size, max_size)
});
