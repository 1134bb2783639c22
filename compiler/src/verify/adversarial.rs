//! Worst-case horizons where no proof exists: searches for input sequences
//! that drive the float state off its exact value fastest, beside the
//! random-sequence horizon.
//!
//! Two searches, both on the reference executor in the chosen dtype and
//! against the ground truth: every token repeated (a rotation applied over
//! and over is the usual worst case: its rounding error accumulates in one
//! direction), and a greedy walk that at each step takes the token leaving
//! some component closest to its decision boundary (the distance of its
//! phase from the exact digit's, in units of half a sector).

use super::horizon::splitmix64;
use gssm_runtime::exec::reference::Stepper;
use gssm_runtime::ir::{Coord, Diagonal};
use gssm_runtime::scalar::{Dtype, Real};
use gssm_runtime::valid::ValidModel;
use half::{bf16, f16};
use serde::Serialize;
use std::f64::consts::PI;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorstCase {
    pub dtype: &'static str,
    /// Longest sequence searched.
    pub max_len: usize,
    /// First wrong step found by any search (None: every search was right
    /// through `max_len`).
    pub horizon: Option<usize>,
    /// How that sequence was made.
    pub sequence: Option<String>,
    /// The sequence itself (token ids), to replay on any executor.
    #[serde(skip)]
    pub tokens: Vec<u32>,
}

pub fn worst_case(model: &ValidModel, dtype: Dtype, max_len: usize, seed: u64) -> WorstCase {
    let found = match model.diagonal() {
        None => None,
        Some(d) => match dtype {
            Dtype::F64 => search::<f64>(model, d, max_len, seed),
            Dtype::F32 => search::<f32>(model, d, max_len, seed),
            Dtype::F16 => search::<f16>(model, d, max_len, seed),
            Dtype::Bf16 => search::<bf16>(model, d, max_len, seed),
        },
    };
    let (horizon, sequence, tokens) = match found {
        Some((t, how, tokens)) => (Some(t), Some(how), tokens),
        None => (None, None, Vec::new()),
    };
    WorstCase {
        dtype: dtype.name(),
        max_len,
        horizon,
        sequence,
        tokens,
    }
}

/// The exact digits of every component, stepped by the construction's
/// codes: what the float state should decode to.
struct Exact<'a> {
    d: &'a Diagonal,
    digits: Vec<u32>,
}

impl<'a> Exact<'a> {
    fn new(d: &'a Diagonal, h: &[(f64, f64)]) -> Self {
        let mut digits = Vec::new();
        let mut off = 0;
        for l in &d.layers {
            for j in 0..l.width() {
                let (re, im) = h[off + j];
                digits.push(match l.coords[j] {
                    Coord::Phase => gssm_runtime::scalar::phase_digit(im.atan2(re), l.moduli[j]),
                    Coord::Register => gssm_runtime::ir::register_digit(re),
                });
            }
            off += l.width();
        }
        Exact { d, digits }
    }
    fn step(&mut self, x: usize, bos: bool) {
        super::proof::exact_step(self.d, &mut self.digits, x, bos);
    }
    /// Largest distance of a phase component from its exact digit's angle,
    /// in half sectors (1 = on the decision boundary).
    fn worst<R: Real>(&self, h: &[(R, R)]) -> f64 {
        let mut worst = 0.0f64;
        let mut off = 0;
        for l in &self.d.layers {
            for j in 0..l.width() {
                if l.coords[j] == Coord::Phase {
                    let n = l.moduli[j] as f64;
                    let (re, im) = h[off + j];
                    let want = 2.0 * PI * self.digits[off + j] as f64 / n;
                    let mut e = (R::arg(re, im) - want).rem_euclid(2.0 * PI);
                    if e > PI {
                        e = 2.0 * PI - e;
                    }
                    worst = worst.max(e / (PI / n));
                }
            }
            off += l.width();
        }
        worst
    }
}

fn search<R: Real>(
    model: &ValidModel,
    d: &Diagonal,
    max_len: usize,
    seed: u64,
) -> Option<(usize, String, Vec<u32>)> {
    let stepper = Stepper::<R>::new(model);
    let bos = model.manifest.bos;
    let v = model.num_tokens() - usize::from(bos.is_some());
    let labels = &model.manifest.tokens;
    let start = || {
        let mut st = stepper.init();
        if let Some(b) = bos {
            stepper.step(&mut st, b);
        }
        st
    };
    let exact_of = |st: &gssm_runtime::exec::reference::State<R>| {
        let h: Vec<(f64, f64)> = st.h.iter().map(|p| (p.0.to_f64(), p.1.to_f64())).collect();
        Exact::new(d, &h)
    };
    let mut best: Option<(usize, String, Vec<u32>)> = None;
    let better =
        |best: &Option<(usize, String, Vec<u32>)>, t: usize| best.as_ref().is_none_or(|b| t < b.0);
    let prefix: Vec<u32> = bos.into_iter().collect();
    // Each token repeated.
    for (x, label) in labels.iter().enumerate().take(v) {
        let mut st = start();
        let mut y = model.initial_output();
        for t in 1..=max_len {
            if !better(&best, t) {
                break;
            }
            y = model.next_output(y, x as u32);
            if stepper.step(&mut st, x as u32) != y {
                let mut tokens = prefix.clone();
                tokens.extend(std::iter::repeat_n(x as u32, t));
                best = Some((t, format!("`{label}` repeated"), tokens));
                break;
            }
        }
    }
    // Greedy: the token that leaves some component nearest its boundary;
    // ties broken by a seeded draw so the walk does not stall on one token.
    let mut st = start();
    let mut exact = exact_of(&st);
    let mut y = model.initial_output();
    let mut rng = seed ^ 0x005E_ED0F_AD5E_u64;
    let mut walk = prefix.clone();
    for t in 1..=max_len {
        if !better(&best, t) {
            break;
        }
        let mut pick = (f64::MIN, 0usize, u64::MAX);
        for x in 0..v {
            let mut trial = st.clone();
            stepper.step(&mut trial, x as u32);
            let mut e = Exact {
                d,
                digits: exact.digits.clone(),
            };
            e.step(x, false);
            let score = e.worst(&trial.h);
            let tie = splitmix64(&mut rng);
            if score > pick.0 || (score == pick.0 && tie < pick.2) {
                pick = (score, x, tie);
            }
        }
        let x = pick.1;
        walk.push(x as u32);
        y = model.next_output(y, x as u32);
        exact.step(x, false);
        if stepper.step(&mut st, x as u32) != y {
            best = Some((t, "greedy toward the decision boundaries".to_string(), walk));
            break;
        }
    }
    best
}
