//! Structure-aware mutation of weight files. A file is split into manifest
//! and tensors ([`RawFile`]), changed the way a buggy writer or an attacker
//! would change it (a manifest field, an unknown field, a label, a generator
//! name or element, the target, the start token, a table entry, a shape, a
//! dtype, a missing or extra tensor), or changed consistently (a layer's
//! modulus with every dependent table resized, the last layer dropped, a
//! generator renamed in every label, the target or float dtype switched with
//! the tensors that depend on them), and written back. Byte-level mutation
//! alone rarely gets past the safetensors header; this reaches every check
//! behind it and, through the consistent edits, new valid models for the
//! executors. The seeds include the one-layer cells (rnn, pd-ssm,
//! deltaproduct) and start-token models, whose tensors the generic edits
//! reach the same way.

use crate::raw::{dtype_size, RawFile, RawTensor};
use crate::Rng;
use gssm_runtime::ir::FloatDtype;
use gssm_runtime::values;
use serde_json::{json, Map, Value};

/// Largest tensor (in bytes) a shape or dtype mutation resizes data to.
const MAX_RESIZE: u64 = 1 << 16;

/// Apply 1..=3 structural mutations; None if `bytes` is not a file this can
/// split (the caller then mutates bytes instead).
pub fn mutate_file(bytes: &[u8], rng: &mut Rng) -> Option<Vec<u8>> {
    let mut f = RawFile::parse(bytes)?;
    for _ in 0..1 + rng.below(3) {
        match rng.below(21) {
            0..=2 => manifest_value(&mut f, rng),
            3..=5 => tensor_entry(&mut f, rng),
            6 => shape(&mut f, rng),
            7 => dtype(&mut f, rng),
            8 => tensor_set(&mut f, rng),
            9 => set_modulus(&mut f, rng),
            10 => drop_last_layer(&mut f, rng),
            11 => manifest_text(&mut f, rng),
            12 | 13 => labels(&mut f, rng),
            14 | 15 => generators(&mut f, rng),
            16 => target(&mut f, rng),
            17 => unknown_field(&mut f, rng),
            18 => set_dtype(&mut f, rng),
            19 => retoken(&mut f, rng),
            _ => start_token(&mut f, rng),
        }
    }
    Some(f.to_bytes())
}

// ---------------------------------------------------------------------------
// The manifest.

/// Replace, remove or reshape one JSON value somewhere in the manifest.
fn manifest_value(f: &mut RawFile, rng: &mut Rng) {
    let Some(mut m) = f.manifest() else { return };
    let mut node = &mut m;
    // Random walk down; stop early with some probability.
    for _ in 0..6 {
        let n = match node {
            Value::Object(o) => o.len(),
            Value::Array(a) => a.len(),
            _ => 0,
        };
        if n == 0 || rng.one_in(4) {
            break;
        }
        let k = rng.below(n);
        node = match node {
            Value::Object(o) => o.values_mut().nth(k).expect("k < len"),
            Value::Array(a) => &mut a[k],
            _ => unreachable!(),
        };
    }
    mutate_value(node, rng);
    f.set_manifest(&m);
}

fn mutate_value(v: &mut Value, rng: &mut Rng) {
    if rng.one_in(8) {
        *v = rng
            .pick(&[
                json!(null),
                json!([]),
                json!({}),
                json!(""),
                json!(0),
                json!(-1),
                json!(true),
            ])
            .clone();
        return;
    }
    match v {
        Value::Number(x) => {
            let old = x.as_i64().unwrap_or(0);
            *v = match rng.below(4) {
                0 => json!(old + 1),
                1 => json!(old - 1),
                2 => json!(old.wrapping_mul(2)),
                _ => rng
                    .pick(&[
                        json!(0),
                        json!(1),
                        json!(2),
                        json!(65),
                        json!(8193),
                        json!(1u64 << 26),
                        json!(1u64 << 32),
                        json!(u64::MAX),
                        json!(1e300),
                        json!(0.5),
                    ])
                    .clone(),
            };
        }
        Value::String(s) => {
            let choices = [
                "",
                "aussm",
                "neg-mamba",
                "mamba",
                "float32",
                "float64",
                "float16",
                "gssm-weights",
                "gla",
                "s4d",
                "rnn",
                "pd-ssm",
                "deltaproduct",
                "<bos>",
                "e",
                "a",
                "a^-1",
                "a*b",
                "a a",
                "0",
                "7",
                "\u{0}",
            ];
            *s = match rng.below(3) {
                0 => format!("{s}x"),
                _ => rng.pick(&choices).to_string(),
            };
        }
        Value::Array(a) if !a.is_empty() => match rng.below(4) {
            0 => {
                a.pop();
            }
            1 => {
                let x = a[rng.below(a.len())].clone();
                a.push(x);
            }
            2 => {
                let (i, j) = (rng.below(a.len()), rng.below(a.len()));
                a.swap(i, j);
            }
            _ => a.clear(),
        },
        Value::Object(o) if !o.is_empty() => {
            let key = o.keys().nth(rng.below(o.len())).expect("non-empty").clone();
            o.remove(&key);
        }
        _ => *v = json!(1),
    }
}

