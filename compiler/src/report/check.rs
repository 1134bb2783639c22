//! The structure report of `gssm check`: order, generators, abelian /
//! nilpotent / solvable, the derived series with each factor's invariants,
//! and per target the least number of layers (with widths) or why none
//! suffices; with a series hint, whether each target accepts it.
//!
//! Serialised, [`Structure`] is the object `gssm check --json` prints (with
//! its keys sorted: the CLI goes through `serde_json::Value`). Orders and
//! invariant factors are [`Count`]s: numbers, or decimal strings past 2^53.
//!
//! [`check_chain`] reports a permutation group past the element limit from
//! its stabiliser chain, and [`check_pc`] a pc group past it from its
//! presentation: the same facts, with the per-target entries that need the
//! element table said to be not computed.

use crate::construct::cell_size;
use crate::diagnostics::{Diagnostic, Source, Span};
use crate::elaborate::{Checked, Elaborated, ElaboratedChain, ElaboratedPc};
use crate::group::bsgs::abelian::{factor_invariants, invariant_factors};
use crate::group::bsgs::series::{self as chain_series, Verbal};
use crate::group::bsgs::{inverse, is_identity, Chain, ChainError};
use crate::group::pc::{Pc, PcError};
use crate::group::pcgs::{self, Pcgs};
use crate::structure::abelian::{self, invariant_factors_of};
use crate::structure::series::FactorClass;
use crate::structure::{closure, derived_series, is_nilpotent};
use crate::target::{self, plan, plan_with_series, stall_reason, untracked_reason, Stall};
use gssm_runtime::valid::LoadLimits;
use num_bigint::BigUint;
use serde::{Serialize, Serializer};

/// A count of any size (an order, an invariant factor): a JSON number
/// below 2^53, where every JSON reader holds it exactly, and a string of
/// its decimal digits from there on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Count(pub BigUint);

impl From<usize> for Count {
    fn from(n: usize) -> Count {
        Count(BigUint::from(n))
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match u64::try_from(&self.0) {
            Ok(n) if n < 1 << 53 => s.serialize_u64(n),
            _ => s.serialize_str(&self.0.to_string()),
        }
    }
}

/// Everything `gssm check` reports about one group.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Structure {
    pub name: String,
    pub order: Count,
    pub generators: Vec<String>,
    /// Where the group's definition (or expression) starts.
    pub defined_at: Location,
    pub is_abelian: bool,
    pub is_nilpotent: bool,
    pub is_solvable: bool,
    /// `None` when the group is not solvable.
    pub derived_length: Option<usize>,
    /// |G(0)|, |G(1)|, …: down to 1, or to the perfect subgroup where the
    /// derived series stops.
    pub derived_series_orders: Vec<Count>,
    /// G(i)/G(i+1) for each step of the derived series.
    pub derived_factors: Vec<Factor>,
    /// G/G' as prime powers.
    pub abelian_invariants: Vec<Count>,
    /// G/G' as invariant factors.
    pub abelian_invariant_factors: Vec<Count>,
    /// One entry per target, in [`target::all`]'s order.
    pub targets: Vec<TargetDepth>,
    /// Present when the definition gave an explicit series.
    pub series_hint: Option<SeriesHintReport>,
    /// The messages of the warnings raised while building the group.
    pub warnings: Vec<String>,
}

/// A place in a source file, 1-based.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// An abelian factor of a series.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Factor {
    pub invariant_factors: Vec<Count>,
    pub prime_powers: Vec<Count>,
}

/// The least number of layers one target needs, or why it cannot track the
/// group (then `layers` and `widths` are `None`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TargetDepth {
    pub target: String,
    pub layers: Option<usize>,
    pub widths: Option<Vec<usize>>,
    pub reason: Option<String>,
    pub explanation: Option<String>,
    /// For the one-layer targets: how the layer is built and its size.
    pub size: Option<String>,
}

/// The series the source gave, as each target judges it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SeriesHintReport {
    /// |G_1|, …, |G_{k-1}|.
    pub subgroup_orders: Vec<usize>,
    /// Targets that track some non-trivial group only: the others reject
    /// every series for the reason their [`TargetDepth`] gives.
    pub targets: Vec<SeriesVerdict>,
}

