//! The one-layer targets (rnn, pd-ssm, deltaproduct) and start tokens, end
//! to end through the CLI: compile, verify (proof, exhaustive check,
//! horizon), and run against products computed here by multiplying
//! permutations.

use std::path::{Path, PathBuf};
use std::process::Command;

const GSSM: &str = env!("CARGO_BIN_EXE_gssm");

fn seed() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("stdlib/seed.gssm")
        .to_str()
        .unwrap()
        .to_string()
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("nondiagonal");
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

fn compile(group: &str, target: &str, extra: &[&str]) -> PathBuf {
    // Tests run in parallel threads named after them: each its own file.
    let test = std::thread::current().name().unwrap_or("main").to_string();
    let out = tmp(&format!(
        "{test}.{group}.{target}{}.safetensors",
        extra.join("")
    ));
    let s = seed();
    let mut args = vec!["compile", &s, "-g", group, "--target", target, "-o"];
    args.push(out.to_str().unwrap());
    args.extend_from_slice(extra);
    let (code, text) = gssm(&args);
    assert_eq!(code, 0, "compile {group} {target} {extra:?}: {text}");
    out
}

fn verify_json(model: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["verify", model.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let (code, text) = gssm(&args);
    assert_eq!(code, 0, "verify {}: {text}", model.display());
    let start = text.find('{').expect("json");
    serde_json::from_str(&text[start..text.rfind('}').unwrap() + 1]).expect("json report")
}

/// The matrix: every group × every one-layer target compiles and
/// verifies (rnn over the generators and their inverses).
#[test]
fn every_group_compiles_to_every_one_layer_target() {
    for group in ["S3", "A5", "S5", "PSL27", "SL25"] {
        for target in ["rnn", "pd-ssm", "deltaproduct"] {
            let extra: &[&str] = if target == "rnn" {
                &["--alphabet", "generators+inverses"]
            } else {
                &[]
            };
            let m = compile(group, target, extra);
            let r = verify_json(
                &m,
                &["--length", "3", "--horizon-len", "2000", "--dtypes", "f32"],
            );
            assert_eq!(r["ok"], true, "{group} {target}: {r}");
            assert_eq!(r["proof"]["ok"], true, "{group} {target}");
            assert_eq!(r["exhaustive"]["mismatches"], 0, "{group} {target}: {r}");
            // rnn and pd-ssm are exact: the proof says why the horizon is
            // infinite.
            if target != "deltaproduct" {
                assert!(
                    r["proof"]["horizon"]
                        .as_str()
                        .unwrap_or("")
                        .starts_with("infinite"),
                    "{group} {target}: {r}"
                );
            }
        }
    }
}

/// DeltaProduct in f32 stays right for at least 10^5 steps.
#[test]
fn deltaproduct_f32_horizon_reaches_1e5() {
    for group in ["A5", "S5"] {
        let m = compile(
            group,
            "deltaproduct",
            &["--alphabet", "generators+inverses"],
        );
        let r = verify_json(
            &m,
            &[
                "--length",
                "4",
                "--horizon-len",
                "100000",
                "--horizon-seqs",
                "2",
                "--dtypes",
                "f32",
            ],
        );
        assert_eq!(r["horizons"][0]["dtype"], "f32");
        assert!(r["horizons"][0]["horizon"].is_null(), "{group}: {r}");
    }
}

/// The least faithful degrees the engine finds give the PD-SSM widths.
#[test]
fn pd_ssm_widths_are_the_least_degrees() {
    for (group, degree) in [("S5", 5), ("A5", 5), ("PSL27", 7), ("S3", 3)] {
        let m = compile(group, "pd-ssm", &[]);
        let r = verify_json(&m, &["--length", "2", "--horizon-len", "0"]);
        assert_eq!(r["widths"], serde_json::json!([degree]), "{group}: {r}");
    }
}

/// The diagonal targets still refuse non-solvable groups, and now point to
/// the one-layer targets.
#[test]
fn diagonal_targets_refuse_nonsolvable_groups() {
    for group in ["A5", "S5"] {
        for target in ["aussm", "neg-mamba", "signed-mamba"] {
            let out = tmp(&format!("{group}.{target}.refused"));
            let s = seed();
            let (code, text) = gssm(&[
                "compile",
                &s,
                "-g",
                group,
                "--target",
                target,
                "-o",
                out.to_str().unwrap(),
            ]);
            assert_ne!(code, 0, "{group} {target}");
            assert!(text.contains("rnn, pd-ssm and deltaproduct"), "{text}");
        }
    }
}

/// Every target with a start token: the model runs from the zero state.
#[test]
fn start_tokens_verify_on_every_target() {
    for target in ["aussm", "neg-mamba", "rnn", "pd-ssm", "deltaproduct"] {
        // neg-mamba tracks 2-groups only.
        let group = if target == "neg-mamba" { "Q8" } else { "S3" };
        let m = compile(
            group,
            target,
            &["--bos", "--alphabet", "generators+inverses"],
        );
        let r = verify_json(
            &m,
            &["--length", "6", "--horizon-len", "1000", "--dtypes", "f32"],
        );
        assert_eq!(r["ok"], true, "{target}: {r}");
        // A sequence without the start token is refused.
        let (code, text) = gssm(&["run", m.to_str().unwrap(), "--tokens", "0 1"]);
        assert_ne!(code, 0, "{target}");
        assert!(text.contains("start token"), "{text}");
    }
}

// Permutations of 5 points as images (0-based), composed left to right:
// (p*q)[i] = q[p[i]], GAP's convention.
fn mul(p: &[usize], q: &[usize]) -> Vec<usize> {
    p.iter().map(|&i| q[i]).collect()
}

fn inv(p: &[usize]) -> Vec<usize> {
    let mut r = vec![0; p.len()];
    for (i, &x) in p.iter().enumerate() {
        r[x] = i;
    }
    r
}

/// S5's running products from `gssm run` equal those computed here, on
/// every one-layer target.
#[test]
fn s5_outputs_are_permutation_products() {
    let c = vec![1, 2, 3, 4, 0]; // (1,2,3,4,5)
    let t = vec![1, 0, 2, 3, 4]; // (1,2)
    let tokens = [("c", c.clone()), ("c^-1", inv(&c)), ("t", t.clone())];
    let mut rng = 0x1234_5678_9abc_def0u64;
    let mut seq = Vec::new();
    for _ in 0..300 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        seq.push((rng % 3) as usize);
    }
    let words: Vec<&str> = seq.iter().map(|&i| tokens[i].0).collect();
    for target in ["rnn", "pd-ssm", "deltaproduct"] {
        let m = compile("S5", target, &["--alphabet", "generators+inverses"]);
        let (code, text) = gssm(&["run", m.to_str().unwrap(), "--tokens", &words.join(" ")]);
        assert_eq!(code, 0, "{target}: {text}");
        let outs: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(outs.len(), seq.len(), "{target}");
        // The output labels are words in c and t: evaluate them here.
        let eval = |w: &str| -> Vec<usize> {
            let mut g: Vec<usize> = (0..5).collect();
            if w == "e" {
                return g;
            }
            for f in w.split('*') {
                let (name, e) = f
                    .split_once('^')
                    .map_or((f, 1i64), |(n, e)| (n, e.parse().unwrap()));
                let base = if name == "c" { c.clone() } else { t.clone() };
                let base = if e < 0 { inv(&base) } else { base };
                for _ in 0..e.abs() {
                    g = mul(&g, &base);
                }
            }
            g
        };
        let mut g: Vec<usize> = (0..5).collect();
        for (step, &i) in seq.iter().enumerate() {
            g = mul(&g, &tokens[i].1);
            assert_eq!(eval(outs[step]), g, "{target} step {step}");
        }
    }
}

