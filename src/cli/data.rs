//! `gssm data FILE -g GROUP --len L --count N`: word-problem datasets whose
//! labels are exact, computed from the group's Cayley table; `gssm data
//! --model M --len L --count N`: the same from a weight file's own truth,
//! for groups past the element limit and automata too
//! (`gssm_compiler::dataset`, which also documents the generator). Memory
//! holds one sequence, whatever `--count` is.

use super::common::{fail, load_model, ModelLimits};
use super::compile::{alphabet_of, AlphabetArg};
use super::source::{load_group, parse_bytes, SourceLimits};
use gssm_compiler::dataset::{Dataset, Format, Spec};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::io::IsTerminal;
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
    /// Source file (.gssm); its group is listed, so for one past
    /// --max-elements compile it and use --model.
    #[arg(required_unless_present = "model")]
    pub file: Option<PathBuf>,
    /// Group (default: the last group the file defines).
    #[arg(long, short)]
    pub group: Option<String>,
    /// Draw the tokens of this weight file and label them by the truth it
    /// carries (its group however large, numbered as its outputs, or its
    /// automaton's states), instead of a source's group.
    #[arg(long, conflicts_with_all = ["file", "group", "alphabet"])]
    pub model: Option<PathBuf>,
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
    #[command(flatten)]
    pub model_limits: ModelLimits,
}

pub fn run(a: Args) -> ExitCode {
    // Arguments that need no group are checked before building it.
    let len = match check_args(&a) {
        Ok(len) => len,
        Err(e) => return fail(e),
    };
    let spec = Spec {
        len,
        count: a.count,
        seed: a.seed,
        format: match a.format {
            DataFormat::WordProblem => Format::WordProblem,
            DataFormat::WordProblemBos => Format::WordProblemBos,
            DataFormat::Jsonl => Format::Jsonl,
        },
    };
    let result = match (&a.model, &a.file) {
        (Some(path), _) => load_model(path, &a.model_limits.get())
            .and_then(|m| Dataset::from_model(&m, spec).and_then(|d| generate(&a, &d))),
        (None, Some(file)) => {
            let group = match load_group(file, a.group.as_deref(), &a.limits) {
                Ok((g, _)) => g,
                Err(code) => return code,
            };
            Dataset::new(&group, alphabet_of(a.alphabet), spec).and_then(|d| generate(&a, &d))
        }
        (None, None) => Err("give a source FILE or --model".into()),
    };
    match result {
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

fn generate(a: &Args, d: &Dataset) -> Result<(), String> {
    let bound = d.max_bytes();
    if bound > a.max_output as u128 {
        return Err(format!(
            "{} sequences of {} tokens may take up to {bound} bytes, more than --max-output {} bytes; lower --count or --len, or raise --max-output",
            a.count, a.len, a.max_output
        ));
    }
    if let Some(path) = &a.vocab {
        std::fs::write(path, d.vocab_json())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let bar = progress(a.count, a.output.as_deref());
    let mut tick = |rows| bar.set_position(rows);
    let result = match &a.output {
        Some(path) => {
            let file =
                File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let result = d
                .write(file, &mut tick)
                .map_err(|e| format!("cannot write {}: {e}", path.display()));
            if result.is_err() {
                // A truncated dataset is worse than none.
                let _ = std::fs::remove_file(path);
            }
            result
        }
        None => match d.write(std::io::stdout().lock(), &mut tick) {
            // The reader stopped early (`gssm data … | head`): not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            r => r.map_err(|e| format!("cannot write the dataset: {e}")),
        },
    };
    bar.finish_and_clear();
    result
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
