//! Are there transition values whose rounded orbit closes where the nearest
//! values' does not? For each modulus n ≤ 24 and each of f32, f16 and
//! bf16: the nearest values fl(exp(2πik/n)) first, then every a₁ within ±R
//! ulps (per component) of fl(exp(2πi/n)) with the table p_0 = 1, p_k =
//! fl(a₁·p_{k−1}), as the values of the n rotations (every element a
//! token). A table closes when the (float state, digit) pairs reachable from
//! (1, 0) under all n rotations, in the weight file's arithmetic (each
//! product rounded, then each sum), number at most LIMIT and all decode to
//! their digit, as `gssm verify`'s precision proof asks. Prints, per dtype,
//! which n close and how.
//!
//! `cargo run --release -p gssm-compiler --example closing_values [R]`

use std::collections::{HashSet, VecDeque};

const LIMIT: usize = 4096;

use half::{bf16, f16};

trait Float: Copy + PartialEq {
    fn bits(self) -> u32;
    fn from_f64(x: f64) -> Self;
    fn to_f32(self) -> f32;
    fn from_f32(x: f32) -> Self;
    /// The float `k` steps away in magnitude (None across zero).
    fn ulps(self, k: i32) -> Option<Self>;
}

macro_rules! narrow {
    ($t:ty, $bits:ty) => {
        impl Float for $t {
            fn bits(self) -> u32 {
                self.to_bits() as u32
            }
            fn from_f64(x: f64) -> Self {
                <$t>::from_f64(x)
            }
            fn to_f32(self) -> f32 {
                <$t>::to_f32(self)
            }
            fn from_f32(x: f32) -> Self {
                <$t>::from_f32(x)
            }
            fn ulps(self, k: i32) -> Option<Self> {
                let v = self.to_f32();
                if v == 0.0 {
                    return (k == 0).then_some(self);
                }
                let b = self.to_bits() as i32;
                let b = if v > 0.0 { b + k } else { b - k };
                Some(<$t>::from_bits(b as $bits))
            }
        }
    };
}
narrow!(f16, u16);
narrow!(bf16, u16);

impl Float for f32 {
    fn bits(self) -> u32 {
        self.to_bits()
    }
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f32(self) -> f32 {
        self
    }
    fn from_f32(x: f32) -> Self {
        x
    }
    fn ulps(self, k: i32) -> Option<Self> {
        if self == 0.0 {
            return (k == 0).then_some(self);
        }
        let b = self.to_bits() as i32;
        let b = if self > 0.0 { b + k } else { b - k };
        Some(f32::from_bits(b as u32))
    }
}

type C<T> = (T, T);

/// a·h with each product rounded, then each sum (f32 holds the narrow
/// types' products exactly, so rounding each result once is theirs).
fn mul<T: Float>(a: C<T>, h: C<T>) -> C<T> {
    let p = |x: T, y: T| T::from_f32(x.to_f32() * y.to_f32()).to_f32();
    let re = T::from_f32(p(a.0, h.0) - p(a.1, h.1));
    let im = T::from_f32(p(a.0, h.1) + p(a.1, h.0));
    (re, im)
}

/// exp(2πik/n) rounded from the value the compiler stores.
fn root<T: Float>(k: usize, n: usize) -> C<T> {
    let (re, im) = gssm_runtime::values::unit_root(k as u32, n as u32);
    (T::from_f64(re), T::from_f64(im))
}

/// The digit nearest h's angle.
fn digit<T: Float>(h: C<T>, n: usize) -> usize {
    let t = f64::from(h.1.to_f32()).atan2(f64::from(h.0.to_f32()));
    let q = (t / std::f64::consts::TAU * n as f64).round() as i64;
    q.rem_euclid(n as i64) as usize
}

/// Breadth first over (float state, digit) from (1, 0) under rotation k by
/// p[k] for every k.
fn closes<T: Float>(p: &[C<T>]) -> bool {
    let n = p.len();
    let key = |h: C<T>, d: usize| (h.0.bits(), h.1.bits(), d);
    let start = p[0];
    let mut seen = HashSet::from([key(start, 0)]);
    let mut queue = VecDeque::from([(start, 0)]);
    while let Some((h, d)) = queue.pop_front() {
        for (k, &a) in p.iter().enumerate().skip(1) {
            let g = mul(a, h);
            let e = (d + k) % n;
            if digit(g, n) != e {
                return false;
            }
            if seen.insert(key(g, e)) {
                if seen.len() > LIMIT {
                    return false;
                }
                queue.push_back((g, e));
            }
        }
    }
    true
}

fn survey<T: Float>(name: &str, r: i32) {
    let mut nearest = Vec::new();
    let mut other = Vec::new();
    for n in 2..=24usize {
        let table: Vec<C<T>> = (0..n).map(|k| root::<T>(k, n)).collect();
        if closes(&table) {
            nearest.push(n);
            continue;
        }
        let a = root::<T>(1, n);
        'search: for dx in -r..=r {
            for dy in -r..=r {
                let (Some(x), Some(y)) = (a.0.ulps(dx), a.1.ulps(dy)) else {
                    continue;
                };
                let mut p = vec![root::<T>(0, n)];
                for _ in 1..n {
                    let last = *p.last().expect("non-empty");
                    p.push(mul((x, y), last));
                }
                if closes(&p) {
                    other.push(format!("{n} (a₁ moved by {dx}, {dy} ulps)"));
                    break 'search;
                }
            }
        }
    }
    println!("{name}: nearest values close for n = {nearest:?}; other values for: {other:?}");
}

fn main() {
    let r = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    survey::<f32>("f32", r);
    survey::<f16>("f16", r);
    survey::<bf16>("bf16", r);
}
