//! Finite automata: the checked, plain form of an `automaton` definition
//! ([`Automaton`]), built from a body of statements by [`from_stmts`], from a
//! group's action by [`from_action`], or from a regular expression by
//! [`regex::compile`]; the analysis of its transformation monoid is in
//! [`monoid`], and its cascade of permutation-reset levels in [`holonomy`].

pub mod holonomy;
pub mod monoid;
pub mod regex;

use crate::diagnostics::{Diagnostic, Source, Span};
use crate::elaborate::int::{self, Vars};
use crate::parse::ast::{
    AutoStmt, Entry, ForClause, IExpr, MessagePart, StateRef, SymbolDef, SymbolName, Transform,
};
use std::collections::HashMap;

/// Most states an automaton may have.
pub const MAX_STATES: usize = 4096;
/// Most input symbols an automaton may have.
pub const MAX_SYMBOLS: usize = 4096;
/// Most entries of all the symbols' maps together (states × symbols): the
/// maps are stored whole.
pub const MAX_MAP_ENTRIES: usize = 1 << 22;
/// Most loop iterations and range points one definition may expand.
const MAX_LOOP_STEPS: u64 = 1 << 22;
/// Most state names one error lists.
const MAX_LISTED: usize = 8;

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

type Result<T> = std::result::Result<T, Diagnostic>;

/// Check the statements of an `automaton NAME { … }` body, with the
/// definition's parameters bound in `vars`, and build its [`Automaton`]
/// called `name` (`CounterReset(3)` for an instance).
pub fn from_stmts(
    src: &Source,
    name: &str,
    name_span: Span,
    stmts: &[AutoStmt],
    vars: &mut Vars,
) -> Result<Automaton> {
    let mut cx = Cx::new(src, vars);
    // States first: every other statement names them.
    let mut declared: Option<Span> = None;
    for s in stmts {
        if let AutoStmt::States(entries, sp) = s {
            if let Some(first) = declared {
                return Err(Diagnostic::error(
                    "automaton::states",
                    "the states are declared twice",
                )
                .at(src, *sp, "a second `states`")
                .note(src, first, "first declared here")
                .help("list every state in one `states` statement"));
            }
            declared = Some(*sp);
            for entry in entries {
                cx.each(&entry.fors, entry.cond.as_ref(), &mut |cx| {
                    for n in cx.names(&entry.state)? {
                        cx.declare(n, entry.state.span)?;
                    }
                    Ok(())
                })?;
            }
        }
    }
    if declared.is_none() {
        return Err(Diagnostic::error(
            "automaton::states",
            format!("automaton `{name}` declares no states"),
        )
        .at(src, name_span, "no `states` statement")
        .help("list the states first: `states q0, q1;` or `states q[0..n-1];`"));
    }
    if cx.states.is_empty() {
        return Err(Diagnostic::error(
            "automaton::states",
            format!("automaton `{name}` has no states"),
        )
        .at(
            src,
            declared.unwrap_or(name_span),
            "these loops declare no state",
        )
        .help("an automaton needs at least one state: check the ranges of the loops"));
    }
    cx.rest(name, name_span, stmts, None)
}

/// The automaton of a group's generators permuting points: `perms[j][i]`
/// is the image of point i (named p{i+1}) under generator `gens[j]`. The
/// start is p1 unless `stmts` (`start` and `accept` only) say otherwise.
#[allow(clippy::too_many_arguments)]
pub fn from_action(
    src: &Source,
    name: &str,
    name_span: Span,
    group_span: Span,
    gens: &[String],
    perms: &[Vec<u32>],
    degree: usize,
    stmts: &[AutoStmt],
    vars: &mut Vars,
) -> Result<Automaton> {
    if degree > MAX_STATES {
        return Err(Diagnostic::error(
            "automaton::states",
            format!("the group acts on {degree} points, more than the {MAX_STATES} states an automaton may have"),
        )
        .at(src, group_span, "too many points")
        .help("use a group of smaller degree"));
    }
    let mut cx = Cx::new(src, vars);
    for i in 0..degree {
        cx.declare(format!("p{}", i + 1), group_span)?;
    }
    for s in stmts {
        if let AutoStmt::States(_, sp) | AutoStmt::Symbol(SymbolDef { span: sp, .. }) = s {
            return Err(Diagnostic::error(
                "automaton::action",
                "an automaton from a group action takes its states and symbols from the group",
            )
            .at(src, *sp, "not allowed here")
            .help("the states are the points p1, p2, …, the symbols the group's generators: give only `start` and `accept`"));
        }
    }
    let symbols: Vec<(String, Vec<u32>)> =
        gens.iter().cloned().zip(perms.iter().cloned()).collect();
    if symbols.is_empty() {
        return Err(Diagnostic::error(
            "automaton::symbols",
            format!("automaton `{name}` has no input symbols: the group has no generators"),
        )
        .at(src, group_span, "a group without generators")
        .help("act with a group that has generators, e.g. `Cyclic(2)`"));
    }
    cx.rest(name, name_span, stmts, Some(symbols))
}

