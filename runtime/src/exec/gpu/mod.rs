//! The GPU executor: wgpu compute shaders generated for the loaded model
//! (see `wgsl`), one invocation per sequence, in f32. Besides running token
//! batches it runs the float model's verification on the device:
//! [`exhaustive`] (every sequence of a length, against the model's ground
//! truth: the group's Cayley table or the automaton's transitions) and
//! [`horizon`] (long random sequences).
//!
//! Device limits are respected by chunking: at most 65535 workgroups per
//! dispatch, buffers within the device's binding size, at most
//! [`STEPS_PER_DISPATCH`] steps per invocation per dispatch with the state
//! kept on the device between dispatches (the float operations are those of
//! one uninterrupted scan), and sequence indices beyond 2^32 handled as a
//! host-side base per dispatch.
//!
//! Every invocation records, from its own loop counter, how far it got, and
//! the host checks that each completed exactly the steps asked of it: a
//! driver that cuts a loop or a dispatch short is an error ("the GPU driver
//! stopped invocation i at step s of t"), never a silently wrong result.
//!
//! Without an adapter every entry point returns [`ExecError::Unavailable`]
//! saying which driver to install. No input makes it panic: models are
//! checked on the host (`shape`), device errors are caught in error scopes.

mod context;
mod shape;
mod wgsl;

use super::{Backend, ExecError, Executor};
use crate::scalar::Dtype;
use crate::tokens::Tokens;
use crate::valid::ValidModel;
use context::{backend_error, Binding, Gpu, Kernel};
use rayon::prelude::*;
use serde::Serialize;
use shape::Shape;
use std::sync::Arc;
use std::time::Instant;
use wgsl::WORKGROUP;

/// Most workgroups in one dispatch dimension (WebGPU's guaranteed limit).
const MAX_GROUPS: u32 = 65535;

/// Most steps one invocation runs in one dispatch (in the exhaustive check:
/// prefix steps plus last-token branches). Drivers bound how long a shader
/// may run: Mesa's llvmpipe (lavapipe) silently leaves any loop after 65,535
/// iterations (a single long sequence came back as the identity from there
/// on), and desktop drivers reset a device whose dispatch runs for seconds.
/// 16,384 is a quarter of lavapipe's bound and keeps every dispatch short;
/// a dispatch costs little next to 16,384 steps, so long sequences lose
/// little to the extra ones. A multiple of 4, so packed token and output
/// words never straddle two dispatches.
pub const STEPS_PER_DISPATCH: u32 = 16_384;

/// Dispatches per submission of a run chunk (one parameter block each).
const RUN_DISPATCHES: usize = 64;

/// The error for an invocation that did less than it was asked.
fn stopped(invocation: u64, what: &str, step: u64, of: u64) -> ExecError {
    backend_error(format!(
        "the GPU driver stopped invocation {invocation} ({what}) at step {step} of {of}; \
         its results would be wrong, so none are returned"
    ))
}

/// Bytes of tokens (or outputs) moved per chunk of a batch.
const CHUNK_BYTES: u64 = 64 << 20;

/// Build the GPU executor for `model`. Only f32 is supported.
pub fn build(model: &ValidModel, dtype: Dtype) -> Result<Box<dyn Executor>, ExecError> {
    Ok(Box::new(GpuExecutor::new(model, dtype)?))
}

/// A short description of the adapter in use ("NVIDIA H100 (Vulkan, …)").
pub fn adapter() -> Result<String, ExecError> {
    guard(|| Ok(Gpu::get()?.describe()))
}

/// Turn a panic inside wgpu or a driver into an error.
fn guard<T>(f: impl FnOnce() -> Result<T, ExecError>) -> Result<T, ExecError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(backend_error(
            "the GPU runtime failed unexpectedly (wgpu panicked)",
        ))
    })
}

fn bytes_u32(v: &[u32]) -> &[u8] {
    bytemuck::cast_slice(v)
}

/// The model's tables on the device.
struct Tables {
    floats: wgpu::Buffer,
    ints: wgpu::Buffer,
}

impl Tables {
    fn upload(gpu: &Gpu, shape: &Shape) -> Result<Tables, ExecError> {
        Ok(Tables {
            floats: gpu
                .storage_buffer("model float tables", bytemuck::cast_slice(&shape.floats))?,
            ints: gpu.storage_buffer("model integer tables", bytes_u32(&shape.ints))?,
        })
    }
}

