//! The group engine's core: a finite group as a canonically numbered set of
//! elements with a full Cayley table.
//!
//! Every way of building a group (permutations, coset enumeration, products)
//! ends in [`Group::from_cayley_graph`]: the right-multiplication action of
//! the generators on the elements. From it the elements are renumbered in
//! shortlex order of their shortest words over the alphabet
//! `g1, g1^-1, g2, g2^-1, …` (identity = 0), which makes the numbering — and
//! so every output — independent of how the group was built.
//!
//! Products read left to right: `table[g][h] = g·h`, and for permutations
//! `p·q` applies p first (GAP's convention).

pub mod bsgs;
pub mod coset;
pub mod faithful;
pub mod pc;
pub mod pc_action;
pub mod pc_quotient;
pub mod pcgs;
pub mod perm;
pub mod product;

use thiserror::Error;

/// Element id: index into the canonical numbering, 0 is the identity.
pub type Elem = u32;

/// A word in a group's generators: (generator index, exponent) pairs, read
/// left to right. `[(0, 2), (1, -1)]` is a^2*b^-1.
pub type Word = Vec<(usize, i64)>;

/// Limits that end group construction with a clear error instead of a hang
/// or an allocation the machine cannot make.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most elements a group may have (its Cayley table has this squared).
    pub max_elements: usize,
    /// Most cosets coset enumeration may define.
    pub max_cosets: usize,
    /// Most letters a relator may expand to.
    pub max_word_len: usize,
    /// Most bytes the tables of one construction (Cayley table, coset
    /// table, generator and inverse columns, element labels) may take;
    /// checked before they are allocated.
    pub max_memory: usize,
    /// Most point operations one stabiliser chain (a permutation group past
    /// `max_elements`) may spend being built.
    pub max_chain_work: u64,
    /// Most collection steps the structure of one pc group past
    /// `max_elements` may take (its subgroups as induced pc sequences).
    pub max_pc_work: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_elements: 4096,
            max_cosets: 2_000_000,
            max_word_len: 100_000,
            max_memory: 2 << 30,
            max_chain_work: bsgs::DEFAULT_MAX_WORK,
            max_pc_work: pc::DEFAULT_MAX_WORK,
        }
    }
}

impl Limits {
    /// Fail unless `bytes` fit in the memory budget; `what` names the
    /// tables for the error.
    pub fn check_memory(
        &self,
        bytes: u128,
        what: impl FnOnce() -> String,
    ) -> Result<(), GroupError> {
        if bytes > self.max_memory as u128 {
            return Err(GroupError::TooMuchMemory {
                what: what(),
                bytes,
                limit: self.max_memory,
            });
        }
        Ok(())
    }
}

/// Bytes [`Group::from_cayley_graph`] allocates for `n` elements and `s`
/// generators, labels aside: the n×n Cayley table, the inverse and
/// generator columns, and the breadth-first search's arrays.
pub fn group_bytes(n: usize, s: usize) -> u128 {
    let (n, s) = (n as u128, s as u128);
    4 * n * n + 12 * n * s + 32 * n
}

pub use gssm_runtime::chain::format_bytes;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum GroupError {
    #[error("the group has more than {limit} elements (raise the limit with --max-elements)")]
    TooManyElements { limit: usize },
    #[error("coset enumeration exceeded {limit} cosets: the presentation may define an infinite or very large group (raise the limit with --max-cosets)")]
    TooManyCosets { limit: usize },
    /// `what` would take `bytes`, more than `limit` allows.
    #[error("{what} would take {}, more than the memory limit of {} (raise it with --max-memory)", format_bytes(*bytes), format_bytes(*limit as u128))]
    TooMuchMemory {
        what: String,
        bytes: u128,
        limit: usize,
    },
    #[error("{0}")]
    Invalid(String),
}

/// A finite group with canonically numbered elements.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub name: String,
    order: usize,
    table: Vec<Elem>,
    inverse: Vec<Elem>,
    generators: Vec<Elem>,
    gen_names: Vec<String>,
    labels: Vec<String>,
    /// When the group was written as permutations: each generator's images
    /// of the points 0..degree, in generator order.
    source_perms: Option<Vec<Vec<u32>>>,
}

