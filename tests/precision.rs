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

/// Run `seqs` (one batch, equal lengths) on `backend` in `dtype` and
/// compare every output with the running product from the table.
fn runs_right(m: &ValidModel, backend: Backend, dtype: Dtype, seqs: &[Vec<u32>]) {
    let len = seqs[0].len();
    let exec = build(m, backend, dtype).unwrap();
    let toks = Tokens::new(m, seqs.len(), len, seqs.concat()).unwrap();
    let got = exec.run(&toks).unwrap();
    for (b, ids) in seqs.iter().enumerate() {
        let mut y = m.initial_output();
        for (t, &x) in ids.iter().enumerate() {
            y = m.next_output(y, x);
            assert_eq!(
                got[b * len + t],
                y,
                "{backend:?} {}: sequence {b} wrong at step {}",
                dtype.name(),
                t + 1
            );
        }
    }
}

/// Each token repeated 1000 times in turn: the longest runs of a single
/// rotation, where a drifting orbit drifts fastest.
fn repeated_walk(m: &ValidModel, len: usize) -> Vec<u32> {
    let v = m.num_tokens() as u32;
    (0..len).map(|t| (t / 1000) as u32 % v).collect()
}

#[test]
fn proved_models_run_a_million_steps_on_every_executor() {
    let gens = Alphabet::Generators { inverses: false };
    let mut covered = Vec::new();
    for (group, c, alphabet) in [
        ("S3", Coordinates::Invariant, Alphabet::Elements),
        ("A4", Coordinates::Invariant, Alphabet::Elements),
        ("C24", Coordinates::Primary, Alphabet::Elements),
        ("Q8", Coordinates::Invariant, Alphabet::Elements),
        ("C60", Coordinates::Primary, gens),
        ("A4xC5", Coordinates::Primary, gens),
    ] {
        let opts = Options {
            coordinates: c,
            ..Options::new(alphabet, FloatDtype::F32)
        };
        let m = stdlib_model_with(group, "aussm", &opts);
        let seqs = [
            tokens(&m, 1, 1_000_000, 7).ids().to_vec(),
            repeated_walk(&m, 1_000_000),
        ];
        for dtype in Dtype::ALL {
            let r = closure(&m, dtype, 1 << 16);
            if !r.proved {
                continue;
            }
            // The greedy walk toward the decision boundaries finds nothing.
            let w = worst_case(&m, dtype, 20_000, 3);
            assert_eq!(
                w.horizon,
                None,
                "{group} {}: a proved model went wrong",
                dtype.name()
            );
            runs_right(&m, Backend::Reference, dtype, &seqs);
            if matches!(dtype, Dtype::F32 | Dtype::F64) {
                runs_right(&m, Backend::Jit, dtype, &seqs);
            }
            // The GPU computes in f32 and its driver may fuse: the proof
            // covers it only where it holds with fused multiply-adds.
            if dtype == Dtype::F32 && r.proved_fused {
                runs_right(&m, Backend::Gpu, dtype, &seqs);
            }
            covered.push(format!("{group}/{}", dtype.name()));
        }
    }
    // The proofs this test relies on hold: every stdlib group listed is
    // proved in f32, C60 in bf16 too, and Q8 also with fused arithmetic.
    for want in [
        "S3/f32",
        "A4/f32",
        "C24/f32",
        "Q8/f32",
        "C60/f32",
        "C60/bf16",
        "A4xC5/f32",
    ] {
        assert!(
            covered.iter().any(|c| c == want),
            "{want} not proved: {covered:?}"
        );
    }
    let q8 = model("Q8", Coordinates::Invariant);
    assert!(closure(&q8, Dtype::F32, 1 << 16).proved_fused);
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
    // The manifest records exactly the dtypes the closure proves.
    let mut want = Vec::new();
    for d in Dtype::ALL {
        let r = closure(&m, d, 1 << 16);
        if r.proved {
            want.push((d.name().to_string(), r.closed_states(), r.proved_fused));
        }
    }
    let got: Vec<_> = m
        .manifest
        .proved
        .iter()
        .map(|p| (p.dtype.clone(), p.states, p.fused))
        .collect();
    assert_eq!(got, want);
    assert!(got.iter().any(|p| p.0 == "f32"));
    let o = run("C60");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("(C5)"), "{err}");
    // The generators alphabet closes every component: the error says so.
    assert!(err.contains("--alphabet generators"), "{err}");
}

/// `gssm verify FILE` (quick: no horizon), its exit status and stdout.
fn verify_cli(path: &std::path::Path) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_gssm"))
        .args(["verify", "--horizon-len", "0", "--worst-len", "0"])
        .arg(path)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into(),
    )
}

#[test]
fn verify_proves_the_manifests_claims_again() {
    use gssm_runtime::ir::ProvedDtype;
    let opts = Options {
        coordinates: Coordinates::Primary,
        ..Options::new(Alphabet::Elements, FloatDtype::F32)
    };
    let m = stdlib_model_with("C24", "aussm", &opts);
    let f32_proof = closure(&m, Dtype::F32, 1 << 16);
    assert!(f32_proof.proved);
    let honest = ProvedDtype {
        dtype: "f32".into(),
        states: f32_proof.closed_states(),
        fused: f32_proof.proved_fused,
    };
    let f64_proof = closure(&m, Dtype::F64, 1 << 16);
    assert!(!f64_proof.proved, "C24 in f64: {}", f64_proof.summary());
    let with_claims = |claims: Vec<ProvedDtype>, name: &str| {
        let mut model = m.clone().into_model();
        model.manifest.proved = claims;
        let v = gssm_runtime::valid::validate(model, &Default::default()).unwrap();
        let path = std::env::temp_dir().join(format!("gssm_claims_{name}.safetensors"));
        std::fs::write(&path, gssm_compiler::emit::emit(&v).unwrap()).unwrap();
        verify_cli(&path)
    };
    let (ok, out) = with_claims(vec![honest.clone()], "honest");
    assert!(ok, "{out}");
    assert!(out.contains("claims: ok"), "{out}");
    // A wrong count, a fused claim the proof does not make, and a dtype
    // whose orbit does not close all fail the verification.
    let lies = [
        ProvedDtype {
            states: honest.states + 1,
            ..honest.clone()
        },
        ProvedDtype {
            fused: !honest.fused,
            ..honest.clone()
        },
        ProvedDtype {
            dtype: "f64".into(),
            ..honest.clone()
        },
    ];
    for (i, lie) in lies.into_iter().enumerate() {
        let (ok, out) = with_claims(vec![lie], &format!("lie{i}"));
        assert!(!ok, "claim {i} passed: {out}");
        assert!(out.contains("claims: FAILED"), "{out}");
    }
    // Claims only name the four arithmetics, each once.
    let mut model = m.clone().into_model();
    model.manifest.proved = vec![honest.clone(), honest.clone()];
    assert!(gssm_runtime::valid::validate(model.clone(), &Default::default()).is_err());
    model.manifest.proved = vec![ProvedDtype {
        dtype: "f8".into(),
        ..honest
    }];
    assert!(gssm_runtime::valid::validate(model, &Default::default()).is_err());
}
