//! The pipeline end to end, for the CLI and for tests: a built group and a
//! target in, a validated model and its weight-file bytes out. Errors become
//! diagnostics pointing at the group's definition.

use crate::construct::{construct, Alphabet};
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

/// Compile `g` for `target`.
pub fn compile(
    g: &Group,
    origin: &Origin,
    target: &dyn Target,
    alphabet: Alphabet,
    dtype: FloatDtype,
) -> Result<(ValidModel, Vec<u8>), Diagnostic> {
    let p = match &origin.series {
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
    };
    let model = construct(g, &p, target, alphabet, dtype).map_err(|e| {
        origin.locate(
            Diagnostic::error("construct", e),
            None,
            "while compiling this group",
        )
    })?;
    // The loader's limits and checks, so gssm never writes a file that it
    // (or any reader following the format) would refuse.
    let model = validate(model, &LoadLimits::default()).map_err(|e| {
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