/// Whether one target accepts the given series.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SeriesVerdict {
    pub target: String,
    pub layers: Option<usize>,
    pub reason: Option<String>,
}

/// The structure report of a group as `gssm check` elaborates it: listed,
/// or past the element limit from its chain or its presentation.
pub fn check_any(c: &Checked) -> Result<Structure, Diagnostic> {
    match c {
        Checked::Listed(e) => Ok(check(e)),
        Checked::Chain(e) => check_chain(e),
        Checked::Pc(e) => check_pc(e),
    }
}

/// The structure report of an elaborated group.
pub fn check(e: &Elaborated) -> Structure {
    let g = &e.group;
    let ds = derived_series(g);
    let solvable = ds.last().is_some_and(|s| s.len() == 1);
    let derived_factors = ds
        .windows(2)
        .map(|w| {
            let f = abelian::factor(g, &w[0], &w[1]).expect("derived factors are abelian");
            Factor {
                invariant_factors: counts(&f.invariant_factors),
                prime_powers: counts(&f.prime_powers),
            }
        })
        .collect();
    let ab = abelian::abelian_invariants(g);
    let (line, column) = e.source.line_col(e.span.start);
    let targets = target::all()
        .iter()
        .map(|&t| match plan(g, t) {
            _ if !t.kind().is_diagonal() => {
                let (width, how) = cell_size(g, t.kind(), &LoadLimits::default());
                TargetDepth {
                    target: t.name().to_string(),
                    layers: Some(1),
                    widths: Some(vec![width]),
                    reason: None,
                    explanation: None,
                    size: Some(how),
                }
            }
            Ok(p) => TargetDepth {
                target: t.name().to_string(),
                layers: Some(p.depth()),
                widths: Some(
                    p.factors
                        .iter()
                        .map(|f| f.invariant_factors.len())
                        .collect(),
                ),
                reason: None,
                explanation: None,
                size: None,
            },
            Err(no) => TargetDepth {
                target: t.name().to_string(),
                layers: None,
                widths: None,
                reason: Some(no.reason),
                explanation: (!no.explanation.is_empty()).then_some(no.explanation),
                size: None,
            },
        })
        .collect();
    let series_hint = e.series.as_ref().map(|s| SeriesHintReport {
        subgroup_orders: s
            .subgroups
            .iter()
            .map(|gens| closure(g, gens).len())
            .collect(),
        targets: target::all()
            .iter()
            .filter(|t| t.factor_class().is_some())
            .map(|&t| match plan_with_series(g, t, &s.subgroups) {
                Ok(p) => SeriesVerdict {
                    target: t.name().to_string(),
                    layers: Some(p.depth()),
                    reason: None,
                },
                Err(b) => SeriesVerdict {
                    target: t.name().to_string(),
                    layers: None,
                    reason: Some(format!(
                        "step G_{} ⊳ G_{}: {}",
                        b.step,
                        b.step + 1,
                        b.reason
                    )),
                },
            })
            .collect(),
    });
    Structure {
        name: g.name.clone(),
        order: Count::from(g.order()),
        generators: g.generator_names().to_vec(),
        defined_at: Location {
            file: e.source.name.clone(),
            line,
            column,
        },
        is_abelian: g.is_abelian(),
        is_nilpotent: is_nilpotent(g),
        is_solvable: solvable,
        derived_length: solvable.then(|| ds.len() - 1),
        derived_series_orders: ds.iter().map(|s| Count::from(s.len())).collect(),
        derived_factors,
        abelian_invariant_factors: counts(&invariant_factors_of(&ab)),
        abelian_invariants: counts(&ab),
        targets,
        series_hint,
        warnings: e.warnings.iter().map(|w| w.message.clone()).collect(),
    }
}

fn counts(ns: &[u32]) -> Vec<Count> {
    ns.iter().map(|&n| Count::from(n as usize)).collect()
}

