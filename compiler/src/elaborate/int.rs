//! Integer expressions: parameters, arithmetic, comparisons, builtins.
//!
//! Values are i64; comparisons and logic give 1 or 0, and a condition holds
//! when it is non-zero. `/` and `%` are Euclidean (`-7 % 3` is 2), so `%`
//! is never negative. Overflow and division by zero are errors.

use crate::diagnostics::{Diagnostic, Source, Span};
use crate::parse::ast::{BinOp, IExpr, IExprKind, UnOp};

/// Integer variables in scope: a definition's parameters and loop variables.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    vars: Vec<(String, i64)>,
}

impl Vars {
    pub fn get(&self, name: &str) -> Option<i64> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
    }
    pub fn push(&mut self, name: &str, v: i64) {
        self.vars.push((name.to_string(), v));
    }
    pub fn pop(&mut self) {
        self.vars.pop();
    }
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.iter().map(|(n, _)| n.as_str())
    }
}

pub const BUILTINS: &[(&str, usize, &str)] = &[
    (
        "primroot",
        1,
        "primroot(p): the least primitive root modulo the prime p",
    ),
    ("isprime", 1, "isprime(n): 1 if n is prime, else 0"),
    (
        "ispow",
        2,
        "ispow(n, b): 1 if n = b^k for some k >= 0, else 0",
    ),
    ("gcd", 2, "gcd(a, b): greatest common divisor"),
    ("min", 2, "min(a, b)"),
    ("max", 2, "max(a, b)"),
    ("abs", 1, "abs(a)"),
];

pub fn eval(src: &Source, vars: &Vars, e: &IExpr) -> Result<i64, Diagnostic> {
    let err = |msg: String, label: &str, help: &str| {
        Diagnostic::error("int", msg)
            .at(src, e.span, label)
            .help(help)
    };
    match &e.kind {
        IExprKind::Num(v) => Ok(*v),
        IExprKind::Var(id) => vars.get(&id.name).ok_or_else(|| {
            let known: Vec<&str> = vars.names().collect();
            let help = if known.is_empty() {
                "only the parameters of a definition and loop variables can be used in integer expressions; this definition has none".to_string()
            } else {
                let mut k = known.clone();
                k.dedup();
                format!("integer names in scope here: {}", k.join(", "))
            };
            Diagnostic::error("name::unknown-int", format!("unknown integer `{}`", id.name))
                .at(src, id.span, "not a parameter or loop variable")
                .help(help)
        }),
        IExprKind::Unary(op, a) => {
            let v = eval(src, vars, a)?;
            match op {
                UnOp::Neg => v.checked_neg().ok_or_else(|| err("integer overflow".into(), "overflows i64", "use smaller numbers")),
                UnOp::Not => Ok((v == 0) as i64),
            }
        }
        IExprKind::Binary(op, a, b) => {
            let x = eval(src, vars, a)?;
            // Short-circuit logic, so `n > 0 && 12 % n == 0` is safe at 0.
            match op {
                BinOp::And if x == 0 => return Ok(0),
                BinOp::Or if x != 0 => return Ok(1),
                _ => {}
            }
            let y = eval(src, vars, b)?;
            let overflow = || err("integer overflow".into(), "overflows a 64-bit integer", "use smaller numbers");
            match op {
                BinOp::Or | BinOp::And => Ok((y != 0) as i64),
                BinOp::Eq => Ok((x == y) as i64),
                BinOp::Ne => Ok((x != y) as i64),
                BinOp::Lt => Ok((x < y) as i64),
                BinOp::Le => Ok((x <= y) as i64),
                BinOp::Gt => Ok((x > y) as i64),
                BinOp::Ge => Ok((x >= y) as i64),
                BinOp::Add => x.checked_add(y).ok_or_else(overflow),
                BinOp::Sub => x.checked_sub(y).ok_or_else(overflow),
                BinOp::Mul => x.checked_mul(y).ok_or_else(overflow),
                BinOp::Div | BinOp::Rem => {
                    if y == 0 {
                        return Err(Diagnostic::error("int::division-by-zero", "division by zero")
                            .at(src, b.span, "this is 0")
                            .help("guard the definition with `require`, e.g. `require n != 0, \"…\"`"));
                    }
                    let r = if *op == BinOp::Div { x.checked_div_euclid(y) } else { x.checked_rem_euclid(y) };
                    r.ok_or_else(overflow)
                }
                BinOp::Pow => {
                    if y < 0 {
                        return Err(Diagnostic::error("int::negative-power", format!("negative power {x}^{y} of an integer"))
                            .at(src, e.span, "not an integer")
                            .help("integer powers need a non-negative exponent"));
                    }
                    let y = u32::try_from(y).map_err(|_| overflow())?;
                    x.checked_pow(y).ok_or_else(overflow)
                }
            }
        }
        IExprKind::Call(f, args) => {
            let Some(&(_, arity, _)) = BUILTINS.iter().find(|(n, _, _)| *n == f.name) else {
                let names: Vec<&str> = BUILTINS.iter().map(|b| b.0).collect();
                return Err(Diagnostic::error("name::unknown-function", format!("unknown function `{}`", f.name))
                    .at(src, f.span, "not a builtin")
                    .help(format!("integer functions: {}", names.join(", "))));
            };
            if args.len() != arity {
                return Err(Diagnostic::error("arity", format!("`{}` takes {arity} argument{}, not {}", f.name, if arity == 1 { "" } else { "s" }, args.len()))
                    .at(src, e.span, "wrong number of arguments")
                    .help(BUILTINS.iter().find(|b| b.0 == f.name).map_or("", |b| b.2)));
            }
            let v: Vec<i64> = args.iter().map(|a| eval(src, vars, a)).collect::<Result<_, _>>()?;
            match f.name.as_str() {
                "primroot" => primroot(v[0]).ok_or_else(|| {
                    Diagnostic::error("int::primroot", format!("primroot({}) needs a prime, and {} is not prime", v[0], v[0]))
                        .at(src, e.span, "not a prime")
                        .help("guard the definition with `require isprime(p), \"…\"`")
                }),
                "isprime" => Ok(is_prime(v[0]) as i64),
                "ispow" => Ok(is_pow(v[0], v[1]) as i64),
                "gcd" => Ok(gcd(v[0].unsigned_abs(), v[1].unsigned_abs()).min(i64::MAX as u64) as i64),
                "min" => Ok(v[0].min(v[1])),
                "max" => Ok(v[0].max(v[1])),
                "abs" => v[0].checked_abs().ok_or_else(|| err("integer overflow".into(), "overflows i64", "use smaller numbers")),
                _ => unreachable!("builtin table and match agree"),
            }
        }
    }
}

