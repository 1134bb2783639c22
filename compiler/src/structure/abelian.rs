//! Abelian factors U/L: invariants and explicit coordinates.
//!
//! The construction needs more than the isomorphism type: an explicit
//! isomorphism c: U/L → Z_{n_1} × … × Z_{n_r} (n_1 | n_2 | …, r least) and a
//! transversal s with s(0) = e. Both come from a basis found prime by prime.

use super::series::derived_subgroup;
use super::subgroup::{is_normalised_by, is_subset, small_generators};
use crate::group::{Elem, Group};
use gssm_runtime::values::prime_power_parts;

/// The abelian factor U/L with coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct AbelianFactor {
    /// Invariant factors n_1 | n_2 | … | n_r, ascending (empty if trivial).
    pub invariant_factors: Vec<u32>,
    /// Elementary divisors (prime powers), ascending, as GAP lists them.
    pub prime_powers: Vec<u32>,
    /// The coordinates' moduli, one layer component each: the invariant
    /// factors, or in primary coordinates ([`AbelianFactor::primary`]) each
    /// invariant factor's prime powers.
    pub moduli: Vec<u32>,
    /// For every element of the ambient group: its coset's mixed-radix code
    /// (digit j in Z_{moduli[j]}, digit 0 least significant), or `u32::MAX`
    /// outside U.
    pub code_of: Vec<u32>,
    /// Transversal: code → element of U in that coset; `transversal[0]` = e.
    pub transversal: Vec<Elem>,
}

impl AbelianFactor {
    pub fn order(&self) -> usize {
        self.transversal.len()
    }
    /// Digits of a mixed-radix code.
    pub fn digits(&self, mut code: u32) -> Vec<u32> {
        self.moduli
            .iter()
            .map(|&n| {
                let d = code % n;
                code /= n;
                d
            })
            .collect()
    }
    /// Code of digit vector (each digit reduced mod its modulus).
    pub fn code(&self, digits: &[u32]) -> u32 {
        let mut code = 0u32;
        for (d, n) in digits.iter().zip(&self.moduli).rev() {
            code = code * n + d % n;
        }
        code
    }
    /// Sum of two codes in the factor (digitwise addition).
    pub fn add(&self, a: u32, b: u32) -> u32 {
        let (da, db) = (self.digits(a), self.digits(b));
        let s: Vec<u32> = da.iter().zip(&db).map(|(x, y)| x + y).collect();
        self.code(&s)
    }
    /// The same factor in primary coordinates: each invariant factor's
    /// cyclic group split into its prime-power parts by the Chinese
    /// remainder theorem (C60 as C4 × C3 × C5), which can make a layer's
    /// components smaller moduli at the cost of width.
    pub fn primary(&self) -> AbelianFactor {
        let mut moduli = Vec::new();
        // Per old coordinate: the range of new coordinates it splits into.
        let mut parts = Vec::new();
        for &n in &self.moduli {
            let start = moduli.len();
            let mut rest = n;
            let mut p = 2;
            while rest > 1 {
                if rest % p == 0 {
                    let mut q = 1;
                    while rest % p == 0 {
                        rest /= p;
                        q *= p;
                    }
                    moduli.push(q);
                }
                p += 1;
            }
            parts.push(start..moduli.len());
        }
        let recode = |code: u32| -> u32 {
            let old = self.digits(code);
            let mut digits = vec![0; moduli.len()];
            for (d, range) in old.iter().zip(&parts) {
                for k in range.clone() {
                    digits[k] = d % moduli[k];
                }
            }
            let mut c = 0u32;
            for (d, n) in digits.iter().zip(&moduli).rev() {
                c = c * n + d;
            }
            c
        };
        let mut transversal = vec![0; self.transversal.len()];
        for (c, &x) in self.transversal.iter().enumerate() {
            transversal[recode(c as u32) as usize] = x;
        }
        AbelianFactor {
            invariant_factors: self.invariant_factors.clone(),
            prime_powers: self.prime_powers.clone(),
            code_of: self
                .code_of
                .iter()
                .map(|&c| if c == u32::MAX { c } else { recode(c) })
                .collect(),
            transversal,
            moduli,
        }
    }
    /// Difference a − b in the factor.
    pub fn sub(&self, a: u32, b: u32) -> u32 {
        let (da, db) = (self.digits(a), self.digits(b));
        let s: Vec<u32> = da
            .iter()
            .zip(db.iter().zip(&self.moduli))
            .map(|(x, (y, n))| x + n - y)
            .collect();
        self.code(&s)
    }
}

