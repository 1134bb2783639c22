//! Direct and semidirect products, with the check that an action is a
//! homomorphism into Aut(N).
//!
//! Convention for `N : H` (products read left to right, as everywhere):
//! the action of a generator y of H is given by the images of N's generators
//! under φ_y(a) = y^-1·a·y. Then φ_{k1·k2} = φ_{k2} ∘ φ_{k1} ("apply φ_{k1}
//! first"), so k ↦ φ_k is a homomorphism H → Aut(N) when automorphisms are
//! composed left to right, like permutations. An element n·k of N:H is the
//! pair (n, k), and since k·n2 = (k·n2·k^-1)·k = φ_{k^-1}(n2)·k,
//!
//! ```text
//! (n1, k1)·(n2, k2) = (n1·φ_{k1}^{-1}(n2), k1·k2).
//! ```

use super::{group_bytes, Elem, Group, GroupError, Limits, Word};
use thiserror::Error;

/// Why a semidirect product's action is rejected. Generator indices are
/// positions in N's and H's generator lists, so a front end can point at
/// the offending image or relation in the source.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ActionError {
    #[error("the action gives images for {given} generator(s) of H, but H has {expected}")]
    ActionCount { expected: usize, given: usize },
    #[error(
        "the action of {h_gen_name} gives {given} image(s), but N has {expected} generator(s)"
    )]
    ImageCount {
        h_gen: usize,
        h_gen_name: String,
        expected: usize,
        given: usize,
    },
    #[error("the image of {n_gen_name} under {h_gen_name} uses generator number {index}, but N has {n_gens} generator(s)")]
    UnknownGenerator {
        h_gen: usize,
        h_gen_name: String,
        n_gen: usize,
        n_gen_name: String,
        index: usize,
        n_gens: usize,
    },
    #[error("the images of N's generators under {h_gen_name} do not define a homomorphism N → N: N's relation {relator} = 1 does not hold for the images")]
    NotHomomorphism {
        h_gen: usize,
        h_gen_name: String,
        /// The generator of N that closes the failing relation.
        n_gen: usize,
        n_gen_name: String,
        relator: String,
        relator_word: Word,
    },
    #[error("the images of N's generators under {h_gen_name} define a homomorphism N → N that is not bijective (its image has {image_order} of N's {order} elements), so it is not an automorphism")]
    NotBijective {
        h_gen: usize,
        h_gen_name: String,
        image_order: usize,
        order: usize,
    },
    #[error("the action does not respect H's relation {relator} = 1: the automorphisms of its letters, composed, move N's generator {n_gen_name}")]
    NotHomomorphismFromH {
        /// The generator of H that closes the failing relation.
        h_gen: usize,
        h_gen_name: String,
        /// The first generator of N the composed automorphism moves.
        n_gen: usize,
        n_gen_name: String,
        relator: String,
        relator_word: Word,
    },
    #[error(transparent)]
    Group(#[from] GroupError),
}

/// The direct product of `factors`. Its generators are the factors'
/// generators in order; `gen_names` names them, one per generator.
pub fn direct(
    name: &str,
    factors: &[&Group],
    gen_names: Vec<String>,
    limits: &Limits,
) -> Result<Group, GroupError> {
    let total_gens: usize = factors.iter().map(|f| f.generators().len()).sum();
    if gen_names.len() != total_gens {
        return Err(GroupError::Invalid(format!(
            "the direct product has {total_gens} generators but {} names were given",
            gen_names.len()
        )));
    }
    let n = checked_order(factors.iter().map(|f| f.order()), limits)?;
    limits.check_memory(
        group_bytes(n, total_gens) + 4 * (n as u128) * (total_gens as u128),
        || format!("the direct product's {n} elements with {total_gens} generators"),
    )?;
    // Mixed radix: element = Σ component_i · stride_i.
    let mut strides = Vec::with_capacity(factors.len());
    let mut s = 1;
    for f in factors {
        strides.push(s);
        s *= f.order();
    }
    let mut right_mul = Vec::with_capacity(n * total_gens);
    for x in 0..n {
        for (f, &stride) in factors.iter().zip(&strides) {
            let comp = (x / stride) % f.order();
            for &g in f.generators() {
                let c2 = f.mul(comp as Elem, g) as usize;
                right_mul.push((x - comp * stride + c2 * stride) as u32);
            }
        }
    }
    Group::from_cayley_graph(name, gen_names, n, &right_mul, 0, limits)
}

