//! Permutation groups past the element limit compile to pd-ssm files
//! without a Cayley table (format version 5): the truth is the tokens'
//! permutations and a normal form from a stabiliser chain. The models'
//! outputs are checked against running products multiplied here from the
//! source's cycles; the loader refuses files whose normal form or tokens
//! lie, and the proof refuses changed weights.
//!
//! Orders: |S10| = 10! = 3,628,800; the 2×2×2 cube group (three faces
//! turned, one corner fixed) has order 3^6·7! = 3,674,160 (GAP 4.12:
//! `Size(Group(R, U, F))` on the same generators).

mod common;

use common::{gssm, tokens};
use gssm_compiler::verify::proof;
use gssm_runtime::exec::{build, Backend};
use gssm_runtime::format::{decode, encode, load, LoadLimits};
use gssm_runtime::ir::{Model, Net, Truth};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::valid::validate;
use serde_json::Value;
use std::path::PathBuf;

const S10: &str = "group S10 = perm(10) { c = (1,2,3,4,5,6,7,8,9,10), t = (1,2) }\n";
const CUBE: &str = "group Cube = perm(24) { R = (13,19,22,16)(14,21,23,18)(15,20,24,17), U = (7,21,22,12)(8,20,23,11)(9,19,24,10), F = (4,17,22,11)(5,16,23,10)(6,18,24,12) }\n";

fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("gssm-big-models-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Compile `text` for pd-ssm with `alphabet`; the file's bytes.
fn compile(test: &str, text: &str, alphabet: &str, bos: bool) -> (PathBuf, Vec<u8>) {
    let d = dir(test);
    let src = d.join("big.gssm");
    std::fs::write(&src, text).unwrap();
    let out = d.join("big.safetensors");
    let mut args = vec![
        "compile",
        src.to_str().unwrap(),
        "--target",
        "pd-ssm",
        "--alphabet",
        alphabet,
        "-o",
        out.to_str().unwrap(),
    ];
    if bos {
        args.push("--bos");
    }
    let (_, err, code) = gssm(&args);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&out).unwrap();
    (out, bytes)
}

