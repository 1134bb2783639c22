//! The JIT executor against the reference executor (bit-exact decoded
//! outputs in the same dtype) on random models, and its exhaustive check
//! against a brute force through the reference executor.

use gssm_runtime::exec::jit::{self, ExhaustiveReport, Jit};
use gssm_runtime::exec::reference::Reference;
use gssm_runtime::exec::{build, Backend, ExecError, Executor};
use gssm_runtime::format::LoadLimits;
use gssm_runtime::ir::{Coord, FloatDtype, Layer, Model};
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
                    // Lengths around whole quads and blocks of steps, so
                    // the transposed input and output meet partial ones.
                    let len = [300, 303, 66, 7][batch % 4];
                    let tokens = random_tokens(&model, batch.max(1), len, seed + batch as u64);
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
            corrupt
                .diagonal_mut()
                .and_then(|d| d.readout.as_mut())
                .expect("a readout")[bad as usize] = (bad + 1) % n;
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

/// C60's rounded states do not close: prefixes merge (a·b and b·a round
/// alike) but not into one block, so the walk goes on depth first from
/// weighted states, and its counts must still be the sequences'.
#[test]
fn merged_prefixes_count_as_the_sequences_they_stand_for() {
    let model = cyclic_model(60);
    let total: u64 = (1..=3).map(|l| 60u64.pow(l)).sum();
    for bad in [0u32, 7] {
        let mut corrupt = model.clone().into_model();
        corrupt
            .diagonal_mut()
            .and_then(|d| d.readout.as_mut())
            .expect("a readout")[bad as usize] = bad + 1;
        let corrupt = valid(corrupt);
        for dt in [Dtype::F32, Dtype::F64] {
            let r = jit::exhaustive(&corrupt, dt, 3).unwrap();
            assert_eq!(r.sequences, total);
            assert!(r.mismatches > 0);
            assert_eq!(r, brute_force(&corrupt, dt, 3), "readout[{bad}], {dt:?}");
        }
    }
    // A count past 64 bits is an error, not a wrapped number.
    assert!(jit::exhaustive(&model, Dtype::F32, 11).is_err());
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

/// The comparison decoding (moduli divisible by 4 up to 64) right next to
/// every decision boundary: a thousandth of a digit to either side of each
/// odd multiple of π/n, at several magnitudes, decodes to the digit on its
/// side, in the JIT as in the reference; and the lattice points and zero
/// states decode as the reference does.
#[test]
fn comparison_decoding_decides_next_to_every_boundary() {
    for n in (12..=64).step_by(4).chain([9, 10, 11, 13, 66, 68]) {
        let mut pts = Vec::new();
        let mut want = Vec::new();
        for k in 0..n {
            for (side, d) in [(0u32, -1e-3), (1, 1e-3)] {
                let y = k as f64 + 0.5 + d;
                let phi = TAU * y / n as f64;
                for r in [1e-3, 1.0, 7.5e3] {
                    pts.push((r * phi.cos(), r * phi.sin()));
                    want.push((k + side) % n);
                }
            }
            let phi = TAU * k as f64 / n as f64;
            pts.push((phi.cos(), phi.sin()));
            want.push(k);
        }
        let model = decoder_model(n, &pts);
        let toks = Tokens::new(&model, pts.len(), 1, (0..pts.len() as u32).collect()).unwrap();
        for dt in [Dtype::F32, Dtype::F64] {
            let got = jit::build(&model, dt).unwrap().run(&toks).unwrap();
            assert_eq!(got, want, "n = {n}, {dt:?}");
            assert_eq!(got, Reference::new(&model, dt).run(&toks).unwrap());
        }
        // Zero states: h0 = ±0 ± 0i, a = 1 ± 0i, b = -0 (not added). The
        // arctangent path leaves zero out of its guarantee (see `jit`).
        if n % 4 != 0 || n > 64 {
            continue;
        }
        let zeros = [(0.0, 0.0), (-0.0, 0.0), (0.0, -0.0), (-0.0, -0.0)];
        for ((re, im), ai) in zeros.iter().flat_map(|&z| [(z, 0.0), (z, -0.0)]) {
            let mut m = decoder_model(n, &[(1.0, ai)]).into_model();
            let l = &mut m.diagonal_mut().expect("diagonal").layers[0];
            l.h0_re[0] = re;
            l.h0_im[0] = im;
            l.b_re[0] = -0.0;
            l.b_im[0] = -0.0;
            let m = valid(m);
            let toks = Tokens::new(&m, 3, 2, vec![0; 6]).unwrap();
            for dt in [Dtype::F32, Dtype::F64] {
                assert_eq!(
                    jit::build(&m, dt).unwrap().run(&toks).unwrap(),
                    Reference::new(&m, dt).run(&toks).unwrap(),
                    "n = {n}, h0 = {re:?} + {im:?}i, {dt:?}"
                );
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

/// A random automaton model: 0..=3 layers of widths 1..=3 mixing phase
/// components (moduli 2..=9, codes that rotate or reset) and registers
/// (codes that keep or write a bit), random initial digits, cocycles and
/// readout, and a random transition table. Its outputs mostly disagree with
/// its automaton, so the exhaustive check's failure accounting is tested in
/// earnest.
fn random_automaton(seed: u64) -> ValidModel {
    let mut rng = Rng(seed);
    let states = rng.range(1, 7);
    let k = rng.range(0, 3);
    let v0 = rng.range(1, 6);
    let tokens: Vec<usize> = (0..k)
        .map(|i| if i == 0 { v0 } else { rng.range(1, 6) })
        .collect();
    let mut layers = Vec::with_capacity(k);
    for i in 0..k {
        let w = rng.range(1, 3);
        let coords: Vec<Coord> = (0..w)
            .map(|_| {
                if rng.below(2) == 0 {
                    Coord::Phase
                } else {
                    Coord::Register
                }
            })
            .collect();
        let moduli: Vec<u32> = coords
            .iter()
            .map(|c| match c {
                Coord::Phase => rng.range(2, 9) as u32,
                Coord::Register => 4,
            })
            .collect();
        let code_bound = |j: usize| match coords[j] {
            Coord::Phase => 2 * moduli[j] as usize,
            Coord::Register => 3,
        };
        let v = tokens[i];
        let codes = (0..v * w)
            .map(|e| rng.below(code_bound(e % w)) as u32)
            .collect();
        let h0: Vec<u32> = moduli
            .iter()
            .map(|&n| rng.below(n as usize) as u32)
            .collect();
        let num_codes: usize = moduli.iter().map(|&n| n as usize).product();
        let cocycle = match tokens.get(i + 1) {
            Some(&nv) => (0..num_codes * v).map(|_| rng.below(nv) as u32).collect(),
            None => Vec::new(),
        };
        layers.push(synth::automaton_layer(
            moduli,
            coords,
            codes,
            &h0,
            cocycle,
            FloatDtype::F64,
        ));
    }
    let joint: usize = layers.iter().map(|l| l.num_codes()).product();
    let readout = (0..joint).map(|_| rng.below(states) as u32).collect();
    let delta = (0..v0 * states).map(|_| rng.below(states) as u32).collect();
    let start = rng.below(states) as u32;
    valid(synth::automaton_model(
        layers,
        readout,
        states,
        delta,
        start,
        "aussm",
        FloatDtype::F64,
    ))
}

/// A genuine automaton model: a mod-3 counter (phase, modulus 3) beside a
/// one-bit flag (a register), in one layer. Tokens: `inc` rotates the
/// counter; `reset` resets it to 0 and sets the flag; `clear` clears the
/// flag. State = count + 3·flag, starting from count 2 with the flag set,
/// so h0 is off 1 in both components.
fn counter_with_flag(dtype: FloatDtype) -> ValidModel {
    let layer = synth::automaton_layer(
        vec![3, 4],
        vec![Coord::Phase, Coord::Register],
        // inc: rotate by 1, keep; reset: reset to 0, write 1; clear: keep,
        // write 0.
        vec![1, 0, 3, 2, 0, 1],
        &[2, 3],
        Vec::new(),
        dtype,
    );
    // Joint code p + 3·d, d = 2·flag + the flag before its last write.
    let readout = (0..12u32).map(|j| j % 3 + 3 * (j / 3 / 2)).collect();
    let mut delta = Vec::new();
    for v in 0..3u32 {
        delta.extend((0..6u32).map(|q| {
            let (p, flag) = (q % 3, q / 3);
            match v {
                0 => (p + 1) % 3 + 3 * flag,
                1 => 3,
                _ => p,
            }
        }));
    }
    valid(synth::automaton_model(
        vec![layer],
        readout,
        6,
        delta,
        5,
        "aussm",
        dtype,
    ))
}

#[test]
fn automaton_models_match_the_reference_exactly() {
    for seed in 0..30u64 {
        let model = random_automaton(seed);
        for (s, &(batch, len)) in [(1, 1), (1, 300), (3, 300), (8, 300), (33, 300), (33, 0)]
            .iter()
            .enumerate()
        {
            let tokens = random_tokens(&model, batch, len, seed * 100 + s as u64);
            assert_same(
                &model,
                &tokens,
                &format!("automaton {seed}, batch {batch} × {len}"),
            );
        }
    }
}

#[test]
fn a_genuine_automaton_model_runs_its_automaton() {
    for fd in [FloatDtype::F32, FloatDtype::F64] {
        let model = counter_with_flag(fd);
        for (batch, len) in [(1, 5000), (3, 700), (8, 700), (33, 700)] {
            let tokens = random_tokens(&model, batch, len, batch as u64);
            assert_same(&model, &tokens, &format!("counter with flag, {batch}"));
            let got = jit::build(&model, Dtype::F32)
                .unwrap()
                .run(&tokens)
                .unwrap();
            assert_eq!(got, running_products(&model, &tokens), "{fd:?} file");
        }
    }
}

#[test]
fn automaton_exhaustive_matches_a_brute_force() {
    let mut failing = 0;
    for seed in 300..340u64 {
        let model = random_automaton(seed);
        let v = model.num_tokens();
        let len = (1..=6)
            .take_while(|&l| v.pow(l as u32) <= 3000)
            .last()
            .unwrap_or(1);
        for dt in [Dtype::F32, Dtype::F64] {
            let want = brute_force(&model, dt, len);
            let got = jit::exhaustive(&model, dt, len).unwrap();
            assert_eq!(got, want, "automaton {seed}, {dt:?}, length {len}");
            failing += usize::from(want.mismatches > 0);
        }
    }
    assert!(failing > 20, "only {failing} checks found failures");
}

#[test]
fn a_genuine_automaton_passes_exhaustively_and_a_corrupted_one_fails() {
    let model = counter_with_flag(FloatDtype::F32);
    let len = 7;
    let total: u64 = (1..=len as u32).map(|l| 3u64.pow(l)).sum();
    for dt in [Dtype::F32, Dtype::F64] {
        assert_eq!(
            jit::exhaustive(&model, dt, len).unwrap(),
            ExhaustiveReport {
                sequences: total,
                mismatches: 0,
                first_failure: None
            }
        );
    }
    // Every readout entry a reachable code reads: each change is caught.
    for bad in [2usize, 3, 9, 11] {
        let mut corrupt = model.clone().into_model();
        let d = corrupt.diagonal_mut().expect("diagonal");
        let r = d.readout.as_mut().expect("a readout");
        r[bad] = (r[bad] + 1) % 6;
        let corrupt = valid(corrupt);
        let r = jit::exhaustive(&corrupt, Dtype::F32, len).unwrap();
        assert!(r.mismatches > 0, "readout[{bad}] corrupted went unnoticed");
        assert_eq!(r.sequences, total);
        assert_eq!(r, brute_force(&corrupt, Dtype::F32, len), "readout[{bad}]");
    }
}

/// Token counts, cocycles and readouts on both sides of the sizes the JIT
/// looks up in registers (64 bytes: 16 f32 or 8 f64 parameters per
/// component, 64 byte-sized cocycle or readout entries), so vector tokens
/// meet both lookups and both meet lane tokens.
#[test]
fn tables_at_the_register_lookup_limits_match_the_reference() {
    // (token count, moduli) per layer and the group order (readout values
    // of 256 and more cannot be bytes).
    type Shape = (&'static [(usize, &'static [u32])], usize);
    let shapes: [Shape; 6] = [
        (&[(16, &[2]), (17, &[3]), (9, &[2])], 300),
        (&[(17, &[2]), (8, &[3])], 7),
        (&[(4, &[4, 4]), (16, &[5])], 11),
        (&[(8, &[2]), (8, &[2, 2]), (16, &[3])], 255),
        (&[(33, &[7])], 60),
        (&[(9, &[2, 3]), (65, &[2])], 5),
    ];
    for (s, (layers, order)) in shapes.iter().enumerate() {
        let mut rng = Rng(s as u64 + 500);
        let ls: Vec<Layer> = layers
            .iter()
            .enumerate()
            .map(|(i, &(v, moduli))| {
                unitary_layer(&mut rng, v, moduli.to_vec(), layers.get(i + 1).map(|l| l.0))
            })
            .collect();
        let joint: usize = ls.iter().map(|l| l.num_codes()).product();
        let readout = (0..joint).map(|_| rng.below(*order) as u32).collect();
        let elements = (0..layers[0].0).map(|_| rng.below(*order) as u32).collect();
        let model = model_from(ls, readout, *order, elements);
        for &(batch, len) in &[(1, 500), (5, 300), (64, 100)] {
            let tokens = random_tokens(&model, batch, len, s as u64);
            assert_same(
                &model,
                &tokens,
                &format!("shape {s}, batch {batch} × {len}"),
            );
        }
        for dt in [Dtype::F32, Dtype::F64] {
            assert_eq!(
                jit::exhaustive(&model, dt, 2).unwrap(),
                brute_force(&model, dt, 2),
                "shape {s}, {dt:?}"
            );
        }
    }
}

#[test]
fn outputs_into_a_reused_buffer_match_and_a_wrong_length_is_an_error() {
    let model = random_model(5);
    let jit = build(&model, Backend::Jit, Dtype::F32).unwrap();
    let truth_model = Reference::new(&model, Dtype::F32);
    let mut out = vec![7u32; 13 * 40];
    for seed in 0..3 {
        let tokens = random_tokens(&model, 13, 40, seed);
        jit.run_into(&tokens, &mut out).unwrap();
        assert_eq!(out, truth_model.run(&tokens).unwrap());
    }
    let tokens = random_tokens(&model, 13, 40, 9);
    let mut short = vec![0u32; 13 * 40 - 1];
    assert!(matches!(
        jit.run_into(&tokens, &mut short),
        Err(ExecError::Backend(_))
    ));
}

/// A single leftover sequence runs SIMD across time (whole quads of steps,
/// the rest in a padded group, the state carried between them): every
/// length around the quad and block sizes, alone and after whole groups.
#[test]
fn single_sequences_of_every_length_match_the_reference() {
    for seed in [1u64, 4, 9, 21, 33] {
        let model = random_model(seed);
        for batch in [1usize, 5, 9] {
            for len in [1usize, 2, 3, 4, 5, 63, 64, 65, 127, 128, 129, 1001] {
                let tokens = random_tokens(&model, batch, len, seed * 7 + len as u64);
                assert_same(
                    &model,
                    &tokens,
                    &format!("model {seed}, batch {batch} × {len}"),
                );
            }
        }
    }
    // And against the group's running products on a stdlib-sized model.
    let model = cyclic_model(60);
    let tokens = random_tokens(&model, 1, 10_001, 3);
    for dt in [Dtype::F32, Dtype::F64] {
        let got = build(&model, Backend::Jit, dt)
            .unwrap()
            .run(&tokens)
            .unwrap();
        assert_eq!(got, running_products(&model, &tokens), "C60, {dt:?}");
    }
}
