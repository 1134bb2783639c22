//! A pc group along its derived series, for compiling it past the element
//! limit: the presentation refined to prime relative orders (so every
//! induced sequence leads with exponent 1), and each abelian factor U/N of
//! two induced sequences numbered by exponent vectors, without listing it.
//!
//! With prime relative orders, N ⊆ U puts N's depths among U's, and the
//! sequence K taking N's element at N's depths and U's at the others is
//! induced for U. Sifting y ∈ U through K gives exponents at U's own
//! depths that depend on yN only: at the first depth of K, an element of
//! N (deeper, or led by N's element) cannot change the exponent or is
//! taken off inside N, and N's normality carries the argument down.
//! Those exponents number U/N; U's elements there are its polycyclic
//! sequence, whose powers' exponents are the relations
//! `structure::abelian::factor_of_pc` needs for coordinates.

use super::pc::{Exps, Pc, PcError};
use super::pcgs::{depth, Pcgs};

/// `pc` with every relative order split into primes: generator g of order
/// q_1·q_2⋯q_m (ascending primes) becomes g, g^{q_1}, g^{q_1 q_2}, … of
/// orders q_1, q_2, …, so an exponent e of g is the mixed-radix digits of
/// e over those primes, and element numbers (first generator's digit
/// least significant) do not change. Returns the refined presentation and,
/// per old generator, where its new ones start.
pub fn refine_to_primes(pc: &Pc, max_work: u64) -> Result<(Pc, Vec<usize>), PcError> {
    let n = pc.len();
    let mut orders = Vec::new();
    let mut starts = Vec::with_capacity(n + 1);
    // The refined generators as elements of `pc`.
    let mut elems: Vec<Exps> = Vec::new();
    for (i, &p) in pc.relative_orders().iter().enumerate() {
        starts.push(orders.len());
        let mut rest = p;
        let mut power = 1u32;
        let mut q = 2u32;
        while rest > 1 {
            if q as u64 * q as u64 > rest as u64 {
                q = rest;
            }
            while rest.is_multiple_of(q) {
                let mut x = pc.identity();
                x[i] = power;
                elems.push(x);
                orders.push(q);
                power *= q;
                rest /= q;
            }
            q += 1;
        }
    }
    starts.push(orders.len());
    if orders.len() == n {
        return Ok((pc.clone(), starts));
    }
    let m = orders.len();
    let names = (0..m)
        .map(|k| {
            let i = starts.partition_point(|&s| s <= k) - 1;
            match k - starts[i] {
                0 => pc.names()[i].clone(),
                a => format!("{}_{a}", pc.names()[i]),
            }
        })
        .collect();
    let split = |x: &Exps| -> Exps {
        let mut out = vec![0u32; m];
        for (i, &e) in x.iter().enumerate() {
            let mut e = e;
            for k in starts[i]..starts[i + 1] {
                out[k] = e % orders[k];
                e /= orders[k];
            }
        }
        out
    };
    let mut refined = Pc::with_orders(names, orders.clone(), max_work);
    for k in (0..m).rev() {
        let power = split(&pc.pow(&elems[k], orders[k] as u64)?);
        let mut conj = vec![Vec::new(); m];
        for (l, c) in conj.iter_mut().enumerate().skip(k + 1) {
            *c = split(&super::pcgs::conj(pc, &elems[l], &elems[k])?);
        }
        refined.set_level(k, power, &conj)?;
    }
    refined.check_consistent()?;
    Ok((refined, starts))
}

/// U/N for induced sequences N ⊆ U of a pc group with prime relative
/// orders, N normal in U and U/N abelian.
pub struct PcQuotient {
    /// K: per depth, the element taken off there (N's, else U's).
    sift: Vec<Option<(Exps, Exps)>>,
    /// The depths of U's polycyclic sequence modulo N, in order.
    depths: Vec<usize>,
    /// h_j (U's elements at those depths) and their relative orders.
    gens: Vec<Exps>,
    orders: Vec<u32>,
    /// The exponent vector of h_j^{m_j} (zero up to j).
    relations: Vec<Vec<u32>>,
}

impl PcQuotient {
    pub fn new(pc: &Pc, upper: &Pcgs, lower: &Pcgs) -> Result<PcQuotient, PcError> {
        let n = pc.len();
        let mut sift: Vec<Option<(Exps, Exps)>> = vec![None; n];
        let mut depths = Vec::new();
        let mut gens = Vec::new();
        for x in upper.elements() {
            let d = depth(&x).expect("an induced sequence has no identity");
            depths.push(d);
            sift[d] = Some((pc.inverse(&x)?, x.clone()));
            gens.push(x);
        }
        for x in lower.elements() {
            let d = depth(&x).expect("an induced sequence has no identity");
            let at = depths
                .iter()
                .position(|&e| e == d)
                .ok_or_else(|| PcError::Inconsistent("N is not inside U".into()))?;
            depths.remove(at);
            gens.remove(at);
            sift[d] = Some((pc.inverse(&x)?, x));
        }
        let orders = depths.iter().map(|&d| pc.relative_orders()[d]).collect();
        let mut q = PcQuotient {
            sift,
            depths,
            gens,
            orders,
            relations: Vec::new(),
        };
        for (j, h) in q.gens.iter().enumerate() {
            let p = pc.pow(h, q.orders[j] as u64)?;
            let rel = q
                .exponents(pc, &p)?
                .ok_or_else(|| PcError::Inconsistent("a power left U".into()))?;
            q.relations.push(rel);
        }
        Ok(q)
    }

    pub fn orders(&self) -> &[u32] {
        &self.orders
    }

    pub fn relations(&self) -> &[Vec<u32>] {
        &self.relations
    }

    /// y's exponents modulo N, or `None` when y is not in U.
    fn exponents(&self, pc: &Pc, y: &Exps) -> Result<Option<Vec<u32>>, PcError> {
        let mut y = y.clone();
        let mut ex = vec![0u32; self.depths.len()];
        while let Some(d) = depth(&y) {
            let Some((inv, _)) = &self.sift[d] else {
                return Ok(None);
            };
            // Every lead is 1 (prime relative orders).
            let c = y[d];
            if let Some(j) = self.depths.iter().position(|&e| e == d) {
                ex[j] = c;
            }
            let mut z = pc.pow(inv, c as u64)?;
            pc.mul_into(&mut z, &y)?;
            y = z;
        }
        Ok(Some(ex))
    }

    /// The number of y's coset (exponents as mixed-radix digits, the
    /// first least significant), or `None` outside U.
    pub fn number(&self, pc: &Pc, y: &Exps) -> Result<Option<u32>, PcError> {
        Ok(self.exponents(pc, y)?.map(|ex| {
            ex.iter()
                .zip(&self.orders)
                .rev()
                .fold(0u32, |acc, (&e, &m)| acc * m + e)
        }))
    }

    /// h_0^{e_0}⋯h_{s-1}^{e_{s-1}} for coset number `x`.
    pub fn lift(&self, pc: &Pc, mut x: u32) -> Result<Exps, PcError> {
        let mut g = pc.identity();
        for (h, &m) in self.gens.iter().zip(&self.orders) {
            let e = x % m;
            x /= m;
            if e > 0 {
                let p = pc.pow(h, e as u64)?;
                pc.mul_into(&mut g, &p)?;
            }
        }
        Ok(g)
    }
}
