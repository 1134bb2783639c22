//! `gssm._native`: the compiler and the verifier of the `gssm` crates, for
//! the Python package (`gssm.check`, `gssm.compile`, `gssm.verify` in
//! `gssm/compiler.py` wrap these functions and turn their results into
//! objects).
//!
//! Reports cross as the JSON the CLI prints (`gssm check --json`,
//! `gssm verify --json`), weight files as bytes. An error in a source
//! raises `Error(code, message, rendered, file, line, column, help)`, with
//! the diagnostic rendered as the CLI prints it; the Python side raises
//! `gssm.GssmError` from it. Work runs with the interpreter released.

use gssm_compiler::automaton::Automaton;
use gssm_compiler::construct::Alphabet;
use gssm_compiler::dataset::{Dataset, Format, Spec};
use gssm_compiler::diagnostics::{render_plain, Diagnostic};
use gssm_compiler::elaborate::{load_file, load_source, Elaborated, Program};
use gssm_compiler::group::Limits;
use gssm_compiler::pipeline::{
    compile_automaton, compile_checked, Options as CompileOptions, Origin,
};
use gssm_compiler::report::check_any;
use gssm_compiler::report::verify::{verify as verify_model, Options, SourceGroup, SourceKind};
use gssm_compiler::target;
use gssm_runtime::exec::Backend;
use gssm_runtime::format::{load, FloatDtype, LoadLimits};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::valid::ValidModel;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::path::Path;

pyo3::create_exception!(
    gssm._native,
    Error,
    PyException,
    "A gssm error: args are (code, message, rendered, file, line, column, help)."
);

/// Display name of source text that is not a file.
const TEXT_NAME: &str = "<source>";

/// Why a call failed, before it becomes a Python exception.
enum Failure {
    /// A diagnostic (a source error, or a pipeline error pointing at one).
    Diagnostic(Box<Diagnostic>),
    /// A plain error with a code.
    Plain(&'static str, String),
    /// A bad argument (`ValueError`).
    Argument(String),
}

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Failure {
        Failure::Diagnostic(Box::new(d))
    }
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        match f {
            Failure::Diagnostic(d) => {
                let at = d.file.as_ref().zip(d.span).map(|(src, span)| {
                    let (line, column) = src.line_col(span.start);
                    (src.name.clone(), line, column)
                });
                let (file, line, column) = match at {
                    Some((f, l, c)) => (Some(f), Some(l), Some(c)),
                    None => (None, None, None),
                };
                Error::new_err((
                    d.code,
                    d.message.clone(),
                    render_plain(&d),
                    file,
                    line,
                    column,
                    d.help.clone(),
                ))
            }
            Failure::Plain(code, message) => Error::new_err((
                code,
                message.clone(),
                format!("error: {message}\n"),
                None::<String>,
                None::<usize>,
                None::<usize>,
                None::<String>,
            )),
            Failure::Argument(message) => PyValueError::new_err(message),
        }
    }
}

/// Limits on building groups; `None` keeps the default.
fn limits(
    max_elements: Option<usize>,
    max_cosets: Option<usize>,
    max_memory: Option<usize>,
) -> Limits {
    let d = Limits::default();
    Limits {
        max_elements: max_elements.unwrap_or(d.max_elements),
        max_cosets: max_cosets.unwrap_or(d.max_cosets),
        max_memory: max_memory.unwrap_or(d.max_memory),
        ..d
    }
}

/// A source: a file's path, or source text (whose relative imports
/// resolve from the current directory).
enum Input {
    Path(String),
    Text(String),
}

impl Input {
    fn new(path: Option<String>, text: Option<String>) -> Result<Input, Failure> {
        match (path, text) {
            (Some(p), None) => Ok(Input::Path(p)),
            (None, Some(t)) => Ok(Input::Text(t)),
            _ => Err(Failure::Argument(
                "give exactly one of a source file's path and source text".into(),
            )),
        }
    }

    /// How reports name it.
    fn name(&self) -> &str {
        match self {
            Input::Path(p) => p,
            Input::Text(_) => TEXT_NAME,
        }
    }

    fn program(&self, limits: &Limits) -> Result<Program, Failure> {
        Ok(match self {
            Input::Path(p) => load_file(Path::new(p), limits)?,
            Input::Text(t) => load_source(TEXT_NAME, t, limits)?,
        })
    }

