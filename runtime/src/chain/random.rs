//! The randomised Schreier–Sims algorithm, with an exact verification.
//!
//! The deterministic construction sifts every Schreier generator of every
//! level as strong generators accumulate, which grows like degree^5 on S_n.
//! Here a partial chain is built from random elements of G (product
//! replacement with an accumulator), each sifted, a residue other than the
//! identity becoming a strong generator of the levels it passed (level 0
//! aside, whose group is already G); the random phase stops once
//! [`TRIVIAL_RUN`] elements in a row sift to the identity. The partial chain
//! is then settled exactly, so what is returned is always a base and strong
//! generating set of G:
//!
//! - by its order: a partial chain's orbit lengths multiply to |G| divided
//!   by an integer, which is 1 only when the chain is complete (below), so
//!   the chain is complete when that product reaches an upper bound on |G|:
//!   ∏ |O|! over the generators' orbits O, halved when every generator is
//!   even, which S_n and A_n (and products of them) reach. When the product
//!   falls short and G is recognised as containing A_n (Jordan: transitive,
//!   primitive, with a cycle of prime length p ≤ n − 3), the bound is |G|
//!   and random sifting goes on;
//! - otherwise by the deterministic algorithm, from the given generators
//!   ([`Fallback::Rebuild`]). The textbook step, sifting every Schreier
//!   generator of the partial chain from the bottom level up and adding any
//!   residue ([`Fallback::Verify`]), is exact too but was slower than the
//!   deterministic construction on every group measured: random residues
//!   sit on every level between 1 and their own, so the upper levels hold
//!   far more strong generators (hence Schreier generators) than the
//!   deterministic chain's, whose residues sit only on the levels below the
//!   one they came from. A cheaper verification (Schreier–Todd–Coxeter–Sims)
//!   would change that; until then the rebuild also keeps these groups'
//!   chains, and files, as they were.
//!
//! Why the product divides |G|: with H_i the group of level i's strong
//! generators, H_{i+1} fixes b_i and lies in H_i, so |H_i| = |orbit_i| ·
//! |Stab_{H_i}(b_i)| = |orbit_i| · [Stab_{H_i}(b_i) : H_{i+1}] · |H_{i+1}|;
//! H_0 = G (the given generators are sifted first) and the last level's
//! stabiliser is trivial (a residue fixing every base point opens a level).
//! Every index is 1, which is the definition of a complete chain, exactly
//! when the product is |G|; otherwise it is at most |G|/2, which also bounds
//! the chance that a uniform random element sifts to the identity.
//!
//! [`Growing`] builds a subgroup one generator at a time the same way, for
//! closures (normal closures) whose membership tests a partial chain can
//! answer: it never holds an element wrongly.
//!
//! The random numbers come from a seeded splitmix64, so the same generators
//! and seed give the same chain, and the same bytes wherever it is written.

use super::{compose_into, is_identity, Chain, ChainError, ChainLimits, Perm};
use num_bigint::BigUint;

/// The seed callers use when they have no reason to pick another.
pub const DEFAULT_SEED: u64 = 0x6773_736d_6368_6169;

/// Random elements in a row that must sift to the identity before the
/// random phase stops. While the chain is incomplete at most half of G sifts
/// through (module comment), so a uniform element stops the phase early with
/// probability ≤ 2^-30. An early stop is still caught (by the bound, or by
/// the fallback, which then costs more); each extra element costs one sift (degree · levels
/// point operations), far less than the transversals, so 30 is cheap
/// insurance, and a larger K buys nothing measurable.
const TRIVIAL_RUN: usize = 30;

/// Product replacement's slots, at least: GAP's `PseudoRandom` keeps ten,
/// or the generators when there are more.
const MIN_SLOTS: usize = 10;

/// Product replacement steps per slot before the first element is used, so
/// that the slots are far from the generators.
const BURN_IN_PER_SLOT: usize = 10;

/// Rounds of random sifting, the run doubling each time, when G is known to
/// contain A_n but the chain's order falls short; then the fallback takes
/// over (it is always correct, only slower).
const MAX_ROUNDS: usize = 4;

/// Random elements drawn looking for a prime cycle, past the random phase's
/// own, before G is taken as not recognised: an element of S_n has a cycle
/// of a given prime length p > n/2 with probability 1/p, so about one in
/// ten has one up to n = 4096.
const CYCLE_TRIES: usize = 64;

/// What to do when the order bound does not settle the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fallback {
    /// Sift every Schreier generator of the partial chain, bottom level up
    /// (the usual random Schreier–Sims verification). Kept for tests and
    /// measurements: it cost 1.5 to 10 times the deterministic construction
    /// on every group measured (module comment).
    #[cfg_attr(not(test), allow(dead_code))]
    Verify,
    /// Build the chain by the deterministic algorithm, from the given
    /// generators: cheaper (above), and the same chain, base and
    /// transversals as [`Chain::generated`]'s, so such groups' files do not
    /// change.
    Rebuild,
}

/// How the chain was shown complete (for measurements and tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Path {
    /// The trivial group: nothing to verify.
    Trivial,
    /// The orbit lengths' product reached the upper bound on |G|.
    Bound,
    /// Likewise, after G was recognised as containing A_n and random
    /// sifting went on.
    Recognised,
    /// Every Schreier generator of the partial chain sifted
    /// ([`Fallback::Verify`]).
    Verified,
    /// Built again by the deterministic algorithm ([`Fallback::Rebuild`]).
    Deterministic,
}

impl Chain {
    /// The group generated by `gens` (image lists, all of one degree), by
    /// the randomised Schreier–Sims algorithm: random elements sifted into a
    /// partial chain, complete when its order reaches the bound that S_n and
    /// A_n (and products of them on disjoint orbits) reach; any other group
    /// is built by [`Chain::generated`] after all, so the chain is a base
    /// and strong generating set of ⟨gens⟩ whatever the random numbers were.
    /// `seed` fixes them: the same input gives the same chain. Every
    /// accessor and [`Chain::add_generator`] work on it as on
    /// [`Chain::generated`]'s, whose base and transversals it need not share
    /// (for the groups settled by the bound). The limits hold as there:
    /// memory is charged before it is taken, and the work of the random
    /// phase and of a rebuild counts against one `max_work`.
    pub fn random_generated(
        degree: usize,
        gens: &[Perm],
        limits: ChainLimits,
        seed: u64,
    ) -> Result<Chain, ChainError> {
        random_chain(degree, gens, limits, seed, TRIVIAL_RUN, Fallback::Rebuild).map(|(c, _)| c)
    }