/// The semidirect product N : H where `action[j][i]` is the image of N's
/// generator i under φ_y = (a ↦ y^-1·a·y) for H's generator y = j, written
/// as a word in N's generators. See the module documentation for the
/// multiplication rule. The product's generators are N's, then H's.
///
/// The action is checked: each φ_y must be an automorphism of N, and
/// y ↦ φ_y must respect H's relations; a failure names the relation.
pub fn semidirect(
    name: &str,
    n: &Group,
    h: &Group,
    action: &[Vec<Word>],
    gen_names: Vec<String>,
    limits: &Limits,
) -> Result<Group, ActionError> {
    let (sn, sh) = (n.generators().len(), h.generators().len());
    let (on, oh) = (n.order(), h.order());
    if gen_names.len() != sn + sh {
        return Err(GroupError::Invalid(format!(
            "the semidirect product has {} generators but {} names were given",
            sn + sh,
            gen_names.len()
        ))
        .into());
    }
    let order = checked_order([on, oh], limits)?;
    let s = (sn + sh) as u128;
    limits.check_memory(
        group_bytes(order, sn + sh)
            + 4 * order as u128 * s
            + 4 * (sh as u128 * on as u128 + oh as u128 * sn as u128),
        || {
            format!(
                "the semidirect product's {order} elements with {} generators",
                sn + sh
            )
        },
    )?;
    let Automorphisms { big_phi, .. } = automorphisms(n, h, action)?;

    // Element (a, k) has index a + |N|·k; (0, 0) is the identity.
    let mut right_mul = Vec::with_capacity(order * (sn + sh));
    for k in 0..oh as Elem {
        let kinv = h.inv(k) as usize;
        for a in 0..on as Elem {
            // (a, k)·(a_i, 1) = (a·φ_{k^-1}(a_i), k)
            for i in 0..sn {
                right_mul.push(n.mul(a, big_phi[kinv * sn + i]) + (on * k as usize) as u32);
            }
            // (a, k)·(1, y) = (a, k·y)
            for &y in h.generators() {
                right_mul.push(a + (on * h.mul(k, y) as usize) as u32);
            }
        }
    }
    Ok(Group::from_cayley_graph(
        name, gen_names, order, &right_mul, 0, limits,
    )?)
}

/// The action of H on N, checked: φ_y on all of N for each generator y
/// of H, and Φ_k(a_i) for every k in H and generator a_i of N.
pub struct Automorphisms {
    /// `phi[j][x]` = φ_{y_j}(x).
    pub phi: Vec<Vec<Elem>>,
    /// `big_phi[k * sn + i]` = Φ_k(a_i), sn = N's generator count.
    pub big_phi: Vec<Elem>,
}

impl Automorphisms {
    /// Whether only H's identity acts trivially on N.
    pub fn faithful(&self, n: &Group, h: &Group) -> bool {
        match n.generators().len() {
            0 => h.order() == 1,
            sn => self
                .big_phi
                .chunks(sn)
                .skip(1)
                .all(|row| row != &self.big_phi[..sn]),
        }
    }
}

