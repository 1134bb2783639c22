//! AUSSM for a solvable permutation group kept as a stabiliser chain (past
//! the element limit): the construction of [`super::diagonal`] along a
//! series G = G_0 ⊳ G_1 ⊳ … ⊳ G_k = 1 whose terms are chains and whose
//! abelian factors are listed (small even when G is not). Layer i > 0 takes
//! G_i's elements as tokens, numbered by G_i's normal form, so a cocycle
//! value is numbered by ranking it. The truth numbers G along the same
//! series (format version 6: each term's chain with its representatives'
//! codes, and sections σ_i(c) = s_0^{c_0}·s_1^{c_1}·…), so the output is
//! the joint code and there is no readout. No |G|-sized table: the largest
//! arrays are the cocycles (|A_i|·|G_i|), each checked against the loader's
//! table limit before it is allocated.

use super::chain::{chain_levels, manifest_and_truth, ChainGroup};
use super::check_entries;
use super::diagonal::layer;
use super::Alphabet;
use crate::group::bsgs::{inverse, mul, Chain, Perm};
use crate::target::chain::ChainPlan;
use crate::target::Target;
use gssm_runtime::ir::{Diagonal, FloatDtype, Model, Net, Numbering, Term, Truth};

pub fn construct(
    g: &ChainGroup,
    plan: &ChainPlan,
    target: &dyn Target,
    alphabet: Alphabet,
    bos: bool,
    dtype: FloatDtype,
    max_table: usize,
) -> Result<Model, String> {
    let k = plan.factors.len();
    if bos && k == 0 {
        return Err(format!(
            "{} is trivial, so the model has no layer for a start token to write",
            g.name
        ));
    }
    let order = |c: &Chain| -> u128 { u128::try_from(&c.order()).unwrap_or(u128::MAX) };
    // The series as the truth's numbering: each term's chain with π_i of
    // its representatives, and the lifts of the factor's unit vectors.
    let mut terms = Vec::with_capacity(k);
    for (i, (f, q)) in plan.factors.iter().zip(&plan.quotients).enumerate() {
        let chain = chain_levels(&plan.series[i]);
        let codes: Vec<Vec<u32>> = chain
            .reps
            .iter()
            .map(|reps| {
                reps.iter()
                    .map(|u| {
                        q.elem(u).map(|e| f.code_of[e as usize]).ok_or_else(|| {
                            format!("internal: a representative of G_{i} left the factor")
                        })
                    })
                    .collect()
            })
            .collect::<Result<_, String>>()?;
        let mut unit = 1usize;
        let sections = f
            .moduli
            .iter()
            .map(|&n| {
                let s = q.lift(f.transversal[unit]);
                unit *= n as usize;
                s
            })
            .collect();
        let digits = codes
            .iter()
            .map(|l| l.iter().map(|&c| f.digits(c)).collect())
            .collect();
        terms.push(Term::new(f.moduli.clone(), chain, digits, sections));
    }
    let (manifest, truth) = manifest_and_truth(
        g,
        target.kind(),
        alphabet,
        bos,
        dtype,
        Numbering::Series(terms),
    )?;
    let Numbering::Series(terms) = &truth.numbering else {
        unreachable!("built above as a series")
    };
    let degree = truth.degree;
    let mut layers = Vec::with_capacity(k);
    for (i, (f, q)) in plan.factors.iter().zip(&plan.quotients).enumerate() {
        let term = &plan.series[i];
        // Layer 0 reads the tokens; layer i > 0 every element of G_i.
        let count = if i == 0 {
            truth.tokens.len() - usize::from(bos)
        } else {
            check_entries(|| format!("layer {i}'s tokens"), order(term), max_table)?
        };
        let v = count + usize::from(bos);
        let input = |t: usize| -> Perm {
            if i == 0 {
                truth.tokens[t].clone()
            } else {
                term.unrank(t as u64)
            }
        };
        let codes: Vec<u32> = if i == 0 {
            (0..count)
                .map(|t| {
                    q.elem(&truth.tokens[t])
                        .map(|e| f.code_of[e as usize])
                        .ok_or_else(|| "internal: a token is not in G".to_string())
                })
                .collect::<Result<_, _>>()?
        } else {
            // π_i is a homomorphism onto an abelian group, so an element's
            // code is the sum of its normal form's representatives' codes.
            let rep_codes: Vec<Vec<u32>> = terms[i]
                .codes
                .iter()
                .map(|l| l.iter().map(|d| f.code(d)).collect())
                .collect();
            (0..count)
                .map(|t| {
                    let mut rest = t;
                    rep_codes.iter().fold(0, |acc, level| {
                        let d = rest % level.len();
                        rest /= level.len();
                        f.add(acc, level[d])
                    })
                })
                .collect()
        };
        let cocycle = if i + 1 < k {
            let cells = check_entries(
                || {
                    format!(
                        "layer {i}'s cocycle table ({} codes × {v} tokens)",
                        f.order()
                    )
                },
                f.order() as u128 * v as u128,
                max_table,
            )?;
            // σ_i of every code, and the inverses.
            let s: Vec<Perm> = (0..f.order())
                .map(|c| terms[i].section(degree, c as u64))
                .collect();
            let s_inv: Vec<Perm> = s.iter().map(|p| inverse(p)).collect();
            let next = &plan.series[i + 1];
            let next_start = order(next) as u32;
            let mut table = vec![0u32; cells];
            for t in 0..count {
                let x = input(t);
                for c in 0..f.order() {
                    let before = f.sub(c as u32, codes[t]) as usize;
                    let kappa = mul(&mul(&s[before], &x), &s_inv[c]);
                    table[c * v + t] = next.rank(&kappa).ok_or_else(|| {
                        format!("internal: a cocycle value of layer {i} left G_{}", i + 1)
                    })? as u32;
                }
            }
            if bos {
                // Start token → the next layer's start token (its last id).
                for c in 0..f.order() {
                    table[c * v + count] = next_start;
                }
            }
            table
        } else {
            Vec::new()
        };
        layers.push(layer(f, &codes, bos, target, dtype, cocycle));
    }
    Ok(Model {
        manifest,
        net: Net::Diagonal(Diagonal {
            layers,
            readout: None,
        }),
        truth: Truth::Perm(truth),
    })
}
