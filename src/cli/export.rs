//! `gssm export MODEL --format torch-rnn -o DIR`: a compiled model as files
//! a framework's own classes load as they are.

use super::common::{fail, load_model, ModelLimits};
use gssm_runtime::export;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// torch.nn.RNN + torch.nn.Linear state dicts and a config (rnn models).
    TorchRnn,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Weight file written by `gssm compile`.
    pub model: PathBuf,
    #[arg(long, value_enum, default_value = "torch-rnn")]
    pub format: Format,
    /// Output directory (created if missing).
    #[arg(long, short)]
    pub output: PathBuf,
    #[command(flatten)]
    pub limits: ModelLimits,
}

pub fn run(a: Args) -> ExitCode {
    let model = match load_model(&a.model, &a.limits.get()) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let files = match a.format {
        Format::TorchRnn => export::torch_rnn(&model),
    };
    let files = match files {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    if let Err(e) = std::fs::create_dir_all(&a.output) {
        return fail(format!("cannot create {}: {e}", a.output.display()));
    }
    for f in &files {
        let path = a.output.join(f.name);
        if let Err(e) = std::fs::write(&path, &f.bytes) {
            return fail(format!("cannot write {}: {e}", path.display()));
        }
    }
    let names: Vec<&str> = files.iter().map(|f| f.name).collect();
    eprintln!("wrote {} into {}", names.join(", "), a.output.display());
    ExitCode::SUCCESS
}