    /// Sift one random element; a residue becomes a strong generator.
    /// `Ok(true)` when it sifted to the identity.
    fn sift_random(
        &mut self,
        pr: &mut Replacement,
        watch: Option<&mut PrimeCycle>,
    ) -> Result<bool, ChainError> {
        let ops = pr.step();
        self.spend(ops)?;
        if let Some(w) = watch {
            let ops = w.look(&pr.acc);
            self.spend(ops)?;
        }
        let (h, j) = self.sift(&pr.acc, 0);
        self.spend(sift_ops(j, self.degree))?;
        if is_identity(&h) {
            return Ok(true);
        }
        // Level 0 does not need h: its generators are the given ones (their
        // residues), so its group is G, which holds h, and its orbit is
        // already G's orbit of b_0 (so j > 0). Levels 1..=j do, for each
        // level's group to lie in the one above. Fewer generators at the
        // widest level halve the Schreier verification's work.
        self.add_strong_counted(h, j.min(1), j)?;
        Ok(false)
    }

    /// [`Chain::add_strong`] with its work counted: the deterministic path
    /// counts only Schreier generators, whose sifting dominates there.
    fn add_strong_counted(&mut self, h: Perm, from: usize, to: usize) -> Result<(), ChainError> {
        let points = |c: &Chain| c.levels.iter().map(|l| l.orbit.len() as u64).sum::<u64>();
        let before = points(self);
        self.add_strong(h, from, to)?;
        let after = points(self);
        // Each new representative is a product and an inverse; the old
        // orbit points see the new generator once.
        self.spend((after - before) * 2 * self.degree as u64 + after)?;
        Ok(())
    }

    /// Record that every Schreier generator sifts to the identity, true of a
    /// complete chain, so that `add_generator` later sifts only new ones.
    fn mark_verified(&mut self) {
        for level in &mut self.levels {
            let k = level.gens.len();
            level.done.iter_mut().for_each(|d| *d = k);
        }
    }
}

/// Point operations of a sift that stopped at level `j`: a copy, then one
/// product per level passed.
fn sift_ops(j: usize, degree: usize) -> u64 {
    (j as u64 + 1) * degree as u64
}

/// The chain and how it was verified; the random phase stops after `run`
/// trivial sifts in a row (tests shorten it to reach every path).
fn random_chain(
    degree: usize,
    gens: &[Perm],
    limits: ChainLimits,
    seed: u64,
    run: usize,
    fallback: Fallback,
) -> Result<(Chain, Path), ChainError> {
    if gens.len() > limits.max_generators {
        return Err(ChainError::Generators {
            count: gens.len(),
            limit: limits.max_generators,
        });
    }
    let mut c = Chain::trivial(degree, limits)?;
    c.spend(gens.len() as u64 * degree as u64)?;
    for g in gens {
        check_permutation(g, degree)?;
    }
    // The given generators first, as `add_generator` would sift them but
    // without completing: the strong generators then generate G, which both
    // verifications rely on, and those that enlarged the chain are kept as
    // the generating set.
    for g in gens {
        let (h, j) = c.sift(g, 0);
        c.spend(sift_ops(j, degree))?;
        if is_identity(&h) {
            continue;
        }
        c.charge(4 * degree as u128)?;
        c.generators.push(g.clone());
        c.add_strong_counted(h, 0, j)?;
    }
    if c.generators.is_empty() {
        return Ok((c, Path::Trivial));
    }
    // The product replacement's slots, charged before they are taken.
    let pr_bytes = Replacement::bytes(degree, c.generators.len());
    c.charge(pr_bytes)?;
    let mut pr = Replacement::new(&c.generators, seed);
    for _ in 0..pr.slots.len() * BURN_IN_PER_SLOT {
        let ops = pr.step();
        c.spend(ops)?;
    }
    settle(c, &mut pr, pr_bytes, gens, run, fallback)
}

/// Settle a partial chain whose strong generators generate G (its
/// `generators`, each sifted in): random sifting until `run` elements in a
/// row pass, the order bound and Jordan's recognition, else `fallback` from
/// `given` (generators of G). `pr_bytes` were charged for `pr`, and are
/// given back.
fn settle(
    mut c: Chain,
    pr: &mut Replacement,
    pr_bytes: u128,
    given: &[Perm],
    run: usize,
    fallback: Fallback,
) -> Result<(Chain, Path), ChainError> {
    let degree = c.degree;
    let limits = c.limits;
    // Scratch space, charged before it is taken: a copy of the generators,
    // and per-point arrays for the orbits, the cycle search, the block
    // search and the order bound (about 25 bytes a point in all).
    let k = c.generators.len();
    let n = degree as u128;
    let scratch = 4 * n * k as u128 + 32 * n + 64;
    c.charge(scratch)?;
    let kept = c.generators.clone();
    let orbits = orbits(degree, &kept);
    c.spend((k as u64 + 1) * degree as u64)?;
    let bound = order_bound(&orbits, &kept, &mut c)?;
    // Jordan's theorem needs a transitive group on n ≥ 5 points (a prime
    // p ≤ n − 3); the prime cycle is looked for on every random element.
    let mut watch = match orbits.as_slice() {
        [o] if o.len() >= 5 => Some(PrimeCycle::new(degree, o.len())),
        _ => None,
    };

    let mut run = run.max(1);
    let mut recognised: Option<bool> = None;
    let mut path = None;
    for _ in 0..=MAX_ROUNDS {
        let mut trivial = 0;
        while trivial < run {
            if c.sift_random(pr, watch.as_mut())? {
                trivial += 1;
            } else {
                trivial = 0;
            }
        }
        if c.order() == bound {
            path = Some(match recognised {
                Some(true) => Path::Recognised,
                _ => Path::Bound,
            });
            break;
        }
        if recognised.is_none() {
            let yes = match (watch.as_mut(), orbits.first()) {
                (Some(w), Some(orbit)) => {
                    // These elements are sifted too: none is wasted.
                    for _ in 0..CYCLE_TRIES {
                        if w.found.is_some() {
                            break;
                        }
                        c.sift_random(pr, Some(&mut *w))?;
                    }
                    w.found.is_some() && is_primitive(orbit, &kept, degree, &mut c)?
                }
                _ => false,
            };
            recognised = Some(yes);
            if c.order() == bound {
                path = Some(if yes { Path::Recognised } else { Path::Bound });
                break;
            }
        }
        if recognised != Some(true) {
            break;
        }
        run *= 2;
    }
    drop((watch, kept, orbits));
    c.release(scratch + pr_bytes);

    match path {
        Some(p) => {
            c.mark_verified();
            Ok((c, p))
        }
        None if fallback == Fallback::Verify => {
            // Bottom level up, as the deterministic completion does; the
            // partial chain's levels are where it starts.
            let last = c.levels.len().saturating_sub(1);
            c.complete(last)?;
            Ok((c, Path::Verified))
        }
        None => {
            // The deterministic chain, with the work spent so far counted
            // against the same limit; the partial chain is freed first.
            let spent = c.work;
            drop(c);
            let rest = ChainLimits {
                max_work: limits.max_work.saturating_sub(spent),
                ..limits
            };
            let mut d = Chain::generated(degree, given, rest).map_err(|e| match e {
                ChainError::Work { .. } => ChainError::Work {
                    limit: limits.max_work,
                },
                e => e,
            })?;
            d.limits = limits;
            d.work = d.work.saturating_add(spent);
            Ok((d, Path::Deterministic))
        }
    }
}

