//! A solvable permutation group, given by its stabiliser chain, as a
//! consistent polycyclic presentation ([`Pc`]), with the map from its
//! permutations to exponent vectors.
//!
//! The pc series refines the derived series G = S_0 ⊳ S_1 ⊳ … ⊳ S_d = 1
//! to steps of prime order. Working up from S_d, each generator g of S_k
//! joins the subgroup H built so far (S_{k+1} ≤ H ≤ S_k); its order m
//! modulo H, m = p_1⋯p_r (primes ascending), gives the steps
//! c_t = g^{p_1⋯p_t}, added in the order c_{r-1}, …, c_0 so that each
//! enlarges H by the prime p_{t+1}. Every subgroup between S_{k+1} and S_k
//! is normal in S_k (S_k/S_{k+1} is abelian), so the series
//! G_0 = G ⊳ G_1 ⊳ … ⊳ G_n = 1 with G_i = ⟨g_i, …, g_{n-1}⟩ has each term
//! normal in the one above, with prime index: a pc sequence.
//!
//! An element x of G_i is g_i^e·y with y ∈ G_{i+1}; the exponent e is a
//! discrete logarithm in the cyclic G_i/G_{i+1} of prime order p. It is
//! read off a coset invariant rather than by up to p membership tests:
//! sifting x through G_{i+1}'s chain stops at the same level for every
//! element of x·G_{i+1}, with the point there in the same orbit of that
//! level's stabiliser (or, when the sift passes every level, with the same
//! residue: the coset's one element fixing G_{i+1}'s base). The p cosets
//! g_i^e·G_{i+1} are tabulated by that invariant once. The invariant tells
//! them apart: the cosets meeting the stabiliser A of the first l base
//! points form a subgroup of G_i/G_{i+1}, which has prime order, so either
//! all of them reach level l or only G_{i+1} does. When all do, A permutes
//! the orbits of B = A ∩ G_{i+1} (B is normal in A), so two cosets sending
//! level l's base point into one B-orbit differ by a coset that passes
//! level l; by the same argument one level down, that is G_{i+1} itself
//! unless every coset passes. The table holds the invariants' hashes;
//! should two share one, membership tests among those cosets decide.
//!
//! The relations g_i^{p_i} and g_j^{g_i} (i < j) lie in G_{i+1} and are
//! written as exponent vectors by the same sifting; [`Pc::new`] checks the
//! presentation's consistency, which holds by construction.

use super::series::derived_series;
use super::{format_bytes, inverse, is_identity, mul, power, Chain, ChainError, Perm};
use crate::group::pc::{Exps, Pc, PcError, PcRelation};
use crate::group::Word;
use num_bigint::BigUint;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use thiserror::Error;

/// Marks a point outside a level's orbit.
const NONE: u32 = u32::MAX;

