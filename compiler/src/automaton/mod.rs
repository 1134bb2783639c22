//! Finite automata: the checked, plain form of an `automaton` definition
//! ([`Automaton`]), built from the AST by [`elaborate`], the analysis of
//! its transformation monoid in [`monoid`], and its cascade of
//! permutation-reset levels in [`holonomy`].

pub mod holonomy;
pub mod monoid;

use crate::diagnostics::{Diagnostic, Source, Span};
use crate::parse::ast::{AutoStmt, AutomatonDef, Ident, Transform};
use std::collections::HashMap;

/// Most states an automaton may have.
pub const MAX_STATES: usize = 4096;

/// A deterministic automaton with total transitions. States are numbered
/// in the order the `states` statement lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Automaton {
    pub name: String,
    pub states: Vec<String>,
    pub start: u32,
    /// `accept[q]`: whether state q accepts.
    pub accept: Vec<bool>,
    /// Per input symbol, its name and its map of the states (`map[q]` is
    /// the state reached from q).
    pub symbols: Vec<(String, Vec<u32>)>,
}

/// Check an `automaton` definition and build its [`Automaton`].
pub fn elaborate(src: &Source, def: &AutomatonDef) -> Result<Automaton, Diagnostic> {
    let err = |code: &'static str, msg: String, span: Span, label: &str| {
        Diagnostic::error(code, msg).at(src, span, label.to_string())
    };
    // States first: every other statement names them.
    let mut states: Option<(Vec<String>, Span)> = None;
    for s in &def.stmts {
        if let AutoStmt::States(ids, sp) = s {
            if let Some((_, first)) = &states {
                return Err(err(
                    "automaton::states",
                    "the states are declared twice".into(),
                    *sp,
                    "a second `states`",
                )
                .note(src, *first, "first declared here")
                .help("list every state in one `states` statement"));
            }
            if ids.len() > MAX_STATES {
                return Err(err(
                    "automaton::states",
                    format!("more than {MAX_STATES} states"),
                    *sp,
                    "too many states",
                )
                .help(format!("an automaton has at most {MAX_STATES} states")));
            }
            let mut seen: HashMap<&str, Span> = HashMap::new();
            for id in ids {
                if let Some(prev) = seen.insert(&id.name, id.span) {
                    return Err(err(
                        "automaton::duplicate-state",
                        format!("state `{}` is listed twice", id.name),
                        id.span,
                        "listed again",
                    )
                    .note(src, prev, "first listed here")
                    .help("give each state one name, once"));
                }
            }
            states = Some((ids.iter().map(|i| i.name.clone()).collect(), *sp));
        }
    }
    let Some((states, _)) = states else {
        return Err(err(
            "automaton::states",
            format!("automaton `{}` declares no states", def.name.name),
            def.name.span,
            "no `states` statement",
        )
        .help("list the states first: `states q0, q1;`"));
    };
    let index: HashMap<&str, u32> = states
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i as u32))
        .collect();
    let state = |id: &Ident| -> Result<u32, Diagnostic> {
        index.get(id.name.as_str()).copied().ok_or_else(|| {
            let hint =
                crate::elaborate::naming::suggest(&id.name, states.iter().map(String::as_str))
                    .map_or(String::new(), |s| format!("did you mean `{s}`? "));
            err(
                "automaton::unknown-state",
                format!("unknown state `{}`", id.name),
                id.span,
                "not listed in `states`",
            )
            .help(format!("{hint}the states are {}", states.join(", ")))
        })
    };
    let n = states.len();
    let mut start: Option<(u32, Span)> = None;
    let mut accept = vec![false; n];
    let mut accept_span: Option<Span> = None;
    let mut symbols: Vec<(String, Vec<u32>)> = Vec::new();
    let mut symbol_spans: HashMap<String, Span> = HashMap::new();
    for s in &def.stmts {
        match s {
            AutoStmt::States(..) => {}
            AutoStmt::Start(id, sp) => {
                if let Some((_, first)) = start {
                    return Err(err(
                        "automaton::start",
                        "the start state is given twice".into(),
                        *sp,
                        "a second `start`",
                    )
                    .note(src, first, "first given here")
                    .help("an automaton has one start state"));
                }
                start = Some((state(id)?, *sp));
            }
            AutoStmt::Accept(ids, sp) => {
                if let Some(first) = accept_span {
                    return Err(err(
                        "automaton::accept",
                        "the accepting states are given twice".into(),
                        *sp,
                        "a second `accept`",
                    )
                    .note(src, first, "first given here")
                    .help("list every accepting state in one `accept` statement"));
                }
                accept_span = Some(*sp);
                for id in ids {
                    accept[state(id)? as usize] = true;
                }
            }
            AutoStmt::Symbol(sym) => {
                if let Some(&prev) = symbol_spans.get(&sym.name.name) {
                    return Err(err(
                        "automaton::duplicate-symbol",
                        format!("symbol `{}` is defined twice", sym.name.name),
                        sym.name.span,
                        "defined again",
                    )
                    .note(src, prev, "first defined here")
                    .help("give each input symbol one transformation"));
                }
                let map = transform(src, &sym.transform, &state, n, sym.span, &states)?;
                symbol_spans.insert(sym.name.name.clone(), sym.name.span);
                symbols.push((sym.name.name.clone(), map));
            }
        }
    }
    let Some((start, _)) = start else {
        return Err(err(
            "automaton::start",
            format!("automaton `{}` has no start state", def.name.name),
            def.name.span,
            "no `start` statement",
        )
        .help(format!("name the start state, e.g. `start {};`", states[0])));
    };
    if symbols.is_empty() {
        return Err(err(
            "automaton::symbols",
            format!("automaton `{}` has no input symbols", def.name.name),
            def.name.span,
            "no `symbol` statement",
        )
        .help("give each input symbol its transformation: `symbol a: q0 -> q1, q1 -> q0;`"));
    }
    Ok(Automaton {
        name: def.name.name.clone(),
        states,
        start,
        accept,
        symbols,
    })
}

