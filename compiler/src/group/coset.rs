//! Coset enumeration (Todd–Coxeter) for finite presentations.
//!
//! Enumerates the cosets of the trivial subgroup, so the finished coset table
//! is the right-regular action of the generators on the group's elements:
//! exactly the Cayley graph that [`Group::from_cayley_graph`] takes.
//! [`subgroup_table`] enumerates the cosets of a subgroup H given by words
//! instead: coset 0 is H, each of H's generators is traced at coset 0 as a
//! relator that holds only there, and the table is the (transitive) action
//! of the generators on the cosets of H, a group too big to list acting on
//! few points.
//!
//! Two strategies share one table and one coincidence routine:
//! - HLT (Haselgrove–Leech–Trotter) with deduction processing, tried first:
//!   at each coset in turn every relator is traced and its cycle completed
//!   with new cosets at once, and every new entry is a deduction whose
//!   relator cycles are scanned, which finds coincidences early. Completing
//!   cycles eagerly suits presentations with long relators.
//! - Felsch, the fallback when HLT fails: holes are filled in order (first
//!   coset, first column) and only deductions are scanned, so it defines few
//!   cosets beyond the group order where HLT's eager definitions overflow.
//!
//! Coincidences are resolved with a union–find over coset numbers (the
//! smaller number survives, so coset 0, the subgroup itself, never dies),
//! and the table is compacted at the end. Before returning, every row is
//! checked complete and every relator closed at every coset, so a result is
//! always a valid coset table.
//!
//! The table is flat: `table[c * cols + x]`, with column `2j` for generator
//! j and `2j + 1` for its inverse, so `x ^ 1` is the inverse column.
//!
//! Termination: the enumeration ends with an error when it would define more
//! than `limits.max_cosets` cosets, when the table would outgrow
//! `limits.max_memory`, or when scanning has done far more work than the
//! coset limit justifies (long relators over a huge or infinite group).

use super::{Group, GroupError, Limits, Word};

/// An undefined table entry.
const NONE: u32 = u32::MAX;
/// Scan steps allowed per coset of the limit, and the least total: scanning
/// cost grows with relator length, and without a bound a presentation with
/// very long relators could run for hours before reaching the coset limit.
const WORK_PER_COSET: u64 = 1024;
const MIN_WORK: u64 = 1 << 28;

/// A complete coset table over the trivial subgroup, compacted: cosets are
/// `0..n` with 0 the identity, and `right_mul[c * ngens + j]` is c·g_j.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosetTable {
    pub ngens: usize,
    pub n: usize,
    pub right_mul: Vec<u32>,
}

/// Enumerate the group `< gen_names | relators >` and build it.
///
/// Relators are words in the generators (index, exponent); exponents may be
/// zero, negative or large. Zero generators give the trivial group.
pub fn enumerate(
    name: &str,
    gen_names: Vec<String>,
    relators: &[Word],
    limits: &Limits,
) -> Result<Group, GroupError> {
    match enumerate_or_count(name, gen_names, relators, limits)? {
        Enumerated::Listed(g) => Ok(g),
        Enumerated::Order(_) => Err(GroupError::TooManyElements {
            limit: limits.max_elements,
        }),
    }
}

/// What [`enumerate_or_count`] found.
#[derive(Clone, Debug)]
pub enum Enumerated {
    /// The group, listed.
    Listed(Group),
    /// The enumeration finished, but the group has this many elements,
    /// more than `max_elements`: its order is known exactly though it is
    /// not listed.
    Order(usize),
}

/// [`enumerate`], but a group past `max_elements` whose enumeration
/// finished comes back as its order: the caller may still use it (as
/// proof that an action on fewer points is faithful).
pub fn enumerate_or_count(
    name: &str,
    gen_names: Vec<String>,
    relators: &[Word],
    limits: &Limits,
) -> Result<Enumerated, GroupError> {
    let t = coset_table(gen_names.len(), relators, limits)?;
    if t.n > limits.max_elements {
        return Ok(Enumerated::Order(t.n));
    }
    Group::from_cayley_graph(name, gen_names, t.n, &t.right_mul, 0, limits).map(Enumerated::Listed)
}

/// Run coset enumeration over the trivial subgroup and return the compacted
/// table, without building the Cayley table (whose size is the order
/// squared). Only `limits.max_cosets` and `limits.max_word_len` apply here.
///
/// `max_cosets` bounds the cosets each strategy defines, counting those
/// later found equal to others; it is lowered further where the table would
/// exceed `max_memory` (many generators), and the error names the bound
/// that applied.
pub fn coset_table(
    ngens: usize,
    relators: &[Word],
    limits: &Limits,
) -> Result<CosetTable, GroupError> {
    let rels = RelatorSet::new(ngens, relators, limits.max_word_len)?;
    if let Ok(t) = Enumerator::with_limits(&rels, limits).finish(Strategy::Hlt) {
        return Ok(t);
    }
    Enumerator::with_limits(&rels, limits).finish(Strategy::Felsch)
}

/// Enumerate the cosets of the subgroup H generated by the words
/// `subgroup` in `< ngens | relators >`. In the compacted table coset 0 is
/// H itself and `right_mul[c * ngens + j]` is the coset c·g_j, so `n` is
/// the index [G : H] and [`CosetTable::permutations`] the action of the
/// generators on the cosets. No subgroup words: the trivial subgroup, as
/// [`coset_table`].
///
/// `work` is a budget of scan steps shared by both strategies (and, the
/// caller may arrange, by many enumerations): what they spend is taken
/// from it, whether they succeed or fail. The limits apply as in
/// [`coset_table`].
pub fn subgroup_table(
    ngens: usize,
    relators: &[Word],
    subgroup: &[Word],
    limits: &Limits,
    work: &mut u64,
) -> Result<CosetTable, GroupError> {
    let rels = RelatorSet::with_subgroup(ngens, relators, subgroup, limits.max_word_len)?;
    let mut last = None;
    for strategy in [Strategy::Hlt, Strategy::Felsch] {
        let mut e = Enumerator::with_limits(&rels, limits);
        e.budget = e.budget.min(*work);
        let r = e.run(strategy);
        *work = work.saturating_sub(e.work);
        match r {
            Ok(t) => return Ok(t),
            Err(err) => last = Some(err),
        }
        if *work == 0 {
            break;
        }
    }
    Err(last.unwrap_or_else(|| GroupError::Invalid("coset enumeration was not run".into())))
}