/// Largest group order converted: pc orders are exact in 128 bits below
/// it, as for pc groups read from source.
const MAX_ORDER: u128 = u128::MAX >> 1;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum PcOfChainError {
    #[error("the group is not solvable (its derived series stops at a perfect subgroup of order {order}), so it has no polycyclic presentation")]
    NotSolvable { order: BigUint },
    #[error("the group has order {order}, 2^127 or more, past the orders gssm's pc presentations compute with")]
    Order { order: BigUint },
    #[error("converting the group to a pc presentation takes more than {limit} point operations (raise the limit with --max-chain-work)")]
    Work { limit: u64 },
    #[error("converting the group to a pc presentation would take {}, more than the memory limit of {} (raise it with --max-memory)", format_bytes(*bytes), format_bytes(*limit as u128))]
    Memory { bytes: u128, limit: usize },
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Pc(#[from] PcError),
    /// A broken invariant of the conversion: a bug, reported rather than
    /// hidden.
    #[error("internal error converting a permutation group to a pc presentation: {0}")]
    Internal(String),
}

type Result<T> = std::result::Result<T, PcOfChainError>;

/// Point operations and bytes spent, against the chain's limits.
pub(crate) struct Budget {
    work: u64,
    max_work: u64,
    bytes: u128,
    max_bytes: usize,
}

impl Budget {
    pub(crate) fn new(max_work: u64, max_bytes: usize) -> Budget {
        Budget {
            work: 0,
            max_work,
            bytes: 0,
            max_bytes,
        }
    }

    fn spend(&mut self, ops: u64) -> Result<()> {
        self.work = self.work.saturating_add(ops);
        if self.work > self.max_work {
            return Err(PcOfChainError::Work {
                limit: self.max_work,
            });
        }
        Ok(())
    }

    /// Count `bytes` more, failing before the allocation they stand for.
    fn charge(&mut self, bytes: u128) -> Result<()> {
        self.check(bytes)?;
        self.bytes += bytes;
        Ok(())
    }

    /// Whether `bytes` more would still fit, without counting them.
    fn check(&self, bytes: u128) -> Result<()> {
        let total = self.bytes.saturating_add(bytes);
        if total > self.max_bytes as u128 {
            return Err(PcOfChainError::Memory {
                bytes: total,
                limit: self.max_bytes,
            });
        }
        Ok(())
    }
}

/// About the bytes a chain holds, as it counts them itself: per level a
/// point index, per orbit point a representative and its inverse, per
/// strong generator a permutation.
fn chain_bytes(c: &Chain) -> u128 {
    let n = c.degree() as u128;
    let lens = c.orbit_lengths();
    let points: u128 = lens.iter().map(|&l| l as u128).sum();
    lens.len() as u128 * (12 * n + 16)
        + points * (8 * n + 16)
        + c.strong_generators().len() as u128 * (4 * n + 8)
}

/// Where sifting an element through a chain stopped.
enum Stop {
    /// At level l, whose orbit does not hold the point the base point is
    /// mapped to.
    Level(usize, u32),
    /// Past every level, with this residue.
    Through(Perm),
}

/// One step G_i ⊳ G_{i+1} with G_i/G_{i+1} cyclic, generated by g_i:
/// of prime order in the pc series; of any order m in an abelian quotient's
/// sequence (`quotient`), where cosets sharing an invariant are told apart
/// by membership tests (the invariant is one for any index; only that it
/// separates the cosets needs the prime).
#[derive(Clone, Debug)]
pub(crate) struct Step {
    /// g_i^-1, to take g_i's exponent off.
    inv: Perm,
    /// |G_i/G_{i+1}|.
    prime: u32,
    /// G_{i+1}.
    below: Chain,
    /// Per level of `below`: its base point, and per point the index of
    /// its representative in the level's transversal ([`NONE`] outside
    /// the orbit).
    points: Vec<u32>,
    pos: Vec<Vec<u32>>,
    /// Per level of `below` where some coset of G_{i+1} in G_i leaves the
    /// sift: each point's orbit under the level's stabiliser, as its least
    /// point.
    labels: Vec<Option<Vec<u32>>>,
    /// Invariant (hashed) → the exponents e whose coset g_i^e·G_{i+1} has
    /// it.
    table: HashMap<u64, Vec<u32>>,
    /// Most point operations one discrete logarithm costs.
    cost: u64,
}

impl Step {
    pub(crate) fn new(gen: &Perm, prime: u32, below: Chain, budget: &mut Budget) -> Result<Step> {
        let n = below.degree();
        let points = below.base();
        let levels = points.len();
        budget
            .charge(levels as u128 * (4 * n as u128 + 24) + 8 * n as u128 + 64 * prime as u128)?;
        budget.spend(levels as u64 * n as u64)?;
        let pos = points
            .iter()
            .enumerate()
            .map(|(l, &b)| {
                let mut pos = vec![NONE; n];
                for (k, u) in below.transversal(l).iter().enumerate() {
                    pos[u[b as usize] as usize] = k as u32;
                }
                pos
            })
            .collect();
        let mut step = Step {
            inv: inverse(gen),
            prime,
            below,
            points,
            pos,
            labels: vec![None; levels],
            table: HashMap::new(),
            cost: 0,
        };
        let sift_cost = (2 * levels as u64 + 2) * n as u64;
        let mut cur: Perm = (0..n as u32).collect();
        for e in 0..prime {
            budget.spend(sift_cost + n as u64)?;
            let stop = step.residue(&cur);
            if let Stop::Level(l, _) = stop {
                if step.labels[l].is_none() {
                    budget.charge(4 * n as u128 + 24)?;
                    let gens = step.level_generators(l);
                    budget.spend((gens.len() as u64 + 1) * n as u64)?;
                    step.labels[l] = Some(orbit_labels(n, &gens));
                }
            }
            let key = step
                .key(&stop)
                .ok_or_else(|| PcOfChainError::Internal("an unlabelled level".into()))?;
            step.table.entry(key).or_default().push(e);
            cur = mul(&cur, gen);
        }
        // A shared invariant costs a membership test per candidate.
        let bucket = step.table.values().map(Vec::len).max().unwrap_or(1) as u64;
        let tests = if bucket > 1 { bucket } else { 0 };
        step.cost = sift_cost + tests * (levels as u64 + 3) * n as u64;
        Ok(step)
    }

    /// The strong generators of `below` fixing its base points before
    /// level l: they generate that level's stabiliser.
    fn level_generators(&self, l: usize) -> Vec<&Perm> {
        self.below
            .strong_generators()
            .iter()
            .filter(|s| self.points[..l].iter().all(|&b| s[b as usize] == b))
            .collect()
    }

    /// Sift x through `below`'s levels (x·u^-1 for each level's
    /// representative u), as the chain does.
    fn residue(&self, x: &[u32]) -> Stop {
        let mut h = x.to_vec();
        for (l, (&b, pos)) in self.points.iter().zip(&self.pos).enumerate() {
            let pt = h[b as usize];
            let k = pos[pt as usize];
            if k == NONE {
                return Stop::Level(l, pt);
            }
            // The first representative is the identity.
            if k != 0 {
                h = mul(&h, &inverse(&self.below.transversal(l)[k as usize]));
            }
        }
        Stop::Through(h)
    }

    /// The coset invariant of a sift's end, hashed; `None` at a level no
    /// coset of G_{i+1} in G_i stops at (the element is not in G_i).
    fn key(&self, stop: &Stop) -> Option<u64> {
        // SipHash with fixed keys: the same hash on every run.
        let mut s = DefaultHasher::new();
        match stop {
            Stop::Level(l, pt) => {
                let label = self.labels[*l].as_ref()?[*pt as usize];
                (0u8, *l, label).hash(&mut s);
            }
            Stop::Through(h) => (1u8, h).hash(&mut s),
        }
        Some(s.finish())
    }

    /// e with g_i^-e·x ∈ G_{i+1}, for x ∈ G_i. An x outside G_i may get
    /// any answer: the sift's final residue tells.
    pub(crate) fn log(&self, x: &[u32]) -> Option<u32> {
        let candidates = self.table.get(&self.key(&self.residue(x))?)?;
        // x's coset is among the tabulated ones, each with its
        // invariant: a single candidate is the answer.
        match candidates[..] {
            [e] => Some(e),
            _ => candidates
                .iter()
                .copied()
                .find(|&e| self.below.contains(&mul(&power(&self.inv, e as u64), x))),
        }
    }
}

/// Each point's orbit under `gens`, named by its least point: the points
/// are visited in order, so an orbit is first reached at its least point.
fn orbit_labels(n: usize, gens: &[&Perm]) -> Vec<u32> {
    let mut label = vec![NONE; n];
    let mut stack = Vec::new();
    for start in 0..n {
        if label[start] != NONE {
            continue;
        }
        label[start] = start as u32;
        stack.push(start as u32);
        while let Some(x) = stack.pop() {
            for g in gens {
                let y = g[x as usize];
                if label[y as usize] == NONE {
                    label[y as usize] = start as u32;
                    stack.push(y);
                }
            }
        }
    }
    label
}

/// The pc sequence as permutations, with each step's discrete logarithm.
#[derive(Clone, Debug)]
struct Sequence {
    degree: usize,
    /// g_0, …, g_{n-1}.
    gens: Vec<Perm>,
    steps: Vec<Step>,
}

impl Sequence {
    fn exponents(&self, x: &[u32]) -> Option<Exps> {
        if !is_permutation(x, self.degree) {
            return None;
        }
        let mut x = x.to_vec();
        let mut exps = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let e = step.log(&x)?;
            if e != 0 {
                x = mul(&power(&step.inv, e as u64), &x);
            }
            exps.push(e);
        }
        // x = g_0^{e_0}⋯ exactly when nothing is left; an x outside the
        // group always leaves something.
        is_identity(&x).then_some(exps)
    }

    fn permutation(&self, e: &[u32]) -> Option<Perm> {
        if e.len() != self.steps.len() || e.iter().zip(&self.steps).any(|(&x, s)| x >= s.prime) {
            return None;
        }
        let mut x: Perm = (0..self.degree as u32).collect();
        for (g, &k) in self.gens.iter().zip(e) {
            if k != 0 {
                x = mul(&x, &power(g, k as u64));
            }
        }
        Some(x)
    }

    /// [`Sequence::exponents`] of an element known to be in the group,
    /// counted against the budget.
    fn exps_in(&self, x: &[u32], budget: &mut Budget) -> Result<Exps> {
        let cost: u64 = self
            .steps
            .iter()
            .map(|s| s.cost + 2 * self.degree as u64)
            .sum();
        budget.spend(cost)?;
        self.exponents(x)
            .ok_or_else(|| PcOfChainError::Internal("a relation's word left the group".into()))
    }
}