impl Group {
    /// Build from the right-regular action of named generators:
    /// `right_mul[x * s + j]` is the element x·g_j, over `n` elements with
    /// `identity` among them. Every element must be reachable from the
    /// identity, and each column must be a permutation.
    pub fn from_cayley_graph(
        name: impl Into<String>,
        gen_names: Vec<String>,
        n: usize,
        right_mul: &[u32],
        identity: u32,
        limits: &Limits,
    ) -> Result<Group, GroupError> {
        let s = gen_names.len();
        if n > limits.max_elements {
            return Err(GroupError::TooManyElements {
                limit: limits.max_elements,
            });
        }
        if right_mul.len() != n * s || identity as usize >= n {
            return Err(GroupError::Invalid("malformed Cayley graph".into()));
        }
        limits.check_memory(group_bytes(n, s), || {
            format!("the Cayley table of {n} elements ({n}² entries) with its generator columns")
        })?;
        // Inverse columns: x·g^-1.
        let mut right_inv = vec![u32::MAX; n * s];
        for x in 0..n {
            for j in 0..s {
                let y = right_mul[x * s + j] as usize;
                if y >= n || right_inv[y * s + j] != u32::MAX {
                    return Err(GroupError::Invalid(
                        "generator action is not a permutation".into(),
                    ));
                }
                right_inv[y * s + j] = x as u32;
            }
        }
        // Alphabet: g1, g1^-1, g2, g2^-1, … (inverse skipped for involutions
        // so every word is shortlex-least). Letters are indexed by u32: a
        // group may have more than 2^16 of them.
        let mut letters: Vec<(usize, bool)> = Vec::with_capacity(2 * s);
        for j in 0..s {
            letters.push((j, false));
            let involution = (0..n).all(|x| right_mul[x * s + j] == right_inv[x * s + j]);
            if !involution {
                letters.push((j, true));
            }
        }
        let step = |x: usize, (j, inv): (usize, bool)| -> usize {
            if inv {
                right_inv[x * s + j] as usize
            } else {
                right_mul[x * s + j] as usize
            }
        };
        // BFS from the identity in shortlex order.
        let mut new_id = vec![u32::MAX; n];
        let mut old_of = Vec::with_capacity(n);
        let mut parent: Vec<(u32, u32)> = Vec::with_capacity(n);
        new_id[identity as usize] = 0;
        old_of.push(identity as usize);
        parent.push((u32::MAX, 0));
        let mut head = 0;
        while head < old_of.len() {
            let x = old_of[head];
            for (li, &l) in letters.iter().enumerate() {
                let y = step(x, l);
                if new_id[y] == u32::MAX {
                    new_id[y] = old_of.len() as u32;
                    old_of.push(y);
                    parent.push((head as u32, li as u32));
                }
            }
            head += 1;
        }
        if old_of.len() != n {
            return Err(GroupError::Invalid(format!(
                "only {} of {n} elements are reachable from the identity",
                old_of.len()
            )));
        }
        // Generator columns in the new numbering.
        let mut gen_cols = vec![0u32; n * letters.len()];
        for x in 0..n {
            for (li, &l) in letters.iter().enumerate() {
                gen_cols[x * letters.len() + li] = new_id[step(old_of[x], l)];
            }
        }
        // Cayley table row by row: g·h = (g·parent(h))·letter(h).
        let nl = letters.len();
        let mut table = vec![0u32; n * n];
        for g in 0..n {
            let row = &mut table[g * n..(g + 1) * n];
            row[0] = g as u32;
            for h in 1..n {
                let (p, li) = parent[h];
                row[h] = gen_cols[row[p as usize] as usize * nl + li as usize];
            }
        }
        let mut inverse = vec![0u32; n];
        for g in 0..n {
            let h = table[g * n..(g + 1) * n]
                .iter()
                .position(|&x| x == 0)
                .expect("group row holds identity");
            inverse[g] = h as u32;
        }
        let labels = labels(&parent, &letters, &gen_names, limits, group_bytes(n, s))?;
        let generators = (0..s)
            .map(|j| gen_cols[letters.iter().position(|&l| l == (j, false)).unwrap()])
            .collect();
        Ok(Group {
            name: name.into(),
            order: n,
            table,
            inverse,
            generators,
            gen_names,
            labels,
            source_perms: None,
        })
    }

    /// The trivial group.
    pub fn trivial(name: impl Into<String>) -> Group {
        Group::from_cayley_graph(name, vec![], 1, &[], 0, &Limits::default())
            .expect("trivial group")
    }

