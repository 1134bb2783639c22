//! `gssm compile FILE -g GROUP --target T -o OUT`: weights as safetensors.

use super::common::DtypeArg;
use super::common::{fail, report};
use super::source::{checked_from, load_automaton, SourceLimits};
use gssm_compiler::construct::Alphabet;
use gssm_compiler::diagnostics::Diagnostic;
use gssm_compiler::pipeline::{
    compile_automaton, compile_checked, compile_proved, Coordinates, Options, Origin,
};
use gssm_compiler::target;
use gssm_runtime::format::FloatDtype;
use gssm_runtime::valid::ValidModel;
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
pub enum CoordinatesArg {
    Invariant,
    Primary,
}

impl From<CoordinatesArg> for Coordinates {
    fn from(c: CoordinatesArg) -> Coordinates {
        match c {
            CoordinatesArg::Invariant => Coordinates::Invariant,
            CoordinatesArg::Primary => Coordinates::Primary,
        }
    }
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
    /// How each abelian factor is written: invariant factors (least width)
    /// or prime powers (smaller moduli, whose float orbits close more often).
    #[arg(long, value_enum, default_value = "invariant")]
    pub coordinates: CoordinatesArg,
    /// Pick the cheapest coordinates whose horizon is proved infinite in
    /// this dtype (overrides --coordinates), or fail saying which
    /// component prevents it.
    #[arg(long, value_enum)]
    pub precision: Option<DtypeArg>,
    /// Most (float state, digit) pairs the precision proof explores per
    /// component.
    #[arg(long, default_value_t = 1 << 16)]
    pub closure_limit: usize,
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
    // An automaton's name, or the file's last definition when it is one;
    // otherwise a group expression.
    let program = match load_automaton(&a.file, a.group.as_deref(), &a.limits) {
        Ok(Ok(aut)) => {
            let opts = Options {
                alphabet: Alphabet::Elements,
                dtype: dtype_of(a.dtype),
                bos: a.bos,
                coordinates: a.coordinates.into(),
            };
            let one =
                |o: &Options| compile_automaton(&aut, &Origin::default(), t, o, &a.limits.get());
            let r = proved(&a, one, &opts);
            return finish(
                r,
                &a,
                &aut.name,
                &format!("{} states", aut.states.len()),
                t.name(),
                start,
            );
        }
        Ok(Err(p)) => p,
        Err(code) => return code,
    };
    // Past the element limit a permutation group stays a stabiliser chain,
    // a pc group a presentation.
    let group = match checked_from(&program, a.group.as_deref()) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let limits = a.limits.get();
    let one = |o: &Options| compile_checked(&group, t, o, &limits);
    let r = proved(&a, one, &group_options(&a));
    let size = format!("order {}", group.order());
    finish(r, &a, group.name(), &size, t.name(), start)
}

/// The model in the asked coordinates, or with `--precision` in the
/// cheapest ones whose horizon is proved infinite in that dtype.
fn proved(
    a: &Args,
    one: impl Fn(&Options) -> Result<(ValidModel, Vec<u8>), Diagnostic>,
    opts: &Options,
) -> Result<(ValidModel, Vec<u8>), Diagnostic> {
    let Some(d) = a.precision else {
        return one(opts);
    };
    let (model, bytes, report) = compile_proved(one, opts, d.into(), a.closure_limit)?;
    eprintln!("precision {}: {}", report.dtype, report.summary());
    Ok((model, bytes))
}

/// A group's compile options, as the flags give them.
fn group_options(a: &Args) -> Options {
    Options {
        alphabet: alphabet_of(a.alphabet),
        dtype: dtype_of(a.dtype),
        bos: a.bos,
        coordinates: a.coordinates.into(),
    }
}

pub(super) fn alphabet_of(a: AlphabetArg) -> Alphabet {
    match a {
        AlphabetArg::Elements => Alphabet::Elements,
        AlphabetArg::Generators => Alphabet::Generators { inverses: false },
        AlphabetArg::GeneratorsInverses => Alphabet::Generators { inverses: true },
    }
}

fn dtype_of(d: FloatArg) -> FloatDtype {
    match d {
        FloatArg::F32 => FloatDtype::F32,
        FloatArg::F64 => FloatDtype::F64,
    }
}

/// Write the compiled file and say what was written, or report why not.
fn finish(
    r: Result<(ValidModel, Vec<u8>), Diagnostic>,
    a: &Args,
    name: &str,
    size: &str,
    target: &str,
    start: Instant,
) -> ExitCode {
    let (model, bytes) = match r {
        Ok(x) => x,
        Err(d) => {
            report(&d);
            return ExitCode::FAILURE;
        }
    };
    let out = a
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{name}.{target}.safetensors")));
    if let Err(e) = std::fs::write(&out, &bytes) {
        return fail(format!("cannot write {}: {e}", out.display()));
    }
    let (layers, widths) = gssm_compiler::report::verify::shape(&model);
    eprintln!(
        "compiled {name} ({size}) for {target}: {} layer(s) of widths {:?}, {} tokens; wrote {} ({} bytes) in {:.1} ms",
        layers,
        widths,
        model.num_tokens(),
        out.display(),
        bytes.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    ExitCode::SUCCESS
}
