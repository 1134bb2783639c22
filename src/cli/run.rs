//! `gssm run MODEL`: decode the running products of token sequences.

use super::common::{fail, file_dtype, load_model, BackendArg, DtypeArg, ModelLimits};
use gssm_runtime::exec::build;
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::Tokens;
use std::io::Read;
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
    /// the same length.
    #[arg(long, short)]
    pub input: Option<PathBuf>,
    /// Executor (default: jit, or reference for f16/bf16).
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
    /// Largest batch × length accepted.
    #[arg(long, default_value_t = 1 << 28)]
    pub max_steps: u64,
    #[command(flatten)]
    pub limits: ModelLimits,
}

pub fn run(a: Args) -> ExitCode {
    let model = match load_model(&a.model, &a.limits.get()) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let text = match (&a.tokens, &a.input) {
        (Some(t), _) => t.clone(),
        (None, Some(p)) if p.as_os_str() == "-" => {
            let mut s = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut s) {
                return fail(format!("cannot read stdin: {e}"));
            }
            s
        }
        (None, Some(p)) => match std::fs::read_to_string(p) {
            Ok(s) => s,
            Err(e) => return fail(format!("cannot read {}: {e}", p.display())),
        },
        (None, None) => {
            return fail("give the tokens with --tokens \"…\" or --input FILE (- for stdin)")
        }
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut seqs = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match Tokens::parse_as(&model, line, a.input_ids) {
            Ok(t) => seqs.push(t),
            Err(e) => return fail(format!("sequence {}: {e}", i + 1)),
        }
    }
    let len = seqs.first().map_or(0, |t| t.len());
    if let Some(i) = seqs.iter().position(|t| t.len() != len) {
        return fail(format!(
            "sequence {} has {} tokens, sequence 1 has {len}: a batch needs equal lengths",
            i + 1,
            seqs[i].len()
        ));
    }
    let total = seqs.len() as u128 * len as u128;
    if total > a.max_steps as u128 {
        return fail(format!(
            "{} sequences × {len} tokens exceeds the limit of {} steps (raise it with --max-steps)",
            seqs.len(),
            a.max_steps
        ));
    }
    let ids: Vec<u32> = seqs.iter().flat_map(|t| t.ids().iter().copied()).collect();
    let batch = match Tokens::new(&model, seqs.len(), len, ids) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let dtype: Dtype = a.dtype.map(Into::into).unwrap_or(file_dtype(&model));
    let backend = a.backend.unwrap_or(match dtype {
        Dtype::F32 | Dtype::F64 => BackendArg::Jit,
        _ => BackendArg::Reference,
    });
    let exec = match build(&model, backend.into(), dtype) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let out = match exec.run(&batch) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let mut s = String::new();
    for row in out.chunks(len.max(1)).take(batch.batch()) {
        let words: Vec<String> = row
            .iter()
            .map(|&y| {
                if a.ids {
                    y.to_string()
                } else {
                    model.manifest.outputs[y as usize].clone()
                }
            })
            .collect();
        s.push_str(&words.join(" "));
        s.push('\n');
    }
    print!("{s}");
    ExitCode::SUCCESS
}
