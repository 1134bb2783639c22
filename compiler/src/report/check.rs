//! The structure report of `gssm check`: order, generators, abelian /
//! nilpotent / solvable, the derived series with each factor's invariants,
//! and per target the least number of layers (with widths) or why none
//! suffices; with a series hint, whether each target accepts it.
//!
//! Serialised, [`Structure`] is the object `gssm check --json` prints (with
//! its keys sorted: the CLI goes through `serde_json::Value`).

use crate::construct::cell_size;
use crate::elaborate::Elaborated;
use crate::structure::abelian::{self, invariant_factors_of};
use crate::structure::{closure, derived_series, is_nilpotent};
use crate::target::{self, plan, plan_with_series};
use gssm_runtime::valid::LoadLimits;
use serde::Serialize;

/// Everything `gssm check` reports about one group.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Structure {
    pub name: String,
    pub order: usize,
    pub generators: Vec<String>,
    /// Where the group's definition (or expression) starts.
    pub defined_at: Location,
    pub is_abelian: bool,
    pub is_nilpotent: bool,
    pub is_solvable: bool,
    /// `None` when the group is not solvable.
    pub derived_length: Option<usize>,
    /// |G(0)|, |G(1)|, …: down to 1, or to the perfect subgroup where the
    /// derived series stops.
    pub derived_series_orders: Vec<usize>,
    /// G(i)/G(i+1) for each step of the derived series.
    pub derived_factors: Vec<Factor>,
    /// G/G' as prime powers.
    pub abelian_invariants: Vec<u32>,
    /// G/G' as invariant factors.
    pub abelian_invariant_factors: Vec<u32>,
    /// One entry per target, in [`target::all`]'s order.
    pub targets: Vec<TargetDepth>,
    /// Present when the definition gave an explicit series.
    pub series_hint: Option<SeriesHintReport>,
    /// The messages of the warnings raised while building the group.
    pub warnings: Vec<String>,
}

/// A place in a source file, 1-based.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// An abelian factor of a series.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Factor {
    pub invariant_factors: Vec<u32>,
    pub prime_powers: Vec<u32>,
}

/// The least number of layers one target needs, or why it cannot track the
/// group (then `layers` and `widths` are `None`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TargetDepth {
    pub target: String,
    pub layers: Option<usize>,
    pub widths: Option<Vec<usize>>,
    pub reason: Option<String>,
    pub explanation: Option<String>,
    /// For the one-layer targets: how the layer is built and its size.
    pub size: Option<String>,
}

/// The series the source gave, as each target judges it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SeriesHintReport {
    /// |G_1|, …, |G_{k-1}|.
    pub subgroup_orders: Vec<usize>,
    /// Targets that track some non-trivial group only: the others reject
    /// every series for the reason their [`TargetDepth`] gives.
    pub targets: Vec<SeriesVerdict>,
}

/// Whether one target accepts the given series.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SeriesVerdict {
    pub target: String,
    pub layers: Option<usize>,
    pub reason: Option<String>,
}

/// The structure report of an elaborated group.
pub fn check(e: &Elaborated) -> Structure {
    let g = &e.group;
    let ds = derived_series(g);
    let solvable = ds.last().is_some_and(|s| s.len() == 1);
    let derived_factors = ds
        .windows(2)
        .map(|w| {
            let f = abelian::factor(g, &w[0], &w[1]).expect("derived factors are abelian");
            Factor {
                invariant_factors: f.invariant_factors,
                prime_powers: f.prime_powers,
            }
        })
        .collect();
    let ab = abelian::abelian_invariants(g);
    let (line, column) = e.source.line_col(e.span.start);
    let targets = target::all()
        .iter()
        .map(|&t| match plan(g, t) {
            _ if !t.kind().is_diagonal() => {
                let (width, how) = cell_size(g, t.kind(), &LoadLimits::default());
                TargetDepth {
                    target: t.name().to_string(),
                    layers: Some(1),
                    widths: Some(vec![width]),
                    reason: None,
                    explanation: None,
                    size: Some(how),
                }
            }
            Ok(p) => TargetDepth {
                target: t.name().to_string(),
                layers: Some(p.depth()),
                widths: Some(
                    p.factors
                        .iter()
                        .map(|f| f.invariant_factors.len())
                        .collect(),
                ),
                reason: None,
                explanation: None,
                size: None,
            },
            Err(no) => TargetDepth {
                target: t.name().to_string(),
                layers: None,
                widths: None,
                reason: Some(no.reason),
                explanation: (!no.explanation.is_empty()).then_some(no.explanation),
                size: None,
            },
        })
        .collect();
    let series_hint = e.series.as_ref().map(|s| SeriesHintReport {
        subgroup_orders: s
            .subgroups
            .iter()
            .map(|gens| closure(g, gens).len())
            .collect(),
        targets: target::all()
            .iter()
            .filter(|t| t.factor_class().is_some())
            .map(|&t| match plan_with_series(g, t, &s.subgroups) {
                Ok(p) => SeriesVerdict {
                    target: t.name().to_string(),
                    layers: Some(p.depth()),
                    reason: None,
                },
                Err(b) => SeriesVerdict {
                    target: t.name().to_string(),
                    layers: None,
                    reason: Some(format!(
                        "step G_{} ⊳ G_{}: {}",
                        b.step,
                        b.step + 1,
                        b.reason
                    )),
                },
            })
            .collect(),
    });
    Structure {
        name: g.name.clone(),
        order: g.order(),
        generators: g.generator_names().to_vec(),
        defined_at: Location {
            file: e.source.name.clone(),
            line,
            column,
        },
        is_abelian: g.is_abelian(),
        is_nilpotent: is_nilpotent(g),
        is_solvable: solvable,
        derived_length: solvable.then(|| ds.len() - 1),
        derived_series_orders: ds.iter().map(Vec::len).collect(),
        derived_factors,
        abelian_invariant_factors: invariant_factors_of(&ab),
        abelian_invariants: ab,
        targets,
        series_hint,
        warnings: e.warnings.iter().map(|w| w.message.clone()).collect(),
    }
}
