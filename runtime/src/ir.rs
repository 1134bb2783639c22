//! The SSM IR: plain data describing a sequence model that tracks a finite
//! group or the state of a finite automaton ([`Truth`]) — a stack of
//! diagonal SSM layers ([`Diagonal`]) or one non-diagonal cell ([`PdCell`],
//! [`DeltaCell`], [`RnnCell`]). The compiler
//! produces it, `format` serialises it, [`crate::valid`] checks it, and every
//! executor consumes the checked [`crate::valid::ValidModel`]. It knows
//! nothing of the source language.
//!
//! Diagonal semantics (per time step t, layers in order 0..k):
//!   v_0 = x_t (input token id);
//!   layer i: h_i <- a_i[v_i] ⊙ h_i + b_i[v_i]   (complex, elementwise)
//!            q_ij = round(arg(h_ij) · n_ij / 2π) mod n_ij   (a phase digit)
//!            q_ij = #{θ ∈ REGISTER_THRESHOLDS : re h_ij ≥ θ}  (a register digit)
//!            code_i = q_i0 + n_i0·(q_i1 + n_i1·(q_i2 + …))  (mixed radix)
//!            v_{i+1} = cocycle_i[code_i · V_i + v_i]        (i < k-1)
//!   y_t = readout[code_0 + C_0·(code_1 + C_1·(code_2 + …))]  (C_i = ∏_j n_ij)
//!   (without a readout, y_t is that joint code itself: [`Numbering::Series`])
//!
//! The cells' semantics are documented on their types and in the README's
//! weight-format tables. With a start token (`manifest.bos`), the model runs
//! from the zero state and every sequence begins with that token, which
//! writes the initial state (and resets it wherever it occurs later).
//!
//! Every fact is stored once: sizes (order, widths, token and code counts)
//! are the lengths of the tables, never separate fields that could disagree.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::sync::OnceLock;

/// The model as a whole.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub manifest: Manifest,
    /// The recurrence and its decoding.
    pub net: Net,
    /// What the outputs must equal: the ground truth's own description.
    pub truth: Truth,
}

/// The tracked object, carried in the file so that the ground truth never
/// comes from the layers.
#[derive(Clone, Debug, PartialEq)]
pub enum Truth {
    /// Output t is the running product x_1⋯x_t in a finite group.
    Group(GroupTruth),
    /// The same for a permutation group too big for a Cayley table: the
    /// tokens' permutations and a normal form (format version 5).
    Perm(PermTruth),
    /// The same for a solvable group given by a polycyclic presentation
    /// along the stack's series (format version 7).
    Pc(PcTruth),
    /// Output t is the state of a deterministic automaton after x_1…x_t.
    Automaton(AutomatonTruth),
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupTruth {
    /// Cayley table: `table[g * order + h] = g·h`. Output class ids are
    /// element ids; element 0 is the identity.
    pub table: Vec<u32>,
    /// Generator i (named `manifest.group.generators[i]`) -> element id.
    /// Labels are words in these generators.
    pub generators: Vec<u32>,
    /// Input token id -> element id.
    pub token_elements: Vec<u32>,
}

/// A permutation group given by the tokens' permutations, with a numbering
/// of its elements that never lists them: output class ids are these
/// numbers, and an element's label is its cycle notation, made on demand.
#[derive(Clone, Debug, PartialEq)]
pub struct PermTruth {
    /// Points 0..degree.
    pub degree: usize,
    /// Generator i (named `manifest.group.generators[i]`) as its images.
    /// Labels of tokens are words in these generators.
    pub generators: Vec<Vec<u32>>,
    /// Input token id -> its permutation (the identity for a start token).
    pub tokens: Vec<Vec<u32>>,
    /// How the elements are numbered.
    pub numbering: Numbering,
}

/// A solvable group given by a consistent polycyclic presentation whose
/// generators f_1, …, f_n run along a series G = G_0 ⊳ G_1 ⊳ … ⊳ G_k = 1
/// with abelian factors: term i's block of generators (`terms[i]` of them,
/// in order) spans G_i modulo G_{i+1}, its exponents the coordinates of
/// A_i = G_i/G_{i+1}. With w_i(c) block i's word f_s^{c_0}·f_{s+1}^{c_1}⋯,
/// every element is x = w_{k-1}(c_{k-1})⋯w_1(c_1)·w_0(c_0), the blocks in
/// reverse order (version 6's σ_{k-1}(c_{k-1})⋯σ_0(c_0) with the f's as
/// sections, the decomposition a diagonal stack tracking right products
/// carries), and its id is the mixed-radix number of c_0, c_1, … (f_1's
/// digit least significant): the stack's joint code, so there is no
/// readout and no table.
#[derive(Clone, Debug, PartialEq)]
pub struct PcTruth {
    /// The presentation, on generators named f1, …, fn (GAP's names for a
    /// pc group's generators).
    pub pc: crate::pc::Pc,
    /// How many generators each term's block holds.
    pub terms: Vec<usize>,
    /// Generator i (named `manifest.group.generators[i]`) as its exponent
    /// vector. Labels of tokens are words in these generators.
    pub generators: Vec<crate::pc::Exps>,
    /// Input token id -> its exponent vector (the identity for a start
    /// token).
    pub tokens: Vec<crate::pc::Exps>,
    /// Steps already collected, for groups small enough to table them.
    steps: StepCache,
}

/// Most (element, token) steps a [`PcTruth`] keeps once collected (16 MB):
/// a check that runs millions of steps through a group of up to a few
/// hundred thousand elements then collects each step once.
pub const MAX_CACHED_STEPS: u128 = 1 << 22;

/// `next` of every (element, token) pair, filled on first use (`u32::MAX`:
/// not yet collected); made afresh by a copy and by validation, so it never
/// outlives the fields it was collected from, and no part of the value.
#[derive(Default)]
struct StepCache(OnceLock<Option<Box<[std::sync::atomic::AtomicU32]>>>);

impl Clone for StepCache {
    fn clone(&self) -> StepCache {
        StepCache::default()
    }
}

impl PartialEq for StepCache {
    fn eq(&self, _: &StepCache) -> bool {
        true
    }
}

impl std::fmt::Debug for StepCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StepCache")
    }
}

/// Collection in a validated presentation has no budget to run out of.
fn collected<T>(r: Result<T, crate::pc::CollectError>) -> T {
    r.expect("collection in a validated presentation")
}

