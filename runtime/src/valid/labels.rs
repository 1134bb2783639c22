//! Labels are words in the generators ("e", "a", "a^-1", "a^2*b"): each must
//! evaluate, by the group table, to the element it labels.

use crate::ir::GroupTruth;
use std::collections::HashMap;

/// Evaluates label words against a model's table and generators.
pub struct Words<'a> {
    group: &'a GroupTruth,
    order: usize,
    index: HashMap<&'a str, usize>,
    /// Inverse of each generator, found when first needed.
    inverses: Vec<Option<u32>>,
}

impl<'a> Words<'a> {
    /// The generator names must already be checked unique identifiers.
    pub fn new(group: &'a GroupTruth, names: &'a [String], order: usize) -> Self {
        Words {
            group,
            order,
            index: names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_str(), i))
                .collect(),
            inverses: vec![None; names.len()],
        }
    }

    /// The element a label names, or why it names none.
    pub fn eval(&mut self, label: &str) -> Result<u32, String> {
        if label == "e" {
            return Ok(0);
        }
        if label.is_empty() {
            return Err("the label is empty".into());
        }
        let mut acc = 0u32;
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
            acc = self.mul(acc, x);
        }
        Ok(acc)
    }

    fn gen_pow(&mut self, i: usize, exp: i64) -> u32 {
        let g = self.group.generators[i];
        let base = if exp < 0 { self.inverse(i) } else { g };
        let (mut e, mut b, mut acc) = (exp.unsigned_abs(), base, 0u32);
        while e > 0 {
            if e & 1 == 1 {
                acc = self.mul(acc, b);
            }
            b = self.mul(b, b);
            e >>= 1;
        }
        acc
    }

    fn mul(&self, g: u32, h: u32) -> u32 {
        self.group.mul(self.order, g, h)
    }

    fn inverse(&mut self, i: usize) -> u32 {
        if let Some(x) = self.inverses[i] {
            return x;
        }
        // g^-1 is the last power before the identity; the table is a
        // validated Latin square, so the powers return to e within |G| steps.
        let g = self.group.generators[i];
        let (mut prev, mut x) = (0u32, g);
        while x != 0 {
            prev = x;
            x = self.mul(x, g);
        }
        self.inverses[i] = Some(prev);
        prev
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
