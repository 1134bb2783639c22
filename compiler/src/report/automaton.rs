//! What `gssm check` reports about an automaton: its transformation
//! monoid's size, idempotents and maximal subgroups, the verdict
//! (aperiodic / solvable / non-solvable), the depth of its holonomy
//! cascade, and per target the layers the compiler builds or why it
//! cannot (the pipeline's own answer, so `check` and `compile` agree).

use crate::automaton::holonomy::Cascade;
use crate::automaton::monoid::{analyse, MonoidError, Verdict};
use crate::automaton::Automaton;
use crate::construct::Alphabet;
use crate::group::Limits;
use crate::pipeline::{compile_automaton, Options, Origin};
use crate::target;
use gssm_runtime::ir::FloatDtype;
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
    /// Levels of the holonomy cascade (None when it could not be built;
    /// `cascade_error` says why).
    pub cascade_depth: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cascade_error: Option<String>,
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
    /// Layers of the compiled model, and their widths; None when the
    /// target cannot (then `reason` says why).
    pub layers: Option<usize>,
    pub widths: Vec<usize>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

pub fn check_automaton(a: &Automaton, limits: &Limits) -> Result<AutomatonStructure, MonoidError> {
    let an = analyse(a, limits)?;
    let verdict = match an.verdict {
        Verdict::Aperiodic => "aperiodic",
        Verdict::Solvable => "solvable",
        Verdict::NonSolvable { .. } => "non-solvable",
    };
    // Each target's answer is the pipeline's: compile in memory.
    let opts = Options::new(Alphabet::Elements, FloatDtype::F32);
    let targets = target::all()
        .iter()
        .map(
            |&t| match compile_automaton(a, &Origin::default(), t, &opts, limits) {
                Ok((m, _)) => {
                    let (layers, widths) = super::verify::shape(&m);
                    AutomatonTarget {
                        target: t.name().into(),
                        layers: Some(layers),
                        widths,
                        reason: String::new(),
                    }
                }
                Err(d) => AutomatonTarget {
                    target: t.name().into(),
                    layers: None,
                    widths: Vec::new(),
                    // The pipeline's message less its "X cannot be compiled for T:" lead.
                    reason: d
                        .message
                        .split_once(": ")
                        .map_or(d.message.as_str(), |(_, why)| why)
                        .to_string(),
                },
            },
        )
        .collect();
    let cascade = Cascade::new(a, limits);
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
        cascade_depth: cascade.as_ref().ok().map(|c| c.levels().len()),
        cascade_error: cascade.err().map(|e| e.to_string()),
        targets,
    })
}
