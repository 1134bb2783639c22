//! `gssm inspect` end to end: snapshots of the text and Graphviz views of
//! stdlib models (S3 with two alphabets, A4, Q8), the same output on every
//! run, long tables cut unless `--full`, and the SVG renderer's message
//! when Graphviz is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GSSM: &str = env!("CARGO_BIN_EXE_gssm");

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("inspect_cli");
    std::fs::create_dir_all(&dir).unwrap();
    // Separate runs of this binary may overlap: keep their files apart.
    dir.join(format!("{}.{name}", std::process::id()))
}

fn gssm(args: &[&str]) -> Output {
    Command::new(GSSM).args(args).output().expect("run gssm")
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Compile `group` of stdlib/seed.gssm for aussm in f32.
fn compile(group: &str, alphabet: &str) -> PathBuf {
    let out = tmp(&format!("{group}.{alphabet}.safetensors"));
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib/seed.gssm");
    let o = gssm(&[
        "compile",
        seed.to_str().unwrap(),
        "-g",
        group,
        "-t",
        "aussm",
        "--dtype",
        "f32",
        "--alphabet",
        alphabet,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn inspect(model: &Path, extra: &[&str]) -> String {
    stdout(&gssm(
        &[&["inspect", model.to_str().unwrap()][..], extra].concat(),
    ))
}

#[test]
fn stdlib_models_snapshot() {
    for (group, alphabet) in [
        ("S3", "elements"),
        ("S3", "generators"),
        ("A4", "elements"),
        ("Q8", "elements"),
    ] {
        let model = compile(group, alphabet);
        let text = inspect(&model, &[]);
        assert_eq!(
            text,
            inspect(&model, &["--format", "text"]),
            "text is the default"
        );
        insta::assert_snapshot!(format!("{group}_{alphabet}_text"), text);
        let dot = inspect(&model, &["--format", "dot"]);
        assert!(dot.starts_with("digraph gssm {") && dot.ends_with("}\n"));
        insta::assert_snapshot!(format!("{group}_{alphabet}_dot"), dot);
        // The same file, the same output.
        assert_eq!(dot, inspect(&model, &["--format", "dot"]));
    }
}

#[test]
fn long_tables_are_cut_unless_full() {
    let model = compile("Cyclic(70)", "elements");
    let short = inspect(&model, &[]);
    assert!(
        short.contains("… 6 more tokens (--full shows all)"),
        "{short}"
    );
    assert!(
        short.contains("… 6 more codes (--full shows all)"),
        "{short}"
    );
    let full = inspect(&model, &["--full"]);
    assert!(!full.contains("more tokens") && !full.contains("more codes"));
    // 6 more token rows and 6 more readout rows, less the two notes.
    assert_eq!(full.lines().count(), short.lines().count() + 12 - 2);
    assert!(short.lines().nth(2).unwrap().ends_with(" …"), "{short}");
    let dot = inspect(&model, &["--format", "dot"]);
    assert!(dot.contains("<i>… 6 more tokens (--full shows all)</i>"));
}

#[test]
fn svg_needs_graphviz() {
    let model = compile("S3", "elements");
    // No `dot` on an empty PATH: a clear message, no output.
    let empty = tmp("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let o = Command::new(GSSM)
        .args(["inspect", model.to_str().unwrap(), "--format", "svg"])
        .env("PATH", &empty)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("install graphviz"), "{err}");
    assert!(err.contains("--format dot"), "{err}");
    // Where Graphviz is installed, the graph renders.
    if Command::new("dot").arg("-V").output().is_ok() {
        let svg = inspect(&model, &["--format", "svg"]);
        assert!(svg.contains("<svg"), "{svg}");
        assert!(svg.contains("readout"), "{svg}");
    } else {
        eprintln!("Graphviz's dot is not installed: the SVG itself is not checked");
    }
}

#[test]
fn not_a_model() {
    let bad = tmp("bad.safetensors");
    std::fs::write(&bad, b"not safetensors").unwrap();
    let o = gssm(&["inspect", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not a valid gssm model"));
    let o = gssm(&["inspect", "/nonexistent.safetensors"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read"));
}