/// Overwrite one character of the manifest's text: invalid JSON, unknown
/// fields, and numbers one digit off.
fn manifest_text(f: &mut RawFile, rng: &mut Rng) {
    let Some(Value::String(s)) = f
        .metadata
        .as_mut()
        .and_then(|m| m.get_mut(gssm_runtime::format::MANIFEST_KEY))
    else {
        return;
    };
    let mut chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return;
    }
    let k = rng.below(chars.len());
    chars[k] = *rng.pick(&['0', '1', '9', '-', '"', ',', '{', ']', 'e', ' ', '\u{0}']);
    *s = chars.into_iter().collect();
}

// ---------------------------------------------------------------------------
// Tensors.

/// Overwrite one element with an edge value for its dtype, or move values
/// around inside an integer table (which keeps them in range and so often
/// yields a different model the loader accepts).
fn tensor_entry(f: &mut RawFile, rng: &mut Rng) {
    if f.tensors.is_empty() {
        return;
    }
    let t = rng.below(f.tensors.len());
    let t = &mut f.tensors[t];
    let size = t.elem_size();
    let count = t.data.len() / size;
    if count == 0 {
        return;
    }
    // Edges first and last, where off-by-one bugs live.
    let k = match rng.below(4) {
        0 => 0,
        1 => count - 1,
        _ => rng.below(count),
    };
    let at = k * size;
    match t.dtype.as_str() {
        "I32" => {
            let old = t.get_i32(k);
            let max = t.i32s().into_iter().max().unwrap_or(0);
            let new = match rng.below(6) {
                0 => old.wrapping_add(1),
                1 => old.wrapping_sub(1),
                2 => max.wrapping_add(1),
                3 => t.get_i32(rng.below(count)),
                4 => *rng.pick(&[0, 1, -1, 2, i32::MAX, i32::MIN, 1 << 13, 1 << 24, 1 << 26]),
                _ => {
                    // Swap two entries.
                    let j = rng.below(count);
                    let other = t.get_i32(j);
                    t.set_i32(j, old);
                    other
                }
            };
            t.set_i32(k, new);
        }
        "F32" => {
            let old = f32::from_le_bytes(t.data[at..at + 4].try_into().expect("4 bytes"));
            let new = *rng.pick(&[
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                0.0,
                -0.0,
                1.0,
                -1.0,
                f32::MAX,
                f32::MIN_POSITIVE,
                1e-45,
                old * 1.5,
                -old,
                old + 1e-3,
            ]);
            t.data[at..at + 4].copy_from_slice(&new.to_le_bytes());
        }
        "F64" => {
            let old = f64::from_le_bytes(t.data[at..at + 8].try_into().expect("8 bytes"));
            let new = *rng.pick(&[
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                0.0,
                -0.0,
                1.0,
                -1.0,
                f64::MAX,
                1e300,
                5e-324,
                old * 1.5,
                -old,
                old + 1e-9,
            ]);
            t.data[at..at + 8].copy_from_slice(&new.to_le_bytes());
        }
        _ => {
            for b in &mut t.data[at..at + size] {
                *b = rng.next_u64() as u8;
            }
        }
    }
}

