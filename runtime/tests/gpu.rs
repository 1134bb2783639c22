//! The GPU backend against the reference executor and a CPU brute force.
//!
//! These run on whatever adapter wgpu finds; on a machine without a GPU that
//! is Mesa's software Vulkan driver (lavapipe). Without any adapter they are
//! skipped with a message, except in CI (CI=true), where that is a failure.

use gssm_runtime::exec::gpu::{self, ExhaustiveReport, GpuExecutor};
use gssm_runtime::exec::reference::{Reference, Stepper};
use gssm_runtime::exec::{ExecError, Executor};
use gssm_runtime::format::LoadLimits;
use gssm_runtime::ir::{Coord, FloatDtype, Layer, Model};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::synth;
use gssm_runtime::tokens::Tokens;
use gssm_runtime::truth::running_products;
use gssm_runtime::valid::{validate, ValidModel};
use std::f64::consts::TAU;

fn gpu_present() -> bool {
    match gpu::adapter() {
        Ok(name) => {
            eprintln!("GPU adapter: {name}");
            true
        }
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI must run the GPU tests, but {e}");
            }
            eprintln!("skipping GPU test: {e}");
            false
        }
    }
}

/// SplitMix64, so every random model is reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
}

/// Validate a synthetic model over C_order (test models are always valid).
fn valid(model: Model) -> ValidModel {
    validate(model, &LoadLimits::default()).expect("a valid synthetic model")
}

fn synthetic(
    layers: Vec<Layer>,
    readout: Vec<u32>,
    order: usize,
    token_elements: Vec<u32>,
) -> ValidModel {
    // The GPU computes in f32 whatever the file stores.
    synth::valid_cyclic_model(layers, readout, order, token_elements, FloatDtype::F64)
}

/// A layer with exact unit phases a = exp(2πi c/n), b = 0, h0 = 1.
fn unit_layer(moduli: Vec<u32>, codes: Vec<u32>, num_tokens: usize, cocycle: Vec<u32>) -> Layer {
    let w = moduli.len();
    let phase = |k: usize| TAU * codes[k] as f64 / moduli[k % w] as f64;
    Layer {
        coords: vec![gssm_runtime::ir::Coord::Phase; moduli.len()],
        num_tokens,
        a_re: (0..codes.len()).map(|k| phase(k).cos()).collect(),
        a_im: (0..codes.len()).map(|k| phase(k).sin()).collect(),
        b_re: vec![0.0; codes.len()],
        b_im: vec![0.0; codes.len()],
        h0_re: vec![1.0; w],
        h0_im: vec![0.0; w],
        phase: None,
        transition_code: codes,
        moduli,
        cocycle,
    }
}

/// A random valid model: 0..=4 layers of widths 1..=3, moduli 2..=12,
/// random cocycles and readout, over a cyclic group's Cayley table.
fn random_model(seed: u64) -> ValidModel {
    let mut r = Rng(seed);
    let order = r.range(1, 12) as usize;
    let k = r.range(0, 4) as usize;
    let v0 = r.range(1, 8) as usize;
    let mut tokens: Vec<usize> = vec![v0];
    for _ in 1..k {
        tokens.push(r.range(1, 6) as usize);
    }
    let mut layers = Vec::new();
    // The readout has one entry per joint state code: keep it small.
    let mut joint = 1u64;
    for i in 0..k {
        let w = r.range(1, 3) as usize;
        let mut moduli: Vec<u32> = (0..w).map(|_| r.range(2, 12) as u32).collect();
        while joint * moduli.iter().map(|&n| n as u64).product::<u64>() > 1 << 14 {
            moduli.pop();
            if moduli.is_empty() {
                moduli.push(2);
                break;
            }
        }
        let w = moduli.len();
        joint *= moduli.iter().map(|&n| n as u64).product::<u64>();
        let v = tokens[i];
        let codes: Vec<u32> = (0..v * w)
            .map(|e| r.below(moduli[e % w] as u64) as u32)
            .collect();
        let num_codes: usize = moduli.iter().map(|&n| n as usize).product();
        let cocycle = if i + 1 < k {
            (0..num_codes * v)
                .map(|_| r.below(tokens[i + 1] as u64) as u32)
                .collect()
        } else {
            vec![]
        };
        layers.push(unit_layer(moduli, codes, v, cocycle));
    }
    let joint: usize = layers.iter().map(|l| l.num_codes()).product();
    let readout = (0..joint).map(|_| r.below(order as u64) as u32).collect();
    let token_elements = (0..v0).map(|_| r.below(order as u64) as u32).collect();
    synthetic(layers, readout, order, token_elements)
}