/// The structure report of a permutation group past the element limit,
/// from its stabiliser chain. Fails when a subgroup's chain passes the
/// limits.
pub fn check_chain(e: &ElaboratedChain) -> Result<Structure, Diagnostic> {
    let b = &e.group;
    let g = &b.chain;
    let fail = |err: ChainError| {
        Diagnostic::error("group::chain", err.to_string())
            .at(&e.source, e.span, "while computing this group's series")
            .help("the group is past the element limit, so its subgroups are built as stabiliser chains; raise --max-memory, or use fewer points")
    };
    let ds = chain_series::derived_series(g).map_err(fail)?;
    let mut derived_factors = Vec::new();
    for w in ds.windows(2) {
        let pp = factor_invariants(&w[0], &w[1]).map_err(fail)?;
        derived_factors.push(chain_factor(&pp));
    }
    let facts = BigFacts {
        name: &b.name,
        order: g.order(),
        derived_orders: ds.iter().map(Chain::order).collect(),
        solvable: ds.last().is_some_and(Chain::is_trivial),
        derived_factors,
    };
    let targets = big_targets(
        &facts,
        &|kind| cell_size_of_chain(b.gens.as_slice(), g, kind),
        &mut || {
            let series =
                chain_series::verbal_series(g, Verbal::SquaresAndCommutators).map_err(fail)?;
            Ok(series.iter().map(Chain::order).collect())
        },
    )?;
    Ok(big_structure(
        facts,
        b.gen_names.clone(),
        Origin {
            source: &e.source,
            span: e.span,
            warnings: &e.warnings,
        },
        chain_series::is_abelian(g),
        chain_series::is_nilpotent(g).map_err(fail)?,
        targets,
    ))
}

/// The structure report of a pc group past the element limit, from its
/// presentation: subgroups as induced pc sequences, nothing listed. Fails
/// when collection passes its budget (`--max-pc-work`).
pub fn check_pc(e: &ElaboratedPc) -> Result<Structure, Diagnostic> {
    let pc = &e.pc;
    let fail = |err: PcError| {
        let d = Diagnostic::error("group::pc", err.to_string()).at(
            &e.source,
            e.span,
            "while computing this group's series",
        );
        match err {
            PcError::Work { .. } => d.help("the group is past the element limit, so its subgroups are built by collection in the presentation; raise --max-pc-work, or use fewer generators or smaller relative orders"),
            _ => d.help("the group is past the element limit, so its subgroups are built by collection in the presentation; check the presentation"),
        }
    };
    let ds = pcgs::derived_series(pc).map_err(fail)?;
    let mut derived_factors = Vec::new();
    for w in ds.windows(2) {
        let pp = pcgs::factor_invariants(pc, &w[0], &w[1]).map_err(fail)?;
        derived_factors.push(Factor {
            invariant_factors: pcgs::invariant_factors(&pp)
                .into_iter()
                .map(Count)
                .collect(),
            prime_powers: pp.iter().map(|q| Count(q.value())).collect(),
        });
    }
    let order = BigUint::from(pc.order());
    let facts = BigFacts {
        name: &e.name,
        derived_orders: ds.iter().map(Pcgs::order).collect(),
        solvable: ds.last().is_some_and(Pcgs::is_trivial),
        derived_factors,
        order: order.clone(),
    };
    let tokens = pc_tokens(pc).map_err(fail)?;
    let targets = big_targets(
        &facts,
        &|kind| cell_size_of_pc(&order, tokens, kind),
        &mut || {
            let series =
                pcgs::verbal_series(pc, pcgs::Verbal::SquaresAndCommutators).map_err(fail)?;
            Ok(series.iter().map(Pcgs::order).collect())
        },
    )?;
    Ok(big_structure(
        facts,
        pc.names().to_vec(),
        Origin {
            source: &e.source,
            span: e.span,
            warnings: &e.warnings,
        },
        pcgs::is_abelian(pc).map_err(fail)?,
        pcgs::is_nilpotent(pc).map_err(fail)?,
        targets,
    ))
}

/// What the report of a group past the element limit is made of, whichever
/// engine computed it.
struct BigFacts<'a> {
    name: &'a str,
    order: BigUint,
    /// The derived series' orders: to 1, or to the perfect subgroup where
    /// it stops.
    derived_orders: Vec<BigUint>,
    solvable: bool,
    derived_factors: Vec<Factor>,
}

/// Where a group past the element limit came from.
struct Origin<'a> {
    source: &'a Source,
    span: Span,
    warnings: &'a [Diagnostic],
}

