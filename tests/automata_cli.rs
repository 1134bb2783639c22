//! Automata end to end through the CLI: the benchmark languages of
//! `stdlib/languages.gssm` compiled for each target, verified, refused
//! where the target's layers cannot hold the monoid's groups; snapshots of
//! `gssm check` and of the compiled files. The ground truth the tests
//! compare against is the automaton run directly from its elaborated
//! transition maps, never the model's layers.

use gssm_compiler::elaborate::load_file;
use gssm_compiler::group::Limits;
use gssm_runtime::exec::reference::Reference;
use gssm_runtime::exec::Executor;
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::Tokens;
use std::path::{Path, PathBuf};
use std::process::Command;

const LANGS: &str = "stdlib/languages.gssm";

fn gssm(args: &[&str]) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_gssm"))
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

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("automata_cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Compile `lang` for `target`; the file, or the CLI's output on failure.
fn compile(lang: &str, target: &str) -> Result<PathBuf, String> {
    let out = tmp(&format!(
        "{}.{target}.safetensors",
        lang.replace([' ', ','], "_")
    ));
    let (text, code) = gssm(&[
        "compile",
        LANGS,
        "-g",
        lang,
        "--target",
        target,
        "-o",
        out.to_str().unwrap(),
    ]);
    if code == 0 {
        Ok(out)
    } else {
        Err(text)
    }
}

/// A diagnostic's text on one line: the renderer wraps it with `│`.
fn flat(text: &str) -> String {
    text.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn layers(file: &Path) -> usize {
    let bytes = std::fs::read(file).unwrap();
    let m = gssm_runtime::format::load(&bytes, &Default::default()).unwrap();
    m.diagonal()
        .expect("automaton models are diagonal")
        .layers
        .len()
}

/// The model's outputs on random words equal the automaton's own run.
fn agrees_with_automaton(lang: &str, file: &Path) {
    let p = load_file(std::path::Path::new(LANGS), &Limits::default()).unwrap();
    let a = p.automaton(Some(lang)).unwrap();
    let bytes = std::fs::read(file).unwrap();
    let m = gssm_runtime::format::load(&bytes, &Default::default()).unwrap();
    assert_eq!(m.manifest.outputs, a.states);
    let v = a.symbols.len() as u64;
    let (batch, len) = (64usize, 300usize);
    let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ v;
    let ids: Vec<u32> = (0..batch * len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % v) as u32
        })
        .collect();
    let toks = Tokens::new(&m, batch, len, ids.clone()).unwrap();
    for dt in [Dtype::F32, Dtype::Bf16] {
        let got = Reference::new(&m, dt).run(&toks).unwrap();
        for b in 0..batch {
            let mut q = a.start;
            for t in 0..len {
                q = a.symbols[ids[b * len + t] as usize].1[q as usize];
                assert_eq!(
                    got[b * len + t],
                    q,
                    "{lang} in {dt:?}, sequence {b}, step {t}"
                );
            }
        }
    }
}

