//! The JIT executor against the reference executor (bit-exact decoded
//! outputs in the same dtype) on random models, and its exhaustive check
//! against a brute force through the reference executor.

use gssm_runtime::exec::jit::{self, ExhaustiveReport, Jit};
use gssm_runtime::exec::reference::Reference;
use gssm_runtime::exec::{build, Backend, ExecError, Executor};
use gssm_runtime::format::LoadLimits;
use gssm_runtime::ir::{FloatDtype, Layer, Model};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::synth;
use gssm_runtime::tokens::Tokens;
use gssm_runtime::truth::running_products;
use gssm_runtime::valid::{validate, ValidModel};
use std::f64::consts::TAU;

/// SplitMix64: every random model and batch is reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
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
    synth::valid_cyclic_model(layers, readout, order, token_elements, FloatDtype::F64)
}

/// A layer with exact root-of-unity transitions a = exp(2πi·c/n), b = 0,
/// h0 = 1 and a random cocycle into `next` tokens.
fn unitary_layer(rng: &mut Rng, v: usize, moduli: Vec<u32>, next: Option<usize>) -> Layer {
    let w = moduli.len();
    let codes: Vec<u32> = (0..v * w)
        .map(|k| rng.below(moduli[k % w] as usize) as u32)
        .collect();
    let phase = |k: usize| TAU * codes[k] as f64 / moduli[k % w] as f64;
    let codes_n: usize = moduli.iter().map(|&n| n as usize).product();
    Layer {
        coords: vec![gssm_runtime::ir::Coord::Phase; moduli.len()],
        num_tokens: v,
        a_re: (0..v * w).map(|k| phase(k).cos()).collect(),
        a_im: (0..v * w).map(|k| phase(k).sin()).collect(),
        b_re: vec![0.0; v * w],
        b_im: vec![0.0; v * w],
        h0_re: vec![1.0; w],
        h0_im: vec![0.0; w],
        phase: None,
        cocycle: match next {
            Some(nv) => (0..codes_n * v).map(|_| rng.below(nv) as u32).collect(),
            None => Vec::new(),
        },
        transition_code: codes,
        moduli,
    }
}

/// A random well-formed model: 0..=4 layers of widths 1..=3 and moduli
/// 2..=12 (narrower where the joint readout would pass 2^16 entries),
/// random cocycles and readout, a cyclic group's table.
fn random_model(seed: u64) -> ValidModel {
    let mut rng = Rng(seed);
    let k = rng.range(0, 4);
    let order = rng.range(1, 10);
    let v0 = rng.range(1, 8);
    let tokens: Vec<usize> = (0..k)
        .map(|i| if i == 0 { v0 } else { rng.range(1, 8) })
        .collect();
    let mut layers = Vec::with_capacity(k);
    let mut joint = 1usize;
    for i in 0..k {
        let w = rng.range(1, 3);
        let mut moduli: Vec<u32> = (0..w).map(|_| rng.range(2, 12) as u32).collect();
        while moduli.len() > 1 && joint * moduli.iter().product::<u32>() as usize > 1 << 16 {
            moduli.pop();
        }
        joint *= moduli.iter().product::<u32>() as usize;
        layers.push(unitary_layer(
            &mut rng,
            tokens[i],
            moduli,
            tokens.get(i + 1).copied(),
        ));
    }
    let joint: usize = layers.iter().map(|l| l.num_codes()).product();
    let readout = (0..joint).map(|_| rng.below(order) as u32).collect();
    model_from(
        layers,
        readout,
        order,
        (0..v0).map(|_| rng.below(order) as u32).collect(),
    )
}

fn model_from(
    layers: Vec<Layer>,
    readout: Vec<u32>,
    order: usize,
    token_elements: Vec<u32>,
) -> ValidModel {
    synthetic(layers, readout, order, token_elements)
}

fn random_tokens(model: &ValidModel, batch: usize, len: usize, seed: u64) -> Tokens {
    let mut rng = Rng(seed);
    let v = model.num_tokens();
    Tokens::new(
        model,
        batch,
        len,
        (0..batch * len).map(|_| rng.below(v) as u32).collect(),
    )
    .unwrap()
}

fn assert_same(model: &ValidModel, tokens: &Tokens, what: &str) {
    for dt in [Dtype::F32, Dtype::F64] {
        let want = Reference::new(model, dt).run(tokens).unwrap();
        let jit = build(model, Backend::Jit, dt).unwrap();
        assert_eq!(jit.backend(), Backend::Jit);
        assert_eq!(jit.dtype(), dt);
        let got = jit.run(tokens).unwrap();
        assert_eq!(got.len(), want.len());
        let diff = got.iter().zip(&want).filter(|(a, b)| a != b).count();
        assert_eq!(
            diff, 0,
            "{what}, {dt:?}: {diff} outputs differ from the reference"
        );
    }
}

