//! AUSSM: unit-circle complex transitions a(x) = exp(iθ(x)). One layer
//! realises any finite abelian group, so the least depth is the derived
//! length.

use super::Target;
use crate::structure::series::FactorClass;
use gssm_runtime::valid::TargetKind;

pub struct Aussm;

impl Target for Aussm {
    fn name(&self) -> &'static str {
        "aussm"
    }
    fn transition_kind(&self) -> &'static str {
        "unit-circle complex exp(iθ(x))"
    }
    fn factor_class(&self) -> Option<FactorClass> {
        Some(FactorClass::Abelian)
    }
    fn kind(&self) -> TargetKind {
        TargetKind::Aussm
    }
}
