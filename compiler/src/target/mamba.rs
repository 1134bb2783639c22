//! Mamba and GLA: real non-negative transitions in (0, 1]. A product of
//! such values never returns to a state it has left, so these layers track
//! only the trivial group.

use super::Target;
use crate::structure::series::FactorClass;
use gssm_runtime::valid::TargetKind;

pub struct Mamba {
    pub name: &'static str,
    pub kind: TargetKind,
}

impl Target for Mamba {
    fn name(&self) -> &'static str {
        self.name
    }
    fn transition_kind(&self) -> &'static str {
        "real in (0, 1]"
    }
    fn factor_class(&self) -> Option<FactorClass> {
        None
    }
    fn impossibility(&self) -> &'static str {
        "transitions are real and non-negative, in (0, 1]: every eigenvalue of a product of transitions is a positive real, so the state can only decay or stay, never cycle; an element x ≠ e of finite order would need a(x)^k = 1 with a(x) ≠ 1, which no positive real satisfies"
    }
    fn kind(&self) -> TargetKind {
        self.kind
    }
}
