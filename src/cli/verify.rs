//! `gssm verify MODEL`: the proof, the exhaustive check of the float model,
//! and the precision horizon per dtype. Exit code 0 only when the proof and
//! the exhaustive check pass; the horizon is reported, never hidden.

use super::common::{fail, file_dtype, load_model, BackendArg, DtypeArg, ModelLimits};
use super::source::{load_elaborated, SourceLimits};
use gssm_compiler::verify::exhaustive::{self, count_sequences};
use gssm_compiler::verify::{
    exhaustive_cpu, horizon, proof, same_group, ExhaustiveReport, HorizonReport, ProofReport,
};
use gssm_runtime::exec::{expected_sequences, gpu, jit};
use gssm_runtime::ir::Net;
use gssm_runtime::scalar::Dtype;
use gssm_runtime::valid::ValidModel;
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
    /// Executor for the exhaustive check (and, for gpu, the f32 horizon);
    /// default jit, or reference for the one-layer targets and start-token
    /// models, which the jit does not run.
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
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
    /// Also check that the file's group is the group the source FILE defines
    /// under the file's group name (same generators, same products).
    #[arg(long, value_name = "FILE")]
    pub source: Option<PathBuf>,
    #[command(flatten)]
    pub limits: ModelLimits,
    #[command(flatten)]
    pub source_limits: SourceLimits,
}

#[derive(Serialize)]
struct Report {
    group: String,
    order: usize,
    target: String,
    layers: usize,
    widths: Vec<usize>,
    /// "checked against FILE", or null when no source was given (the name
    /// is then only a label).
    source: Option<String>,
    proof: ProofReport,
    exhaustive_length: usize,
    /// (i, n) when only shard i of n was checked.
    exhaustive_shard: Option<(u64, u64)>,
    /// Sequences the check had to cover (in the shard, if one).
    exhaustive_expected: u64,
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
    model: &ValidModel,
    dtype: Dtype,
    length: usize,
    a: &Args,
) -> Result<(ExhaustiveReport, &'static str), String> {
    let shard = a.shard.unwrap_or((0, 1));
    if shard.1 > 1 && backend_of(model, a) != BackendArg::Gpu {
        return Err("--shard splits the gpu backend's exhaustive check; add --backend gpu".into());
    }
    match backend_of(model, a) {
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

/// The backend asked for, or the default for this model.
fn backend_of(model: &ValidModel, a: &Args) -> BackendArg {
    a.backend.unwrap_or(
        if model.diagonal().is_some() && model.manifest.bos.is_none() {
            BackendArg::Jit
        } else {
            BackendArg::Reference
        },
    )
}

/// Layers and their widths (state sizes), for reports.
pub fn shape(model: &ValidModel) -> (usize, Vec<usize>) {
    match &model.net {
        Net::Diagonal(d) => (d.layers.len(), d.layers.iter().map(|l| l.width()).collect()),
        Net::Pd(c) => (1, vec![c.action.degree()]),
        Net::Delta(c) => (1, vec![c.dim()]),
        Net::Rnn(c) => (1, vec![c.hidden()]),
    }
}

/// The group the source defines under the file's group name, compared with
/// the file's.
fn check_source(model: &ValidModel, a: &Args) -> Result<Option<String>, ExitCode> {
    let Some(file) = &a.source else {
        return Ok(None);
    };
    let name = &model.manifest.group.name;
    let e = load_elaborated(file, Some(name), &a.source_limits)?;
    match same_group(model, &e.group) {
        Ok(()) => Ok(Some(format!("checked against {}", file.display()))),
        Err(why) => Err(fail(format!(
            "the file's group is not {name} as {} defines it: {why}",
            file.display()
        ))),
    }
}

pub fn run(a: Args) -> ExitCode {
    let model = match load_model(&a.model, &a.limits.get()) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let m = &model.manifest;
    let (layers, widths) = shape(&model);
    if !a.json {
        println!(
            "model: {} (order {}), target {}, {} layer(s) of widths {:?}, {}{}",
            m.group.name,
            model.order(),
            m.target,
            layers,
            widths,
            m.dtype,
            if m.bos.is_some() {
                ", from the zero state with a start token"
            } else {
                ""
            }
        );
    }
    let source = match check_source(&model, &a) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if !a.json {
        match &source {
            Some(s) => println!("group: {} is the source's group ({s})", m.group.name),
            None => println!(
                "group: the name {} is a label (pass --source FILE to check it against its source)",
                m.group.name
            ),
        }
    }
    let pr = proof(&model);
    if !a.json {
        match &pr.failure {
            None => println!(
                "proof: ok: every stored {} value is the construction's, bit for bit; the table is associative; {} reachable joint states × {} tokens = {} transitions, each reading out the group product",
                pr.dtype,
                pr.states,
                model.num_tokens(),
                pr.transitions
            ),
            Some(f) => println!("proof: FAILED: {f}"),
        }
        if let Some(h) = &pr.horizon {
            println!("proof: horizon {h}");
        }
    }
    let v = model.num_tokens() as u64;
    let length = a.length.unwrap_or_else(|| default_length(v, a.budget));
    let shard = a.shard.unwrap_or((0, 1));
    let counted = if model.manifest.bos.is_some() {
        exhaustive::expected(&model, length).filter(|_| shard == (0, 1))
    } else {
        expected_sequences(v, length, shard)
    };
    let Some(expected) = counted else {
        return fail(format!(
            "{v}^{length} sequences overflow a 64-bit count; choose a smaller --length"
        ));
    };
    let dtype = file_dtype(&model);
    // The GPU runs in f32 only: it checks the f32 model whatever the file.
    let dtype = if backend_of(&model, &a) == BackendArg::Gpu {
        Dtype::F32
    } else {
        dtype
    };
    let (ex, backend) = match exhaustive(&model, dtype, length, &a) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    // A backend that skipped sequences must not pass: it counts what it
    // checked, and the count must be the whole space (or shard).
    let complete = ex.sequences == expected;
    let scope = match a.shard {
        Some((i, n)) => format!("shard {i}/{n} of the sequences"),
        None => "all sequences".into(),
    };
    if !a.json {
        let what = format!(
            "exhaustive ({}, {backend}, {scope} of length ≤ {length})",
            dtype.name()
        );
        if !complete {
            println!(
                "{what}: INCOMPLETE: the backend checked {} sequences, but there are {expected}",
                ex.sequences
            );
        }
        match &ex.first_failure {
            None if complete => println!("{what}: all {expected} correct"),
            None => {}
            Some(f) => {
                let toks: Vec<&str> = f.iter().map(|&t| m.tokens[t as usize].as_str()).collect();
                println!(
                    "{what}: {} of {} WRONG; first: [{}]",
                    ex.mismatches,
                    ex.sequences,
                    toks.join(" ")
                );
            }
        }
        if a.shard.is_some() && complete && ex.mismatches == 0 {
            println!(
                "  (a shard: the model is checked to length {length} only when every shard of {} passes)",
                shard.1
            );
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
            let h = if backend_of(&model, &a) == BackendArg::Gpu && d == Dtype::F32 {
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
    let ok = pr.ok && complete && ex.mismatches == 0;
    if a.json {
        let r = Report {
            group: m.group.name.clone(),
            order: model.order(),
            target: m.target.clone(),
            layers,
            widths,
            source,
            proof: pr,
            exhaustive_length: length,
            exhaustive_shard: a.shard,
            exhaustive_expected: expected,
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
