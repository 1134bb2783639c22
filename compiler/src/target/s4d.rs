//! S4 / S4D: input-independent transitions. The state's evolution cannot
//! depend on which token arrived, so no input-dependent state is tracked.

use super::Target;
use crate::structure::series::FactorClass;
use gssm_runtime::valid::TargetKind;

pub struct S4d;

impl Target for S4d {
    fn name(&self) -> &'static str {
        "s4d"
    }
    fn transition_kind(&self) -> &'static str {
        "fixed (input-independent)"
    }
    fn factor_class(&self) -> Option<FactorClass> {
        None
    }
    fn impossibility(&self) -> &'static str {
        "the transition is the same matrix for every token: the state after t steps is a fixed linear function of the inputs (a convolution), and tracking a non-trivial group needs the state to depend on the order of the inputs through their product, which input-independent diagonal layers cannot do at finite precision"
    }
    fn kind(&self) -> TargetKind {
        TargetKind::S4d
    }
}
