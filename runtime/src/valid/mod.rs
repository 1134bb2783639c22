//! Validation: the one place that turns an IR [`Model`] — decoded from a
//! file or built by the compiler — into a [`ValidModel`]. Executors, the
//! verifier, the encoder and the CLI take only `ValidModel`, so every table
//! index they use is in bounds and every manifest field agrees with the
//! tensors, whoever wrote the file.
//!
//! What is checked here is structure: sizes within [`LoadLimits`], every
//! index in range, the group table a Latin square with identity 0, floats
//! finite and representable in the stored dtype, the target known and its
//! layer class respected, labels unique words that evaluate to their
//! elements. That the floats are the construction's values and that the
//! model computes the group product is the proof's job (`gssm verify`).

mod labels;
mod pc;
mod perm;

pub use labels::{check_generator_name, PcWords, Perms, Table, WordGroup, Words};

use crate::format::FormatError;
use crate::ir::{
    AutomatonTruth, Coord, DeltaCell, Diagonal, FloatDtype, GroupInfo, GroupTruth, Layer, Model,
    Net, Numbering, PdCell, PointAction, RnnCell, Truth, BOS_LABEL, CONVENTION, FORMAT_NAME,
    FORMAT_VERSIONS_READ, FORMAT_VERSION_PC, FORMAT_VERSION_PERM, FORMAT_VERSION_SERIES,
};
use std::collections::HashSet;
use std::ops::Deref;

/// Upper bounds a model must respect; they keep a crafted file from making
/// the loader or an executor allocate without bound, and the compiler uses
/// the same ones, so it never writes a file the loader refuses.
#[derive(Clone, Copy, Debug)]
pub struct LoadLimits {
    /// Largest group order (the Cayley table has order² entries).
    pub max_order: usize,
    /// Largest table (cocycle, readout, token) size in entries.
    pub max_table: usize,
    pub max_layers: usize,
    /// Widest layer.
    pub max_width: usize,
    /// Largest permutation degree, state dimension or hidden size of a
    /// one-layer cell (its square must also stay within `max_table`).
    pub max_cell: usize,
}

impl Default for LoadLimits {
    fn default() -> Self {
        LoadLimits {
            max_order: 1 << 13,
            max_table: 1 << 26,
            max_layers: 64,
            max_width: 64,
            max_cell: 1 << 13,
        }
    }
}

/// Target architectures a weight file may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TargetKind {
    Aussm,
    NegMamba,
    Mamba,
    Gla,
    S4d,
    Rnn,
    PdSsm,
    DeltaProduct,
}

impl TargetKind {
    pub const ALL: [TargetKind; 8] = [
        TargetKind::Aussm,
        TargetKind::NegMamba,
        TargetKind::Mamba,
        TargetKind::Gla,
        TargetKind::S4d,
        TargetKind::Rnn,
        TargetKind::PdSsm,
        TargetKind::DeltaProduct,
    ];
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Aussm => "aussm",
            TargetKind::NegMamba => "neg-mamba",
            TargetKind::Mamba => "mamba",
            TargetKind::Gla => "gla",
            TargetKind::S4d => "s4d",
            TargetKind::Rnn => "rnn",
            TargetKind::PdSsm => "pd-ssm",
            TargetKind::DeltaProduct => "deltaproduct",
        }
    }
    /// Whether the model is a stack of diagonal layers (the others are one
    /// non-diagonal cell).
    pub fn is_diagonal(self) -> bool {
        matches!(
            self,
            TargetKind::Aussm
                | TargetKind::NegMamba
                | TargetKind::Mamba
                | TargetKind::Gla
                | TargetKind::S4d
        )
    }
    /// What the file's tensors must describe, for messages.
    fn net_name(self) -> &'static str {
        match self {
            TargetKind::Rnn => "an Elman RNN cell (`rnn.*`)",
            TargetKind::PdSsm => "a PD-SSM cell (`pd.*`)",
            TargetKind::DeltaProduct => "a DeltaProduct cell (`delta.*`)",
            _ => "diagonal layers (`layer.*`, `readout`)",
        }
    }
    pub fn parse(name: &str) -> Option<TargetKind> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
    /// Whether a layer of this target can change state: the others track
    /// only the trivial group, with no layers.
    pub fn has_layers(self) -> bool {
        matches!(self, TargetKind::Aussm | TargetKind::NegMamba)
    }
    /// Whether a phase component of this target may rotate (the others
    /// only keep and reset, with a ∈ {0, 1}).
    pub fn rotates(self) -> bool {
        matches!(self, TargetKind::Aussm | TargetKind::NegMamba)
    }
    /// Whether the file carries `layer.i.transition.phase`.
    pub fn has_phases(self) -> bool {
        self == TargetKind::Aussm
    }
    /// Whether one layer of this target can carry a component of modulus
    /// `n`: AUSSM any root of unity, negative Mamba ±1 only, the others
    /// nothing (they track only the trivial group, with no layers).
    pub fn allows_modulus(self, n: u32) -> bool {
        match self {
            TargetKind::Aussm => true,
            // ±1: negative Mamba rotates by −1, Mamba and GLA only reset to
            // ±1.
            TargetKind::NegMamba | TargetKind::Mamba | TargetKind::Gla => n == 2,
            _ => false,
        }
    }
}

