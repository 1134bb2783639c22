//! What every model of a permutation group kept as a stabiliser chain
//! shares, whatever its net: the generators (and their inverses) as tokens,
//! and a truth without a Cayley table — the tokens' permutations, with a
//! numbering of the outputs: the chain's base and transversals (format
//! version 5) or a series (version 6), which the net chooses. Nothing here
//! is |G|-sized.

use super::{manifest_fields, Alphabet};
use crate::group::bsgs::{inverse, Chain, Perm};
use gssm_runtime::ir::{
    FloatDtype, GroupInfo, Levels, Manifest, Numbering, PermTruth, BOS_LABEL, FORMAT_VERSION_PERM,
    FORMAT_VERSION_SERIES,
};
use gssm_runtime::valid::TargetKind;

/// A group kept as a chain, named, with its generators.
pub struct ChainGroup<'a> {
    pub name: &'a str,
    pub gen_names: &'a [String],
    pub gens: &'a [Perm],
    pub chain: &'a Chain,
}

/// A chain's base and transversals as a normal form.
pub fn chain_levels(c: &Chain) -> Levels {
    Levels {
        base: c.base(),
        reps: (0..c.base().len())
            .map(|i| c.transversal(i).to_vec())
            .collect(),
    }
}

/// The manifest and truth of a `kind` model of `g` numbered by
/// `numbering`; the truth's tokens are the group tokens' permutations, then
/// the identity for a start token.
pub fn manifest_and_truth(
    g: &ChainGroup,
    kind: TargetKind,
    alphabet: Alphabet,
    bos: bool,
    dtype: FloatDtype,
    numbering: Numbering,
) -> Result<(Manifest, PermTruth), String> {
    let Alphabet::Generators { inverses } = alphabet else {
        return Err(format!(
            "{} has {} elements, too many to make each a token; use --alphabet generators or generators+inverses",
            g.name,
            g.chain.order()
        ));
    };
    let n = g.chain.degree();
    let mut tokens: Vec<(Perm, String)> = Vec::new();
    for (p, gen) in g.gens.iter().zip(g.gen_names) {
        tokens.push((p.clone(), gen.clone()));
        let inv = inverse(p);
        if inverses && inv != *p {
            tokens.push((inv, format!("{gen}^-1")));
        }
    }
    if tokens.is_empty() {
        return Err(format!("{} has no generators to make tokens of", g.name));
    }
    let mut m = manifest_fields(kind, dtype);
    m.format_version = match numbering {
        Numbering::Chain(_) => FORMAT_VERSION_PERM,
        Numbering::Series(_) => FORMAT_VERSION_SERIES,
    };
    m.group = Some(GroupInfo {
        name: g.name.to_string(),
        generators: g.gen_names.to_vec(),
    });
    m.tokens = tokens.iter().map(|t| t.1.clone()).collect();
    let mut token_perms: Vec<Perm> = tokens.into_iter().map(|t| t.0).collect();
    if bos {
        m.bos = Some(token_perms.len() as u32);
        m.tokens.push(BOS_LABEL.into());
        token_perms.push((0..n as u32).collect());
    }
    Ok((
        m,
        PermTruth {
            degree: n,
            generators: g.gens.to_vec(),
            tokens: token_perms,
            numbering,
        },
    ))
}
