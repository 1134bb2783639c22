//! Token batches, validated against a model before any executor sees them.

use crate::valid::ValidModel;
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum TokenError {
    #[error("token id {id} at sequence {seq}, position {pos} is out of range: the model has {num_tokens} tokens (ids 0..{max})", max = .num_tokens.saturating_sub(1))]
    OutOfRange {
        id: u32,
        seq: usize,
        pos: usize,
        num_tokens: usize,
    },
    #[error("token batch has {got} ids, but batch {batch} × length {len} needs {want}")]
    Shape {
        got: usize,
        batch: usize,
        len: usize,
        want: usize,
    },
    #[error("unknown token '{label}' at position {pos}: not a token label of this model and not an id below {num_tokens}")]
    UnknownLabel {
        label: String,
        pos: usize,
        num_tokens: usize,
    },
    #[error("batch {batch} × length {len} = {total} token steps exceeds the limit of {limit} (raise it with --max-steps)")]
    TooLarge {
        batch: usize,
        len: usize,
        total: u128,
        limit: u64,
    },
}

/// A batch of token sequences, row-major `[batch][len]`, every id checked to
/// be below the model's token count. Executors may index their tables with
/// these ids without further checks.
#[derive(Clone, Debug, PartialEq)]
pub struct Tokens {
    batch: usize,
    len: usize,
    ids: Vec<u32>,
}

impl Tokens {
    pub fn new(
        model: &ValidModel,
        batch: usize,
        len: usize,
        ids: Vec<u32>,
    ) -> Result<Self, TokenError> {
        Self::with_limit(model.num_tokens(), batch, len, ids)
    }

    /// Validate against a token count directly.
    pub fn with_limit(
        num_tokens: usize,
        batch: usize,
        len: usize,
        ids: Vec<u32>,
    ) -> Result<Self, TokenError> {
        let want = batch.checked_mul(len).ok_or(TokenError::Shape {
            got: ids.len(),
            batch,
            len,
            want: usize::MAX,
        })?;
        if ids.len() != want {
            return Err(TokenError::Shape {
                got: ids.len(),
                batch,
                len,
                want,
            });
        }
        if let Some(i) = ids.iter().position(|&t| t as usize >= num_tokens) {
            return Err(TokenError::OutOfRange {
                id: ids[i],
                seq: i / len.max(1),
                pos: i % len.max(1),
                num_tokens,
            });
        }
        Ok(Tokens { batch, len, ids })
    }

    /// Parse whitespace-separated token labels or numeric ids as one
    /// sequence (a word that is a label is read as that label).
    pub fn parse(model: &ValidModel, text: &str) -> Result<Self, TokenError> {
        Self::parse_as(model, text, false)
    }

    /// Parse one sequence; with `ids_only`, every word must be a numeric id
    /// (so labels that look like numbers cannot be misread).
    pub fn parse_as(model: &ValidModel, text: &str, ids_only: bool) -> Result<Self, TokenError> {
        let labels: &[String] = if ids_only {
            &[]
        } else {
            &model.manifest.tokens
        };
        let num_tokens = model.num_tokens();
        let mut ids = Vec::new();
        for (pos, word) in text.split_whitespace().enumerate() {
            let id = match labels.iter().position(|l| l == word) {
                Some(i) => i as u32,
                None => match word.parse::<u32>() {
                    Ok(i) if (i as usize) < num_tokens => i,
                    _ => {
                        return Err(TokenError::UnknownLabel {
                            label: word.to_string(),
                            pos,
                            num_tokens,
                        })
                    }
                },
            };
            ids.push(id);
        }
        let len = ids.len();
        Tokens::new(model, 1, len, ids)
    }

    pub fn batch(&self) -> usize {
        self.batch
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }
    pub fn row(&self, b: usize) -> &[u32] {
        &self.ids[b * self.len..(b + 1) * self.len]
    }
}