/// A model that passed [`validate`]. It can only be made there; it derefs
/// to the [`Model`] for reading.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidModel {
    model: Model,
    dtype: FloatDtype,
    target: TargetKind,
}

impl Deref for ValidModel {
    type Target = Model;
    fn deref(&self) -> &Model {
        &self.model
    }
}

impl ValidModel {
    pub fn model(&self) -> &Model {
        &self.model
    }
    /// Give the IR back, e.g. to change it and validate it again.
    pub fn into_model(self) -> Model {
        self.model
    }
    /// The stored float type.
    pub fn dtype(&self) -> FloatDtype {
        self.dtype
    }
    pub fn target(&self) -> TargetKind {
        self.target
    }
}

fn bad(msg: impl Into<String>) -> FormatError {
    FormatError::Inconsistent(msg.into())
}

fn limit(msg: impl Into<String>) -> FormatError {
    FormatError::Limit(msg.into())
}

/// Product of sizes, failing past `max`.
fn product(
    xs: impl IntoIterator<Item = usize>,
    max: usize,
    what: &str,
) -> Result<usize, FormatError> {
    let mut p = 1usize;
    for x in xs {
        p = p
            .checked_mul(x)
            .filter(|&p| p <= max)
            .ok_or_else(|| limit(format!("{what} exceeds {max} entries")))?;
    }
    Ok(p)
}

fn check_len(name: &str, got: usize, want: usize) -> Result<(), FormatError> {
    if got != want {
        return Err(bad(format!("`{name}` has {got} entries, expected {want}")));
    }
    Ok(())
}

/// Every entry below `bound`.
fn check_range(name: &str, xs: &[u32], bound: usize) -> Result<(), FormatError> {
    match xs.iter().position(|&x| x as usize >= bound) {
        Some(index) => Err(FormatError::Range {
            name: name.into(),
            index,
            value: xs[index] as i64,
            bound,
        }),
        None => Ok(()),
    }
}

/// Finite and exactly representable in the stored dtype.
fn check_floats(name: &str, xs: &[f64], dtype: FloatDtype) -> Result<(), FormatError> {
    for (index, &x) in xs.iter().enumerate() {
        if !x.is_finite() {
            return Err(FormatError::NotFinite {
                name: name.into(),
                index,
            });
        }
        if dtype.round(x).to_bits() != x.to_bits() {
            return Err(bad(format!(
                "`{name}` entry {index} ({x:e}) is not a {} value",
                dtype.manifest_name()
            )));
        }
    }
    Ok(())
}

