//! The weight file: safetensors with real tensors only and the JSON manifest
//! in `__metadata__["gssm"]`. This module is the one place that knows the
//! tensor names, dtypes and shapes; it encodes a [`ValidModel`] and decodes
//! bytes into a [`Model`], which [`crate::valid::validate`] then checks
//! ([`load`] does both).
//!
//! Tensor names (i = layer index from 0, F = float32 or float64, V_i = the
//! layer's token count, r_i = its width, C_i = ∏ moduli = its state codes):
//!
//! | name | dtype | shape |
//! |---|---|---|
//! | `group.table` | I32 | [N, N] Cayley table, `table[g, h] = g·h` |
//! | `group.generators` | I32 | [num generators] generator → element id |
//! | `tokens.element` | I32 | [V_0] token id → element id |
//! | `perm.generators` | I32 | [num generators, n] images of points 0..n (version 5, instead of the three above) |
//! | `perm.tokens` | I32 | [V_0, n] each token's permutation (the identity for a start token) |
//! | `perm.base` | I32 | [k] base points (version 5: numbered by the chain) |
//! | `perm.level.i` | I32 | [m_i, n] level i's coset representatives, the identity first (`ir::Levels`) |
//! | `perm.series.i.moduli` | I32 | [w_i] term i's factor A_i = Z/n_0 × … (version 6: numbered along a series, `ir::Term`) |
//! | `perm.series.i.sections` | I32 | [w_i, n] s_j ∈ G_i with π_i(s_j) = e_j |
//! | `perm.series.i.base` | I32 | [b_i] G_i's base points |
//! | `perm.series.i.level.l` | I32 | [m_l, n] G_i's level l representatives, the identity first |
//! | `perm.series.i.codes.l` | I32 | [m_l, w_i] π_i of each representative, as digits |
//! | `pc.orders` | I32 | [n] relative orders r_j ≥ 2 of f1, …, fn, ∏ r_j < 2^32 (version 7: a pc presentation along a series, `ir::PcTruth`) |
//! | `pc.powers` | I32 | [n, n] row j: f_j^{r_j} as an exponent vector, zero at 0..=j |
//! | `pc.conjugates` | I32 | [n, n, n] row (i, j), i < j: f_j^{f_i} = f_i⁻¹·f_j·f_i, zero at 0..=i; rows with i ≥ j all zero |
//! | `pc.terms` | I32 | [k] how many generators each term's block holds, in order |
//! | `pc.generators` | I32 | [num generators, n] each named generator's exponent vector |
//! | `pc.tokens` | I32 | [V_0, n] each token's exponent vector (zero for a start token) |
//! | `automaton.delta` | I32 | [V_0, S] `delta[v, q]` = state reached from q by token v (instead of the three above) |
//! | `automaton.start` | I32 | [1] the start state |
//! | `automaton.accept` | I32 | [S] 1 for accepting states, else 0 |
//! | `readout` | I32 | [C_0·C_1⋯C_{k-1}] joint code → output (element or state) id (absent in versions 6 and 7: the output is the joint code) |
//! | `layer.i.moduli` | I32 | [r_i] |
//! | `layer.i.coords` | I32 | [r_i] 0 = phase, 1 = register (absent: all phases) |
//! | `layer.i.transition.code` | I32 | [V_i, r_i] exact transition codes (`ir::Coord`) |
//! | `layer.i.transition.re`, `.im` | F | [V_i, r_i] a(v) |
//! | `layer.i.transition.phase` | F | [V_i, r_i] arg a(v) in [0, 2π) (aussm only) |
//! | `layer.i.input.re`, `.im` | F | [V_i, r_i] b(v) |
//! | `layer.i.h0.re`, `.im` | F | [r_i] |
//! | `layer.i.cocycle` | I32 | [C_i, V_i] next layer's token (not on the last layer) |
//!
//! Non-diagonal targets have no `readout` or `layer.*` tensors but one cell
//! (n = the action's degree, d = the state dimension, m = reflections per
//! token, H = hidden units; semantics on the types in [`crate::ir`]):
//!
//! | name | dtype | shape |
//! |---|---|---|
//! | `action.images` | I32 | [N, n] `images[g, j]` = j·g (pd-ssm, deltaproduct; absent with `perm.*`) |
//! | `action.points` | F | [n] the value marking each point |
//! | `pd.index` | I32 | [V, n] P(x): column j has its one in row `index[x, j]` |
//! | `pd.diag`, `pd.input` | F | [V, n] D(x), b(x) |
//! | `pd.h0` | F | [n] |
//! | `delta.basis`, `delta.offset` | F | [n, d], [n]: points x = basis·h + offset |
//! | `delta.k` | F | [V, m, d] unit keys |
//! | `delta.beta`, `delta.v` | F | [V, m] |
//! | `delta.h0` | F | [d] |
//! | `rnn.weight_ih`, `rnn.weight_hh` | F | [H, V], [H, H] (torch.nn.RNN's names without `_l0`) |
//! | `rnn.bias_ih`, `rnn.bias_hh` | F | [H] |
//! | `rnn.readout.weight`, `rnn.readout.bias` | F | [N, H], [N] |

