//! Subgroups of a stabiliser chain's group by generators: normal closures,
//! commutator subgroups, and the derived, lower central and
//! squares-and-commutators series, each term a [`Chain`] of its own.
//!
//! A generator joins a subgroup only when sifting shows it is new, and
//! each one that joins at least doubles the subgroup, so a subgroup keeps
//! at most log2|H| generators however many candidates are tried.

use super::{comm, conj, mul, Chain, ChainError, Growing, DEFAULT_SEED};
use crate::group::perm::Perm;

/// The normal closure of `gens` under conjugation by `by`: the least
/// subgroup containing `gens` and normalised by every element of `by`.
///
/// The subgroup grows from random elements ([`Growing`]), settled exactly
/// once at the end: a conjugate it already holds is truly in it, so the
/// generators found close up, and for symmetric and alternating groups the
/// settling is an order comparison instead of the deterministic algorithm's
/// degree^5 work.
pub fn normal_closure(chain: &Chain, gens: &[Perm], by: &[Perm]) -> Result<Chain, ChainError> {
    let mut h = Growing::new(chain.degree(), chain.limits(), DEFAULT_SEED)?;
    let mut added: Vec<Perm> = Vec::new();
    for g in gens {
        if h.add(g)? {
            added.push(g.clone());
        }
    }
    // H is normalised by `by` once each of its generators' conjugates lies
    // in H; generators added on the way are checked in their turn.
    let mut next = 0;
    while next < added.len() {
        let x = added[next].clone();
        for w in by {
            let c = conj(&x, w);
            if h.add(&c)? {
                added.push(c);
            }
        }
        next += 1;
    }
    h.finish()
}

/// [H, K] for subgroups given by generators, inside `chain`'s group: the
/// normal closure of the generators' commutators under H and K.
pub fn commutator(chain: &Chain, h: &[Perm], k: &[Perm]) -> Result<Chain, ChainError> {
    let comms: Vec<Perm> = h
        .iter()
        .flat_map(|x| k.iter().map(move |y| comm(x, y)))
        .collect();
    // [H, H] is normalised by H: the generators once are enough.
    let by: Vec<Perm> = if std::ptr::eq(h, k) {
        h.to_vec()
    } else {
        h.iter().chain(k).cloned().collect()
    };
    normal_closure(chain, &comms, &by)
}

/// H²[H, H] for H given by generators: the least normal subgroup with an
/// elementary abelian 2-group quotient.
pub fn squares_and_commutators(chain: &Chain, h: &[Perm]) -> Result<Chain, ChainError> {
    let mut words: Vec<Perm> = h.iter().map(|x| mul(x, x)).collect();
    for (i, x) in h.iter().enumerate() {
        words.extend(h[i + 1..].iter().map(|y| comm(x, y)));
    }
    normal_closure(chain, &words, h)
}

/// Which verbal subgroup a series iterates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbal {
    /// H' = [H, H]: the derived series.
    Derived,
    /// H²[H, H]: the series of elementary abelian 2-group factors.
    SquaresAndCommutators,
}

/// G = H_0 ⊇ H_1 ⊇ …, iterating the verbal subgroup until it reaches 1 or
/// stops shrinking (the last term then repeats no more: it is listed once).
pub fn verbal_series(g: &Chain, verbal: Verbal) -> Result<Vec<Chain>, ChainError> {
    let mut series = vec![g.clone()];
    loop {
        let last = series.last().expect("the series starts with G");
        if last.is_trivial() {
            return Ok(series);
        }
        let next = match verbal {
            Verbal::Derived => commutator(g, last.generators(), last.generators())?,
            Verbal::SquaresAndCommutators => squares_and_commutators(g, last.generators())?,
        };
        if next.order() == last.order() {
            return Ok(series);
        }
        series.push(next);
    }
}

/// The derived series G ⊇ G' ⊇ G'' ⊇ …, to 1 or to the perfect subgroup
/// where it stops.
pub fn derived_series(g: &Chain) -> Result<Vec<Chain>, ChainError> {
    verbal_series(g, Verbal::Derived)
}