/// Check everything an executor, the verifier or a reader relies on.
pub fn validate(mut model: Model, limits: &LoadLimits) -> Result<ValidModel, FormatError> {
    // Tables a series made for ranking belong to its fields as they were:
    // checked fields get their own.
    if let Truth::Perm(p) = &mut model.truth {
        if let Numbering::Series(terms) = &mut p.numbering {
            terms.iter_mut().for_each(crate::ir::Term::forget_lookup);
        }
    }
    if let Truth::Pc(p) = &mut model.truth {
        p.forget_steps();
    }
    let m = &model.manifest;
    if m.format != FORMAT_NAME {
        return Err(FormatError::WrongFormat(m.format.clone()));
    }
    if !FORMAT_VERSIONS_READ.contains(&m.format_version) {
        return Err(FormatError::Version {
            found: m.format_version,
        });
    }
    if m.convention != CONVENTION {
        return Err(bad(format!(
            "manifest field `convention` is '{}', but gssm models use '{CONVENTION}'",
            m.convention
        )));
    }
    let dtype = FloatDtype::from_manifest(&m.dtype).ok_or_else(|| {
        bad(format!(
            "manifest field `dtype` is '{}', expected float32 or float64",
            m.dtype
        ))
    })?;
    let target = TargetKind::parse(&m.target).ok_or_else(|| {
        let names: Vec<_> = TargetKind::ALL.iter().map(|t| t.name()).collect();
        bad(format!(
            "manifest field `target` is '{}', not a known target ({})",
            m.target,
            names.join(", ")
        ))
    })?;

    // What is tracked: a group (order, table, generators), a permutation
    // group without a table, or an automaton.
    let v0 = model.num_tokens();
    if v0 == 0 || v0 > limits.max_table {
        return Err(limit(format!(
            "{v0} tokens (need 1..={})",
            limits.max_table
        )));
    }
    if let (Truth::Perm(p), Some(info)) = (&model.truth, &m.group) {
        perm::check_perm(p, info, m, v0, limits)?;
    }
    if let (Truth::Pc(p), Some(info)) = (&model.truth, &m.group) {
        pc::check_pc(p, info, m, limits)?;
    }
    let n = model.order();
    let max_n = if model.untabled() {
        MAX_PERM_ORDER
    } else {
        limits.max_order
    };
    if n == 0 || n > max_n {
        return Err(limit(format!(
            "{n} output labels (group elements or automaton states) is outside 1..={max_n}"
        )));
    }
    let v = m.format_version;
    if v == FORMAT_VERSION_PC && model.pc().is_none() {
        return Err(bad(format!(
            "format version {v} files track a group given by a pc presentation (`pc.*`); this file has another truth"
        )));
    }
    if (v == FORMAT_VERSION_PERM || v == FORMAT_VERSION_SERIES) && model.perm().is_none() {
        return Err(bad(format!(
            "format version {v} files track a permutation group without a table (`perm.*`); this file has another truth, so it is version 4"
        )));
    }
    match (&model.truth, &m.group, &m.automaton) {
        (Truth::Group(g), Some(info), None) => check_group(g, info, n, v0, limits)?,
        (Truth::Perm(_) | Truth::Pc(_), Some(_), None) => {}
        (Truth::Automaton(a), None, Some(_)) => {
            if m.format_version < 4 {
                return Err(bad(format!(
                    "format version {} has no automata",
                    m.format_version
                )));
            }
            if m.bos.is_some() {
                return Err(bad("an automaton model has no start token"));
            }
            check_automaton(a, n, v0, limits)?
        }
        _ => {
            return Err(bad(
                "the manifest must describe what the tensors track: `group` with `group.*` tensors, or `automaton` with `automaton.*` tensors",
            ))
        }
    }

    if m.format_version == 2 && (m.bos.is_some() || !target.is_diagonal()) {
        return Err(bad(format!(
            "format version 2 has neither start tokens nor the {} target",
            target.name()
        )));
    }
    if let Some(b) = m.bos {
        if b as usize != v0 - 1 {
            return Err(bad(format!(
                "manifest `bos` is {b}, but the start token must be the last token ({})",
                v0 - 1
            )));
        }
        if m.tokens[v0 - 1] != BOS_LABEL {
            return Err(bad(format!(
                "the start token's label is '{}', expected '{BOS_LABEL}'",
                m.tokens[v0 - 1]
            )));
        }
        if model.group().is_some_and(|g| g.token_elements[v0 - 1] != 0) {
            return Err(bad(
                "the start token's `tokens.element` entry must be 0 (the identity)",
            ));
        }
        if model.perm().is_some_and(|p| {
            p.tokens
                .get(v0 - 1)
                .is_some_and(|t| t.iter().enumerate().any(|(j, &x)| x as usize != j))
        }) {
            return Err(bad(
                "the start token's row of `perm.tokens` must be the identity",
            ));
        }
    }
    let bos = m.bos.is_some();
    if model.perm().is_some() && !matches!(target, TargetKind::PdSsm | TargetKind::Aussm) {
        return Err(bad(format!(
            "a permutation group without a table (`perm.*`) is tracked by pd-ssm and aussm models only, not {}",
            target.name()
        )));
    }
    if model
        .perm()
        .is_some_and(|p| matches!(p.numbering, Numbering::Series(_)))
        && target != TargetKind::Aussm
    {
        return Err(bad(format!(
            "a permutation group numbered along a series (`perm.series.*`) is tracked by aussm stacks only, whose joint code is the output, not by {}",
            target.name()
        )));
    }
    if model.pc().is_some() && target != TargetKind::Aussm {
        return Err(bad(format!(
            "a group given by a pc presentation (`pc.*`) is tracked by aussm stacks only, whose joint code is the output, not by {}",
            target.name()
        )));
    }
    if model.automaton().is_some() && model.diagonal().is_none() {
        return Err(bad(
            "an automaton model is a stack of diagonal layers; its file has a one-layer cell",
        ));
    }
    match (&model.net, target) {
        (Net::Diagonal(d), t) if t.is_diagonal() => {
            let automaton = model.automaton().is_some();
            // Resets and registers hold an automaton's states; a group's
            // layers only rotate (its start token has its own rule).
            if (m.format_version < 4 || !automaton)
                && d.layers.iter().any(|l| {
                    l.coords.iter().any(|&c| c != Coord::Phase)
                        || l.transition_code
                            .iter()
                            .enumerate()
                            .any(|(k, &c)| c >= l.moduli[k % l.width().max(1)])
                })
            {
                return Err(bad(if automaton {
                    format!(
                        "format version {} has neither registers nor resets",
                        m.format_version
                    )
                } else {
                    "a group model's layers only rotate: no registers, and every transition code below its modulus".to_string()
                }));
            }
            check_diagonal(d, &model, target, dtype, limits)?
        }
        (Net::Pd(c), TargetKind::PdSsm) => check_pd(c, &model, v0, bos, dtype, limits)?,
        (Net::Delta(c), TargetKind::DeltaProduct) => {
            check_delta(c, &model, v0, bos, dtype, limits)?
        }
        (Net::Rnn(c), TargetKind::Rnn) => check_rnn(c, n, v0, dtype, limits)?,
        (_, t) => {
            return Err(bad(format!(
                "target {} is {}, but the file's tensors describe something else",
                t.name(),
                t.net_name()
            )))
        }
    }

    check_proved(&m.proved, model.diagonal().is_some())?;
    match &model.truth {
        // Labels: unique words that evaluate to their elements.
        Truth::Group(g) => {
            let names = &m.group.as_ref().expect("checked above").generators;
            let mut words = Words::new(Table { group: g, order: n }, names);
            check_labels("outputs", &m.outputs, &mut words, |i| i as u32)?;
            let group_tokens = v0 - usize::from(bos);
            check_labels("tokens", &m.tokens[..group_tokens], &mut words, |v| {
                g.token_elements[v]
            })?;
        }
        // Output labels are made on demand; token labels are words.
        Truth::Perm(p) => {
            let names = &m.group.as_ref().expect("checked above").generators;
            let mut words = Words::new(Perms(p), names);
            let group_tokens = v0 - usize::from(bos);
            check_labels("tokens", &m.tokens[..group_tokens], &mut words, |v| {
                p.tokens[v].clone()
            })?;
        }
        Truth::Pc(p) => {
            let names = &m.group.as_ref().expect("checked above").generators;
            let mut words = Words::new(PcWords::new(p), names);
            let group_tokens = v0 - usize::from(bos);
            let checked = check_labels("tokens", &m.tokens[..group_tokens], &mut words, |v| {
                p.tokens[v].clone()
            });
            // A label that ran out of collection says so, whatever it
            // evaluated to meanwhile.
            if let Some(e) = words.group.failure() {
                return Err(limit(format!(
                    "evaluating the token labels in the pc presentation: {e}"
                )));
            }
            checked?;
            // Validated: the ground truth collects without a budget.
            p.pc.set_work_limit(u64::MAX);
        }
        // Labels: the source's names, unique.
        Truth::Automaton(_) => {
            check_names("outputs", &m.outputs)?;
            check_names("tokens", &m.tokens)?;
        }
    }
    Ok(ValidModel {
        model,
        dtype,
        target,
    })
}

