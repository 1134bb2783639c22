//! Automata: `automaton` definitions elaborate to checked total maps, and
//! their transformation monoids get the verdicts the theory predicts. The
//! monoid sizes, idempotents and subgroup orders are checked against a
//! brute-force computation written here from the definitions (Green's H
//! as equal right and left ideals), not the analysis' shortcuts.

use gssm_compiler::automaton::monoid::{analyse, MonoidError, Verdict};
use gssm_compiler::automaton::Automaton;
use gssm_compiler::diagnostics::render_plain;
use gssm_compiler::elaborate::{load_source, load_sources};
use gssm_compiler::group::Limits;
use std::collections::{BTreeSet, HashMap};

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

// ------------------------------------------------------------ brute force

type T = Vec<u32>;

/// Apply x, then y.
fn then(x: &T, y: &T) -> T {
    (0..x.len()).map(|q| y[x[q] as usize]).collect()
}

/// Every product of the symbols' maps, the empty one included.
fn brute_monoid(a: &Automaton) -> Vec<T> {
    let n = a.states.len();
    let mut all: BTreeSet<T> = BTreeSet::from([(0..n as u32).collect()]);
    loop {
        let mut next = all.clone();
        for x in &all {
            for (_, g) in &a.symbols {
                next.insert(then(x, g));
            }
        }
        if next.len() == all.len() {
            return all.into_iter().collect();
        }
        all = next;
    }
}

/// Orders of the H-classes of idempotents, each listed once per
/// idempotent, sorted.
fn brute_subgroup_orders(m: &[T]) -> Vec<usize> {
    let right = |x: &T| -> BTreeSet<T> { m.iter().map(|y| then(x, y)).collect() };
    let left = |x: &T| -> BTreeSet<T> { m.iter().map(|y| then(y, x)).collect() };
    let mut orders = Vec::new();
    for e in m.iter().filter(|e| then(e, e) == **e) {
        let (re, le) = (right(e), left(e));
        orders.push(m.iter().filter(|x| right(x) == re && left(x) == le).count());
    }
    orders.sort_unstable();
    orders
}

fn brute_aperiodic(m: &[T]) -> bool {
    m.iter().all(|x| {
        let mut p = x.clone();
        for _ in 0..m.len() {
            p = then(&p, x);
        }
        then(&p, x) == p
    })
}

/// The analysis against the brute force; returns the analysis' verdict
/// and the orders of the subgroups it names.
fn check(a: &Automaton) -> (Verdict, usize, Vec<usize>) {
    let an = analyse(a, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let m = brute_monoid(a);
    assert_eq!(an.monoid.size(), m.len(), "monoid size of {}", a.name);
    let orders = brute_subgroup_orders(&m);
    assert_eq!(an.idempotents, orders.len(), "idempotents of {}", a.name);
    assert_eq!(
        an.aperiodic,
        brute_aperiodic(&m),
        "aperiodicity of {}",
        a.name
    );
    assert_eq!(an.aperiodic, orders.iter().all(|&o| o == 1));
    let mut named: Vec<usize> = an.subgroups.iter().map(|s| s.group.order()).collect();
    for o in &named {
        assert!(
            orders.contains(o),
            "{} names a subgroup of order {o}; H-classes {orders:?}",
            a.name
        );
    }
    // Every non-trivial H-class order is named by some J-class.
    for o in orders.iter().filter(|&&o| o > 1) {
        assert!(
            named.contains(o),
            "{}: an H-class of order {o} is not named",
            a.name
        );
    }
    named.sort_unstable();
    (an.verdict, m.len(), named)
}

// ------------------------------------------------------------ verdicts

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
fn flip_flop_is_aperiodic_with_three_elements() {
    let a = automaton(FLIP_FLOP);
    assert_eq!(a.states, ["q0", "q1"]);
    assert_eq!(a.start, 0);
    assert_eq!(a.accept, [false, true]);
    let maps: Vec<&[u32]> = a.symbols.iter().map(|(_, m)| m.as_slice()).collect();
    assert_eq!(maps, [&[0, 0][..], &[1, 1], &[0, 1], &[0, 1]]);
    assert_eq!(check(&a), (Verdict::Aperiodic, 3, vec![]));
}

#[test]
fn parity_is_c2() {
    let a = automaton(
        "automaton Parity { states e, o; start e; accept e; symbol a: (e, o); symbol b: id }",
    );
    assert_eq!(a.symbols[0].1, [1, 0]);
    assert_eq!(check(&a), (Verdict::Solvable, 2, vec![2]));
}

#[test]
fn s3_on_three_points_is_solvable_of_order_6() {
    let a = automaton(
        "automaton S3 { states p1, p2, p3; start p1; symbol r: (p1, p2, p3); symbol s: (p1, p2) }",
    );
    assert_eq!(check(&a), (Verdict::Solvable, 6, vec![6]));
}

#[test]
fn a5_on_five_points_is_not_solvable() {
    let a = automaton(
        "automaton A5 { states a, b, c, d, e; start a; symbol x: (a, b, c, d, e); symbol y: (a, b, c) }",
    );
    assert_eq!(
        check(&a),
        (Verdict::NonSolvable { order: 60 }, 60, vec![60])
    );
}

#[test]
fn ab_star_is_aperiodic() {
    // The minimal DFA of (ab)*: s accepting, t after an a, z the sink.
    let a = automaton(
        "automaton ABStar {
            states s, t, z; start s; accept s;
            symbol a: s -> t, * -> z;
            symbol b: t -> s, * -> z;
        }",
    );
    assert_eq!(a.symbols[0].1, [1, 2, 2]);
    assert_eq!(a.symbols[1].1, [2, 0, 2]);
    let (v, size, named) = check(&a);
    assert_eq!((v, named), (Verdict::Aperiodic, vec![]));
    // 1, a, b, ab, ba, and the zero (aa = bb = z everywhere).
    assert_eq!(size, 6);
}

