//! The one-layer non-diagonal targets (DESIGN.md §7): each tracks every
//! finite group in one layer, so they need no series; the construction
//! picks a faithful permutation action (pd-ssm, deltaproduct) or one hidden
//! unit per (element, token) pair (rnn).

use super::Target;
use crate::structure::series::FactorClass;
use gssm_runtime::valid::TargetKind;

pub struct Cell {
    pub name: &'static str,
    pub kind: TargetKind,
    pub transition: &'static str,
}

impl Target for Cell {
    fn name(&self) -> &'static str {
        self.name
    }
    fn transition_kind(&self) -> &'static str {
        self.transition
    }
    fn factor_class(&self) -> Option<FactorClass> {
        None
    }
    fn kind(&self) -> TargetKind {
        self.kind
    }
}
