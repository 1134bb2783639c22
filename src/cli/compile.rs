//! `gssm compile FILE -g GROUP --target T -o OUT`: weights as safetensors.

use super::common::{fail, report};
use super::source::{load_group, SourceLimits};
use gssm_compiler::construct::Alphabet;
use gssm_compiler::pipeline::{compile, Options};
use gssm_compiler::target;
use gssm_runtime::format::FloatDtype;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlphabetArg {
    /// Every group element is a token.
    Elements,
    /// The generators only.
    Generators,
    /// The generators and their inverses (the word problem).
    #[value(name = "generators+inverses")]
    GeneratorsInverses,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatArg {
    F32,
    F64,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Source file (.gssm).
    pub file: PathBuf,
    /// Group to compile (default: the last group the file defines).
    #[arg(long, short)]
    pub group: Option<String>,
    /// Target architecture: aussm, neg-mamba (also called signed-mamba),
    /// mamba, gla, s4d; one-layer: rnn, pd-ssm, deltaproduct.
    #[arg(long, short, default_value = "aussm")]
    pub target: String,
    /// Output weight file (default: GROUP.TARGET.safetensors).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Float type of the stored transitions.
    #[arg(long, value_enum, default_value = "f32")]
    pub dtype: FloatArg,
    /// Input tokens of the model.
    #[arg(long, value_enum, default_value = "elements")]
    pub alphabet: AlphabetArg,
    /// Run from the zero state: add a start token `<bos>` (the last token
    /// id) that writes the initial state, as frameworks that start from
    /// h = 0 need; every sequence then begins with it.
    #[arg(long)]
    pub bos: bool,
    #[command(flatten)]
    pub limits: SourceLimits,
}

pub fn run(a: Args) -> ExitCode {
    let start = Instant::now();
    let Some(t) = target::by_name(&a.target) else {
        let names: Vec<&str> = target::all().iter().map(|t| t.name()).collect();
        return fail(format!(
            "unknown target '{}': choose one of {}",
            a.target,
            names.join(", ")
        ));
    };
    let (group, origin) = match load_group(&a.file, a.group.as_deref(), &a.limits) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let alphabet = match a.alphabet {
        AlphabetArg::Elements => Alphabet::Elements,
        AlphabetArg::Generators => Alphabet::Generators { inverses: false },
        AlphabetArg::GeneratorsInverses => Alphabet::Generators { inverses: true },
    };
    let dtype = match a.dtype {
        FloatArg::F32 => FloatDtype::F32,
        FloatArg::F64 => FloatDtype::F64,
    };
    let opts = Options {
        alphabet,
        dtype,
        bos: a.bos,
    };
    let (model, bytes) = match compile(&group, &origin, t, &opts) {
        Ok(x) => x,
        Err(d) => {
            report(&d);
            return ExitCode::FAILURE;
        }
    };
    let out = a
        .output
        .unwrap_or_else(|| PathBuf::from(format!("{}.{}.safetensors", group.name, t.name())));
    if let Err(e) = std::fs::write(&out, &bytes) {
        return fail(format!("cannot write {}: {e}", out.display()));
    }
    let (layers, widths) = gssm_compiler::report::verify::shape(&model);
    eprintln!(
        "compiled {} (order {}) for {}: {} layer(s) of widths {:?}, {} tokens; wrote {} ({} bytes) in {:.1} ms",
        group.name,
        group.order(),
        t.name(),
        layers,
        widths,
        model.num_tokens(),
        out.display(),
        bytes.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    ExitCode::SUCCESS
}
