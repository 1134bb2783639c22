//! What `gssm check` reports about an automaton: its transformation
//! monoid's size, idempotents and maximal subgroups, the verdict
//! (aperiodic / solvable / non-solvable), and per target whether its
//! layers can realise the monoid's groups at all. Layer counts come with
//! the holonomy decomposition (docs/automata-plan.md); until then a target
//! that is not ruled out says so.

use crate::automaton::monoid::{analyse, MonoidError, Verdict};
use crate::automaton::Automaton;
use crate::group::Limits;
use crate::structure::least_series;
use crate::target;
use serde::Serialize;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AutomatonStructure {
    pub name: String,
    pub states: usize,
    pub symbols: Vec<String>,
    pub monoid_size: usize,
    pub idempotents: usize,
    pub aperiodic: bool,
    /// "aperiodic", "solvable" or "non-solvable".
    pub verdict: String,
    /// One per J-class with a non-trivial maximal subgroup.
    pub subgroups: Vec<SubgroupReport>,
    /// One entry per target, in [`target::all`]'s order.
    pub targets: Vec<AutomatonTarget>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SubgroupReport {
    pub order: usize,
    /// States in the image it permutes.
    pub image_size: usize,
    pub is_abelian: bool,
    pub is_solvable: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AutomatonTarget {
    pub target: String,
    /// Whether the monoid's groups rule the target out (then `reason` says
    /// why). Not ruled out is not yet a promise of a construction: that
    /// comes with the holonomy decomposition.
    pub impossible: bool,
    pub reason: String,
}

pub fn check_automaton(a: &Automaton, limits: &Limits) -> Result<AutomatonStructure, MonoidError> {
    let an = analyse(a, limits)?;
    let verdict = match an.verdict {
        Verdict::Aperiodic => "aperiodic",
        Verdict::Solvable => "solvable",
        Verdict::NonSolvable { .. } => "non-solvable",
    };
    let pending = "not ruled out by the monoid's groups; the layer count comes with the holonomy decomposition, not yet implemented";
    let targets = target::all()
        .iter()
        .map(|&t| {
            let name = t.name().to_string();
            if !t.kind().is_diagonal() {
                return AutomatonTarget {
                    target: name,
                    impossible: false,
                    reason: pending.into(),
                };
            }
            let blocked = match t.factor_class() {
                None => an.subgroups.first().map(|s| {
                    format!(
                        "{}'s layers realise no non-trivial group, and the monoid holds a group of order {} (the monoid is not aperiodic)",
                        t.name(),
                        s.group.order()
                    )
                }),
                Some(class) => an
                    .subgroups
                    .iter()
                    .find(|s| least_series(&s.group, class).is_err())
                    .map(|s| {
                        format!(
                            "the monoid holds a group of order {} with no series of {} factors",
                            s.group.order(),
                            class.describe()
                        )
                    }),
            };
            AutomatonTarget {
                target: name,
                impossible: blocked.is_some(),
                reason: blocked.unwrap_or_else(|| pending.into()),
            }
        })
        .collect();
    Ok(AutomatonStructure {
        name: a.name.clone(),
        states: a.states.len(),
        symbols: a.symbols.iter().map(|(s, _)| s.clone()).collect(),
        monoid_size: an.monoid.size(),
        idempotents: an.idempotents,
        aperiodic: an.aperiodic,
        verdict: verdict.into(),
        subgroups: an
            .subgroups
            .iter()
            .map(|s| SubgroupReport {
                order: s.group.order(),
                image_size: s.image.len(),
                is_abelian: s.group.is_abelian(),
                is_solvable: s.solvable,
            })
            .collect(),
        targets,
    })
}
