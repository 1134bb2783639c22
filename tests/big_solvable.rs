//! Solvable permutation groups past the element limit compile to aussm
//! stacks without a Cayley table (format version 5): one layer per term of
//! the derived series, each abelian factor listed through a polycyclic
//! sequence, the readout numbering the running product by the chain's
//! normal form. Outputs are checked against running products multiplied
//! here from the groups' definitions, and the layers' shape against the
//! same group compiled with its elements listed (the path the GAP oracle
//! checks).

mod common;

use common::{agl1, gpu_present, gssm, perm_group, random_ids, wreath_generators};
use gssm_compiler::verify::proof;
use gssm_runtime::exec::{build, Backend};
use gssm_runtime::format::{decode, encode, load, LoadLimits};
use gssm_runtime::ir::Net;
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::Tokens;
use gssm_runtime::valid::{validate, ValidModel};
use serde_json::Value;
use std::path::PathBuf;

fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("gssm-big-solvable-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `gssm compile` of `text` with `args` after the source: its stderr, exit
/// code and output path.
fn run_compile(test: &str, text: &str, args: &[&str]) -> (String, i32, PathBuf) {
    let d = dir(test);
    let src = d.join("g.gssm");
    std::fs::write(&src, text).unwrap();
    let out = d.join("g.safetensors");
    let mut all = vec![
        "compile",
        src.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let (_, err, code) = gssm(&all);
    (err, code, out)
}

/// A compile that must succeed: the output's path and bytes.
fn compile(test: &str, text: &str, args: &[&str]) -> (PathBuf, Vec<u8>) {
    let (err, code, out) = run_compile(test, text, args);
    assert_eq!(code, 0, "{test}: {err}");
    let bytes = std::fs::read(&out).unwrap();
    (out, bytes)
}

/// Each layer's moduli and token count.
fn shape(m: &ValidModel) -> Vec<(Vec<u32>, usize)> {
    let Net::Diagonal(d) = &m.net else {
        panic!("a diagonal stack")
    };
    d.layers
        .iter()
        .map(|l| (l.moduli.clone(), l.num_tokens))
        .collect()
}

/// The permutation of 0..n given by 1-based cycles, as images.
fn from_cycles(n: usize, cycles: &[Vec<u64>]) -> Vec<u32> {
    let mut p: Vec<u32> = (0..n as u32).collect();
    for c in cycles {
        for (k, &x) in c.iter().enumerate() {
            p[x as usize - 1] = (c[(k + 1) % c.len()] - 1) as u32;
        }
    }
    p
}

fn inverse(p: &[u32]) -> Vec<u32> {
    let mut q = vec![0; p.len()];
    for (i, &x) in p.iter().enumerate() {
        q[x as usize] = i as u32;
    }
    q
}

/// AGL(1, p) on Z/p (point x + 1 for x): x ↦ x + 1 and x ↦ g·x.
fn agl1_perms(p: u32, g: u32) -> [Vec<u32>; 2] {
    [
        (0..p).map(|x| (x + 1) % p).collect(),
        (0..p).map(|x| x * g % p).collect(),
    ]
}

/// Outputs of random sequences (reference in f32 and f64, and the JIT) are
/// the running products of `perms` (token id → permutation, p·q applies p
/// first; `bos`: the last token resets), multiplied here.
fn outputs_are_running_products(model: &ValidModel, perms: &[Vec<u32>], bos: bool) {
    let p = model.perm().expect("a permutation truth");
    let n = p.degree;
    let mut toks = random_ids(model.num_tokens(), 6 * 200, 11);
    if bos {
        // Every sequence starts with the start token; more come at random.
        for (i, x) in toks.iter_mut().enumerate() {
            if i % 200 == 0 || i % 37 == 5 {
                *x = perms.len() as u32;
            }
        }
    }
    let toks = Tokens::new(model, 6, 200, toks).unwrap();
    let mut runs = Vec::new();
    for (backend, dtype) in [
        (Backend::Reference, Dtype::F32),
        (Backend::Reference, Dtype::F64),
        (Backend::Jit, Dtype::F32),
    ] {
        runs.push(build(model, backend, dtype).unwrap().run(&toks).unwrap());
    }
    // The GPU runs version-5 files as any diagonal model: the readout's ids
    // are the normal form's.
    if gpu_present() {
        runs.push(
            build(model, Backend::Gpu, Dtype::F32)
                .unwrap()
                .run(&toks)
                .unwrap(),
        );
    }
    for b in 0..toks.batch() {
        let mut g: Vec<u32> = (0..n as u32).collect();
        for (t, &x) in toks.row(b).iter().enumerate() {
            if bos && x as usize == perms.len() {
                g = (0..n as u32).collect();
            } else {
                g = g.iter().map(|&i| perms[x as usize][i as usize]).collect();
            }
            for out in &runs {
                assert_eq!(
                    p.unrank(out[b * toks.len() + t]),
                    g,
                    "sequence {b} step {t}"
                );
            }
        }
    }
}

#[test]
fn agl_1_31_past_the_element_limit_has_the_listed_groups_layers_and_verifies() {
    let text = agl1("AGL", 31, 3);
    let common = ["--target", "aussm", "--alphabet", "generators+inverses"];
    let (path, bytes) = compile(
        "agl31",
        &text,
        &[&common[..], &["--max-elements", "100"]].concat(),
    );
    let model = load(&bytes, &LoadLimits::default()).unwrap();
    assert_eq!(model.manifest.format_version, 5);
    assert_eq!(model.order(), 930);
    assert!(model.group().is_none() && model.manifest.outputs.is_empty());
    assert_eq!(encode(&model).unwrap(), bytes);
    // AGL(1, 31) = C31 ⋊ C30: G/G' = C30 on the tokens, G' = C31 on its
    // 31 elements; the listed group compiles to the same layers.
    let (_, listed) = compile("agl31-listed", &text, &common);
    let listed = load(&listed, &LoadLimits::default()).unwrap();
    assert_eq!(listed.manifest.format_version, 4);
    assert_eq!(shape(&model), vec![(vec![30], 4), (vec![31], 31)]);
    assert_eq!(shape(&model), shape(&listed));

    let [t, m] = agl1_perms(31, 3);
    let perms = [t.clone(), inverse(&t), m.clone(), inverse(&m)];
    outputs_are_running_products(&model, &perms, false);

    let (out, err, code) = gssm(&[
        "verify",
        path.to_str().unwrap(),
        "--length",
        "5",
        "--horizon-len",
        "5000",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["proof"]["ok"], true);
    // The state search reaches every element once.
    assert_eq!(v["proof"]["states"], 930);
    assert_eq!(v["exhaustive"]["mismatches"], 0);
    assert_eq!(
        v["exhaustive"]["sequences"],
        (1..=5).map(|l| 4u64.pow(l)).sum::<u64>()
    );
    for h in v["horizons"].as_array().unwrap() {
        assert_eq!(h["max_len"], 5000);
    }
    // The GPU's exhaustive check multiplies the permutations for its truth
    // as the CPU's does.
    if gpu_present() {
        let (out, err, code) = gssm(&[
            "verify",
            path.to_str().unwrap(),
            "--backend",
            "gpu",
            "--length",
            "4",
            "--horizon-len",
            "0",
            "--closure-limit",
            "0",
            "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["exhaustive_backend"], "gpu", "{out}");
        assert_eq!(v["exhaustive"]["mismatches"], 0);
        assert_eq!(
            v["exhaustive"]["sequences"],
            (1..=4).map(|l| 4u64.pow(l)).sum::<u64>()
        );
    }
}

#[test]
fn a_wreath_product_times_c3_with_a_start_token_in_primary_coordinates() {
    // C2 wr C2 wr C2 on points 1..8 (order 128) times C3 on 9..11: 384.
    let mut gens = wreath_generators(2, 3);
    gens.push(vec![vec![9, 10, 11]]);
    let text = perm_group("W", 11, &gens);
    let args = [
        "--target",
        "aussm",
        "--alphabet",
        "generators",
        "--bos",
        "--coordinates",
        "primary",
    ];
    let (_, bytes) = compile(
        "wreath",
        &text,
        &[&args[..], &["--max-elements", "100"]].concat(),
    );
    let model = load(&bytes, &LoadLimits::default()).unwrap();
    assert_eq!(model.order(), 384);
    assert_eq!(model.manifest.tokens, ["g1", "g2", "g3", "g4", "<bos>"]);
    let (_, listed) = compile("wreath-listed", &text, &args);
    let listed = load(&listed, &LoadLimits::default()).unwrap();
    assert_eq!(shape(&model), shape(&listed));
    assert_eq!(shape(&model).len(), 3, "derived length of C2 wr C2 wr C2");
    let perms: Vec<Vec<u32>> = gens.iter().map(|g| from_cycles(11, g)).collect();
    outputs_are_running_products(&model, &perms, true);
    assert!(proof(&model).ok);
}

#[test]
fn a_changed_readout_fails_the_proof() {
    let (_, bytes) = compile(
        "lies",
        &agl1("AGL", 13, 2),
        &[
            "--target",
            "aussm",
            "--alphabet",
            "generators",
            "--max-elements",
            "20",
        ],
    );
    let mut m = decode(&bytes).unwrap();
    let Net::Diagonal(d) = &mut m.net else {
        panic!("aussm")
    };
    d.readout.swap(3, 4);
    let v = validate(m, &LoadLimits::default()).unwrap();
    let pr = proof(&v);
    assert!(!pr.ok);
    assert!(pr.failure.unwrap().contains("reads out"));
}

#[test]
fn groups_without_an_aussm_plan_are_errors_with_help() {
    let s5 = "group S5 = perm(5) { c = (1,2,3,4,5), t = (1,2) }\n";
    let agl = agl1("AGL", 13, 2);
    for (text, args, want) in [
        (s5, vec!["--target", "aussm"], "not solvable"),
        (
            agl.as_str(),
            vec!["--target", "neg-mamba"],
            "only aussm and pd-ssm",
        ),
        (
            agl.as_str(),
            vec!["--target", "aussm", "--alphabet", "elements"],
            "too many to make each a token",
        ),
    ] {
        let (err, code, _) = run_compile(
            "errors",
            text,
            &[&["--max-elements", "20"], &args[..]].concat(),
        );
        assert_ne!(code, 0);
        assert!(err.contains(want), "{err}");
        assert!(err.contains("help"), "{err}");
    }
}