/// The manifest's precision claims name each arithmetic once, and only a
/// diagonal model has rounded orbits to claim about; whether they hold is
/// `gssm verify`'s to prove.
fn check_proved(proved: &[crate::ir::ProvedDtype], diagonal: bool) -> Result<(), FormatError> {
    if !proved.is_empty() && !diagonal {
        return Err(bad(
            "manifest `proved` is for diagonal models; a one-layer cell has its own proof",
        ));
    }
    let mut seen = HashSet::new();
    for (i, p) in proved.iter().enumerate() {
        let known = crate::scalar::Dtype::ALL
            .iter()
            .any(|d| d.name() == p.dtype);
        if !known {
            return Err(bad(format!(
                "manifest `proved[{i}].dtype` is '{}', expected f64, f32, f16 or bf16",
                p.dtype
            )));
        }
        if !seen.insert(p.dtype.as_str()) {
            return Err(bad(format!("manifest `proved` names {} twice", p.dtype)));
        }
    }
    Ok(())
}

fn check_group(
    g: &GroupTruth,
    info: &GroupInfo,
    n: usize,
    v0: usize,
    limits: &LoadLimits,
) -> Result<(), FormatError> {
    check_len("group.table", g.table.len(), n * n)?;
    check_range("group.table", &g.table, n)?;
    check_latin_square(&g.table, n)?;
    check_generator_names(info, limits)?;
    check_len(
        "group.generators",
        g.generators.len(),
        info.generators.len(),
    )?;
    check_range("group.generators", &g.generators, n)?;
    check_len("tokens.element", g.token_elements.len(), v0)?;
    check_range("tokens.element", &g.token_elements, n)
}

/// Generator names: few enough, identifiers, unique.
fn check_generator_names(info: &GroupInfo, limits: &LoadLimits) -> Result<(), FormatError> {
    let names = &info.generators;
    if names.len() > limits.max_table {
        return Err(limit(format!("{} generators", names.len())));
    }
    let mut seen = HashSet::new();
    for (i, name) in names.iter().enumerate() {
        check_generator_name(name)
            .map_err(|e| bad(format!("manifest `group.generators[{i}]`: {e}")))?;
        if !seen.insert(name.as_str()) {
            return Err(bad(format!(
                "manifest `group.generators` names '{name}' twice"
            )));
        }
    }
    Ok(())
}

/// Output ids of a permutation group are u32 and `ir::UNDECODABLE` is
/// `u32::MAX`, so the order stays at or below it.
pub const MAX_PERM_ORDER: usize = u32::MAX as usize;

/// Transitions in range and total; the start state and acceptance flags.
fn check_automaton(
    a: &AutomatonTruth,
    n: usize,
    v0: usize,
    limits: &LoadLimits,
) -> Result<(), FormatError> {
    let cells = product([v0, n], limits.max_table, "`automaton.delta`")?;
    check_len("automaton.delta", a.delta.len(), cells)?;
    check_range("automaton.delta", &a.delta, n)?;
    check_range("automaton.start", &[a.start], n)?;
    check_len("automaton.accept", a.accept.len(), n)?;
    check_range("automaton.accept", &a.accept, 2)
}