impl PcTruth {
    pub fn new(
        pc: crate::pc::Pc,
        terms: Vec<usize>,
        generators: Vec<crate::pc::Exps>,
        tokens: Vec<crate::pc::Exps>,
    ) -> PcTruth {
        PcTruth {
            pc,
            terms,
            generators,
            tokens,
            steps: StepCache::default(),
        }
    }
    /// Drop the steps collected so far (the fields may have changed).
    pub fn forget_steps(&mut self) {
        self.steps = StepCache::default();
    }
    /// The names of the presentation's generators f1, …, fn.
    pub fn names(n: usize) -> Vec<String> {
        (1..=n).map(|j| format!("f{j}")).collect()
    }
    pub fn order(&self) -> u128 {
        self.pc.order()
    }
    /// w_i(c) for the digits `c` of block i.
    fn word(&self, i: usize, c: &[u32]) -> crate::pc::Exps {
        let start: usize = self.terms[..i].iter().sum();
        let mut x = self.pc.identity();
        x[start..start + c.len()].copy_from_slice(c);
        x
    }
    /// The number of element x: per term, x's block-i exponents, then
    /// x·w_i(c)⁻¹ goes on into G_{i+1}.
    pub fn rank(&self, x: &crate::pc::Exps) -> u32 {
        let mut x = x.clone();
        let mut digits = Vec::with_capacity(x.len());
        let mut start = 0;
        for (i, &b) in self.terms.iter().enumerate() {
            let c = x[start..start + b].to_vec();
            let w = collected(self.pc.inverse(&self.word(i, &c)));
            collected(self.pc.mul_into(&mut x, &w));
            digits.extend(c);
            start += b;
        }
        self.pc.rank(&digits) as u32
    }
    /// The element numbered `id`: w_{k-1}(c_{k-1})⋯w_0(c_0).
    pub fn unrank(&self, id: u32) -> crate::pc::Exps {
        let digits = self.pc.unrank(u64::from(id));
        let mut x = self.pc.identity();
        let mut end = digits.len();
        for (i, &b) in self.terms.iter().enumerate().rev() {
            let w = self.word(i, &digits[end - b..end]);
            collected(self.pc.mul_into(&mut x, &w));
            end -= b;
        }
        x
    }
    /// The number of y·z for y numbered `y` and z token `t`.
    pub fn next(&self, y: u32, t: u32) -> u32 {
        use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
        let v = self.tokens.len();
        let cache = self.steps.0.get_or_init(|| {
            (self.order() * v as u128 <= MAX_CACHED_STEPS).then(|| {
                (0..self.order() as usize * v)
                    .map(|_| AtomicU32::new(u32::MAX))
                    .collect()
            })
        });
        let slot = cache.as_ref().map(|c| &c[y as usize * v + t as usize]);
        if let Some(known) = slot.map(|s| s.load(Relaxed)).filter(|&s| s != u32::MAX) {
            return known;
        }
        let mut x = self.unrank(y);
        collected(self.pc.mul_into(&mut x, &self.tokens[t as usize]));
        let next = self.rank(&x);
        // Ids are below the order, at most u32::MAX − 1, so never the mark.
        if let Some(s) = slot {
            s.store(next, Relaxed);
        }
        next
    }
    /// Element `id` as its normal word in f1, …, fn ("f1*f3^2"), as GAP
    /// prints a pc group's elements; "<identity>" for the identity.
    pub fn label(&self, id: u32) -> String {
        pc_word(&self.unrank(id))
    }
    /// Where each term's block starts, and n at the end.
    pub fn starts(&self) -> Vec<usize> {
        let mut s = vec![0];
        for &b in &self.terms {
            s.push(s.last().expect("non-empty") + b);
        }
        s
    }
}

/// A normal word in f1, …, fn: "f1*f3^2", "<identity>" when empty.
pub fn pc_word(x: &[u32]) -> String {
    let parts: Vec<String> = x
        .iter()
        .enumerate()
        .filter(|&(_, &e)| e != 0)
        .map(|(j, &e)| match e {
            1 => format!("f{}", j + 1),
            _ => format!("f{}^{e}", j + 1),
        })
        .collect();
    if parts.is_empty() {
        "<identity>".into()
    } else {
        parts.join("*")
    }
}

/// The numbering of a [`PermTruth`]'s elements.
#[derive(Clone, Debug, PartialEq)]
pub enum Numbering {
    /// By the group's base and transversals (format version 5).
    Chain(Levels),
    /// Along a series G = G_0 ⊳ G_1 ⊳ … ⊳ G_k = 1 with abelian factors
    /// (format version 6): y has the id of its codes (c_0, …, c_{k-1}),
    /// c_i = π_i(y_i) with y_0 = y and y_{i+1} = y_i·σ_i(c_i)⁻¹, so that
    /// y = σ_{k-1}(c_{k-1})·…·σ_0(c_0); the id is the mixed-radix number
    /// code_0 + |A_0|·(code_1 + |A_1|·(…)), exactly a diagonal stack's joint
    /// code, which is why such a stack needs no readout.
    Series(Vec<Term>),
}

/// A normal form by base and transversals: a base b_0..b_{k-1} and, per
/// level i, coset representatives u (each fixing b_0..b_{i-1}, the first
/// the identity, their images b_i·u distinct). Element u_{k-1}·…·u_1·u_0
/// (u_i the d_i-th representative of level i) has number
/// d_0 + m_0·(d_1 + m_1·(d_2 + …)), m_i the level's representative count;
/// the identity is 0.
#[derive(Clone, Debug, PartialEq)]
pub struct Levels {
    /// The base point of each level.
    pub base: Vec<u32>,
    /// Per level, its representatives.
    pub reps: Vec<Vec<Vec<u32>>>,
}

/// One term G_i of a series and its abelian factor A_i = G_i/G_{i+1},
/// given coordinates Z/n_0 × Z/n_1 × … by π_i : G_i → A_i.
pub struct Term {
    /// n_j of each coordinate; a code is c_0 + n_0·(c_1 + n_1·(…)).
    pub moduli: Vec<u32>,
    /// G_i's normal form.
    pub chain: Levels,
    /// `codes[l][r]`: the digits of π_i of level l's representative r.
    /// π_i of any element is the digitwise sum over its sift.
    pub codes: Vec<Vec<Vec<u32>>>,
    /// s_j ∈ G_i with π_i(s_j) = e_j; σ_i(c) = s_0^{c_0}·s_1^{c_1}·….
    pub sections: Vec<Vec<u32>>,
    /// Lookup tables made from the fields above on first use (the ground
    /// truth ranks an element per step); not part of the term's value.
    lookup: OnceLock<Lookup>,
}

/// A copy makes its own lookup tables, so that changing its fields (as
/// tests that craft lies do) never meets the original's.
impl Clone for Term {
    fn clone(&self) -> Term {
        Term::new(
            self.moduli.clone(),
            self.chain.clone(),
            self.codes.clone(),
            self.sections.clone(),
        )
    }
}

