//! Faithful permutation actions of least degree.
//!
//! A faithful action of G on points is a union of transitive actions, each
//! on the right cosets of a subgroup H_i; the kernel of the action on the
//! cosets of H_i is its core (the largest normal subgroup of G inside H_i),
//! so the union is faithful exactly when the cores intersect trivially, and
//! its degree is Σ [G : H_i]. The least such sum is G's least faithful
//! degree (GAP's `MinimalFaithfulPermutationDegree`).
//!
//! [`least_faithful_action`] searches for it. Candidate subgroups are the
//! stabilisers of the permutations the group was written as (one per
//! orbit), the kernels of G's cyclic quotients of prime-power order, the
//! cyclic subgroups, for each class of elements z of prime order a maximal
//! subgroup avoiding z (grown greedily), the two-generated subgroups up to
//! conjugacy, the subgroups ⟨H, y⟩ grown from the candidates by one more
//! element at a time, and the trivial subgroup (the regular action). Of the
//! candidates with one core only the largest matters; the cheapest union
//! whose cores intersect
//! trivially is then found by a branch-and-bound search over the classes of
//! elements of prime order (an intersection of normal subgroups is trivial
//! exactly when it holds no element of prime order, and it is a union of
//! classes). Both searches are capped ([`ActionLimits`]): past the caps, on
//! large groups, the degree found may exceed the least one. With the
//! default caps a group of order about 1000 takes at most a few tenths of a
//! second in a debug build, one of order 8192 about a second.
//!
//! For abelian groups the prime-power kernels alone are enough: the least
//! faithful degree of C_{q_1} × … × C_{q_r} (q_i prime powers) is Σ q_i.

use super::abelian;
use super::series::derived_subgroup;
use super::subgroup::small_generators;
use crate::group::{Elem, Group};
use gssm_runtime::values::prime_power_parts;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// A faithful action of G on the points 0..degree, as a right action: point
/// j·g.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointAction {
    /// `images[g * degree + j]` = j·g for every element id g, so the images
    /// of g·h are those of g, then those of h.
    pub images: Vec<u32>,
    pub degree: usize,
    /// The orbits, each sorted, in order of least point.
    pub orbits: Vec<Vec<u32>>,
    /// How it was found, for messages: "the source's action on 5 points",
    /// "cosets of a core-free subgroup of order 5 (index 24)", "regular".
    pub how: String,
}

impl PointAction {
    /// j·g.
    pub fn image(&self, g: Elem, j: u32) -> u32 {
        self.images[g as usize * self.degree + j as usize]
    }
    /// The permutation of g as its image list.
    pub fn perm(&self, g: Elem) -> &[u32] {
        let d = self.degree;
        &self.images[g as usize * d..(g as usize + 1) * d]
    }
}

/// Caps on the search, so that it ends on large groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionLimits {
    /// Most group multiplications the subgroup search may spend (closures,
    /// cores, centralisers); past it the candidates found so far are used.
    pub max_work: u64,
    /// Most nodes of the search for the cheapest union of candidates; past
    /// it the cheapest union found so far is used.
    pub max_cover_nodes: u64,
}

impl Default for ActionLimits {
    fn default() -> Self {
        ActionLimits {
            max_work: 10_000_000,
            max_cover_nodes: 200_000,
        }
    }
}

