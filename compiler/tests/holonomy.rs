//! The holonomy cascade: every local map is a permutation or a reset, and
//! the cascade, run from its start (or from any encoded state) on any word,
//! always decodes to the state the automaton reaches. Checked by a
//! breadth-first search over the reachable cascade states. The depth is
//! checked against the height of Q computed here from the definitions
//! (subduction as containment in an image of the set's orbit, height as
//! the longest strict chain down to a singleton), not the module's classes
//! and tiles.

use gssm_compiler::automaton::holonomy::{Cascade, HolonomyError, LocalMap};
use gssm_compiler::automaton::monoid::analyse;
use gssm_compiler::automaton::Automaton;
use gssm_compiler::group::Limits;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

fn automaton(name: &str, n: usize, start: u32, maps: Vec<Vec<u32>>) -> Automaton {
    Automaton {
        name: name.into(),
        states: (0..n).map(|q| format!("q{q}")).collect(),
        start,
        accept: vec![false; n],
        symbols: maps
            .into_iter()
            .enumerate()
            .map(|(i, m)| (format!("s{i}"), m))
            .collect(),
    }
}

// ------------------------------------------------------------ brute force

type Set = BTreeSet<u32>;

/// The sets reachable from `p` by the symbols' maps, p included.
fn orbit(a: &Automaton, p: &Set) -> Vec<Set> {
    let mut seen: BTreeSet<Set> = BTreeSet::from([p.clone()]);
    let mut queue = vec![p.clone()];
    while let Some(x) = queue.pop() {
        for (_, m) in &a.symbols {
            let y: Set = x.iter().map(|&q| m[q as usize]).collect();
            if seen.insert(y.clone()) {
                queue.push(y);
            }
        }
    }
    seen.into_iter().collect()
}

/// The height of Q: images of Q and singletons, x ⊑ y iff x lies in some
/// y·m, heights by longest strict chains with singletons at 0.
fn brute_depth(a: &Automaton) -> usize {
    let n = a.states.len() as u32;
    let q: Set = (0..n).collect();
    let mut ext: BTreeSet<Set> = orbit(a, &q).into_iter().collect();
    ext.extend((0..n).map(|x| Set::from([x])));
    let ext: Vec<Set> = ext.into_iter().collect();
    let orbits: Vec<Vec<Set>> = ext.iter().map(|x| orbit(a, x)).collect();
    let below = |x: usize, y: usize| orbits[y].iter().any(|z| ext[x].is_subset(z));
    fn height(
        y: usize,
        ext: &[Set],
        below: &dyn Fn(usize, usize) -> bool,
        memo: &mut HashMap<usize, usize>,
    ) -> usize {
        if ext[y].len() == 1 {
            return 0;
        }
        if let Some(&h) = memo.get(&y) {
            return h;
        }
        let h = 1
            + (0..ext.len())
                .filter(|&x| below(x, y) && !below(y, x))
                .map(|x| height(x, ext, below, memo))
                .max()
                .unwrap_or(0);
        memo.insert(y, h);
        h
    }
    let top = ext.iter().position(|x| *x == q).unwrap();
    height(top, &ext, &below, &mut HashMap::new())
}

/// The permutations the generators generate, or `None` past `cap`.
fn closure(gens: &[Vec<u32>], size: usize, cap: usize) -> Option<HashSet<Vec<u32>>> {
    let id: Vec<u32> = (0..size as u32).collect();
    let mut all = HashSet::from([id.clone()]);
    let mut queue = vec![id];
    while let Some(x) = queue.pop() {
        for g in gens {
            let y: Vec<u32> = x.iter().map(|&i| g[i as usize]).collect();
            if all.insert(y.clone()) {
                if all.len() > cap {
                    return None;
                }
                queue.push(y);
            }
        }
    }
    Some(all)
}

fn is_identity(p: &[u32]) -> bool {
    p.iter().enumerate().all(|(i, &j)| i as u32 == j)
}

// ------------------------------------------------------------ the check

