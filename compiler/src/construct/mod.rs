//! Group (+ series or action) → SSM IR, one module per kind of net:
//! [`diagonal`] (one layer per abelian factor, DESIGN.md §1), and the
//! one-layer cells of §7: [`pd`] (PD-SSM), [`delta`] (DeltaProduct) and
//! [`rnn`] (Elman RNN). The cells' floats are a deterministic function of
//! integer data the file also stores (the action's images, the tokens'
//! elements, the group table), so the proof rebuilds them with the same
//! functions and compares every bit.

pub mod automaton;
pub mod chain;
pub mod delta;
pub mod diagonal;
pub mod pc;
pub mod pd;
pub mod rnn;
pub mod solvable;

pub use diagonal::construct;

use crate::group::{Elem, Group};
use gssm_runtime::ir::{
    FloatDtype, GroupInfo, GroupTruth, Manifest, Truth, BOS_LABEL, CONVENTION, FORMAT_NAME,
    FORMAT_VERSION,
};
use gssm_runtime::ir::{Model, Net};
use gssm_runtime::valid::{LoadLimits, TargetKind};

/// The model's input alphabet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alphabet {
    /// Every group element is a token (token id = element id).
    Elements,
    /// The generators, optionally with their inverses (the word problem).
    Generators { inverses: bool },
}

/// The model's tokens: group elements with their labels, then, with `bos`,
/// the start token.
#[derive(Clone, Debug, PartialEq)]
pub struct Tokens {
    pub group: Vec<(Elem, String)>,
    pub bos: bool,
}

impl Tokens {
    pub fn new(g: &Group, alphabet: Alphabet, bos: bool) -> Result<Tokens, String> {
        let group = tokens(g, alphabet);
        if group.is_empty() {
            return Err(
                "the token alphabet is empty (the group has no generators); use all elements as tokens"
                    .into(),
            );
        }
        Ok(Tokens { group, bos })
    }
    /// Number of tokens, the start token included.
    pub fn count(&self) -> usize {
        self.group.len() + usize::from(self.bos)
    }
    /// Token id → element id (the start token's is the identity, 0).
    pub fn elements(&self) -> Vec<u32> {
        let mut e: Vec<u32> = self.group.iter().map(|t| t.0).collect();
        if self.bos {
            e.push(0);
        }
        e
    }
    pub fn labels(&self) -> Vec<String> {
        let mut l: Vec<String> = self.group.iter().map(|t| t.1.clone()).collect();
        if self.bos {
            l.push(BOS_LABEL.into());
        }
        l
    }
}

/// Token ids → (element, label) of the group tokens.
pub fn tokens(g: &Group, alphabet: Alphabet) -> Vec<(Elem, String)> {
    match alphabet {
        Alphabet::Elements => g.elements().map(|x| (x, g.label(x).to_string())).collect(),
        Alphabet::Generators { inverses } => {
            let mut out = Vec::new();
            for (&x, name) in g.generators().iter().zip(g.generator_names()) {
                out.push((x, name.clone()));
                if inverses && g.inv(x) != x {
                    out.push((g.inv(x), format!("{name}^-1")));
                }
            }
            out
        }
    }
}

/// The manifest of a model of `g` for `kind` with these tokens.
pub fn manifest(g: &Group, kind: TargetKind, dtype: FloatDtype, toks: &Tokens) -> Manifest {
    let mut m = manifest_fields(kind, dtype);
    m.group = Some(GroupInfo {
        name: g.name.clone(),
        generators: g.generator_names().to_vec(),
    });
    m.bos = toks.bos.then_some(toks.group.len() as u32);
    m.tokens = toks.labels();
    m.outputs = g.labels().to_vec();
    m
}

/// Most entries one table (a cocycle, a layer's tokens) may have: the
/// loader's limit, checked before the table is allocated.
pub(crate) fn check_entries(
    what: impl FnOnce() -> String,
    entries: u128,
    limit: usize,
) -> Result<usize, String> {
    if entries > limit as u128 {
        return Err(format!(
            "{} would have {entries} entries ({}), more than the {limit} a weight file may hold",
            what(),
            gssm_runtime::chain::format_bytes(entries * 4)
        ));
    }
    Ok(entries as usize)
}

