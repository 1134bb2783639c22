//! Shared helpers for the tests that read GAP's oracle.
#![allow(dead_code)]

use gssm_compiler::group::perm::{from_cycles, group_from_permutations};
use gssm_compiler::group::{Group, Limits};
use serde_json::Value;

pub const ORACLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/oracle/smallgroups_le120.jsonl"
);

/// Every row of the oracle (739 groups).
pub fn oracle_rows() -> Vec<Value> {
    let text =
        std::fs::read_to_string(ORACLE).expect("the oracle lies in ../shared beside the repo");
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
