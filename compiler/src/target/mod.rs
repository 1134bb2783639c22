//! Target architectures, one module each behind the [`Target`] trait.
//!
//! A target is characterised by the class of factor groups one of its layers
//! realises (DESIGN.md §1). [`plan`] finds the least-depth series of that
//! class — or checks the user's series — and explains precisely when none
//! exists.

mod aussm;
mod cell;
pub mod chain;
mod mamba;
mod neg_mamba;
pub mod pc;
mod s4d;

pub use aussm::Aussm;
pub use cell::Cell;
pub use mamba::Mamba;
pub use neg_mamba::NegMamba;
pub use s4d::S4d;

use crate::group::{Elem, Group};
use crate::structure::abelian::{factor, AbelianFactor};
use crate::structure::series::{least_series, FactorClass};
use crate::structure::subgroup::{is_normalised_by, is_subset, small_generators};
use gssm_runtime::valid::TargetKind;

/// One target architecture.
pub trait Target: Sync {
    /// Name on the command line and in the manifest.
    fn name(&self) -> &'static str;
    /// What one layer's transition is, for messages.
    fn transition_kind(&self) -> &'static str;
    /// Factor groups one layer realises; `None` when no layer can change
    /// state in a group-like way (only the trivial group is tracked).
    fn factor_class(&self) -> Option<FactorClass>;
    /// The theorem's reason for `None`.
    fn impossibility(&self) -> &'static str {
        ""
    }
    /// The weight file's name for this target, which fixes the stored
    /// values (see `gssm_runtime::values`) and the layer class the loader
    /// checks.
    fn kind(&self) -> TargetKind;
}

static AUSSM: Aussm = Aussm;
static NEG_MAMBA: NegMamba = NegMamba;
static MAMBA: Mamba = Mamba {
    name: "mamba",
    kind: TargetKind::Mamba,
};
static GLA: Mamba = Mamba {
    name: "gla",
    kind: TargetKind::Gla,
};
static S4D: S4d = S4d;
static RNN: Cell = Cell {
    name: "rnn",
    kind: TargetKind::Rnn,
    transition: "Elman RNN with ReLU, one hidden unit per (element, token)",
};
static PD_SSM: Cell = Cell {
    name: "pd-ssm",
    kind: TargetKind::PdSsm,
    transition: "P(x)·D(x): a permutation of a faithful action",
};
static DELTA_PRODUCT: Cell = Cell {
    name: "deltaproduct",
    kind: TargetKind::DeltaProduct,
    transition: "a product of Householder reflections I − β·k·kᵀ",
};

/// Every target, in the order reports list them.
pub fn all() -> [&'static dyn Target; 8] {
    [
        &AUSSM,
        &NEG_MAMBA,
        &MAMBA,
        &GLA,
        &S4D,
        &RNN,
        &PD_SSM,
        &DELTA_PRODUCT,
    ]
}

/// Other names targets go by in the literature: negative Mamba is also
/// called signed Mamba.
pub const ALIASES: [(&str, &str); 1] = [("signed-mamba", "neg-mamba")];

/// Look a target up by name or alias.
pub fn by_name(name: &str) -> Option<&'static dyn Target> {
    let name = ALIASES.iter().find(|a| a.0 == name).map_or(name, |a| a.1);
    all().into_iter().find(|t| t.name() == name)
}

/// What the one-layer targets offer a group a diagonal target cannot track.
const ONE_LAYER: &str =
    "the one-layer targets rnn, pd-ssm and deltaproduct track every finite group";

/// A series G = G_0 ⊳ … ⊳ G_k = 1 with the coordinates of each factor.
#[derive(Clone, Debug)]
pub struct Plan {
    pub series: Vec<Vec<Elem>>,
    pub factors: Vec<AbelianFactor>,
}

impl Plan {
    pub fn depth(&self) -> usize {
        self.factors.len()
    }
}

/// Why a target cannot track a group.
#[derive(Clone, Debug, PartialEq)]
pub struct NoSeries {
    pub target: &'static str,
    /// One-line reason, e.g. "A5 is perfect: [A5, A5] = A5".
    pub reason: String,
    /// The theorem or mechanism behind it.
    pub explanation: String,
    /// Order of the subgroup where the series stops, if it stops.
    pub stuck_order: Option<usize>,
}

/// The least-depth series of `target`'s class for `g`, with coordinates.
pub fn plan(g: &Group, target: &dyn Target) -> Result<Plan, NoSeries> {
    if !target.kind().is_diagonal() {
        return Err(NoSeries {
            target: target.name(),
            reason: format!("{} is one layer and takes no series", target.name()),
            explanation: String::new(),
            stuck_order: None,
        });
    }
    if g.order() == 1 {
        return Ok(Plan {
            series: vec![vec![0]],
            factors: vec![],
        });
    }
    let Some(class) = target.factor_class() else {
        return Err(NoSeries {
            target: target.name(),
            reason: untracked_reason(target, &g.name, &g.order()),
            explanation: target.impossibility().to_string(),
            stuck_order: Some(g.order()),
        });
    };
    let series = least_series(g, class).map_err(|stall| {
        let stuck = stall.stuck();
        let (reason, explanation) = stall_reason(
            target,
            class,
            &Stall {
                name: &g.name,
                order: &g.order(),
                odd_part: &odd_part(g.order()),
                stuck_order: &stuck.len(),
                perfect: stuck.len() == g.order(),
            },
        );
        NoSeries {
            target: target.name(),
            reason,
            explanation,
            stuck_order: Some(stuck.len()),
        }
    })?;
    with_factors(g, series).map_err(|e| NoSeries {
        target: target.name(),
        reason: e,
        explanation: String::new(),
        stuck_order: None,
    })
}

