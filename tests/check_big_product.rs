//! Direct products and powers past the element limit: kept as a
//! permutation group on the factors' points side by side (a factor written
//! as permutations acts on its own points, a listed factor without them on
//! its elements), then checked and compiled like any big permutation group.
//!
//! Expected values are derived by hand from the factors: |G × H| = |G|·|H|,
//! (G × H)' = G' × H', and G/G' of a product is the product of the
//! factors' abelianisations. S8' = A8 (order 20160) is perfect, so the
//! derived series of S8 × C5 is S8 × C5 > A8 × 1 = A8, and S8 × C5 is not
//! solvable.

mod common;

use common::{check_json as json, gssm, gssm_check, texts};
use gssm_runtime::exec::{build, Backend};
use gssm_runtime::format::{load, LoadLimits};
use gssm_runtime::ir::Net;
use gssm_runtime::scalar::Dtype;
use gssm_runtime::valid::ValidModel;
use serde_json::Value;

fn source(test: &str, text: &str) -> std::path::PathBuf {
    common::check_source("check-big-product", test, text)
}

const S8: &str = "group S8p = perm(8) { c = (1,2,3,4,5,6,7,8), t = (1,2) }\n";

#[test]
fn a_big_permutation_group_times_a_listed_group() {
    let file = source(
        "times",
        &format!("import \"families\"\n{S8}group A = S8p x Cyclic(5)\n"),
    );
    let v = json(&file, "A");
    assert_eq!(v["order"], 40320 * 5);
    assert_eq!(texts(&v["derived_series_orders"]), ["201600", "20160"]);
    assert_eq!(v["is_solvable"], false);
    assert!(v["derived_length"].is_null());
}

#[test]
fn powers_of_a_big_group_and_of_a_listed_one() {
    let file = source(
        "powers",
        &format!(
            "import \"families\"\n{S8}group B = S8p^2\ngroup D = Cyclic(100) x Cyclic(60)\ngroup Q = Symmetric(4)^3\n"
        ),
    );
    // S8 × S8: 40320², derived subgroup A8 × A8 (perfect).
    let v = json(&file, "B");
    assert_eq!(v["order"], 40320u64 * 40320);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["1625702400", "406425600"]
    );
    // C100 × C60 (6000 > 4096 elements, each factor on its 100 and 60
    // elements): abelian, with invariants C20 × C300 (100 = 4·25 and
    // 60 = 4·3·5 give the prime powers 4, 4, 3, 25, 5).
    let v = json(&file, "D");
    assert_eq!(v["order"], 6000);
    assert_eq!(v["is_abelian"], true);
    assert_eq!(texts(&v["derived_series_orders"]), ["6000", "1"]);
    assert_eq!(texts(&v["abelian_invariant_factors"]), ["20", "300"]);
    // S4³ (13,824 elements): S4 > A4 > V4 > 1 in each coordinate, so the
    // derived series orders are 24³, 12³, 4³, 1 and the length is 3.
    let v = json(&file, "Q");
    assert_eq!(v["order"], 13824);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["13824", "1728", "64", "1"]
    );
    assert_eq!(v["derived_length"], 3);
}

