//! Permutation groups by base and strong generating set: the chain itself
//! lives in the runtime (`gssm_runtime::chain`), where the loader checks
//! files that carry one; the structure built on it is here.

pub mod abelian;
pub mod pcpres;
pub mod quotient;
pub mod series;

#[cfg(test)]
mod agreement;

pub use gssm_runtime::chain::*;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::group::perm::from_cycles;
    use num_bigint::BigUint;

    /// A permutation of 1..=n from cycles of 1-based points (test
    /// shorthand shared by the engine's modules).
    pub(crate) fn perm(n: usize, cycles: &[&[u32]]) -> Perm {
        let cs: Vec<Vec<u32>> = cycles
            .iter()
            .map(|c| c.iter().map(|x| x - 1).collect())
            .collect();
        from_cycles(n, &cs).unwrap()
    }

    #[test]
    fn symmetric_groups_have_factorial_order() {
        for n in 1..=12usize {
            let c = perm(n, &[&(1..=n as u32).collect::<Vec<_>>()]);
            let t = perm(n, if n >= 2 { &[&[1, 2]] } else { &[] });
            let g = Chain::generated(n, &[c, t], ChainLimits::default()).unwrap();
            let fact: u64 = (1..=n as u64).product();
            assert_eq!(g.order(), BigUint::from(fact), "S{n}");
        }
    }

    #[test]
    fn membership_by_sifting() {
        // A5 on 5 points holds the 3-cycles and double transpositions, not
        // the transpositions.
        let a5 = Chain::generated(
            5,
            &[perm(5, &[&[1, 2, 3]]), perm(5, &[&[1, 2, 3, 4, 5]])],
            ChainLimits::default(),
        )
        .unwrap();
        assert_eq!(a5.order(), BigUint::from(60u32));
        assert!(a5.contains(&perm(5, &[&[2, 4, 5]])));
        assert!(a5.contains(&perm(5, &[&[1, 2], &[3, 4]])));
        assert!(!a5.contains(&perm(5, &[&[1, 2]])));
    }

    #[test]
    fn limits_are_errors() {
        let big = ChainLimits {
            max_degree: 10,
            ..ChainLimits::default()
        };
        assert!(matches!(
            Chain::trivial(11, big),
            Err(ChainError::Degree { degree: 11, .. })
        ));
        // S_50 needs far more than 64 KiB of representatives.
        let small = ChainLimits {
            max_memory: 64 << 10,
            ..ChainLimits::default()
        };
        let n = 50;
        let gens = [
            perm(n, &[&(1..=n as u32).collect::<Vec<_>>()]),
            perm(n, &[&[1, 2]]),
        ];
        assert!(matches!(
            Chain::generated(n, &gens, small),
            Err(ChainError::Memory { .. })
        ));
        let few = ChainLimits {
            max_strong_generators: 3,
            ..ChainLimits::default()
        };
        assert!(matches!(
            Chain::generated(n, &gens, few),
            Err(ChainError::StrongGenerators { limit: 3 })
        ));
    }

    #[test]
    fn powers_follow_cycles() {
        let p = perm(7, &[&[1, 2, 3], &[4, 5, 6, 7]]);
        let mut q: Perm = (0..7).collect();
        for e in 0..13u64 {
            assert_eq!(power(&p, e), q, "p^{e}");
            q = mul(&q, &p);
        }
    }
}