/// A genuine construction for the cyclic group C_n: one layer of width 1,
/// token t = element t, readout the identity map. Tracks C_n exactly.
fn cyclic_model(n: u32) -> ValidModel {
    let layer = unit_layer(vec![n], (0..n).collect(), n as usize, vec![]);
    let order = n as usize;
    synthetic(vec![layer], (0..n).collect(), order, (0..n).collect())
}

fn random_tokens(r: &mut Rng, v: usize, batch: usize, len: usize) -> Vec<u32> {
    (0..batch * len).map(|_| r.below(v as u64) as u32).collect()
}

fn reference_f32(model: &ValidModel, tokens: &Tokens) -> Vec<u32> {
    Reference::new(model, Dtype::F32)
        .run(tokens)
        .expect("reference runs")
}

#[test]
fn gpu_matches_reference_on_random_models() {
    if !gpu_present() {
        return;
    }
    for seed in 0..40u64 {
        let model = random_model(seed);
        let exec = gpu::build(&model, Dtype::F32).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let mut r = Rng(seed ^ 0xABCD);
        let (batch, len) = (r.range(1, 70) as usize, r.range(0, 37) as usize);
        let ids = random_tokens(&mut r, model.num_tokens(), batch, len);
        let tokens = Tokens::new(&model, batch, len, ids).expect("valid tokens");
        let want = reference_f32(&model, &tokens);
        let got = exec
            .run(&tokens)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(got, want, "seed {seed}: GPU and reference disagree");
    }
}

#[test]
fn chunking_in_sequences_and_time_gives_the_same_outputs() {
    if !gpu_present() {
        return;
    }
    for seed in [3u64, 11, 17, 29] {
        let model = random_model(seed);
        let mut r = Rng(seed);
        let (batch, len) = (301, 53);
        let ids = random_tokens(&mut r, model.num_tokens(), batch, len);
        let tokens = Tokens::new(&model, batch, len, ids).expect("valid tokens");
        let want = reference_f32(&model, &tokens);
        for bytes in [16u64, 100, 1000, 1 << 20] {
            let exec = GpuExecutor::new(&model, Dtype::F32)
                .expect("builds")
                .with_chunk_bytes(bytes);
            let (got, prof) = exec.run_profiled(&tokens).expect("runs");
            assert_eq!(
                got, want,
                "seed {seed}, chunk {bytes} bytes ({} chunks)",
                prof.chunks
            );
        }
    }
}

#[test]
fn genuine_cyclic_models_track_the_group() {
    if !gpu_present() {
        return;
    }
    for n in [2u32, 5, 12, 60] {
        let model = cyclic_model(n);
        let mut r = Rng(n as u64);
        let ids = random_tokens(&mut r, n as usize, 64, 300);
        let tokens = Tokens::new(&model, 64, 300, ids).expect("valid tokens");
        let got = gpu::build(&model, Dtype::F32)
            .expect("builds")
            .run(&tokens)
            .expect("runs");
        assert_eq!(got, running_products(&model, &tokens), "C{n}");
    }
}

/// The CPU brute force the device's exhaustive check must equal: every
/// length-`len` sequence through the reference executor in f32, each
/// sequence of length 1..=len counted once (as the prefix of the sequence
/// that continues it with zeros), the first failure being the
/// lexicographically first failing sequence cut after its first wrong step.
fn cpu_exhaustive(model: &ValidModel, len: usize, shard: (u64, u64)) -> ExhaustiveReport {
    let v = model.num_tokens() as u64;
    let total = v.pow(len as u32);
    let (start, end) = (total * shard.0 / shard.1, total * (shard.0 + 1) / shard.1);
    let count = (end - start) as usize;
    let mut ids = Vec::with_capacity(count * len);
    for idx in start..end {
        let mut seq = vec![0u32; len];
        let mut x = idx;
        for t in seq.iter_mut().rev() {
            *t = (x % v) as u32;
            x /= v;
        }
        ids.extend(seq);
    }
    let tokens = Tokens::new(model, count, len, ids).expect("valid tokens");
    let out = reference_f32(model, &tokens);
    let truth = running_products(model, &tokens);
    let mut report = ExhaustiveReport {
        sequences: 0,
        mismatches: 0,
        first_failure: None,
    };
    for b in 0..count {
        let row = tokens.row(b);
        let mut first_wrong = None;
        for t in 0..len {
            let wrong = out[b * len + t] != truth[b * len + t];
            if wrong && first_wrong.is_none() {
                first_wrong = Some(t);
            }
            if row[t + 1..].iter().all(|&x| x == 0) {
                report.sequences += 1;
                report.mismatches += wrong as u64;
            }
        }
        if let (Some(t), None) = (first_wrong, &report.first_failure) {
            report.first_failure = Some(row[..=t].to_vec());
        }
    }
    report
}

