//! An abelian factor U/N of two stabiliser chains (N ⊴ U, U/N abelian),
//! listed although U is not: a polycyclic sequence h_0, …, h_{s-1} of U
//! modulo N (H_j = ⟨N, h_j, …, h_{s-1}⟩, each step H_j/H_{j+1} cyclic of
//! relative order m_j) numbers the cosets by exponent vectors (mixed
//! radix, e_0 least significant), an element of U is placed by sifting down
//! the sequence, and the relative orders with the powers h_j^{m_j} are all
//! `structure::abelian::factor_of_pc` needs for coordinates: the quotient
//! is never listed as a group.

use super::pcpres::{Budget, Step};
use super::{comm, conj, inverse, mul, Chain, Perm};
use crate::group::{Elem, Limits};
use num_bigint::BigUint;

pub struct AbelianQuotient {
    /// h_j, and h_j^-1 for sifting.
    gens: Vec<Perm>,
    inv_gens: Vec<Perm>,
    /// m_j = |H_j| / |H_{j+1}|, each ≥ 2.
    orders: Vec<u32>,
    /// Step j's discrete logarithm: the exponent of h_j in an element of
    /// H_j modulo H_{j+1}, read off a coset invariant.
    steps: Vec<Step>,
    /// N, where an element of U ends once every exponent is taken off.
    lower: Chain,
    /// The exponent vector of h_j^{m_j} ∈ H_{j+1} (zero up to j).
    relations: Vec<Vec<u32>>,
}

impl AbelianQuotient {
    /// U/N, listed; `name` names the quotient in errors. Fails when U/N has
    /// more than `limits.max_elements` elements, when N is not normal in U
    /// or U/N is not abelian, or when a chain passes its limits.
    pub fn new(
        name: &str,
        upper: &Chain,
        lower: &Chain,
        limits: &Limits,
    ) -> Result<AbelianQuotient, String> {
        let size = upper.order() / lower.order();
        if size > BigUint::from(limits.max_elements) {
            return Err(format!(
                "the abelian factor {name} has {size} elements, more than --max-elements ({}) allows for its coordinates",
                limits.max_elements
            ));
        }
        let ugens = upper.generators();
        for (i, x) in ugens.iter().enumerate() {
            if lower
                .generators()
                .iter()
                .any(|n| !lower.contains(&conj(n, x)))
            {
                return Err(format!("internal: the lower term of {name} is not normal"));
            }
            if ugens[i + 1..].iter().any(|y| !lower.contains(&comm(x, y))) {
                return Err(format!("internal: the factor {name} is not abelian"));
            }
        }
        // H_s = N, then each generator of U that enlarges it, top last.
        let mut steps: Vec<(Perm, u32, Chain)> = Vec::new();
        let mut h = lower.clone();
        for g in ugens.iter().rev() {
            let before = h.clone();
            if !h.add_generator(g).map_err(|e| e.to_string())? {
                continue;
            }
            let m = u32::try_from(&(h.order() / before.order()))
                .expect("bounded by max_elements above");
            steps.push((g.clone(), m, before));
        }
        steps.reverse();
        let mut budget = Budget::new(limits.max_chain_work, limits.max_memory);
        let mut q = AbelianQuotient {
            inv_gens: steps.iter().map(|s| inverse(&s.0)).collect(),
            orders: steps.iter().map(|s| s.1).collect(),
            gens: Vec::new(),
            steps: Vec::new(),
            lower: lower.clone(),
            relations: Vec::new(),
        };
        for (g, m, below) in steps {
            q.steps
                .push(Step::new(&g, m, below, &mut budget).map_err(|e| e.to_string())?);
            q.gens.push(g);
        }
        for (j, g) in q.gens.iter().enumerate() {
            let p = super::power(g, q.orders[j] as u64);
            let rel = q
                .exponents(&p)
                .ok_or_else(|| format!("internal: h_{j}^m_{j} left {name}"))?;
            q.relations.push(rel);
        }
        Ok(q)
    }

    /// The relative orders m_j.
    pub fn orders(&self) -> &[u32] {
        &self.orders
    }

    /// The exponent vectors of the powers h_j^{m_j}.
    pub fn relations(&self) -> &[Vec<u32>] {
        &self.relations
    }

    /// The coset of `y` ∈ U (its exponent vector's number), or `None`
    /// when y is not in U.
    pub fn elem(&self, y: &[u32]) -> Option<Elem> {
        let ex = self.exponents(y)?;
        Some(self.number(&ex))
    }

    /// A representative of coset `x`: h_0^{e_0}·…·h_{s-1}^{e_{s-1}}, the
    /// identity for the identity.
    pub fn lift(&self, x: Elem) -> Perm {
        let ex = self.digits(x);
        let n = self.lower.degree();
        let mut g: Perm = (0..n as u32).collect();
        for (h, &e) in self.gens.iter().zip(&ex) {
            if e > 0 {
                g = mul(&g, &super::power(h, u64::from(e)));
            }
        }
        g
    }

    /// y ≡ ∏ h_j^{e_j} mod N: each exponent read off its step's coset
    /// invariant and taken off; the rest must lie in N (an element outside
    /// U may get any exponents on the way, and fails there).
    fn exponents(&self, y: &[u32]) -> Option<Vec<u32>> {
        let mut z = y.to_vec();
        let mut ex = Vec::with_capacity(self.gens.len());
        for (step, inv) in self.steps.iter().zip(&self.inv_gens) {
            let e = step.log(&z)?;
            if e > 0 {
                z = mul(&super::power(inv, u64::from(e)), &z);
            }
            ex.push(e);
        }
        self.lower.contains(&z).then_some(ex)
    }

