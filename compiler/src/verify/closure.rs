//! Precision as a proof: the rounded orbit of every component.
//!
//! A diagonal layer's components evolve independently, each through the
//! stored transition values of its layer's tokens, and each is decoded on
//! its own. So the float states one component can reach, paired with the
//! exact digit the construction says it holds, are the closure of
//! (h0, its digit) under "apply token v's (a, b), rounded as the executor
//! rounds; move the digit by v's exact code". When that set is finite
//! (below a limit) and every pair decodes to its digit, the component is
//! right after every sequence of every length in that arithmetic: the
//! horizon is infinite, proved rather than measured.
//!
//! The arithmetic is the weight file's: each product rounded to the dtype,
//! then each sum, re = (a_re·h_re − a_im·h_im) + b_re and im = (a_re·h_im +
//! a_im·h_re) + b_im, no fused multiply-add (`scalar::Real::cmul_add`; the
//! reference, the JIT, NumPy and PyTorch compute exactly this). A second
//! search adds the fused variants (either product fused into its sum), which
//! a GPU driver may contract to: there a state may step to each variant's
//! result, so that proof holds whichever the executor picks, step by step.
//!
//! Components that never rotate (registers, and phases that only keep or
//! reset) hold stored values or stay inside their register intervals and
//! are exact by construction; they need no search.

use gssm_runtime::ir::{Coord, Diagonal};
use gssm_runtime::scalar::{phase_digit, Dtype};
use gssm_runtime::valid::ValidModel;
use gssm_runtime::values;
use half::{bf16, f16};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};

