//! stdlib/languages.gssm: each language accepts exactly the words a
//! predicate written here accepts (every word up to length 8), each DFA is
//! minimal (as many states as Myhill–Nerode classes, counted by brute
//! force), and the monoid verdicts are the known ones.

use gssm_compiler::automaton::monoid::{analyse, Analysis, Verdict};
use gssm_compiler::automaton::Automaton;
use gssm_compiler::diagnostics::render_plain;
use gssm_compiler::elaborate::{load_source, Program};
use gssm_compiler::group::Limits;
use std::collections::BTreeSet;

fn program() -> Program {
    load_source("test.gssm", "import \"languages\"", &Limits::default())
        .unwrap_or_else(|d| panic!("{}", render_plain(&d)))
}

fn get(p: &Program, name: &str) -> Automaton {
    p.automaton(Some(name))
        .unwrap_or_else(|d| panic!("{}", render_plain(&d)))
}

fn symbols(a: &Automaton) -> Vec<&str> {
    a.symbols.iter().map(|(n, _)| n.as_str()).collect()
}

fn run(a: &Automaton, word: &[usize]) -> u32 {
    word.iter()
        .fold(a.start, |q, &s| a.symbols[s].1[q as usize])
}

/// Every word over `k` symbols (as symbol indices) up to length `len`.
fn words(k: usize, len: usize) -> Vec<Vec<usize>> {
    let mut out = vec![vec![]];
    let mut layer: Vec<Vec<usize>> = vec![vec![]];
    for _ in 0..len {
        let mut next = Vec::new();
        for w in &layer {
            for s in 0..k {
                let mut v = w.clone();
                v.push(s);
                next.push(v);
            }
        }
        out.extend(next.iter().cloned());
        layer = next;
    }
    out
}

/// Acceptance of every word up to length 8 against `lang` (on symbol
/// names), and minimality: the states equal the Myhill–Nerode classes of
/// the words up to `nerode` told apart by suffixes up to `nerode`.
fn check_language(a: &Automaton, nerode: usize, lang: &dyn Fn(&[&str]) -> bool) {
    let names = symbols(a);
    let k = names.len();
    let named = |w: &[usize]| -> Vec<&str> { w.iter().map(|&s| names[s]).collect() };
    for w in words(k, 8) {
        assert_eq!(
            a.accept[run(a, &w) as usize],
            lang(&named(&w)),
            "{} on {:?}",
            a.name,
            named(&w)
        );
    }
    let suffixes = words(k, nerode);
    let classes: BTreeSet<Vec<bool>> = words(k, nerode)
        .iter()
        .map(|u| {
            suffixes
                .iter()
                .map(|v| {
                    let mut uv = u.clone();
                    uv.extend(v);
                    lang(&named(&uv))
                })
                .collect()
        })
        .collect();
    assert_eq!(a.states.len(), classes.len(), "{} is minimal", a.name);
}

fn analysis(a: &Automaton) -> Analysis {
    analyse(a, &Limits::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// The orders of the non-trivial maximal subgroups.
fn subgroup_orders(a: &Automaton) -> Vec<usize> {
    let mut o: Vec<usize> = analysis(a)
        .subgroups
        .iter()
        .map(|s| s.group.order())
        .filter(|&o| o > 1)
        .collect();
    o.sort_unstable();
    o
}

fn count(w: &[&str], s: &str) -> usize {
    w.iter().filter(|&&x| x == s).count()
}

/// Maximal runs of equal symbols: (symbol, length).
fn runs<'a>(w: &[&'a str]) -> Vec<(&'a str, usize)> {
    let mut out: Vec<(&str, usize)> = Vec::new();
    for &c in w {
        match out.last_mut() {
            Some((d, n)) if *d == c => *n += 1,
            _ => out.push((c, 1)),
        }
    }
    out
}

#[test]
fn flip_flop() {
    let a = get(&program(), "FlipFlop");
    assert_eq!(symbols(&a), ["w0", "w1", "i", "r"]);
    assert_eq!(a.states, ["q0", "q1"]);
    check_language(&a, 3, &|w| {
        w.iter().rev().find(|s| s.starts_with('w')) == Some(&"w1")
    });
    assert_eq!(analysis(&a).verdict, Verdict::Aperiodic);
}

#[test]
fn parity() {
    let a = get(&program(), "Parity");
    assert_eq!(symbols(&a), ["0", "1"]);
    check_language(&a, 4, &|w| count(w, "1").is_multiple_of(2));
    assert_eq!(subgroup_orders(&a), [2]);
}