/// A solvable permutation group's pc presentation, its pc generators as
/// permutations, and the exponent vector of each of its elements.
#[derive(Clone, Debug)]
pub struct PcOfChain {
    pc: Pc,
    seq: Sequence,
}

impl PcOfChain {
    pub fn pc(&self) -> &Pc {
        &self.pc
    }

    pub fn into_pc(self) -> Pc {
        self.pc
    }

    pub fn degree(&self) -> usize {
        self.seq.degree
    }

    /// The pc generators g_i (named `f{i+1}` in the presentation).
    pub fn generators(&self) -> &[Perm] {
        &self.seq.gens
    }

    /// The exponent vector of x (x = g_0^{e_0}⋯g_{n-1}^{e_{n-1}}), or
    /// `None` when x is not a permutation of the group's degree or not in
    /// the group.
    pub fn exponents(&self, x: &[u32]) -> Option<Exps> {
        self.seq.exponents(x)
    }

    /// The permutation g_0^{e_0}⋯g_{n-1}^{e_{n-1}}, or `None` when `e` is
    /// not an exponent vector of the presentation.
    pub fn permutation(&self, e: &[u32]) -> Option<Perm> {
        self.seq.permutation(e)
    }
}

fn is_permutation(x: &[u32], degree: usize) -> bool {
    if x.len() != degree {
        return false;
    }
    let mut seen = vec![false; degree];
    x.iter().all(|&y| {
        let fresh = (y as usize) < degree && !seen[y as usize];
        if fresh {
            seen[y as usize] = true;
        }
        fresh
    })
}