/// The least-degree faithful action the search finds (see the module
/// documentation). Deterministic: the same group gives the same action,
/// with the same point numbering. The trivial group acts on one point.
pub fn least_faithful_action(g: &Group, limits: &ActionLimits) -> PointAction {
    let n = g.order();
    if n == 1 {
        return PointAction {
            images: vec![0],
            degree: 1,
            orbits: vec![vec![0]],
            how: "regular".into(),
        };
    }
    let mut s = Search::new(g, limits.max_work);
    let mut classes = Classes::new(g);
    // Classes of elements of prime order: x ≠ e with x^p = e, p | |G|.
    let primes: Vec<u32> = prime_power_parts(n as u32)
        .into_iter()
        .map(smallest_prime)
        .collect();
    let items: Vec<Elem> = classes.reps[1..]
        .iter()
        .copied()
        .filter(|&x| primes.iter().any(|&p| g.pow(x, p as i64) == 0))
        .collect();

    // The source's orbits: one candidate each, the stabiliser of its least
    // point (its core is the kernel of the action on the orbit).
    let source = g.source_perms().map(SourceAction::new);
    let mut source_best: Option<(usize, Vec<usize>)> = None;
    if let Some(src) = &source {
        let cands: Vec<Candidate> = src
            .orbits
            .iter()
            .map(|orbit| {
                let stab = src.stabiliser(g, orbit[0], &mut s.work);
                let core = s.core_of(&stab);
                Candidate {
                    index: orbit.len(),
                    sub: stab,
                    core,
                }
            })
            .collect();
        source_best = cheapest_union(&cands, &items, usize::MAX, limits.max_cover_nodes);
        for c in cands {
            s.offer(c);
        }
    }

    s.add(vec![0]);
    for k in prime_power_kernels(g) {
        s.add(k);
    }
    if !g.is_abelian() {
        // Shares of the work, so that each way of finding subgroups has
        // some on large groups.
        s.with_share(0.1, |s| s.cyclic_subgroups(&mut classes));
        // Smallest classes first: minimal normal subgroups are made of few
        // small classes (central ones alone).
        let mut size = vec![0usize; classes.reps.len()];
        for &c in &classes.class_of {
            size[c as usize] += 1;
        }
        let mut by_size = items.clone();
        by_size.sort_by_key(|&z| (size[classes.class_of[z as usize] as usize], z));
        s.with_share(0.3, |s| s.avoiding_subgroups(&by_size));
        s.with_share(0.7, |s| s.two_generated_subgroups(&mut classes));
        s.grown_subgroups();
    }

    // The search must beat the source's own action to replace it.
    let bound = source_best.as_ref().map_or(usize::MAX, |b| b.0);
    match (
        cheapest_union(&s.cands, &items, bound, limits.max_cover_nodes),
        source.zip(source_best),
    ) {
        (Some((_, chosen)), _) => {
            let mut subs: Vec<&Vec<Elem>> = chosen.iter().map(|&i| &s.cands[i].sub).collect();
            subs.sort_by_key(|h| std::cmp::Reverse(h.len()));
            coset_action(g, &subs)
        }
        (None, Some((src, (_, chosen)))) => src.restricted(g, &chosen),
        // Only past the node cap, before any union was complete.
        (None, None) => coset_action(g, &[&vec![0]]),
    }
}

/// Most candidates (distinct cores) the search keeps; past it, a subgroup
/// with a new core takes the place of one of larger index.
const MAX_CANDIDATES: usize = 2048;

/// A subgroup, its index and its core (both sorted).
struct Candidate {
    sub: Vec<Elem>,
    index: usize,
    core: Vec<Elem>,
}

/// Membership marks that clear in O(1).
struct Marks {
    mark: Vec<u32>,
    stamp: u32,
}

impl Marks {
    fn new(n: usize) -> Marks {
        Marks {
            mark: vec![0; n],
            stamp: 0,
        }
    }
    fn clear(&mut self) {
        if self.stamp == u32::MAX {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.stamp = 0;
        }
        self.stamp += 1;
    }
    fn set(&mut self, x: Elem) {
        self.mark[x as usize] = self.stamp;
    }
    fn has(&self, x: Elem) -> bool {
        self.mark[x as usize] == self.stamp
    }
}

/// Conjugacy classes: each element's class, each class's least element (in
/// increasing order) and, once known, the order of its elements (0 before).
struct Classes {
    class_of: Vec<u32>,
    reps: Vec<Elem>,
    order: Vec<usize>,
    /// Whether the class holds a generator of ⟨x⟩ for x of an earlier class.
    same_cyclic: Vec<bool>,
}

impl Classes {
    fn new(g: &Group) -> Classes {
        let n = g.order();
        let gens: Vec<Elem> = g.generators().iter().copied().filter(|&x| x != 0).collect();
        let mut class_of = vec![u32::MAX; n];
        let mut reps = Vec::new();
        let mut stack = Vec::new();
        for x in g.elements() {
            if class_of[x as usize] != u32::MAX {
                continue;
            }
            let c = reps.len() as u32;
            reps.push(x);
            class_of[x as usize] = c;
            stack.push(x);
            while let Some(y) = stack.pop() {
                for &t in &gens {
                    let z = g.mul(g.mul(g.inv(t), y), t);
                    if class_of[z as usize] == u32::MAX {
                        class_of[z as usize] = c;
                        stack.push(z);
                    }
                }
            }
        }
        let order = vec![0; reps.len()];
        let same_cyclic = vec![false; reps.len()];
        Classes {
            class_of,
            reps,
            order,
            same_cyclic,
        }
    }

