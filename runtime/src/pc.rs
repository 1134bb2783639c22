//! Polycyclic presentations and their collector, with GAP's conventions:
//! generators g_1, …, g_n in order; each has a relative order p_i ≥ 2 and
//! a power relation g_i^{p_i} = w_ii; each pair i < j has a conjugate
//! relation g_j^{g_i} = g_i^-1·g_j·g_i = w_ij; every w lies in
//! ⟨g_{i+1}, …, g_n⟩. Every element is a normal word g_1^{e_1}⋯g_n^{e_n}
//! with 0 ≤ e_i < p_i: its exponent vector. Products come from collection,
//! without listing the group. The compiler builds presentations from its
//! language here, and the loader checks a weight file's (format version
//! 7) with the same collector.
//!
//! The collector works from the last generator up: multiplying a normal
//! word g_1^{e_1}⋯g_i^{e_i}·u (u in G_{i+1} = ⟨g_{i+1}, …⟩) by g_i gives
//! g_1^{e_1}⋯g_i^{e_i+1}·u^{g_i}, and the conjugate of u by g_i is a
//! product in G_{i+1} of the conjugates w_ij, so each step recurses into a
//! smaller subgroup. A presentation defines a group of order ∏ p_i exactly
//! when it is consistent, which the overlaps of Wamsley's test decide
//! (Sims, *Computation with finitely presented groups*, §9.8).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use thiserror::Error;

/// An element as its exponent vector.
pub type Exps = Vec<u32>;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum CollectError {
    #[error("the presentation is inconsistent: {0}, so it defines a group smaller than the product of the relative orders")]
    Inconsistent(String),
    #[error("collection took more than {limit} steps")]
    Work { limit: u64 },
}

fn gen_power(n: usize, j: usize, e: u32) -> Exps {
    let mut x = vec![0; n];
    x[j] = e;
    x
}

/// A consistent pc presentation with its collector.
#[derive(Debug)]
pub struct Pc {
    names: Vec<String>,
    orders: Vec<u32>,
    /// g_i^{p_i}, zero at 0..=i.
    powers: Vec<Exps>,
    /// `conj[i * n + j]` (j > i): g_j^{g_i}, zero at 0..=i.
    conj: Vec<Exps>,
    /// `moves[i * n + j]`: whether g_i and g_j fail to commute.
    moves: Vec<bool>,
    /// g_i^-1, zero before i.
    inverses: Vec<Exps>,
    /// `autos[i][m][j]` (j > i): g_j conjugated by g_i^{2^m}, for the bits
    /// of p_i - 1 (empty when g_i commutes with every later generator), so
    /// a tail is conjugated by g_i^e in log e steps.
    autos: Vec<Vec<Vec<Exps>>>,
    /// Collection steps left before [`CollectError::Work`].
    budget: AtomicU64,
    limit: AtomicU64,
}

impl Clone for Pc {
    fn clone(&self) -> Pc {
        Pc {
            names: self.names.clone(),
            orders: self.orders.clone(),
            powers: self.powers.clone(),
            conj: self.conj.clone(),
            moves: self.moves.clone(),
            inverses: self.inverses.clone(),
            autos: self.autos.clone(),
            budget: AtomicU64::new(self.budget.load(Relaxed)),
            limit: AtomicU64::new(self.limit.load(Relaxed)),
        }
    }
}

impl PartialEq for Pc {
    /// The same presentation (the work budgets aside).
    fn eq(&self, other: &Pc) -> bool {
        self.names == other.names
            && self.orders == other.orders
            && self.powers == other.powers
            && self.conj == other.conj
    }
}

impl Pc {
    /// Generators `names` with relative orders `orders` (each ≥ 2) and
    /// every relation trivial: g_i^{p_i} = 1, all pairs commuting. Levels
    /// get their relations from the last up with [`Pc::set_level`], then
    /// [`Pc::check_consistent`] decides whether they define a group of
    /// order ∏ p_i. Collection may take `max_work` steps.
    pub fn with_orders(names: Vec<String>, orders: Vec<u32>, max_work: u64) -> Pc {
        let n = orders.len();
        assert_eq!(names.len(), n, "one name per generator");
        assert!(
            orders.iter().all(|&p| p >= 2),
            "relative orders are at least 2"
        );
        let conj = (0..n * n)
            .map(|k| {
                if k % n > k / n {
                    gen_power(n, k % n, 1)
                } else {
                    vec![0; n]
                }
            })
            .collect();
        let mut pc = Pc {
            names,
            orders,
            powers: vec![vec![0; n]; n],
            conj,
            moves: vec![false; n * n],
            inverses: vec![vec![0; n]; n],
            autos: vec![Vec::new(); n],
            budget: AtomicU64::new(max_work),
            limit: AtomicU64::new(max_work),
        };
        for i in 0..n {
            pc.inverses[i] = gen_power(n, i, pc.orders[i] - 1);
        }
        pc
    }