/// Change one readout entry: the model is then wrong on some sequences.
fn corrupt_readout(model: &mut Model, which: u64) {
    let order = model.order() as u32;
    let d = model.diagonal_mut().expect("diagonal");
    let r = d.readout.as_mut().expect("a readout table");
    let e = (which % r.len() as u64) as usize;
    r[e] = (r[e] + 1) % order;
}

/// Change one cocycle entry of the first layer that has one.
fn corrupt_cocycle(model: &mut Model, which: u64) -> bool {
    let d = model.diagonal_mut().expect("diagonal");
    let k = d.layers.len();
    for i in 0..k.saturating_sub(1) {
        let next = d.layers[i + 1].num_tokens as u32;
        let l = &mut d.layers[i];
        if next > 1 && !l.cocycle.is_empty() {
            let e = (which % l.cocycle.len() as u64) as usize;
            l.cocycle[e] = (l.cocycle[e] + 1) % next;
            return true;
        }
    }
    false
}

#[test]
fn exhaustive_counts_equal_the_cpu_brute_force() {
    if !gpu_present() {
        return;
    }
    let mut checked_failures = 0;
    for seed in 0..24u64 {
        let model = random_model(seed);
        let v = model.num_tokens() as u64;
        // Keep the CPU side small: at most a few thousand sequences.
        let len = (1..=6usize)
            .rev()
            .find(|&l| v.pow(l as u32) <= 3000)
            .unwrap_or(1);
        for shard in [(0u64, 1u64), (1, 3), (4, 7)] {
            let want = cpu_exhaustive(&model, len, shard);
            let got =
                gpu::exhaustive(&model, len, shard).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert_eq!(got, want, "seed {seed}, length {len}, shard {shard:?}");
            checked_failures += (want.mismatches > 0) as usize;
        }
        // Small dispatches: many per submission and several submissions,
        // and windows of a few steps, the state handed over between them.
        let want = cpu_exhaustive(&model, len, (0, 1));
        for (prefixes, steps) in [(1u64, gpu::STEPS_PER_DISPATCH), (13, 2), (u64::MAX, 5)] {
            let got = gpu::exhaustive_chunked(&model, len, (0, 1), prefixes, steps)
                .expect("runs")
                .report;
            assert_eq!(
                got, want,
                "seed {seed}, {prefixes} prefixes and {steps} steps per dispatch"
            );
        }
    }
    // Random readouts mean random models are mostly wrong: the comparison
    // above must have covered failures, not only clean runs.
    assert!(
        checked_failures > 10,
        "only {checked_failures} runs had failures"
    );
}

#[test]
fn shards_add_up_to_the_whole() {
    if !gpu_present() {
        return;
    }
    let model = random_model(7);
    let v = model.num_tokens() as u64;
    let len = (1..=7usize)
        .rev()
        .find(|&l| v.pow(l as u32) <= 20000)
        .unwrap_or(1);
    let all: u64 = (1..=len as u32).map(|l| v.pow(l)).sum();
    let whole = gpu::exhaustive_shard(&model, len, (0, 1)).expect("runs");
    assert!(whole.is_whole());
    assert_eq!((whole.length, whole.shard), (len, (0, 1)));
    // Counted on the device, and equal to Σ_{l≤L} V^l.
    assert_eq!((whole.report.sequences, whole.expected), (all, all));
    let n = 5u64;
    let parts: Vec<gpu::ExhaustiveShard> = (0..n)
        .map(|i| gpu::exhaustive_shard(&model, len, (i, n)).expect("runs"))
        .collect();
    for (i, p) in parts.iter().enumerate() {
        assert!(!p.is_whole());
        assert_eq!(p.shard, (i as u64, n));
        assert_eq!(p.report.sequences, p.expected, "shard {i}");
    }
    assert_eq!(parts.iter().map(|p| p.report.sequences).sum::<u64>(), all);
    assert_eq!(
        parts.iter().map(|p| p.report.mismatches).sum::<u64>(),
        whole.report.mismatches
    );
    assert_eq!(
        parts.iter().find_map(|p| p.report.first_failure.clone()),
        whole.report.first_failure
    );
    // More shards than sequences: the empty ones count nothing.
    let m = all + 3;
    let tiny: u64 = (0..m)
        .map(|i| {
            let p = gpu::exhaustive_shard(&model, 1, (i, m)).expect("runs");
            assert_eq!(p.report.sequences, p.expected);
            p.report.sequences
        })
        .sum();
    assert_eq!(tiny, v);
}

