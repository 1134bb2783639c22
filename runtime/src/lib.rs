//! gssm runtime: the SSM IR every executor consumes, the weight-file format
//! (loading and validation), ground truth from the group table, and the
//! executors themselves.
//!
//! Data flows one way: the compiler builds a [`Model`], [`valid`] checks it
//! once into a [`ValidModel`], `format` turns that into bytes and bytes back
//! into a model, and the executors in [`exec`] run only validated models.

pub mod chain;
pub mod exec;
pub mod export;
pub mod format;
pub mod ir;
pub mod pc;
pub mod scalar;
#[doc(hidden)]
pub mod synth;
pub mod tokens;
pub mod truth;
pub mod valid;
pub mod values;

pub use exec::{Backend, Executor};
pub use ir::{FloatDtype, Layer, Manifest, Model};
pub use tokens::Tokens;
pub use valid::{validate, ValidModel};
