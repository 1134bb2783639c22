//! Differential: random valid models (gssm_fuzz::gen) and token batches on
//! the JIT and the reference executor, in f32 and f64, against the model's
//! exact integer run. Any difference is a crash. Every generated model must
//! also survive the weight file: encode, decode, and come back equal.
#![no_main]

use arbitrary::Unstructured;
use gssm_fuzz::gen;
use gssm_runtime::exec::{build, Backend, ExecError};
use gssm_runtime::format::{encode, load, LoadLimits};
use gssm_runtime::scalar::Dtype;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    // Compiling dominates the cost of an input: one JIT dtype per input.
    let Ok(jit_dtype) = u.choose(&[Dtype::F32, Dtype::F64]).copied() else {
        return;
    };
    let Ok(g) = gen::model(&mut u) else { return };
    let Ok(tokens) = gen::tokens(&mut u, &g.model) else {
        return;
    };
    let model = &g.model;

    let bytes = encode(model).expect("a generated model encodes");
    let loaded = load(&bytes, &LoadLimits::default()).expect("a generated model loads");
    assert!(loaded == *model, "load(encode(model)) differs from model");

    let exact = gen::exact_run(&g, &tokens);
    for dt in [Dtype::F32, Dtype::F64] {
        let reference = build(model, Backend::Reference, dt)
            .expect("reference builds")
            .run(&tokens)
            .expect("reference runs");
        assert_eq!(
            reference, exact,
            "reference {dt:?} differs from the exact run"
        );
        if dt != jit_dtype {
            continue;
        }
        let jit = match build(model, Backend::Jit, dt) {
            Ok(e) => e,
            // Not built into this runtime (yet), or not in this dtype.
            Err(ExecError::Unavailable(..) | ExecError::UnsupportedDtype { .. }) => continue,
            Err(e) => panic!("the JIT cannot build a valid model in {dt:?}: {e}"),
        };
        let out = jit.run(&tokens).expect("the JIT runs a valid batch");
        assert_eq!(out, reference, "JIT {dt:?} differs from the reference");
    }
});
