//! Exhaustive check with the JIT: every token sequence of length 1..=L
//! against the model's ground truth: the running product from the Cayley
//! table or by multiplying permutations, or the automaton's state from its
//! transition table.
//!
//! The prefix tree is walked depth first in blocks: a block holds the states
//! of up to `cap` sequences of one length; one call of the generated
//! `expand` steps all of them with every token, giving the next level's
//! block. Each sequence therefore costs at most one model step, and every
//! prefix's output is checked as a sequence of its own.
//!
//! The kernel's next state and output are a function of its float state
//! and the token, so prefixes of one length that reach the same state bit
//! for bit, with the same truth, have the same outputs on every suffix. The
//! walk's top levels keep one such prefix per (state, truth), the least,
//! with the number it stands for; while those fit one block the walk goes
//! on breadth first, so a model whose rounded states form a small closed
//! set is checked to any length in time linear in it. Counts are those of
//! the sequences themselves, and the first failure is the least failing
//! sequence: its prefix is the least of its class, or it would not be.

use super::codegen::Float;
use super::{FloatVec, Jit};
use crate::exec::ExecError;
use crate::scalar::Dtype;
use crate::valid::ValidModel;
use rayon::prelude::*;
use std::collections::HashMap;
use std::ops::Range;

pub use crate::exec::ExhaustiveReport;

/// Check `model`, run by the JIT in `dtype`, on every sequence of length
/// 1..=`length` over its tokens.
pub fn exhaustive(
    model: &ValidModel,
    dtype: Dtype,
    length: usize,
) -> Result<ExhaustiveReport, ExecError> {
    super::super::no_start_token(model, super::super::Backend::Jit)?;
    let jit = Jit::new(model, dtype)?;
    jit.exhaustive(model, length)
}

/// One level's block: states (rows of `stride` scalars, see
/// `codegen::ExpandFn`), ground truth, sequence index and model output per
/// sequence.
struct Level {
    states: FloatVec,
    stride: usize,
    truth: Vec<u32>,
    index: Vec<u64>,
    out: Vec<u32>,
}

#[derive(Default)]
struct Acc {
    sequences: u64,
    mismatches: u64,
    /// (length, index among sequences of that length) of the first failure.
    first: Option<(usize, u64)>,
}

impl Acc {
    /// The counts of a walk whose every sequence stands for `w`.
    fn times(self, w: u64) -> Acc {
        Acc {
            sequences: self.sequences * w,
            mismatches: self.mismatches * w,
            first: self.first,
        }
    }
}

/// A merged prefix's float state (its rows' bits) and truth.
type Class = (Vec<u64>, u32);

/// The runs of equal values of an ascending list, as (value, range).
fn runs(weights: &[u64]) -> Vec<(u64, Range<usize>)> {
    let mut out: Vec<(u64, Range<usize>)> = Vec::new();
    for (i, &w) in weights.iter().enumerate() {
        match out.last_mut() {
            Some((v, r)) if *v == w => r.end = i + 1,
            _ => out.push((w, i..i + 1)),
        }
    }
    out
}

