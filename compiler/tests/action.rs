//! Least-degree faithful permutation actions: every action found is a
//! faithful homomorphism into the symmetric group (checked against the
//! Cayley table), the named groups get their known least degrees, and the
//! oracle's groups get no more points than GAP's own representation.

mod common;

use common::{oracle_rows, perm_group};
use gssm_compiler::diagnostics::render_plain;
use gssm_compiler::elaborate::load_source;
use gssm_compiler::group::{Group, Limits};
use gssm_compiler::structure::action::{least_faithful_action, ActionLimits, PointAction};
use std::time::Instant;

fn stdlib(expr: &str) -> Group {
    stdlib_with(expr, &Limits::default())
}

fn stdlib_with(expr: &str, limits: &Limits) -> Group {
    let p = load_source("t.gssm", "import \"seed\"\nimport \"families\"\n", limits)
        .unwrap_or_else(|d| panic!("{}", render_plain(&d)));
    p.eval(expr)
        .unwrap_or_else(|d| panic!("{expr}: {}", render_plain(&d)))
        .group
}

/// The same group, numbered the same, without the permutations it was
/// written as: the action must then come from the subgroup search.
fn forget_source(g: &Group) -> Group {
    let (n, gens) = (g.order(), g.generators());
    let s = gens.len();
    let mut right_mul = vec![0; n * s];
    for x in g.elements() {
        for (j, &t) in gens.iter().enumerate() {
            right_mul[x as usize * s + j] = g.mul(x, t);
        }
    }
    let names = g.generator_names().to_vec();
    let limits = Limits {
        max_elements: n,
        ..Limits::default()
    };
    let h =
        Group::from_cayley_graph(&g.name, names, n, &right_mul, 0, &limits).expect("same group");
    assert!(h.source_perms().is_none());
    assert_eq!(h.table(), g.table(), "{}: renumbered", g.name);
    h
}

/// Permutations, a homomorphism (images of g·h = images of g, then of h),
/// faithful, and the orbits are the orbits.
fn check(g: &Group, a: &PointAction) {
    let (n, d) = (g.order(), a.degree);
    let name = &g.name;
    assert_eq!(a.images.len(), n * d, "{name}");
    assert!(
        (0..d as u32).all(|j| a.image(0, j) == j),
        "{name}: identity"
    );
    for x in g.elements() {
        let mut hit = vec![false; d];
        for &p in a.perm(x) {
            assert!(
                !std::mem::replace(&mut hit[p as usize], true),
                "{name}: {x} is no permutation"
            );
        }
        if x != 0 {
            assert!(
                (0..d as u32).any(|j| a.image(x, j) != j),
                "{name}: {x} acts trivially"
            );
        }
    }
    for x in g.elements() {
        for y in g.elements() {
            let xy = a.perm(g.mul(x, y));
            let (px, py) = (a.perm(x), a.perm(y));
            assert!(
                (0..d).all(|j| xy[j] == py[px[j] as usize]),
                "{name}: images of {x}·{y} are not those of {x}, then {y}"
            );
        }
    }
    let mut all: Vec<u32> = a.orbits.iter().flatten().copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..d as u32).collect::<Vec<_>>(), "{name}: orbits");
    for w in a.orbits.windows(2) {
        assert!(w[0][0] < w[1][0], "{name}: orbits out of order");
    }
    for o in &a.orbits {
        assert!(o.windows(2).all(|w| w[0] < w[1]), "{name}: orbit unsorted");
        let mut reach: Vec<u32> = g.elements().map(|x| a.image(x, o[0])).collect();
        reach.sort_unstable();
        reach.dedup();
        assert_eq!(&reach, o, "{name}: not an orbit");
    }
}

/// GAP's MinimalFaithfulPermutationDegree.
const LEAST: [(&str, usize); 14] = [
    ("S3", 3),
    ("A4", 4),
    ("A5", 5),
    ("S5", 5),
    ("S6", 6),
    ("Q8", 8),
    ("C6", 5),
    ("C60", 12),
    ("C2xC4", 6),
    ("SL23", 8),
    ("A4xC5", 9),
    ("PSL27", 7),
    ("SL25", 24),
    ("GL23", 8),
];

#[test]
fn named_groups_get_their_least_degree() {
    let lim = ActionLimits::default();
    for (name, want) in LEAST {
        let g = stdlib(name);
        for (g, from) in [(forget_source(&g), "search"), (g, "as written")] {
            let a = least_faithful_action(&g, &lim);
            check(&g, &a);
            assert_eq!(a.degree, want, "{name} ({from}): {}", a.how);
            assert_eq!(
                a,
                least_faithful_action(&g, &lim),
                "{name}: not deterministic"
            );
        }
    }
}