/// What the search found for one component.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Orbit {
    /// Exact by construction: it never rotates.
    Exact,
    /// The rounded orbit closes on `states` (float state, digit) pairs, all
    /// decoding right.
    Closed { states: usize },
    /// A token sequence of this length (in this component's layer) leads
    /// to a state that decodes wrong.
    Drifts { steps: usize },
    /// More than `states` pairs: neither closure nor a failure found.
    Open { states: usize },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComponentOrbit {
    pub layer: usize,
    pub component: usize,
    pub modulus: u32,
    pub orbit: Orbit,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClosureReport {
    pub dtype: &'static str,
    /// Every component exact or closed: the model is right for every
    /// sequence of every length in this dtype.
    pub proved: bool,
    /// Also with fused multiply-adds anywhere (checked only when `proved`).
    pub proved_fused: bool,
    pub components: Vec<ComponentOrbit>,
}

impl ClosureReport {
    /// (float state, digit) pairs in the closed orbits, all components
    /// together.
    pub fn closed_states(&self) -> usize {
        self.components
            .iter()
            .map(|c| match c.orbit {
                Orbit::Closed { states } => states,
                _ => 0,
            })
            .sum()
    }

    /// One line: proved and how, or what stops the proof.
    pub fn summary(&self) -> String {
        if self.proved {
            let states = self.closed_states();
            let fused = if self.proved_fused {
                "; also with fused multiply-adds"
            } else {
                "; not with fused multiply-adds (a GPU driver may fuse)"
            };
            return if states == 0 {
                "infinite (proved: no component rotates)".to_string()
            } else {
                format!(
                    "infinite (proved: every rotating component's rounded orbit closes, {states} states in all{fused})"
                )
            };
        }
        let first = self
            .components
            .iter()
            .find(|c| !matches!(c.orbit, Orbit::Exact | Orbit::Closed { .. }));
        match first {
            Some(c) => {
                let why = match c.orbit {
                    Orbit::Drifts { steps } => {
                        format!("a sequence of {steps} of its layer's tokens decodes wrong")
                    }
                    Orbit::Open { states } => {
                        format!("its rounded orbit does not close within {states} states")
                    }
                    _ => unreachable!("filtered above"),
                };
                format!(
                    "not proved: layer {} component {} (C{}): {why}",
                    c.layer, c.component, c.modulus
                )
            }
            None => "not proved".to_string(),
        }
    }
}

/// A float type's arithmetic variants.
trait Arith: Copy {
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn bits(self) -> u64;
    /// x·y − z·w + b as the weight file computes it (first), then, with
    /// `fused`, either product fused into the difference.
    fn dot_variants(x: Self, y: Self, z: Self, w: Self, b: Self, fused: bool, out: &mut Vec<Self>);
    fn arg(re: Self, im: Self) -> f64;
}

macro_rules! native {
    ($t:ty) => {
        impl Arith for $t {
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn bits(self) -> u64 {
                self.to_bits() as u64
            }
            fn dot_variants(
                x: Self,
                y: Self,
                z: Self,
                w: Self,
                b: Self,
                fused: bool,
                out: &mut Vec<Self>,
            ) {
                out.push((x * y - z * w) + b);
                if fused {
                    out.push(x.mul_add(y, -(z * w)) + b);
                    out.push((-z).mul_add(w, x * y) + b);
                }
            }
            fn arg(re: Self, im: Self) -> f64 {
                im.atan2(re) as f64
            }
        }
    };
}
native!(f64);
native!(f32);

macro_rules! narrow {
    ($t:ty) => {
        impl Arith for $t {
            fn from_f64(x: f64) -> Self {
                <$t>::from_f64(x)
            }
            fn to_f64(self) -> f64 {
                <$t>::to_f64(self)
            }
            fn bits(self) -> u64 {
                self.to_bits() as u64
            }
            fn dot_variants(
                x: Self,
                y: Self,
                z: Self,
                w: Self,
                b: Self,
                fused: bool,
                out: &mut Vec<Self>,
            ) {
                let (xf, yf, zf, wf, bf) =
                    (x.to_f32(), y.to_f32(), z.to_f32(), w.to_f32(), b.to_f32());
                let n = <$t>::from_f32;
                // Every operation rounded to the narrow type (f32 holds
                // each exact product, and each sum rounds once more).
                let p = n(xf * yf).to_f32();
                let q = n(zf * wf).to_f32();
                out.push(n(n(p - q).to_f32() + bf));
                if fused {
                    out.push(n(n(xf.mul_add(yf, -q)).to_f32() + bf));
                    out.push(n(n((-zf).mul_add(wf, p)).to_f32() + bf));
                }
            }
            fn arg(re: Self, im: Self) -> f64 {
                im.to_f32().atan2(re.to_f32()) as f64
            }
        }
    };
}
narrow!(f16);
narrow!(bf16);

/// The closure of every component of `model` in `dtype`, each search
/// stopped past `limit` states.
pub fn closure(model: &ValidModel, dtype: Dtype, limit: usize) -> ClosureReport {
    let run = |fused: bool| match model.diagonal() {
        Some(d) => match dtype {
            Dtype::F64 => components::<f64>(model, d, limit, fused),
            Dtype::F32 => components::<f32>(model, d, limit, fused),
            Dtype::F16 => components::<f16>(model, d, limit, fused),
            Dtype::Bf16 => components::<bf16>(model, d, limit, fused),
        },
        // One-layer cells have their own proofs.
        None => Vec::new(),
    };
    let all_closed = |cs: &[ComponentOrbit]| {
        model.diagonal().is_some()
            && cs
                .iter()
                .all(|c| matches!(c.orbit, Orbit::Exact | Orbit::Closed { .. }))
    };
    let components = run(false);
    let proved = all_closed(&components);
    let proved_fused = proved && all_closed(&run(true));
    ClosureReport {
        dtype: dtype.name(),
        proved,
        proved_fused,
        components,
    }
}

fn components<T: Arith>(
    model: &ValidModel,
    d: &Diagonal,
    limit: usize,
    fused: bool,
) -> Vec<ComponentOrbit> {
    let bos = model.manifest.bos.is_some();
    let mut out = Vec::new();
    for (i, l) in d.layers.iter().enumerate() {
        let r = l.width();
        for j in 0..r {
            let n = l.moduli[j];
            let codes: Vec<u32> = (0..l.num_tokens)
                .map(|v| l.transition_code[v * r + j])
                .collect();
            let rotates = l.coords[j] == Coord::Phase
                && codes
                    .iter()
                    .enumerate()
                    .any(|(v, &c)| c != 0 && c < n && !(bos && v + 1 == l.num_tokens));
            let orbit = if rotates {
                search::<T>(l, j, bos, limit, fused)
            } else {
                Orbit::Exact
            };
            out.push(ComponentOrbit {
                layer: i,
                component: j,
                modulus: n,
                orbit,
            });
        }
    }
    out
}

/// A token's (a, b) in the search's float type, and its exact code.
type Move<T> = ((T, T), (T, T), u32);

/// Breadth first over (float state, digit) pairs of component j.
fn search<T: Arith>(
    l: &gssm_runtime::ir::Layer,
    j: usize,
    bos: bool,
    limit: usize,
    fused: bool,
) -> Orbit {
    let r = l.width();
    let n = l.moduli[j];
    let t = |x: f64| T::from_f64(x);
    // Distinct (a, b, code) rows: tokens that act alike are explored once.
    let mut moves: Vec<Move<T>> = Vec::new();
    let mut seen_rows = std::collections::HashSet::new();
    for v in 0..l.num_tokens {
        let k = v * r + j;
        let c = if bos && v + 1 == l.num_tokens {
            // The start token writes h0's digit 0.
            u32::MAX
        } else {
            l.transition_code[k]
        };
        let row = (
            l.a_re[k].to_bits(),
            l.a_im[k].to_bits(),
            l.b_re[k].to_bits(),
            l.b_im[k].to_bits(),
            c,
        );
        if seen_rows.insert(row) {
            moves.push((
                (t(l.a_re[k]), t(l.a_im[k])),
                (t(l.b_re[k]), t(l.b_im[k])),
                c,
            ));
        }
    }
    let (h0, d0) = if bos {
        // Sequences begin with the start token, which writes its b.
        let k = (l.num_tokens - 1) * r + j;
        ((t(l.b_re[k]), t(l.b_im[k])), 0)
    } else {
        let d0 = phase_digit(l.h0_im[j].atan2(l.h0_re[j]), n);
        ((t(l.h0_re[j]), t(l.h0_im[j])), d0)
    };
    let key = |h: (T, T), d: u32| (h.0.bits(), h.1.bits(), d);
    let mut index: HashMap<(u64, u64, u32), u32> = HashMap::new();
    // (state, digit, depth)
    let mut queue: VecDeque<((T, T), u32, usize)> = VecDeque::new();
    index.insert(key(h0, d0), 0);
    queue.push_back((h0, d0, 0));
    let (mut res, mut ims) = (Vec::new(), Vec::new());
    while let Some((h, d, depth)) = queue.pop_front() {
        for &((ar, ai), (br, bi), c) in &moves {
            let next_digit = if c == u32::MAX {
                0
            } else {
                values::coord_next(Coord::Phase, d, c, n)
            };
            res.clear();
            ims.clear();
            T::dot_variants(ar, h.0, ai, h.1, br, fused, &mut res);
            // im = ar·hi + ai·hr = ar·hi − (−ai)·hr.
            let nai = T::from_f64(-ai.to_f64());
            T::dot_variants(ar, h.1, nai, h.0, bi, fused, &mut ims);
            for &re in &res {
                for &im in &ims {
                    let got = phase_digit(T::arg(re, im), n);
                    if got != next_digit {
                        return Orbit::Drifts { steps: depth + 1 };
                    }
                    let k = key((re, im), next_digit);
                    if !index.contains_key(&k) {
                        if index.len() >= limit {
                            return Orbit::Open { states: limit };
                        }
                        index.insert(k, 0);
                        queue.push_back(((re, im), next_digit, depth + 1));
                    }
                }
            }
        }
    }
    Orbit::Closed {
        states: index.len(),
    }
}
