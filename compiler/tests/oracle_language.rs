//! The bar for the language: every group of GAP's small-groups oracle,
//! written as gssm source — from its permutation generators, from its
//! finite presentation and (for the solvable ones) from its polycyclic
//! presentation — must elaborate to a group with GAP's order,
//! abelian/solvable/nilpotent flags, derived series and invariants.

mod common;

use common::{gap_mismatches, oracle_rows, parse_cycles, pc_source};
use gssm_compiler::diagnostics::render_plain;
use gssm_compiler::elaborate::load_source;
use gssm_compiler::group::perm::{from_cycles, group_from_permutations};
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
        let mut sources = vec![("perm", perm_source(row)), ("fp", fp_source(row))];
        sources.extend(pc_source(row).map(|s| ("pc", s)));
        for (how, text) in sources {
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
    // Every solvable group but the trivial one has a pc presentation.
    let with_pc = rows.iter().filter(|r| r["pc_gens"].is_array()).count();
    assert_eq!(with_pc, 734);
    assert_eq!(built, 2 * 739 + with_pc);
}

/// The pc presentation's group is GAP's: f_i ↦ the oracle's permutation
/// image of f_i extends to an isomorphism (consistent on every edge of the
/// Cayley graph, and one-to-one).
#[test]
fn pc_presentations_multiply_as_gap_s_pc_groups_do() {
    let mut checked = 0;
    for row in oracle_rows() {
        let Some(text) = pc_source(&row) else {
            continue;
        };
        let g = load_source("oracle.gssm", &text, &Limits::default())
            .and_then(|p| p.group(Some("G"), &[]))
            .unwrap_or_else(|d| panic!("{}: {}", row["id"], render_plain(&d)))
            .group;
        let cycles: Vec<Vec<Vec<u32>>> = row["pc_perm_gens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| parse_cycles(c.as_str().unwrap()))
            .collect();
        let degree = cycles
            .iter()
            .flatten()
            .flatten()
            .max()
            .map_or(1, |&m| m as usize + 1);
        let images: Vec<Vec<u32>> = cycles
            .iter()
            .map(|c| from_cycles(degree, c).unwrap())
            .collect();
        let names: Vec<String> = g.generator_names().to_vec();
        let h = group_from_permutations("H", names, &images, &Limits::default()).unwrap();
        assert_eq!(g.order(), h.order(), "{}", row["id"]);
        let mut phi = vec![u32::MAX; g.order()];
        phi[0] = 0;
        let mut queue = vec![0u32];
        while let Some(x) = queue.pop() {
            for (&s, &t) in g.generators().iter().zip(h.generators()) {
                let y = g.mul(x, s) as usize;
                let image = h.mul(phi[x as usize], t);
                if phi[y] == u32::MAX {
                    phi[y] = image;
                    queue.push(y as u32);
                } else {
                    assert_eq!(phi[y], image, "{}: not a homomorphism", row["id"]);
                }
            }
        }
        let mut seen = phi.clone();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), g.order(), "{}: not one-to-one", row["id"]);
        checked += 1;
    }
    assert!(checked > 600, "{checked} pc presentations");
}
