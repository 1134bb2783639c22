//! Polycyclic presentations in the language, with GAP's conventions (the
//! collector is [`gssm_runtime::pc`]): relators read as power, conjugate
//! or commutator relations, checked and turned into a [`Pc`]; the direct
//! and semidirect products of pc groups; the group listed by collection.
//! A pair without a relation commutes; the right sides are words in the
//! generators after the relation's level.

use super::{group_bytes, Group, GroupError, Limits, Word};
use thiserror::Error;

/// Collection steps the structure of a pc group past the element limit may
/// take by default (about ten seconds).
pub const DEFAULT_MAX_WORK: u64 = 200_000_000;

use gssm_runtime::pc::CollectError;
pub use gssm_runtime::pc::{Exps, Pc};

/// One relation of a pc presentation, as read from a relator.
#[derive(Clone, Debug, PartialEq)]
pub enum PcRelation {
    /// g_gen^exp = rhs.
    Power { gen: usize, exp: u64, rhs: Word },
    /// g_gen^{g_by} = rhs (gen > by).
    Conjugate { gen: usize, by: usize, rhs: Word },
}

impl PcRelation {
    /// The generator whose subgroup G_{i+1} the right side must lie in.
    fn level(&self) -> usize {
        match *self {
            PcRelation::Power { gen, .. } => gen,
            PcRelation::Conjugate { by, .. } => by,
        }
    }
    fn rhs(&self) -> &Word {
        match self {
            PcRelation::Power { rhs, .. } | PcRelation::Conjugate { rhs, .. } => rhs,
        }
    }
}

#[derive(Debug, Error, Clone, PartialEq)]
pub enum PcError {
    /// Relation `relation` is not one of the pc forms.
    #[error("not a relation of a pc presentation: write g^p = w, [h, g] = w or g^-1*h*g = w for generators g before h, with w a word in the generators after g")]
    Form { relation: usize },
    /// Relation `relation` uses generator `gen` on its right side, which
    /// is not after `level`.
    #[error("the right side uses {gen_name}, which is not after {level_name}: a pc relation's right side is a word in the generators after {level_name}")]
    Rhs {
        relation: usize,
        gen_name: String,
        level_name: String,
    },
    /// Relation `relation` repeats relation `first`.
    #[error("a second {what}")]
    Repeated {
        relation: usize,
        first: usize,
        what: String,
    },
    #[error("relative order {exp} of {name}: a pc generator's relative order is at least 2")]
    SmallOrder {
        relation: usize,
        name: String,
        exp: u64,
    },
    #[error("generator {name} has no power relation {name}^p = w giving its relative order")]
    NoPower { gen: usize, name: String },
    #[error("the presentation is inconsistent: {0}, so it defines a group smaller than the product of the relative orders")]
    Inconsistent(String),
    #[error("the relative orders multiply to {order}, more than the {limit} elements gssm lists (raise the limit with --max-elements)")]
    Order { order: u128, limit: u128 },
    #[error("relative order {exp} of {name} is 2^32 or more: gssm collects with 32-bit exponents")]
    LargeOrder {
        relation: usize,
        name: String,
        exp: u64,
    },
    #[error("collection took more than {limit} steps")]
    Work { limit: u64 },
}

impl From<CollectError> for PcError {
    fn from(e: CollectError) -> PcError {
        match e {
            CollectError::Inconsistent(what) => PcError::Inconsistent(what),
            CollectError::Work { limit } => PcError::Work { limit },
        }
    }
}

/// The left side of a pc relation.
#[derive(Clone, Copy)]
enum Lead {
    /// g^p.
    Power { gen: usize, exp: u64 },
    /// [g_j, g_i], j > i.
    Commutator { j: usize, i: usize },
    /// g_i^-1·g_j·g_i, j > i.
    Conjugate { j: usize, i: usize },
}

