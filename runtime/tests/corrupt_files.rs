//! Corrupt and crafted weight files: each one is derived from a valid model
//! file, and the loader must reject it with a clear message (snapshotted
//! exactly) instead of accepting it, panicking or allocating without bound.
//!
//! The valid model is S3 = ⟨ρ, σ⟩ tracked by two AUSSM layers along
//! S3 ⊳ A3 ⊳ 1, built here from the construction so the suite does not
//! depend on the compiler; `the_valid_file_loads_and_tracks_s3` shows it is
//! a correct model before anything is corrupted.

use gssm_runtime::exec::{build, Backend};
use gssm_runtime::format::{encode, load, FloatDtype, LoadLimits, MANIFEST_KEY};
use gssm_runtime::ir::{
    Diagonal, GroupInfo, GroupTruth, Layer, Manifest, Model, Net, Truth, CONVENTION, FORMAT_NAME,
    FORMAT_VERSION,
};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::Tokens;
use gssm_runtime::truth::running_products;
use gssm_runtime::valid::{validate, ValidModel};
use gssm_runtime::values;
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------
// The valid model.

/// Element ρ^r σ^s of S3 has id r + 3s (identity 0); σρσ = ρ^-1.
fn s3_mul(g: u32, h: u32) -> u32 {
    let (r1, s1, r2, s2) = (g % 3, g / 3, h % 3, h / 3);
    let r = if s1 == 1 { r1 + 3 - r2 } else { r1 + r2 } % 3;
    r + 3 * (s1 ^ s2)
}

fn s3_label(g: u32) -> String {
    let r = ["", "r", "r^2"][(g % 3) as usize];
    match (r, g / 3) {
        ("", 0) => "e".into(),
        (r, 0) => r.into(),
        ("", _) => "s".into(),
        (r, _) => format!("{r}*s"),
    }
}

fn layer(
    moduli: Vec<u32>,
    num_tokens: usize,
    transition_code: Vec<u32>,
    cocycle: Vec<u32>,
) -> Layer {
    let r = moduli.len();
    let n = transition_code.len();
    let dt = FloatDtype::F32;
    let a = |k: usize| values::transition(transition_code[k], moduli[k % r], dt);
    Layer {
        coords: vec![gssm_runtime::ir::Coord::Phase; moduli.len()],
        num_tokens,
        a_re: (0..n).map(|k| a(k).0).collect(),
        a_im: (0..n).map(|k| a(k).1).collect(),
        phase: Some(
            (0..n)
                .map(|k| values::phase(transition_code[k], moduli[k % r], dt))
                .collect(),
        ),
        b_re: vec![0.0; n],
        b_im: vec![0.0; n],
        h0_re: vec![1.0; r],
        h0_im: vec![0.0; r],
        moduli,
        transition_code,
        cocycle,
    }
}

/// S3 over its six elements. Layer 0 tracks S3/A3 ≅ C2 (code = σ-exponent),
/// with transversal {e, σ}; its cocycle κ(a, x) = s(a)·x·s(a+π(x))^-1 is
/// ρ^{±r} for x = ρ^r σ^s, fed to layer 1, which tracks A3 ≅ C3.
fn s3_model() -> Model {
    let cocycle0: Vec<u32> = (0..2u32)
        .flat_map(|after| {
            (0..6u32).map(move |x| {
                let (r, s) = (x % 3, x / 3);
                let before = after ^ s;
                if before == 1 {
                    (3 - r) % 3
                } else {
                    r
                }
            })
        })
        .collect();
    let l0 = layer(vec![2], 6, (0..6).map(|x| x / 3).collect(), cocycle0);
    let l1 = layer(vec![3], 3, vec![0, 1, 2], vec![]);
    // Joint code c0 + 2·c1 is ρ^{c1}·σ^{c0}.
    let readout = Some((0..6u32).map(|j| j / 2 + 3 * (j % 2)).collect());
    let labels: Vec<String> = (0..6).map(s3_label).collect();
    Model {
        manifest: Manifest {
            format: FORMAT_NAME.into(),
            format_version: FORMAT_VERSION,
            compiler: "gssm test".into(),
            group: Some(GroupInfo {
                name: "S3".into(),
                generators: vec!["r".into(), "s".into()],
            }),
            automaton: None,
            convention: CONVENTION.into(),
            target: "aussm".into(),
            dtype: "float32".into(),
            bos: None,
            tokens: labels.clone(),
            outputs: labels,
            proved: Vec::new(),
        },
        net: Net::Diagonal(Diagonal {
            layers: vec![l0, l1],
            readout,
        }),
        truth: Truth::Group(GroupTruth {
            table: (0..36).map(|k| s3_mul(k / 6, k % 6)).collect(),
            generators: vec![1, 3],
            token_elements: (0..6).collect(),
        }),
    }
}

