//! gssm runtime: the SSM IR every executor consumes, the weight-file format
//! (loading and validation), ground truth from the group table, and the
//! executors themselves.
//!
//! Data flows one way: the compiler builds a [`Model`], `format` turns it
//! into bytes and back, and the executors in [`exec`] run a validated model.

pub mod exec;
pub mod format;
pub mod ir;
pub mod scalar;
pub mod tokens;
pub mod truth;

pub use exec::{Backend, Executor};
pub use ir::{Layer, Manifest, Model};
pub use tokens::Tokens;