#[test]
fn genuine_model_is_clean_and_a_corrupted_one_is_caught_at_the_cpu_first_failure() {
    if !gpu_present() {
        return;
    }
    let model = cyclic_model(6);
    let clean = gpu::exhaustive(&model, 5, (0, 1)).expect("runs");
    assert_eq!(clean.mismatches, 0);
    assert_eq!(clean.first_failure, None);
    assert_eq!(clean.sequences, (1..=5).map(|l| 6u64.pow(l)).sum::<u64>());
    for which in [0u64, 3, 5] {
        let mut bad = model.clone().into_model();
        corrupt_readout(&mut bad, which);
        let bad = valid(bad);
        let got = gpu::exhaustive(&bad, 5, (0, 1)).expect("runs");
        let want = cpu_exhaustive(&bad, 5, (0, 1));
        assert!(got.mismatches > 0, "corruption {which} went unnoticed");
        assert_eq!(got, want, "readout entry {which} corrupted");
    }
    // A deeper model whose cocycle is corrupted.
    for seed in 0..40u64 {
        let mut m = random_model(seed).into_model();
        if m.diagonal().expect("diagonal").layers.len() < 2 {
            continue;
        }
        let v = m.num_tokens() as u64;
        let len = (1..=5usize)
            .rev()
            .find(|&l| v.pow(l as u32) <= 2000)
            .unwrap_or(1);
        if !corrupt_cocycle(&mut m, seed) {
            continue;
        }
        let m = valid(m);
        let got = gpu::exhaustive(&m, len, (0, 1)).expect("runs");
        assert_eq!(
            got,
            cpu_exhaustive(&m, len, (0, 1)),
            "seed {seed}: corrupted cocycle"
        );
    }
}

/// One layer over C2 whose only token is the identity: V^L stays 1.
fn one_token_model() -> ValidModel {
    let one = unit_layer(vec![2], vec![0], 1, vec![]);
    synthetic(vec![one], vec![0, 1], 2, vec![0])
}

/// A C_n model whose token 1 carries a phase error δ = (π/n)/(m + 1/2): its
/// state code is wrong exactly once token 1 has occurred m+1 times (far from
/// any rounding boundary, so every executor agrees on the step).
fn drifting_model(n: u32, m: u32) -> ValidModel {
    let mut model = cyclic_model(n).into_model();
    let delta = (std::f64::consts::PI / n as f64) / (m as f64 + 0.5);
    let l = &mut model.diagonal_mut().expect("diagonal").layers[0];
    let phase = TAU / n as f64 + delta;
    l.a_re[1] = phase.cos();
    l.a_im[1] = phase.sin();
    valid(model)
}

#[test]
fn horizon_matches_a_cpu_replay() {
    if !gpu_present() {
        return;
    }
    let model = cyclic_model(7);
    let clean = gpu::horizon(&model, 200, 3000, 1).expect("runs");
    assert_eq!(clean.horizon, None);
    assert_eq!(
        (clean.sequences, clean.max_len, clean.dtype),
        (200, 3000, "f32")
    );

    // The last case cannot fail: 100 steps never use token 1 201 times.
    for (n, m, seqs, max_len, seed, fails) in [
        (5u32, 20u32, 100u32, 2000u32, 9u64, true),
        (12, 3, 1000, 500, 1 << 40, true),
        (3, 200, 30, 100, 5, false),
    ] {
        let model = drifting_model(n, m);
        let got = gpu::horizon(&model, seqs, max_len, seed).expect("runs");
        // Replay the same sequences on the CPU reference in f32.
        let stepper = Stepper::<f32>::new(&model);
        let mut want: Option<usize> = None;
        for s in 0..seqs {
            let toks = gpu::horizon_tokens(seed, s, max_len as usize, model.num_tokens() as u32);
            let mut st = stepper.init();
            let mut g = 0u32;
            for (t, &x) in toks.iter().enumerate() {
                g = model.next_output(g, x);
                if stepper.step(&mut st, x) != g {
                    want = Some(want.map_or(t + 1, |w| w.min(t + 1)));
                    break;
                }
            }
        }
        assert_eq!(want.is_some(), fails, "C{n} drifting after {m} uses");
        assert_eq!(
            got.horizon, want,
            "C{n} drifting after {m} uses, seed {seed}"
        );
    }
}

#[test]
fn horizon_tokens_are_seeded_and_in_range() {
    let a = gpu::horizon_tokens(42, 3, 100, 7);
    assert_eq!(a, gpu::horizon_tokens(42, 3, 100, 7));
    assert_ne!(a, gpu::horizon_tokens(43, 3, 100, 7));
    assert_ne!(a, gpu::horizon_tokens(42, 4, 100, 7));
    assert!(a.iter().all(|&t| t < 7));
    // Every token value shows up: the generator is not stuck.
    assert!((0..7).all(|x| a.contains(&x)));
}

