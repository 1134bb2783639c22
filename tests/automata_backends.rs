//! Automaton models on the JIT and the GPU: compiled here from source text,
//! loaded back from their bytes, and run against the reference executor
//! (same decoded outputs) and against the automaton itself, run from its
//! elaborated transition maps, never from the model's layers. The
//! exhaustive checks of both backends pass them and catch a broken readout
//! with the CPU verifier's counts and first failure; `gssm verify` checks
//! them on the JIT by default.
//!
//! The GPU parts are skipped with a message without any GPU adapter, except
//! in CI (CI=true), where that is a failure: CI installs Mesa's lavapipe.

mod common;

use common::gpu_present;

use gssm_compiler::automaton::Automaton;
use gssm_compiler::construct::Alphabet;
use gssm_compiler::elaborate::load_source;
use gssm_compiler::group::Limits;
use gssm_compiler::pipeline::{compile_automaton, Options, Origin};
use gssm_compiler::report::verify::{verify, Options as VerifyOptions};
use gssm_compiler::target;
use gssm_compiler::verify::exhaustive_cpu;
use gssm_runtime::exec::reference::Reference;
use gssm_runtime::exec::{expected_sequences, gpu, jit, Backend, Executor};
use gssm_runtime::format::{load, FloatDtype, LoadLimits};
use gssm_runtime::ir::Coord;
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::Tokens;
use gssm_runtime::valid::{validate, ValidModel};

/// (source, target, layers the compiler gives it, exhaustive length).
const CASES: [(&str, &str, usize, usize); 5] = [
    (
        "automaton FlipFlop { states q0, q1; start q0; accept q1;
            symbol w0: * -> q0; symbol w1: * -> q1; symbol i: id; }",
        "mamba",
        1,
        8,
    ),
    // (ab)*: s accepts, t after an a, z the dead state.
    (
        "automaton ABStar { states s, t, z; start s; accept s;
            symbol a: s -> t, * -> z; symbol b: t -> s, * -> z; }",
        "mamba",
        2,
        12,
    ),
    // No three zeros in a row: a, b, c count trailing zeros, d is dead.
    (
        "automaton No000 { states a, b, c, d; start a; accept a, b, c;
            symbol zero: a -> b, b -> c, c -> d, d -> d;
            symbol one: d -> d, * -> a; }",
        "mamba",
        3,
        12,
    ),
    (
        "automaton Counter3 { states q0, q1, q2; start q0; accept q0;
            symbol inc: (q0, q1, q2); symbol reset: * -> q0; }",
        "aussm",
        1,
        12,
    ),
    (
        "automaton Parity { states e, o; start e; accept e;
            symbol a: (e, o); symbol b: id; }",
        "neg-mamba",
        1,
        12,
    ),
];

fn automaton(src: &str) -> Automaton {
    load_source("test.gssm", src, &Limits::default())
        .and_then(|p| p.automaton(None))
        .unwrap_or_else(|d| panic!("{}", d.message))
}

/// Compile `a` for `target` and load it back from its bytes, as `gssm
/// compile` followed by `gssm run` would.
fn compiled(a: &Automaton, target_name: &str, dtype: FloatDtype) -> ValidModel {
    let t = target::by_name(target_name).expect("target exists");
    let opts = Options::new(Alphabet::Elements, dtype);
    let (_, bytes) = compile_automaton(a, &Origin::default(), t, &opts, &Limits::default())
        .unwrap_or_else(|d| panic!("{} for {target_name}: {}", a.name, d.message));
    load(&bytes, &LoadLimits::default()).expect("the compiler's file loads")
}

/// The automaton's states along each sequence, from its own maps.
fn run_automaton(a: &Automaton, tokens: &Tokens) -> Vec<u32> {
    let mut out = Vec::with_capacity(tokens.ids().len());
    for b in 0..tokens.batch() {
        let mut q = a.start;
        for &x in tokens.row(b) {
            q = a.symbols[x as usize].1[q as usize];
            out.push(q);
        }
    }
    out
}

#[test]
fn the_compiled_models_have_the_expected_shapes() {
    for (src, t, layers, _) in CASES {
        let a = automaton(src);
        let m = compiled(&a, t, FloatDtype::F32);
        assert_eq!(m.manifest.outputs, a.states, "{}", a.name);
        let names: Vec<&String> = a.symbols.iter().map(|s| &s.0).collect();
        assert_eq!(m.manifest.tokens.iter().collect::<Vec<_>>(), names);
        let d = m.diagonal().expect("automaton models are diagonal");
        assert_eq!(d.layers.len(), layers, "{} for {t}", a.name);
        let registers = d.layers.iter().any(|l| l.coords.contains(&Coord::Register));
        // The aperiodic languages hold their states in registers on mamba.
        if a.name == "ABStar" || a.name == "No000" {
            assert!(registers, "{} has no register", a.name);
        }
        // The counter's reset is a phase reset.
        if a.name == "Counter3" {
            let l = &d.layers[0];
            assert!(l
                .transition_code
                .iter()
                .enumerate()
                .any(|(k, &c)| c >= l.moduli[k % l.width()]));
        }
    }
}