    pub fn order(&self) -> usize {
        self.order
    }
    #[inline(always)]
    pub fn mul(&self, g: Elem, h: Elem) -> Elem {
        self.table[g as usize * self.order + h as usize]
    }
    #[inline(always)]
    pub fn inv(&self, g: Elem) -> Elem {
        self.inverse[g as usize]
    }
    /// Commutator [g, h] = g^-1 h^-1 g h (GAP's convention).
    pub fn comm(&self, g: Elem, h: Elem) -> Elem {
        self.mul(self.mul(self.inv(g), self.inv(h)), self.mul(g, h))
    }
    /// g^k for any integer k.
    pub fn pow(&self, g: Elem, k: i64) -> Elem {
        let base = if k < 0 { self.inv(g) } else { g };
        let mut e = k.unsigned_abs();
        let (mut acc, mut b) = (0, base);
        while e > 0 {
            if e & 1 == 1 {
                acc = self.mul(acc, b);
            }
            b = self.mul(b, b);
            e >>= 1;
        }
        acc
    }
    /// Order of the element g.
    pub fn element_order(&self, g: Elem) -> usize {
        let mut x = g;
        let mut k = 1;
        while x != 0 {
            x = self.mul(x, g);
            k += 1;
        }
        k
    }
    pub fn table(&self) -> &[Elem] {
        &self.table
    }
    pub fn generators(&self) -> &[Elem] {
        &self.generators
    }
    pub fn generator_names(&self) -> &[String] {
        &self.gen_names
    }
    pub fn label(&self, g: Elem) -> &str {
        &self.labels[g as usize]
    }
    pub fn labels(&self) -> &[String] {
        &self.labels
    }
    pub fn elements(&self) -> impl Iterator<Item = Elem> {
        0..self.order as Elem
    }
    /// Evaluate a word of (generator index, exponent) pairs.
    pub fn eval_word(&self, word: &[(usize, i64)]) -> Elem {
        word.iter().fold(0, |acc, &(j, e)| {
            self.mul(acc, self.pow(self.generators[j], e))
        })
    }
    pub fn is_abelian(&self) -> bool {
        let g = &self.generators;
        g.iter()
            .all(|&x| g.iter().all(|&y| self.mul(x, y) == self.mul(y, x)))
    }
    /// The permutations the group was written as, when it was: generator
    /// j moves point i to `source_perms()[j][i]`.
    pub fn source_perms(&self) -> Option<&[Vec<u32>]> {
        self.source_perms.as_deref()
    }
    /// Points of a faithful action: the group's own permutations' when it
    /// was written as permutations, else its elements (right
    /// multiplication).
    pub fn action_degree(&self) -> usize {
        match &self.source_perms {
            Some(p) => p.first().map_or(0, Vec::len),
            None => self.order,
        }
    }
    /// The generators as permutations of [`Group::action_degree`] points.
    pub fn action_perms(&self) -> Vec<Vec<u32>> {
        match &self.source_perms {
            Some(p) => p.clone(),
            None => self
                .generators
                .iter()
                .map(|&s| self.elements().map(|x| self.mul(x, s)).collect())
                .collect(),
        }
    }
    /// Record the permutations of the generators (one image list per
    /// generator, all of one degree).
    pub(crate) fn with_source_perms(mut self, perms: Vec<Vec<u32>>) -> Group {
        debug_assert_eq!(perms.len(), self.generators.len());
        self.source_perms = Some(perms);
        self
    }
    /// Rename the group (products and aliases keep their structure).
    pub fn renamed(mut self, name: impl Into<String>) -> Group {
        self.name = name.into();
        self
    }
}

