//! The JIT executor: Cranelift-generated native code specialised to one
//! model, SIMD across the batch (lanes = independent sequences), f32 and
//! f64, the batch split across threads.
//!
//! The generated code follows the reference executor operation for
//! operation in the recurrence (same products, same order, no fused
//! multiply-add), so the complex states are bit-identical to the
//! reference's in the same dtype. Register components compare re h with
//! the same thresholds, so they decode exactly as the reference does. Only
//! the phase decision differs in method: half-plane tests for small moduli,
//! comparisons with boundary tangents in one octant for moduli divisible by
//! 4 up to 64, a vectorised polynomial arctangent (relative error ~1e-7 in
//! f32, ~1e-16 in f64) for the others, instead of libm's atan2. A decoded phase digit
//! can therefore differ from the reference's only when the state lies within
//! a few ulps of a decision boundary (an odd multiple of π/n away from every
//! lattice point), or when its magnitude is below the smallest normal float
//! (zero included), which no model with unit-modulus rotations and resets to
//! roots of unity reaches.
//!
//! Small tables (token parameters, cocycles and readouts of at most 64
//! bytes) are compiled into the code and looked up in registers. A single
//! sequence (a batch of one, or the one sequence left after whole lane
//! groups) runs SIMD across time: the scan scalar, the decoding and
//! lookups vectorised over steps.
//!
//! [`exhaustive`] checks every token sequence up to a length against the
//! model's ground truth (the group's Cayley table or the automaton's
//! transitions), walking the prefix tree level by level so each sequence
//! costs one step.

mod codegen;
mod exhaustive;

pub use exhaustive::{exhaustive, ExhaustiveReport};

use super::{Backend, ExecError, Executor};
use crate::scalar::Dtype;
use crate::tokens::Tokens;
use crate::valid::ValidModel;
use codegen::{Bias, Code, Float, LayerSpec, Spec};
use rayon::prelude::*;

/// Build the JIT executor for `model` in `dtype` (f32 or f64).
pub fn build(model: &ValidModel, dtype: Dtype) -> Result<Box<dyn Executor>, ExecError> {
    Ok(Box::new(Jit::new(model, dtype)?))
}

/// Model buffers in the executor's float type, owned by the executor and
/// read by the generated code through the pointer array.
enum FloatVec {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl FloatVec {
    fn from_f64(float: Float, xs: impl Iterator<Item = f64>) -> FloatVec {
        match float {
            Float::F32 => FloatVec::F32(xs.map(|x| x as f32).collect()),
            Float::F64 => FloatVec::F64(xs.collect()),
        }
    }
    fn addr(&self) -> usize {
        match self {
            FloatVec::F32(v) => v.as_ptr() as usize,
            FloatVec::F64(v) => v.as_ptr() as usize,
        }
    }
}

/// A model compiled to native code.
pub struct Jit {
    dtype: Dtype,
    spec: Spec,
    code: Code,
    /// Keeps the tables the pointer array points into alive.
    _floats: Vec<FloatVec>,
    _ints: Vec<Vec<u32>>,
    /// Table addresses, in the slot order of `codegen::slot_*`.
    ptrs: Vec<usize>,
}

fn inconsistent(msg: String) -> ExecError {
    ExecError::Backend(format!("the JIT cannot run this model: {msg}"))
}

/// Steps per piece when the last, partial group of a batch runs in pieces
/// of time.
const PIECE_STEPS: usize = 1 << 16;

/// Largest code, joint index or table size the generated code handles (its
/// code arithmetic is in i32 lanes).
const MAX_INDEX: usize = i32::MAX as usize;

impl Jit {
    /// Compile `model` for `dtype` (f32 or f64).
    pub fn new(model: &ValidModel, dtype: Dtype) -> Result<Jit, ExecError> {
        // One vector per iteration: the layer-by-layer blocks already give
        // the processor independent steps to overlap, and more vectors only
        // add register spills (measured on x86-64).
        Self::with_groups(model, dtype, 1)
    }

