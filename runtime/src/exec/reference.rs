//! The reference executor: plain Rust, one step at a time, the readable
//! specification of the model's semantics (see `ir`). Generic over the float
//! type so the precision sweep can run it in f64, f32, f16 and bf16.

use super::{Backend, ExecError, Executor};
use crate::ir::{register_digit, Coord, Net, PermTruth, PointAction, UNDECODABLE};
use crate::scalar::{phase_digit, Dtype, Real};
use crate::tokens::Tokens;
use crate::valid::ValidModel;
use half::{bf16, f16};
use rayon::prelude::*;
use std::collections::HashMap;

/// Per-layer parameters converted to `R`.
#[derive(Clone, Debug)]
struct LayerParams<R> {
    width: usize,
    num_tokens: usize,
    moduli: Vec<u32>,
    coords: Vec<Coord>,
    a: Vec<(R, R)>,
    b: Vec<(R, R)>,
    h0: Vec<(R, R)>,
    cocycle: Vec<u32>,
    /// Offset of this layer's components in the joint state vector.
    offset: usize,
}

/// A model's recurrence in float type `R`, stepped one token at a time.
#[derive(Clone, Debug)]
pub struct Stepper<R> {
    net: Params<R>,
}

#[derive(Clone, Debug)]
enum Params<R> {
    Diagonal {
        layers: Vec<LayerParams<R>>,
        /// `None`: the output is the joint code.
        readout: Option<Vec<u32>>,
        state_len: usize,
    },
    Pd {
        n: usize,
        index: Vec<u32>,
        diag: Vec<R>,
        input: Vec<R>,
        h0: Vec<R>,
        points: Points,
    },
    Delta {
        d: usize,
        m: usize,
        basis: Vec<R>,
        offset: Vec<R>,
        k: Vec<R>,
        beta: Vec<R>,
        v: Vec<R>,
        h0: Vec<R>,
        points: Points,
    },
    Rnn {
        hidden: usize,
        num_tokens: usize,
        weight_ih: Vec<R>,
        weight_hh: Vec<R>,
        bias_ih: Vec<R>,
        bias_hh: Vec<R>,
        readout_weight: Vec<R>,
        readout_bias: Vec<R>,
    },
}

/// The joint state: complex components for diagonal layers, real ones for
/// the cells.
#[derive(Clone, Debug, PartialEq)]
pub struct State<R> {
    pub h: Vec<(R, R)>,
    pub x: Vec<R>,
}

/// Decodes a vector of point values into the element whose action puts
/// each point where the vector holds it (see `ir::PointAction`).
#[derive(Clone, Debug)]
pub struct Points {
    /// (value, point) sorted by value.
    sorted: Vec<(f64, u32)>,
    elements: Elements,
}

/// How an arrangement of the points is numbered.
#[derive(Clone, Debug)]
enum Elements {
    /// The action's listed rows.
    Rows(HashMap<Vec<u32>, u32>),
    /// The truth's normal form.
    Ranked(PermTruth),
}

impl Points {
    pub fn new(model: &ValidModel, a: &PointAction) -> Points {
        let mut sorted: Vec<(f64, u32)> = a
            .points
            .iter()
            .enumerate()
            .map(|(j, &p)| (p, j as u32))
            .collect();
        sorted.sort_by(|x, y| x.0.total_cmp(&y.0));
        let elements = match (&a.images, model.perm()) {
            (Some(images), _) => Elements::Rows(
                images
                    .chunks_exact(a.degree().max(1))
                    .enumerate()
                    .map(|(g, row)| (row.to_vec(), g as u32))
                    .collect(),
            ),
            (None, Some(p)) => Elements::Ranked(p.clone()),
            (None, None) => {
                unreachable!("a validated action without images has a permutation truth")
            }
        };
        Points { sorted, elements }
    }

    /// The point whose value is nearest to `x` (the lowest point on ties).
    fn nearest(&self, x: f64) -> u32 {
        let i = self.sorted.partition_point(|p| p.0 < x);
        let mut best: Option<(f64, u32)> = None;
        for &(p, j) in self.sorted[i.saturating_sub(1)..(i + 1).min(self.sorted.len())].iter() {
            let dist = (p - x).abs();
            best = match best {
                Some((bd, bj)) if bd < dist || (bd == dist && bj < j) => Some((bd, bj)),
                _ => Some((dist, j)),
            };
        }
        best.map_or(0, |b| b.1)
    }

    /// The element the coordinates `x` hold, or [`UNDECODABLE`].
    pub fn decode(&self, x: impl Iterator<Item = f64>) -> u32 {
        let n = self.sorted.len();
        let mut pi = vec![u32::MAX; n];
        for (i, xi) in x.enumerate() {
            let j = self.nearest(xi) as usize;
            if pi[j] != u32::MAX {
                return UNDECODABLE;
            }
            pi[j] = i as u32;
        }
        match &self.elements {
            Elements::Rows(rows) => rows.get(&pi).copied(),
            Elements::Ranked(p) => p.rank(&pi),
        }
        .unwrap_or(UNDECODABLE)
    }
}

