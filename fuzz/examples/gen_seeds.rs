//! Writes the seed corpora:
//! - seeds/load: small valid weight files compiled by the real pipeline
//!   from groups of every shape the format has (no layer, one layer,
//!   several; width 1 and 2; f32 and f64; the diagonal targets that
//!   compile and the one-layer cells rnn, pd-ssm and deltaproduct; element
//!   and generator alphabets; with and without a start token); the format
//!   version 5, 6 and 7 seeds (`*-chain-*.st`, `*-series-*.st`,
//!   `*-pc-*.st`: groups without a table) are written by the CLI instead,
//!   as the commands in their section of this file's `load_seeds` say;
//! - seeds/parse: the gssm sources written in the workspace's tests (string
//!   literals that define a group), plus a few inputs for the generated-
//!   program mode of parse_elaborate (a NUL byte, then generator choices).
//!   stdlib/*.gssm is used in place by scripts/fuzz.sh.
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example gen_seeds

use gssm_compiler::construct::Alphabet;
use gssm_compiler::group::coset::enumerate;
use gssm_compiler::group::perm::{from_cycles, group_from_permutations};
use gssm_compiler::group::{Group, Limits};
use gssm_compiler::pipeline::{compile, Options, Origin};
use gssm_compiler::target;
use gssm_compiler::verify::proof;
use gssm_runtime::format::{load, FloatDtype, LoadLimits};
use std::path::Path;

/// A permutation group from 1-based cycles per generator.
fn perms(name: &str, degree: usize, gens: &[&[&[u32]]]) -> Group {
    let ps: Vec<Vec<u32>> = gens
        .iter()
        .map(|cycles| {
            let c: Vec<Vec<u32>> = cycles
                .iter()
                .map(|c| c.iter().map(|x| x - 1).collect())
                .collect();
            from_cycles(degree, &c).expect("valid cycles")
        })
        .collect();
    let names = (0..ps.len())
        .map(|i| ["a", "b", "c"][i].to_string())
        .collect();
    group_from_permutations(name, names, &ps, &Limits::default()).expect("a small group")
}

fn main() {
    load_seeds();
    parse_seeds();
}

/// String literals of a Rust file that contain `group `, unescaped
/// (`\n`, `\"`, `\\`, and `\` line continuations).
fn group_sources(rust: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = rust.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // Skip char literals such as '"'; a lifetime has no closing quote.
            '\'' => {
                let ahead: Vec<char> = chars.clone().take(3).collect();
                let skip = match ahead.as_slice() {
                    ['\\', _, '\'', ..] => 3,
                    [_, '\'', ..] => 2,
                    _ => 0,
                };
                for _ in 0..skip {
                    chars.next();
                }
            }
            '"' => {
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some('\n') => {
                                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                                    chars.next();
                                }
                            }
                            Some(other) => s.push(other),
                            None => break,
                        },
                        c => s.push(c),
                    }
                }
                if s.contains("group ") && s.contains('=') {
                    out.push(s);
                }
            }
            _ => {}
        }
    }
    out
}

fn parse_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/parse");
    std::fs::create_dir_all(&dir).expect("create seeds/parse");
    let mut sources = std::collections::BTreeSet::new();
    for tests in ["compiler/tests", "tests"] {
        let Ok(entries) = std::fs::read_dir(root.join(tests)) else {
            continue;
        };
        for e in entries {
            let path = e.expect("dir entry").path();
            if path.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&path).expect("read test source");
                sources.extend(group_sources(&text));
            }
        }
    }
    for (k, s) in sources.iter().enumerate() {
        std::fs::write(dir.join(format!("test-{k:03}.gssm")), s).expect("write seed");
    }
    // Generated-program mode: NUL, then bytes the generator reads choices
    // from (fixed, so the seeds are reproducible).
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for k in 0..8 {
        let mut bytes = vec![0u8];
        for _ in 0..96 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.push(state as u8);
        }
        std::fs::write(dir.join(format!("generated-{k}.bin")), bytes).expect("write seed");
    }
    println!(
        "{} test sources and 8 generator inputs in {}",
        sources.len(),
        dir.display()
    );
}

