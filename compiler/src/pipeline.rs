//! The pipeline end to end, for the CLI and for tests: a built group and a
//! target in, a validated model and its weight-file bytes out. Errors become
//! diagnostics pointing at the group's definition.

use crate::automaton::holonomy::Cascade;
use crate::automaton::monoid::{analyse, Verdict};
use crate::automaton::Automaton;
use crate::construct::chain::ChainGroup;
use crate::construct::pc::PcGroup;
use crate::construct::{self, automaton, construct, Alphabet, Tokens};
use crate::diagnostics::{Diagnostic, Source, Span};
use crate::elaborate::{Checked, ElaboratedChain, ElaboratedPc};
use crate::emit::emit;
use crate::group::bsgs::Chain;
use crate::group::{Elem, Group, Limits};
use crate::target::chain::chain_plan;
use crate::target::pc::pc_plan;
use crate::target::{plan, plan_with_series, Target};
use crate::verify::{closure, ClosureReport};
use gssm_runtime::format::LoadLimits;
use gssm_runtime::ir::{FloatDtype, Model, ProvedDtype};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::valid::{validate, TargetKind, ValidModel};

/// Where the group came from, for error messages.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub source: Option<Source>,
    /// The group's definition.
    pub span: Option<Span>,
    /// The explicit series, if the source gave one: G_1 … G_{k-1} by
    /// generators, and its span.
    pub series: Option<(Vec<Vec<Elem>>, Span)>,
}

impl Origin {
    fn locate(&self, d: Diagnostic, span: Option<Span>, label: &str) -> Diagnostic {
        match (&self.source, span.or(self.span)) {
            (Some(src), Some(sp)) => d.at(src, sp, label),
            _ => d,
        }
    }
}

/// How to compile: the input alphabet, the stored dtype, and whether the
/// model starts from the zero state with a start token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    pub alphabet: Alphabet,
    pub dtype: FloatDtype,
    pub bos: bool,
    pub coordinates: Coordinates,
}

/// How an abelian factor is written in a layer's components.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Coordinates {
    /// Invariant factors: the least width (C60 is one component).
    #[default]
    Invariant,
    /// Prime powers: smaller moduli, whose rounded orbits close more often
    /// (C60 as C4 × C3 × C5, three components).
    Primary,
}

impl Coordinates {
    pub fn name(self) -> &'static str {
        match self {
            Coordinates::Invariant => "invariant",
            Coordinates::Primary => "primary",
        }
    }
}

impl Options {
    pub fn new(alphabet: Alphabet, dtype: FloatDtype) -> Options {
        Options {
            alphabet,
            dtype,
            bos: false,
            coordinates: Coordinates::Invariant,
        }
    }
}

/// Compile `g` for `target`.
pub fn compile(
    g: &Group,
    origin: &Origin,
    target: &dyn Target,
    opts: &Options,
) -> Result<(ValidModel, Vec<u8>), Diagnostic> {
    let located = |e: String| {
        origin.locate(
            Diagnostic::error("construct", e),
            None,
            "while compiling this group",
        )
    };
    let toks = Tokens::new(g, opts.alphabet, opts.bos).map_err(located)?;
    let limits = LoadLimits::default();
    let model = if target.kind().is_diagonal() {
        let p = coordinates(diagonal_plan(g, origin, target)?, opts.coordinates);
        construct(g, &p, target, &toks, opts.dtype).map_err(located)?
    } else {
        if origin.series.is_some() {
            return Err(origin.locate(
                Diagnostic::error(
                    "series::unused",
                    format!("{} is one layer and takes no series", target.name()),
                ),
                origin.series.as_ref().map(|s| s.1),
                "this series",
            ));
        }
        construct::cell(g, target.kind(), &toks, opts.dtype, &limits).map_err(located)?
    };
    written(model, |d| {
        origin.locate(d, None, "while compiling this group")
    })
}

/// The model validated with the loader's limits and checks, so gssm never
/// writes a file that it (or any reader following the format) would refuse,
/// and its bytes; `locate` places a validation error.
fn written(
    model: Model,
    locate: impl FnOnce(Diagnostic) -> Diagnostic,
) -> Result<(ValidModel, Vec<u8>), Diagnostic> {
    let model = validate(model, &LoadLimits::default()).map_err(|e| {
        locate(Diagnostic::error(
            "validate",
            format!("the compiled model cannot be written: {e}"),
        ))
    })?;
    let bytes = emit(&model)
        .map_err(|e| Diagnostic::error("emit", format!("cannot write the weight file: {e}")))?;
    Ok((model, bytes))
}

