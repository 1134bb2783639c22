//! `gssm bench MODEL`: executor throughput on random token batches, in
//! tokens (sequence steps) per second, for `benches/compare.py` and for
//! people choosing an executor. Every executor's outputs are checked against
//! the group's running products.

use super::common::{fail, load_model, BackendArg, DtypeArg, ModelLimits};
use gssm_runtime::exec::build;
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::Tokens;
use gssm_runtime::truth::running_products;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Weight file written by `gssm compile`.
    pub model: PathBuf,
    /// Sequences per batch.
    #[arg(long, default_value_t = 1024)]
    pub batch: usize,
    /// Tokens per sequence.
    #[arg(long, default_value_t = 4096)]
    pub len: usize,
    /// Executors to time.
    #[arg(long, value_enum, value_delimiter = ',', default_values = ["reference", "jit"])]
    pub backends: Vec<BackendArg>,
    /// Float types to time.
    #[arg(long, value_enum, value_delimiter = ',', default_values = ["f32", "f64"])]
    pub dtypes: Vec<DtypeArg>,
    /// Timed runs per executor (after one warm-up run); the best counts.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Seed of the random tokens.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Machine-readable report on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub limits: ModelLimits,
}

#[derive(Serialize)]
struct Timing {
    backend: &'static str,
    dtype: &'static str,
    /// Seconds to build the executor (compilation, for the JIT).
    build_s: f64,
    /// Fastest timed run.
    best_s: f64,
    /// Median timed run.
    median_s: f64,
    /// batch × len / best_s.
    tokens_per_s: f64,
    /// CPU time of the process (all threads) in the run of least CPU time:
    /// what the run costs on a machine shared with other work.
    cpu_best_s: f64,
    /// batch × len / cpu_best_s.
    tokens_per_cpu_s: f64,
    /// Outputs equal the running products.
    correct: bool,
}

#[derive(Serialize)]
struct Report {
    group: String,
    order: usize,
    layers: usize,
    batch: usize,
    len: usize,
    threads: usize,
    results: Vec<Timing>,
}

pub fn run(a: Args) -> ExitCode {
    let model = match load_model(&a.model, &a.limits.get()) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let Some(steps) = a
        .batch
        .checked_mul(a.len)
        .filter(|&s| s > 0 && s <= 1 << 30)
    else {
        return fail("--batch × --len must be between 1 and 2^30 token steps");
    };
    let v = model.num_tokens() as u64;
    let mut seed = a.seed;
    let ids = (0..steps)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % v.max(1)) as u32
        })
        .collect();
    let tokens = match Tokens::new(&model, a.batch, a.len, ids) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let truth = running_products(&model, &tokens);
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n: &usize| n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    let mut results = Vec::new();
    for &b in &a.backends {
        for &d in &a.dtypes {
            let dtype: Dtype = d.into();
            let start = Instant::now();
            let exec = match build(&model, b.into(), dtype) {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("skipping {}: {e}", b_name(b));
                    continue;
                }
            };
            let build_s = start.elapsed().as_secs_f64();
            let mut times = Vec::with_capacity(a.repeat);
            let mut cpu_times = Vec::with_capacity(a.repeat);
            let mut correct = true;
            // One output buffer for every run, as a caller running batch
            // after batch would keep it.
            let mut out = vec![0u32; steps];
            for i in 0..=a.repeat.max(1) {
                let (start, cpu0) = (Instant::now(), cpu_seconds());
                if let Err(e) = exec.run_into(&tokens, &mut out) {
                    return fail(e);
                }
                let s = start.elapsed().as_secs_f64();
                let cpu = cpu_seconds().zip(cpu0).map_or(s, |(b, a)| b - a);
                // Run 0 warms up caches, pages and thread pools.
                if i > 0 {
                    times.push(s);
                    cpu_times.push(cpu);
                }
                correct &= out == truth;
            }
            times.sort_by(f64::total_cmp);
            cpu_times.sort_by(f64::total_cmp);
            let t = Timing {
                cpu_best_s: cpu_times[0],
                tokens_per_cpu_s: steps as f64 / cpu_times[0],
                backend: b_name(b),
                dtype: dtype.name(),
                build_s,
                best_s: times[0],
                median_s: times[times.len() / 2],
                tokens_per_s: steps as f64 / times[0],
                correct,
            };
            if !a.json {
                println!(
                    "{:>9} {}: {:>8.1} M tokens/s (best of {}, median {:.1} M/s; build {:.3} s){}",
                    t.backend,
                    t.dtype,
                    t.tokens_per_s / 1e6,
                    times.len(),
                    steps as f64 / t.median_s / 1e6,
                    t.build_s,
                    if t.correct { "" } else { "  WRONG OUTPUTS" }
                );
            }
            results.push(t);
        }
    }
    let ok = results.iter().all(|t| t.correct);
    if a.json {
        let r = Report {
            group: model.manifest.name().to_string(),
            order: model.order(),
            layers: gssm_compiler::report::verify::shape(&model).0,
            batch: a.batch,
            len: a.len,
            threads,
            results,
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&r).expect("report serialises")
        );
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// CPU time of this process so far (every thread), where the platform
/// has a clock for it.
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

fn b_name(b: BackendArg) -> &'static str {
    gssm_runtime::exec::Backend::from(b).name()
}