impl std::fmt::Debug for Term {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Term")
            .field("moduli", &self.moduli)
            .field("chain", &self.chain)
            .field("codes", &self.codes)
            .field("sections", &self.sections)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Term {
    fn eq(&self, other: &Term) -> bool {
        (&self.moduli, &self.chain, &self.codes, &self.sections)
            == (&other.moduli, &other.chain, &other.codes, &other.sections)
    }
}

/// A term's tables for ranking without searching: per level, point → the
/// representative sending the base point there; per section, its cycles,
/// so that a power moves a point in one step.
#[derive(Debug)]
struct Lookup {
    index: Vec<Vec<u32>>,
    /// Per level, the representatives' inverses.
    inv: Vec<Vec<Vec<u32>>>,
    cycles: Vec<Cycles>,
    /// Every code's section, code-major, when they are few
    /// ([`SECTION_TABLE_ENTRIES`]).
    sections: Option<Vec<u32>>,
}

/// Most entries of a term's table of all its sections: a small factor on
/// few points is ranked from the table instead of making each section.
const SECTION_TABLE_ENTRIES: u64 = 1 << 18;

/// A permutation's cycles laid end to end: point x sits at `at[x]` in
/// `flat`, in the cycle `flat[start[x]..start[x] + len[x]]`.
#[derive(Debug)]
struct Cycles {
    flat: Vec<u32>,
    at: Vec<u32>,
    start: Vec<u32>,
    len: Vec<u32>,
}

impl Cycles {
    fn new(s: &[u32]) -> Cycles {
        let n = s.len();
        let (mut flat, mut at, mut start, mut len) = (
            Vec::with_capacity(n),
            vec![u32::MAX; n],
            vec![0; n],
            vec![0; n],
        );
        for x0 in 0..n {
            if at[x0] != u32::MAX {
                continue;
            }
            let first = flat.len() as u32;
            let mut x = x0;
            while at[x] == u32::MAX {
                at[x] = flat.len() as u32;
                flat.push(x as u32);
                x = s[x] as usize;
            }
            let l = flat.len() as u32 - first;
            for &y in &flat[first as usize..] {
                start[y as usize] = first;
                len[y as usize] = l;
            }
        }
        Cycles {
            flat,
            at,
            start,
            len,
        }
    }

    /// x moved by the permutation's d-th power.
    #[inline]
    fn apply(&self, x: u32, d: u64) -> u32 {
        let (st, l) = (self.start[x as usize], self.len[x as usize]);
        let off = (u64::from(self.at[x as usize] - st) + d % u64::from(l)) % u64::from(l);
        self.flat[(st as u64 + off) as usize]
    }

    /// The permutation's d-th power, written into `out`: one division per
    /// cycle.
    fn power_into(&self, d: u64, out: &mut [u32]) {
        let mut i = 0;
        while i < self.flat.len() {
            let l = self.len[self.flat[i] as usize] as usize;
            let shift = (d % l as u64) as usize;
            let cycle = &self.flat[i..i + l];
            for (k, &x) in cycle.iter().enumerate() {
                let j = if k + shift >= l {
                    k + shift - l
                } else {
                    k + shift
                };
                out[x as usize] = cycle[j];
            }
            i += l;
        }
    }

    /// x moved by the permutation's (−d)-th power.
    #[inline]
    fn apply_inverse(&self, x: u32, d: u64) -> u32 {
        let l = u64::from(self.len[x as usize]);
        self.apply(x, l - d % l)
    }
}

/// g·u⁻¹ for every g: u⁻¹ maps u[j] back to j (`scratch` holds it).
fn divide_right(g: &mut [u32], u: &[u32], scratch: &mut [u32]) {
    for (j, &uj) in u.iter().enumerate() {
        scratch[uj as usize] = j as u32;
    }
    for y in g.iter_mut() {
        *y = scratch[*y as usize];
    }
}

impl Levels {
    /// The number of elements, ∏ m_i, or `None` past u64.
    pub fn order(&self) -> Option<u64> {
        self.reps
            .iter()
            .try_fold(1u64, |acc, l| acc.checked_mul(l.len() as u64))
    }

    /// Sift `g` (left as the identity when it is a member): the
    /// representative index chosen at each level, or `None` when `g` is not
    /// in the group (some level has no representative for its base image,
    /// or the residue is not the identity).
    pub fn sift(&self, g: &mut [u32]) -> Option<Vec<usize>> {
        let mut scratch = vec![0u32; g.len()];
        let mut digits = Vec::with_capacity(self.reps.len());
        for (&b, reps) in self.base.iter().zip(&self.reps) {
            let x = g[b as usize];
            let d = reps.iter().position(|u| u[b as usize] == x)?;
            divide_right(g, &reps[d], &mut scratch);
            digits.push(d);
        }
        let identity = g.iter().enumerate().all(|(j, &y)| y as usize == j);
        identity.then_some(digits)
    }

    /// The number of `g`, or `None` outside the group.
    pub fn rank(&self, g: &[u32]) -> Option<u64> {
        let digits = self.sift(&mut g.to_vec())?;
        let (mut id, mut radix) = (0u64, 1u64);
        for (d, reps) in digits.iter().zip(&self.reps) {
            id += *d as u64 * radix;
            radix *= reps.len() as u64;
        }
        Some(id)
    }

    /// The element with number `id` (below the order), on `degree` points.
    pub fn unrank(&self, degree: usize, mut id: u64) -> Vec<u32> {
        let mut g: Vec<u32> = (0..degree as u32).collect();
        // g = u_{k-1}·…·u_0 applies u_{k-1} first: build it from the last
        // level's digit, composing each lower level's representative after.
        let mut digits = Vec::with_capacity(self.reps.len());
        for reps in &self.reps {
            let m = reps.len() as u64;
            digits.push((id % m) as usize);
            id /= m;
        }
        for (reps, &d) in self.reps.iter().zip(&digits).rev() {
            for y in g.iter_mut() {
                *y = reps[d][*y as usize];
            }
        }
        g
    }
}

impl Term {
    pub fn new(
        moduli: Vec<u32>,
        chain: Levels,
        codes: Vec<Vec<Vec<u32>>>,
        sections: Vec<Vec<u32>>,
    ) -> Term {
        Term {
            moduli,
            chain,
            codes,
            sections,
            lookup: OnceLock::new(),
        }
    }

    /// Drop the lookup tables, to be made again from the fields as they
    /// are now (the validator does, so changed fields never meet old
    /// tables).
    pub(crate) fn forget_lookup(&mut self) {
        self.lookup = OnceLock::new();
    }

    fn lookup(&self) -> &Lookup {
        self.lookup.get_or_init(|| {
            let n = self.sections.first().map_or(0, Vec::len);
            let index = self
                .chain
                .base
                .iter()
                .zip(&self.chain.reps)
                .map(|(&b, reps)| {
                    let mut ix = vec![u32::MAX; reps.first().map_or(n, Vec::len)];
                    for (r, u) in reps.iter().enumerate() {
                        if let Some(slot) = ix.get_mut(u[b as usize] as usize) {
                            *slot = r as u32;
                        }
                    }
                    ix
                })
                .collect();
            let inv = self
                .chain
                .reps
                .iter()
                .map(|reps| reps.iter().map(|u| crate::chain::inverse(u)).collect())
                .collect();
            let cycles: Vec<Cycles> = self.sections.iter().map(|s| Cycles::new(s)).collect();
            let sections =
                (self.size().saturating_mul(n as u64) <= SECTION_TABLE_ENTRIES).then(|| {
                    (0..self.size())
                        .flat_map(|c| self.make_section(&cycles, n, c))
                        .collect()
                });
            Lookup {
                index,
                inv,
                cycles,
                sections,
            }
        })
    }

