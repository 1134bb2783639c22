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

// ------------------------------------------------------------ parameters

fn program(text: &str) -> gssm_compiler::elaborate::Program {
    load_source("test.gssm", text, &Limits::default())
        .unwrap_or_else(|d| panic!("{}", render_plain(&d)))
}

fn named(text: &str, name: &str) -> Automaton {
    program(text)
        .automaton(Some(name))
        .unwrap_or_else(|d| panic!("{}", render_plain(&d)))
}

fn named_error(text: &str, name: Option<&str>) -> gssm_compiler::diagnostics::Diagnostic {
    match load_source("test.gssm", text, &Limits::default()).and_then(|p| p.automaton(name)) {
        Ok(a) => panic!("expected an error, built {a:?}"),
        Err(d) => {
            assert!(
                d.help.is_some(),
                "errors say what to change:\n{}",
                render_plain(&d)
            );
            d
        }
    }
}

const COUNTER: &str = "automaton CounterReset(n)
  require n >= 2, \"CounterReset(n) needs n >= 2, but n = {n}\"
{
  states q[0..n-1];
  start q[0];
  accept q[0];
  symbol inc: q[i] -> q[(i+1) % n] for i in 0..n-1;
  symbol reset: * -> q[0];
}";

#[test]
fn a_parameterised_counter_instantiates_by_name_and_arguments() {
    let a = named(COUNTER, "CounterReset(3)");
    assert_eq!(a.name, "CounterReset(3)");
    assert_eq!(a.states, ["q[0]", "q[1]", "q[2]"]);
    assert_eq!((a.start, a.accept.clone()), (0, vec![true, false, false]));
    assert_eq!(a.symbols[0], ("inc".to_string(), vec![1, 2, 0]));
    assert_eq!(a.symbols[1], ("reset".to_string(), vec![0, 0, 0]));
    assert_eq!(check(&a), (Verdict::Solvable, 6, vec![3]));
    // Arguments are integer expressions; spaces and brackets are fine.
    let b = named(COUNTER, " ( CounterReset(2 + 3) ) ");
    assert_eq!(b.states.len(), 5);
    assert_eq!(check(&b), (Verdict::Solvable, 10, vec![5]));
    // The same instance twice is the same automaton (cached).
    let p = program(COUNTER);
    assert_eq!(
        p.automaton(Some("CounterReset(4)")).unwrap(),
        p.automaton(Some("CounterReset(4)")).unwrap()
    );
    assert_eq!(
        p.automata()[0].params.as_deref(),
        Some(&["n".to_string()][..])
    );
}

#[test]
fn parameter_guards_and_arity_are_checked() {
    let d = named_error(COUNTER, Some("CounterReset(1)"));
    assert_eq!(d.code, "require");
    assert_eq!(d.message, "CounterReset(n) needs n >= 2, but n = 1");
    assert!(d.span.is_some());
    for name in ["CounterReset", "CounterReset(2, 3)"] {
        assert_eq!(named_error(COUNTER, Some(name)).code, "arity", "{name}");
    }
    // Without a name the last automaton is meant, and it needs arguments.
    assert_eq!(named_error(COUNTER, None).code, "arity");
    assert_eq!(named_error(FLIP_FLOP, Some("FlipFlop(2)")).code, "arity");
    // Names that are not an automaton reference at all.
    for name in ["C2 x C3", "CounterRest(3)", "1 +"] {
        assert_eq!(
            named_error(COUNTER, Some(name)).code,
            "name::unknown-automaton",
            "{name}"
        );
    }
    // A warning guard warns, once per instance.
    let text = "automaton W(n) warn n > 3, \"W({n}) is large\" { states a; start a; symbol x: id }";
    let p = program(text);
    let (_, w) = p.automaton_with_warnings(Some("W(5)")).unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].message, "W(5) is large");
    assert!(p
        .automaton_with_warnings(Some("W(2)"))
        .unwrap()
        .1
        .is_empty());
}

