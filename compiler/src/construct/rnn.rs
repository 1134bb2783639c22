//! Elman RNN with ReLU, exactly `torch.nn.RNN(nonlinearity="relu")`, one
//! hidden unit per (state g, last token a): unit g·V + a. With the one-hot
//! state (g, a) — or the zero state, which stands for the identity — the
//! pre-activation of unit (g', a') is [x = a'] + [g·elem(a') = g'] − 1, so
//! exactly unit (g·elem(x), x) fires, with value 1. The zero state works
//! because W_hh[(g',a'), ·] subtracts [g' = elem(a')] from every active
//! unit and b_hh adds it back: only with no active unit does the pair
//! (elem(a'), a') see it. Every weight is −1, 0, 1 or 1/2, so every
//! reachable sum is a small integer (plus 1/2 in the readout), exact in
//! every dtype: the horizon is infinite. A start token switches every unit
//! off (its input column is −1), which is the identity state.

use super::{cell_model, Tokens};
use crate::group::Group;
use gssm_runtime::ir::{FloatDtype, Model, Net, RnnCell};
use gssm_runtime::valid::{LoadLimits, TargetKind};

/// Hidden units for `group_tokens` tokens of a group of order `order`.
pub fn hidden_size(order: usize, group_tokens: usize) -> Option<usize> {
    order.checked_mul(group_tokens)
}

/// Why a model of this size is refused, before anything is allocated.
pub fn check_size(
    order: usize,
    group_tokens: usize,
    dtype: FloatDtype,
    limits: &LoadLimits,
) -> Result<usize, String> {
    let h = hidden_size(order, group_tokens).unwrap_or(usize::MAX);
    let entries = (h as u128) * (h as u128);
    if h > limits.max_cell || entries > limits.max_table as u128 {
        let bytes = entries * if dtype == FloatDtype::F32 { 4 } else { 8 };
        return Err(format!(
            "the rnn construction needs one hidden unit per (element, token) pair: H = {order} × {group_tokens} = {h}, and a recurrent matrix of {h}² = {entries} entries ({:.1} MB in {}), past the limit of {} hidden units and {} entries; a smaller alphabet shrinks it (--alphabet generators gives H = {order} × the number of generators)",
            bytes as f64 / 1e6,
            dtype.manifest_name(),
            limits.max_cell,
            limits.max_table
        ));
    }
    Ok(h)
}

/// The cell for a group of order `n` with Cayley table `table` and the
/// tokens' elements; `bos`: the last token is the start token. Sizes must
/// have passed [`check_size`].
pub fn cell(table: &[u32], n: usize, token_elements: &[u32], bos: bool) -> RnnCell {
    let v = token_elements.len();
    let vg = v - usize::from(bos);
    let h = n * vg;
    let unit = |g: usize, a: usize| g * vg + a;
    let mut weight_ih = vec![0.0; h * v];
    let mut weight_hh = vec![0.0; h * h];
    let mut bias_hh = vec![0.0; h];
    for g2 in 0..n {
        for a2 in 0..vg {
            let u = unit(g2, a2);
            let e2 = token_elements[a2] as usize;
            let own = f64::from(u8::from(g2 == e2));
            weight_ih[u * v + a2] = 1.0;
            if bos {
                weight_ih[u * v + vg] = -1.0;
            }
            bias_hh[u] = own - 1.0;
            let row = &mut weight_hh[u * h..(u + 1) * h];
            for g in 0..n {
                let moves = f64::from(u8::from(table[g * n + e2] as usize == g2));
                for a in 0..vg {
                    row[unit(g, a)] = moves - own;
                }
            }
        }
    }
    let mut readout_weight = vec![0.0; n * h];
    for g in 0..n {
        for a in 0..vg {
            readout_weight[g * h + unit(g, a)] = 1.0;
        }
    }
    let mut readout_bias = vec![0.0; n];
    readout_bias[0] = 0.5;
    RnnCell {
        weight_ih,
        weight_hh,
        bias_ih: vec![0.0; h],
        bias_hh,
        readout_weight,
        readout_bias,
    }
}

pub fn construct(
    g: &Group,
    toks: &Tokens,
    dtype: FloatDtype,
    limits: &LoadLimits,
) -> Result<Model, String> {
    check_size(g.order(), toks.group.len(), dtype, limits)?;
    let elements = toks.elements();
    let net = Net::Rnn(cell(g.table(), g.order(), &elements, toks.bos));
    Ok(cell_model(g, TargetKind::Rnn, dtype, toks, net))
}