#[test]
fn unsupported_dtypes_are_refused() {
    let model = cyclic_model(3);
    for d in [Dtype::F64, Dtype::F16, Dtype::Bf16] {
        match gpu::build(&model, d) {
            Err(ExecError::UnsupportedDtype { backend: "gpu", .. }) => {}
            Err(e) => panic!("{d:?}: wrong error {e}"),
            Ok(_) => panic!("{d:?} should be refused"),
        }
    }
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    if !gpu_present() {
        return;
    }
    let model = cyclic_model(4);
    let exec = gpu::build(&model, Dtype::F32).expect("builds");
    // Tokens validated against a larger alphabet than this model's.
    let tokens = Tokens::with_limit(10, 1, 3, vec![1, 9, 2]).expect("valid for 10");
    assert!(matches!(exec.run(&tokens), Err(ExecError::Backend(_))));
    // Empty batches and empty sequences.
    for (b, l) in [(0usize, 5usize), (5, 0), (0, 0)] {
        let t = Tokens::new(&model, b, l, vec![]).expect("empty");
        assert_eq!(exec.run(&t).expect("runs"), Vec::<u32>::new());
    }
    // Shards that do not exist; lengths beyond 2^64 sequences.
    assert!(gpu::exhaustive(&model, 2, (1, 1)).is_err());
    assert!(gpu::exhaustive(&model, 2, (0, 0)).is_err());
    assert!(gpu::exhaustive(&model, 40, (0, 1)).is_err());
    assert_eq!(
        gpu::exhaustive(&model, 0, (0, 1)).expect("runs"),
        ExhaustiveReport {
            sequences: 0,
            mismatches: 0,
            first_failure: None
        }
    );
}

#[test]
fn models_without_layers_or_with_one_token_run() {
    if !gpu_present() {
        return;
    }
    // No layers: the readout's single entry is every output.
    let m = synthetic(vec![], vec![0], 1, vec![0]);
    let t = Tokens::new(&m, 3, 4, vec![0; 12]).expect("valid");
    assert_eq!(
        gpu::build(&m, Dtype::F32)
            .expect("builds")
            .run(&t)
            .expect("runs"),
        vec![0; 12]
    );
    let r = gpu::exhaustive(&m, 50, (0, 1)).expect("runs");
    assert_eq!((r.sequences, r.mismatches), (50, 0));
    // One token, long sequences: V^L stays 1. At 40,000 steps the one
    // invocation's work spans three dispatches.
    let c1 = one_token_model();
    let r = gpu::exhaustive(&c1, 300, (0, 1)).expect("runs");
    assert_eq!((r.sequences, r.mismatches), (300, 0));
    let r = gpu::exhaustive(&c1, 40_000, (0, 1)).expect("runs");
    assert_eq!((r.sequences, r.mismatches), (40_000, 0));
}

/// Windows that split the prefix and the branches over the last token at
/// every point: the same counts and first failure as the CPU, whole and in
/// shards.
#[test]
fn exhaustive_windows_split_prefixes_and_branches_anywhere() {
    if !gpu_present() {
        return;
    }
    let mut model = cyclic_model(12).into_model();
    corrupt_readout(&mut model, 7);
    let model = valid(model);
    for len in [1usize, 2, 3] {
        for shard in [(0u64, 1u64), (2, 5)] {
            let want = cpu_exhaustive(&model, len, shard);
            assert!(want.mismatches > 0 || shard.1 > 1);
            for steps in [1u32, 2, 3, 5, 12, 13] {
                let got = gpu::exhaustive_chunked(&model, len, shard, 5, steps).expect("runs");
                assert_eq!(
                    got.report, want,
                    "length {len}, shard {shard:?}, {steps} steps"
                );
                assert_eq!(got.expected, want.sequences);
            }
        }
    }
}

/// The first model of the random family with at least `layers` layers.
fn random_model_with_layers(layers: usize) -> ValidModel {
    (0..)
        .map(random_model)
        .find(|m| m.diagonal().expect("diagonal").layers.len() >= layers && m.num_tokens() > 1)
        .expect("some seed has that many layers")
}

/// 150,000 steps: more than twice the 65,535 loop iterations lavapipe runs
/// before silently leaving a loop, and nine dispatches of
/// `gpu::STEPS_PER_DISPATCH`.
const LONG: usize = 150_000;

