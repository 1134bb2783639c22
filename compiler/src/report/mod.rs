//! What `gssm check` and `gssm verify` report, computed once for every
//! front end (the CLI prints it as text or JSON, the Python extension turns
//! it into objects):
//! - [`check`]: an elaborated group's structure and, per target, the least
//!   number of layers or why none suffices;
//! - [`automaton`]: an automaton's transformation monoid, its verdict and,
//!   per target, whether its layers can realise the monoid's groups;
//! - [`verify`]: a compiled model's proof, exhaustive check and precision
//!   horizons, with the verdict.
//!
//! A new fact in either report is a new field here; the front ends pick it
//! up from the serialised report (the CLI's text form names each line).

pub mod automaton;
pub mod check;
pub mod pc;
pub mod verify;

pub use check::{check, check_any, check_chain, check_pc, Structure};
pub use verify::{verify, Observer, Options, Report};
