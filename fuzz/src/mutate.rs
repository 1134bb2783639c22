//! Structure-aware mutation of weight files. A file is split into manifest
//! and tensors ([`RawFile`]), changed the way a buggy writer or an attacker
//! would change it (a manifest field, a table entry, a shape, a dtype, a
//! missing or extra tensor, a layer's modulus with every dependent table
//! resized to match), and written back. Byte-level mutation alone rarely
//! gets past the safetensors header; this reaches every check behind it and,
//! through the consistent edits, new valid models for the executors.

use crate::raw::{dtype_size, RawFile, RawTensor};
use crate::Rng;
use serde_json::{json, Value};

/// Largest tensor (in bytes) a shape or dtype mutation resizes data to.
const MAX_RESIZE: u64 = 1 << 16;

/// Apply 1..=3 structural mutations; None if `bytes` is not a file this can
/// split (the caller then mutates bytes instead).
pub fn mutate_file(bytes: &[u8], rng: &mut Rng) -> Option<Vec<u8>> {
    let mut f = RawFile::parse(bytes)?;
    for _ in 0..1 + rng.below(3) {
        match rng.below(12) {
            0..=2 => manifest_value(&mut f, rng),
            3..=5 => tensor_entry(&mut f, rng),
            6 => shape(&mut f, rng),
            7 => dtype(&mut f, rng),
            8 => tensor_set(&mut f, rng),
            9 => set_modulus(&mut f, rng),
            10 => drop_last_layer(&mut f, rng),
            _ => manifest_text(&mut f, rng),
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
                "e",
                "a",
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
                "tokens.element",
                "layer.0",
                "",
                "__metadata__",
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

/// Change one modulus of one layer to 2..=7 and resize everything that
/// depends on it: the codes mod the new modulus, the transitions, the
/// layer's cocycle table, the readout table, the manifest entry.
fn set_modulus(f: &mut RawFile, rng: &mut Rng) {
    let (Some(shapes), Some(mut m)) = (layer_shapes(f), f.manifest()) else {
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
    let new = 2 + rng.below(6) as i32;
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
    let mut phases = Vec::new();
    if let Some(t) = f.tensor_mut(&p("transition.code")) {
        for x in 0..v * r {
            if x < t.data.len() / 4 {
                let c = t.get_i32(x).rem_euclid(moduli[x % r]);
                t.set_i32(x, c);
                phases.push(std::f64::consts::TAU * c as f64 / moduli[x % r] as f64);
            }
        }
    }
    for (name, g) in [
        ("transition.re", f64::cos as fn(f64) -> f64),
        ("transition.im", f64::sin),
        ("transition.phase", |x| x),
    ] {
        if let Some(t) = f.tensor_mut(&p(name)) {
            let vals: Vec<f64> = phases.iter().map(|&x| g(x)).collect();
            t.data = match t.dtype.as_str() {
                "F64" => vals.iter().flat_map(|x| x.to_le_bytes()).collect(),
                _ => vals
                    .iter()
                    .flat_map(|&x| (x as f32).to_le_bytes())
                    .collect(),
            };
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
    let order = m["group"]["order"].as_u64().unwrap_or(1).max(1) as usize;
    if let Some(t) = f.tensor_mut("readout") {
        t.shape = vec![joint as u64];
        t.data = (0..joint)
            .map(|_| rng.below(order) as i32)
            .flat_map(i32::to_le_bytes)
            .collect();
    }
    // get_mut, not indexing: a mutated manifest may not be an object.
    if let Some(l) = m
        .get_mut("layers")
        .and_then(|l| l.get_mut(i))
        .and_then(Value::as_object_mut)
    {
        l.insert("invariant_factors".into(), json!(moduli));
        l.insert("num_codes".into(), json!(codes));
    }
    f.set_manifest(&m);
}

/// Remove the last layer: its tensors, the cocycle feeding it, its manifest
/// entry; the readout keeps the entries of the remaining joint codes.
fn drop_last_layer(f: &mut RawFile, _rng: &mut Rng) {
    let (Some(shapes), Some(mut m)) = (layer_shapes(f), f.manifest()) else {
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
    if let Some(a) = m.get_mut("layers").and_then(Value::as_array_mut) {
        a.truncate(last);
    }
    f.set_manifest(&m);
}