/// Check the action of a semidirect product N : H (see [`semidirect`]):
/// each φ_y an automorphism of N, y ↦ φ_y respecting H's relations. Takes
/// |N|·|H's generators| + |H|·|N's generators| entries, both groups
/// listed.
pub fn automorphisms(
    n: &Group,
    h: &Group,
    action: &[Vec<Word>],
) -> Result<Automorphisms, ActionError> {
    let (sn, sh) = (n.generators().len(), h.generators().len());
    let (on, oh) = (n.order(), h.order());
    if action.len() != sh {
        return Err(ActionError::ActionCount {
            expected: sh,
            given: action.len(),
        });
    }
    let n_name = |i: usize| {
        n.generator_names()
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("#{}", i + 1))
    };
    let h_name = |j: usize| {
        h.generator_names()
            .get(j)
            .cloned()
            .unwrap_or_else(|| format!("#{}", j + 1))
    };

    // φ_y on all of N, for each generator y of H.
    let n_tree = bfs(n);
    let mut phi: Vec<Vec<Elem>> = Vec::with_capacity(sh);
    for (j, images) in action.iter().enumerate() {
        if images.len() != sn {
            return Err(ActionError::ImageCount {
                h_gen: j,
                h_gen_name: h_name(j),
                expected: sn,
                given: images.len(),
            });
        }
        for (i, w) in images.iter().enumerate() {
            if let Some(&(index, _)) = w.iter().find(|&&(g, _)| g >= sn) {
                return Err(ActionError::UnknownGenerator {
                    h_gen: j,
                    h_gen_name: h_name(j),
                    n_gen: i,
                    n_gen_name: n_name(i),
                    index: index + 1,
                    n_gens: sn,
                });
            }
        }
        let img: Vec<Elem> = images.iter().map(|w| n.eval_word(w)).collect();
        let map = extend_automorphism(n, &n_tree, &img).map_err(|e| match e {
            NotAutomorphism::Homomorphism { x, gen: i, y } => {
                let relator_word = closing_relator(&n_tree, x, i, y);
                ActionError::NotHomomorphism {
                    h_gen: j,
                    h_gen_name: h_name(j),
                    n_gen: i,
                    n_gen_name: n_name(i),
                    relator: render(&relator_word, n.generator_names()),
                    relator_word,
                }
            }
            NotAutomorphism::Onto { image_order } => ActionError::NotBijective {
                h_gen: j,
                h_gen_name: h_name(j),
                image_order,
                order: on,
            },
        })?;
        phi.push(map);
    }

    // Φ_k(a_i) for every k in H: Φ_{k·y} = φ_y ∘ Φ_k (apply Φ_k first).
    // Checking every edge k·y of H's Cayley graph checks all of H's
    // relations, as above.
    let h_tree = bfs(h);
    let mut big_phi = vec![0 as Elem; oh * sn];
    for (i, slot) in big_phi[..sn].iter_mut().enumerate() {
        *slot = n.generators()[i];
    }
    for &k in &h_tree.order[1..] {
        let (p, j) = h_tree.parent[k as usize];
        for i in 0..sn {
            big_phi[k as usize * sn + i] = phi[j][big_phi[p as usize * sn + i] as usize];
        }
    }
    for &k in &h_tree.order {
        for (j, &y) in h.generators().iter().enumerate() {
            let m = h.mul(k, y);
            for i in 0..sn {
                if phi[j][big_phi[k as usize * sn + i] as usize] != big_phi[m as usize * sn + i] {
                    let relator_word = closing_relator(&h_tree, k, j, m);
                    return Err(ActionError::NotHomomorphismFromH {
                        h_gen: j,
                        h_gen_name: h_name(j),
                        n_gen: i,
                        n_gen_name: n_name(i),
                        relator: render(&relator_word, h.generator_names()),
                        relator_word,
                    });
                }
            }
        }
    }

    Ok(Automorphisms { phi, big_phi })
}

/// A faithful permutation representation of N : H (both listed, the action
/// checked by [`automorphisms`]), for products past the element limit.
/// G acts on the right cosets of H, one per element x of N (Hx): N's
/// generator a by x ↦ x·a, H's generator y by x ↦ φ_y(x) (Hx·y = Hy·x^y).
/// The kernel is the part of H that acts trivially on N; when it is not
/// trivial, H's own action ([`Group::action_perms`]) is added on further
/// points, where N acts trivially. Returns the degree and the generators,
/// N's then H's.
pub fn semidirect_perms(n: &Group, h: &Group, act: &Automorphisms) -> (usize, Vec<Vec<u32>>) {
    let on = n.order();
    let h_perms = if act.faithful(n, h) {
        Vec::new()
    } else {
        h.action_perms()
    };
    let extra = if h_perms.is_empty() {
        0
    } else {
        h.action_degree()
    };
    let degree = on + extra;
    let mut gens = Vec::with_capacity(n.generators().len() + h.generators().len());
    for &a in n.generators() {
        let mut p: Vec<u32> = (0..on as Elem).map(|x| n.mul(x, a)).collect();
        p.extend(on as u32..degree as u32);
        gens.push(p);
    }
    for (j, phi) in act.phi.iter().enumerate() {
        let mut p = phi.clone();
        if let Some(hp) = h_perms.get(j) {
            p.extend(hp.iter().map(|&x| x + on as u32));
        }
        gens.push(p);
    }
    (degree, gens)
}