/// The rnn export loads as torch.nn.RNN's state dict: exactly its four
/// tensors, with its shapes.
#[test]
fn torch_rnn_export_has_torch_names_and_shapes() {
    let m = compile("S3", "rnn", &["--alphabet", "generators+inverses"]);
    let dir = tmp("s3-torch");
    let (code, text) = gssm(&[
        "export",
        m.to_str().unwrap(),
        "--format",
        "torch-rnn",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{text}");
    let bytes = std::fs::read(dir.join("rnn.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort();
    assert_eq!(
        names,
        ["bias_hh_l0", "bias_ih_l0", "weight_hh_l0", "weight_ih_l0"]
    );
    // H = |S3| × 3 tokens = 18, V = 3.
    assert_eq!(st.tensor("weight_ih_l0").unwrap().shape(), [18, 3]);
    assert_eq!(st.tensor("weight_hh_l0").unwrap().shape(), [18, 18]);
    let cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(cfg["rnn"]["hidden_size"], 18);
    // Other targets are refused with the reason.
    let pd = compile("S3", "pd-ssm", &[]);
    let (code, text) = gssm(&["export", pd.to_str().unwrap(), "-o", dir.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(text.contains("--target rnn"), "{text}");
}

/// The rnn construction for all 120 elements of S5 is refused before it is
/// built, with its size and the smaller alphabet to use.
#[test]
fn oversized_rnn_is_refused_with_an_estimate() {
    let out = tmp("S5.rnn.elements");
    let s = seed();
    let (code, text) = gssm(&[
        "compile",
        &s,
        "-g",
        "S5",
        "--target",
        "rnn",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(text.contains("14400"), "{text}");
    assert!(text.contains("--alphabet generators"), "{text}");
    assert!(!out.exists());
}