/// Automaton labels: non-empty, printable, unique.
fn check_names(field: &str, labels: &[String]) -> Result<(), FormatError> {
    let mut seen = HashSet::with_capacity(labels.len());
    for (i, label) in labels.iter().enumerate() {
        if label.is_empty() || label.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(bad(format!(
                "manifest `{field}[{i}]` '{label}' is empty or has spaces or control characters"
            )));
        }
        if !seen.insert(label.as_str()) {
            return Err(bad(format!(
                "manifest `{field}[{i}]` repeats the label '{label}'"
            )));
        }
    }
    Ok(())
}

/// The diagonal stack: every layer, the chain of token counts, the readout,
/// and the start token's rows.
fn check_diagonal(
    d: &Diagonal,
    model: &Model,
    target: TargetKind,
    dtype: FloatDtype,
    limits: &LoadLimits,
) -> Result<(), FormatError> {
    let (n, v0) = (model.order(), model.num_tokens());
    let bos = model.manifest.bos.is_some();
    let automaton = model.automaton().is_some();
    let k = d.layers.len();
    if k > limits.max_layers {
        return Err(limit(format!("{k} layers (at most {})", limits.max_layers)));
    }
    // Mamba and GLA layers only keep and reset: no group but the trivial
    // one, and input-independent S4D layers nothing.
    if k > 0 && !target.has_layers() && (!automaton || target == TargetKind::S4d) {
        return Err(bad(format!(
            "target {} tracks only the trivial group and has no layers, but the file has {k}",
            target.name()
        )));
    }
    let mut joint = 1usize;
    for (i, l) in d.layers.iter().enumerate() {
        let v_next = d.layers.get(i + 1).map(|l| l.num_tokens);
        let codes = check_layer(i, l, v_next, target, dtype, limits)?;
        if i == 0 && l.num_tokens != v0 {
            return Err(bad(format!(
                "layer 0 has {} tokens, but the model has {v0}",
                l.num_tokens
            )));
        }
        if bos {
            check_start_row(i, l, v_next)?;
        }
        // Without a readout the joint code is the output id, so it is
        // bounded by the ids' range rather than by a table's size.
        let max = if d.readout.is_some() {
            limits.max_table
        } else {
            MAX_PERM_ORDER
        };
        joint = product([joint, codes], max, "the joint state code")?;
    }
    if bos && k == 0 {
        return Err(bad(
            "a model with a start token needs a layer to hold its state",
        ));
    }
    // Without a readout, layer i's code is the truth's term i's: its
    // factor's size, and the tensor that gives it.
    let series: Option<(Vec<u64>, &str)> = match &model.truth {
        Truth::Perm(p) => match &p.numbering {
            Numbering::Series(terms) => Some((
                terms.iter().map(crate::ir::Term::size).collect(),
                "`perm.series.i.moduli`",
            )),
            Numbering::Chain(_) => None,
        },
        Truth::Pc(p) => Some((
            p.starts()
                .windows(2)
                .map(|w| {
                    p.pc.relative_orders()[w[0]..w[1]]
                        .iter()
                        .map(|&r| u64::from(r))
                        .product()
                })
                .collect(),
            "the orders in `pc.orders` of term i's block",
        )),
        _ => None,
    };
    match (&d.readout, series) {
        (Some(r), None) => {
            check_len("readout", r.len(), joint)?;
            check_range("readout", r, n)?;
        }
        (None, Some((sizes, tensor))) => {
            // The output id is the joint code, which the truth numbers
            // term by term: layer i's codes are term i's.
            if sizes.len() != k {
                return Err(bad(format!(
                    "the truth's series has {} terms, but the stack has {k} layers: without a readout, layer i's code is term i's",
                    sizes.len()
                )));
            }
            for (i, (&size, l)) in sizes.iter().zip(&d.layers).enumerate() {
                if size != l.num_codes() as u64 {
                    return Err(bad(format!(
                        "layer {i} has {} codes, but term {i}'s factor ({tensor}) has {size} elements: without a readout, layer i's code is term i's",
                        l.num_codes(),
                    )));
                }
            }
        }
        (Some(_), Some(_)) => {
            return Err(bad(
                "a truth numbered along a series (`perm.series.*` or `pc.*`) has the joint code as its output id, so the file has no `readout` tensor",
            ))
        }
        (None, None) => {
            return Err(FormatError::Missing("readout".into()));
        }
    }
    Ok(())
}