/// The per-target entries of a group past the element limit. `one_layer`
/// describes a one-layer target's size as far as it is known without the
/// elements; `squares` gives the orders of the series of squares and
/// commutators, asked for only when the order is a power of 2.
fn big_targets(
    g: &BigFacts,
    one_layer: &dyn Fn(gssm_runtime::valid::TargetKind) -> String,
    squares: &mut dyn FnMut() -> Result<Vec<BigUint>, Diagnostic>,
) -> Result<Vec<TargetDepth>, Diagnostic> {
    let name = g.name;
    let order = &g.order;
    let ds = &g.derived_orders;
    let widths: Vec<usize> = g
        .derived_factors
        .iter()
        .map(|f| f.invariant_factors.len())
        .collect();
    let mut targets = Vec::new();
    for t in target::all() {
        let entry = |layers: Option<usize>,
                     widths: Option<Vec<usize>>,
                     reason: Option<String>,
                     explanation: Option<String>,
                     size: Option<String>| TargetDepth {
            target: t.name().to_string(),
            layers,
            widths,
            reason,
            explanation: explanation.filter(|x| !x.is_empty()),
            size,
        };
        if !t.kind().is_diagonal() {
            targets.push(entry(Some(1), None, None, None, Some(one_layer(t.kind()))));
            continue;
        }
        match t.factor_class() {
            None => targets.push(entry(
                None,
                None,
                Some(untracked_reason(t, name, order)),
                Some(t.impossibility().to_string()),
                None,
            )),
            Some(FactorClass::Abelian) if g.solvable => targets.push(entry(
                Some(ds.len() - 1),
                Some(widths.clone()),
                None,
                None,
                None,
            )),
            Some(class @ FactorClass::Abelian) => {
                let stuck = ds.last().expect("the series starts with G");
                let (reason, explanation) = stall_reason(
                    t,
                    class,
                    &Stall {
                        name,
                        order,
                        odd_part: &odd_part(order),
                        stuck_order: stuck,
                        perfect: ds.len() == 1,
                    },
                );
                targets.push(entry(None, None, Some(reason), Some(explanation), None));
            }
            Some(class @ FactorClass::ElementaryAbelian2) => {
                let odd = odd_part(order);
                let series = if odd == BigUint::from(1u32) {
                    squares()?
                } else {
                    vec![order.clone()]
                };
                let one = BigUint::from(1u32);
                if series.last() == Some(&one) {
                    // Each factor is elementary abelian: its rank is log2 of
                    // the index.
                    let ranks = series
                        .windows(2)
                        .map(|w| ((&w[0] / &w[1]).bits() - 1) as usize)
                        .collect();
                    targets.push(entry(Some(series.len() - 1), Some(ranks), None, None, None));
                } else {
                    let stuck = series.last().expect("the series starts with G");
                    let (reason, explanation) = stall_reason(
                        t,
                        class,
                        &Stall {
                            name,
                            order,
                            odd_part: &odd,
                            stuck_order: stuck,
                            perfect: series.len() == 1,
                        },
                    );
                    targets.push(entry(None, None, Some(reason), Some(explanation), None));
                }
            }
        }
    }
    Ok(targets)
}

/// The report of a group past the element limit from its facts.
fn big_structure(
    g: BigFacts,
    generators: Vec<String>,
    at: Origin,
    is_abelian: bool,
    is_nilpotent: bool,
    targets: Vec<TargetDepth>,
) -> Structure {
    let (line, column) = at.source.line_col(at.span.start);
    let top = g.derived_factors.first();
    Structure {
        name: g.name.to_string(),
        order: Count(g.order),
        generators,
        defined_at: Location {
            file: at.source.name.clone(),
            line,
            column,
        },
        is_abelian,
        is_nilpotent,
        is_solvable: g.solvable,
        derived_length: g.solvable.then(|| g.derived_orders.len() - 1),
        abelian_invariant_factors: top.map(|f| f.invariant_factors.clone()).unwrap_or_default(),
        abelian_invariants: top.map(|f| f.prime_powers.clone()).unwrap_or_default(),
        derived_series_orders: g.derived_orders.into_iter().map(Count).collect(),
        derived_factors: g.derived_factors,
        targets,
        series_hint: None,
        warnings: at.warnings.iter().map(|w| w.message.clone()).collect(),
    }
}