/// Compile a group as `gssm check` elaborates it: listed, or past the
/// element limit as a stabiliser chain or a pc presentation.
pub fn compile_checked(
    g: &Checked,
    target: &dyn Target,
    opts: &Options,
    limits: &Limits,
) -> Result<(ValidModel, Vec<u8>), Diagnostic> {
    match g {
        Checked::Listed(e) => compile(&e.group, &e.origin(), target, opts),
        Checked::Chain(c) => compile_chain(c, target, opts, limits),
        Checked::Pc(e) => compile_pc(e, target, opts, limits),
    }
}

/// Compile a permutation group kept as a stabiliser chain (past the element
/// limit) into a file without a Cayley table (format version 5): one
/// pd-ssm layer on the given points, or an aussm stack along the derived
/// series of a solvable group. Other targets need the group's elements.
pub fn compile_chain(
    g: &ElaboratedChain,
    target: &dyn Target,
    opts: &Options,
    limits: &Limits,
) -> Result<(ValidModel, Vec<u8>), Diagnostic> {
    let b = &g.group;
    let located = |d: Diagnostic| d.at(&g.source, g.span, "defined here");
    // The file's normal form is the deterministic chain's, which any
    // reader rebuilds from the generators bit for bit (the elaborated
    // chain may come from random elements).
    let chain = Chain::generated(b.chain.degree(), &b.gens, b.chain.limits()).map_err(|e| {
        located(
            Diagnostic::error("group::chain", e.to_string())
                .help("raise --max-memory or --max-chain-work, or use fewer points"),
        )
    })?;
    let group = ChainGroup {
        name: &b.name,
        gen_names: &b.gen_names,
        gens: &b.gens,
        chain: &chain,
    };
    let model = if target.kind() == TargetKind::PdSsm {
        construct::pd::construct_chain(&group, opts.alphabet, opts.bos, opts.dtype)
    } else {
        let mut p = chain_plan(&b.name, &chain, target, limits).map_err(|e| {
            located(Diagnostic::error("target::beyond-limit", e.reason).help(e.help))
        })?;
        if opts.coordinates == Coordinates::Primary {
            p.factors = p.factors.iter().map(|f| f.primary()).collect();
        }
        construct::solvable::construct(
            &group,
            &p,
            target,
            opts.alphabet,
            opts.bos,
            opts.dtype,
            LoadLimits::default().max_table,
        )
    }
    .map_err(|e| located(beyond_limit_construct(e)))?;
    written(model, |d| {
        located(d.help("the model is past a limit the loader checks; use fewer points"))
    })
}

/// Why a group past the element limit has no model.
fn beyond_limit_construct(e: String) -> Diagnostic {
    Diagnostic::error("construct", e)
        .help("a group past the element limit compiles with its generators as tokens")
}

/// Compile a pc group past the element limit into a file without a Cayley
/// table (format version 7): an aussm stack along its derived series,
/// whose truth is a pc presentation along the same series.
pub fn compile_pc(
    g: &ElaboratedPc,
    target: &dyn Target,
    opts: &Options,
    limits: &Limits,
) -> Result<(ValidModel, Vec<u8>), Diagnostic> {
    let located = |d: Diagnostic| d.at(&g.source, g.span, "defined here");
    let mut p = pc_plan(&g.name, &g.pc, target, limits)
        .map_err(|e| located(Diagnostic::error("target::beyond-limit", e.reason).help(e.help)))?;
    if opts.coordinates == Coordinates::Primary {
        p.factors = p.factors.iter().map(|f| f.primary()).collect();
    }
    let group = PcGroup {
        name: &g.name,
        pc: &g.pc,
    };
    let model = construct::pc::construct(
        &group,
        &p,
        target,
        opts,
        LoadLimits::default().max_table,
        limits.max_pc_work,
    )
    .map_err(|e| located(beyond_limit_construct(e)))?;
    written(model, |d| {
        located(d.help("the model is past a limit the loader checks; use a smaller group"))
    })
}

/// The plan's factors in the chosen coordinates.
fn coordinates(mut p: crate::target::Plan, c: Coordinates) -> crate::target::Plan {
    if c == Coordinates::Primary {
        p.factors = p.factors.iter().map(|f| f.primary()).collect();
    }
    p
}

