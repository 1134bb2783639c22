//! The pc engine without listing (induced pc sequences, `group::pcgs`)
//! against GAP: every pc presentation of the small-groups oracle, kept as
//! a presentation by setting the element limit to 1, must get GAP's
//! derived series orders, derived factor invariants, G/G', derived length
//! and abelian / nilpotent flags from `report::check_pc`.

mod common;

use common::{oracle_rows, pc_source, u32s};
use gssm_compiler::diagnostics::render_plain;
use gssm_compiler::elaborate::{load_source, Checked};
use gssm_compiler::group::Limits;
use gssm_compiler::report::check::Count;
use gssm_compiler::report::check_pc;

fn small(cs: &[Count]) -> Vec<u32> {
    cs.iter()
        .map(|c| u32::try_from(&c.0).expect("small-group numbers fit 32 bits"))
        .collect()
}

#[test]
fn pc_structure_without_listing_matches_gap() {
    let limits = Limits {
        max_elements: 1,
        ..Limits::default()
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    for row in oracle_rows() {
        let Some(text) = pc_source(&row) else {
            continue;
        };
        let id = &row["id"];
        let program = load_source("oracle.gssm", &text, &limits).unwrap();
        let e = match program.eval_to_check("G") {
            Ok(Checked::Pc(e)) => e,
            Ok(_) => panic!("{id}: not kept as a pc presentation"),
            Err(d) => panic!("{id}: {}", render_plain(&d)),
        };
        let s = check_pc(&e).unwrap_or_else(|d| panic!("{id}: {}", render_plain(&d)));
        let mut bad = Vec::new();
        if s.order.0 != row["order"].as_u64().unwrap().into() {
            bad.push("order");
        }
        if small(&s.derived_series_orders) != u32s(&row["derived_series_orders"]) {
            bad.push("derived_series_orders");
        }
        let factors: Vec<Vec<u32>> = s
            .derived_factors
            .iter()
            .map(|f| small(&f.prime_powers))
            .collect();
        let want: Vec<Vec<u32>> = row["derived_factor_invariants"]
            .as_array()
            .unwrap()
            .iter()
            .map(u32s)
            .collect();
        if factors != want {
            bad.push("derived_factor_invariants");
        }
        if small(&s.abelian_invariants) != u32s(&row["abelian_invariants"]) {
            bad.push("abelian_invariants");
        }
        if s.derived_length.map(|d| d as u64) != row["derived_length"].as_u64() {
            bad.push("derived_length");
        }
        if !s.is_solvable {
            bad.push("is_solvable");
        }
        if s.is_abelian != row["is_abelian"].as_bool().unwrap() {
            bad.push("is_abelian");
        }
        if s.is_nilpotent != row["is_nilpotent"].as_bool().unwrap() {
            bad.push("is_nilpotent");
        }
        if !bad.is_empty() {
            failures.push(format!("{id} {}: {}", row["structure"], bad.join(", ")));
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, 734);
}