/// Element labels: each element's shortlex-least word ("a^2*b^-1*a", "e"
/// for the identity) from the search tree `parent` (element → (parent,
/// letter), in search order). A word is its parent's word and one more
/// letter, so each label is the label where its last run of one letter
/// began, then that run: built in search order, never storing the words.
/// Their total size is checked against the memory left after `used` bytes.
fn labels(
    parent: &[(u32, u32)],
    letters: &[(usize, bool)],
    gen_names: &[String],
    limits: &Limits,
    used: u128,
) -> Result<Vec<String>, GroupError> {
    let n = parent.len();
    // run[h] = (element before h's last run, length of that run).
    let mut run: Vec<(u32, u64)> = Vec::with_capacity(n);
    run.push((0, 0));
    let syllable_len = |li: u32, k: u64| {
        let (j, inv) = letters[li as usize];
        let e = if inv { -(k as i128) } else { k as i128 };
        gen_names[j].len() + if e == 1 { 0 } else { 1 + e.to_string().len() }
    };
    let mut len: Vec<usize> = Vec::with_capacity(n);
    len.push(1);
    let mut total: u128 = 1;
    for h in 1..n {
        let (p, li) = parent[h];
        let r = if p != 0 && parent[p as usize].1 == li {
            (run[p as usize].0, run[p as usize].1 + 1)
        } else {
            (p, 1)
        };
        run.push(r);
        let pre = r.0 as usize;
        let l = if pre == 0 { 0 } else { len[pre] + 1 } + syllable_len(li, r.1);
        len.push(l);
        total += l as u128;
    }
    let bytes = used + total + 24 * n as u128;
    limits.check_memory(bytes, || {
        format!("labelling {n} elements (by shortest words of {total} bytes in all)")
    })?;
    let mut out: Vec<String> = Vec::with_capacity(n);
    out.push("e".into());
    for h in 1..n {
        let (_, li) = parent[h];
        let (pre, k) = run[h];
        let (j, inv) = letters[li as usize];
        let e = if inv { -(k as i128) } else { k as i128 };
        let mut s = String::with_capacity(len[h]);
        if pre != 0 {
            s.push_str(&out[pre as usize]);
            s.push('*');
        }
        s.push_str(&gen_names[j]);
        if e != 1 {
            s.push('^');
            s.push_str(&e.to_string());
        }
        out.push(s);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_generators_than_a_u16_indexes() {
        // C2 on 70 000 generators, all trivial but the last (an involution,
        // so letter number 69 999, past u16).
        let s = 70_000;
        let names: Vec<String> = (0..s).map(|j| format!("g{j}")).collect();
        let mut right_mul = vec![0u32; 2 * s];
        for j in 0..s {
            let moves = j == s - 1;
            right_mul[j] = u32::from(moves);
            right_mul[s + j] = u32::from(!moves);
        }
        let g =
            Group::from_cayley_graph("C2", names, 2, &right_mul, 0, &Limits::default()).unwrap();
        assert_eq!(g.order(), 2);
        assert_eq!(g.table(), &[0, 1, 1, 0]);
        assert_eq!(g.labels(), &["e".to_string(), format!("g{}", s - 1)]);
        assert_eq!(g.generators()[s - 1], 1);
        assert!(g.generators()[..s - 1].iter().all(|&x| x == 0));
    }

    #[test]
    fn labels_collapse_runs() {
        // C5 = <a>: a, a^2, a^-2, a^-1 in shortlex order of a, a^-1.
        let right_mul = [1, 2, 3, 4, 0];
        let g =
            Group::from_cayley_graph("C5", vec!["a".into()], 5, &right_mul, 0, &Limits::default())
                .unwrap();
        assert_eq!(g.labels(), &["e", "a", "a^-1", "a^2", "a^-2"]);
    }

    #[test]
    fn the_cayley_table_is_checked_against_the_budget() {
        let n = 1000;
        let right_mul: Vec<u32> = (0..n as u32).map(|x| (x + 1) % n as u32).collect();
        let small = Limits {
            max_memory: 1 << 20,
            ..Limits::default()
        };
        match Group::from_cayley_graph("C", vec!["a".into()], n, &right_mul, 0, &small) {
            Err(GroupError::TooMuchMemory { bytes, limit, .. }) => {
                assert_eq!(bytes, group_bytes(n, 1));
                assert_eq!(limit, 1 << 20);
            }
            other => panic!("{other:?}"),
        }
        let enough = Limits {
            max_memory: group_bytes(n, 1) as usize + (64 << 10),
            ..Limits::default()
        };
        assert!(Group::from_cayley_graph("C", vec!["a".into()], n, &right_mul, 0, &enough).is_ok());
    }

    #[test]
    fn default_limits_fit_the_default_budget() {
        // The largest group the default limits admit, with as many
        // generators as the front end accepts (4096), on 4096 points.
        let l = Limits::default();
        let (n, s, degree) = (l.max_elements as u128, 4096u128, 4096u128);
        let cayley = group_bytes(l.max_elements, 4096);
        let permutations = n * (8 * degree + 64 + 4 * s);
        let graph = 4 * n * s;
        assert!(cayley + permutations + graph <= l.max_memory as u128);
    }
}