#[test]
fn indexed_states_loops_and_conditions() {
    let text = "automaton M(n) {
        states q[0..n-1], sink;
        start q[0];
        accept q[i] for i in 0..n-1 if i % 2 == 0;
        symbol rot: (q[0..n-1]);
        symbol half: q[i] -> q[i / 2] for i in 0..n-1, sink -> sink;
        symbol fall: q[i] -> sink for i in 1..n-1, * -> q[0];
        symbol swap if n >= 3: (q[0], q[2]);
        symbol never if n < 0: id;
    }";
    let a = named(text, "M(4)");
    assert_eq!(a.states, ["q[0]", "q[1]", "q[2]", "q[3]", "sink"]);
    assert_eq!(a.accept, [true, false, true, false, false]);
    let maps: HashMap<&str, &[u32]> = a
        .symbols
        .iter()
        .map(|(n, m)| (n.as_str(), m.as_slice()))
        .collect();
    assert_eq!(maps.len(), 4, "`never` is left out");
    assert_eq!(maps["rot"], [1, 2, 3, 0, 4]);
    assert_eq!(maps["half"], [0, 0, 1, 1, 4]);
    assert_eq!(maps["fall"], [0, 4, 4, 4, 0]);
    assert_eq!(maps["swap"], [2, 1, 0, 3, 4]);
    assert_eq!(named(text, "M(2)").symbols.len(), 3);
}

#[test]
fn several_indices_and_generated_symbol_names() {
    // A 2×3 torus: `r` moves along rows, `c<j>` adds j to the column.
    let text = "automaton Torus {
        states t[x, y] for x in 0..1 for y in 0..2;
        start t[0, 0];
        accept t[1, 0..2];
        symbol r: t[x, y] -> t[1 - x, y] for x in 0..1 for y in 0..2;
        symbol \"c{j}\" for j in 1..2: t[x, y] -> t[x, (y + j) % 3] for x in 0..1 for y in 0..2;
        symbol s[2]: id;
    }";
    let a = named(text, "Torus");
    assert_eq!(
        a.states,
        ["t[0,0]", "t[0,1]", "t[0,2]", "t[1,0]", "t[1,1]", "t[1,2]"]
    );
    assert_eq!(a.accept, [false, false, false, true, true, true]);
    let names: Vec<&str> = a.symbols.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["r", "c1", "c2", "s[2]"]);
    assert_eq!(a.symbols[1].1, [1, 2, 0, 4, 5, 3]);
    assert_eq!(a.symbols[2].1, [2, 0, 1, 5, 3, 4]);
    // C2 × C3.
    assert_eq!(check(&a), (Verdict::Solvable, 6, vec![6]));
}

#[test]
fn digits_name_symbols() {
    let a = automaton(
        "automaton P { states even, odd; start even; accept even; symbol 0: id; symbol 1: (even, odd) }",
    );
    let names: Vec<&str> = a.symbols.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["0", "1"]);
    assert_eq!(
        error_code("automaton P { states a; start a; symbol 1: id; symbol 1: id }"),
        "automaton::duplicate-symbol"
    );
}

