//! The group engine against GAP: every oracle group is built twice, by coset
//! enumeration of its finite presentation and from its permutation
//! generators, and both must agree with GAP's invariants and with each
//! other. Products are checked against GAP's rows for the groups they build.

mod common;

use common::{gap_mismatches, oracle_rows, perm_group};
use gssm_compiler::group::{coset, product, Group, Limits, Word};
use serde_json::Value;

/// Parse a relator such as "b^-1*a*b^-1*a" over the named generators.
fn parse_relator(s: &str, gens: &[String]) -> Word {
    s.split('*')
        .map(|tok| {
            let (name, exp) = match tok.split_once('^') {
                Some((n, e)) => (n, e.parse::<i64>().expect("exponent")),
                None => (tok, 1),
            };
            let j = gens
                .iter()
                .position(|g| g == name)
                .expect("known generator");
            (j, exp)
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn fp_group(row: &Value) -> Group {
    let gens = strings(&row["fp_gens"]);
    let rels: Vec<Word> = strings(&row["fp_relators"])
        .iter()
        .map(|r| parse_relator(r, &gens))
        .collect();
    coset::enumerate("fp", gens, &rels, &Limits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", row["id"]))
}

/// Sorted element orders: equal for isomorphic groups.
fn order_stats(g: &Group) -> Vec<usize> {
    let mut v: Vec<usize> = g.elements().map(|x| g.element_order(x)).collect();
    v.sort_unstable();
    v
}

#[test]
fn presentations_and_permutations_agree_with_gap() {
    let rows = oracle_rows();
    assert_eq!(rows.len(), 739);
    let mut mismatches = Vec::new();
    for row in &rows {
        let id = format!("{} {}", row["id"], row["structure"]);
        let fp = fp_group(row);
        let perm = perm_group(row);
        for (how, g) in [("fp", &fp), ("perm", &perm)] {
            let bad = gap_mismatches(g, row);
            if !bad.is_empty() {
                mismatches.push(format!("{id} ({how}): {}", bad.join(", ")));
            }
        }
        if order_stats(&fp) != order_stats(&perm) {
            mismatches.push(format!("{id}: element orders differ between fp and perm"));
        }
        // The presentation's relators hold in the enumerated group.
        let gens = strings(&row["fp_gens"]);
        for r in strings(&row["fp_relators"]) {
            if fp.eval_word(&parse_relator(&r, &gens)) != 0 {
                mismatches.push(format!("{id}: relator {r} fails"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

fn row(rows: &[Value], order: u64, n: u64) -> &Value {
    rows.iter()
        .find(|r| r["id"][0].as_u64() == Some(order) && r["id"][1].as_u64() == Some(n))
        .expect("row in oracle")
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The cyclic group of order n as a one-generator presentation.
fn cyclic(n: i64, gen: &str) -> Group {
    coset::enumerate("C", names(&[gen]), &[vec![(0, n)]], &Limits::default()).unwrap()
}

/// Products against GAP's rows for the groups they should build
/// (SmallGroup ids from GAP's library).
#[test]
fn products_agree_with_gap() {
    let rows = oracle_rows();
    let lim = Limits::default();
    let inv = vec![vec![vec![(0, -1)]]];
    let cases: Vec<(&str, Group, (u64, u64))> = vec![
        (
            "S3",
            product::semidirect(
                "S3",
                &cyclic(3, "a"),
                &cyclic(2, "b"),
                &inv,
                names(&["a", "b"]),
                &lim,
            )
            .unwrap(),
            (6, 1),
        ),
        (
            "D8",
            product::semidirect(
                "D8",
                &cyclic(4, "a"),
                &cyclic(2, "b"),
                &inv,
                names(&["a", "b"]),
                &lim,
            )
            .unwrap(),
            (8, 3),
        ),
        (
            "C7 : C3",
            product::semidirect(
                "F21",
                &cyclic(7, "a"),
                &cyclic(3, "b"),
                &[vec![vec![(0, 2)]]],
                names(&["a", "b"]),
                &lim,
            )
            .unwrap(),
            (21, 1),
        ),
        (
            "C3 : C4",
            product::semidirect(
                "Dic3",
                &cyclic(3, "a"),
                &cyclic(4, "b"),
                &inv,
                names(&["a", "b"]),
                &lim,
            )
            .unwrap(),
            (12, 1),
        ),
        (
            "C5 : C4",
            product::semidirect(
                "F20",
                &cyclic(5, "a"),
                &cyclic(4, "b"),
                &[vec![vec![(0, 2)]]],
                names(&["a", "b"]),
                &lim,
            )
            .unwrap(),
            (20, 3),
        ),
        (
            "A4",
            {
                let v4 = product::direct(
                    "V4",
                    &[&cyclic(2, "x"), &cyclic(2, "y")],
                    names(&["x", "y"]),
                    &lim,
                )
                .unwrap();
                let act = vec![vec![vec![(1, 1)], vec![(0, 1), (1, 1)]]];
                product::semidirect(
                    "A4",
                    &v4,
                    &cyclic(3, "r"),
                    &act,
                    names(&["x", "y", "r"]),
                    &lim,
                )
                .unwrap()
            },
            (12, 3),
        ),
        (
            "S4",
            {
                let v4 = product::direct(
                    "V4",
                    &[&cyclic(2, "x"), &cyclic(2, "y")],
                    names(&["x", "y"]),
                    &lim,
                )
                .unwrap();
                let s3 = product::semidirect(
                    "S3",
                    &cyclic(3, "r"),
                    &cyclic(2, "t"),
                    &inv,
                    names(&["r", "t"]),
                    &lim,
                )
                .unwrap();
                // r: x -> y -> x*y (order 3), t: x <-> y; Aut(C2 x C2) = S3.
                let act = vec![
                    vec![vec![(1, 1)], vec![(0, 1), (1, 1)]],
                    vec![vec![(1, 1)], vec![(0, 1)]],
                ];
                product::semidirect("S4", &v4, &s3, &act, names(&["x", "y", "r", "t"]), &lim)
                    .unwrap()
            },
            (24, 12),
        ),
        (
            "C2 x D8",
            {
                let d8 = product::semidirect(
                    "D8",
                    &cyclic(4, "a"),
                    &cyclic(2, "b"),
                    &inv,
                    names(&["a", "b"]),
                    &lim,
                )
                .unwrap();
                product::direct(
                    "C2xD8",
                    &[&cyclic(2, "c"), &d8],
                    names(&["c", "a", "b"]),
                    &lim,
                )
                .unwrap()
            },
            (16, 11),
        ),
        (
            "C3 x C3 x C3",
            product::direct(
                "C3^3",
                &[&cyclic(3, "a"), &cyclic(3, "b"), &cyclic(3, "c")],
                names(&["a", "b", "c"]),
                &lim,
            )
            .unwrap(),
            (27, 5),
        ),
    ];
    let mut mismatches = Vec::new();
    for (what, g, (o, n)) in &cases {
        let r = row(&rows, *o, *n);
        assert_eq!(
            r["structure"].as_str().unwrap(),
            *what,
            "oracle row for {what}"
        );
        let bad = gap_mismatches(g, r);
        if !bad.is_empty() {
            mismatches.push(format!("{what}: {}", bad.join(", ")));
        }
        if order_stats(g) != order_stats(&perm_group(r)) {
            mismatches.push(format!(
                "{what}: element orders differ from GAP's permutation group"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