    /// The order of y, from its class.
    fn order_of(&mut self, g: &Group, y: Elem, work: &mut u64) -> usize {
        let c = self.class_of[y as usize] as usize;
        if self.order[c] == 0 {
            self.order[c] = g.element_order(self.reps[c]);
            *work += self.order[c] as u64;
        }
        self.order[c]
    }
}

/// The candidate search: subgroups found so far, the best per core.
struct Search<'a> {
    g: &'a Group,
    marks: Marks,
    work: u64,
    max_work: u64,
    /// (size, hash) of every subgroup seen, so none is examined twice.
    seen: HashSet<(usize, u64)>,
    cands: Vec<Candidate>,
    by_core: HashMap<Vec<Elem>, usize>,
}

impl<'a> Search<'a> {
    fn new(g: &'a Group, max_work: u64) -> Search<'a> {
        Search {
            g,
            marks: Marks::new(g.order()),
            work: 0,
            max_work,
            seen: HashSet::new(),
            cands: Vec::new(),
            by_core: HashMap::new(),
        }
    }

    fn out_of_work(&self) -> bool {
        self.work >= self.max_work
    }

    /// Run `phase` with at most `share` of the work limit spent by its end.
    fn with_share(&mut self, share: f64, phase: impl FnOnce(&mut Self)) {
        let limit = self.max_work;
        self.max_work = (limit as f64 * share) as u64;
        phase(self);
        self.max_work = limit;
    }

    /// Examine the proper subgroup `sub` (sorted) unless seen before.
    fn add(&mut self, sub: Vec<Elem>) {
        if !self.seen.insert(key(&sub)) {
            return;
        }
        let core = self.core_of(&sub);
        let index = self.g.order() / sub.len();
        self.offer(Candidate { sub, index, core });
    }

    /// Keep `c` if no candidate with its core has index as small. Past
    /// [`MAX_CANDIDATES`], `c` takes the place of the candidate of largest
    /// index (the first such, never the regular action's) if its own is
    /// smaller.
    fn offer(&mut self, c: Candidate) {
        match self.by_core.get(&c.core) {
            Some(&i) if self.cands[i].index <= c.index => {}
            Some(&i) => self.cands[i] = c,
            None if self.cands.len() >= MAX_CANDIDATES => {
                let n = self.g.order();
                let worst = (0..self.cands.len())
                    .filter(|&i| self.cands[i].index < n)
                    .max_by_key(|&i| (self.cands[i].index, std::cmp::Reverse(i)));
                if let Some(i) = worst.filter(|&i| self.cands[i].index > c.index) {
                    self.by_core.remove(&self.cands[i].core);
                    self.by_core.insert(c.core.clone(), i);
                    self.cands[i] = c;
                }
            }
            None => {
                self.by_core.insert(c.core.clone(), self.cands.len());
                self.cands.push(c);
            }
        }
    }

    /// The subgroup generated by `gens`, sorted, or None once it has more
    /// than `cap` elements.
    fn closure(&mut self, gens: &[Elem], cap: usize) -> Option<Vec<Elem>> {
        self.closure_avoiding(gens, cap, 0)
    }

    /// The subgroup generated by `gens`, sorted, or None once it has more
    /// than `cap` elements or holds `avoid` (unless that is e).
    fn closure_avoiding(&mut self, gens: &[Elem], cap: usize, avoid: Elem) -> Option<Vec<Elem>> {
        let g = self.g;
        self.marks.clear();
        self.marks.set(0);
        let mut elems = vec![0];
        let mut head = 0;
        while head < elems.len() {
            let x = elems[head];
            for &t in gens {
                let y = g.mul(x, t);
                if !self.marks.has(y) {
                    self.marks.set(y);
                    elems.push(y);
                }
            }
            head += 1;
            if elems.len() > cap || (avoid != 0 && self.marks.has(avoid)) {
                self.work += (head * gens.len()) as u64;
                return None;
            }
        }
        self.work += (elems.len() * gens.len()) as u64;
        elems.sort_unstable();
        Some(elems)
    }

    /// The core of `sub`: K ← K ∩ K^t over the generators t of G until it
    /// stops shrinking, which leaves the largest subgroup of `sub`
    /// normalised by G.
    fn core_of(&mut self, sub: &[Elem]) -> Vec<Elem> {
        let g = self.g;
        let gens: Vec<Elem> = g.generators().iter().copied().filter(|&x| x != 0).collect();
        let mut k = sub.to_vec();
        loop {
            let mut changed = false;
            for &t in &gens {
                self.marks.clear();
                for &x in &k {
                    self.marks.set(x);
                }
                let ti = g.inv(t);
                let before = k.len();
                let marks = &self.marks;
                // x ∈ K^t = t^-1 K t exactly when t x t^-1 ∈ K.
                k.retain(|&x| marks.has(g.mul(g.mul(t, x), ti)));
                self.work += 2 * before as u64;
                changed |= k.len() != before;
            }
            if !changed {
                return k;
            }
        }
    }

    /// ⟨x⟩ for one element x of every class. A class holding another
    /// generator of a cyclic subgroup already found is marked `same_cyclic`:
    /// its elements generate nothing new, alone or with others.
    fn cyclic_subgroups(&mut self, classes: &mut Classes) {
        let g = self.g;
        for c in 1..classes.reps.len() {
            if self.out_of_work() {
                return;
            }
            if classes.same_cyclic[c] {
                continue;
            }
            let x = classes.reps[c];
            let mut sub = vec![0, x];
            let mut y = g.mul(x, x);
            while y != 0 {
                sub.push(y);
                y = g.mul(y, x);
            }
            let o = sub.len();
            for (k, &y) in sub.iter().enumerate().skip(2) {
                let cy = classes.class_of[y as usize] as usize;
                if cy > c && gcd(k, o) == 1 {
                    classes.same_cyclic[cy] = true;
                }
            }
            self.work += 2 * o as u64;
            classes.order[c] = o;
            sub.sort_unstable();
            self.add(sub);
        }
    }

    /// ⟨x, y⟩ for every pair up to simultaneous conjugation: x the least
    /// element of its class, y one element of each orbit of x's centraliser
    /// on the classes from x's on (so ⟨y, x⟩ is not tried again), y not a
    /// power of x, ⟨x, y⟩ not cyclic.
    fn two_generated_subgroups(&mut self, classes: &mut Classes) {
        let g = self.g;
        let n = g.order();
        let mut orbit_seen = Marks::new(n);
        let mut in_x = Marks::new(n);
        let mut tried = Marks::new(n);
        for ci in 1..classes.reps.len() {
            if self.out_of_work() {
                return;
            }
            if classes.same_cyclic[ci] {
                continue; // ⟨x', y⟩ = ⟨x, y'⟩ for x of an earlier class
            }
            let x = classes.reps[ci];
            let centraliser: Vec<Elem> = g
                .elements()
                .filter(|&c| g.mul(c, x) == g.mul(x, c))
                .collect();
            self.work += 2 * n as u64;
            let cgens = small_generators(g, &centraliser);
            self.work += (centraliser.len() * (cgens.len() + 1)) as u64;
            orbit_seen.clear();
            in_x.clear();
            let mut ox = 0;
            let mut p = 0;
            loop {
                orbit_seen.set(p);
                in_x.set(p);
                ox += 1;
                p = g.mul(p, x);
                if p == 0 {
                    break;
                }
            }
            // Generators of the ⟨y⟩ tried with x: ⟨x, y^k⟩ = ⟨x, y⟩ for k
            // prime to |y|, so an orbit holding one is passed over.
            tried.clear();
            let mut stack = Vec::new();
            for y in g.elements() {
                if orbit_seen.has(y) || (classes.class_of[y as usize] as usize) < ci {
                    continue;
                }
                orbit_seen.set(y);
                stack.push(y);
                let mut again = tried.has(y);
                let mut size = 1;
                while let Some(z) = stack.pop() {
                    for &t in &cgens {
                        let w = g.mul(g.mul(g.inv(t), z), t);
                        if !orbit_seen.has(w) {
                            orbit_seen.set(w);
                            again |= tried.has(w);
                            size += 1;
                            stack.push(w);
                        }
                    }
                }
                self.work += (2 * size * cgens.len()) as u64;
                if self.out_of_work() {
                    return;
                }
                if again {
                    continue;
                }
                let oy = classes.order_of(g, y, &mut self.work);
                let (mut z, mut k) = (y, 1);
                while z != 0 {
                    if gcd(k, oy) == 1 {
                        tried.set(z);
                    }
                    z = g.mul(z, y);
                    k += 1;
                }
                self.work += oy as u64;
                if g.mul(x, y) == g.mul(y, x) && cyclic_pair(g, (ox, &in_x), y, oy, &mut self.work)
                {
                    continue; // ⟨x, y⟩ is cyclic: seen already
                }
                if let Some(sub) = self.closure(&[x, y], n / 2) {
                    self.add(sub);
                }
            }
        }
    }

    /// For each element z of prime order (one per class), a maximal
    /// subgroup avoiding z, grown greedily from the trivial subgroup by the
    /// elements in turn. A faithful union needs, for each minimal normal
    /// subgroup, a constituent avoiding it; for direct products the largest
    /// such (a factor's point stabiliser times the other factors) needs
    /// many generators, which the pairs miss.
    fn avoiding_subgroups(&mut self, items: &[Elem]) {
        let g = self.g;
        let n = g.order();
        let mut in_h = Marks::new(n);
        // Elements y with z in ⟨H, y⟩, so in ⟨H', y⟩ for every larger H'.
        let mut bad = Marks::new(n);
        for &z in items {
            let mut gens: Vec<Elem> = Vec::new();
            let mut h = vec![0];
            in_h.clear();
            in_h.set(0);
            bad.clear();
            for y in g.elements() {
                if 2 * h.len() == n {
                    break; // index 2: maximal
                }
                if in_h.has(y) || bad.has(y) {
                    continue;
                }
                if self.out_of_work() {
                    return;
                }
                gens.push(y);
                match self.closure_avoiding(&gens, n / 2, z) {
                    Some(k) => {
                        for &x in &k {
                            in_h.set(x);
                        }
                        h = k;
                    }
                    None => {
                        gens.pop();
                        // ⟨H, hy⟩ = ⟨H, yh⟩ = ⟨H, y⟩ for h in H.
                        for &x in &h {
                            bad.set(g.mul(x, y));
                            bad.set(g.mul(y, x));
                        }
                        self.work += 2 * h.len() as u64;
                    }
                }
            }
            if h.len() > 1 {
                self.add(h);
            }
        }
    }

    /// ⟨H, y⟩ for each candidate H, smallest index first, and each y
    /// outside H (one per right coset of H: ⟨H, hy⟩ = ⟨H, y⟩); then the
    /// same for the candidates that finds, until none is new or the work
    /// runs out. This reaches subgroups that need three or more generators.
    fn grown_subgroups(&mut self) {
        let mut grown: HashSet<(usize, u64)> = HashSet::new();
        loop {
            let mut todo: Vec<usize> = (0..self.cands.len())
                .filter(|&i| {
                    self.cands[i].sub.len() > 1 && !grown.contains(&key(&self.cands[i].sub))
                })
                .collect();
            if todo.is_empty() {
                return;
            }
            todo.sort_by_key(|&i| (self.cands[i].index, i));
            for i in todo {
                if self.out_of_work() {
                    return;
                }
                let sub = self.cands[i].sub.clone();
                if grown.insert(key(&sub)) {
                    self.grow(&sub);
                }
            }
        }
    }

    /// ⟨H, y⟩ for y the least element of each right coset Hy ≠ H.
    fn grow(&mut self, sub: &[Elem]) {
        let g = self.g;
        let n = g.order();
        let mut gens = small_generators(g, sub);
        self.work += (sub.len() * (gens.len() + 1)) as u64;
        let mut in_coset = Marks::new(n);
        in_coset.clear();
        for y in g.elements() {
            if in_coset.has(y) {
                continue;
            }
            for &h in sub {
                in_coset.set(g.mul(h, y));
            }
            self.work += sub.len() as u64;
            if y == 0 {
                continue;
            }
            if self.out_of_work() {
                return;
            }
            gens.push(y);
            if let Some(k) = self.closure(&gens, n / 2) {
                self.add(k);
            }
            gens.pop();
        }
    }
}

/// Whether ⟨x, y⟩ is cyclic, for y of order `oy` commuting with x: the
/// abelian group ⟨x⟩⟨y⟩ has order |x|·|y| / |⟨x⟩ ∩ ⟨y⟩| and exponent
/// lcm(|x|, |y|), and is cyclic when they agree, that is when
/// |⟨x⟩ ∩ ⟨y⟩| = gcd(|x|, |y|). `in_x` marks the `ox` elements of ⟨x⟩.
fn cyclic_pair(g: &Group, (ox, in_x): (usize, &Marks), y: Elem, oy: usize, work: &mut u64) -> bool {
    // The least j > 0 with y^j in ⟨x⟩: the intersection is ⟨y^j⟩.
    let (mut z, mut j) = (y, 1usize);
    while !in_x.has(z) {
        z = g.mul(z, y);
        j += 1;
    }
    *work += j as u64;
    oy / j == gcd(ox, oy)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// (size, hash) of a sorted subgroup.
fn key(sub: &[Elem]) -> (usize, u64) {
    let mut h = DefaultHasher::new();
    sub.hash(&mut h);
    (sub.len(), h.finish())
}

/// The kernels of G's cyclic quotients of prime-power order, one for each
/// elementary divisor of G/G'.
fn prime_power_kernels(g: &Group) -> Vec<Vec<Elem>> {
    let all: Vec<Elem> = g.elements().collect();
    let d = derived_subgroup(g, &all);
    let Ok(f) = abelian::factor(g, &all, &d) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (j, &nj) in f.invariant_factors.iter().enumerate() {
        for q in prime_power_parts(nj) {
            let k: Vec<Elem> = g
                .elements()
                .filter(|&x| f.digits(f.code_of[x as usize])[j] % q == 0)
                .collect();
            out.push(k);
        }
    }
    out
}

/// The least prime factor of m ≥ 2.
fn smallest_prime(m: u32) -> u32 {
    (2..).find(|&p| m.is_multiple_of(p)).expect("m >= 2")
}

/// The cheapest set of candidates whose cores hold none of `items` in
/// common (so intersect trivially), if one costs less than `bound`:
/// (cost, candidate indices).
fn cheapest_union(
    cands: &[Candidate],
    items: &[Elem],
    bound: usize,
    max_nodes: u64,
) -> Option<(usize, Vec<usize>)> {
    // outside[c][i]: item i is outside candidate c's core.
    let outside: Vec<Vec<bool>> = cands
        .iter()
        .map(|c| {
            items
                .iter()
                .map(|x| c.core.binary_search(x).is_err())
                .collect()
        })
        .collect();
    // Items in the order branched on: fewest candidates covering them first;
    // bit k of a cover is the k-th item in this order.
    let mut item_order: Vec<usize> = (0..items.len()).collect();
    item_order.sort_by_key(|&i| (outside.iter().filter(|o| o[i]).count(), i));
    let words = items.len().div_ceil(64);
    let cover: Vec<Vec<u64>> = outside
        .iter()
        .map(|o| {
            let mut bits = vec![0u64; words];
            for (k, &i) in item_order.iter().enumerate() {
                if o[i] {
                    bits[k / 64] |= 1 << (k % 64);
                }
            }
            bits
        })
        .collect();
    // Cheapest first; drop a candidate when a cheaper (or earlier) one
    // covers all it covers, while that check stays affordable.
    let mut order: Vec<usize> = (0..cands.len()).collect();
    order.sort_by_key(|&c| (cands[c].index, c));
    let mut kept: Vec<usize> = Vec::new();
    let mut checks = 0usize;
    for &c in &order {
        if cover[c].iter().all(|&w| w == 0) {
            continue;
        }
        checks += kept.len() * words;
        let dominated = checks <= MAX_DOMINANCE_CHECKS
            && kept
                .iter()
                .any(|&d| cover[d].iter().zip(&cover[c]).all(|(&a, &b)| b & !a == 0));
        if !dominated {
            kept.push(c);
        }
    }
    let covering: Vec<Vec<usize>> = (0..items.len())
        .map(|k| {
            kept.iter()
                .copied()
                .filter(|&c| cover[c][k / 64] >> (k % 64) & 1 == 1)
                .collect()
        })
        .collect();
    let mut b = Branch {
        cost: cands.iter().map(|c| c.index).collect(),
        cover,
        covering,
        items: items.len(),
        best: bound,
        best_set: None,
        nodes: 0,
        max_nodes,
    };
    b.go(&vec![0; words], 0, &mut Vec::new());
    b.best_set.map(|s| (b.best, s))
}

/// Most word comparisons spent dropping dominated candidates.
const MAX_DOMINANCE_CHECKS: usize = 1 << 24;

/// Branch and bound: cover the first uncovered item by each candidate
/// covering it, cheapest first.
struct Branch {
    cost: Vec<usize>,
    cover: Vec<Vec<u64>>,
    covering: Vec<Vec<usize>>,
    items: usize,
    best: usize,
    best_set: Option<Vec<usize>>,
    nodes: u64,
    max_nodes: u64,
}

impl Branch {
    fn go(&mut self, covered: &[u64], cost: usize, chosen: &mut Vec<usize>) {
        if self.nodes >= self.max_nodes {
            return;
        }
        self.nodes += 1;
        let first = covered
            .iter()
            .enumerate()
            .find(|(_, &w)| w != u64::MAX)
            .map(|(k, &w)| k * 64 + (!w).trailing_zeros() as usize)
            .filter(|&k| k < self.items);
        let Some(item) = first else {
            if cost < self.best {
                self.best = cost;
                self.best_set = Some(chosen.clone());
            }
            return;
        };
        for k in 0..self.covering[item].len() {
            let c = self.covering[item][k];
            let total = cost + self.cost[c];
            if total >= self.best {
                break; // candidates are in order of cost
            }
            let now: Vec<u64> = covered
                .iter()
                .zip(&self.cover[c])
                .map(|(a, b)| a | b)
                .collect();
            chosen.push(c);
            self.go(&now, total, chosen);
            chosen.pop();
        }
    }
}

/// G on the right cosets of each subgroup in turn (points numbered block by
/// block; within a block, cosets in order of their least element).
fn coset_action(g: &Group, subs: &[&Vec<Elem>]) -> PointAction {
    let n = g.order();
    let degree: usize = subs.iter().map(|h| n / h.len()).sum();
    // Each generator's permutation, block by block; then every element's,
    // along the Cayley graph.
    let mut gen_perms = vec![Vec::with_capacity(degree); g.generators().len()];
    for h in subs {
        let offset = gen_perms[0].len();
        let mut coset_of = vec![u32::MAX; n];
        let mut reps = Vec::new();
        for x in g.elements() {
            if coset_of[x as usize] != u32::MAX {
                continue;
            }
            for &y in h.iter() {
                coset_of[g.mul(y, x) as usize] = reps.len() as u32;
            }
            reps.push(x);
        }
        for (perm, &t) in gen_perms.iter_mut().zip(g.generators()) {
            perm.extend(
                reps.iter()
                    .map(|&r| (offset + coset_of[g.mul(r, t) as usize] as usize) as u32),
            );
        }
    }
    let points: Vec<u32> = (0..degree as u32).collect();
    let images = along_cayley_graph(g, &gen_perms, &points);
    let how = match subs {
        [h] if h.len() == 1 => "regular".to_string(),
        [h] => format!(
            "cosets of a core-free subgroup of order {} (index {})",
            h.len(),
            n / h.len()
        ),
        _ => {
            let orders: Vec<String> = subs.iter().map(|h| h.len().to_string()).collect();
            let indices: Vec<String> = subs.iter().map(|h| (n / h.len()).to_string()).collect();
            format!(
                "cosets of subgroups of orders {} whose cores meet trivially ({} points)",
                orders.join(", "),
                indices.join(" + ")
            )
        }
    };
    finish(g, images, degree, how)
}

/// The images of `points` under every element, given the generators'
/// permutations: `out[x * k + i]` is the image of `points[i]` under element
/// x, found along the Cayley graph (each element from one found before it
/// and a generator), so each element costs k steps.
fn along_cayley_graph(g: &Group, perms: &[Vec<u32>], points: &[u32]) -> Vec<u32> {
    let n = g.order();
    let k = points.len();
    let mut out = vec![0u32; n * k];
    out[..k].copy_from_slice(points);
    let mut done = vec![false; n];
    done[0] = true;
    let mut queue = vec![0 as Elem];
    let mut head = 0;
    while head < queue.len() {
        let x = queue[head] as usize;
        for (perm, &t) in perms.iter().zip(g.generators()) {
            let y = g.mul(x as Elem, t) as usize;
            if !done[y] {
                done[y] = true;
                queue.push(y as Elem);
                // x ≠ y: x is done, y was not.
                let (from, to) = if x < y {
                    let (a, b) = out.split_at_mut(y * k);
                    (&a[x * k..(x + 1) * k], &mut b[..k])
                } else {
                    let (a, b) = out.split_at_mut(x * k);
                    (&b[..k], &mut a[y * k..(y + 1) * k])
                };
                for (t, &f) in to.iter_mut().zip(from) {
                    *t = perm[f as usize];
                }
            }
        }
        head += 1;
    }
    out
}

/// Fill in the orbits.
fn finish(g: &Group, images: Vec<u32>, degree: usize, how: String) -> PointAction {
    let mut orbit_of = vec![u32::MAX; degree];
    let mut orbits: Vec<Vec<u32>> = Vec::new();
    for p in 0..degree as u32 {
        if orbit_of[p as usize] != u32::MAX {
            continue;
        }
        let o = orbits.len() as u32;
        orbit_of[p as usize] = o;
        let mut orbit = vec![p];
        let mut head = 0;
        while head < orbit.len() {
            let q = orbit[head];
            for &t in g.generators() {
                let r = images[t as usize * degree + q as usize];
                if orbit_of[r as usize] == u32::MAX {
                    orbit_of[r as usize] = o;
                    orbit.push(r);
                }
            }
            head += 1;
        }
        orbit.sort_unstable();
        orbits.push(orbit);
    }
    PointAction {
        images,
        degree,
        orbits,
        how,
    }
}

/// The action the group was written with: its orbits of two or more
/// points, in order of least point.
struct SourceAction<'a> {
    perms: &'a [Vec<u32>],
    degree: usize,
    orbits: Vec<Vec<u32>>,
}

impl<'a> SourceAction<'a> {
    fn new(perms: &'a [Vec<u32>]) -> SourceAction<'a> {
        let degree = perms.first().map_or(0, |p| p.len());
        let mut seen = vec![false; degree];
        let mut orbits = Vec::new();
        for p in 0..degree as u32 {
            if seen[p as usize] {
                continue;
            }
            seen[p as usize] = true;
            let mut orbit = vec![p];
            let mut head = 0;
            while head < orbit.len() {
                let q = orbit[head];
                for perm in perms {
                    let r = perm[q as usize];
                    if !seen[r as usize] {
                        seen[r as usize] = true;
                        orbit.push(r);
                    }
                }
                head += 1;
            }
            if orbit.len() > 1 {
                orbit.sort_unstable();
                orbits.push(orbit);
            }
        }
        SourceAction {
            perms,
            degree,
            orbits,
        }
    }

    /// The elements fixing `point`, sorted.
    fn stabiliser(&self, g: &Group, point: u32, work: &mut u64) -> Vec<Elem> {
        let img = along_cayley_graph(g, self.perms, &[point]);
        *work += (g.order() * g.generators().len()) as u64;
        g.elements().filter(|&x| img[x as usize] == point).collect()
    }

    /// The action on the union of the chosen orbits, points renumbered in
    /// their order.
    fn restricted(&self, g: &Group, chosen: &[usize]) -> PointAction {
        let mut points: Vec<u32> = chosen
            .iter()
            .flat_map(|&o| self.orbits[o].iter().copied())
            .collect();
        points.sort_unstable();
        let mut new_of = vec![u32::MAX; self.degree];
        for (i, &p) in points.iter().enumerate() {
            new_of[p as usize] = i as u32;
        }
        let images: Vec<u32> = along_cayley_graph(g, self.perms, &points)
            .into_iter()
            .map(|p| new_of[p as usize])
            .collect();
        let how = if points.len() == self.degree {
            format!("the source's action on {} points", self.degree)
        } else {
            format!(
                "the source's action, on {} of its {} points",
                points.len(),
                self.degree
            )
        };
        finish(g, images, points.len(), how)
    }
}
