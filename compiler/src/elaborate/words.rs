//! Words of the source (`(a*b)^2`, `[a, b]`, `a^-n`) to the group engine's
//! [`Word`]s: (generator index, exponent) syllables, read left to right.

use super::int::{self, Vars};
use super::naming::suggest;
use crate::diagnostics::{Diagnostic, Source};
use crate::group::Word;
use crate::parse::ast::{self, WordBase};
use std::collections::HashMap;

/// Generator names with their indices, looked up once per letter.
pub struct Gens<'a> {
    names: &'a [String],
    index: HashMap<&'a str, usize>,
}

impl<'a> Gens<'a> {
    pub fn new(names: &'a [String]) -> Gens<'a> {
        let mut index = HashMap::with_capacity(names.len());
        for (j, n) in names.iter().enumerate().rev() {
            // The first of repeated names wins, as a linear search would.
            index.insert(n.as_str(), j);
        }
        Gens { names, index }
    }
}

/// Most generator names listed in a hint.
const MAX_LISTED: usize = 20;

/// Expand a word over the generators `gens`. Powers of a single generator
/// stay one syllable however large; other powers are written out, up to
/// `max_len` syllables.
pub fn expand(
    src: &Source,
    vars: &Vars,
    gens: &Gens,
    w: &ast::Word,
    max_len: usize,
) -> Result<Word, Diagnostic> {
    let mut out: Word = Vec::new();
    for f in &w.factors {
        let mut part = match &f.base {
            WordBase::Identity => Vec::new(),
            WordBase::Gen(id) => match gens.index.get(id.name.as_str()) {
                Some(&j) => vec![(j, 1)],
                None => return Err(unknown_generator(src, vars, gens.names, id)),
            },
            WordBase::Paren(inner) => expand(src, vars, gens, inner, max_len)?,
            WordBase::Commutator(ws) => {
                // Left-normed: [u, v, w] = [[u, v], w], [u, v] = u^-1 v^-1 u v.
                let mut c = expand(src, vars, gens, &ws[0], max_len)?;
                for next in &ws[1..] {
                    let v = expand(src, vars, gens, next, max_len)?;
                    let mut k = inverse(&c);
                    append(&mut k, inverse(&v));
                    append(&mut k, c);
                    append(&mut k, v);
                    c = k;
                    check_len(src, f, c.len(), max_len)?;
                }
                c
            }
        };
        for e in &f.exponents {
            let k = int::eval(src, vars, e)?;
            part = power(src, f, &part, k, max_len)?;
        }
        // Appending reduces as it goes: re-reducing the whole word for
        // every factor would be quadratic in a long word.
        append(&mut out, part);
        check_len(src, f, out.len(), max_len)?;
    }
    Ok(out)
}

fn power(
    src: &Source,
    f: &ast::Factor,
    w: &Word,
    k: i64,
    max_len: usize,
) -> Result<Word, Diagnostic> {
    if k == 0 || w.is_empty() {
        return Ok(Vec::new());
    }
    // i64::MIN has no negation, and inverting a word negates exponents.
    let overflow = || {
        Diagnostic::error("word::overflow", "exponent overflow")
            .at(src, f.span, "the exponents multiply past a 64-bit integer")
            .help("use smaller exponents")
    };
    if k == i64::MIN {
        return Err(overflow());
    }
    if let [(j, e)] = w[..] {
        let p = e
            .checked_mul(k)
            .filter(|&p| p != i64::MIN)
            .ok_or_else(overflow)?;
        return Ok(vec![(j, p)]);
    }
    let base = if k < 0 { inverse(w) } else { w.clone() };
    let n = k.unsigned_abs();
    let len = (base.len() as u128) * n as u128;
    check_len(src, f, usize::try_from(len).unwrap_or(usize::MAX), max_len)?;
    let mut out = Vec::with_capacity(len as usize);
    for _ in 0..n {
        append(&mut out, base.iter().copied());
    }
    Ok(out)
}

fn check_len(src: &Source, f: &ast::Factor, len: usize, max_len: usize) -> Result<(), Diagnostic> {
    if len > max_len {
        return Err(Diagnostic::error("word::too-long", format!("this word expands to more than {max_len} syllables"))
            .at(src, f.span, "too long once its powers are written out")
            .help("use smaller exponents on parenthesised words or commutators; a power of a single generator such as a^1000000 costs nothing"));
    }
    Ok(())
}

pub fn inverse(w: &Word) -> Word {
    w.iter().rev().map(|&(j, e)| (j, -e)).collect()
}

/// Append syllables to a reduced word, merging adjacent syllables of one
/// generator and dropping zero exponents, so the word stays reduced.
fn append(out: &mut Word, w: impl IntoIterator<Item = (usize, i64)>) {
    for (j, e) in w {
        match out.last_mut() {
            Some((lj, le)) if *lj == j => match le.checked_add(e) {
                Some(0) => {
                    out.pop();
                }
                // i64::MIN could not be inverted: keep the syllables apart.
                Some(s) if s != i64::MIN => *le = s,
                _ => out.push((j, e)),
            },
            _ if e != 0 => out.push((j, e)),
            _ => {}
        }
    }
}

fn unknown_generator(src: &Source, vars: &Vars, gens: &[String], id: &ast::Ident) -> Diagnostic {
    let d = Diagnostic::error(
        "name::unknown-generator",
        format!("unknown generator `{}`", id.name),
    );
    if vars.get(&id.name).is_some() {
        return d
            .at(src, id.span, "an integer, not a generator")
            .help(format!(
                "integers appear in words only as exponents, e.g. `a^{}`",
                id.name
            ));
    }
    let list = if gens.is_empty() {
        "none".to_string()
    } else if gens.len() > MAX_LISTED {
        format!(
            "{}, … ({} in all)",
            gens[..MAX_LISTED].join(", "),
            gens.len()
        )
    } else {
        gens.join(", ")
    };
    let help = match suggest(&id.name, gens.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`? The generators here are: {list}"),
        None => format!("the generators here are: {list}"),
    };
    d.at(src, id.span, "not a generator of this group")
        .help(help)
}
