//! Precision as a proof: the closure search against an enumeration written
//! here, proved models run long on the executors, worst-case sequences
//! replayed, and `gssm compile --precision`. Ground truth is the group's
//! table, never the layers.

mod common;

use common::{stdlib_model_with, tokens};
use gssm_compiler::construct::Alphabet;
use gssm_compiler::pipeline::{Coordinates, Options};
use gssm_compiler::verify::{closure, worst_case};
use gssm_runtime::exec::{build, Backend};
use gssm_runtime::format::FloatDtype;
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::Tokens;
use gssm_runtime::valid::ValidModel;
use std::collections::HashSet;
use std::process::Command;

fn model(group: &str, coordinates: Coordinates) -> ValidModel {
    let opts = Options {
        coordinates,
        ..Options::new(Alphabet::Elements, FloatDtype::F32)
    };
    stdlib_model_with(group, "aussm", &opts)
}

fn cyclic(n: u32) -> ValidModel {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib/families.gssm");
    let p = gssm_compiler::elaborate::load_file(&path, &Default::default()).unwrap();
    let e = p.eval(&format!("Cyclic({n})")).unwrap();
    let t = gssm_compiler::target::by_name("aussm").unwrap();
    let opts = Options::new(Alphabet::Elements, FloatDtype::F32);
    gssm_compiler::pipeline::compile(&e.group, &e.origin(), t, &opts)
        .unwrap()
        .0
}

/// The rounded orbit of a one-layer, one-component model's state in f32,
/// each product then each sum rounded, written independently of the
/// verifier: Some(number of (state, digit) pairs) when it closes with every
/// pair decoding right, None otherwise.
fn orbit_f32(m: &ValidModel, limit: usize) -> Option<usize> {
    let l = &m.diagonal().unwrap().layers[0];
    assert_eq!(l.width(), 1);
    let n = l.moduli[0];
    let moves: Vec<(f32, f32, f32, f32, u32)> = (0..l.num_tokens)
        .map(|v| {
            let f = |x: f64| x as f32;
            (
                f(l.a_re[v]),
                f(l.a_im[v]),
                f(l.b_re[v]),
                f(l.b_im[v]),
                l.transition_code[v],
            )
        })
        .collect();
    let start = (1.0f32, 0.0f32, 0u32);
    let mut seen = HashSet::from([(start.0.to_bits(), start.1.to_bits(), 0u32)]);
    let mut stack = vec![start];
    while let Some((hr, hi, d)) = stack.pop() {
        for &(ar, ai, br, bi, c) in &moves {
            let re = ar * hr - ai * hi + br;
            let im = ar * hi + ai * hr + bi;
            let d2 = (d + c) % n;
            let angle = (im.atan2(re) as f64) * n as f64 / std::f64::consts::TAU;
            if (angle.round() as i64).rem_euclid(n as i64) as u32 != d2 {
                return None;
            }
            if seen.insert((re.to_bits(), im.to_bits(), d2)) {
                if seen.len() > limit {
                    return None;
                }
                stack.push((re, im, d2));
            }
        }
    }
    Some(seen.len())
}

#[test]
fn closure_agrees_with_an_independent_enumeration() {
    let mut proved = 0;
    for n in [2, 3, 4, 5, 6, 8, 10, 12, 16] {
        let m = cyclic(n);
        let r = closure(&m, Dtype::F32, 20_000);
        let mine = orbit_f32(&m, 20_000);
        assert_eq!(r.proved, mine.is_some(), "C{n}: {}", r.summary());
        if let Some(states) = mine {
            proved += 1;
            match r.components[0].orbit {
                gssm_compiler::verify::closure::Orbit::Closed { states: s } => {
                    assert_eq!(s, states, "C{n}")
                }
                ref o => panic!("C{n}: {o:?}"),
            }
        }
    }
    // Both kinds occur: exact quarter turns close, others drift.
    assert!((2..9).contains(&proved), "{proved} of 9 proved");
}