#[test]
fn one_long_sequence_matches_the_reference_at_every_step() {
    if !gpu_present() {
        return;
    }
    // One layer that drifts (token 1 is wrong after 40 uses), and several
    // layers with cocycles.
    for (name, model) in [
        ("C7 drifting", drifting_model(7, 40)),
        ("3 layers", random_model_with_layers(3)),
    ] {
        let mut r = Rng(LONG as u64);
        let ids = random_tokens(&mut r, model.num_tokens(), 1, LONG);
        let tokens = Tokens::new(&model, 1, LONG, ids).expect("valid tokens");
        let want = reference_f32(&model, &tokens);
        let exec = GpuExecutor::new(&model, Dtype::F32).expect("builds");
        let (got, prof) = exec.run_profiled(&tokens).expect("runs");
        assert_eq!(prof.chunks, 1, "{name}: one chunk, split into dispatches");
        if let Some(t) = (0..LONG).find(|&t| got[t] != want[t]) {
            panic!(
                "{name}: GPU and reference differ first at step {} of {LONG}",
                t + 1
            );
        }
        // Several sequences, chunked in time as well as in dispatches.
        let (batch, len) = (3, 20_000);
        let ids = random_tokens(&mut r, model.num_tokens(), batch, len);
        let tokens = Tokens::new(&model, batch, len, ids).expect("valid tokens");
        let want = reference_f32(&model, &tokens);
        let exec = GpuExecutor::new(&model, Dtype::F32)
            .expect("builds")
            .with_chunk_bytes(20_000)
            .with_dispatch_steps(1_000);
        let (got, prof) = exec.run_profiled(&tokens).expect("runs");
        assert!(prof.chunks > 1);
        assert_eq!(got, want, "{name}: time chunks and dispatches");
    }
}

#[test]
fn tiny_dispatches_give_the_same_outputs() {
    if !gpu_present() {
        return;
    }
    for seed in [3u64, 11, 17, 29] {
        let model = random_model(seed);
        let mut r = Rng(seed);
        let (batch, len) = (37, 101);
        let ids = random_tokens(&mut r, model.num_tokens(), batch, len);
        let tokens = Tokens::new(&model, batch, len, ids).expect("valid tokens");
        let want = reference_f32(&model, &tokens);
        for (bytes, steps) in [(1u64 << 20, 4u32), (1 << 20, 9), (1000, 8), (16, 4)] {
            let exec = GpuExecutor::new(&model, Dtype::F32)
                .expect("builds")
                .with_chunk_bytes(bytes)
                .with_dispatch_steps(steps);
            let got = exec.run(&tokens).expect("runs");
            assert_eq!(got, want, "seed {seed}, {bytes} bytes, {steps} steps");
        }
    }
}

#[test]
fn horizon_is_the_same_in_windows_of_any_size() {
    if !gpu_present() {
        return;
    }
    for (n, m, seqs, max_len, seed) in [(5u32, 20u32, 50u32, 1500u32, 9u64), (3, 200, 20, 300, 5)] {
        let model = drifting_model(n, m);
        let whole = gpu::horizon(&model, seqs, max_len, seed).expect("runs");
        for steps in [1u32, 7, 64] {
            let got = gpu::horizon_chunked(&model, seqs, max_len, seed, steps).expect("runs");
            assert_eq!(
                got, whole,
                "C{n} drifting after {m}, {steps} steps per dispatch"
            );
        }
    }
}

/// A failure far past one dispatch and past lavapipe's loop bound: C3 whose
/// token 1 drifts off after 30,000 uses (around step 90,000) is caught at
/// the step the CPU finds stepping the same sequences in f32.
#[test]
fn horizon_beyond_one_dispatch_finds_the_cpu_first_wrong_step() {
    if !gpu_present() {
        return;
    }
    let model = drifting_model(3, 30_000);
    let (seqs, max_len, seed) = (3u32, LONG as u32, 4u64);
    let got = gpu::horizon(&model, seqs, max_len, seed).expect("runs");
    let stepper = Stepper::<f32>::new(&model);
    let mut want: Option<usize> = None;
    for s in 0..seqs {
        let toks = gpu::horizon_tokens(seed, s, max_len as usize, 3);
        let mut st = stepper.init();
        let mut g = 0u32;
        for (t, &x) in toks.iter().enumerate() {
            g = model.next_output(g, x);
            if stepper.step(&mut st, x) != g {
                want = Some(want.map_or(t + 1, |w| w.min(t + 1)));
                break;
            }
        }
    }
    let w = want.expect("the drifting model fails within 150,000 steps");
    assert!(w > 4 * gpu::STEPS_PER_DISPATCH as usize, "fails at {w}");
    assert_eq!(got.horizon, want);
}

