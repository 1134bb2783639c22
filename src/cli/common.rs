//! Pieces several subcommands share: loading models, printing errors.

use gssm_compiler::diagnostics::{render_plain, Diagnostic};
use gssm_runtime::exec::Backend;
use gssm_runtime::format::{load, LoadLimits};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::valid::ValidModel;
use std::fs::File;
use std::io::Read;
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

/// Largest weight file read by default, so a huge file fails fast instead of
/// filling memory.
pub const MAX_MODEL_BYTES: u64 = 1 << 30;

/// Limits on reading and decoding a weight file.
#[derive(Clone, Debug)]
pub struct ModelLoad {
    pub decode: LoadLimits,
    /// Largest file read, in bytes.
    pub max_bytes: u64,
}

/// Read and validate a weight file.
pub fn load_model(path: &Path, limits: &ModelLoad) -> Result<ValidModel, String> {
    let bytes = read_limited(path, limits.max_bytes, "weight files", "--max-model-bytes")?;
    load(&bytes, &limits.decode)
        .map_err(|e| format!("{} is not a valid gssm model: {e}", path.display()))
}

/// Read all of `path`, failing past `limit` bytes. The size a device or a
/// pipe reports is 0, so the limit is enforced on the bytes read: at most
/// `limit + 1`. `what` and `flag` name the files and the flag that raises
/// the limit in the message.
pub fn read_limited(path: &Path, limit: u64, what: &str, flag: &str) -> Result<Vec<u8>, String> {
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let file = File::open(path).map_err(cannot)?;
    let size = file.metadata().map_err(cannot)?.len();
    let raise = format!("the limit for {what} (raise it with {flag})");
    // A regular file's size is known: refuse it before reading.
    if size > limit {
        return Err(format!(
            "{} is {size} bytes, more than {limit} bytes, {raise}",
            path.display()
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "{} has more than {limit} bytes, {raise}",
            path.display()
        ));
    }
    Ok(bytes)
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
    /// Largest model file read, in bytes (checked on the bytes read, so it
    /// holds for pipes and devices too).
    #[arg(long, default_value_t = MAX_MODEL_BYTES)]
    pub max_model_bytes: u64,
}

impl ModelLimits {
    pub fn get(&self) -> ModelLoad {
        ModelLoad {
            decode: LoadLimits {
                max_order: self.max_order,
                max_table: self.max_table,
                ..LoadLimits::default()
            },
            max_bytes: self.max_model_bytes,
        }
    }
}