#[test]
fn indexed_errors_point_at_the_mistake() {
    let cases = [
        (
            "automaton A { states q[0..2]; start q[3]; symbol x: id }",
            "automaton::index",
        ),
        (
            "automaton A { states q[0..2]; start r[0]; symbol x: id }",
            "automaton::unknown-state",
        ),
        (
            "automaton A { states q; start q[0]; symbol x: id }",
            "automaton::unknown-state",
        ),
        (
            "automaton A { states q[0..2]; start q[0..1]; symbol x: id }",
            "automaton::not-one-state",
        ),
        (
            "automaton A { states q[0..2]; start q[0]; symbol x: q[i] -> q[i + 1] for i in 0..2 }",
            "automaton::index",
        ),
        (
            "automaton A { states q[0..2]; start q[0]; symbol x: q[i] -> q[0] for i in 0..1 }",
            "automaton::not-total",
        ),
        (
            "automaton A { states q[0..2]; start q[0]; symbol x: q[i] -> q[0] for i in 0..2, q[1] -> q[2] }",
            "automaton::not-a-map",
        ),
        (
            "automaton A { states q[0..2], q[1]; start q[0]; symbol x: id }",
            "automaton::duplicate-state",
        ),
        (
            "automaton A { states q[0..2]; start q[0]; symbol x for j in 1..2: id }",
            "automaton::duplicate-symbol",
        ),
        (
            "automaton A { states q[0..2]; start q[0]; symbol o[0..1]: id }",
            "automaton::symbol-name",
        ),
        (
            "automaton A { states q[0..k]; start q[0]; symbol x: id }",
            "name::unknown-int",
        ),
        (
            "automaton A { states q[0..5000]; start q[0]; symbol x: id }",
            "automaton::range",
        ),
        (
            "automaton A { states q[i] for i in 1..0; start q[0]; symbol x: id }",
            "automaton::states",
        ),
        (
            "automaton A { states q[0..9], r[0..9]; start q[0]; symbol \"s{i}\" for i in 0..9999: id }",
            "automaton::symbols",
        ),
        (
            "automaton A { states q[0..1]; start q[0]; symbol x: q[i] -> q[i] for i in 0..1 for j in 0..99999999 if j < 0 }",
            "automaton::loop",
        ),
    ];
    for (text, code) in cases {
        assert_eq!(error_code(text), code, "{text}");
    }
    // The out-of-range message names the state and the declared indices.
    let d = named_error(
        "automaton A { states q[0..2]; start q[0]; symbol x: q[i] -> q[i + 1] for i in 0..2 }",
        None,
    );
    assert_eq!(
        d.message,
        "state `q[3]` is not declared: the index is out of range"
    );
    assert!(
        d.help.as_deref().unwrap().contains("q[0..2] (3 states)"),
        "{:?}",
        d.help
    );
    // The unmapped states are listed by name.
    let d = named_error(
        "automaton A { states q[0..2]; start q[0]; symbol x: q[i] -> q[0] for i in 0..1 }",
        None,
    );
    assert_eq!(d.message, "the map leaves state q[2] unmapped");
}

// ------------------------------------------------------------ group actions

/// The action agrees with the group: walking the Cayley graph from the
/// identity (x·g applies x, then g), each element's permutation is the
/// product of the symbols' maps along any path to it, and distinct
/// elements act differently.
fn assert_action_is_the_group(a: &Automaton, g: &gssm_compiler::group::Group) {
    assert_eq!(
        a.symbols
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        g.generator_names()
    );
    let n = a.states.len() as u32;
    let mut perm: HashMap<u32, T> = HashMap::from([(0, (0..n).collect())]);
    let mut queue = vec![0u32];
    while let Some(x) = queue.pop() {
        for (j, &gen) in g.generators().iter().enumerate() {
            let y = g.mul(x, gen);
            let py = then(&perm[&x], &a.symbols[j].1);
            match perm.get(&y) {
                Some(p) => assert_eq!(*p, py, "{}: element {y} acts two ways", a.name),
                None => {
                    perm.insert(y, py);
                    queue.push(y);
                }
            }
        }
    }
    assert_eq!(perm.len(), g.order());
    let distinct: BTreeSet<&T> = perm.values().collect();
    assert_eq!(
        distinct.len(),
        g.order(),
        "{}: the action is faithful",
        a.name
    );
    assert_eq!(brute_monoid(a).len(), g.order());
}

#[test]
fn a_permutation_group_acts_on_its_own_points() {
    let text = "import \"families\"
        automaton S3Points = Symmetric(3) acting on points;
        automaton Orbits = perm { a = (1,2), b = (3,4,5) } acting on points;
        automaton Marked = Symmetric(3) acting on points { start p2; accept p1, p3 }
        automaton Sym(n) = Symmetric(n) acting on points";
    let p = program(text);
    let a = p.automaton(Some("S3Points")).unwrap();
    assert_eq!(a.states, ["p1", "p2", "p3"]);
    assert_eq!((a.start, a.accept.clone()), (0, vec![false; 3]));
    // Symmetric(n) is perm(n) { c = (1..n), t = (1,2) }.
    assert_eq!(a.symbols[0], ("c".to_string(), vec![1, 2, 0]));
    assert_eq!(a.symbols[1], ("t".to_string(), vec![1, 0, 2]));
    let s3 = p.eval("Symmetric(3)").unwrap().group;
    assert_action_is_the_group(&a, &s3);
    assert_eq!(check(&a), (Verdict::Solvable, 6, vec![6]));
    // Two orbits: every point is kept.
    let o = p.automaton(Some("Orbits")).unwrap();
    assert_eq!(o.states.len(), 5);
    assert_action_is_the_group(
        &o,
        &p.eval("perm { a = (1,2), b = (3,4,5) }").unwrap().group,
    );
    let m = p.automaton(Some("Marked")).unwrap();
    assert_eq!((m.start, m.accept.clone()), (1, vec![true, false, true]));
    let s4 = p.automaton(Some("Sym(4)")).unwrap();
    assert_eq!(s4.name, "Sym(4)");
    assert_action_is_the_group(&s4, &p.eval("Symmetric(4)").unwrap().group);
}