/// With a start token, each layer's last token writes the initial state
/// into a zero state: a = 0, zero h0, and the cocycle passes it on.
fn check_start_row(i: usize, l: &Layer, v_next: Option<usize>) -> Result<(), FormatError> {
    let r = l.width();
    let t = l.num_tokens - 1;
    let row = t * r..(t + 1) * r;
    let zero = |xs: &[f64]| xs.iter().all(|&x| x == 0.0);
    if !zero(&l.a_re[row.clone()]) || !zero(&l.a_im[row.clone()]) {
        return Err(bad(format!(
            "layer {i}'s start token (id {t}) must have transition a = 0"
        )));
    }
    if l.transition_code[row.clone()].iter().any(|&c| c != 0)
        || l.phase.as_ref().is_some_and(|p| !zero(&p[row.clone()]))
    {
        return Err(bad(format!(
            "layer {i}'s start token (id {t}) must have transition code and phase 0"
        )));
    }
    if !zero(&l.h0_re) || !zero(&l.h0_im) {
        return Err(bad(format!(
            "layer {i}: a model with a start token runs from the zero state, so h0 must be 0"
        )));
    }
    if let Some(vn) = v_next {
        for c in 0..l.num_codes() {
            if l.cocycle[c * l.num_tokens + t] as usize != vn - 1 {
                return Err(bad(format!(
                    "layer {i}'s cocycle must map its start token to layer {}'s start token (id {}) from every code, but not from code {c}",
                    i + 1,
                    vn - 1
                )));
            }
        }
    }
    Ok(())
}

/// A faithful action's table: every row a permutation, row 0 the identity,
/// rows distinct; and the point values finite, distinct. Without a table
/// the action is the truth's own permutations, on as many points.
fn check_action(
    a: &PointAction,
    model: &Model,
    dtype: FloatDtype,
    limits: &LoadLimits,
) -> Result<(), FormatError> {
    let deg = a.degree();
    if deg == 0 || deg > limits.max_cell {
        return Err(limit(format!(
            "the action has degree {deg} (need 1..={})",
            limits.max_cell
        )));
    }
    check_floats("action.points", &a.points, dtype)?;
    let mut sorted = a.points.clone();
    sorted.sort_by(f64::total_cmp);
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(bad(
            "`action.points` repeats a value: points must be distinct",
        ));
    }
    let images = match (&a.images, model.perm()) {
        (Some(images), None) => images,
        (None, Some(p)) if p.degree == deg => return Ok(()),
        (None, Some(p)) => {
            return Err(bad(format!(
                "the cell acts on {deg} points, but `perm.*` permutes {}",
                p.degree
            )))
        }
        (None, None) => return Err(FormatError::Missing("action.images".into())),
        (Some(_), Some(_)) => return Err(FormatError::Unexpected("action.images".into())),
    };
    let n = model.order();
    product([n, deg], limits.max_table, "`action.images`")?;
    check_len("action.images", images.len(), n * deg)?;
    check_range("action.images", images, deg)?;
    let mut rows = HashSet::with_capacity(n);
    for g in 0..n {
        let row = &images[g * deg..(g + 1) * deg];
        check_permutation(&format!("action.images row {g}"), row)?;
        if g == 0 && row.iter().enumerate().any(|(j, &x)| x as usize != j) {
            return Err(bad(
                "`action.images` row 0 (the identity) is not the identity permutation",
            ));
        }
        if !rows.insert(row) {
            return Err(bad(format!(
                "`action.images` row {g} repeats an earlier row: the action is not faithful"
            )));
        }
    }
    Ok(())
}

/// Each (name, values, expected length): the length, then the values
/// finite and representable in `dtype`.
fn check_float_tensors(
    tensors: &[(&str, &Vec<f64>, usize)],
    dtype: FloatDtype,
) -> Result<(), FormatError> {
    for &(name, xs, len) in tensors {
        check_len(name, xs.len(), len)?;
        check_floats(name, xs, dtype)?;
    }
    Ok(())
}

/// `xs` is a permutation of 0..len.
fn check_permutation(what: &str, xs: &[u32]) -> Result<(), FormatError> {
    let mut seen = vec![false; xs.len()];
    for &x in xs {
        let x = x as usize;
        if x >= xs.len() || std::mem::replace(&mut seen[x], true) {
            return Err(bad(format!("{what} is not a permutation")));
        }
    }
    Ok(())
}

fn check_pd(
    c: &PdCell,
    model: &Model,
    v: usize,
    bos: bool,
    dtype: FloatDtype,
    limits: &LoadLimits,
) -> Result<(), FormatError> {
    check_action(&c.action, model, dtype, limits)?;
    let deg = c.action.degree();
    let vn = product([v, deg], limits.max_table, "the PD-SSM transitions")?;
    check_len("pd.index", c.index.len(), vn)?;
    for x in 0..v {
        check_permutation(
            &format!("`pd.index` row {x}"),
            &c.index[x * deg..(x + 1) * deg],
        )?;
    }
    check_float_tensors(
        &[
            ("pd.diag", &c.diag, vn),
            ("pd.input", &c.input, vn),
            ("pd.h0", &c.h0, deg),
        ],
        dtype,
    )?;
    if bos {
        // The start token clears the state (D = 0) before writing it.
        zero_state("pd.h0", &c.h0)?;
        if c.diag[(v - 1) * deg..].iter().any(|&x| x != 0.0) {
            return Err(bad("the start token's row of `pd.diag` must be 0"));
        }
    }
    Ok(())
}

