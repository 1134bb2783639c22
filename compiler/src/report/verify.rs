//! The whole of `gssm verify MODEL`: the proof, the source check (when a
//! source group is given), the exhaustive check of the float model on the
//! chosen backend, the precision horizon per dtype, and the verdict.
//!
//! [`verify`] runs the steps in that order and tells an [`Observer`] after
//! each (the CLI prints a line per step as it finishes); serialised, the
//! [`Report`] is the object `gssm verify --json` prints.

use crate::group::Group;
use crate::verify::exhaustive::count_sequences;
use crate::verify::{
    closure, exhaustive_cpu, horizon, proof, same_group, same_pc, same_permutations, worst_case,
    ClosureReport, ExhaustiveReport, HorizonReport, ProofReport, WorstCase,
};
use gssm_runtime::exec::{expected_sequences, gpu, jit, Backend};
use gssm_runtime::ir::Net;
use gssm_runtime::scalar::Dtype;
use gssm_runtime::valid::ValidModel;
use serde::Serialize;

/// How to verify.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Check every sequence of length ≤ L (default: the largest L whose
    /// sequence count fits in `budget`).
    pub length: Option<usize>,
    /// Sequence budget for the default length.
    pub budget: u64,
    /// Executor for the exhaustive check (and, for gpu, the f32 horizon);
    /// `None`: jit, or reference for the one-layer targets and start-token
    /// models, which the jit does not check.
    pub backend: Option<Backend>,
    /// Only shard i of n of the exhaustive space (gpu backend).
    pub shard: Option<(u64, u64)>,
    /// Random sequences per dtype for the precision horizon.
    pub horizon_seqs: usize,
    /// Longest random sequence for the precision horizon (0 skips it).
    pub horizon_len: usize,
    /// Most (float state, digit) pairs the closure proof explores per
    /// component (0 skips the precision proof).
    pub closure_limit: usize,
    /// Longest adversarial sequence searched where no proof exists.
    pub worst_len: usize,
    /// Dtypes whose horizon to measure, in this order.
    pub dtypes: Vec<Dtype>,
    /// Seed of the random sequences.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            length: None,
            budget: 4_000_000,
            backend: None,
            shard: None,
            horizon_seqs: 4,
            horizon_len: 1_000_000,
            closure_limit: 1 << 16,
            worst_len: 20_000,
            dtypes: Dtype::ALL.to_vec(),
            seed: 0,
        }
    }
}

/// The group a source file defines under the model's group name, to check
/// the model's group against.
pub struct SourceGroup<'a> {
    pub group: SourceKind<'a>,
    /// The file, as reports name it.
    pub file: &'a str,
}

/// The source's group as it elaborated: listed, or a permutation group
/// past the element limit kept as its generators and chain.
#[derive(Clone, Copy)]
pub enum SourceKind<'a> {
    Listed(&'a Group),
    Chain(&'a crate::elaborate::Beyond),
    Pc(&'a gssm_runtime::pc::Pc),
}

impl<'a> From<&'a crate::elaborate::Checked> for SourceKind<'a> {
    fn from(c: &'a crate::elaborate::Checked) -> SourceKind<'a> {
        use crate::elaborate::Checked;
        match c {
            Checked::Listed(e) => SourceKind::Listed(&e.group),
            Checked::Chain(c) => SourceKind::Chain(&c.group),
            Checked::Pc(e) => SourceKind::Pc(&e.pc),
        }
    }
}

/// Everything `gssm verify` reports.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub group: String,
    pub order: usize,
    pub target: String,
    pub layers: usize,
    pub widths: Vec<usize>,
    /// "checked against FILE", or null when no source was given (the name
    /// is then only a label).
    pub source: Option<String>,
    pub proof: ProofReport,
    pub exhaustive_length: usize,
    /// (i, n) when only shard i of n was checked.
    pub exhaustive_shard: Option<(u64, u64)>,
    /// Sequences the check had to cover (in the shard, if one).
    pub exhaustive_expected: u64,
    pub exhaustive: ExhaustiveReport,
    pub exhaustive_dtype: &'static str,
    pub exhaustive_backend: &'static str,
    pub horizons: Vec<HorizonReport>,
    /// Per dtype: the closure proof, and where it fails a worst-case search.
    pub precision: Vec<Precision>,
    /// The dtypes the manifest claims proved (`proved`), each proved again:
    /// `None` when every claim holds (or there are none).
    pub claim_failure: Option<String>,
    /// The proof, the source check (if asked), the complete exhaustive
    /// check and the manifest's precision claims passed.
    pub ok: bool,
}

/// The precision proof in one dtype.
#[derive(Clone, Debug, Serialize)]
pub struct Precision {
    pub closure: ClosureReport,
    /// Searched only where the closure is not proved.
    pub worst_case: Option<WorstCase>,
}

/// The exhaustive check as it finished.
pub struct Exhaustive<'a> {
    pub length: usize,
    pub shard: Option<(u64, u64)>,
    /// Sequences the backend had to check; fewer (`report.sequences`) is a
    /// failure.
    pub expected: u64,
    pub dtype: Dtype,
    pub backend: &'static str,
    pub report: &'a ExhaustiveReport,
}

