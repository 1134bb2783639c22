//! A permutation group without a table ([`PermTruth`]): its permutations,
//! and that its numbering numbers exactly the group the generators
//! generate, checked in time polynomial in the degree and the levels.

use super::{bad, check_generator_names, check_len, check_permutation, check_range, limit};
use super::{LoadLimits, MAX_PERM_ORDER};
use crate::chain::{Chain, ChainError, ChainLimits, DEFAULT_SEED};
use crate::format::FormatError;
use crate::ir::{
    GroupInfo, Levels, Manifest, Numbering, PermTruth, Term, FORMAT_VERSION_PERM,
    FORMAT_VERSION_SERIES,
};
use crate::values::prime_power_parts;
use num_bigint::BigUint;

/// `rows` are `count` permutations of 0..deg.
fn check_perms(name: &str, rows: &[Vec<u32>], count: usize, deg: usize) -> Result<(), FormatError> {
    check_len(name, rows.len(), count)?;
    for (i, row) in rows.iter().enumerate() {
        check_len(&format!("{name} row {i}"), row.len(), deg)?;
        check_permutation(&format!("`{name}` row {i}"), row)?;
    }
    Ok(())
}

/// The generators and tokens are permutations of the same points, and the
/// numbering numbers exactly the group the generators generate.
pub(super) fn check_perm(
    p: &PermTruth,
    info: &GroupInfo,
    m: &Manifest,
    v0: usize,
    limits: &LoadLimits,
) -> Result<(), FormatError> {
    let (version, what) = match &p.numbering {
        Numbering::Chain(_) => (
            FORMAT_VERSION_PERM,
            "a permutation group numbered by its chain (`perm.base`, `perm.level.*`)",
        ),
        Numbering::Series(_) => (
            FORMAT_VERSION_SERIES,
            "a permutation group numbered along a series (`perm.series.*`)",
        ),
    };
    if m.format_version != version {
        return Err(bad(format!(
            "format version {} does not hold {what}, which is version {version}",
            m.format_version
        )));
    }
    if !m.outputs.is_empty() {
        return Err(bad(
            "manifest `outputs` must be empty for a permutation group without a table: an element's label is its cycle notation, made on demand",
        ));
    }
    let deg = p.degree;
    if deg == 0 || deg > limits.max_cell {
        return Err(limit(format!(
            "the permutations have degree {deg} (need 1..={})",
            limits.max_cell
        )));
    }
    check_generator_names(info, limits)?;
    check_perms("perm.generators", &p.generators, info.generators.len(), deg)?;
    check_perms("perm.tokens", &p.tokens, v0, deg)?;
    let chain_limits = ChainLimits {
        max_degree: limits.max_cell,
        ..ChainLimits::default()
    };
    match &p.numbering {
        Numbering::Chain(levels) => {
            let order = check_levels("perm.", levels, deg)?;
            let chain = generated(deg, &p.generators, chain_limits, "the generators' group")?;
            if chain.order() != BigUint::from(order) {
                return Err(bad(format!(
                    "the levels describe {order} elements, but `perm.generators` generate a group of order {}",
                    chain.order()
                )));
            }
            // Each membership test sifts through the chain's levels: bound
            // the total before running them.
            let reps: usize = levels.reps.iter().map(Vec::len).sum();
            let sifts = (reps + p.tokens.len()) as u64;
            let cost = sifts * (chain.base().len() as u64 + 1) * deg as u64;
            if cost > chain_limits.max_work {
                return Err(limit(format!(
                    "checking {sifts} permutations against the generators' group takes about {cost} point operations, more than {}",
                    chain_limits.max_work
                )));
            }
            for (i, reps) in levels.reps.iter().enumerate() {
                if let Some(r) = reps.iter().position(|u| !chain.contains(u)) {
                    return Err(bad(format!(
                        "`perm.level.{i}` row {r} is not in the group `perm.generators` generate"
                    )));
                }
            }
            if let Some(t) = p.tokens.iter().position(|x| !chain.contains(x)) {
                return Err(bad(format!(
                    "`perm.tokens` row {t} is not in the group `perm.generators` generate"
                )));
            }
        }
        Numbering::Series(terms) => check_series(p, terms, chain_limits)?,
    }
    Ok(())
}

