//! gssm compiler: the pipeline from group source to verified SSM weights.
//!
//!   parse → elaborate → group → structure → target/construct → emit / verify
//!
//! Each stage is one module; data flows one way through them. [`report`]
//! gathers what `gssm check` and `gssm verify` report, for the CLI and the
//! Python extension alike.

pub mod automaton;
pub mod construct;
pub mod dataset;
pub mod diagnostics;
pub mod elaborate;
pub mod emit;
pub mod group;
pub mod parse;
pub mod pipeline;
pub mod report;
pub mod structure;
pub mod target;
pub mod verify;
