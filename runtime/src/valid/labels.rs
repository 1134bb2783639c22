//! Labels are words in the generators ("e", "a", "a^-1", "a^2*b"): each must
//! evaluate, by the group table or by multiplying permutations, to the
//! element it labels.

use crate::ir::{cycle_notation, pc_word, GroupTruth, PcTruth, PermTruth};
use crate::pc::CollectError;
use std::collections::HashMap;

/// A group in which label words are evaluated: a Cayley table, or
/// permutations multiplied directly.
pub trait WordGroup {
    type Elem: Clone + PartialEq;
    fn identity(&self) -> Self::Elem;
    fn generator(&self, i: usize) -> Self::Elem;
    fn mul(&self, a: &Self::Elem, b: &Self::Elem) -> Self::Elem;
    fn inverse(&self, a: &Self::Elem) -> Self::Elem;
    /// The element, for messages.
    fn show(&self, a: &Self::Elem) -> String;
}

/// Elements are ids of a validated Cayley table.
pub struct Table<'a> {
    pub group: &'a GroupTruth,
    pub order: usize,
}

impl WordGroup for Table<'_> {
    type Elem = u32;
    fn identity(&self) -> u32 {
        0
    }
    fn generator(&self, i: usize) -> u32 {
        self.group.generators[i]
    }
    fn mul(&self, a: &u32, b: &u32) -> u32 {
        self.group.mul(self.order, *a, *b)
    }
    fn inverse(&self, a: &u32) -> u32 {
        // a^-1 is the last power before the identity; the table is a
        // validated Latin square, so the powers return to e within |G| steps.
        let (mut prev, mut x) = (0u32, *a);
        while x != 0 {
            prev = x;
            x = self.mul(&x, a);
        }
        prev
    }
    fn show(&self, a: &u32) -> String {
        format!("element {a}")
    }
}

/// Elements are permutations of the truth's points.
pub struct Perms<'a>(pub &'a PermTruth);

impl WordGroup for Perms<'_> {
    type Elem = Vec<u32>;
    fn identity(&self) -> Vec<u32> {
        (0..self.0.degree as u32).collect()
    }
    fn generator(&self, i: usize) -> Vec<u32> {
        self.0.generators[i].clone()
    }
    fn mul(&self, a: &Vec<u32>, b: &Vec<u32>) -> Vec<u32> {
        a.iter().map(|&x| b[x as usize]).collect()
    }
    fn inverse(&self, a: &Vec<u32>) -> Vec<u32> {
        let mut inv = vec![0u32; a.len()];
        for (j, &x) in a.iter().enumerate() {
            inv[x as usize] = j as u32;
        }
        inv
    }
    fn show(&self, a: &Vec<u32>) -> String {
        cycle_notation(a)
    }
}

/// Elements are exponent vectors of a consistent pc presentation,
/// collected within its work budget: the first collection that runs out
/// is kept (and the identity given in its place) for the caller to report.
pub struct PcWords<'a> {
    truth: &'a PcTruth,
    failed: std::cell::RefCell<Option<CollectError>>,
}

impl<'a> PcWords<'a> {
    pub fn new(truth: &'a PcTruth) -> Self {
        PcWords {
            truth,
            failed: std::cell::RefCell::new(None),
        }
    }
    /// Why a collection failed, if one did.
    pub fn failure(&self) -> Option<CollectError> {
        self.failed.borrow().clone()
    }
    fn collected(&self, r: Result<Vec<u32>, CollectError>) -> Vec<u32> {
        r.unwrap_or_else(|e| {
            self.failed.borrow_mut().get_or_insert(e);
            self.truth.pc.identity()
        })
    }
}

impl WordGroup for PcWords<'_> {
    type Elem = Vec<u32>;
    fn identity(&self) -> Vec<u32> {
        self.truth.pc.identity()
    }
    fn generator(&self, i: usize) -> Vec<u32> {
        self.truth.generators[i].clone()
    }
    fn mul(&self, a: &Vec<u32>, b: &Vec<u32>) -> Vec<u32> {
        self.collected(self.truth.pc.mul(a, b))
    }
    fn inverse(&self, a: &Vec<u32>) -> Vec<u32> {
        self.collected(self.truth.pc.inverse(a))
    }
    fn show(&self, a: &Vec<u32>) -> String {
        pc_word(a)
    }
}

/// Evaluates label words in a group given by its generators.
pub struct Words<'a, G: WordGroup> {
    pub group: G,
    index: HashMap<&'a str, usize>,
    /// Inverse of each generator, found when first needed.
    inverses: Vec<Option<G::Elem>>,
}

impl<'a, G: WordGroup> Words<'a, G> {
    /// The generator names must already be checked unique identifiers.
    pub fn new(group: G, names: &'a [String]) -> Self {
        Words {
            group,
            index: names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_str(), i))
                .collect(),
            inverses: vec![None; names.len()],
        }
    }

    /// The element a label names, or why it names none.
    pub fn eval(&mut self, label: &str) -> Result<G::Elem, String> {
        if label == "e" {
            return Ok(self.group.identity());
        }
        if label.is_empty() {
            return Err("the label is empty".into());
        }
        let mut acc = self.group.identity();
        for factor in label.split('*') {
            let (name, exp) = match factor.split_once('^') {
                Some((name, e)) => (
                    name,
                    e.parse::<i64>()
                        .map_err(|_| format!("exponent '{e}' is not an integer"))?,
                ),
                None => (factor, 1),
            };
            let &i = self
                .index
                .get(name)
                .ok_or_else(|| format!("'{name}' is not a generator"))?;
            let x = self.gen_pow(i, exp);
            acc = self.group.mul(&acc, &x);
        }
        Ok(acc)
    }

    fn gen_pow(&mut self, i: usize, exp: i64) -> G::Elem {
        let base = if exp < 0 {
            if self.inverses[i].is_none() {
                self.inverses[i] = Some(self.group.inverse(&self.group.generator(i)));
            }
            self.inverses[i].clone().expect("set above")
        } else {
            self.group.generator(i)
        };
        let (mut e, mut b, mut acc) = (exp.unsigned_abs(), base, self.group.identity());
        while e > 0 {
            if e & 1 == 1 {
                acc = self.group.mul(&acc, &b);
            }
            b = self.group.mul(&b, &b);
            e >>= 1;
        }
        acc
    }
}

/// A generator name: an identifier, not the identity's label `e`.
pub fn check_generator_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !ok_start || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("generator name '{name}' is not an identifier"));
    }
    if name == "e" {
        return Err("a generator may not be named 'e', the identity's label".into());
    }
    Ok(())
}