impl Lead {
    /// Matched at the start of a word: the lead and its syllable count.
    fn at_start(w: &[(usize, i64)]) -> Option<(Lead, usize)> {
        match *w {
            [(j, -1), (i, -1), (j2, 1), (i2, 1), ..] if j == j2 && i == i2 && j > i => {
                Some((Lead::Commutator { j, i }, 4))
            }
            [(i, -1), (j, 1), (i2, 1), ..] if i == i2 && j > i => {
                Some((Lead::Conjugate { j, i }, 3))
            }
            [(gen, p), ..] if p > 0 => Some((Lead::Power { gen, exp: p as u64 }, 1)),
            _ => None,
        }
    }

    /// The relation `self = rhs`.
    fn with(self, rhs: Word) -> PcRelation {
        match self {
            Lead::Power { gen, exp } => PcRelation::Power { gen, exp, rhs },
            // [g_j, g_i] = w: g_j^{g_i} = g_j·w.
            Lead::Commutator { j, i } => {
                let mut w = vec![(j, 1)];
                w.extend(rhs);
                PcRelation::Conjugate {
                    gen: j,
                    by: i,
                    rhs: w,
                }
            }
            Lead::Conjugate { j, i } => PcRelation::Conjugate { gen: j, by: i, rhs },
        }
    }
}

fn inverse(w: &[(usize, i64)]) -> Word {
    w.iter().rev().map(|&(g, e)| (g, -e)).collect()
}

/// Read `lhs = rhs` as a pc relation: one side (the left first) is g^p,
/// [h, g] or g^-1*h*g, the other its right side.
pub fn classify_equation(lhs: &Word, rhs: &Word) -> Option<PcRelation> {
    let whole = |w: &Word| Lead::at_start(w).filter(|&(_, len)| len == w.len());
    match (whole(lhs), whole(rhs)) {
        (Some((lead, _)), _) => Some(lead.with(rhs.clone())),
        (None, Some((lead, _))) => Some(lead.with(lhs.clone())),
        (None, None) => None,
    }
}

/// Read a relator (a reduced word equal to 1) as a pc relation: a leading
/// g_i^p (p > 0), commutator g_j^-1·g_i^-1·g_j·g_i or conjugate
/// g_i^-1·g_j·g_i (j > i), followed by the inverse of the right side in
/// later generators — the form GAP prints relators in. The word's inverse
/// is tried too, so `b*a^-2` reads as `a^2 = b`.
pub fn classify(relator: &Word) -> Option<PcRelation> {
    let read = |w: &Word| -> Option<PcRelation> {
        let (lead, len) = Lead::at_start(w)?;
        let rest = &w[len..];
        let rel = lead.with(inverse(rest));
        rest.iter().all(|&(g, _)| g > rel.level()).then_some(rel)
    };
    read(relator).or_else(|| read(&inverse(relator)))
}

/// g_j^e among n generators, as an exponent vector.
fn gen_power(n: usize, j: usize, e: u32) -> Exps {
    let mut x = vec![0; n];
    x[j] = e;
    x
}

