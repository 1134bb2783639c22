//! The bar for the language: every group of GAP's small-groups oracle,
//! written as gssm source twice — from its permutation generators and from
//! its finite presentation — must elaborate to a group with GAP's order,
//! abelian/solvable/nilpotent flags, derived series and invariants.

mod common;

use common::{gap_mismatches, oracle_rows};
use gssm_compiler::diagnostics::render_plain;
use gssm_compiler::elaborate::load_source;
use gssm_compiler::group::{Group, Limits};
use serde_json::Value;

/// `group G = perm(d) { (1,2)(3,4), … }` from the oracle's permutations.
fn perm_source(row: &Value) -> String {
    let gens: Vec<&str> = row["perm_gens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    format!(
        "// SmallGroup{}\ngroup G = perm({}) {{ {} }}\n",
        row["id"],
        row["perm_degree"],
        gens.join(", ")
    )
}

/// `group G = < a, b | rel, … >` from the oracle's presentation.
fn fp_source(row: &Value) -> String {
    let strs = |k: &str| -> Vec<String> {
        row[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap().to_string())
            .collect()
    };
    format!(
        "group G = < {} | {} >\n",
        strs("fp_gens").join(", "),
        strs("fp_relators").join(", ")
    )
}

fn mismatches(g: &Group, row: &Value) -> Vec<String> {
    gap_mismatches(g, row)
        .into_iter()
        .map(String::from)
        .collect()
}

#[test]
fn every_oracle_group_written_in_the_language_matches_gap() {
    let rows = oracle_rows();
    assert_eq!(rows.len(), 739);
    let mut failures = Vec::new();
    let mut built = 0;
    for row in &rows {
        for (how, text) in [("perm", perm_source(row)), ("fp", fp_source(row))] {
            let result = load_source("oracle.gssm", &text, &Limits::default())
                .and_then(|p| p.group(Some("G"), &[]));
            match result {
                Ok(e) => {
                    assert!(
                        e.warnings.is_empty(),
                        "{how} {}: unexpected warnings",
                        row["id"]
                    );
                    let bad = mismatches(&e.group, row);
                    if !bad.is_empty() {
                        failures.push(format!(
                            "{} {} ({how}): {}",
                            row["id"],
                            row["structure"],
                            bad.join(", ")
                        ));
                    }
                    built += 1;
                }
                Err(d) => failures.push(format!(
                    "{} {} ({how}) failed:\n{text}{}",
                    row["id"],
                    row["structure"],
                    render_plain(&d)
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(built, 2 * 739);
}