/// Build the cascade and check it against the automaton on every state
/// reachable from its start and from the encoding of each state; returns
/// it with the number of cascade states visited.
fn check(a: &Automaton) -> (Cascade, usize) {
    let c = Cascade::new(a, &Limits::default()).unwrap_or_else(|e| panic!("{}: {e}", a.name));
    let levels = c.levels();
    let d = levels.len();
    assert_eq!(d, brute_depth(a), "depth of {}", a.name);
    if a.states.len() > 1 {
        assert!(d >= 1, "{}: more than one state needs a level", a.name);
    }
    for (i, l) in levels.iter().enumerate() {
        assert_eq!(l.height, d - i);
        assert!(l.size >= 2, "a set with a height has two tiles at least");
    }
    assert_eq!(c.decode(&c.start()), a.start, "{}: start", a.name);
    // Aperiodicity from the monoid analysis, where its closure fits.
    let aperiodic = analyse(a, &Limits::default()).ok().map(|an| an.aperiodic);
    let groups: Vec<Vec<Vec<u32>>> = (0..d).map(|i| c.level_group_generators(i)).collect();
    let closures: Vec<Option<HashSet<Vec<u32>>>> = (0..d)
        .map(|i| closure(&groups[i], levels[i].size, 20_000))
        .collect();
    if aperiodic == Some(true) {
        assert!(
            groups.iter().all(Vec::is_empty),
            "{}: aperiodic, yet a holonomy group is not trivial",
            a.name
        );
    }

    let mut seen: HashSet<Vec<u32>> = HashSet::new();
    let mut queue: VecDeque<Vec<u32>> = VecDeque::new();
    for q in 0..a.states.len() as u32 {
        let e = c.encode(q);
        assert_eq!(e.len(), d);
        assert_eq!(c.decode(&e), q, "{}: encode({q})", a.name);
        if seen.insert(e.clone()) {
            queue.push_back(e);
        }
    }
    if seen.insert(c.start()) {
        queue.push_back(c.start());
    }
    while let Some(u) = queue.pop_front() {
        let q = c.decode(&u);
        for (s, (name, map)) in a.symbols.iter().enumerate() {
            let mut v = Vec::with_capacity(d);
            for i in 0..d {
                let m = c.local(i, s, &u[..i]);
                match &m {
                    LocalMap::Perm(p) => {
                        assert_eq!(p.len(), levels[i].size);
                        let mut sorted = p.clone();
                        sorted.sort_unstable();
                        assert!(is_identity(&sorted), "{}: not a permutation", a.name);
                        if aperiodic == Some(true) {
                            assert!(is_identity(p), "{}: aperiodic, yet {p:?}", a.name);
                        }
                        if let Some(g) = &closures[i] {
                            assert!(
                                g.contains(p),
                                "{}: level {i} permutes outside its group",
                                a.name
                            );
                        }
                    }
                    LocalMap::Const(x) => assert!((*x as usize) < levels[i].size),
                }
                v.push(m.apply(u[i]));
            }
            assert_eq!(
                c.step(&u, s),
                v,
                "{}: step agrees with the local maps",
                a.name
            );
            assert_eq!(
                c.decode(&v),
                map[q as usize],
                "{}: from {u:?} (state {q}) on {name}",
                a.name
            );
            if seen.insert(v.clone()) {
                queue.push_back(v);
            }
        }
    }
    (c, seen.len())
}

/// The group the generators generate, as a set of permutations.
fn group(gens: &[Vec<u32>], size: usize) -> HashSet<Vec<u32>> {
    closure(gens, size, 1_000_000).unwrap()
}

fn depth(a: &Automaton) -> usize {
    check(a).0.levels().len()
}

/// A permutation automaton: one level whose group is the automaton's.
fn check_permutation_automaton(a: &Automaton) -> usize {
    let (c, _) = check(a);
    assert_eq!(c.levels().len(), 1, "{}: one level", a.name);
    assert_eq!(c.levels()[0].size, a.states.len());
    let n = a.states.len();
    let maps: Vec<Vec<u32>> = a.symbols.iter().map(|(_, m)| m.clone()).collect();
    let g = group(&c.level_group_generators(0), n);
    assert_eq!(g, group(&maps, n), "{}: the level group", a.name);
    g.len()
}

