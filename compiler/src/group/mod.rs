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

pub mod coset;
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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_elements: 4096,
            max_cosets: 2_000_000,
            max_word_len: 100_000,
        }
    }
}

#[derive(Debug, Error, Clone, PartialEq)]
pub enum GroupError {
    #[error("the group has more than {limit} elements (raise the limit with --max-elements)")]
    TooManyElements { limit: usize },
    #[error("coset enumeration exceeded {limit} cosets: the presentation may define an infinite or very large group (raise the limit with --max-cosets)")]
    TooManyCosets { limit: usize },
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
        // so every word is shortlex-least).
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
        let mut parent: Vec<(u32, u16)> = Vec::with_capacity(n);
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
                    parent.push((head as u32, li as u16));
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
        // Labels: shortest words, powers collapsed.
        let letter_names: Vec<(String, i64)> = letters
            .iter()
            .map(|&(j, inv)| (gen_names[j].clone(), if inv { -1 } else { 1 }))
            .collect();
        let mut words: Vec<Vec<u16>> = Vec::with_capacity(n);
        words.push(Vec::new());
        for &(p, li) in &parent[1..] {
            let mut w = words[p as usize].clone();
            w.push(li);
            words.push(w);
        }
        let labels = words
            .iter()
            .map(|w| render_word(w, &letter_names))
            .collect();
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
    /// Rename the group (products and aliases keep their structure).
    pub fn renamed(mut self, name: impl Into<String>) -> Group {
        self.name = name.into();
        self
    }
}

/// "a^2*b^-1*a" from letter indices.
fn render_word(w: &[u16], letters: &[(String, i64)]) -> String {
    if w.is_empty() {
        return "e".into();
    }
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < w.len() {
        let mut j = i;
        while j < w.len() && w[j] == w[i] {
            j += 1;
        }
        let (name, sign) = &letters[w[i] as usize];
        let e = sign * (j - i) as i64;
        parts.push(if e == 1 {
            name.clone()
        } else {
            format!("{name}^{e}")
        });
        i = j;
    }
    parts.join("*")
}
