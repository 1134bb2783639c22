//! Solvable permutation groups past the element limit compile to aussm
//! stacks without a Cayley table or a readout (format version 6): one layer
//! per term of the derived series, each abelian factor listed through a
//! polycyclic sequence, the truth numbering the elements along the same
//! series so that the output is the joint code. Outputs are checked against
//! running products multiplied here from the groups' definitions and
//! numbered here from the file's series, and the layers' shape against the
//! same group compiled with its elements listed (the path the GAP oracle
//! checks).

mod common;

use common::{agl1, gpu_present, gssm, perm_group, random_ids, wreath_generators};
use gssm_compiler::verify::proof;
use gssm_runtime::exec::{build, Backend};
use gssm_runtime::format::{decode, encode, load, LoadLimits};
use gssm_runtime::ir::{FloatDtype, Net, Numbering, PermTruth};
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

/// g·h (g first), on the points of g.
fn mul(g: &[u32], h: &[u32]) -> Vec<u32> {
    g.iter().map(|&x| h[x as usize]).collect()
}

/// The id of `g` by the file's series, computed here as the format
/// documents it: per term, sift g through the term's levels summing the
/// representatives' codes digitwise, then divide g by the section
/// s_0^{c_0}·s_1^{c_1}·… on the right; the id is the mixed-radix number
/// of the codes, term 0 least significant.
fn series_id(p: &PermTruth, g: &[u32]) -> u64 {
    let Numbering::Series(terms) = &p.numbering else {
        panic!("a truth numbered along a series")
    };
    let n = p.degree;
    let identity: Vec<u32> = (0..n as u32).collect();
    let (mut y, mut id, mut radix) = (g.to_vec(), 0u64, 1u64);
    for t in terms {
        let mut h = y.clone();
        let mut digits = vec![0u64; t.moduli.len()];
        for ((&b, reps), codes) in t.chain.base.iter().zip(&t.chain.reps).zip(&t.codes) {
            let r = (0..reps.len())
                .find(|&r| reps[r][b as usize] == h[b as usize])
                .expect("an element of the term");
            h = mul(&h, &inverse(&reps[r]));
            for (d, &c) in digits.iter_mut().zip(&codes[r]) {
                *d += u64::from(c);
            }
        }
        assert_eq!(h, identity, "the sift ends at the identity");
        let code = digits
            .iter()
            .zip(&t.moduli)
            .rev()
            .fold(0u64, |acc, (d, &m)| acc * u64::from(m) + d % u64::from(m));
        let mut section = identity.clone();
        for ((d, &m), s) in digits.iter().zip(&t.moduli).zip(&t.sections) {
            for _ in 0..d % u64::from(m) {
                section = mul(&section, s);
            }
        }
        y = mul(&y, &inverse(&section));
        id += code * radix;
        radix *= t.moduli.iter().map(|&m| u64::from(m)).product::<u64>();
    }
    assert_eq!(y, identity, "the last term's quotient is trivial");
    id
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
    // The GPU runs version-6 files as any diagonal model: the output is the
    // joint code.
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
            let want = series_id(p, &g);
            for out in &runs {
                assert_eq!(
                    u64::from(out[b * toks.len() + t]),
                    want,
                    "sequence {b} step {t}"
                );
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
    assert_eq!(model.manifest.format_version, 6);
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

/// The terms of a model's series, to change.
fn terms(m: &mut gssm_runtime::ir::Model) -> &mut Vec<gssm_runtime::ir::Term> {
    match &mut m.truth {
        gssm_runtime::ir::Truth::Perm(PermTruth {
            numbering: Numbering::Series(t),
            ..
        }) => t,
        _ => panic!("a truth numbered along a series"),
    }
}

#[test]
fn the_loader_refuses_lying_series() {
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
    let good = decode(&bytes).unwrap();
    validate(good.clone(), &LoadLimits::default()).unwrap();
    let refused = |change: &dyn Fn(&mut gssm_runtime::ir::Model), want: &str| {
        let mut m = good.clone();
        change(&mut m);
        match validate(m, &LoadLimits::default()) {
            Ok(_) => panic!("accepted a series that should fail with '{want}'"),
            Err(e) => assert!(e.to_string().contains(want), "'{e}' does not say '{want}'"),
        }
    };
    // AGL(1, 13): term 0 is the group with codes in C12 (the multiplier),
    // term 1 the translations C13.
    assert_eq!(
        good.perm().map(|p| match &p.numbering {
            Numbering::Series(t) => t.iter().map(|t| t.moduli.clone()).collect::<Vec<_>>(),
            _ => Vec::new(),
        }),
        Some(vec![vec![12], vec![13]])
    );
    // A translation given a nonzero multiplier code: no homomorphism.
    refused(
        &|m| {
            let t = &mut terms(m)[0];
            let (l, r) = (0..t.codes.len())
                .flat_map(|l| (1..t.codes[l].len()).map(move |r| (l, r)))
                .find(|&(l, r)| t.chain.reps[l][r][0] != 0)
                .unwrap();
            t.codes[l][r][0] = (t.codes[l][r][0] + 1) % 12;
        },
        "are not a homomorphism",
    );
    // A section whose code is not the unit vector.
    refused(
        &|m| {
            let s = terms(m)[1].sections[0].clone();
            terms(m)[1].sections[0] = mul(&s, &s);
        },
        "not the unit vector",
    );
    // The identity given a code: a sift that picks it would add one.
    refused(
        &|m| terms(m)[1].codes[0][0][0] = 1,
        "`perm.series.1.codes.0` row 0 is the identity's code and must be 0",
    );
    // A code past its modulus.
    refused(
        &|m| terms(m)[1].codes[0][1][0] = 13,
        "perm.series.1.codes.0",
    );
    // Factors that do not multiply to the terms' orders.
    refused(
        &|m| terms(m)[0].moduli = vec![24],
        "not a series with these factors",
    );
    // A token outside the group.
    refused(
        &|m| {
            if let gssm_runtime::ir::Truth::Perm(p) = &mut m.truth {
                p.tokens[0] = from_cycles(13, &[vec![1, 2]]);
            }
        },
        "`perm.tokens` row 0 is not in the group",
    );
    // A readout beside the series, and a stack that is not the series.
    refused(
        &|m| {
            if let Net::Diagonal(d) = &mut m.net {
                d.readout = Some((0..156).collect());
            }
        },
        "no `readout` tensor",
    );
    refused(
        &|m| {
            if let Net::Diagonal(d) = &mut m.net {
                d.layers.pop();
                d.layers[0].cocycle.clear();
            }
        },
        "the truth's series has 2 terms, but the stack has 1 layers",
    );
    // Term 1's levels replaced by term 0's: its codes no longer fit them.
    refused(
        &|m| {
            let t0 = terms(m)[0].chain.clone();
            terms(m)[1].chain = t0;
        },
        "perm.series.1.codes",
    );
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

#[test]
fn agl_1_401_is_proved_layer_by_layer_and_lies_are_caught() {
    let (_, bytes) = compile(
        "agl401",
        &agl1("AGL", 401, 3),
        &[
            "--target",
            "aussm",
            "--alphabet",
            "generators",
            "--max-elements",
            "500",
        ],
    );
    let model = load(&bytes, &LoadLimits::default()).unwrap();
    assert_eq!(model.order(), 160_400);
    let pr = proof(&model);
    assert!(pr.ok, "{:?}", pr.failure);
    // Past the cross-check's bound: the argument alone, over the tables.
    assert_eq!(pr.states, 0);
    let local = pr.local.expect("a local proof");
    assert!(local.contains("the output is the joint code"), "{local}");
    let [t, m] = agl1_perms(401, 3);
    outputs_are_running_products(&model, &[t, m], false);

    // Lies in the tables, each caught by the argument (no search runs).
    let lie = |what: &str, change: &dyn Fn(&mut gssm_runtime::ir::Diagonal)| {
        let mut m = decode(&bytes).unwrap();
        let Net::Diagonal(d) = &mut m.net else {
            panic!("aussm")
        };
        change(d);
        let pr = proof(&validate(m, &LoadLimits::default()).unwrap());
        assert!(!pr.ok, "{what}");
        pr.failure.unwrap()
    };
    // Layer 0 (C400 on the multiplier) hands layer 1 (C401) the translation
    // part; sending another cell's token instead is a different element.
    let err = lie("cocycle", &|d| {
        let c = &mut d.layers[0].cocycle;
        let other = (0..c.len()).find(|&i| c[i] != c[7]).unwrap();
        c[7] = c[other];
    });
    assert!(err.contains("layer.0.cocycle"), "{err}");
    // A transition code of layer 1 moved by one: its cells then disagree
    // with the translation they stand for.
    let err = lie("transition", &|d| {
        let l = &mut d.layers[1];
        l.transition_code[5] = (l.transition_code[5] + 1) % l.moduli[0];
        let (re, im) =
            gssm_runtime::values::transition(l.transition_code[5], l.moduli[0], FloatDtype::F32);
        (l.a_re[5], l.a_im[5]) = (re, im);
        if let Some(ph) = &mut l.phase {
            ph[5] = gssm_runtime::values::phase(l.transition_code[5], l.moduli[0], FloatDtype::F32);
        }
    });
    assert!(err.contains("layer 1"), "{err}");
}

/// Whether random sequences of `model` read out the running products of
/// `perms` (reference executor, f64).
fn reads_running_products(model: &ValidModel, perms: &[Vec<u32>], bos: bool, seed: u64) -> bool {
    let p = model.perm().expect("a permutation truth");
    let (batch, len) = (8, 64);
    let mut ids = random_ids(model.num_tokens(), batch * len, seed);
    if bos {
        for row in ids.chunks_mut(len) {
            row[0] = perms.len() as u32;
        }
    }
    let toks = Tokens::new(model, batch, len, ids).unwrap();
    let out = build(model, Backend::Reference, Dtype::F64)
        .unwrap()
        .run(&toks)
        .unwrap();
    (0..batch).all(|b| {
        let mut g: Vec<u32> = (0..p.degree as u32).collect();
        toks.row(b).iter().enumerate().all(|(t, &x)| {
            if bos && x as usize == perms.len() {
                g = (0..p.degree as u32).collect();
            } else {
                g = g.iter().map(|&i| perms[x as usize][i as usize]).collect();
            }
            p.unrank(out[b * len + t]) == g
        })
    })
}

#[test]
fn the_local_proof_accepts_no_lie_the_state_search_rejects() {
    // Small groups run both: the argument first, then the search over every
    // reachable state. A failure from the search ("after the tokens …")
    // would be a lie the argument let through.
    let mut w = wreath_generators(2, 3);
    w.push(vec![vec![9, 10, 11]]);
    let cases = [
        (
            agl1("AGL", 13, 2),
            vec!["--alphabet", "generators", "--max-elements", "20"],
            agl1_perms(13, 2).to_vec(),
            false,
        ),
        (
            perm_group("W", 11, &w),
            vec!["--alphabet", "generators", "--bos", "--max-elements", "100"],
            w.iter().map(|g| from_cycles(11, g)).collect(),
            true,
        ),
    ];
    for (case, (text, args, perms, bos)) in cases.into_iter().enumerate() {
        let (_, bytes) = compile(
            &format!("lies{case}"),
            &text,
            &[&args[..], &["--target", "aussm"]].concat(),
        );
        let (mut caught, mut harmless) = (0, 0);
        let mut seed = 99 + case as u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            ((seed >> 33) % n as u64) as usize
        };
        for _ in 0..150 {
            let mut m = decode(&bytes).unwrap();
            let Net::Diagonal(d) = &mut m.net else {
                panic!("aussm")
            };
            let k = d.layers.len();
            // A cocycle entry (every layer but the last has one) changed to
            // another value in range; the output is the joint code, so
            // there is no readout to change.
            let layer = next(k - 1);
            let range = d.layers[layer + 1].num_tokens;
            let table = &mut d.layers[layer].cocycle;
            let at = next(table.len());
            let old = table[at] as usize;
            table[at] = ((old + 1 + next(range - 1)) % range) as u32;
            // The loader refuses some lies itself (a start token's row).
            let Ok(v) = validate(m, &LoadLimits::default()) else {
                caught += 1;
                continue;
            };
            let pr = proof(&v);
            match pr.failure {
                Some(f) => {
                    assert!(!f.starts_with("after the tokens"), "case {case}: {f}");
                    caught += 1;
                }
                None => {
                    // Accepted: then the change is never read.
                    assert!(reads_running_products(&v, &perms, bos, 5), "case {case}");
                    harmless += 1;
                }
            }
        }
        assert!(
            caught > harmless,
            "case {case}: {caught} caught, {harmless} harmless"
        );
    }
}
