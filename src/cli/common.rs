//! Pieces several subcommands share: loading models, printing errors.

use gssm_compiler::diagnostics::{render_plain, Diagnostic};
use gssm_runtime::exec::Backend;
use gssm_runtime::format::{load, LoadLimits};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::valid::ValidModel;
use std::path::Path;

/// Print a diagnostic (error or warning) to stderr.
pub fn report(d: &Diagnostic) {
    eprint!("{}", render_plain(d));
}

/// Print a plain error and return the failure exit code.
pub fn fail(msg: impl std::fmt::Display) -> std::process::ExitCode {
    eprintln!("error: {msg}");
    std::process::ExitCode::FAILURE
}

/// Largest weight file read, so a huge file fails fast instead of filling
/// memory.
pub const MAX_MODEL_BYTES: u64 = 1 << 30;

/// Read and validate a weight file.
pub fn load_model(path: &Path, limits: &LoadLimits) -> Result<ValidModel, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.len() > MAX_MODEL_BYTES {
        return Err(format!(
            "{} is {} bytes, larger than the {} byte limit for weight files",
            path.display(),
            meta.len(),
            MAX_MODEL_BYTES
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    load(&bytes, limits).map_err(|e| format!("{} is not a valid gssm model: {e}", path.display()))
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendArg {
    Reference,
    Jit,
    Gpu,
}

impl From<BackendArg> for Backend {
    fn from(b: BackendArg) -> Backend {
        match b {
            BackendArg::Reference => Backend::Reference,
            BackendArg::Jit => Backend::Jit,
            BackendArg::Gpu => Backend::Gpu,
        }
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DtypeArg {
    F64,
    F32,
    F16,
    Bf16,
}

impl From<DtypeArg> for Dtype {
    fn from(d: DtypeArg) -> Dtype {
        match d {
            DtypeArg::F64 => Dtype::F64,
            DtypeArg::F32 => Dtype::F32,
            DtypeArg::F16 => Dtype::F16,
            DtypeArg::Bf16 => Dtype::Bf16,
        }
    }
}

/// The float type a model file stores.
pub fn file_dtype(model: &ValidModel) -> Dtype {
    model.dtype().into()
}

/// Limits on loaded models, as flags.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelLimits {
    /// Largest group order a model file may declare.
    #[arg(long, default_value_t = LoadLimits::default().max_order)]
    pub max_order: usize,
    /// Largest table (tokens, cocycles, readout) a model file may declare.
    #[arg(long, default_value_t = LoadLimits::default().max_table)]
    pub max_table: usize,
}

impl ModelLimits {
    pub fn get(&self) -> LoadLimits {
        LoadLimits {
            max_order: self.max_order,
            max_table: self.max_table,
            ..LoadLimits::default()
        }
    }
}
