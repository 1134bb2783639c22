//! Token batches, validated against a model before any executor sees them.

use crate::valid::ValidModel;
use std::collections::HashMap;
use std::io::BufRead;
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
    #[error("sequence {seq} begins with token {first}, but this model runs from the zero state: every sequence must begin with its start token <bos> (id {bos})")]
    NoStart { seq: usize, first: u32, bos: u32 },
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
        let tokens = Self::with_limit(model.num_tokens(), batch, len, ids)?;
        if let (Some(bos), true) = (model.manifest.bos, len > 0) {
            if let Some(seq) = (0..batch).find(|&b| tokens.row(b)[0] != bos) {
                return Err(TokenError::NoStart {
                    seq,
                    first: tokens.row(seq)[0],
                    bos,
                });
            }
        }
        Ok(tokens)
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
        let vocab = Vocab::new(model, ids_only);
        let ids = text
            .split_whitespace()
            .enumerate()
            .map(|(pos, word)| vocab.word(word, pos))
            .collect::<Result<Vec<u32>, _>>()?;
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

/// Longest word accepted when every label is shorter: room for any u32 id,
/// with a sign or leading zeros to spare.
pub const MIN_WORD_LIMIT: usize = 64;

/// Longest run of white space (blank lines included) the streaming reader
/// skips; without it an endless stream of blanks would be read forever.
pub const MAX_GAP_BYTES: usize = 1 << 20;

/// The words of one model's token sequences. Labels are looked up in a hash
/// map built once per model, so a word costs one lookup whatever the number
/// of tokens.
#[derive(Clone, Debug)]
pub struct Vocab {
    labels: HashMap<String, u32>,
    num_tokens: usize,
    max_word: usize,
}

impl Vocab {
    /// With `ids_only`, every word must be a numeric id (so labels that look
    /// like numbers cannot be misread); otherwise a word that is a label is
    /// read as that label, and any other word as an id.
    pub fn new(model: &ValidModel, ids_only: bool) -> Self {
        Self::from_labels(&model.manifest.tokens, model.num_tokens(), ids_only)
    }

    fn from_labels(tokens: &[String], num_tokens: usize, ids_only: bool) -> Self {
        let mut labels = HashMap::new();
        if !ids_only {
            for (i, label) in tokens.iter().enumerate() {
                // The first of equal labels wins, as in a search from the front.
                labels.entry(label.clone()).or_insert(i as u32);
            }
        }
        let max_word = labels
            .keys()
            .map(String::len)
            .max()
            .unwrap_or(0)
            .max(MIN_WORD_LIMIT);
        Vocab {
            labels,
            num_tokens,
            max_word,
        }
    }

    /// Bytes in the longest word that can name a token.
    pub fn max_word(&self) -> usize {
        self.max_word
    }

    /// The token id of `word`, the `pos`-th word of its sequence.
    pub fn word(&self, word: &str, pos: usize) -> Result<u32, TokenError> {
        if let Some(&id) = self.labels.get(word) {
            return Ok(id);
        }
        match word.parse::<u32>() {
            Ok(i) if (i as usize) < self.num_tokens => Ok(i),
            _ => Err(TokenError::UnknownLabel {
                label: word.to_string(),
                pos,
                num_tokens: self.num_tokens,
            }),
        }
    }
}

/// Why a streamed input could not be read. Sequences are numbered from 1
/// among the non-blank lines, positions from 0.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("sequence {seq}: {err}")]
    Token { seq: usize, err: TokenError },
    #[error("sequence {seq}, position {pos}: stream did not contain valid UTF-8")]
    NotUtf8 { seq: usize, pos: usize },
    #[error("sequence {seq}, position {pos}: a word longer than {limit} bytes, so no token label or id of this model")]
    WordTooLong {
        seq: usize,
        pos: usize,
        limit: usize,
    },
    #[error("more than {limit} bytes of white space in a row after {done} sequences")]
    GapTooLong { done: usize, limit: usize },
    #[error(
        "sequence {seq}: more than {limit} token steps in all (raise the limit with --max-steps)"
    )]
    TooManySteps { seq: usize, limit: u64 },
}

/// Reads token sequences, one per line, straight from bytes into ids: a
/// line's text is never held, only the word being read (at most the longest
/// label), so a line of any length costs 4 bytes per token. Every byte read
/// is bounded: words by the longest label, blanks by [`MAX_GAP_BYTES`] and
/// tokens by `max_steps`, so any input (a device, a pipe) ends in bounded
/// time and memory. Words split as `str::split_whitespace` splits them, lines
/// at `\n`; blank lines are skipped.
pub struct SequenceReader<'v, R> {
    input: R,
    words: Words<'v>,
}