/// Told about each step of [`verify`] as it finishes; every method does
/// nothing unless overridden (`()` observes nothing).
pub trait Observer: Sync {
    /// The source check passed (`Some("checked against FILE")`), or none was
    /// asked for.
    fn source(&mut self, _model: &ValidModel, _source: Option<&str>) {}
    fn proof(&mut self, _model: &ValidModel, _proof: &ProofReport) {}
    fn exhaustive(&mut self, _model: &ValidModel, _exhaustive: &Exhaustive<'_>) {}
    /// The horizon runs are about to start (only when `horizon_len > 0`).
    fn horizons(&mut self, _options: &Options) {}
    /// The horizon in `dtype` is about to run.
    fn horizon_start(&mut self, _dtype: Dtype) {}
    /// Steps of the current horizon run done so far (from worker threads).
    fn horizon_progress(&self, _steps: u64) {}
    fn horizon(&mut self, _horizon: &HorizonReport) {}
    /// The precision proof (and worst-case search) in one dtype.
    fn precision(&mut self, _precision: &Precision) {}
    /// The manifest's precision claims, proved again (`failure` is `None`
    /// when all hold); told only when the manifest makes some.
    fn claims(&mut self, _model: &ValidModel, _failure: Option<&str>) {}
}

impl Observer for () {}

impl Options {
    /// The backend asked for, or the default for `model`: the JIT for
    /// every model it accepts (groups and automata alike) without a start
    /// token, else the reference.
    pub fn backend_for(&self, model: &ValidModel) -> Backend {
        self.backend.unwrap_or(
            if gssm_runtime::exec::diagonal_only(model, Backend::Jit).is_ok()
                && model.manifest.bos.is_none()
            {
                Backend::Jit
            } else {
                Backend::Reference
            },
        )
    }
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

/// Largest L with Σ_{l≤L} V^l ≤ budget (at least 1).
pub fn default_length(v: u64, budget: u64) -> usize {
    (1..64)
        .take_while(|&l| count_sequences(v, l).is_some_and(|c| c <= budget))
        .last()
        .unwrap_or(1)
}

/// Verify `model`. An `Err` is a check that could not run (or a source
/// whose group differs); a check that ran and failed is a report with
/// `ok: false`.
pub fn verify(
    model: &ValidModel,
    options: &Options,
    source: Option<SourceGroup<'_>>,
    observer: &mut dyn Observer,
) -> Result<Report, String> {
    let m = &model.manifest;
    let source = match source {
        None => None,
        Some(s) => match match s.group {
            SourceKind::Listed(g) => same_group(model, g),
            SourceKind::Chain(b) => same_permutations(model, &b.gen_names, &b.gens),
            SourceKind::Pc(pc) => same_pc(model, pc),
        } {
            Ok(()) => Some(format!("checked against {}", s.file)),
            Err(why) => {
                return Err(format!(
                    "the file's group is not {} as {} defines it: {why}",
                    m.name(),
                    s.file
                ))
            }
        },
    };
    observer.source(model, source.as_deref());
    let pr = proof(model);
    observer.proof(model, &pr);
    let v = model.num_tokens() as u64;
    let length = options
        .length
        .unwrap_or_else(|| default_length(v, options.budget));
    let shard = options.shard.unwrap_or((0, 1));
    let backend_used = options.backend_for(model);
    // A start-token model's sequences all begin with it.
    let counted = if m.bos.is_some() {
        crate::verify::exhaustive::expected(model, length).filter(|_| shard == (0, 1))
    } else {
        expected_sequences(v, length, shard)
    };
    let Some(expected) = counted else {
        return Err(format!(
            "{v}^{length} sequences overflow a 64-bit count; choose a smaller --length"
        ));
    };
    // The GPU runs in f32 only: it checks the f32 model whatever the file.
    let dtype = if backend_used == Backend::Gpu {
        Dtype::F32
    } else {
        model.dtype().into()
    };
    let (ex, backend) = exhaustive(model, dtype, length, options)?;
    // A backend that skipped sequences must not pass: it counts what it
    // checked, and the count must be the whole space (or shard).
    let complete = ex.sequences == expected;
    observer.exhaustive(
        model,
        &Exhaustive {
            length,
            shard: options.shard,
            expected,
            dtype,
            backend,
            report: &ex,
        },
    );
    let mut horizons = Vec::new();
    if options.horizon_len > 0 {
        observer.horizons(options);
        for &d in &options.dtypes {
            observer.horizon_start(d);
            let h = if backend_used == Backend::Gpu && d == Dtype::F32 {
                gpu::horizon(
                    model,
                    options.horizon_seqs as u32,
                    options.horizon_len as u32,
                    options.seed,
                )
                .map_err(|e| e.to_string())?
            } else {
                let seen: &dyn Observer = observer;
                horizon(
                    model,
                    d,
                    options.horizon_seqs,
                    options.horizon_len,
                    options.seed,
                    &|n| seen.horizon_progress(n),
                )
            };
            observer.horizon(&h);
            horizons.push(h);
        }
    }
    let mut precision = Vec::new();
    if options.closure_limit > 0 && pr.ok && model.diagonal().is_some() {
        for &d in &options.dtypes {
            let c = closure(model, d, options.closure_limit);
            let worst_case = (!c.proved && options.worst_len > 0)
                .then(|| worst_case(model, d, options.worst_len, options.seed));
            let p = Precision {
                closure: c,
                worst_case,
            };
            observer.precision(&p);
            precision.push(p);
        }
    }
    let claim_failure = if m.proved.is_empty() {
        None
    } else {
        let f = check_claims(model, options.closure_limit, &precision);
        observer.claims(model, f.as_deref());
        f
    };
    let ok = pr.ok && complete && ex.mismatches == 0 && claim_failure.is_none();
    let (layers, widths) = shape(model);
    Ok(Report {
        group: m.name().to_string(),
        order: model.order(),
        target: m.target.clone(),
        layers,
        widths,
        source,
        proof: pr,
        exhaustive_length: length,
        exhaustive_shard: options.shard,
        exhaustive_expected: expected,
        exhaustive: ex,
        exhaustive_dtype: dtype.name(),
        exhaustive_backend: backend,
        horizons,
        precision,
        claim_failure,
        ok,
    })
}

/// Each dtype the manifest claims proved, proved again (reusing the
/// reports already computed): the first claim that does not hold, if any.
/// A claim larger than the search limit is not trusted on its word.
fn check_claims(model: &ValidModel, limit: usize, done: &[Precision]) -> Option<String> {
    let limit = if limit == 0 { 1 << 16 } else { limit };
    for p in &model.manifest.proved {
        let claim = format!(
            "the manifest claims the horizon proved infinite in {} ({} states{})",
            p.dtype,
            p.states,
            if p.fused { ", also fused" } else { "" }
        );
        if p.states >= limit {
            return Some(format!(
                "{claim}, more than --closure-limit {limit} explores; raise it to check the claim"
            ));
        }
        let Some(d) = Dtype::parse(&p.dtype) else {
            return Some(format!("{claim}, but {} is not a dtype", p.dtype));
        };
        let computed;
        let r = match done.iter().find(|q| q.closure.dtype == d.name()) {
            Some(q) => &q.closure,
            None => {
                computed = closure(model, d, limit);
                &computed
            }
        };
        if !(r.proved && r.closed_states() == p.states && r.proved_fused == p.fused) {
            return Some(format!("{claim}, but the proof finds: {}", r.summary()));
        }
    }
    None
}

/// The exhaustive check on the chosen backend, and the backend's name.
fn exhaustive(
    model: &ValidModel,
    dtype: Dtype,
    length: usize,
    options: &Options,
) -> Result<(ExhaustiveReport, &'static str), String> {
    let shard = options.shard.unwrap_or((0, 1));
    let backend = options.backend_for(model);
    if shard.1 > 1 && backend != Backend::Gpu {
        return Err("--shard splits the gpu backend's exhaustive check; add --backend gpu".into());
    }
    match backend {
        Backend::Reference => Ok((
            match dtype {
                Dtype::F64 => exhaustive_cpu::<f64>(model, length),
                _ => exhaustive_cpu::<f32>(model, length),
            },
            "reference",
        )),
        Backend::Jit => jit::exhaustive(model, dtype, length)
            .map(|r| (r, "jit"))
            .map_err(|e| e.to_string()),
        Backend::Gpu => gpu::exhaustive(model, length, shard)
            .map(|r| (r, "gpu"))
            .map_err(|e| e.to_string()),
    }
}
