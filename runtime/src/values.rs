//! The float parameters the construction stores, as one deterministic
//! function of the exact phase numerators and the stored dtype. The compiler
//! writes these values and the proof recomputes them bit for bit, so a file
//! whose floats differ from them in any bit does not verify.
//!
//! exp(2πi·c/n) is reduced to the first octant by exact integer arithmetic
//! (so conjugates, quarter turns and reflections are exact mirror images),
//! takes the exact values 1, 0, 1/2 where they exist, and otherwise calls the
//! pure-Rust `libm` (identical on every platform, unlike the system's), then
//! rounds once to the stored dtype.

use crate::ir::{Coord, FloatDtype};
use std::f64::consts::TAU;

/// exp(2πi·c/n) as (re, im) in f64.
pub fn unit_root(c: u32, n: u32) -> (f64, f64) {
    let n = n as u64;
    let k = c as u64 % n;
    if 2 * k > n {
        let (re, im) = half_turn(n - k, n);
        return (re, -im);
    }
    half_turn(k, n)
}

/// k/n ∈ [0, 1/2].
fn half_turn(k: u64, n: u64) -> (f64, f64) {
    if 4 * k > n {
        // π/2 + 2π(4k − n)/(4n).
        let (re, im) = quarter_turn(4 * k - n, 4 * n);
        return (-im, re);
    }
    quarter_turn(k, n)
}

/// k/n ∈ [0, 1/4].
fn quarter_turn(k: u64, n: u64) -> (f64, f64) {
    if 8 * k > n {
        // π/2 − 2π(n − 4k)/(4n): swap cos and sin.
        let (re, im) = octant(n - 4 * k, 4 * n);
        return (im, re);
    }
    octant(k, n)
}

/// k/n ∈ [0, 1/8].
fn octant(k: u64, n: u64) -> (f64, f64) {
    if k == 0 {
        (1.0, 0.0)
    } else if 12 * k == n {
        (libm::sqrt(3.0) / 2.0, 0.5)
    } else if 8 * k == n {
        let s = libm::sqrt(0.5);
        (s, s)
    } else {
        let t = TAU * k as f64 / n as f64;
        (libm::cos(t), libm::sin(t))
    }
}

/// The stored transition a = exp(2πi·c/n) in `dtype`.
pub fn transition(c: u32, n: u32, dtype: FloatDtype) -> (f64, f64) {
    let (re, im) = unit_root(c, n);
    (dtype.round(re), dtype.round(im))
}

/// The stored phase θ = 2π·c/n ∈ [0, 2π) in `dtype`.
pub fn phase(c: u32, n: u32, dtype: FloatDtype) -> f64 {
    dtype.round(TAU * (c as u64 % n as u64) as f64 / n as f64)
}

/// The stored initial state component (1, 0) and input term (0, 0): exact
/// in every dtype.
pub const H0: (f64, f64) = (1.0, 0.0);
pub const B: (f64, f64) = (0.0, 0.0);

/// A component's transition (a, b) for exact code `c` (see
/// [`crate::ir::Coord`]), rounded to `dtype`.
pub fn coord_transition(
    coord: Coord,
    c: u32,
    n: u32,
    dtype: FloatDtype,
) -> ((f64, f64), (f64, f64)) {
    match coord {
        Coord::Phase if c < n => (transition(c, n, dtype), B),
        Coord::Phase => ((0.0, 0.0), transition(c - n, n, dtype)),
        Coord::Register if c == 0 => ((1.0, 0.0), B),
        Coord::Register => ((0.25, 0.0), (4.0 * f64::from(c - 1), 0.0)),
    }
}

/// A component's initial state for digit `d`: a root of unity, or a
/// register holding cur = d / 2, prev = d % 2.
pub fn coord_h0(coord: Coord, d: u32, n: u32, dtype: FloatDtype) -> (f64, f64) {
    match coord {
        Coord::Phase => transition(d, n, dtype),
        Coord::Register => (f64::from(4 * (d / 2) + d % 2), 0.0),
    }
}

/// The digit a component moves to from digit `d` under exact code `c`.
pub fn coord_next(coord: Coord, d: u32, c: u32, n: u32) -> u32 {
    match coord {
        Coord::Phase if c < n => (d + c) % n,
        Coord::Phase => c - n,
        Coord::Register if c == 0 => d,
        Coord::Register => 2 * (c - 1) + d / 2,
    }
}

/// The prime-power parts of m ≥ 1, by ascending prime (60 → [4, 3, 5]):
/// Z/m is their product by the Chinese remainder theorem.
pub fn prime_power_parts(mut m: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut p = 2u32;
    while p.saturating_mul(p) <= m {
        if m.is_multiple_of(p) {
            let mut q = 1;
            while m.is_multiple_of(p) {
                m /= p;
                q *= p;
            }
            out.push(q);
        }
        p += 1;
    }
    if m > 1 {
        out.push(m);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_points_are_exact() {
        assert_eq!(unit_root(0, 5), (1.0, 0.0));
        assert_eq!(unit_root(1, 4), (0.0, 1.0));
        assert_eq!(unit_root(2, 4), (-1.0, 0.0));
        assert_eq!(unit_root(3, 4), (0.0, -1.0));
        assert_eq!(unit_root(1, 2), (-1.0, 0.0));
        assert_eq!(unit_root(1, 6).0, 0.5);
        assert_eq!(unit_root(1, 12).1, 0.5);
        assert_eq!(unit_root(1, 3).0, -0.5);
        assert_eq!(unit_root(2, 3).0, -0.5);
    }

    #[test]
    fn symmetric_and_close_to_the_true_value() {
        for n in 1..200u32 {
            for c in 0..n {
                let (re, im) = unit_root(c, n);
                let t = TAU * c as f64 / n as f64;
                assert!((re - t.cos()).abs() < 2e-15, "cos {c}/{n}");
                assert!((im - t.sin()).abs() < 2e-15, "sin {c}/{n}");
                // Conjugate symmetry is exact.
                let (cr, ci) = unit_root(n - c, n);
                if c != 0 && 2 * c != n {
                    assert_eq!(
                        (re.to_bits(), (-im).to_bits()),
                        (cr.to_bits(), ci.to_bits())
                    );
                }
            }
        }
    }
}