/// The permutation of 0..n given by 1-based cycles, as images.
fn from_cycles(n: usize, cycles: &[&[u32]]) -> Vec<u32> {
    let mut p: Vec<u32> = (0..n as u32).collect();
    for c in cycles {
        for (k, &x) in c.iter().enumerate() {
            p[x as usize - 1] = c[(k + 1) % c.len()] - 1;
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

/// The cube's tokens over generators+inverses, from the source's cycles:
/// R, R^-1, U, U^-1, F, F^-1.
fn cube_tokens() -> Vec<Vec<u32>> {
    let r = from_cycles(
        24,
        &[&[13, 19, 22, 16], &[14, 21, 23, 18], &[15, 20, 24, 17]],
    );
    let u = from_cycles(24, &[&[7, 21, 22, 12], &[8, 20, 23, 11], &[9, 19, 24, 10]]);
    let f = from_cycles(24, &[&[4, 17, 22, 11], &[5, 16, 23, 10], &[6, 18, 24, 12]]);
    [r, u, f]
        .into_iter()
        .flat_map(|g| [inverse(&g), g])
        .collect::<Vec<_>>()
        .chunks(2)
        .flat_map(|pair| [pair[1].clone(), pair[0].clone()])
        .collect()
}

/// Random sequences through the reference executor: each output, as the
/// permutation its id names, is the running product of the tokens'
/// permutations (p·q applies p first), multiplied here.
fn outputs_are_running_products(model: &gssm_runtime::valid::ValidModel, perms: &[Vec<u32>]) {
    let p = model.perm().expect("a permutation truth");
    let n = p.degree;
    let toks = tokens(model, 8, 300, 7);
    for dtype in [Dtype::F32, Dtype::F16] {
        let out = build(model, Backend::Reference, dtype)
            .unwrap()
            .run(&toks)
            .unwrap();
        for b in 0..toks.batch() {
            let mut g: Vec<u32> = (0..n as u32).collect();
            for (t, &x) in toks.row(b).iter().enumerate() {
                g = g.iter().map(|&i| perms[x as usize][i as usize]).collect();
                let y = out[b * toks.len() + t];
                assert_eq!(p.unrank(y), g, "sequence {b} step {t} ({dtype:?})");
            }
        }
    }
}

#[test]
fn s10_and_the_cube_group_compile_without_a_table_and_verify() {
    for (name, text, order, degree, length) in [
        ("s10", S10, 3_628_800u64, 10usize, 10u32),
        ("cube", CUBE, 3_674_160, 24, 6),
    ] {
        let (path, bytes) = compile(name, text, "generators+inverses", false);
        // Nothing |G|-sized: the file holds permutations of the degree.
        assert!(bytes.len() < 32 << 10, "{name}: {} bytes", bytes.len());
        let model = load(&bytes, &LoadLimits::default()).unwrap();
        assert_eq!(model.order() as u64, order, "{name}");
        assert_eq!(model.manifest.format_version, 5);
        assert!(model.group().is_none() && model.manifest.outputs.is_empty());
        let Net::Pd(c) = &model.net else {
            panic!("pd-ssm")
        };
        assert_eq!(c.action.degree(), degree);
        // The same bytes again, from the same source.
        assert_eq!(encode(&model).unwrap(), bytes, "{name}");

        let (out, err, code) = gssm(&[
            "verify",
            path.to_str().unwrap(),
            "--length",
            &length.to_string(),
            "--horizon-len",
            "20000",
            "--json",
        ]);
        assert_eq!(code, 0, "{name}: {err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["order"], order, "{name}");
        assert_eq!(v["proof"]["ok"], true, "{name}");
        assert!(v["proof"]["local"]
            .as_str()
            .unwrap()
            .contains(&format!("order {order}")));
        assert!(v["proof"]["horizon"]
            .as_str()
            .unwrap()
            .starts_with("infinite"));
        assert_eq!(v["exhaustive"]["mismatches"], 0, "{name}");
        let tokens = model.num_tokens() as u64;
        let all: u64 = (1..=length).map(|l| tokens.pow(l)).sum();
        assert_eq!(v["exhaustive"]["sequences"], all, "{name}");
        for h in v["horizons"].as_array().unwrap() {
            assert!(h["horizon"].is_null(), "{name}: {h}");
            assert_eq!(h["max_len"], 20000);
        }
    }
}

#[test]
fn outputs_name_the_running_products() {
    let (_, bytes) = compile("products", CUBE, "generators+inverses", false);
    let model = load(&bytes, &LoadLimits::default()).unwrap();
    assert_eq!(
        model.manifest.tokens,
        ["R", "R^-1", "U", "U^-1", "F", "F^-1"]
    );
    outputs_are_running_products(&model, &cube_tokens());

    // With a start token, which resets the product wherever it occurs.
    let (_, bytes) = compile("products-bos", CUBE, "generators", true);
    let model = load(&bytes, &LoadLimits::default()).unwrap();
    assert_eq!(model.manifest.tokens, ["R", "U", "F", "<bos>"]);
    let p = model.perm().unwrap();
    let toks = gssm_runtime::tokens::Tokens::new(&model, 1, 6, vec![3, 0, 1, 3, 2, 2]).unwrap();
    let out = build(&model, Backend::Reference, Dtype::F32)
        .unwrap()
        .run(&toks)
        .unwrap();
    let ts = cube_tokens();
    let (r, u, f) = (&ts[0], &ts[2], &ts[4]);
    let mul = |a: &[u32], b: &[u32]| -> Vec<u32> { a.iter().map(|&i| b[i as usize]).collect() };
    let want = [
        (0..24).collect::<Vec<u32>>(),
        r.clone(),
        mul(r, u),
        (0..24).collect(),
        f.clone(),
        mul(f, f),
    ];
    for (t, w) in want.iter().enumerate() {
        assert_eq!(&p.unrank(out[t]), w, "step {t}");
    }
    // Labels are cycle notation, made on demand.
    assert_eq!(
        model.output_label(out[1]),
        "(13,19,22,16)(14,21,23,18)(15,20,24,17)"
    );
    assert_eq!(model.output_label(0), "()");
}

/// The change must be refused by the loader with a message containing `want`.
fn refused(m: Model, want: &str) {
    match validate(m, &LoadLimits::default()) {
        Ok(_) => panic!("accepted a model that should fail with '{want}'"),
        Err(e) => assert!(e.to_string().contains(want), "'{e}' does not say '{want}'"),
    }
}

fn perm_truth(m: &mut Model) -> &mut gssm_runtime::ir::PermTruth {
    match &mut m.truth {
        Truth::Perm(p) => p,
        _ => panic!("a permutation truth"),
    }
}

fn levels(m: &mut Model) -> &mut gssm_runtime::ir::Levels {
    match &mut perm_truth(m).numbering {
        gssm_runtime::ir::Numbering::Chain(l) => l,
        _ => panic!("a truth numbered by its chain"),
    }
}

#[test]
fn the_loader_refuses_lying_normal_forms_and_tokens() {
    let (_, bytes) = compile("lies", S10, "generators", false);
    let good = decode(&bytes).unwrap();
    validate(good.clone(), &LoadLimits::default()).unwrap();

    let mut m = good.clone();
    let p = levels(&mut m);
    let last = p.reps.len() - 1;
    let r = p.reps[last][1].clone();
    p.reps[last][0] = r;
    refused(m, "row 0 is not the identity");

    let mut m = good.clone();
    let p = levels(&mut m);
    let r = p.reps[0][1].clone();
    p.reps[1].push(r);
    refused(m, "moves base point");

    let mut m = good.clone();
    let p = levels(&mut m);
    p.reps[0].pop();
    refused(m, "generate a group of order 3628800");

    // A level that numbers nothing: one representative for a point that
    // is not yet a base point.
    let mut m = good.clone();
    let p = levels(&mut m);
    let free = (0..10)
        .find(|x| !p.base.contains(x))
        .expect("S10's base misses a point");
    p.base.push(free);
    p.reps.push(vec![(0..10).collect()]);
    refused(m, "has 1 representatives (need 2..=10)");

    let mut m = good.clone();
    let p = levels(&mut m);
    let r = p.reps[1][1].clone();
    p.reps[1].push(r);
    refused(m, "where an earlier row does");

    // Generators of a smaller group than the levels describe.
    let mut m = good.clone();
    perm_truth(&mut m).generators[0] = from_cycles(10, &[&[1, 2, 3]]);
    refused(m, "generate a group of order 6");

    // A token that is not its label's element.
    let mut m = good.clone();
    perm_truth(&mut m).tokens[1] = from_cycles(10, &[&[2, 3]]);
    refused(m, "manifest `tokens[1]` 't'");

    let mut m = good.clone();
    m.manifest.format_version = 4;
    refused(m, "format version 4 does not hold a permutation group");

    let mut m = good.clone();
    m.manifest.outputs = vec!["e".into()];
    refused(m, "`outputs` must be empty");

    let mut m = good.clone();
    m.manifest.target = "deltaproduct".into();
    refused(m, "pd-ssm and aussm models only");

    // Structure intact, weights changed: the proof names the tensor.
    let mut m = good.clone();
    let Net::Pd(c) = &mut m.net else {
        panic!("pd-ssm")
    };
    c.index.swap(0, 1);
    let v = validate(m, &LoadLimits::default()).unwrap();
    let pr = proof(&v);
    assert!(!pr.ok);
    assert!(pr.failure.unwrap().contains("pd.index"));
}

#[test]
fn big_groups_need_generators_and_solvability_for_aussm() {
    let d = dir("refusals");
    let src = d.join("big.gssm");
    std::fs::write(&src, S10).unwrap();
    let out = d.join("x.safetensors");
    let (_, err, code) = gssm(&[
        "compile",
        src.to_str().unwrap(),
        "--target",
        "aussm",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    // S10 is not solvable, so no aussm stack tracks it.
    assert!(
        err.contains("not solvable") && err.contains("pd-ssm"),
        "{err}"
    );
    let (_, err, code) = gssm(&[
        "compile",
        src.to_str().unwrap(),
        "--target",
        "pd-ssm",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("too many to make"), "{err}");
    assert!(!out.exists());
}

#[test]
fn a_small_group_through_the_chain_path_agrees_with_its_search() {
    // S5 past a tiny element limit takes the chain path; its proof also
    // searches all 120 states, and every sequence of length ≤ 5 is checked.
    let d = dir("small");
    let src = d.join("s5.gssm");
    std::fs::write(&src, "group S5 = perm(5) { a = (1,2,3,4,5), b = (1,2) }\n").unwrap();
    let out = d.join("s5.safetensors");
    let (_, err, code) = gssm(&[
        "compile",
        src.to_str().unwrap(),
        "--target",
        "pd-ssm",
        "--alphabet",
        "generators+inverses",
        "--max-elements",
        "10",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let model = load(&std::fs::read(&out).unwrap(), &LoadLimits::default()).unwrap();
    let pr = proof(&model);
    assert!(pr.ok, "{:?}", pr.failure);
    assert_eq!((pr.states, pr.transitions), (120, 360));
    let a = from_cycles(5, &[&[1, 2, 3, 4, 5]]);
    let b = from_cycles(5, &[&[1, 2]]);
    outputs_are_running_products(&model, &[a.clone(), inverse(&a), b]);
}

#[test]
fn gssm_run_prints_cycle_notation_made_on_demand() {
    let (path, _) = compile("run", CUBE, "generators+inverses", false);
    let (out, err, code) = gssm(&["run", path.to_str().unwrap(), "--tokens", "R R R R U U^-1"]);
    assert_eq!(code, 0, "{err}");
    let r = from_cycles(
        24,
        &[&[13, 19, 22, 16], &[14, 21, 23, 18], &[15, 20, 24, 17]],
    );
    let r2: Vec<u32> = r.iter().map(|&i| r[i as usize]).collect();
    // R², written here: each 4-cycle squared is two transpositions.
    assert_eq!(
        r2,
        from_cycles(
            24,
            &[
                &[13, 22],
                &[19, 16],
                &[14, 23],
                &[21, 18],
                &[15, 24],
                &[20, 17]
            ]
        )
    );
    let words: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(
        words,
        [
            "(13,19,22,16)(14,21,23,18)(15,20,24,17)",
            "(13,22)(14,23)(15,24)(16,19)(17,20)(18,21)",
            "(13,16,22,19)(14,18,23,21)(15,17,24,20)",
            "()",
            "(7,21,22,12)(8,20,23,11)(9,19,24,10)",
            "()",
        ]
    );
    let (out, _, code) = gssm(&[
        "run",
        path.to_str().unwrap(),
        "--ids",
        "--tokens",
        "R R R R",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out.split_whitespace().last(), Some("0"));
}

#[test]
fn verify_checks_a_file_without_a_table_against_its_source() {
    let (path, _) = compile("source", CUBE, "generators", false);
    let d = path.parent().unwrap();
    let quick = ["--length", "2", "--horizon-len", "10"];
    let (out, err, code) = gssm(
        &[
            &["verify", path.to_str().unwrap(), "--source"],
            &[d.join("big.gssm").to_str().unwrap()][..],
            &quick[..],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Cube is the source's group"), "{out}");
    // The same names with one face turned the other way: another group
    // element as R, so the file is not this source's group.
    let other = d.join("other.gssm");
    std::fs::write(
        &other,
        CUBE.replace("R = (13,19,22,16)", "R = (13,16,22,19)"),
    )
    .unwrap();
    let (_, err, code) = gssm(
        &[
            &["verify", path.to_str().unwrap(), "--source"],
            &[other.to_str().unwrap()][..],
            &quick[..],
        ]
        .concat(),
    );
    assert_ne!(code, 0);
    assert!(err.contains("generator R is (13,16,22,19)"), "{err}");
}
