//! Shared by the root tests and benches: stdlib models compiled in-process
//! and seeded token batches.
#![allow(dead_code)]

use gssm_compiler::construct::Alphabet;
use gssm_compiler::elaborate::load_file;
use gssm_compiler::group::Limits;
use gssm_compiler::pipeline::{compile, Options};
use gssm_compiler::target;
use gssm_runtime::format::{load, FloatDtype, LoadLimits};
use gssm_runtime::tokens::Tokens;
use gssm_runtime::valid::ValidModel;
use std::path::Path;

/// Compile a group of stdlib/seed.gssm and load it back from its bytes, as
/// `gssm compile` followed by `gssm run` would.
pub fn stdlib_model(group: &str, target_name: &str, dtype: FloatDtype) -> ValidModel {
    stdlib_model_with(group, target_name, &Options::new(Alphabet::Elements, dtype))
}

/// [`stdlib_model`] with any compile options.
pub fn stdlib_model_with(group: &str, target_name: &str, opts: &Options) -> ValidModel {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib/seed.gssm");
    let program = load_file(&path, &Limits::default()).unwrap_or_else(|d| panic!("{}", d.message));
    let e = program
        .eval(group)
        .unwrap_or_else(|d| panic!("{group}: {}", d.message));
    let t = target::by_name(target_name).expect("target exists");
    let (_, bytes) = compile(&e.group, &e.origin(), t, opts)
        .unwrap_or_else(|d| panic!("{group} for {target_name}: {}", d.message));
    load(&bytes, &LoadLimits::default()).expect("the compiler's file loads")
}

/// `batch` seeded random sequences of `len` valid tokens.
pub fn tokens(model: &ValidModel, batch: usize, len: usize, seed: u64) -> Tokens {
    let ids = random_ids(model.num_tokens(), batch * len, seed);
    Tokens::new(model, batch, len, ids).expect("valid tokens")
}

/// `count` seeded random token ids below `v`.
pub fn random_ids(v: usize, count: usize, mut seed: u64) -> Vec<u32> {
    (0..count)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % v as u64) as u32
        })
        .collect()
}

/// Run the gssm binary with `args`: its stdout, stderr and exit code.
pub fn gssm(args: &[&str]) -> (String, String, i32) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gssm"))
        .args(args)
        .output()
        .expect("run gssm");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

pub fn cycles(cs: &[Vec<u64>]) -> String {
    cs.iter()
        .map(|c| {
            let pts: Vec<String> = c.iter().map(u64::to_string).collect();
            format!("({})", pts.join(","))
        })
        .collect()
}

/// `group NAME = perm(n) { … }` from generators as lists of cycles.
pub fn perm_group(name: &str, degree: u64, gens: &[Vec<Vec<u64>>]) -> String {
    let gens: Vec<String> = gens.iter().map(|g| cycles(g)).collect();
    format!("group {name} = perm({degree}) {{ {} }}\n", gens.join(", "))
}

/// The Sylow p-subgroup of S_{p^k}, C_p wr … wr C_p (k copies): generator
/// j cycles the p blocks of size p^(j-1) inside the first block of size
/// p^j. Each level's generator with the conjugates of the levels below
/// makes P_j = P_(j-1) wr C_p.
pub fn iterated_wreath(name: &str, p: u64, k: u32) -> String {
    perm_group(name, p.pow(k), &wreath_generators(p, k))
}

/// The generators of [`iterated_wreath`], as lists of 1-based cycles.
pub fn wreath_generators(p: u64, k: u32) -> Vec<Vec<Vec<u64>>> {
    (1..=k)
        .map(|j| {
            let h = p.pow(j - 1);
            (1..=h)
                .map(|i| (0..p).map(|m| i + m * h).collect())
                .collect()
        })
        .collect()
}

/// AGL(1, p) on the points x + 1 for x in Z/p: the translation x -> x+1
/// and the multiplication x -> g·x by a primitive root g.
pub fn agl1(name: &str, p: u64, g: u64) -> String {
    let translate = vec![(1..=p).collect::<Vec<u64>>()];
    let mut cycle = Vec::new();
    let mut x = 1;
    for _ in 0..p - 1 {
        cycle.push(x + 1);
        x = x * g % p;
    }
    assert_eq!(x, 1);
    perm_group(name, p, &[translate, vec![cycle]])
}

/// `gssm check FILE ARGS…`: stdout, stderr, exit code.
pub fn gssm_check(file: &Path, args: &[&str]) -> (String, String, i32) {
    let file = file.to_str().expect("a UTF-8 path");
    gssm(&[&["check", file][..], args].concat())
}

/// A source file holding `text`, in a fresh directory per test (`kind`
/// names the test file, `test` the test).
pub fn check_source(kind: &str, test: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gssm-{kind}-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.gssm");
    std::fs::write(&file, text).unwrap();
    file
}

/// `gssm check FILE NAME --json`, which must succeed.
pub fn check_json(file: &Path, name: &str) -> serde_json::Value {
    let (out, err, code) = gssm_check(file, &[name, "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("valid JSON")
}

/// Report values as text: numbers and digit strings alike.
pub fn texts(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
        .collect()
}

/// A check report's entry for target `name`.
pub fn target_entry<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == name)
        .unwrap()
}

/// Whether a GPU adapter is present. Without one the GPU tests are skipped
/// with a message, except in CI (CI=true), where that is a failure: CI
/// installs Mesa's lavapipe.
pub fn gpu_present() -> bool {
    match gssm_runtime::exec::gpu::adapter() {
        Ok(_) => true,
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI must run the GPU tests, but {e}");
            }
            eprintln!("skipping GPU test: {e}");
            false
        }
    }
}