impl CosetTable {
    /// The generators' permutations of the cosets, as image lists
    /// (`p[c]` = c·g): a word acts as its letters applied left to right.
    pub fn permutations(&self) -> Vec<Vec<u32>> {
        (0..self.ngens)
            .map(|j| {
                (0..self.n)
                    .map(|c| self.right_mul[c * self.ngens + j])
                    .collect()
            })
            .collect()
    }
}

/// Bytes held per coset: its table row, union-find entry and closed-power
/// marks, doubled because a growing vector may briefly hold two copies.
fn coset_bytes(cols: usize) -> usize {
    2 * (4 * cols + 4 + 8)
}

#[derive(Clone, Copy, Debug)]
enum Strategy {
    Hlt,
    Felsch,
}

/// One relator cycle to scan: a slice of `RelatorSet::store`, and for a
/// power x^e of one letter the bit that marks it closed at a coset.
#[derive(Clone, Copy)]
struct Cycle {
    start: usize,
    len: usize,
    power: Option<(u32, u64)>,
}

/// Relators as letter sequences (column indices), with, for every column x,
/// the distinct cyclic conjugates of the relators and their inverses that
/// begin with x: scanning those at coset c covers every relator cycle
/// through the edge c·x.
struct RelatorSet {
    cols: usize,
    /// The relators themselves, shortest first (HLT then meets short
    /// relators' deductions early).
    relators: Vec<Cycle>,
    /// The subgroup's generators, which close at coset 0 only.
    subgroup: Vec<Cycle>,
    /// Doubled relators (w·w and w^-1·w^-1), so every conjugate is a slice.
    store: Vec<u32>,
    /// Per column: the conjugates beginning with it.
    conj: Vec<Vec<Cycle>>,
}

impl RelatorSet {
    fn new(ngens: usize, relators: &[Word], max_len: usize) -> Result<Self, GroupError> {
        Self::with_subgroup(ngens, relators, &[], max_len)
    }

    fn with_subgroup(
        ngens: usize,
        relators: &[Word],
        subgroup: &[Word],
        max_len: usize,
    ) -> Result<Self, GroupError> {
        let cols = 2 * ngens;
        let mut words: Vec<Vec<u32>> = Vec::new();
        for (k, r) in relators.iter().enumerate() {
            let w = expand("relator", k, r, ngens, max_len, true)?;
            if !w.is_empty() && !words.contains(&w) {
                words.push(w);
            }
        }
        words.sort_by_key(|w| w.len());
        let mut store = Vec::new();
        let mut conj = vec![Vec::new(); cols];
        let mut rels = Vec::with_capacity(words.len());
        let mut powers = 0;
        for w in &words {
            // Up to 64 one-letter powers get a mark bit (one u64 a coset).
            let power = if w.iter().all(|&x| x == w[0]) && powers < 64 {
                powers += 1;
                Some(1u64 << (powers - 1))
            } else {
                None
            };
            let inv: Vec<u32> = w.iter().rev().map(|&x| x ^ 1).collect();
            for (side, word) in [w, &inv].into_iter().enumerate() {
                let start = store.len();
                let len = word.len();
                store.extend_from_slice(word);
                store.extend_from_slice(word);
                let power = power.map(|bit| (word[0], bit));
                if side == 0 {
                    rels.push(Cycle { start, len, power });
                }
                // A relator that is a proper power u^k has only |u| distinct
                // rotations; scanning the repeats would only waste time.
                for o in 0..period(word) {
                    conj[word[o] as usize].push(Cycle {
                        start: start + o,
                        len,
                        power,
                    });
                }
            }
        }
        // Subgroup words are only freely reduced: at coset 0 a conjugate is
        // another element, and only H's own elements close there.
        let mut sub = Vec::new();
        for (k, h) in subgroup.iter().enumerate() {
            let w = expand("subgroup generator", k, h, ngens, max_len, false)?;
            if w.is_empty() {
                continue;
            }
            sub.push(Cycle {
                start: store.len(),
                len: w.len(),
                power: None,
            });
            store.extend_from_slice(&w);
        }
        Ok(RelatorSet {
            cols,
            relators: rels,
            subgroup: sub,
            store,
            conj,
        })
    }

    fn word(&self, c: &Cycle) -> &[u32] {
        &self.store[c.start..c.start + c.len]
    }
}

/// Expand word number `k` (a relator, or a subgroup generator: `what`)
/// into letters, freely reduced, and cyclically too with `cyclic`.
/// Adjacent powers of one generator are summed first, so `a^N*a^-N` costs
/// nothing however large N is.
fn expand(
    what: &str,
    k: usize,
    r: &[(usize, i64)],
    ngens: usize,
    max_len: usize,
    cyclic: bool,
) -> Result<Vec<u32>, GroupError> {
    let mut syll: Vec<(usize, i128)> = Vec::new();
    for &(j, e) in r {
        if j >= ngens {
            return Err(GroupError::Invalid(format!(
                "{what} {} uses generator number {}, but the presentation has {ngens} generator{}",
                k + 1,
                j + 1,
                if ngens == 1 { "" } else { "s" }
            )));
        }
        if e == 0 {
            continue;
        }
        match syll.last_mut() {
            Some((lj, le)) if *lj == j => {
                *le += e as i128;
                if *le == 0 {
                    syll.pop();
                }
            }
            _ => syll.push((j, e as i128)),
        }
    }
    let len: u128 = syll.iter().map(|&(_, e)| e.unsigned_abs()).sum();
    if len > max_len as u128 {
        return Err(GroupError::Invalid(format!(
            "{what} {} has {len} letters once its powers are written out, more than the limit of {max_len}",
            k + 1
        )));
    }
    let mut w: Vec<u32> = Vec::with_capacity(len as usize);
    for &(j, e) in &syll {
        let x = 2 * j as u32 + u32::from(e < 0);
        w.extend(std::iter::repeat_n(x, e.unsigned_abs() as usize));
    }
    // Syllables alternate generators, so w is freely reduced; now make it
    // cyclically reduced (a conjugate defines the same normal closure).
    let (mut lo, mut hi) = (0, w.len());
    while cyclic && hi - lo >= 2 && w[lo] == w[hi - 1] ^ 1 {
        lo += 1;
        hi -= 1;
    }
    Ok(w[lo..hi].to_vec())
}

