//! Snapshots of `gssm check` for every stdlib group, a few family members,
//! a series hint and the JSON form. The structure numbers in them are
//! checked against GAP elsewhere (compiler/tests/stdlib_oracle.rs); these
//! pin the report's wording and layout.

use std::process::Command;

fn check(args: &[&str]) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_gssm"))
        .arg("check")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run gssm");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr);
    if !err.is_empty() {
        text.push_str("--- stderr ---\n");
        text.push_str(&err);
    }
    (text, out.status.code().unwrap_or(-1))
}

const SEED: [&str; 17] = [
    "C2", "C6", "C24", "C60", "S3", "A4", "A5", "C2xC4", "Q8", "S4", "SL23", "A4xC5", "S5", "S6",
    "PSL27", "SL25", "GL23",
];

#[test]
fn check_every_seed_group() {
    for name in SEED {
        let (out, code) = check(&["stdlib/seed.gssm", name]);
        assert_eq!(code, 0, "{out}");
        insta::assert_snapshot!(format!("seed_{name}"), out);
    }
}

#[test]
fn check_family_members() {
    for expr in [
        "Dihedral(8)",
        "Dihedral(6)",
        "Dicyclic(12)",
        "Quaternion(16)",
        "ElementaryAbelian(2, 3)",
        "AGL1(7)",
        "Symmetric(5)",
        "Alternating(6)",
        "Cyclic(2) x Symmetric(4)",
    ] {
        let (out, code) = check(&["stdlib/families.gssm", expr]);
        assert_eq!(code, 0, "{out}");
        let name: String = expr.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        insta::assert_snapshot!(format!("family_{name}"), out);
    }
}

#[test]
fn check_default_group_and_series_hint() {
    let (out, code) = check(&["tests/data/q8_series.gssm"]);
    assert_eq!(code, 0, "{out}");
    insta::assert_snapshot!("series_hint_q8", out);
}

#[test]
fn check_json() {
    for name in ["SL23", "A5", "C2xC4"] {
        let (out, code) = check(&["stdlib/seed.gssm", name, "--json"]);
        assert_eq!(code, 0, "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(v["name"], name);
        insta::assert_snapshot!(format!("json_{name}"), out);
    }
    let (out, _) = check(&["stdlib/seed.gssm", "A5", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["derived_length"].is_null());
    assert_eq!(v["targets"][0]["reason"], "A5 is perfect: [A5, A5] = A5");
}

#[test]
fn check_errors_exit_non_zero() {
    let (out, code) = check(&["stdlib/families.gssm", "Dihedral(7)"]);
    assert_ne!(code, 0);
    insta::assert_snapshot!("error_dihedral_7", out);
    let (out, code) = check(&["tests/data/missing.gssm"]);
    assert_ne!(code, 0);
    assert!(out.contains("cannot read"), "{out}");
    let (out, code) = check(&["stdlib/seed.gssm", "S4", "--max-elements", "10"]);
    assert_ne!(code, 0);
    insta::assert_snapshot!("error_max_elements", out);
}
