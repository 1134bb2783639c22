//! `gssm verify MODEL`: the proof, the exhaustive check of the float model,
//! and the precision horizon per dtype. Exit code 0 only when the proof and
//! the exhaustive check pass; the horizon is reported, never hidden.
//!
//! The checks and the report are `gssm_compiler::report::verify`; this
//! module parses the flags and prints each step's line as it finishes
//! (`Printer`), or the report as JSON.

use super::common::{fail, load_model, BackendArg, DtypeArg, ModelLimits};
use super::source::{load_checked, SourceLimits};
use gssm_compiler::report::verify::{
    shape, verify, Exhaustive, Observer, Options, Precision, SourceGroup, SourceKind,
};
use gssm_compiler::verify::{HorizonReport, ProofReport};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::valid::ValidModel;
use indicatif::{ProgressBar, ProgressStyle};
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
    #[arg(long, default_value_t = Options::default().budget)]
    pub budget: u64,
    /// Executor for the exhaustive check (and, for gpu, the f32 horizon);
    /// default jit, or reference for the one-layer targets and start-token
    /// models, which the jit does not check.
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
    /// Check only shard i of n of the exhaustive space (gpu backend), e.g.
    /// `--shard 3/8`; the shards' counts add up to the whole.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Random sequences per dtype for the precision horizon.
    #[arg(long, default_value_t = Options::default().horizon_seqs)]
    pub horizon_seqs: usize,
    /// Longest random sequence for the precision horizon (0 skips it).
    #[arg(long, default_value_t = Options::default().horizon_len)]
    pub horizon_len: usize,
    /// Most (float state, digit) pairs the precision proof explores per
    /// component (0 skips it).
    #[arg(long, default_value_t = Options::default().closure_limit)]
    pub closure_limit: usize,
    /// Longest adversarial sequence searched where the proof fails.
    #[arg(long, default_value_t = Options::default().worst_len)]
    pub worst_len: usize,
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

/// Prints the text form, a line per step as it finishes; prints nothing
/// for `--json`.
struct Printer {
    json: bool,
    /// The progress bar of the horizon run under way.
    bar: Option<ProgressBar>,
    /// Steps of one horizon run (sequences × length), and its length.
    total: u64,
    horizon_len: usize,
}

impl Observer for Printer {
    fn source(&mut self, model: &ValidModel, source: Option<&str>) {
        if self.json {
            return;
        }
        let name = model.manifest.name();
        match source {
            Some(s) => println!("group: {name} is the source's group ({s})"),
            None if model.automaton().is_some() => println!(
                "automaton: {name}, its transitions carried in the file (`automaton.delta`); the name is a label"
            ),
            None => println!(
                "group: the name {name} is a label (pass --source FILE to check it against its source)"
            ),
        }
    }

    fn proof(&mut self, model: &ValidModel, pr: &ProofReport) {
        if self.json {
            return;
        }
        match &pr.failure {
            None if pr.local.is_some() => println!(
                "proof: ok: every stored {} value is the construction's, bit for bit; {}; {}",
                pr.dtype,
                pr.local.as_deref().unwrap_or_default(),
                if pr.states > 0 {
                    format!(
                        "cross-checked on {} reachable states × {} tokens = {} transitions",
                        pr.states,
                        model.num_tokens(),
                        pr.transitions
                    )
                } else {
                    "too many states to cross-check one by one".to_string()
                }
            ),
            None => println!(
                "proof: ok: every stored {} value is the construction's, bit for bit; {}; {} reachable joint states × {} tokens = {} transitions, each reading out {}",
                pr.dtype,
                if model.automaton().is_some() {
                    "the truth is the file's automaton"
                } else if model.perm().is_some() {
                    "the truth multiplies the tokens' permutations"
                } else if model.pc().is_some() {
                    "the truth collects in the file's pc presentation"
                } else {
                    "the table is associative"
                },
                pr.states,
                model.num_tokens(),
                pr.transitions,
                if model.automaton().is_some() {
                    "the automaton's state"
                } else {
                    "the group product"
                }
            ),
            Some(f) => println!("proof: FAILED: {f}"),
        }
        if let Some(h) = &pr.horizon {
            println!("proof: horizon {h}");
        }
    }

    fn precision(&mut self, p: &Precision) {
        if self.json {
            return;
        }
        let c = &p.closure;
        println!("precision {:>5}  {}", c.dtype, c.summary());
        if let Some(w) = &p.worst_case {
            match (w.horizon, &w.sequence) {
                (Some(t), Some(how)) => {
                    println!("                 worst case found: wrong at step {t} ({how})")
                }
                _ => println!(
                    "                 worst case: no search sequence went wrong within {} steps",
                    w.max_len
                ),
            }
        }
    }