    /// Level i's relations: g_i^{p_i} = `power` and g_j^{g_i} = `conj[j]`
    /// for j > i (entries at j ≤ i are ignored), each an exponent vector
    /// zero at 0..=i with every exponent below its relative order (the
    /// caller checks; this asserts). Levels above i must be set already:
    /// g_i^-1 is collected in them.
    pub fn set_level(&mut self, i: usize, power: Exps, conj: &[Exps]) -> Result<(), CollectError> {
        let n = self.len();
        let normal = |x: &Exps| {
            x.len() == n
                && x[..=i].iter().all(|&e| e == 0)
                && x.iter().zip(&self.orders).all(|(&e, &p)| e < p)
        };
        assert!(
            normal(&power),
            "a power relation in normal form below its level"
        );
        assert_eq!(conj.len(), n, "one conjugate per generator");
        for (j, c) in conj.iter().enumerate().skip(i + 1) {
            assert!(
                normal(c),
                "a conjugate relation in normal form below its level"
            );
            let unit = gen_power(n, j, 1);
            self.moves[i * n + j] = *c != unit;
            self.conj[i * n + j] = c.clone();
        }
        self.powers[i] = power;
        // g_i^-1 = g_i^{p_i - 1}·(g_i^{p_i})^-1.
        let mut inv = gen_power(n, i, self.orders[i] - 1);
        let w = self.powers[i].clone();
        let w_inv = self.inverse(&w)?;
        self.mul_into(&mut inv, &w_inv)?;
        self.inverses[i] = inv;
        // Conjugation by g_i^{2^m}, each the square of the one before.
        let mut autos = Vec::new();
        if (i + 1..n).any(|j| self.moves[i * n + j]) {
            let bits = 32 - (self.orders[i] - 1).leading_zeros() as usize;
            let mut cur: Vec<Exps> = (0..n)
                .map(|j| {
                    if j > i {
                        self.conj[i * n + j].clone()
                    } else {
                        vec![0; n]
                    }
                })
                .collect();
            for m in 0..bits {
                if m + 1 < bits {
                    let next = (0..n)
                        .map(|j| {
                            if j > i {
                                self.image(&cur, &cur[j])
                            } else {
                                Ok(vec![0; n])
                            }
                        })
                        .collect::<Result<_, _>>()?;
                    autos.push(std::mem::replace(&mut cur, next));
                } else {
                    autos.push(std::mem::take(&mut cur));
                }
            }
        }
        self.autos[i] = autos;
        Ok(())
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn relative_orders(&self) -> &[u32] {
        &self.orders
    }

    /// g_i^{p_i} as an exponent vector (zero at 0..=i); `None` past the
    /// last generator.
    pub fn power_relation(&self, i: usize) -> Option<&Exps> {
        self.powers.get(i)
    }

    /// g_j^{g_i} as an exponent vector (zero at 0..=i) for i < j; `None`
    /// otherwise. It is g_j itself when the two commute.
    pub fn conjugate_relation(&self, i: usize, j: usize) -> Option<&Exps> {
        (i < j && j < self.len()).then(|| &self.conj[i * self.len() + j])
    }

    /// |G| = ∏ p_i.
    pub fn order(&self) -> u128 {
        self.orders.iter().map(|&p| p as u128).product()
    }

    /// The number of an element: its exponents as mixed-radix digits, the
    /// first generator's least significant.
    pub fn rank(&self, x: &Exps) -> u64 {
        x.iter()
            .zip(&self.orders)
            .rev()
            .fold(0u64, |acc, (&e, &p)| acc * p as u64 + e as u64)
    }

    /// The element numbered `id` (below the order).
    pub fn unrank(&self, mut id: u64) -> Exps {
        self.orders
            .iter()
            .map(|&p| {
                let e = (id % p as u64) as u32;
                id /= p as u64;
                e
            })
            .collect()
    }

    pub fn identity(&self) -> Exps {
        vec![0; self.len()]
    }

    /// Give collection a fresh budget of `max_work` steps (each
    /// multiplication by one generator is a step).
    pub fn set_work_limit(&self, max_work: u64) {
        self.budget.store(max_work, Relaxed);
        self.limit.store(max_work, Relaxed);
    }

    fn step(&self) -> Result<(), CollectError> {
        let left = self.budget.load(Relaxed);
        if left == 0 {
            return Err(CollectError::Work {
                limit: self.limit.load(Relaxed),
            });
        }
        self.budget.store(left - 1, Relaxed);
        Ok(())
    }

    /// r ← r·g_i.
    pub fn mul_gen(&self, r: &mut Exps, i: usize) -> Result<(), CollectError> {
        self.step()?;
        let n = self.len();
        let mut tail = vec![0; n];
        tail[i + 1..].copy_from_slice(&r[i + 1..]);
        // A tail of generators that commute with g_i stays as it is.
        if (i + 1..n).any(|j| r[j] != 0 && self.moves[i * n + j]) {
            tail = self.conj_by(&tail, i)?;
        }
        r[i] += 1;
        if r[i] == self.orders[i] {
            r[i] = 0;
            let mut t = self.powers[i].clone();
            self.mul_into(&mut t, &tail)?;
            tail = t;
        }
        r[i + 1..].copy_from_slice(&tail[i + 1..]);
        Ok(())
    }

    /// u^{g_i} for u in G_{i+1}: the product of the w_ij^{u_j}, each
    /// power by squaring (large relative orders would make a loop over
    /// the exponent the bulk of the work).
    fn conj_by(&self, u: &Exps, i: usize) -> Result<Exps, CollectError> {
        let n = self.len();
        let mut out = vec![0; n];
        for (j, &e) in u.iter().enumerate().skip(i + 1) {
            match e {
                0 => {}
                1 => self.mul_into(&mut out, &self.conj[i * n + j])?,
                _ => {
                    let w = self.pow(&self.conj[i * n + j], e as u64)?;
                    self.mul_into(&mut out, &w)?;
                }
            }
        }
        Ok(out)
    }

    /// r ← r·x.
    pub fn mul_into(&self, r: &mut Exps, x: &Exps) -> Result<(), CollectError> {
        let n = self.len();
        for (j, &e) in x.iter().enumerate() {
            if e == 0 {
                continue;
            }
            let p = self.orders[j];
            if e < p && (j + 1..n).all(|k| r[k] == 0 || !self.moves[j * n + k]) {
                // What follows g_j in r commutes with it, so the exponents
                // add in one step, with at most one carry through g_j's
                // power relation.
                self.step()?;
                // Both below p < 2^32: the sum fits 64 bits.
                let s = r[j] as u64 + e as u64;
                if s < p as u64 {
                    r[j] = s as u32;
                } else {
                    r[j] = (s - p as u64) as u32;
                    let mut tail = vec![0; n];
                    tail[j + 1..].copy_from_slice(&r[j + 1..]);
                    let mut t = self.powers[j].clone();
                    self.mul_into(&mut t, &tail)?;
                    r[j + 1..].copy_from_slice(&t[j + 1..]);
                }
                continue;
            }
            if e as u64 >= 1u64 << self.autos[j].len() {
                for _ in 0..e {
                    self.mul_gen(r, j)?;
                }
                continue;
            }
            // r = h·g_j^a·t with t in G_{j+1}: r·g_j^e is
            // h·g_j^{(a+e) mod p}·(g_j^p)^{(a+e) div p}·t^{g_j^e}, the
            // conjugate taken by the squares of conjugation by g_j.
            self.step()?;
            let mut t = vec![0; n];
            t[j + 1..].copy_from_slice(&r[j + 1..]);
            for (m, images) in self.autos[j].iter().enumerate() {
                if (e >> m) & 1 == 1 {
                    t = self.image(images, &t)?;
                }
            }
            let s = r[j] as u64 + e as u64;
            r[j] = (s % p as u64) as u32;
            let carry = s / p as u64;
            if carry > 0 {
                let mut w = self.pow(&self.powers[j], carry)?;
                self.mul_into(&mut w, &t)?;
                t = w;
            }
            r[j + 1..].copy_from_slice(&t[j + 1..]);
        }
        Ok(())
    }

    pub fn mul(&self, x: &Exps, y: &Exps) -> Result<Exps, CollectError> {
        let mut r = x.clone();
        self.mul_into(&mut r, y)?;
        Ok(r)
    }

    /// x^-1 = (g_n^-1)^{e_n}⋯(g_1^-1)^{e_1}.
    pub fn inverse(&self, x: &Exps) -> Result<Exps, CollectError> {
        let mut out = self.identity();
        for j in (0..self.len()).rev() {
            match x[j] {
                0 => {}
                1 => self.mul_into(&mut out, &self.inverses[j])?,
                // By squaring: large relative orders would make a loop
                // over the exponent the bulk of the work.
                e => {
                    let p = self.pow(&self.inverses[j], e as u64)?;
                    self.mul_into(&mut out, &p)?;
                }
            }
        }
        Ok(out)
    }

    /// x^k by squaring.
    pub fn pow(&self, x: &Exps, mut k: u64) -> Result<Exps, CollectError> {
        // A power of one generator g_j with g_j^{p_j} = 1 is g_j^{a·k mod p_j}.
        let mut nonzero = x.iter().enumerate().filter(|&(_, &e)| e != 0);
        if let (Some((j, &a)), None) = (nonzero.next(), nonzero.next()) {
            if self.powers[j].iter().all(|&e| e == 0) {
                self.step()?;
                let p = self.orders[j] as u128;
                return Ok(gen_power(self.len(), j, (a as u128 * k as u128 % p) as u32));
            }
        }
        let mut base = x.clone();
        let mut out = self.identity();
        while k > 0 {
            if k & 1 == 1 {
                self.mul_into(&mut out, &base)?;
            }
            k >>= 1;
            if k > 0 {
                base = self.mul(&base, &base)?;
            }
        }
        Ok(out)
    }

    /// The normal form of a word.
    pub fn eval(&self, w: &[(usize, i64)]) -> Result<Exps, CollectError> {
        let mut out = self.identity();
        for &(j, e) in w {
            let g = if e < 0 {
                self.inverses[j].clone()
            } else {
                gen_power(self.len(), j, 1)
            };
            let p = self.pow(&g, e.unsigned_abs())?;
            self.mul_into(&mut out, &p)?;
        }
        Ok(out)
    }

    /// Wamsley's overlaps: each evaluated two ways must agree.
    pub fn check_consistent(&self) -> Result<(), CollectError> {
        let n = self.len();
        let unit = |j: usize| gen_power(n, j, 1);
        let name = |i: usize| &self.names[i];
        let prod = |x: &Exps, i: usize| -> Result<Exps, CollectError> {
            let mut r = x.clone();
            self.mul_gen(&mut r, i)?;
            Ok(r)
        };
        for k in 0..n {
            for j in 0..k {
                for i in 0..j {
                    // (g_k g_j) g_i = g_k (g_j g_i)
                    let left = prod(&prod(&unit(k), j)?, i)?;
                    let right = self.mul(&unit(k), &prod(&unit(j), i)?)?;
                    if left != right {
                        return Err(CollectError::Inconsistent(format!(
                            "({}*{})*{} and {}*({}*{}) collect differently",
                            name(k),
                            name(j),
                            name(i),
                            name(k),
                            name(j),
                            name(i)
                        )));
                    }
                }
            }
        }
        for j in 0..n {
            let pj = self.orders[j];
            for i in 0..j {
                // (g_j^{p_j}) g_i = g_j^{p_j - 1} (g_j g_i)
                let left = prod(&self.powers[j], i)?;
                let right = self.mul(&gen_power(n, j, pj - 1), &prod(&unit(j), i)?)?;
                if left != right {
                    return Err(CollectError::Inconsistent(format!(
                        "{a}^{pj}*{b} and {a}^{}*({a}*{b}) collect differently",
                        pj - 1,
                        a = name(j),
                        b = name(i)
                    )));
                }
                // g_j (g_i^{p_i}) = (g_j g_i) g_i^{p_i - 1}
                let pi = self.orders[i];
                let left = self.mul(&unit(j), &self.powers[i])?;
                let right = self.mul(&prod(&unit(j), i)?, &gen_power(n, i, pi - 1))?;
                if left != right {
                    return Err(CollectError::Inconsistent(format!(
                        "{a}*{b}^{pi} and ({a}*{b})*{b}^{} collect differently",
                        pi - 1,
                        a = name(j),
                        b = name(i)
                    )));
                }
            }
            // (g_j^{p_j}) g_j = g_j (g_j^{p_j})
            let left = prod(&self.powers[j], j)?;
            let right = self.mul(&unit(j), &self.powers[j])?;
            if left != right {
                return Err(CollectError::Inconsistent(format!(
                    "{a}^{pj}*{a} and {a}*{a}^{pj} collect differently",
                    a = name(j)
                )));
            }
        }
        Ok(())
    }
}

impl Pc {
    /// The image of `x` under the endomorphism sending generator j to
    /// `images[j]`: the product of the `images[j]^{x_j}` in order. Every
    /// product goes through the collector, within its budget.
    pub fn image(&self, images: &[Exps], x: &Exps) -> Result<Exps, CollectError> {
        let mut out = self.identity();
        for (j, &e) in x.iter().enumerate() {
            if e != 0 {
                let p = self.pow(&images[j], e as u64)?;
                self.mul_into(&mut out, &p)?;
            }
        }
        Ok(out)
    }

    /// The composite of two endomorphisms given by the images of the
    /// generators: first `first`, then `then` (x ↦ then(first(x))).
    pub fn compose(&self, first: &[Exps], then: &[Exps]) -> Result<Vec<Exps>, CollectError> {
        first.iter().map(|x| self.image(then, x)).collect()
    }
}