    /// Build `group`, refusing an automaton by name (or as the last
    /// definition when no name is given) with `what` in the message: only
    /// `compile` takes automata.
    fn group_only(
        &self,
        group: Option<&str>,
        limits: &Limits,
        what: &str,
    ) -> Result<Elaborated, Failure> {
        let program = self.group_program(group, limits, what)?;
        elaborate(&program, group)
    }

    /// The program, refusing an automaton as [`Input::group_only`] does.
    fn group_program(
        &self,
        group: Option<&str>,
        limits: &Limits,
        what: &str,
    ) -> Result<Program, Failure> {
        let program = self.program(limits)?;
        if let Some(a) = automaton_of(&program, group)? {
            return Err(Failure::Plain(
                "automaton",
                format!(
                    "{what} takes a group, but {} is an automaton; gssm.compile compiles it, and `gssm check` reports its monoid",
                    a.name
                ),
            ));
        }
        Ok(program)
    }
}

fn elaborate(program: &Program, group: Option<&str>) -> Result<Elaborated, Failure> {
    Ok(match group {
        Some(expr) => program.eval(expr)?,
        None => program.group(None, &[])?,
    })
}

/// The automaton `name` names, or with no name the main file's last
/// definition when it is an automaton; `None` when a group is meant (as
/// `gssm compile` chooses).
fn automaton_of(program: &Program, name: Option<&str>) -> Result<Option<Automaton>, Failure> {
    let result = match name {
        Some(n) => program.automaton(Some(n)),
        None => {
            let last_group = program.definitions().last().map(|d| d.span.start);
            match program.automata().last() {
                Some(a) if last_group.is_none_or(|g| g < a.span.start) => program.automaton(None),
                _ => return Ok(None),
            }
        }
    };
    match result {
        Ok(a) => Ok(Some(a)),
        Err(d) if d.code == "name::unknown-automaton" => Ok(None),
        Err(d) => Err(d.into()),
    }
}

/// Warnings, rendered.
fn rendered(warnings: &[Diagnostic]) -> Vec<String> {
    warnings.iter().map(render_plain).collect()
}

/// `gssm check`: the report as JSON (keys sorted, as `gssm check --json`
/// prints it) and the rendered warnings.
#[pyfunction]
#[pyo3(signature = (path, text, group=None, max_elements=None, max_cosets=None, max_memory=None))]
fn check(
    py: Python<'_>,
    path: Option<String>,
    text: Option<String>,
    group: Option<String>,
    max_elements: Option<usize>,
    max_cosets: Option<usize>,
    max_memory: Option<usize>,
) -> PyResult<(String, Vec<String>)> {
    let limits = limits(max_elements, max_cosets, max_memory);
    let run = move || -> Result<(String, Vec<String>), Failure> {
        let g = group.as_deref();
        let program = Input::new(path, text)?.group_program(g, &limits, "gssm.check")?;
        // As `gssm check`: a permutation group past the element limit is
        // reported from its stabiliser chain, a pc group from its
        // presentation.
        let checked = program.checked(g)?;
        let structure = check_any(&checked)?;
        let value = serde_json::to_value(structure).expect("the report serialises");
        Ok((value.to_string(), rendered(checked.warnings())))
    };
    Ok(py.detach(run)?)
}

