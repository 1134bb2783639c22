//! The standard library against GAP: each named group and family member is
//! the group GAP's SmallGroups library says it is, judged by order, flags,
//! derived series, invariants, exponent, centre and class number (which
//! together separate all groups of these orders used here).

mod common;

use common::{center_order, gap_mismatches as compare, num_classes, oracle_rows};
use gssm_compiler::diagnostics::render_plain;
use gssm_compiler::elaborate::load_source;
use gssm_compiler::group::{Group, Limits};
use gssm_compiler::structure::{abelian_invariants, derived_series};
use serde_json::Value;

fn elaborate(expr: &str) -> Group {
    let p = load_source(
        "t.gssm",
        "import \"seed\"\nimport \"families\"\n",
        &Limits::default(),
    )
    .unwrap_or_else(|d| panic!("{}", render_plain(&d)));
    p.eval(expr)
        .unwrap_or_else(|d| panic!("{expr}: {}", render_plain(&d)))
        .group
}

fn row_by_id(rows: &[Value], order: u64, n: u64) -> &Value {
    rows.iter()
        .find(|r| r["id"][0] == order && r["id"][1] == n)
        .unwrap_or_else(|| panic!("no oracle row ({order},{n})"))
}

#[test]
fn named_groups_are_gaps_groups() {
    let rows = oracle_rows();
    let cases: &[(&str, u64, u64)] = &[
        ("C2", 2, 1),
        ("C6", 6, 2),
        ("C24", 24, 2),
        ("C60", 60, 4),
        ("S3", 6, 1),
        ("A4", 12, 3),
        ("A5", 60, 5),
        ("C2xC4", 8, 2),
        ("Q8", 8, 4),
        ("S4", 24, 12),
        ("SL23", 24, 3),
        ("A4xC5", 60, 9),
        ("S5", 120, 34),
        ("SL25", 120, 5),
        ("GL23", 48, 29),
        ("Dihedral(8)", 8, 3),
        ("Dihedral(12)", 12, 4),
        ("Dicyclic(12)", 12, 1),
        ("Dicyclic(20)", 20, 1),
        ("Quaternion(16)", 16, 9),
        ("Quaternion(32)", 32, 20),
        ("Symmetric(5)", 120, 34),
        ("Alternating(5)", 60, 5),
        ("ElementaryAbelian(2, 3)", 8, 5),
        ("ElementaryAbelian(3, 2)", 9, 2),
        ("ElementaryAbelian(5, 0)", 1, 1),
        ("AGL1(2)", 2, 1),
        ("AGL1(3)", 6, 1),
        ("AGL1(5)", 20, 3),
        ("AGL1(7)", 42, 1),
        ("AGL1(11)", 110, 1),
        ("Cyclic(1)", 1, 1),
        ("Symmetric(1)", 1, 1),
        ("Alternating(3)", 3, 1),
    ];
    let mut failures = Vec::new();
    for &(expr, order, n) in cases {
        let g = elaborate(expr);
        let bad = compare(&g, row_by_id(&rows, order, n));
        if !bad.is_empty() {
            failures.push(format!("{expr} vs SmallGroup({order},{n}): {bad:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cyclic_and_dihedral_families_match_gap_up_to_120() {
    let rows = oracle_rows();
    let by_structure = |s: &str| rows.iter().find(|r| r["structure"] == s);
    let mut failures = Vec::new();
    for n in 1..=120u64 {
        if n == 64 || n == 96 {
            continue; // not in the oracle
        }
        let want = if n == 1 {
            "1".to_string()
        } else {
            format!("C{n}")
        };
        let row = by_structure(&want).unwrap_or_else(|| panic!("oracle has {want}"));
        let bad = compare(&elaborate(&format!("Cyclic({n})")), row);
        if !bad.is_empty() {
            failures.push(format!("Cyclic({n}): {bad:?}"));
        }
        if n % 2 == 0 {
            let want = match n {
                2 => "C2".to_string(),
                4 => "C2 x C2".to_string(),
                6 => "S3".to_string(),
                _ => format!("D{n}"),
            };
            let row = by_structure(&want).unwrap_or_else(|| panic!("oracle has {want}"));
            let bad = compare(&elaborate(&format!("Dihedral({n})")), row);
            if !bad.is_empty() {
                failures.push(format!("Dihedral({n}): {bad:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn symmetric_and_alternating_orders() {
    let fact = |n: usize| (1..=n).product::<usize>();
    for n in 1..=6 {
        assert_eq!(
            elaborate(&format!("Symmetric({n})")).order(),
            fact(n),
            "S{n}"
        );
        assert_eq!(
            elaborate(&format!("Alternating({n})")).order(),
            if n < 2 { 1 } else { fact(n) / 2 },
            "A{n}"
        );
    }
}

/// The stdlib groups past the oracle's order 120, against their known
/// invariants: PSL(2,7) is simple of order 168 with 6 conjugacy classes
/// (its character table in the ATLAS of Finite Groups); S6 has order 720,
/// derived subgroup A6 (simple, so the series stops there), trivial centre
/// and 11 classes, one per cycle type (partition of 6).
#[test]
fn stdlib_groups_beyond_the_oracle() {
    let psl27 = elaborate("PSL27");
    assert_eq!(psl27.order(), 168);
    let orders: Vec<usize> = derived_series(&psl27).iter().map(|s| s.len()).collect();
    assert_eq!(orders, vec![168], "perfect: [G, G] = G");
    assert_eq!(abelian_invariants(&psl27), Vec::<u32>::new());
    assert_eq!(center_order(&psl27), 1);
    assert_eq!(num_classes(&psl27), 6);

    let s6 = elaborate("S6");
    assert_eq!(s6.order(), 720);
    let orders: Vec<usize> = derived_series(&s6).iter().map(|s| s.len()).collect();
    assert_eq!(orders, vec![720, 360]);
    assert_eq!(abelian_invariants(&s6), vec![2]);
    assert_eq!(center_order(&s6), 1);
    assert_eq!(num_classes(&s6), 11);
}
