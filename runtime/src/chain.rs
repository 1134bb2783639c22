//! Permutation groups by base and strong generating set: a stabiliser chain
//! built by the deterministic Schreier–Sims algorithm, so that a group's
//! order, membership and subgroups come without listing its elements.
//!
//! Level i of the chain holds the stabiliser G(i) of the base points
//! b_0..b_{i-1}, the strong generators that lie in it, and the orbit of b_i
//! under them with a coset representative (and its inverse) per orbit
//! point. |G| is the product of the orbit lengths; g ∈ G when sifting g
//! through the levels ends at the identity.
//!
//! Every allocation is checked first against [`ChainLimits`]: the chain's
//! size is polynomial in the degree, but a degree of thousands can still
//! ask for more than the machine has.

use num_bigint::BigUint;
use thiserror::Error;

mod random;

pub use random::{Growing, DEFAULT_SEED};

/// A permutation of 0..degree as its image list (`p[i]` = image of i).
pub type Perm = Vec<u32>;

/// Marks a point outside a level's orbit.
const NONE: u32 = u32::MAX;

/// Limits on one stabiliser chain, each an error when passed.
#[derive(Clone, Copy, Debug)]
pub struct ChainLimits {
    /// Most points the permutations may move.
    pub max_degree: usize,
    /// Most generators a group may be given by.
    pub max_generators: usize,
    /// Most strong generators the chain may collect (each adds at least a
    /// factor 2 to some stabiliser, so log2|G| ≤ degree·log2(degree) of them
    /// can be needed).
    pub max_strong_generators: usize,
    /// Most bytes the chain's permutations, orbits and representatives
    /// may take.
    pub max_memory: usize,
    /// Most point operations (one image looked up and stored) Schreier–Sims
    /// may spend: its time grows with about the fifth power of the degree
    /// for the largest groups, so time has a limit as memory does.
    pub max_work: u64,
}

impl Default for ChainLimits {
    fn default() -> Self {
        ChainLimits {
            max_degree: 4096,
            max_generators: 4096,
            max_strong_generators: 1 << 16,
            max_memory: 2 << 30,
            max_work: DEFAULT_MAX_WORK,
        }
    }
}

/// About ten seconds of Schreier–Sims on one core (it runs at 1–2·10^9
/// point operations per second).
pub const DEFAULT_MAX_WORK: u64 = 20_000_000_000;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum ChainError {
    #[error("permutations of degree {degree} are more than the {limit} points a stabiliser chain accepts")]
    Degree { degree: usize, limit: usize },
    #[error("{count} generators are more than the {limit} a permutation group may have")]
    Generators { count: usize, limit: usize },
    #[error("the stabiliser chain needs more than {limit} strong generators")]
    StrongGenerators { limit: usize },
    #[error("building the stabiliser chain takes more than {limit} point operations (about {:.1} s; raise the limit with --max-chain-work)", *limit as f64 / 2e9)]
    Work { limit: u64 },
    #[error("the stabiliser chain would take {}, more than the memory limit of {} (raise it with --max-memory)", format_bytes(*bytes), format_bytes(*limit as u128))]
    Memory { bytes: u128, limit: usize },
    #[error("{0}")]
    Invalid(String),
}

/// One level of the chain: the orbit of `point` under the strong
/// generators fixing the earlier base points.
#[derive(Clone, Debug)]
struct Level {
    point: u32,
    /// Indices into [`Chain::strong`].
    gens: Vec<usize>,
    orbit: Vec<u32>,
    /// Per point of 0..degree: its index in `orbit`, or [`NONE`].
    pos: Vec<u32>,
    /// `reps[k]` maps `point` to `orbit[k]`; `inv_reps[k]` is its inverse.
    reps: Vec<Perm>,
    inv_reps: Vec<Perm>,
    /// Per orbit point: how many of `gens` its Schreier generators have
    /// been sifted for (generators only ever append, so this is a cursor).
    done: Vec<usize>,
}

/// A permutation group as a stabiliser chain.
#[derive(Clone, Debug)]
pub struct Chain {
    degree: usize,
    limits: ChainLimits,
    /// The generators that enlarged the group when added, in order: a
    /// generating set of the group.
    generators: Vec<Perm>,
    strong: Vec<Perm>,
    levels: Vec<Level>,
    /// Bytes held by the chain, as checked against the memory limit.
    bytes: u128,
    /// Point operations spent, as checked against the work limit.
    work: u64,
}

/// p·q: apply p first, then q, into `out`.
fn compose_into(p: &[u32], q: &[u32], out: &mut Perm) {
    out.clear();
    out.extend(p.iter().map(|&i| q[i as usize]));
}