/// Resize `t.data` to what its shape and dtype need, when that is small.
fn fit_data(t: &mut RawTensor, rng: &mut Rng) {
    let want = t
        .shape
        .iter()
        .try_fold(dtype_size(&t.dtype) as u64, |p, &d| p.checked_mul(d));
    match want {
        Some(w) if w <= MAX_RESIZE && !rng.one_in(8) => {
            let fill = rng.next_u64() as u8 & 1;
            t.data.resize(w as usize, fill);
        }
        // Leave the data as it is: safetensors itself must reject it.
        _ => {}
    }
}

fn shape(f: &mut RawFile, rng: &mut Rng) {
    if f.tensors.is_empty() {
        return;
    }
    let t = rng.below(f.tensors.len());
    let t = &mut f.tensors[t];
    match rng.below(5) {
        0 => t.shape.push(1),
        1 => {
            t.shape.pop();
        }
        2 => t.shape.reverse(),
        _ if !t.shape.is_empty() => {
            let d = rng.below(t.shape.len());
            let old = t.shape[d];
            t.shape[d] = *rng.pick(&[
                0,
                1,
                2,
                old.saturating_add(1),
                old.saturating_sub(1),
                old.saturating_mul(2),
                1 << 13,
                1 << 40,
                u64::MAX,
            ]);
        }
        _ => t.shape.push(2),
    }
    fit_data(t, rng);
}

fn dtype(f: &mut RawFile, rng: &mut Rng) {
    if f.tensors.is_empty() {
        return;
    }
    let t = rng.below(f.tensors.len());
    let t = &mut f.tensors[t];
    let new = *rng.pick(&[
        "I32", "F32", "F64", "I64", "U32", "F16", "BF16", "U8", "I8", "BOOL", "F8_E4M3", "F4",
        "C64", "Q4",
    ]);
    // I32 <-> F32 keeps the values, so the loader sees plausible numbers of
    // the wrong type.
    if t.dtype == "I32" && new == "F32" {
        for k in 0..t.data.len() / 4 {
            let x = t.get_i32(k) as f32;
            t.data[4 * k..4 * k + 4].copy_from_slice(&x.to_le_bytes());
        }
    }
    t.dtype = new.to_string();
    fit_data(t, rng);
}

/// Remove a tensor, add one under a plausible name, rename one, or swap the
/// data of two.
fn tensor_set(f: &mut RawFile, rng: &mut Rng) {
    if f.tensors.is_empty() {
        return;
    }
    let i = rng.below(f.tensors.len());
    match rng.below(4) {
        0 => {
            f.tensors.remove(i);
        }
        1 | 2 => {
            let mut t = f.tensors[i].clone();
            t.name = other_name(&t.name, rng);
            if rng.below(2) == 0 {
                f.tensors.remove(i);
            }
            f.tensors.retain(|x| x.name != t.name);
            f.tensors.push(t);
        }
        _ => {
            let j = rng.below(f.tensors.len());
            let d = std::mem::take(&mut f.tensors[i].data);
            f.tensors[i].data = std::mem::replace(&mut f.tensors[j].data, d);
        }
    }
}

/// A name of the same family: another layer's tensor, a sibling suffix.
fn other_name(name: &str, rng: &mut Rng) -> String {
    const SUFFIXES: [&str; 11] = [
        "moduli",
        "transition.code",
        "transition.re",
        "transition.im",
        "transition.phase",
        "input.re",
        "input.im",
        "h0.re",
        "h0.im",
        "cocycle",
        "extra",
    ];
    let layer = rng.below(5);
    match rng.below(3) {
        0 => format!("layer.{layer}.{}", rng.pick(&SUFFIXES)),
        1 => match name.strip_prefix("layer.").and_then(|r| r.split_once('.')) {
            Some((_, suffix)) => format!("layer.{layer}.{suffix}"),
            None => format!("{name}.0"),
        },
        _ => rng
            .pick(&[
                "readout",
                "group.table",
                "group.generators",
                "tokens.element",
                "layer.0",
                "",
                "__metadata__",
                // The one-layer cells' tensors.
                "action.images",
                "action.points",
                "pd.index",
                "pd.diag",
                "pd.input",
                "pd.h0",
                "delta.basis",
                "delta.offset",
                "delta.k",
                "delta.beta",
                "delta.v",
                "delta.h0",
                "rnn.weight_ih",
                "rnn.weight_hh",
                "rnn.bias_ih",
                "rnn.bias_hh",
                "rnn.readout.weight",
                "rnn.readout.bias",
            ])
            .to_string(),
    }
}

