//! `gssm check FILE [GROUP]`: build a group and report its structure — order,
//! abelian / nilpotent / solvable, derived series with each factor's
//! invariants — and, per target, the least number of layers or why none
//! suffices. `--json` prints the same as one JSON object.

use super::source::{load_elaborated, SourceLimits};
use gssm_compiler::construct::cell_size;
use gssm_compiler::diagnostics::Source;
use gssm_compiler::elaborate::Elaborated;
use gssm_compiler::group::Group;
use gssm_compiler::structure::abelian::{self, invariant_factors_of};
use gssm_compiler::structure::{derived_series, is_nilpotent};
use gssm_compiler::target::{self, plan, plan_with_series};
use gssm_runtime::valid::LoadLimits;
use serde_json::{json, Value};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Source file (.gssm).
    pub file: std::path::PathBuf,
    /// Group to check: a name, or an expression such as 'Dihedral(8) x C2'
    /// (default: the last group defined in the file).
    pub group: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub limits: SourceLimits,
}

pub fn run(a: Args) -> ExitCode {
    let e = match load_elaborated(&a.file, a.group.as_deref(), &a.limits) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let r = report(&e);
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&r).expect("JSON values serialise")
        );
    } else {
        print!("{}", text(&r));
    }
    ExitCode::SUCCESS
}

/// 1-based line and column of a byte offset.
fn line_col(src: &Source, offset: usize) -> (usize, usize) {
    let before = &src.text[..offset.min(src.text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// "C2 x C4" from invariant factors; "1" for the trivial group.
fn describe(inv: &[u32]) -> String {
    if inv.is_empty() {
        "1".into()
    } else {
        inv.iter()
            .map(|n| format!("C{n}"))
            .collect::<Vec<_>>()
            .join(" x ")
    }
}

/// Everything `check` reports, as JSON (the text form is rendered from it).
fn report(e: &Elaborated) -> Value {
    let g: &Group = &e.group;
    let ds = derived_series(g);
    let solvable = ds.last().is_some_and(|s| s.len() == 1);
    let factors: Vec<Value> = ds
        .windows(2)
        .map(|w| {
            let f = abelian::factor(g, &w[0], &w[1]).expect("derived factors are abelian");
            json!({ "invariant_factors": f.invariant_factors, "prime_powers": f.prime_powers })
        })
        .collect();
    let ab = abelian::abelian_invariants(g);
    let (line, column) = line_col(&e.source, e.span.start);
    let targets: Vec<Value> = target::all()
        .iter()
        .map(|&t| match plan(g, t) {
            _ if !t.kind().is_diagonal() => {
                let (width, how) = cell_size(g, t.kind(), &LoadLimits::default());
                json!({
                    "target": t.name(),
                    "layers": 1,
                    "widths": [width],
                    "reason": null,
                    "explanation": null,
                    "size": how,
                })
            }
            Ok(p) => json!({
                "target": t.name(),
                "layers": p.depth(),
                "widths": p.factors.iter().map(|f| f.invariant_factors.len()).collect::<Vec<_>>(),
                "reason": null,
                "explanation": null,
            }),
            Err(no) => json!({
                "target": t.name(),
                "layers": null,
                "widths": null,
                "reason": no.reason,
                "explanation": if no.explanation.is_empty() { Value::Null } else { Value::from(no.explanation) },
            }),
        })
        .collect();
    let series_hint = e.series.as_ref().map(|s| {
        let orders: Vec<usize> = s.subgroups.iter().map(|gens| gssm_compiler::structure::closure(g, gens).len()).collect();
        // Targets that track no non-trivial group reject every series for
        // the reason already given above.
        let per_target: Vec<Value> = target::all()
            .iter()
            .filter(|t| t.factor_class().is_some())
            .map(|&t| match plan_with_series(g, t, &s.subgroups) {
                Ok(p) => json!({ "target": t.name(), "layers": p.depth(), "reason": null }),
                Err(b) => json!({ "target": t.name(), "layers": null, "reason": format!("step G_{} ⊳ G_{}: {}", b.step, b.step + 1, b.reason) }),
            })
            .collect();
        json!({ "subgroup_orders": orders, "targets": per_target })
    });
    json!({
        "name": g.name,
        "order": g.order(),
        "generators": g.generator_names(),
        "defined_at": { "file": e.source.name, "line": line, "column": column },
        "is_abelian": g.is_abelian(),
        "is_nilpotent": is_nilpotent(g),
        "is_solvable": solvable,
        "derived_length": if solvable { Value::from(ds.len() - 1) } else { Value::Null },
        "derived_series_orders": ds.iter().map(Vec::len).collect::<Vec<_>>(),
        "derived_factors": factors,
        "abelian_invariants": ab,
        "abelian_invariant_factors": invariant_factors_of(&ab),
        "targets": targets,
        "series_hint": series_hint,
        "warnings": e.warnings.iter().map(|w| w.message.clone()).collect::<Vec<_>>(),
    })
}

fn yes_no(v: &Value) -> &'static str {
    if v.as_bool() == Some(true) {
        "yes"
    } else {
        "no"
    }
}

fn list(v: &Value) -> String {
    let items: Vec<String> = v
        .as_array()
        .map(|a| a.iter().map(|x| x.to_string()).collect())
        .unwrap_or_default();
    format!("[{}]", items.join(", "))
}

fn u32s(v: &Value) -> Vec<u32> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_u64())
                .map(|x| x as u32)
                .collect()
        })
        .unwrap_or_default()
}