/// p·q: apply p first, then q.
pub fn mul(p: &[u32], q: &[u32]) -> Perm {
    p.iter().map(|&i| q[i as usize]).collect()
}

/// The inverse permutation.
pub fn inverse(p: &[u32]) -> Perm {
    let mut inv = vec![0u32; p.len()];
    for (i, &x) in p.iter().enumerate() {
        inv[x as usize] = i as u32;
    }
    inv
}

/// Commutator [p, q] = p^-1 q^-1 p q (GAP's convention).
pub fn comm(p: &[u32], q: &[u32]) -> Perm {
    mul(&mul(&inverse(p), &inverse(q)), &mul(p, q))
}

/// q^-1 p q: p conjugated by q.
pub fn conj(p: &[u32], q: &[u32]) -> Perm {
    mul(&mul(&inverse(q), p), q)
}

/// p^e for e ≥ 0, cycle by cycle (each cycle of length L turns e mod L).
pub fn power(p: &[u32], e: u64) -> Perm {
    let n = p.len();
    let mut out = vec![0u32; n];
    let mut seen = vec![false; n];
    let mut cycle = Vec::new();
    for start in 0..n {
        if seen[start] {
            continue;
        }
        cycle.clear();
        let mut x = start;
        while !seen[x] {
            seen[x] = true;
            cycle.push(x as u32);
            x = p[x] as usize;
        }
        let len = cycle.len();
        let shift = (e % len as u64) as usize;
        for (k, &c) in cycle.iter().enumerate() {
            out[c as usize] = cycle[(k + shift) % len];
        }
    }
    out
}

pub fn is_identity(p: &[u32]) -> bool {
    p.iter().enumerate().all(|(i, &x)| i as u32 == x)
}

impl Chain {
    /// The trivial group on `degree` points.
    pub fn trivial(degree: usize, limits: ChainLimits) -> Result<Chain, ChainError> {
        if degree > limits.max_degree {
            return Err(ChainError::Degree {
                degree,
                limit: limits.max_degree,
            });
        }
        Ok(Chain {
            degree,
            limits,
            generators: Vec::new(),
            strong: Vec::new(),
            levels: Vec::new(),
            bytes: 0,
            work: 0,
        })
    }

    /// The group generated by `gens` (image lists, all of one degree).
    pub fn generated(
        degree: usize,
        gens: &[Perm],
        limits: ChainLimits,
    ) -> Result<Chain, ChainError> {
        if gens.len() > limits.max_generators {
            return Err(ChainError::Generators {
                count: gens.len(),
                limit: limits.max_generators,
            });
        }
        let mut c = Chain::trivial(degree, limits)?;
        for g in gens {
            c.add_generator(g)?;
        }
        Ok(c)
    }

    pub fn degree(&self) -> usize {
        self.degree
    }

    pub fn limits(&self) -> ChainLimits {
        self.limits
    }

    /// A generating set: the generators that enlarged the group.
    pub fn generators(&self) -> &[Perm] {
        &self.generators
    }

    /// The base points, in order.
    pub fn base(&self) -> Vec<u32> {
        self.levels.iter().map(|l| l.point).collect()
    }

    /// The basic orbit lengths, whose product is the order.
    pub fn orbit_lengths(&self) -> Vec<usize> {
        self.levels.iter().map(|l| l.orbit.len()).collect()
    }

    /// Level i's coset representatives in orbit order; the first is the
    /// identity.
    pub fn transversal(&self, i: usize) -> &[Perm] {
        &self.levels[i].reps
    }

    pub fn strong_generators(&self) -> &[Perm] {
        &self.strong
    }

    /// |G|, exactly.
    pub fn order(&self) -> BigUint {
        self.levels
            .iter()
            .fold(BigUint::from(1u32), |acc, l| acc * l.orbit.len())
    }

    pub fn is_trivial(&self) -> bool {
        self.levels.is_empty()
    }

    /// Whether g lies in the group.
    pub fn contains(&self, g: &[u32]) -> bool {
        if g.len() != self.degree {
            return false;
        }
        let (h, _) = self.sift(g, 0);
        is_identity(&h)
    }

    /// Whether every generator of `other` lies in this group.
    pub fn contains_group(&self, other: &Chain) -> bool {
        other.generators.iter().all(|g| self.contains(g))
    }

    /// The normal-form number of g: digit i is its representative's index
    /// at level i (level 0 least significant), as `ir::PermTruth::rank`
    /// numbers a file's outputs from these transversals; `None` outside
    /// the group.
    pub fn rank(&self, g: &[u32]) -> Option<u64> {
        if g.len() != self.degree {
            return None;
        }
        let mut h = g.to_vec();
        let mut scratch = Vec::with_capacity(self.degree);
        let (mut id, mut radix) = (0u64, 1u64);
        for level in &self.levels {
            let k = level.pos[h[level.point as usize] as usize];
            if k == NONE {
                return None;
            }
            compose_into(&h, &level.inv_reps[k as usize], &mut scratch);
            std::mem::swap(&mut h, &mut scratch);
            id += k as u64 * radix;
            radix *= level.orbit.len() as u64;
        }
        is_identity(&h).then_some(id)
    }

