//! Word-problem datasets with exact labels: sequences of tokens drawn
//! uniformly and independently by SplitMix64 from a seed, and their running
//! products y_t = x_1·x_2⋯x_t. From a source the products come from the
//! group's Cayley table, input ids are token ids numbered as the compiler
//! numbers them for the same group and alphabet, and targets are element
//! ids (a model's output classes), so a dataset and a weight file of the
//! same source agree. From a weight file (`--model`) tokens and targets are
//! the file's own, from the truth it carries: its group however large,
//! numbered as its outputs are, or its automaton's states. Rows are
//! generated, written and forgotten one at a time.

use crate::construct::{tokens, Alphabet};
use crate::group::Group;
use gssm_runtime::valid::ValidModel;
use serde::Serialize;
use std::io::{BufWriter, Write};

/// The formats the field's code reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// CSV `seed,input,target` (jopetty/word-problem): space-separated ids.
    WordProblem,
    /// The same CSV with a BOS id first in both columns, where the
    /// tokenizer of kazuki-irie/lie-algebra-state-tracking puts `[BOS]`.
    WordProblemBos,
    /// One JSON object per line: `{"input": [ids], "target": [ids]}`.
    Jsonl,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::WordProblem, Format::WordProblemBos, Format::Jsonl];
    pub fn name(self) -> &'static str {
        match self {
            Format::WordProblem => "word-problem",
            Format::WordProblemBos => "word-problem-bos",
            Format::Jsonl => "jsonl",
        }
    }
    pub fn parse(name: &str) -> Option<Format> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The special tokens of the word-problem tokenizers, in the order they are
/// added to the vocabulary after the ids (`SpecialTokens` in
/// `src/main.py` of jopetty/word-problem and of
/// kazuki-irie/lie-algebra-state-tracking's `state_tracking/src/main.py`).
const SPECIAL_TOKENS: [&str; 7] = [
    "[PAD]", "[BOS]", "[UNK]", "[EOS]", "[SEP]", "[CLS]", "[MASK]",
];

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Tokens per sequence (at least 1).
    pub len: usize,
    /// Sequences (at least 1).
    pub count: u64,
    pub seed: u64,
    pub format: Format,
}

pub fn alphabet_name(a: Alphabet) -> &'static str {
    match a {
        Alphabet::Elements => "elements",
        Alphabet::Generators { inverses: false } => "generators",
        Alphabet::Generators { inverses: true } => "generators+inverses",
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014), the generator of every dataset:
/// the state starts at the seed, and each draw is
///
/// ```text
/// state += 0x9E3779B97F4A7C15
/// z = (state ^ (state >> 30)) * 0xBF58476D1CE4E5B9
/// z = (z ^ (z >> 27)) * 0x94D049BB133111EB
/// return z ^ (z >> 31)                                  (all mod 2^64)
/// ```
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        crate::verify::horizon::splitmix64(&mut self.0)
    }

    /// Uniform in 0..n (n ≥ 1), without bias (Lemire 2019): m = x·n as a
    /// 128-bit product; draws whose low 64 bits fall below 2^64 mod n are
    /// rejected; the result is the high 64 bits of m.
    pub fn below(&mut self, n: u64) -> u64 {
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }
}

/// Most output labels a vocabulary lists; past it they are left out (a
/// weight file's truth makes each on demand: `gssm run` without `--ids`).
pub const MAX_LISTED_OUTPUTS: usize = 1 << 16;

/// What a dataset's ids mean, written by `--vocab`.
#[derive(Serialize)]
struct Vocab<'a> {
    format: &'static str,
    /// The group's or the automaton's name.
    group: &'a str,
    generators: &'a [String],
    /// The alphabet's name; null when the tokens are a weight file's.
    alphabet: Option<&'static str>,
    generator: &'static str,
    seed: u64,
    len: u64,
    count: u64,
    /// Input token id → label (the weight file's `tokens`).
    tokens: Vec<&'a str>,
    /// Input token id → element id (the weight file's `tokens.element`);
    /// absent for an automaton, whose tokens are its symbols.
    #[serde(skip_serializing_if = "Option::is_none")]
    token_elements: Option<Vec<u32>>,
    /// Target ids: 0 … outputs_count − 1.
    outputs_count: usize,
    /// Target id → label (the weight file's `outputs`); absent past
    /// [`MAX_LISTED_OUTPUTS`].
    #[serde(skip_serializing_if = "Option::is_none")]
    outputs: Option<Vec<String>>,
    /// `word-problem-bos` only: special token → id, after the ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    special_tokens: Option<Ordered>,
}

