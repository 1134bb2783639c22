//! The construction on every group of GAP's small-group oracle: models have
//! the theorem's depth and widths, and the exact proof passes; targets that
//! cannot track a group say why.

mod common;

use common::{oracle_rows, perm_group, u32s};
use gssm_compiler::construct::{construct, Alphabet, Tokens};
use gssm_compiler::target::{self, plan};
use gssm_compiler::verify::proof;

fn valid(m: gssm_runtime::ir::Model) -> gssm_runtime::valid::ValidModel {
    gssm_runtime::validate(m, &gssm_runtime::format::LoadLimits::default()).unwrap()
}

use gssm_runtime::ir::FloatDtype;

#[test]
fn aussm_and_neg_mamba_on_every_small_group() {
    let aussm = target::by_name("aussm").unwrap();
    let neg = target::by_name("neg-mamba").unwrap();
    let mut failures = Vec::new();
    let mut compiled = (0, 0);
    for row in oracle_rows() {
        let g = perm_group(&row);
        let id = format!("{} {}", row["id"], row["structure"]);
        match (plan(&g, aussm), row["derived_length"].as_u64()) {
            (Ok(p), Some(dl)) => {
                let m = valid(
                    construct(
                        &g,
                        &p,
                        aussm,
                        &Tokens::new(&g, Alphabet::Elements, false).unwrap(),
                        FloatDtype::F32,
                    )
                    .unwrap(),
                );
                if m.diagonal().expect("diagonal").layers.len() as u64 != dl {
                    failures.push(format!(
                        "{id}: {} aussm layers, derived length {dl}",
                        m.diagonal().expect("diagonal").layers.len()
                    ));
                }
                let want: Vec<usize> = row["derived_factor_invariants"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| {
                        gssm_compiler::structure::abelian::invariant_factors_of(&u32s(f)).len()
                    })
                    .collect();
                let widths: Vec<usize> = m
                    .diagonal()
                    .expect("diagonal")
                    .layers
                    .iter()
                    .map(|l| l.width())
                    .collect();
                if widths != want {
                    failures.push(format!(
                        "{id}: widths {widths:?}, invariant factor counts {want:?}"
                    ));
                }
                let pr = proof(&m);
                if !pr.ok || pr.states != g.order() {
                    failures.push(format!("{id}: aussm proof {pr:?}"));
                }
                compiled.0 += 1;
            }
            (Err(e), None) => {
                let stuck = e.stuck_order.unwrap();
                let perfect = row["derived_series_orders"]
                    .as_array()
                    .unwrap()
                    .last()
                    .unwrap();
                if stuck as u64 != perfect.as_u64().unwrap()
                    || !e.reason.contains("[H, H] = H") && !e.reason.contains("perfect")
                {
                    failures.push(format!(
                        "{id}: aussm error names order {stuck}: {}",
                        e.reason
                    ));
                }
            }
            (r, dl) => failures.push(format!(
                "{id}: aussm {:?} but derived length {dl:?}",
                r.map(|p| p.depth())
            )),
        }
        let two_group = row["order"].as_u64().unwrap().is_power_of_two();
        match plan(&g, neg) {
            Ok(p) if two_group => {
                let m = valid(
                    construct(
                        &g,
                        &p,
                        neg,
                        &Tokens::new(&g, Alphabet::Elements, false).unwrap(),
                        FloatDtype::F32,
                    )
                    .unwrap(),
                );
                if m.diagonal()
                    .expect("diagonal")
                    .layers
                    .iter()
                    .any(|l| l.moduli.iter().any(|&n| n != 2))
                {
                    failures.push(format!("{id}: neg-mamba moduli not all 2"));
                }
                if m.diagonal().expect("diagonal").layers.iter().any(|l| {
                    l.a_im.iter().any(|&x| x != 0.0)
                        || l.a_re.iter().any(|&x| x != 1.0 && x != -1.0)
                }) {
                    failures.push(format!("{id}: neg-mamba transitions not ±1"));
                }
                let pr = proof(&m);
                if !pr.ok {
                    failures.push(format!("{id}: neg-mamba proof {pr:?}"));
                }
                compiled.1 += 1;
            }
            Err(e) if !two_group => {
                if !e.reason.contains("not a 2-group") {
                    failures.push(format!("{id}: neg-mamba error: {}", e.reason));
                }
            }
            other => failures.push(format!(
                "{id}: neg-mamba gave {:?}",
                other.map(|p| p.depth())
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // 739 groups, of which 6 are not solvable (A5, SL(2,5), A5xC2 …).
    assert!(compiled.0 > 700, "{compiled:?}");
}
