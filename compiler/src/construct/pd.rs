//! PD-SSM (arXiv 2509.22284), one layer: A(x) = P(x)·D(x) with P(x) the
//! token's permutation of a faithful action and D(x) = 1, so the state — the
//! points' values, permuted — is moved without arithmetic and is exact in
//! every dtype. A start token has D = 0 and writes the points as b(x).

use super::{cell_model, points, Tokens};
use crate::group::Group;
use gssm_runtime::ir::{FloatDtype, Model, Net, PdCell, PointAction};
use gssm_runtime::valid::TargetKind;

/// The cell for an action (`images[g * n + j]` = j·g) and the tokens'
/// elements; `bos`: the last token is the start token. Every float is 0, 1
/// or a point value, so `dtype` changes no value.
pub fn cell(images: &[u32], degree: usize, token_elements: &[u32], bos: bool) -> PdCell {
    let n = degree;
    let pts = points(n);
    let v = token_elements.len();
    let group_tokens = v - usize::from(bos);
    let mut index = Vec::with_capacity(v * n);
    let mut diag = Vec::with_capacity(v * n);
    let mut input = Vec::with_capacity(v * n);
    for &g in &token_elements[..group_tokens] {
        index.extend_from_slice(&images[g as usize * n..(g as usize + 1) * n]);
        diag.extend(std::iter::repeat_n(1.0, n));
        input.extend(std::iter::repeat_n(0.0, n));
    }
    if bos {
        index.extend(0..n as u32);
        diag.extend(std::iter::repeat_n(0.0, n));
        input.extend_from_slice(&pts);
    }
    PdCell {
        h0: if bos { vec![0.0; n] } else { pts.clone() },
        action: PointAction {
            images: images.to_vec(),
            points: pts,
        },
        index,
        diag,
        input,
    }
}

pub fn construct(
    g: &Group,
    images: &[u32],
    degree: usize,
    toks: &Tokens,
    dtype: FloatDtype,
) -> Model {
    let elements = toks.elements();
    let net = Net::Pd(cell(images, degree, &elements, toks.bos));
    cell_model(g, TargetKind::PdSsm, dtype, toks, net)
}