/// Time spent in each phase of one [`GpuExecutor::run_profiled`] call.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunProfile {
    /// Host: checking and packing tokens into chunks.
    pub pack_s: f64,
    /// Host to device copies.
    pub upload_s: f64,
    /// The kernels alone.
    pub kernel_s: f64,
    /// Device to host copies.
    pub download_s: f64,
    /// Host: unpacking outputs.
    pub unpack_s: f64,
    pub chunks: usize,
}

/// The batch executor: the model's tables on the device and the generated
/// kernel, reused by every `run`.
pub struct GpuExecutor {
    gpu: Arc<Gpu>,
    shape: Shape,
    tables: Tables,
    kernel: Kernel,
    chunk_bytes: u64,
    dispatch_steps: u32,
}

const RUN_LAYOUT: [Binding; 7] = [
    Binding::Read,
    Binding::Read,
    Binding::Uniform,
    Binding::Read,
    Binding::ReadWrite,
    Binding::ReadWrite,
    Binding::ReadWrite,
];

impl GpuExecutor {
    pub fn new(model: &ValidModel, dtype: Dtype) -> Result<GpuExecutor, ExecError> {
        if dtype != Dtype::F32 {
            return Err(ExecError::UnsupportedDtype {
                backend: "gpu",
                dtype: dtype.name(),
            });
        }
        super::diagonal_only(model, super::Backend::Gpu)?;
        let shape = Shape::new(model).map_err(backend_error)?;
        guard(|| {
            let gpu = Gpu::get()?;
            let tables = Tables::upload(&gpu, &shape)?;
            let kernel = gpu.pipeline("run", &wgsl::run_kernel(&shape), &RUN_LAYOUT)?;
            Ok(GpuExecutor {
                gpu,
                shape,
                tables,
                kernel,
                chunk_bytes: CHUNK_BYTES,
                dispatch_steps: STEPS_PER_DISPATCH,
            })
        })
    }

    /// Bytes of tokens moved per chunk (default 64 MiB; at least 16). Small
    /// values split batches into many chunks in sequences and in time, which
    /// tests use to exercise the chunking on small inputs.
    pub fn with_chunk_bytes(mut self, bytes: u64) -> GpuExecutor {
        self.chunk_bytes = bytes.max(16);
        self
    }

    /// Steps per invocation per dispatch (default [`STEPS_PER_DISPATCH`];
    /// rounded down to a multiple of 4, at least 4). Small values exercise
    /// the state hand-over between dispatches on short inputs; values past
    /// what the driver allows (65,535 on lavapipe) exercise the progress
    /// checks: the result is then right or an error, never wrong.
    pub fn with_dispatch_steps(mut self, steps: u32) -> GpuExecutor {
        self.dispatch_steps = (steps / 4 * 4).max(4);
        self
    }

    /// The adapter this executor runs on.
    pub fn adapter(&self) -> String {
        self.gpu.describe()
    }

    /// The generated WGSL of the batch kernel (for inspection).
    pub fn wgsl(&self) -> String {
        wgsl::run_kernel(&self.shape)
    }

    /// `run`, with the time spent in each phase.
    pub fn run_profiled(&self, tokens: &Tokens) -> Result<(Vec<u32>, RunProfile), ExecError> {
        guard(|| self.run_inner(tokens))
    }

