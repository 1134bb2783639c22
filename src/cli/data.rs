//! `gssm data FILE -g GROUP --len L --count N`: word-problem datasets whose
//! labels are exact, computed from the group's Cayley table.
//!
//! Input ids are token ids numbered as `gssm compile` numbers them for the
//! same group and alphabet, targets are element ids (the model's output
//! classes), so a dataset and a weight file of the same source agree. Rows
//! are generated, written and forgotten one at a time: memory holds one
//! sequence, whatever `--count` is. Tokens are drawn uniformly and
//! independently by SplitMix64 (written out below, so that any language can
//! reproduce a file from its seed).

use super::common::fail;
use super::compile::AlphabetArg;
use super::source::{load_group, parse_bytes, SourceLimits};
use gssm_compiler::construct::{tokens, Alphabet};
use gssm_compiler::group::{Elem, Group};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataFormat {
    /// CSV `seed,input,target` (jopetty/word-problem): space-separated ids.
    WordProblem,
    /// The same CSV with a BOS id first in both columns, where the
    /// tokenizer of kazuki-irie/lie-algebra-state-tracking puts `[BOS]`.
    WordProblemBos,
    /// One JSON object per line: `{"input": [ids], "target": [ids]}`.
    Jsonl,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Source file (.gssm).
    pub file: PathBuf,
    /// Group (default: the last group the file defines).
    #[arg(long, short)]
    pub group: Option<String>,
    /// Tokens per sequence.
    #[arg(long)]
    pub len: u64,
    /// Number of sequences (rows).
    #[arg(long)]
    pub count: u64,
    /// Input tokens, numbered as `gssm compile --alphabet` numbers them.
    #[arg(long, value_enum, default_value = "elements")]
    pub alphabet: AlphabetArg,
    /// Seed of the SplitMix64 generator: the same seed gives the same bytes.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "word-problem")]
    pub format: DataFormat,
    /// Output file (default: stdout).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Also write a JSON file with the labels of token and element ids.
    #[arg(long)]
    pub vocab: Option<PathBuf>,
    /// Longest sequence accepted (one sequence is held in memory).
    #[arg(long, default_value_t = 1 << 20)]
    pub max_len: u64,
    /// Largest output accepted, checked on an upper bound of its size before
    /// anything is written: bytes, or a number with KiB, MiB, GiB or TiB.
    #[arg(long, default_value = "16GiB", value_parser = parse_bytes)]
    pub max_output: usize,
    #[command(flatten)]
    pub limits: SourceLimits,
}

/// The special tokens of the word-problem tokenizers, in the order they are
/// added to the vocabulary after the ids (`SpecialTokens` in
/// `src/main.py` of jopetty/word-problem and of
/// kazuki-irie/lie-algebra-state-tracking's `state_tracking/src/main.py`).
const SPECIAL_TOKENS: [&str; 7] = [
    "[PAD]", "[BOS]", "[UNK]", "[EOS]", "[SEP]", "[CLS]", "[MASK]",
];

pub fn run(a: Args) -> ExitCode {
    // Arguments that need no group are checked before building it.
    let len = match check_args(&a) {
        Ok(len) => len,
        Err(e) => return fail(e),
    };
    let group = match load_group(&a.file, a.group.as_deref(), &a.limits) {
        Ok((g, _)) => g,
        Err(code) => return code,
    };
    match generate(&a, len, &group) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// The sequence length, once `--len` and `--count` are known to be usable.
fn check_args(a: &Args) -> Result<usize, String> {
    if a.len == 0 {
        return Err("--len must be at least 1".into());
    }
    if a.len > a.max_len {
        return Err(format!(
            "--len {} is more than --max-len {} (one sequence is held in memory; raise --max-len to allow it)",
            a.len, a.max_len
        ));
    }
    if a.count == 0 {
        return Err("--count must be at least 1".into());
    }
    usize::try_from(a.len).map_err(|_| format!("--len {} is too large for this machine", a.len))
}

fn alphabet_of(a: AlphabetArg) -> Alphabet {
    match a {
        AlphabetArg::Elements => Alphabet::Elements,
        AlphabetArg::Generators => Alphabet::Generators { inverses: false },
        AlphabetArg::GeneratorsInverses => Alphabet::Generators { inverses: true },
    }
}

fn alphabet_name(a: AlphabetArg) -> &'static str {
    match a {
        AlphabetArg::Elements => "elements",
        AlphabetArg::Generators => "generators",
        AlphabetArg::GeneratorsInverses => "generators+inverses",
    }
}

