//! Executors: siblings behind one interface. Each takes a validated model and
//! a validated token batch and returns the decoded output class of every
//! step. None knows the others; all must decode identical outputs in the same
//! dtype.

pub mod gpu;
pub mod jit;
pub mod reference;

use crate::ir::Model;
use crate::scalar::Dtype;
use crate::tokens::Tokens;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ExecError {
    #[error("the {backend} backend does not support {dtype}")]
    UnsupportedDtype {
        backend: &'static str,
        dtype: &'static str,
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
}

/// Build an executor for `model` on `backend` in `dtype`.
pub fn build(
    model: &Model,
    backend: Backend,
    dtype: Dtype,
) -> Result<Box<dyn Executor>, ExecError> {
    match backend {
        Backend::Reference => Ok(Box::new(reference::Reference::new(model, dtype))),
        Backend::Jit => jit::build(model, dtype),
        Backend::Gpu => gpu::build(model, dtype),
    }
}