    fn claims(&mut self, model: &ValidModel, failure: Option<&str>) {
        if self.json {
            return;
        }
        match failure {
            None => {
                let names: Vec<&str> = model
                    .manifest
                    .proved
                    .iter()
                    .map(|p| p.dtype.as_str())
                    .collect();
                println!(
                    "claims: ok: the manifest's proofs in {} hold",
                    names.join(", ")
                )
            }
            Some(f) => println!("claims: FAILED: {f}"),
        }
    }

    fn exhaustive(&mut self, model: &ValidModel, x: &Exhaustive<'_>) {
        if self.json {
            return;
        }
        let (ex, expected, length) = (x.report, x.expected, x.length);
        let complete = ex.sequences == expected;
        let scope = match x.shard {
            Some((i, n)) => format!("shard {i}/{n} of the sequences"),
            None => "all sequences".into(),
        };
        let what = format!(
            "exhaustive ({}, {}, {scope} of length ≤ {length})",
            x.dtype.name(),
            x.backend
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
                let tokens = &model.manifest.tokens;
                let toks: Vec<&str> = f.iter().map(|&t| tokens[t as usize].as_str()).collect();
                println!(
                    "{what}: {} of {} WRONG; first: [{}]",
                    ex.mismatches,
                    ex.sequences,
                    toks.join(" ")
                );
            }
        }
        if let Some((_, n)) = x.shard {
            if complete && ex.mismatches == 0 {
                println!(
                    "  (a shard: the model is checked to length {length} only when every shard of {n} passes)"
                );
            }
        }
    }

    fn horizons(&mut self, o: &Options) {
        if !self.json {
            println!(
                "precision horizon ({} random sequences of up to {} steps, seed {}):",
                o.horizon_seqs, o.horizon_len, o.seed
            );
        }
    }

    fn horizon_start(&mut self, d: Dtype) {
        let bar = ProgressBar::new(self.total).with_style(
            ProgressStyle::with_template("  {prefix:>5} [{bar:40}] {pos}/{len} steps ({per_sec})")
                .expect("template")
                .progress_chars("=> "),
        );
        bar.set_prefix(d.name());
        self.bar = Some(bar);
    }

    fn horizon_progress(&self, steps: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(steps);
        }
    }

    fn horizon(&mut self, h: &HorizonReport) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if self.json {
            return;
        }
        match h.horizon {
            Some(t) => println!("  {:>5}  wrong first at step {t}", h.dtype),
            None => println!(
                "  {:>5}  correct through {} steps",
                h.dtype, self.horizon_len
            ),
        }
    }
}

pub fn run(a: Args) -> ExitCode {
    let model = match load_model(&a.model, &a.limits.get()) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let m = &model.manifest;
    if !a.json {
        let (layers, widths) = shape(&model);
        println!(
            "model: {} ({} {}), target {}, {} layer(s) of widths {:?}, {}{}",
            m.name(),
            if model.automaton().is_some() {
                "states"
            } else {
                "order"
            },
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
    // The group the source defines under the file's name; its diagnostics
    // are printed here.
    let source =
        match &a.source {
            None => None,
            Some(_) if m.group.is_none() => return fail(
                "--source checks a group's name against its source; this file tracks an automaton",
            ),
            Some(file) => match load_checked(file, m.name(), &a.source_limits) {
                Ok(e) => Some((e, file.display().to_string())),
                Err(code) => return code,
            },
        };
    let options = Options {
        length: a.length,
        budget: a.budget,
        backend: a.backend.map(Into::into),
        shard: a.shard,
        horizon_seqs: a.horizon_seqs,
        horizon_len: a.horizon_len,
        closure_limit: a.closure_limit,
        worst_len: a.worst_len,
        dtypes: a.dtypes.iter().map(|&d| d.into()).collect(),
        seed: a.seed,
    };
    let mut printer = Printer {
        json: a.json,
        bar: None,
        total: (a.horizon_seqs * a.horizon_len) as u64,
        horizon_len: a.horizon_len,
    };
    let source = source.as_ref().map(|(e, file)| SourceGroup {
        group: SourceKind::from(e),
        file,
    });
    let r = match verify(&model, &options, source, &mut printer) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&r).expect("report serialises")
        );
    }
    if r.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