/// Whether `n` is prime: deterministic Miller–Rabin for 64-bit integers.
pub fn is_prime(n: i64) -> bool {
    if n < 2 {
        return false;
    }
    let n = n as u64;
    const BASES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
    if let Some(&b) = BASES.iter().find(|&&b| n.is_multiple_of(b)) {
        return n == b;
    }
    let mulmod = |a: u64, b: u64| (a as u128 * b as u128 % n as u128) as u64;
    let powmod = |mut b: u64, mut e: u64| {
        let mut acc = 1u64;
        while e > 0 {
            if e & 1 == 1 {
                acc = mulmod(acc, b);
            }
            b = mulmod(b, b);
            e >>= 1;
        }
        acc
    };
    let (mut d, mut s) = (n - 1, 0);
    while d % 2 == 0 {
        d /= 2;
        s += 1;
    }
    BASES.iter().all(|&a| {
        let mut x = powmod(a, d);
        if x == 1 || x == n - 1 {
            return true;
        }
        for _ in 1..s {
            x = mulmod(x, x);
            if x == n - 1 {
                return true;
            }
        }
        false
    })
}

fn is_pow(n: i64, b: i64) -> bool {
    if n == 1 {
        return true;
    }
    if b.abs() < 2 || n == 0 {
        return n == b;
    }
    let mut x = n;
    while x % b == 0 {
        x /= b;
        if x == 1 {
            return true;
        }
    }
    false
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Least primitive root modulo a prime p (1 for p = 2).
pub fn primroot(p: i64) -> Option<i64> {
    if !is_prime(p) || p > 1 << 31 {
        return None;
    }
    if p == 2 {
        return Some(1);
    }
    let p = p as u64;
    let mut factors = Vec::new();
    let mut m = p - 1;
    let mut d = 2;
    while d * d <= m {
        if m.is_multiple_of(d) {
            factors.push(d);
            while m.is_multiple_of(d) {
                m /= d;
            }
        }
        d += 1;
    }
    if m > 1 {
        factors.push(m);
    }
    let pow = |mut b: u64, mut e: u64| {
        let mut acc = 1u64;
        b %= p;
        while e > 0 {
            if e & 1 == 1 {
                acc = acc * b % p;
            }
            b = b * b % p;
            e >>= 1;
        }
        acc
    };
    (2..p)
        .find(|&g| factors.iter().all(|&q| pow(g, (p - 1) / q) != 1))
        .map(|g| g as i64)
}

/// Longest text [`text_of`] returns: it names groups and quotes conditions
/// in messages, and a source expression may be megabytes long.
const MAX_QUOTED_CHARS: usize = 120;

/// Render a span of source as the user wrote it, whitespace collapsed, cut
/// to [`MAX_QUOTED_CHARS`] characters (ending in "…").
pub fn text_of(src: &Source, span: Span) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for w in src
        .text
        .get(span.start..span.end)
        .unwrap_or("")
        .split_whitespace()
    {
        if !out.is_empty() {
            out.push(' ');
            chars += 1;
        }
        for c in w.chars() {
            if chars == MAX_QUOTED_CHARS {
                out.push('…');
                return out;
            }
            out.push(c);
            chars += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitive_roots() {
        assert_eq!(primroot(2), Some(1));
        assert_eq!(primroot(3), Some(2));
        assert_eq!(primroot(7), Some(3));
        assert_eq!(primroot(23), Some(5));
        assert_eq!(primroot(41), Some(6));
        assert_eq!(primroot(9), None);
    }

    #[test]
    fn powers_and_primes() {
        assert!(is_pow(8, 2) && is_pow(1, 2) && !is_pow(12, 2) && is_pow(27, 3));
        assert!(is_prime(97) && !is_prime(91) && !is_prime(1));
    }
}