/// With a start token the model runs from the zero state.
fn zero_state(name: &str, h0: &[f64]) -> Result<(), FormatError> {
    if h0.iter().any(|&x| x != 0.0) {
        return Err(bad(format!(
            "`{name}` must be 0: a model with a start token runs from the zero state"
        )));
    }
    Ok(())
}

fn check_delta(
    c: &DeltaCell,
    model: &Model,
    v: usize,
    bos: bool,
    dtype: FloatDtype,
    limits: &LoadLimits,
) -> Result<(), FormatError> {
    check_action(&c.action, model, dtype, limits)?;
    let (deg, d) = (c.action.degree(), c.dim());
    if d == 0 || d > limits.max_cell {
        return Err(limit(format!(
            "the state has dimension {d} (need 1..={})",
            limits.max_cell
        )));
    }
    let m = c.reflections(v);
    if m == 0 {
        return Err(bad("`delta.beta` has no reflections"));
    }
    let vm = product([v, m], limits.max_table, "`delta.beta`")?;
    let vmd = product([vm, d], limits.max_table, "`delta.k`")?;
    let nd = product([deg, d], limits.max_table, "`delta.basis`")?;
    check_float_tensors(
        &[
            ("delta.basis", &c.basis, nd),
            ("delta.offset", &c.offset, deg),
            ("delta.k", &c.k, vmd),
            ("delta.beta", &c.beta, vm),
            ("delta.v", &c.v, vm),
            ("delta.h0", &c.h0, d),
        ],
        dtype,
    )?;
    if let Some(i) = c.beta.iter().position(|b| !(0.0..=2.0).contains(b)) {
        return Err(bad(format!(
            "`delta.beta` entry {i} is {}, outside [0, 2]",
            c.beta[i]
        )));
    }
    if bos {
        // The start token writes the state coordinate by coordinate: its
        // first d factors are k = e_c with β = 1, any others β = 0.
        zero_state("delta.h0", &c.h0)?;
        if m < d {
            return Err(bad(format!(
                "the start token needs a factor per state coordinate ({d}), but tokens have {m}"
            )));
        }
        let t = v - 1;
        for r in 0..m {
            let k = &c.k[(t * m + r) * d..(t * m + r + 1) * d];
            let beta = c.beta[t * m + r];
            let writes = r < d;
            let unit = k
                .iter()
                .enumerate()
                .all(|(i, &x)| x == f64::from(u8::from(i == r)));
            if (writes && (!unit || beta != 1.0)) || (!writes && beta != 0.0) {
                return Err(bad(format!(
                    "the start token's factor {r} must be {}",
                    if writes {
                        format!("k = e_{r}, β = 1")
                    } else {
                        "β = 0".to_string()
                    }
                )));
            }
        }
    }
    Ok(())
}

fn check_rnn(
    c: &RnnCell,
    n: usize,
    v: usize,
    dtype: FloatDtype,
    limits: &LoadLimits,
) -> Result<(), FormatError> {
    let h = c.hidden();
    if h == 0 || h > limits.max_cell {
        return Err(limit(format!(
            "the RNN has {h} hidden units (need 1..={})",
            limits.max_cell
        )));
    }
    let hh = product([h, h], limits.max_table, "`rnn.weight_hh`")?;
    let hv = product([h, v], limits.max_table, "`rnn.weight_ih`")?;
    let nh = product([n, h], limits.max_table, "`rnn.readout.weight`")?;
    check_float_tensors(
        &[
            ("rnn.weight_ih", &c.weight_ih, hv),
            ("rnn.weight_hh", &c.weight_hh, hh),
            ("rnn.bias_ih", &c.bias_ih, h),
            ("rnn.bias_hh", &c.bias_hh, h),
            ("rnn.readout.weight", &c.readout_weight, nh),
            ("rnn.readout.bias", &c.readout_bias, n),
        ],
        dtype,
    )?;
    Ok(())
}

fn check_labels<G: WordGroup>(
    field: &str,
    labels: &[String],
    words: &mut Words<G>,
    element: impl Fn(usize) -> G::Elem,
) -> Result<(), FormatError> {
    let mut seen = HashSet::with_capacity(labels.len());
    for (i, label) in labels.iter().enumerate() {
        if !seen.insert(label.as_str()) {
            return Err(bad(format!(
                "manifest `{field}[{i}]` repeats the label '{label}'"
            )));
        }
        let got = words
            .eval(label)
            .map_err(|e| bad(format!("manifest `{field}[{i}]` '{label}': {e}")))?;
        if got != element(i) {
            return Err(bad(format!(
                "manifest `{field}[{i}]` '{label}' evaluates to {}, but labels {}",
                words.group.show(&got),
                words.group.show(&element(i))
            )));
        }
    }
    Ok(())
}