// ---------------------------------------------------------------------------
// Consistent edits: the result is usually a valid model the loader accepts,
// different from every seed.

/// Layer count, each layer's moduli and token count, from the tensors.
fn layer_shapes(f: &RawFile) -> Option<Vec<(Vec<i32>, usize)>> {
    let mut out = Vec::new();
    for i in 0.. {
        let Some(m) = f.tensor(&format!("layer.{i}.moduli")) else {
            break;
        };
        let code = f.tensor(&format!("layer.{i}.transition.code"))?;
        let v = *code.shape.first()? as usize;
        out.push((m.i32s(), v));
    }
    Some(out)
}

/// The readout table's size for these layers, if at most 2^14.
fn joint_codes(shapes: &[(Vec<i32>, usize)]) -> Option<usize> {
    let mut joint = 1usize;
    for (ms, _) in shapes {
        for &m in ms {
            joint = joint
                .checked_mul(usize::try_from(m).ok()?)
                .filter(|&j| j <= 1 << 14)?;
        }
    }
    Some(joint)
}

/// Change one modulus of one layer to 2..=7 (to 2, mostly, on negative
/// Mamba, whose layers allow no other) and resize everything that depends on
/// it: the codes mod the new modulus, the transitions and phases (the
/// construction's values, so the proof can pass), the layer's cocycle table
/// and the readout table, refilled at random.
fn set_modulus(f: &mut RawFile, rng: &mut Rng) {
    let (Some(shapes), Some(m)) = (layer_shapes(f), f.manifest()) else {
        return;
    };
    if shapes.is_empty()
        || shapes
            .iter()
            .any(|(ms, _)| ms.iter().any(|&x| !(2..=64).contains(&x)))
    {
        return;
    }
    let i = rng.below(shapes.len());
    let (moduli, v) = &shapes[i];
    let r = moduli.len();
    if r == 0 || *v > 1 << 12 {
        return;
    }
    let j = rng.below(r);
    let new = if m["target"] == "neg-mamba" && !rng.one_in(8) {
        2
    } else {
        2 + rng.below(6) as i32
    };
    let mut moduli = moduli.clone();
    moduli[j] = new;
    let codes: usize = moduli.iter().map(|&x| x as usize).product();
    let mut shapes = shapes.clone();
    shapes[i].0 = moduli.clone();
    let Some(joint) = joint_codes(&shapes) else {
        return;
    };
    let p = |s: &str| format!("layer.{i}.{s}");
    if let Some(t) = f.tensor_mut(&p("moduli")) {
        t.set_i32(j, new);
    }
    let mut code = Vec::new();
    if let Some(t) = f.tensor_mut(&p("transition.code")) {
        for x in 0..v * r {
            if x < t.data.len() / 4 {
                let c = t.get_i32(x).rem_euclid(moduli[x % r]);
                t.set_i32(x, c);
                code.push((c as u32, moduli[x % r] as u32));
            }
        }
    }
    type Value3 = fn(u32, u32, FloatDtype) -> f64;
    let stored: [(&str, Value3); 3] = [
        ("transition.re", |c, n, dt| values::transition(c, n, dt).0),
        ("transition.im", |c, n, dt| values::transition(c, n, dt).1),
        ("transition.phase", values::phase),
    ];
    for (name, g) in stored {
        if let Some(t) = f.tensor_mut(&p(name)) {
            let dt = float_dtype(&t.dtype);
            let vals: Vec<f64> = code.iter().map(|&(c, n)| g(c, n, dt)).collect();
            t.data = float_data(&vals, dt);
        }
    }
    if i + 1 < shapes.len() {
        let next = shapes[i + 1].1.max(1);
        if let Some(t) = f.tensor_mut(&p("cocycle")) {
            t.shape = vec![codes as u64, *v as u64];
            t.data = (0..codes * v)
                .flat_map(|_| (rng.below(next) as i32).to_le_bytes())
                .collect();
        }
    }
    let order = order(&m);
    if let Some(t) = f.tensor_mut("readout") {
        t.shape = vec![joint as u64];
        t.data = (0..joint)
            .map(|_| rng.below(order) as i32)
            .flat_map(i32::to_le_bytes)
            .collect();
    }
}