    /// |A_i| = ∏ n_j.
    pub fn size(&self) -> u64 {
        self.moduli.iter().map(|&n| u64::from(n)).product()
    }

    /// π_i of `g` as a code, or `None` when `g` is not in G_i.
    pub fn code(&self, g: &[u32]) -> Option<u64> {
        let digits = self.digits(g)?;
        Some(self.code_of(&digits))
    }

    /// π_i of `g` as digits, or `None` when `g` is not in G_i.
    pub fn digits(&self, g: &[u32]) -> Option<Vec<u32>> {
        let index = &self.lookup().index;
        let mut h = g.to_vec();
        let mut scratch = vec![0u32; h.len()];
        let mut sum = vec![0u64; self.moduli.len()];
        for (l, &b) in self.chain.base.iter().enumerate() {
            let r = *index[l].get(h[b as usize] as usize)?;
            if r == u32::MAX {
                return None;
            }
            divide_right(&mut h, &self.chain.reps[l][r as usize], &mut scratch);
            for (s, &c) in sum.iter_mut().zip(&self.codes[l][r as usize]) {
                *s += u64::from(c);
            }
        }
        if !h.iter().enumerate().all(|(j, &y)| y as usize == j) {
            return None;
        }
        Some(
            sum.iter()
                .zip(&self.moduli)
                .map(|(&s, &n)| (s % u64::from(n)) as u32)
                .collect(),
        )
    }

    /// The mixed-radix code of `digits`.
    pub fn code_of(&self, digits: &[u32]) -> u64 {
        digits
            .iter()
            .zip(&self.moduli)
            .rev()
            .fold(0u64, |acc, (&d, &n)| acc * u64::from(n) + u64::from(d))
    }

    /// Point x moved by σ_i(c) (s_0^{c_0} first).
    fn section_at(&self, mut x: u32, mut c: u64) -> u32 {
        for (cyc, &n) in self.lookup().cycles.iter().zip(&self.moduli) {
            x = cyc.apply(x, c % u64::from(n));
            c /= u64::from(n);
        }
        x
    }

    /// Point x moved by σ_i(c)⁻¹ (s_0^{-c_0} last).
    fn section_inverse_at(&self, mut x: u32, c: u64) -> u32 {
        // The digits from the last: c's higher digits are c / (the lower
        // moduli's product).
        let mut below: u64 = self.moduli.iter().map(|&n| u64::from(n)).product();
        for (cyc, &n) in self.lookup().cycles.iter().zip(&self.moduli).rev() {
            below /= u64::from(n);
            x = cyc.apply_inverse(x, (c / below) % u64::from(n));
        }
        x
    }

    /// π_i of a member of G_i given by its images of the term's base points
    /// (which determine it), or `None` when they are no member's.
    fn code_by_base_images(&self, img: &mut [u32]) -> Option<u64> {
        let lk = self.lookup();
        let mut sum = vec![0u64; self.moduli.len()];
        for l in 0..img.len() {
            let r = *lk.index[l].get(img[l] as usize)?;
            if r == u32::MAX {
                return None;
            }
            let u_inv = &lk.inv[l][r as usize];
            for x in &mut img[l + 1..] {
                *x = u_inv[*x as usize];
            }
            for (s, &c) in sum.iter_mut().zip(&self.codes[l][r as usize]) {
                *s += u64::from(c);
            }
        }
        let digits: Vec<u32> = sum
            .iter()
            .zip(&self.moduli)
            .map(|(&s, &n)| (s % u64::from(n)) as u32)
            .collect();
        Some(self.code_of(&digits))
    }

    /// σ_i(c) = s_0^{c_0}·s_1^{c_1}·… for code `c` (below |A_i|).
    pub fn section(&self, degree: usize, c: u64) -> Vec<u32> {
        self.section_ref(degree, c).into_owned()
    }

    /// σ_i(c), borrowed from the table when there is one.
    fn section_ref(&self, degree: usize, c: u64) -> Cow<'_, [u32]> {
        let lk = self.lookup();
        match &lk.sections {
            Some(t) => {
                let at = c as usize * degree;
                Cow::Borrowed(&t[at..at + degree])
            }
            None => Cow::Owned(self.make_section(&lk.cycles, degree, c)),
        }
    }

    /// σ_i(c) from the sections' cycles.
    fn make_section(&self, cycles: &[Cycles], degree: usize, mut c: u64) -> Vec<u32> {
        let mut g: Vec<u32> = (0..degree as u32).collect();
        let mut power = vec![0u32; degree];
        for (cyc, &n) in cycles.iter().zip(&self.moduli) {
            let d = c % u64::from(n);
            c /= u64::from(n);
            if d > 0 {
                cyc.power_into(d, &mut power);
                for y in g.iter_mut() {
                    *y = power[*y as usize];
                }
            }
        }
        g
    }
}

impl PermTruth {
    /// |G|, or `None` past u64.
    pub fn order(&self) -> Option<u64> {
        match &self.numbering {
            Numbering::Chain(l) => l.order(),
            Numbering::Series(terms) => terms
                .iter()
                .try_fold(1u64, |acc, t| acc.checked_mul(t.size())),
        }
    }

    /// The id of permutation `g`, or `None` when `g` is not in the group
    /// the numbering describes.
    pub fn rank(&self, g: &[u32]) -> Option<u32> {
        let id = match &self.numbering {
            Numbering::Chain(l) => l.rank(g)?,
            Numbering::Series(terms) => {
                let mut y = g.to_vec();
                let mut scratch = vec![0u32; y.len()];
                let (mut id, mut radix) = (0u64, 1u64);
                for t in terms {
                    let c = t.code(&y)?;
                    divide_right(&mut y, &t.section_ref(self.degree, c), &mut scratch);
                    id += c * radix;
                    radix *= t.size();
                }
                if !y.iter().enumerate().all(|(j, &x)| x as usize == j) {
                    return None;
                }
                id
            }
        };
        u32::try_from(id).ok().filter(|&id| id < u32::MAX)
    }

    /// The permutation with id `id` (below the order).
    pub fn unrank(&self, id: u32) -> Vec<u32> {
        match &self.numbering {
            Numbering::Chain(l) => l.unrank(self.degree, u64::from(id)),
            Numbering::Series(terms) => {
                // y = σ_{k-1}(c_{k-1})·…·σ_0(c_0): σ_{k-1} applies first.
                let mut codes = Vec::with_capacity(terms.len());
                let mut rest = u64::from(id);
                for t in terms {
                    codes.push(rest % t.size());
                    rest /= t.size();
                }
                let mut g: Vec<u32> = (0..self.degree as u32).collect();
                for (t, &c) in terms.iter().zip(&codes).rev() {
                    let s = t.section_ref(self.degree, c);
                    for y in g.iter_mut() {
                        *y = s[*y as usize];
                    }
                }
                g
            }
        }
    }

