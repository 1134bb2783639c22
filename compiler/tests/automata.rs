//! Automata: `automaton` definitions elaborate to checked total maps.

use gssm_compiler::automaton::Automaton;
use gssm_compiler::diagnostics::render_plain;
use gssm_compiler::elaborate::{load_source, load_sources};
use gssm_compiler::group::Limits;
use std::collections::HashMap;

fn automaton(text: &str) -> Automaton {
    load_source("test.gssm", text, &Limits::default())
        .and_then(|p| p.automaton(None))
        .unwrap_or_else(|d| panic!("{}", render_plain(&d)))
}

/// The error code of a source that must fail, checking it points at the
/// source and says what to change.
fn error_code(text: &str) -> &'static str {
    match load_source("test.gssm", text, &Limits::default()).and_then(|p| p.automaton(None)) {
        Ok(a) => panic!("expected an error, built {a:?}"),
        Err(d) => {
            assert!(
                d.span.is_some() && d.help.is_some(),
                "errors point somewhere and say what to change:\n{}",
                render_plain(&d)
            );
            d.code
        }
    }
}

// ------------------------------------------------------------ the language

const FLIP_FLOP: &str = "automaton FlipFlop {
    states q0, q1;
    start q0;
    accept q1;
    symbol w0: * -> q0;
    symbol w1: * -> q1;
    symbol i: id;
    symbol r: id;
}";

#[test]
fn flip_flop_elaborates() {
    let a = automaton(FLIP_FLOP);
    assert_eq!(a.states, ["q0", "q1"]);
    assert_eq!(a.start, 0);
    assert_eq!(a.accept, [false, true]);
    let maps: Vec<&[u32]> = a.symbols.iter().map(|(_, m)| m.as_slice()).collect();
    assert_eq!(maps, [&[0, 0][..], &[1, 1], &[0, 1], &[0, 1]]);
}

#[test]
fn maps_cycles_and_identity_agree() {
    let a = automaton(
        "automaton M { states a, b, c; start b;
            symbol x: (a, b)(c);
            symbol y: a -> b, b -> a, c -> c;
            symbol z: id;
            symbol w: c -> a, * -> c }",
    );
    assert_eq!(a.start, 1);
    assert_eq!(a.accept, [false; 3]);
    assert_eq!(a.symbols[0], a.symbols[1].clone().with_name("x"));
    assert_eq!(a.symbols[2].1, [0, 1, 2]);
    assert_eq!(a.symbols[3].1, [2, 2, 0]);
}

trait WithName {
    fn with_name(self, n: &str) -> Self;
}
impl WithName for (String, Vec<u32>) {
    fn with_name(self, n: &str) -> Self {
        (n.to_string(), self.1)
    }
}

#[test]
fn automata_come_from_imports_and_by_name() {
    let files = HashMap::from([("lib.gssm".to_string(), FLIP_FLOP.to_string())]);
    let p = load_sources(
        "main.gssm",
        "import \"lib.gssm\"\nautomaton Other { states a; start a; symbol s: id }",
        &files,
        &Limits::default(),
    )
    .unwrap_or_else(|d| panic!("{}", render_plain(&d)));
    assert_eq!(p.automaton(Some("FlipFlop")).unwrap().states.len(), 2);
    assert_eq!(p.automaton(None).unwrap().name, "Other");
    assert_eq!(p.automata().len(), 1);
    assert!(p.definitions().is_empty(), "automata are not groups");
}

#[test]
fn statement_words_stay_usable_as_group_names() {
    let p = load_source(
        "test.gssm",
        "group G = < states, start, accept, symbol, id | states^2, start^3, accept, symbol, id, [states, start] >",
        &Limits::default(),
    )
    .unwrap_or_else(|d| panic!("{}", render_plain(&d)));
    assert_eq!(p.group(None, &[]).unwrap().group.order(), 6);
}

#[test]
fn errors_point_at_the_mistake() {
    let cases = [
        (
            "automaton A { states a, b; start c; symbol x: id }",
            "automaton::unknown-state",
        ),
        (
            "automaton A { states a, b; start a; symbol x: a -> q }",
            "automaton::unknown-state",
        ),
        (
            "automaton A { states a, b; start a; symbol x: a -> b }",
            "automaton::not-total",
        ),
        (
            "automaton A { states a, b; start a; symbol x: a -> b, a -> a, b -> a }",
            "automaton::not-a-map",
        ),
        (
            "automaton A { states a, b; start a; symbol x: * -> b, * -> a }",
            "automaton::not-a-map",
        ),
        (
            "automaton A { states a, b; start a; symbol x: (a, b, a) }",
            "automaton::not-a-permutation",
        ),
        (
            "automaton A { states a, b; start a; symbol x: id; symbol x: (a, b) }",
            "automaton::duplicate-symbol",
        ),
        (
            "automaton A { states a, b, a; start a; symbol x: id }",
            "automaton::duplicate-state",
        ),
        (
            "automaton A { states a, b; states c; start a; symbol x: id }",
            "automaton::states",
        ),
        ("automaton A { start a; symbol x: id }", "automaton::states"),
        (
            "automaton A { states a, b; symbol x: id }",
            "automaton::start",
        ),
        (
            "automaton A { states a, b; start a; start b; symbol x: id }",
            "automaton::start",
        ),
        (
            "automaton A { states a, b; start a; accept a; accept b; symbol x: id }",
            "automaton::accept",
        ),
        (
            "automaton A { states a, b; start a; }",
            "automaton::symbols",
        ),
        (
            "automaton A { states a, b; start a symbol x: id }",
            "syntax",
        ),
        (
            "automaton A { states a, b; start a; symbol x: a b }",
            "syntax",
        ),
    ];
    for (text, code) in cases {
        assert_eq!(error_code(text), code, "{text}");
    }
}

#[test]
fn groups_and_automata_share_one_namespace() {
    let text = "automaton F { states a; start a; symbol s: id }\ngroup G = F x C2";
    let d = load_source("t.gssm", text, &Limits::default())
        .and_then(|p| p.group(Some("G"), &[]))
        .unwrap_err();
    assert_eq!(d.code, "name::not-a-group", "{}", render_plain(&d));
    let d = load_source(
        "t.gssm",
        "automaton F { states a; start a; symbol s: id }\ngroup F = < a | a^2 >",
        &Limits::default(),
    )
    .err()
    .expect("a name defined twice");
    assert_eq!(d.code, "name::duplicate");
    let p = load_source("t.gssm", "group G = < a | a^2 >", &Limits::default()).unwrap();
    assert_eq!(
        p.automaton(Some("G")).unwrap_err().code,
        "name::unknown-automaton"
    );
}
