//! Files crafted from the ones `gssm compile` writes, each by changing one
//! tensor or manifest field: `gssm verify` must fail on every one and name
//! the tensor or field, while the unmodified file passes.

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const GSSM: &str = env!("CARGO_BIN_EXE_gssm");

fn seed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib/seed.gssm")
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("verify_crafted");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn gssm(args: &[&str]) -> (i32, String) {
    let out = Command::new(GSSM).args(args).output().expect("run gssm");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn compile(group: &str, dtype: &str) -> Vec<u8> {
    // One file per test thread: tests run in parallel, and one must not read
    // a file another is still writing.
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    let out = tmp(&format!("{group}.{dtype}.{thread}.safetensors"));
    let seed = seed();
    let (code, text) = gssm(&[
        "compile",
        seed.to_str().unwrap(),
        "-g",
        group,
        "--dtype",
        dtype,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{text}");
    std::fs::read(out).unwrap()
}

/// A weight file as editable parts.
struct File {
    manifest: Value,
    tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)>,
}

impl File {
    fn parse(bytes: &[u8]) -> File {
        let st = SafeTensors::deserialize(bytes).unwrap();
        let (_, meta) = SafeTensors::read_metadata(bytes).unwrap();
        let manifest = serde_json::from_str(&meta.metadata().as_ref().unwrap()["gssm"]).unwrap();
        let mut tensors: Vec<_> = st
            .tensors()
            .into_iter()
            .map(|(n, t)| (n, t.dtype(), t.shape().to_vec(), t.data().to_vec()))
            .collect();
        tensors.sort_by(|a, b| a.0.cmp(&b.0));
        File { manifest, tensors }
    }

    fn bytes(&self) -> Vec<u8> {
        let views: Vec<(String, TensorView)> = self
            .tensors
            .iter()
            .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
            .collect();
        let meta = HashMap::from([("gssm".to_string(), self.manifest.to_string())]);
        safetensors::tensor::serialize(views, Some(meta)).unwrap()
    }

    fn data(&mut self, name: &str) -> &mut Vec<u8> {
        &mut self
            .tensors
            .iter_mut()
            .find(|t| t.0 == name)
            .unwrap_or_else(|| panic!("no tensor {name}"))
            .3
    }

    fn f32s(&mut self, name: &str, f: impl Fn(usize, f32) -> f32) {
        let d = self.data(name);
        for (i, c) in d.chunks_exact_mut(4).enumerate() {
            let x = f(i, f32::from_le_bytes(c.try_into().unwrap()));
            c.copy_from_slice(&x.to_le_bytes());
        }
    }

    fn f64s(&mut self, name: &str, f: impl Fn(usize, f64) -> f64) {
        let d = self.data(name);
        for (i, c) in d.chunks_exact_mut(8).enumerate() {
            let x = f(i, f64::from_le_bytes(c.try_into().unwrap()));
            c.copy_from_slice(&x.to_le_bytes());
        }
    }
}

/// `gssm verify` on `bytes`, with extra arguments.
fn verify(name: &str, bytes: &[u8], extra: &[&str]) -> (i32, String) {
    let path = tmp(name);
    std::fs::write(&path, bytes).unwrap();
    let mut args = vec![
        "verify",
        path.to_str().unwrap(),
        "-L",
        "3",
        "--horizon-len",
        "0",
    ];
    args.extend_from_slice(extra);
    gssm(&args)
}

/// Verify must fail with a message containing every one of `needles`.
fn rejected(name: &str, bytes: &[u8], extra: &[&str], needles: &[&str]) {
    let (code, text) = verify(name, bytes, extra);
    assert_eq!(code, 1, "{name}: verify must fail:\n{text}");
    for n in needles {
        assert!(text.contains(n), "{name}: message lacks {n:?}:\n{text}");
    }
}

#[test]
fn unmodified_files_pass() {
    let seed = seed();
    for (group, dt) in [("S3", "f32"), ("C60", "f32"), ("C60", "f64")] {
        let (code, text) = verify(&format!("ok-{group}-{dt}"), &compile(group, dt), &[]);
        assert_eq!(code, 0, "{group} {dt}:\n{text}");
        assert!(text.contains("bit for bit"), "{text}");
    }
    let (code, text) = verify(
        "ok-source",
        &compile("S3", "f32"),
        &["--source", seed.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("S3 is the source's group"), "{text}");
}

#[test]
fn perturbed_floats_fail_the_proof() {
    let s3 = compile("S3", "f32");
    let edit = |f: &dyn Fn(&mut File)| {
        let mut file = File::parse(&s3);
        f(&mut file);
        file.bytes()
    };
    // The PyTorch module reads phases: they are checked like everything else.
    let b = edit(&|f| f.f32s("layer.1.transition.phase", |_, _| 0.0));
    rejected(
        "phase0",
        &b,
        &[],
        &["proof: FAILED", "`layer.1.transition.phase`"],
    );
    let b = edit(&|f| f.f32s("layer.1.transition.re", |_, x| x + 9e-7));
    rejected(
        "re+9e-7",
        &b,
        &[],
        &["proof: FAILED", "`layer.1.transition.re`"],
    );
    // One ulp anywhere is a different model.
    let b = edit(&|f| {
        f.f32s("layer.0.transition.im", |i, x| {
            if i == 3 {
                f32::from_bits(x.to_bits() + 1)
            } else {
                x
            }
        })
    });
    rejected("im+ulp", &b, &[], &["`layer.0.transition.im` entry 3"]);
    let b = edit(&|f| f.f32s("layer.0.h0.im", |_, _| 1e-3));
    rejected("h0.im", &b, &[], &["`layer.0.h0.im`"]);
    let b = edit(&|f| f.f32s("layer.1.input.re", |i, x| if i == 2 { 1e-9 } else { x }));
    rejected("b", &b, &[], &["`layer.1.input.re` entry 2"]);
    let b = edit(&|f| {
        f.f32s(
            "layer.1.transition.re",
            |i, x| if i == 1 { f32::NAN } else { x },
        )
    });
    rejected(
        "nan",
        &b,
        &[],
        &["`layer.1.transition.re` entry 1 is not finite"],
    );

    // A small phase error on one C60 token: in f32 (3e-7 rad) and in f64
    // (9e-7 rad), written consistently into re, im and phase.
    for (dt, err) in [("f32", 3e-7f64), ("f64", 9e-7)] {
        let c60 = compile("C60", dt);
        let mut f = File::parse(&c60);
        let t = std::f64::consts::TAU / 60.0 + err;
        if dt == "f32" {
            f.f32s("layer.0.transition.re", |i, x| {
                if i == 1 {
                    t.cos() as f32
                } else {
                    x
                }
            });
            f.f32s("layer.0.transition.im", |i, x| {
                if i == 1 {
                    t.sin() as f32
                } else {
                    x
                }
            });
            f.f32s("layer.0.transition.phase", |i, x| {
                if i == 1 {
                    t as f32
                } else {
                    x
                }
            });
        } else {
            f.f64s(
                "layer.0.transition.re",
                |i, x| if i == 1 { t.cos() } else { x },
            );
            f.f64s(
                "layer.0.transition.im",
                |i, x| if i == 1 { t.sin() } else { x },
            );
            f.f64s(
                "layer.0.transition.phase",
                |i, x| if i == 1 { t } else { x },
            );
        }
        rejected(
            &format!("c60-{dt}"),
            &f.bytes(),
            &[],
            &[
                "proof: FAILED",
                "`layer.0.transition.re` entry 1 (token 1, component 0)",
            ],
        );
    }
}

#[test]
fn lying_manifests_are_refused() {
    let s3 = compile("S3", "f32");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut file = File::parse(&s3);
        f(&mut file.manifest);
        file.bytes()
    };
    let outputs: Vec<String> =
        serde_json::from_value(File::parse(&s3).manifest["outputs"].clone()).unwrap();
    // Two labels of mutually inverse elements (order 3), swapped.
    let c = outputs
        .iter()
        .position(|l| l.ends_with("^-1"))
        .expect("an inverse label");
    let c_inv = outputs
        .iter()
        .position(|l| format!("{l}^-1") == outputs[c])
        .expect("its inverse's label");
    let b = with(&|m| {
        let (x, y) = (m["outputs"][c].clone(), m["outputs"][c_inv].clone());
        m["outputs"][c] = y;
        m["outputs"][c_inv] = x;
    });
    rejected("outputs-swapped", &b, &[], &["manifest `outputs["]);
    let b = with(&|m| {
        let (x, y) = (m["tokens"][c].clone(), m["tokens"][c_inv].clone());
        m["tokens"][c] = y;
        m["tokens"][c_inv] = x;
    });
    rejected("tokens-swapped", &b, &[], &["manifest `tokens["]);
    let b = with(&|m| m["outputs"] = json!(vec![outputs[1].clone(); 6]));
    rejected("identical", &b, &[], &["manifest `outputs["]);
    let b = with(&|m| m["target"] = json!("lstm"));
    rejected("lstm", &b, &[], &["`target` is 'lstm'"]);
    let b = with(&|m| m["target"] = json!("neg-mamba"));
    rejected("neg-mamba", &b, &[], &["neg-mamba"]);
    // Without the phase tensors, so only the transitions' class remains.
    let mut file = File::parse(&s3);
    file.manifest["target"] = json!("neg-mamba");
    file.tensors.retain(|t| !t.0.ends_with(".phase"));
    rejected(
        "neg-mamba-no-phase",
        &file.bytes(),
        &[],
        &["a neg-mamba layer cannot realise a cyclic factor of that order"],
    );
    for field in ["series_orders", "layers", "order"] {
        let b = with(&|m| m[field] = json!([6, 3, 1]));
        rejected(field, &b, &[], &[&format!("unknown field `{field}`")]);
    }
    let b = with(&|m| m["convention"] = json!("right-to-left"));
    rejected("convention", &b, &[], &["`convention`"]);
    let b = with(&|m| m["group"]["generators"] = json!(["x", "y"]));
    rejected("generators", &b, &[], &["is not a generator"]);
    let b = with(&|m| m["dtype"] = json!("float64"));
    rejected("dtype", &b, &[], &["has dtype F32, expected F64"]);
    // A name is checked against the source that defines it.
    let seed = seed();
    let b = with(&|m| m["group"]["name"] = json!("A5"));
    rejected(
        "a5",
        &b,
        &["--source", seed.to_str().unwrap()],
        &["is not A5 as"],
    );
    let b = with(&|m| m["group"]["name"] = json!("C6"));
    rejected("c6", &b, &["--source", seed.to_str().unwrap()], &["not C6"]);
}

#[test]
fn a_shard_says_it_is_a_shard() {
    // The CPU backends refuse shards; the report of a whole check names no
    // shard and counts every sequence.
    let s3 = compile("S3", "f32");
    let (code, text) = verify("whole", &s3, &["--json"]);
    assert_eq!(code, 0, "{text}");
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["exhaustive_shard"], Value::Null);
    assert_eq!(r["exhaustive_expected"], json!(6 + 36 + 216));
    assert_eq!(r["exhaustive"]["sequences"], json!(6 + 36 + 216));
    assert_eq!(r["proof"]["dtype"], json!("float32"));
    let (code, text) = verify("shard-cpu", &s3, &["--shard", "0/3"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("--backend gpu"), "{text}");
}