    fn run_inner(&self, tokens: &Tokens) -> Result<(Vec<u32>, RunProfile), ExecError> {
        let mut prof = RunProfile::default();
        let (batch, len) = (tokens.batch(), tokens.len());
        let mut out = vec![0u32; tokens.ids().len()];
        if out.is_empty() {
            return Ok((out, prof));
        }
        let v = self.shape.num_tokens;
        // Tokens are validated against some model; make sure it is this one's
        // token count before any id indexes a table.
        if let Some(i) = tokens.ids().par_iter().position_any(|&t| t >= v) {
            return Err(backend_error(format!(
                "token id {} at sequence {}, position {} is out of range for this model ({v} tokens)",
                tokens.ids()[i],
                i / len,
                i % len
            )));
        }
        let g = &*self.gpu;
        let tb = wgsl::pack_bits(v) as u64;
        let ob = wgsl::pack_bits(self.shape.order) as u64;
        let (tpw, opw) = (32 / tb, 32 / ob);
        let budget = self.chunk_bytes.min(g.max_binding());
        let state_bytes = self.shape.state_len as u64 * 8;
        // Chunk shape: up to one dispatch of sequences, and as many steps of
        // them as fit in the byte budget (for tokens and for outputs), a
        // multiple of 4 steps so rows stay word-aligned whatever the packing.
        let step_bits = tb.max(ob);
        let max_seqs = (MAX_GROUPS as u64 * WORKGROUP as u64)
            .min(batch as u64)
            .min(budget * 8 / (4 * step_bits))
            .min(budget / state_bytes.max(1))
            .max(1);
        let steps = (budget * 8 / (max_seqs * step_bits) / 4 * 4)
            .min(1 << 30)
            .clamp(4, len.next_multiple_of(4) as u64);
        let words_in = steps / tpw;
        let words_out = steps.div_ceil(opw);
        let seqs = max_seqs;

        // Each chunk runs as dispatches of at most `window` steps.
        let window = self.dispatch_steps.max(4) as u64;

        let usage_in = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
        let usage_rw = wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST;
        let tok_buf = g.empty_buffer("token chunk", seqs * words_in * 4, usage_in)?;
        let out_buf = g.empty_buffer("output chunk", seqs * words_out * 4, usage_rw)?;
        let st_buf = g.empty_buffer("state", seqs * state_bytes, usage_rw)?;
        let prog_buf = g.empty_buffer("progress", seqs * 4, usage_rw)?;
        let stride = g.uniform_stride(wgsl::RUN_PARAMS);
        let par_buf = g.empty_buffer(
            "parameters",
            stride * RUN_DISPATCHES as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        )?;
        let bind = g.bind(
            &self.kernel,
            &[
                &self.tables.floats,
                &self.tables.ints,
                &par_buf,
                &tok_buf,
                &out_buf,
                &st_buf,
                &prog_buf,
            ],
            wgsl::RUN_PARAMS,
            &RUN_LAYOUT,
        )?;

        let ids = tokens.ids();
        let mut words = vec![0u32; (seqs * words_in) as usize];
        let mut back = vec![0u32; (seqs * words_out) as usize];
        let zeros = vec![0u32; seqs as usize];
        for s0 in (0..batch).step_by(seqs as usize) {
            let n = (batch - s0).min(seqs as usize);
            for t0 in (0..len).step_by(steps as usize) {
                let m = (len - t0).min(steps as usize);
                let clock = Instant::now();
                let wi = words_in as usize;
                words[..n * wi]
                    .par_chunks_mut(wi)
                    .enumerate()
                    .for_each(|(r, row)| {
                        row.fill(0);
                        let src = &ids[(s0 + r) * len + t0..][..m];
                        for (t, &x) in src.iter().enumerate() {
                            row[t / tpw as usize] |= x << ((t as u64 % tpw) * tb);
                        }
                    });
                prof.pack_s += clock.elapsed().as_secs_f64();

                let clock = Instant::now();
                g.scoped("uploading tokens", || {
                    g.queue
                        .write_buffer(&tok_buf, 0, bytes_u32(&words[..n * wi]));
                    g.queue.write_buffer(&prog_buf, 0, bytes_u32(&zeros[..n]));
                    g.queue.submit([]);
                })?;
                g.wait()?;
                prof.upload_s += clock.elapsed().as_secs_f64();

                let clock = Instant::now();
                // Windows of the chunk, RUN_DISPATCHES per submission; the
                // state is handed over in `st_buf` between them.
                let windows: Vec<u64> = (0..m as u64).step_by(window as usize).collect();
                for group in windows.chunks(RUN_DISPATCHES) {
                    let mut blocks = vec![0u8; (stride * RUN_DISPATCHES as u64) as usize];
                    for (k, &off) in group.iter().enumerate() {
                        let params: [u32; 8] = [
                            n as u32,
                            (m as u64 - off).min(window) as u32,
                            (t0 == 0 && off == 0) as u32,
                            words_in as u32,
                            words_out as u32,
                            off as u32,
                            0,
                            0,
                        ];
                        let at = (k as u64 * stride) as usize;
                        blocks[at..at + 32].copy_from_slice(bytes_u32(&params));
                    }
                    g.scoped("uploading parameters", || {
                        g.queue.write_buffer(&par_buf, 0, &blocks)
                    })?;
                    let groups = vec![(n as u32).div_ceil(WORKGROUP); group.len()];
                    g.dispatch(&self.kernel, &bind, stride, &groups)?;
                }
                g.wait()?;
                prof.kernel_s += clock.elapsed().as_secs_f64();

                let clock = Instant::now();
                let nwords = n * words_out as usize;
                g.read_into(
                    &out_buf,
                    nwords as u64 * 4,
                    bytemuck::cast_slice_mut(&mut back[..nwords]),
                )?;
                let prog = g.read(&prog_buf, n)?;
                prof.download_s += clock.elapsed().as_secs_f64();
                if let Some((r, &done)) = prog.iter().enumerate().find(|(_, &d)| d as usize != m) {
                    return Err(stopped(
                        r as u64,
                        &format!("sequence {} of the batch", s0 + r),
                        (t0 + done as usize) as u64,
                        len as u64,
                    ));
                }

                let clock = Instant::now();
                let back_words = &back[..nwords];
                let wo = words_out as usize;
                let mask = ((1u64 << ob) - 1) as u32;
                out[s0 * len..(s0 + n) * len]
                    .par_chunks_mut(len)
                    .zip(back_words.par_chunks(wo))
                    .for_each(|(row, w)| {
                        for (t, y) in row[t0..t0 + m].iter_mut().enumerate() {
                            *y = (w[t / opw as usize] >> ((t as u64 % opw) * ob)) & mask;
                        }
                    });
                prof.unpack_s += clock.elapsed().as_secs_f64();
                prof.chunks += 1;
            }
        }
        Ok((out, prof))
    }
}