// ------------------------------------------------------------ examples

fn flip_flop() -> Automaton {
    // set 0, set 1, and two identities.
    automaton(
        "FlipFlop",
        2,
        0,
        vec![vec![0, 0], vec![1, 1], vec![0, 1], vec![0, 1]],
    )
}

fn ab_star() -> Automaton {
    // 0 = start (accepting), 1 = after a, 2 = dead.
    automaton("ABStar", 3, 0, vec![vec![1, 2, 2], vec![2, 0, 2]])
}

/// Tomita's seven languages over {0, 1}, as minimal DFAs (symbol 0 reads
/// a 0, symbol 1 a 1).
fn tomita(k: usize) -> Automaton {
    let (n, zero, one): (usize, Vec<u32>, Vec<u32>) = match k {
        // 1*: 0 = ok, 1 = dead.
        1 => (2, vec![1, 1], vec![0, 1]),
        // (10)*: 0 = ok, 1 = after a 1, 2 = dead.
        2 => (3, vec![2, 0, 2], vec![1, 2, 2]),
        // No odd run of 1s directly followed by an odd run of 0s:
        // 0 = fine, 1 = odd run of 1s, 2 = then an odd run of 0s,
        // 3 = then an even run of 0s, 4 = dead.
        3 => (5, vec![0, 2, 3, 2, 4], vec![1, 0, 4, 1, 4]),
        // No 000: the number of trailing 0s, 3 = dead.
        4 => (4, vec![1, 2, 3, 3], vec![0, 0, 0, 3]),
        // Even numbers of 0s and of 1s: 2·(#1 mod 2) + (#0 mod 2).
        5 => (4, vec![1, 0, 3, 2], vec![2, 3, 0, 1]),
        // #0 − #1 ≡ 0 (mod 3).
        6 => (3, vec![1, 2, 0], vec![2, 0, 1]),
        // 0*1*0*1*: the block being read, 4 = dead.
        7 => (5, vec![0, 2, 2, 4, 4], vec![1, 1, 3, 3, 4]),
        _ => unreachable!(),
    };
    automaton(&format!("Tomita{k}"), n, 0, vec![zero, one])
}

/// Balanced brackets of `pairs` kinds nested at most `depth` deep: the
/// states are the stacks of open brackets, then a dead state; symbol 2i
/// opens kind i, 2i + 1 closes it.
fn dyck(pairs: u32, depth: usize) -> Automaton {
    let mut stacks: Vec<Vec<u32>> = vec![vec![]];
    let mut i = 0;
    while i < stacks.len() {
        if stacks[i].len() < depth {
            for b in 0..pairs {
                let mut s = stacks[i].clone();
                s.push(b);
                stacks.push(s);
            }
        }
        i += 1;
    }
    let dead = stacks.len() as u32;
    let index: HashMap<Vec<u32>, u32> = stacks
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), i as u32))
        .collect();
    let mut maps = Vec::new();
    for b in 0..pairs {
        let mut open = Vec::new();
        let mut close = Vec::new();
        for s in &stacks {
            let mut o = s.clone();
            o.push(b);
            open.push(index.get(&o).copied().unwrap_or(dead));
            close.push(if s.last() == Some(&b) {
                index[&s[..s.len() - 1]]
            } else {
                dead
            });
        }
        open.push(dead);
        close.push(dead);
        maps.push(open);
        maps.push(close);
    }
    automaton(&format!("Dyck({pairs},{depth})"), stacks.len() + 1, 0, maps)
}

fn counter_reset(n: u32) -> Automaton {
    let inc = (0..n).map(|q| (q + 1) % n).collect();
    automaton(
        &format!("CounterReset{n}"),
        n as usize,
        0,
        vec![inc, vec![0; n as usize]],
    )
}