/// A chain grown one generator at a time, each followed by random
/// elements sifted in, for subgroups found by closing a generating set
/// (normal closures): no membership test is needed against a complete
/// chain there, since a partial chain never holds an element wrongly (a
/// sift to the identity writes it as a product of the group's elements),
/// and an element it misses only joins the generators once more.
/// [`Growing::finish`] settles it exactly, as [`Chain::random_generated`]
/// does.
pub struct Growing {
    chain: Chain,
    /// Every generator added, for the deterministic fallback.
    given: Vec<Perm>,
    pr: Option<Replacement>,
    pr_bytes: u128,
    seed: u64,
}

impl Growing {
    /// The trivial group on `degree` points.
    pub fn new(degree: usize, limits: ChainLimits, seed: u64) -> Result<Growing, ChainError> {
        Ok(Growing {
            chain: Chain::trivial(degree, limits)?,
            given: Vec::new(),
            pr: None,
            pr_bytes: 0,
            seed,
        })
    }

    /// Whether g lies in the group grown so far: never wrongly yes, and
    /// rarely wrongly no.
    pub fn contains(&self, g: &[u32]) -> bool {
        self.chain.contains(g)
    }

    /// Add g to the generators unless the chain holds it already
    /// (`Ok(false)`), then sift random elements until [`TRIVIAL_RUN`] in a
    /// row pass.
    pub fn add(&mut self, g: &[u32]) -> Result<bool, ChainError> {
        let c = &mut self.chain;
        let degree = c.degree;
        check_permutation(g, degree)?;
        let (h, j) = c.sift(g, 0);
        c.spend(sift_ops(j, degree))?;
        if is_identity(&h) {
            return Ok(false);
        }
        if c.generators.len() >= c.limits.max_generators {
            return Err(ChainError::Generators {
                count: c.generators.len() + 1,
                limit: c.limits.max_generators,
            });
        }
        // The generator is kept twice (generators, the fallback's list)
        // and joins the random slots.
        c.charge(12 * degree as u128)?;
        c.generators.push(g.to_vec());
        self.given.push(g.to_vec());
        c.add_strong_counted(h, 0, j)?;
        let pr = match &mut self.pr {
            Some(pr) => {
                pr.slots.push(g.to_vec());
                pr
            }
            None => {
                let bytes = Replacement::bytes(degree, 1);
                c.charge(bytes)?;
                self.pr_bytes = bytes;
                self.pr.insert(Replacement::new(&[g.to_vec()], self.seed))
            }
        };
        for _ in 0..BURN_IN_PER_SLOT {
            let ops = pr.step();
            c.spend(ops)?;
        }
        let mut trivial = 0;
        while trivial < TRIVIAL_RUN {
            if c.sift_random(pr, None)? {
                trivial += 1;
            } else {
                trivial = 0;
            }
        }
        Ok(true)
    }

    /// The complete chain of the group grown.
    pub fn finish(self) -> Result<Chain, ChainError> {
        let Growing {
            chain,
            given,
            pr,
            pr_bytes,
            ..
        } = self;
        match pr {
            None => Ok(chain),
            Some(mut pr) => settle(
                chain,
                &mut pr,
                pr_bytes,
                &given,
                TRIVIAL_RUN,
                Fallback::Rebuild,
            )
            .map(|(c, _)| c),
        }
    }
}

/// An error unless g is a permutation of 0..degree (products and inverses
/// index by its images).
fn check_permutation(g: &[u32], degree: usize) -> Result<(), ChainError> {
    if g.len() != degree {
        return Err(ChainError::Invalid(format!(
            "a permutation of {} points given for a group on {degree}",
            g.len()
        )));
    }
    let mut seen = vec![false; degree];
    for &x in g {
        if x as usize >= degree || std::mem::replace(&mut seen[x as usize], true) {
            return Err(ChainError::Invalid(format!(
                "a generator is not a permutation of the {degree} points"
            )));
        }
    }
    Ok(())
}

/// splitmix64 (Steele, Lea and Flood): a counter stepped by the golden
/// ratio and mixed, a full-period stream for every seed, in a few lines.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in 0..m (m > 0): the high half of a 64×64-bit product,
    /// without the modulo's bias towards small values.
    fn below(&mut self, m: usize) -> usize {
        ((self.next() as u128 * m as u128) >> 64) as usize
    }
}

/// Product replacement (Celler, Leedham-Green, Murray, Niemeyer and
/// O'Brien) with Leedham-Green and Murray's accumulator: each step replaces
/// one slot by its product with another slot or that one's inverse, on
/// either side, and multiplies the accumulator by the new slot. The
/// accumulator is the random element; it mixes faster than the slots.
struct Replacement {
    rng: Rng,
    slots: Vec<Perm>,
    acc: Perm,
    tmp: Perm,
    other: Perm,
}

impl Replacement {
    fn slot_count(gens: usize) -> usize {
        gens.max(MIN_SLOTS)
    }

    /// Bytes it holds: the slots, the accumulator and two scratch
    /// permutations.
    fn bytes(degree: usize, gens: usize) -> u128 {
        4 * degree as u128 * (Self::slot_count(gens) as u128 + 3)
    }

    /// Slots filled with the generators, repeated (`gens` is not empty).
    fn new(gens: &[Perm], seed: u64) -> Replacement {
        let degree = gens.first().map_or(0, Vec::len);
        let r = Self::slot_count(gens.len());
        Replacement {
            rng: Rng(seed),
            slots: gens.iter().cycle().take(r).cloned().collect(),
            acc: (0..degree as u32).collect(),
            tmp: Vec::with_capacity(degree),
            other: vec![0; degree],
        }
    }

    /// One step; returns the point operations it took.
    fn step(&mut self) -> u64 {
        let r = self.slots.len();
        if r < 2 {
            return 0;
        }
        let s = self.rng.below(r);
        let mut t = self.rng.below(r - 1);
        if t >= s {
            t += 1;
        }
        let bits = self.rng.next();
        if bits & 1 == 0 {
            self.other.clone_from(&self.slots[t]);
        } else {
            for (i, &x) in self.slots[t].iter().enumerate() {
                self.other[x as usize] = i as u32;
            }
        }
        let (x, y) = if bits & 2 == 0 {
            (&self.slots[s], &self.other)
        } else {
            (&self.other, &self.slots[s])
        };
        compose_into(x, y, &mut self.tmp);
        std::mem::swap(&mut self.slots[s], &mut self.tmp);
        compose_into(&self.acc, &self.slots[s], &mut self.tmp);
        std::mem::swap(&mut self.acc, &mut self.tmp);
        4 * self.acc.len() as u64
    }
}

