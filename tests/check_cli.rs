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
    let (out, code) = check(&["stdlib/seed.gssm", "SL25", "--max-elements", "10"]);
    assert_ne!(code, 0);
    insta::assert_snapshot!("error_max_elements_presentation", out);
}

#[test]
fn check_a_permutation_group_past_the_element_limit() {
    // Past the limit S4 is kept as a stabiliser chain: the structure is
    // the one the element table gives, and only the one-layer targets'
    // sizes, which need the table, differ.
    let (listed, code) = check(&["stdlib/seed.gssm", "S4"]);
    assert_eq!(code, 0, "{listed}");
    let (chain, code) = check(&["stdlib/seed.gssm", "S4", "--max-elements", "10"]);
    assert_eq!(code, 0, "{chain}");
    let diagonal = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| {
                !["  rnn ", "  pd-ssm ", "  deltaproduct "]
                    .iter()
                    .any(|t| l.starts_with(t))
            })
            .map(str::to_string)
            .collect()
    };
    assert_eq!(diagonal(&chain), diagonal(&listed));
    assert!(
        chain.contains("  pd-ssm       1 layer: width at most 4 (the given action on 4 points;"),
        "{chain}"
    );
}

#[test]
fn check_an_automaton() {
    let dir = std::env::temp_dir().join(format!("gssm-check-automaton-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("counter.gssm");
    std::fs::write(
        &file,
        "group G = < a | a^2 >\n\
         automaton Counter3 { states q0, q1, q2; start q0; symbol inc: (q0, q1, q2); symbol reset: * -> q0 }\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    // The last definition is the automaton.
    let (out, code) = check(&[path]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("Counter3: automaton, 3 states, symbols inc, reset\n"),
        "{out}"
    );
    assert!(
        out.contains("monoid       6 elements, 4 idempotents"),
        "{out}"
    );
    assert!(out.contains("verdict      solvable"), "{out}");
    assert!(out.contains("subgroup     order 3 on 3 states"), "{out}");
    assert!(out.contains("  mamba        impossible:"), "{out}");
    // A group by name still gets the group report.
    let (out, code) = check(&[path, "G"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("G: order 2"), "{out}");
    let (out, code) = check(&[path, "Counter3", "--max-elements", "4"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("more than 4 elements"), "{out}");
    std::fs::remove_dir_all(&dir).ok();
    // A parameterised automaton, named with its arguments.
    let (out, code) = check(&["stdlib/languages.gssm", "CounterReset(3)"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("CounterReset(3): automaton, 3 states, symbols inc, reset\n"),
        "{out}"
    );
    let (out, code) = check(&["stdlib/languages.gssm", "CounterReset(1)"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("CounterReset(n) needs n >= 2, but n = 1"),
        "{out}"
    );
}