/// The full transformation monoid: an n-cycle, a transposition and a map
/// merging two states generate all n^n maps.
fn full(n: u32) -> Automaton {
    let cycle = (0..n).map(|q| (q + 1) % n).collect();
    let mut swap: Vec<u32> = (0..n).collect();
    swap.swap(0, 1);
    let mut merge: Vec<u32> = (0..n).collect();
    merge[1] = 0;
    automaton(&format!("T{n}"), n as usize, 0, vec![cycle, swap, merge])
}

#[test]
fn flip_flop_is_one_reset_level() {
    // Images Q, {0}, {1}: Q has height 1.
    let (c, _) = check(&flip_flop());
    assert_eq!(c.levels().len(), 1);
    assert_eq!(c.levels()[0].size, 2);
    assert!(c.level_group_generators(0).is_empty());
}

#[test]
fn ab_star_has_two_levels() {
    // Images Q, {1,2} ≡ {0,2} (a and b swap them), {2}: the pair class has
    // height 1, Q height 2.
    assert_eq!(depth(&ab_star()), 2);
}

#[test]
fn tomita_languages() {
    // Hand-derived heights of Q (and the brute force in `check` agrees):
    // 1: Q ⊃ {dead}. 2: as (ab)*. 3: Q ⊃ {0,2,3,4} ⊃ {0,2,4} ≡ {0,3,4} ⊃
    // the class of pairs {0,4}, {1,4}, {2,4}, {3,4}. 4: Q ⊃ {1,2,3} ⊃ the
    // pairs {i, 3}. 5, 6: transitive groups. 7: Q → {0,2,4} → {1,3,4} →
    // {2,4} → {3,4} → {4}, each image strictly below the one before.
    let expected = [1, 2, 4, 3, 1, 1, 5];
    for (k, want) in (1..=7).zip(expected) {
        let a = tomita(k);
        assert_eq!(depth(&a), want, "Tomita {k}");
        // Non-permutation symbols force a reset level.
        let resets = a.symbols.iter().any(|(_, m)| {
            let mut s = m.clone();
            s.sort_unstable();
            s.dedup();
            s.len() < m.len()
        });
        assert_eq!(resets, ![5, 6].contains(&k));
    }
    // Tomita 3 counts a run of 1s mod 2: the 1s swap 0 and 1. At height 3
    // both {0,2,3,4} (0s swap its tiles {0,2,4}, {0,3,4}) and {0,1,4} (1s
    // swap {1,4}, {0,4}) hold a C2, side by side on one level.
    let (c, _) = check(&tomita(3));
    let orders: Vec<usize> = (0..4)
        .map(|i| group(&c.level_group_generators(i), c.levels()[i].size).len())
        .collect();
    assert_eq!(orders, [1, 4, 1, 1]);
    assert_eq!(check_permutation_automaton(&tomita(5)), 4);
    assert_eq!(check_permutation_automaton(&tomita(6)), 3);
}

#[test]
fn bounded_dyck_languages() {
    // Dyck(1, 2) is a counter 0..2 with a dead state: Q ⊃ {1,2,d} ≡ {0,1,d}
    // ⊃ pairs {i, d} ⊃ {d}, height 3.
    let cases = [((1, 2), 3), ((1, 3), 4), ((2, 2), 3), ((2, 3), 4)];
    for ((pairs, nest), want) in cases {
        let a = dyck(pairs, nest);
        assert_eq!(depth(&a), want, "{}", a.name);
    }
}

#[test]
fn counter_with_reset_is_one_level_holding_c3() {
    // Images Q and the singletons: Q's tiles are the three states.
    let (c, _) = check(&counter_reset(3));
    assert_eq!(c.levels().len(), 1);
    let g = group(&c.level_group_generators(0), 3);
    assert_eq!(g.len(), 3);
    assert!(g.contains(&vec![1, 2, 0]));
}

