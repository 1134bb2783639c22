//! A hand-written limit kernel for diagonal models: what one core can do with
//! AVX2 on the model's semantics, as the yardstick for the JIT.
//!
//!     cargo build --release --example limit
//!     target/release/examples/limit S3.safetensors --batch 1024 --len 4096
//!
//! One sequence per f32 lane, 8 lanes per vector; the state stays in
//! registers; tokens and outputs move as 8×8 blocks transposed in registers;
//! tables of up to 16 entries are looked up with permutes, larger ones
//! gathered; each model shape compared (S3, C60) has its own compiled
//! instance, everything else runs a generic gathering one. The recurrence is the reference's (same products and sums in the
//! same order, no fused multiply-add). Phase digits of moduli up to 8 come
//! from the JIT's half-plane tests; larger moduli reduce to an octant and
//! compare tan(arg) with the octant's boundary tangents. The kernel supports
//! f32 models whose layers have one phase component each (S3, C60 and the
//! other stdlib cyclic and small solvable groups for aussm); other models are
//! refused with a message.
//!
//! It runs on the calling thread only and prints one JSON line: its best and
//! median time over `--repeat` runs, its least CPU time (what counts on a
//! machine shared with other work), and whether its outputs equal the
//! group's running products and the JIT's outputs on the same tokens.

use gssm_runtime::exec::{build, Backend};
use gssm_runtime::format::{load, LoadLimits};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::Tokens;
use gssm_runtime::truth::running_products;
use gssm_runtime::valid::ValidModel;
use std::process::ExitCode;
use std::time::Instant;

struct Args {
    model: String,
    batch: usize,
    len: usize,
    repeat: usize,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        model: String::new(),
        batch: 1024,
        len: 4096,
        repeat: 3,
        seed: 0,
    };
    while let Some(s) = it.next() {
        let mut num = |name: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match s.as_str() {
            "--batch" => a.batch = num("--batch")? as usize,
            "--len" => a.len = num("--len")? as usize,
            "--repeat" => a.repeat = num("--repeat")?.max(1) as usize,
            "--seed" => a.seed = num("--seed")?,
            _ if a.model.is_empty() && !s.starts_with('-') => a.model = s,
            _ => return Err(format!("unexpected argument {s}")),
        }
    }
    if a.model.is_empty() {
        return Err("usage: limit MODEL [--batch B] [--len T] [--repeat R] [--seed S]".to_string());
    }
    Ok(a)
}

/// The same tokens as `gssm bench --seed`.
fn bench_tokens(model: &ValidModel, batch: usize, len: usize, mut seed: u64) -> Vec<u32> {
    let v = model.num_tokens() as u64;
    (0..batch * len)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % v.max(1)) as u32
        })
        .collect()
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let a = parse_args()?;
    let bytes = std::fs::read(&a.model).map_err(|e| format!("cannot read {}: {e}", a.model))?;
    let model = load(&bytes, &LoadLimits::default()).map_err(|e| e.to_string())?;
    if a.batch == 0 || a.len == 0 || !a.batch.is_multiple_of(8) || !a.len.is_multiple_of(8) {
        return Err("--batch and --len must be positive multiples of 8".into());
    }
    let steps = a
        .batch
        .checked_mul(a.len)
        .filter(|&s| s <= 1 << 30)
        .ok_or("--batch × --len must be at most 2^30")?;
    let kernel = kernel::Kernel::new(&model)?;
    let ids = bench_tokens(&model, a.batch, a.len, a.seed);
    let mut out = vec![0u32; steps];
    let mut times = Vec::with_capacity(a.repeat);
    let mut cpu_times = Vec::with_capacity(a.repeat);
    // One untimed run first: page faults of the output buffer and cold caches.
    for i in 0..=a.repeat {
        let (start, cpu0) = (Instant::now(), cpu_seconds());
        kernel.run(&ids, &mut out, a.batch, a.len);
        if i > 0 {
            let s = start.elapsed().as_secs_f64();
            times.push(s);
            cpu_times.push(cpu_seconds().zip(cpu0).map_or(s, |(b, a)| b - a));
        }
    }
    times.sort_by(f64::total_cmp);
    cpu_times.sort_by(f64::total_cmp);
    let tokens = Tokens::new(&model, a.batch, a.len, ids).map_err(|e| e.to_string())?;
    let truth = running_products(&model, &tokens);
    let jit = build(&model, Backend::Jit, Dtype::F32)
        .and_then(|x| x.run(&tokens))
        .map_err(|e| e.to_string())?;
    let best = times[0];
    println!(
        "{{\"backend\": \"limit\", \"batch\": {}, \"len\": {}, \"best_s\": {best}, \"median_s\": {}, \"tokens_per_s\": {}, \"cpu_best_s\": {}, \"tokens_per_cpu_s\": {}, \"correct\": {}, \"equal_jit\": {}}}",
        a.batch,
        a.len,
        times[times.len() / 2],
        steps as f64 / best,
        cpu_times[0],
        steps as f64 / cpu_times[0],
        out == truth,
        out == jit
    );
    Ok(())
}