fn s3_valid() -> ValidModel {
    validate(s3_model(), &LoadLimits::default()).expect("the S3 model is valid")
}

fn valid_bytes() -> Vec<u8> {
    encode(&s3_valid()).expect("the valid model encodes")
}

// ---------------------------------------------------------------------------
// A raw safetensors reader/writer: the safetensors crate refuses to write
// most of these files, so they are assembled byte by byte.

struct RawTensor {
    name: String,
    dtype: String,
    shape: Vec<u64>,
    data: Vec<u8>,
}

struct Raw {
    metadata: Option<Map<String, Value>>,
    tensors: Vec<RawTensor>,
}

impl Raw {
    fn parse(bytes: &[u8]) -> Raw {
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let header: Map<String, Value> = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
        let data = &bytes[8 + n..];
        let mut metadata = None;
        let mut tensors = Vec::new();
        for (name, info) in header {
            if name == "__metadata__" {
                metadata = Some(info.as_object().unwrap().clone());
                continue;
            }
            let off: Vec<usize> = serde_json::from_value(info["data_offsets"].clone()).unwrap();
            tensors.push((
                off[0],
                RawTensor {
                    name,
                    dtype: info["dtype"].as_str().unwrap().into(),
                    shape: serde_json::from_value(info["shape"].clone()).unwrap(),
                    data: data[off[0]..off[1]].to_vec(),
                },
            ));
        }
        tensors.sort_by_key(|t| t.0);
        Raw {
            metadata,
            tensors: tensors.into_iter().map(|t| t.1).collect(),
        }
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut header = Map::new();
        if let Some(m) = &self.metadata {
            header.insert("__metadata__".into(), Value::Object(m.clone()));
        }
        let mut data = Vec::new();
        for t in &self.tensors {
            let start = data.len();
            data.extend_from_slice(&t.data);
            header.insert(
                t.name.clone(),
                json!({"dtype": t.dtype, "shape": t.shape, "data_offsets": [start, data.len()]}),
            );
        }
        assemble(&Value::Object(header).to_string(), &data)
    }

    fn tensor(&mut self, name: &str) -> &mut RawTensor {
        self.tensors
            .iter_mut()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no tensor {name}"))
    }

    fn manifest(&mut self) -> Value {
        serde_json::from_str(
            self.metadata.as_ref().unwrap()[MANIFEST_KEY]
                .as_str()
                .unwrap(),
        )
        .unwrap()
    }

    fn set_manifest(&mut self, m: &Value) {
        self.metadata
            .as_mut()
            .unwrap()
            .insert(MANIFEST_KEY.into(), Value::String(m.to_string()));
    }
}