/// Decompose U/L, where `upper` = U and `lower` = L ⊴ U are sorted subgroups
/// of `g` with U/L abelian.
pub fn factor(g: &Group, upper: &[Elem], lower: &[Elem]) -> Result<AbelianFactor, String> {
    let n = g.order();
    if !is_subset(lower, upper) {
        return Err("the lower subgroup is not contained in the upper one".into());
    }
    let ugens = small_generators(g, upper);
    if !is_normalised_by(g, lower, &ugens) {
        return Err("the lower subgroup is not normal in the upper one".into());
    }
    // Cosets of L in U: coset index of every element of U.
    let mut coset = vec![u32::MAX; n];
    let mut reps: Vec<Elem> = Vec::new();
    for &x in upper {
        if coset[x as usize] != u32::MAX {
            continue;
        }
        let c = reps.len() as u32;
        reps.push(x);
        for &l in lower {
            coset[g.mul(l, x) as usize] = c;
        }
    }
    let m = reps.len();
    // Quotient in additive notation: add(i, j) = coset of rep_i·rep_j.
    let add = |i: usize, j: usize| coset[g.mul(reps[i], reps[j]) as usize] as usize;
    for (i, &x) in ugens.iter().enumerate() {
        for &y in &ugens[i + 1..] {
            if coset[g.comm(x, y) as usize] != 0 {
                return Err("the factor is not abelian".into());
            }
        }
    }
    let order_of = |x: usize| -> usize {
        let (mut y, mut k) = (x, 1);
        while y != 0 {
            y = add(y, x);
            k += 1;
        }
        k
    };
    let times = |k: usize, x: usize| -> usize { (0..k).fold(0, |acc, _| add(acc, x)) };
    // Prime by prime: a basis of the Sylow p-subgroup of the quotient.
    let mut per_prime: Vec<Vec<(usize, u32)>> = Vec::new(); // (element, order), descending order
    let orders: Vec<usize> = (0..m).map(order_of).collect();
    for p in prime_factors(m) {
        let sylow: Vec<usize> = (0..m).filter(|&x| is_power_of(orders[x], p)).collect();
        let mut basis: Vec<(usize, u32)> = Vec::new();
        // span: element -> coordinates w.r.t. the basis found so far.
        let mut span: Vec<Option<Vec<u32>>> = vec![None; m];
        span[0] = Some(vec![]);
        let mut span_size = 1;
        while span_size < sylow.len() {
            // Element of largest order modulo the span (ties: lowest id).
            let mut best = (0usize, 0usize, 1usize); // (elem, p^f, unused)
            for &y in &sylow {
                let (mut z, mut pf) = (y, 1usize);
                while span[z].is_none() {
                    z = times(p, z);
                    pf *= p;
                }
                if pf > best.1 {
                    best = (y, pf, 0);
                }
            }
            let (y, pf, _) = best;
            // p^f·y lies in the span with coordinates k; every k_j is
            // divisible by p^f, so y − Σ (k_j/p^f) b_j has order exactly p^f.
            let k = span[times(pf, y)].clone().expect("in span");
            let mut z = 0;
            for (j, &kj) in k.iter().enumerate() {
                if !(kj as usize).is_multiple_of(pf) {
                    return Err("internal: basis lift failed".into());
                }
                z = add(z, times(kj as usize / pf, basis[j].0));
            }
            let neg_z = times(order_of(z) - 1, z);
            let y2 = add(y, neg_z);
            basis.push((y2, pf as u32));
            // Rebuild the span with the new basis element.
            let mut new_span: Vec<Option<Vec<u32>>> = vec![None; m];
            for (x, cx) in span.iter().enumerate() {
                if let Some(cx) = cx {
                    let mut w = x;
                    for t in 0..pf as u32 {
                        let mut c = cx.clone();
                        c.push(t);
                        new_span[w] = Some(c);
                        w = add(w, y2);
                    }
                }
            }
            span = new_span;
            span_size *= pf;
        }
        basis.sort_by_key(|b| std::cmp::Reverse(b.1));
        per_prime.push(basis);
    }
    let mut prime_powers: Vec<u32> = per_prime.iter().flatten().map(|&(_, o)| o).collect();
    prime_powers.sort_unstable();
    // Invariant factors: the j-th largest from every prime combined.
    let r = per_prime.iter().map(|b| b.len()).max().unwrap_or(0);
    let mut inv: Vec<(usize, u32)> = (0..r)
        .map(|j| {
            per_prime
                .iter()
                .filter_map(|b| b.get(j))
                .fold((0usize, 1u32), |(e, o), &(x, ox)| (add(e, x), o * ox))
        })
        .collect();
    inv.reverse(); // ascending: n_1 | n_2 | …
    let invariant_factors: Vec<u32> = inv.iter().map(|&(_, o)| o).collect();
    // Coordinates: enumerate Σ c_j B_j and check it is a bijection.
    let mut code_of_coset = vec![u32::MAX; m];
    let mut transversal_coset = vec![0usize; m];
    for (code, tc) in transversal_coset.iter_mut().enumerate() {
        let mut rest = code;
        let mut x = 0;
        for &(b, nb) in &inv {
            x = add(x, times(rest % nb as usize, b));
            rest /= nb as usize;
        }
        if code_of_coset[x] != u32::MAX {
            return Err("internal: invariant basis is not a basis".into());
        }
        code_of_coset[x] = code as u32;
        *tc = x;
    }
    // Transversal in U: s(c) = B_1^{c_1}·…·B_r^{c_r} with B_j the coset
    // representatives, so s(0) = e.
    let brep: Vec<Elem> = inv.iter().map(|&(b, _)| reps[b]).collect();
    let mut transversal = vec![0; m];
    for (code, t) in transversal.iter_mut().enumerate() {
        let mut rest = code;
        let mut x: Elem = 0;
        for (j, &(_, nb)) in inv.iter().enumerate() {
            x = g.mul(x, g.pow(brep[j], (rest % nb as usize) as i64));
            rest /= nb as usize;
        }
        if coset[x as usize] as usize != transversal_coset[code] {
            return Err("internal: transversal left its coset".into());
        }
        *t = x;
    }
    let mut code_of = vec![u32::MAX; n];
    for &x in upper {
        code_of[x as usize] = code_of_coset[coset[x as usize] as usize];
    }
    Ok(AbelianFactor {
        moduli: invariant_factors.clone(),
        invariant_factors,
        prime_powers,
        code_of,
        transversal,
    })
}

