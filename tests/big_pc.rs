//! Pc groups past the element limit compile to aussm stacks whose truth is
//! a pc presentation along the derived series (format version 7): no table,
//! no readout, the output the joint code. Outputs are checked against
//! running products multiplied here in each group's own representation
//! (matrices, affine maps), carried into the file's presentation by an
//! isomorphism built here from the named generators, and numbered here from
//! the format's definition.

mod common;

use common::{gpu_present, gssm, random_ids};
use gssm_compiler::verify::proof::proof;
use gssm_runtime::exec::{build, Backend};
use gssm_runtime::format::{load, LoadLimits};
use gssm_runtime::ir::{Net, PcTruth, Truth};
use gssm_runtime::pc::{Exps, Pc};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::Tokens;
use gssm_runtime::valid::{validate, ValidModel};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;

/// A group in the test's own representation: elements as small vectors.
struct Own {
    mul: fn(&[i64], &[i64]) -> Vec<i64>,
    identity: Vec<i64>,
    /// The source's generators, by name.
    gens: Vec<(&'static str, Vec<i64>)>,
}

impl Own {
    fn inverse(&self, x: &[i64]) -> Vec<i64> {
        // The last power before the identity (these groups are small).
        let (mut prev, mut y) = (self.identity.clone(), x.to_vec());
        while y != self.identity {
            prev = y.clone();
            y = (self.mul)(&y, x);
        }
        prev
    }
    /// A token label's element: "g" or "g^-1".
    fn token(&self, label: &str) -> Vec<i64> {
        let (name, inv) = match label.strip_suffix("^-1") {
            Some(n) => (n, true),
            None => (label, false),
        };
        let g = &self
            .gens
            .iter()
            .find(|g| g.0 == name)
            .expect("a generator")
            .1;
        if inv {
            self.inverse(g)
        } else {
            g.clone()
        }
    }
}

/// The Heisenberg group mod `M`: (a, b, c) is [[1, a, c], [0, 1, b], [0, 0, 1]].
fn heisenberg<const M: i64>() -> Own {
    fn mul<const M: i64>(x: &[i64], y: &[i64]) -> Vec<i64> {
        vec![
            (x[0] + y[0]) % M,
            (x[1] + y[1]) % M,
            (x[2] + y[2] + x[0] * y[1]) % M,
        ]
    }
    let x = vec![1, 0, 0];
    let y = vec![0, 1, 0];
    let mut own = Own {
        mul: mul::<M>,
        identity: vec![0, 0, 0],
        gens: vec![("x", x.clone()), ("y", y.clone())],
    };
    // z = [y, x] = y^-1·x^-1·y·x, as the presentation says.
    let (xi, yi) = (own.inverse(&x), own.inverse(&y));
    let z = mul::<M>(&mul::<M>(&mul::<M>(&yi, &xi), &y), &x);
    own.gens.push(("z", z));
    own
}

/// AGL(1, 101)'s maps t ↦ u·t + v, composed left to right (GAP's way): a
/// multiplies by 2 (a primitive root), b adds 1, so a^-1·b·a adds 2.
fn frobenius101() -> Own {
    fn mul(f: &[i64], g: &[i64]) -> Vec<i64> {
        vec![(g[0] * f[0]) % 101, (g[0] * f[1] + g[1]) % 101]
    }
    Own {
        mul,
        identity: vec![1, 0],
        gens: vec![("a", vec![2, 0]), ("b", vec![1, 1])],
    }
}

const HEISENBERG20: &str = "group H20 = pc< x, y, z | x^20, y^20, z^20, [y, x] = z >\n";
const FROBENIUS101: &str = "group F101 = pc< a, b | a^100, b^101, a^-1*b*a = b^2 >\n";

fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("gssm-big-pc-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `gssm compile` of `text` (aussm, generators and inverses as tokens, the
/// default element limit, which these groups pass) with `args`.
fn compile(test: &str, text: &str, args: &[&str]) -> (PathBuf, ValidModel) {
    let d = dir(test);
    let src = d.join("g.gssm");
    std::fs::write(&src, text).unwrap();
    let out = d.join("g.safetensors");
    let mut all = vec![
        "compile",
        src.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--target",
        "aussm",
        "--alphabet",
        "generators+inverses",
    ];
    all.extend_from_slice(args);
    let (_, err, code) = gssm(&all);
    assert_eq!(code, 0, "{test}: {err}");
    let model = load(&std::fs::read(&out).unwrap(), &LoadLimits::default()).unwrap();
    (out, model)
}

fn truth(m: &ValidModel) -> &PcTruth {
    m.pc().expect("a pc truth")
}

/// The isomorphism from the test's group onto the file's presentation,
/// built breadth first from the named generators (each source generator
/// to its `pc.generators` row); a second path to an element that disagrees
/// fails the test, so the map is a well-defined homomorphism, and it is
/// onto the file's |G| elements.
fn isomorphism(own: &Own, p: &PcTruth, names: &[String]) -> HashMap<Vec<i64>, Exps> {
    let pc = &p.pc;
    let images: Vec<(Vec<i64>, Exps)> = names
        .iter()
        .zip(&p.generators)
        .map(|(n, e)| (own.token(n), e.clone()))
        .collect();
    let mut map = HashMap::from([(own.identity.clone(), pc.identity())]);
    let mut queue = VecDeque::from([own.identity.clone()]);
    while let Some(g) = queue.pop_front() {
        let fg = map[&g].clone();
        for (x, fx) in &images {
            let h = (own.mul)(&g, x);
            let fh = pc.mul(&fg, fx).unwrap();
            match map.get(&h) {
                Some(f) => assert_eq!(*f, fh, "not a homomorphism at {h:?}"),
                None => {
                    map.insert(h.clone(), fh);
                    queue.push_back(h);
                }
            }
        }
    }
    assert_eq!(map.len() as u128, pc.order(), "not onto");
    map
}

/// The id the format defines for x: per term i, c_i = x's block-i
/// exponents and x ← x·w_i(c_i)⁻¹; the digits c_0, c_1, … mixed radix.
fn format_id(pc: &Pc, terms: &[usize], x: &Exps) -> u64 {
    let mut x = x.clone();
    let mut start = 0;
    for &b in terms {
        let mut w = pc.identity();
        w[start..start + b].copy_from_slice(&x[start..start + b]);
        let wi = pc.inverse(&w).unwrap();
        let digits = x[start..start + b].to_vec();
        x = pc.mul(&x, &wi).unwrap();
        x[start..start + b].copy_from_slice(&digits);
        start += b;
    }
    let orders = pc.relative_orders();
    x.iter()
        .zip(orders)
        .rev()
        .fold(0u64, |acc, (&e, &r)| acc * r as u64 + e as u64)
}

/// Random sequences through the reference executor (f32, f64), the JIT and
/// the GPU when there is one: every output is the format's id of the
/// running product multiplied here, and the file's truth agrees.
fn outputs_are_running_products(model: &ValidModel, own: &Own, bos: bool) {
    let p = truth(model);
    let names = &model.manifest.group.as_ref().unwrap().generators;
    let iso = isomorphism(own, p, names);
    let (rows, len) = (6, 300);
    let v = model.num_tokens();
    let mut ids = random_ids(v, rows * len, 7);
    if bos {
        for (i, x) in ids.iter_mut().enumerate() {
            if i % len == 0 || i % 41 == 3 {
                *x = v as u32 - 1;
            }
        }
    }
    let toks = Tokens::new(model, rows, len, ids).unwrap();
    let mut runs = Vec::new();
    for (backend, dtype) in [
        (Backend::Reference, Dtype::F32),
        (Backend::Reference, Dtype::F64),
        (Backend::Jit, Dtype::F32),
    ] {
        runs.push(build(model, backend, dtype).unwrap().run(&toks).unwrap());
    }
    if gpu_present() {
        runs.push(
            build(model, Backend::Gpu, Dtype::F32)
                .unwrap()
                .run(&toks)
                .unwrap(),
        );
    }
    let elems: Vec<Option<Vec<i64>>> = model
        .manifest
        .tokens
        .iter()
        .enumerate()
        .map(|(t, l)| (model.manifest.bos != Some(t as u32)).then(|| own.token(l)))
        .collect();
    for b in 0..rows {
        let mut g = own.identity.clone();
        let mut y = model.initial_output();
        for (t, &x) in toks.row(b).iter().enumerate() {
            g = match &elems[x as usize] {
                Some(e) => (own.mul)(&g, e),
                None => own.identity.clone(),
            };
            let want = format_id(&p.pc, &p.terms, &iso[&g]);
            y = model.next_output(y, x);
            assert_eq!(
                u64::from(y),
                want,
                "the file's truth, sequence {b} step {t}"
            );
            for out in &runs {
                assert_eq!(u64::from(out[b * len + t]), want, "sequence {b} step {t}");
            }
        }
    }
}

#[test]
fn heisenberg_mod_20_tracks_its_running_products() {
    let (_, m) = compile("h20", HEISENBERG20, &[]);
    assert_eq!(m.manifest.format_version, 7);
    assert_eq!(m.order(), 8000);
    let Net::Diagonal(d) = &m.net else {
        panic!("a diagonal stack")
    };
    assert!(d.readout.is_none());
    // G/G' = C20 × C20, G' = ⟨z⟩ = C20.
    let moduli: Vec<Vec<u32>> = d.layers.iter().map(|l| l.moduli.clone()).collect();
    assert_eq!(moduli, vec![vec![20, 20], vec![20]]);
    assert_eq!(truth(&m).terms, vec![2, 1]);
    outputs_are_running_products(&m, &heisenberg::<20>(), false);
}

#[test]
fn heisenberg_with_a_start_token() {
    let (_, m) = compile("h20bos", HEISENBERG20, &["--bos"]);
    outputs_are_running_products(&m, &heisenberg::<20>(), true);
}

#[test]
fn a_frobenius_group_tracks_its_running_products() {
    // Not nilpotent: a acts on the translations, so the numbering's order
    // (the top term rightmost) is what a stack can carry.
    let (_, m) = compile("f101", FROBENIUS101, &[]);
    assert_eq!(m.order(), 10100);
    outputs_are_running_products(&m, &frobenius101(), false);
    // In primary coordinates C100 becomes C4 × C25.
    let (_, p) = compile("f101p", FROBENIUS101, &["--coordinates", "primary"]);
    assert_eq!(truth(&p).pc.relative_orders()[..2], [4, 25]);
    outputs_are_running_products(&p, &frobenius101(), false);
}

#[test]
fn the_local_proof_holds_and_catches_a_moved_cocycle() {
    let (path, m) = compile("proof", FROBENIUS101, &[]);
    let r = proof(&m);
    assert!(r.ok, "{:?}", r.failure);
    assert!(r.local.is_some(), "a pc truth is proved layer by layer");
    let (out, err, code) = gssm(&[
        "verify",
        path.to_str().unwrap(),
        "--horizon-len",
        "2000",
        "--worst-len",
        "0",
        "--closure-limit",
        "0",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("local:"), "{out}");
    assert!(out.contains("collects in the file's pc presentation") || out.contains("local:"));
    // Every cell is reachable (the tokens generate), so any moved cocycle
    // entry tells the layer below a different element.
    let mut lie = m.clone().into_model();
    if let Net::Diagonal(d) = &mut lie.net {
        let below = d.layers[1].num_tokens as u32;
        let t = d.layers[0].cocycle[5];
        d.layers[0].cocycle[5] = (t + 1) % below;
    }
    let lie = validate(lie, &LoadLimits::default()).expect("a cocycle entry in range loads");
    let r = proof(&lie);
    assert!(!r.ok, "a moved cocycle entry was proved");
}

#[test]
fn verify_checks_the_file_against_its_source() {
    let (path, _) = compile("source", FROBENIUS101, &[]);
    let d = dir("source");
    let verify = |text: &str| {
        let src = d.join("check.gssm");
        std::fs::write(&src, text).unwrap();
        gssm(&[
            "verify",
            path.to_str().unwrap(),
            "--source",
            src.to_str().unwrap(),
            "--length",
            "2",
            "--horizon-len",
            "0",
            "--worst-len",
            "0",
            "--closure-limit",
            "0",
        ])
    };
    let (out, err, code) = verify(FROBENIUS101);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("F101 is the source's group"), "{out}");
    // Another automorphism: the same order, another group presentation.
    let (out, err, code) = verify("group F101 = pc< a, b | a^100, b^101, a^-1*b*a = b^3 >\n");
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("b^a is f2^2 in the file, but the source's conjugate relation makes it f2^3"),
        "{err}"
    );
    // Other generator names.
    let (_, err, code) = verify("group F101 = pc< s, t | s^100, t^101, s^-1*t*s = t^2 >\n");
    assert_eq!(code, 1);
    assert!(
        err.contains("has generators [s, t], the file [a, b]"),
        "{err}"
    );
}

#[test]
fn the_loader_refuses_lying_presentations() {
    let (_, good) = compile("lies", FROBENIUS101, &[]);
    let good = good.into_model();
    let refused = |change: &dyn Fn(&mut gssm_runtime::ir::Model), want: &str| {
        let mut m = good.clone();
        change(&mut m);
        match validate(m, &LoadLimits::default()) {
            Ok(_) => panic!("accepted a presentation that should fail with '{want}'"),
            Err(e) => assert!(e.to_string().contains(want), "'{e}' does not say '{want}'"),
        }
    };
    fn pc_of(m: &mut gssm_runtime::ir::Model) -> &mut PcTruth {
        match &mut m.truth {
            Truth::Pc(p) => p,
            _ => panic!("a pc truth"),
        }
    }
    // One term of both generators: they do not commute.
    refused(
        &|m| pc_of(m).terms = vec![2],
        "must commute modulo the next term",
    );
    refused(&|m| pc_of(m).terms = vec![1, 2], "sums to 3");
    refused(&|m| pc_of(m).terms = vec![1, 0, 1], "is 0");
    // f1^100 = f2 beside f2^f1 ≠ f2: f2 would be a power of f1, which
    // commutes with f1.
    refused(
        &|m| {
            let p = pc_of(m);
            let orders = p.pc.relative_orders().to_vec();
            let mut lie = Pc::with_orders(PcTruth::names(2), orders, 1 << 24);
            let mut c = vec![vec![0, 0]; 2];
            lie.set_level(1, vec![0, 0], &c).unwrap();
            c[1] = p.pc.conjugate_relation(0, 1).unwrap().clone();
            lie.set_level(0, vec![0, 1], &c).unwrap();
            p.pc = lie;
        },
        "inconsistent",
    );
    refused(
        &|m| {
            if let Net::Diagonal(d) = &mut m.net {
                d.readout = Some((0..10100).collect());
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
    // A token label that names another element.
    refused(&|m| m.manifest.tokens.swap(0, 2), "tokens");
    // A start token past the tokens.
    refused(
        &|m| m.manifest.bos = Some(1000),
        "but the start token must be the last token",
    );
}

#[test]
fn labels_are_normal_words() {
    let (_, m) = compile("labels", FROBENIUS101, &[]);
    let p = truth(&m);
    assert_eq!(m.output_label(0), "<identity>");
    // Every id's label names the element it unranks to, and ranks back.
    for id in [1u32, 2, 99, 100, 101, 5000, 10099] {
        let x = p.unrank(id);
        assert_eq!(p.rank(&x), id);
        let word: Vec<String> = x
            .iter()
            .enumerate()
            .filter(|&(_, &e)| e != 0)
            .map(|(j, &e)| {
                if e == 1 {
                    format!("f{}", j + 1)
                } else {
                    format!("f{}^{e}", j + 1)
                }
            })
            .collect();
        assert_eq!(m.output_label(id), word.join("*"));
    }
}
