//! The weight file: safetensors with real tensors only and the JSON manifest
//! in `__metadata__["gssm"]`. This module is the one place that knows the
//! tensor names; it encodes a [`Model`] and decodes (and validates) one.
//!
//! Tensor names (i = layer index from 0, F = float32 or float64, V_i = the
//! layer's token count, r_i = its width, C_i = ∏ moduli = its state codes):
//!
//! | name | dtype | shape |
//! |---|---|---|
//! | `group.table` | I32 | [N, N] Cayley table, `table[g, h] = g·h` |
//! | `tokens.element` | I32 | [V_0] token id → element id |
//! | `readout` | I32 | [C_0·C_1⋯C_{k-1}] joint code → output element id |
//! | `layer.i.moduli` | I32 | [r_i] |
//! | `layer.i.transition.code` | I32 | [V_i, r_i] exact phase numerators |
//! | `layer.i.transition.re`, `.im` | F | [V_i, r_i] a(v) |
//! | `layer.i.transition.phase` | F | [V_i, r_i] arg a(v) in [0, 2π) (aussm only) |
//! | `layer.i.input.re`, `.im` | F | [V_i, r_i] b(v) |
//! | `layer.i.h0.re`, `.im` | F | [r_i] |
//! | `layer.i.cocycle` | I32 | [C_i, V_i] next layer's token (not on the last layer) |

use crate::ir::{Layer, Manifest, Model, FORMAT_NAME, FORMAT_VERSION};
use safetensors::tensor::{Dtype as StDtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use thiserror::Error;

/// Key of the manifest in `__metadata__`.
pub const MANIFEST_KEY: &str = "gssm";

/// Upper bounds a loaded file must respect; they keep a crafted file from
/// making the loader or an executor allocate without bound.
#[derive(Clone, Copy, Debug)]
pub struct LoadLimits {
    /// Largest group order (the Cayley table has order² entries).
    pub max_order: usize,
    /// Largest table (cocycle, readout, token) size in entries.
    pub max_table: usize,
    pub max_layers: usize,
}

impl Default for LoadLimits {
    fn default() -> Self {
        LoadLimits {
            max_order: 1 << 13,
            max_table: 1 << 26,
            max_layers: 64,
        }
    }
}

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
    #[error("format version {found} is not supported (this build reads version {FORMAT_VERSION})")]
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

/// Float dtype of the stored transitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatDtype {
    F32,
    F64,
}

impl FloatDtype {
    pub fn manifest_name(self) -> &'static str {
        match self {
            FloatDtype::F32 => "float32",
            FloatDtype::F64 => "float64",
        }
    }
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

fn float_bytes(v: &[f64], dt: FloatDtype) -> Vec<u8> {
    match dt {
        FloatDtype::F32 => v.iter().flat_map(|&x| (x as f32).to_le_bytes()).collect(),
        FloatDtype::F64 => v.iter().flat_map(|&x| x.to_le_bytes()).collect(),
    }
}

