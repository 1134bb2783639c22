//! The JIT executor on models the compiler builds from the standard library:
//! its outputs equal the reference executor's (same dtype) and the group's
//! running products, its exhaustive check passes, and on a corrupted model
//! it reports the CPU verifier's counts and first failure.

mod common;

use common::{stdlib_model, tokens};

use gssm_compiler::verify::exhaustive_cpu;
use gssm_runtime::exec::jit;
use gssm_runtime::exec::reference::Reference;
use gssm_runtime::exec::Executor;
use gssm_runtime::format::{FloatDtype, LoadLimits};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::truth::running_products;
use gssm_runtime::valid::validate;

/// (group, target, exhaustive length).
const MODELS: [(&str, &str, usize); 8] = [
    ("S3", "aussm", 6),
    ("A4", "aussm", 4),
    ("C60", "aussm", 3),
    ("Q8", "aussm", 5),
    ("S4", "aussm", 3),
    ("SL23", "aussm", 3),
    ("A4xC5", "aussm", 2),
    ("C2xC4", "neg-mamba", 5),
];

#[test]
fn stdlib_models_on_the_jit_equal_the_reference_and_the_group() {
    for (group, t, _) in MODELS {
        for fd in [FloatDtype::F32, FloatDtype::F64] {
            let model = stdlib_model(group, t, fd);
            for (batch, len) in [(1, 1000), (7, 1000), (1024, 64)] {
                let toks = tokens(&model, batch, len, group.len() as u64 + len as u64);
                let truth = running_products(&model, &toks);
                for dt in [Dtype::F32, Dtype::F64] {
                    let got = jit::build(&model, dt)
                        .unwrap_or_else(|e| panic!("{group}: {e}"))
                        .run(&toks)
                        .unwrap_or_else(|e| panic!("{group}: {e}"));
                    let want = Reference::new(&model, dt)
                        .run(&toks)
                        .expect("reference runs");
                    assert!(
                        got == want,
                        "{group} ({t}, {fd:?} file, {dt:?}): JIT and reference disagree"
                    );
                    assert!(
                        got == truth,
                        "{group} ({t}, {fd:?} file, {dt:?}): wrong products"
                    );
                }
            }
        }
    }
}

#[test]
fn stdlib_models_pass_the_exhaustive_check_on_the_jit() {
    for (group, t, len) in MODELS {
        let model = stdlib_model(group, t, FloatDtype::F32);
        let v = model.num_tokens() as u64;
        for dt in [Dtype::F32, Dtype::F64] {
            let r = jit::exhaustive(&model, dt, len).unwrap_or_else(|e| panic!("{group}: {e}"));
            assert_eq!(
                r.sequences,
                (1..=len as u32).map(|l| v.pow(l)).sum::<u64>(),
                "{group}"
            );
            assert_eq!(
                (r.mismatches, r.first_failure),
                (0, None),
                "{group} ({t}, {dt:?}) at length {len}"
            );
        }
    }
}

#[test]
fn s3_is_checked_exhaustively_to_length_8() {
    let model = stdlib_model("S3", "aussm", FloatDtype::F32);
    let r = jit::exhaustive(&model, Dtype::F32, 8).unwrap();
    assert_eq!(r.sequences, (1..=8u32).map(|l| 6u64.pow(l)).sum::<u64>());
    assert_eq!((r.mismatches, r.first_failure), (0, None));
}

#[test]
fn a_corrupted_model_fails_where_the_cpu_verifier_says() {
    let model = stdlib_model("S3", "aussm", FloatDtype::F32);
    let len = 5;
    for which in [0usize, 1, 4] {
        let mut bad = model.clone().into_model();
        // Point one readout entry at another element: still a valid model.
        let order = bad.order() as u32;
        let d = bad.diagonal_mut().expect("diagonal");
        let r = d.readout.as_mut().expect("a readout");
        r[which] = (r[which] + 1) % order;
        let bad = validate(bad, &LoadLimits::default()).unwrap();
        let cpu = exhaustive_cpu::<f32>(&bad, len);
        let got = jit::exhaustive(&bad, Dtype::F32, len).unwrap();
        assert!(
            got.mismatches > 0,
            "readout[{which}] corrupted but nothing failed"
        );
        assert_eq!(
            (got.sequences, got.mismatches, got.first_failure),
            (cpu.sequences, cpu.mismatches, cpu.first_failure),
            "readout[{which}]"
        );
    }
}