/// On lavapipe, a dispatch longer than the driver's loop bound comes back
/// short: that must be an error naming the invocation. On drivers without
/// such a bound the same calls must be right.
#[test]
fn work_the_driver_cuts_short_is_an_error_not_a_wrong_answer() {
    if !gpu_present() {
        return;
    }
    let lavapipe = gpu::adapter().is_ok_and(|a| a.contains("llvmpipe"));
    let check = |what: &str, r: Result<(), ExecError>| match r {
        Ok(()) => assert!(!lavapipe, "{what}: lavapipe ran 100,000 loop iterations"),
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains("the GPU driver stopped invocation 0"),
                "{what}: {msg}"
            );
            eprintln!("{what}: {msg}");
        }
    };
    let model = drifting_model(7, 40);
    let mut r = Rng(1);
    let ids = random_tokens(&mut r, model.num_tokens(), 1, LONG);
    let tokens = Tokens::new(&model, 1, LONG, ids).expect("valid tokens");
    let exec = GpuExecutor::new(&model, Dtype::F32)
        .expect("builds")
        .with_dispatch_steps(100_000);
    check(
        "run",
        exec.run(&tokens)
            .map(|got| assert_eq!(got, reference_f32(&model, &tokens))),
    );
    let clean = cyclic_model(7);
    check(
        "horizon",
        gpu::horizon_chunked(&clean, 1, LONG as u32, 3, 100_000).map(|_| ()),
    );
    check(
        "exhaustive",
        gpu::exhaustive_chunked(&one_token_model(), LONG, (0, 1), u64::MAX, 100_000).map(|s| {
            assert_eq!(s.report.sequences, LONG as u64);
        }),
    );
}

/// A random automaton model: 0..=3 layers of widths 1..=3 mixing phase
/// components (moduli 2..=9, codes that rotate or reset) and registers
/// (codes that keep or write a bit), random initial digits, cocycles and
/// readout, and a random transition table (so most sequences fail).
fn random_automaton(seed: u64) -> ValidModel {
    let mut r = Rng(seed);
    let states = r.range(1, 7) as usize;
    let k = r.range(0, 3) as usize;
    let v0 = r.range(1, 6) as usize;
    let tokens: Vec<usize> = (0..k)
        .map(|i| if i == 0 { v0 } else { r.range(1, 6) as usize })
        .collect();
    let mut layers = Vec::with_capacity(k);
    for i in 0..k {
        let w = r.range(1, 3) as usize;
        let coords: Vec<Coord> = (0..w)
            .map(|_| {
                if r.below(2) == 0 {
                    Coord::Phase
                } else {
                    Coord::Register
                }
            })
            .collect();
        let moduli: Vec<u32> = coords
            .iter()
            .map(|c| match c {
                Coord::Phase => r.range(2, 9) as u32,
                Coord::Register => 4,
            })
            .collect();
        let bound = |j: usize| match coords[j] {
            Coord::Phase => 2 * moduli[j] as u64,
            Coord::Register => 3,
        };
        let v = tokens[i];
        let codes = (0..v * w).map(|e| r.below(bound(e % w)) as u32).collect();
        let h0: Vec<u32> = moduli.iter().map(|&n| r.below(n as u64) as u32).collect();
        let num_codes: usize = moduli.iter().map(|&n| n as usize).product();
        let cocycle = match tokens.get(i + 1) {
            Some(&nv) => (0..num_codes * v)
                .map(|_| r.below(nv as u64) as u32)
                .collect(),
            None => Vec::new(),
        };
        layers.push(synth::automaton_layer(
            moduli,
            coords,
            codes,
            &h0,
            cocycle,
            FloatDtype::F32,
        ));
    }
    let joint: usize = layers.iter().map(|l| l.num_codes()).product();
    let readout = (0..joint).map(|_| r.below(states as u64) as u32).collect();
    let delta = (0..v0 * states)
        .map(|_| r.below(states as u64) as u32)
        .collect();
    let start = r.below(states as u64) as u32;
    valid(synth::automaton_model(
        layers,
        readout,
        states,
        delta,
        start,
        "aussm",
        FloatDtype::F32,
    ))
}

/// A genuine automaton model: a mod-3 counter (a phase) beside a one-bit
/// flag (a register). `inc` rotates the counter, `reset` resets it to 0
/// and sets the flag, `clear` clears the flag; state = count + 3·flag,
/// starting from state 5 (count 2, flag set).
fn counter_with_flag() -> ValidModel {
    let layer = synth::automaton_layer(
        vec![3, 4],
        vec![Coord::Phase, Coord::Register],
        vec![1, 0, 3, 2, 0, 1],
        &[2, 3],
        Vec::new(),
        FloatDtype::F32,
    );
    let readout = (0..12u32).map(|j| j % 3 + 3 * (j / 3 / 2)).collect();
    let mut delta = Vec::new();
    for v in 0..3u32 {
        delta.extend((0..6u32).map(|q| match v {
            0 => (q % 3 + 1) % 3 + 3 * (q / 3),
            1 => 3,
            _ => q % 3,
        }));
    }
    valid(synth::automaton_model(
        vec![layer],
        readout,
        6,
        delta,
        5,
        "aussm",
        FloatDtype::F32,
    ))
}