/// The fields every manifest shares; what is tracked, the tokens and the
/// outputs are filled in by the caller.
pub fn manifest_fields(kind: TargetKind, dtype: FloatDtype) -> Manifest {
    Manifest {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
        compiler: format!("gssm {}", env!("CARGO_PKG_VERSION")),
        group: None,
        automaton: None,
        convention: CONVENTION.into(),
        target: kind.name().into(),
        dtype: dtype.manifest_name().into(),
        bos: None,
        tokens: Vec::new(),
        outputs: Vec::new(),
        proved: Vec::new(),
    }
}

/// A one-layer cell of `kind` for `g`, on the least-degree faithful action
/// the engine finds (pd-ssm, deltaproduct).
pub fn cell(
    g: &Group,
    kind: TargetKind,
    toks: &Tokens,
    dtype: FloatDtype,
    limits: &LoadLimits,
) -> Result<Model, String> {
    match kind {
        TargetKind::Rnn => rnn::construct(g, toks, dtype, limits),
        TargetKind::PdSsm | TargetKind::DeltaProduct => {
            let a = crate::structure::least_faithful_action(g, &Default::default());
            if a.degree > limits.max_cell {
                return Err(format!(
                    "the least faithful action found for {} has degree {}, past the limit of {}",
                    g.name, a.degree, limits.max_cell
                ));
            }
            if kind == TargetKind::PdSsm {
                Ok(pd::construct(g, &a.images, a.degree, toks, dtype))
            } else {
                delta::construct(g, &a.images, a.degree, toks, dtype)
            }
        }
        other => Err(format!(
            "internal: {} is not a one-layer target",
            other.name()
        )),
    }
}

/// What a one-layer target needs for `g`, for reports: its state size and
/// a line saying how it is built.
pub fn cell_size(g: &Group, kind: TargetKind, limits: &LoadLimits) -> (usize, String) {
    let all: Vec<u32> = g.elements().collect();
    let gens = Tokens::new(g, Alphabet::Generators { inverses: true }, false)
        .map(|t| t.elements())
        .unwrap_or_default();
    match kind {
        TargetKind::Rnn => {
            let n = g.order();
            let over = |v: usize| match rnn::check_size(n, v, FloatDtype::F32, limits) {
                Ok(h) => format!("H = {h}"),
                Err(_) => format!("H = {}, past the limit", n.saturating_mul(v)),
            };
            (
                n * gens.len().max(1),
                format!(
                    "hidden units = |G| × tokens: over the generators and inverses {}, over all elements {}",
                    over(gens.len()),
                    over(n)
                ),
            )
        }
        _ => {
            let a = crate::structure::least_faithful_action(g, &Default::default());
            if kind == TargetKind::PdSsm {
                (a.degree, format!("width {} ({})", a.degree, a.how))
            } else {
                let d: usize = delta::orbits(&a.images, a.degree)
                    .iter()
                    .map(|o| o.len() - 1)
                    .sum();
                let m = |els: &[u32]| delta::reflections(&a.images, a.degree, els, false);
                (
                    d,
                    format!(
                        "state dimension {d} (the sum-zero part of {}), reflections per token: {} over the generators and inverses, {} over all elements",
                        a.how,
                        m(&gens),
                        m(&all)
                    ),
                )
            }
        }
    }
}

/// The model of `g` with these tokens around a one-layer `net`.
fn cell_model(g: &Group, kind: TargetKind, dtype: FloatDtype, toks: &Tokens, net: Net) -> Model {
    Model {
        manifest: manifest(g, kind, dtype, toks),
        net,
        truth: group_truth(g, toks),
    }
}

/// The ground truth of a model of `g` with these tokens.
pub fn group_truth(g: &Group, toks: &Tokens) -> Truth {
    Truth::Group(GroupTruth {
        table: g.table().to_vec(),
        generators: g.generators().to_vec(),
        token_elements: toks.elements(),
    })
}

/// The value marking point j in a state vector: j + 1, exact in every dtype
/// for the degrees the loader accepts.
pub fn points(degree: usize) -> Vec<f64> {
    (1..=degree).map(|j| j as f64).collect()
}
