//! Validated SSM IR → the weight file (safetensors + JSON manifest).

use gssm_runtime::format::{encode, FormatError};
use gssm_runtime::valid::ValidModel;

/// Serialise `model`. The same model always gives the same bytes.
pub fn emit(model: &ValidModel) -> Result<Vec<u8>, FormatError> {
    encode(model)
}