/// The true output after a token, as table lookups.
enum Truth<'a> {
    /// `table[g · order + elements[x]]`.
    Group {
        table: &'a [u32],
        elements: &'a [u32],
        order: usize,
    },
    /// `delta[x · states + q]`.
    Automaton { delta: &'a [u32], states: usize },
    /// Multiplied as permutations and ranked by the normal form: no table.
    Perm(&'a crate::ir::PermTruth),
    /// Collected in the presentation: no table.
    Pc(&'a crate::ir::PcTruth),
}

struct Walk<'a> {
    jit: &'a Jit,
    truth: Truth<'a>,
    /// The output before any token.
    initial: u32,
    v: usize,
    length: usize,
    /// States per block.
    cap: usize,
    /// Rows per block (re and im of every state component).
    rows: usize,
}

impl Jit {
    /// The exhaustive check on this compiled model; `model` must be the one
    /// it was compiled from (its group table or automaton gives the ground
    /// truth).
    pub fn exhaustive(
        &self,
        model: &ValidModel,
        length: usize,
    ) -> Result<ExhaustiveReport, ExecError> {
        let v = self.spec.num_tokens;
        let order = model.order();
        let bad = |m: &str| {
            Err(ExecError::Backend(format!(
                "cannot check this model exhaustively: {m}"
            )))
        };
        if model.num_tokens() != v {
            return bad("it is not the model this executor was compiled from");
        }
        if length == 0 || v == 0 {
            return Ok(ExhaustiveReport {
                sequences: 0,
                mismatches: 0,
                first_failure: None,
            });
        }
        // Merged prefixes are counted by multiplication: the whole count
        // must fit.
        if crate::exec::expected_sequences(v as u64, length, (0, 1)).is_none() {
            return bad(&format!("{v}^{length} sequences overflow a 64-bit count"));
        }
        let lanes = self.lanes();
        super::super::diagonal_only(model, super::super::Backend::Jit)?;
        let truth = match &model.truth {
            crate::ir::Truth::Group(g) => Truth::Group {
                table: &g.table,
                elements: &g.token_elements,
                order,
            },
            crate::ir::Truth::Automaton(a) => Truth::Automaton {
                delta: &a.delta,
                states: order,
            },
            crate::ir::Truth::Perm(p) => Truth::Perm(p),
            crate::ir::Truth::Pc(p) => Truth::Pc(p),
        };
        let walk = Walk {
            jit: self,
            truth,
            initial: model.initial_output(),
            v,
            length,
            cap: (v * lanes).max(4096),
            rows: 2 * self
                .spec
                .layers
                .iter()
                .map(|l| l.moduli.len())
                .sum::<usize>(),
        };
        let acc = walk.run();
        Ok(ExhaustiveReport {
            sequences: acc.sequences,
            mismatches: acc.mismatches,
            first_failure: acc.first.map(|(len, idx)| walk.sequence(len, idx)),
        })
    }
}

impl Walk<'_> {
    fn float(&self) -> Float {
        self.jit.spec.float
    }

    fn level(&self) -> Level {
        // Slack for the lanes the kernel reads and writes past a block.
        let stride = self.cap + self.jit.lanes();
        let n = self.rows * stride;
        Level {
            states: match self.float() {
                Float::F32 => FloatVec::F32(vec![0.0; n]),
                Float::F64 => FloatVec::F64(vec![0.0; n]),
            },
            stride,
            truth: vec![0; self.cap],
            index: vec![0; self.cap],
            out: vec![0; stride],
        }
    }

    /// The root block: the empty sequence in the initial state.
    fn root(&self) -> Level {
        let mut root = self.level();
        root.truth[0] = self.initial;
        let h0 = self
            .jit
            .spec
            .layers
            .iter()
            .flat_map(|l| l.h0.iter().flat_map(|&(r, i)| [r, i]));
        for (row, x) in h0.enumerate() {
            let at = row * root.stride;
            match &mut root.states {
                FloatVec::F32(s) => s[at] = x as f32,
                FloatVec::F64(s) => s[at] = x,
            }
        }
        root
    }

    fn run(&self) -> Acc {
        let mut acc = Acc::default();
        let mut cur = self.root();
        // How many prefixes each state of `cur` stands for, ascending.
        let mut weights = vec![1u64];
        let mut len = 0usize;
        // Breadth first while a level's distinct states fit one block:
        // prefixes that reach the same float state (bit for bit) with the
        // same truth have the same future under the same kernel, so the
        // least of them stands for all, weighted by how many they are. A
        // model whose rounded states close (most proved ones) is walked to
        // any length this way; one whose states keep spreading leaves it
        // after a few levels.
        while len < self.length && weights.len() * self.v <= self.cap {
            match self.merged_level(&cur, &weights, len, &mut acc) {
                Some((next, w)) => (cur, weights) = (next, w),
                None => return acc,
            }
            len += 1;
        }
        if len == self.length {
            return acc;
        }
        // Then split each run of equal weights across threads and go depth
        // first in each part, counting every sequence `weight` times.
        for (w, run) in runs(&weights) {
            let count = run.len();
            let parts = (rayon::current_num_threads() * 8).min(count);
            let per = count.div_ceil(parts);
            let results: Vec<Acc> = run
                .clone()
                .step_by(per)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|s| {
                    let mut bufs: Vec<Level> = (len..self.length).map(|_| self.level()).collect();
                    let mut a = Acc::default();
                    self.dfs(len, &cur, s..(s + per).min(run.end), &mut bufs, &mut a);
                    a
                })
                .collect();
            for a in results {
                self.merge(&mut acc, a.times(w));
            }
        }
        acc
    }

    /// Expand every state of `cur` (of sequences of length `len`, weighted
    /// by `weights`) and check the children; unless they are leaves, merge
    /// those with equal states and truths into the next level, ordered by
    /// weight, then least index.
    fn merged_level(
        &self,
        cur: &Level,
        weights: &[u64],
        len: usize,
        acc: &mut Acc,
    ) -> Option<(Level, Vec<u64>)> {
        let leaf = len + 1 == self.length;
        let mut child = self.level();
        let mut classes: HashMap<Class, (u64, u64)> = HashMap::new();
        for (w, run) in runs(weights) {
            let mut a = Acc::default();
            self.expand(cur, run.start, run.len(), &mut child, len, &mut a);
            self.merge(acc, a.times(w));
            if leaf {
                continue;
            }
            for c in 0..run.len() * self.v {
                let key = (self.row_bits(&child, c), child.truth[c]);
                let e = classes.entry(key).or_insert((child.index[c], 0));
                e.0 = e.0.min(child.index[c]);
                e.1 += w;
            }
        }
        if leaf {
            return None;
        }
        let mut classes: Vec<(Class, (u64, u64))> = classes.into_iter().collect();
        classes.sort_unstable_by_key(|&(_, (index, w))| (w, index));
        let mut next = self.level();
        for (i, ((bits, truth), (index, _))) in classes.iter().enumerate() {
            for (r, &b) in bits.iter().enumerate() {
                let at = r * next.stride + i;
                match &mut next.states {
                    FloatVec::F32(s) => s[at] = f32::from_bits(b as u32),
                    FloatVec::F64(s) => s[at] = f64::from_bits(b),
                }
            }
            next.truth[i] = *truth;
            next.index[i] = *index;
        }
        Some((next, classes.iter().map(|c| c.1 .1).collect()))
    }

    /// The bits of state `c`'s rows in `level`.
    fn row_bits(&self, level: &Level, c: usize) -> Vec<u64> {
        (0..self.rows)
            .map(|r| match &level.states {
                FloatVec::F32(s) => s[r * level.stride + c].to_bits() as u64,
                FloatVec::F64(s) => s[r * level.stride + c].to_bits(),
            })
            .collect()
    }

    fn merge(&self, acc: &mut Acc, a: Acc) {
        acc.sequences += a.sequences;
        acc.mismatches += a.mismatches;
        if let Some(f) = a.first {
            self.offer(acc, f.0, f.1);
        }
    }

    /// Keep the earlier (depth-first order) of the current first failure
    /// and sequence `idx` of length `len`.
    fn offer(&self, acc: &mut Acc, len: usize, idx: u64) {
        let better = match acc.first {
            None => true,
            Some((l, i)) => self.sequence(len, idx) < self.sequence(l, i),
        };
        if better {
            acc.first = Some((len, idx));
        }
    }

    /// Token ids of sequence `idx` among those of length `len`.
    fn sequence(&self, len: usize, mut idx: u64) -> Vec<u32> {
        let v = self.v as u64;
        let mut s = vec![0u32; len];
        for t in s.iter_mut().rev() {
            *t = (idx % v) as u32;
            idx /= v;
        }
        s
    }

    fn dfs(
        &self,
        len: usize,
        parent: &Level,
        range: Range<usize>,
        bufs: &mut [Level],
        acc: &mut Acc,
    ) {
        let Some((child, rest)) = bufs.split_first_mut() else {
            return;
        };
        let chunk = (self.cap / self.v).max(1);
        let mut s = range.start;
        while s < range.end {
            let n = chunk.min(range.end - s);
            self.expand(parent, s, n, child, len, acc);
            self.dfs(len + 1, child, 0..n * self.v, rest, acc);
            s += n;
        }
    }

    /// Step parents `start..start + n` (sequences of length `len`) with every
    /// token into `child` and check the outputs.
    fn expand(
        &self,
        parent: &Level,
        start: usize,
        n: usize,
        child: &mut Level,
        len: usize,
        acc: &mut Acc,
    ) {
        let v = self.v;
        let lanes = self.jit.lanes();
        assert!(n * v <= self.cap && start + n <= self.cap && parent.stride == child.stride);
        let size = self.float().size();
        let pbase = match &parent.states {
            FloatVec::F32(s) => s.as_ptr() as *const u8,
            FloatVec::F64(s) => s.as_ptr() as *const u8,
        };
        let cbase = match &mut child.states {
            FloatVec::F32(s) => s.as_mut_ptr() as *mut u8,
            FloatVec::F64(s) => s.as_mut_ptr() as *mut u8,
        };
        // SAFETY: `expand` reads rows of parents start..start + n rounded up
        // to whole lane groups: start + n + lanes - 1 < cap + lanes = stride
        // scalars per row, inside the parent buffer of rows × stride
        // scalars. It writes children 0..n·v rounded up likewise, below
        // cap + lanes = stride, inside the child buffer, and as many outputs
        // into `out` (stride entries). The layer-0 tokens are 0..v, the
        // model's token count; every other index is in bounds by
        // construction (see `codegen::Spec`).
        unsafe {
            (self.jit.code.expand)(
                self.jit.ptrs.as_ptr(),
                pbase.add(start * size),
                parent.stride as u64,
                n as u64,
                cbase,
                child.stride as u64,
                child.out.as_mut_ptr(),
            )
        };
        debug_assert!(n + lanes <= parent.stride);
        acc.sequences += (n * v) as u64;
        let ptruth = &parent.truth[start..start + n];
        let pindex = &parent.index[start..start + n];
        let mut first: Option<u64> = None;
        // Children of the last length have no children of their own: only
        // their outputs are checked.
        let leaf = len + 1 == self.length;
        for x in 0..v {
            let c = x * n..(x + 1) * n;
            let kids = Children {
                truth: &mut child.truth[c.clone()],
                index: &mut child.index[c.clone()],
                out: &child.out[c],
                x: x as u64,
                v: v as u64,
                leaf,
            };
            // One lookup per child, the table's row fixed by the token.
            match self.truth {
                Truth::Group {
                    table,
                    elements,
                    order,
                } => {
                    let e = elements[x] as usize;
                    kids.check(ptruth, pindex, acc, &mut first, |g| {
                        table[g as usize * order + e]
                    })
                }
                Truth::Automaton { delta, states } => {
                    let row = &delta[x * states..(x + 1) * states];
                    kids.check(ptruth, pindex, acc, &mut first, |q| row[q as usize])
                }
                Truth::Perm(p) => {
                    kids.check(ptruth, pindex, acc, &mut first, |g| p.next(g, x as u32))
                }
                Truth::Pc(p) => {
                    kids.check(ptruth, pindex, acc, &mut first, |g| p.next(g, x as u32))
                }
            }
        }
        if let Some(idx) = first {
            self.offer(acc, len + 1, idx);
        }
    }
}