/// The abelian group given by a polycyclic sequence, with coordinates and
/// without listing it as a group: element x (below ∏ m_j) is the exponent
/// vector of its mixed-radix digits (e_0 least significant), and h_j^{m_j}
/// has the exponent vector `relations[j]` (zero up to j), so the group is
/// Z^s / L with L spanned by m_j·u_j − relations[j]. The Smith normal form
/// of those rows gives the invariant factors and the isomorphism onto
/// Z_{n_1} × … × Z_{n_r} ([`super::smith`]); `code_of` and `transversal`
/// are indexed by element numbers. Linear in the group's order.
pub fn factor_of_pc(orders: &[u32], relations: &[Vec<u32>]) -> Result<AbelianFactor, String> {
    let s = orders.len();
    let rows: Vec<Vec<i128>> = (0..s)
        .map(|j| {
            (0..s)
                .map(|k| match k.cmp(&j) {
                    std::cmp::Ordering::Less => 0,
                    std::cmp::Ordering::Equal => i128::from(orders[j]),
                    std::cmp::Ordering::Greater => -i128::from(relations[j][k]),
                })
                .collect()
        })
        .collect();
    let (d, q) = super::smith::smith(rows)?;
    // Coordinates: the components with d_t > 1, ascending (d_t | d_{t+1}).
    let kept: Vec<usize> = (0..s).filter(|&t| d[t] > 1).collect();
    let invariant_factors: Vec<u32> = kept
        .iter()
        .map(|&t| {
            u32::try_from(d[t])
                .map_err(|_| "internal: an invariant factor past 32 bits".to_string())
        })
        .collect::<Result<_, _>>()?;
    let m = orders
        .iter()
        .try_fold(1usize, |acc, &o| acc.checked_mul(o as usize))
        .filter(|&m| u32::try_from(m).is_ok())
        .ok_or("the factor has 2^32 elements or more, too many to number")?;
    if invariant_factors
        .iter()
        .map(|&n| n as usize)
        .product::<usize>()
        != m
    {
        return Err("internal: the invariant factors' product is not the order".into());
    }
    // Q's column t modulo d_t is all the coordinate needs.
    let qm: Vec<Vec<u64>> = (0..s)
        .map(|k| {
            kept.iter()
                .map(|&t| q[k][t].rem_euclid(d[t]) as u64)
                .collect()
        })
        .collect();
    let mut code_of = vec![0u32; m];
    let mut transversal = vec![u32::MAX; m];
    let mut digits = vec![0u32; s];
    for (x, code) in code_of.iter_mut().enumerate() {
        let mut rest = x;
        for (e, &o) in digits.iter_mut().zip(orders) {
            *e = (rest % o as usize) as u32;
            rest /= o as usize;
        }
        let mut c = 0u64;
        for (t, &n) in invariant_factors.iter().enumerate().rev() {
            let ct = digits
                .iter()
                .zip(&qm)
                .fold(0u64, |acc, (&e, row)| (acc + e as u64 * row[t]) % n as u64);
            c = c * n as u64 + ct;
        }
        *code = c as u32;
        if transversal[c as usize] != u32::MAX {
            return Err("internal: the coordinates are not a bijection".into());
        }
        transversal[c as usize] = x as u32;
    }
    let mut prime_powers: Vec<u32> = invariant_factors
        .iter()
        .flat_map(|&n| prime_power_parts(n))
        .collect();
    prime_powers.sort_unstable();
    Ok(AbelianFactor {
        moduli: invariant_factors.clone(),
        invariant_factors,
        prime_powers,
        code_of,
        transversal,
    })
}