    /// The id of element `y`·(token `t`'s permutation).
    pub fn next(&self, y: u32, t: u32) -> u32 {
        let p = &self.tokens[t as usize];
        let id = match &self.numbering {
            Numbering::Chain(_) => {
                let g: Vec<u32> = self.unrank(y).iter().map(|&x| p[x as usize]).collect();
                self.rank(&g)
            }
            // On few points whole permutations are cheapest.
            Numbering::Series(terms) if !self.by_base_images(terms) => {
                let g: Vec<u32> = self.unrank(y).iter().map(|&x| p[x as usize]).collect();
                self.rank(&g)
            }
            // The product is a member (loading proved the tokens are), so
            // its images of the terms' base points, made point by point
            // from the sections, rank it without any whole permutation.
            Numbering::Series(terms) => {
                let mut codes = Vec::with_capacity(terms.len());
                let mut rest = u64::from(y);
                for t in terms {
                    codes.push(rest % t.size());
                    rest /= t.size();
                }
                let at = |b: u32| -> u32 {
                    let x = terms
                        .iter()
                        .zip(&codes)
                        .rev()
                        .fold(b, |x, (t, &c)| t.section_at(x, c));
                    p[x as usize]
                };
                self.rank_member(terms, at)
            }
        };
        id.expect("a validated numbering holds every product of its tokens")
    }

    /// Whether ranking a product by its base images (each moved through
    /// every term's sections, a few cycle steps per coordinate) costs less
    /// than multiplying and sifting whole permutations.
    fn by_base_images(&self, terms: &[Term]) -> bool {
        let points: usize = terms.iter().map(|t| t.chain.base.len()).sum();
        let coords: usize = terms.iter().map(|t| t.moduli.len()).sum();
        let levels: usize = terms.iter().map(|t| t.chain.reps.len()).sum();
        // A cycle step costs a few divisions; a permutation's pass n loads.
        8 * points * (coords + levels) < self.degree * (2 * terms.len() + levels)
    }

    /// The id of the group member g given point by point (`at(x)` = g(x)):
    /// per term, its base images under y_i = g·σ_0(c_0)⁻¹·…·σ_{i-1}(c_{i-1})⁻¹.
    fn rank_member(&self, terms: &[Term], at: impl Fn(u32) -> u32) -> Option<u32> {
        let (mut id, mut radix) = (0u64, 1u64);
        let mut done: Vec<(&Term, u64)> = Vec::with_capacity(terms.len());
        for t in terms {
            let mut img: Vec<u32> = t
                .chain
                .base
                .iter()
                .map(|&b| {
                    done.iter()
                        .fold(at(b), |x, (s, c)| s.section_inverse_at(x, *c))
                })
                .collect();
            let c = t.code_by_base_images(&mut img)?;
            id += c * radix;
            radix *= t.size();
            done.push((t, c));
        }
        u32::try_from(id).ok().filter(|&id| id < u32::MAX)
    }

    /// Element `id` in cycle notation on points 1..degree, GAP's way:
    /// "()" for the identity, "(1,2)(3,4,5)".
    pub fn label(&self, id: u32) -> String {
        cycle_notation(&self.unrank(id))
    }
}

/// A permutation of 0..n in GAP's cycle notation on 1..n.
pub fn cycle_notation(p: &[u32]) -> String {
    let mut seen = vec![false; p.len()];
    let mut out = String::new();
    for start in 0..p.len() {
        if seen[start] || p[start] as usize == start {
            continue;
        }
        out.push('(');
        let mut x = start;
        let mut first = true;
        while !seen[x] {
            seen[x] = true;
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(&(x + 1).to_string());
            x = p[x] as usize;
        }
        out.push(')');
    }
    if out.is_empty() {
        out.push_str("()");
    }
    out
}

#[derive(Clone, Debug, PartialEq)]
pub struct AutomatonTruth {
    /// `delta[v * S + q]`: the state reached from state q by token v.
    /// Output class ids are state ids.
    pub delta: Vec<u32>,
    /// The state before any token.
    pub start: u32,
    /// `accept[q]`: 1 when state q accepts, else 0.
    pub accept: Vec<u32>,
}

impl AutomatonTruth {
    pub fn num_states(&self) -> usize {
        self.accept.len()
    }
    #[inline]
    pub fn next(&self, q: u32, v: u32) -> u32 {
        self.delta[v as usize * self.accept.len() + q as usize]
    }
}

/// What the model computes with: one kind per target family.
#[derive(Clone, Debug, PartialEq)]
pub enum Net {
    /// Diagonal layers with cocycle decoders (aussm, neg-mamba, mamba, gla, s4d).
    Diagonal(Diagonal),
    /// One PD-SSM layer, A(x) = P(x)·D(x) (pd-ssm).
    Pd(PdCell),
    /// One layer of products of generalised Householder reflections
    /// (deltaproduct).
    Delta(DeltaCell),
    /// One Elman RNN layer with ReLU and a linear readout (rnn).
    Rnn(RnnCell),
}

/// A stack of diagonal layers.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagonal {
    pub layers: Vec<Layer>,
    /// Joint state code (layer 0 least significant) -> output class id;
    /// `None` when the output id is the joint code itself (a truth numbered
    /// along the layers' series, [`Numbering::Series`]).
    pub readout: Option<Vec<u32>>,
}

impl Diagonal {
    /// The output class id of joint code `joint`.
    #[inline]
    pub fn output(&self, joint: usize) -> u32 {
        match &self.readout {
            Some(r) => r[joint],
            None => joint as u32,
        }
    }
}

/// Sentinel output of a step whose state decodes to no element (possible
/// only where floats have drifted: pd-ssm and deltaproduct).
pub const UNDECODABLE: u32 = u32::MAX;

/// A faithful right action of the group on points 0..n, and the values that
/// mark the points in a state vector.
#[derive(Clone, Debug, PartialEq)]
pub struct PointAction {
    /// `images[g * n + j]` = j·g, for every element g; `None` when the
    /// truth is a [`PermTruth`] on these points, whose normal form numbers
    /// the arrangements instead.
    pub images: Option<Vec<u32>>,
    /// `points[j]`: the value that marks point j (distinct).
    pub points: Vec<f64>,
}

impl PointAction {
    pub fn degree(&self) -> usize {
        self.points.len()
    }
    /// Images of element g's points, when the action lists its elements.
    pub fn row(&self, g: usize) -> Option<&[u32]> {
        let n = self.degree();
        self.images.as_ref().map(|im| &im[g * n..(g + 1) * n])
    }
}