/// Product of orders, checked against the element limit before anything
/// of that size is allocated.
fn checked_order(
    orders: impl IntoIterator<Item = usize>,
    limits: &Limits,
) -> Result<usize, GroupError> {
    let too_many = GroupError::TooManyElements {
        limit: limits.max_elements,
    };
    let mut n: usize = 1;
    for o in orders {
        n = n.checked_mul(o).ok_or(too_many.clone())?;
        if n > limits.max_elements {
            return Err(too_many);
        }
    }
    Ok(n)
}

/// Why images of a group's generators extend to no automorphism.
pub(crate) enum NotAutomorphism {
    /// map(x)·img[gen] ≠ map(y) on the edge x·g_gen = y.
    Homomorphism { x: Elem, gen: usize, y: Elem },
    /// The map is a homomorphism onto a proper subgroup of this order.
    Onto { image_order: usize },
}

/// The endomorphism of `n` sending generator i to `img[i]`, on all its
/// elements, when it is an automorphism: extended along `tree` (n's
/// [`bfs`]), then every edge x·g_i checked (the non-tree edges are
/// relators that generate all of n's relations), then checked onto.
pub(crate) fn extend_automorphism(
    n: &Group,
    tree: &Tree,
    img: &[Elem],
) -> Result<Vec<Elem>, NotAutomorphism> {
    let on = n.order();
    let mut map = vec![0 as Elem; on];
    for &x in &tree.order[1..] {
        let (p, i) = tree.parent[x as usize];
        map[x as usize] = n.mul(map[p as usize], img[i]);
    }
    for &x in &tree.order {
        for (i, &g) in n.generators().iter().enumerate() {
            let y = n.mul(x, g);
            if n.mul(map[x as usize], img[i]) != map[y as usize] {
                return Err(NotAutomorphism::Homomorphism { x, gen: i, y });
            }
        }
    }
    let mut seen = vec![false; on];
    for &v in &map {
        seen[v as usize] = true;
    }
    let image_order = seen.iter().filter(|&&b| b).count();
    if image_order != on {
        return Err(NotAutomorphism::Onto { image_order });
    }
    Ok(map)
}

/// Breadth-first spanning tree of a group's Cayley graph over its
/// generators (positive letters suffice in a finite group).
pub(crate) struct Tree {
    pub(crate) order: Vec<Elem>,
    /// `parent[x] = (p, i)` with p·g_i = x; the identity's entry is unused.
    pub(crate) parent: Vec<(Elem, usize)>,
}

pub(crate) fn bfs(g: &Group) -> Tree {
    let mut parent = vec![(Elem::MAX, 0); g.order()];
    parent[0] = (0, 0);
    let mut order = vec![0 as Elem];
    let mut head = 0;
    while head < order.len() {
        let x = order[head];
        head += 1;
        for (i, &s) in g.generators().iter().enumerate() {
            let y = g.mul(x, s);
            if y != 0 && parent[y as usize].0 == Elem::MAX {
                parent[y as usize] = (x, i);
                order.push(y);
            }
        }
    }
    Tree { order, parent }
}

/// Tree word of x (generator indices).
pub(crate) fn tree_word(t: &Tree, mut x: Elem) -> Vec<usize> {
    let mut w = Vec::new();
    while x != 0 {
        let (p, i) = t.parent[x as usize];
        w.push(i);
        x = p;
    }
    w.reverse();
    w
}