/// The randomised chain (exact after its verification) of `gens` on `deg`
/// points: only its order and membership are used.
fn generated(
    deg: usize,
    gens: &[Vec<u32>],
    limits: ChainLimits,
    what: &str,
) -> Result<Chain, FormatError> {
    Chain::random_generated(deg, gens, limits, DEFAULT_SEED).map_err(|e| match e {
        ChainError::Invalid(msg) => bad(msg),
        e => limit(format!("checking {what}: {e}")),
    })
}

/// A base (`{prefix}base`) and levels (`{prefix}level.i`) that are a normal
/// form: distinct base points; per level 2..=deg representatives, the
/// identity first, each fixing the earlier base points and sending its own
/// to a point no earlier row does. Then the products u_{k-1}·…·u_0 are
/// distinct, so the group they generate has at least ∏ m_i elements; the
/// number is returned (at most [`MAX_PERM_ORDER`]).
fn check_levels(prefix: &str, l: &Levels, deg: usize) -> Result<u64, FormatError> {
    let base_name = format!("{prefix}base");
    let k = l.base.len();
    if k > deg {
        return Err(bad(format!(
            "`{base_name}` has {k} points, more than the degree {deg}"
        )));
    }
    check_range(&base_name, &l.base, deg)?;
    let mut fixed = vec![false; deg];
    for &b in &l.base {
        if std::mem::replace(&mut fixed[b as usize], true) {
            return Err(bad(format!("`{base_name}` repeats point {b}")));
        }
    }
    check_len(&format!("{prefix}level tensors"), l.reps.len(), k)?;
    let order = l
        .order()
        .filter(|&o| o <= MAX_PERM_ORDER as u64)
        .ok_or_else(|| {
            limit(format!(
                "the levels `{prefix}level.*` describe more than {MAX_PERM_ORDER} elements (output ids are 32-bit)"
            ))
        })?;
    for (i, (&b, reps)) in l.base.iter().zip(&l.reps).enumerate() {
        let name = format!("{prefix}level.{i}");
        // A level of one representative numbers nothing; without them the
        // levels are at most log2 |G| ≤ 32, which bounds the checks below.
        if reps.len() < 2 || reps.len() > deg {
            return Err(bad(format!(
                "`{name}` has {} representatives (need 2..={deg})",
                reps.len()
            )));
        }
        check_perms(&name, reps, reps.len(), deg)?;
        if reps[0].iter().enumerate().any(|(j, &x)| x as usize != j) {
            return Err(bad(format!("`{name}` row 0 is not the identity")));
        }
        let mut hit = vec![false; deg];
        for (r, u) in reps.iter().enumerate() {
            if let Some(&c) = l.base[..i].iter().find(|&&c| u[c as usize] != c) {
                return Err(bad(format!(
                    "`{name}` row {r} moves base point {c} of an earlier level"
                )));
            }
            if std::mem::replace(&mut hit[u[b as usize] as usize], true) {
                return Err(bad(format!(
                    "`{name}` row {r} sends base point {b} where an earlier row does"
                )));
            }
        }
    }
    Ok(order)
}