/// Least p such that w is a power of its prefix of length p.
fn period(w: &[u32]) -> usize {
    let n = w.len();
    if n == 0 {
        return 0;
    }
    // Prefix function (KMP failure links).
    let mut pi = vec![0usize; n];
    for i in 1..n {
        let mut k = pi[i - 1];
        while k > 0 && w[i] != w[k] {
            k = pi[k - 1];
        }
        if w[i] == w[k] {
            k += 1;
        }
        pi[i] = k;
    }
    let p = n - pi[n - 1];
    if n.is_multiple_of(p) {
        p
    } else {
        n
    }
}

struct Enumerator<'r> {
    rel: &'r RelatorSet,
    cols: usize,
    /// `table[c * cols + x]`, NONE where undefined.
    table: Vec<u32>,
    /// Union–find parent; `rep[c] == c` for live cosets.
    rep: Vec<u32>,
    /// Bit set at coset c when a one-letter power relator is known to close
    /// at c. Coincidences keep it true (they only identify cosets), so a
    /// marked coset need not be traced again.
    closed: Vec<u64>,
    /// Deductions (coset, column) whose relator cycles are still to scan.
    deductions: Vec<(u32, u32)>,
    /// Cosets found dead during one coincidence, in order of death.
    queue: Vec<u32>,
    /// Most cosets that may be defined (also the limit reported).
    cap: usize,
    /// The memory budget, where it and not the coset limit sets `cap`.
    memory: Option<usize>,
    work: u64,
    budget: u64,
}

impl<'r> Enumerator<'r> {
    #[cfg(test)]
    fn new(rel: &'r RelatorSet, max_cosets: usize) -> Self {
        Enumerator::with_limits(
            rel,
            &Limits {
                max_cosets,
                ..Limits::default()
            },
        )
    }

    fn with_limits(rel: &'r RelatorSet, limits: &Limits) -> Self {
        let cols = rel.cols;
        let mem_cap = limits.max_memory / coset_bytes(cols);
        // Coset numbers must stay below NONE.
        let cap = limits.max_cosets.min(mem_cap).min(NONE as usize - 1).max(1);
        let memory = (mem_cap < limits.max_cosets).then_some(limits.max_memory);
        // Coset 0 is the subgroup itself.
        Enumerator {
            rel,
            cols,
            table: vec![NONE; cols],
            rep: vec![0],
            closed: vec![0],
            deductions: Vec::new(),
            queue: Vec::new(),
            cap,
            memory,
            work: 0,
            budget: (cap as u64).saturating_mul(WORK_PER_COSET).max(MIN_WORK),
        }
    }

    fn finish(mut self, strategy: Strategy) -> Result<CosetTable, GroupError> {
        self.run(strategy)
    }

    fn run(&mut self, strategy: Strategy) -> Result<CosetTable, GroupError> {
        // H's generators close at coset 0 first, defining the cosets their
        // paths need; a closed path stays closed through coincidences, and
        // `verify` checks them again at the end.
        let rel = self.rel;
        for h in &rel.subgroup {
            self.trace(0, h, true)?;
            self.process_deductions()?;
        }
        match strategy {
            Strategy::Hlt => self.run_hlt()?,
            Strategy::Felsch => self.run_felsch()?,
        }
        self.compact()
    }

    #[inline(always)]
    fn get(&self, c: u32, x: u32) -> u32 {
        self.table[c as usize * self.cols + x as usize]
    }

    #[inline(always)]
    fn set(&mut self, c: u32, x: u32, d: u32) {
        self.table[c as usize * self.cols + x as usize] = d;
    }

    #[inline(always)]
    fn alive(&self, c: u32) -> bool {
        self.rep[c as usize] == c
    }

    /// HLT: at each coset in order, trace every relator, defining cosets to
    /// close its cycle, then fill the rest of the row; deductions are
    /// processed after each step.
    fn run_hlt(&mut self) -> Result<(), GroupError> {
        let rel = self.rel;
        loop {
            let mut c = 0u32;
            while (c as usize) < self.rep.len() {
                for r in &rel.relators {
                    if !self.alive(c) {
                        break;
                    }
                    self.trace(c, r, true)?;
                    self.process_deductions()?;
                }
                for x in 0..self.cols as u32 {
                    if !self.alive(c) {
                        break;
                    }
                    if self.get(c, x) == NONE {
                        self.define(c, x)?;
                        self.process_deductions()?;
                    }
                }
                c += 1;
            }
            if self.verify()? {
                return Ok(());
            }
            self.process_deductions()?;
        }
    }

    /// Felsch: process deductions, then fill the first hole, until the table
    /// is complete and every relator closes at every coset.
    fn run_felsch(&mut self) -> Result<(), GroupError> {
        let (mut cur, mut col) = (0u32, 0u32);
        loop {
            self.process_deductions()?;
            // Rows before `cur` are complete: coincidences only add entries
            // to surviving rows. `verify` double-checks this at the end.
            while (cur as usize) < self.rep.len() {
                if self.alive(cur) {
                    while (col as usize) < self.cols && self.get(cur, col) != NONE {
                        col += 1;
                    }
                    if (col as usize) < self.cols {
                        break;
                    }
                }
                cur += 1;
                col = 0;
            }
            if cur as usize == self.rep.len() {
                if self.verify()? {
                    return Ok(());
                }
                (cur, col) = (0, 0);
                continue;
            }
            self.define(cur, col)?;
        }
    }