/// A definition's states as they are declared, and its loop budget.
struct Cx<'a> {
    src: &'a Source,
    vars: &'a mut Vars,
    steps: u64,
    states: Vec<String>,
    index: HashMap<String, u32>,
    /// Where each state was declared.
    spans: Vec<Span>,
}

impl<'a> Cx<'a> {
    fn new(src: &'a Source, vars: &'a mut Vars) -> Self {
        Cx {
            src,
            vars,
            steps: 0,
            states: Vec::new(),
            index: HashMap::new(),
            spans: Vec::new(),
        }
    }

    fn declare(&mut self, name: String, span: Span) -> Result<()> {
        if let Some(&prev) = self.index.get(&name) {
            return Err(Diagnostic::error(
                "automaton::duplicate-state",
                format!("state `{name}` is listed twice"),
            )
            .at(self.src, span, "listed again")
            .note(self.src, self.spans[prev as usize], "first listed here")
            .help("give each state one name, once"));
        }
        if self.states.len() == MAX_STATES {
            return Err(Diagnostic::error(
                "automaton::states",
                format!("more than {MAX_STATES} states"),
            )
            .at(self.src, span, "too many states")
            .help(format!("an automaton has at most {MAX_STATES} states")));
        }
        self.index.insert(name.clone(), self.states.len() as u32);
        self.states.push(name);
        self.spans.push(span);
        Ok(())
    }

    /// Count one loop iteration or range point against the budget.
    fn step(&mut self, span: Span) -> Result<()> {
        self.steps += 1;
        if self.steps > MAX_LOOP_STEPS {
            return Err(Diagnostic::error(
                "automaton::loop",
                format!("this definition's loops and ranges run more than {MAX_LOOP_STEPS} steps"),
            )
            .at(self.src, span, "too many iterations")
            .help("narrow the ranges"));
        }
        Ok(())
    }

    fn eval(&self, e: &IExpr) -> Result<i64> {
        int::eval(self.src, self.vars, e)
    }

    /// Run `f` once per iteration of the loops `fors` (nested, the first
    /// outermost) for which `cond` holds.
    fn each<F: FnMut(&mut Self) -> Result<()>>(
        &mut self,
        fors: &[ForClause],
        cond: Option<&IExpr>,
        f: &mut F,
    ) -> Result<()> {
        let Some((fc, rest)) = fors.split_first() else {
            if let Some(c) = cond {
                if self.eval(c)? == 0 {
                    return Ok(());
                }
            }
            return f(self);
        };
        let (a, b) = (self.eval(&fc.from)?, self.eval(&fc.to)?);
        for k in a..=b {
            self.step(fc.span)?;
            self.vars.push(&fc.var.name, k);
            let r = self.each(rest, cond, f);
            self.vars.pop();
            r?;
        }
        Ok(())
    }