/// Build and check a presentation on generators `names` from `relations`
/// (indices into which the errors name). `max_order` bounds ∏ p_i before
/// anything is collected, and `max_work` the collection steps building
/// and checking it may take.
pub fn presentation(
    names: Vec<String>,
    relations: &[PcRelation],
    max_order: u128,
    max_work: u64,
) -> Result<Pc, PcError> {
    let n = names.len();
    let mut power_rel: Vec<Option<usize>> = vec![None; n];
    let mut conj_rel: Vec<Option<usize>> = vec![None; n * n];
    for (r, rel) in relations.iter().enumerate() {
        let level = rel.level();
        if let Some(&(g, _)) = rel.rhs().iter().find(|&&(g, _)| g <= level) {
            return Err(PcError::Rhs {
                relation: r,
                gen_name: names[g].clone(),
                level_name: names[level].clone(),
            });
        }
        let (slot, what) = match *rel {
            PcRelation::Power { gen, exp, .. } => {
                if exp < 2 {
                    return Err(PcError::SmallOrder {
                        relation: r,
                        name: names[gen].clone(),
                        exp,
                    });
                }
                (
                    &mut power_rel[gen],
                    format!("power relation for {}", names[gen]),
                )
            }
            PcRelation::Conjugate { gen, by, .. } => (
                &mut conj_rel[by * n + gen],
                format!("conjugate relation for {} by {}", names[gen], names[by]),
            ),
        };
        if let Some(first) = slot.replace(r) {
            return Err(PcError::Repeated {
                relation: r,
                first,
                what,
            });
        }
    }
    let mut orders = Vec::with_capacity(n);
    for (gen, rel) in power_rel.iter().enumerate() {
        match rel.map(|r| &relations[r]) {
            // Exponents are 32-bit: checked here, as the order bound
            // alone does not when it is past 2^32.
            Some(&PcRelation::Power { exp, .. }) if exp > u32::MAX as u64 => {
                return Err(PcError::LargeOrder {
                    relation: rel.expect("matched"),
                    name: names[gen].clone(),
                    exp,
                })
            }
            Some(PcRelation::Power { exp, .. }) => orders.push(*exp as u32),
            _ => {
                return Err(PcError::NoPower {
                    gen,
                    name: names[gen].clone(),
                })
            }
        }
    }
    // Checked before any collection loops over an exponent.
    let mut order: u128 = 1;
    for &p in &orders {
        order = order.saturating_mul(p as u128);
    }
    if order > max_order {
        return Err(PcError::Order {
            order,
            limit: max_order,
        });
    }
    let mut pc = Pc::with_orders(names, orders, max_work);
    // From the last generator up: level i's right sides are words in
    // G_{i+1}, whose collector is complete by then.
    for i in (0..n).rev() {
        let r = power_rel[i].expect("checked above");
        let power = pc.eval(relations[r].rhs())?;
        let mut conj = vec![Vec::new(); n];
        for (j, c) in conj.iter_mut().enumerate().skip(i + 1) {
            *c = match conj_rel[i * n + j] {
                Some(r) => pc.eval(relations[r].rhs())?,
                None => gen_power(n, j, 1),
            };
        }
        pc.set_level(i, power, &conj)?;
    }
    pc.check_consistent()?;
    Ok(pc)
}

/// `pc`'s power relations and its non-trivial conjugate relations (a pair
/// that commutes needs none), with every generator moved up by `offset`:
/// a factor's part of a product's presentation.
fn push_relations(pc: &Pc, offset: usize, rels: &mut Vec<PcRelation>) {
    let n = pc.len();
    for (i, &exp) in pc.relative_orders().iter().enumerate() {
        rels.push(PcRelation::Power {
            gen: offset + i,
            exp: exp as u64,
            rhs: shifted_word(pc.power_relation(i).expect("a level"), offset),
        });
    }
    for i in 0..n {
        for j in i + 1..n {
            let w = pc.conjugate_relation(i, j).expect("i < j < n");
            if *w != gen_power(n, j, 1) {
                rels.push(PcRelation::Conjugate {
                    gen: offset + j,
                    by: offset + i,
                    rhs: shifted_word(w, offset),
                });
            }
        }
    }
}

/// Exponent vector `x` of a factor whose generators start at `offset` in
/// the product, as a word in the product's generators (zero exponents left
/// out).
fn shifted_word(x: &Exps, offset: usize) -> Word {
    x.iter()
        .enumerate()
        .filter(|&(_, &e)| e != 0)
        .map(|(j, &e)| (offset + j, e as i64))
        .collect()
}

/// The pc presentation of the direct product `parts[0] × parts[1] × …`:
/// the factors' generators one after another (factor k's generator j is
/// the product's generator `offset_k + j`, named `names[offset_k + j]`),
/// each factor's power relations and conjugate relations moved to those
/// indices, and no relation between generators of different factors, so
/// they commute. The product of relative orders is checked against
/// `max_order` before any relation is built, and the result goes through
/// [`Pc::new`], whose consistency check and collection take at most
/// `max_work` steps; it then gets a fresh budget of `max_work`.
///
/// `names` must hold one name per generator of the product, all distinct
/// (a caller disambiguates the factors' names).
pub fn direct_product(
    parts: &[&Pc],
    names: Vec<String>,
    max_order: u128,
    max_work: u64,
) -> Result<Pc, PcError> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    assert_eq!(
        names.len(),
        total,
        "one name per generator of the direct product"
    );
    let mut order: u128 = 1;
    for p in parts {
        order = order.saturating_mul(p.order());
    }
    if order > max_order {
        return Err(PcError::Order {
            order,
            limit: max_order,
        });
    }
    let mut rels = Vec::new();
    let mut offset = 0;
    for p in parts {
        push_relations(p, offset, &mut rels);
        offset += p.len();
    }
    let pc = presentation(names, &rels, max_order, max_work)?;
    pc.set_work_limit(max_work);
    Ok(pc)
}

