//! PD-SSM (arXiv 2509.22284), one layer: A(x) = P(x)·D(x) with P(x) the
//! token's permutation of a faithful action and D(x) = 1, so the state — the
//! points' values, permuted — is moved without arithmetic and is exact in
//! every dtype. A start token has D = 0 and writes the points as b(x).

use super::{cell_model, manifest_fields, points, Alphabet, Tokens};
use crate::group::bsgs::{inverse, Chain, Perm};
use crate::group::Group;
use gssm_runtime::ir::{
    FloatDtype, GroupInfo, Model, Net, PdCell, PermTruth, PointAction, Truth, BOS_LABEL,
    FORMAT_VERSION_PERM,
};
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
/// action itself (width = degree), the generators (and, with `inverses`,
/// their inverses) as tokens, and a truth without a Cayley table — the
/// tokens' permutations and the chain's base and transversals as the
/// normal form that numbers the outputs. Nothing here is |G|-sized.
pub fn construct_chain(
    name: &str,
    gen_names: &[String],
    gens: &[Perm],
    chain: &Chain,
    alphabet: Alphabet,
    bos: bool,
    dtype: FloatDtype,
) -> Result<Model, String> {
    let Alphabet::Generators { inverses } = alphabet else {
        return Err(format!(
            "{} has {} elements, too many to make each a token; use --alphabet generators or generators+inverses",
            name,
            chain.order()
        ));
    };
    let n = chain.degree();
    let mut tokens: Vec<(Vec<u32>, String)> = Vec::new();
    for (p, gen) in gens.iter().zip(gen_names) {
        tokens.push((p.clone(), gen.clone()));
        let inv = inverse(p);
        if inverses && inv != *p {
            tokens.push((inv, format!("{gen}^-1")));
        }
    }
    if tokens.is_empty() {
        return Err(format!("{name} has no generators to make tokens of"));
    }
    let perms: Vec<&[u32]> = tokens.iter().map(|t| t.0.as_slice()).collect();
    let net = Net::Pd(cell(None, n, &perms, bos));
    let mut m = manifest_fields(TargetKind::PdSsm, dtype);
    m.format_version = FORMAT_VERSION_PERM;
    m.group = Some(GroupInfo {
        name: name.to_string(),
        generators: gen_names.to_vec(),
    });
    m.tokens = tokens.iter().map(|t| t.1.clone()).collect();
    let mut token_perms: Vec<Vec<u32>> = tokens.into_iter().map(|t| t.0).collect();
    if bos {
        m.bos = Some(token_perms.len() as u32);
        m.tokens.push(BOS_LABEL.into());
        token_perms.push((0..n as u32).collect());
    }
    let levels = (0..chain.base().len())
        .map(|i| chain.transversal(i).to_vec())
        .collect();
    Ok(Model {
        manifest: m,
        net,
        truth: Truth::Perm(PermTruth {
            degree: n,
            generators: gens.to_vec(),
            tokens: token_perms,
            base: chain.base(),
            levels,
        }),
    })
}