/// One symbol's map of the states, checked total and single-valued.
fn transform(
    src: &Source,
    t: &Transform,
    state: &dyn Fn(&Ident) -> Result<u32, Diagnostic>,
    n: usize,
    span: Span,
    names: &[String],
) -> Result<Vec<u32>, Diagnostic> {
    match t {
        Transform::Identity => Ok((0..n as u32).collect()),
        Transform::Cycles(cycles) => {
            let mut map: Vec<u32> = (0..n as u32).collect();
            let mut seen: Vec<Option<Span>> = vec![None; n];
            for c in cycles {
                let pts = c.iter().map(state).collect::<Result<Vec<u32>, _>>()?;
                for (id, &p) in c.iter().zip(&pts) {
                    if let Some(prev) = seen[p as usize] {
                        return Err(Diagnostic::error(
                            "automaton::not-a-permutation",
                            format!("state `{}` appears twice in the cycles", id.name),
                        )
                        .at(src, id.span, "appears again")
                        .note(src, prev, "first here")
                        .help(
                            "cycles of a permutation are disjoint: each state appears at most once",
                        ));
                    }
                    seen[p as usize] = Some(id.span);
                }
                for k in 0..pts.len() {
                    map[pts[k] as usize] = pts[(k + 1) % pts.len()];
                }
            }
            Ok(map)
        }
        Transform::Clauses(clauses) => {
            let mut map: Vec<Option<u32>> = vec![None; n];
            let mut from_span: Vec<Option<Span>> = vec![None; n];
            let mut star: Option<(u32, Span)> = None;
            for c in clauses {
                let to = state(&c.to)?;
                match &c.from {
                    None => {
                        if let Some((_, prev)) = star {
                            return Err(Diagnostic::error(
                                "automaton::not-a-map",
                                "`*` is given twice",
                            )
                            .at(src, c.span, "a second `* -> …`")
                            .note(src, prev, "first here")
                            .help("`* -> q` maps every state not listed to q: give it once"));
                        }
                        star = Some((to, c.span));
                    }
                    Some(f) => {
                        let q = state(f)? as usize;
                        if let Some(prev) = from_span[q] {
                            return Err(Diagnostic::error(
                                "automaton::not-a-map",
                                format!("state `{}` is mapped twice", f.name),
                            )
                            .at(src, c.span, "mapped again")
                            .note(src, prev, "first mapped here")
                            .help("a symbol sends each state to exactly one state"));
                        }
                        map[q] = Some(to);
                        from_span[q] = Some(c.span);
                    }
                }
            }
            let missing: Vec<&str> = (0..n)
                .filter(|&q| map[q].is_none())
                .map(|q| names[q].as_str())
                .collect();
            match star {
                Some((to, _)) => Ok(map.into_iter().map(|m| m.unwrap_or(to)).collect()),
                None if missing.is_empty() => {
                    Ok(map.into_iter().map(|m| m.expect("total")).collect())
                }
                None => Err(Diagnostic::error(
                    "automaton::not-total",
                    format!(
                        "the map leaves state{} {} unmapped",
                        if missing.len() == 1 { "" } else { "s" },
                        missing.join(", ")
                    ),
                )
                .at(src, span, "not a total map")
                .help(format!(
                    "map every state, or send the rest with `* -> q`; e.g. add `{} -> {}`",
                    missing[0], missing[0]
                ))),
            }
        }
    }
}