/// 8-byte little-endian header length, header, data.
fn assemble(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

impl RawTensor {
    fn set_i32(&mut self, index: usize, v: i32) {
        self.data[4 * index..4 * index + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn set_f32(&mut self, index: usize, v: f32) {
        self.data[4 * index..4 * index + 4].copy_from_slice(&v.to_le_bytes());
    }
}

/// The valid file with one tensor changed.
fn with_tensor(name: &str, f: impl FnOnce(&mut RawTensor)) -> Vec<u8> {
    let mut raw = Raw::parse(&valid_bytes());
    f(raw.tensor(name));
    raw.to_bytes()
}

/// The valid file with its manifest changed.
fn with_manifest(f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut raw = Raw::parse(&valid_bytes());
    let mut m = raw.manifest();
    f(&mut m);
    raw.set_manifest(&m);
    raw.to_bytes()
}

/// The loader's message for a file it must reject.
fn rejection(bytes: &[u8]) -> String {
    rejection_within(bytes, &LoadLimits::default())
}

fn rejection_within(bytes: &[u8], limits: &LoadLimits) -> String {
    match load(bytes, limits) {
        Ok(_) => panic!("a corrupt file was accepted"),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------------------

#[test]
fn the_valid_file_loads_and_tracks_s3() {
    let bytes = valid_bytes();
    let model = load(&bytes, &LoadLimits::default()).unwrap();
    assert_eq!(
        model.diagonal().expect("diagonal").readout,
        s3_model().diagonal().expect("diagonal").readout
    );
    // Every sequence of length 5 (so every prefix of length ≤ 5).
    let ids: Vec<u32> = (0..6u32.pow(5))
        .flat_map(|mut k| (0..5).map(move |_| (k % 6, k /= 6).0))
        .collect();
    let toks = Tokens::new(&model, 6usize.pow(5), 5, ids).unwrap();
    let out = build(&model, Backend::Reference, Dtype::F32)
        .unwrap()
        .run(&toks)
        .unwrap();
    assert_eq!(out, running_products(&model, &toks));
    // The raw writer reproduces a file the loader accepts.
    assert_eq!(
        load(&Raw::parse(&bytes).to_bytes(), &LoadLimits::default()).unwrap(),
        model
    );
}

/// One test per corrupt file; each snapshot holds the loader's exact message.
macro_rules! rejects {
    ($($name:ident => $bytes:expr;)*) => {$(
        #[test]
        fn $name() {
            let bytes: Vec<u8> = $bytes;
            insta::assert_snapshot!(rejection(&bytes));
        }
    )*};
}

/// Offsets in the valid file's layout: the header length, then the header.
fn header_len(bytes: &[u8]) -> usize {
    u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize
}

rejects! {
    // The container.
    empty_file => vec![];
    shorter_than_the_length_prefix => vec![1, 0, 0];
    truncated_data => { let b = valid_bytes(); b[..b.len() - 3].to_vec() };
    trailing_garbage => { let mut b = valid_bytes(); b.extend_from_slice(b"junk"); b };
    header_length_past_the_end => { let mut b = valid_bytes(); let n = b.len() as u64; b[..8].copy_from_slice(&n.to_le_bytes()); b };
    header_length_huge => { let mut b = valid_bytes(); b[..8].copy_from_slice(&u64::MAX.to_le_bytes()); b };
    header_not_utf8 => { let mut b = assemble("{\"__metadata__\":{\"gssm\":\"?\"}}", &[]); let q = b.len() - 4; b[q] = 0xff; b };
    header_not_json => { let b = valid_bytes(); let n = header_len(&b); let mut h = b[8..8 + n].to_vec(); h[0] = b'['; [&b[..8], &h, &b[8 + n..]].concat() };
    offsets_not_contiguous => {
        let header = json!({"__metadata__": {}, "a": {"dtype": "I32", "shape": [1], "data_offsets": [4, 8]}});
        assemble(&header.to_string(), &[0; 8])
    };
    // Declared data offsets whose sum lies just below 2^64: the end of the
    // data plus the header length must not overflow.
    offsets_summing_past_usize => {
        let mut header = Map::new();
        let mut start = 0u64;
        for i in 0..16 {
            let size = if i < 15 { 1u64 << 60 } else { (1u64 << 60) - 1 };
            header.insert(format!("t{i:02}"), json!({"dtype": "U8", "shape": [size], "data_offsets": [start, start + size]}));
            start += size;
        }
        assemble(&Value::Object(header).to_string(), &[])
    };
    // The manifest.
    no_metadata => { let mut r = Raw::parse(&valid_bytes()); r.metadata = None; r.to_bytes() };
    metadata_without_manifest => { let mut r = Raw::parse(&valid_bytes()); r.metadata = Some(Map::new()); r.to_bytes() };
    manifest_not_json => { let mut r = Raw::parse(&valid_bytes()); r.metadata.as_mut().unwrap().insert(MANIFEST_KEY.into(), "{format: gssm".into()); r.to_bytes() };
    manifest_field_missing => with_manifest(|m| { m.as_object_mut().unwrap().remove("tokens"); });
    manifest_field_wrong_type => with_manifest(|m| m["group"]["name"] = json!(6));
    // Derived facts are not stored: a field that repeats one is refused.
    // A repeated field: readers that keep the first and readers that keep
    // the last occurrence would see different models.
    manifest_repeats_a_field => {
        let mut r = Raw::parse(&valid_bytes());
        let m = r.manifest().to_string().replacen('{', "{\"target\":\"neg-mamba\",", 1);
        r.metadata.as_mut().unwrap().insert(MANIFEST_KEY.into(), Value::String(m));
        r.to_bytes()
    };
    manifest_unknown_field => with_manifest(|m| m["series_orders"] = json!([6, 3, 1]));
    manifest_unknown_group_field => with_manifest(|m| m["group"]["order"] = json!(6));
    wrong_format_name => with_manifest(|m| m["format"] = json!("onnx"));
    future_version => with_manifest(|m| m["format_version"] = json!(8));
    // Versions 5 and 6 are for permutation groups without a table.
    version_5_with_a_table => with_manifest(|m| m["format_version"] = json!(5));
    version_6_with_a_table => with_manifest(|m| m["format_version"] = json!(6));
    // Version 7 is for pc presentations.
    version_7_with_a_table => with_manifest(|m| m["format_version"] = json!(7));
    older_version => with_manifest(|m| m["format_version"] = json!(1));
    unknown_float_dtype => with_manifest(|m| m["dtype"] = json!("float16"));
    dtype_disagrees_with_the_tensors => with_manifest(|m| m["dtype"] = json!("float64"));
    other_convention => with_manifest(|m| m["convention"] = json!("right-to-left"));
    unknown_target => with_manifest(|m| m["target"] = json!("lstm"));
    // Complex cube roots of unity are not ±1.
    neg_mamba_over_cube_roots => {
        let mut r = Raw::parse(&valid_bytes());
        r.tensors.retain(|t| !t.name.ends_with("transition.phase"));
        let mut m = r.manifest();
        m["target"] = json!("neg-mamba");
        r.set_manifest(&m);
        r.to_bytes()
    };
    phases_on_a_target_without_phases => with_manifest(|m| m["target"] = json!("neg-mamba"));
    outputs_disagree_with_the_table => with_manifest(|m| { m["outputs"].as_array_mut().unwrap().pop(); });
    no_tokens => with_manifest(|m| m["tokens"] = json!([]));
    // Labels are words in the generators that evaluate to their elements.
    token_labels_swapped => with_manifest(|m| { m["tokens"][1] = json!("r^2"); m["tokens"][2] = json!("r"); });
    output_labels_swapped => with_manifest(|m| { m["outputs"][1] = json!("r^2"); m["outputs"][2] = json!("r"); });
    output_labels_identical => with_manifest(|m| m["outputs"] = json!(vec!["r"; 6]));
    token_label_not_a_word => with_manifest(|m| m["tokens"][4] = json!("rho"));
    token_label_bad_exponent => with_manifest(|m| m["tokens"][4] = json!("r^x"));
    generator_names_repeated => with_manifest(|m| m["group"]["generators"] = json!(["r", "r"]));
    generator_named_like_the_identity => with_manifest(|m| m["group"]["generators"] = json!(["e", "s"]));
    generator_name_not_an_identifier => with_manifest(|m| m["group"]["generators"] = json!(["r*s", "s"]));
    generator_element_wrong => with_tensor("group.generators", |t| t.set_i32(0, 2));
    // Tensors present or not.
    missing_tensor => { let mut r = Raw::parse(&valid_bytes()); r.tensors.retain(|t| t.name != "layer.0.cocycle"); r.to_bytes() };
    missing_phase_tensor => { let mut r = Raw::parse(&valid_bytes()); r.tensors.retain(|t| t.name != "layer.1.transition.phase"); r.to_bytes() };
    extra_tensor => { let mut r = Raw::parse(&valid_bytes()); r.tensors.push(RawTensor { name: "layer.1.cocycle".into(), dtype: "I32".into(), shape: vec![3, 3], data: vec![0; 36] }); r.to_bytes() };
    // Dtypes and shapes.
    table_stored_as_float => with_tensor("readout", |t| t.dtype = "F32".into());
    float_stored_as_f64 => with_tensor("layer.0.input.re", |t| { t.dtype = "F64".into(); t.data.extend(vec![0; t.data.len()]); });
    table_stored_as_i64 => with_tensor("tokens.element", |t| { t.dtype = "I64".into(); t.data.extend(vec![0; t.data.len()]); });
    wrong_shape => with_tensor("layer.1.transition.re", |t| t.shape = vec![1, 3]);
    wrong_rank => with_tensor("group.table", |t| t.shape = vec![36]);
    // Table entries.
    negative_table_entry => with_tensor("readout", |t| t.set_i32(4, -1));
    token_element_out_of_range => with_tensor("tokens.element", |t| t.set_i32(5, 6));
    cocycle_entry_past_next_layers_tokens => with_tensor("layer.0.cocycle", |t| t.set_i32(7, 3));
    readout_entry_past_order => with_tensor("readout", |t| t.set_i32(5, 6));
    transition_code_past_modulus => with_tensor("layer.1.transition.code", |t| t.set_i32(2, 3));
    negative_transition_code => with_tensor("layer.0.transition.code", |t| t.set_i32(0, i32::MIN));
    modulus_one => with_tensor("layer.0.moduli", |t| t.set_i32(0, 1));
    modulus_zero => with_tensor("layer.1.moduli", |t| t.set_i32(0, 0));
    modulus_over_the_limit => with_tensor("layer.1.moduli", |t| t.set_i32(0, i32::MAX));
    cocycle_table_over_the_limit => {
        // 2^24 state codes × 6 tokens: past the default table limit of 2^26
        // before any table of that size is read or allocated.
        let mut r = Raw::parse(&valid_bytes());
        r.tensor("layer.0.moduli").set_i32(0, 1 << 24);
        r.to_bytes()
    };
    readout_table_over_the_limit => {
        // Each layer's tables are within the limit (layer 0 has 2^13 codes,
        // with a full cocycle table); their joint readout, 2^27, is not.
        let mut r = Raw::parse(&valid_bytes());
        r.tensor("layer.0.moduli").set_i32(0, 1 << 13);
        let c = r.tensor("layer.0.cocycle");
        c.shape = vec![1 << 13, 6];
        c.data = vec![0; (4 * 6) << 13];
        r.tensor("layer.1.moduli").set_i32(0, 1 << 14);
        r.to_bytes()
    };
    nan_transition => with_tensor("layer.0.transition.im", |t| t.set_f32(3, f32::NAN));
    infinite_transition => with_tensor("layer.1.transition.re", |t| t.set_f32(1, f32::INFINITY));
    infinite_initial_state => with_tensor("layer.0.h0.re", |t| t.set_f32(0, f32::NEG_INFINITY));
    nan_input_term => with_tensor("layer.1.input.im", |t| t.set_f32(2, f32::NAN));
    nan_phase => with_tensor("layer.0.transition.phase", |t| t.set_f32(0, f32::NAN));
    // The group table.
    // A valid table for S3, with element ids 0 and 1 exchanged.
    identity_not_element_zero => with_tensor("group.table", |t| {
        let swap = |x: u32| [1, 0, 2, 3, 4, 5][x as usize];
        for g in 0..6 {
            for h in 0..6 {
                t.set_i32(6 * swap(g) as usize + swap(h) as usize, swap(s3_mul(g, h)));
            }
        }
    });
    group_table_row_repeats => with_tensor("group.table", |t| t.set_i32(6 * 2 + 3, 2));
    group_table_column_repeats => with_tensor("group.table", |t| {
        // Swapping two entries inside a row keeps the rows permutations
        // and breaks two columns.
        let (a, b) = (6 * 4 + 2, 6 * 4 + 3);
        let (x, y) = (s3_mul(4, 2) as i32, s3_mul(4, 3) as i32);
        t.set_i32(a, y);
        t.set_i32(b, x);
    });
}

/// Limits hold for files whose shapes agree: loaded with small limits, the
/// valid S3 file is too large.
#[test]
fn limits_are_checked_on_consistent_files() {
    let bytes = valid_bytes();
    let small = |f: fn(&mut LoadLimits)| {
        let mut l = LoadLimits::default();
        f(&mut l);
        rejection_within(&bytes, &l)
    };
    assert_eq!(
        small(|l| l.max_order = 5),
        "model exceeds a load limit: 6 output labels (group elements or automaton states) is outside 1..=5"
    );
    assert_eq!(
        small(|l| l.max_layers = 1),
        "model exceeds a load limit: 2 layers (at most 1)"
    );
    assert_eq!(
        small(|l| l.max_table = 5),
        "model exceeds a load limit: 6 tokens (need 1..=5)"
    );
    assert_eq!(
        small(|l| l.max_width = 0),
        "inconsistent model: layer 0 has width 1 (need 1..=0)"
    );
}

/// A non-f32 value in a float32 model is refused by validation (the
/// encoder could not store it exactly).
#[test]
fn floats_must_be_representable_in_the_stored_dtype() {
    let mut m = s3_model();
    m.diagonal_mut().expect("diagonal").layers[0].a_re[0] = 1.0 + f64::EPSILON;
    let e = validate(m, &LoadLimits::default()).unwrap_err().to_string();
    assert_eq!(
        e,
        "inconsistent model: `layer.0.transition.re` entry 0 (1.0000000000000002e0) is not a float32 value"
    );
}