    /// The names a reference denotes: one for `q` or `q[i]`, one per index
    /// for ranges (`q[0..2]`: q[0], q[1], q[2]; several ranges: every
    /// combination, the last varying fastest).
    fn names(&mut self, r: &StateRef) -> Result<Vec<String>> {
        let Some(index) = &r.index else {
            return Ok(vec![r.name.name.clone()]);
        };
        let mut lists: Vec<Vec<i64>> = Vec::with_capacity(index.len());
        let mut count: usize = 1;
        for e in index {
            let list = match e {
                Entry::Point(x) => vec![self.eval(x)?],
                Entry::Range(a, b, sp) => {
                    let (a, b) = (self.eval(a)?, self.eval(b)?);
                    if b >= a && (b as i128 - a as i128) >= MAX_STATES as i128 {
                        return Err(Diagnostic::error(
                            "automaton::range",
                            format!("the range {a}..{b} has more than {MAX_STATES} indices"),
                        )
                        .at(self.src, *sp, "too long")
                        .help(format!("an automaton has at most {MAX_STATES} states")));
                    }
                    (a..=b).collect()
                }
            };
            count = count.saturating_mul(list.len());
            lists.push(list);
        }
        if count > MAX_STATES {
            return Err(Diagnostic::error(
                "automaton::range",
                format!(
                    "`{}` names {count} states, more than an automaton has",
                    r.name.name
                ),
            )
            .at(self.src, r.span, "too many states")
            .help(format!("an automaton has at most {MAX_STATES} states")));
        }
        let mut out = Vec::with_capacity(count);
        let mut idx = vec![0usize; lists.len()];
        if count == 0 {
            return Ok(out);
        }
        loop {
            self.step(r.span)?;
            let values: Vec<i64> = idx.iter().zip(&lists).map(|(&i, l)| l[i]).collect();
            out.push(indexed_name(&r.name.name, &values));
            // Odometer: the last index varies fastest.
            let mut d = lists.len();
            loop {
                if d == 0 {
                    return Ok(out);
                }
                d -= 1;
                idx[d] += 1;
                if idx[d] < lists[d].len() {
                    break;
                }
                idx[d] = 0;
            }
        }
    }

    /// The state `r` names, which must be one.
    fn one(&mut self, r: &StateRef) -> Result<u32> {
        let names = self.names(r)?;
        if names.len() != 1 {
            return Err(Diagnostic::error(
                "automaton::not-one-state",
                format!("`{}` names {} states where one is needed", crate::elaborate::int::text_of(self.src, r.span), names.len()),
            )
            .at(self.src, r.span, "not a single state")
            .help("a start state and the target of a clause are single states: index them without a range"));
        }
        self.lookup(r, &names[0])
    }

    fn lookup(&self, r: &StateRef, name: &str) -> Result<u32> {
        if let Some(&q) = self.index.get(name) {
            return Ok(q);
        }
        let base = &r.name.name;
        let prefix = format!("{base}[");
        let family: Vec<&String> = self
            .states
            .iter()
            .filter(|s| s.starts_with(&prefix))
            .collect();
        if r.index.is_some() && !family.is_empty() {
            return Err(Diagnostic::error(
                "automaton::index",
                format!("state `{name}` is not declared: the index is out of range"),
            )
            .at(self.src, r.span, format!("is `{name}`"))
            .help(format!(
                "`{base}` is declared as {} ({} state{})",
                family_ranges(base, &family),
                family.len(),
                if family.len() == 1 { "" } else { "s" }
            )));
        }
        // Suggest among plain names and family names alike.
        let mut bases: Vec<&str> = self
            .states
            .iter()
            .map(|s| s.split('[').next().unwrap_or(s))
            .collect();
        bases.dedup();
        let hint = crate::elaborate::naming::suggest(base, bases.iter().copied())
            .map_or(String::new(), |s| format!("did you mean `{s}`? "));
        let (label, what) = if r.index.is_some() && self.index.contains_key(base.as_str()) {
            (
                "has no index",
                format!("`{base}` is a plain state, without an index; "),
            )
        } else {
            ("not listed in `states`", String::new())
        };
        Err(Diagnostic::error(
            "automaton::unknown-state",
            format!("unknown state `{name}`"),
        )
        .at(self.src, r.span, label)
        .help(format!(
            "{hint}{what}the states are {}",
            listed(&self.states)
        )))
    }

