//! Shared by the root tests and benches: stdlib models compiled in-process
//! and seeded token batches.
#![allow(dead_code)]

use gssm_compiler::construct::Alphabet;
use gssm_compiler::elaborate::load_file;
use gssm_compiler::group::Limits;
use gssm_compiler::pipeline::{compile, Options};
use gssm_compiler::target;
use gssm_runtime::format::{load, FloatDtype, LoadLimits};
use gssm_runtime::tokens::Tokens;
use gssm_runtime::valid::ValidModel;
use std::path::Path;

/// Compile a group of stdlib/seed.gssm and load it back from its bytes, as
/// `gssm compile` followed by `gssm run` would.
pub fn stdlib_model(group: &str, target_name: &str, dtype: FloatDtype) -> ValidModel {
    stdlib_model_with(group, target_name, &Options::new(Alphabet::Elements, dtype))
}

/// [`stdlib_model`] with any compile options.
pub fn stdlib_model_with(group: &str, target_name: &str, opts: &Options) -> ValidModel {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib/seed.gssm");
    let program = load_file(&path, &Limits::default()).unwrap_or_else(|d| panic!("{}", d.message));
    let e = program
        .eval(group)
        .unwrap_or_else(|d| panic!("{group}: {}", d.message));
    let t = target::by_name(target_name).expect("target exists");
    let (_, bytes) = compile(&e.group, &e.origin(), t, opts)
        .unwrap_or_else(|d| panic!("{group} for {target_name}: {}", d.message));
    load(&bytes, &LoadLimits::default()).expect("the compiler's file loads")
}

/// `batch` seeded random sequences of `len` valid tokens.
pub fn tokens(model: &ValidModel, batch: usize, len: usize, mut seed: u64) -> Tokens {
    let v = model.num_tokens() as u64;
    let ids = (0..batch * len)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % v) as u32
        })
        .collect();
    Tokens::new(model, batch, len, ids).expect("valid tokens")
}

/// Run the gssm binary with `args`: its stdout, stderr and exit code.
pub fn gssm(args: &[&str]) -> (String, String, i32) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gssm"))
        .args(args)
        .output()
        .expect("run gssm");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}