/// A JSON object whose keys keep their order.
struct Ordered(Vec<(&'static str, usize)>);

impl Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Decimal digits of `v`, appended.
fn push_decimal(line: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    line.extend_from_slice(&buf[i..]);
}

/// Digits of the largest of `n` ids 0 … n − 1.
fn widest(n: usize) -> u128 {
    let mut w = Vec::new();
    push_decimal(&mut w, n.saturating_sub(1) as u64);
    w.len() as u128
}

/// The layout of one dataset: ids as text, and the BOS id if any.
struct Layout {
    format: Format,
    /// Input token ids 0 … inputs − 1.
    inputs: usize,
    /// Target ids 0 … targets − 1.
    targets: usize,
    /// The BOS id, as text, first in both columns (`word-problem-bos`).
    bos: Option<Vec<u8>>,
    /// `seed,` at the start of each CSV row.
    seed_field: Vec<u8>,
}

impl Layout {
    fn header(&self) -> &'static [u8] {
        match self.format {
            Format::WordProblem | Format::WordProblemBos => b"seed,input,target\n",
            Format::Jsonl => b"",
        }
    }

    /// An upper bound on the bytes of one row of `len` tokens.
    fn max_row_bytes(&self, len: u64) -> u128 {
        let bos = self.bos.as_ref().map_or(0, |b| b.len() as u128 + 1);
        let len = u128::from(len);
        let input = len * (widest(self.inputs) + 1) + bos;
        let target = len * (widest(self.targets) + 1) + bos;
        let frame = match self.format {
            Format::WordProblem | Format::WordProblemBos => self.seed_field.len() + 2,
            Format::Jsonl => r#"{"input":[],"target":[]}"#.len() + 1,
        };
        input + target + frame as u128
    }

    /// Append one row to `line`.
    fn row(&self, line: &mut Vec<u8>, input: &[u32], target: &[u32]) {
        line.clear();
        let csv = self.format != Format::Jsonl;
        let sep = if csv { b' ' } else { b',' };
        let list = |line: &mut Vec<u8>, ids: &[u32]| {
            let mut first = true;
            if let Some(b) = &self.bos {
                line.extend_from_slice(b);
                first = false;
            }
            for &id in ids {
                if !first {
                    line.push(sep);
                }
                first = false;
                push_decimal(line, u64::from(id));
            }
        };
        if csv {
            line.extend_from_slice(&self.seed_field);
            list(line, input);
            line.push(b',');
            list(line, target);
        } else {
            line.extend_from_slice(br#"{"input":["#);
            list(line, input);
            line.extend_from_slice(br#"],"target":["#);
            list(line, target);
            line.extend_from_slice(b"]}");
        }
        line.push(b'\n');
    }
}

/// Where tokens and running products come from.
enum Truth<'g> {
    /// A listed group and an alphabet: the compiler's tokens, products by
    /// the Cayley table.
    Group {
        group: &'g Group,
        alphabet: Alphabet,
        /// Token id → element id.
        elements: Vec<u32>,
        labels: Vec<String>,
    },
    /// A weight file's truth: its tokens but a start token, its outputs.
    Model(&'g ValidModel),
}

/// One dataset, ready to write.
pub struct Dataset<'g> {
    truth: Truth<'g>,
    spec: Spec,
    layout: Layout,
    /// Ids before the special tokens: inputs and targets share them.
    shared: usize,
}

impl<'g> Dataset<'g> {
    /// Tokens of `alphabet` as `gssm compile` numbers them for `group`.
    pub fn new(group: &'g Group, alphabet: Alphabet, spec: Spec) -> Result<Dataset<'g>, String> {
        let toks = tokens(group, alphabet);
        if toks.is_empty() {
            return Err(format!(
                "{} has no generators, so the alphabet {} is empty; use --alphabet elements",
                group.name,
                alphabet_name(alphabet)
            ));
        }
        let truth = Truth::Group {
            group,
            alphabet,
            elements: toks.iter().map(|t| t.0).collect(),
            labels: toks.into_iter().map(|t| t.1).collect(),
        };
        Dataset::with(truth, spec)
    }

    /// The tokens and truth of a weight file; a start token is never drawn
    /// (every sequence starts from the identity or the start state).
    pub fn from_model(model: &'g ValidModel, spec: Spec) -> Result<Dataset<'g>, String> {
        Dataset::with(Truth::Model(model), spec)
    }

    fn with(truth: Truth<'g>, spec: Spec) -> Result<Dataset<'g>, String> {
        if spec.len == 0 || spec.count == 0 {
            return Err("a dataset needs a length and a count of at least 1".into());
        }
        let (inputs, targets) = match &truth {
            Truth::Group {
                group, elements, ..
            } => (elements.len(), group.order()),
            Truth::Model(m) => (drawn(m), m.order()),
        };
        if inputs == 0 {
            return Err("the model has no tokens to draw but its start token".into());
        }
        // The ids precede the special tokens in one vocabulary shared by
        // inputs and targets, as in the upstream tokenizers (where both are
        // elements).
        let shared = inputs.max(targets);
        let bos_id = shared as u64 + 1;
        let layout = Layout {
            format: spec.format,
            inputs,
            targets,
            bos: (spec.format == Format::WordProblemBos).then(|| bos_id.to_string().into_bytes()),
            seed_field: format!("{},", spec.seed).into_bytes(),
        };
        Ok(Dataset {
            truth,
            spec,
            layout,
            shared,
        })
    }

    /// An upper bound on the bytes [`Dataset::write`] writes, known before
    /// anything is generated.
    pub fn max_bytes(&self) -> u128 {
        // Saturating: a bound past u128 is refused like any other too big.
        u128::from(self.spec.count)
            .saturating_mul(self.layout.max_row_bytes(self.spec.len as u64))
            .saturating_add(self.layout.header().len() as u128)
    }

    /// The JSON that says what the ids mean (token and output labels, as
    /// in the weight file's manifest).
    pub fn vocab_json(&self) -> String {
        let special = (self.spec.format == Format::WordProblemBos).then(|| {
            Ordered(
                SPECIAL_TOKENS
                    .iter()
                    .enumerate()
                    .map(|(i, &s)| (s, self.shared + i))
                    .collect(),
            )
        });
        let n = self.layout.targets;
        let listed = n <= MAX_LISTED_OUTPUTS;
        let drawn = self.layout.inputs;
        let (group, generators, alphabet, tokens, token_elements, outputs) = match &self.truth {
            Truth::Group {
                group,
                alphabet,
                elements,
                labels,
            } => (
                group.name.as_str(),
                group.generator_names(),
                Some(alphabet_name(*alphabet)),
                labels.iter().map(String::as_str).collect(),
                Some(elements.clone()),
                listed.then(|| group.labels().to_vec()),
            ),
            Truth::Model(m) => {
                let manifest = &m.model().manifest;
                (
                    manifest.name(),
                    manifest.group.as_ref().map_or(&[][..], |g| &g.generators),
                    None,
                    manifest.tokens[..drawn]
                        .iter()
                        .map(String::as_str)
                        .collect(),
                    // A token's element is the product of the one-token
                    // sequence.
                    manifest.group.is_some().then(|| {
                        (0..drawn as u32)
                            .map(|t| m.next_output(m.initial_output(), t))
                            .collect()
                    }),
                    listed.then(|| (0..n as u32).map(|y| m.output_label(y)).collect()),
                )
            }
        };
        let v = Vocab {
            format: self.spec.format.name(),
            group,
            generators,
            alphabet,
            generator: "splitmix64",
            seed: self.spec.seed,
            len: self.spec.len as u64,
            count: self.spec.count,
            tokens,
            token_elements,
            outputs_count: n,
            outputs,
            special_tokens: special,
        };
        let mut json = serde_json::to_string_pretty(&v).expect("the vocabulary serialises");
        json.push('\n');
        json
    }

    /// Generate and write every row: tokens drawn left to right, row after
    /// row, and their running products. `progress` is told the rows done,
    /// about every 2^16 tokens.
    pub fn write(&self, out: impl Write, progress: &mut dyn FnMut(u64)) -> std::io::Result<()> {
        match &self.truth {
            // The identity is element 0.
            Truth::Group {
                group, elements, ..
            } => self.rows(out, progress, 0, |y, x| group.mul(y, elements[x as usize])),
            Truth::Model(m) => self.rows(out, progress, m.initial_output(), |y, x| {
                m.next_output(y, x)
            }),
        }
    }

    /// [`Dataset::write`] with products `step(y, token)` from `start`;
    /// generic so that the step inlines into the loop.
    fn rows(
        &self,
        out: impl Write,
        progress: &mut dyn FnMut(u64),
        start: u32,
        step: impl Fn(u32, u32) -> u32,
    ) -> std::io::Result<()> {
        let (len, count) = (self.spec.len, self.spec.count);
        let mut w = BufWriter::with_capacity(1 << 16, out);
        w.write_all(self.layout.header())?;
        let mut rng = SplitMix64::new(self.spec.seed);
        let v = self.layout.inputs as u64;
        let mut input = vec![0u32; len];
        let mut target = vec![0u32; len];
        let mut line = Vec::new();
        let stride = (1u64 << 16).div_ceil(len as u64).max(1);
        for row in 0..count {
            let mut y = start;
            for (x, t) in input.iter_mut().zip(target.iter_mut()) {
                *x = rng.below(v) as u32;
                y = step(y, *x);
                *t = y;
            }
            self.layout.row(&mut line, &input, &target);
            w.write_all(&line)?;
            if (row + 1) % stride == 0 {
                progress(row + 1);
            }
        }
        w.flush()
    }
}

/// The tokens a dataset draws from a weight file: all but its start token
/// (the last one).
fn drawn(m: &ValidModel) -> usize {
    m.num_tokens() - usize::from(m.model().manifest.bos.is_some())
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    /// The outputs Rosetta Code's SplitMix64 task lists for seed 1234567.
    #[test]
    fn splitmix64_reference() {
        let mut r = SplitMix64::new(1234567);
        let got: Vec<u64> = (0..5).map(|_| r.next_u64()).collect();
        assert_eq!(
            got,
            [
                6457827717110365317,
                3203168211198807973,
                9817491932198370423,
                4593380528125082431,
                16408922859458223821
            ]
        );
    }

    #[test]
    fn below_stays_in_range_and_hits_every_value() {
        let mut r = SplitMix64::new(7);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let x = r.below(7);
            assert!(x < 7);
            seen[x as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(r.below(1), 0);
    }
}
