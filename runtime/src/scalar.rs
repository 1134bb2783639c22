//! Float types the executors and the precision sweep run in.
//!
//! f16 and bf16 are emulated: values are stored in the narrow type and every
//! operation's result is computed in f32 (exact for one product of narrow
//! values) and rounded back, as elementwise narrow-type kernels do.

use half::{bf16, f16};
use std::fmt::Debug;

/// A real scalar the reference recurrence can run in.
pub trait Real: Copy + Debug + Send + Sync + 'static {
    const NAME: &'static str;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    /// Complex multiply-add `a*h + b` on (re, im) pairs, rounded as the type
    /// rounds.
    fn cmul_add(a: (Self, Self), h: (Self, Self), b: (Self, Self)) -> (Self, Self);
    /// arg(re + i·im) in radians, (-π, π].
    fn arg(re: Self, im: Self) -> f64;
    /// Real product and sum, each rounded once to the type (the exact
    /// result of two values of these types is exact in f64, or rounds to
    /// the same value, so going through f64 is the type's own rounding).
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Self::from_f64(self.to_f64() * o.to_f64())
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self::from_f64(self.to_f64() + o.to_f64())
    }
}

macro_rules! native_real {
    ($t:ty, $name:expr) => {
        impl Real for $t {
            const NAME: &'static str = $name;
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn cmul_add(a: (Self, Self), h: (Self, Self), b: (Self, Self)) -> (Self, Self) {
                (a.0 * h.0 - a.1 * h.1 + b.0, a.0 * h.1 + a.1 * h.0 + b.1)
            }
            #[inline(always)]
            fn arg(re: Self, im: Self) -> f64 {
                im.atan2(re) as f64
            }
        }
    };
}
native_real!(f64, "f64");
native_real!(f32, "f32");

macro_rules! narrow_real {
    ($t:ty, $name:expr) => {
        impl Real for $t {
            const NAME: &'static str = $name;
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                <$t>::from_f64(x)
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                <$t>::to_f64(self)
            }
            #[inline(always)]
            fn cmul_add(a: (Self, Self), h: (Self, Self), b: (Self, Self)) -> (Self, Self) {
                // Each product, then each sum, rounded to the narrow type
                // (f32 holds each exact product): the weight file's
                // arithmetic, as NumPy's float16 and PyTorch's bfloat16
                // elementwise operations compute it.
                let (ar, ai, hr, hi) = (a.0.to_f32(), a.1.to_f32(), h.0.to_f32(), h.1.to_f32());
                let r = |x: f32| <$t>::from_f32(x).to_f32();
                (
                    <$t>::from_f32(r(r(ar * hr) - r(ai * hi)) + b.0.to_f32()),
                    <$t>::from_f32(r(r(ar * hi) + r(ai * hr)) + b.1.to_f32()),
                )
            }
            #[inline(always)]
            fn arg(re: Self, im: Self) -> f64 {
                im.to_f32().atan2(re.to_f32()) as f64
            }
        }
    };
}
narrow_real!(f16, "f16");
narrow_real!(bf16, "bf16");

/// Nearest digit q in Z_n for a phase angle: round(angle·n/2π) mod n.
#[inline(always)]
pub fn phase_digit(angle: f64, n: u32) -> u32 {
    let k = (angle * n as f64 / std::f64::consts::TAU).round() as i64;
    k.rem_euclid(n as i64) as u32
}

/// Executor float precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dtype {
    F64,
    F32,
    F16,
    Bf16,
}

impl Dtype {
    pub const ALL: [Dtype; 4] = [Dtype::F64, Dtype::F32, Dtype::F16, Dtype::Bf16];
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F64 => "f64",
            Dtype::F32 => "f32",
            Dtype::F16 => "f16",
            Dtype::Bf16 => "bf16",
        }
    }
    pub fn parse(s: &str) -> Option<Dtype> {
        match s {
            "f64" | "float64" => Some(Dtype::F64),
            "f32" | "float32" => Some(Dtype::F32),
            "f16" | "float16" => Some(Dtype::F16),
            "bf16" | "bfloat16" => Some(Dtype::Bf16),
            _ => None,
        }
    }
}

impl From<crate::ir::FloatDtype> for Dtype {
    fn from(d: crate::ir::FloatDtype) -> Dtype {
        match d {
            crate::ir::FloatDtype::F32 => Dtype::F32,
            crate::ir::FloatDtype::F64 => Dtype::F64,
        }
    }
}
