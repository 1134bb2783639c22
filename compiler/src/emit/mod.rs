//! SSM IR → the weight file (safetensors + JSON manifest).

use gssm_runtime::format::{encode, FloatDtype, FormatError};
use gssm_runtime::ir::Model;

/// Serialise `model` with floats in `dtype`; `phases` adds the AUSSM phase
/// tensors. The same model and flags always give the same bytes.
pub fn emit(model: &mut Model, dtype: FloatDtype, phases: bool) -> Result<Vec<u8>, FormatError> {
    model.manifest.dtype = dtype.manifest_name().into();
    encode(model, dtype, phases)
}