/// A series numbering (format version 6). With G_i the group term i's
/// representatives generate and π_i the digitwise sum of their codes over
/// a sift: each term's levels are a normal form (of at least ∏ m elements
/// of G_i) whose identities have code 0; π_i is a well-defined homomorphism, because the graph group
/// H_i = ⟨(u, π_i(u))⟩ has no more elements than the levels (so it projects
/// onto G_i injectively, and G_i is the levels' elements); G_0 is the
/// generators' group and holds every token; π_i(s_j) = e_j, so π_i is onto
/// A_i; π_i is 0 on G_{i+1}'s representatives; and |G_i| = |A_i|·|G_{i+1}|
/// with |G_{k-1}| = |A_{k-1}|, so G_{i+1} is π_i's kernel. By induction the
/// codes (c_0, …, c_{k-1}) number G bijectively.
fn check_series(
    p: &PermTruth,
    terms: &[Term],
    chain_limits: ChainLimits,
) -> Result<(), FormatError> {
    let deg = p.degree;
    let total = terms.iter().try_fold(1u64, |acc, t| {
        t.moduli
            .iter()
            .try_fold(acc, |a, &n| a.checked_mul(u64::from(n)))
            .filter(|&a| a <= MAX_PERM_ORDER as u64)
    });
    if total.is_none() {
        return Err(limit(format!(
            "the series' factors `perm.series.*.moduli` describe more than {MAX_PERM_ORDER} elements (output ids are 32-bit)"
        )));
    }
    let mut orders = Vec::with_capacity(terms.len());
    for (i, t) in terms.iter().enumerate() {
        let prefix = format!("perm.series.{i}.");
        let w = t.moduli.len();
        if w == 0 {
            return Err(bad(format!(
                "`{prefix}moduli` is empty: a term of a series has a nontrivial factor"
            )));
        }
        if let Some(j) = t.moduli.iter().position(|&n| n < 2) {
            return Err(bad(format!(
                "`{prefix}moduli` entry {j} is {}, but a coordinate's modulus is at least 2",
                t.moduli[j]
            )));
        }
        orders.push(check_levels(&prefix, &t.chain, deg)?);
        check_len(
            &format!("{prefix}codes tensors"),
            t.codes.len(),
            t.chain.reps.len(),
        )?;
        for (l, codes) in t.codes.iter().enumerate() {
            let name = format!("{prefix}codes.{l}");
            check_len(&name, codes.len(), t.chain.reps[l].len())?;
            // A sift that picks the identity adds row 0's code, so it must
            // be 0 for π_i to be the homomorphism checked below.
            if let Some(c) = codes.first().filter(|c| c.iter().any(|&d| d != 0)) {
                return Err(bad(format!(
                    "`{name}` row 0 is the identity's code and must be 0, not {c:?}"
                )));
            }
            for (r, c) in codes.iter().enumerate() {
                check_len(&format!("{name} row {r}"), c.len(), w)?;
                if let Some(j) = c.iter().zip(&t.moduli).position(|(&d, &n)| d >= n) {
                    return Err(FormatError::Range {
                        name: name.clone(),
                        index: r * w + j,
                        value: i64::from(c[j]),
                        bound: t.moduli[j] as usize,
                    });
                }
            }
        }
        check_perms(&format!("{prefix}sections"), &t.sections, w, deg)?;
    }
    // Orders: |G_i| = |A_i|·|G_{i+1}|, and G_k = 1.
    for (i, t) in terms.iter().enumerate() {
        let below = orders.get(i + 1).copied().unwrap_or(1);
        if orders[i] != t.size() * below {
            return Err(bad(format!(
                "term {i} of the series has {} elements, but its factor has {} and the next term {below}: the terms are not a series with these factors",
                orders[i],
                t.size()
            )));
        }
    }
    // Every sift below costs its levels' searches and divisions: bound
    // the total before running them.
    let levels: u64 = terms.iter().map(|t| t.chain.reps.len() as u64).sum();
    let reps: u64 = terms
        .iter()
        .flat_map(|t| &t.chain.reps)
        .map(|r| r.len() as u64)
        .sum();
    let sifts = (p.generators.len() + p.tokens.len()) as u64
        + terms.iter().map(|t| t.moduli.len() as u64).sum::<u64>()
        + reps;
    let cost = sifts
        .saturating_mul(levels + 1)
        .saturating_mul(deg as u64 + reps);
    if cost > chain_limits.max_work {
        return Err(limit(format!(
            "checking {sifts} permutations against the series takes about {cost} point operations, more than {}",
            chain_limits.max_work
        )));
    }
    for (i, t) in terms.iter().enumerate() {
        check_homomorphism(i, t, deg, orders[i], chain_limits)?;
    }
    // G_0 = ⟨generators⟩, holding every token.
    let top = orders.first().copied().unwrap_or(1);
    let chain = generated(deg, &p.generators, chain_limits, "the generators' group")?;
    if chain.order() != BigUint::from(top) {
        return Err(bad(format!(
            "the series numbers {top} elements, but `perm.generators` generate a group of order {}",
            chain.order()
        )));
    }
    let in_top = |g: &[u32]| match terms.first() {
        Some(t) => t.digits(g).is_some(),
        None => g.iter().enumerate().all(|(j, &x)| x as usize == j),
    };
    if let Some(r) = p.generators.iter().position(|g| !in_top(g)) {
        return Err(bad(format!(
            "`perm.generators` row {r} is not in term 0 of the series"
        )));
    }
    if let Some(r) = p.tokens.iter().position(|g| !in_top(g)) {
        return Err(bad(format!(
            "`perm.tokens` row {r} is not in the group the series numbers"
        )));
    }
    for (i, t) in terms.iter().enumerate() {
        for (j, s) in t.sections.iter().enumerate() {
            let want: Vec<u32> = (0..t.moduli.len()).map(|x| u32::from(x == j)).collect();
            match t.digits(s) {
                Some(d) if d == want => {}
                Some(d) => {
                    return Err(bad(format!(
                        "`perm.series.{i}.sections` row {j} has code {d:?} in term {i}'s factor, not the unit vector {want:?}"
                    )))
                }
                None => {
                    return Err(bad(format!(
                        "`perm.series.{i}.sections` row {j} is not in term {i} of the series"
                    )))
                }
            }
        }
        if let Some(next) = terms.get(i + 1) {
            for (l, reps) in next.chain.reps.iter().enumerate() {
                for (r, u) in reps.iter().enumerate() {
                    match t.digits(u) {
                        Some(d) if d.iter().all(|&x| x == 0) => {}
                        Some(d) => {
                            return Err(bad(format!(
                                "`perm.series.{}.level.{l}` row {r} has code {d:?} in term {i}'s factor, but term {} must lie in its kernel",
                                i + 1,
                                i + 1
                            )))
                        }
                        None => {
                            return Err(bad(format!(
                                "`perm.series.{}.level.{l}` row {r} is not in term {i} of the series",
                                i + 1
                            )))
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// π_i given on the representatives extends to a homomorphism of G_i: the
/// group generated by each representative beside a rotation of its code on
/// extra points (one cycle per prime power of each modulus, by the Chinese
/// remainder theorem) has exactly as many elements as the levels.
fn check_homomorphism(
    i: usize,
    t: &Term,
    deg: usize,
    order: u64,
    chain_limits: ChainLimits,
) -> Result<(), FormatError> {
    // (modulus index, prime power) per block.
    let blocks: Vec<(usize, u64)> = t
        .moduli
        .iter()
        .enumerate()
        .flat_map(|(j, &n)| {
            prime_power_parts(n)
                .into_iter()
                .map(move |q| (j, u64::from(q)))
        })
        .collect();
    let extra: u64 = blocks.iter().map(|b| b.1).sum();
    let degree = deg as u64 + extra;
    if degree > chain_limits.max_degree as u64 {
        return Err(limit(format!(
            "checking term {i} of the series needs its factor's coordinates as {extra} extra points beside the {deg}, more than the {} a chain may have",
            chain_limits.max_degree
        )));
    }
    let degree = degree as usize;
    let gens: Vec<Vec<u32>> = t
        .chain
        .reps
        .iter()
        .zip(&t.codes)
        .flat_map(|(reps, codes)| reps.iter().zip(codes).skip(1))
        .map(|(u, c)| {
            let mut g = Vec::with_capacity(degree);
            g.extend_from_slice(u);
            for &(j, q) in &blocks {
                let off = g.len() as u64;
                let shift = u64::from(c[j]) % q;
                g.extend((0..q).map(|x| (off + (x + shift) % q) as u32));
            }
            g
        })
        .collect();
    let limits = ChainLimits {
        max_degree: degree,
        ..chain_limits
    };
    let chain = generated(degree, &gens, limits, &format!("term {i} of the series"))?;
    if chain.order() != BigUint::from(order) {
        return Err(bad(format!(
            "the codes `perm.series.{i}.codes.*` are not a homomorphism of term {i}'s group: with its representatives' codes it has {} elements, not {order}",
            chain.order()
        )));
    }
    Ok(())
}
