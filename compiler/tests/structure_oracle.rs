//! The structure algorithms against GAP: every oracle group, built from its
//! permutation generators, must have GAP's derived series, factor
//! invariants, abelian invariants, nilpotency and solvability.

mod common;

use common::{oracle_rows, perm_group as build, u32s};
use gssm_compiler::structure::{abelian, derived_series, is_nilpotent};

#[test]
fn structure_matches_gap_on_every_small_group() {
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for row in oracle_rows() {
        let g = build(&row);
        let id = format!("{}", row["id"]);
        let mut check = |what: &str, ok: bool| {
            if !ok {
                mismatches.push(format!("{id} {}: {what}", row["structure"]));
            }
        };
        check("order", g.order() as u64 == row["order"].as_u64().unwrap());
        check(
            "abelian",
            g.is_abelian() == row["is_abelian"].as_bool().unwrap(),
        );
        check(
            "nilpotent",
            is_nilpotent(&g) == row["is_nilpotent"].as_bool().unwrap(),
        );
        let ds = derived_series(&g);
        let solvable = ds.last().unwrap().len() == 1;
        check(
            "solvable",
            solvable == row["is_solvable"].as_bool().unwrap(),
        );
        let orders: Vec<u32> = ds.iter().map(|s| s.len() as u32).collect();
        check(
            "derived_series_orders",
            orders == u32s(&row["derived_series_orders"]),
        );
        let dl = if solvable {
            Some(ds.len() as u64 - 1)
        } else {
            None
        };
        check("derived_length", dl == row["derived_length"].as_u64());
        let factors: Vec<Vec<u32>> = ds
            .windows(2)
            .map(|w| abelian::factor(&g, &w[0], &w[1]).unwrap().prime_powers)
            .collect();
        let want: Vec<Vec<u32>> = row["derived_factor_invariants"]
            .as_array()
            .unwrap()
            .iter()
            .map(u32s)
            .collect();
        check("derived_factor_invariants", factors == want);
        check(
            "abelian_invariants",
            abelian::abelian_invariants(&g) == u32s(&row["abelian_invariants"]),
        );
        checked += 1;
    }
    assert_eq!(checked, 739);
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn invariant_factor_form_combines_primes() {
    assert_eq!(abelian::invariant_factors_of(&[2, 3]), vec![6]);
    assert_eq!(abelian::invariant_factors_of(&[2, 3, 4]), vec![2, 12]);
    assert_eq!(abelian::invariant_factors_of(&[2, 2, 2]), vec![2, 2, 2]);
    assert_eq!(abelian::invariant_factors_of(&[]), Vec::<u32>::new());
}