/// `gssm compile`: the weight file's bytes (the CLI's, for the same
/// arguments) and the rendered warnings.
#[pyfunction]
#[pyo3(signature = (path, text, group, target, dtype, alphabet, bos=false, max_elements=None, max_cosets=None, max_memory=None))]
#[allow(clippy::too_many_arguments)]
fn compile<'py>(
    py: Python<'py>,
    path: Option<String>,
    text: Option<String>,
    group: Option<String>,
    target: String,
    dtype: String,
    alphabet: String,
    bos: bool,
    max_elements: Option<usize>,
    max_cosets: Option<usize>,
    max_memory: Option<usize>,
) -> PyResult<(Bound<'py, PyBytes>, Vec<String>)> {
    let limits = limits(max_elements, max_cosets, max_memory);
    let run = move || -> Result<(Vec<u8>, Vec<String>), Failure> {
        let Some(t) = target::by_name(&target) else {
            return Err(Failure::Argument(format!(
                "unknown target '{target}': choose one of {}",
                targets().join(", ")
            )));
        };
        let dtype = match dtype.as_str() {
            "float32" | "f32" => FloatDtype::F32,
            "float64" | "f64" => FloatDtype::F64,
            other => {
                return Err(Failure::Argument(format!(
                    "unknown dtype '{other}': choose float32 or float64"
                )))
            }
        };
        let alphabet = alphabet_of(&alphabet)?;
        let program = Input::new(path, text)?.program(&limits)?;
        // An automaton's name, or the file's last definition when it is
        // one, as `gssm compile` chooses; otherwise a group expression.
        if let Some(a) = automaton_of(&program, group.as_deref())? {
            let opts = CompileOptions {
                alphabet: Alphabet::Elements,
                dtype,
                bos,
                coordinates: Default::default(),
            };
            let (_, bytes) = compile_automaton(&a, &Origin::default(), t, &opts, &limits)?;
            return Ok((bytes, Vec::new()));
        }
        // As `gssm compile`: past the element limit a permutation group
        // stays a stabiliser chain, a pc group a presentation.
        let g = program.checked(group.as_deref())?;
        let opts = CompileOptions {
            alphabet,
            dtype,
            bos,
            coordinates: Default::default(),
        };
        let (_, bytes) = compile_checked(&g, t, &opts, &limits)?;
        Ok((bytes, rendered(g.warnings())))
    };
    let (bytes, warnings) = py.detach(run)?;
    Ok((PyBytes::new(py, &bytes), warnings))
}

fn alphabet_of(name: &str) -> Result<Alphabet, Failure> {
    match name {
        "elements" => Ok(Alphabet::Elements),
        "generators" => Ok(Alphabet::Generators { inverses: false }),
        "generators+inverses" => Ok(Alphabet::Generators { inverses: true }),
        other => Err(Failure::Argument(format!(
            "unknown alphabet '{other}': choose elements, generators or generators+inverses"
        ))),
    }
}

/// A weight file's bytes, loaded and validated with the default limits.
fn valid_model(bytes: &[u8]) -> Result<ValidModel, Failure> {
    load(bytes, &LoadLimits::default())
        .map_err(|e| Failure::Plain("model::invalid", format!("not a valid gssm model: {e}")))
}

/// What a dataset is to be.
fn spec_of(len: usize, count: u64, seed: u64, format: &str) -> Result<Spec, Failure> {
    let format = Format::parse(format).ok_or_else(|| {
        Failure::Argument(format!(
            "unknown format '{format}': choose word-problem, word-problem-bos or jsonl"
        ))
    })?;
    Ok(Spec {
        len,
        count,
        seed,
        format,
    })
}

/// A dataset in memory, refused beforehand when its size bound passes
/// `max_bytes`.
fn dataset_bytes(d: &Dataset, spec: Spec, max_bytes: usize) -> Result<Vec<u8>, Failure> {
    let bound = d.max_bytes();
    if bound > max_bytes as u128 {
        return Err(Failure::Argument(format!(
            "{} sequences of {} tokens may take up to {bound} bytes, more than max_bytes = {max_bytes}; lower count or len, raise max_bytes, or write a file with `gssm data`",
            spec.count, spec.len
        )));
    }
    let mut out = Vec::new();
    d.write(&mut out, &mut |_| {})
        .map_err(|e| Failure::Argument(e.to_string()))?;
    Ok(out)
}

/// `gssm data --model`: a dataset drawn from a weight file's tokens and
/// labelled by its truth; its bytes (the CLI's) and vocabulary JSON.
#[pyfunction]
fn model_data<'py>(
    py: Python<'py>,
    model: &[u8],
    len: usize,
    count: u64,
    seed: u64,
    format: String,
    max_bytes: usize,
) -> PyResult<(Bound<'py, PyBytes>, String)> {
    let run = move || -> Result<(Vec<u8>, String), Failure> {
        let spec = spec_of(len, count, seed, &format)?;
        let model = valid_model(model)?;
        let d = Dataset::from_model(&model, spec).map_err(Failure::Argument)?;
        let out = dataset_bytes(&d, spec, max_bytes)?;
        Ok((out, d.vocab_json()))
    };
    let (out, vocab) = py.detach(run)?;
    Ok((PyBytes::new(py, &out), vocab))
}