#[test]
fn small_products_stay_listed_and_bad_ones_are_refused() {
    let file = source(
        "refused",
        &format!(
            "import \"families\"\n{S8}group Small = Symmetric(3) x Cyclic(4)\ngroup Neg = S8p^(0-1)\ngroup Wide = Dihedral(4096)^2\ngroup H = pc< a, b | a^1000 = b, b^1000000 >\ngroup P = H x Cyclic(2)\n"
        ),
    );
    let v = json(&file, "Small");
    assert_eq!(v["order"], 24);
    // A negative power is refused before its base is used.
    let (_, err, code) = gssm_check(&file, &["Neg"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("group::power") && err.contains("help"),
        "{err}"
    );
    // Two listed groups of 4096 elements without permutations act on
    // 8192 points: past the chain's degree limit, said before building.
    let (_, err, code) = gssm_check(&file, &["Wide"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("group::product-degree") && err.contains("8192 points"),
        "{err}"
    );
    // A pc group past the limit times a listed group is kept as a pc group
    // (tests/check_big_pc.rs): H is cyclic of order 10^9.
    let v = json(&file, "P");
    assert_eq!(v["order"], 2_000_000_000u64);
}

/// Compile group `group` of `text` for `target` with the generators as
/// tokens; the file's path and model.
fn compile(test: &str, text: &str, group: &str, target: &str) -> (std::path::PathBuf, ValidModel) {
    let dir = std::env::temp_dir().join(format!("gssm-big-product-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("p.gssm");
    std::fs::write(&src, text).unwrap();
    let out = dir.join("p.safetensors");
    let (_, err, code) = gssm(&[
        "compile",
        src.to_str().unwrap(),
        "--group",
        group,
        "--target",
        target,
        "--alphabet",
        "generators",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let model = load(&std::fs::read(&out).unwrap(), &LoadLimits::default()).unwrap();
    (out, model)
}

/// The model's outputs, unranked by its normal form, are the running
/// products of `perms` (one per token; p·q applies p first), multiplied
/// here.
fn outputs_are_running_products(model: &ValidModel, perms: &[Vec<u32>]) {
    let p = model.perm().expect("a permutation truth");
    assert_eq!(model.num_tokens(), perms.len());
    let n = perms[0].len() as u32;
    let toks = common::tokens(model, 4, 200, 3);
    let outs = build(model, Backend::Reference, Dtype::F32)
        .unwrap()
        .run(&toks)
        .unwrap();
    for b in 0..toks.batch() {
        let mut g: Vec<u32> = (0..n).collect();
        for (step, &x) in toks.row(b).iter().enumerate() {
            g = g.iter().map(|&i| perms[x as usize][i as usize]).collect();
            assert_eq!(p.unrank(outs[b * toks.len() + step]), g, "{b} {step}");
        }
    }
}

/// C5's generator a on points `at..at + 5`, as a listed group without
/// permutations acts: right multiplication on its elements in gssm's
/// canonical numbering (shortlex over a, a^-1): e, a, a^-1, a^2, a^-2 go
/// to a, a^2, e, a^-2 (= a^3), a^-1.
fn c5_regular(n: u32, at: usize) -> Vec<u32> {
    let mut a: Vec<u32> = (0..n).collect();
    for (i, y) in [1, 3, 0, 4, 2].into_iter().enumerate() {
        a[at + i] = (at + y) as u32;
    }
    a
}

/// S8 × C5 compiles to a pd-ssm file on 8 + 5 points whose outputs are
/// the running products of the source's permutations, and it verifies.
#[test]
fn a_big_product_compiles_to_pd_ssm_and_verifies() {
    let text = format!("import \"families\"\n{S8}group A = S8p x Cyclic(5)\n");
    let (out, model) = compile("pd", &text, "A", "pd-ssm");
    assert_eq!(model.order(), 201600);
    let Net::Pd(c) = &model.net else {
        panic!("pd-ssm")
    };
    assert_eq!(c.action.degree(), 13);
    let n = 13u32;
    let mut c8: Vec<u32> = (0..n).collect();
    for (i, x) in c8.iter_mut().enumerate().take(8) {
        *x = (i as u32 + 1) % 8;
    }
    let mut t: Vec<u32> = (0..n).collect();
    t.swap(0, 1);
    // Tokens in the order of the product's generators: c, t, a.
    outputs_are_running_products(&model, &[c8, t, c5_regular(n, 8)]);

    let (out, err, code) = gssm(&[
        "verify",
        out.to_str().unwrap(),
        "--length",
        "6",
        "--horizon-len",
        "1000",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["order"], 201600);
    assert_eq!(v["proof"]["ok"], true);
    assert_eq!(v["exhaustive"]["mismatches"], 0);
}

/// C2 wr C2 wr C2 wr C2 × C5 written as a product (order 2^15·5 =
/// 163,840) compiles to an aussm stack whose outputs are the running
/// products.
#[test]
fn a_big_solvable_product_compiles_to_aussm() {
    let text = format!(
        "import \"families\"\n{}group W5 = W16 x Cyclic(5)\n",
        common::iterated_wreath("W16", 2, 4)
    );
    let (_, model) = compile("aussm", &text, "W5", "aussm");
    assert_eq!(model.order(), 163_840);
    let n = 21u32;
    let mut perms: Vec<Vec<u32>> = common::wreath_generators(2, 4)
        .iter()
        .map(|cycles| {
            let mut p: Vec<u32> = (0..n).collect();
            for c in cycles {
                for (k, &x) in c.iter().enumerate() {
                    p[x as usize - 1] = c[(k + 1) % c.len()] as u32 - 1;
                }
            }
            p
        })
        .collect();
    perms.push(c5_regular(n, 16));
    outputs_are_running_products(&model, &perms);
}

/// Point of a^k in a listed cyclic group of odd order with generator a:
/// gssm numbers its elements in shortlex order over a, a^-1 (e, a, a^-1,
/// a^2, a^-2, …), so a^k is 2k − 1 for k > 0 and −2k for k < 0.
fn cyclic_point(k: i64, order: i64) -> u32 {
    let k = k.rem_euclid(order);
    let k = if k > order / 2 { k - order } else { k };
    match k {
        0 => 0,
        k if k > 0 => (2 * k - 1) as u32,
        k => (-2 * k) as u32,
    }
}

/// The permutation x ↦ f(x) of Z/order, on the points of [`cyclic_point`].
fn on_cyclic(order: i64, degree: u32, f: impl Fn(i64) -> i64) -> Vec<u32> {
    let mut p: Vec<u32> = (0..degree).collect();
    for k in 0..order {
        p[cyclic_point(k, order) as usize] = cyclic_point(f(k), order);
    }
    p
}

/// A semidirect product past the element limit acts on the cosets of H,
/// one per element of N: the stdlib's AGL1(p) = C_p : C_(p-1) on p points,
/// with the GAP values of AGL(1, 1009) (as in `tests/check_big.rs`:
/// order 1009·1008, derived series C1009 ⋊ C1008 > C1009 > 1, G/G' =
/// C1008).
#[test]
fn a_big_semidirect_product_is_checked_on_the_cosets_of_h() {
    let file = source(
        "semidirect",
        "import \"families\"\ngroup A = AGL1(1009)\ngroup K = < a | a^1031 > : < b | b^4 > by { b: a -> a^-1 }\n",
    );
    let v = json(&file, "A");
    assert_eq!(v["order"], 1009 * 1008);
    assert_eq!(texts(&v["derived_series_orders"]), ["1017072", "1009", "1"]);
    assert_eq!(texts(&v["abelian_invariant_factors"]), ["1008"]);
    // K = C1031 ⋊ C4 with b inverting a: b² acts trivially, so K has
    // order 4124; [a, b] = a^-2 generates C1031 = K', and K/K' = C4.
    let v = json(&file, "K");
    assert_eq!(v["order"], 4124);
    assert_eq!(texts(&v["derived_series_orders"]), ["4124", "1031", "1"]);
    assert_eq!(texts(&v["abelian_invariant_factors"]), ["4"]);
}

/// AGL1(401) from the stdlib compiles to an aussm stack past the element
/// limit; the tokens a and b act on C401's elements as a^k ↦ a^(k+1) and
/// a^k ↦ a^(3k) (the action a ↦ a^primroot(401) = a^3), and the outputs
/// are the running products of those permutations.
#[test]
fn agl1_401_from_the_stdlib_compiles_to_aussm() {
    let (_, model) = compile(
        "agl",
        "import \"families\"\ngroup A = AGL1(401)\n",
        "A",
        "aussm",
    );
    assert_eq!(model.order(), 160_400);
    let a = on_cyclic(401, 401, |k| k + 1);
    let b = on_cyclic(401, 401, |k| 3 * k);
    outputs_are_running_products(&model, &[a, b]);
}

/// When H does not act faithfully on N, H's own action is added on further
/// points: C1031 ⋊ C4 with b inverting a acts on 1031 + 4 points, C4 on
/// its elements e, b, b^-1, b^2 (b ↦ right multiplication: 0→1, 1→3,
/// 2→0, 3→2), and the pd-ssm file's outputs are the running products.
#[test]
fn an_unfaithful_action_adds_the_points_of_h() {
    let (_, model) = compile(
        "kernel",
        "group K = < a | a^1031 > : < b | b^4 > by { b: a -> a^-1 }\n",
        "K",
        "pd-ssm",
    );
    assert_eq!(model.order(), 4124);
    let Net::Pd(c) = &model.net else {
        panic!("pd-ssm")
    };
    assert_eq!(c.action.degree(), 1035);
    let a = on_cyclic(1031, 1035, |k| k + 1);
    let mut b = on_cyclic(1031, 1035, |k| -k);
    for (i, y) in [1, 3, 0, 2].into_iter().enumerate() {
        b[1031 + i] = 1031 + y;
    }
    outputs_are_running_products(&model, &[a, b]);
}