/// The series a diagonal target's layers follow: the source's, checked, or
/// the least-depth one.
fn diagonal_plan(
    g: &Group,
    origin: &Origin,
    target: &dyn Target,
) -> Result<crate::target::Plan, Diagnostic> {
    Ok(match &origin.series {
        Some((given, span)) => plan_with_series(g, target, given).map_err(|e| {
            origin.locate(
                Diagnostic::error("series::invalid", format!("the series given for {} does not work for {}: {}", g.name, target.name(), e.reason)),
                Some(*span),
                format!("step G_{} ⊳ G_{} fails", e.step, e.step + 1).as_str(),
            )
            .help(format!("give subgroups G_1 ⊳ G_2 ⊳ … with each G_i normal in G_(i-1) and each factor {}; or drop the series to let gssm pick the least-depth one", target.factor_class().map_or("trivial", |c| c.describe())))
        })?,
        None => plan(g, target).map_err(|e| {
            let mut d = Diagnostic::error(
                "target::no-series",
                format!("{} cannot be compiled for {}: {}", g.name, target.name(), e.reason),
            );
            if !e.explanation.is_empty() {
                d = d.help(e.explanation.clone());
            }
            origin.locate(d, None, &format!("{} (order {}) defined here", g.name, g.order()))
        })?,
    })
}

/// Compile an automaton for a diagonal target: a permutation automaton as
/// its group (read out as the start state moved by the tracked element),
/// any other through its holonomy cascade, one layer per level.
pub fn compile_automaton(
    a: &Automaton,
    origin: &Origin,
    target: &dyn Target,
    opts: &Options,
    limits: &Limits,
) -> Result<(ValidModel, Vec<u8>), Diagnostic> {
    let refuse = |msg: String, help: Option<String>| {
        let mut d = Diagnostic::error(
            "target::automaton",
            format!("{} cannot be compiled for {}: {msg}", a.name, target.name()),
        );
        if let Some(h) = help {
            d = d.help(h);
        }
        origin.locate(d, None, "automaton defined here")
    };
    let kind = target.kind();
    if opts.bos {
        return Err(refuse(
            "an automaton model starts in its start state; it takes no start token".into(),
            Some("drop --bos".into()),
        ));
    }
    if !kind.is_diagonal() || kind == TargetKind::S4d {
        return Err(refuse(
            format!("{} is not a target for automata", target.name()),
            Some(
                "automata compile to stacks of diagonal layers: aussm, neg-mamba, mamba, gla"
                    .into(),
            ),
        ));
    }
    let analysis = analyse(a, limits).map_err(|e| refuse(e.to_string(), None))?;
    // The class each target's layers realise, checked on the monoid itself:
    // a cyclic group of order p inside it needs a layer that rotates by p.
    let cyclic = |bad: &dyn Fn(usize) -> bool| {
        let m = &analysis.monoid;
        (0..m.size() as u32)
            .map(|x| (x, m.period(x)))
            .find(|&(_, p)| bad(p))
    };
    let out_of_class = match kind {
        TargetKind::Mamba | TargetKind::Gla => cyclic(&|p| p > 1),
        TargetKind::NegMamba => cyclic(&|p| p > 2),
        _ => None,
    };
    if let Some((x, p)) = out_of_class {
        let word = analysis.monoid.word(x);
        let names: Vec<&str> = word.iter().map(|&s| a.symbols[s].0.as_str()).collect();
        let class = match kind {
            TargetKind::NegMamba => "elementary abelian 2-groups (eigenvalues ±1)",
            _ => "no group but the trivial one (transitions in [0, 1] only keep and reset)",
        };
        return Err(refuse(
            format!(
                "its transition monoid contains the cyclic group C{p} (the word `{}` acts with period {p}), and {} layers realise {class}",
                names.join(" "),
                target.name()
            ),
            Some(match kind {
                TargetKind::NegMamba if p % 2 == 0 && p.is_power_of_two() => {
                    "use aussm, whose layers rotate by any root of unity".to_string()
                }
                _ => "use aussm (abelian groups and resets)".to_string(),
            }),
        ));
    }
    if let Verdict::NonSolvable { order } = analysis.verdict {
        return Err(refuse(
            format!("its transition monoid contains a non-solvable group of order {order}, which no stack of diagonal layers tracks"),
            None,
        ));
    }
    let load = LoadLimits::default();
    let located = |e: String| {
        origin.locate(
            Diagnostic::error("construct", e),
            None,
            "while compiling this automaton",
        )
    };
    let permutations = a.symbols.iter().all(|(_, m)| {
        let mut seen = vec![false; m.len()];
        m.iter()
            .all(|&y| !std::mem::replace(&mut seen[y as usize], true))
    });
    let model = if permutations {
        let (g, toks, image) = automaton::as_group(a, limits).map_err(|r| located(r.0))?;
        let p = coordinates(diagonal_plan(&g, origin, target)?, opts.coordinates);
        let mut m = construct(&g, &p, target, &toks, opts.dtype).map_err(located)?;
        if let Some(d) = m.diagonal_mut() {
            for y in d.readout.iter_mut().flatten() {
                *y = image[*y as usize];
            }
        }
        m.manifest = automaton::automaton_manifest(a, kind, opts.dtype);
        m.truth = automaton::automaton_truth(a);
        m
    } else {
        let cascade = Cascade::new(a, limits).map_err(|e| refuse(e.to_string(), None))?;
        automaton::construct(a, &cascade, target, opts, limits, &load)
            .map_err(|r| refuse(r.0, None))?
    };
    let model = validate(model, &load)
        .map_err(|e| located(format!("the compiled model cannot be written: {e}")))?;
    let bytes = emit(&model)
        .map_err(|e| Diagnostic::error("emit", format!("cannot write the weight file: {e}")))?;
    Ok((model, bytes))
}