    /// Like [`Jit::new`] with `groups` vectors interleaved per iteration
    /// (1..=8); for tuning.
    #[doc(hidden)]
    pub fn with_groups(model: &ValidModel, dtype: Dtype, groups: usize) -> Result<Jit, ExecError> {
        let float = match dtype {
            Dtype::F32 => Float::F32,
            Dtype::F64 => Float::F64,
            other => {
                return Err(ExecError::UnsupportedDtype {
                    backend: "jit",
                    dtype: other.name(),
                })
            }
        };
        let groups = groups.clamp(1, 8);
        let diag = super::diagonal_only(model, super::Backend::Jit)?;
        let k = diag.layers.len();
        let mut floats = Vec::new();
        let mut ints = Vec::new();
        let mut ptrs = vec![0usize; codegen::slot_zero(k) + 1];
        let mut layers = Vec::with_capacity(k);
        let mut joint = 1usize;
        for (i, l) in diag.layers.iter().enumerate() {
            let (v, w) = (l.num_tokens, l.width());
            let pairs = v.checked_mul(w).filter(|&p| p <= MAX_INDEX / 2);
            let codes = l.moduli.iter().try_fold(1usize, |c, &n| {
                c.checked_mul(n as usize).filter(|&c| c <= MAX_INDEX)
            });
            let (Some(_), Some(codes)) = (pairs, codes) else {
                return Err(inconsistent(format!(
                    "layer {i} is too large for i32 code arithmetic"
                )));
            };
            let last = i + 1 == k;
            // (re, im) pairs, then 16 bytes of padding: the code loads a
            // whole vector for each f32 pair.
            let interleave = |re: &[f64], im: &[f64]| {
                let pad = 16 / float.size();
                FloatVec::from_f64(
                    float,
                    re.iter()
                        .zip(im)
                        .flat_map(|(&r, &m)| [r, m])
                        .chain(std::iter::repeat_n(0.0, pad)),
                )
            };
            let params = interleave(&l.a_re, &l.a_im);
            ptrs[codegen::slot_params(i)] = params.addr();
            floats.push(params);
            let bias = bias_kind(float, &l.b_re, &l.b_im);
            if bias == Bias::Table {
                let b = interleave(&l.b_re, &l.b_im);
                ptrs[codegen::slot_bias(i)] = b.addr();
                floats.push(b);
            }
            if !last {
                let c = l.cocycle.clone();
                ptrs[codegen::slot_cocycle(i)] = c.as_ptr() as usize;
                ints.push(c);
            }
            let pairs =
                |re: &[f64], im: &[f64]| re.iter().copied().zip(im.iter().copied()).collect();
            layers.push(LayerSpec {
                a: pairs(&l.a_re, &l.a_im),
                b: pairs(&l.b_re, &l.b_im),
                cocycle: if last { Vec::new() } else { l.cocycle.clone() },
                moduli: l.moduli.clone(),
                coords: l.coords.clone(),
                num_tokens: v,
                h0: l
                    .h0_re
                    .iter()
                    .zip(&l.h0_im)
                    .map(|(&r, &m)| (r, m))
                    .collect(),
                bias,
                joint_stride: joint as u32,
            });
            joint = joint
                .checked_mul(codes)
                .filter(|&j| j <= MAX_INDEX)
                .ok_or_else(|| {
                    inconsistent(format!(
                        "the joint state code space is too large for the JIT (more than {MAX_INDEX} codes); use the reference backend"
                    ))
                })?;
        }
        // Without a readout the generated code never reads this slot.
        let readout = diag.readout.clone().unwrap_or_default();
        ptrs[codegen::slot_readout(k)] = readout.as_ptr() as usize;
        ints.push(readout);
        let spec = Spec {
            float,
            groups,
            num_tokens: model.num_tokens(),
            layers,
            readout: diag.readout.clone(),
        };
        let code = codegen::compile(&spec).map_err(|e| ExecError::Unavailable("jit", e))?;
        ptrs[codegen::slot_pool(k)] = code.pool.as_ptr() as usize;
        Ok(Jit {
            dtype,
            spec,
            code,
            _floats: floats,
            _ints: ints,
            ptrs,
        })
    }