/// PD-SSM: h' = P(x)·D(x)·h + b(x), P column one-hot.
/// `h'[index[x, j]] = diag[x, j]·h[j] + input[x, index[x, j]]`; the state is
/// decoded by its points (see [`PointAction`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PdCell {
    pub action: PointAction,
    /// [V][n]: column j of P(x) has its one in row `index[x, j]`.
    pub index: Vec<u32>,
    /// [V][n]: D(x).
    pub diag: Vec<f64>,
    /// [V][n]: b(x).
    pub input: Vec<f64>,
    /// [n]: the initial state.
    pub h0: Vec<f64>,
}

/// DeltaProduct: per token, m steps h ← h + (β_r·k_r)·(v_r − k_r·h); the
/// points are decoded from x = basis·h + offset.
#[derive(Clone, Debug, PartialEq)]
pub struct DeltaCell {
    pub action: PointAction,
    /// [n][d]
    pub basis: Vec<f64>,
    /// [n]
    pub offset: Vec<f64>,
    /// [V][m][d] unit keys.
    pub k: Vec<f64>,
    /// [V][m] β ∈ [0, 2].
    pub beta: Vec<f64>,
    /// [V][m] written values.
    pub v: Vec<f64>,
    /// [d] the initial state.
    pub h0: Vec<f64>,
}

impl DeltaCell {
    /// State dimension d.
    pub fn dim(&self) -> usize {
        self.h0.len()
    }
    /// Reflections per token m (given the token count).
    pub fn reflections(&self, num_tokens: usize) -> usize {
        self.beta.len() / num_tokens.max(1)
    }
}

/// Elman RNN (torch.nn.RNN, ReLU): h' = relu(W_ih·e_x + b_ih + W_hh·h + b_hh)
/// from h = 0; output argmax(W_out·h + b_out), the first maximum on ties.
#[derive(Clone, Debug, PartialEq)]
pub struct RnnCell {
    /// [H][V]
    pub weight_ih: Vec<f64>,
    /// [H][H]
    pub weight_hh: Vec<f64>,
    /// [H]
    pub bias_ih: Vec<f64>,
    /// [H]
    pub bias_hh: Vec<f64>,
    /// [N][H]
    pub readout_weight: Vec<f64>,
    /// [N]
    pub readout_bias: Vec<f64>,
}

impl RnnCell {
    /// Hidden size H.
    pub fn hidden(&self) -> usize {
        self.bias_ih.len()
    }
}

/// How a component of a diagonal layer holds and decodes its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Coord {
    /// A point of the circle: digit = round(arg h · n / 2π) mod n. Code
    /// c < n rotates (a = exp(2πi·c/n), b = 0); code n ≤ c < 2n resets to
    /// digit c − n (a = 0, b = exp(2πi·(c−n)/n)). h0 = exp(2πi·d/n) for its
    /// digit d.
    Phase,
    /// A real two-bit register holding the current bit and the bit before
    /// the last write: h ∈ [4·cur + prev, 4·cur + prev + 1/2), digit =
    /// 2·cur + prev (modulus 4), read by comparing re h with
    /// [`REGISTER_THRESHOLDS`]. Code 0 keeps (a = 1, b = 0); code 1 + c
    /// writes bit c (a = 1/4, b = 4c), which shifts the old current bit into
    /// `prev`. h0 = 5·d for a start with cur = prev = d. Every value is a
    /// dyadic rational with few bits, so it is exact or stays well inside
    /// its interval in every float type.
    Register,
}

/// Decision boundaries of a register digit: digit = how many of these are
/// ≤ re h.
pub const REGISTER_THRESHOLDS: [f64; 3] = [0.75, 2.5, 4.75];

impl Coord {
    pub fn id(self) -> u32 {
        match self {
            Coord::Phase => 0,
            Coord::Register => 1,
        }
    }
    pub fn from_id(id: u32) -> Option<Coord> {
        match id {
            0 => Some(Coord::Phase),
            1 => Some(Coord::Register),
            _ => None,
        }
    }
}

/// A register's digit for the value `re`.
#[inline(always)]
pub fn register_digit(re: f64) -> u32 {
    REGISTER_THRESHOLDS
        .iter()
        .map(|&t| u32::from(re >= t))
        .sum()
}

/// One diagonal layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// n_j for each state component; the layer's width is `moduli.len()`.
    pub moduli: Vec<u32>,
    /// Per component, how it is decoded; [`Coord::Register`] components
    /// have modulus 4.
    pub coords: Vec<Coord>,
    /// Number of distinct input tokens V of this layer.
    pub num_tokens: usize,
    /// Exact transition codes c[v][j] (see [`Coord`]): for phases,
    /// a[v][j] = exp(2πi·c/n_j) when c < n_j.
    pub transition_code: Vec<u32>,
    /// Float transition a(v), row-major [V][width], as stored (already
    /// rounded to the file's dtype).
    pub a_re: Vec<f64>,
    pub a_im: Vec<f64>,
    /// Phases θ(v) = arg a(v) ∈ [0, 2π), row-major [V][width]: the AUSSM
    /// parameterisation, which readers that train from phases use. `None`
    /// for targets without phases.
    pub phase: Option<Vec<f64>>,
    /// Float input term b(v), row-major [V][width].
    pub b_re: Vec<f64>,
    pub b_im: Vec<f64>,
    /// Initial state, [width].
    pub h0_re: Vec<f64>,
    pub h0_im: Vec<f64>,
    /// Decoder: [num_codes][V] -> next layer's token id. Empty for the last
    /// layer.
    pub cocycle: Vec<u32>,
}

impl Layer {
    pub fn width(&self) -> usize {
        self.moduli.len()
    }
    /// Number of distinct state codes, ∏ n_j.
    pub fn num_codes(&self) -> usize {
        self.moduli.iter().map(|&n| n as usize).product()
    }
    /// Mixed-radix state code of the digits `q` (q_0 least significant).
    pub fn code_of(&self, q: &[u32]) -> usize {
        let mut code = 0usize;
        for (qj, nj) in q.iter().zip(&self.moduli).rev() {
            code = code * (*nj as usize) + *qj as usize;
        }
        code
    }
    /// Digits of a mixed-radix code.
    pub fn digits_of(&self, mut code: usize) -> Vec<u32> {
        self.moduli
            .iter()
            .map(|&n| {
                let d = (code % n as usize) as u32;
                code /= n as usize;
                d
            })
            .collect()
    }
}

