//! `gssm check FILE [GROUP]`: build a group and report its structure — order,
//! abelian / nilpotent / solvable, derived series with each factor's
//! invariants — and, per target, the least number of layers or why none
//! suffices. `--json` prints the same as one JSON object.
//!
//! The report itself is `gssm_compiler::report::check_any`; this module parses
//! the flags and renders it (`text` names each line of the text form). A
//! permutation group past the element limit is reported from its
//! stabiliser chain (`report::check_chain`), a pc group past it from its
//! presentation (`report::check_pc`); their big numbers are JSON strings,
//! printed as they are.

use super::common::report;
use super::source::{checked_from, load_automaton, SourceLimits};
use gssm_compiler::automaton::Automaton;
use gssm_compiler::diagnostics::Diagnostic;
use gssm_compiler::report::automaton::check_automaton;
use gssm_compiler::report::check_any;
use gssm_compiler::report::pc::pc_definition;
use serde_json::Value;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Source file (.gssm).
    pub file: std::path::PathBuf,
    /// Group or automaton to check: a name, an expression such as
    /// 'Dihedral(8) x C2', or an automaton with its arguments such as
    /// 'CounterReset(3)' (default: the last definition in the file).
    pub group: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print a polycyclic presentation of the (solvable) group instead,
    /// as a `group NAME = pc< … | … >` definition that reads back as the
    /// same group.
    #[arg(long, conflicts_with = "json")]
    pub pc: bool,
    #[command(flatten)]
    pub limits: SourceLimits,
}

pub fn run(a: Args) -> ExitCode {
    let program = match load_automaton(&a.file, a.group.as_deref(), &a.limits) {
        Ok(Ok(aut)) => return run_automaton(&aut, &a),
        Ok(Err(p)) => p,
        Err(code) => return code,
    };
    let checked = match checked_from(&program, a.group.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if a.pc {
        return match pc_definition(&checked, &a.limits.get()) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(d) => {
                report(&d);
                ExitCode::FAILURE
            }
        };
    }
    let structure = match check_any(&checked) {
        Ok(s) => s,
        Err(d) => {
            report(&d);
            return ExitCode::FAILURE;
        }
    };
    // The report as JSON, keys sorted; the text form is rendered from it.
    let r = serde_json::to_value(structure).expect("the report serialises");
    print_report(&r, a.json, text)
}

/// A report as pretty JSON, or as the text `render` makes of it.
fn print_report(r: &Value, json: bool, render: fn(&Value) -> String) -> ExitCode {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(r).expect("JSON values serialise")
        );
    } else {
        print!("{}", render(r));
    }
    ExitCode::SUCCESS
}

/// `gssm check` on an automaton: its monoid's report, as text or JSON.
fn run_automaton(aut: &Automaton, a: &Args) -> ExitCode {
    let r = match check_automaton(aut, &a.limits.get()) {
        Ok(r) => r,
        Err(e) => {
            report(&Diagnostic::error("automaton::monoid", e.to_string()).help(
                "the monoid is enumerated element by element: raise --max-elements, or use fewer states or symbols",
            ));
            return ExitCode::FAILURE;
        }
    };
    let r = serde_json::to_value(r).expect("the report serialises");
    print_report(&r, a.json, automaton_text)
}

/// A target entry's layer widths, as text.
fn widths(t: &Value) -> Vec<String> {
    t["widths"]
        .as_array()
        .map(|a| a.iter().map(|w| w.to_string()).collect())
        .unwrap_or_default()
}