#[test]
fn other_groups_act_by_their_least_faithful_action() {
    let text = "import \"families\"
        automaton D8 = Dihedral(8) acting on points
        automaton C6 = Cyclic(6) acting on points
        automaton Q8 = < i, j | i^4, i^2 = j^2, j^-1*i*j = i^-1 > acting on points";
    let p = program(text);
    for (name, group, degree) in [
        ("D8", "Dihedral(8)", 4),
        ("C6", "Cyclic(6)", 5),
        ("Q8", "< i, j | i^4, i^2 = j^2, j^-1*i*j = i^-1 >", 8),
    ] {
        let a = p.automaton(Some(name)).unwrap();
        assert_eq!(a.states.len(), degree, "{name}");
        assert_action_is_the_group(&a, &p.eval(group).unwrap().group);
    }
}

#[test]
fn action_errors() {
    let d = named_error(
        "import \"families\"\nautomaton A = Symmetric(3) acting on points { states a; }",
        None,
    );
    assert_eq!(d.code, "automaton::action");
    let d = named_error("automaton A = Nowhere acting on points", None);
    assert_eq!(d.code, "name::unknown-group");
    let d = named_error(
        "automaton A = Cyclic(3) acting on points { start p4 }",
        None,
    );
    assert_eq!(d.code, "name::unknown-group", "{}", render_plain(&d));
    let d = named_error(
        "import \"families\"\nautomaton A = Cyclic(3) acting on points { start p4 }",
        None,
    );
    assert_eq!(d.code, "automaton::unknown-state");
    let d = named_error("automaton A = < | > acting on points", None);
    assert_eq!(d.code, "automaton::symbols");
}

// ------------------------------------------------------------ regexes

/// A small regex matcher for the tests' reference: `|`, concatenation,
/// `*`, `+`, `?`, parentheses, `[set]` and `.`.
#[derive(Debug)]
enum Re {
    Empty,
    Char(char),
    Any,
    Set(Vec<char>),
    Cat(Box<Re>, Box<Re>),
    Alt(Box<Re>, Box<Re>),
    Star(Box<Re>),
}

fn parse_re(p: &str) -> Re {
    fn alt(s: &[char], i: &mut usize) -> Re {
        let mut r = cat(s, i);
        while *i < s.len() && s[*i] == '|' {
            *i += 1;
            r = Re::Alt(Box::new(r), Box::new(cat(s, i)));
        }
        r
    }
    fn cat(s: &[char], i: &mut usize) -> Re {
        let mut r = Re::Empty;
        while *i < s.len() && s[*i] != '|' && s[*i] != ')' {
            let mut atom = match s[*i] {
                '(' => {
                    *i += 1;
                    let a = alt(s, i);
                    *i += 1; // ')'
                    a
                }
                '[' => {
                    let end = *i + s[*i..].iter().position(|&c| c == ']').unwrap();
                    let set = s[*i + 1..end].to_vec();
                    *i = end + 1;
                    Re::Set(set)
                }
                '.' => {
                    *i += 1;
                    Re::Any
                }
                c => {
                    *i += 1;
                    Re::Char(c)
                }
            };
            while *i < s.len() && matches!(s[*i], '*' | '+' | '?') {
                atom = match s[*i] {
                    '*' => Re::Star(Box::new(atom)),
                    '+' => {
                        let again = parse_re_clone(&atom);
                        Re::Cat(Box::new(atom), Box::new(Re::Star(Box::new(again))))
                    }
                    _ => Re::Alt(Box::new(atom), Box::new(Re::Empty)),
                };
                *i += 1;
            }
            r = Re::Cat(Box::new(r), Box::new(atom));
        }
        r
    }
    let s: Vec<char> = p.chars().collect();
    let mut i = 0;
    let r = alt(&s, &mut i);
    assert_eq!(i, s.len(), "the test's matcher reads all of {p}");
    r
}

