//! The language end to end: sources elaborate to the groups they describe,
//! checked with the groups' multiplication and known orders.

use gssm_compiler::diagnostics::render_plain;
use gssm_compiler::elaborate::{load_source, load_sources, Elaborated, Program};
use gssm_compiler::group::{Elem, Group, Limits};
use gssm_compiler::pipeline::Origin;
use gssm_compiler::target::{self, plan_with_series};
use std::collections::HashMap;

fn program(text: &str) -> Program {
    load_source("test.gssm", text, &Limits::default())
        .unwrap_or_else(|d| panic!("{}", render_plain(&d)))
}

fn build(text: &str) -> Elaborated {
    program(text)
        .group(None, &[])
        .unwrap_or_else(|d| panic!("{}", render_plain(&d)))
}

/// The error code of a source that must fail.
fn error_code(text: &str) -> &'static str {
    error_with(text, &Limits::default())
}

fn error_with(text: &str, limits: &Limits) -> &'static str {
    match load_source("test.gssm", text, limits).and_then(|p| p.group(None, &[])) {
        Ok(e) => panic!(
            "expected an error, built {} of order {}",
            e.group.name,
            e.group.order()
        ),
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

fn gen(g: &Group, name: &str) -> Elem {
    let j = g
        .generator_names()
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no generator {name} in {:?}", g.generator_names()));
    g.generators()[j]
}

fn names(g: &Group) -> Vec<&str> {
    g.generator_names().iter().map(String::as_str).collect()
}

#[test]
fn relations_as_equations_and_inverses() {
    let g = build("group Q = < i, j | i^4, i^2 = j^2, j^-1*i*j = i^-1 >").group;
    assert_eq!(g.order(), 8);
    assert!(!g.is_abelian());
    let (i, j) = (gen(&g, "i"), gen(&g, "j"));
    assert_eq!(g.mul(g.mul(g.inv(j), i), j), g.inv(i));
    assert_eq!(g.pow(i, 2), g.pow(j, 2));
}

#[test]
fn pc_presentations_in_every_relation_form() {
    let involutions = |g: &Group| g.elements().filter(|&x| g.element_order(x) == 2).count();
    // D8 and Q8 differ only in a's power relation.
    let d8 = build("group D = pc< a, b, c | a^2, b^2 = c, c^2, [b, a] = c >").group;
    let q8 = build("group Q = pc< a, b, c | a^2 = c, b^2 = c, c^2, [b, a] = c >").group;
    assert_eq!((d8.order(), involutions(&d8)), (8, 5));
    assert_eq!((q8.order(), involutions(&q8)), (8, 1));
    // The conjugate form, with the relations in any order: S3, where
    // a^-1·b·a = b^2.
    let s3 = build("group S = pc< a, b | a^-1*b*a = b^2, b^3, a^2 >").group;
    assert_eq!(names(&s3), ["a", "b"]);
    let (a, b) = (gen(&s3, "a"), gen(&s3, "b"));
    assert_eq!(s3.mul(s3.mul(s3.inv(a), b), a), s3.pow(b, 2));
    assert_eq!(s3.order(), 6);
    // Without conjugate relations the generators commute: C2 x C3 x C5.
    let c30 = build("group C = pc< a, b, c | a^2, b^3, c^5 >").group;
    assert_eq!(c30.order(), 30);
    assert!(c30.is_abelian());
    // Relative orders need not be prime, and a power may land deeper:
    // x^4 = y, y^3 gives C12.
    let c12 = build("group C = pc< x, y | x^4 = y, y^3 >").group;
    assert_eq!(c12.element_order(gen(&c12, "x")), 12);
}

#[test]
fn chained_equations_hold_pairwise() {
    // a^2 = b^2 = (a*b)^2 presents Q8.
    let g = build("group Q = < a, b | a^2 = b^2 = (a*b)^2, a^4 >").group;
    assert_eq!(g.order(), 8);
}

#[test]
fn commutators_follow_gaps_convention() {
    // In S3 with a = (1,2,3), b = (1,2): a^-1 b^-1 a b = a, while the other
    // convention a b a^-1 b^-1 gives a^2; only GAP's keeps the order 6.
    let g = build("group S = < a, b | a^3, b^2, (a*b)^2, [a, b] = a >").group;
    assert_eq!(g.order(), 6);
    let (a, b) = (gen(&g, "a"), gen(&g, "b"));
    assert_eq!(g.comm(a, b), a);
    // Left-normed: [a, b, b] = [[a, b], b].
    let g =
        build("group S = < a, b | a^3, b^2, (a*b)^2, [a, b, b] = [a, b]^-1 * b^-1 * [a, b] * b >")
            .group;
    assert_eq!(g.order(), 6);
    // Commuting generators.
    assert_eq!(
        build("group A = < a, b | a^3, b^3, [a, b] >").group.order(),
        9
    );
}

#[test]
fn powers_of_words_with_expression_exponents() {
    let p =
        program("group D(n) = < r, s | r^(n/2), s^2, (s*r)^2 >\ngroup E(n) = < a | a^(2*n - n) >");
    assert_eq!(p.group(Some("D"), &[12]).unwrap().group.order(), 12);
    assert_eq!(p.group(Some("E"), &[5]).unwrap().group.order(), 5);
    assert_eq!(p.eval("D(4 * 3 + 4)").unwrap().group.order(), 16);
    // Negative and repeated exponents: (a^2)^-1 has order 3 in C6.
    assert_eq!(build("group G = < a | (a^2)^-1^3 >").group.order(), 6);
    assert_eq!(build("group G = < a | a^-5 >").group.order(), 5);
}

#[test]
fn integer_expressions() {
    let p = program(
        "group F(n) require n % 3 == 1 && !(n < 0) || n == -2, \"no\" = < a | a^n >\n\
         group P(p) = < a | a^primroot(p) >\n\
         group M(a, b) = < x | x^(max(a, b) - min(a, b) + gcd(12, 18) + abs(-1) + 2^3^0 - 10 % 4) >",
    );
    assert_eq!(p.eval("F(7)").unwrap().group.order(), 7);
    assert_eq!(p.eval("F(-2)").unwrap().group.order(), 2);
    assert!(p.eval("F(6)").is_err());
    assert_eq!(p.eval("P(7)").unwrap().group.order(), 3); // primroot(7) = 3
    assert_eq!(p.eval("P(23)").unwrap().group.order(), 5);
    // 5 - 2 + 6 + 1 + 2 - 2 = 10 (2^3^0 = 2^(3^0) = 2; -10 % 4 is not involved).
    assert_eq!(p.eval("M(2, 5)").unwrap().group.order(), 10);
    // Euclidean % and /: -7 % 3 = 2, -7 / 2 = -4.
    let p = program("group R(n) = < a | a^(n % 3 + 1) >\ngroup Q(n) = < a | a^(-(n / 2)) >");
    assert_eq!(p.eval("R(-7)").unwrap().group.order(), 3);
    assert_eq!(p.eval("Q(-7)").unwrap().group.order(), 4);
    // -2^2 is -(2^2).
    let p = program("group N = < a | a^(-2^2) >");
    assert_eq!(p.group(None, &[]).unwrap().group.order(), 4);
}

#[test]
fn permutation_groups() {
    let g = build("group S = perm { r = (1,2,3), s = (1,2) }").group;
    assert_eq!(g.order(), 6);
    assert_eq!(names(&g), ["r", "s"]);
    assert_eq!(g.element_order(gen(&g, "r")), 3);
    // Unnamed generators are g1, g2, …; a product of disjoint cycles.
    let g = build("group G = perm { (1,2,3)(4,5), (1,2) }").group;
    assert_eq!(names(&g), ["g1", "g2"]);
    assert_eq!(g.element_order(gen(&g, "g1")), 6);
    assert_eq!(g.order(), 12); // S3 x C2
                               // Declared degree leaves points fixed: still S3.
    assert_eq!(
        build("group G = perm(7) { (1,2,3), (1,2) }").group.order(),
        6
    );
    // The identity permutation.
    assert_eq!(build("group G = perm { () }").group.order(), 1);
    assert_eq!(build("group G = perm(3) { }").group.order(), 1);
}

#[test]
fn ranges_and_comprehensions() {
    let p = program(
        "group Sym(n) = perm(n) { (k, k+1) for k in 1..n-1 }\n\
         group Alt(n) = perm(n) { (1,2,k) for k in 3..n }\n\
         group Cyc(n) = perm { (1..n) }\n\
         group Bip = perm { (i, j) for i in 1..3 for j in 4..5 }\n\
         group Even(n) = perm(n) { (k, k+1)(1,2) for k in 3..n-1 if k % 2 == 1 }",
    );
    assert_eq!(p.eval("Sym(5)").unwrap().group.order(), 120);
    assert_eq!(p.eval("Sym(1)").unwrap().group.order(), 1);
    assert_eq!(p.eval("Alt(5)").unwrap().group.order(), 60);
    assert_eq!(p.eval("Alt(6)").unwrap().group.order(), 360);
    assert_eq!(p.eval("Cyc(7)").unwrap().group.order(), 7);
    assert_eq!(p.eval("Bip").unwrap().group.order(), 120);
    // (3,4)(1,2) and (5,6)(1,2): k = 3, 5 only.
    let g = p.eval("Even(6)").unwrap().group;
    assert_eq!(g.generators().len(), 2);
    assert_eq!(g.order(), 4);
}

#[test]
fn direct_products_and_generator_names() {
    let p =
        program("import \"families\"\ngroup C2 = Cyclic(2)\ngroup K = < x, y | x^2, y^2, [x, y] >");
    let g = p.eval("C2 x C2 x C2").unwrap().group;
    assert_eq!(g.order(), 8);
    assert_eq!(names(&g), ["a_1", "a_2", "a_3"]);
    assert!(g.elements().all(|x| g.mul(x, x) == 0));
    // Parentheses nest: the inner product numbers its own factors.
    assert_eq!(
        names(&p.eval("(C2 x C2) x C2").unwrap().group),
        ["a_1", "a_2", "a"]
    );
    // Unique names are kept.
    assert_eq!(
        names(&p.eval("K x Cyclic(3)").unwrap().group),
        ["x", "y", "a"]
    );
    // Powers.
    let g = p.eval("Cyclic(3)^2").unwrap().group;
    assert_eq!((g.order(), names(&g)), (9, vec!["a_1", "a_2"]));
    assert_eq!(p.eval("C2^0").unwrap().group.order(), 1);
    assert_eq!(p.eval("Cyclic(2) × Cyclic(3)").unwrap().group.order(), 6);
}

#[test]
fn semidirect_products() {
    let g = build("group F = < a | a^7 > : < b | b^3 > by { b: a -> a^2 }").group;
    assert_eq!(g.order(), 21);
    assert!(!g.is_abelian());
    let (a, b) = (gen(&g, "a"), gen(&g, "b"));
    // The action is a ↦ b^-1·a·b.
    assert_eq!(g.mul(g.mul(g.inv(b), a), b), g.pow(a, 2));
    // Unmapped generators of N are fixed; unmentioned generators of H act
    // trivially.
    let g = build(
        "group G = < a, c | a^3, c^3, [a, c] > : < b, d | b^2, d^2, [b, d] > by { b: a -> a^-1 }",
    )
    .group;
    assert_eq!(g.order(), 36);
    let (a, b, c, d) = (gen(&g, "a"), gen(&g, "b"), gen(&g, "c"), gen(&g, "d"));
    assert_eq!(g.mul(g.mul(g.inv(b), a), b), g.inv(a));
    assert_eq!(g.mul(g.mul(g.inv(b), c), b), c);
    assert_eq!(g.mul(g.mul(g.inv(d), a), d), a);
    // Several blocks, separated by `;` or `,`; repeated names are numbered.
    let g = build("import \"families\"\ngroup G = (Cyclic(3) x Cyclic(3)) : < s, t | s^2, t^2, [s, t] > by { s: a_1 -> a_1^-1, t: a_2 -> a_2^-1 }").group;
    assert_eq!(g.order(), 36);
    let g = build("import \"families\"\ngroup G = Cyclic(5) : Cyclic(4) by { a: a -> a^2 }").group;
    assert_eq!((g.order(), names(&g)), (20, vec!["a_1", "a_2"]));
}

#[test]
fn series_hints_are_recorded_and_checked_by_the_target() {
    let e = build("import \"seed\"\ngroup Q8s = Q8 with series [ <a>, <a^2> ]");
    assert_eq!(e.group.name, "Q8s");
    let s = e.series.clone().expect("series recorded");
    assert_eq!(s.subgroups.len(), 2);
    let g = &e.group;
    let a = gen(g, "a");
    assert_eq!(s.subgroups, vec![vec![a], vec![g.pow(a, 2)]]);
    assert_eq!(&s.source.text[s.spans[0].start..s.spans[0].end], "<a>");
    let origin: Origin = e.origin();
    assert!(origin.series.is_some());
    let aussm = target::by_name("aussm").unwrap();
    assert_eq!(plan_with_series(g, aussm, &s.subgroups).unwrap().depth(), 3);
    // A series that is not normal is recorded, then rejected by the target.
    let e = build("import \"seed\"\ngroup S = S4 with series [ <t> ]");
    assert!(plan_with_series(&e.group, aussm, &e.series.unwrap().subgroups).is_err());
    // The trivial subgroup may be written `1` or `<>`.
    let e = build("group Z = < a | a^4 > with series [ <a^2>, 1 ]");
    assert_eq!(e.series.unwrap().subgroups[1], Vec::<Elem>::new());
}

#[test]
fn default_group_definitions_and_arguments() {
    let p = program("group A = < a | a^2 >\ngroup B = < a | a^3 >");
    assert_eq!(p.group(None, &[]).unwrap().group.name, "B");
    assert_eq!(p.group(Some("A"), &[]).unwrap().group.order(), 2);
    assert_eq!(
        p.definitions()
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>(),
        ["A", "B"]
    );
    let p = program("import \"families\"\ngroup G(n) = Dihedral(2*n) x Cyclic(n)");
    let e = p.group(None, &[3]).unwrap();
    assert_eq!((e.group.name.as_str(), e.group.order()), ("G(3)", 18));
    assert!(
        p.group(None, &[]).is_err(),
        "a parameterised last group needs arguments"
    );
    // An alias keeps the group and takes the new name.
    let e = build("import \"families\"\ngroup D10 = Dihedral(10)");
    assert_eq!((e.group.name.as_str(), e.group.order()), ("D10", 10));
}

#[test]
fn imports_resolve_relative_files_once_and_detect_cycles() {
    let mut files = HashMap::new();
    files.insert(
        "lib/a.gssm".to_string(),
        "import \"b.gssm\"\ngroup A = B x < x | x^2 >".to_string(),
    );
    files.insert(
        "lib/b.gssm".to_string(),
        "import \"families\"\ngroup B = Cyclic(3)".to_string(),
    );
    files.insert(
        "lib/c.gssm".to_string(),
        "import \"b.gssm\"\ngroup C = B".to_string(),
    );
    let p = load_sources(
        "main.gssm",
        "import \"lib/a.gssm\"\nimport \"lib/c.gssm\"\ngroup M = A x C",
        &files,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(p.group(None, &[]).unwrap().group.order(), 18);

    files.insert(
        "lib/loop.gssm".to_string(),
        "import \"../main.gssm\"\ngroup L = < a | a^2 >".to_string(),
    );
    let err = load_sources(
        "main.gssm",
        "import \"lib/loop.gssm\"\ngroup M = L",
        &files,
        &Limits::default(),
    )
    .err()
    .expect("cycle");
    assert_eq!(err.code, "import::cycle");
    assert!(
        err.message
            .contains("main.gssm → lib/loop.gssm → main.gssm"),
        "{}",
        err.message
    );
}

#[test]
fn convention_warnings() {
    let e = build("import \"families\"\ngroup G = Dihedral(6)");
    assert_eq!(e.warnings.len(), 1);
    assert!(
        e.warnings[0].message.contains("Dihedral(12)"),
        "{}",
        e.warnings[0].message
    );
    // The stdlib's own uses of families raise none.
    assert!(build("import \"seed\"\ngroup G = SL23 x S4")
        .warnings
        .is_empty());
    // A name read in GAP's convention that the group contradicts.
    let e = build("import \"families\"\ngroup D6 = perm { (1,2,3,4,5,6), (1,6)(2,5)(3,4) }");
    assert_eq!(e.group.order(), 12);
    assert!(
        e.warnings.iter().any(|w| w.message.contains("D12")),
        "{:?}",
        e.warnings
    );
    assert!(build("group C4 = < a | a^4 >").warnings.is_empty());
}

#[test]
fn errors_point_at_the_source_and_never_panic() {
    assert_eq!(error_code("group G = < a | a^3 "), "syntax");
    assert_eq!(error_code("group G = Foo"), "name::unknown-group");
    assert_eq!(error_code("group G = Dihedral(8)"), "name::unknown-group");
    assert_eq!(
        error_code("import \"families\"\ngroup G = Dihedral(7)"),
        "require"
    );
    assert_eq!(
        error_code("import \"families\"\ngroup G = Dihedral(2, 3)"),
        "arity"
    );
    assert_eq!(
        error_code("group G = perm { (1,2,1) }"),
        "perm::not-a-permutation"
    );
    assert_eq!(error_code("group G = perm { (0,1) }"), "perm::point");
    assert_eq!(error_code("group G = perm(3) { (1,4) }"), "perm::point");
    assert_eq!(
        error_code("group G = < a | a^7 > : < b | b^2 > by { b: a -> a^2 }"),
        "action::not-homomorphism"
    );
    assert_eq!(
        error_code("group G = < a | b^2 >"),
        "name::unknown-generator"
    );
    assert_eq!(
        error_code("group F(n) = F(n + 1)\ngroup G = F(1)"),
        "recursion"
    );
    assert_eq!(error_code("group A = B\ngroup B = A"), "recursion");
    let small = Limits {
        max_cosets: 10_000,
        ..Limits::default()
    };
    assert_eq!(
        error_with("group G = < a, b | a^2, b^3 >", &small),
        "group::cosets"
    );
    let tiny = Limits {
        max_elements: 100,
        ..Limits::default()
    };
    assert_eq!(
        error_with("group G = perm { (1..6), (1,2) }", &tiny),
        "group::too-large"
    );
    assert_eq!(
        error_with("group G = < a | a^101 >", &tiny),
        "group::too-large"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // Run on a small stack, as test threads and embedders may.
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let deep = format!(
                "group G = < a | {}a{} >",
                "(".repeat(5000),
                ")".repeat(5000)
            );
            assert_eq!(error_code(&deep), "syntax::nesting");
            let ok = format!("group G = < a | {}a^2{} >", "(".repeat(40), ")".repeat(40));
            assert_eq!(build(&ok).group.order(), 2);
            let long = format!("group G = < a | a^({}1) >", "1+".repeat(10_000));
            assert_eq!(error_code(&long), "syntax::expression");
            let minus = format!("group G = < a | a^({}2) >", "-".repeat(10_000));
            assert_eq!(error_code(&minus), "syntax::expression");
            // Definitions nested up to the limit still work.
            let mut chain = String::from("group D0 = < a | a^2 >\n");
            for i in 1..60 {
                chain.push_str(&format!(
                    "group D{i}x = D{}{}\n",
                    i - 1,
                    if i == 1 { "" } else { "x" }
                ));
            }
            assert_eq!(build(&chain).group.order(), 2);
            assert_eq!(
                error_code("group F(n) = F(n + 1) x F(n)\ngroup G = F(0)"),
                "recursion"
            );
        })
        .unwrap()
        .join()
        .unwrap();
}

/// Exponents reaching i64::MIN (which has no negation) are errors, never an
/// overflow panic or a silently wrapped inverse (found by fuzzing).
#[test]
fn extreme_exponents_are_errors_not_overflows() {
    assert_eq!(
        error_code("group G = < a | (a*a)^(0-9223372036854775807-1) >"),
        "word::overflow"
    );
    assert_eq!(
        error_code("group G = < a | a^(0-9223372036854775807-1) >"),
        "word::overflow"
    );
    // Syllables whose sum would be i64::MIN stay apart; inverting them (in a
    // commutator) must not overflow, whatever the enumeration then says.
    let r = load_source(
        "t.gssm",
        "group G = < a | a^4, [a^(0-9223372036854775807)*a^-1, a] >",
        &Limits::default(),
    )
    .and_then(|p| p.group(None, &[]));
    if let Ok(g) = r {
        assert_eq!(g.group.order(), 4);
    }
}