impl Executor for GpuExecutor {
    fn backend(&self) -> Backend {
        Backend::Gpu
    }
    fn dtype(&self) -> Dtype {
        Dtype::F32
    }
    fn run(&self, tokens: &Tokens) -> Result<Vec<u32>, ExecError> {
        self.run_profiled(tokens).map(|(out, _)| out)
    }
}

// Counts follow the CPU verifier: each prefix is attributed to exactly one
// length-L sequence (the one continuing it with token 0), so shards add up;
// over shards, `first_failure` is the first shard's that has one.
pub use super::ExhaustiveReport;

/// The exhaustive check of one shard: the report with the sequences counted
/// on the device, and what it was asked, so that a shard cannot pass for the
/// whole and the caller can compare the device's count with the host's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExhaustiveShard {
    /// `sequences` is the number of sequences the device checked, counted
    /// with atomics from its loop counters.
    pub report: ExhaustiveReport,
    pub length: usize,
    /// (i, n): the i-th of n contiguous ranges of the V^length sequences.
    pub shard: (u64, u64),
    /// Sequences of length 1..=length this shard covers, by host arithmetic:
    /// equal to `report.sequences` when the device did all of its work. Over
    /// the shards 0..n these add up to Σ_{l≤length} V^l.
    pub expected: u64,
}

impl ExhaustiveShard {
    /// Whether this is the whole space (shard 0 of 1), not a part of it.
    pub fn is_whole(&self) -> bool {
        self.shard.1 == 1
    }
}

const EXHAUSTIVE_LAYOUT: [Binding; 5] = [
    Binding::Read,
    Binding::Read,
    Binding::Uniform,
    Binding::ReadWrite,
    Binding::ReadWrite,
];

/// Dispatches per submission of the exhaustive kernel (one parameter block
/// and one result slot each).
const DISPATCHES_PER_SUBMIT: usize = 64;

/// Bytes of per-invocation state kept between the dispatches of one prefix
/// batch when its work needs more than one (at most, and within the
/// device's binding size).
const EXHAUSTIVE_STATE_BYTES: u64 = 256 << 20;

/// Check every token sequence of length `length` (and so every shorter one)
/// on the device against the model's ground truth. `shard = (i, n)` takes
/// the i-th of n contiguous ranges of the V^length sequences (in
/// lexicographic order), so any scheduler can split a large space across
/// processes; the shards' counts add up to the whole. The report's
/// `sequences` is the device's count; for a shard, or to compare that count
/// with the expected one, use [`exhaustive_shard`].
pub fn exhaustive(
    model: &ValidModel,
    length: usize,
    shard: (u64, u64),
) -> Result<ExhaustiveReport, ExecError> {
    exhaustive_shard(model, length, shard).map(|s| s.report)
}

/// [`exhaustive`], with the shard, the length and the expected count.
pub fn exhaustive_shard(
    model: &ValidModel,
    length: usize,
    shard: (u64, u64),
) -> Result<ExhaustiveShard, ExecError> {
    exhaustive_chunked(model, length, shard, u64::MAX, STEPS_PER_DISPATCH)
}