/// A derived factor from its prime powers (each at most the degree, so
/// they fit in 32 bits; their products need not).
fn chain_factor(pp: &[u64]) -> Factor {
    Factor {
        invariant_factors: invariant_factors(pp).into_iter().map(Count).collect(),
        prime_powers: pp.iter().map(|&q| Count(BigUint::from(q))).collect(),
    }
}

fn odd_part(n: &BigUint) -> BigUint {
    let zero = BigUint::from(0u32);
    if *n == zero {
        return zero;
    }
    n >> n.trailing_zeros().unwrap_or(0)
}

/// The one-layer targets' sizes as far as they are known without the
/// element table: the given action bounds pd-ssm's width and deltaproduct's
/// state; the least faithful action and the reflections per token need the
/// elements.
fn cell_size_of_chain(
    gens: &[Vec<u32>],
    g: &Chain,
    kind: gssm_runtime::valid::TargetKind,
) -> String {
    use gssm_runtime::valid::TargetKind;
    let n = g.degree();
    match kind {
        TargetKind::Rnn => {
            let mut tokens: Vec<Vec<u32>> = Vec::new();
            for p in gens.iter().flat_map(|p| [p.clone(), inverse(p)]) {
                if !is_identity(&p) && !tokens.contains(&p) {
                    tokens.push(p);
                }
            }
            let order = g.order();
            format!(
                "hidden units = |G| × tokens: over the generators and inverses H = {}, over all elements H = {}, not built past the element limit",
                &order * tokens.len(),
                &order * &order
            )
        }
        TargetKind::PdSsm => format!(
            "width at most {n} (the given action on {n} points; the least faithful action needs the element table, not computed past the element limit)"
        ),
        _ => {
            // Orbits of the given action, by union–find over the generators.
            let mut parent: Vec<usize> = (0..n).collect();
            fn root(parent: &mut [usize], mut x: usize) -> usize {
                while parent[x] != x {
                    parent[x] = parent[parent[x]];
                    x = parent[x];
                }
                x
            }
            for p in gens {
                for (x, &y) in p.iter().enumerate() {
                    let (a, b) = (root(&mut parent, x), root(&mut parent, y as usize));
                    parent[a] = b;
                }
            }
            let orbits = (0..n).filter(|&x| root(&mut parent, x) == x).count();
            format!(
                "state dimension at most {} (the sum-zero part of the given action on {n} points); reflections per token need the element table, not computed past the element limit",
                n - orbits
            )
        }
    }
}

/// The distinct non-trivial generators and inverses of a pc group: the
/// tokens an RNN over the generators reads.
fn pc_tokens(pc: &Pc) -> Result<usize, PcError> {
    let mut tokens: Vec<Vec<u32>> = Vec::new();
    for i in 0..pc.len() {
        let mut g = pc.identity();
        g[i] = 1;
        let inv = pc.inverse(&g)?;
        for x in [g, inv] {
            if x.iter().any(|&e| e != 0) && !tokens.contains(&x) {
                tokens.push(x);
            }
        }
    }
    Ok(tokens.len())
}

/// The one-layer targets' sizes as far as they are known from a pc
/// presentation: the regular action bounds pd-ssm's width and
/// deltaproduct's state; the least faithful action and the reflections
/// per token need the element table.
fn cell_size_of_pc(
    order: &BigUint,
    tokens: usize,
    kind: gssm_runtime::valid::TargetKind,
) -> String {
    use gssm_runtime::valid::TargetKind;
    match kind {
        TargetKind::Rnn => format!(
            "hidden units = |G| × tokens: over the generators and inverses H = {}, over all elements H = {}, not built past the element limit",
            order * tokens,
            order * order
        ),
        TargetKind::PdSsm => format!(
            "width at most {order} (the regular action; the least faithful action needs the element table, not computed past the element limit)"
        ),
        _ => format!(
            "state dimension at most {} (the sum-zero part of the regular action); reflections per token need the element table, not computed past the element limit",
            order - 1u32
        ),
    }
}
