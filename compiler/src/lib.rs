//! gssm compiler: the pipeline from group source to verified SSM weights.
//!
//!   parse → elaborate → group → structure → construct → emit / verify

pub mod diagnostics;
pub mod group;