/// The lower central series G = γ_1 ⊇ γ_2 = [G, G] ⊇ γ_3 = [γ_2, G] ⊇ …,
/// to 1 or to the term where it stops.
pub fn lower_central_series(g: &Chain) -> Result<Vec<Chain>, ChainError> {
    let mut series = vec![g.clone()];
    loop {
        let last = series.last().expect("the series starts with G");
        if last.is_trivial() {
            return Ok(series);
        }
        let next = commutator(g, last.generators(), g.generators())?;
        if next.order() == last.order() {
            return Ok(series);
        }
        series.push(next);
    }
}

/// Whether the derived series reaches 1.
pub fn is_solvable(g: &Chain) -> Result<bool, ChainError> {
    Ok(derived_series(g)?.last().is_some_and(Chain::is_trivial))
}

/// Whether the lower central series reaches 1. A group of prime-power
/// order is nilpotent without computing it.
pub fn is_nilpotent(g: &Chain) -> Result<bool, ChainError> {
    if super::abelian::prime_power(&g.order()).is_some() || g.is_trivial() {
        return Ok(true);
    }
    Ok(lower_central_series(g)?
        .last()
        .is_some_and(Chain::is_trivial))
}

/// Whether every pair of generators commutes.
pub fn is_abelian(g: &Chain) -> bool {
    let gens = g.generators();
    gens.iter()
        .enumerate()
        .all(|(i, x)| gens[i + 1..].iter().all(|y| mul(x, y) == mul(y, x)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::bsgs::tests::perm;
    use crate::group::bsgs::ChainLimits;
    use num_bigint::BigUint;

    fn orders(s: &[Chain]) -> Vec<BigUint> {
        s.iter().map(Chain::order).collect()
    }

    #[test]
    fn s4_series() {
        let s4 = Chain::generated(
            4,
            &[perm(4, &[&[1, 2, 3, 4]]), perm(4, &[&[1, 2]])],
            ChainLimits::default(),
        )
        .unwrap();
        let want: Vec<BigUint> = [24u32, 12, 4, 1].map(BigUint::from).to_vec();
        assert_eq!(orders(&derived_series(&s4).unwrap()), want);
        // γ_2 = A4 = γ_3: S4 is not nilpotent.
        let lcs = lower_central_series(&s4).unwrap();
        assert_eq!(orders(&lcs), [24u32, 12].map(BigUint::from).to_vec());
        assert!(!is_nilpotent(&s4).unwrap());
        assert!(is_solvable(&s4).unwrap());
        // S4 ⊳ A4 ⊳ V4 ⊳ 1: S4 is no 2-group, and the squares and
        // commutators of S4 give A4, whose own give A4 again.
        let sq = verbal_series(&s4, Verbal::SquaresAndCommutators).unwrap();
        assert_eq!(orders(&sq), [24u32, 12].map(BigUint::from).to_vec());
    }

    #[test]
    fn a5_is_perfect() {
        let a5 = Chain::generated(
            5,
            &[perm(5, &[&[1, 2, 3]]), perm(5, &[&[1, 2, 3, 4, 5]])],
            ChainLimits::default(),
        )
        .unwrap();
        let ds = derived_series(&a5).unwrap();
        assert_eq!(ds.len(), 1);
        assert!(!is_solvable(&a5).unwrap());
    }

    #[test]
    fn d8_is_nilpotent_of_class_2() {
        let d8 = Chain::generated(
            4,
            &[perm(4, &[&[1, 2, 3, 4]]), perm(4, &[&[1, 3]])],
            ChainLimits::default(),
        )
        .unwrap();
        let lcs = lower_central_series(&d8).unwrap();
        assert_eq!(orders(&lcs), [8u32, 2, 1].map(BigUint::from).to_vec());
        assert!(!is_abelian(&d8));
    }
}
