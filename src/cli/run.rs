//! `gssm run MODEL`: decode the running products of token sequences.
//!
//! The input is streamed: sequences (lines) are read straight into token
//! ids, grouped into batches of bounded size, and each batch is run and its
//! outputs written before the next is read. Memory holds one batch, or one
//! sequence when a sequence is longer than a batch, never the whole input:
//! executors start every sequence from the initial state, so a sequence
//! cannot be split.

use super::common::{fail, file_dtype, load_model, BackendArg, DtypeArg, ModelLimits};
use gssm_runtime::exec::{build, Executor};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::{ReadError, SequenceReader, Tokens, Vocab};
use gssm_runtime::valid::ValidModel;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Weight file written by `gssm compile`.
    pub model: PathBuf,
    /// Tokens of one sequence: labels or ids, separated by spaces.
    #[arg(long, conflicts_with = "input")]
    pub tokens: Option<String>,
    /// File with one sequence per line ('-' for stdin). All lines must have
    /// the same length. Read as a stream: outputs are written batch by
    /// batch, so after an error those of earlier batches have been written.
    #[arg(long, short)]
    pub input: Option<PathBuf>,
    /// Executor (default: jit, or reference for f16/bf16 and for the
    /// one-layer targets).
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
    /// Float type to run in (default: the file's).
    #[arg(long, value_enum)]
    pub dtype: Option<DtypeArg>,
    /// Print output ids instead of labels.
    #[arg(long)]
    pub ids: bool,
    /// Read the input as numeric token ids only (never as labels).
    #[arg(long)]
    pub input_ids: bool,
    /// Largest number of token steps (all sequences together) read.
    #[arg(long, default_value_t = 1 << 28)]
    pub max_steps: u64,
    #[command(flatten)]
    pub limits: ModelLimits,
}

/// Token steps gathered into one batch before it runs: large enough to keep
/// every lane and thread of an executor busy, small enough that a batch of
/// short sequences costs a few MB.
const BATCH_STEPS: usize = 1 << 20;

/// Bytes read from the input at a time.
const READ_BUFFER: usize = 1 << 16;

pub fn run(a: Args) -> ExitCode {
    match run_all(&a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn run_all(a: &Args) -> Result<(), String> {
    let model = load_model(&a.model, &a.limits.get())?;
    let (name, input): (String, Box<dyn BufRead + '_>) = match (&a.tokens, &a.input) {
        (Some(t), _) => ("--tokens".into(), Box::new(t.as_bytes())),
        (None, Some(p)) if p.as_os_str() == "-" => (
            "stdin".into(),
            Box::new(BufReader::with_capacity(READ_BUFFER, std::io::stdin())),
        ),
        (None, Some(p)) => match std::fs::File::open(p) {
            Ok(f) => (
                p.display().to_string(),
                Box::new(BufReader::with_capacity(READ_BUFFER, f)),
            ),
            Err(e) => return Err(format!("cannot read {}: {e}", p.display())),
        },
        (None, None) => {
            return Err("give the tokens with --tokens \"…\" or --input FILE (- for stdin)".into())
        }
    };
    let dtype: Dtype = a.dtype.map(Into::into).unwrap_or(file_dtype(&model));
    let backend = a.backend.unwrap_or(match dtype {
        Dtype::F32 | Dtype::F64 if model.diagonal().is_some() => BackendArg::Jit,
        _ => BackendArg::Reference,
    });
    let exec = build(&model, backend.into(), dtype).map_err(|e| e.to_string())?;
    let vocab = Vocab::new(&model, a.input_ids);
    let mut reader = SequenceReader::new(&vocab, input, a.max_steps);
    let words = output_words(&model, a.ids);
    let mut out = Output {
        words: &words,
        on_demand: model.untabled() && !a.ids,
        w: BufWriter::with_capacity(1 << 16, std::io::stdout().lock()),
    };
    // Every sequence must have the first one's length.
    let mut len = None;
    let mut batch: Vec<u32> = Vec::new();
    let mut rows = 0;
    loop {
        let got = reader
            .next_into(&mut batch)
            .map_err(|e| input_error(&name, e))?;
        if let Some(n) = got {
            let want = *len.get_or_insert(n);
            if n != want {
                return Err(format!(
                    "sequence {} has {n} tokens, sequence 1 has {want}: a batch needs equal lengths",
                    reader.sequences()
                ));
            }
            rows += 1;
        }
        if rows > 0 && (got.is_none() || batch.len() >= BATCH_STEPS) {
            let ids = std::mem::take(&mut batch);
            run_batch(&model, exec.as_ref(), rows, len.unwrap_or(0), ids, &mut out)?;
            rows = 0;
        }
        if got.is_none() {
            break;
        }
    }
    out.w.flush().map_err(write_error)
}

fn input_error(name: &str, e: ReadError) -> String {
    match e {
        ReadError::Io(e) => format!("cannot read {name}: {e}"),
        e => format!("{name}: {e}"),
    }
}

fn write_error(e: std::io::Error) -> String {
    format!("cannot write the outputs: {e}")
}

/// The text printed for each output id: its label, or the id itself;
/// empty for a group without a table, whose labels are made on demand.
fn output_words(model: &ValidModel, ids: bool) -> Vec<String> {
    if model.untabled() {
        Vec::new()
    } else if ids {
        (0..model.manifest.outputs.len())
            .map(|i| i.to_string())
            .collect()
    } else {
        model.manifest.outputs.clone()
    }
}

struct Output<'a, W: Write> {
    words: &'a [String],
    /// Labels made on demand (cycle notation, normal words), for a group
    /// without a table printed by label.
    on_demand: bool,
    w: W,
}

/// Run `rows` sequences of `len` tokens and write one line of outputs per
/// sequence.
fn run_batch<W: Write>(
    model: &ValidModel,
    exec: &dyn Executor,
    rows: usize,
    len: usize,
    ids: Vec<u32>,
    out: &mut Output<'_, W>,
) -> Result<(), String> {
    let tokens = Tokens::new(model, rows, len, ids).map_err(|e| e.to_string())?;
    let ys = exec.run(&tokens).map_err(|e| e.to_string())?;
    drop(tokens);
    for row in ys.chunks(len.max(1)).take(rows) {
        for (j, &y) in row.iter().enumerate() {
            if j > 0 {
                out.w.write_all(b" ").map_err(write_error)?;
            }
            // A state that decodes to no element (floats drifted) prints `?`.
            let made;
            let word = match y {
                gssm_runtime::ir::UNDECODABLE => "?",
                y if (y as usize) >= model.order() => {
                    return Err(format!(
                        "the executor gave output {y}, which is not an element"
                    ))
                }
                y => match out.on_demand {
                    true => {
                        made = model.output_label(y);
                        &made
                    }
                    false if out.words.is_empty() => {
                        made = y.to_string();
                        &made
                    }
                    false => &out.words[y as usize],
                },
            };
            out.w.write_all(word.as_bytes()).map_err(write_error)?;
        }
        out.w.write_all(b"\n").map_err(write_error)?;
    }
    Ok(())
}
