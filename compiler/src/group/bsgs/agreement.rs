//! The stabiliser chain against the enumerating engine: on every
//! permutation group of the stdlib and on random generator sets of degree
//! at most 8, the chain's order, derived series, derived factors, G/G',
//! abelian and nilpotent verdicts equal those computed from the elements.

use super::abelian::factor_invariants;
use super::series::{derived_series, is_abelian, is_nilpotent};
use super::{Chain, ChainLimits};
use crate::elaborate::load_file;
use crate::group::perm::{group_from_permutations, Perm};
use crate::group::{Group, GroupError, Limits};
use crate::structure::{
    abelian, derived_series as listed_series, is_nilpotent as listed_nilpotent,
};
use num_bigint::BigUint;
use std::path::Path;

/// Compare the chain of `gens` with the listed group `g`.
fn agree(g: &Group, gens: &[Perm]) {
    let degree = gens.first().map_or(1, Vec::len);
    let chain = Chain::generated(degree, gens, ChainLimits::default()).unwrap();
    let what = format!("{} ({gens:?})", g.name);
    assert_eq!(chain.order(), BigUint::from(g.order()), "order of {what}");
    let ds = derived_series(&chain).unwrap();
    let listed = listed_series(g);
    let orders: Vec<BigUint> = ds.iter().map(Chain::order).collect();
    let want: Vec<BigUint> = listed.iter().map(|s| BigUint::from(s.len())).collect();
    assert_eq!(orders, want, "derived series of {what}");
    for (i, w) in ds.windows(2).enumerate() {
        let pp = factor_invariants(&w[0], &w[1]).unwrap();
        let f = abelian::factor(g, &listed[i], &listed[i + 1]).unwrap();
        let want: Vec<u64> = f.prime_powers.iter().map(|&q| q as u64).collect();
        assert_eq!(pp, want, "derived factor {i} of {what}");
    }
    assert_eq!(is_abelian(&chain), g.is_abelian(), "abelian: {what}");
    assert_eq!(
        is_nilpotent(&chain).unwrap(),
        listed_nilpotent(g),
        "nilpotent: {what}"
    );
    // Membership: every generator's conjugates and products stay inside.
    for a in gens {
        for b in gens {
            assert!(chain.contains(&super::conj(a, b)));
            assert!(chain.contains(&super::mul(a, b)));
        }
    }
}

#[test]
fn every_stdlib_permutation_group() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib");
    let mut checked = 0;
    let groups: [(&str, &[&str]); 2] = [
        (
            "seed.gssm",
            &["S3", "A4", "A5", "S4", "S5", "S6", "PSL27", "GL23"],
        ),
        (
            "families.gssm",
            &[
                "Symmetric(1)",
                "Symmetric(2)",
                "Symmetric(3)",
                "Alternating(3)",
                "Alternating(4)",
                "Alternating(5)",
                "Alternating(6)",
            ],
        ),
    ];
    for (file, exprs) in groups {
        let p = load_file(&dir.join(file), &Limits::default()).unwrap();
        for &expr in exprs {
            let e = p.eval(expr).unwrap();
            let gens = e
                .group
                .source_perms()
                .expect("a permutation group")
                .to_vec();
            agree(&e.group, &gens);
            checked += 1;
        }
    }
    assert_eq!(checked, 15);
}

#[test]
fn random_generators_of_degree_at_most_8() {
    // A fixed linear congruential generator: the same groups every run.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |m: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % m as u64) as usize
    };
    let limits = Limits::default();
    let (mut listed, mut beyond) = (0, 0);
    for round in 0..300 {
        let degree = 2 + round % 7;
        let count = 1 + next(3);
        let gens: Vec<Perm> = (0..count)
            .map(|_| {
                // A random permutation, made sparse half the time so that
                // small subgroups come up as well as S_n and A_n.
                let mut p: Perm = (0..degree as u32).collect();
                let swaps = if next(2) == 0 { 1 + next(2) } else { degree };
                for _ in 0..swaps {
                    let (i, j) = (next(degree), next(degree));
                    p.swap(i, j);
                }
                p
            })
            .collect();
        let names = (1..=count).map(|i| format!("g{i}")).collect();
        match group_from_permutations("R", names, &gens, &limits) {
            Ok(g) => {
                agree(&g, &gens);
                listed += 1;
            }
            Err(GroupError::TooManyElements { limit }) => {
                let c = Chain::generated(degree, &gens, ChainLimits::default()).unwrap();
                assert!(c.order() > BigUint::from(limit));
                beyond += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(
        listed > 200 && beyond > 0,
        "{listed} listed, {beyond} beyond"
    );
}