fn format_name(f: DataFormat) -> &'static str {
    match f {
        DataFormat::WordProblem => "word-problem",
        DataFormat::WordProblemBos => "word-problem-bos",
        DataFormat::Jsonl => "jsonl",
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
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
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

/// What a dataset's ids mean, written by `--vocab`.
#[derive(Serialize)]
struct Vocab<'a> {
    format: &'static str,
    group: &'a str,
    generators: &'a [String],
    alphabet: &'static str,
    generator: &'static str,
    seed: u64,
    len: u64,
    count: u64,
    /// Input token id → label (the weight file's `tokens`).
    tokens: Vec<&'a str>,
    /// Input token id → element id (the weight file's `tokens.element`).
    token_elements: Vec<Elem>,
    /// Target id = element id → label (the weight file's `outputs`).
    outputs: &'a [String],
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

/// The layout of one dataset: ids as text, and the BOS id if any.
struct Layout {
    format: DataFormat,
    /// Decimal text of each input token id.
    input_words: Vec<Vec<u8>>,
    /// Decimal text of each element id.
    target_words: Vec<Vec<u8>>,
    /// The BOS id, as text, first in both columns (`word-problem-bos`).
    bos: Option<Vec<u8>>,
    /// `seed,` at the start of each CSV row.
    seed_field: Vec<u8>,
}

impl Layout {
    fn header(&self) -> &'static [u8] {
        match self.format {
            DataFormat::WordProblem | DataFormat::WordProblemBos => b"seed,input,target\n",
            DataFormat::Jsonl => b"",
        }
    }

    /// An upper bound on the bytes of one row of `len` tokens.
    fn max_row_bytes(&self, len: u64) -> u128 {
        let widest = |words: &[Vec<u8>]| words.iter().map(|w| w.len()).max().unwrap_or(1) as u128;
        let bos = self.bos.as_ref().map_or(0, |b| b.len() as u128 + 1);
        let len = u128::from(len);
        let input = len * (widest(&self.input_words) + 1) + bos;
        let target = len * (widest(&self.target_words) + 1) + bos;
        let frame = match self.format {
            DataFormat::WordProblem | DataFormat::WordProblemBos => self.seed_field.len() + 2,
            DataFormat::Jsonl => r#"{"input":[],"target":[]}"#.len() + 1,
        };
        input + target + frame as u128
    }

    /// Append one row to `line`.
    fn row(&self, line: &mut Vec<u8>, input: &[u32], target: &[Elem]) {
        line.clear();
        let csv = self.format != DataFormat::Jsonl;
        let sep = if csv { b' ' } else { b',' };
        let list = |line: &mut Vec<u8>, ids: &[u32], words: &[Vec<u8>]| {
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
                line.extend_from_slice(&words[id as usize]);
            }
        };
        if csv {
            line.extend_from_slice(&self.seed_field);
            list(line, input, &self.input_words);
            line.push(b',');
            list(line, target, &self.target_words);
        } else {
            line.extend_from_slice(br#"{"input":["#);
            list(line, input, &self.input_words);
            line.extend_from_slice(br#"],"target":["#);
            list(line, target, &self.target_words);
            line.extend_from_slice(b"]}");
        }
        line.push(b'\n');
    }
}

fn generate(a: &Args, len: usize, group: &Group) -> Result<(), String> {
    let toks = tokens(group, alphabet_of(a.alphabet));
    if toks.is_empty() {
        return Err(format!(
            "{} has no generators, so the alphabet {} is empty; use --alphabet elements",
            group.name,
            alphabet_name(a.alphabet)
        ));
    }
    let token_elements: Vec<Elem> = toks.iter().map(|t| t.0).collect();
    let words = |n: usize| -> Vec<Vec<u8>> { (0..n).map(|i| i.to_string().into_bytes()).collect() };
    // The ids precede the special tokens in one vocabulary shared by inputs
    // and targets, as in the upstream tokenizers (where both are elements).
    let shared = toks.len().max(group.order());
    let bos_id = shared + 1;
    let layout = Layout {
        format: a.format,
        input_words: words(toks.len()),
        target_words: words(group.order()),
        bos: (a.format == DataFormat::WordProblemBos).then(|| bos_id.to_string().into_bytes()),
        seed_field: format!("{},", a.seed).into_bytes(),
    };
    let bound = layout.header().len() as u128 + u128::from(a.count) * layout.max_row_bytes(a.len);
    if bound > a.max_output as u128 {
        return Err(format!(
            "{} sequences of {} tokens may take up to {bound} bytes, more than --max-output {} bytes; lower --count or --len, or raise --max-output",
            a.count, a.len, a.max_output
        ));
    }
    if let Some(path) = &a.vocab {
        let special = (a.format == DataFormat::WordProblemBos).then(|| {
            Ordered(
                SPECIAL_TOKENS
                    .iter()
                    .enumerate()
                    .map(|(i, &s)| (s, shared + i))
                    .collect(),
            )
        });
        let v = Vocab {
            format: format_name(a.format),
            group: &group.name,
            generators: group.generator_names(),
            alphabet: alphabet_name(a.alphabet),
            generator: "splitmix64",
            seed: a.seed,
            len: a.len,
            count: a.count,
            tokens: toks.iter().map(|t| t.1.as_str()).collect(),
            token_elements: token_elements.clone(),
            outputs: group.labels(),
            special_tokens: special,
        };
        let mut json = serde_json::to_string_pretty(&v).expect("the vocabulary serialises");
        json.push('\n');
        std::fs::write(path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    match &a.output {
        Some(path) => {
            let file =
                File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let result = write_rows(a, len, group, &token_elements, &layout, file)
                .map_err(|e| format!("cannot write {}: {e}", path.display()));
            if result.is_err() {
                // A truncated dataset is worse than none.
                let _ = std::fs::remove_file(path);
            }
            result
        }
        None => match write_rows(
            a,
            len,
            group,
            &token_elements,
            &layout,
            std::io::stdout().lock(),
        ) {
            // The reader stopped early (`gssm data … | head`): not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            r => r.map_err(|e| format!("cannot write the dataset: {e}")),
        },
    }
}

/// Generate and write every row: tokens drawn left to right, row after row,
/// and their running products y_t = x_1·x_2⋯x_t.
fn write_rows(
    a: &Args,
    len: usize,
    group: &Group,
    token_elements: &[Elem],
    layout: &Layout,
    out: impl Write,
) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 16, out);
    w.write_all(layout.header())?;
    let bar = progress(a.count, a.output.as_deref());
    let mut rng = SplitMix64::new(a.seed);
    let v = token_elements.len() as u64;
    let mut input = vec![0u32; len];
    let mut target: Vec<Elem> = vec![0; len];
    let mut line = Vec::new();
    // Move the bar about every 2^16 tokens, however long the rows are.
    let stride = (1u64 << 16).div_ceil(a.len).max(1);
    for row in 0..a.count {
        let mut y: Elem = 0; // the identity
        for (x, t) in input.iter_mut().zip(target.iter_mut()) {
            *x = rng.below(v) as u32;
            y = group.mul(y, token_elements[*x as usize]);
            *t = y;
        }
        layout.row(&mut line, &input, &target);
        w.write_all(&line)?;
        if (row + 1) % stride == 0 {
            bar.set_position(row + 1);
        }
    }
    w.flush()?;
    bar.finish_and_clear();
    Ok(())
}

/// A progress bar on stderr when it is a terminal, else nothing.
fn progress(count: u64, output: Option<&Path>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let to = output.map_or("stdout".to_string(), |p| p.display().to_string());
    ProgressBar::new(count)
        .with_style(
            ProgressStyle::with_template("[{bar:40}] {pos}/{len} sequences ({per_sec}) {msg}")
                .expect("template")
                .progress_chars("=> "),
        )
        .with_message(format!("→ {to}"))
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
