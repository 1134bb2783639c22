//! The pipeline end to end, for the CLI and for tests: a built group and a
//! target in, a validated model and its weight-file bytes out. Errors become
//! diagnostics pointing at the group's definition.

use crate::construct::{self, construct, Alphabet, Tokens};
use crate::diagnostics::{Diagnostic, Source, Span};
use crate::emit::emit;
use crate::group::{Elem, Group};
use crate::target::{plan, plan_with_series, Target};
use gssm_runtime::format::LoadLimits;
use gssm_runtime::ir::FloatDtype;
use gssm_runtime::valid::{validate, ValidModel};

/// Where the group came from, for error messages.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub source: Option<Source>,
    /// The group's definition.
    pub span: Option<Span>,
    /// The explicit series, if the source gave one: G_1 … G_{k-1} by
    /// generators, and its span.
    pub series: Option<(Vec<Vec<Elem>>, Span)>,
}

impl Origin {
    fn locate(&self, d: Diagnostic, span: Option<Span>, label: &str) -> Diagnostic {
        match (&self.source, span.or(self.span)) {
            (Some(src), Some(sp)) => d.at(src, sp, label),
            _ => d,
        }
    }
}

/// How to compile: the input alphabet, the stored dtype, and whether the
/// model starts from the zero state with a start token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    pub alphabet: Alphabet,
    pub dtype: FloatDtype,
    pub bos: bool,
}

impl Options {
    pub fn new(alphabet: Alphabet, dtype: FloatDtype) -> Options {
        Options {
            alphabet,
            dtype,
            bos: false,
        }
    }
}

/// Compile `g` for `target`.
pub fn compile(
    g: &Group,
    origin: &Origin,
    target: &dyn Target,
    opts: &Options,
) -> Result<(ValidModel, Vec<u8>), Diagnostic> {
    let located = |e: String| {
        origin.locate(
            Diagnostic::error("construct", e),
            None,
            "while compiling this group",
        )
    };
    let toks = Tokens::new(g, opts.alphabet, opts.bos).map_err(located)?;
    let limits = LoadLimits::default();
    let model = if target.kind().is_diagonal() {
        let p = diagonal_plan(g, origin, target)?;
        construct(g, &p, target, &toks, opts.dtype).map_err(located)?
    } else {
        if origin.series.is_some() {
            return Err(origin.locate(
                Diagnostic::error(
                    "series::unused",
                    format!("{} is one layer and takes no series", target.name()),
                ),
                origin.series.as_ref().map(|s| s.1),
                "this series",
            ));
        }
        construct::cell(g, target.kind(), &toks, opts.dtype, &limits).map_err(located)?
    };
    // The loader's limits and checks, so gssm never writes a file that it
    // (or any reader following the format) would refuse.
    let model = validate(model, &limits).map_err(|e| {
        origin.locate(
            Diagnostic::error(
                "validate",
                format!("the compiled model cannot be written: {e}"),
            ),
            None,
            "while compiling this group",
        )
    })?;
    let bytes = emit(&model)
        .map_err(|e| Diagnostic::error("emit", format!("cannot write the weight file: {e}")))?;
    Ok((model, bytes))
}

/// The series a diagonal target's layers follow: the source's, checked, or
/// the least-depth one.
fn diagonal_plan(
    g: &Group,
    origin: &Origin,
    target: &dyn Target,
) -> Result<crate::target::Plan, Diagnostic> {
    Ok(match &origin.series {
        Some((given, span)) => plan_with_series(g, target, given).map_err(|e| {
            origin.locate(
                Diagnostic::error("series::invalid", format!("the series given for {} does not work for {}: {}", g.name, target.name(), e.reason)),
                Some(*span),
                format!("step G_{} ⊳ G_{} fails", e.step, e.step + 1).as_str(),
            )
            .help(format!("give subgroups G_1 ⊳ G_2 ⊳ … with each G_i normal in G_(i-1) and each factor {}; or drop the series to let gssm pick the least-depth one", target.factor_class().map_or("trivial", |c| c.describe())))
        })?,
        None => plan(g, target).map_err(|e| {
            let mut d = Diagnostic::error(
                "target::no-series",
                format!("{} cannot be compiled for {}: {}", g.name, target.name(), e.reason),
            );
            if !e.explanation.is_empty() {
                d = d.help(e.explanation.clone());
            }
            origin.locate(d, None, &format!("{} (order {}) defined here", g.name, g.order()))
        })?,
    })
}