#[test]
fn random_models_match_the_reference_exactly() {
    let shapes = [
        (1, 0),
        (3, 0),
        (1, 1),
        (3, 1),
        (7, 1),
        (1024, 1),
        (1, 1000),
        (3, 1000),
        (7, 1000),
        (1024, 0),
    ];
    for seed in 0..40u64 {
        let model = random_model(seed);
        for (s, &(batch, len)) in shapes.iter().enumerate() {
            let tokens = random_tokens(&model, batch, len, seed * 100 + s as u64);
            assert_same(
                &model,
                &tokens,
                &format!("model {seed}, batch {batch} × {len}"),
            );
        }
        if seed % 8 == 0 {
            let tokens = random_tokens(&model, 1024, 1000, seed);
            assert_same(&model, &tokens, &format!("model {seed}, batch 1024 × 1000"));
        }
    }
}

#[test]
fn every_lane_count_and_vector_grouping_matches() {
    for seed in [3u64, 11, 17] {
        let model = random_model(seed);
        for groups in 1..=4 {
            for dt in [Dtype::F32, Dtype::F64] {
                let jit = Jit::with_groups(&model, dt, groups).unwrap();
                let reference = Reference::new(&model, dt);
                for batch in [
                    1,
                    jit.lanes() - 1,
                    jit.lanes(),
                    jit.lanes() + 1,
                    3 * jit.lanes() + 2,
                ] {
                    let tokens = random_tokens(&model, batch.max(1), 300, seed + batch as u64);
                    assert_eq!(
                        jit.run(&tokens).unwrap(),
                        reference.run(&tokens).unwrap(),
                        "model {seed}, {groups} groups, {dt:?}, batch {batch}"
                    );
                }
            }
        }
    }
}

#[test]
fn input_terms_and_general_initial_states_match() {
    // Non-zero b, h0 off the unit circle, transitions of modulus < 1 and
    // mixed signed zeros: the general update path.
    for seed in 100..110u64 {
        let mut model = random_model(seed).into_model();
        let mut rng = Rng(seed ^ 0xABCD);
        for l in &mut model.diagonal_mut().expect("diagonal").layers {
            for k in 0..l.b_re.len() {
                match rng.below(4) {
                    0 => {
                        l.b_re[k] = 0.3 * (rng.unit() - 0.5);
                        l.b_im[k] = 0.3 * (rng.unit() - 0.5);
                    }
                    1 => {
                        l.b_re[k] = -0.0;
                        l.b_im[k] = -0.0;
                    }
                    _ => {}
                }
                let r = 0.9 + 0.1 * rng.unit();
                l.a_re[k] *= r;
                l.a_im[k] *= r;
            }
            for j in 0..l.h0_re.len() {
                l.h0_re[j] = 2.0 * rng.unit() - 1.0;
                l.h0_im[j] = 2.0 * rng.unit() - 1.0;
            }
        }
        let checked = valid(model.clone());
        for &(batch, len) in &[(7, 200), (64, 50)] {
            let tokens = random_tokens(&checked, batch, len, seed);
            assert_same(&checked, &tokens, &format!("model {seed} with input terms"));
        }
        // All input terms -0.0: folded away.
        for l in &mut model.diagonal_mut().expect("diagonal").layers {
            l.b_re
                .iter_mut()
                .chain(l.b_im.iter_mut())
                .for_each(|b| *b = -0.0);
        }
        let model = valid(model);
        let tokens = random_tokens(&model, 9, 100, seed);
        assert_same(&model, &tokens, &format!("model {seed} with b = -0"));
    }
}

#[test]
fn zero_layer_model_outputs_its_single_readout() {
    let model = model_from(Vec::new(), vec![0], 1, vec![0, 0, 0]);
    let tokens = random_tokens(&model, 5, 17, 1);
    assert_same(&model, &tokens, "trivial group");
    let out = jit::build(&model, Dtype::F32)
        .unwrap()
        .run(&tokens)
        .unwrap();
    assert!(out.iter().all(|&y| y == 0));
    let r = jit::exhaustive(&model, Dtype::F64, 4).unwrap();
    assert_eq!(
        (r.sequences, r.mismatches, r.first_failure),
        (3 + 9 + 27 + 81, 0, None)
    );
}

