//! Mamba with negative eigenvalues: real transitions in (-1, 1]. Only ±1
//! survive a product of arbitrary length without decaying, so one layer
//! realises an elementary abelian 2-group, and only 2-groups are tracked.

use super::Target;
use crate::structure::series::FactorClass;
use gssm_runtime::valid::TargetKind;

pub struct NegMamba;

impl Target for NegMamba {
    fn name(&self) -> &'static str {
        "neg-mamba"
    }
    fn transition_kind(&self) -> &'static str {
        "real in (-1, 1]"
    }
    fn factor_class(&self) -> Option<FactorClass> {
        Some(FactorClass::ElementaryAbelian2)
    }
    fn kind(&self) -> TargetKind {
        TargetKind::NegMamba
    }
}