    /// Sequences one iteration of the generated code processes together.
    pub fn lanes(&self) -> usize {
        self.spec.lanes()
    }

    /// The float state of `groups` groups of sequences at their start: h0
    /// in every lane, laid out as the generated code reads it (per group,
    /// layer, vector and component: a vector of re, then one of im).
    fn fresh_state(&self, groups: usize) -> Vec<u8> {
        let f = self.spec.float;
        let mut block = Vec::with_capacity(self.state_bytes());
        for l in &self.spec.layers {
            for _ in 0..self.spec.groups {
                for &(re, im) in &l.h0 {
                    for x in [re, im] {
                        for _ in 0..f.width() {
                            match f {
                                Float::F32 => block.extend((x as f32).to_le_bytes()),
                                Float::F64 => block.extend(x.to_le_bytes()),
                            }
                        }
                    }
                }
            }
        }
        block.repeat(groups)
    }

    /// Bytes of one group's float state: a 16-byte vector for the re and
    /// one for the im of every component of every interleaved vector.
    fn state_bytes(&self) -> usize {
        let widths: usize = self.spec.layers.iter().map(|l| l.h0.len()).sum();
        32 * self.spec.groups * widths
    }

    /// Run whole groups of `lanes()` sequences: `tokens` and `out` are
    /// `groups × lanes × len` row-major, every token below the model's
    /// token count; `state` is the groups' float state (see
    /// [`Jit::fresh_state`]), read at the start and left at the end.
    fn call_run(&self, tokens: &[u32], out: &mut [u32], len: usize, state: &mut [u8]) {
        let n = self.lanes() * len;
        assert!(n > 0 && tokens.len() == out.len() && tokens.len().is_multiple_of(n));
        assert_eq!(state.len(), self.state_bytes() * (tokens.len() / n));
        debug_assert!(tokens.iter().all(|&t| (t as usize) < self.spec.num_tokens));
        // SAFETY: `run` reads `tokens.len()` tokens and writes as many
        // outputs, both buffers that long (asserted above), and reads and
        // writes one state block per group, as long as `state` (asserted).
        // Every token is below the model's token count (checked by the
        // caller), and every table index the code forms from it is in
        // bounds by construction (see `codegen::Spec`), into tables owned by
        // `self`.
        unsafe {
            (self.code.run)(
                self.ptrs.as_ptr(),
                tokens.as_ptr(),
                out.as_mut_ptr(),
                len as u64,
                (tokens.len() / n) as u64,
                state.as_mut_ptr(),
            )
        }
    }
}

impl Jit {
    /// Run one sequence of `tokens.len()` steps (a multiple of 4, every
    /// token below the model's token count) from `state` (one group's
    /// block; lane 0 is the sequence's), leaving its state there.
    fn call_run1(&self, tokens: &[u32], out: &mut [u32], state: &mut [u8]) {
        assert!(tokens.len() == out.len() && tokens.len().is_multiple_of(4));
        assert!(!self.spec.layers.is_empty());
        assert_eq!(state.len(), self.state_bytes());
        if tokens.is_empty() {
            return;
        }
        debug_assert!(tokens.iter().all(|&t| (t as usize) < self.spec.num_tokens));
        // SAFETY: `run1` reads `tokens.len()` tokens and writes as many
        // outputs (whole vectors of 4 or 2 steps, and the length is a
        // multiple of 4), and reads and writes lane 0 of the state block,
        // which is one group's (asserted). Tokens are below the model's
        // token count (checked by the caller); every table index the code
        // forms from them is in bounds by construction (see
        // `codegen::Spec`), into tables owned by `self`.
        unsafe {
            (self.code.run1)(
                self.ptrs.as_ptr(),
                tokens.as_ptr(),
                out.as_mut_ptr(),
                tokens.len() as u64,
                1,
                state.as_mut_ptr(),
            )
        }
    }
}

/// Whether a layer's input term can be folded into a constant.
fn bias_kind(float: Float, re: &[f64], im: &[f64]) -> Bias {
    let bits = |x: f64| match float {
        Float::F32 => (x as f32).to_bits() as u64,
        Float::F64 => x.to_bits(),
    };
    let (plus, minus) = (bits(0.0), bits(-0.0));
    let all = |b: u64| re.iter().chain(im).all(|&x| bits(x) == b);
    if all(plus) {
        Bias::PlusZero
    } else if all(minus) {
        Bias::MinusZero
    } else {
        Bias::Table
    }
}

impl Executor for Jit {
    fn backend(&self) -> Backend {
        Backend::Jit
    }
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn run(&self, tokens: &Tokens) -> Result<Vec<u32>, ExecError> {
        let mut out = vec![0u32; tokens.ids().len()];
        self.run_into(tokens, &mut out)?;
        Ok(out)
    }