/// The text form of an automaton's report.
fn automaton_text(r: &Value) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let symbols: Vec<&str> = r["symbols"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "{}: automaton, {} states, symbols {}",
        r["name"].as_str().unwrap_or(""),
        r["states"],
        symbols.join(", ")
    );
    let _ = writeln!(
        s,
        "  monoid       {} elements, {} idempotents",
        r["monoid_size"], r["idempotents"]
    );
    let verdict = match r["verdict"].as_str().unwrap_or("") {
        "aperiodic" => "aperiodic (star-free: a cascade of resets)".to_string(),
        "solvable" => "solvable (resets and abelian groups)".to_string(),
        v => match r["subgroups"]
            .as_array()
            .and_then(|a| a.iter().find(|g| g["is_solvable"].as_bool() == Some(false)))
        {
            Some(g) => format!("{v} (holds a non-solvable group of order {})", g["order"]),
            None => v.to_string(),
        },
    };
    let _ = writeln!(s, "  verdict      {verdict}");
    let subgroups = r["subgroups"].as_array().cloned().unwrap_or_default();
    if subgroups.is_empty() {
        let _ = writeln!(s, "  subgroups    none but the trivial");
    }
    for g in &subgroups {
        let _ = writeln!(
            s,
            "  subgroup     order {} on {} states, abelian {}, solvable {}",
            g["order"],
            g["image_size"],
            yes_no(&g["is_abelian"]),
            yes_no(&g["is_solvable"])
        );
    }
    match r["cascade_depth"].as_u64() {
        Some(d) => {
            let _ = writeln!(s, "  cascade      {d} level(s) (holonomy decomposition)");
        }
        None => {
            let _ = writeln!(
                s,
                "  cascade      not built: {}",
                r["cascade_error"].as_str().unwrap_or("")
            );
        }
    }
    let _ = writeln!(s, "\ntargets:");
    for t in r["targets"].as_array().cloned().unwrap_or_default() {
        let tn = t["target"].as_str().unwrap_or("");
        match t["layers"].as_u64() {
            Some(k) => {
                let widths = widths(&t);
                let _ = writeln!(
                    s,
                    "  {tn:<12} {k} layer{} of width{} {}",
                    if k == 1 { "" } else { "s" },
                    if k == 1 { "" } else { "s" },
                    widths.join(", ")
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
    s
}

/// A number of the report: a JSON number, or a string of digits for one
/// too big for every JSON reader.
fn num(v: &Value) -> String {
    match v.as_str() {
        Some(s) => s.to_string(),
        None => v.to_string(),
    }
}

/// "C2 x C4" from invariant factors; "1" for the trivial group.
fn describe(inv: &Value) -> String {
    let inv = inv.as_array().cloned().unwrap_or_default();
    if inv.is_empty() {
        "1".into()
    } else {
        inv.iter()
            .map(|n| format!("C{}", num(n)))
            .collect::<Vec<_>>()
            .join(" x ")
    }
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
        .map(|a| a.iter().map(num).collect())
        .unwrap_or_default();
    format!("[{}]", items.join(", "))
}

/// The text form of the report (its JSON value), a line per fact.
fn text(r: &Value) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let name = r["name"].as_str().unwrap_or("");
    let gens: Vec<&str> = r["generators"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let at = &r["defined_at"];
    let _ = writeln!(s, "{name}: order {}", num(&r["order"]));
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
    let _ = writeln!(
        s,
        "  G/G'         {} (invariant factors {}, prime powers {})",
        describe(&r["abelian_invariant_factors"]),
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
                let _ = writeln!(
                    s,
                    "  G({i})  order {:<6} G({i})/G({}) = {:<16} invariant factors {:<12} prime powers {}",
                    num(o),
                    i + 1,
                    describe(&f["invariant_factors"]),
                    list(&f["invariant_factors"]),
                    list(&f["prime_powers"])
                );
            }
            None if r["is_solvable"].as_bool() == Some(false) => {
                let _ = writeln!(
                    s,
                    "  G({i})  order {}  perfect: [G({i}), G({i})] = G({i}), so the series stops",
                    num(o)
                );
            }
            None => {
                let _ = writeln!(s, "  G({i})  order {}", num(o));
            }
        }
    }
    let _ = writeln!(s, "\ntargets (least number of layers):");
    for t in r["targets"].as_array().cloned().unwrap_or_default() {
        let tn = t["target"].as_str().unwrap_or("");
        match t["layers"].as_u64() {
            Some(k) => {
                let widths = widths(&t);
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