/// CPU time of this process so far, where the platform has a clock for it
/// (the kernel runs on the calling thread alone).
#[cfg(unix)]
fn cpu_seconds() -> Option<f64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec, which `ts` is.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    (rc == 0).then_some(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9)
}
#[cfg(not(unix))]
fn cpu_seconds() -> Option<f64> {
    None
}

#[cfg(not(target_arch = "x86_64"))]
mod kernel {
    use gssm_runtime::valid::ValidModel;

    pub struct Kernel;

    impl Kernel {
        pub fn new(_: &ValidModel) -> Result<Kernel, String> {
            Err("the limit kernel needs x86-64 with AVX2".into())
        }
        pub fn run(&self, _: &[u32], _: &mut [u32], _: usize, _: usize) {}
    }
}

#[cfg(target_arch = "x86_64")]
mod kernel {
    use gssm_runtime::ir::Coord;
    use gssm_runtime::valid::ValidModel;
    use std::arch::x86_64::*;

    /// Table kinds, fixed per compiled instance: one permute (≤ 8
    /// entries), two permutes and a blend (≤ 16), or a gather.
    const P8: u8 = 0;
    const P16: u8 = 1;
    const GATHER: u8 = 2;
    /// Digit rules: half-plane tests (all moduli ≤ 8) or octant tangents.
    const SECTOR: u8 = 0;
    const OCTANT: u8 = 1;
    /// Half-plane tests per half (padded with tests that never pass) and
    /// tangent slots per octant (padded with +∞).
    const TESTS: usize = 4;
    const SLOTS: usize = 8;

    /// A table of i32 (or f32 bits): the first 16 entries in two vectors
    /// and all of them in memory.
    #[derive(Clone, Copy)]
    struct Tab {
        p: [__m256i; 2],
        g: *const i32,
    }

    #[derive(Clone, Copy)]
    struct Dec {
        /// Upper-half and lower-half tests: (cos β, sin β).
        up: [(__m256, __m256); TESTS],
        lo: [(__m256, __m256); TESTS],
        below_pi: __m256i,
        tans: [__m256; SLOTS],
        base: __m256i,
        sign: __m256i,
        n: __m256i,
        top: __m256i,
    }

    #[derive(Clone, Copy)]
    struct Lay {
        a_re: Tab,
        a_im: Tab,
        coc: Tab,
        dec: Dec,
        tokens: __m256i,
        stride: __m256i,
        plus_zero: bool,
        h0: (f32, f32),
    }

    pub struct Kernel {
        layers: Vec<Lay>,
        readout: Tab,
        /// Owns what the tables' `g` point into.
        _mem: Vec<Vec<i32>>,
        kinds: (u8, u8, u8, u8),
        /// Half-plane tests per half that the largest modulus needs.
        tests: usize,
    }

    // SAFETY: the raw pointers point into `_mem`, owned and never mutated.
    unsafe impl Send for Kernel {}
    unsafe impl Sync for Kernel {}

    fn tab(mem: &mut Vec<Vec<i32>>, vals: &[i32]) -> Tab {
        let v = vals.to_vec();
        let g = v.as_ptr();
        mem.push(v);
        let mut a = [0i32; 16];
        for (x, &y) in a.iter_mut().zip(vals) {
            *x = y;
        }
        // SAFETY: unaligned loads from a 16-element array.
        unsafe {
            Tab {
                p: [
                    _mm256_loadu_si256(a.as_ptr().cast()),
                    _mm256_loadu_si256(a[8..].as_ptr().cast()),
                ],
                g,
            }
        }
    }

    fn kind(len: usize) -> u8 {
        match len {
            0..=8 => P8,
            9..=16 => P16,
            _ => GATHER,
        }
    }

    fn snap(x: f64) -> f64 {
        let r = (2.0 * x).round() / 2.0;
        if (x - r).abs() < 1e-12 {
            r
        } else {
            x
        }
    }