impl Model {
    /// Number of output classes: the group's order or the automaton's
    /// number of states (one output label each, stored or, for a
    /// permutation group, made on demand).
    pub fn order(&self) -> usize {
        match &self.truth {
            Truth::Perm(p) => p.order().map_or(usize::MAX, |o| o as usize),
            Truth::Pc(p) => usize::try_from(p.order()).unwrap_or(usize::MAX),
            _ => self.manifest.outputs.len(),
        }
    }
    /// The label of output class `y`.
    pub fn output_label(&self, y: u32) -> String {
        match &self.truth {
            Truth::Perm(p) => p.label(y),
            Truth::Pc(p) => p.label(y),
            _ => self.manifest.outputs[y as usize].clone(),
        }
    }
    pub fn num_tokens(&self) -> usize {
        self.manifest.tokens.len()
    }
    /// The diagonal layers, when the model is a diagonal stack.
    pub fn diagonal(&self) -> Option<&Diagonal> {
        match &self.net {
            Net::Diagonal(d) => Some(d),
            _ => None,
        }
    }
    pub fn diagonal_mut(&mut self) -> Option<&mut Diagonal> {
        match &mut self.net {
            Net::Diagonal(d) => Some(d),
            _ => None,
        }
    }
    /// The tracked group, when the model tracks one.
    pub fn group(&self) -> Option<&GroupTruth> {
        match &self.truth {
            Truth::Group(g) => Some(g),
            _ => None,
        }
    }
    pub fn group_mut(&mut self) -> Option<&mut GroupTruth> {
        match &mut self.truth {
            Truth::Group(g) => Some(g),
            _ => None,
        }
    }
    /// The tracked permutation group, when it is kept without a table.
    pub fn perm(&self) -> Option<&PermTruth> {
        match &self.truth {
            Truth::Perm(p) => Some(p),
            _ => None,
        }
    }
    /// The tracked pc group, when the model tracks one.
    pub fn pc(&self) -> Option<&PcTruth> {
        match &self.truth {
            Truth::Pc(p) => Some(p),
            _ => None,
        }
    }
    /// Whether the output is the joint code of a stack numbered along its
    /// series (no table, no readout).
    pub fn untabled(&self) -> bool {
        matches!(self.truth, Truth::Perm(_) | Truth::Pc(_))
    }
    /// The tracked automaton, when the model tracks one.
    pub fn automaton(&self) -> Option<&AutomatonTruth> {
        match &self.truth {
            Truth::Automaton(a) => Some(a),
            _ => None,
        }
    }
    /// The output before any token: the identity, or the start state.
    pub fn initial_output(&self) -> u32 {
        match &self.truth {
            Truth::Group(_) | Truth::Perm(_) | Truth::Pc(_) => 0,
            Truth::Automaton(a) => a.start,
        }
    }
    /// The true output after token `t` from output `y`: the running product
    /// times the token's element (a start token resets it to the identity),
    /// or the automaton's transition.
    #[inline]
    pub fn next_output(&self, y: u32, t: u32) -> u32 {
        match &self.truth {
            Truth::Group(g) => {
                if self.manifest.bos == Some(t) {
                    0
                } else {
                    let n = self.order();
                    g.table[y as usize * n + g.token_elements[t as usize] as usize]
                }
            }
            Truth::Perm(p) => {
                if self.manifest.bos == Some(t) {
                    0
                } else {
                    p.next(y, t)
                }
            }
            Truth::Pc(p) => {
                if self.manifest.bos == Some(t) {
                    0
                } else {
                    p.next(y, t)
                }
            }
            Truth::Automaton(a) => a.next(y, t),
        }
    }
}

impl GroupTruth {
    /// Product of the Cayley table, g·h, in a group of order `n`.
    #[inline]
    pub fn mul(&self, n: usize, g: u32, h: u32) -> u32 {
        self.table[g as usize * n + h as usize]
    }
}

/// Float type of the stored parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FloatDtype {
    F32,
    F64,
}

impl FloatDtype {
    pub fn manifest_name(self) -> &'static str {
        match self {
            FloatDtype::F32 => "float32",
            FloatDtype::F64 => "float64",
        }
    }
    pub fn from_manifest(name: &str) -> Option<FloatDtype> {
        match name {
            "float32" => Some(FloatDtype::F32),
            "float64" => Some(FloatDtype::F64),
            _ => None,
        }
    }
    /// `x` rounded to this type (to nearest, ties to even), as an f64.
    pub fn round(self, x: f64) -> f64 {
        match self {
            FloatDtype::F32 => x as f32 as f64,
            FloatDtype::F64 => x,
        }
    }
}

/// The JSON manifest stored in the weight file's `__metadata__["gssm"]`.
/// Field order is fixed so that serialisation is deterministic. Nothing here
/// repeats what the tensors say: sizes come from the tensors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always "gssm-weights".
    pub format: String,
    pub format_version: u32,
    /// "gssm <version>": provenance, not a fact the model depends on.
    pub compiler: String,
    /// The tracked group (absent for an automaton).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupInfo>,
    /// The tracked automaton (absent for a group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automaton: Option<AutomatonInfo>,
    /// Stated once, everywhere: products read left to right.
    pub convention: String,
    /// Target architecture, one of [`crate::valid::TargetKind`]'s names.
    pub target: String,
    /// Float dtype of every float tensor: "float32" or "float64".
    pub dtype: String,
    /// The start token's id (always the last token), when the model runs
    /// from the zero state and sequences begin with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bos: Option<u32>,
    /// Token id -> label: a word in the generators that evaluates to the
    /// token's element.
    pub tokens: Vec<String>,
    /// Output class id (= element id) -> label: the element's word in the
    /// generators.
    pub outputs: Vec<String>,
    /// The dtypes whose horizon `gssm compile --precision` proved infinite,
    /// and how. A claim, not a fact the model depends on: `gssm verify`
    /// proves each again and fails when one does not hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proved: Vec<ProvedDtype>,
}

/// One dtype in which every rotating component's rounded orbit closes
/// (see `gssm verify`'s precision proof).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvedDtype {
    /// "f64", "f32", "f16" or "bf16": the arithmetic, not the stored dtype.
    pub dtype: String,
    /// (float state, digit) pairs in the closed orbits, all components
    /// together; 0 when no component rotates.
    pub states: usize,
    /// The proof also holds with fused multiply-adds anywhere.
    pub fused: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupInfo {
    /// The group's name as the source gave it (provenance; `gssm verify
    /// --source FILE` checks it against the source).
    pub name: String,
    /// Generator names, in the order the source gave them; their elements
    /// are the `group.generators` tensor.
    pub generators: Vec<String>,
}

