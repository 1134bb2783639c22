//! wgpu GPU executor (being built).

use super::{ExecError, Executor};
use crate::ir::Model;
use crate::scalar::Dtype;

pub fn build(_model: &Model, _dtype: Dtype) -> Result<Box<dyn Executor>, ExecError> {
    Err(ExecError::Unavailable("gpu", "not implemented yet".into()))
}
