//! Executors: siblings behind one interface. Each takes a validated model and
//! a validated token batch and returns the decoded output class of every
//! step. None knows the others; all must decode identical outputs in the same
//! dtype.

pub mod gpu;
pub mod jit;
pub mod reference;

use crate::ir::Diagonal;
use crate::scalar::Dtype;
use crate::tokens::Tokens;
use crate::valid::ValidModel;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ExecError {
    #[error("the {backend} backend does not support {dtype}")]
    UnsupportedDtype {
        backend: &'static str,
        dtype: &'static str,
    },
    #[error("the {backend} backend runs the diagonal targets only, not {target}; run this model with `--backend reference`")]
    UnsupportedTarget {
        backend: &'static str,
        target: &'static str,
    },
    #[error("the {0} backend is not available: {1}")]
    Unavailable(&'static str, String),
    #[error("{0}")]
    Backend(String),
}

/// Result of checking every sequence of length 1..=L against ground truth,
/// whichever backend ran it. Checking every step of every length-L sequence
/// covers each shorter sequence as a prefix; each is counted once.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ExhaustiveReport {
    /// Sequences (of every length 1..=L) checked.
    pub sequences: u64,
    /// Those whose last output was wrong.
    pub mismatches: u64,
    /// The first failing sequence in lexicographic order of token ids (a
    /// prefix before its extensions), cut after its first wrong step.
    pub first_failure: Option<Vec<u32>>,
}

/// How many sequences an exhaustive check of every sequence of length
/// 1..=`length` over `v` tokens must check in shard `(i, n)`: the i-th of n
/// contiguous ranges of the V^length longest sequences (in lexicographic
/// order of token ids), each shorter sequence owned by the shard of its
/// extension with token 0. Shard (0, 1) is the whole space, Σ_{l≤L} V^l.
/// None when the count overflows u64 or the shard does not exist.
pub fn expected_sequences(v: u64, length: usize, shard: (u64, u64)) -> Option<u64> {
    let (i, n) = shard;
    if n == 0 || i >= n {
        return None;
    }
    let (v, len) = (v as u128, u32::try_from(length).ok()?);
    let total = (0..len).try_fold(1u128, |acc, _| {
        acc.checked_mul(v).filter(|&t| t <= u64::MAX as u128)
    })?;
    let (start, end) = (
        total * i as u128 / n as u128,
        total * (i as u128 + 1) / n as u128,
    );
    let mut count = 0u128;
    let mut m = 1u128;
    for _ in 0..len {
        // Sequences of length len − k are the multiples of m = V^k.
        count = count.checked_add(end.div_ceil(m) - start.div_ceil(m))?;
        m = match m.checked_mul(v) {
            Some(m) => m,
            None => break,
        };
    }
    u64::try_from(count).ok()
}

/// Result of a precision sweep over long random sequences.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HorizonReport {
    pub dtype: &'static str,
    pub sequences: usize,
    pub max_len: usize,
    /// First (1-based) step that was wrong in any sequence; None when every
    /// sequence was right up to `max_len`.
    pub horizon: Option<usize>,
}

/// The diagonal layers of `model`, or the refusal of a backend that runs
/// only those: the condition on which the JIT and the GPU accept a model.
/// Both run every diagonal stack the validator accepts, tracking a group or
/// an automaton, with phase and register components alike.
pub fn diagonal_only(model: &ValidModel, backend: Backend) -> Result<&Diagonal, ExecError> {
    model.diagonal().ok_or(ExecError::UnsupportedTarget {
        backend: backend.name(),
        target: model.target().name(),
    })
}

/// The refusal of an exhaustive or horizon kernel that enumerates or draws
/// sequences from the stored initial state, for a model whose sequences must
/// begin with a start token.
pub fn no_start_token(model: &ValidModel, backend: Backend) -> Result<(), ExecError> {
    match model.manifest.bos {
        Some(_) => Err(ExecError::Backend(format!(
            "the {} backend's exhaustive and horizon checks draw sequences without a start token; check this start-token model with --backend reference",
            backend.name()
        ))),
        None => Ok(()),
    }
}

/// Which executor to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Reference,
    Jit,
    Gpu,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Reference => "reference",
            Backend::Jit => "jit",
            Backend::Gpu => "gpu",
        }
    }
}

/// A compiled-or-interpreted model ready to run batches.
pub trait Executor: Send + Sync {
    fn backend(&self) -> Backend;
    fn dtype(&self) -> Dtype;
    /// Decoded output class ids, row-major `[batch][len]` like the input.
    fn run(&self, tokens: &Tokens) -> Result<Vec<u32>, ExecError>;
    /// Like [`Executor::run`], into `out` (`batch × len` entries), so that a
    /// caller running many batches reuses one buffer instead of faulting in
    /// fresh pages each time.
    fn run_into(&self, tokens: &Tokens, out: &mut [u32]) -> Result<(), ExecError> {
        let y = self.run(tokens)?;
        check_out_len(tokens, out)?;
        out.copy_from_slice(&y);
        Ok(())
    }
}

/// The error for an output buffer that does not fit the batch.
fn check_out_len(tokens: &Tokens, out: &[u32]) -> Result<(), ExecError> {
    let n = tokens.ids().len();
    if out.len() == n {
        Ok(())
    } else {
        Err(ExecError::Backend(format!(
            "the output buffer holds {} ids, the batch has {n} tokens",
            out.len()
        )))
    }
}

/// Build an executor for `model` on `backend` in `dtype`.
pub fn build(
    model: &ValidModel,
    backend: Backend,
    dtype: Dtype,
) -> Result<Box<dyn Executor>, ExecError> {
    match backend {
        Backend::Reference => Ok(Box::new(reference::Reference::new(model, dtype))),
        Backend::Jit => jit::build(model, dtype),
        Backend::Gpu => gpu::build(model, dtype),
    }
}

#[cfg(test)]
mod tests {
    use super::expected_sequences;

    #[test]
    fn shards_partition_the_whole_space() {
        for v in 1..6u64 {
            for len in 0..6usize {
                let whole: u64 = (1..=len as u32).map(|l| v.pow(l)).sum();
                assert_eq!(expected_sequences(v, len, (0, 1)), Some(whole));
                for n in 1..9u64 {
                    let parts: u64 = (0..n)
                        .map(|i| expected_sequences(v, len, (i, n)).unwrap())
                        .sum();
                    assert_eq!(parts, whole, "v {v}, length {len}, {n} shards");
                }
            }
        }
        assert_eq!(expected_sequences(2, 3, (3, 3)), None);
        assert_eq!(expected_sequences(2, 3, (0, 0)), None);
        assert_eq!(expected_sequences(1 << 20, 4, (0, 1)), None);
    }
}