pub use crate::ir::FloatDtype;
use crate::ir::{
    AutomatonTruth, Coord, DeltaCell, Diagonal, GroupTruth, Layer, Levels, Manifest, Model, Net,
    Numbering, PcTruth, PdCell, PermTruth, PointAction, RnnCell, Term, Truth, FORMAT_NAME,
    FORMAT_VERSIONS_READ, FORMAT_VERSION_PC, FORMAT_VERSION_SERIES,
};
use crate::pc::{CollectError, Pc};
pub use crate::valid::LoadLimits;
use crate::valid::{validate, ValidModel};
use safetensors::tensor::{Dtype as StDtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use thiserror::Error;

/// Key of the manifest in `__metadata__`.
pub const MANIFEST_KEY: &str = "gssm";

#[derive(Debug, Error, PartialEq)]
pub enum FormatError {
    #[error("not a safetensors file: {0}")]
    Safetensors(String),
    #[error("the file has no gssm manifest (`__metadata__[\"{MANIFEST_KEY}\"]` is missing)")]
    NoManifest,
    #[error("the gssm manifest is not valid JSON for this format: {0}")]
    Manifest(String),
    #[error("the file's format is '{0}', expected '{FORMAT_NAME}'")]
    WrongFormat(String),
    #[error("format version {found} is not supported: this build reads versions 2 to {FORMAT_VERSION_PC}{}", if *.found < FORMAT_VERSIONS_READ[0] { "; the file was written by an older gssm, so compile its source again with this one" } else { "" })]
    Version { found: u32 },
    #[error("tensor `{0}` is missing")]
    Missing(String),
    #[error("unexpected tensor `{0}`: not part of a gssm model with this manifest")]
    Unexpected(String),
    #[error("tensor `{name}` has dtype {found}, expected {expected}")]
    Dtype {
        name: String,
        found: String,
        expected: String,
    },
    #[error("tensor `{name}` has shape {found:?}, expected {expected:?}")]
    Shape {
        name: String,
        found: Vec<usize>,
        expected: Vec<usize>,
    },
    #[error("tensor `{name}` entry {index} is {value}, outside 0..{bound}")]
    Range {
        name: String,
        index: usize,
        value: i64,
        bound: usize,
    },
    #[error("tensor `{name}` entry {index} is not finite")]
    NotFinite { name: String, index: usize },
    #[error("inconsistent model: {0}")]
    Inconsistent(String),
    #[error("model exceeds a load limit: {0}")]
    Limit(String),
}

impl FloatDtype {
    fn st(self) -> StDtype {
        match self {
            FloatDtype::F32 => StDtype::F32,
            FloatDtype::F64 => StDtype::F64,
        }
    }
}

fn i32_bytes(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|&x| (x as i32).to_le_bytes()).collect()
}

/// Validated floats are representable in `dt`, so narrowing is exact.
fn float_bytes(v: &[f64], dt: FloatDtype) -> Vec<u8> {
    match dt {
        FloatDtype::F32 => v.iter().flat_map(|&x| (x as f32).to_le_bytes()).collect(),
        FloatDtype::F64 => v.iter().flat_map(|&x| x.to_le_bytes()).collect(),
    }
}

type Tensor = (String, StDtype, Vec<usize>, Vec<u8>);