#[test]
fn unsupported_dtypes_and_bad_tokens_are_errors() {
    let model = random_model(5);
    for dt in [Dtype::F16, Dtype::Bf16] {
        assert!(matches!(
            jit::build(&model, dt),
            Err(ExecError::UnsupportedDtype { backend: "jit", .. })
        ));
        assert!(matches!(
            jit::exhaustive(&model, dt, 2),
            Err(ExecError::UnsupportedDtype { .. })
        ));
    }
    // Tokens validated against a larger alphabet must not reach the code.
    let v = model.num_tokens();
    let tokens = Tokens::with_limit(v + 1, 3, 5, vec![v as u32; 15]).unwrap();
    assert!(matches!(
        jit::build(&model, Dtype::F32).unwrap().run(&tokens),
        Err(ExecError::Backend(_))
    ));
}

/// A one-layer model tracking C_n exactly: token x is the element x.
fn cyclic_model(n: u32) -> ValidModel {
    let v = n as usize;
    let phase = |x: usize| TAU * x as f64 / n as f64;
    let layer = Layer {
        coords: vec![gssm_runtime::ir::Coord::Phase],
        moduli: vec![n],
        num_tokens: v,
        transition_code: (0..n).collect(),
        a_re: (0..v).map(|x| phase(x).cos()).collect(),
        a_im: (0..v).map(|x| phase(x).sin()).collect(),
        b_re: vec![0.0; v],
        b_im: vec![0.0; v],
        h0_re: vec![1.0],
        h0_im: vec![0.0],
        phase: None,
        cocycle: Vec::new(),
    };
    model_from(vec![layer], (0..n).collect(), v, (0..n).collect())
}

/// Every sequence of length 1..=len through the reference executor, in
/// depth-first order for the first failure.
fn brute_force(model: &ValidModel, dt: Dtype, len: usize) -> ExhaustiveReport {
    let v = model.num_tokens();
    let reference = Reference::new(model, dt);
    let (mut sequences, mut mismatches, mut failures) = (0u64, 0u64, Vec::new());
    for l in 1..=len {
        let count = v.pow(l as u32);
        let mut ids = Vec::with_capacity(count * l);
        for s in 0..count {
            let mut seq = vec![0u32; l];
            let mut x = s;
            for t in seq.iter_mut().rev() {
                *t = (x % v) as u32;
                x /= v;
            }
            ids.extend_from_slice(&seq);
        }
        let tokens = Tokens::new(model, count, l, ids).unwrap();
        let out = reference.run(&tokens).unwrap();
        let truth = running_products(model, &tokens);
        for s in 0..count {
            sequences += 1;
            if out[s * l + l - 1] != truth[s * l + l - 1] {
                mismatches += 1;
                failures.push(tokens.row(s).to_vec());
            }
        }
    }
    ExhaustiveReport {
        sequences,
        mismatches,
        first_failure: failures.into_iter().min(),
    }
}

#[test]
fn exhaustive_matches_a_brute_force_on_random_models() {
    // Random models do not track their group, so most sequences fail: the
    // counts and the first failure are checked in earnest.
    let mut checked = 0;
    for seed in 200..260u64 {
        let model = random_model(seed);
        let v = model.num_tokens();
        let len = (1..=6)
            .take_while(|&l| v.pow(l as u32) <= 3000)
            .last()
            .unwrap_or(1);
        for dt in [Dtype::F32, Dtype::F64] {
            let want = brute_force(&model, dt, len);
            let got = jit::exhaustive(&model, dt, len).unwrap();
            assert_eq!(got, want, "model {seed}, {dt:?}, length {len}");
        }
        checked += 1;
    }
    assert_eq!(checked, 60);
}

#[test]
fn exhaustive_passes_a_correct_model_and_finds_a_corrupted_entry() {
    for n in [2u32, 5, 12] {
        let model = cyclic_model(n);
        let len = if n == 12 { 5 } else { 7 };
        let total: u64 = (1..=len).map(|l| (n as u64).pow(l as u32)).sum();
        for dt in [Dtype::F32, Dtype::F64] {
            let r = jit::exhaustive(&model, dt, len).unwrap();
            assert_eq!(
                r,
                ExhaustiveReport {
                    sequences: total,
                    mismatches: 0,
                    first_failure: None
                },
                "C{n}"
            );
        }
        for bad in [0, n - 1] {
            let mut corrupt = model.clone().into_model();
            corrupt.diagonal_mut().expect("diagonal").readout[bad as usize] = (bad + 1) % n;
            let corrupt = valid(corrupt);
            let r = jit::exhaustive(&corrupt, Dtype::F32, len).unwrap();
            // Depth first, the first sequence with product `bad` is the
            // all-zero prefix extended by `bad` (or [0] itself).
            let first = if bad == 0 {
                vec![0]
            } else {
                [vec![0; len - 1], vec![bad]].concat()
            };
            // n^(l-1) sequences of each length l have product `bad`.
            let count: u64 = (1..=len).map(|l| (n as u64).pow(l as u32 - 1)).sum();
            assert_eq!(
                r.first_failure,
                Some(first),
                "C{n}, readout[{bad}] corrupted"
            );
            assert_eq!(r.mismatches, count);
            assert_eq!(r, brute_force(&corrupt, Dtype::F32, len));
        }
    }
}