/// Remove the last layer: its tensors and the cocycle feeding it; the
/// readout keeps the entries of the remaining joint codes.
fn drop_last_layer(f: &mut RawFile, _rng: &mut Rng) {
    let Some(shapes) = layer_shapes(f) else {
        return;
    };
    let Some(last) = shapes.len().checked_sub(1) else {
        return;
    };
    let prefix = format!("layer.{last}.");
    f.tensors.retain(|t| {
        !t.name.starts_with(&prefix) && t.name != format!("layer.{}.cocycle", last.wrapping_sub(1))
    });
    let Some(joint) = joint_codes(&shapes[..last]) else {
        return;
    };
    if let Some(t) = f.tensor_mut("readout") {
        t.shape = vec![joint as u64];
        t.data.truncate(4 * joint);
    }
}

/// The group's order as the manifest gives it: one output label per
/// element (at least 1, for use as a bound).
fn order(m: &Value) -> usize {
    m["outputs"].as_array().map_or(1, Vec::len).max(1)
}

/// Set a manifest field; `m[key] = …` would panic on a mutated manifest
/// that is not an object.
fn set_field(m: &mut Value, key: &str, value: Value) {
    if let Some(o) = m.as_object_mut() {
        o.insert(key.into(), value);
    }
}

/// The float type a tensor's dtype stands for (F32 for anything not F64).
fn float_dtype(dtype: &str) -> FloatDtype {
    match dtype {
        "F64" => FloatDtype::F64,
        _ => FloatDtype::F32,
    }
}

fn float_data(vals: &[f64], dt: FloatDtype) -> Vec<u8> {
    match dt {
        FloatDtype::F64 => vals.iter().flat_map(|x| x.to_le_bytes()).collect(),
        FloatDtype::F32 => vals
            .iter()
            .flat_map(|&x| (x as f32).to_le_bytes())
            .collect(),
    }
}

fn floats_of(t: &RawTensor) -> Vec<f64> {
    match t.dtype.as_str() {
        "F64" => t
            .data
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect(),
        _ => t
            .data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")) as f64)
            .collect(),
    }
}

// ---------------------------------------------------------------------------
// Labels, generators, target, dtype: the manifest facts the validator checks
// against the tensors.

/// A label edit in `tokens` or `outputs`: swap two (wrong elements, or a new
/// valid model where both name the same element), duplicate one, garble
/// one, rewrite one as an equal word (valid), replace one by a random word,
/// add or remove one.
fn labels(f: &mut RawFile, rng: &mut Rng) {
    let Some(mut m) = f.manifest() else { return };
    let gens = generator_names(&m);
    let field = if rng.one_in(2) { "tokens" } else { "outputs" };
    let Some(a) = m.get_mut(field).and_then(Value::as_array_mut) else {
        return;
    };
    if a.is_empty() {
        a.push(json!("e"));
        f.set_manifest(&m);
        return;
    }
    let (i, j) = (rng.below(a.len()), rng.below(a.len()));
    let g = rng.pick(&gens).clone();
    let old = a[i].as_str().unwrap_or("e").to_string();
    match rng.below(7) {
        0 => a.swap(i, j),
        1 => a[j] = a[i].clone(),
        2 => a[i] = json!(garble(&old, &g, rng)),
        3 => a[i] = json!(equal_word(&old, &g, rng)),
        4 => a[i] = json!(random_word(&gens, rng)),
        5 => {
            a.pop();
        }
        _ => a.push(json!(random_word(&gens, rng))),
    }
    f.set_manifest(&m);
}

/// The manifest's generator names; `["a"]` when there are none, so that
/// words can still be made.
fn generator_names(m: &Value) -> Vec<String> {
    let names: Vec<String> = m["group"]["generators"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        vec!["a".into()]
    } else {
        names
    }
}

/// A label that is not a word, or a word that overflows or names nothing.
fn garble(label: &str, g: &str, rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!(
            "{label}{}",
            rng.pick(&["*", "^", "^2", "x", " ", "^-", "**e"])
        ),
        1 => format!("{}{label}", rng.pick(&["*", "^", "e*", " ", "-"])),
        2 => {
            let upper = g.to_uppercase();
            label.replacen(g, *rng.pick(&["", "e", "E", upper.as_str()]), 1)
        }
        _ => {
            let edge = [
                "",
                " ",
                "e",
                "e^2",
                "^2",
                "*",
                "1",
                "-1",
                "\u{0}",
                "é",
                "{g} {g}",
                "{g}^",
                "{g}**{g}",
                "{g}^1^2",
                "{g}^+1",
                "{g}^-0",
                "{g}^x",
                "{g}^1.5",
                "{g}^9223372036854775807",
                "{g}^-9223372036854775808",
                "{g}^-9223372036854775807*{g}^-1",
                "{g}^99999999999999999999",
                "{g}^4294967296",
            ];
            rng.pick(&edge).replace("{g}", g)
        }
    }
}