/// The pc presentation of the semidirect product N ⋊ H (`n` normal):
/// H's generators first (index i is H's generator i), then N's (index
/// `h.len() + j` is N's generator j), named `names`. H keeps its power and
/// conjugate relations, with right sides in H's generators; N's relations
/// move to its indices; and for H's generator h_i and N's generator n_j
/// the conjugate relation n_j^{h_i} = `action[i][j]`, an exponent vector
/// of N: `action[i]` lists the images of N's generators under the
/// automorphism x ↦ h_i^-1·x·h_i. A pair whose image is n_j itself gets
/// no relation. The product of the orders is checked against `max_order`
/// before anything is built; [`Pc::new`]'s consistency check (within
/// `max_work` steps) then holds exactly when each `action[i]` is an
/// automorphism of N and they respect H's relations, and fails with
/// [`PcError::Inconsistent`] otherwise. The result gets a fresh budget of
/// `max_work`.
pub fn semidirect_product(
    h: &Pc,
    n: &Pc,
    action: &[Vec<Exps>],
    names: Vec<String>,
    max_order: u128,
    max_work: u64,
) -> Result<Pc, PcError> {
    let (nh, nn) = (h.len(), n.len());
    assert_eq!(names.len(), nh + nn, "one name per generator of N ⋊ H");
    assert_eq!(action.len(), nh, "one automorphism per generator of H");
    let order = h.order().saturating_mul(n.order());
    if order > max_order {
        return Err(PcError::Order {
            order,
            limit: max_order,
        });
    }
    let mut rels = Vec::new();
    for (p, offset) in [(h, 0), (n, nh)] {
        push_relations(p, offset, &mut rels);
    }
    for (i, images) in action.iter().enumerate() {
        assert_eq!(images.len(), nn, "one image per generator of N");
        for (j, image) in images.iter().enumerate() {
            assert_eq!(image.len(), nn, "an exponent vector of N");
            if *image != gen_power(nn, j, 1) {
                rels.push(PcRelation::Conjugate {
                    gen: nh + j,
                    by: i,
                    rhs: shifted_word(image, nh),
                });
            }
        }
    }
    let pc = presentation(names, &rels, max_order, max_work)?;
    pc.set_work_limit(max_work);
    Ok(pc)
}