/// Serialise a model. `phases` adds `layer.i.transition.phase` (the AUSSM
/// parameterisation). The manifest's `dtype` must name `dtype`.
pub fn encode(model: &Model, dtype: FloatDtype, phases: bool) -> Result<Vec<u8>, FormatError> {
    let n = model.order();
    let mut tensors: Vec<(String, StDtype, Vec<usize>, Vec<u8>)> = vec![
        (
            "group.table".into(),
            StDtype::I32,
            vec![n, n],
            i32_bytes(&model.group_table),
        ),
        (
            "tokens.element".into(),
            StDtype::I32,
            vec![model.token_elements.len()],
            i32_bytes(&model.token_elements),
        ),
        (
            "readout".into(),
            StDtype::I32,
            vec![model.readout.len()],
            i32_bytes(&model.readout),
        ),
    ];
    let last = model.layers.len().saturating_sub(1);
    for (i, l) in model.layers.iter().enumerate() {
        let (v, r) = (l.num_tokens, l.width());
        let p = |s: &str| format!("layer.{i}.{s}");
        let f = |x: &[f64]| float_bytes(x, dtype);
        tensors.push((p("moduli"), StDtype::I32, vec![r], i32_bytes(&l.moduli)));
        tensors.push((
            p("transition.code"),
            StDtype::I32,
            vec![v, r],
            i32_bytes(&l.transition_code),
        ));
        tensors.push((p("transition.re"), dtype.st(), vec![v, r], f(&l.a_re)));
        tensors.push((p("transition.im"), dtype.st(), vec![v, r], f(&l.a_im)));
        if phases {
            let ph: Vec<f64> = l
                .transition_code
                .iter()
                .enumerate()
                .map(|(k, &c)| std::f64::consts::TAU * c as f64 / l.moduli[k % r] as f64)
                .collect();
            tensors.push((p("transition.phase"), dtype.st(), vec![v, r], f(&ph)));
        }
        tensors.push((p("input.re"), dtype.st(), vec![v, r], f(&l.b_re)));
        tensors.push((p("input.im"), dtype.st(), vec![v, r], f(&l.b_im)));
        tensors.push((p("h0.re"), dtype.st(), vec![r], f(&l.h0_re)));
        tensors.push((p("h0.im"), dtype.st(), vec![r], f(&l.h0_im)));
        if i < last {
            tensors.push((
                p("cocycle"),
                StDtype::I32,
                vec![l.num_codes(), v],
                i32_bytes(&l.cocycle),
            ));
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

/// Reads and checks tensors of one file.
struct Reader<'a> {
    st: SafeTensors<'a>,
    seen: BTreeSet<String>,
}

impl<'a> Reader<'a> {
    fn view(&mut self, name: &str, shape: &[usize]) -> Result<TensorView<'a>, FormatError> {
        let t = self
            .st
            .tensor(name)
            .map_err(|_| FormatError::Missing(name.into()))?;
        self.seen.insert(name.to_string());
        if t.shape() != shape {
            return Err(FormatError::Shape {
                name: name.into(),
                found: t.shape().to_vec(),
                expected: shape.to_vec(),
            });
        }
        Ok(t)
    }

    /// An I32 tensor whose entries all lie in 0..bound.
    fn ints(&mut self, name: &str, shape: &[usize], bound: usize) -> Result<Vec<u32>, FormatError> {
        let t = self.view(name, shape)?;
        if t.dtype() != StDtype::I32 {
            return Err(FormatError::Dtype {
                name: name.into(),
                found: format!("{:?}", t.dtype()),
                expected: "I32".into(),
            });
        }
        t.data()
            .chunks_exact(4)
            .enumerate()
            .map(|(index, b)| {
                let value = i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64;
                if value < 0 || value as usize >= bound {
                    Err(FormatError::Range {
                        name: name.into(),
                        index,
                        value,
                        bound,
                    })
                } else {
                    Ok(value as u32)
                }
            })
            .collect()
    }

    fn floats(
        &mut self,
        name: &str,
        shape: &[usize],
        dt: FloatDtype,
    ) -> Result<Vec<f64>, FormatError> {
        let t = self.view(name, shape)?;
        if t.dtype() != dt.st() {
            return Err(FormatError::Dtype {
                name: name.into(),
                found: format!("{:?}", t.dtype()),
                expected: format!("{:?}", dt.st()),
            });
        }
        let vals: Vec<f64> = match dt {
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
        };
        if let Some(index) = vals.iter().position(|x| !x.is_finite()) {
            return Err(FormatError::NotFinite {
                name: name.into(),
                index,
            });
        }
        Ok(vals)
    }
}

fn checked_product(
    xs: impl IntoIterator<Item = usize>,
    limit: usize,
    what: &str,
) -> Result<usize, FormatError> {
    let mut p = 1usize;
    for x in xs {
        p = p
            .checked_mul(x)
            .filter(|&p| p <= limit)
            .ok_or_else(|| FormatError::Limit(format!("{what} exceeds {limit} entries")))?;
    }
    Ok(p)
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

/// Parse and validate a weight file. Every table index an executor will use
/// is checked to be in bounds here, whatever the file says.
pub fn decode(bytes: &[u8], limits: &LoadLimits) -> Result<Model, FormatError> {
    check_data_end(bytes)?;
    let (_, meta) =
        SafeTensors::read_metadata(bytes).map_err(|e| FormatError::Safetensors(e.to_string()))?;
    let text = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get(MANIFEST_KEY))
        .ok_or(FormatError::NoManifest)?;
    let manifest: Manifest =
        serde_json::from_str(text).map_err(|e| FormatError::Manifest(e.to_string()))?;
    if manifest.format != FORMAT_NAME {
        return Err(FormatError::WrongFormat(manifest.format.clone()));
    }
    if manifest.format_version != FORMAT_VERSION {
        return Err(FormatError::Version {
            found: manifest.format_version,
        });
    }
    let dt = match manifest.dtype.as_str() {
        "float32" => FloatDtype::F32,
        "float64" => FloatDtype::F64,
        other => return Err(FormatError::Manifest(format!("unknown dtype '{other}'"))),
    };
    let n = manifest.group.order;
    if n == 0 || n > limits.max_order {
        return Err(FormatError::Limit(format!(
            "group order {n} is outside 1..={}",
            limits.max_order
        )));
    }
    if manifest.outputs.len() != n {
        return Err(FormatError::Inconsistent(format!(
            "{} output labels for a group of order {n}",
            manifest.outputs.len()
        )));
    }
    let k = manifest.layers.len();
    if k > limits.max_layers {
        return Err(FormatError::Limit(format!(
            "{k} layers (at most {})",
            limits.max_layers
        )));
    }
    let st =
        SafeTensors::deserialize(bytes).map_err(|e| FormatError::Safetensors(e.to_string()))?;
    let mut rd = Reader {
        st,
        seen: BTreeSet::new(),
    };
    let group_table = rd.ints("group.table", &[n, n], n)?;
    check_latin_square(&group_table, n)?;
    let v0 = manifest.tokens.len();
    if v0 == 0 || v0 > limits.max_table {
        return Err(FormatError::Limit(format!("{v0} tokens")));
    }
    let token_elements = rd.ints("tokens.element", &[v0], n)?;

    // Layer shapes first: each layer's cocycle bound is the next layer's
    // token count.
    let mut moduli_all = Vec::with_capacity(k);
    for i in 0..k {
        let r = manifest.layers[i].width;
        if r == 0 || r > 64 {
            return Err(FormatError::Inconsistent(format!(
                "layer {i} has width {r}"
            )));
        }
        let m = rd.ints(&format!("layer.{i}.moduli"), &[r], limits.max_table + 1)?;
        if let Some(j) = m.iter().position(|&x| x < 2) {
            return Err(FormatError::Inconsistent(format!(
                "layer {i} modulus {j} is {}, must be at least 2",
                m[j]
            )));
        }
        moduli_all.push(m);
    }
    let mut num_tokens = Vec::with_capacity(k);
    for i in 0..k {
        let v = if i == 0 {
            v0
        } else {
            manifest.layers[i].num_tokens
        };
        if v == 0 || v > limits.max_table {
            return Err(FormatError::Limit(format!("layer {i} has {v} tokens")));
        }
        if manifest.layers[i].num_tokens != v {
            return Err(FormatError::Inconsistent(format!(
                "layer {i} declares {} tokens, the model has {v}",
                manifest.layers[i].num_tokens
            )));
        }
        num_tokens.push(v);
    }
    let mut layers = Vec::with_capacity(k);
    let mut joint = 1usize;
    for i in 0..k {
        let moduli = moduli_all[i].clone();
        let (v, r) = (num_tokens[i], moduli.len());
        let codes = checked_product(
            moduli.iter().map(|&m| m as usize),
            limits.max_table,
            "state codes",
        )?;
        checked_product(
            [codes, v],
            limits.max_table,
            &format!("layer {i}'s cocycle table"),
        )?;
        joint = checked_product([joint, codes], limits.max_table, "the readout table")?;
        let p = |s: &str| format!("layer.{i}.{s}");
        let mut transition_code = Vec::with_capacity(v * r);
        let name = p("transition.code");
        let raw = rd.ints(&name, &[v, r], limits.max_table + 1)?;
        for (idx, &c) in raw.iter().enumerate() {
            let bound = moduli[idx % r] as usize;
            if c as usize >= bound {
                return Err(FormatError::Range {
                    name,
                    index: idx,
                    value: c as i64,
                    bound,
                });
            }
            transition_code.push(c);
        }
        let a_re = rd.floats(&p("transition.re"), &[v, r], dt)?;
        let a_im = rd.floats(&p("transition.im"), &[v, r], dt)?;
        if manifest.target == "aussm" {
            rd.floats(&p("transition.phase"), &[v, r], dt)?;
        }
        let b_re = rd.floats(&p("input.re"), &[v, r], dt)?;
        let b_im = rd.floats(&p("input.im"), &[v, r], dt)?;
        let h0_re = rd.floats(&p("h0.re"), &[r], dt)?;
        let h0_im = rd.floats(&p("h0.im"), &[r], dt)?;
        let cocycle = if i + 1 < k {
            rd.ints(&p("cocycle"), &[codes, v], num_tokens[i + 1])?
        } else {
            Vec::new()
        };
        let info = &manifest.layers[i];
        if info.invariant_factors != moduli || info.num_codes != codes {
            return Err(FormatError::Inconsistent(format!(
                "layer {i}'s manifest entry disagrees with its moduli tensor"
            )));
        }
        layers.push(Layer {
            moduli,
            num_tokens: v,
            transition_code,
            a_re,
            a_im,
            b_re,
            b_im,
            h0_re,
            h0_im,
            cocycle,
        });
    }
    let readout = rd.ints("readout", &[joint], n)?;
    for name in rd.st.names() {
        if !rd.seen.contains(name) {
            return Err(FormatError::Unexpected(name.to_string()));
        }
    }
    Ok(Model {
        manifest,
        layers,
        readout,
        group_table,
        token_elements,
    })
}

/// Every row and column a permutation and element 0 the identity: what an
/// executor and the ground truth rely on. (Associativity is the proof's job.)
fn check_latin_square(t: &[u32], n: usize) -> Result<(), FormatError> {
    for g in 0..n {
        if t[g] != g as u32 || t[g * n] != g as u32 {
            return Err(FormatError::Inconsistent(format!(
                "group.table: element 0 is not the identity (row/column {g})"
            )));
        }
    }
    let mut seen = vec![u32::MAX; n];
    for g in 0..n {
        for h in 0..n {
            let x = t[g * n + h] as usize;
            if seen[x] == g as u32 {
                return Err(FormatError::Inconsistent(format!(
                    "group.table: row {g} repeats element {x}"
                )));
            }
            seen[x] = g as u32;
        }
    }
    let mut seen = vec![u32::MAX; n];
    for h in 0..n {
        for g in 0..n {
            let x = t[g * n + h] as usize;
            if seen[x] == h as u32 {
                return Err(FormatError::Inconsistent(format!(
                    "group.table: column {h} repeats element {x}"
                )));
            }
            seen[x] = h as u32;
        }
    }
    Ok(())
}