    /// The normal-form number of the member of the group whose images of
    /// the base points are `images` (see [`Chain::base`]): a member is
    /// determined by them, so sifting them alone costs O(levels²) instead
    /// of O(levels·degree). Only for elements known to be in the group;
    /// `None` where the images leave an orbit.
    pub fn rank_by_base_images(&self, images: &[u32]) -> Option<u64> {
        let mut h = images.to_vec();
        let (mut id, mut radix) = (0u64, 1u64);
        for (l, level) in self.levels.iter().enumerate() {
            let k = *level.pos.get(*h.get(l)? as usize)?;
            if k == NONE {
                return None;
            }
            let inv = &level.inv_reps[k as usize];
            for x in &mut h[l + 1..] {
                *x = inv[*x as usize];
            }
            id += k as u64 * radix;
            radix *= level.orbit.len() as u64;
        }
        Some(id)
    }

    /// The element numbered `id` (below the order): u_{k-1}·…·u_0 with u_i
    /// level i's representative for digit i.
    pub fn unrank(&self, mut id: u64) -> Perm {
        let digits: Vec<usize> = self
            .levels
            .iter()
            .map(|l| {
                let d = (id % l.orbit.len() as u64) as usize;
                id /= l.orbit.len() as u64;
                d
            })
            .collect();
        let mut g: Perm = (0..self.degree as u32).collect();
        for (level, &d) in self.levels.iter().zip(&digits).rev() {
            for y in g.iter_mut() {
                *y = level.reps[d][*y as usize];
            }
        }
        g
    }

    /// Sift g through the levels from `from` on: the residue and the level
    /// where it left an orbit (the number of levels when it passed all).
    fn sift(&self, g: &[u32], from: usize) -> (Perm, usize) {
        let mut h = g.to_vec();
        let mut scratch = Vec::with_capacity(self.degree);
        for (l, level) in self.levels.iter().enumerate().skip(from) {
            let k = level.pos[h[level.point as usize] as usize];
            if k == NONE {
                return (h, l);
            }
            compose_into(&h, &level.inv_reps[k as usize], &mut scratch);
            std::mem::swap(&mut h, &mut scratch);
        }
        (h, self.levels.len())
    }

    /// Add g to the group's generators; `Ok(false)` when g was already in
    /// it. The chain is complete again when this returns.
    pub fn add_generator(&mut self, g: &[u32]) -> Result<bool, ChainError> {
        if g.len() != self.degree {
            return Err(ChainError::Invalid(format!(
                "a permutation of {} points added to a group on {}",
                g.len(),
                self.degree
            )));
        }
        let (h, j) = self.sift(g, 0);
        if is_identity(&h) {
            return Ok(false);
        }
        if self.generators.len() >= self.limits.max_generators {
            return Err(ChainError::Generators {
                count: self.generators.len() + 1,
                limit: self.limits.max_generators,
            });
        }
        self.charge(4 * self.degree as u128)?;
        self.generators.push(g.to_vec());
        // The residue generates the same group with the old one, and it
        // fixes the base points before level j.
        let top = self.add_strong(h, 0, j)?;
        self.complete(top)?;
        Ok(true)
    }

    /// Count `ops` more point operations against the work limit.
    fn spend(&mut self, ops: u64) -> Result<(), ChainError> {
        self.work = self.work.saturating_add(ops);
        if self.work > self.limits.max_work {
            return Err(ChainError::Work {
                limit: self.limits.max_work,
            });
        }
        Ok(())
    }

    /// Count `bytes` more against the memory limit, failing before the
    /// allocation they stand for.
    fn charge(&mut self, bytes: u128) -> Result<(), ChainError> {
        let total = self.bytes + bytes;
        if total > self.limits.max_memory as u128 {
            return Err(ChainError::Memory {
                bytes: total,
                limit: self.limits.max_memory,
            });
        }
        self.bytes = total;
        Ok(())
    }

    /// Give back `bytes` charged for scratch space that is now freed.
    fn release(&mut self, bytes: u128) {
        self.bytes = self.bytes.saturating_sub(bytes);
    }