/// Abelian invariants of G/G' as prime powers, ascending (GAP's
/// `AbelianInvariants`).
pub fn abelian_invariants(g: &Group) -> Vec<u32> {
    let all: Vec<Elem> = g.elements().collect();
    let d = derived_subgroup(g, &all);
    factor(g, &all, &d)
        .map(|f| f.prime_powers)
        .unwrap_or_default()
}

/// Invariant factors from prime powers: [2, 3, 4] → [2, 12].
pub fn invariant_factors_of(prime_powers: &[u32]) -> Vec<u32> {
    let mut by_prime: Vec<(u32, Vec<u32>)> = Vec::new();
    for &q in prime_powers {
        let p = prime_factors(q as usize)[0] as u32;
        match by_prime.iter_mut().find(|(pp, _)| *pp == p) {
            Some((_, v)) => v.push(q),
            None => by_prime.push((p, vec![q])),
        }
    }
    let r = by_prime.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    for (_, v) in by_prime.iter_mut() {
        v.sort_unstable_by(|a, b| b.cmp(a));
    }
    let mut out: Vec<u32> = (0..r)
        .map(|j| by_prime.iter().filter_map(|(_, v)| v.get(j)).product())
        .collect();
    out.reverse();
    out
}

fn prime_factors(mut m: usize) -> Vec<usize> {
    let mut ps = Vec::new();
    let mut p = 2;
    while p * p <= m {
        if m.is_multiple_of(p) {
            ps.push(p);
            while m.is_multiple_of(p) {
                m /= p;
            }
        }
        p += 1;
    }
    if m > 1 {
        ps.push(m);
    }
    ps
}

