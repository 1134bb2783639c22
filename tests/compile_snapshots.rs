//! Snapshots of compiled output: the manifest and the small tensors of
//! stdlib models, and every compile error a target gives. Same input, same
//! bytes: the files are compiled twice in separate processes and compared.

use gssm_runtime::ir::{Levels, Net, Numbering};
use std::path::{Path, PathBuf};
use std::process::Command;

const GSSM: &str = env!("CARGO_BIN_EXE_gssm");

fn stdlib(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("stdlib")
        .join(file)
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compile_snapshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn gssm(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(GSSM).args(args).output().expect("run gssm");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Compile a seed group; `tag` keeps the files of tests running in parallel
/// apart.
fn compile(tag: &str, group: &str, target: &str, extra: &[&str]) -> Vec<u8> {
    let out = tmp(&format!(
        "{tag}.{group}.{target}{}.safetensors",
        extra.join("")
    ));
    let seed = stdlib("seed.gssm");
    let mut args = vec![
        "compile",
        seed.to_str().unwrap(),
        "-g",
        group,
        "-t",
        target,
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (ok, _, err) = gssm(&args);
    assert!(ok, "{group}/{target}: {err}");
    std::fs::read(&out).unwrap()
}

/// A readable dump of everything but the group table: manifest, then each
/// small tensor's values.
fn dump(bytes: &[u8]) -> String {
    let model = gssm_runtime::format::load(bytes, &Default::default()).unwrap();
    let mut s = serde_json::to_string_pretty(&model.manifest).unwrap();
    match (model.group(), model.perm()) {
        (None, None) if model.pc().is_some() => {
            let p = model.pc().expect("matched");
            let n = p.pc.len();
            s.push_str(&format!(
                "\npc.orders = {:?}\npc.powers = {:?}\npc.conjugates = {:?}\npc.terms = {:?}\npc.generators = {:?}\npc.tokens = {:?}\n",
                p.pc.relative_orders(),
                (0..n).map(|i| p.pc.power_relation(i).unwrap().clone()).collect::<Vec<_>>(),
                (0..n)
                    .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
                    .map(|(i, j)| p.pc.conjugate_relation(i, j).unwrap().clone())
                    .collect::<Vec<_>>(),
                p.terms,
                p.generators,
                p.tokens
            ));
        }
        (Some(g), _) => s.push_str(&format!(
            "\ngroup.generators = {:?}\ntokens.element = {:?}\n",
            g.generators, g.token_elements,
        )),
        (None, Some(p)) => {
            s.push_str(&format!(
                "\nperm.generators = {:?}\nperm.tokens = {:?}\n",
                p.generators, p.tokens
            ));
            let levels = |s: &mut String, prefix: &str, l: &Levels| {
                s.push_str(&format!("{prefix}base = {:?}\n", l.base));
                for (i, reps) in l.reps.iter().enumerate() {
                    s.push_str(&format!("{prefix}level.{i} = {reps:?}\n"));
                }
            };
            match &p.numbering {
                Numbering::Chain(l) => levels(&mut s, "perm.", l),
                Numbering::Series(terms) => {
                    for (i, t) in terms.iter().enumerate() {
                        let prefix = format!("perm.series.{i}.");
                        s.push_str(&format!("{prefix}moduli = {:?}\n", t.moduli));
                        s.push_str(&format!("{prefix}sections = {:?}\n", t.sections));
                        levels(&mut s, &prefix, &t.chain);
                        for (l, c) in t.codes.iter().enumerate() {
                            s.push_str(&format!("{prefix}codes.{l} = {c:?}\n"));
                        }
                    }
                }
            }
        }
        (None, None) => unreachable!("a group model"),
    }
    // The action's table, or its absence in a file without a Cayley table.
    let images = |a: &gssm_runtime::ir::PointAction| match &a.images {
        Some(im) => format!("{im:?}"),
        None => "absent".to_string(),
    };
    let short = |xs: &[f64]| -> String {
        let v: Vec<String> = xs.iter().map(|x| format!("{x:.6}")).collect();
        v.join(", ")
    };
    let d = match &model.net {
        Net::Diagonal(d) => d,
        Net::Pd(c) => {
            s.push_str(&format!(
                "action.images = {}\naction.points = [{}]\npd.index = {:?}\npd.diag = [{}]\npd.input = [{}]\npd.h0 = [{}]\n",
                images(&c.action), short(&c.action.points), c.index, short(&c.diag), short(&c.input), short(&c.h0)
            ));
            return s;
        }
        Net::Delta(c) => {
            s.push_str(&format!(
                "action.images = {}\ndelta.basis = [{}]\ndelta.offset = [{}]\ndelta.k = [{}]\ndelta.beta = [{}]\ndelta.v = [{}]\ndelta.h0 = [{}]\n",
                images(&c.action), short(&c.basis), short(&c.offset), short(&c.k), short(&c.beta), short(&c.v), short(&c.h0)
            ));
            return s;
        }
        Net::Rnn(c) => {
            // The matrices are large: their sums per row, which the
            // construction fixes, and the biases.
            let rows = |w: &[f64], cols: usize| -> Vec<f64> {
                w.chunks(cols).map(|r| r.iter().sum()).collect()
            };
            s.push_str(&format!(
                "rnn.hidden = {}\nrnn.weight_ih row sums = [{}]\nrnn.weight_hh row sums = [{}]\nrnn.bias_hh = [{}]\nrnn.readout.bias = [{}]\n",
                c.hidden(),
                short(&rows(&c.weight_ih, model.num_tokens())),
                short(&rows(&c.weight_hh, c.hidden())),
                short(&c.bias_hh),
                short(&c.readout_bias)
            ));
            return s;
        }
    };
    match &d.readout {
        Some(r) => s.push_str(&format!("readout = {r:?}\n")),
        None => s.push_str("readout = absent: the output is the joint code\n"),
    }
    for (i, l) in d.layers.iter().enumerate() {
        s.push_str(&format!("layer.{i}.moduli = {:?}\n", l.moduli));
        s.push_str(&format!(
            "layer.{i}.transition.code = {:?}\n",
            l.transition_code
        ));
        let a: Vec<String> = l
            .a_re
            .iter()
            .zip(&l.a_im)
            .map(|(r, i)| format!("{r:.6}{i:+.6}i"))
            .collect();
        s.push_str(&format!("layer.{i}.transition = [{}]\n", a.join(", ")));
        if !l.cocycle.is_empty() {
            s.push_str(&format!("layer.{i}.cocycle = {:?}\n", l.cocycle));
        }
    }
    s
}

#[test]
fn stdlib_models_snapshot() {
    for (group, target) in [
        ("S3", "aussm"),
        ("A4", "aussm"),
        ("Q8", "aussm"),
        ("C2xC4", "neg-mamba"),
    ] {
        let bytes = compile("snap", group, target, &[]);
        insta::assert_snapshot!(format!("model_{group}_{target}"), dump(&bytes));
    }
    let gens = ["--alphabet", "generators+inverses"];
    for (target, bos) in [
        ("rnn", false),
        ("pd-ssm", false),
        ("deltaproduct", false),
        ("aussm", true),
        ("pd-ssm", true),
        ("deltaproduct", true),
    ] {
        let mut extra = gens.to_vec();
        if bos {
            extra.push("--bos");
        }
        let name = format!("S3_{target}{}", if bos { "_bos" } else { "" });
        let bytes = compile(&name, "S3", target, &extra);
        insta::assert_snapshot!(format!("model_{name}"), dump(&bytes));
    }
    // S4 past a small element limit: a file without a Cayley table.
    let bytes = compile(
        "chain",
        "S4",
        "pd-ssm",
        &[&gens[..], &["--max-elements", "5"]].concat(),
    );
    insta::assert_snapshot!("model_S4_pd-ssm_chain", dump(&bytes));
    // A pc group past a small element limit: a pc presentation along the
    // derived series (format version 7), the same bytes in two processes.
    let src = tmp("pc.gssm");
    std::fs::write(
        &src,
        "group S3pc = pc< a, b | a^2, b^3, a^-1*b*a = b^2 >\n\
         group D8pc = pc< a, b, c | a^2, b^2 = c, c^2, a^-1*b*a = b*c >\n",
    )
    .unwrap();
    for (group, bos) in [("S3pc", false), ("S3pc", true), ("D8pc", false)] {
        let compiled = |tag: &str| -> Vec<u8> {
            let out = tmp(&format!("{tag}.{group}{bos}.safetensors"));
            let mut args = vec![
                "compile",
                src.to_str().unwrap(),
                "-g",
                group,
                "-o",
                out.to_str().unwrap(),
                "--max-elements",
                "5",
            ];
            args.extend_from_slice(&gens);
            if bos {
                args.push("--bos");
            }
            let (ok, _, err) = gssm(&args);
            assert!(ok, "{group}: {err}");
            std::fs::read(&out).unwrap()
        };
        let bytes = compiled("first");
        assert_eq!(
            bytes,
            compiled("second"),
            "{group}: bytes differ between runs"
        );
        let name = format!("model_{group}_aussm_pc{}", if bos { "_bos" } else { "" });
        insta::assert_snapshot!(name, dump(&bytes));
    }
}

#[test]
fn target_errors_snapshot() {
    let seed = stdlib("seed.gssm");
    for (group, target) in [
        ("A5", "aussm"),
        ("S3", "neg-mamba"),
        ("C24", "neg-mamba"),
        ("C2", "mamba"),
        ("C2", "gla"),
        ("C2", "s4d"),
        ("A4xC5", "neg-mamba"),
        ("SL23", "neg-mamba"),
        ("S5", "rnn"),
    ] {
        let (ok, _, err) = gssm(&[
            "compile",
            seed.to_str().unwrap(),
            "-g",
            group,
            "-t",
            target,
            "-o",
            tmp("never").to_str().unwrap(),
        ]);
        assert!(!ok, "{group} must not compile for {target}");
        // The path differs between machines: snapshot it relative.
        let err = err
            .replace(seed.to_str().unwrap(), "stdlib/seed.gssm")
            .replace(&format!("{}/", env!("CARGO_MANIFEST_DIR")), "");
        insta::assert_snapshot!(format!("error_{group}_{target}"), err);
    }
    let (ok, _, err) = gssm(&["compile", seed.to_str().unwrap(), "-g", "S3", "-t", "lstm"]);
    assert!(!ok);
    insta::assert_snapshot!("error_unknown_target", err);
}

#[test]
fn explicit_series_is_checked_and_used() {
    let src = tmp("series.gssm");
    std::fs::write(
        &src,
        "import \"families\"\n\
         group Q8s = Quaternion(8) with series [ <a>, <a^2> ]\n\
         group Q8bad = Quaternion(8) with series [ <a*b>, <b> ]\n\
         group D8bad = Dihedral(8) with series [ <s> ]\n",
    )
    .unwrap();
    let out = tmp("q8s.safetensors");
    let (ok, _, err) = gssm(&[
        "compile",
        src.to_str().unwrap(),
        "-g",
        "Q8s",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let model =
        gssm_runtime::format::load(&std::fs::read(&out).unwrap(), &Default::default()).unwrap();
    // Q8 ⊳ C4 ⊳ C2 ⊳ 1: three cyclic layers instead of the derived series' two.
    let factors: Vec<usize> = model
        .diagonal()
        .expect("diagonal")
        .layers
        .iter()
        .map(|l| l.num_codes())
        .collect();
    assert_eq!((model.order(), factors), (8, vec![2, 2, 2]));
    assert!(gssm_compiler::verify::proof(&model).ok);
    for bad in ["Q8bad", "D8bad"] {
        let (ok, _, err) = gssm(&[
            "compile",
            src.to_str().unwrap(),
            "-g",
            bad,
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(!ok, "{bad} must be rejected");
        let err = err.replace(src.to_str().unwrap(), "series.gssm");
        insta::assert_snapshot!(format!("error_series_{bad}"), err);
    }
}

#[test]
fn every_stdlib_group_compiles_to_identical_bytes_in_separate_processes() {
    for group in [
        "C2", "C6", "C24", "C60", "S3", "A4", "C2xC4", "Q8", "S4", "SL23", "A4xC5",
    ] {
        for extra in [
            &[][..],
            &["--dtype", "f64"][..],
            &["--alphabet", "generators+inverses"][..],
        ] {
            let a = compile("first", group, "aussm", extra);
            let b = compile("second", group, "aussm", extra);
            assert_eq!(a, b, "{group} {extra:?}: bytes differ between runs");
        }
    }
}