/// Compile in the cheapest coordinates whose horizon is proved infinite in
/// `dtype` (invariant factors first: the least width; then prime powers),
/// with `compile_one` compiling in the coordinates it is given; or say,
/// per choice, which component stops the proof. The written manifest
/// records every dtype the model is proved in (`proved`), which `gssm
/// verify` proves again.
pub fn compile_proved(
    compile_one: impl Fn(&Options) -> Result<(ValidModel, Vec<u8>), Diagnostic>,
    opts: &Options,
    dtype: Dtype,
    limit: usize,
) -> Result<(ValidModel, Vec<u8>, ClosureReport), Diagnostic> {
    let mut why = Vec::new();
    for c in [Coordinates::Invariant, Coordinates::Primary] {
        let o = Options {
            coordinates: c,
            ..*opts
        };
        let (model, _) = compile_one(&o)?;
        let report = closure(&model, dtype, limit);
        if report.proved {
            let (model, bytes) = record_proofs(model, &report, limit)?;
            return Ok((model, bytes, report));
        }
        why.push(format!("{} coordinates: {}", c.name(), report.summary()));
    }
    let mut help = "drop --precision, or choose another dtype; `gssm verify` measures the horizon and searches for worst cases".to_string();
    if let Some(c) = generators_prove(&compile_one, opts, dtype, limit) {
        help = format!(
            "with `--alphabet generators` (one token per generator, so each component has fewer rotations to close under) the horizon is proved infinite in {} in {} coordinates; or {help}",
            dtype.name(),
            c.name()
        );
    }
    Err(Diagnostic::error(
        "precision::unproved",
        format!(
            "no choice of coordinates proves the horizon infinite in {}: {}",
            dtype.name(),
            why.join("; ")
        ),
    )
    .help(help))
}

/// The coordinates in which the generators alphabet proves the horizon,
/// when the asked alphabet (all elements) does not.
fn generators_prove(
    compile_one: &impl Fn(&Options) -> Result<(ValidModel, Vec<u8>), Diagnostic>,
    opts: &Options,
    dtype: Dtype,
    limit: usize,
) -> Option<Coordinates> {
    if opts.alphabet != Alphabet::Elements {
        return None;
    }
    [Coordinates::Invariant, Coordinates::Primary]
        .into_iter()
        .find(|&c| {
            let o = Options {
                coordinates: c,
                alphabet: Alphabet::Generators { inverses: false },
                ..*opts
            };
            compile_one(&o).is_ok_and(|(m, _)| closure(&m, dtype, limit).proved)
        })
}

/// `model` with every dtype its horizon is proved infinite in recorded in
/// its manifest, validated and written again.
fn record_proofs(
    model: ValidModel,
    done: &ClosureReport,
    limit: usize,
) -> Result<(ValidModel, Vec<u8>), Diagnostic> {
    // The asked dtype's proof is already done; the others are searched.
    let proved = Dtype::ALL
        .iter()
        .map(|&d| {
            if d.name() == done.dtype {
                done.clone()
            } else {
                closure(&model, d, limit)
            }
        })
        .filter(|r| r.proved)
        .map(|r| ProvedDtype {
            dtype: r.dtype.to_string(),
            states: r.closed_states(),
            fused: r.proved_fused,
        })
        .collect();
    let mut m = model.into_model();
    m.manifest.proved = proved;
    let model = validate(m, &LoadLimits::default()).map_err(|e| {
        Diagnostic::error(
            "construct",
            format!("the compiled model cannot be written: {e}"),
        )
    })?;
    let bytes = emit(&model)
        .map_err(|e| Diagnostic::error("emit", format!("cannot write the weight file: {e}")))?;
    Ok((model, bytes))
}