/// Why a target that tracks no non-trivial group cannot track `name`.
pub fn untracked_reason(target: &dyn Target, name: &str, order: &dyn std::fmt::Display) -> String {
    format!(
        "{} tracks no non-trivial group, so not {name} (order {order})",
        target.name()
    )
}

/// Where a group's least series of a target's class stops, for
/// [`stall_reason`]; numbers as text so that any size prints exactly.
pub struct Stall<'a> {
    pub name: &'a str,
    pub order: &'a dyn std::fmt::Display,
    /// The odd part of the order (1 for a 2-group).
    pub odd_part: &'a dyn std::fmt::Display,
    pub stuck_order: &'a dyn std::fmt::Display,
    /// Whether the series stops at the whole group.
    pub perfect: bool,
}

/// The reason and explanation of [`NoSeries`] when the least series of
/// `class` stops before 1 (or, for 2-group classes, the order is not a
/// power of 2: `odd_part` is then not "1").
pub fn stall_reason(target: &dyn Target, class: FactorClass, s: &Stall) -> (String, String) {
    let name = s.name;
    match class {
        FactorClass::Abelian if s.perfect => (
            format!("{name} is perfect: [{name}, {name}] = {name}"),
            format!("each {} layer tracks one abelian factor; {name} has no non-trivial abelian quotient, so no series of {name} with abelian factors reaches 1 ({name} is not solvable); {ONE_LAYER}", target.name()),
        ),
        FactorClass::Abelian => (
            format!(
                "{name} is not solvable: its derived series stops at a perfect subgroup H of order {} with [H, H] = H",
                s.stuck_order
            ),
            format!("each {} layer tracks one abelian factor; no series with abelian factors passes below H; {ONE_LAYER}", target.name()),
        ),
        FactorClass::ElementaryAbelian2 => {
            let odd = s.odd_part.to_string();
            if odd != "1" {
                (
                    format!("{name} has order {} with odd part {odd}: not a 2-group", s.order),
                    format!("{} transitions are real, in (-1, 1], so each layer's factor must be an elementary abelian 2-group and |G| a power of 2; {ONE_LAYER}", target.name()),
                )
            } else {
                (
                    format!("the series of squares and commutators of {name} stops at a subgroup H of order {} with H = H²[H, H]", s.stuck_order),
                    format!("{} layers realise elementary abelian 2-group factors only; {ONE_LAYER}", target.name()),
                )
            }
        }
    }
}

/// Why a user-given series is unusable.
#[derive(Clone, Debug, PartialEq)]
pub struct BadSeries {
    /// Index i of the failing step G_i ⊳ G_{i+1} (0 = the whole group).
    pub step: usize,
    pub reason: String,
}

/// Check a user-given series G_1, …, G_{k-1} (subgroups by generators;
/// G_0 = G and G_k = 1 are implicit) against `target`'s class.
pub fn plan_with_series(
    g: &Group,
    target: &dyn Target,
    given: &[Vec<Elem>],
) -> Result<Plan, BadSeries> {
    let class = target.factor_class().ok_or(BadSeries {
        step: 0,
        reason: format!(
            "{} tracks no non-trivial group: {}",
            target.name(),
            target.impossibility()
        ),
    })?;
    let mut series: Vec<Vec<Elem>> = vec![g.elements().collect()];
    for gens in given {
        series.push(crate::structure::closure(g, gens));
    }
    if series.last().map(|s| s.len()) != Some(1) {
        series.push(vec![0]);
    }
    for i in 0..series.len() - 1 {
        let (upper, lower) = (&series[i], &series[i + 1]);
        if !is_subset(lower, upper) {
            return Err(BadSeries {
                step: i,
                reason: format!(
                    "G_{} (order {}) is not contained in G_{i} (order {})",
                    i + 1,
                    lower.len(),
                    upper.len()
                ),
            });
        }
        if !is_normalised_by(g, lower, &small_generators(g, upper)) {
            return Err(BadSeries {
                step: i,
                reason: format!(
                    "G_{} (order {}) is not normal in G_{i} (order {})",
                    i + 1,
                    lower.len(),
                    upper.len()
                ),
            });
        }
        let f = factor(g, upper, lower).map_err(|_| BadSeries {
            step: i,
            reason: format!("the factor G_{i}/G_{} is not abelian", i + 1),
        })?;
        if class == FactorClass::ElementaryAbelian2 && f.invariant_factors.iter().any(|&n| n != 2) {
            return Err(BadSeries {
                step: i,
                reason: format!(
                    "the factor G_{i}/G_{} has invariants {:?}, not an elementary abelian 2-group as {} needs",
                    i + 1,
                    f.invariant_factors,
                    target.name()
                ),
            });
        }
    }
    with_factors(g, series).map_err(|reason| BadSeries { step: 0, reason })
}

fn with_factors(g: &Group, mut series: Vec<Vec<Elem>>) -> Result<Plan, String> {
    // A repeated term would give an empty layer: drop it.
    series.dedup_by(|a, b| a.len() == b.len());
    let factors = series
        .windows(2)
        .map(|w| factor(g, &w[0], &w[1]))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Plan { series, factors })
}

fn odd_part(mut n: usize) -> usize {
    while n.is_multiple_of(2) && n > 0 {
        n /= 2;
    }
    n
}