/// [`exhaustive_shard`] with at most `prefixes` sequence prefixes (each
/// followed by every last token) per dispatch and at most `steps` steps per
/// invocation per dispatch (at most [`STEPS_PER_DISPATCH`] is safe). Small
/// values exercise the dispatch, submission and state hand-over boundaries
/// on small models; results do not depend on them.
pub fn exhaustive_chunked(
    model: &ValidModel,
    length: usize,
    shard: (u64, u64),
    prefixes: u64,
    steps: u32,
) -> Result<ExhaustiveShard, ExecError> {
    super::no_start_token(model, super::Backend::Gpu)?;
    let (i, n) = shard;
    if n == 0 || i >= n {
        return Err(backend_error(format!(
            "shard {i} of {n} does not exist: give (i, n) with i < n"
        )));
    }
    let shape = Shape::new(model).map_err(backend_error)?;
    let v = shape.num_tokens as u128;
    let mut out = ExhaustiveShard {
        report: ExhaustiveReport {
            sequences: 0,
            mismatches: 0,
            first_failure: None,
        },
        length,
        shard,
        expected: 0,
    };
    if length == 0 {
        return Ok(out);
    }
    let len =
        u32::try_from(length).map_err(|_| backend_error(format!("length {length} is too long")))?;
    let total = (0..len)
        .try_fold(1u128, |acc, _| {
            acc.checked_mul(v).filter(|&t| t <= u64::MAX as u128)
        })
        .ok_or_else(|| backend_error(format!("{v}^{length} sequences is more than 2^64")))?;
    // The key rel·L + t of a failing sequence must fit in u32.
    let per_prefix = v * len as u128;
    if per_prefix >= u32::MAX as u128 {
        return Err(backend_error(format!(
            "{v} tokens × length {length} is too large for the device kernel"
        )));
    }
    let start = total * i as u128 / n as u128;
    let end = total * (i as u128 + 1) / n as u128;
    out.expected = super::expected_sequences(v as u64, length, shard)
        .ok_or_else(|| backend_error("the sequence count overflows u64"))?;
    if start < end {
        out.report =
            guard(|| exhaustive_device(&shape, len, start, end, prefixes.max(1), steps.max(1)))?;
    }
    Ok(out)
}

/// One prefix batch: `count` prefixes from `first`, covering sequences
/// [base + lo, base + hi) with base = first·V.
#[derive(Clone)]
struct Batch {
    first: u128,
    count: u64,
    lo: u64,
    hi: u64,
    digits: Vec<u32>,
}

impl Batch {
    /// Steps of prefix p's work list: NP prefix steps and its last tokens
    /// in range (as the kernel computes them).
    fn units(&self, p: u64, v: u64, np: u64) -> u64 {
        let rel0 = p * v;
        let x_lo = self.lo.saturating_sub(rel0);
        let x_hi = v.min(self.hi.saturating_sub(rel0));
        np + x_hi.saturating_sub(x_lo)
    }

    /// Steps the dispatch covering work steps [u0, u0 + w) must complete.
    /// Only the first and last prefix can have fewer than V last tokens.
    fn window_units(&self, v: u64, np: u64, u0: u64, w: u64) -> u64 {
        let part = |units: u64| units.saturating_sub(u0).min(w);
        let c = self.count;
        match c {
            0 => 0,
            1 => part(self.units(0, v, np)),
            _ => {
                part(self.units(0, v, np)) + part(self.units(c - 1, v, np)) + (c - 2) * part(np + v)
            }
        }
    }
}