/// Another word for the element `label` names (when it is a word): the
/// validator must evaluate both alike.
fn equal_word(label: &str, g: &str, rng: &mut Rng) -> String {
    let cancel = match rng.below(4) {
        0 => format!("{g}^0"),
        1 => format!("{g}*{g}^-1"),
        2 => format!("{g}^-1*{g}"),
        _ => format!("{g}^2*{g}^-2"),
    };
    if label == "e" {
        return cancel;
    }
    match rng.below(3) {
        0 => format!("{label}*{cancel}"),
        1 => format!("{cancel}*{label}"),
        // a^k as a^k1*a^k2 where the label is one power.
        _ => match label.split_once('^').map(|(n, e)| (n, e.parse::<i64>())) {
            Some((n, Ok(e))) if !n.contains('*') => {
                let k = (rng.below(7) as i64) - 3;
                format!("{n}^{k}*{n}^{}", e.saturating_sub(k))
            }
            _ => format!("{label}*{cancel}"),
        },
    }
}

/// 1..=3 factors of generators with exponents -3..=3 (the exponent written
/// now and then even when it is 1).
fn random_word(gens: &[String], rng: &mut Rng) -> String {
    (0..1 + rng.below(3))
        .map(|_| {
            let g = rng.pick(gens);
            match rng.below(8) as i64 - 3 {
                1 if rng.one_in(2) => g.clone(),
                e => format!("{g}^{e}"),
            }
        })
        .collect::<Vec<_>>()
        .join("*")
}

/// `label` with every factor named `from` renamed to `to`.
fn rename_in(label: &str, from: &str, to: &str) -> String {
    label
        .split('*')
        .map(|factor| match factor.split_once('^') {
            Some((name, e)) if name == from => format!("{to}^{e}"),
            None if factor == from => to.to_string(),
            _ => factor.to_string(),
        })
        .collect::<Vec<_>>()
        .join("*")
}

/// An edit of the generators: a `group.generators` entry (another element,
/// or out of range), a name (renamed in every label, which keeps the model
/// valid, or alone; or to a name that is not an identifier), one added or
/// removed with its tensor entry (valid when no label needs it), names and
/// entries disagreeing in count, two swapped.
fn generators(f: &mut RawFile, rng: &mut Rng) {
    let Some(mut m) = f.manifest() else { return };
    let order = order(&m);
    let Some(names) = m
        .get_mut("group")
        .and_then(|g| g.get_mut("generators"))
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    let Some(t) = f.tensor_mut("group.generators") else {
        return;
    };
    let count = t.data.len() / 4;
    let k = rng.below(count.max(1));
    let mut rename = None;
    const FRESH: [&str; 8] = ["x", "b", "g0", "_", "A", "gen_long_name", "r2", "a"];
    const BAD: [&str; 10] = ["e", "", "1a", "a-b", "a b", "é", "a^2", "a*b", "e1", "_e"];
    match rng.below(8) {
        0 if count > 0 => t.set_i32(k, rng.below(order) as i32),
        1 if count > 0 => t.set_i32(k, *rng.pick(&[order as i32, -1, 0, i32::MAX, i32::MIN])),
        2 | 3 if !names.is_empty() => {
            let k = rng.below(names.len());
            let from = names[k].as_str().unwrap_or_default().to_string();
            let to = rng.pick(&FRESH).to_string();
            names[k] = json!(to);
            // Now and then the labels still name the old generator.
            if !rng.one_in(8) {
                rename = Some((from, to));
            }
        }
        4 if !names.is_empty() => {
            let k = rng.below(names.len());
            names[k] = json!(rng.pick(&BAD));
        }
        5 => {
            // A new generator: unused by any label, so the model stays valid.
            names.push(json!(rng.pick(&FRESH)));
            t.data
                .extend_from_slice(&(rng.below(order) as i32).to_le_bytes());
            t.shape = vec![(count + 1) as u64];
        }
        6 if !names.is_empty() => {
            names.pop();
            if !rng.one_in(4) {
                t.data.truncate(4 * count.saturating_sub(1));
                t.shape = vec![count.saturating_sub(1) as u64];
            }
        }
        _ if names.len() >= 2 => {
            let (i, j) = (rng.below(names.len()), rng.below(names.len()));
            if rng.one_in(2) {
                names.swap(i, j);
            } else if i.max(j) < count {
                let (x, y) = (t.get_i32(i), t.get_i32(j));
                t.set_i32(i, y);
                t.set_i32(j, x);
            }
        }
        _ => names.push(json!(rng.pick(&FRESH))),
    }
    if let Some((from, to)) = rename {
        for field in ["tokens", "outputs"] {
            if let Some(a) = m.get_mut(field).and_then(Value::as_array_mut) {
                for l in a.iter_mut() {
                    if let Some(s) = l.as_str() {
                        *l = json!(rename_in(s, &from, &to));
                    }
                }
            }
        }
    }
    f.set_manifest(&m);
}

