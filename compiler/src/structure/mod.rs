//! Structure of a finite group: subgroups, series, abelian factors, faithful
//! permutation actions.
//!
//! Subgroups are sorted lists of element ids of the ambient [`Group`].

pub mod abelian;
pub mod action;
pub mod series;
pub mod smith;
pub mod subgroup;

pub use abelian::{abelian_invariants, AbelianFactor};
pub use action::{least_faithful_action, ActionLimits, PointAction};
pub use series::{derived_series, is_nilpotent, least_series, FactorClass, SeriesStall};
pub use subgroup::{closure, normal_closure, small_generators};