fn real<R: Real>(xs: &[f64]) -> Vec<R> {
    xs.iter().map(|&x| R::from_f64(x)).collect()
}

/// Σ_j a[j]·b[j] in order, each product rounded, then each sum.
#[inline]
fn dot<R: Real>(a: &[R], b: &[R]) -> R {
    let mut s = R::from_f64(0.0);
    for (&x, &y) in a.iter().zip(b) {
        s = s.add(x.mul(y));
    }
    s
}

/// The non-zero entries of a state, with their indices. Only these
/// contribute to a product with it; skipping the zero ones changes no sum
/// but the sign of a zero, which ReLU and argmax do not see.
fn nonzero<R: Real>(x: &[R]) -> Vec<(usize, R)> {
    x.iter()
        .enumerate()
        .filter(|(_, x)| x.to_f64() != 0.0)
        .map(|(j, &x)| (j, x))
        .collect()
}

/// Σ_j w[j]·x_j over the non-zero entries, in order, each product rounded,
/// then each sum.
fn sparse_dot<R: Real>(w: &[R], active: &[(usize, R)]) -> R {
    let mut s = R::from_f64(0.0);
    for &(j, x) in active {
        s = s.add(w[j].mul(x));
    }
    s
}

impl<R: Real> Stepper<R> {
    pub fn new(model: &ValidModel) -> Self {
        let v = model.num_tokens();
        let net = match &model.net {
            Net::Diagonal(d) => {
                let mut offset = 0;
                let layers = d
                    .layers
                    .iter()
                    .map(|l| {
                        let cv = |re: &[f64], im: &[f64]| -> Vec<(R, R)> {
                            re.iter()
                                .zip(im)
                                .map(|(&r, &i)| (R::from_f64(r), R::from_f64(i)))
                                .collect()
                        };
                        let p = LayerParams {
                            width: l.width(),
                            num_tokens: l.num_tokens,
                            moduli: l.moduli.clone(),
                            coords: l.coords.clone(),
                            a: cv(&l.a_re, &l.a_im),
                            b: cv(&l.b_re, &l.b_im),
                            h0: cv(&l.h0_re, &l.h0_im),
                            cocycle: l.cocycle.clone(),
                            offset,
                        };
                        offset += l.width();
                        p
                    })
                    .collect();
                Params::Diagonal {
                    layers,
                    readout: d.readout.clone(),
                    state_len: offset,
                }
            }
            Net::Pd(c) => Params::Pd {
                n: c.action.degree(),
                index: c.index.clone(),
                diag: real(&c.diag),
                input: real(&c.input),
                h0: real(&c.h0),
                points: Points::new(model, &c.action),
            },
            Net::Delta(c) => Params::Delta {
                d: c.dim(),
                m: c.reflections(v),
                basis: real(&c.basis),
                offset: real(&c.offset),
                k: real(&c.k),
                beta: real(&c.beta),
                v: real(&c.v),
                h0: real(&c.h0),
                points: Points::new(model, &c.action),
            },
            Net::Rnn(c) => Params::Rnn {
                hidden: c.hidden(),
                num_tokens: v,
                weight_ih: real(&c.weight_ih),
                weight_hh: real(&c.weight_hh),
                bias_ih: real(&c.bias_ih),
                bias_hh: real(&c.bias_hh),
                readout_weight: real(&c.readout_weight),
                readout_bias: real(&c.readout_bias),
            },
        };
        Stepper { net }
    }

    pub fn init(&self) -> State<R> {
        match &self.net {
            Params::Diagonal {
                layers, state_len, ..
            } => {
                let mut h = Vec::with_capacity(*state_len);
                for l in layers {
                    h.extend_from_slice(&l.h0);
                }
                State { h, x: Vec::new() }
            }
            Params::Pd { h0, .. } | Params::Delta { h0, .. } => State {
                h: Vec::new(),
                x: h0.clone(),
            },
            Params::Rnn { hidden, .. } => State {
                h: Vec::new(),
                x: vec![R::from_f64(0.0); *hidden],
            },
        }
    }