/// The group with its elements listed (orders up to the element limit): the
/// generators' right-regular action on the exponent vectors, which
/// [`Group::from_cayley_graph`] numbers and tabulates.
pub fn listed(pc: &Pc, name: &str, limits: &Limits) -> Result<Group, GroupError> {
    let n = pc.len();
    let order = pc.order();
    if order > limits.max_elements as u128 {
        return Err(GroupError::TooManyElements {
            limit: limits.max_elements,
        });
    }
    let order = order as usize;
    limits.check_memory(group_bytes(order, n), || {
        format!(
            "the Cayley table of {order} elements ({order}² entries) with its generator columns"
        )
    })?;
    let mut right_mul = Vec::with_capacity(order * n);
    for id in 0..order {
        let x = pc.unrank(id as u64);
        for j in 0..n {
            let mut y = x.clone();
            pc.mul_gen(&mut y, j)
                .map_err(|e| GroupError::Invalid(e.to_string()))?;
            right_mul.push(pc.rank(&y) as u32);
        }
    }
    Group::from_cayley_graph(name, pc.names().to_vec(), order, &right_mul, 0, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pc(names: &[&str], relators: &[Word]) -> Result<Pc, PcError> {
        let rels: Vec<PcRelation> = relators
            .iter()
            .map(|w| classify(w).expect("a pc relation"))
            .collect();
        presentation(
            names.iter().map(|s| s.to_string()).collect(),
            &rels,
            1 << 20,
            1 << 24,
        )
    }

    #[test]
    fn relators_read_in_every_pc_form() {
        // a^2 = b, as GAP prints it and written the other way round.
        let power = PcRelation::Power {
            gen: 0,
            exp: 2,
            rhs: vec![(1, 1)],
        };
        assert_eq!(classify(&vec![(0, 2), (1, -1)]), Some(power.clone()));
        assert_eq!(classify(&vec![(1, 1), (0, -2)]), Some(power));
        // [b, a] = c and a^-1 b a = b c.
        let conj = PcRelation::Conjugate {
            gen: 1,
            by: 0,
            rhs: vec![(1, 1), (2, 1)],
        };
        assert_eq!(
            classify(&vec![(1, -1), (0, -1), (1, 1), (0, 1), (2, -1)]),
            Some(conj.clone())
        );
        assert_eq!(
            classify(&vec![(0, -1), (1, 1), (0, 1), (2, -1), (1, -1)]),
            Some(conj)
        );
        assert_eq!(classify(&vec![(0, 1), (1, 1), (0, 1)]), None);
    }

    #[test]
    fn s3_multiplies_as_permutations_do() {
        // f1 = (2,3), f2 = (1,2,3): f2^f1 = f2^2.
        let s3 = pc(
            &["f1", "f2"],
            &[
                vec![(0, 2)],
                vec![(1, -1), (0, -1), (1, 1), (0, 1), (1, -1)],
                vec![(1, 3)],
            ],
        )
        .unwrap();
        assert_eq!(s3.order(), 6);
        let perm = |x: &Exps| -> Vec<u32> {
            // f1^a f2^b as a permutation of 0..3, applied left to right.
            let f1 = [0u32, 2, 1];
            let f2 = [1u32, 2, 0];
            let mut p = vec![0u32, 1, 2];
            for _ in 0..x[0] {
                p = p.iter().map(|&i| f1[i as usize]).collect();
            }
            for _ in 0..x[1] {
                p = p.iter().map(|&i| f2[i as usize]).collect();
            }
            p
        };
        let all: Vec<Exps> = (0..2)
            .flat_map(|a| (0..3).map(move |b| vec![a, b]))
            .collect();
        for x in &all {
            for y in &all {
                let xy = s3.mul(x, y).unwrap();
                let want: Vec<u32> = perm(x).iter().map(|&i| perm(y)[i as usize]).collect();
                assert_eq!(perm(&xy), want, "{x:?}·{y:?}");
            }
            let inv = s3.inverse(x).unwrap();
            assert_eq!(s3.mul(x, &inv).unwrap(), vec![0, 0]);
        }
    }

    #[test]
    fn inconsistent_presentations_are_refused() {
        // b^a = b^2 with a^3 = 1 would make b^(2^3) = b, but b^8 = b^2.
        let err = pc(
            &["a", "b"],
            &[
                vec![(0, 3)],
                vec![(0, -1), (1, 1), (0, 1), (1, -2)],
                vec![(1, 3)],
            ],
        )
        .unwrap_err();
        assert!(matches!(err, PcError::Inconsistent(_)), "{err}");
        // A missing power relation and a right side outside G_{i+1}.
        assert!(matches!(
            pc(&["a", "b"], &[vec![(0, 2)]]).unwrap_err(),
            PcError::NoPower { gen: 1, .. }
        ));
    }

    /// Q8, S3 and the Heisenberg group mod 6 (relative orders 6, not
    /// prime), each with its own relations.
    fn factors() -> Vec<Pc> {
        let comm = |j: usize, i: usize, k: usize| vec![(j, -1), (i, -1), (j, 1), (i, 1), (k, -1)];
        vec![
            pc(
                &["a", "b", "c"],
                &[
                    vec![(0, 2), (2, -1)],
                    vec![(1, 2), (2, -1)],
                    vec![(2, 2)],
                    comm(1, 0, 2),
                ],
            )
            .unwrap(),
            pc(
                &["a", "b"],
                &[
                    vec![(0, 2)],
                    vec![(1, -1), (0, -1), (1, 1), (0, 1), (1, -1)],
                    vec![(1, 3)],
                ],
            )
            .unwrap(),
            pc(
                &["x", "y", "z"],
                &[vec![(0, 6)], vec![(1, 6)], vec![(2, 6)], comm(1, 0, 2)],
            )
            .unwrap(),
        ]
    }

    /// xorshift64*: exponent vectors for the tests, reproducibly.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u32) -> u32 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as u32 % n
        }

        fn exps(&mut self, pc: &Pc) -> Exps {
            pc.relative_orders()
                .iter()
                .map(|&p| self.below(p))
                .collect()
        }
    }

    fn product_names(parts: &[Pc]) -> Vec<String> {
        parts
            .iter()
            .enumerate()
            .flat_map(|(k, p)| p.names().iter().map(move |n| format!("{n}_{}", k + 1)))
            .collect()
    }

    #[test]
    fn direct_products_multiply_factor_by_factor() {
        let parts = factors();
        let refs: Vec<&Pc> = parts.iter().collect();
        let prod = direct_product(&refs, product_names(&parts), 1 << 40, 1 << 24).unwrap();
        // 8 · 6 · 216.
        assert_eq!(prod.order(), 10368);
        assert_eq!(prod.relative_orders(), &[2, 2, 2, 2, 3, 6, 6, 6]);
        assert_eq!(prod.names()[0], "a_1");
        assert_eq!(prod.names()[7], "z_3");
        let offsets = [0usize, 3, 5, 8];
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for _ in 0..500 {
            let xs: Vec<Exps> = parts.iter().map(|p| rng.exps(p)).collect();
            let ys: Vec<Exps> = parts.iter().map(|p| rng.exps(p)).collect();
            let x: Exps = xs.concat();
            let y: Exps = ys.concat();
            let xy = prod.mul(&x, &y).unwrap();
            let x_inv = prod.inverse(&x).unwrap();
            for (k, p) in parts.iter().enumerate() {
                let block = offsets[k]..offsets[k + 1];
                assert_eq!(
                    xy[block.clone()],
                    p.mul(&xs[k], &ys[k]).unwrap()[..],
                    "{x:?}·{y:?}"
                );
                assert_eq!(x_inv[block], p.inverse(&xs[k]).unwrap()[..], "{x:?}^-1");
            }
        }
        // The relations of each factor, moved to its own indices.
        for (k, p) in parts.iter().enumerate() {
            let o = offsets[k];
            for i in 0..p.len() {
                let want = p.power_relation(i).unwrap();
                let got = prod.power_relation(o + i).unwrap();
                assert_eq!(got[o..o + p.len()], want[..]);
                assert!(got
                    .iter()
                    .enumerate()
                    .all(|(m, &e)| e == 0 || (o..o + p.len()).contains(&m)));
                for j in i + 1..p.len() {
                    let got = prod.conjugate_relation(o + i, o + j).unwrap();
                    assert_eq!(got[o..o + p.len()], p.conjugate_relation(i, j).unwrap()[..]);
                }
            }
        }
        // Generators of different factors commute: a trivial conjugate
        // relation, and the two products collect to one normal word.
        let n = prod.len();
        let owner = |g: usize| offsets.iter().rposition(|&o| o <= g).unwrap();
        for i in 0..n {
            for j in i + 1..n {
                if owner(i) == owner(j) {
                    continue;
                }
                assert_eq!(prod.conjugate_relation(i, j), Some(&gen_power(n, j, 1)));
                let (gi, gj) = (gen_power(n, i, 1), gen_power(n, j, 1));
                let ij = prod.mul(&gi, &gj).unwrap();
                assert_eq!(ij, prod.mul(&gj, &gi).unwrap());
                let mut want = vec![0; n];
                want[i] = 1;
                want[j] = 1;
                assert_eq!(ij, want);
            }
        }
        // Within a factor, Q8's b and a do not commute in the product either.
        let (a, b) = (gen_power(n, 0, 1), gen_power(n, 1, 1));
        assert_ne!(prod.mul(&a, &b).unwrap(), prod.mul(&b, &a).unwrap());
    }

    #[test]
    fn direct_powers_and_their_limits() {
        // S3^3: order 216, and each copy's f2^f1 = f2^2 in its own place.
        let s3 = factors().swap_remove(1);
        let names: Vec<String> = (1..=6).map(|i| format!("g{i}")).collect();
        let cube = direct_product(&[&s3, &s3, &s3], names.clone(), 1 << 20, 1 << 24).unwrap();
        assert_eq!(cube.order(), 216);
        for c in 0..3 {
            let mut want = vec![0; 6];
            want[2 * c + 1] = 2;
            assert_eq!(cube.conjugate_relation(2 * c, 2 * c + 1), Some(&want));
        }
        // The order bound is checked before anything is built.
        assert_eq!(
            direct_product(&[&s3, &s3, &s3], names, 215, 1 << 24).unwrap_err(),
            PcError::Order {
                order: 216,
                limit: 215
            }
        );
        // The empty product is the trivial group.
        let one = direct_product(&[], Vec::new(), 1, 1).unwrap();
        assert_eq!(one.order(), 1);
        // Collection is bounded by the work limit.
        let parts = factors();
        let refs: Vec<&Pc> = parts.iter().collect();
        assert!(matches!(
            direct_product(&refs, product_names(&parts), 1 << 40, 10),
            Err(PcError::Work { limit: 10 })
        ));
    }

    #[test]
    fn semidirect_products_check_the_action() {
        // N = C4 × C4 = ⟨a, b⟩, H = C2 = ⟨t⟩.
        let n = pc(&["a", "b"], &[vec![(0, 4)], vec![(1, 4)]]).unwrap();
        let h = pc(&["t"], &[vec![(0, 2)]]).unwrap();
        let names = || vec!["t".to_string(), "a".into(), "b".into()];
        // Inversion: a ↦ a^3, b ↦ b^3. Order 32; t·a·t = a^-1 in it.
        let inv = vec![vec![vec![3, 0], vec![0, 3]]];
        let g = semidirect_product(&h, &n, &inv, names(), 1 << 20, 1 << 24).unwrap();
        assert_eq!(g.order(), 32);
        assert_eq!(g.conjugate_relation(0, 1), Some(&vec![0, 3, 0]));
        assert_eq!(g.conjugate_relation(1, 2), Some(&vec![0, 0, 1]));
        // t·a has order 2: (t a)^2 = t a t a = a^-1 a = 1.
        let ta = vec![1, 1, 0];
        assert_eq!(g.mul(&ta, &ta).unwrap(), g.identity());
        // The swap a ↔ b: C4 wr C2, where a·a^t = a·b commutes with t.
        let swap = vec![vec![vec![0, 1], vec![1, 0]]];
        let w = semidirect_product(&h, &n, &swap, names(), 1 << 20, 1 << 24).unwrap();
        assert_eq!(w.order(), 32);
        let t = vec![1, 0, 0];
        let ab = vec![0, 1, 1];
        assert_eq!(w.mul(&t, &ab).unwrap(), w.mul(&ab, &t).unwrap());
        // a ↦ a^2 is no automorphism of C4: inconsistent.
        let square = vec![vec![vec![2, 0], vec![0, 1]]];
        assert!(matches!(
            semidirect_product(&h, &n, &square, names(), 1 << 20, 1 << 24),
            Err(PcError::Inconsistent(_))
        ));
        // a ↦ b, b ↦ a^3 has order 4, so t^2 = 1 is not respected.
        let quarter = vec![vec![vec![0, 1], vec![3, 0]]];
        assert!(matches!(
            semidirect_product(&h, &n, &quarter, names(), 1 << 20, 1 << 24),
            Err(PcError::Inconsistent(_))
        ));
        // The order bound comes first.
        assert!(matches!(
            semidirect_product(&h, &n, &inv, names(), 31, 1 << 24),
            Err(PcError::Order { order: 32, .. })
        ));
        // Composing the swap with itself is the identity; image() applies
        // an endomorphism.
        let sw = &swap[0];
        assert_eq!(n.compose(sw, sw).unwrap(), vec![vec![1, 0], vec![0, 1]]);
        assert_eq!(n.image(&inv[0], &vec![1, 2]).unwrap(), vec![3, 2]);
    }
}
