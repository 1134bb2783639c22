//! The reference executor: plain Rust, one step at a time, the readable
//! specification of the model's semantics (see `ir`). Generic over the float
//! type so the precision sweep can run it in f64, f32, f16 and bf16.

use super::{Backend, ExecError, Executor};
use crate::scalar::{phase_digit, Dtype, Real};
use crate::tokens::Tokens;
use crate::valid::ValidModel;
use half::{bf16, f16};
use rayon::prelude::*;

/// Per-layer parameters converted to `R`.
#[derive(Clone, Debug)]
struct LayerParams<R> {
    width: usize,
    num_tokens: usize,
    moduli: Vec<u32>,
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
    layers: Vec<LayerParams<R>>,
    readout: Vec<u32>,
    state_len: usize,
}

/// The joint complex state of every layer.
#[derive(Clone, Debug, PartialEq)]
pub struct State<R> {
    pub h: Vec<(R, R)>,
}

impl<R: Real> Stepper<R> {
    pub fn new(model: &ValidModel) -> Self {
        let mut offset = 0;
        let layers = model
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
        Stepper {
            layers,
            readout: model.readout.clone(),
            state_len: offset,
        }
    }

    pub fn init(&self) -> State<R> {
        let mut h = Vec::with_capacity(self.state_len);
        for l in &self.layers {
            h.extend_from_slice(&l.h0);
        }
        State { h }
    }

    /// Advance every layer by one input token and return the decoded output.
    #[inline]
    pub fn step(&self, state: &mut State<R>, token: u32) -> u32 {
        let mut v = token as usize;
        let mut joint = 0usize;
        let mut stride = 1usize;
        let last = self.layers.len().saturating_sub(1);
        for (i, l) in self.layers.iter().enumerate() {
            let mut code = 0usize;
            let mut radix = 1usize;
            for j in 0..l.width {
                let k = v * l.width + j;
                let h = &mut state.h[l.offset + j];
                *h = R::cmul_add(l.a[k], *h, l.b[k]);
                let n = l.moduli[j];
                code += phase_digit(R::arg(h.0, h.1), n) as usize * radix;
                radix *= n as usize;
            }
            joint += code * stride;
            stride *= radix;
            if i < last {
                v = l.cocycle[code * l.num_tokens + v] as usize;
            }
        }
        self.readout[joint]
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