    /// Everything after the states: start, accept, symbols (or the
    /// symbols given, for an action).
    fn rest(
        mut self,
        name: &str,
        name_span: Span,
        stmts: &[AutoStmt],
        given: Option<Vec<(String, Vec<u32>)>>,
    ) -> Result<Automaton> {
        let src = self.src;
        let n = self.states.len();
        let mut start: Option<(u32, Span)> = None;
        let mut accept = vec![false; n];
        let mut accept_span: Option<Span> = None;
        let from_group = given.is_some();
        let mut symbols: Vec<(String, Vec<u32>)> = given.unwrap_or_default();
        let mut symbol_spans: HashMap<String, Span> = HashMap::new();
        for s in stmts {
            match s {
                AutoStmt::States(..) => {}
                AutoStmt::Start(r, sp) => {
                    if let Some((_, first)) = start {
                        return Err(Diagnostic::error(
                            "automaton::start",
                            "the start state is given twice",
                        )
                        .at(src, *sp, "a second `start`")
                        .note(src, first, "first given here")
                        .help("an automaton has one start state"));
                    }
                    start = Some((self.one(r)?, *sp));
                }
                AutoStmt::Accept(entries, sp) => {
                    if let Some(first) = accept_span {
                        return Err(Diagnostic::error(
                            "automaton::accept",
                            "the accepting states are given twice",
                        )
                        .at(src, *sp, "a second `accept`")
                        .note(src, first, "first given here")
                        .help("list every accepting state in one `accept` statement"));
                    }
                    accept_span = Some(*sp);
                    for entry in entries {
                        self.each(&entry.fors, entry.cond.as_ref(), &mut |cx| {
                            for q in cx.names(&entry.state)? {
                                accept[cx.lookup(&entry.state, &q)? as usize] = true;
                            }
                            Ok(())
                        })?;
                    }
                }
                AutoStmt::Symbol(sym) => {
                    self.each(&sym.fors, sym.cond.as_ref(), &mut |cx| {
                        let sname = cx.symbol_name(&sym.name)?;
                        let nspan = sym.name.span();
                        if let Some(&prev) = symbol_spans.get(&sname) {
                            let d = Diagnostic::error(
                                "automaton::duplicate-symbol",
                                format!("symbol `{sname}` is defined twice"),
                            )
                            .at(src, nspan, "defined again");
                            let d = if prev == nspan { d } else { d.note(src, prev, "first defined here") };
                            return Err(d.help("give each input symbol one transformation"));
                        }
                        if symbols.len() == MAX_SYMBOLS || (symbols.len() + 1) * n > MAX_MAP_ENTRIES {
                            return Err(Diagnostic::error(
                                "automaton::symbols",
                                format!("too many symbols: more than {} for {n} states", symbols.len()),
                            )
                            .at(src, sym.span, "one symbol too many")
                            .help(format!("an automaton has at most {MAX_SYMBOLS} symbols, and states × symbols at most {MAX_MAP_ENTRIES}")));
                        }
                        let map = cx.transform(&sym.transform, sym.span)?;
                        symbol_spans.insert(sname.clone(), nspan);
                        symbols.push((sname, map));
                        Ok(())
                    })?;
                }
            }
        }
        let start = match start {
            Some((q, _)) => q,
            None if from_group => 0,
            None => {
                return Err(Diagnostic::error(
                    "automaton::start",
                    format!("automaton `{name}` has no start state"),
                )
                .at(src, name_span, "no `start` statement")
                .help(format!(
                    "name the start state, e.g. `start {};`",
                    self.states[0]
                )))
            }
        };
        if symbols.is_empty() {
            return Err(Diagnostic::error(
                "automaton::symbols",
                format!("automaton `{name}` has no input symbols"),
            )
            .at(src, name_span, "no `symbol` statement")
            .help("give each input symbol its transformation: `symbol a: q0 -> q1, q1 -> q0;`"));
        }
        Ok(Automaton {
            name: name.to_string(),
            states: self.states,
            start,
            accept,
            symbols,
        })
    }