#[test]
fn gpu_matches_reference_on_automaton_models() {
    if !gpu_present() {
        return;
    }
    for seed in 0..30u64 {
        let model = random_automaton(seed);
        let exec = gpu::build(&model, Dtype::F32).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let mut r = Rng(seed ^ 0x5A5A);
        for batch in [1usize, 3, 8, 33] {
            let len = r.range(1, 90) as usize;
            let ids = random_tokens(&mut r, model.num_tokens(), batch, len);
            let tokens = Tokens::new(&model, batch, len, ids).expect("valid tokens");
            let got = exec
                .run(&tokens)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert_eq!(
                got,
                reference_f32(&model, &tokens),
                "automaton {seed}, batch {batch}: GPU and reference disagree"
            );
        }
    }
    let model = counter_with_flag();
    let mut r = Rng(5);
    let ids = random_tokens(&mut r, 3, 33, 500);
    let tokens = Tokens::new(&model, 33, 500, ids).expect("valid tokens");
    let got = gpu::build(&model, Dtype::F32)
        .expect("builds")
        .run(&tokens)
        .expect("runs");
    assert_eq!(got, running_products(&model, &tokens), "counter with flag");
}

#[test]
fn automaton_exhaustive_counts_equal_the_cpu_brute_force() {
    if !gpu_present() {
        return;
    }
    let mut failing = 0;
    for seed in 100..116u64 {
        let model = random_automaton(seed);
        let v = model.num_tokens() as u64;
        let len = (1..=6usize)
            .rev()
            .find(|&l| v.pow(l as u32) <= 2000)
            .unwrap_or(1);
        for shard in [(0u64, 1u64), (1, 3)] {
            let want = cpu_exhaustive(&model, len, shard);
            let got =
                gpu::exhaustive(&model, len, shard).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert_eq!(got, want, "automaton {seed}, length {len}, shard {shard:?}");
            failing += usize::from(want.mismatches > 0);
        }
        // Windows of a few steps: the true output is handed over too.
        let got = gpu::exhaustive_chunked(&model, len, (0, 1), 7, 3)
            .expect("runs")
            .report;
        assert_eq!(got, cpu_exhaustive(&model, len, (0, 1)), "automaton {seed}");
    }
    assert!(failing > 8, "only {failing} checks found failures");

    let model = counter_with_flag();
    let clean = gpu::exhaustive(&model, 6, (0, 1)).expect("runs");
    assert_eq!(
        (clean.sequences, clean.mismatches, clean.first_failure),
        ((1..=6).map(|l| 3u64.pow(l)).sum::<u64>(), 0, None)
    );
    for which in [2u64, 3, 9, 11] {
        let mut bad = model.clone().into_model();
        corrupt_readout(&mut bad, which);
        let bad = valid(bad);
        let got = gpu::exhaustive(&bad, 6, (0, 1)).expect("runs");
        assert!(
            got.mismatches > 0,
            "readout[{which}] corrupted went unnoticed"
        );
        assert_eq!(got, cpu_exhaustive(&bad, 6, (0, 1)), "readout[{which}]");
    }
}

#[test]
fn automaton_horizon_matches_a_cpu_replay() {
    if !gpu_present() {
        return;
    }
    let model = counter_with_flag();
    assert_eq!(
        gpu::horizon(&model, 100, 3000, 3).expect("runs").horizon,
        None
    );
    // Broken: one reachable readout entry; the first wrong step of any
    // sequence is found on the host from the same tokens.
    for (which, seed) in [(0u64, 1u64), (4, 2), (10, 3)] {
        let mut bad = model.clone().into_model();
        corrupt_readout(&mut bad, which);
        let bad = valid(bad);
        let (seqs, max_len) = (50u32, 400u32);
        let got = gpu::horizon_chunked(&bad, seqs, max_len, seed, 64).expect("runs");
        let stepper = Stepper::<f32>::new(&bad);
        let mut want: Option<usize> = None;
        for s in 0..seqs {
            let toks = gpu::horizon_tokens(seed, s, max_len as usize, 3);
            let mut st = stepper.init();
            let mut q = bad.initial_output();
            for (t, &x) in toks.iter().enumerate() {
                q = bad.next_output(q, x);
                if stepper.step(&mut st, x) != q {
                    want = Some(want.map_or(t + 1, |w| w.min(t + 1)));
                    break;
                }
            }
        }
        assert!(want.is_some(), "readout[{which}] never read");
        assert_eq!(got.horizon, want, "readout[{which}], seed {seed}");
    }
}
