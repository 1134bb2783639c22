//! Shared helpers for the tests that read GAP's oracle.
#![allow(dead_code)]

use gssm_compiler::group::perm::{from_cycles, group_from_permutations};
use gssm_compiler::group::{Group, Limits};
use gssm_compiler::structure::{abelian, derived_series, is_nilpotent};
use serde_json::Value;

pub const ORACLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/oracle/smallgroups_le120.jsonl"
);

/// Every row of the oracle (739 groups).
pub fn oracle_rows() -> Vec<Value> {
    let text = std::fs::read_to_string(ORACLE).expect("the oracle lies in tests/oracle");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("oracle row is JSON"))
        .collect()
}

/// "(1,2,3)(4,5)" → 0-based cycles.
pub fn parse_cycles(s: &str) -> Vec<Vec<u32>> {
    s.split(')')
        .filter(|c| c.trim_start_matches('(').trim() != "")
        .map(|c| {
            c.trim_start_matches('(')
                .split(',')
                .map(|x| x.trim().parse::<u32>().expect("point") - 1)
                .collect()
        })
        .collect()
}

/// The oracle group built from its permutation generators.
pub fn perm_group(row: &Value) -> Group {
    let degree = row["perm_degree"].as_u64().unwrap() as usize;
    let gens: Vec<Vec<u32>> = row["perm_gens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| from_cycles(degree, &parse_cycles(g.as_str().unwrap())).unwrap())
        .collect();
    let names = (0..gens.len()).map(|i| format!("g{}", i + 1)).collect();
    let name = format!("SmallGroup({},{})", row["id"][0], row["id"][1]);
    group_from_permutations(&name, names, &gens, &Limits::default()).unwrap()
}

pub fn u32s(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

pub fn exponent(g: &Group) -> usize {
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    g.elements()
        .map(|x| g.element_order(x))
        .fold(1, |l, o| l / gcd(l, o) * o)
}

pub fn center_order(g: &Group) -> usize {
    g.elements()
        .filter(|&x| g.generators().iter().all(|&s| g.mul(x, s) == g.mul(s, x)))
        .count()
}

/// Number of conjugacy classes: orbits of conjugation by the generators.
pub fn num_classes(g: &Group) -> usize {
    let mut class = vec![usize::MAX; g.order()];
    let mut count = 0;
    for x in g.elements() {
        if class[x as usize] != usize::MAX {
            continue;
        }
        class[x as usize] = count;
        let mut stack = vec![x];
        while let Some(y) = stack.pop() {
            for &s in g.generators() {
                let z = g.mul(g.mul(g.inv(s), y), s);
                if class[z as usize] == usize::MAX {
                    class[z as usize] = count;
                    stack.push(z);
                }
            }
        }
        count += 1;
    }
    count
}

/// Compare g with GAP's row: returns the names of the invariants that differ.
pub fn gap_mismatches(g: &Group, row: &Value) -> Vec<&'static str> {
    let mut bad = Vec::new();
    let mut check = |what: &'static str, ok: bool| {
        if !ok {
            bad.push(what);
        }
    };
    check("order", g.order() as u64 == row["order"].as_u64().unwrap());
    check(
        "is_abelian",
        g.is_abelian() == row["is_abelian"].as_bool().unwrap(),
    );
    check(
        "exponent",
        exponent(g) as u64 == row["exponent"].as_u64().unwrap(),
    );
    check(
        "center_order",
        center_order(g) as u64 == row["center_order"].as_u64().unwrap(),
    );
    check(
        "num_classes",
        num_classes(g) as u64 == row["num_classes"].as_u64().unwrap(),
    );
    check(
        "is_nilpotent",
        is_nilpotent(g) == row["is_nilpotent"].as_bool().unwrap(),
    );
    let ds = derived_series(g);
    let solvable = ds.last().map(|s| s.len()) == Some(1);
    check(
        "is_solvable",
        solvable == row["is_solvable"].as_bool().unwrap(),
    );
    let dl = solvable.then(|| ds.len() as u64 - 1);
    check("derived_length", dl == row["derived_length"].as_u64());
    let orders: Vec<u32> = ds.iter().map(|s| s.len() as u32).collect();
    check(
        "derived_series_orders",
        orders == u32s(&row["derived_series_orders"]),
    );
    let factors: Option<Vec<Vec<u32>>> = ds
        .windows(2)
        .map(|w| {
            abelian::factor(g, &w[0], &w[1])
                .ok()
                .map(|f| f.prime_powers)
        })
        .collect();
    let want: Vec<Vec<u32>> = row["derived_factor_invariants"]
        .as_array()
        .unwrap()
        .iter()
        .map(u32s)
        .collect();
    check("derived_factor_invariants", factors == Some(want));
    check(
        "abelian_invariants",
        abelian::abelian_invariants(g) == u32s(&row["abelian_invariants"]),
    );
    bad
}

/// `group G = pc< f1, … | rel, … >` from the oracle's pc presentation, its
/// relators as GAP prints them (`f2^-1*f1^-1*f2*f1*f3^-1`).
pub fn pc_source(row: &Value) -> Option<String> {
    let strs = |k: &str| -> Option<Vec<String>> {
        Some(
            row[k]
                .as_array()?
                .iter()
                .map(|g| g.as_str().unwrap().to_string())
                .collect(),
        )
    };
    Some(format!(
        "group G = pc< {} | {} >\n",
        strs("pc_gens")?.join(", "),
        strs("pc_relators")?.join(", ")
    ))
}
