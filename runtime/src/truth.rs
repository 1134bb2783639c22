//! Ground truth: running products computed from the group's Cayley table,
//! never from the model's layers.

use crate::tokens::Tokens;
use crate::valid::ValidModel;

/// Running products x_1·…·x_t for every sequence, row-major like the input.
pub fn running_products(model: &ValidModel, tokens: &Tokens) -> Vec<u32> {
    let mut out = Vec::with_capacity(tokens.ids().len());
    for b in 0..tokens.batch() {
        let mut g = 0u32; // identity
        for &t in tokens.row(b) {
            g = model.mul(g, model.token_elements[t as usize]);
            out.push(g);
        }
    }
    out
}