fn parse_re_clone(r: &Re) -> Re {
    match r {
        Re::Empty => Re::Empty,
        Re::Char(c) => Re::Char(*c),
        Re::Any => Re::Any,
        Re::Set(s) => Re::Set(s.clone()),
        Re::Cat(a, b) => Re::Cat(Box::new(parse_re_clone(a)), Box::new(parse_re_clone(b))),
        Re::Alt(a, b) => Re::Alt(Box::new(parse_re_clone(a)), Box::new(parse_re_clone(b))),
        Re::Star(a) => Re::Star(Box::new(parse_re_clone(a))),
    }
}

/// The positions where a match of `r` starting at `i` can end.
fn ends(r: &Re, w: &[char], i: usize) -> BTreeSet<usize> {
    match r {
        Re::Empty => BTreeSet::from([i]),
        Re::Char(c) => (i < w.len() && w[i] == *c)
            .then_some(i + 1)
            .into_iter()
            .collect(),
        Re::Any => (i < w.len()).then_some(i + 1).into_iter().collect(),
        Re::Set(s) => (i < w.len() && s.contains(&w[i]))
            .then_some(i + 1)
            .into_iter()
            .collect(),
        Re::Cat(a, b) => ends(a, w, i)
            .into_iter()
            .flat_map(|j| ends(b, w, j))
            .collect(),
        Re::Alt(a, b) => ends(a, w, i).union(&ends(b, w, i)).copied().collect(),
        Re::Star(a) => {
            let mut all = BTreeSet::from([i]);
            let mut frontier = vec![i];
            while let Some(j) = frontier.pop() {
                for k in ends(a, w, j) {
                    if all.insert(k) {
                        frontier.push(k);
                    }
                }
            }
            all
        }
    }
}

fn words(alphabet: &[char], max_len: usize) -> Vec<Vec<char>> {
    let mut out = vec![vec![]];
    let mut layer = vec![vec![]];
    for _ in 0..max_len {
        let mut next = Vec::new();
        for w in &layer {
            for &c in alphabet {
                let mut v: Vec<char> = w.clone();
                v.push(c);
                next.push(v);
            }
        }
        out.extend(next.iter().cloned());
        layer = next;
    }
    out
}

/// Run the automaton on a word of symbol names.
fn accepts(a: &Automaton, word: &[&str]) -> bool {
    let mut q = a.start;
    for s in word {
        let j = a
            .symbols
            .iter()
            .position(|(n, _)| n == s)
            .unwrap_or_else(|| panic!("{} has no symbol {s}", a.name));
        q = a.symbols[j].1[q as usize];
    }
    a.accept[q as usize]
}

/// The number of Myhill–Nerode classes among the words up to `len`,
/// told apart by suffixes up to `len`.
fn nerode_classes(alphabet: &[char], len: usize, lang: &dyn Fn(&[char]) -> bool) -> usize {
    let suffixes = words(alphabet, len);
    let classes: BTreeSet<Vec<bool>> = words(alphabet, len)
        .iter()
        .map(|u| {
            suffixes
                .iter()
                .map(|v| {
                    let mut uv = u.clone();
                    uv.extend(v);
                    lang(&uv)
                })
                .collect()
        })
        .collect();
    classes.len()
}