/// The children of one token x (of v) in a level: their truth, index and
/// the model's outputs.
struct Children<'c> {
    truth: &'c mut [u32],
    index: &'c mut [u64],
    out: &'c [u32],
    x: u64,
    v: u64,
    /// Check only: neither truth nor index is kept.
    leaf: bool,
}

impl Children<'_> {
    /// Fill the truth and index of every child from its parent's and count
    /// the outputs that differ from the truth (`next` gives the truth after
    /// x from the parent's), keeping the least failing index in `first`.
    #[inline(always)]
    fn check(
        self,
        ptruth: &[u32],
        pindex: &[u64],
        acc: &mut Acc,
        first: &mut Option<u64>,
        next: impl Fn(u32) -> u32,
    ) {
        if self.leaf {
            let bad = ptruth
                .iter()
                .zip(self.out)
                .filter(|&(&t, &o)| o != next(t))
                .count();
            if bad > 0 {
                acc.mismatches += bad as u64;
                // Rare: only then are the failing indices formed.
                let least = (0..ptruth.len())
                    .filter(|&p| self.out[p] != next(ptruth[p]))
                    .map(|p| pindex[p] * self.v + self.x)
                    .min();
                if let Some(idx) = least {
                    if first.is_none_or(|f| idx < f) {
                        *first = Some(idx);
                    }
                }
            }
            return;
        }
        for p in 0..ptruth.len() {
            let g = next(ptruth[p]);
            self.truth[p] = g;
            let idx = pindex[p] * self.v + self.x;
            self.index[p] = idx;
            if self.out[p] != g {
                acc.mismatches += 1;
                if first.is_none_or(|f| idx < f) {
                    *first = Some(idx);
                }
            }
        }
    }
}