    /// Define a new coset d = c·x.
    fn define(&mut self, c: u32, x: u32) -> Result<(), GroupError> {
        let d = self.rep.len();
        if d >= self.cap {
            if let Some(limit) = self.memory {
                return Err(GroupError::TooMuchMemory {
                    what: format!(
                        "coset enumeration with {} generators, past {d} cosets,",
                        self.cols / 2
                    ),
                    bytes: (d as u128 + 1) * coset_bytes(self.cols) as u128,
                    limit,
                });
            }
            return Err(GroupError::TooManyCosets { limit: self.cap });
        }
        let d = d as u32;
        self.table.extend(std::iter::repeat_n(NONE, self.cols));
        self.rep.push(d);
        self.closed.push(0);
        self.set(c, x, d);
        self.set(d, x ^ 1, c);
        self.deductions.push((c, x));
        Ok(())
    }

    fn process_deductions(&mut self) -> Result<(), GroupError> {
        let rel = self.rel;
        while let Some((c, x)) = self.deductions.pop() {
            for r in &rel.conj[x as usize] {
                // A coincidence may have killed c or cleared the entry; the
                // surviving coset's new entries are deductions of their own.
                if !self.alive(c) || self.get(c, x) == NONE {
                    break;
                }
                self.trace(c, r, false)?;
            }
        }
        Ok(())
    }

    /// Trace relator cycle r at coset c from both ends. Where one entry is
    /// missing it is deduced; where the ends meet on different cosets they
    /// coincide. With `fill` (HLT), new cosets are defined until one of
    /// those happens. A power relator found closed marks its whole cycle.
    fn trace(&mut self, c: u32, r: &Cycle, fill: bool) -> Result<(), GroupError> {
        if let Some((_, bit)) = r.power {
            if self.closed[c as usize] & bit != 0 {
                return Ok(());
            }
        }
        let w = self.rel.word(r);
        let n = w.len();
        let (mut f, mut i) = (c, 0);
        let (mut b, mut j) = (c, n);
        loop {
            // Definitions never touch the backward path, so both scans
            // resume where they stopped.
            while i < j {
                let t = self.get(f, w[i]);
                if t == NONE {
                    break;
                }
                f = t;
                i += 1;
            }
            if i == n {
                self.charge(n as u64)?;
                if f != c {
                    self.coincidence(f, c);
                    return Ok(());
                }
                break;
            }
            while j > i {
                let t = self.get(b, w[j - 1] ^ 1);
                if t == NONE {
                    break;
                }
                b = t;
                j -= 1;
            }
            if j == i {
                self.charge(n as u64)?;
                if f != b {
                    self.coincidence(f, b);
                    return Ok(());
                }
                break;
            }
            if j == i + 1 {
                // Exactly one entry missing: f·w[i] = b. Both sides are
                // free, or the scans would have gone further.
                self.charge(n as u64)?;
                self.set(f, w[i], b);
                self.set(b, w[i] ^ 1, f);
                self.deductions.push((f, w[i]));
                break;
            }
            if !fill {
                self.charge((i + n - j) as u64)?;
                return Ok(());
            }
            self.define(f, w[i])?;
        }
        // r now closes at c. For a power x^e, mark the x-cycle through c:
        // the walk costs one trace and saves a trace at every other coset.
        if let Some((x, bit)) = r.power {
            let mut d = c;
            for _ in 0..n {
                self.closed[d as usize] |= bit;
                d = self.get(d, x);
                if d == c || d == NONE {
                    break;
                }
            }
            self.charge(n as u64)?;
        }
        Ok(())
    }

    fn charge(&mut self, steps: u64) -> Result<(), GroupError> {
        self.work += steps;
        if self.work > self.budget {
            return Err(GroupError::Invalid(format!(
                "coset enumeration gave up after {} scan steps with {} cosets defined: the group may be infinite or very large, or its relators too long to enumerate (raise --max-cosets to allow more work)",
                self.work,
                self.rep.len()
            )));
        }
        Ok(())
    }

    fn find(&mut self, c: u32) -> u32 {
        let mut r = c;
        while self.rep[r as usize] != r {
            r = self.rep[r as usize];
        }
        let mut x = c;
        while self.rep[x as usize] != r {
            let next = self.rep[x as usize];
            self.rep[x as usize] = r;
            x = next;
        }
        r
    }

    fn merge(&mut self, a: u32, b: u32) {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        let (keep, die) = if a < b { (a, b) } else { (b, a) };
        self.rep[die as usize] = keep;
        self.closed[keep as usize] |= self.closed[die as usize];
        self.queue.push(die);
    }

    /// Identify cosets a and b and everything that follows from it (Holt,
    /// Handbook of Computational Group Theory, §5.1.2). Entries the
    /// survivors gain are pushed as deductions so their cycles get scanned.
    fn coincidence(&mut self, a: u32, b: u32) {
        self.queue.clear();
        self.merge(a, b);
        let mut qi = 0;
        while qi < self.queue.len() {
            let e = self.queue[qi];
            qi += 1;
            self.work += self.cols as u64;
            for x in 0..self.cols as u32 {
                let f = self.get(e, x);
                if f == NONE {
                    continue;
                }
                // e is dead: drop the reverse edge that points at it.
                self.set(f, x ^ 1, NONE);
                let e1 = self.find(e);
                let f1 = self.find(f);
                let g = self.get(e1, x);
                if g != NONE {
                    self.merge(f1, g);
                } else {
                    let h = self.get(f1, x ^ 1);
                    if h != NONE {
                        self.merge(e1, h);
                    } else {
                        self.set(e1, x, f1);
                        self.set(f1, x ^ 1, e1);
                        self.deductions.push((e1, x));
                    }
                }
            }
        }
    }