/// The prime factorisation of m ≥ 1 by trial division (m is at most a
/// cycle length, so the degree).
fn factor(mut m: u64) -> Vec<(u64, u32)> {
    let mut out = Vec::new();
    let mut p = 2u64;
    while p * p <= m {
        let mut k = 0;
        while m.is_multiple_of(p) {
            m /= p;
            k += 1;
        }
        if k > 0 {
            out.push((p, k));
        }
        p += 1;
    }
    if m > 1 {
        out.push((m, 1));
    }
    out
}

/// x^k for k = ∏ p^a, one prime at a time (a permutation's order can pass
/// 64 bits, each prime does not).
fn power_factored(x: &[u32], k: &[(u64, u32)]) -> Perm {
    let mut y = x.to_vec();
    for &(p, a) in k {
        for _ in 0..a {
            y = power(&y, p);
        }
    }
    y
}

/// The order of g modulo H as its primes, ascending with multiplicity
/// (empty when g ∈ H): from g's order (the lcm of its cycle lengths), each
/// prime taken off while g to the smaller exponent still lies in H.
fn order_modulo(h: &Chain, g: &[u32], budget: &mut Budget) -> Result<Vec<u64>> {
    let n = g.len() as u64;
    let test = (h.orbit_lengths().len() as u64 + 1) * n;
    budget.spend(test)?;
    if h.contains(g) {
        return Ok(Vec::new());
    }
    let mut lcm: Vec<(u64, u32)> = Vec::new();
    let mut seen = vec![false; g.len()];
    for start in 0..g.len() {
        let mut len = 0u64;
        let mut y = start;
        while !seen[y] {
            seen[y] = true;
            len += 1;
            y = g[y] as usize;
        }
        for (p, a) in factor(len.max(1)) {
            match lcm.iter_mut().find(|(q, _)| *q == p) {
                Some((_, b)) => *b = (*b).max(a),
                None => lcm.push((p, a)),
            }
        }
    }
    lcm.sort_unstable();
    for i in 0..lcm.len() {
        while lcm[i].1 > 0 {
            lcm[i].1 -= 1;
            budget.spend(test + 2 * n)?;
            if !h.contains(&power_factored(g, &lcm)) {
                lcm[i].1 += 1;
                break;
            }
        }
    }
    Ok(lcm
        .iter()
        .flat_map(|&(p, a)| std::iter::repeat_n(p, a as usize))
        .collect())
}