fn load_seeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/load");
    std::fs::create_dir_all(&dir).expect("create seeds/load");
    // Q8 = < a, b | a^4, a^2 = b^2, b^-1 a b = a^-1 >: not a semidirect
    // product, two layers.
    let q8 = enumerate(
        "Q8",
        vec!["a".into(), "b".into()],
        &[
            vec![(0, 4)],
            vec![(0, 2), (1, -2)],
            vec![(1, -1), (0, 1), (1, 1), (0, 1)],
        ],
        &Limits::default(),
    )
    .expect("Q8");
    assert_eq!(q8.order(), 8);
    let elements = Alphabet::Elements;
    let words = Alphabet::Generators { inverses: true };
    let gens = Alphabet::Generators { inverses: false };
    let s3 = || perms("S3", 3, &[&[&[1, 2, 3]], &[&[1, 2]]]);
    let d8 = || perms("D8", 4, &[&[&[1, 2, 3, 4]], &[&[1, 3]]]);
    let c6 = || perms("C6", 5, &[&[&[1, 2, 3], &[4, 5]]]);
    // (name, group, target, alphabet, dtype, start token)
    let cases: Vec<(&str, Group, &str, Alphabet, FloatDtype, bool)> = vec![
        (
            "trivial-aussm-f32",
            Group::trivial("1"),
            "aussm",
            elements,
            FloatDtype::F32,
            false,
        ),
        (
            "c2-negmamba-f32",
            perms("C2", 2, &[&[&[1, 2]]]),
            "neg-mamba",
            elements,
            FloatDtype::F32,
            false,
        ),
        (
            "c6-aussm-f64",
            perms("C6", 5, &[&[&[1, 2, 3], &[4, 5]]]),
            "aussm",
            elements,
            FloatDtype::F64,
            false,
        ),
        (
            "v4-aussm-f32",
            perms("V4", 4, &[&[&[1, 2]], &[&[3, 4]]]),
            "aussm",
            elements,
            FloatDtype::F32,
            false,
        ),
        (
            "s3-aussm-f32",
            perms("S3", 3, &[&[&[1, 2, 3]], &[&[1, 2]]]),
            "aussm",
            elements,
            FloatDtype::F32,
            false,
        ),
        (
            "s3-aussm-f64-words",
            perms("S3", 3, &[&[&[1, 2, 3]], &[&[1, 2]]]),
            "aussm",
            words,
            FloatDtype::F64,
            false,
        ),
        (
            "d8-negmamba-f32",
            perms("D8", 4, &[&[&[1, 2, 3, 4]], &[&[1, 3]]]),
            "neg-mamba",
            elements,
            FloatDtype::F32,
            false,
        ),
        (
            "q8-aussm-f32",
            q8,
            "aussm",
            elements,
            FloatDtype::F32,
            false,
        ),
        (
            "a4-aussm-f32",
            perms("A4", 4, &[&[&[1, 2, 3]], &[&[1, 2], &[3, 4]]]),
            "aussm",
            elements,
            FloatDtype::F32,
            false,
        ),
        (
            "s4-aussm-f32-words",
            perms("S4", 4, &[&[&[1, 2, 3, 4]], &[&[1, 2]]]),
            "aussm",
            words,
            FloatDtype::F32,
            false,
        ),
        // Start tokens on diagonal stacks (one layer, two layers).
        (
            "c6-aussm-f32-bos",
            c6(),
            "aussm",
            elements,
            FloatDtype::F32,
            true,
        ),
        (
            "s3-aussm-f64-words-bos",
            s3(),
            "aussm",
            words,
            FloatDtype::F64,
            true,
        ),
        (
            "d8-negmamba-f32-bos",
            d8(),
            "neg-mamba",
            elements,
            FloatDtype::F32,
            true,
        ),
        // The one-layer cells, with and without a start token.
        (
            "trivial-rnn-f32",
            Group::trivial("1"),
            "rnn",
            elements,
            FloatDtype::F32,
            false,
        ),
        ("s3-rnn-f32-gens", s3(), "rnn", gens, FloatDtype::F32, false),
        (
            "c6-rnn-f64-gens-bos",
            c6(),
            "rnn",
            gens,
            FloatDtype::F64,
            true,
        ),
        (
            "s3-rnn-f32-bos",
            s3(),
            "rnn",
            elements,
            FloatDtype::F32,
            true,
        ),
        (
            "s3-pdssm-f32",
            s3(),
            "pd-ssm",
            elements,
            FloatDtype::F32,
            false,
        ),
        (
            "d8-pdssm-f64-words",
            d8(),
            "pd-ssm",
            words,
            FloatDtype::F64,
            false,
        ),
        (
            "c6-pdssm-f32-bos",
            c6(),
            "pd-ssm",
            elements,
            FloatDtype::F32,
            true,
        ),
        (
            "s3-deltaproduct-f32",
            s3(),
            "deltaproduct",
            elements,
            FloatDtype::F32,
            false,
        ),
        (
            "c6-deltaproduct-f64",
            c6(),
            "deltaproduct",
            elements,
            FloatDtype::F64,
            false,
        ),
        (
            "d8-deltaproduct-f32-words-bos",
            d8(),
            "deltaproduct",
            words,
            FloatDtype::F32,
            true,
        ),
        (
            "s3-deltaproduct-f64-bos",
            s3(),
            "deltaproduct",
            elements,
            FloatDtype::F64,
            true,
        ),
    ];
    // Format version 5 (no Cayley table) comes from groups past the element
    // limit, through the CLI:
    //   gssm compile s5.gssm --target pd-ssm --alphabet generators+inverses \
    //     --max-elements 10 -o seeds/load/s5-pdssm-chain-f32.st
    //   gssm compile cube.gssm --target pd-ssm --alphabet generators+inverses \
    //     --bos -o seeds/load/cube-pdssm-chain-f32-bos.st
    // (S5 = perm(5) { a = (1,2,3,4,5), b = (1,2) }; the cube group as in
    // tests/big_models.rs.) Versions 6 (a series truth) and 7 (a pc truth)
    // likewise, from fuzz/seeds/groups.gssm:
    //   gssm compile groups.gssm -g AGL5 --alphabet generators+inverses \
    //     --max-elements 10 -o seeds/load/agl5-aussm-series-f32.st
    //   gssm compile groups.gssm -g W4 --alphabet generators --max-elements 4 \
    //     --bos --dtype f64 -o seeds/load/w4-aussm-series-f64-bos.st
    //   gssm compile groups.gssm -g S3pc --alphabet generators+inverses \
    //     --max-elements 5 -o seeds/load/s3-aussm-pc-f32.st
    //   gssm compile groups.gssm -g D8pc --alphabet generators --max-elements 5 \
    //     --bos -o seeds/load/d8-aussm-pc-f32-bos.st
    //   gssm compile groups.gssm -g H3 --alphabet generators+inverses \
    //     --max-elements 10 --dtype f64 -o seeds/load/h3-aussm-pc-f64.st
    for (name, g, t, alphabet, dtype, bos) in cases {
        let target = target::by_name(t).expect("known target");
        let opts = Options {
            alphabet,
            dtype,
            bos,
            coordinates: Default::default(),
        };
        let (model, bytes) = compile(&g, &Origin::default(), target, &opts)
            .unwrap_or_else(|d| panic!("{name}: {d:?}"));
        let loaded = load(&bytes, &LoadLimits::default()).expect("a compiled file loads");
        assert!(
            loaded == model,
            "{name}: a compiled file loads back different"
        );
        assert!(proof(&model).ok, "{name}: a compiled model fails its proof");
        // The fuzz scripts cut inputs at 32 KiB (-max_len).
        assert!(bytes.len() <= 32 << 10, "{name}: {} bytes", bytes.len());
        let path = dir.join(format!("{name}.st"));
        std::fs::write(&path, &bytes).expect("write seed");
        println!(
            "{:>6} bytes  {}  {}",
            bytes.len(),
            gssm_fuzz::net_summary(&model),
            path.display()
        );
    }
}