    /// Make `h` (fixing the base points before level `to`) a strong
    /// generator of levels `from..=to`, opening a new level when it fixes
    /// every base point. Returns `to`.
    fn add_strong(&mut self, h: Perm, from: usize, to: usize) -> Result<usize, ChainError> {
        if self.strong.len() >= self.limits.max_strong_generators {
            return Err(ChainError::StrongGenerators {
                limit: self.limits.max_strong_generators,
            });
        }
        let n = self.degree as u128;
        if to == self.levels.len() {
            let point = h
                .iter()
                .enumerate()
                .position(|(i, &x)| i as u32 != x)
                .expect("a residue that is not the identity moves a point")
                as u32;
            // The level's point index and its first representative.
            self.charge(4 * n + 8 * n + 16)?;
            let mut pos = vec![NONE; self.degree];
            pos[point as usize] = 0;
            let id: Perm = (0..self.degree as u32).collect();
            self.levels.push(Level {
                point,
                gens: Vec::new(),
                orbit: vec![point],
                pos,
                reps: vec![id.clone()],
                inv_reps: vec![id],
                done: vec![0],
            });
        }
        self.charge(4 * n + 8 * (to - from + 1) as u128)?;
        let s = self.strong.len();
        self.strong.push(h);
        for l in from..=to {
            self.levels[l].gens.push(s);
            self.extend_orbit(l)?;
        }
        Ok(to)
    }

    /// Close level l's orbit under its generators, with representatives,
    /// after one generator was appended to them. The orbit was closed under
    /// the others, so its old points need only the new generator and the
    /// points it gains need all: the same points in the same order as a
    /// scan of every point by every generator, without the quadratic cost
    /// of rescanning (which the random constructor, adding generators one
    /// by one to many levels, would pay on every level).
    fn extend_orbit(&mut self, l: usize) -> Result<(), ChainError> {
        let n = self.degree as u128;
        let old = self.levels[l].orbit.len();
        let newest = self.levels[l].gens.len().saturating_sub(1);
        let mut idx = 0;
        while idx < self.levels[l].orbit.len() {
            let x = self.levels[l].orbit[idx] as usize;
            let first = if idx < old { newest } else { 0 };
            for gi in first..self.levels[l].gens.len() {
                let s = self.levels[l].gens[gi];
                let y = self.strong[s][x];
                if self.levels[l].pos[y as usize] != NONE {
                    continue;
                }
                self.charge(8 * n + 16)?;
                let rep = mul(&self.levels[l].reps[idx], &self.strong[s]);
                let inv = inverse(&rep);
                let level = &mut self.levels[l];
                level.pos[y as usize] = level.orbit.len() as u32;
                level.orbit.push(y);
                level.reps.push(rep);
                level.inv_reps.push(inv);
                level.done.push(0);
            }
            idx += 1;
        }
        Ok(())
    }

    /// Schreier–Sims from level `start` up: at each level, sift the Schreier
    /// generator u_x·s·u_{x^s}^-1 of every orbit point x and generator s not
    /// yet sifted through the levels below; a residue becomes a strong
    /// generator of the levels it passed, and the work moves down to the
    /// deepest of them. Done when level 0 has nothing left to sift.
    fn complete(&mut self, start: usize) -> Result<(), ChainError> {
        let mut i = start;
        loop {
            match self.process_level(i)? {
                Some(j) => i = j,
                None if i == 0 => return Ok(()),
                None => i -= 1,
            }
        }
    }

    /// Sift the pending Schreier generators of level i: `Some(j)` when one
    /// left a residue, now a strong generator down to level j.
    fn process_level(&mut self, i: usize) -> Result<Option<usize>, ChainError> {
        let mut schreier = Vec::with_capacity(self.degree);
        let mut x_idx = 0;
        while x_idx < self.levels[i].orbit.len() {
            while self.levels[i].done[x_idx] < self.levels[i].gens.len() {
                let level = &self.levels[i];
                let s = level.gens[level.done[x_idx]];
                let x = level.orbit[x_idx];
                let y = self.strong[s][x as usize];
                let k = level.pos[y as usize] as usize;
                compose_into(&level.reps[x_idx], &self.strong[s], &mut schreier);
                let schreier_gen = mul(&schreier, &level.inv_reps[k]);
                self.levels[i].done[x_idx] += 1;
                let (h, j) = self.sift(&schreier_gen, i + 1);
                // Two products, then one per level the sift passed.
                self.spend((2 + j - i) as u64 * self.degree as u64)?;
                if !is_identity(&h) {
                    return self.add_strong(h, i + 1, j).map(Some);
                }
            }
            x_idx += 1;
        }
        Ok(None)
    }
}

/// "2147483648 bytes (2.0 GiB)".
pub fn format_bytes(bytes: u128) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = "";
    for u in UNITS {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    if unit.is_empty() {
        format!("{bytes} bytes")
    } else {
        format!("{bytes} bytes ({v:.1} {unit})")
    }
}