/// The reader's state apart from its input, so a byte loop over the input's
/// buffer can update it.
struct Words<'v> {
    vocab: &'v Vocab,
    max_steps: u64,
    /// Tokens read so far, over all sequences.
    steps: u64,
    /// Non-blank lines finished.
    done: usize,
    /// The bytes of the word being read.
    word: Vec<u8>,
    /// White space bytes since the last word.
    gap: usize,
}

impl<'v, R: BufRead> SequenceReader<'v, R> {
    pub fn new(vocab: &'v Vocab, input: R, max_steps: u64) -> Self {
        SequenceReader {
            input,
            words: Words {
                vocab,
                max_steps,
                steps: 0,
                done: 0,
                word: Vec::with_capacity(vocab.max_word + 4),
                gap: 0,
            },
        }
    }

    /// Non-blank sequences read so far.
    pub fn sequences(&self) -> usize {
        self.words.done
    }

    /// Append the ids of the next non-blank line to `ids`; the number
    /// appended, or None at the end of the input.
    pub fn next_into(&mut self, ids: &mut Vec<u32>) -> Result<Option<usize>, ReadError> {
        let start = ids.len();
        let w = &mut self.words;
        loop {
            let buf = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if buf.is_empty() {
                // The last line needs no newline.
                w.end_word(ids, start)?;
                if ids.len() == start {
                    return Ok(None);
                }
                w.done += 1;
                return Ok(Some(ids.len() - start));
            }
            let mut used = 0;
            let mut line_done = false;
            for &b in buf {
                used += 1;
                match b {
                    b'\n' => {
                        w.end_word(ids, start)?;
                        if ids.len() > start {
                            line_done = true;
                            break;
                        }
                        w.blank(1)?;
                    }
                    // The ASCII characters `char::is_whitespace` accepts.
                    b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {
                        w.end_word(ids, start)?;
                        w.blank(1)?;
                    }
                    _ => w.push(b, ids, start)?,
                }
            }
            self.input.consume(used);
            if line_done {
                w.done += 1;
                return Ok(Some(ids.len() - start));
            }
        }
    }
}

impl Words<'_> {
    fn blank(&mut self, bytes: usize) -> Result<(), ReadError> {
        self.gap += bytes;
        if self.gap > MAX_GAP_BYTES {
            return Err(ReadError::GapTooLong {
                done: self.done,
                limit: MAX_GAP_BYTES,
            });
        }
        Ok(())
    }

    fn push(&mut self, b: u8, ids: &mut Vec<u32>, start: usize) -> Result<(), ReadError> {
        self.word.push(b);
        if b >= 0x80 {
            // Non-ASCII white space ends a word too, as in split_whitespace.
            let n = unicode_space_suffix(&self.word);
            if n > 0 {
                self.word.truncate(self.word.len() - n);
                self.end_word(ids, start)?;
                return self.blank(n);
            }
        }
        // Up to 3 bytes past the limit may still be a white space character.
        if self.word.len() > self.vocab.max_word + 3 {
            return Err(self.too_long(ids.len() - start));
        }
        Ok(())
    }

    fn too_long(&self, pos: usize) -> ReadError {
        ReadError::WordTooLong {
            seq: self.done + 1,
            pos,
            limit: self.vocab.max_word,
        }
    }

    fn end_word(&mut self, ids: &mut Vec<u32>, start: usize) -> Result<(), ReadError> {
        if self.word.is_empty() {
            return Ok(());
        }
        let (seq, pos) = (self.done + 1, ids.len() - start);
        if self.word.len() > self.vocab.max_word {
            return Err(self.too_long(pos));
        }
        let text = std::str::from_utf8(&self.word).map_err(|_| ReadError::NotUtf8 { seq, pos })?;
        let id = self
            .vocab
            .word(text, pos)
            .map_err(|err| ReadError::Token { seq, err })?;
        self.steps += 1;
        if self.steps > self.max_steps {
            return Err(ReadError::TooManySteps {
                seq,
                limit: self.max_steps,
            });
        }
        ids.push(id);
        self.word.clear();
        self.gap = 0;
        Ok(())
    }
}