    fn run_into(&self, tokens: &Tokens, out: &mut [u32]) -> Result<(), ExecError> {
        super::check_out_len(tokens, out)?;
        let (batch, len) = (tokens.batch(), tokens.len());
        let ids = tokens.ids();
        if batch == 0 || len == 0 {
            return Ok(());
        }
        let bound = self.spec.num_tokens;
        let check = |chunk: &[u32]| match chunk.iter().copied().max() {
            Some(t) if t as usize >= bound => Err(ExecError::Backend(format!(
                "token id {t} is out of range: the model has {bound} tokens"
            ))),
            _ => Ok(()),
        };
        let lanes = self.lanes();
        let full = batch / lanes * lanes;
        if full > 0 {
            // A few tasks per thread so uneven progress balances out.
            let groups = full / lanes;
            let tasks = (rayon::current_num_threads() * 4).min(groups).max(1);
            let rows = groups.div_ceil(tasks) * lanes;
            out[..full * len]
                .par_chunks_mut(rows * len)
                .zip(ids[..full * len].par_chunks(rows * len))
                .try_for_each(|(o, t)| {
                    check(t)?;
                    let mut state = self.fresh_state(t.len() / (lanes * len));
                    self.call_run(t, o, len, &mut state);
                    Ok::<(), ExecError>(())
                })?;
        }
        if full < batch {
            // The last partial group runs padded with token 0, in pieces of
            // time with its state carried, so padding costs a piece's
            // buffers rather than `lanes - rows` whole sequences.
            let rows = batch - full;
            check(&ids[full * len..])?;
            let mut state = self.fresh_state(1);
            let mut t0 = 0;
            if rows == 1 && !self.spec.layers.is_empty() {
                // One sequence: SIMD across time, straight from the caller's
                // buffers, whole quads of steps; the rest below.
                t0 = len / 4 * 4;
                let at = full * len;
                self.call_run1(&ids[at..at + t0], &mut out[at..at + t0], &mut state);
            }
            let piece = (len - t0).min(PIECE_STEPS);
            let mut t = vec![0u32; lanes * piece];
            let mut o = vec![0u32; lanes * piece];
            while t0 < len {
                let n = piece.min(len - t0);
                for r in 0..rows {
                    let src = (full + r) * len + t0;
                    t[r * n..(r + 1) * n].copy_from_slice(&ids[src..src + n]);
                }
                t[rows * n..lanes * n].fill(0);
                self.call_run(&t[..lanes * n], &mut o[..lanes * n], n, &mut state);
                for r in 0..rows {
                    let dst = (full + r) * len + t0;
                    out[dst..dst + n].copy_from_slice(&o[r * n..(r + 1) * n]);
                }
                t0 += n;
            }
        }
        Ok(())
    }
}
