//! Precision horizon: long random sequences in a float type; the first step
//! at which the decoded output differs from the true running product.

use gssm_runtime::exec::reference::Stepper;
use gssm_runtime::scalar::{Dtype, Real};
use gssm_runtime::valid::ValidModel;
use half::{bf16, f16};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

pub use gssm_runtime::exec::HorizonReport;

/// SplitMix64: a tiny, well-known seeded generator, so runs are reproducible
/// across platforms.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Run `sequences` random sequences of up to `max_len` tokens (seeded) in
/// `dtype`; `progress` is called with the number of steps done so far.
pub fn horizon(
    model: &ValidModel,
    dtype: Dtype,
    sequences: usize,
    max_len: usize,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> HorizonReport {
    let h = match dtype {
        Dtype::F64 => run::<f64>(model, sequences, max_len, seed, progress),
        Dtype::F32 => run::<f32>(model, sequences, max_len, seed, progress),
        Dtype::F16 => run::<f16>(model, sequences, max_len, seed, progress),
        Dtype::Bf16 => run::<bf16>(model, sequences, max_len, seed, progress),
    };
    HorizonReport {
        dtype: dtype.name(),
        sequences,
        max_len,
        horizon: h,
    }
}

fn run<R: Real>(
    model: &ValidModel,
    sequences: usize,
    max_len: usize,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Option<usize> {
    let stepper = Stepper::<R>::new(model);
    // A start-token model reads its start token first, then group tokens.
    let bos = model.manifest.bos;
    let v = model.num_tokens() as u64 - u64::from(bos.is_some());
    let done = AtomicU64::new(0);
    // Sequences stop at the best horizon found so far: nothing later can
    // lower the minimum.
    let best = AtomicU64::new(u64::MAX);
    (0..sequences).into_par_iter().for_each(|s| {
        let mut rng = seed ^ (s as u64).wrapping_mul(0xA24B_AED4_963E_E407);
        let mut st = stepper.init();
        if let Some(b) = bos {
            stepper.step(&mut st, b);
        }
        let mut g = model.initial_output();
        let mut since = 0u64;
        for t in 1..=max_len as u64 {
            if t >= best.load(Ordering::Relaxed) {
                break;
            }
            let x = (splitmix64(&mut rng) % v) as u32;
            g = model.next_output(g, x);
            since += 1;
            if since == 1 << 16 {
                progress(done.fetch_add(since, Ordering::Relaxed) + since);
                since = 0;
            }
            if stepper.step(&mut st, x) != g {
                best.fetch_min(t, Ordering::Relaxed);
                break;
            }
        }
        progress(done.fetch_add(since, Ordering::Relaxed) + since);
    });
    match best.load(Ordering::Relaxed) {
        u64::MAX => None,
        t => Some(t as usize),
    }
}