#[test]
fn the_jit_runs_automata_as_the_reference_and_the_automaton_do() {
    for (src, t, _, _) in CASES {
        let a = automaton(src);
        for fd in [FloatDtype::F32, FloatDtype::F64] {
            let m = compiled(&a, t, fd);
            for (batch, len) in [(1usize, 1000usize), (3, 257), (8, 257), (33, 100)] {
                let toks = common::tokens(&m, batch, len, (batch * len) as u64);
                let truth = run_automaton(&a, &toks);
                for dt in [Dtype::F32, Dtype::F64] {
                    let got = jit::build(&m, dt)
                        .unwrap_or_else(|e| panic!("{}: {e}", a.name))
                        .run(&toks)
                        .unwrap_or_else(|e| panic!("{}: {e}", a.name));
                    let want = Reference::new(&m, dt).run(&toks).expect("reference runs");
                    let what = format!("{} ({t}, {fd:?} file, {dt:?}, batch {batch})", a.name);
                    assert!(got == want, "{what}: JIT and reference disagree");
                    assert!(got == truth, "{what}: not the automaton's states");
                }
            }
        }
    }
}

#[test]
fn the_gpu_runs_automata_as_the_reference_and_the_automaton_do() {
    if !gpu_present() {
        return;
    }
    for (src, t, _, _) in CASES {
        let a = automaton(src);
        let m = compiled(&a, t, FloatDtype::F32);
        let exec = gpu::build(&m, Dtype::F32).unwrap_or_else(|e| panic!("{}: {e}", a.name));
        for (batch, len) in [(1usize, 1000usize), (3, 257), (8, 257), (33, 100)] {
            let toks = common::tokens(&m, batch, len, (batch + len) as u64);
            let got = exec
                .run(&toks)
                .unwrap_or_else(|e| panic!("{}: {e}", a.name));
            let want = Reference::new(&m, Dtype::F32)
                .run(&toks)
                .expect("reference runs");
            let what = format!("{} ({t}, batch {batch})", a.name);
            assert!(got == want, "{what}: GPU and reference disagree");
            assert!(got == run_automaton(&a, &toks), "{what}: wrong states");
        }
    }
}

/// A copy of `m` with the first readout entry whose change the CPU
/// verifier catches within `len` pointed at another state, and that
/// verifier's report on it.
fn broken(m: &ValidModel, len: usize) -> (ValidModel, gssm_runtime::exec::ExhaustiveReport) {
    let states = m.order() as u32;
    let entries = m
        .diagonal()
        .and_then(|d| d.readout.as_ref())
        .expect("a readout")
        .len();
    for e in 0..entries {
        let mut bad = m.clone().into_model();
        let d = bad.diagonal_mut().expect("diagonal");
        let r = d.readout.as_mut().expect("a readout");
        r[e] = (r[e] + 1) % states;
        let bad = validate(bad, &LoadLimits::default()).expect("still a valid model");
        let cpu = exhaustive_cpu::<f32>(&bad, len);
        if cpu.mismatches > 0 {
            return (bad, cpu);
        }
    }
    panic!("no readout entry is read within length {len}");
}

#[test]
fn exhaustive_checks_on_the_jit_pass_automata_and_catch_a_broken_readout() {
    for (src, t, _, len) in CASES {
        let a = automaton(src);
        let m = compiled(&a, t, FloatDtype::F32);
        let want = expected_sequences(m.num_tokens() as u64, len, (0, 1)).unwrap();
        for dt in [Dtype::F32, Dtype::F64] {
            let r = jit::exhaustive(&m, dt, len).unwrap_or_else(|e| panic!("{}: {e}", a.name));
            assert_eq!(
                (r.sequences, r.mismatches, r.first_failure),
                (want, 0, None),
                "{} ({t}, {dt:?}) at length {len}",
                a.name
            );
        }
        let (bad, cpu) = broken(&m, len);
        let got = jit::exhaustive(&bad, Dtype::F32, len).expect("runs");
        assert_eq!(got, cpu, "{} with a broken readout", a.name);
    }
}

#[test]
fn exhaustive_checks_on_the_gpu_pass_automata_and_catch_a_broken_readout() {
    if !gpu_present() {
        return;
    }
    for (src, t, _, len) in CASES {
        let a = automaton(src);
        let m = compiled(&a, t, FloatDtype::F32);
        // Lavapipe runs about 10^5 sequences a second per model.
        let len = len.min(if m.num_tokens() > 2 { 8 } else { 12 });
        let want = expected_sequences(m.num_tokens() as u64, len, (0, 1)).unwrap();
        let r = gpu::exhaustive(&m, len, (0, 1)).unwrap_or_else(|e| panic!("{}: {e}", a.name));
        assert_eq!(
            (r.sequences, r.mismatches, r.first_failure),
            (want, 0, None),
            "{} ({t}) at length {len}",
            a.name
        );
        let h = gpu::horizon(&m, 64, 4096, 7).unwrap_or_else(|e| panic!("{}: {e}", a.name));
        assert_eq!(h.horizon, None, "{} failed a random sequence", a.name);
        let (bad, cpu) = broken(&m, len);
        let got = gpu::exhaustive(&bad, len, (0, 1)).expect("runs");
        assert_eq!(got, cpu, "{} with a broken readout", a.name);
    }
}

#[test]
fn verify_checks_automata_on_the_jit_by_default() {
    let opts = VerifyOptions {
        length: Some(6),
        horizon_len: 2000,
        dtypes: vec![Dtype::F32],
        ..VerifyOptions::default()
    };
    for (src, t, _, _) in CASES {
        let a = automaton(src);
        let m = compiled(&a, t, FloatDtype::F32);
        assert_eq!(opts.backend_for(&m), Backend::Jit, "{}", a.name);
        let r = verify(&m, &opts, None, &mut ()).unwrap_or_else(|e| panic!("{}: {e}", a.name));
        assert_eq!(r.exhaustive_backend, "jit", "{}", a.name);
        assert!(r.ok, "{}: {r:?}", a.name);
    }
}