/// Name another target, known or not; mostly with the phase tensors made to
/// match it (added from the codes for AUSSM, removed otherwise), so that
/// layer-less models move between targets and AUSSM files with modulus-2
/// layers become negative Mamba ones. A cell's file naming another cell's
/// target (or a diagonal one) must be refused.
fn target(f: &mut RawFile, rng: &mut Rng) {
    let Some(mut m) = f.manifest() else { return };
    let new = *rng.pick(&[
        "aussm",
        "aussm",
        "neg-mamba",
        "neg-mamba",
        "mamba",
        "gla",
        "s4d",
        "rnn",
        "pd-ssm",
        "deltaproduct",
        "pd_ssm",
        "delta-product",
        "",
        "AUSSM",
        "aussm ",
        "mamba2",
        "neg_mamba",
    ]);
    set_field(&mut m, "target", json!(new));
    f.set_manifest(&m);
    if rng.one_in(4) {
        return;
    }
    let shapes = layer_shapes(f).unwrap_or_default();
    for (i, (moduli, _)) in shapes.iter().enumerate() {
        let name = format!("layer.{i}.transition.phase");
        f.tensors.retain(|t| t.name != name);
        let Some(code) = f.tensor(&format!("layer.{i}.transition.code")) else {
            continue;
        };
        if new != "aussm" || moduli.is_empty() || moduli.iter().any(|&n| n < 1) {
            continue;
        }
        let dt = FloatDtype::from_manifest(m["dtype"].as_str().unwrap_or_default())
            .unwrap_or(FloatDtype::F32);
        let r = moduli.len();
        let vals: Vec<f64> = code
            .i32s()
            .iter()
            .enumerate()
            .map(|(x, &c)| values::phase(c as u32, moduli[x % r] as u32, dt))
            .collect();
        let t = RawTensor {
            name,
            dtype: if dt == FloatDtype::F64 { "F64" } else { "F32" }.into(),
            shape: code.shape.clone(),
            data: float_data(&vals, dt),
        };
        f.tensors.push(t);
    }
}

/// A field the format does not have: the ones version 1 had, misspellings,
/// an empty key; at the top level or in `group`. Or another version.
fn unknown_field(f: &mut RawFile, rng: &mut Rng) {
    let Some(mut m) = f.manifest() else { return };
    if rng.one_in(4) {
        set_field(&mut m, "format_version", json!(*rng.pick(&[0, 1, 3, 2])));
        f.set_manifest(&m);
        return;
    }
    let key = *rng.pick(&[
        "order",
        "series_orders",
        "layers",
        "extra",
        "",
        "Format",
        "format ",
        "generators",
        "phase",
        "__metadata__",
    ]);
    let value = rng
        .pick(&[json!(6), json!([]), json!(null), json!({}), json!("aussm")])
        .clone();
    let obj: Option<&mut Map<String, Value>> = if rng.one_in(3) {
        m.get_mut("group").and_then(Value::as_object_mut)
    } else {
        m.as_object_mut()
    };
    if let Some(o) = obj {
        o.insert(key.into(), value);
    }
    f.set_manifest(&m);
}

