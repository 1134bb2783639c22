//! AUSSM for a solvable permutation group kept as a stabiliser chain (past
//! the element limit): the construction of [`super::diagonal`] along a
//! series G = G_0 ⊳ G_1 ⊳ … ⊳ G_k = 1 whose terms are chains and whose
//! abelian factors are listed (small even when G is not). Layer i > 0 takes
//! G_i's elements as tokens, numbered by G_i's normal form, so a cocycle
//! value is numbered by ranking it; the readout numbers
//! y = s_{k-1}(a_{k-1})·…·s_0(a_0) by G's normal form, the file's truth.
//! No |G|² table: the largest arrays are the readout (|G| entries) and the
//! cocycles (|A_i|·|G_i|), each checked against the loader's table limit
//! before it is allocated.

use super::chain::{manifest_and_truth, ChainGroup};
use super::diagonal::layer;
use super::Alphabet;
use crate::group::bsgs::{inverse, mul, Chain, Perm};
use crate::target::chain::ChainPlan;
use crate::target::Target;
use gssm_runtime::ir::{Diagonal, FloatDtype, Model, Net, Truth};

/// Most entries one table (readout, cocycle) may have: the loader's limit.
fn check_entries(
    what: impl FnOnce() -> String,
    entries: u128,
    limit: usize,
) -> Result<usize, String> {
    if entries > limit as u128 {
        return Err(format!(
            "{} would have {entries} entries ({}), more than the {limit} a weight file may hold",
            what(),
            gssm_runtime::chain::format_bytes(entries * 4)
        ));
    }
    Ok(entries as usize)
}

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
    let joint = check_entries(|| "the readout".into(), order(&plan.series[0]), max_table)?;
    let (manifest, truth) = manifest_and_truth(g, target.kind(), alphabet, bos, dtype)?;
    // Each factor's transversal as permutations, and their inverses.
    let reps: Vec<(Vec<Perm>, Vec<Perm>)> = plan
        .factors
        .iter()
        .zip(&plan.quotients)
        .map(|(f, q)| {
            let s: Vec<Perm> = f.transversal.iter().map(|&x| q.lift(x)).collect();
            let inv = s.iter().map(|p| inverse(p)).collect();
            (s, inv)
        })
        .collect();
    let mut layers = Vec::with_capacity(k);
    for (i, (f, q)) in plan.factors.iter().zip(&plan.quotients).enumerate() {
        let code = |x: &[u32]| -> Result<u32, String> {
            q.elem(x)
                .map(|e| f.code_of[e as usize])
                .ok_or_else(|| format!("internal: an input of layer {i} is not in G_{i}"))
        };
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
                .map(|t| code(&truth.tokens[t]))
                .collect::<Result<_, _>>()?
        } else {
            // π_i is a homomorphism onto an abelian group, so an element's
            // code is the sum of its normal form's representatives' codes.
            let rep_codes: Vec<Vec<u32>> = (0..term.base().len())
                .map(|l| term.transversal(l).iter().map(|u| code(u)).collect())
                .collect::<Result<_, _>>()?;
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
            let next = &plan.series[i + 1];
            let next_start = order(next) as u32;
            let (s, s_inv) = &reps[i];
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
    // Readout over joint codes, layer 0 least significant: the product
    // y = s_{k-1}·…·s_0 at the base points only (which determine a member),
    // its outer layers' part kept while layer 0's digit runs.
    let top = &plan.series[0];
    let base = top.base();
    let mut digits = vec![0usize; k];
    let mut prefix: Vec<Vec<u32>> = vec![base.clone(); k + 1];
    // Each layer's sections point-major (point x of s(c) at x·m + c), so
    // that running through layer 0's codes reads memory in order.
    let degree = top.degree();
    let by_point: Vec<Vec<u32>> = reps
        .iter()
        .map(|(s, _)| {
            let m = s.len();
            let mut t = vec![0u32; degree * m];
            for (c, sc) in s.iter().enumerate() {
                for (x, &y) in sc.iter().enumerate() {
                    t[x * m + c] = y;
                }
            }
            t
        })
        .collect();
    let update = |prefix: &mut Vec<Vec<u32>>, j: usize, c: usize| {
        let (lo, hi) = prefix.split_at_mut(j + 1);
        let (t, m) = (&by_point[j], reps[j].0.len());
        for (y, &x) in lo[j].iter_mut().zip(&hi[0]) {
            *y = t[x as usize * m + c];
        }
    };
    for i in (0..k).rev() {
        update(&mut prefix, i, 0);
    }
    let mut readout = Vec::with_capacity(joint);
    for _ in 0..joint {
        readout.push(
            top.rank_by_base_images(&prefix[0])
                .ok_or("internal: a readout element left the group")? as u32,
        );
        let mut i = 0;
        while i < k {
            digits[i] += 1;
            if digits[i] < plan.factors[i].order() {
                break;
            }
            digits[i] = 0;
            i += 1;
        }
        if i == k {
            break;
        }
        for j in (0..=i).rev() {
            update(&mut prefix, j, digits[j]);
        }
    }
    Ok(Model {
        manifest,
        net: Net::Diagonal(Diagonal { layers, readout }),
        truth: Truth::Perm(truth),
    })
}