/// Exponent vector → word, zero exponents left out.
fn word(x: &Exps) -> Word {
    x.iter()
        .enumerate()
        .filter(|&(_, &e)| e != 0)
        .map(|(j, &e)| (j, e as i64))
        .collect()
}

/// The pc presentation of `chain`'s group along its derived series refined
/// to prime steps, with the pc generators as permutations and the map to
/// exponent vectors. Fails on a group that is not solvable and when a
/// limit is passed: the chain's limits bound the chains built (each step's
/// subgroup is kept as a chain), the bytes kept and the point operations
/// spent sifting, and `max_pc_work` the collection that checks the
/// presentation's consistency. The presentation gets a fresh budget of
/// `max_pc_work` steps afterwards.
pub fn pc_presentation(chain: &Chain, max_pc_work: u64) -> Result<PcOfChain> {
    let order = chain.order();
    if u128::try_from(&order).map_or(true, |o| o > MAX_ORDER) {
        return Err(PcOfChainError::Order { order });
    }
    let limits = chain.limits();
    let n = chain.degree();
    let series = derived_series(chain)?;
    // The series starts with G and ends at 1 or at a perfect subgroup.
    if let Some(last) = series.last().filter(|c| !c.is_trivial()) {
        return Err(PcOfChainError::NotSolvable {
            order: last.order(),
        });
    }
    let mut budget = Budget {
        work: 0,
        max_work: limits.max_work,
        bytes: series.iter().map(chain_bytes).sum(),
        max_bytes: limits.max_memory,
    };
    budget.check(0)?;
    // From the bottom up; `h` is one chain grown by every step, so its own
    // work counter bounds all of Schreier–Sims here, and each step keeps a
    // copy of it as G_{i+1}.
    let mut h = Chain::trivial(n, limits)?;
    let mut bottom_up: Vec<(Perm, u32, Chain)> = Vec::new();
    for k in (0..series.len().saturating_sub(1)).rev() {
        for g in series[k].generators().iter().rev() {
            let primes = order_modulo(&h, g, &mut budget)?;
            // c_0 = g, c_{t+1} = c_t^{p_{t+1}}.
            let mut cs = vec![g.clone()];
            let mut c = g.clone();
            for &p in primes.iter().take(primes.len().saturating_sub(1)) {
                budget.spend(2 * n as u64)?;
                c = power(&c, p);
                cs.push(c.clone());
            }
            for (c, &p) in cs.iter().zip(&primes).rev() {
                let bytes = chain_bytes(&h);
                // The copy kept, with the growing chain beside it.
                budget.check(2 * bytes)?;
                budget.charge(bytes)?;
                let below = h.clone();
                if !h.add_generator(c)? || h.order() != below.order() * p {
                    return Err(PcOfChainError::Internal(format!(
                        "a step of the series does not have prime index {p}"
                    )));
                }
                let p = u32::try_from(p).map_err(|_| {
                    PcOfChainError::Internal(format!("relative order {p} past 32 bits"))
                })?;
                bottom_up.push((c.clone(), p, below));
            }
        }
        if h.order() != series[k].order() {
            return Err(PcOfChainError::Internal(format!(
                "the steps through the derived factor {k} do not reach its top"
            )));
        }
    }
    drop(h);
    bottom_up.reverse();
    let len = bottom_up.len();
    // The relations' words and the collector's tables, n² vectors of n
    // exponents each, before any is built.
    let len128 = len as u128;
    budget.charge(len128 * len128 * (12 * len128 + 64))?;
    let mut gens = Vec::with_capacity(len);
    let mut steps = Vec::with_capacity(len);
    for (g, p, below) in bottom_up {
        steps.push(Step::new(&g, p, below, &mut budget)?);
        gens.push(g);
    }
    let orders: Vec<u32> = steps.iter().map(|s| s.prime).collect();
    let seq = Sequence {
        degree: n,
        gens,
        steps,
    };
    let mut rels = Vec::new();
    let below_only = |w: &Exps, i: usize, what: &str| -> Result<()> {
        match w[..=i].iter().all(|&e| e == 0) {
            true => Ok(()),
            false => Err(PcOfChainError::Internal(format!(
                "{what} does not lie in the subgroup after generator {}",
                i + 1
            ))),
        }
    };
    for (i, (g, &p)) in seq.gens.iter().zip(&orders).enumerate() {
        budget.spend(2 * n as u64)?;
        let w = seq.exps_in(&power(g, p as u64), &mut budget)?;
        below_only(&w, i, "a power relation")?;
        rels.push(PcRelation::Power {
            gen: i,
            exp: p as u64,
            rhs: word(&w),
        });
    }
    for i in 0..len {
        for j in i + 1..len {
            budget.spend(4 * n as u64)?;
            let c = mul(&mul(&seq.steps[i].inv, &seq.gens[j]), &seq.gens[i]);
            let w = seq.exps_in(&c, &mut budget)?;
            below_only(&w, i, "a conjugate relation")?;
            // A pair without a relation commutes.
            if w.iter().enumerate().any(|(k, &e)| e != (k == j) as u32) {
                rels.push(PcRelation::Conjugate {
                    gen: j,
                    by: i,
                    rhs: word(&w),
                });
            }
        }
    }
    let names = (1..=len).map(|i| format!("f{i}")).collect();
    let pc =
        crate::group::pc::presentation(names, &rels, MAX_ORDER, max_pc_work).map_err(
            |e| match e {
                PcError::Work { .. } => PcOfChainError::Pc(e),
                e => PcOfChainError::Internal(format!("the presentation built was refused: {e}")),
            },
        )?;
    if BigUint::from(pc.order()) != order {
        return Err(PcOfChainError::Internal(format!(
            "the presentation has order {}, the group {order}",
            pc.order()
        )));
    }
    pc.set_work_limit(max_pc_work);
    Ok(PcOfChain { pc, seq })
}