/// Switch the stored float type: the manifest's dtype and, mostly, every
/// float tensor converted (to f32 by rounding, which the validator then
/// accepts, though the values are no longer the construction's).
fn set_dtype(f: &mut RawFile, rng: &mut Rng) {
    let Some(mut m) = f.manifest() else { return };
    let (name, st) = if m["dtype"] == "float64" {
        ("float32", "F32")
    } else {
        ("float64", "F64")
    };
    set_field(&mut m, "dtype", json!(name));
    f.set_manifest(&m);
    if rng.one_in(8) {
        return;
    }
    for t in &mut f.tensors {
        if t.dtype == "F32" || t.dtype == "F64" {
            let vals = floats_of(t);
            t.dtype = st.into();
            t.data = float_data(&vals, float_dtype(st));
        }
    }
}

/// An edit of the start token (`manifest.bos`, format version 3): remove
/// it (the last token is then a group token labelled `<bos>`, which is not
/// a word), name the last token (valid only where it is labelled `<bos>`
/// and is the identity), another or an out-of-range id, or a value of the
/// wrong type; relabel a token `<bos>`; point the start token at another
/// element; or claim format version 2, which has no start tokens.
fn start_token(f: &mut RawFile, rng: &mut Rng) {
    let Some(mut m) = f.manifest() else { return };
    let v = m["tokens"].as_array().map_or(0, Vec::len);
    let last = v.saturating_sub(1);
    match rng.below(7) {
        0 => {
            if let Some(o) = m.as_object_mut() {
                o.remove("bos");
            }
        }
        1 => set_field(&mut m, "bos", json!(last)),
        2 => {
            let b = rng
                .pick(&[
                    json!(v),
                    json!(0),
                    json!(last.saturating_sub(1)),
                    json!(-1),
                    json!(u32::MAX),
                    json!(u64::MAX),
                    json!(null),
                    json!("0"),
                    json!(0.5),
                ])
                .clone();
            set_field(&mut m, "bos", b);
        }
        3 => {
            if let Some(a) = m.get_mut("tokens").and_then(Value::as_array_mut) {
                if !a.is_empty() {
                    let k = if rng.one_in(2) { last } else { rng.below(v) };
                    a[k] = json!("<bos>");
                }
            }
        }
        4 => {
            // The start token as another element.
            let order = order(&m);
            if let Some(t) = f.tensor_mut("tokens.element") {
                let count = t.data.len() / 4;
                if count > 0 {
                    t.set_i32(count - 1, rng.below(order) as i32);
                }
            }
        }
        5 => set_field(&mut m, "format_version", json!(2)),
        _ => {
            // A start token claimed for the last token, labelled as one.
            set_field(&mut m, "bos", json!(last));
            if let Some(a) = m.get_mut("tokens").and_then(Value::as_array_mut) {
                if let Some(l) = a.last_mut() {
                    *l = json!("<bos>");
                }
            }
        }
    }
    f.set_manifest(&m);
}

/// Point a token at another element with that element's output label (a
/// valid model unless two tokens then share it); with no layers, also add a
/// token that way.
fn retoken(f: &mut RawFile, rng: &mut Rng) {
    let Some(mut m) = f.manifest() else { return };
    let outputs = m["outputs"].as_array().cloned().unwrap_or_default();
    if outputs.is_empty() {
        return;
    }
    // A diagonal stack without layers: its tokens index no tensor but
    // `tokens.element` (a cell's tensors have a row per token).
    let no_layers = f.tensor("layer.0.moduli").is_none() && f.tensor("readout").is_some();
    let (Some(tokens), Some(t)) = (
        m.get_mut("tokens").and_then(Value::as_array_mut),
        f.tensor_mut("tokens.element"),
    ) else {
        return;
    };
    let g = rng.below(outputs.len());
    let label = outputs[g].clone();
    let count = t.data.len() / 4;
    if no_layers && (count == 0 || rng.one_in(2)) {
        tokens.push(label);
        t.data.extend_from_slice(&(g as i32).to_le_bytes());
        t.shape = vec![(count + 1) as u64];
    } else if count > 0 && count == tokens.len() {
        let k = rng.below(count);
        tokens[k] = label;
        t.set_i32(k, g as i32);
    }
    f.set_manifest(&m);
}