    /// Final check: every live row complete and every relator closed at
    /// every live coset. Returns false (after recording any coincidence it
    /// finds) when enumeration must go on.
    fn verify(&mut self) -> Result<bool, GroupError> {
        let rel = self.rel;
        let total = self.rep.len() as u32;
        for c in 0..total {
            if self.alive(c) && (0..self.cols as u32).any(|x| self.get(c, x) == NONE) {
                return Ok(false);
            }
        }
        for h in &rel.subgroup {
            let w = rel.word(h);
            let end = self.walk(0, w);
            self.charge(w.len() as u64)?;
            if end != 0 {
                self.coincidence(end, 0);
                return Ok(false);
            }
        }
        let mut seen = Vec::new();
        for r in &rel.relators {
            let w = rel.word(r);
            if w.iter().all(|&x| x == w[0]) {
                // x^e closes everywhere iff every cycle of x has a length
                // dividing e: one pass over the cosets instead of e per coset.
                seen.clear();
                seen.resize(total as usize, false);
                for c in 0..total {
                    if !self.alive(c) || seen[c as usize] {
                        continue;
                    }
                    let (mut d, mut len) = (c, 0);
                    while !seen[d as usize] {
                        seen[d as usize] = true;
                        d = self.get(d, w[0]);
                        len += 1;
                    }
                    self.charge(len as u64)?;
                    if !w.len().is_multiple_of(len) {
                        self.coincidence(self.walk(c, w), c);
                        return Ok(false);
                    }
                }
                continue;
            }
            for c in 0..total {
                if !self.alive(c) {
                    continue;
                }
                let end = self.walk(c, w);
                self.charge(w.len() as u64)?;
                if end != c {
                    self.coincidence(end, c);
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// The coset c·w in a complete table.
    fn walk(&self, c: u32, w: &[u32]) -> u32 {
        w.iter().fold(c, |d, &x| self.get(d, x))
    }

    /// Renumber the live cosets 0..n in order and keep generator columns.
    fn compact(&self) -> Result<CosetTable, GroupError> {
        let ngens = self.cols / 2;
        let mut new_id = vec![NONE; self.rep.len()];
        let mut n = 0u32;
        for c in 0..self.rep.len() as u32 {
            if self.alive(c) {
                new_id[c as usize] = n;
                n += 1;
            }
        }
        let n = n as usize;
        let mut right_mul = Vec::with_capacity(n * ngens);
        for c in 0..self.rep.len() as u32 {
            if !self.alive(c) {
                continue;
            }
            for j in 0..ngens as u32 {
                let t = self.get(c, 2 * j);
                let id = new_id.get(t as usize).copied().unwrap_or(NONE);
                if id == NONE {
                    return Err(GroupError::Invalid(
                        "coset enumeration ended with an incomplete table".into(),
                    ));
                }
                right_mul.push(id);
            }
        }
        Ok(CosetTable {
            ngens,
            n,
            right_mul,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::bsgs::Chain;
    use crate::group::perm::{from_cycles, group_from_permutations};

    fn limits() -> Limits {
        Limits::default()
    }

    fn names(k: usize) -> Vec<String> {
        (0..k)
            .map(|i| ((b'a' + i as u8) as char).to_string())
            .collect()
    }

    /// Multiset of element orders, a cheap isomorphism invariant.
    fn order_stats(g: &Group) -> Vec<usize> {
        let mut v: Vec<usize> = g.elements().map(|x| g.element_order(x)).collect();
        v.sort_unstable();
        v
    }

    /// Every relator evaluates to the identity in the built group.
    fn relators_hold(g: &Group, rels: &[Word]) -> bool {
        rels.iter().all(|r| g.eval_word(r) == 0)
    }

    #[test]
    fn cyclic_groups() {
        for n in [1i64, 2, 3, 7, 12, 60] {
            let g = enumerate("C", names(1), &[vec![(0, n)]], &limits()).unwrap();
            assert_eq!(g.order(), n as usize);
            assert!(g.is_abelian());
            assert_eq!(g.element_order(g.generators()[0]), n as usize);
        }
    }

    #[test]
    fn symmetric_group_s4_matches_permutations() {
        // S4 = < a, b | a^2, b^3, (ab)^4 > (Coxeter).
        let rels = vec![
            vec![(0, 2)],
            vec![(1, 3)],
            vec![
                (0, 1),
                (1, 1),
                (0, 1),
                (1, 1),
                (0, 1),
                (1, 1),
                (0, 1),
                (1, 1),
            ],
        ];
        let g = enumerate("S4", names(2), &rels, &limits()).unwrap();
        assert_eq!(g.order(), 24);
        assert!(!g.is_abelian());
        assert!(relators_hold(&g, &rels));
        let a = from_cycles(4, &[vec![0, 1]]).unwrap();
        let b = from_cycles(4, &[vec![1, 2, 3]]).unwrap();
        let p = group_from_permutations("S4", names(2), &[a, b], &limits()).unwrap();
        assert_eq!(order_stats(&g), order_stats(&p));
    }

    #[test]
    fn a5_from_triangle_presentation() {
        // A5 = < a, b | a^2, b^3, (ab)^5 >: order 60, 15 involutions,
        // 20 elements of order 3, 24 of order 5.
        let rels = vec![vec![(0, 2)], vec![(1, 3)], [(0, 1), (1, 1)].repeat(5)];
        let g = enumerate("A5", names(2), &rels, &limits()).unwrap();
        assert_eq!(g.order(), 60);
        let s = order_stats(&g);
        let count = |k| s.iter().filter(|&&o| o == k).count();
        assert_eq!((count(1), count(2), count(3), count(5)), (1, 15, 20, 24));
    }

    #[test]
    fn quaternion_needs_coincidences() {
        // Q8 = < a, b | a^4, a^2 b^-2, b^-1 a b a >: 1 involution, 6 of order 4.
        let rels = vec![
            vec![(0, 4)],
            vec![(0, 2), (1, -2)],
            vec![(1, -1), (0, 1), (1, 1), (0, 1)],
        ];
        let g = enumerate("Q8", names(2), &rels, &limits()).unwrap();
        assert_eq!(g.order(), 8);
        assert_eq!(order_stats(&g), vec![1, 2, 4, 4, 4, 4, 4, 4]);
        assert!(relators_hold(&g, &rels));
    }

    #[test]
    fn zero_generators_is_trivial() {
        let g = enumerate("1", vec![], &[], &limits()).unwrap();
        assert_eq!(g.order(), 1);
    }

    #[test]
    fn redundant_and_trivial_generators() {
        // < a, b, c | a^6, b = a^2, c > is C6.
        let rels = vec![vec![(0, 6)], vec![(1, 1), (0, -2)], vec![(2, 1)]];
        let g = enumerate("C6", names(3), &rels, &limits()).unwrap();
        assert_eq!(g.order(), 6);
        assert_eq!(g.generators()[2], 0);
        assert_eq!(g.generators()[1], g.pow(g.generators()[0], 2));
    }

    #[test]
    fn zero_negative_and_huge_exponents() {
        // a^0 entries vanish; a^-5 is as good as a^5; a^(10^12) * a^(-10^12 + 7)
        // collapses to a^7 before expansion.
        let rels = vec![
            vec![(0, 0), (0, -5), (1, 0)],
            vec![(1, 3)],
            vec![(0, 1), (1, 1), (0, -1), (1, -1)],
        ];
        let g = enumerate("C15", names(2), &rels, &limits()).unwrap();
        assert_eq!(g.order(), 15);
        let big = vec![vec![(0, 1_000_000_000_000), (0, -1_000_000_000_000 + 7)]];
        assert_eq!(
            enumerate("C7", names(1), &big, &limits()).unwrap().order(),
            7
        );
        // i64::MIN must not overflow.
        let min = vec![vec![(0, i64::MIN)]];
        assert!(matches!(
            enumerate("x", names(1), &min, &limits()),
            Err(GroupError::Invalid(_))
        ));
    }

    #[test]
    fn relator_too_long_is_invalid() {
        let lim = Limits {
            max_word_len: 100,
            ..limits()
        };
        assert!(matches!(
            enumerate("x", names(1), &[vec![(0, 101)]], &lim),
            Err(GroupError::Invalid(_))
        ));
        assert_eq!(
            enumerate("x", names(1), &[vec![(0, 100)]], &lim)
                .unwrap()
                .order(),
            100
        );
    }

    #[test]
    fn unknown_generator_is_invalid() {
        assert!(matches!(
            enumerate("x", names(1), &[vec![(1, 2)]], &limits()),
            Err(GroupError::Invalid(_))
        ));
        assert!(matches!(
            enumerate("x", vec![], &[vec![(0, 0)]], &limits()),
            Err(GroupError::Invalid(_))
        ));
    }

    #[test]
    fn infinite_presentations_stop_quickly() {
        let start = std::time::Instant::now();
        let comm = vec![vec![(0, -1), (1, -1), (0, 1), (1, 1)]];
        assert_eq!(
            enumerate("Z2", names(2), &comm, &limits()),
            Err(GroupError::TooManyCosets {
                limit: limits().max_cosets
            })
        );
        assert_eq!(
            enumerate("Z", names(1), &[], &limits()),
            Err(GroupError::TooManyCosets {
                limit: limits().max_cosets
            })
        );
        // Free group on two generators, and a long relator in an infinite group.
        assert!(enumerate("F2", names(2), &[], &limits()).is_err());
        assert!(enumerate("x", names(2), &[vec![(0, 1000)]], &limits()).is_err());
        assert!(start.elapsed().as_secs() < 30, "took {:?}", start.elapsed());
    }

    #[test]
    fn too_many_elements() {
        let lim = Limits {
            max_elements: 10,
            ..limits()
        };
        assert_eq!(
            enumerate("C11", names(1), &[vec![(0, 11)]], &lim),
            Err(GroupError::TooManyElements { limit: 10 })
        );
    }

    #[test]
    fn large_abelian_table_without_cayley() {
        // C_300 x C_200 has 60000 elements.
        let rels = vec![
            vec![(0, 300)],
            vec![(1, 200)],
            vec![(0, -1), (1, -1), (0, 1), (1, 1)],
        ];
        let t = coset_table(2, &rels, &limits()).unwrap();
        assert_eq!(t.n, 60_000);
    }

    /// Both strategies on presentations of known order.
    #[test]
    fn strategies_agree_on_known_orders() {
        let comm = |i, j| vec![(i, -1), (j, -1), (i, 1), (j, 1)];
        let coxeter = |m: &[(usize, usize, usize)], k: usize| -> Vec<Word> {
            let mut r: Vec<Word> = (0..k).map(|i| vec![(i, 2)]).collect();
            for i in 0..k {
                for j in i + 1..k {
                    let mij = m
                        .iter()
                        .find(|&&(a, b, _)| (a, b) == (i, j))
                        .map_or(2, |t| t.2);
                    r.push([(i, 1), (j, 1)].repeat(mij));
                }
            }
            r
        };
        // PSL(2,p) = < x, y | x^p, y^2, (xy)^3, (x^4 y x^((p+1)/2) y)^2 >,
        // order p(p^2-1)/2.
        let psl = |p: i64| -> Vec<Word> {
            vec![
                vec![(0, p)],
                vec![(1, 2)],
                [(0, 1), (1, 1)].repeat(3),
                [(0, 4), (1, 1), (0, (p + 1) / 2), (1, 1)].repeat(2),
            ]
        };
        let cases: Vec<(&str, usize, Vec<Word>, usize)> = vec![
            // Weyl group E6 (Dynkin 1-3-4-5-6, 2-4).
            (
                "E6",
                6,
                coxeter(&[(0, 2, 3), (2, 3, 3), (3, 4, 3), (4, 5, 3), (1, 3, 3)], 6),
                51840,
            ),
            (
                "H4",
                4,
                coxeter(&[(0, 1, 5), (1, 2, 3), (2, 3, 3)], 4),
                14400,
            ),
            // Cannon, Dimino, Havas and Watson's test presentation.
            (
                "G10752",
                2,
                vec![
                    vec![(0, 8)],
                    vec![(1, 7)],
                    [(0, 1), (1, 1)].repeat(2),
                    [(0, -1), (1, 1)].repeat(3),
                ],
                10752,
            ),
            // Fibonacci group F(2,5) is cyclic of order 11.
            (
                "F(2,5)",
                5,
                (0..5)
                    .map(|i| vec![(i, 1), ((i + 1) % 5, 1), ((i + 2) % 5, -1)])
                    .collect(),
                11,
            ),
            // a^-1 b a = b^2, b^-1 a b = a^2 defines the trivial group.
            (
                "1",
                2,
                vec![
                    vec![(0, -1), (1, 1), (0, 1), (1, -2)],
                    vec![(1, -1), (0, 1), (1, 1), (0, -2)],
                ],
                1,
            ),
            ("PSL(2,13)", 2, psl(13), 1092),
            ("PSL(2,23)", 2, psl(23), 6072),
            (
                "C2^10",
                10,
                {
                    let mut r: Vec<Word> = (0..10).map(|i| vec![(i, 2)]).collect();
                    for i in 0..10 {
                        for j in i + 1..10 {
                            r.push(comm(i, j));
                        }
                    }
                    r
                },
                1024,
            ),
        ];
        for (name, k, rels, order) in cases {
            let rs = RelatorSet::new(k, &rels, 1000).unwrap();
            for strategy in [Strategy::Hlt, Strategy::Felsch] {
                let t = Enumerator::new(&rs, 2_000_000).finish(strategy).unwrap();
                assert_eq!(t.n, order, "{name} with {strategy:?}");
            }
            assert_eq!(coset_table(k, &rels, &limits()).unwrap().n, order, "{name}");
        }
    }

    #[test]
    fn felsch_takes_over_when_hlt_overflows() {
        // On the order-10752 presentation HLT defines about 29 700 cosets
        // and Felsch about 26 300: with room for 28 000, only the fallback
        // can finish.
        let rels = vec![
            vec![(0, 8)],
            vec![(1, 7)],
            [(0, 1), (1, 1)].repeat(2),
            [(0, -1), (1, 1)].repeat(3),
        ];
        let lim = Limits {
            max_cosets: 28_000,
            ..limits()
        };
        let rs = RelatorSet::new(2, &rels, 1000).unwrap();
        assert!(Enumerator::new(&rs, lim.max_cosets)
            .finish(Strategy::Hlt)
            .is_err());
        assert_eq!(coset_table(2, &rels, &lim).unwrap().n, 10752);
        // PSL(2,61), order 113460, needs more cosets than either may define.
        let p = 61;
        let rels = vec![
            vec![(0, p)],
            vec![(1, 2)],
            [(0, 1), (1, 1)].repeat(3),
            [(0, 4), (1, 1), (0, (p + 1) / 2), (1, 1)].repeat(2),
        ];
        let tight = Limits {
            max_cosets: 200_000,
            ..limits()
        };
        assert_eq!(
            coset_table(2, &rels, &tight),
            Err(GroupError::TooManyCosets { limit: 200_000 })
        );
    }

    /// A small linear congruential generator: `rnd(m)` is below m.
    fn lcg(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |m| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        }
    }

    /// Random small presentations: no panic, the two strategies agree on
    /// the order, and every relator holds in the group built.
    #[test]
    fn random_presentations() {
        let mut rnd = lcg(12345);
        let lim = Limits {
            max_cosets: 20_000,
            max_elements: 2000,
            ..limits()
        };
        for _ in 0..300 {
            let k = 1 + rnd(3) as usize;
            let rels: Vec<Word> = (0..1 + rnd(4))
                .map(|_| {
                    (0..1 + rnd(6))
                        .map(|_| (rnd(k as u64) as usize, rnd(9) as i64 - 4))
                        .collect()
                })
                .collect();
            let rs = RelatorSet::new(k, &rels, 1000).unwrap();
            let hlt = Enumerator::new(&rs, lim.max_cosets).finish(Strategy::Hlt);
            let felsch = Enumerator::new(&rs, lim.max_cosets).finish(Strategy::Felsch);
            if let (Ok(a), Ok(b)) = (&hlt, &felsch) {
                assert_eq!(a.n, b.n, "{rels:?}");
            }
            if let Ok(g) = enumerate("r", names(k), &rels, &lim) {
                assert!(relators_hold(&g, &rels), "{rels:?}");
            }
        }
    }

    /// The Coxeter presentation of S_n: s_i^2, (s_i s_(i+1))^3 and
    /// (s_i s_j)^2 for |i - j| > 1 (Moore 1897).
    fn coxeter_a(n: usize) -> Vec<Word> {
        let k = n - 1;
        let mut r: Vec<Word> = (0..k).map(|i| vec![(i, 2)]).collect();
        for i in 0..k {
            for j in i + 1..k {
                r.push([(i, 1), (j, 1)].repeat(if j == i + 1 { 3 } else { 2 }));
            }
        }
        r
    }

    /// The permutation a word acts as, letters applied left to right.
    fn act(perms: &[Vec<u32>], w: &Word, n: usize) -> Vec<u32> {
        let mut p: Vec<u32> = (0..n as u32).collect();
        for &(j, e) in w {
            let g = &perms[j];
            let mut inv = vec![0u32; n];
            for (i, &x) in g.iter().enumerate() {
                inv[x as usize] = i as u32;
            }
            let step = if e < 0 { &inv } else { g };
            for _ in 0..e.unsigned_abs() {
                p = p.iter().map(|&i| step[i as usize]).collect();
            }
        }
        p
    }

    #[test]
    fn cosets_of_s7_in_s8() {
        // <s1..s6> is S7, the stabiliser of a point: index 8! / 7! = 8.
        let rels = coxeter_a(8);
        let sub: Vec<Word> = (0..6).map(|i| vec![(i, 1)]).collect();
        let mut work = u64::MAX;
        let t = subgroup_table(7, &rels, &sub, &limits(), &mut work).unwrap();
        assert_eq!(t.n, 8);
        let perms = t.permutations();
        let id: Vec<u32> = (0..8).collect();
        for r in &rels {
            assert_eq!(act(&perms, r, 8), id, "relator {r:?}");
        }
        // H's generators fix coset 0, H itself; the action is transitive
        // and, as S8 on 8 points, s7 moves coset 0.
        for h in &sub {
            assert_eq!(act(&perms, h, 8)[0], 0);
        }
        assert_ne!(perms[6][0], 0);
        let chain = Chain::generated(8, &perms, Default::default()).unwrap();
        assert_eq!(chain.order(), 40320u32.into());
    }

    #[test]
    fn subgroup_words_and_indices() {
        // In S4 = < a, b | a^2, b^3, (ab)^4 >, with a = (1,2), b = (2,3,4)
        // (then ab = (1,3,4,2) has order 4): <b> has order 3, index 8;
        // <a> index 12; the trivial subgroup gives the order, 24; the
        // whole group (a word for each generator) index 1.
        let rels = vec![vec![(0, 2)], vec![(1, 3)], [(0, 1), (1, 1)].repeat(4)];
        let index = |sub: &[Word]| {
            let mut work = u64::MAX;
            subgroup_table(2, &rels, sub, &limits(), &mut work)
                .unwrap()
                .n
        };
        assert_eq!(index(&[vec![(1, 1)]]), 8);
        assert_eq!(index(&[vec![(0, 1)]]), 12);
        assert_eq!(index(&[]), 24);
        assert_eq!(index(&[vec![(0, 1)], vec![(1, -1)]]), 1);
        // A subgroup word is not cyclically reduced: b a b^-1 is a
        // conjugate of a (order 2, index 12), not a itself.
        assert_eq!(index(&[vec![(1, 1), (0, 1), (1, -1)]]), 12);
        // b a b^-1 (b first) is a conjugated by b^-1 = (2,4,3): (1,4).
        // With a = (1,2) it generates S3 on {1,2,4}: order 6, index 4.
        assert_eq!(index(&[vec![(0, 1)], vec![(1, 1), (0, 1), (1, -1)]]), 4);
    }

    #[test]
    fn subgroup_enumeration_limits() {
        // <a> in < a, b | a^2 > has infinite index: the coset limit or
        // the work budget ends it, and the budget is spent.
        let rels = vec![vec![(0, 2)]];
        let mut work = 1 << 22;
        let r = subgroup_table(2, &rels, &[vec![(0, 1)]], &limits(), &mut work);
        assert!(r.is_err());
        assert_eq!(work, 0);
        // A bad subgroup word is invalid, not a panic.
        let mut work = u64::MAX;
        assert!(matches!(
            subgroup_table(1, &[vec![(0, 3)]], &[vec![(1, 1)]], &limits(), &mut work),
            Err(GroupError::Invalid(_))
        ));
        // Dihedral of order 2·3000: <r> has index 2, <s> index 3000.
        let rels = vec![vec![(0, 3000)], vec![(1, 2)], [(1, 1), (0, 1)].repeat(2)];
        let mut work = u64::MAX;
        let t = subgroup_table(2, &rels, &[vec![(0, 1)]], &limits(), &mut work).unwrap();
        assert_eq!(t.n, 2);
        let t = subgroup_table(2, &rels, &[vec![(1, 1)]], &limits(), &mut work).unwrap();
        assert_eq!(t.n, 3000);
        for r in &rels {
            assert_eq!(
                act(&t.permutations(), r, 3000),
                (0..3000).collect::<Vec<u32>>()
            );
        }
    }

    /// Random small presentations and subgroup words: where the group can
    /// be listed, the index is |G| / |H| with H closed up in the listed
    /// group, and the action satisfies every relator and fixes coset 0
    /// under H's generators.
    #[test]
    fn random_subgroups_have_the_right_index() {
        let mut rnd = lcg(777);
        let lim = Limits {
            max_cosets: 20_000,
            max_elements: 2000,
            ..limits()
        };
        let mut checked = 0;
        for _ in 0..300 {
            let k = 1 + rnd(3) as usize;
            let (nrels, nsub) = (1 + rnd(4), rnd(3));
            let mut words = |count: u64, len: u64| -> Vec<Word> {
                (0..count)
                    .map(|_| {
                        (0..1 + rnd(len))
                            .map(|_| (rnd(k as u64) as usize, rnd(9) as i64 - 4))
                            .collect()
                    })
                    .collect()
            };
            let rels = words(nrels, 6);
            let sub = words(nsub, 3);
            let Ok(g) = enumerate("r", names(k), &rels, &lim) else {
                continue;
            };
            let mut in_h = vec![false; g.order()];
            in_h[0] = true;
            let mut stack = vec![0];
            let hs: Vec<_> = sub.iter().map(|w| g.eval_word(w)).collect();
            while let Some(x) = stack.pop() {
                for &h in &hs {
                    let y = g.mul(x, h);
                    if !in_h[y as usize] {
                        in_h[y as usize] = true;
                        stack.push(y);
                    }
                }
            }
            let h = in_h.iter().filter(|&&b| b).count();
            let mut work = u64::MAX;
            let t = subgroup_table(k, &rels, &sub, &lim, &mut work).unwrap();
            assert_eq!(t.n * h, g.order(), "{rels:?} {sub:?}");
            let perms = t.permutations();
            let id: Vec<u32> = (0..t.n as u32).collect();
            for r in &rels {
                assert_eq!(act(&perms, r, t.n), id, "{rels:?} {sub:?}");
            }
            for w in &sub {
                assert_eq!(act(&perms, w, t.n)[0], 0, "{rels:?} {sub:?}");
            }
            checked += 1;
        }
        assert!(checked > 50, "{checked}");
    }

    #[test]
    fn enumerate_or_count_knows_the_order() {
        let lim = Limits {
            max_elements: 10,
            ..limits()
        };
        assert!(matches!(
            enumerate_or_count("C11", names(1), &[vec![(0, 11)]], &lim),
            Ok(Enumerated::Order(11))
        ));
        assert!(matches!(
            enumerate_or_count("C10", names(1), &[vec![(0, 10)]], &lim),
            Ok(Enumerated::Listed(g)) if g.order() == 10
        ));
    }

    #[test]
    fn period_of_words() {
        assert_eq!(period(&[0, 0, 0, 0]), 1);
        assert_eq!(period(&[0, 2, 0, 2]), 2);
        assert_eq!(period(&[0, 2, 0]), 3);
        assert_eq!(period(&[0, 2, 1, 3]), 4);
    }
}