/// Serialise a validated model. The same model always gives the same bytes.
pub fn encode(model: &ValidModel) -> Result<Vec<u8>, FormatError> {
    let dtype = model.dtype();
    let n = model.order();
    let v = model.num_tokens();
    let ints = |name: &str, shape: Vec<usize>, x: &[u32]| -> Tensor {
        (name.to_string(), StDtype::I32, shape, i32_bytes(x))
    };
    let floats = |name: &str, shape: Vec<usize>, x: &[f64]| -> Tensor {
        (name.to_string(), dtype.st(), shape, float_bytes(x, dtype))
    };
    let mut tensors: Vec<Tensor> = match &model.truth {
        Truth::Group(g) => vec![
            ints("group.table", vec![n, n], &g.table),
            ints("group.generators", vec![g.generators.len()], &g.generators),
            ints("tokens.element", vec![v], &g.token_elements),
        ],
        Truth::Perm(p) => {
            let deg = p.degree;
            let mut t = vec![
                ints(
                    "perm.generators",
                    vec![p.generators.len(), deg],
                    &p.generators.concat(),
                ),
                ints("perm.tokens", vec![v, deg], &p.tokens.concat()),
            ];
            let levels = |t: &mut Vec<Tensor>, prefix: &str, l: &Levels| {
                t.push(ints(&format!("{prefix}base"), vec![l.base.len()], &l.base));
                for (i, reps) in l.reps.iter().enumerate() {
                    t.push(ints(
                        &format!("{prefix}level.{i}"),
                        vec![reps.len(), deg],
                        &reps.concat(),
                    ));
                }
            };
            match &p.numbering {
                Numbering::Chain(l) => levels(&mut t, "perm.", l),
                Numbering::Series(terms) => {
                    for (i, term) in terms.iter().enumerate() {
                        let prefix = format!("perm.series.{i}.");
                        let w = term.moduli.len();
                        t.push(ints(&format!("{prefix}moduli"), vec![w], &term.moduli));
                        t.push(ints(
                            &format!("{prefix}sections"),
                            vec![w, deg],
                            &term.sections.concat(),
                        ));
                        levels(&mut t, &prefix, &term.chain);
                        for (l, codes) in term.codes.iter().enumerate() {
                            t.push(ints(
                                &format!("{prefix}codes.{l}"),
                                vec![codes.len(), w],
                                &codes.concat(),
                            ));
                        }
                    }
                }
            }
            t
        }
        Truth::Pc(p) => {
            let pc = &p.pc;
            let k = pc.len();
            let powers: Vec<u32> = (0..k)
                .flat_map(|i| pc.power_relation(i).expect("a level").clone())
                .collect();
            let conjugates: Vec<u32> = (0..k)
                .flat_map(|i| {
                    (0..k).flat_map(move |j| match pc.conjugate_relation(i, j) {
                        Some(w) => w.clone(),
                        None => vec![0; k],
                    })
                })
                .collect();
            let terms: Vec<u32> = p.terms.iter().map(|&b| b as u32).collect();
            vec![
                ints("pc.orders", vec![k], pc.relative_orders()),
                ints("pc.powers", vec![k, k], &powers),
                ints("pc.conjugates", vec![k, k, k], &conjugates),
                ints("pc.terms", vec![terms.len()], &terms),
                ints(
                    "pc.generators",
                    vec![p.generators.len(), k],
                    &p.generators.concat(),
                ),
                ints("pc.tokens", vec![v, k], &p.tokens.concat()),
            ]
        }
        Truth::Automaton(a) => vec![
            ints("automaton.delta", vec![v, n], &a.delta),
            ints("automaton.start", vec![1], &[a.start]),
            ints("automaton.accept", vec![n], &a.accept),
        ],
    };
    let action = |t: &mut Vec<Tensor>, a: &PointAction| {
        if let Some(images) = &a.images {
            t.push(ints("action.images", vec![n, a.degree()], images));
        }
        t.push(floats("action.points", vec![a.degree()], &a.points));
    };
    match &model.net {
        Net::Diagonal(d) => {
            if let Some(r) = &d.readout {
                tensors.push(ints("readout", vec![r.len()], r));
            }
            let last = d.layers.len().saturating_sub(1);
            for (i, l) in d.layers.iter().enumerate() {
                let (v, r) = (l.num_tokens, l.width());
                let p = |s: &str| format!("layer.{i}.{s}");
                tensors.push(ints(&p("moduli"), vec![r], &l.moduli));
                if l.coords.iter().any(|&c| c != Coord::Phase) {
                    let ids: Vec<u32> = l.coords.iter().map(|c| c.id()).collect();
                    tensors.push(ints(&p("coords"), vec![r], &ids));
                }
                tensors.push(ints(&p("transition.code"), vec![v, r], &l.transition_code));
                tensors.push(floats(&p("transition.re"), vec![v, r], &l.a_re));
                tensors.push(floats(&p("transition.im"), vec![v, r], &l.a_im));
                if let Some(ph) = &l.phase {
                    tensors.push(floats(&p("transition.phase"), vec![v, r], ph));
                }
                tensors.push(floats(&p("input.re"), vec![v, r], &l.b_re));
                tensors.push(floats(&p("input.im"), vec![v, r], &l.b_im));
                tensors.push(floats(&p("h0.re"), vec![r], &l.h0_re));
                tensors.push(floats(&p("h0.im"), vec![r], &l.h0_im));
                if i < last {
                    tensors.push(ints(&p("cocycle"), vec![l.num_codes(), v], &l.cocycle));
                }
            }
        }
        Net::Pd(c) => {
            let deg = c.action.degree();
            action(&mut tensors, &c.action);
            tensors.push(ints("pd.index", vec![v, deg], &c.index));
            tensors.push(floats("pd.diag", vec![v, deg], &c.diag));
            tensors.push(floats("pd.input", vec![v, deg], &c.input));
            tensors.push(floats("pd.h0", vec![deg], &c.h0));
        }
        Net::Delta(c) => {
            let (deg, d, m) = (c.action.degree(), c.dim(), c.reflections(v));
            action(&mut tensors, &c.action);
            tensors.push(floats("delta.basis", vec![deg, d], &c.basis));
            tensors.push(floats("delta.offset", vec![deg], &c.offset));
            tensors.push(floats("delta.k", vec![v, m, d], &c.k));
            tensors.push(floats("delta.beta", vec![v, m], &c.beta));
            tensors.push(floats("delta.v", vec![v, m], &c.v));
            tensors.push(floats("delta.h0", vec![d], &c.h0));
        }
        Net::Rnn(c) => {
            let h = c.hidden();
            tensors.push(floats("rnn.weight_ih", vec![h, v], &c.weight_ih));
            tensors.push(floats("rnn.weight_hh", vec![h, h], &c.weight_hh));
            tensors.push(floats("rnn.bias_ih", vec![h], &c.bias_ih));
            tensors.push(floats("rnn.bias_hh", vec![h], &c.bias_hh));
            tensors.push(floats("rnn.readout.weight", vec![n, h], &c.readout_weight));
            tensors.push(floats("rnn.readout.bias", vec![n], &c.readout_bias));
        }
    }
    let views: Vec<(String, TensorView)> = tensors
        .iter()
        .map(|(name, dt, shape, data)| {
            TensorView::new(*dt, shape.clone(), data)
                .map(|t| (name.clone(), t))
                .map_err(|e| FormatError::Safetensors(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let manifest =
        serde_json::to_string(&model.manifest).map_err(|e| FormatError::Manifest(e.to_string()))?;
    let meta = HashMap::from([(MANIFEST_KEY.to_string(), manifest)]);
    safetensors::tensor::serialize(views, Some(meta))
        .map_err(|e| FormatError::Safetensors(e.to_string()))
}

/// Reads tensors of one file, remembering which were read so that any other
/// tensor is reported.
struct Reader<'a> {
    st: SafeTensors<'a>,
    seen: BTreeSet<String>,
}

impl<'a> Reader<'a> {
    fn has(&self, name: &str) -> bool {
        self.st.tensor(name).is_ok()
    }

    /// A tensor of dtype `dt` whose shape is `shape`, where `None` entries
    /// take whatever the file declares; returns the declared shape too.
    fn view(
        &mut self,
        name: &str,
        dt: StDtype,
        shape: &[Option<usize>],
    ) -> Result<(TensorView<'a>, Vec<usize>), FormatError> {
        let t = self
            .st
            .tensor(name)
            .map_err(|_| FormatError::Missing(name.into()))?;
        self.seen.insert(name.to_string());
        if t.dtype() != dt {
            return Err(FormatError::Dtype {
                name: name.into(),
                found: format!("{:?}", t.dtype()),
                expected: format!("{dt:?}"),
            });
        }
        let found = t.shape().to_vec();
        let fits = found.len() == shape.len()
            && found
                .iter()
                .zip(shape)
                .all(|(f, s)| s.is_none_or(|s| s == *f));
        if !fits {
            return Err(FormatError::Shape {
                name: name.into(),
                found,
                expected: shape.iter().map(|s| s.unwrap_or(0)).collect(),
            });
        }
        Ok((t, found))
    }

    /// An I32 tensor of non-negative entries.
    fn ints(
        &mut self,
        name: &str,
        shape: &[Option<usize>],
    ) -> Result<(Vec<u32>, Vec<usize>), FormatError> {
        let (t, found) = self.view(name, StDtype::I32, shape)?;
        let vals = t
            .data()
            .chunks_exact(4)
            .enumerate()
            .map(|(index, b)| {
                let value = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                u32::try_from(value).map_err(|_| FormatError::Range {
                    name: name.into(),
                    index,
                    value: value as i64,
                    bound: i32::MAX as usize + 1,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok((vals, found))
    }

    fn floats(
        &mut self,
        name: &str,
        shape: &[Option<usize>],
        dt: FloatDtype,
    ) -> Result<Vec<f64>, FormatError> {
        let (t, _) = self.view(name, dt.st(), shape)?;
        Ok(match dt {
            FloatDtype::F32 => t
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
                .collect(),
            FloatDtype::F64 => t
                .data()
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8-byte chunk")))
                .collect(),
        })
    }
}

/// Reject a tensor whose declared data ends past the end of the file.
/// safetensors 0.8 adds the declared end of the data to the header length
/// without an overflow check, so offsets near 2^64 panic in builds with
/// overflow checks; this runs first. Anything it cannot read is left for
/// safetensors to report.
fn check_data_end(bytes: &[u8]) -> Result<(), FormatError> {
    // safetensors' own header size limit; larger headers it rejects itself.
    const MAX_HEADER: u64 = 100_000_000;
    let Some(len) = bytes.get(..8) else {
        return Ok(());
    };
    let n = u64::from_le_bytes(len.try_into().expect("8 bytes"));
    if n > MAX_HEADER || n > (bytes.len() - 8) as u64 {
        return Ok(());
    }
    let (header, data) = bytes[8..].split_at(n as usize);
    let Ok(entries) = serde_json::from_slice::<BTreeMap<String, serde_json::Value>>(header) else {
        return Ok(());
    };
    // In name order, so the message names the same tensor every time.
    for (name, info) in &entries {
        let end = info
            .get("data_offsets")
            .and_then(|o| o.get(1))
            .and_then(|e| e.as_u64());
        if let Some(end) = end.filter(|&e| e > data.len() as u64) {
            return Err(FormatError::Safetensors(format!(
                "tensor `{name}` ends at byte {end} of the data, past its end ({} bytes)",
                data.len()
            )));
        }
    }
    Ok(())
}

/// The manifest, its format and version checked before its fields, so an
/// older file gets the version message rather than a field error.
fn read_manifest(text: &str) -> Result<Manifest, FormatError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| FormatError::Manifest(e.to_string()))?;
    let format = value.get("format").and_then(|f| f.as_str()).unwrap_or("");
    if format != FORMAT_NAME {
        return Err(FormatError::WrongFormat(format.to_string()));
    }
    if let Some(v) = value.get("format_version").and_then(|v| v.as_u64()) {
        if !FORMAT_VERSIONS_READ.iter().any(|&r| r as u64 == v) {
            return Err(FormatError::Version {
                found: u32::try_from(v).unwrap_or(u32::MAX),
            });
        }
        // Version 2 had no `bos` field, not even a null one.
        if v == 2 && value.get("bos").is_some() {
            return Err(FormatError::Manifest(
                "format version 2 has no field `bos`".into(),
            ));
        }
    }
    // From the text, not the value: a repeated field (which a JSON object
    // value would silently collapse to its last occurrence) is an error.
    serde_json::from_str(text).map_err(|e| FormatError::Manifest(e.to_string()))
}

/// The action; without a Cayley table (a [`PermTruth`]) it has no images.
fn read_action(
    rd: &mut Reader,
    n: usize,
    listed: bool,
    dt: FloatDtype,
) -> Result<PointAction, FormatError> {
    let points = rd.floats("action.points", &[None], dt)?;
    let images = if listed {
        Some(rd.ints("action.images", &[Some(n), Some(points.len())])?.0)
    } else {
        None
    };
    Ok(PointAction { images, points })
}

/// Rows of `n` entries.
fn rows(flat: Vec<u32>, count: usize, n: usize) -> Vec<Vec<u32>> {
    if n == 0 {
        return vec![Vec::new(); count];
    }
    flat.chunks_exact(n).map(<[u32]>::to_vec).collect()
}

/// A permutation group without a table: generators, tokens, and either a
/// chain (base and one tensor of representatives per base point) or, with
/// `series` (version 6), the terms of a series, numbered from 0 without
/// gaps.
fn read_perm(
    rd: &mut Reader,
    gens: usize,
    v: usize,
    series: bool,
) -> Result<PermTruth, FormatError> {
    let (tokens, shape) = rd.ints("perm.tokens", &[Some(v), None])?;
    let deg = shape[1];
    let generators = rows(
        rd.ints("perm.generators", &[Some(gens), Some(deg)])?.0,
        gens,
        deg,
    );
    // The version says which (a trivial group's series has no terms).
    let numbering = if !series {
        Numbering::Chain(read_levels(rd, "perm.", deg)?)
    } else {
        let mut terms = Vec::new();
        // Each term is tensors of its own, so the file's size bounds them.
        while rd.has(&format!("perm.series.{}.moduli", terms.len())) {
            let prefix = format!("perm.series.{}.", terms.len());
            let (moduli, w) = rd.ints(&format!("{prefix}moduli"), &[None])?;
            let w = w[0];
            let (sections, _) = rd.ints(&format!("{prefix}sections"), &[Some(w), Some(deg)])?;
            let chain = read_levels(rd, &prefix, deg)?;
            let codes = chain
                .reps
                .iter()
                .enumerate()
                .map(|(l, reps)| {
                    let name = format!("{prefix}codes.{l}");
                    let (c, _) = rd.ints(&name, &[Some(reps.len()), Some(w)])?;
                    Ok(rows(c, reps.len(), w))
                })
                .collect::<Result<_, FormatError>>()?;
            terms.push(Term::new(moduli, chain, codes, rows(sections, w, deg)));
        }
        Numbering::Series(terms)
    };
    Ok(PermTruth {
        degree: deg,
        generators,
        tokens: rows(tokens, v, deg),
        numbering,
    })
}

/// Collection steps building a file's presentation and checking it
/// consistent may take (about ten seconds).
pub const MAX_PC_WORK: u64 = 200_000_000;

/// A pc presentation: every exponent vector in normal form (each exponent
/// below its relative order, zero up to the relation's level), which the
/// collector needs before anything is multiplied; its consistency is the
/// validator's.
fn read_pc(rd: &mut Reader, gens: usize, v: usize) -> Result<PcTruth, FormatError> {
    let (orders, shape) = rd.ints("pc.orders", &[None])?;
    let n = shape[0];
    if let Some(j) = orders.iter().position(|&p| p < 2) {
        return Err(FormatError::Inconsistent(format!(
            "`pc.orders` entry {j} is {}: a relative order is at least 2",
            orders[j]
        )));
    }
    // Bounds n (every order is at least 2) before n² and n³ entries are read.
    let order = orders
        .iter()
        .try_fold(1u64, |acc, &p| acc.checked_mul(p as u64))
        .filter(|&o| o <= u32::MAX as u64);
    if order.is_none() {
        return Err(FormatError::Limit(format!(
            "the relative orders in `pc.orders` multiply to 2^32 or more, past the {} elements a file may number",
            u32::MAX
        )));
    }
    let (powers, _) = rd.ints("pc.powers", &[Some(n), Some(n)])?;
    let (conj, _) = rd.ints("pc.conjugates", &[Some(n), Some(n), Some(n)])?;
    let (terms, _) = rd.ints("pc.terms", &[None])?;
    let generators = rows(rd.ints("pc.generators", &[Some(gens), Some(n)])?.0, gens, n);
    let tokens = rows(rd.ints("pc.tokens", &[Some(v), Some(n)])?.0, v, n);
    let in_range = |name: &str, row: usize, x: &[u32], zero_to: Option<usize>| {
        for (l, (&e, &p)) in x.iter().zip(&orders).enumerate() {
            if e >= p {
                return Err(FormatError::Range {
                    name: name.into(),
                    index: row * n + l,
                    value: e as i64,
                    bound: p as usize,
                });
            }
            if zero_to.is_some_and(|z| l <= z) && e != 0 {
                return Err(FormatError::Inconsistent(format!(
                    "`{name}` entry {} is {e}, but a relation of generator f{} is a word in the generators after it, so its exponents up to f{} are 0",
                    row * n + l,
                    zero_to.expect("checked") + 1,
                    zero_to.expect("checked") + 1
                )));
            }
        }
        Ok(())
    };
    for (i, x) in powers.chunks(n.max(1)).take(n).enumerate() {
        in_range("pc.powers", i, x, Some(i))?;
    }
    for (r, x) in conj.chunks(n.max(1)).take(n * n).enumerate() {
        let (i, j) = (r / n, r % n);
        if j <= i {
            if let Some(l) = x.iter().position(|&e| e != 0) {
                return Err(FormatError::Inconsistent(format!(
                    "`pc.conjugates` entry {} is {}, but row ({i}, {j}) holds no relation (only f_j^f_i for i < j does) and must be 0",
                    r * n + l,
                    x[l]
                )));
            }
        } else {
            in_range("pc.conjugates", r, x, Some(i))?;
        }
    }
    for (i, x) in generators.iter().enumerate() {
        in_range("pc.generators", i, x, None)?;
    }
    for (i, x) in tokens.iter().enumerate() {
        in_range("pc.tokens", i, x, None)?;
    }
    let mut pc = Pc::with_orders(PcTruth::names(n), orders, MAX_PC_WORK);
    for i in (0..n).rev() {
        let c = rows(conj[i * n * n..(i + 1) * n * n].to_vec(), n, n);
        pc.set_level(i, powers[i * n..(i + 1) * n].to_vec(), &c)
            .map_err(|e| match e {
                CollectError::Work { .. } => {
                    FormatError::Limit(format!("building the pc presentation: {e}"))
                }
                CollectError::Inconsistent(_) => {
                    FormatError::Inconsistent(format!("building the pc presentation: {e}"))
                }
            })?;
    }
    Ok(PcTruth::new(
        pc,
        terms.iter().map(|&b| b as usize).collect(),
        generators,
        tokens,
    ))
}

/// A base (`{prefix}base`) and one tensor of representatives per base point
/// (`{prefix}level.i`).
fn read_levels(rd: &mut Reader, prefix: &str, deg: usize) -> Result<Levels, FormatError> {
    let (base, k) = rd.ints(&format!("{prefix}base"), &[None])?;
    // Each level is a tensor of its own, so the file's size bounds k.
    let mut reps = Vec::with_capacity(k[0].min(64));
    for i in 0..k[0] {
        let (r, shape) = rd.ints(&format!("{prefix}level.{i}"), &[None, Some(deg)])?;
        reps.push(rows(r, shape[0], deg));
    }
    Ok(Levels { base, reps })
}

/// Diagonal layers, numbered from 0 without gaps (a stray `layer.j.*` is
/// reported as unexpected), and the readout if there is one.
fn read_diagonal(rd: &mut Reader, dt: FloatDtype) -> Result<Diagonal, FormatError> {
    let mut k = 0;
    while rd.has(&format!("layer.{k}.moduli")) {
        k += 1;
    }
    // Each layer's token count is its transition table's row count.
    let mut layers: Vec<Layer> = Vec::with_capacity(k.min(64));
    let mut codes_all = Vec::with_capacity(k.min(64));
    for i in 0..k {
        let p = |s: &str| format!("layer.{i}.{s}");
        let (moduli, rs) = rd.ints(&p("moduli"), &[None])?;
        let r = rs[0];
        let coords = if rd.has(&p("coords")) {
            let (ids, _) = rd.ints(&p("coords"), &[Some(r)])?;
            ids.iter()
                .enumerate()
                .map(|(j, &id)| {
                    Coord::from_id(id).ok_or_else(|| FormatError::Range {
                        name: p("coords"),
                        index: j,
                        value: id as i64,
                        bound: 2,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        } else {
            vec![Coord::Phase; r]
        };
        let (transition_code, vr) = rd.ints(&p("transition.code"), &[None, Some(r)])?;
        let v = vr[0];
        let sh = [Some(v), Some(r)];
        let a_re = rd.floats(&p("transition.re"), &sh, dt)?;
        let a_im = rd.floats(&p("transition.im"), &sh, dt)?;
        let phase = if rd.has(&p("transition.phase")) {
            Some(rd.floats(&p("transition.phase"), &sh, dt)?)
        } else {
            None
        };
        let b_re = rd.floats(&p("input.re"), &sh, dt)?;
        let b_im = rd.floats(&p("input.im"), &sh, dt)?;
        let h0_re = rd.floats(&p("h0.re"), &[Some(r)], dt)?;
        let h0_im = rd.floats(&p("h0.im"), &[Some(r)], dt)?;
        // A code count that overflows cannot match any stored shape.
        let codes = moduli
            .iter()
            .try_fold(1usize, |acc, &m| acc.checked_mul(m as usize));
        codes_all.push(codes);
        layers.push(Layer {
            moduli,
            coords,
            num_tokens: v,
            transition_code,
            a_re,
            a_im,
            phase,
            b_re,
            b_im,
            h0_re,
            h0_im,
            cocycle: Vec::new(),
        });
    }
    for i in 0..k.saturating_sub(1) {
        let name = format!("layer.{i}.cocycle");
        let codes = codes_all[i].ok_or_else(|| {
            FormatError::Limit(format!("layer {i}'s number of state codes overflows"))
        })?;
        layers[i].cocycle = rd
            .ints(&name, &[Some(codes), Some(layers[i].num_tokens)])?
            .0;
    }
    // Without a readout the output is the joint code (the validator checks
    // the truth numbers its elements so).
    let readout = if rd.has("readout") {
        let joint = codes_all
            .iter()
            .try_fold(1usize, |acc, c| c.and_then(|c| acc.checked_mul(c)))
            .ok_or_else(|| FormatError::Limit("the readout table's size overflows".into()))?;
        Some(rd.ints("readout", &[Some(joint)])?.0)
    } else {
        None
    };
    Ok(Diagonal { layers, readout })
}

/// Parse a weight file into the IR: tensor names, dtypes and shapes are
/// checked here; everything else by [`crate::valid::validate`]. Sizes come
/// from the tensors' own shapes (checked against each other), so the
/// allocations are bounded by the file's size.
pub fn decode(bytes: &[u8]) -> Result<Model, FormatError> {
    check_data_end(bytes)?;
    let (_, meta) =
        SafeTensors::read_metadata(bytes).map_err(|e| FormatError::Safetensors(e.to_string()))?;
    let text = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get(MANIFEST_KEY))
        .ok_or(FormatError::NoManifest)?;
    let manifest = read_manifest(text)?;
    let dt = FloatDtype::from_manifest(&manifest.dtype)
        .ok_or_else(|| FormatError::Manifest(format!("unknown dtype '{}'", manifest.dtype)))?;
    let st =
        SafeTensors::deserialize(bytes).map_err(|e| FormatError::Safetensors(e.to_string()))?;
    let mut rd = Reader {
        st,
        seen: BTreeSet::new(),
    };
    let n = manifest.outputs.len();
    let v = manifest.tokens.len();
    // The manifest says what is tracked; the validator checks it says one
    // thing.
    let truth = match (&manifest.group, &manifest.automaton) {
        (Some(g), None) if !rd.has("group.table") && rd.has("pc.orders") => {
            Truth::Pc(read_pc(&mut rd, g.generators.len(), v)?)
        }
        (Some(g), None) if !rd.has("group.table") && rd.has("perm.tokens") => {
            let series = manifest.format_version == FORMAT_VERSION_SERIES;
            Truth::Perm(read_perm(&mut rd, g.generators.len(), v, series)?)
        }
        (Some(g), None) => Truth::Group(GroupTruth {
            table: rd.ints("group.table", &[Some(n), Some(n)])?.0,
            generators: rd.ints("group.generators", &[Some(g.generators.len())])?.0,
            token_elements: rd.ints("tokens.element", &[Some(v)])?.0,
        }),
        (None, Some(_)) => Truth::Automaton(AutomatonTruth {
            delta: rd.ints("automaton.delta", &[Some(v), Some(n)])?.0,
            start: rd.ints("automaton.start", &[Some(1)])?.0[0],
            accept: rd.ints("automaton.accept", &[Some(n)])?.0,
        }),
        _ => {
            return Err(FormatError::Manifest(
                "the manifest must describe exactly one of `group` and `automaton`".into(),
            ))
        }
    };
    // The tensors present say which kind of net this is; the validator
    // checks that it is the target's.
    let listed = !matches!(truth, Truth::Perm(_) | Truth::Pc(_));
    let net = if rd.has("pd.index") {
        let action = read_action(&mut rd, n, listed, dt)?;
        let deg = Some(action.degree());
        Net::Pd(PdCell {
            index: rd.ints("pd.index", &[Some(v), deg])?.0,
            diag: rd.floats("pd.diag", &[Some(v), deg], dt)?,
            input: rd.floats("pd.input", &[Some(v), deg], dt)?,
            h0: rd.floats("pd.h0", &[deg], dt)?,
            action,
        })
    } else if rd.has("delta.k") {
        let action = read_action(&mut rd, n, listed, dt)?;
        let deg = Some(action.degree());
        let h0 = rd.floats("delta.h0", &[None], dt)?;
        let d = Some(h0.len());
        let (t, shape) = rd.view("delta.k", dt.st(), &[Some(v), None, d])?;
        drop(t);
        let m = Some(shape[1]);
        Net::Delta(DeltaCell {
            basis: rd.floats("delta.basis", &[deg, d], dt)?,
            offset: rd.floats("delta.offset", &[deg], dt)?,
            k: rd.floats("delta.k", &[Some(v), m, d], dt)?,
            beta: rd.floats("delta.beta", &[Some(v), m], dt)?,
            v: rd.floats("delta.v", &[Some(v), m], dt)?,
            h0,
            action,
        })
    } else if rd.has("rnn.weight_ih") {
        let bias_ih = rd.floats("rnn.bias_ih", &[None], dt)?;
        let h = Some(bias_ih.len());
        Net::Rnn(RnnCell {
            weight_ih: rd.floats("rnn.weight_ih", &[h, Some(v)], dt)?,
            weight_hh: rd.floats("rnn.weight_hh", &[h, h], dt)?,
            bias_hh: rd.floats("rnn.bias_hh", &[h], dt)?,
            readout_weight: rd.floats("rnn.readout.weight", &[Some(n), h], dt)?,
            readout_bias: rd.floats("rnn.readout.bias", &[Some(n)], dt)?,
            bias_ih,
        })
    } else {
        Net::Diagonal(read_diagonal(&mut rd, dt)?)
    };
    // In name order, so the message names the same tensor every time.
    let mut names = rd.st.names();
    names.sort();
    for name in names {
        if !rd.seen.contains(name) {
            return Err(FormatError::Unexpected(name.to_string()));
        }
    }
    Ok(Model {
        manifest,
        net,
        truth,
    })
}

/// Decode and validate: the only way from bytes to a model executors take.
pub fn load(bytes: &[u8], limits: &LoadLimits) -> Result<ValidModel, FormatError> {
    validate(decode(bytes)?, limits)
}
