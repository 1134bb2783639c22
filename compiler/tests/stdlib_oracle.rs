//! The standard library against GAP: each named group and family member is
//! the group GAP's SmallGroups library says it is, judged by order, flags,
//! derived series, invariants, exponent, centre and class number (which
//! together separate all groups of these orders used here).

mod common;

use common::{oracle_rows, u32s};
use gssm_compiler::diagnostics::render_plain;
use gssm_compiler::elaborate::load_source;
use gssm_compiler::group::{Group, Limits};
use gssm_compiler::structure::{abelian, derived_series, is_nilpotent};
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

fn exponent(g: &Group) -> u64 {
    let mut e = 1u64;
    for x in g.elements() {
        let o = g.element_order(x) as u64;
        e = e / gcd(e, o) * o;
    }
    e
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn centre_order(g: &Group) -> usize {
    g.elements()
        .filter(|&z| g.generators().iter().all(|&s| g.mul(z, s) == g.mul(s, z)))
        .count()
}

fn class_count(g: &Group) -> usize {
    let mut seen = vec![false; g.order()];
    let mut classes = 0;
    for x in g.elements() {
        if seen[x as usize] {
            continue;
        }
        classes += 1;
        for y in g.elements() {
            seen[g.mul(g.mul(g.inv(y), x), y) as usize] = true;
        }
    }
    classes
}

/// Differences between `g` and the oracle row.
fn compare(g: &Group, row: &Value) -> Vec<&'static str> {
    let mut bad = Vec::new();
    let mut check = |what, ok: bool| {
        if !ok {
            bad.push(what);
        }
    };
    check("order", g.order() as u64 == row["order"].as_u64().unwrap());
    check(
        "abelian",
        g.is_abelian() == row["is_abelian"].as_bool().unwrap(),
    );
    check(
        "nilpotent",
        is_nilpotent(g) == row["is_nilpotent"].as_bool().unwrap(),
    );
    let ds = derived_series(g);
    check(
        "solvable",
        (ds.last().unwrap().len() == 1) == row["is_solvable"].as_bool().unwrap(),
    );
    let orders: Vec<u32> = ds.iter().map(|s| s.len() as u32).collect();
    check(
        "derived series",
        orders == u32s(&row["derived_series_orders"]),
    );
    let factors: Vec<Vec<u32>> = ds
        .windows(2)
        .map(|w| abelian::factor(g, &w[0], &w[1]).unwrap().prime_powers)
        .collect();
    let want: Vec<Vec<u32>> = row["derived_factor_invariants"]
        .as_array()
        .unwrap()
        .iter()
        .map(u32s)
        .collect();
    check("factor invariants", factors == want);
    check(
        "abelian invariants",
        abelian::abelian_invariants(g) == u32s(&row["abelian_invariants"]),
    );
    check("exponent", exponent(g) == row["exponent"].as_u64().unwrap());
    check(
        "centre",
        centre_order(g) as u64 == row["center_order"].as_u64().unwrap(),
    );
    check(
        "classes",
        class_count(g) as u64 == row["num_classes"].as_u64().unwrap(),
    );
    bad
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