#[test]
fn permutation_automata_are_one_level_of_their_group() {
    let parity = automaton("Parity", 2, 0, vec![vec![1, 0], vec![0, 1]]);
    assert_eq!(check_permutation_automaton(&parity), 2);
    let s3 = automaton("S3", 3, 0, vec![vec![1, 2, 0], vec![1, 0, 2]]);
    assert_eq!(check_permutation_automaton(&s3), 6);
    let a4 = automaton("A4", 4, 0, vec![vec![1, 2, 0, 3], vec![0, 2, 3, 1]]);
    assert_eq!(check_permutation_automaton(&a4), 12);
}

#[test]
fn full_transformation_monoids_have_n_minus_one_levels() {
    // Every non-empty subset is an image; the sets of size k form one class
    // of height k − 1, whose holonomy group is S_k on its k tiles.
    for (n, orders) in [(3, vec![6, 2]), (4, vec![24, 6, 2])] {
        let (c, _) = check(&full(n));
        assert_eq!(c.levels().len(), n as usize - 1);
        let got: Vec<usize> = (0..c.levels().len())
            .map(|i| group(&c.level_group_generators(i), c.levels()[i].size).len())
            .collect();
        assert_eq!(got, orders, "T{n}");
    }
}

#[test]
fn a_group_below_the_top_rank_gets_its_own_level() {
    // c fixes p, q and sends r to p; s swaps p and q, sends r to p; k
    // resets to p. Images Q, {p,q}, {p}, {q}: Q ⊃ {p,q} ⊃ singletons, and
    // the C2 acts on the tiles {p}, {q} of {p,q} at the lower level.
    let a = automaton(
        "Low",
        3,
        0,
        vec![vec![0, 1, 0], vec![1, 0, 0], vec![0, 0, 0]],
    );
    let (c, _) = check(&a);
    assert_eq!(c.levels().len(), 2);
    assert!(c.level_group_generators(0).is_empty());
    assert_eq!(
        group(&c.level_group_generators(1), c.levels()[1].size).len(),
        2
    );
}

#[test]
fn one_state_needs_no_level() {
    let a = automaton("One", 1, 0, vec![vec![0]]);
    let c = Cascade::new(&a, &Limits::default()).unwrap();
    assert!(c.levels().is_empty());
    assert!(c.start().is_empty());
    assert_eq!(c.decode(&[]), 0);
    assert!(c.step(&[], 0).is_empty());
}

#[test]
fn random_automata() {
    // xorshift64, fixed seed.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |k: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % k
    };
    let mut aperiodic_checked = 0;
    for t in 0..200 {
        let n = 2 + next(6) as usize;
        let k = 1 + next(4) as usize;
        let maps = (0..k)
            .map(|_| (0..n).map(|_| next(n as u64) as u32).collect())
            .collect();
        let a = automaton(&format!("R{t}"), n, next(n as u64) as u32, maps);
        check(&a);
        if analyse(&a, &Limits::default()).is_ok_and(|an| an.aperiodic) {
            aperiodic_checked += 1;
        }
    }
    assert!(aperiodic_checked > 0, "some random automaton is aperiodic");
}

#[test]
fn limits_end_the_construction_with_an_error() {
    let tight = Limits {
        max_elements: 5,
        ..Limits::default()
    };
    // T4 has 15 images of Q.
    let e = Cascade::new(&full(4), &tight).unwrap_err();
    assert_eq!(
        e,
        HolonomyError::TooLarge {
            what: "images of the state set",
            limit: 5
        }
    );
    assert!(e.to_string().contains("--max-elements"), "{e}");
    // A 6-cycle has one image, Q, with six tiles.
    let cycle = automaton("C6", 6, 0, vec![vec![1, 2, 3, 4, 5, 0]]);
    let e = Cascade::new(&cycle, &tight).unwrap_err();
    assert_eq!(
        e,
        HolonomyError::TooLarge {
            what: "tiles",
            limit: 5
        }
    );
    let small_memory = Limits {
        max_memory: 16,
        ..Limits::default()
    };
    let e = Cascade::new(&full(3), &small_memory).unwrap_err();
    assert!(e.to_string().contains("--max-memory"), "{e}");
}
