//! `gssm verify MODEL`: the proof, the exhaustive check of the float model,
//! and the precision horizon per dtype. Exit code 0 only when the proof and
//! the exhaustive check pass; the horizon is reported, never hidden.

use super::common::{fail, file_dtype, load_model, BackendArg, DtypeArg, ModelLimits};
use gssm_compiler::verify::exhaustive::count_sequences;
use gssm_compiler::verify::{
    exhaustive_cpu, horizon, proof, ExhaustiveReport, HorizonReport, ProofReport,
};
use gssm_runtime::exec::{gpu, jit};
use gssm_runtime::ir::Model;
use gssm_runtime::scalar::Dtype;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Weight file written by `gssm compile`.
    pub model: PathBuf,
    /// Check every sequence of length ≤ L (default: the largest L whose
    /// sequence count fits in --budget).
    #[arg(long, short = 'L')]
    pub length: Option<usize>,
    /// Sequence budget for the default length.
    #[arg(long, default_value_t = 4_000_000)]
    pub budget: u64,
    /// Executor for the exhaustive check (and, for gpu, the f32 horizon).
    #[arg(long, value_enum, default_value = "jit")]
    pub backend: BackendArg,
    /// Check only shard i of n of the exhaustive space (gpu backend), e.g.
    /// `--shard 3/8`; the shards' counts add up to the whole.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Random sequences per dtype for the precision horizon.
    #[arg(long, default_value_t = 4)]
    pub horizon_seqs: usize,
    /// Longest random sequence for the precision horizon (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    pub horizon_len: usize,
    /// Dtypes whose horizon to measure.
    #[arg(long, value_enum, value_delimiter = ',', default_values = ["f64", "f32", "f16", "bf16"])]
    pub dtypes: Vec<DtypeArg>,
    /// Seed of the random sequences.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Machine-readable report on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub limits: ModelLimits,
}

#[derive(Serialize)]
struct Report {
    group: String,
    order: usize,
    target: String,
    layers: usize,
    widths: Vec<usize>,
    proof: ProofReport,
    exhaustive_length: usize,
    exhaustive: ExhaustiveReport,
    exhaustive_dtype: &'static str,
    exhaustive_backend: &'static str,
    horizons: Vec<HorizonReport>,
    ok: bool,
}

fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or("write the shard as i/n, e.g. 0/4")?;
    let (i, n) = (
        i.trim().parse::<u64>().map_err(|e| e.to_string())?,
        n.trim().parse::<u64>().map_err(|e| e.to_string())?,
    );
    if n == 0 || i >= n {
        return Err(format!("shard {i}/{n} does not exist: need i < n"));
    }
    Ok((i, n))
}

/// Largest L with Σ_{l≤L} V^l ≤ budget (at least 1).
fn default_length(v: u64, budget: u64) -> usize {
    (1..64)
        .take_while(|&l| count_sequences(v, l).is_some_and(|c| c <= budget))
        .last()
        .unwrap_or(1)
}

fn exhaustive(
    model: &Model,
    dtype: Dtype,
    length: usize,
    a: &Args,
) -> Result<(ExhaustiveReport, &'static str), String> {
    let shard = a.shard.unwrap_or((0, 1));
    if shard.1 > 1 && a.backend != BackendArg::Gpu {
        return Err("--shard splits the gpu backend's exhaustive check; add --backend gpu".into());
    }
    match a.backend {
        BackendArg::Reference => Ok((
            match dtype {
                Dtype::F64 => exhaustive_cpu::<f64>(model, length),
                _ => exhaustive_cpu::<f32>(model, length),
            },
            "reference",
        )),
        BackendArg::Jit => jit::exhaustive(model, dtype, length)
            .map(|r| (r, "jit"))
            .map_err(|e| e.to_string()),
        BackendArg::Gpu => gpu::exhaustive(model, length, shard)
            .map(|r| (r, "gpu"))
            .map_err(|e| e.to_string()),
    }
}