fn exhaustive_device(
    shape: &Shape,
    len: u32,
    start: u128,
    end: u128,
    prefixes: u64,
    steps: u32,
) -> Result<ExhaustiveReport, ExecError> {
    let mut report = ExhaustiveReport {
        sequences: 0,
        mismatches: 0,
        first_failure: None,
    };
    let g = Gpu::get()?;
    let v = shape.num_tokens as u128;
    let v64 = shape.num_tokens as u64;
    let np = len - 1;
    let kernel = g.pipeline(
        "exhaustive",
        &wgsl::exhaustive_kernel(shape, len),
        &EXHAUSTIVE_LAYOUT,
    )?;
    let tables = Tables::upload(&g, shape)?;
    let block = wgsl::exhaustive_params(np, shape.num_tokens);
    let stride = g.uniform_stride(block);
    let par_buf = g.empty_buffer(
        "parameters",
        stride * DISPATCHES_PER_SUBMIT as u64,
        wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
    )?;
    let slot_words = wgsl::EXHAUSTIVE_SLOT * DISPATCHES_PER_SUBMIT;
    let slots = g.empty_buffer(
        "result slots",
        slot_words as u64 * 4,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
    )?;

    // Each invocation's work is NP prefix steps and up to V branches, run
    // in windows of at most `w` steps, one dispatch each.
    let units_max = np as u64 + v64.min((end - start) as u64);
    let w = (steps as u64).min(units_max).max(1);
    let windows = units_max.div_ceil(w);
    let sw = wgsl::exhaustive_state_words(shape) as u64 * 4;
    let state_cap = if windows > 1 {
        (EXHAUSTIVE_STATE_BYTES.min(g.max_binding()) / sw).max(1)
    } else {
        u64::MAX
    };
    // Prefixes per dispatch: within the dispatch limit, with every key
    // rel·L + t and every shortfall key p·(w+1) + done below u32::MAX, the
    // carried state within its buffer, and small enough that one dispatch
    // stays short even on a software driver.
    let max_prefixes = (MAX_GROUPS as u128 * WORKGROUP as u128)
        .min((u32::MAX as u128 - 1) / (v * len as u128))
        .min(u32::MAX as u128 / (w as u128 + 1))
        .min((1u128 << 26) / w as u128)
        .min(state_cap as u128)
        .min(prefixes as u128)
        .max(1);
    let first_prefix = start / v;
    let last_prefix = (end - 1) / v; // inclusive
    let st_buf = g.empty_buffer(
        "carried state",
        if windows > 1 {
            max_prefixes.min(last_prefix - first_prefix + 1) as u64 * sw
        } else {
            16
        },
        wgpu::BufferUsages::STORAGE,
    )?;
    let bind = g.bind(
        &kernel,
        &[&tables.floats, &tables.ints, &par_buf, &slots, &st_buf],
        block,
        &EXHAUSTIVE_LAYOUT,
    )?;
    let mut init = vec![0u32; slot_words];
    for k in 0..DISPATCHES_PER_SUBMIT {
        init[wgsl::EXHAUSTIVE_SLOT * k + 2] = u32::MAX;
        init[wgsl::EXHAUSTIVE_SLOT * k + 4] = u32::MAX;
    }

    // Digits are read only when there are some and they can be nonzero.
    let with_digits = np > 0 && v > 1;
    let digit_words = if with_digits {
        (np as usize).div_ceil(4) * 4
    } else {
        4
    };
    let next_batch = |next: u128| -> Batch {
        let count = (last_prefix - next + 1).min(max_prefixes);
        let base_seq = next * v;
        let lo = start.saturating_sub(base_seq);
        let hi = (end - base_seq).min(count * v);
        // Base prefix digits, position 0 most significant.
        let mut digits = vec![0u32; digit_words];
        let mut rest = next;
        if with_digits {
            for pos in (0..np as usize).rev() {
                digits[pos] = (rest % v) as u32;
                rest /= v;
            }
        }
        Batch {
            first: next,
            count: count as u64,
            lo: lo as u64,
            hi: hi as u64,
            digits,
        }
    };

    // Dispatches in order: every window of a batch, then the next batch.
    let mut batch = next_batch(first_prefix);
    let mut window = 0u64;
    let mut batch_key = u32::MAX;
    let mut finished = false;
    while !finished {
        // One submission: up to DISPATCHES_PER_SUBMIT dispatches, each with
        // its batch and window for the checks afterwards.
        let mut blocks = vec![0u8; (stride * DISPATCHES_PER_SUBMIT as u64) as usize];
        let mut plan: Vec<(Batch, u64)> = Vec::new();
        let mut groups = Vec::new();
        while !finished && plan.len() < DISPATCHES_PER_SUBMIT {
            let mut words: Vec<u32> = vec![
                batch.lo as u32,
                batch.hi as u32,
                batch.count as u32,
                plan.len() as u32,
                (window * w) as u32,
                w as u32,
                (window == 0) as u32,
                (window + 1 == windows) as u32,
            ];
            words.extend_from_slice(&batch.digits);
            let b = bytes_u32(&words);
            let b = &b[..b.len().min(block as usize)];
            let off = (plan.len() as u64 * stride) as usize;
            blocks[off..off + b.len()].copy_from_slice(b);
            groups.push((batch.count as u32).div_ceil(WORKGROUP));
            plan.push((batch.clone(), window));
            window += 1;
            if window == windows {
                window = 0;
                let next = batch.first + batch.count as u128;
                if next > last_prefix {
                    finished = true;
                } else {
                    batch = next_batch(next);
                }
            }
        }
        g.scoped("uploading parameters", || {
            g.queue.write_buffer(&par_buf, 0, &blocks);
            g.queue.write_buffer(&slots, 0, bytes_u32(&init));
        })?;
        g.dispatch(&kernel, &bind, stride, &groups)?;
        let res = g.read(&slots, slot_words)?;
        for (k, (b, win)) in plan.iter().enumerate() {
            let r = &res[wgsl::EXHAUSTIVE_SLOT * k..][..wgsl::EXHAUSTIVE_SLOT];
            let u0 = win * w;
            let want = b.window_units(v64, np as u64, u0, w);
            if r[3] as u64 != want {
                if r[4] != u32::MAX {
                    let (p, did) = (r[4] as u64 / (w + 1), r[4] as u64 % (w + 1));
                    return Err(stopped(
                        p,
                        &format!("prefix {} of the exhaustive check", b.first + p as u128),
                        u0 + did,
                        b.units(p, v64, np as u64),
                    ));
                }
                return Err(backend_error(format!(
                    "the GPU driver completed {} of the {want} steps of an exhaustive dispatch; \
                     its results would be wrong, so none are returned",
                    r[3]
                )));
            }
            report.sequences += r[0] as u64;
            report.mismatches += r[1] as u64;
            batch_key = batch_key.min(r[2]);
            if win + 1 == windows {
                if batch_key != u32::MAX && report.first_failure.is_none() {
                    let (rel, t) = (batch_key / len, batch_key % len);
                    let mut idx = b.first * v + rel as u128;
                    let mut seq = vec![0u32; len as usize];
                    for x in seq.iter_mut().rev() {
                        *x = (idx % v) as u32;
                        idx /= v;
                    }
                    seq.truncate(t as usize + 1);
                    report.first_failure = Some(seq);
                }
                batch_key = u32::MAX;
            }
        }
    }
    Ok(report)
}