fn verify(file: &Path) -> String {
    let (text, code) = gssm(&[
        "verify",
        file.to_str().unwrap(),
        "--length",
        "8",
        "--horizon-len",
        "20000",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("proof: ok"), "{text}");
    text
}

#[test]
fn star_free_languages_compile_to_mamba_and_verify() {
    for lang in [
        "FlipFlop",
        "Tomita1",
        "Tomita2",
        "Tomita4",
        "Tomita7",
        "ABStar",
        "LastIsA",
        "Dyck(2, 2)",
    ] {
        let file = compile(lang, "mamba").unwrap_or_else(|e| panic!("{lang}: {e}"));
        let text = verify(&file);
        // Resets and registers only: exact in every float type.
        assert!(text.contains("proof: horizon infinite"), "{lang}: {text}");
        agrees_with_automaton(lang, &file);
        if lang == "FlipFlop" {
            assert!(layers(&file) <= 2, "FlipFlop in {} layers", layers(&file));
        }
    }
}

#[test]
fn mamba_refuses_counting_languages_naming_the_cyclic_group() {
    for (lang, group) in [
        ("Parity", "C2"),
        ("Tomita5", "C2"),
        ("Tomita6", "C3"),
        ("CounterReset(3)", "C3"),
    ] {
        for target in ["mamba", "gla"] {
            let err = flat(&compile(lang, target).expect_err(lang));
            assert!(
                err.contains(&format!("contains the cyclic group {group} (")),
                "{lang} for {target}: {err}"
            );
        }
    }
}

#[test]
fn parity_is_one_neg_mamba_layer() {
    let file = compile("Parity", "neg-mamba").unwrap();
    assert_eq!(layers(&file), 1);
    verify(&file);
    agrees_with_automaton("Parity", &file);
    // A mod-3 count is beyond ±1 eigenvalues.
    let err = flat(&compile("CounterReset(3)", "neg-mamba").expect_err("C3"));
    assert!(err.contains("cyclic group C3"), "{err}");
}

#[test]
fn aussm_compiles_the_counting_languages() {
    for lang in ["Tomita5", "Tomita6", "CounterReset(3)", "Parity", "Tomita3"] {
        let file = compile(lang, "aussm").unwrap_or_else(|e| panic!("{lang}: {e}"));
        verify(&file);
        agrees_with_automaton(lang, &file);
    }
}

#[test]
fn group_actions_compile_like_their_groups() {
    let src = tmp("actions.gssm");
    std::fs::write(
        &src,
        "import \"families\"\n\
         automaton S3Points = Symmetric(3) acting on points;\n\
         automaton A4Points = Alternating(4) acting on points;\n",
    )
    .unwrap();
    for (name, depth) in [("S3Points", 2), ("A4Points", 2)] {
        let out = tmp(&format!("{name}.aussm.safetensors"));
        let (text, code) = gssm(&[
            "compile",
            src.to_str().unwrap(),
            "-g",
            name,
            "--target",
            "aussm",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{text}");
        // The derived length of S3 and of A4.
        assert_eq!(layers(&out), depth, "{name}");
        verify(&out);
    }
}

#[test]
fn check_snapshots_of_the_languages() {
    for lang in [
        "FlipFlop",
        "Parity",
        "Tomita1",
        "Tomita2",
        "Tomita3",
        "Tomita4",
        "Tomita5",
        "Tomita6",
        "Tomita7",
        "ABStar",
        "LastIsA",
        "Dyck(2, 2)",
        "CounterReset(3)",
    ] {
        let (out, code) = gssm(&["check", LANGS, lang]);
        assert_eq!(code, 0, "{out}");
        let name = lang.replace([' ', ',', '(', ')'], "_");
        insta::assert_snapshot!(format!("check_{name}"), out);
    }
}

/// Everything but the big tables of a compiled file, for snapshots.
fn dump(file: &Path) -> String {
    let bytes = std::fs::read(file).unwrap();
    let m = gssm_runtime::format::load(&bytes, &Default::default()).unwrap();
    let mut s = serde_json::to_string_pretty(&m.manifest).unwrap();
    let a = m.automaton().unwrap();
    s.push_str(&format!(
        "\nautomaton.start = {}\nautomaton.accept = {:?}\nautomaton.delta = {:?}\n",
        a.start, a.accept, a.delta
    ));
    for (i, l) in m.diagonal().unwrap().layers.iter().enumerate() {
        s.push_str(&format!(
            "layer {i}: moduli {:?} coords {:?} tokens {}\n  codes {:?}\n  a.re {:?}\n  b.re {:?}\n  h0.re {:?}\n  cocycle {:?}\n",
            l.moduli, l.coords, l.num_tokens, l.transition_code, l.a_re, l.b_re, l.h0_re, l.cocycle
        ));
    }
    if let Some(r) = &m.diagonal().unwrap().readout {
        s.push_str(&format!("readout {r:?}\n"));
    }
    s.push_str(&format!("bytes {}\n", bytes.len()));
    s
}

#[test]
fn compile_snapshots_of_the_languages() {
    for (lang, target) in [
        ("FlipFlop", "mamba"),
        ("ABStar", "mamba"),
        ("Tomita4", "mamba"),
        ("Parity", "neg-mamba"),
        ("CounterReset(3)", "aussm"),
    ] {
        let a = compile(lang, target).unwrap();
        let b = compile(lang, target).unwrap();
        assert_eq!(
            std::fs::read(&a).unwrap(),
            std::fs::read(&b).unwrap(),
            "same input, same bytes"
        );
        let name = lang.replace([' ', ',', '(', ')'], "_");
        insta::assert_snapshot!(format!("compile_{name}_{target}"), dump(&a));
    }
}