fn text(r: &Value) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let name = r["name"].as_str().unwrap_or("");
    let gens: Vec<&str> = r["generators"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let at = &r["defined_at"];
    let _ = writeln!(s, "{name}: order {}", r["order"]);
    let _ = writeln!(
        s,
        "  defined at   {}:{}:{}",
        at["file"].as_str().unwrap_or(""),
        at["line"],
        at["column"]
    );
    let _ = writeln!(
        s,
        "  generators   {}",
        if gens.is_empty() {
            "(none)".to_string()
        } else {
            gens.join(", ")
        }
    );
    let _ = writeln!(s, "  abelian      {}", yes_no(&r["is_abelian"]));
    let _ = writeln!(s, "  nilpotent    {}", yes_no(&r["is_nilpotent"]));
    match r["derived_length"].as_u64() {
        Some(k) => {
            let _ = writeln!(s, "  solvable     yes, derived length {k}");
        }
        None => {
            let _ = writeln!(s, "  solvable     no");
        }
    }
    let ab = u32s(&r["abelian_invariant_factors"]);
    let _ = writeln!(
        s,
        "  G/G'         {} (invariant factors {}, prime powers {})",
        describe(&ab),
        list(&r["abelian_invariant_factors"]),
        list(&r["abelian_invariants"])
    );
    let _ = writeln!(s, "\nderived series (G(i+1) = [G(i), G(i)]):");
    let orders = r["derived_series_orders"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let factors = r["derived_factors"].as_array().cloned().unwrap_or_default();
    for (i, o) in orders.iter().enumerate() {
        match factors.get(i) {
            Some(f) => {
                let inv = u32s(&f["invariant_factors"]);
                let _ = writeln!(
                    s,
                    "  G({i})  order {:<6} G({i})/G({}) = {:<16} invariant factors {:<12} prime powers {}",
                    o.to_string(),
                    i + 1,
                    describe(&inv),
                    list(&f["invariant_factors"]),
                    list(&f["prime_powers"])
                );
            }
            None if r["is_solvable"].as_bool() == Some(false) => {
                let _ = writeln!(
                    s,
                    "  G({i})  order {o}  perfect: [G({i}), G({i})] = G({i}), so the series stops"
                );
            }
            None => {
                let _ = writeln!(s, "  G({i})  order {o}");
            }
        }
    }
    let _ = writeln!(s, "\ntargets (least number of layers):");
    for t in r["targets"].as_array().cloned().unwrap_or_default() {
        let tn = t["target"].as_str().unwrap_or("");
        match t["layers"].as_u64() {
            Some(k) => {
                let widths: Vec<String> = t["widths"]
                    .as_array()
                    .map(|a| a.iter().map(|w| w.to_string()).collect())
                    .unwrap_or_default();
                let size = match t["size"].as_str() {
                    Some(how) => format!(": {how}"),
                    None if widths.is_empty() => String::new(),
                    None => format!(", widths {}", widths.join(", ")),
                };
                let _ = writeln!(
                    s,
                    "  {tn:<12} {k} layer{}{size}",
                    if k == 1 { "" } else { "s" },
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "  {tn:<12} impossible: {}",
                    t["reason"].as_str().unwrap_or("")
                );
            }
        }
    }
    if let Some(h) = r["series_hint"].as_object() {
        let _ = writeln!(
            s,
            "\ngiven series: subgroup orders {}",
            list(&h["subgroup_orders"])
        );
        for t in h["targets"].as_array().cloned().unwrap_or_default() {
            let tn = t["target"].as_str().unwrap_or("");
            match t["layers"].as_u64() {
                Some(k) => {
                    let _ = writeln!(
                        s,
                        "  {tn:<10} valid, {k} layer{}",
                        if k == 1 { "" } else { "s" }
                    );
                }
                None => {
                    let _ = writeln!(
                        s,
                        "  {tn:<10} rejected: {}",
                        t["reason"].as_str().unwrap_or("")
                    );
                }
            }
        }
    }
    s
}