/// The generators' orbits of two points or more.
fn orbits(degree: usize, gens: &[Perm]) -> Vec<Vec<u32>> {
    let mut seen = vec![false; degree];
    let mut out = Vec::new();
    for start in 0..degree {
        if seen[start] || gens.iter().all(|g| g[start] as usize == start) {
            continue;
        }
        seen[start] = true;
        let mut orbit = vec![start as u32];
        let mut idx = 0;
        while idx < orbit.len() {
            let x = orbit[idx] as usize;
            for g in gens {
                let y = g[x];
                if !std::mem::replace(&mut seen[y as usize], true) {
                    orbit.push(y);
                }
            }
            idx += 1;
        }
        out.push(orbit);
    }
    out
}

/// Whether g is an odd permutation: degree minus its cycle count is odd.
fn is_odd(g: &[u32]) -> bool {
    let mut seen = vec![false; g.len()];
    let mut cycles = 0;
    for start in 0..g.len() {
        if seen[start] {
            continue;
        }
        cycles += 1;
        let mut x = start;
        while !std::mem::replace(&mut seen[x], true) {
            x = g[x] as usize;
        }
    }
    (g.len() - cycles) % 2 == 1
}

/// An upper bound on |G|: G lies in the product of the symmetric groups on
/// its orbits, and in the alternating group when every generator is even
/// (the product holds odd permutations, as some orbit has two points).
fn order_bound(orbits: &[Vec<u32>], gens: &[Perm], c: &mut Chain) -> Result<BigUint, ChainError> {
    let mut bound = BigUint::from(1u32);
    for o in orbits {
        // Multiplying by k costs one word operation per word of the
        // product, which has at most |O|·log2|O| bits.
        let len = o.len() as u64;
        let words = len * (u64::BITS - len.leading_zeros()) as u64 / 64 + 1;
        c.spend(len * words)?;
        for k in 2..=len {
            bound *= k;
        }
    }
    c.spend(gens.len() as u64 * c.degree as u64)?;
    if gens.iter().all(|g| !is_odd(g)) {
        bound /= 2u32;
    }
    Ok(bound)
}

/// Looks for an element with a cycle of prime length p ≤ n − 3 whose length
/// no other of its cycles' lengths is a multiple of: its power by the lcm of
/// the other lengths is then a p-cycle in G (the p-cycle turns by a number
/// prime to p, the other cycles vanish), which is what Jordan's theorem
/// asks for.
struct PrimeCycle {
    /// n: the points G moves (one orbit).
    moved: usize,
    found: Option<usize>,
    seen: Vec<bool>,
    /// Cycles of g by length, 0..=degree.
    count: Vec<u32>,
}

impl PrimeCycle {
    fn new(degree: usize, moved: usize) -> PrimeCycle {
        PrimeCycle {
            moved,
            found: None,
            seen: vec![false; degree],
            count: vec![0; degree + 1],
        }
    }

    /// Look at g's cycles unless a prime cycle was found; returns the point
    /// operations spent.
    fn look(&mut self, g: &[u32]) -> u64 {
        if self.found.is_some() {
            return 0;
        }
        self.seen.iter_mut().for_each(|s| *s = false);
        self.count.iter_mut().for_each(|c| *c = 0);
        for start in 0..g.len() {
            if self.seen[start] {
                continue;
            }
            let (mut x, mut len) = (start, 0);
            while !std::mem::replace(&mut self.seen[x], true) {
                x = g[x] as usize;
                len += 1;
            }
            self.count[len] += 1;
        }
        let top = self.count.len() - 1;
        self.found = (2..=self.moved.saturating_sub(3)).find(|&p| {
            self.count[p] == 1
                && is_prime(p)
                && (2 * p..=top).step_by(p).all(|m| self.count[m] == 0)
        });
        // The walk, the clearing, and a harmonic sum of multiples.
        4 * g.len() as u64
    }
}

fn is_prime(p: usize) -> bool {
    p >= 2
        && (2..)
            .take_while(|d| d * d <= p)
            .all(|d| !p.is_multiple_of(d))
}

