//! PD-SSM (arXiv 2509.22284), one layer: A(x) = P(x)·D(x) with P(x) the
//! token's permutation of a faithful action and D(x) = 1, so the state — the
//! points' values, permuted — is moved without arithmetic and is exact in
//! every dtype. A start token has D = 0 and writes the points as b(x).

use super::chain::{chain_levels, manifest_and_truth, ChainGroup};
use super::{cell_model, points, Alphabet, Tokens};
use crate::group::Group;
use gssm_runtime::ir::{FloatDtype, Model, Net, Numbering, PdCell, PointAction, Truth};
use gssm_runtime::valid::TargetKind;

/// The cell for an action on `degree` points — its table
/// (`images[g * n + j]` = j·g), or none when the truth's normal form numbers
/// the elements — and the group tokens' permutations; `bos`: a start token
/// follows them. Every float is 0, 1 or a point value, so `dtype` changes no
/// value.
pub fn cell(images: Option<&[u32]>, degree: usize, token_perms: &[&[u32]], bos: bool) -> PdCell {
    let n = degree;
    let pts = points(n);
    let v = token_perms.len() + usize::from(bos);
    let mut index = Vec::with_capacity(v * n);
    let mut diag = Vec::with_capacity(v * n);
    let mut input = Vec::with_capacity(v * n);
    for perm in token_perms {
        index.extend_from_slice(perm);
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
            images: images.map(<[u32]>::to_vec),
            points: pts,
        },
        index,
        diag,
        input,
    }
}

/// The group tokens' rows of an action's table (`images[g * n + j]` = j·g),
/// given every token's element; `bos`: the last token is the start token.
pub fn element_rows<'a>(
    images: &'a [u32],
    degree: usize,
    elements: &[u32],
    bos: bool,
) -> Vec<&'a [u32]> {
    elements[..elements.len() - usize::from(bos)]
        .iter()
        .map(|&g| &images[g as usize * degree..(g as usize + 1) * degree])
        .collect()
}

pub fn construct(
    g: &Group,
    images: &[u32],
    degree: usize,
    toks: &Tokens,
    dtype: FloatDtype,
) -> Model {
    let perms = element_rows(images, degree, &toks.elements(), toks.bos);
    let net = Net::Pd(cell(Some(images), degree, &perms, toks.bos));
    cell_model(g, TargetKind::PdSsm, dtype, toks, net)
}

/// The cell for a permutation group kept as a stabiliser chain: the given
/// action itself (width = degree) and a truth without a Cayley table.
pub fn construct_chain(
    g: &ChainGroup,
    alphabet: Alphabet,
    bos: bool,
    dtype: FloatDtype,
) -> Result<Model, String> {
    let numbering = Numbering::Chain(chain_levels(g.chain));
    let (manifest, truth) =
        manifest_and_truth(g, TargetKind::PdSsm, alphabet, bos, dtype, numbering)?;
    let group_tokens = &truth.tokens[..truth.tokens.len() - usize::from(bos)];
    let perms: Vec<&[u32]> = group_tokens.iter().map(Vec::as_slice).collect();
    let net = Net::Pd(cell(None, truth.degree, &perms, bos));
    Ok(Model {
        manifest,
        net,
        truth: Truth::Perm(truth),
    })
}