    fn symbol_name(&mut self, n: &SymbolName) -> Result<String> {
        match n {
            SymbolName::Digits(d) => Ok(d.name.clone()),
            SymbolName::Name(r) => {
                if r.index
                    .iter()
                    .flatten()
                    .any(|e| matches!(e, Entry::Range(..)))
                {
                    return Err(Diagnostic::error(
                        "automaton::symbol-name",
                        "a symbol's name has no ranges",
                    )
                    .at(self.src, r.span, "names several symbols")
                    .help("to define a family of symbols, loop over them: `symbol o[j] for j in 1..k: …`"));
                }
                Ok(self.names(r)?.remove(0))
            }
            SymbolName::Text(m) => {
                let mut out = String::new();
                for p in &m.parts {
                    match p {
                        MessagePart::Text(t) => out.push_str(t),
                        MessagePart::Expr(e) => out.push_str(&self.eval(e)?.to_string()),
                    }
                }
                if out.trim().is_empty() {
                    return Err(Diagnostic::error(
                        "automaton::symbol-name",
                        "a symbol's name is empty",
                    )
                    .at(self.src, m.span, "an empty name")
                    .help("give the symbol a name, e.g. `\"o{j}\"`"));
                }
                Ok(out)
            }
        }
    }

    /// One symbol's map of the states, checked total and single-valued.
    fn transform(&mut self, t: &Transform, span: Span) -> Result<Vec<u32>> {
        let src = self.src;
        let n = self.states.len();
        match t {
            Transform::Identity => Ok((0..n as u32).collect()),
            Transform::Cycles(cycles) => {
                let mut map: Vec<u32> = (0..n as u32).collect();
                let mut seen: Vec<Option<Span>> = vec![None; n];
                for c in cycles {
                    let mut pts = Vec::new();
                    for r in c {
                        for q in self.names(r)? {
                            let p = self.lookup(r, &q)?;
                            if let Some(prev) = seen[p as usize] {
                                return Err(Diagnostic::error(
                                    "automaton::not-a-permutation",
                                    format!("state `{q}` appears twice in the cycles"),
                                )
                                .at(src, r.span, "appears again")
                                .note(src, prev, "first here")
                                .help("cycles of a permutation are disjoint: each state appears at most once"));
                            }
                            seen[p as usize] = Some(r.span);
                            pts.push(p);
                        }
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
                    self.each(&c.fors, c.cond.as_ref(), &mut |cx| {
                        let to = cx.one(&c.to)?;
                        let Some(f) = &c.from else {
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
                            return Ok(());
                        };
                        for name in cx.names(f)? {
                            let q = cx.lookup(f, &name)? as usize;
                            if let Some(prev) = from_span[q] {
                                let d = Diagnostic::error(
                                    "automaton::not-a-map",
                                    format!("state `{name}` is mapped twice"),
                                )
                                .at(src, c.span, "mapped again");
                                let d = if prev == c.span {
                                    d
                                } else {
                                    d.note(src, prev, "first mapped here")
                                };
                                return Err(
                                    d.help("a symbol sends each state to exactly one state")
                                );
                            }
                            map[q] = Some(to);
                            from_span[q] = Some(c.span);
                        }
                        Ok(())
                    })?;
                }
                let missing: Vec<String> = (0..n)
                    .filter(|&q| map[q].is_none())
                    .map(|q| self.states[q].clone())
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
                            listed(&missing)
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
}

/// `q[3]`, `s[1,2]`: how an indexed state is named.
pub fn indexed_name(base: &str, index: &[i64]) -> String {
    let parts: Vec<String> = index.iter().map(i64::to_string).collect();
    format!("{base}[{}]", parts.join(","))
}

/// Names joined by ", ", at most [`MAX_LISTED`] of them.
fn listed(names: &[String]) -> String {
    if names.len() <= MAX_LISTED {
        return names.join(", ");
    }
    format!(
        "{}, … ({} in all)",
        names[..MAX_LISTED].join(", "),
        names.len()
    )
}

/// A family's declared indices as ranges per position: `q[0..4]`,
/// `s[0..2, 0..8]`.
fn family_ranges(base: &str, family: &[&String]) -> String {
    let mut lo: Vec<i64> = Vec::new();
    let mut hi: Vec<i64> = Vec::new();
    for name in family {
        let inner = &name[base.len() + 1..name.len() - 1];
        for (d, v) in inner
            .split(',')
            .filter_map(|x| x.parse::<i64>().ok())
            .enumerate()
        {
            if d == lo.len() {
                lo.push(v);
                hi.push(v);
            }
            lo[d] = lo[d].min(v);
            hi[d] = hi[d].max(v);
        }
    }
    let parts: Vec<String> = lo
        .iter()
        .zip(&hi)
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}..{b}")
            }
        })
        .collect();
    format!("{base}[{}]", parts.join(", "))
}