/// Run `ids` (one sequence) on `backend` in f32 and compare every output
/// with the running product from the table.
fn runs_right(m: &ValidModel, backend: Backend, ids: &[u32]) {
    let exec = build(m, backend, Dtype::F32).unwrap();
    let toks = Tokens::new(m, 1, ids.len(), ids.to_vec()).unwrap();
    let got = exec.run(&toks).unwrap();
    let mut y = m.initial_output();
    for (t, &x) in ids.iter().enumerate() {
        y = m.next_output(y, x);
        assert_eq!(got[t], y, "{backend:?}: wrong at step {}", t + 1);
    }
}

#[test]
fn proved_models_run_a_million_steps_on_the_cpu_executors() {
    for (group, c) in [
        ("S3", Coordinates::Invariant),
        ("A4", Coordinates::Invariant),
        ("C24", Coordinates::Primary),
        ("Q8", Coordinates::Invariant),
    ] {
        let m = model(group, c);
        let r = closure(&m, Dtype::F32, 1 << 16);
        assert!(r.proved, "{group}: {}", r.summary());
        let random = tokens(&m, 1, 1_000_000, 7).ids().to_vec();
        // The greedy walk toward the decision boundaries, repeated.
        let w = worst_case(&m, Dtype::F32, 20_000, 3);
        assert_eq!(w.horizon, None, "{group}: a proved model went wrong");
        let mut walk = Vec::with_capacity(1_000_000);
        let v = m.num_tokens() as u32;
        let mut k = 0u32;
        while walk.len() < 1_000_000 {
            // Each token repeated 1000 times: the longest single rotation.
            walk.extend(std::iter::repeat_n(k % v, 1000));
            k += 1;
        }
        for backend in [Backend::Reference, Backend::Jit] {
            runs_right(&m, backend, &random);
            runs_right(&m, backend, &walk);
        }
    }
}

#[test]
fn worst_case_sequences_replay_to_their_failure() {
    let m = model("C60", Coordinates::Invariant);
    let r = closure(&m, Dtype::Bf16, 1 << 14);
    assert!(!r.proved);
    let w = worst_case(&m, Dtype::Bf16, 5_000, 0);
    let t = w.horizon.expect("C60 drifts in bf16");
    assert_eq!(w.tokens.len(), t);
    // Replay on the reference executor in bf16: right before step t,
    // wrong at it.
    let exec = build(&m, Backend::Reference, Dtype::Bf16).unwrap();
    let toks = Tokens::new(&m, 1, t, w.tokens.clone()).unwrap();
    let got = exec.run(&toks).unwrap();
    let mut y = m.initial_output();
    for (i, &x) in w.tokens.iter().enumerate() {
        y = m.next_output(y, x);
        assert_eq!(got[i] == y, i + 1 < t, "step {}", i + 1);
    }
    // Primary coordinates lengthen it past the search.
    let p = model("C60", Coordinates::Primary);
    assert_eq!(worst_case(&p, Dtype::Bf16, 5_000, 0).horizon, None);
}

#[test]
fn compile_precision_picks_coordinates_or_names_the_component() {
    let out = std::env::temp_dir().join("gssm_precision_c24.safetensors");
    let run = |g: &str| {
        Command::new(env!("CARGO_BIN_EXE_gssm"))
            .args([
                "compile",
                "stdlib/seed.gssm",
                "-g",
                g,
                "--precision",
                "f32",
                "-o",
            ])
            .arg(&out)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    };
    let o = run("C24");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = gssm_runtime::format::load(&std::fs::read(&out).unwrap(), &Default::default()).unwrap();
    // C24 = C8 × C3: two components; as one C24 component it does not close.
    assert_eq!(m.diagonal().unwrap().layers[0].moduli, [8, 3]);
    let o = run("C60");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("(C5)"), "{err}");
}