/// One layer's sizes, indices and floats; returns its number of state codes.
fn check_layer(
    i: usize,
    l: &Layer,
    v_next: Option<usize>,
    target: TargetKind,
    dtype: FloatDtype,
    limits: &LoadLimits,
) -> Result<usize, FormatError> {
    let p = |s: &str| format!("layer.{i}.{s}");
    let r = l.width();
    if r == 0 || r > limits.max_width {
        return Err(bad(format!(
            "layer {i} has width {r} (need 1..={})",
            limits.max_width
        )));
    }
    check_len(&p("coords"), l.coords.len(), r)?;
    if let Some(j) = (0..r).find(|&j| l.coords[j] == Coord::Register && l.moduli[j] != 4) {
        return Err(bad(format!(
            "`{}` entry {j} is {}, but a register component has modulus 4",
            p("moduli"),
            l.moduli[j]
        )));
    }
    if let Some(j) = l.moduli.iter().position(|&x| x < 2) {
        return Err(bad(format!(
            "`{}` entry {j} is {}, must be at least 2",
            p("moduli"),
            l.moduli[j]
        )));
    }
    if let Some(j) =
        (0..r).find(|&j| l.coords[j] == Coord::Phase && !target.allows_modulus(l.moduli[j]))
    {
        return Err(bad(format!(
            "`{}` entry {j} is {}: a {} layer cannot realise a cyclic factor of that order",
            p("moduli"),
            l.moduli[j],
            target.name()
        )));
    }
    let codes = product(
        l.moduli.iter().map(|&m| m as usize),
        limits.max_table,
        &format!("layer {i}'s state codes"),
    )?;
    let v = l.num_tokens;
    if v == 0 || v > limits.max_table {
        return Err(limit(format!("layer {i} has {v} tokens")));
    }
    let vr = product(
        [v, r],
        limits.max_table,
        &format!("layer {i}'s transitions"),
    )?;
    check_len(&p("transition.code"), l.transition_code.len(), vr)?;
    for (idx, &c) in l.transition_code.iter().enumerate() {
        let j = idx % r;
        // Phases: rotations below n, resets from n to 2n; registers: keep,
        // write 0, write 1.
        let bound = match l.coords[j] {
            Coord::Phase => 2 * l.moduli[j] as usize,
            Coord::Register => 3,
        };
        if l.coords[j] == Coord::Phase
            && !target.rotates()
            && c != 0
            && (c as usize) < l.moduli[j] as usize
        {
            return Err(bad(format!(
                "`{}` entry {idx} rotates by code {c}, but a {} layer only keeps and resets",
                p("transition.code"),
                target.name()
            )));
        }
        if c as usize >= bound {
            return Err(FormatError::Range {
                name: p("transition.code"),
                index: idx,
                value: c as i64,
                bound,
            });
        }
    }
    let mut floats = vec![
        ("transition.re", &l.a_re, vr),
        ("transition.im", &l.a_im, vr),
        ("input.re", &l.b_re, vr),
        ("input.im", &l.b_im, vr),
        ("h0.re", &l.h0_re, r),
        ("h0.im", &l.h0_im, r),
    ];
    match (&l.phase, target.has_phases()) {
        (Some(ph), true) => floats.push(("transition.phase", ph, vr)),
        (None, false) => {}
        (Some(_), false) => {
            return Err(bad(format!(
                "`{}` is present, but target {} has no phases",
                p("transition.phase"),
                target.name()
            )))
        }
        (None, true) => return Err(FormatError::Missing(p("transition.phase"))),
    }
    for (name, xs, len) in floats {
        check_len(&p(name), xs.len(), len)?;
        check_floats(&p(name), xs, dtype)?;
    }
    match v_next {
        Some(vn) => {
            let table = product(
                [codes, v],
                limits.max_table,
                &format!("layer {i}'s cocycle"),
            )?;
            check_len(&p("cocycle"), l.cocycle.len(), table)?;
            check_range(&p("cocycle"), &l.cocycle, vn)?;
        }
        None => check_len(&p("cocycle"), l.cocycle.len(), 0)?,
    }
    Ok(codes)
}

/// Every row and column a permutation and element 0 the identity: what an
/// executor and the ground truth rely on. (Associativity is the proof's job.)
fn check_latin_square(t: &[u32], n: usize) -> Result<(), FormatError> {
    for g in 0..n {
        if t[g] != g as u32 || t[g * n] != g as u32 {
            return Err(bad(format!(
                "group.table: element 0 is not the identity (row/column {g})"
            )));
        }
    }
    lines_are_permutations(n, "row", |i, j| t[i * n + j])?;
    lines_are_permutations(n, "column", |i, j| t[j * n + i])
}

/// Line i (entries `at(i, 0..n)`) repeats no element, for every i.
fn lines_are_permutations(
    n: usize,
    what: &str,
    at: impl Fn(usize, usize) -> u32,
) -> Result<(), FormatError> {
    let mut seen = vec![u32::MAX; n];
    for i in 0..n {
        for j in 0..n {
            let x = at(i, j) as usize;
            if seen[x] == i as u32 {
                return Err(bad(format!("group.table: {what} {i} repeats element {x}")));
            }
            seen[x] = i as u32;
        }
    }
    Ok(())
}