/// The relator word(x)·g_i·word(y)^-1 of the edge x·g_i = y, freely and
/// cyclically reduced, with powers collected.
fn closing_relator(t: &Tree, x: Elem, i: usize, y: Elem) -> Word {
    let mut letters: Vec<(usize, i64)> = Vec::new();
    let seq = tree_word(t, x)
        .into_iter()
        .map(|g| (g, 1))
        .chain(std::iter::once((i, 1)))
        .chain(tree_word(t, y).into_iter().rev().map(|g| (g, -1)));
    for l in seq {
        match letters.last() {
            Some(&(g, e)) if g == l.0 && e == -l.1 => {
                letters.pop();
            }
            _ => letters.push(l),
        }
    }
    let (mut lo, mut hi) = (0, letters.len());
    while hi - lo >= 2 && letters[lo].0 == letters[hi - 1].0 && letters[lo].1 == -letters[hi - 1].1
    {
        lo += 1;
        hi -= 1;
    }
    let mut word: Word = Vec::new();
    for &(g, e) in &letters[lo..hi] {
        match word.last_mut() {
            Some((lg, le)) if *lg == g => *le += e,
            _ => word.push((g, e)),
        }
    }
    word
}

/// "b^-1*a*b*a" from a word and generator names.
fn render(w: &[(usize, i64)], names: &[String]) -> String {
    if w.is_empty() {
        return "e".into();
    }
    w.iter()
        .map(|&(g, e)| {
            let name = names
                .get(g)
                .cloned()
                .unwrap_or_else(|| format!("#{}", g + 1));
            if e == 1 {
                name
            } else {
                format!("{name}^{e}")
            }
        })
        .collect::<Vec<_>>()
        .join("*")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::perm::{from_cycles, group_from_permutations};

    fn lim() -> Limits {
        Limits::default()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn perm_group(name: &str, degree: usize, gens: &[&[&[u32]]]) -> Group {
        let perms: Vec<_> = gens
            .iter()
            .map(|cycles| {
                let cs: Vec<Vec<u32>> = cycles
                    .iter()
                    .map(|c| c.iter().map(|&p| p - 1).collect())
                    .collect();
                from_cycles(degree, &cs).unwrap()
            })
            .collect();
        let names: Vec<String> = (0..gens.len())
            .map(|i| ((b'a' + i as u8) as char).to_string())
            .collect();
        group_from_permutations(name, names, &perms, &lim()).unwrap()
    }

    fn cyclic(n: u32, gen: &str) -> Group {
        let cycle: Vec<u32> = (1..=n).collect();
        let g = perm_group("C", n as usize, &[&[&cycle]]);
        Group::from_cayley_graph(
            "C",
            s(&[gen]),
            g.order(),
            &(0..g.order() as u32)
                .map(|x| g.mul(x, g.generators()[0]))
                .collect::<Vec<_>>(),
            0,
            &lim(),
        )
        .unwrap()
    }

    fn order_stats(g: &Group) -> Vec<usize> {
        let mut v: Vec<usize> = g.elements().map(|x| g.element_order(x)).collect();
        v.sort_unstable();
        v
    }

    /// In N:H, y^-1·a·y must equal the given image, by group multiplication.
    fn action_holds(g: &Group, sn: usize, action: &[Vec<Word>]) -> bool {
        let gens = g.generators();
        action.iter().enumerate().all(|(j, images)| {
            let y = gens[sn + j];
            images.iter().enumerate().all(|(i, w)| {
                let img = g.eval_word(w); // N's generators come first
                g.mul(g.mul(g.inv(y), gens[i]), y) == img
            })
        })
    }

    #[test]
    fn c3_by_c2_inverting_is_s3() {
        let action = vec![vec![vec![(0, -1)]]];
        let g = semidirect(
            "S3",
            &cyclic(3, "a"),
            &cyclic(2, "b"),
            &action,
            s(&["a", "b"]),
            &lim(),
        )
        .unwrap();
        assert_eq!(g.order(), 6);
        assert!(!g.is_abelian());
        assert!(action_holds(&g, 1, &action));
        let s3 = perm_group("S3", 3, &[&[&[1, 2, 3]], &[&[1, 2]]]);
        assert_eq!(order_stats(&g), order_stats(&s3));
    }

    #[test]
    fn c7_by_c3_is_order_21_nonabelian() {
        let action = vec![vec![vec![(0, 2)]]];
        let g = semidirect(
            "F21",
            &cyclic(7, "a"),
            &cyclic(3, "b"),
            &action,
            s(&["a", "b"]),
            &lim(),
        )
        .unwrap();
        assert_eq!(g.order(), 21);
        assert!(!g.is_abelian());
        assert!(action_holds(&g, 1, &action));
        // The Frobenius group of order 21: 6 elements of order 7, 14 of order 3.
        let st = order_stats(&g);
        assert_eq!(st.iter().filter(|&&o| o == 7).count(), 6);
        assert_eq!(st.iter().filter(|&&o| o == 3).count(), 14);
    }

    #[test]
    fn c4_by_c2_inverting_is_d8() {
        let action = vec![vec![vec![(0, -1)]]];
        let g = semidirect(
            "D8",
            &cyclic(4, "a"),
            &cyclic(2, "b"),
            &action,
            s(&["a", "b"]),
            &lim(),
        )
        .unwrap();
        assert!(action_holds(&g, 1, &action));
        // D8 = <(1,2,3,4), (1,3)>: 5 involutions (Q8 would have 1).
        let d8 = perm_group("D8", 4, &[&[&[1, 2, 3, 4]], &[&[1, 3]]]);
        assert_eq!(order_stats(&g), order_stats(&d8));
        assert_eq!(order_stats(&g).iter().filter(|&&o| o == 2).count(), 5);
    }

    #[test]
    fn trivial_action_is_direct() {
        let action = vec![vec![vec![(0, 1)]]];
        let g = semidirect(
            "C6",
            &cyclic(3, "a"),
            &cyclic(2, "b"),
            &action,
            s(&["a", "b"]),
            &lim(),
        )
        .unwrap();
        assert_eq!(g.order(), 6);
        assert!(g.is_abelian());
        assert_eq!(
            g.element_order(g.mul(g.generators()[0], g.generators()[1])),
            6
        );
    }

    #[test]
    fn nonabelian_kernel_and_two_generator_complement() {
        // (C2 x C2) : S3 with S3 acting as Aut(C2 x C2) = S4.
        // N = <x, y>; H = S3 = <r (order 3), t (order 2)>:
        // r: x -> y, y -> x*y; t: x -> y, y -> x.
        let n = direct(
            "V4",
            &[&cyclic(2, "x"), &cyclic(2, "y")],
            s(&["x", "y"]),
            &lim(),
        )
        .unwrap();
        let h = perm_group("S3", 3, &[&[&[1, 2, 3]], &[&[1, 2]]]);
        let action = vec![
            vec![vec![(1, 1)], vec![(0, 1), (1, 1)]],
            vec![vec![(1, 1)], vec![(0, 1)]],
        ];
        let g = semidirect("S4", &n, &h, &action, s(&["x", "y", "r", "t"]), &lim()).unwrap();
        assert!(action_holds(&g, 2, &action));
        let s4 = perm_group("S4", 4, &[&[&[1, 2, 3, 4]], &[&[1, 2]]]);
        assert_eq!(order_stats(&g), order_stats(&s4));
    }

    #[test]
    fn direct_products() {
        let g = direct(
            "C2xC3",
            &[&cyclic(2, "a"), &cyclic(3, "b")],
            s(&["a", "b"]),
            &lim(),
        )
        .unwrap();
        assert_eq!(g.order(), 6);
        assert!(g.is_abelian());
        let s3 = perm_group("S3", 3, &[&[&[1, 2, 3]], &[&[1, 2]]]);
        let g = direct(
            "S3xC2",
            &[&s3, &cyclic(2, "c")],
            s(&["a", "b", "c"]),
            &lim(),
        )
        .unwrap();
        assert_eq!(g.order(), 12);
        // D12 ≅ S3 x C2: 7 involutions, 2 elements of order 3, 2 of order 6.
        let st = order_stats(&g);
        let count = |k| st.iter().filter(|&&o| o == k).count();
        assert_eq!((count(1), count(2), count(3), count(6)), (1, 7, 2, 2));
        // Generators are the factors' generators, in order.
        assert_eq!(g.element_order(g.generators()[0]), 3);
        assert_eq!(g.element_order(g.generators()[1]), 2);
        assert_eq!(g.element_order(g.generators()[2]), 2);
        assert_eq!(g.comm(g.generators()[0], g.generators()[2]), 0);
        assert_eq!(direct("1", &[], vec![], &lim()).unwrap().order(), 1);
    }

    #[test]
    fn direct_product_limits() {
        let small = Limits {
            max_elements: 5,
            ..lim()
        };
        assert_eq!(
            direct(
                "x",
                &[&cyclic(2, "a"), &cyclic(3, "b")],
                s(&["a", "b"]),
                &small
            ),
            Err(GroupError::TooManyElements { limit: 5 })
        );
        assert!(matches!(
            direct("x", &[&cyclic(2, "a")], s(&[]), &lim()),
            Err(GroupError::Invalid(_))
        ));
    }

    #[test]
    fn not_a_homomorphism_names_the_relation() {
        // S3 = <a, b> with a = (1,2,3), b = (1,2); swapping a and b breaks b^2 = 1.
        let n = perm_group("S3", 3, &[&[&[1, 2, 3]], &[&[1, 2]]]);
        let action = vec![vec![vec![(1, 1)], vec![(0, 1)]]];
        let err = semidirect(
            "x",
            &n,
            &cyclic(2, "t"),
            &action,
            s(&["a", "b", "t"]),
            &lim(),
        )
        .unwrap_err();
        match &err {
            ActionError::NotHomomorphism {
                h_gen,
                n_gen,
                relator,
                relator_word,
                ..
            } => {
                assert_eq!((*h_gen, *n_gen), (0, 1));
                assert_eq!(relator, "b^2");
                // The relator holds in N and fails for the images, by multiplication.
                assert_eq!(n.eval_word(relator_word), 0);
            }
            e => panic!("unexpected {e:?}"),
        }
        assert!(err.to_string().contains("b^2"));
    }

    #[test]
    fn non_bijective_image_is_rejected() {
        // a -> a^2 is an endomorphism of C4 with image of order 2.
        let action = vec![vec![vec![(0, 2)]]];
        let err = semidirect(
            "x",
            &cyclic(4, "a"),
            &cyclic(2, "b"),
            &action,
            s(&["a", "b"]),
            &lim(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            ActionError::NotBijective {
                h_gen: 0,
                h_gen_name: "b".into(),
                image_order: 2,
                order: 4
            }
        );
    }

    #[test]
    fn action_must_respect_relations_of_h() {
        // a -> a^2 has order 3 in Aut(C7), but b has order 2: b^2 fails.
        let action = vec![vec![vec![(0, 2)]]];
        let err = semidirect(
            "x",
            &cyclic(7, "a"),
            &cyclic(2, "b"),
            &action,
            s(&["a", "b"]),
            &lim(),
        )
        .unwrap_err();
        match err {
            ActionError::NotHomomorphismFromH {
                h_gen,
                n_gen,
                relator,
                ..
            } => {
                assert_eq!((h_gen, n_gen), (0, 0));
                assert_eq!(relator, "b^2");
            }
            e => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn malformed_actions_are_errors() {
        let (c3, c2) = (cyclic(3, "a"), cyclic(2, "b"));
        let names = s(&["a", "b"]);
        assert!(matches!(
            semidirect("x", &c3, &c2, &[], names.clone(), &lim()),
            Err(ActionError::ActionCount {
                expected: 1,
                given: 0
            })
        ));
        assert!(matches!(
            semidirect("x", &c3, &c2, &[vec![]], names.clone(), &lim()),
            Err(ActionError::ImageCount {
                expected: 1,
                given: 0,
                ..
            })
        ));
        assert!(matches!(
            semidirect("x", &c3, &c2, &[vec![vec![(3, 1)]]], names.clone(), &lim()),
            Err(ActionError::UnknownGenerator { index: 4, .. })
        ));
        let small = Limits {
            max_elements: 5,
            ..lim()
        };
        assert_eq!(
            semidirect("x", &c3, &c2, &[vec![vec![(0, -1)]]], names, &small),
            Err(ActionError::Group(GroupError::TooManyElements { limit: 5 }))
        );
    }
}