/// Whether the transitive group ⟨gens⟩ on `orbit` is primitive: for every β
/// the smallest block holding α = orbit[0] and β is the whole orbit
/// (Atkinson's algorithm: merge the classes of α and β, then for each
/// merged pair (a, b) and generator g merge the classes of a^g and b^g; the
/// merged pairs generate the equivalence, so this closes it under G, and
/// every merge is forced). Each β costs about n · |gens| look-ups.
fn is_primitive(
    orbit: &[u32],
    gens: &[Perm],
    degree: usize,
    c: &mut Chain,
) -> Result<bool, ChainError> {
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    let n = orbit.len();
    let alpha = orbit[0];
    let mut parent: Vec<u32> = (0..degree as u32).collect();
    let mut queue: Vec<(u32, u32)> = Vec::with_capacity(n);
    for &beta in &orbit[1..] {
        c.spend(n as u64 * (gens.len() as u64 + 1))?;
        for &x in orbit {
            parent[x as usize] = x;
        }
        queue.clear();
        parent[beta as usize] = alpha;
        queue.push((alpha, beta));
        let mut classes = n - 1;
        while let Some((a, b)) = queue.pop() {
            for g in gens {
                let x = find(&mut parent, g[a as usize]);
                let y = find(&mut parent, g[b as usize]);
                if x != y {
                    parent[y as usize] = x;
                    classes -= 1;
                    queue.push((x, y));
                }
            }
        }
        if classes > 1 {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::super::{inverse, mul};
    use super::*;
    use std::time::Instant;

    /// A permutation of 0..n from cycles of 1-based points.
    fn cycles(n: usize, cs: &[&[u32]]) -> Perm {
        let mut p: Perm = (0..n as u32).collect();
        for c in cs {
            for (k, &x) in c.iter().enumerate() {
                p[x as usize - 1] = c[(k + 1) % c.len()] - 1;
            }
        }
        p
    }

    /// A uniformly random permutation of 0..degree (Fisher–Yates).
    fn uniform_perm(rng: &mut Rng, degree: usize) -> Perm {
        let mut p: Perm = (0..degree as u32).collect();
        for i in (1..degree).rev() {
            p.swap(i, rng.below(i + 1));
        }
        p
    }

    fn n_cycle(n: usize) -> Perm {
        cycles(n, &[&(1..=n as u32).collect::<Vec<_>>()])
    }

    fn factorial(n: u64) -> BigUint {
        (2..=n).fold(BigUint::from(1u32), |acc, k| acc * k)
    }

    /// A named group: degree, generators, and its order when known.
    struct Case {
        name: String,
        degree: usize,
        gens: Vec<Perm>,
        order: BigUint,
    }

    fn symmetric(n: usize) -> Case {
        Case {
            name: format!("S_{n}"),
            degree: n,
            gens: vec![cycles(n, &[&[1, 2]]), n_cycle(n)],
            order: factorial(n as u64),
        }
    }

    /// A_n for odd n: (1,2,3) and the n-cycle, which is even.
    fn alternating(n: usize) -> Case {
        Case {
            name: format!("A_{n}"),
            degree: n,
            gens: vec![cycles(n, &[&[1, 2, 3]]), n_cycle(n)],
            order: factorial(n as u64) / 2u32,
        }
    }

    /// C_p wr C_p wr … (k times) on p^k points: the p-cycle of the blocks of
    /// size p^i inside the first block of size p^(i+1), for each i; the
    /// Sylow p-subgroup of S_{p^k}, of order p^((p^k − 1)/(p − 1)).
    fn iterated_wreath(p: u32, k: u32) -> Case {
        let degree = p.pow(k) as usize;
        let gens = (0..k)
            .map(|i| {
                let block = p.pow(i);
                let mut g: Perm = (0..degree as u32).collect();
                for x in 0..block * p {
                    g[x as usize] = (x + block) % (block * p);
                }
                g
            })
            .collect();
        Case {
            name: format!("C{p} wr^{k} on {degree}"),
            degree,
            gens,
            order: BigUint::from(p).pow((p.pow(k) - 1) / (p - 1)),
        }
    }

    /// The 2×2×2 cube's 24 stickers turned by the three faces missing one
    /// corner (tests/check_big.rs, GAP): 3^6 · 7! = 3,674,160.
    fn cube() -> Case {
        Case {
            name: "cube 2x2x2".into(),
            degree: 24,
            gens: vec![
                cycles(
                    24,
                    &[&[13, 19, 22, 16], &[14, 21, 23, 18], &[15, 20, 24, 17]],
                ),
                cycles(24, &[&[7, 21, 22, 12], &[8, 20, 23, 11], &[9, 19, 24, 10]]),
                cycles(24, &[&[4, 17, 22, 11], &[5, 16, 23, 10], &[6, 18, 24, 12]]),
            ],
            order: BigUint::from(3_674_160u32),
        }
    }

    /// AGL(1, q) on q points: x → x + 1 and x → g·x for a primitive root g.
    fn agl(q: u32, g: u32) -> Case {
        let shift = (0..q).map(|x| (x + 1) % q).collect();
        let scale = (0..q)
            .map(|x| (x as u64 * g as u64 % q as u64) as u32)
            .collect();
        Case {
            name: format!("AGL(1, {q})"),
            degree: q as usize,
            gens: vec![shift, scale],
            order: BigUint::from(q as u64 * (q as u64 - 1)),
        }
    }

    /// M24 by GAP's three generators (`MathieuGroup(24)`); the first two
    /// fix point 24 and generate M23, of order 10,200,960.
    fn m24() -> Case {
        let mut m = m23();
        m.name = "M24".into();
        m.gens.push(cycles(
            24,
            &[
                &[1, 24],
                &[2, 23],
                &[3, 12],
                &[4, 16],
                &[5, 18],
                &[6, 10],
                &[7, 20],
                &[8, 14],
                &[9, 21],
                &[11, 17],
                &[13, 22],
                &[15, 19],
            ],
        ));
        m.order = BigUint::from(244_823_040u32);
        m
    }

    /// M23 on 24 points (24 fixed): the first two of M24's generators.
    fn m23() -> Case {
        Case {
            name: "M23 (on 24)".into(),
            degree: 24,
            gens: vec![
                cycles(24, &[&(1..=23).collect::<Vec<_>>()]),
                cycles(
                    24,
                    &[
                        &[3, 17, 10, 7, 9],
                        &[4, 13, 14, 19, 5],
                        &[8, 18, 11, 12, 23],
                        &[15, 20, 22, 21, 16],
                    ],
                ),
            ],
            order: BigUint::from(10_200_960u32),
        }
    }

    /// Big groups that reach no order bound, so the Schreier verification
    /// runs on a long chain (measured, not tested: slow in a debug build).
    fn beyond_the_bound() -> Vec<Case> {
        // S_n acting on two copies of its points at once: ≅ S_n, two orbits.
        let diagonal = |n: usize| {
            let twice = |p: &Perm| -> Perm {
                p.iter()
                    .copied()
                    .chain(p.iter().map(|&x| x + n as u32))
                    .collect()
            };
            let s = symmetric(n);
            Case {
                name: format!("diagonal S_{n} on {}", 2 * n),
                degree: 2 * n,
                gens: s.gens.iter().map(twice).collect(),
                order: s.order,
            }
        };
        // S_n wr C2 on 2n points: S_n on the first copy, and the swap.
        let wreath = |n: usize| {
            let mut gens: Vec<Perm> = symmetric(n)
                .gens
                .iter()
                .map(|p| p.iter().copied().chain(n as u32..2 * n as u32).collect())
                .collect();
            gens.push(
                (0..2 * n as u32)
                    .map(|x| (x + n as u32) % (2 * n as u32))
                    .collect(),
            );
            let f = factorial(n as u64);
            Case {
                name: format!("S_{n} wr C2 on {}", 2 * n),
                degree: 2 * n,
                gens,
                order: &f * &f * 2u32,
            }
        };
        // PGL(2, p) on the projective line 0..p-1, ∞ = p: x+1, g·x, -1/x.
        let pgl = |p: u32, g: u32| {
            let inf = p;
            let inv = |x: u32| {
                (1..p)
                    .find(|y| x as u64 * *y as u64 % p as u64 == 1)
                    .unwrap_or(0)
            };
            let act = |f: &dyn Fn(u32) -> u32| -> Perm { (0..=p).map(f).collect() };
            Case {
                name: format!("PGL(2, {p}) on {}", p + 1),
                degree: p as usize + 1,
                gens: vec![
                    act(&|x| if x == inf { inf } else { (x + 1) % p }),
                    act(&|x| {
                        if x == inf {
                            inf
                        } else {
                            (x as u64 * g as u64 % p as u64) as u32
                        }
                    }),
                    act(&|x| {
                        if x == inf {
                            0
                        } else if x == 0 {
                            inf
                        } else {
                            (p - inv(x)) % p
                        }
                    }),
                ],
                order: BigUint::from((p as u64 + 1) * p as u64 * (p as u64 - 1)),
            }
        };
        // AGL(d, 2) on 2^d points: a translation, the coordinate shift and a
        // transvection (x_0 += x_1).
        let agl2 = |d: u32| {
            let n = 1u32 << d;
            let act = |f: &dyn Fn(u32) -> u32| -> Perm { (0..n).map(f).collect() };
            let mut order = BigUint::from(n);
            for i in 0..d {
                order *= (1u64 << d) - (1u64 << i);
            }
            Case {
                name: format!("AGL({d}, 2) on {n}"),
                degree: n as usize,
                gens: vec![
                    act(&|x| x ^ 1),
                    act(&|x| ((x << 1) | (x >> (d - 1))) & (n - 1)),
                    act(&|x| x ^ ((x >> 1) & 1)),
                ],
                order,
            }
        };
        vec![
            diagonal(50),
            wreath(50),
            diagonal(100),
            pgl(211, 2),
            agl2(8),
            agl2(10),
        ]
    }

    fn cases() -> Vec<Case> {
        vec![
            symmetric(50),
            symmetric(100),
            symmetric(150),
            alternating(101),
            iterated_wreath(2, 6),
            iterated_wreath(3, 4),
            cube(),
            agl(1009, 11),
            m23(),
            m24(),
        ]
    }

    fn unlimited() -> ChainLimits {
        ChainLimits {
            max_work: u64::MAX,
            ..ChainLimits::default()
        }
    }

    /// Base, strong generators and transversals, for comparing chains.
    fn shape(c: &Chain) -> (Vec<u32>, Vec<Perm>, Vec<Vec<Perm>>) {
        let t = (0..c.base().len())
            .map(|i| c.transversal(i).to_vec())
            .collect();
        (c.base(), c.strong_generators().to_vec(), t)
    }

    /// A product of `len` random generators and inverses.
    fn word(gens: &[Perm], len: usize, rng: &mut Rng) -> Perm {
        let mut g: Perm = (0..gens[0].len() as u32).collect();
        for _ in 0..len {
            let s = &gens[rng.below(gens.len())];
            g = if rng.next() & 1 == 0 {
                mul(&g, s)
            } else {
                mul(&g, &inverse(s))
            };
        }
        g
    }

    #[test]
    fn known_orders_of_big_groups() {
        for case in cases() {
            let (c, path) = random_chain(
                case.degree,
                &case.gens,
                ChainLimits::default(),
                DEFAULT_SEED,
                TRIVIAL_RUN,
                Fallback::Rebuild,
            )
            .unwrap();
            assert_eq!(c.order(), case.order, "{}", case.name);
            if case.name.starts_with("S_") || case.name.starts_with("A_") {
                // Found by order, without a Schreier generator.
                assert_eq!(path, Path::Bound, "{}", case.name);
            } else {
                assert_eq!(path, Path::Deterministic, "{}", case.name);
            }
            // The generators and random words are members, and so is
            // anything the chain's own normal form spells.
            let mut rng = Rng(7);
            for _ in 0..20 {
                assert!(c.contains(&word(&case.gens, 30, &mut rng)), "{}", case.name);
            }
            for g in &case.gens {
                assert!(c.contains(g));
            }
        }
    }

    #[test]
    fn non_members_are_rejected() {
        // A transposition lies in none of these groups but S_n.
        for case in [alternating(101), m24(), cube(), agl(1009, 11)] {
            let c = Chain::random_generated(case.degree, &case.gens, unlimited(), 1).unwrap();
            let t = cycles(case.degree, &[&[1, 2]]);
            assert!(!c.contains(&t), "{}", case.name);
            assert!(!c.contains(&mul(&case.gens[0], &t)), "{}", case.name);
            assert!(!c.contains(&t[..case.degree - 1]), "wrong degree");
        }
    }

    #[test]
    fn small_big_groups_agree_with_the_deterministic_chain() {
        for case in [
            iterated_wreath(2, 6),
            iterated_wreath(3, 4),
            cube(),
            m23(),
            m24(),
            symmetric(20),
            alternating(21),
        ] {
            let det = Chain::generated(case.degree, &case.gens, unlimited()).unwrap();
            let ran = Chain::random_generated(case.degree, &case.gens, unlimited(), 3).unwrap();
            assert_eq!(ran.order(), det.order(), "{}", case.name);
            assert_eq!(ran.order(), case.order, "{}", case.name);
            let mut rng = Rng(11);
            for _ in 0..50 {
                // A member, and a random permutation (almost never one).
                let g = word(&case.gens, 40, &mut rng);
                assert!(ran.contains(&g) && det.contains(&g), "{}", case.name);
                let mut p: Perm = (0..case.degree as u32).collect();
                for i in (1..p.len()).rev() {
                    p.swap(i, rng.below(i + 1));
                }
                assert_eq!(ran.contains(&p), det.contains(&p), "{}", case.name);
            }
        }
    }

    #[test]
    fn random_small_groups_agree_with_the_deterministic_chain() {
        let mut rng = Rng(0x5eed);
        let (mut shortcut, mut rebuilt) = (0, 0);
        for round in 0..200u64 {
            let degree = 1 + rng.below(10);
            let count = rng.below(4);
            let random_perm = |rng: &mut Rng| {
                // Sparse a third of the time, so that small and
                // intransitive groups come up as well as S_n and A_n.
                let mut p: Perm = (0..degree as u32).collect();
                let swaps = if rng.below(3) == 0 {
                    1 + rng.below(2)
                } else {
                    degree
                };
                for _ in 0..swaps {
                    let (i, j) = (rng.below(degree), rng.below(degree));
                    p.swap(i, j);
                }
                p
            };
            let gens: Vec<Perm> = (0..count).map(|_| random_perm(&mut rng)).collect();
            let limits = ChainLimits::default();
            let det = Chain::generated(degree, &gens, limits).unwrap();
            let (ran, path) =
                random_chain(degree, &gens, limits, round, TRIVIAL_RUN, Fallback::Rebuild).unwrap();
            let what = format!("{gens:?}");
            assert_eq!(ran.order(), det.order(), "{what}");
            match path {
                Path::Deterministic => rebuilt += 1,
                Path::Verified => unreachable!("not asked for"),
                Path::Bound | Path::Recognised => shortcut += 1,
                Path::Trivial => assert!(ran.is_trivial()),
            }
            // Members agree with the deterministic chain's, on words and
            // on random permutations.
            for _ in 0..10 {
                if !gens.is_empty() {
                    let g = word(&gens, 12, &mut rng);
                    assert!(ran.contains(&g), "{what}");
                }
                let p = random_perm(&mut rng);
                assert_eq!(ran.contains(&p), det.contains(&p), "{what}");
            }
            // The normal form numbers the elements one to one.
            let order = u64::try_from(ran.order()).unwrap();
            for id in 0..order.min(200) {
                let g = ran.unrank(id);
                assert_eq!(ran.rank(&g), Some(id), "{what}");
                assert!(det.contains(&g), "{what}");
            }
            // A generator added afterwards gives the deterministic order.
            let extra = random_perm(&mut rng);
            let (mut ran2, mut det2) = (ran.clone(), det.clone());
            assert_eq!(
                ran2.add_generator(&extra).unwrap(),
                det2.add_generator(&extra).unwrap()
            );
            assert_eq!(ran2.order(), det2.order(), "{what} + {extra:?}");
        }
        assert!(shortcut > 20 && rebuilt > 20, "{shortcut} {rebuilt}");
    }

    /// A chain grown one generator at a time: while it grows it never holds
    /// a non-member (checked against the deterministic chain of the
    /// generators so far), a generator it already holds is refused, and
    /// the settled chain is the group of all generators given.
    #[test]
    fn growing_chains_never_hold_a_non_member_and_settle_exactly() {
        let mut rng = Rng(0x9e0);
        for round in 0..200u64 {
            let degree = 1 + rng.below(9);
            let mut grown = Growing::new(degree, ChainLimits::default(), round).unwrap();
            let mut given: Vec<Perm> = Vec::new();
            for _ in 0..1 + rng.below(5) {
                let mut p: Perm = (0..degree as u32).collect();
                for _ in 0..1 + rng.below(3) {
                    let (i, j) = (rng.below(degree), rng.below(degree));
                    p.swap(i, j);
                }
                given.push(p.clone());
                let so_far = Chain::generated(degree, &given, ChainLimits::default()).unwrap();
                let added = grown.add(&p).unwrap();
                assert!(added || so_far.contains(&p));
                assert!(!grown.add(&p).unwrap(), "{given:?}");
                for _ in 0..20 {
                    let q = uniform_perm(&mut rng, degree);
                    assert!(!grown.contains(&q) || so_far.contains(&q), "{given:?}");
                }
            }
            let det = Chain::generated(degree, &given, ChainLimits::default()).unwrap();
            let settled = grown.finish().unwrap();
            assert_eq!(settled.order(), det.order(), "{given:?}");
            assert!(given.iter().all(|g| settled.contains(g)));
        }
    }

    #[test]
    fn members_rank_by_their_base_images_as_by_sifting() {
        let mut rng = Rng(0xba5e);
        for _ in 0..100 {
            let degree = 2 + rng.below(10);
            let gens: Vec<Perm> = (0..1 + rng.below(3))
                .map(|_| uniform_perm(&mut rng, degree))
                .collect();
            let c = Chain::generated(degree, &gens, ChainLimits::default()).unwrap();
            let base = c.base();
            // Random members: words in the generators.
            let mut g: Perm = (0..degree as u32).collect();
            for _ in 0..30 {
                g = mul(&g, &gens[rng.below(gens.len())]);
                let images: Vec<u32> = base.iter().map(|&b| g[b as usize]).collect();
                assert_eq!(c.rank_by_base_images(&images), c.rank(&g));
                assert_eq!(c.unrank(c.rank(&g).unwrap()), g);
            }
        }
    }

    #[test]
    fn early_stops_are_caught_by_the_verification() {
        // One trivial sift ends the random phase: the partial chains are
        // often incomplete, and each verification must complete them.
        let mut paths = Vec::new();
        for (seed, case) in [
            symmetric(12),
            alternating(13),
            symmetric(40),
            m24(),
            iterated_wreath(2, 4),
            cube(),
        ]
        .into_iter()
        .enumerate()
        {
            for fallback in [Fallback::Rebuild, Fallback::Verify] {
                let (c, path) = random_chain(
                    case.degree,
                    &case.gens,
                    unlimited(),
                    seed as u64,
                    1,
                    fallback,
                )
                .unwrap();
                assert_eq!(c.order(), case.order, "{}", case.name);
                paths.push(path);
            }
        }
        for path in [Path::Recognised, Path::Verified, Path::Deterministic] {
            assert!(paths.contains(&path), "{paths:?}");
        }
        let mut rng = Rng(0xfa11);
        for round in 0..200u64 {
            let degree = 2 + rng.below(9);
            let gens: Vec<Perm> = (0..1 + rng.below(3))
                .map(|_| uniform_perm(&mut rng, degree))
                .collect();
            let det = Chain::generated(degree, &gens, ChainLimits::default()).unwrap();
            let limits = ChainLimits::default();
            let (ran, _) = random_chain(degree, &gens, limits, round, 1, Fallback::Verify).unwrap();
            assert_eq!(ran.order(), det.order(), "{gens:?}");
            for _ in 0..10 {
                let g = word(&gens, 12, &mut rng);
                assert!(ran.contains(&g), "{gens:?}");
            }
        }
    }

    #[test]
    fn jordan_recognition() {
        let mut c = Chain::trivial(1009, unlimited()).unwrap();
        let primitive = |case: &Case, c: &mut Chain| {
            let o = orbits(case.degree, &case.gens);
            assert_eq!(o.len(), 1, "{}", case.name);
            is_primitive(&o[0], &case.gens, case.degree, c).unwrap()
        };
        for case in [symmetric(30), alternating(31), m24(), m23(), agl(1009, 11)] {
            assert!(primitive(&case, &mut c), "{}", case.name);
        }
        for case in [iterated_wreath(2, 5), iterated_wreath(3, 3), cube()] {
            assert!(!primitive(&case, &mut c), "{}", case.name);
        }
        // Prime cycles: S_30's random elements have them; M24's and
        // AGL(1, 1009)'s never do (they would be A_n by Jordan).
        for (case, found) in [
            (symmetric(30), true),
            (m24(), false),
            (agl(1009, 11), false),
        ] {
            let mut pr = Replacement::new(&case.gens, 1);
            let mut w = PrimeCycle::new(case.degree, case.degree);
            for _ in 0..500 {
                pr.step();
                w.look(&pr.acc);
            }
            assert_eq!(w.found.is_some(), found, "{}", case.name);
        }
        let mut w = PrimeCycle::new(10, 10);
        // (1,2,3,4,5)(6,7,8,9,10): 5 twice, no p-cycle as a power.
        w.look(&cycles(10, &[&[1, 2, 3, 4, 5], &[6, 7, 8, 9, 10]]));
        assert_eq!(w.found, None);
        // (1,2,3)(4,5,6,7): its 4th power is a 3-cycle, 3 ≤ 10 − 3.
        w.look(&cycles(10, &[&[1, 2, 3], &[4, 5, 6, 7]]));
        assert_eq!(w.found, Some(3));
        let mut w = PrimeCycle::new(10, 10);
        // A 7-cycle needs 7 ≤ n − 3: yes for n = 10, no for n = 9.
        w.look(&cycles(10, &[&[1, 2, 3, 4, 5, 6, 7]]));
        assert_eq!(w.found, Some(7));
        let mut w = PrimeCycle::new(9, 9);
        w.look(&cycles(9, &[&[1, 2, 3, 4, 5, 6, 7]]));
        assert_eq!(w.found, None);
    }

    #[test]
    fn add_generator_after_each_verification() {
        // A_21 by its order, then a transposition: S_21.
        let a = alternating(21);
        let (mut c, path) = random_chain(
            a.degree,
            &a.gens,
            unlimited(),
            5,
            TRIVIAL_RUN,
            Fallback::Rebuild,
        )
        .unwrap();
        assert_eq!(path, Path::Bound);
        assert!(!c.add_generator(&a.gens[0]).unwrap());
        assert!(c.add_generator(&cycles(21, &[&[1, 2]])).unwrap());
        assert_eq!(c.order(), factorial(21));
        // M24 by either fallback, then an odd permutation: S_24.
        let m = m24();
        for (fallback, want) in [
            (Fallback::Rebuild, Path::Deterministic),
            (Fallback::Verify, Path::Verified),
        ] {
            let (mut c, path) =
                random_chain(m.degree, &m.gens, unlimited(), 5, TRIVIAL_RUN, fallback).unwrap();
            assert_eq!(path, want);
            assert!(!c.add_generator(&m.gens[2]).unwrap());
            assert!(c.add_generator(&cycles(24, &[&[1, 2]])).unwrap());
            assert_eq!(c.order(), factorial(24));
        }
    }

    #[test]
    fn the_seed_fixes_the_chain() {
        for case in [symmetric(30), alternating(25), m24(), iterated_wreath(3, 3)] {
            let run = |seed| {
                Chain::random_generated(case.degree, &case.gens, ChainLimits::default(), seed)
                    .unwrap()
            };
            assert_eq!(shape(&run(9)), shape(&run(9)), "{}", case.name);
            let others: Vec<Chain> = (0..4).map(run).collect();
            assert!(others.iter().all(|c| c.order() == case.order));
            if case.name.starts_with("S_") || case.name.starts_with("A_") {
                // Different seeds, different chains (not required, but a
                // sign that the seed reaches the random elements).
                assert_ne!(shape(&others[0]).1, shape(&others[1]).1, "{}", case.name);
            } else {
                // Past the bound the chain is the deterministic one.
                let det = Chain::generated(case.degree, &case.gens, ChainLimits::default());
                assert_eq!(shape(&others[0]), shape(&det.unwrap()), "{}", case.name);
            }
        }
    }

    #[test]
    fn trivial_and_degenerate_inputs() {
        let c = Chain::random_generated(0, &[], ChainLimits::default(), 1).unwrap();
        assert!(c.is_trivial());
        let id: Perm = (0..5).collect();
        let c = Chain::random_generated(5, &[id.clone(), id], ChainLimits::default(), 1).unwrap();
        assert!(c.is_trivial() && c.generators().is_empty());
        // Repeated generators are kept once.
        let t = cycles(5, &[&[1, 2]]);
        let c = Chain::random_generated(5, &[t.clone(), t], ChainLimits::default(), 1).unwrap();
        assert_eq!(c.order(), BigUint::from(2u32));
        assert_eq!(c.generators().len(), 1);
    }

    #[test]
    fn limits_are_errors() {
        let s = symmetric(50);
        let run = |limits| Chain::random_generated(s.degree, &s.gens, limits, 1);
        // S_50's representatives take far more than 64 KiB.
        assert!(matches!(
            run(ChainLimits {
                max_memory: 64 << 10,
                ..ChainLimits::default()
            }),
            Err(ChainError::Memory { .. })
        ));
        assert!(matches!(
            run(ChainLimits {
                max_work: 10_000,
                ..ChainLimits::default()
            }),
            Err(ChainError::Work { limit: 10_000 })
        ));
        assert!(matches!(
            run(ChainLimits {
                max_strong_generators: 3,
                ..ChainLimits::default()
            }),
            Err(ChainError::StrongGenerators { limit: 3 })
        ));
        assert!(matches!(
            run(ChainLimits {
                max_generators: 1,
                ..ChainLimits::default()
            }),
            Err(ChainError::Generators { count: 2, limit: 1 })
        ));
        assert!(matches!(
            run(ChainLimits {
                max_degree: 49,
                ..ChainLimits::default()
            }),
            Err(ChainError::Degree { degree: 50, .. })
        ));
        // The work is counted on every path, the rebuild's included: the
        // work a run took is enough, one operation less is an error (with
        // the limit given, not the rebuild's remainder).
        for case in [m24(), symmetric(40), iterated_wreath(2, 4)] {
            let with = |max_work| {
                let limits = ChainLimits {
                    max_work,
                    ..ChainLimits::default()
                };
                Chain::random_generated(case.degree, &case.gens, limits, 1)
            };
            let work = with(u64::MAX).unwrap().work;
            assert_eq!(with(work).unwrap().order(), case.order);
            assert_eq!(
                with(work - 1).unwrap_err(),
                ChainError::Work { limit: work - 1 },
                "{}",
                case.name
            );
        }
        // Not permutations of the degree.
        for bad in [vec![0, 0, 1], vec![0, 1, 3], vec![0, 1]] {
            assert!(matches!(
                Chain::random_generated(3, &[bad], ChainLimits::default(), 1),
                Err(ChainError::Invalid(_))
            ));
        }
    }

    /// Deterministic against random construction on the groups of the
    /// plan. Not a test: run it in a release build,
    /// `cargo test --release -p gssm-runtime chain::random::tests::measure
    /// -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn measure() {
        println!(
            "| group | degree | order | deterministic s | random s | random path | random + Schreier verification s | work det / rand / rand+verify (point ops) | strong gens det / rand+verify |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        for case in cases().into_iter().chain(beyond_the_bound()) {
            let t = Instant::now();
            let det = Chain::generated(case.degree, &case.gens, unlimited()).unwrap();
            let det_s = t.elapsed().as_secs_f64();
            let run = |fallback| {
                let t = Instant::now();
                let (c, path) = random_chain(
                    case.degree,
                    &case.gens,
                    unlimited(),
                    DEFAULT_SEED,
                    TRIVIAL_RUN,
                    fallback,
                )
                .unwrap();
                (c, path, t.elapsed().as_secs_f64())
            };
            let (ran, path, ran_s) = run(Fallback::Rebuild);
            let (ver, _, ver_s) = run(Fallback::Verify);
            assert_eq!(det.order(), ran.order());
            assert_eq!(ver.order(), case.order);
            assert_eq!(ran.order(), case.order);
            let digits = case.order.to_string().len();
            println!(
                "| {} | {} | {} digits | {det_s:.3} | {ran_s:.4} | {path:?} | {ver_s:.4} | {:.2e} / {:.2e} / {:.2e} | {} / {} |",
                case.name,
                case.degree,
                digits,
                det.work as f64,
                ran.work as f64,
                ver.work as f64,
                det.strong_generators().len(),
                ver.strong_generators().len()
            );
        }
    }
}
