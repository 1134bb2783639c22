//! `automaton NAME = regex "…" over a, b`: the minimal complete DFA of a
//! regular expression over a declared alphabet of one-character symbols.
//!
//! The pattern is read with the `regex` crate's syntax (regex-syntax, for
//! errors that point into the pattern) and determinised by regex-automata.
//! That DFA runs over bytes and is minimal over all 256 of them, not over
//! the alphabet, so it is walked from its anchored start over the declared
//! symbols only, and the reachable part is minimised here by partition
//! refinement. A word is accepted when the whole word matches: the start is
//! anchored and acceptance is read after the end of input.

use super::{Automaton, MAX_STATES};
use crate::diagnostics::{Diagnostic, Source, Span};
use crate::parse::ast::RegexSource;
use crate::parse::MAX_NESTING;
use regex_automata::dfa::{dense, Automaton as _, StartKind};
use regex_automata::nfa::thompson;
use regex_automata::util::{start, syntax};
use regex_automata::{Anchored, MatchKind};
use regex_syntax::ast::{self, Ast, ClassSetItem};
use std::collections::HashMap;

/// Most bytes regex-automata may spend on the DFA and on determinising it.
const MAX_DFA_BYTES: usize = 64 << 20;

type Result<T> = std::result::Result<T, Diagnostic>;

/// The minimal complete DFA of `r`, named `name`; its states are s0, s1, …
/// in breadth-first order from the start (s0), its symbols the alphabet in
/// the order given.
pub fn compile(src: &Source, name: &str, r: &RegexSource) -> Result<Automaton> {
    let alphabet = alphabet(src, r)?;
    check_pattern(src, r, &alphabet)?;
    let dfa = dense::Builder::new()
        .configure(
            dense::Config::new()
                // Every match, so that a preferred shorter alternative
                // cannot hide a match that ends at the end of the word.
                .match_kind(MatchKind::All)
                .start_kind(StartKind::Anchored)
                .minimize(false)
                .dfa_size_limit(Some(MAX_DFA_BYTES))
                .determinize_size_limit(Some(MAX_DFA_BYTES)),
        )
        .syntax(
            syntax::Config::new()
                .unicode(false)
                .utf8(false)
                .nest_limit(MAX_NESTING as u32),
        )
        .thompson(thompson::Config::new().utf8(false))
        .build(&r.pattern)
        .map_err(|e| {
            Diagnostic::error(
                "regex::unsupported",
                format!("cannot compile the regular expression: {e}"),
            )
            .at(src, r.pattern_span, "this regular expression")
            .help("simplify the expression: counted repetitions such as `a{1000}` and large classes make large automata")
        })?;
    let start = dfa
        .start_state(&start::Config::new().anchored(Anchored::Yes))
        .map_err(|e| {
            Diagnostic::error("regex::unsupported", format!("no start state: {e}"))
                .at(src, r.pattern_span, "this regular expression")
                .help("remove assertions such as `^`, `$` and `\\b`")
        })?;
    // The part of the DFA the alphabet reaches, breadth first.
    let mut ids = vec![start];
    let mut seen = HashMap::from([(start, 0u32)]);
    let mut next: Vec<Vec<u32>> = Vec::new();
    let mut accept: Vec<bool> = Vec::new();
    let mut head = 0;
    while head < ids.len() {
        let s = ids[head];
        accept.push(dfa.is_match_state(dfa.next_eoi_state(s)));
        let mut row = Vec::with_capacity(alphabet.len());
        for &c in &alphabet {
            let t = dfa.next_state(s, c as u8);
            let k = match seen.get(&t) {
                Some(&k) => k,
                None => {
                    if ids.len() == MAX_STATES {
                        return Err(Diagnostic::error(
                            "regex::too-large",
                            format!(
                                "the regular expression's DFA has more than {MAX_STATES} states"
                            ),
                        )
                        .at(src, r.pattern_span, "too many states before minimising")
                        .help(format!(
                            "an automaton has at most {MAX_STATES} states: simplify the expression"
                        )));
                    }
                    ids.push(t);
                    seen.insert(t, ids.len() as u32 - 1);
                    ids.len() as u32 - 1
                }
            };
            row.push(k);
        }
        next.push(row);
        head += 1;
    }
    let (next, accept) = minimise(&next, &accept);
    Ok(Automaton {
        name: name.to_string(),
        states: (0..next.len()).map(|i| format!("s{i}")).collect(),
        start: 0,
        accept,
        symbols: alphabet
            .iter()
            .enumerate()
            .map(|(a, c)| (c.to_string(), next.iter().map(|row| row[a]).collect()))
            .collect(),
    })
}

/// The alphabet's characters, each given once.
fn alphabet(src: &Source, r: &RegexSource) -> Result<Vec<char>> {
    let mut out: Vec<char> = Vec::new();
    for (i, id) in r.alphabet.iter().enumerate() {
        let c = id.name.chars().next().expect("a one-character symbol");
        if let Some(j) = out.iter().position(|&d| d == c) {
            return Err(Diagnostic::error(
                "automaton::duplicate-symbol",
                format!("symbol `{c}` is listed twice"),
            )
            .at(src, id.span, "listed again")
            .note(src, r.alphabet[j].span, "first listed here")
            .help("list each symbol of the alphabet once"));
        }
        debug_assert_eq!(out.len(), i);
        out.push(c);
    }
    Ok(out)
}