#[test]
fn how_the_action_was_found() {
    let lim = ActionLimits::default();
    let how = |expr: &str, source: bool| {
        let g = stdlib(expr);
        let g = if source { g } else { forget_source(&g) };
        least_faithful_action(&g, &lim).how
    };
    assert_eq!(how("S5", true), "the source's action on 5 points");
    assert_eq!(how("Q8", false), "regular");
    assert_eq!(
        how("SL25", false),
        "cosets of a core-free subgroup of order 5 (index 24)"
    );
    assert_eq!(
        how("C6", false),
        "cosets of subgroups of orders 3, 2 whose cores meet trivially (2 + 3 points)"
    );
    // S3 on 3 points with 3 fixed points besides and a second, needless
    // copy of the action on 3 more.
    let p = load_source(
        "t.gssm",
        "group G = perm(9) { (1,2,3)(7,8,9), (1,2)(7,8) }\n",
        &Limits::default(),
    )
    .unwrap();
    let g = p.group(None, &[]).unwrap().group;
    let a = least_faithful_action(&g, &lim);
    check(&g, &a);
    assert_eq!(a.how, "the source's action, on 3 of its 9 points");
    assert_eq!(a.orbits, vec![vec![0, 1, 2]]);
    // S3 written as its regular action on 6 points: the search does better.
    let p = load_source(
        "t.gssm",
        "group G = perm(6) { (1,2,3)(4,5,6), (1,4)(2,6)(3,5) }\n",
        &Limits::default(),
    )
    .unwrap();
    let g = p.group(None, &[]).unwrap().group;
    let a = least_faithful_action(&g, &lim);
    check(&g, &a);
    assert_eq!(g.order(), 6);
    assert_eq!(a.how, "cosets of a core-free subgroup of order 2 (index 3)");
    // The trivial group acts on one point.
    let a = least_faithful_action(&stdlib("Cyclic(1)"), &lim);
    assert_eq!((a.degree, a.images, a.how), (1, vec![0], "regular".into()));
}

#[test]
fn oracle_groups_get_no_more_points_than_gap() {
    let lim = ActionLimits::default();
    let mut worse = Vec::new();
    for row in oracle_rows() {
        let g = perm_group(&row);
        let gap = row["perm_degree"].as_u64().unwrap() as usize;
        for (g, from) in [(forget_source(&g), "search"), (g, "as written")] {
            let a = least_faithful_action(&g, &lim);
            check(&g, &a);
            if a.degree > gap {
                worse.push(format!(
                    "{} ({from}): {} points ({}), GAP {gap}",
                    g.name, a.degree, a.how
                ));
            }
        }
    }
    assert!(worse.is_empty(), "{}", worse.join("\n"));
}

/// A permutation for each element, a homomorphism on the generators (so
/// everywhere), faithful: for groups too large to check every product.
fn check_on_generators(g: &Group, a: &PointAction) {
    let d = a.degree;
    for x in g.elements() {
        let mut hit = vec![false; d];
        for &p in a.perm(x) {
            assert!(!std::mem::replace(&mut hit[p as usize], true));
        }
        assert_eq!(
            x == 0,
            (0..d as u32).all(|j| a.image(x, j) == j),
            "{}: {x}",
            g.name
        );
        for &t in g.generators() {
            let (xt, px, pt) = (a.perm(g.mul(x, t)), a.perm(x), a.perm(t));
            assert!((0..d).all(|j| xt[j] == pt[px[j] as usize]), "{}", g.name);
        }
    }
}

/// The search on larger groups, timed (run with --nocapture to see the
/// times); the caps keep order 8192 bounded. The degrees are the least
/// ones: for a direct product of nilpotent groups the least degree is the
/// sum of the factors' (D. Wright, Amer. J. Math. 97, 1975); Dihedral(1000)
/// (a 500-gon, 500 = 4·125) needs 4 + 125 points and Dihedral(8192) (a
/// 4096-gon, 4096 a power of 2) 4096; AGL(1, p) needs p; C_p^k needs kp;
/// the generalised quaternion group Dicyclic(1024) has one involution, in
/// every non-trivial subgroup, so only its regular action is faithful.
#[test]
fn search_on_larger_groups() {
    let lim = ActionLimits::default();
    let big = Limits {
        max_elements: 8192,
        ..Limits::default()
    };
    for (expr, want) in [
        ("S6", 6),
        ("PSL27 x Cyclic(6)", 12),
        ("SL25 x Cyclic(8)", 32),
        ("GL23 x S4", 12),
        ("Dihedral(1000)", 129),
        ("A5 x A4", 9),
        ("S4 x S4", 8),
        ("AGL1(31)", 31),
        ("Cyclic(2)^10", 20),
        ("Dicyclic(1024)", 1024),
        ("Dihedral(8)^3 x Cyclic(2)", 14),
        ("Quaternion(8)^3 x Cyclic(2)", 26),
        ("Dihedral(8192)", 4096),
        ("Cyclic(2)^13", 26),
        ("Dihedral(8)^4 x Cyclic(2)", 18),
    ] {
        let g = forget_source(&stdlib_with(expr, &big));
        let t = Instant::now();
        let a = least_faithful_action(&g, &lim);
        let dt = t.elapsed();
        println!(
            "{expr} (order {}): degree {} in {:.3} s ({})",
            g.order(),
            a.degree,
            dt.as_secs_f64(),
            a.how
        );
        check_on_generators(&g, &a);
        assert_eq!(a.degree, want, "{expr}: {}", a.how);
    }
}
