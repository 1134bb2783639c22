//! Ground truth: running products computed from the group's own description
//! (its Cayley table, or its permutations and normal form) or automaton,
//! never from the model's layers.

use crate::tokens::Tokens;
use crate::valid::ValidModel;

/// Running products x_1·…·x_t for every sequence, row-major like the input;
/// a start token (`manifest.bos`) resets the product to the identity.
pub fn running_products(model: &ValidModel, tokens: &Tokens) -> Vec<u32> {
    let mut out = Vec::with_capacity(tokens.ids().len());
    for b in 0..tokens.batch() {
        let mut g = model.initial_output();
        for &t in tokens.row(b) {
            g = next_product(model, g, t);
            out.push(g);
        }
    }
    out
}

/// The running product after reading token `t` with product `g` so far.
#[inline]
pub fn next_product(model: &ValidModel, g: u32, t: u32) -> u32 {
    model.next_output(g, t)
}