/// Syntax errors, unsupported features, assertions, and literal characters
/// outside the alphabet, each pointed at in the pattern.
fn check_pattern(src: &Source, r: &RegexSource, alphabet: &[char]) -> Result<()> {
    // The pattern is the source text between the quotes, so offsets into it
    // are offsets from the span's start.
    let at = |s: &ast::Span| {
        Span::new(
            r.pattern_span.start + s.start.offset,
            r.pattern_span.start + s.end.offset.max(s.start.offset + 1),
        )
    };
    let parsed = ast::parse::ParserBuilder::new()
        .nest_limit(MAX_NESTING as u32)
        .build()
        .parse(&r.pattern)
        .map_err(|e| {
            Diagnostic::error("regex::syntax", format!("invalid regular expression: {}", e.kind()))
                .at(src, at(e.span()), "here")
                .help("the syntax is that of Rust's `regex` crate: `|`, `*`, `+`, `?`, `{m,n}`, groups `( )`, classes `[ab]`, `.`")
        })?;
    // Translation catches what parses but has no meaning here (Unicode
    // classes, with Unicode off as in the DFA below).
    regex_syntax::hir::translate::TranslatorBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .translate(&r.pattern, &parsed)
        .map_err(|e| {
            Diagnostic::error("regex::unsupported", format!("unsupported regular expression: {}", e.kind()))
                .at(src, at(e.span()), "here")
                .help("symbols are single ASCII letters and digits: write classes as `[ab]` or `.`, without Unicode classes")
        })?;
    ast::visit(
        &parsed,
        Check {
            alphabet,
            found: None,
        },
    )
    .map_err(|(span, what)| match what {
        Found::Assertion => Diagnostic::error(
            "regex::assertion",
            "anchors and word boundaries are not supported",
        )
        .at(src, at(&span), "an assertion")
        .help(
            "the expression always matches the whole word: drop `^`, `$`, `\\A`, `\\z` and `\\b`",
        ),
        Found::Outside(c) => {
            let list: Vec<String> = alphabet.iter().map(char::to_string).collect();
            Diagnostic::error(
                "regex::symbol",
                format!("`{}` is not a symbol of the alphabet", c.escape_debug()),
            )
            .at(src, at(&span), "outside the alphabet")
            .help(format!(
                "the symbols are {}: add `{}` after `over`, or remove it from the expression",
                list.join(", "),
                c.escape_debug()
            ))
        }
    })
}

enum Found {
    Assertion,
    Outside(char),
}

/// Finds the first assertion or out-of-alphabet literal.
struct Check<'a> {
    alphabet: &'a [char],
    found: Option<(ast::Span, Found)>,
}

impl ast::Visitor for Check<'_> {
    type Output = ();
    type Err = (ast::Span, Found);

    fn finish(self) -> std::result::Result<(), Self::Err> {
        match self.found {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }

    fn visit_pre(&mut self, a: &Ast) -> std::result::Result<(), Self::Err> {
        match a {
            Ast::Assertion(x) => Err((x.span, Found::Assertion)),
            Ast::Literal(l) if !self.alphabet.contains(&l.c) => Err((l.span, Found::Outside(l.c))),
            _ => Ok(()),
        }
    }

    fn visit_class_set_item_pre(
        &mut self,
        item: &ClassSetItem,
    ) -> std::result::Result<(), Self::Err> {
        // Single characters in a class must be symbols; ranges and named
        // classes may cover characters outside the alphabet.
        match item {
            ClassSetItem::Literal(l) if !self.alphabet.contains(&l.c) => {
                Err((l.span, Found::Outside(l.c)))
            }
            _ => Ok(()),
        }
    }
}

/// Moore's partition refinement: states are equivalent until a symbol
/// separates them. Returns the quotient, numbered breadth first from the
/// class of state 0.
fn minimise(next: &[Vec<u32>], accept: &[bool]) -> (Vec<Vec<u32>>, Vec<bool>) {
    let n = next.len();
    let mut class: Vec<u32> = accept.iter().map(|&a| a as u32).collect();
    let mut count = 0;
    loop {
        let mut ids: HashMap<Vec<u32>, u32> = HashMap::new();
        let refined: Vec<u32> = (0..n)
            .map(|q| {
                let mut sig = Vec::with_capacity(next[q].len() + 1);
                sig.push(class[q]);
                sig.extend(next[q].iter().map(|&t| class[t as usize]));
                let k = ids.len() as u32;
                *ids.entry(sig).or_insert(k)
            })
            .collect();
        let new_count = ids.len();
        class = refined;
        if new_count == count {
            break;
        }
        count = new_count;
    }
    // Breadth-first numbering of the classes from the start's.
    let mut number: Vec<Option<u32>> = vec![None; count];
    let mut rep: Vec<usize> = Vec::with_capacity(count);
    number[class[0] as usize] = Some(0);
    rep.push(0);
    let mut head = 0;
    while head < rep.len() {
        let q = rep[head];
        for &t in &next[q] {
            let c = class[t as usize] as usize;
            if number[c].is_none() {
                number[c] = Some(rep.len() as u32);
                rep.push(t as usize);
            }
        }
        head += 1;
    }
    let next = rep
        .iter()
        .map(|&q| {
            next[q]
                .iter()
                .map(|&t| number[class[t as usize] as usize].expect("every class is reached"))
                .collect()
        })
        .collect();
    let accept = rep.iter().map(|&q| accept[q]).collect();
    (next, accept)
}

#[cfg(test)]
mod tests {
    use super::minimise;

    #[test]
    fn partition_refinement_merges_equivalent_states() {
        // Two copies of "even number of symbols": 0,2 accept, 1,3 do not.
        let next = vec![vec![1], vec![2], vec![3], vec![0]];
        let (m, acc) = minimise(&next, &[true, false, true, false]);
        assert_eq!(m, vec![vec![1], vec![0]]);
        assert_eq!(acc, vec![true, false]);
    }
}