#[test]
fn regexes_compile_to_minimal_complete_dfas() {
    let cases: &[(&str, &str)] = &[
        ("(ab)*", "ab"),
        ("a*b*", "ab"),
        ("(a|b)*abb", "ab"),
        ("(0|1)*1(0|1)(0|1)", "01"),
        ("((a|b)(a|b))*", "ab"),
        ("a?b+|ba*", "ab"),
        ("[ab]*a[ab]", "ab"),
        (".*aa.*", "ab"),
        ("", "ab"),
        ("(a|ab)(c|bcd)", "abcd"),
        ("(1(01*0)*1|0)*", "01"),
        ("x", "xyz"),
    ];
    for &(pattern, alpha) in cases {
        let alphabet: Vec<char> = alpha.chars().collect();
        let over: Vec<String> = alphabet.iter().map(char::to_string).collect();
        let text = format!("automaton R = regex \"{pattern}\" over {}", over.join(", "));
        let a = automaton(&text);
        let re = parse_re(pattern);
        let lang = |w: &[char]| ends(&re, w, 0).contains(&w.len());
        assert_eq!(a.start, 0);
        let names: Vec<&str> = a.symbols.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, over.iter().map(String::as_str).collect::<Vec<_>>());
        for w in words(&alphabet, if alphabet.len() > 2 { 6 } else { 8 }) {
            let s: Vec<String> = w.iter().map(char::to_string).collect();
            let s: Vec<&str> = s.iter().map(String::as_str).collect();
            assert_eq!(accepts(&a, &s), lang(&w), "{pattern} on {w:?}");
        }
        assert_eq!(
            a.states.len(),
            nerode_classes(&alphabet, if alphabet.len() > 2 { 4 } else { 6 }, &lang),
            "{pattern}: minimal"
        );
        // s0, s1, … in breadth-first order from the start.
        let mut order = vec![a.start];
        let mut head = 0;
        while head < order.len() {
            for (_, m) in &a.symbols {
                let t = m[order[head] as usize];
                if !order.contains(&t) {
                    order.push(t);
                }
            }
            head += 1;
        }
        assert_eq!(
            order,
            (0..a.states.len() as u32).collect::<Vec<_>>(),
            "{pattern}"
        );
        assert_eq!(a.states[0], "s0");
    }
}

#[test]
fn regex_verdicts() {
    let a = automaton("automaton ABStar = regex \"(ab)*\" over a, b");
    assert_eq!(check(&a), (Verdict::Aperiodic, 6, vec![]));
    let even = automaton("automaton Even = regex \"((a|b)(a|b))*\" over a, b;");
    assert_eq!(check(&even).0, Verdict::Solvable);
}

#[test]
fn regex_errors_point_into_the_pattern() {
    let cases = [
        (
            "automaton R = regex \"(ac)*\" over a, b",
            "regex::symbol",
            "c",
        ),
        (
            "automaton R = regex \"[ax]\" over a, b",
            "regex::symbol",
            "x",
        ),
        (
            "automaton R = regex \"(ab\" over a, b",
            "regex::syntax",
            "(",
        ),
        (
            "automaton R = regex \"a|*b\" over a, b",
            "regex::syntax",
            "*",
        ),
        (
            "automaton R = regex \"^ab\" over a, b",
            "regex::assertion",
            "^",
        ),
        (
            "automaton R = regex \"a\\b\" over a, b",
            "regex::assertion",
            "\\b",
        ),
        (
            "automaton R = regex \"(?=a)b\" over a, b",
            "regex::syntax",
            "(?=",
        ),
        (
            "automaton R = regex \"a\" over a, b, a",
            "automaton::duplicate-symbol",
            "a",
        ),
        (
            "automaton R = regex \"[ab]*a[ab]{12}\" over a, b",
            "regex::too-large",
            "[ab]*a[ab]{12}",
        ),
    ];
    for (text, code, at) in cases {
        let d = named_error(text, None);
        assert_eq!(d.code, code, "{text}\n{}", render_plain(&d));
        let span = d.span.expect("a span");
        assert_eq!(&text[span.start..span.end], at, "{text}");
    }
    // Syntax: a regex needs its alphabet, one character per symbol.
    assert_eq!(error_code("automaton R = regex \"ab\""), "syntax");
    assert_eq!(error_code("automaton R = regex \"ab\" over ab"), "syntax");
}