pub use super::HorizonReport;

/// The tokens of random sequence `sequence` that [`horizon`] generates on
/// the device for `seed` (xoshiro128**, token = output mod V), so a failure
/// can be replayed on the host.
pub fn horizon_tokens(seed: u64, sequence: u32, len: usize, num_tokens: u32) -> Vec<u32> {
    let mut r = wgsl::seed_state(seed, sequence);
    (0..len)
        .map(|_| wgsl::next(&mut r) % num_tokens.max(1))
        .collect()
}

const HORIZON_LAYOUT: [Binding; 6] = [
    Binding::Read,
    Binding::Read,
    Binding::Uniform,
    Binding::ReadWrite,
    Binding::ReadWrite,
    Binding::ReadWrite,
];

/// Most dispatches (time slices) per submission of the horizon kernel.
const HORIZON_DISPATCHES: usize = 64;

/// Run `sequences` random sequences of up to `max_len` tokens (seeded, see
/// [`horizon_tokens`]) in f32 on the device; the least step at which any
/// decoded output is wrong.
pub fn horizon(
    model: &ValidModel,
    sequences: u32,
    max_len: u32,
    seed: u64,
) -> Result<HorizonReport, ExecError> {
    horizon_chunked(model, sequences, max_len, seed, STEPS_PER_DISPATCH)
}

/// [`horizon`] with at most `steps` steps per invocation per dispatch (at
/// most [`STEPS_PER_DISPATCH`] is safe). Small values exercise the state
/// hand-over between dispatches on short sequences; the result does not
/// depend on it.
pub fn horizon_chunked(
    model: &ValidModel,
    sequences: u32,
    max_len: u32,
    seed: u64,
    steps: u32,
) -> Result<HorizonReport, ExecError> {
    super::no_start_token(model, super::Backend::Gpu)?;
    let shape = Shape::new(model).map_err(backend_error)?;
    let mut report = HorizonReport {
        dtype: "f32",
        sequences: sequences as usize,
        max_len: max_len as usize,
        horizon: None,
    };
    if sequences == 0 || max_len == 0 {
        return Ok(report);
    }
    report.horizon = guard(|| horizon_device(&shape, sequences, max_len, seed, steps.max(1)))?;
    Ok(report)
}