#[test]
fn exhaustive_of_length_zero_checks_nothing() {
    let model = cyclic_model(3);
    let r = jit::exhaustive(&model, Dtype::F32, 0).unwrap();
    assert_eq!((r.sequences, r.mismatches, r.first_failure), (0, 0, None));
}

/// One layer of modulus `n` whose token v moves h0 = 1 to `points[v]` in one
/// step, with the identity readout: the output of [v] is the digit of the
/// point.
fn decoder_model(n: u32, points: &[(f64, f64)]) -> ValidModel {
    let v = points.len();
    let layer = Layer {
        coords: vec![gssm_runtime::ir::Coord::Phase],
        moduli: vec![n],
        num_tokens: v,
        transition_code: vec![0; v],
        a_re: points.iter().map(|p| p.0).collect(),
        a_im: points.iter().map(|p| p.1).collect(),
        b_re: vec![0.0; v],
        b_im: vec![0.0; v],
        h0_re: vec![1.0],
        h0_im: vec![0.0],
        phase: None,
        cocycle: Vec::new(),
    };
    synthetic(vec![layer], (0..n).collect(), n as usize, vec![0; v])
}

#[test]
fn decoded_digits_match_the_reference_away_from_boundaries() {
    let mut rng = Rng(99);
    // Random points in every quadrant and at every scale, the axes, the
    // diagonals and the lattice points themselves.
    let mut points: Vec<(f64, f64)> = (0..3000)
        .map(|_| {
            let (phi, r) = (TAU * rng.unit(), 10f64.powf(6.0 * rng.unit() - 3.0));
            (r * phi.cos(), r * phi.sin())
        })
        .collect();
    for k in 0..16 {
        let phi = TAU * k as f64 / 16.0;
        points.push((phi.cos(), phi.sin()));
    }
    points.extend([
        (1.0, 0.0),
        (-1.0, 0.0),
        (0.0, 1.0),
        (0.0, -1.0),
        (2.0, 1e-30),
        (-3.0, -1e-30),
    ]);
    // Moduli from 2: a modulus of 1 is not a valid layer.
    // Moduli up to the largest group order a model may have.
    for n in (2..=13).chain([16, 60, 360, 1000, 4099, 8192]) {
        let mut pts = points.clone();
        pts.extend((0..n.min(64)).map(|k| {
            let phi = TAU * k as f64 / n as f64;
            (phi.cos(), phi.sin())
        }));
        let model = decoder_model(n, &pts);
        let toks = Tokens::new(&model, pts.len(), 1, (0..pts.len() as u32).collect()).unwrap();
        for (dt, tol) in [
            (Dtype::F32, 1e-6f64.max(2e-7 * n as f64)),
            (Dtype::F64, 1e-12f64.max(1e-15 * n as f64)),
        ] {
            let want = Reference::new(&model, dt).run(&toks).unwrap();
            let got = jit::build(&model, dt).unwrap().run(&toks).unwrap();
            for (v, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(*g < n.max(1), "n = {n}: digit {g} out of range");
                if g != w {
                    // Only a point within `tol` digits of a decision
                    // boundary may decode differently.
                    let (re, im) = match dt {
                        Dtype::F32 => (pts[v].0 as f32 as f64, pts[v].1 as f32 as f64),
                        _ => pts[v],
                    };
                    let y = im.atan2(re) * n as f64 / TAU;
                    let off = (y - y.floor() - 0.5).abs();
                    assert!(off < tol, "n = {n}, {dt:?}: point {:?} decodes to {g}, reference {w}, {off} digits from a boundary", pts[v]);
                }
            }
        }
    }
}

/// Batches smaller than a lane group run in pieces of time with the state
/// carried between them: the outputs are those of one long scan.
#[test]
fn long_sequences_in_partial_groups_match_the_reference() {
    for seed in [3u64, 7, 12] {
        let model = random_model(seed);
        for batch in [1usize, 3] {
            let tokens = random_tokens(&model, batch, 150_001, seed);
            assert_same(&model, &tokens, &format!("model {seed}, batch {batch}"));
        }
    }
}