    /// The JIT's half-plane tests for n ≤ 8 and the octant tables for any n.
    fn decoder(n: u32) -> Result<Dec, String> {
        use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI, TAU};
        let beta = |k: u32| (2 * k + 1) as f64 * PI / n as f64;
        let upper: Vec<f64> = (0..n).map(beta).filter(|&b| b < PI - 1e-9).collect();
        let below_pi = (0..n).map(beta).filter(|&b| b < PI + 1e-9).count() as i32;
        let lower: Vec<f64> = (0..n)
            .map(beta)
            .filter(|&b| b > PI + 1e-9)
            .map(|b| b - PI)
            .collect();
        // Octants: o = 4·(re < 0) + 2·(im < 0) + (|re| < |im|); the angle
        // is off + dir·φ, φ = atan(min/max) ∈ [0, π/4].
        let betas: Vec<f64> = (0..n).map(beta).collect();
        let mut per: Vec<(i32, i32, Vec<f64>)> = Vec::new();
        for o in 0..8 {
            let (neg_re, neg_im, swap) = (o & 4 != 0, o & 2 != 0, o & 1 != 0);
            let (o0, d0) = if swap { (FRAC_PI_2, -1.0) } else { (0.0, 1.0) };
            let (off, dir) = match (neg_re, neg_im) {
                (false, false) => (o0, d0),
                (true, false) => (PI - o0, -d0),
                (true, true) => (PI + o0, d0),
                (false, true) => (TAU - o0, -d0),
            };
            let ends = [off, off + dir * FRAC_PI_4];
            let (lo, hi) = (ends[0].min(ends[1]), ends[0].max(ends[1]));
            let base = betas.iter().filter(|&&b| b < lo - 1e-12).count() as i32;
            let mut phis: Vec<f64> = betas
                .iter()
                .filter(|&&b| b >= lo - 1e-12 && b <= hi + 1e-12)
                .map(|&b| ((b - off) / dir).clamp(0.0, FRAC_PI_4))
                .collect();
            phis.sort_by(f64::total_cmp);
            let m = phis.len() as i32;
            // Increasing: base + count; decreasing: base + m − count.
            per.push(if dir > 0.0 {
                (base, -1, phis)
            } else {
                (base + m, 1, phis)
            });
        }
        if n > 8 && per.iter().any(|p| p.2.len() > SLOTS) {
            return Err(format!("modulus {n} is too large for the limit kernel"));
        }
        // SAFETY: register constructors and unaligned loads from 8-element
        // arrays.
        unsafe {
            let test = |list: &[f64], t: usize| match list.get(t) {
                Some(&a) => (
                    _mm256_set1_ps(snap(a.cos()) as f32),
                    _mm256_set1_ps(snap(a.sin()) as f32),
                ),
                // 0·im > 0·re never holds, nor <.
                None => (_mm256_setzero_ps(), _mm256_setzero_ps()),
            };
            let tans = std::array::from_fn(|s| {
                let t: [f32; 8] = std::array::from_fn(|o| {
                    per[o].2.get(s).map_or(f32::INFINITY, |&p| p.tan() as f32)
                });
                _mm256_loadu_ps(t.as_ptr())
            });
            let base: [i32; 8] = std::array::from_fn(|o| per[o].0);
            let sign: [i32; 8] = std::array::from_fn(|o| per[o].1);
            Ok(Dec {
                up: std::array::from_fn(|t| test(&upper, t)),
                lo: std::array::from_fn(|t| test(&lower, t)),
                below_pi: _mm256_set1_epi32(below_pi),
                tans,
                base: _mm256_loadu_si256(base.as_ptr().cast()),
                sign: _mm256_loadu_si256(sign.as_ptr().cast()),
                n: _mm256_set1_epi32(n as i32),
                top: _mm256_set1_epi32(n as i32 - 1),
            })
        }
    }

    impl Kernel {
        pub fn new(model: &ValidModel) -> Result<Kernel, String> {
            if !is_x86_feature_detected!("avx2") {
                return Err("the limit kernel needs AVX2".into());
            }
            let d = model
                .diagonal()
                .ok_or("the limit kernel runs diagonal models only")?;
            if d.layers.len() > 2 {
                return Err("the limit kernel runs models of at most 2 layers".into());
            }
            let mut mem = Vec::new();
            let mut layers = Vec::new();
            let mut stride = 1usize;
            let (mut ka, mut kc) = (P8, P8);
            let mut big_n = false;
            for (i, l) in d.layers.iter().enumerate() {
                if l.width() != 1 || l.coords[0] != Coord::Phase {
                    return Err(format!(
                        "layer {i}: the limit kernel runs layers of one phase component only"
                    ));
                }
                let n = l.moduli[0];
                let all = |xs: &[f64], neg: bool| {
                    xs.iter().all(|&x| x == 0.0 && x.is_sign_negative() == neg)
                };
                let plus_zero = if all(&l.b_re, true) && all(&l.b_im, true) {
                    false
                } else if all(&l.b_re, false) && all(&l.b_im, false) {
                    true
                } else {
                    return Err("the limit kernel runs models without input terms".into());
                };
                let f = |xs: &[f64]| -> Vec<i32> {
                    xs.iter().map(|&x| (x as f32).to_bits() as i32).collect()
                };
                let coc: Vec<i32> = l.cocycle.iter().map(|&c| c as i32).collect();
                ka = ka.max(kind(l.num_tokens));
                if !coc.is_empty() {
                    kc = kc.max(kind(coc.len()));
                }
                big_n |= n > 8;
                // SAFETY: register constructors; AVX2 was detected above.
                let (tokens, stride_v) = unsafe {
                    (
                        _mm256_set1_epi32(l.num_tokens as i32),
                        _mm256_set1_epi32(stride as i32),
                    )
                };
                layers.push(Lay {
                    a_re: tab(&mut mem, &f(&l.a_re)),
                    a_im: tab(&mut mem, &f(&l.a_im)),
                    coc: tab(&mut mem, &coc),
                    dec: decoder(n)?,
                    tokens,
                    stride: stride_v,
                    plus_zero,
                    h0: (l.h0_re[0] as f32, l.h0_im[0] as f32),
                });
                stride *= n as usize;
            }
            let readout: Vec<i32> = d
                .readout
                .as_ref()
                .ok_or("this kernel reads a readout table; the model has none")?
                .iter()
                .map(|&c| c as i32)
                .collect();
            let kr = kind(readout.len());
            let readout = tab(&mut mem, &readout);
            Ok(Kernel {
                layers,
                readout,
                _mem: mem,
                kinds: (ka, kc, kr, if big_n { OCTANT } else { SECTOR }),
                tests: d
                    .layers
                    .iter()
                    .map(|l| l.moduli[0] as usize / 2)
                    .max()
                    .unwrap_or(0),
            })
        }

        /// Outputs of `batch` sequences of `len` tokens (row-major; both
        /// multiples of 8, every token valid).
        pub fn run(&self, tokens: &[u32], out: &mut [u32], batch: usize, len: usize) {
            assert!(tokens.len() == batch * len && out.len() == tokens.len());
            assert!(batch.is_multiple_of(8) && len.is_multiple_of(8));
            let (l, r) = (self.layers.as_slice(), self.readout);
            let (t, o) = (tokens.as_ptr(), out.as_mut_ptr());
            // SAFETY: AVX2 was detected in `new`; the buffers are as long as
            // asserted above; every table index is in range for valid
            // tokens.
            unsafe {
                // The shapes of the stdlib models compared (S3, C60) get
                // their own instances; everything else gathers.
                match (l.len(), self.kinds) {
                    (0, _) => out.fill(self._mem.last().map_or(0, |r| r[0] as u32)),
                    (2, (P8, P16, P8, SECTOR)) if self.tests == 1 => {
                        run_k::<2, P8, P16, P8, SECTOR, 1>(l, r, t, o, batch, len)
                    }
                    (1, (GATHER, _, GATHER, OCTANT)) => {
                        run_k::<1, GATHER, GATHER, GATHER, OCTANT, 0>(l, r, t, o, batch, len)
                    }
                    (1, (_, _, _, SECTOR)) => {
                        run_k::<1, GATHER, GATHER, GATHER, SECTOR, TESTS>(l, r, t, o, batch, len)
                    }
                    (1, _) => run_k::<1, GATHER, GATHER, GATHER, OCTANT, 0>(l, r, t, o, batch, len),
                    (_, (_, _, _, SECTOR)) => {
                        run_k::<2, GATHER, GATHER, GATHER, SECTOR, TESTS>(l, r, t, o, batch, len)
                    }
                    _ => run_k::<2, GATHER, GATHER, GATHER, OCTANT, 0>(l, r, t, o, batch, len),
                }
            }
        }
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn get<const KIND: u8>(t: &Tab, idx: __m256i) -> __m256i {
        match KIND {
            P8 => _mm256_permutevar8x32_epi32(t.p[0], idx),
            P16 => {
                let a = _mm256_permutevar8x32_epi32(t.p[0], idx);
                let b = _mm256_permutevar8x32_epi32(t.p[1], idx);
                // Index bit 3 in the sign bit picks the upper half.
                let m = _mm256_castsi256_ps(_mm256_slli_epi32::<28>(idx));
                _mm256_castps_si256(_mm256_blendv_ps(
                    _mm256_castsi256_ps(a),
                    _mm256_castsi256_ps(b),
                    m,
                ))
            }
            _ => _mm256_i32gather_epi32::<4>(t.g, idx),
        }
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn getf<const KIND: u8>(t: &Tab, idx: __m256i) -> __m256 {
        _mm256_castsi256_ps(get::<KIND>(t, idx))
    }

    /// Whole groups of 8 sequences, 8 steps at a time.
    #[target_feature(enable = "avx2")]
    unsafe fn run_k<
        const K: usize,
        const KA: u8,
        const KC: u8,
        const KR: u8,
        const DEC: u8,
        const H: usize,
    >(
        ls: &[Lay],
        readout: Tab,
        tokens: *const u32,
        out: *mut u32,
        batch: usize,
        len: usize,
    ) {
        // Everything the loop reads is copied into locals, which nothing
        // the loop stores can alias, so it stays in registers.
        let mut layers = [ls[0]; K];
        layers.copy_from_slice(&ls[..K]);
        let zero = _mm256_setzero_ps();
        for g in 0..batch / 8 {
            let mut hr = [zero; K];
            let mut hi = [zero; K];
            for i in 0..K {
                hr[i] = _mm256_set1_ps(layers[i].h0.0);
                hi[i] = _mm256_set1_ps(layers[i].h0.1);
            }
            let rows = g * 8 * len;
            for t0 in (0..len).step_by(8) {
                let mut x = [_mm256_setzero_si256(); 8];
                for (r, xr) in x.iter_mut().enumerate() {
                    *xr = _mm256_loadu_si256(tokens.add(rows + r * len + t0).cast());
                }
                transpose(&mut x);
                let mut y = [_mm256_setzero_si256(); 8];
                for s in 0..8 {
                    let mut v = x[s];
                    let mut joint = _mm256_setzero_si256();
                    for i in 0..K {
                        let l = &layers[i];
                        let ar = getf::<KA>(&l.a_re, v);
                        let ai = getf::<KA>(&l.a_im, v);
                        // (a.re·h.re − a.im·h.im) + b.re, (a.re·h.im + a.im·h.re) + b.im.
                        let mut re =
                            _mm256_sub_ps(_mm256_mul_ps(ar, hr[i]), _mm256_mul_ps(ai, hi[i]));
                        let mut im =
                            _mm256_add_ps(_mm256_mul_ps(ar, hi[i]), _mm256_mul_ps(ai, hr[i]));
                        if l.plus_zero {
                            re = _mm256_add_ps(re, zero);
                            im = _mm256_add_ps(im, zero);
                        }
                        hr[i] = re;
                        hi[i] = im;
                        let code = digit::<DEC, H>(&l.dec, re, im);
                        joint = if i == 0 {
                            code
                        } else {
                            _mm256_add_epi32(joint, _mm256_mullo_epi32(code, l.stride))
                        };
                        if i + 1 < K {
                            let idx = _mm256_add_epi32(_mm256_mullo_epi32(code, l.tokens), v);
                            v = get::<KC>(&l.coc, idx);
                        }
                    }
                    y[s] = get::<KR>(&readout, joint);
                }
                transpose(&mut y);
                for (r, &yr) in y.iter().enumerate() {
                    _mm256_storeu_si256(out.add(rows + r * len + t0).cast(), yr);
                }
            }
        }
    }

    /// The digit in 0..n of a phase component.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn digit<const DEC: u8, const H: usize>(d: &Dec, re: __m256, im: __m256) -> __m256i {
        let k = if DEC == SECTOR {
            let (mut up, mut lo) = (_mm256_setzero_si256(), _mm256_setzero_si256());
            for &(c, s) in &d.up[..H] {
                let m = _mm256_cmp_ps::<_CMP_GT_OQ>(_mm256_mul_ps(im, c), _mm256_mul_ps(re, s));
                up = _mm256_sub_epi32(up, _mm256_castps_si256(m));
            }
            for &(c, s) in &d.lo[..H] {
                let m = _mm256_cmp_ps::<_CMP_LT_OQ>(_mm256_mul_ps(im, c), _mm256_mul_ps(re, s));
                lo = _mm256_sub_epi32(lo, _mm256_castps_si256(m));
            }
            let lower = _mm256_cmp_ps::<_CMP_LT_OQ>(im, _mm256_setzero_ps());
            let lo = _mm256_add_epi32(lo, d.below_pi);
            _mm256_castps_si256(_mm256_blendv_ps(
                _mm256_castsi256_ps(up),
                _mm256_castsi256_ps(lo),
                lower,
            ))
        } else {
            let absm = _mm256_castsi256_ps(_mm256_set1_epi32(i32::MAX));
            let (ax, ay) = (_mm256_and_ps(re, absm), _mm256_and_ps(im, absm));
            let t = _mm256_div_ps(_mm256_min_ps(ax, ay), _mm256_max_ps(ax, ay));
            let swap = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_LT_OQ>(ax, ay));
            let sr = _mm256_srli_epi32::<31>(_mm256_castps_si256(re));
            let si = _mm256_srli_epi32::<31>(_mm256_castps_si256(im));
            let o = _mm256_or_si256(
                _mm256_or_si256(_mm256_slli_epi32::<2>(sr), _mm256_slli_epi32::<1>(si)),
                _mm256_srli_epi32::<31>(swap),
            );
            let mut cnt = _mm256_setzero_si256();
            for &tv in &d.tans {
                let th = _mm256_permutevar8x32_ps(tv, o);
                let m = _mm256_cmp_ps::<_CMP_GT_OQ>(t, th);
                cnt = _mm256_add_epi32(cnt, _mm256_castps_si256(m));
            }
            // cnt is minus the count; sign −1 negates it (increasing octants).
            let b = _mm256_permutevar8x32_epi32(d.base, o);
            let sg = _mm256_permutevar8x32_epi32(d.sign, o);
            _mm256_add_epi32(b, _mm256_sign_epi32(cnt, sg))
        };
        // n is digit 0; clamp to 0..n whatever the state.
        let k = _mm256_andnot_si256(_mm256_cmpeq_epi32(k, d.n), k);
        _mm256_min_epu32(k, d.top)
    }

    /// In-register transpose of an 8×8 block of 32-bit lanes.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn transpose(r: &mut [__m256i; 8]) {
        use _mm256_castps_si256 as si;
        use _mm256_castsi256_ps as ps;
        let t0 = _mm256_unpacklo_epi32(r[0], r[1]);
        let t1 = _mm256_unpackhi_epi32(r[0], r[1]);
        let t2 = _mm256_unpacklo_epi32(r[2], r[3]);
        let t3 = _mm256_unpackhi_epi32(r[2], r[3]);
        let t4 = _mm256_unpacklo_epi32(r[4], r[5]);
        let t5 = _mm256_unpackhi_epi32(r[4], r[5]);
        let t6 = _mm256_unpacklo_epi32(r[6], r[7]);
        let t7 = _mm256_unpackhi_epi32(r[6], r[7]);
        let s0 = si(_mm256_shuffle_ps::<0x44>(ps(t0), ps(t2)));
        let s1 = si(_mm256_shuffle_ps::<0xEE>(ps(t0), ps(t2)));
        let s2 = si(_mm256_shuffle_ps::<0x44>(ps(t1), ps(t3)));
        let s3 = si(_mm256_shuffle_ps::<0xEE>(ps(t1), ps(t3)));
        let s4 = si(_mm256_shuffle_ps::<0x44>(ps(t4), ps(t6)));
        let s5 = si(_mm256_shuffle_ps::<0xEE>(ps(t4), ps(t6)));
        let s6 = si(_mm256_shuffle_ps::<0x44>(ps(t5), ps(t7)));
        let s7 = si(_mm256_shuffle_ps::<0xEE>(ps(t5), ps(t7)));
        r[0] = _mm256_permute2x128_si256::<0x20>(s0, s4);
        r[1] = _mm256_permute2x128_si256::<0x20>(s1, s5);
        r[2] = _mm256_permute2x128_si256::<0x20>(s2, s6);
        r[3] = _mm256_permute2x128_si256::<0x20>(s3, s7);
        r[4] = _mm256_permute2x128_si256::<0x31>(s0, s4);
        r[5] = _mm256_permute2x128_si256::<0x31>(s1, s5);
        r[6] = _mm256_permute2x128_si256::<0x31>(s2, s6);
        r[7] = _mm256_permute2x128_si256::<0x31>(s3, s7);
    }
}