/// Length of the non-ASCII white space character `word` ends with, or 0.
/// Such characters are 2 or 3 bytes long in UTF-8.
fn unicode_space_suffix(word: &[u8]) -> usize {
    for n in [2, 3] {
        if let Some(tail) = word.len().checked_sub(n).map(|i| &word[i..]) {
            if let Ok(s) = std::str::from_utf8(tail) {
                let mut cs = s.chars();
                if let (Some(c), None) = (cs.next(), cs.next()) {
                    if c.is_whitespace() {
                        return n;
                    }
                }
            }
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(ids_only: bool) -> Vocab {
        let labels: Vec<String> = ["e", "a", "a^-1", "1", "x\u{a0}y"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        Vocab::from_labels(&labels, labels.len(), ids_only)
    }

    /// Every sequence of `text`, read with `max_steps`.
    fn read(v: &Vocab, text: &[u8], max_steps: u64) -> Result<Vec<Vec<u32>>, ReadError> {
        let mut r = SequenceReader::new(v, text, max_steps);
        let mut seqs = Vec::new();
        loop {
            let mut ids = vec![7];
            match r.next_into(&mut ids)? {
                Some(n) => {
                    assert_eq!(ids.len(), n + 1, "appends after what is there");
                    seqs.push(ids[1..].to_vec());
                }
                None => {
                    assert_eq!(ids, [7]);
                    assert_eq!(r.sequences(), seqs.len());
                    return Ok(seqs);
                }
            }
        }
    }

    /// The rule the streaming reader must follow: lines, then
    /// `split_whitespace`, blank lines skipped.
    fn by_lines(v: &Vocab, text: &str) -> Vec<Vec<u32>> {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                l.split_whitespace()
                    .enumerate()
                    .map(|(p, w)| v.word(w, p).unwrap())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn labels_first_then_ids() {
        let v = vocab(false);
        assert_eq!(v.word("a^-1", 0), Ok(2));
        // "1" is the label of token 3, not the id 1.
        assert_eq!(v.word("1", 0), Ok(3));
        assert_eq!(v.word("4", 0), Ok(4));
        assert!(matches!(
            v.word("5", 2),
            Err(TokenError::UnknownLabel {
                pos: 2,
                num_tokens: 5,
                ..
            })
        ));
        let ids = vocab(true);
        assert_eq!(ids.word("1", 0), Ok(1));
        assert!(ids.word("a", 0).is_err());
    }

    #[test]
    fn streams_like_lines_and_split_whitespace() {
        let v = vocab(false);
        for text in [
            "",
            "\n\n",
            "e a\na^-1 1",
            "  e\t a \r\n\n \n4 0\x0b1\x0c2",
            "a\u{a0}e\u{2028}1\u{3000}\u{85}a^-1\n\u{a0}\n",
            "0 1 2 3 4 0 1 2 3 4\n",
        ] {
            assert_eq!(
                read(&v, text.as_bytes(), 100).unwrap(),
                by_lines(&v, text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_line_split_across_buffers() {
        let v = vocab(true);
        let text = "1 2 3 4 0 1\n2 3\n".repeat(1000);
        let r = std::io::BufReader::with_capacity(7, text.as_bytes());
        let mut r = SequenceReader::new(&v, r, u64::MAX);
        let mut ids = Vec::new();
        while r.next_into(&mut ids).unwrap().is_some() {}
        assert_eq!(r.sequences(), 2000);
        assert_eq!(ids, by_lines(&v, &text).concat());
    }

    #[test]
    fn limits_hold_on_endless_input() {
        use std::io::{repeat, BufReader};
        let v = vocab(false);
        let first = |input: &mut dyn BufRead, max_steps| {
            let mut ids = Vec::new();
            let e = SequenceReader::new(&v, input, max_steps)
                .next_into(&mut ids)
                .unwrap_err();
            (e, ids.len())
        };
        let (e, _) = first(&mut BufReader::new(repeat(0)), 10);
        assert!(matches!(
            e,
            ReadError::WordTooLong {
                seq: 1,
                pos: 0,
                limit: MIN_WORD_LIMIT
            }
        ));
        let (e, _) = first(&mut BufReader::new(repeat(b'\n')), 10);
        assert!(matches!(
            e,
            ReadError::GapTooLong {
                done: 0,
                limit: MAX_GAP_BYTES
            }
        ));
        let endless = "e ".repeat(100);
        let (e, n) = first(&mut endless.as_bytes(), 10);
        assert!(matches!(e, ReadError::TooManySteps { seq: 1, limit: 10 }));
        assert_eq!(n, 10);
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let v = vocab(false);
        for text in [&b"e \xff"[..], b"e\n\xe2 \x80\xa8", b"\xe2\xc2\xa0"] {
            assert!(
                matches!(read(&v, text, 10), Err(ReadError::NotUtf8 { .. })),
                "{text:?}"
            );
        }
    }
}