/// `group NAME = pc< f1, … | … >` for `pc` in gssm's syntax: each power
/// relation (`f1^2` or `f1^2 = w`), then each conjugate relation of a
/// pair that does not commute (`f1^-1*f2*f1 = w`), so that it reads back
/// as the same presentation. `name` must be a group name of the language.
pub fn pc_source(pc: &Pc, name: &str) -> String {
    let names = pc.names();
    if names.is_empty() {
        return format!("group {name} = pc< >\n");
    }
    let word = |x: &Exps| -> String {
        let parts: Vec<String> = x
            .iter()
            .enumerate()
            .filter(|&(_, &e)| e != 0)
            .map(|(j, &e)| match e {
                1 => names[j].clone(),
                _ => format!("{}^{e}", names[j]),
            })
            .collect();
        match parts.is_empty() {
            true => "1".to_string(),
            false => parts.join("*"),
        }
    };
    let mut rels = Vec::new();
    for (i, &p) in pc.relative_orders().iter().enumerate() {
        let g = &names[i];
        match pc.power_relation(i) {
            Some(w) if w.iter().any(|&e| e != 0) => rels.push(format!("{g}^{p} = {}", word(w))),
            _ => rels.push(format!("{g}^{p}")),
        }
    }
    for i in 0..names.len() {
        for j in i + 1..names.len() {
            let Some(w) = pc.conjugate_relation(i, j) else {
                continue;
            };
            if w.iter().enumerate().all(|(k, &e)| e == (k == j) as u32) {
                continue;
            }
            rels.push(format!(
                "{a}^-1*{b}*{a} = {}",
                word(w),
                a = names[i],
                b = names[j]
            ));
        }
    }
    format!(
        "group {name} = pc< {} |\n  {}\n>\n",
        names.join(", "),
        rels.join(",\n  ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elaborate::{load_source, Checked};
    use crate::group::bsgs::tests::perm;
    use crate::group::bsgs::ChainLimits;
    use crate::group::pcgs;
    use crate::group::Limits;

    fn chain(n: usize, gens: &[Perm]) -> Chain {
        Chain::generated(n, gens, ChainLimits::default()).unwrap()
    }

    /// Every element of a small group, by its normal form.
    fn elements(c: &Chain) -> Vec<Perm> {
        let order = u64::try_from(&c.order()).unwrap();
        (0..order).map(|i| c.unrank(i)).collect()
    }

    /// The conversion's exponent map is a bijection onto the exponent
    /// vectors and a homomorphism, on every pair of elements.
    fn check_all_pairs(c: &Chain, conv: &PcOfChain) {
        let all = elements(c);
        let exps: Vec<Exps> = all.iter().map(|x| conv.exponents(x).unwrap()).collect();
        let mut sorted = exps.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len(), "not injective");
        for (x, ex) in all.iter().zip(&exps) {
            assert_eq!(conv.permutation(ex).as_ref(), Some(x));
            for (y, ey) in all.iter().zip(&exps) {
                let want = conv.exponents(&mul(x, y)).unwrap();
                assert_eq!(conv.pc().mul(ex, ey).unwrap(), want);
            }
        }
    }

    fn derived_orders(pc: &Pc) -> Vec<BigUint> {
        pcgs::derived_series(pc)
            .unwrap()
            .iter()
            .map(pcgs::Pcgs::order)
            .collect()
    }

    fn big(xs: &[u64]) -> Vec<BigUint> {
        xs.iter().map(|&x| BigUint::from(x)).collect()
    }

    #[test]
    fn s4_converts_along_its_derived_series() {
        let s4 = chain(4, &[perm(4, &[&[1, 2, 3, 4]]), perm(4, &[&[1, 2]])]);
        let conv = pc_presentation(&s4, 1 << 20).unwrap();
        // S4 ⊳ A4 ⊳ V4 ⊳ 1: steps 2, 3, 2, 2 from the top.
        assert_eq!(conv.pc().relative_orders(), &[2, 3, 2, 2]);
        assert_eq!(derived_orders(conv.pc()), big(&[24, 12, 4, 1]));
        check_all_pairs(&s4, &conv);
        // Outside the group, or not a permutation at all.
        let s5 = perm(5, &[&[1, 2]]);
        assert_eq!(conv.exponents(&s5), None);
        assert_eq!(conv.exponents(&[0, 0, 1, 2]), None);
        assert_eq!(conv.exponents(&[0, 1, 2, 9]), None);
        assert_eq!(conv.permutation(&[2, 0, 0, 0]), None);
    }

    #[test]
    fn agl_1_7_and_a_composite_cyclic_step() {
        // AGL(1, 7): x ↦ x + 1 and x ↦ 3x; the top factor C6 is one
        // generator of order 6 modulo G' = C7, split into 2 and 3.
        let t = perm(7, &[&[1, 2, 3, 4, 5, 6, 7]]);
        let m = perm(7, &[&[2, 4, 3, 7, 5, 6]]);
        let g = chain(7, &[t, m]);
        let conv = pc_presentation(&g, 1 << 20).unwrap();
        assert_eq!(conv.pc().relative_orders(), &[2, 3, 7]);
        assert_eq!(derived_orders(conv.pc()), big(&[42, 7, 1]));
        check_all_pairs(&g, &conv);
        // C12 on 7 points: a 4-cycle times a 3-cycle, one generator split
        // into 2, 2, 3.
        let c12 = chain(7, &[perm(7, &[&[1, 2, 3, 4], &[5, 6, 7]])]);
        let conv = pc_presentation(&c12, 1 << 20).unwrap();
        assert_eq!(conv.pc().relative_orders(), &[2, 2, 3]);
        check_all_pairs(&c12, &conv);
    }

    #[test]
    fn coset_invariants_tell_the_cosets_apart() {
        // C2 × C2 × C3 (both kinds of invariant: a coset passing the
        // subgroup's levels with its own residue, and one stopping at a
        // level), the regular C3 × C3 (cosets moving the base point to
        // other orbits), S4 and C2 wr C2 wr C2: every table entry holds
        // one coset, as the prime index guarantees.
        let groups = [
            chain(
                7,
                &[
                    perm(7, &[&[1, 2]]),
                    perm(7, &[&[3, 4]]),
                    perm(7, &[&[5, 6, 7]]),
                ],
            ),
            chain(
                9,
                &[
                    perm(9, &[&[1, 2, 3], &[4, 5, 6], &[7, 8, 9]]),
                    perm(9, &[&[1, 4, 7], &[2, 5, 8], &[3, 6, 9]]),
                ],
            ),
            chain(4, &[perm(4, &[&[1, 2, 3, 4]]), perm(4, &[&[1, 2]])]),
            chain(
                8,
                &[
                    perm(8, &[&[1, 2]]),
                    perm(8, &[&[1, 3], &[2, 4]]),
                    perm(8, &[&[1, 5], &[2, 6], &[3, 7], &[4, 8]]),
                ],
            ),
        ];
        for g in &groups {
            let conv = pc_presentation(g, 1 << 20).unwrap();
            assert_eq!(BigUint::from(conv.pc().order()), g.order());
            for step in &conv.seq.steps {
                assert_eq!(step.table.len(), step.prime as usize);
                assert!(step.table.values().all(|v| v.len() == 1));
            }
            check_all_pairs(g, &conv);
        }
    }

    #[test]
    fn trivial_groups_have_the_empty_presentation() {
        for n in [0, 1, 3] {
            let g = chain(n, &[]);
            let conv = pc_presentation(&g, 1 << 20).unwrap();
            assert!(conv.pc().is_empty());
            let id: Perm = (0..n as u32).collect();
            assert_eq!(conv.exponents(&id), Some(vec![]));
            assert_eq!(pc_source(conv.pc(), "T"), "group T = pc< >\n");
        }
    }

    #[test]
    fn a_group_that_is_not_solvable_is_an_error() {
        let a5 = chain(5, &[perm(5, &[&[1, 2, 3]]), perm(5, &[&[1, 2, 3, 4, 5]])]);
        let e = pc_presentation(&a5, 1 << 20).unwrap_err();
        assert_eq!(
            e,
            PcOfChainError::NotSolvable {
                order: BigUint::from(60u32)
            }
        );
        assert!(e.to_string().contains("not solvable"), "{e}");
        // S5 stops at A5.
        let s5 = chain(5, &[perm(5, &[&[1, 2]]), perm(5, &[&[1, 2, 3, 4, 5]])]);
        assert!(matches!(
            pc_presentation(&s5, 1 << 20),
            Err(PcOfChainError::NotSolvable { .. })
        ));
    }

    #[test]
    fn limits_are_errors() {
        // AGL(1, 11): for each limit in a doubling range under which the
        // chain itself builds, the conversion either succeeds or stops
        // with that limit's error, and some limit stops it.
        let gens = [
            perm(11, &[&(1..=11).collect::<Vec<u32>>()]),
            // x ↦ 2x mod 11 (2 is a primitive root), fixing 0: point x + 1.
            perm(11, &[&[2, 3, 5, 9, 6, 11, 10, 8, 4, 7]]),
        ];
        let mut stopped = [false; 2];
        for k in 6..40 {
            let work = ChainLimits {
                max_work: 1 << k,
                ..ChainLimits::default()
            };
            let memory = ChainLimits {
                max_memory: 1 << k,
                ..ChainLimits::default()
            };
            for (which, limits) in [work, memory].into_iter().enumerate() {
                let Ok(g) = Chain::generated(11, &gens, limits) else {
                    continue;
                };
                match pc_presentation(&g, 1 << 20) {
                    Ok(conv) => assert_eq!(conv.pc().order(), 110),
                    Err(
                        PcOfChainError::Work { .. }
                        | PcOfChainError::Chain(ChainError::Work { .. }),
                    ) if which == 0 => stopped[0] = true,
                    Err(
                        PcOfChainError::Memory { .. }
                        | PcOfChainError::Chain(ChainError::Memory { .. }),
                    ) if which == 1 => stopped[1] = true,
                    Err(e) => panic!("limit 2^{k}: {e}"),
                }
            }
        }
        assert_eq!(stopped, [true, true]);
        // Collection: the consistency check alone takes more than 10 steps.
        let g = Chain::generated(11, &gens, ChainLimits::default()).unwrap();
        assert!(matches!(
            pc_presentation(&g, 10),
            Err(PcOfChainError::Pc(PcError::Work { limit: 10 }))
        ));
    }

    #[test]
    fn printed_presentations_read_back_as_the_same() {
        let q8 = chain(
            8,
            &[
                perm(8, &[&[1, 2, 4, 6], &[3, 8, 7, 5]]),
                perm(8, &[&[1, 3, 4, 7], &[2, 5, 6, 8]]),
            ],
        );
        assert_eq!(q8.order(), BigUint::from(8u32));
        let s4 = chain(4, &[perm(4, &[&[1, 2, 3, 4]]), perm(4, &[&[1, 2]])]);
        for (g, name) in [(q8, "Q"), (s4, "S")] {
            let conv = pc_presentation(&g, 1 << 20).unwrap();
            let text = pc_source(conv.pc(), name);
            let limits = Limits {
                max_elements: 1,
                ..Limits::default()
            };
            let program = load_source("printed.gssm", &text, &limits).unwrap();
            let Ok(Checked::Pc(e)) = program.eval_to_check(name) else {
                panic!("{text} did not read back as a pc presentation");
            };
            assert_eq!(e.pc.relative_orders(), conv.pc().relative_orders());
            for i in 0..e.pc.len() {
                assert_eq!(e.pc.power_relation(i), conv.pc().power_relation(i));
                for j in i + 1..e.pc.len() {
                    assert_eq!(
                        e.pc.conjugate_relation(i, j),
                        conv.pc().conjugate_relation(i, j),
                        "{text}"
                    );
                }
            }
        }
    }
}
