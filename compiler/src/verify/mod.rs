//! Verification of a compiled model, always against ground truth from the
//! group's Cayley table, never against the model itself:
//! - [`proof`]: exact, for all lengths, over the reachable joint states;
//! - [`exhaustive`]: the float model on every sequence up to a length;
//! - [`horizon`]: the first wrong step of long random float runs, per dtype;
//! - [`closure`]: the horizon proved infinite per dtype, where every
//!   component's rounded orbit closes;
//! - [`adversarial`]: worst-case sequences where it does not;
//! - [`source`]: the file's group against the source that names it.

pub mod adversarial;
pub mod closure;
pub mod exhaustive;
pub mod horizon;
pub mod proof;
pub mod source;

pub use adversarial::{worst_case, WorstCase};
pub use closure::{closure, ClosureReport};
pub use exhaustive::{exhaustive_cpu, ExhaustiveReport};
pub use horizon::{horizon, HorizonReport};
pub use proof::{proof, ProofReport};
pub use source::{same_group, same_pc, same_permutations};