fn is_power_of(mut x: usize, p: usize) -> bool {
    while x.is_multiple_of(p) {
        x /= p;
    }
    x == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::Limits;

    /// Random abelian groups by polycyclic sequences: the Smith-form
    /// coordinates against the same group listed (its Cayley graph built
    /// here by adding exponent vectors with carries) and decomposed by
    /// [`factor`].
    #[test]
    fn coordinates_from_relations_agree_with_the_listed_group() {
        let mut seed = 3u64;
        let mut next = |m: u32| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % m as u64) as u32
        };
        for _ in 0..200 {
            let s = 1 + next(4) as usize;
            let orders: Vec<u32> = (0..s).map(|_| 2 + next(6)).collect();
            let relations: Vec<Vec<u32>> = (0..s)
                .map(|j| {
                    (0..s)
                        .map(|k| if k > j { next(orders[k]) } else { 0 })
                        .collect()
                })
                .collect();
            let m: usize = orders.iter().map(|&o| o as usize).product();
            let digits = |mut x: usize| -> Vec<u64> {
                orders
                    .iter()
                    .map(|&o| {
                        let d = (x % o as usize) as u64;
                        x /= o as usize;
                        d
                    })
                    .collect()
            };
            let number = |e: &[u64]| -> usize {
                e.iter()
                    .zip(&orders)
                    .rev()
                    .fold(0, |acc, (&d, &o)| acc * o as usize + d as usize)
            };
            // x + y in normal form: each overflow carried by its relation.
            let add = |x: usize, y: usize| -> usize {
                let mut e: Vec<u64> = digits(x)
                    .iter()
                    .zip(digits(y))
                    .map(|(a, b)| a + b)
                    .collect();
                for j in 0..s {
                    let carry = e[j] / orders[j] as u64;
                    e[j] %= orders[j] as u64;
                    for k in j + 1..s {
                        e[k] += carry * relations[j][k] as u64;
                    }
                }
                number(&e)
            };
            let f = factor_of_pc(&orders, &relations).unwrap();
            let right_mul: Vec<u32> = (0..m)
                .flat_map(|x| (0..s).map(move |j| (x, j)))
                .map(|(x, j)| {
                    add(
                        x,
                        number(&(0..s).map(|k| u64::from(k == j)).collect::<Vec<_>>()),
                    ) as u32
                })
                .collect();
            let names = (0..s).map(|j| format!("h{j}")).collect();
            let g =
                Group::from_cayley_graph("A", names, m, &right_mul, 0, &Limits::default()).unwrap();
            let all: Vec<Elem> = g.elements().collect();
            let listed = factor(&g, &all, &[0]).unwrap();
            assert_eq!(
                f.invariant_factors, listed.invariant_factors,
                "{orders:?} {relations:?}"
            );
            assert_eq!(f.prime_powers, listed.prime_powers);
            // A bijection and a homomorphism, with its inverse as transversal.
            for x in 0..m {
                assert_eq!(f.transversal[f.code_of[x] as usize] as usize, x);
            }
            for _ in 0..200 {
                let (x, y) = (next(m as u32) as usize, next(m as u32) as usize);
                assert_eq!(f.code_of[add(x, y)], f.add(f.code_of[x], f.code_of[y]));
            }
        }
    }
}