pub fn run(a: Args) -> ExitCode {
    let model = match load_model(&a.model, &a.limits.get()) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let m = &model.manifest;
    let widths: Vec<usize> = model.layers.iter().map(|l| l.width()).collect();
    if !a.json {
        println!(
            "model: {} (order {}), target {}, {} layer(s) of widths {:?}, {}",
            m.group.name,
            m.group.order,
            m.target,
            model.layers.len(),
            widths,
            m.dtype
        );
    }
    let pr = proof(&model);
    if !a.json {
        match &pr.failure {
            None => println!(
                "proof: ok: {} reachable joint states × {} tokens = {} transitions, each reading out the group product",
                pr.states,
                model.num_tokens(),
                pr.transitions
            ),
            Some(f) => println!("proof: FAILED: {f}"),
        }
    }
    let v = model.num_tokens() as u64;
    let length = a.length.unwrap_or_else(|| default_length(v, a.budget));
    if count_sequences(v, length).is_none() {
        return fail(format!(
            "{v}^{length} sequences overflow a 64-bit count; choose a smaller --length"
        ));
    }
    let dtype = file_dtype(&model);
    // The GPU runs in f32 only: it checks the f32 model whatever the file.
    let dtype = if a.backend == BackendArg::Gpu {
        Dtype::F32
    } else {
        dtype
    };
    let (ex, backend) = match exhaustive(&model, dtype, length, &a) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if !a.json {
        match &ex.first_failure {
            None => println!(
                "exhaustive ({}, {backend}): all {} sequences of length ≤ {length} correct",
                dtype.name(),
                ex.sequences
            ),
            Some(f) => {
                let toks: Vec<&str> = f.iter().map(|&t| m.tokens[t as usize].as_str()).collect();
                println!(
                    "exhaustive ({}, {backend}): {} of {} sequences of length ≤ {length} WRONG; first: [{}]",
                    dtype.name(),
                    ex.mismatches,
                    ex.sequences,
                    toks.join(" ")
                );
            }
        }
    }
    let mut horizons = Vec::new();
    if a.horizon_len > 0 {
        if !a.json {
            println!(
                "precision horizon ({} random sequences of up to {} steps, seed {}):",
                a.horizon_seqs, a.horizon_len, a.seed
            );
        }
        for d in &a.dtypes {
            let d: Dtype = (*d).into();
            let total = (a.horizon_seqs * a.horizon_len) as u64;
            let bar = ProgressBar::new(total).with_style(
                ProgressStyle::with_template(
                    "  {prefix:>5} [{bar:40}] {pos}/{len} steps ({per_sec})",
                )
                .expect("template")
                .progress_chars("=> "),
            );
            bar.set_prefix(d.name());
            let h = if a.backend == BackendArg::Gpu && d == Dtype::F32 {
                match gpu::horizon(&model, a.horizon_seqs as u32, a.horizon_len as u32, a.seed) {
                    Ok(h) => h,
                    Err(e) => return fail(e),
                }
            } else {
                horizon(&model, d, a.horizon_seqs, a.horizon_len, a.seed, &|n| {
                    bar.set_position(n)
                })
            };
            bar.finish_and_clear();
            if !a.json {
                match h.horizon {
                    Some(t) => println!("  {:>5}  wrong first at step {t}", d.name()),
                    None => println!("  {:>5}  correct through {} steps", d.name(), a.horizon_len),
                }
            }
            horizons.push(h);
        }
    }
    let ok = pr.ok && ex.mismatches == 0;
    if a.json {
        let r = Report {
            group: m.group.name.clone(),
            order: m.group.order,
            target: m.target.clone(),
            layers: model.layers.len(),
            widths,
            proof: pr,
            exhaustive_length: length,
            exhaustive: ex,
            exhaustive_dtype: dtype.name(),
            exhaustive_backend: backend,
            horizons,
            ok,
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