#[test]
fn tomita_grammars() {
    let p = program();
    type Lang = fn(&[&str]) -> bool;
    let cases: [(&str, Lang); 7] = [
        ("Tomita1", |w| w.iter().all(|&c| c == "1")),
        ("Tomita2", |w| {
            w.len() % 2 == 0 && w.chunks(2).all(|c| c == ["1", "0"])
        }),
        ("Tomita3", |w| {
            runs(w)
                .windows(2)
                .all(|r| !(r[0].0 == "1" && r[0].1 % 2 == 1 && r[1].1 % 2 == 1))
        }),
        ("Tomita4", |w| !w.windows(3).any(|t| t == ["0", "0", "0"])),
        ("Tomita5", |w| {
            count(w, "0").is_multiple_of(2) && count(w, "1").is_multiple_of(2)
        }),
        ("Tomita6", |w| {
            (count(w, "0") as i64 - count(w, "1") as i64).rem_euclid(3) == 0
        }),
        ("Tomita7", |w| {
            // 0*1*0*1*: read the blocks of the pattern in order.
            let mut phase = 0;
            for &c in w {
                while phase < 4 && c != ["0", "1"][phase % 2] {
                    phase += 1;
                }
                if phase == 4 {
                    return false;
                }
            }
            true
        }),
    ];
    for (name, lang) in cases {
        let a = get(&p, name);
        assert_eq!(symbols(&a), ["0", "1"], "{name}");
        check_language(&a, 6, &lang);
    }
    for name in ["Tomita1", "Tomita2", "Tomita4", "Tomita7"] {
        assert_eq!(
            analysis(&get(&p, name)).verdict,
            Verdict::Aperiodic,
            "{name}"
        );
    }
    // Tomita 3 counts 0s mod 2 after an odd run of 1s: C2, in two J-classes.
    assert_eq!(subgroup_orders(&get(&p, "Tomita3")), [2, 2]);
    // Tomita 5 is the Klein four-group acting on itself.
    let t5 = get(&p, "Tomita5");
    let an = analysis(&t5);
    assert_eq!(an.monoid.size(), 4);
    assert_eq!(an.subgroups.len(), 1);
    let g = &an.subgroups[0].group;
    assert_eq!(g.order(), 4);
    assert!(g.elements().all(|x| g.element_order(x) <= 2), "C2 × C2");
    assert_eq!(subgroup_orders(&get(&p, "Tomita6")), [3]);
    assert_eq!(analysis(&get(&p, "Tomita6")).monoid.size(), 3);
}

/// Balanced over k bracket kinds, never deeper than m.
fn dyck(w: &[&str], m: usize) -> bool {
    let mut stack: Vec<&str> = Vec::new();
    for c in w {
        if let Some(j) = c.strip_prefix('o') {
            if stack.len() == m {
                return false;
            }
            stack.push(j);
        } else if stack.pop() != c.strip_prefix('c') {
            return false;
        }
    }
    stack.is_empty()
}

#[test]
fn dyck_languages() {
    let p = program();
    let a = get(&p, "Dyck(2, 2)");
    assert_eq!(symbols(&a), ["o1", "o2", "c1", "c2"]);
    // 1 + 2 + 4 stacks and the dead state.
    assert_eq!(a.states.len(), 8);
    assert_eq!(a.states[a.start as usize], "s[0,0]");
    check_language(&a, 3, &|w| dyck(w, 2));
    assert_eq!(analysis(&a).verdict, Verdict::Aperiodic);
    let b = get(&p, "Dyck(1, 3)");
    assert_eq!(symbols(&b), ["o1", "c1"]);
    check_language(&b, 5, &|w| dyck(w, 3));
    let c = get(&p, "Dyck(3, 1)");
    check_language(&c, 2, &|w| dyck(w, 1));
    let d = p.automaton(Some("Dyck(0, 2)")).unwrap_err();
    assert_eq!(d.code, "require");
}

#[test]
fn counters_with_reset() {
    let p = program();
    for n in [3usize, 5] {
        let a = get(&p, &format!("CounterReset({n})"));
        assert_eq!(symbols(&a), ["inc", "reset"]);
        check_language(&a, 6, &|w| {
            let since = w.iter().rev().take_while(|&&s| s != "reset").count();
            since % n == 0
        });
        assert_eq!(subgroup_orders(&a), [n]);
    }
    let d = p.automaton(Some("CounterReset(1)")).unwrap_err();
    assert_eq!(d.code, "require");
    assert_eq!(d.message, "CounterReset(n) needs n >= 2, but n = 1");
}

#[test]
fn star_free_languages() {
    let p = program();
    let a = get(&p, "ABStar");
    assert_eq!(symbols(&a), ["a", "b"]);
    check_language(&a, 4, &|w| {
        w.len() % 2 == 0 && w.chunks(2).all(|c| c == ["a", "b"])
    });
    assert_eq!(analysis(&a).verdict, Verdict::Aperiodic);
    let l = get(&p, "LastIsA");
    assert_eq!(symbols(&l), ["a", "b"]);
    assert!(!l.accept[l.start as usize]);
    check_language(&l, 3, &|w| w.last() == Some(&"a"));
    assert_eq!(analysis(&l).verdict, Verdict::Aperiodic);
}

#[test]
fn the_module_lists_its_automata_and_hints_at_the_import() {
    let p = load_source(
        "languages.gssm",
        include_str!("../../stdlib/languages.gssm"),
        &Limits::default(),
    )
    .unwrap_or_else(|d| panic!("{}", render_plain(&d)));
    let names: Vec<String> = p.automata().into_iter().map(|d| d.name).collect();
    assert_eq!(
        names,
        [
            "FlipFlop",
            "Parity",
            "Tomita1",
            "Tomita2",
            "Tomita3",
            "Tomita4",
            "Tomita5",
            "Tomita6",
            "Tomita7",
            "Dyck",
            "CounterReset",
            "ABStar",
            "LastIsA"
        ]
    );
    let d = load_source(
        "t.gssm",
        "automaton X { states a; start a; symbol s: id }",
        &Limits::default(),
    )
    .unwrap()
    .automaton(Some("Tomita3"))
    .unwrap_err();
    assert_eq!(d.code, "name::unknown-automaton");
    assert!(d.help.unwrap().contains("import \"languages\""));
}
