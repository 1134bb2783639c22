//! Mamba with negative eigenvalues: real transitions in (-1, 1]. Only ±1
//! survive a product of arbitrary length without decaying, so one layer
//! realises an elementary abelian 2-group, and only 2-groups are tracked.

use super::Target;
use crate::structure::series::FactorClass;

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
    fn transition(&self, c: u32, n: u32) -> (f64, f64) {
        debug_assert_eq!(n, 2, "neg-mamba factors are elementary abelian 2-groups");
        (if c.is_multiple_of(2) { 1.0 } else { -1.0 }, 0.0)
    }
    fn emits_phases(&self) -> bool {
        false
    }
}