fn horizon_device(
    shape: &Shape,
    sequences: u32,
    max_len: u32,
    seed: u64,
    limit: u32,
) -> Result<Option<usize>, ExecError> {
    let g = Gpu::get()?;
    let kernel = g.pipeline("horizon", &wgsl::horizon_kernel(shape), &HORIZON_LAYOUT)?;
    let tables = Tables::upload(&g, shape)?;
    let sw = wgsl::horizon_state_words(shape) as u64 * 4;
    let chunk = (MAX_GROUPS as u64 * WORKGROUP as u64)
        .min(sequences as u64)
        .min((g.max_binding() / sw).max(1));
    let st_buf = g.empty_buffer("sequence state", chunk * sw, wgpu::BufferUsages::STORAGE)?;
    let usage_rw =
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
    let best = g.empty_buffer("best step", 16, usage_rw)?;
    let prog_buf = g.empty_buffer("progress", chunk * 8, usage_rw)?;
    let stride = g.uniform_stride(wgsl::HORIZON_PARAMS);
    let par_buf = g.empty_buffer(
        "parameters",
        stride * HORIZON_DISPATCHES as u64,
        wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
    )?;
    let bind = g.bind(
        &kernel,
        &[
            &tables.floats,
            &tables.ints,
            &par_buf,
            &st_buf,
            &best,
            &prog_buf,
        ],
        wgsl::HORIZON_PARAMS,
        &HORIZON_LAYOUT,
    )?;
    g.scoped("initialising", || {
        g.queue.write_buffer(&best, 0, bytes_u32(&[u32::MAX; 4]))
    })?;
    let zeros = vec![0u32; 2 * chunk as usize];

    let mut bst = u32::MAX; // least failing step - 1 so far
                            // Steps per submission adapt so that one takes about 100 ms: short
                            // enough for a display watchdog, long enough to hide overheads. Each
                            // dispatch in it runs at most `limit` steps.
    let max_span = limit as u64 * HORIZON_DISPATCHES as u64;
    let mut span = ((1u64 << 25) / chunk).clamp(1, (max_len as u64).min(max_span));
    let mut s0 = 0u32;
    while s0 < sequences {
        let n = (sequences - s0).min(chunk as u32);
        g.scoped("clearing progress", || {
            g.queue
                .write_buffer(&prog_buf, 0, bytes_u32(&zeros[..2 * n as usize]))
        })?;
        let mut t0 = 0u32;
        while t0 < max_len && t0 < bst {
            let mut blocks = vec![0u8; (stride * HORIZON_DISPATCHES as u64) as usize];
            let mut groups = Vec::new();
            let stop = (t0 as u64 + span).min(max_len as u64) as u32;
            while groups.len() < HORIZON_DISPATCHES && t0 < stop {
                let m = limit.min(stop - t0);
                let words: [u32; 8] = [
                    n,
                    t0,
                    m,
                    s0,
                    seed as u32,
                    (seed >> 32) as u32,
                    (t0 == 0) as u32,
                    0,
                ];
                let off = (groups.len() as u64 * stride) as usize;
                blocks[off..off + 32].copy_from_slice(bytes_u32(&words));
                groups.push(n.div_ceil(WORKGROUP));
                t0 += m;
            }
            let clock = Instant::now();
            g.scoped("uploading parameters", || {
                g.queue.write_buffer(&par_buf, 0, &blocks)
            })?;
            g.dispatch(&kernel, &bind, stride, &groups)?;
            bst = g.read(&best, 1)?.first().copied().unwrap_or(u32::MAX);
            let took = clock.elapsed().as_secs_f64();
            if took < 0.05 {
                span = (span * 2).min(max_span);
            } else if took > 0.4 && span > 1 {
                span /= 2;
            }
        }
        // Every sequence that did not fail must have run up to the least
        // failing step (which only falls) or to the end; one that stopped
        // earlier was cut short by the driver.
        let need = max_len.min(bst);
        let prog = g.read(&prog_buf, 2 * n as usize)?;
        for (r, p) in prog.chunks_exact(2).enumerate() {
            if p[1] == 0 && p[0] < need {
                return Err(stopped(
                    r as u64,
                    &format!("random sequence {}", s0 as u64 + r as u64),
                    p[0] as u64,
                    need as u64,
                ));
            }
        }
        s0 += n;
    }
    Ok((bst != u32::MAX).then(|| bst as usize + 1))
}