#[test]
fn counter_mod_3_with_reset_contains_c3() {
    let a = automaton(
        "automaton Counter3 { states q0, q1, q2; start q0; accept q0;
            symbol inc: (q0, q1, q2); symbol reset: * -> q0; }",
    );
    // C3 itself and the three constant maps.
    assert_eq!(check(&a), (Verdict::Solvable, 6, vec![3]));
}

#[test]
fn a_group_below_the_top_rank_is_found() {
    // No symbol permutes all three states, but s swaps p and q and sends
    // r into them: the C2 lives on the rank-2 image {p, q}.
    let a = automaton(
        "automaton Low { states p, q, r; start p;
            symbol c: r -> p, p -> p, q -> q; symbol s: p -> q, q -> p, r -> p; symbol k: * -> p }",
    );
    let an = analyse(&a, &Limits::default()).unwrap();
    assert_eq!(an.subgroups.len(), 1);
    assert_eq!(an.subgroups[0].image, [0, 1]);
    let (v, _, named) = check(&a);
    assert_eq!(v, Verdict::Solvable);
    assert_eq!(named, vec![2]);
}

#[test]
fn the_element_limit_ends_closure_with_an_error() {
    let a = automaton(
        "automaton A5 { states a, b, c, d, e; start a; symbol x: (a, b, c, d, e); symbol y: (a, b, c) }",
    );
    let limits = Limits {
        max_elements: 20,
        ..Limits::default()
    };
    let e = analyse(&a, &limits).unwrap_err();
    assert_eq!(
        e,
        MonoidError::TooManyElements {
            name: "A5".into(),
            limit: 20
        }
    );
    assert!(e.to_string().contains("--max-elements"));
}

// ------------------------------------------------------------ the language

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

#[test]
fn products_read_left_to_right() {
    // r resets to p, s swaps p and q: reading r then s ends in q.
    let a = automaton("automaton C { states p, q; start p; symbol r: * -> p; symbol s: (p, q) }");
    let m = analyse(&a, &Limits::default()).unwrap().monoid;
    let (r, s) = (m.right[0], m.right[1]);
    let rs = m.right[r as usize * m.symbols + 1];
    assert_eq!(m.elements[rs as usize], [1, 1]);
    assert_eq!(m.mul(r, s), rs);
    assert_eq!(m.elements[m.mul(s, r) as usize], [0, 0]);
}

#[test]
fn the_full_transformation_monoid_on_five_points() {
    // A 5-cycle, a transposition and a collapse generate all 5^5 maps; the
    // group of units is S5, and below it S4, S3, S2 on smaller images.
    let a = automaton(
        "automaton T5 { states a, b, c, d, e; start a;
            symbol x: (a, b, c, d, e); symbol y: (a, b);
            symbol z: a -> b, b -> b, c -> c, d -> d, e -> e }",
    );
    let an = analyse(&a, &Limits::default()).unwrap();
    assert_eq!(an.monoid.size(), 3125);
    let orders: Vec<usize> = an.subgroups.iter().map(|s| s.group.order()).collect();
    assert_eq!(orders, [120, 24, 6, 2]);
    assert_eq!(an.verdict, Verdict::NonSolvable { order: 120 });
    // Idempotents of T_n: sum over image sizes k of C(n, k) k^(n-k).
    assert_eq!(an.idempotents, 5 + 10 * 8 + 10 * 9 + 5 * 4 + 1);
}

#[test]
fn the_check_report_rules_out_targets_by_the_monoid_groups() {
    use gssm_compiler::report::automaton::check_automaton;
    // The diagonal targets the report (the pipeline's answer) rules out;
    // s4d and the one-layer group targets take no automata at all.
    let ruled_out = |text: &str| -> Vec<String> {
        let r = check_automaton(&automaton(text), &Limits::default()).unwrap();
        for t in &r.targets {
            if ["s4d", "rnn", "pd-ssm", "deltaproduct"].contains(&t.target.as_str()) {
                assert!(t.layers.is_none(), "{}", t.target);
            }
        }
        r.targets
            .into_iter()
            .filter(|t| t.layers.is_none())
            .map(|t| t.target)
            .filter(|t| ["aussm", "neg-mamba", "mamba", "gla"].contains(&t.as_str()))
            .collect()
    };
    assert!(ruled_out(FLIP_FLOP).is_empty());
    let parity = "automaton P { states e, o; start e; symbol a: (e, o) }";
    assert_eq!(ruled_out(parity), ["mamba", "gla"]);
    let c3 = "automaton C { states a, b, c; start a; symbol x: (a, b, c); symbol r: * -> a }";
    assert_eq!(ruled_out(c3), ["neg-mamba", "mamba", "gla"]);
    let a5 = "automaton A5 { states a, b, c, d, e; start a; symbol x: (a, b, c, d, e); symbol y: (a, b, c) }";
    assert_eq!(ruled_out(a5), ["aussm", "neg-mamba", "mamba", "gla"]);
    let r = check_automaton(&automaton(FLIP_FLOP), &Limits::default()).unwrap();
    let mamba = r.targets.iter().find(|t| t.target == "mamba").unwrap();
    assert_eq!((mamba.layers, r.cascade_depth), (Some(1), Some(1)));
    let r = check_automaton(&automaton(c3), &Limits::default()).unwrap();
    assert_eq!(
        (r.monoid_size, r.idempotents, r.verdict.as_str()),
        (6, 4, "solvable")
    );
    assert_eq!(r.subgroups.len(), 1);
    assert_eq!((r.subgroups[0].order, r.subgroups[0].image_size), (3, 3));
}