    /// Advance the model by one input token and return the decoded output
    /// ([`UNDECODABLE`] when the state decodes to no element).
    #[inline]
    pub fn step(&self, state: &mut State<R>, token: u32) -> u32 {
        let t = token as usize;
        match &self.net {
            Params::Diagonal {
                layers, readout, ..
            } => {
                let mut v = t;
                let mut joint = 0usize;
                let mut stride = 1usize;
                let last = layers.len().saturating_sub(1);
                for (i, l) in layers.iter().enumerate() {
                    let mut code = 0usize;
                    let mut radix = 1usize;
                    for j in 0..l.width {
                        let k = v * l.width + j;
                        let h = &mut state.h[l.offset + j];
                        *h = R::cmul_add(l.a[k], *h, l.b[k]);
                        let n = l.moduli[j];
                        let digit = match l.coords[j] {
                            Coord::Phase => phase_digit(R::arg(h.0, h.1), n),
                            Coord::Register => register_digit(h.0.to_f64()),
                        };
                        code += digit as usize * radix;
                        radix *= n as usize;
                    }
                    joint += code * stride;
                    stride *= radix;
                    if i < last {
                        v = l.cocycle[code * l.num_tokens + v] as usize;
                    }
                }
                match readout {
                    Some(r) => r[joint],
                    None => joint as u32,
                }
            }
            Params::Pd {
                n,
                index,
                diag,
                input,
                points,
                ..
            } => {
                let row = t * n..(t + 1) * n;
                let old = std::mem::replace(&mut state.x, vec![R::from_f64(0.0); *n]);
                for ((&i, &dj), &hj) in index[row.clone()].iter().zip(&diag[row]).zip(&old) {
                    let i = i as usize;
                    state.x[i] = dj.mul(hj).add(input[t * n + i]);
                }
                points.decode(state.x.iter().map(|x| x.to_f64()))
            }
            Params::Delta {
                d,
                m,
                basis,
                offset,
                k,
                beta,
                v,
                points,
                ..
            } => {
                let h = &mut state.x;
                for r in 0..*m {
                    let kr = &k[(t * m + r) * d..(t * m + r + 1) * d];
                    let b = beta[t * m + r];
                    let s = dot(kr, h);
                    let tv = v[t * m + r].add(R::from_f64(-s.to_f64()));
                    for (hc, &kc) in h.iter_mut().zip(kr) {
                        *hc = hc.add(b.mul(kc).mul(tv));
                    }
                }
                points.decode(
                    basis
                        .chunks_exact(*d)
                        .zip(offset)
                        .map(|(row, &o)| dot(row, h).add(o).to_f64()),
                )
            }
            Params::Rnn {
                hidden,
                num_tokens,
                weight_ih,
                weight_hh,
                bias_ih,
                bias_hh,
                readout_weight,
                readout_bias,
            } => {
                let hn = *hidden;
                let active = nonzero(&state.x);
                let next: Vec<R> = (0..hn)
                    .map(|i| {
                        let a = weight_ih[i * num_tokens + t].add(bias_ih[i]);
                        let b =
                            sparse_dot(&weight_hh[i * hn..(i + 1) * hn], &active).add(bias_hh[i]);
                        let pre = a.add(b);
                        if pre.to_f64() > 0.0 {
                            pre
                        } else {
                            R::from_f64(0.0)
                        }
                    })
                    .collect();
                state.x = next;
                let active = nonzero(&state.x);
                let mut best = (f64::NEG_INFINITY, UNDECODABLE);
                for (g, &bias) in readout_bias.iter().enumerate() {
                    let w = &readout_weight[g * hn..(g + 1) * hn];
                    let logit = sparse_dot(w, &active).add(bias).to_f64();
                    if logit > best.0 {
                        best = (logit, g as u32);
                    }
                }
                best.1
            }
        }
    }

    /// Run one sequence from the initial state.
    pub fn run_sequence(&self, seq: &[u32], out: &mut [u32]) {
        let mut s = self.init();
        for (o, &t) in out.iter_mut().zip(seq) {
            *o = self.step(&mut s, t);
        }
    }
}

/// Reference executor over a batch (sequences split across threads).
pub struct Reference {
    dtype: Dtype,
    inner: Inner,
}

enum Inner {
    F64(Stepper<f64>),
    F32(Stepper<f32>),
    F16(Stepper<f16>),
    Bf16(Stepper<bf16>),
}

impl Reference {
    pub fn new(model: &ValidModel, dtype: Dtype) -> Self {
        let inner = match dtype {
            Dtype::F64 => Inner::F64(Stepper::new(model)),
            Dtype::F32 => Inner::F32(Stepper::new(model)),
            Dtype::F16 => Inner::F16(Stepper::new(model)),
            Dtype::Bf16 => Inner::Bf16(Stepper::new(model)),
        };
        Reference { dtype, inner }
    }
}

fn run_batch<R: Real>(s: &Stepper<R>, tokens: &Tokens) -> Vec<u32> {
    let len = tokens.len();
    let mut out = vec![0u32; tokens.ids().len()];
    if len == 0 {
        return out;
    }
    out.par_chunks_mut(len)
        .zip(tokens.ids().par_chunks(len))
        .for_each(|(o, seq)| s.run_sequence(seq, o));
    out
}

impl Executor for Reference {
    fn backend(&self) -> Backend {
        Backend::Reference
    }
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn run(&self, tokens: &Tokens) -> Result<Vec<u32>, ExecError> {
        Ok(match &self.inner {
            Inner::F64(s) => run_batch(s, tokens),
            Inner::F32(s) => run_batch(s, tokens),
            Inner::F16(s) => run_batch(s, tokens),
            Inner::Bf16(s) => run_batch(s, tokens),
        })
    }
}