    fn number(&self, ex: &[u32]) -> u32 {
        ex.iter()
            .zip(&self.orders)
            .rev()
            .fold(0, |acc, (&e, &m)| acc * m + e)
    }

    fn digits(&self, mut x: u32) -> Vec<u32> {
        self.orders
            .iter()
            .map(|&m| {
                let d = x % m;
                x /= m;
                d
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::perm;
    use super::*;
    use crate::group::bsgs::series::derived_series;
    use crate::group::bsgs::ChainLimits;
    use crate::structure::abelian::factor_of_pc;

    /// AGL(1, 7) on 7 points: x ↦ x + 1 and x ↦ 3x (3 is a primitive root).
    fn agl7() -> Chain {
        let t = perm(7, &[&[1, 2, 3, 4, 5, 6, 7]]);
        // 0-based x ↦ 3x mod 7 fixes 0: (1 3 2 6 4 5) 0-based, +1 for 1-based.
        let m = perm(7, &[&[2, 4, 3, 7, 5, 6]]);
        Chain::generated(7, &[t, m], ChainLimits::default()).unwrap()
    }

    #[test]
    fn cosets_of_agl7_form_c6_and_c7() {
        let g = agl7();
        assert_eq!(g.order(), BigUint::from(42u32));
        let series = derived_series(&g).unwrap();
        assert_eq!(series.len(), 3);
        let top = AbelianQuotient::new("G/G'", &series[0], &series[1], &Limits::default()).unwrap();
        let bottom =
            AbelianQuotient::new("G'", &series[1], &series[2], &Limits::default()).unwrap();
        let factors: Vec<_> = [&top, &bottom]
            .iter()
            .map(|q| factor_of_pc(q.orders(), q.relations()).unwrap())
            .collect();
        assert_eq!(factors[0].invariant_factors, vec![6]);
        assert_eq!(factors[1].invariant_factors, vec![7]);
        // Placing is a homomorphism: the coset of a product is the sum of
        // the cosets' codes, for every pair of elements of G, and lifts
        // land in their cosets.
        let f = &factors[0];
        let elems: Vec<Perm> = (0..42).map(|i| g.unrank(i)).collect();
        for x in &elems {
            let cx = top.elem(x).unwrap();
            assert_eq!(top.elem(&top.lift(cx)), Some(cx));
            for y in &elems {
                let cy = top.elem(y).unwrap();
                let cxy = top.elem(&mul(x, y)).unwrap();
                assert_eq!(
                    f.code_of[cxy as usize],
                    f.add(f.code_of[cx as usize], f.code_of[cy as usize])
                );
            }
        }
        // Outside U: a transposition is not in AGL(1, 7)'s derived subgroup.
        assert_eq!(bottom.elem(&perm(7, &[&[1, 2]])), None);
    }

    /// Composite cyclic steps (C12, C6, C4), where cosets may share an
    /// invariant and membership tests decide: every quotient of the
    /// derived series places products additively, lifts land in their
    /// cosets, and elements of G outside a lower term's U are refused.
    #[test]
    fn composite_steps_place_every_element() {
        let cases: Vec<(usize, Vec<Perm>)> = vec![
            (
                20,
                vec![
                    perm(20, &[&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]),
                    perm(20, &[&[13, 14, 15, 16, 17, 18]]),
                    perm(20, &[&[19, 20]]),
                ],
            ),
            // AGL(1, 13): x ↦ x + 1 and x ↦ 2x (2 is a primitive root).
            (
                13,
                vec![
                    perm(13, &[&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]]),
                    perm(13, &[&[2, 3, 5, 9, 4, 7, 13, 12, 10, 6, 11, 8]]),
                ],
            ),
            // C4 wr C2.
            (
                8,
                vec![
                    perm(8, &[&[1, 2, 3, 4]]),
                    perm(8, &[&[1, 5], &[2, 6], &[3, 7], &[4, 8]]),
                ],
            ),
        ];
        for (n, gens) in cases {
            let g = Chain::generated(n, &gens, ChainLimits::default()).unwrap();
            let order = u64::try_from(&g.order()).unwrap();
            let elems: Vec<Perm> = (0..order).map(|i| g.unrank(i)).collect();
            let series = derived_series(&g).unwrap();
            for pair in series.windows(2) {
                let q = AbelianQuotient::new("F", &pair[0], &pair[1], &Limits::default()).unwrap();
                let f = factor_of_pc(q.orders(), q.relations()).unwrap();
                let size = f.order() as u32;
                for c in 0..size {
                    assert_eq!(q.elem(&q.lift(c)), Some(c));
                }
                let members: Vec<&Perm> = elems.iter().filter(|x| pair[0].contains(x)).collect();
                for x in &elems {
                    assert_eq!(q.elem(x).is_some(), pair[0].contains(x));
                }
                for (k, x) in members.iter().enumerate() {
                    let cx = f.code_of[q.elem(x).unwrap() as usize];
                    for y in members.iter().skip(k % 7).step_by(7) {
                        let cy = f.code_of[q.elem(y).unwrap() as usize];
                        let cxy = f.code_of[q.elem(&mul(x, y)).unwrap() as usize];
                        assert_eq!(cxy, f.add(cx, cy));
                    }
                }
            }
        }
    }

    #[test]
    fn a_factor_past_the_element_limit_is_refused() {
        let g = agl7();
        let series = derived_series(&g).unwrap();
        let limits = Limits {
            max_elements: 5,
            ..Limits::default()
        };
        let e = AbelianQuotient::new("G/G'", &series[0], &series[1], &limits)
            .err()
            .unwrap();
        assert!(
            e.contains("6 elements") && e.contains("--max-elements"),
            "{e}"
        );
    }
}