impl Manifest {
    /// The tracked group's or automaton's name.
    pub fn name(&self) -> &str {
        match (&self.group, &self.automaton) {
            (Some(g), _) => &g.name,
            (None, Some(a)) => &a.name,
            (None, None) => "",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomatonInfo {
    /// The automaton's name as the source gave it (provenance).
    pub name: String,
}

pub const FORMAT_NAME: &str = "gssm-weights";
/// The version written for a model with a Cayley table or an automaton.
pub const FORMAT_VERSION: u32 = 4;
/// The version written for a permutation group without a table, numbered
/// by its chain.
pub const FORMAT_VERSION_PERM: u32 = 5;
/// The version written for a permutation group without a table, numbered
/// along a series (a diagonal stack without a readout).
pub const FORMAT_VERSION_SERIES: u32 = 6;
/// The version written for a solvable group given by a polycyclic
/// presentation (`pc.*`, [`PcTruth`]).
pub const FORMAT_VERSION_PC: u32 = 7;
/// Versions this build reads: 2 (diagonal targets, no start token), 3
/// (one-layer cells, start tokens), 4 (automata, register components) and
/// 5 (permutation groups without a Cayley table), 6 (numbered along a
/// series, without a readout) and 7 (pc presentations).
pub const FORMAT_VERSIONS_READ: [u32; 6] = [2, 3, 4, 5, 6, 7];
/// Label of the start token.
pub const BOS_LABEL: &str = "<bos>";
pub const CONVENTION: &str =
    "left-to-right: y_t = x_1*x_2*...*x_t; for permutations p*q applies p first (GAP)";

#[cfg(test)]
mod tests {
    use super::*;

    /// S3 on 3 points with base (0, 1): level 0 moves 0 to 0, 1, 2; level 1
    /// fixes 0 and moves 1 to 1, 2.
    fn s3() -> PermTruth {
        PermTruth {
            degree: 3,
            generators: vec![vec![1, 2, 0], vec![1, 0, 2]],
            tokens: vec![vec![1, 2, 0], vec![1, 0, 2]],
            numbering: Numbering::Chain(Levels {
                base: vec![0, 1],
                reps: vec![
                    vec![vec![0, 1, 2], vec![1, 2, 0], vec![2, 0, 1]],
                    vec![vec![0, 1, 2], vec![0, 2, 1]],
                ],
            }),
        }
    }

    fn all_perms() -> Vec<Vec<u32>> {
        let mut out = Vec::new();
        for a in 0..3u32 {
            for b in 0..3u32 {
                for c in 0..3u32 {
                    if a != b && b != c && a != c {
                        out.push(vec![a, b, c]);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn ranks_number_every_element_once() {
        let p = s3();
        assert_eq!(p.order(), Some(6));
        let mut seen = [false; 6];
        for g in all_perms() {
            let id = p.rank(&g).expect("every permutation of 3 points is in S3");
            assert!(!std::mem::replace(&mut seen[id as usize], true));
            assert_eq!(p.unrank(id), g);
        }
        assert_eq!(p.rank(&[0, 1, 2]), Some(0));
        // Outside the group: the wrong size of arrangement never sifts.
        let a3 = PermTruth {
            numbering: Numbering::Chain(Levels {
                reps: vec![vec![vec![0, 1, 2], vec![1, 2, 0], vec![2, 0, 1]]],
                base: vec![0],
            }),
            ..s3()
        };
        assert_eq!(a3.rank(&[1, 0, 2]), None);
        assert_eq!(a3.rank(&[1, 2, 0]), Some(1));
    }

    /// S3 along S3 ⊳ A3 ⊳ 1: term 0's codes are the sign (C2, section the
    /// transposition (1 2)), term 1's the power of the 3-cycle (C3).
    fn s3_series() -> PermTruth {
        let id = vec![0, 1, 2];
        PermTruth {
            numbering: Numbering::Series(vec![
                Term::new(
                    vec![2],
                    Levels {
                        base: vec![0, 1],
                        reps: vec![
                            vec![id.clone(), vec![1, 2, 0], vec![2, 0, 1]],
                            vec![id.clone(), vec![0, 2, 1]],
                        ],
                    },
                    vec![vec![vec![0], vec![0], vec![0]], vec![vec![0], vec![1]]],
                    vec![vec![1, 0, 2]],
                ),
                Term::new(
                    vec![3],
                    Levels {
                        base: vec![0],
                        reps: vec![vec![id, vec![1, 2, 0], vec![2, 0, 1]]],
                    },
                    vec![vec![vec![0], vec![1], vec![2]]],
                    vec![vec![1, 2, 0]],
                ),
            ]),
            ..s3()
        }
    }

    #[test]
    fn a_series_numbers_each_element_by_its_codes() {
        let p = s3_series();
        assert_eq!(p.order(), Some(6));
        let mul = |g: &[u32], h: &[u32]| -> Vec<u32> { g.iter().map(|&x| h[x as usize]).collect() };
        let (t, c) = (vec![1u32, 0, 2], vec![1u32, 2, 0]);
        let mut seen = [false; 6];
        for g in all_perms() {
            // By hand: c_0 = the sign, then g·t^{-c_0} = c^{c_1}.
            let inversions = (0..3)
                .flat_map(|i| (i + 1..3).map(move |j| (i, j)))
                .filter(|&(i, j)| g[i] > g[j])
                .count();
            let odd = inversions % 2;
            let rest = if odd == 1 { mul(&g, &t) } else { g.clone() };
            let c1 = [vec![0u32, 1, 2], c.clone(), mul(&c, &c)]
                .iter()
                .position(|x| *x == rest)
                .unwrap();
            let id = p.rank(&g).expect("every permutation of 3 points is in S3");
            assert_eq!(id as usize, odd + 2 * c1, "{g:?}");
            assert!(!std::mem::replace(&mut seen[id as usize], true));
            assert_eq!(p.unrank(id), g);
        }
        // The identity is 0; next (by base images) multiplies on the right.
        assert_eq!(p.rank(&[0, 1, 2]), Some(0));
        for y in 0..6 {
            for x in 0..2u32 {
                let want = mul(&p.unrank(y), &p.tokens[x as usize]);
                assert_eq!(p.unrank(p.next(y, x)), want, "{y} · token {x}");
                // The other way, by base images alone (bigger degrees).
                let Numbering::Series(terms) = &p.numbering else {
                    unreachable!()
                };
                let id = p.rank_member(terms, |b| want[b as usize]);
                assert_eq!(id, p.rank(&want), "{y} · token {x} by base images");
            }
        }
        // A permutation outside the numbered group has no id.
        let a3 = PermTruth {
            numbering: match s3_series().numbering {
                Numbering::Series(t) => Numbering::Series(t[1..].to_vec()),
                n => n,
            },
            ..s3()
        };
        assert_eq!(a3.rank(&t), None);
        assert_eq!(a3.rank(&c), Some(1));
    }

    #[test]
    fn next_multiplies_on_the_right() {
        // (0 1 2) then (0 1): 0 -> 1 -> 0, 1 -> 2 -> 2, 2 -> 0 -> 1.
        let p = s3();
        let c = p.rank(&[1, 2, 0]).unwrap();
        assert_eq!(p.unrank(p.next(c, 1)), vec![0, 2, 1]);
        assert_eq!(cycle_notation(&[0, 2, 1]), "(2,3)");
        assert_eq!(cycle_notation(&[1, 2, 0, 4, 3]), "(1,2,3)(4,5)");
        assert_eq!(cycle_notation(&[0, 1]), "()");
    }
}