/// `gssm data`: a word-problem dataset's bytes (the CLI's, for the same
/// arguments), its vocabulary JSON and the rendered warnings. The dataset
/// is built in memory, so its size bound must stay within `max_bytes`.
#[pyfunction]
#[pyo3(signature = (path, text, group, len, count, alphabet, seed, format, max_bytes, max_elements=None, max_cosets=None, max_memory=None))]
#[allow(clippy::too_many_arguments)]
fn data<'py>(
    py: Python<'py>,
    path: Option<String>,
    text: Option<String>,
    group: Option<String>,
    len: usize,
    count: u64,
    alphabet: String,
    seed: u64,
    format: String,
    max_bytes: usize,
    max_elements: Option<usize>,
    max_cosets: Option<usize>,
    max_memory: Option<usize>,
) -> PyResult<(Bound<'py, PyBytes>, String, Vec<String>)> {
    let limits = limits(max_elements, max_cosets, max_memory);
    let run = move || -> Result<(Vec<u8>, String, Vec<String>), Failure> {
        let alphabet = alphabet_of(&alphabet)?;
        let spec = spec_of(len, count, seed, &format)?;
        let e = Input::new(path, text)?.group_only(group.as_deref(), &limits, "gssm.data")?;
        let d = Dataset::new(&e.group, alphabet, spec).map_err(Failure::Argument)?;
        let out = dataset_bytes(&d, spec, max_bytes)?;
        Ok((out, d.vocab_json(), rendered(&e.warnings)))
    };
    let (bytes, vocab, warnings) = py.detach(run)?;
    Ok((PyBytes::new(py, &bytes), vocab, warnings))
}

/// `gssm verify` of a weight file's bytes: the report as JSON (as
/// `gssm verify --json` prints it). With a source (path or text), the
/// model's group is checked against the group it defines under the model's
/// group name.
#[pyfunction]
#[pyo3(signature = (model, length, budget, backend, horizon_seqs, horizon_len, dtypes, seed, source_path=None, source_text=None, max_elements=None, max_cosets=None, max_memory=None))]
#[allow(clippy::too_many_arguments)]
fn verify(
    py: Python<'_>,
    model: &[u8],
    length: Option<usize>,
    budget: u64,
    backend: Option<String>,
    horizon_seqs: usize,
    horizon_len: usize,
    dtypes: Vec<String>,
    seed: u64,
    source_path: Option<String>,
    source_text: Option<String>,
    max_elements: Option<usize>,
    max_cosets: Option<usize>,
    max_memory: Option<usize>,
) -> PyResult<String> {
    let limits = limits(max_elements, max_cosets, max_memory);
    let run = move || -> Result<String, Failure> {
        let backend = match backend.as_deref() {
            None => None,
            Some("reference") => Some(Backend::Reference),
            Some("jit") => Some(Backend::Jit),
            Some("gpu") => Some(Backend::Gpu),
            Some(other) => {
                return Err(Failure::Argument(format!(
                    "unknown backend '{other}': choose reference, jit or gpu"
                )))
            }
        };
        let dtypes = dtypes
            .iter()
            .map(|d| {
                Dtype::parse(d).ok_or_else(|| {
                    Failure::Argument(format!(
                        "unknown dtype '{d}': choose from f64, f32, f16, bf16"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let model = valid_model(model)?;
        let source = match (source_path, source_text, &model.manifest.group) {
            (None, None, _) => None,
            (_, _, None) => {
                return Err(Failure::Argument(
                    "source checks a group's name against its source; this file tracks an automaton, whose transitions it carries".into(),
                ))
            }
            (p, t, Some(g)) => {
                let input = Input::new(p, t)?;
                let e = input.program(&limits)?.checked(Some(&g.name))?;
                Some((e, input.name().to_string()))
            }
        };
        let options = Options {
            length,
            budget,
            backend,
            shard: None,
            horizon_seqs,
            horizon_len,
            dtypes,
            seed,
            ..Options::default()
        };
        let source = source.as_ref().map(|(e, file)| SourceGroup {
            group: SourceKind::from(e),
            file,
        });
        let report = verify_model(&model, &options, source, &mut ())
            .map_err(|e| Failure::Plain("verify", e))?;
        Ok(serde_json::to_string(&report).expect("the report serialises"))
    };
    Ok(py.detach(run)?)
}

/// The target names, in the order reports list them.
#[pyfunction]
fn targets() -> Vec<&'static str> {
    target::all().iter().map(|t| t.name()).collect()
}

#[pymodule]
mod _native {
    #[pymodule_export]
    use super::{check, compile, data, model_data, targets, verify, Error};
}
