//! `gssm check` of permutation groups past the element limit: they are
//! kept as stabiliser chains, and the report's order, derived series,
//! derived factors, G/G' and per-target depths are checked against values
//! computed elsewhere.
//!
//! Every expected value below was computed with GAP 4.12.1 on the same
//! generators (`Size`, `DerivedSeriesOfGroup`, `AbelianInvariants` of each
//! factor, `IsNilpotentGroup`), and, where noted, derived by hand.

mod common;

use common::{
    agl1, check_json as json, gssm_check, iterated_wreath, perm_group, target_entry as target,
    texts,
};
use serde_json::Value;

fn source(test: &str, text: &str) -> std::path::PathBuf {
    common::check_source("check-big", test, text)
}

fn factors(v: &Value) -> Vec<Vec<u64>> {
    v["derived_factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["prime_powers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect()
        })
        .collect()
}

fn twos(n: usize) -> Vec<u64> {
    vec![2; n]
}

#[test]
fn sylow_2_subgroups_of_s32_and_s64() {
    let file = source(
        "sylow",
        &(iterated_wreath("P32", 2, 5) + &iterated_wreath("P64", 2, 6)),
    );
    // |P_k| = 2^(2^k - 1): P_k = P_(k-1) wr C2 has order 2·|P_(k-1)|².
    // Derived length k: P_k/(P_(k-1) × P_(k-1)) is C2, so dl(P_k) ≤
    // dl(P_(k-1)) + 1; and [(a, 1), t] = (a^-1, a) for the swap t, so the
    // first coordinates of P_k' ∩ base are all of P_(k-1), those of
    // P_k^(i+1) contain P_(k-1)^(i), and P_k^(dl(P_(k-1))) ≠ 1. With
    // dl(C2) = 1 this gives dl(P_k) = k. G/G' = C2^k (each wreath level
    // adds one C2 to the abelianisation). Series orders from GAP.
    let v = json(&file, "P32");
    assert_eq!(v["order"], 2147483648u64);
    assert_eq!(v["derived_length"], 5);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["2147483648", "67108864", "524288", "1024", "2", "1"]
    );
    assert_eq!(
        factors(&v),
        vec![twos(5), twos(7), twos(9), twos(9), twos(1)]
    );
    assert_eq!(v["abelian_invariants"], serde_json::json!([2, 2, 2, 2, 2]));
    assert_eq!(v["is_nilpotent"], true);
    assert_eq!(v["is_abelian"], false);
    assert_eq!(target(&v, "aussm")["layers"], 5);
    assert_eq!(
        target(&v, "aussm")["widths"],
        serde_json::json!([5, 7, 9, 9, 1])
    );
    // A 2-group: neg-mamba's series of squares and commutators reaches 1.
    assert!(target(&v, "neg-mamba")["layers"].as_u64().is_some());

    // 2^63 is past 2^53: a string of digits in JSON, exact in text.
    let v = json(&file, "P64");
    assert_eq!(v["order"], "9223372036854775808");
    assert_eq!(v["derived_length"], 6);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        [
            "9223372036854775808",
            "144115188075855872",
            "281474976710656",
            "34359738368",
            "262144",
            "2",
            "1"
        ]
    );
    assert_eq!(
        factors(&v),
        vec![twos(6), twos(9), twos(13), twos(17), twos(17), twos(1)]
    );
    let (out, _, code) = gssm_check(&file, &["P64"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("P64: order 9223372036854775808\n"), "{out}");
    assert!(
        out.contains("  solvable     yes, derived length 6\n"),
        "{out}"
    );
    assert!(
        out.contains("  G(1)  order 144115188075855872 G(1)/G(2) = C2 x C2"),
        "{out}"
    );
    assert!(
        out.contains("  aussm        6 layers, widths 6, 9, 13, 17, 17, 1\n"),
        "{out}"
    );
}

#[test]
fn iterated_wreath_product_of_c3() {
    // C3 wr C3 wr C3 wr C3 on 81 points, the Sylow 3-subgroup of S81:
    // order 3^(1+3+9+27) = 3^40; derived length 4 by the argument for
    // P32 above with C3 for C2 ([(a,1,1), t] = (a^-1, …, a)).
    let file = source("wreath3", &iterated_wreath("W", 3, 4));
    let v = json(&file, "W");
    assert_eq!(v["order"], "12157665459056928801");
    assert_eq!(v["derived_length"], 4);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        [
            "12157665459056928801",
            "150094635296999121",
            "205891132094649",
            "387420489",
            "1"
        ]
    );
    assert_eq!(
        factors(&v),
        vec![vec![3; 4], vec![3; 6], vec![3; 12], vec![3; 18]]
    );
    assert_eq!(v["is_nilpotent"], true);
    let neg = target(&v, "neg-mamba");
    assert!(neg["layers"].is_null());
    assert_eq!(
        neg["reason"],
        "W has order 12157665459056928801 with odd part 12157665459056928801: not a 2-group"
    );
}

#[test]
fn s4_wr_s4() {
    // S4 wr S4 on 16 points (four blocks of four), order 24^4·24 =
    // 7,962,624. By hand: W/W' = S4^ab × S4^ab = C2 × C2; W' = (sign
    // product even) ⋊ A4; W'' = the same base ⋊ V4 (A4 moves the even
    // sign vectors onto all of them), W''/W''' = C2^4; W''' = A4^4 with
    // the all-odd vector (V4 sends even vectors to 0 or all-ones),
    // W'''/W'''' = C2; W'''' = A4^4, then V4^4 (C3^4 between), then 1
    // (C2^8): derived length 6, as GAP finds.
    let file = source(
        "s4wrs4",
        &perm_group(
            "S4wrS4",
            16,
            &[
                vec![vec![1, 2, 3, 4]],
                vec![vec![1, 2]],
                vec![
                    vec![1, 5, 9, 13],
                    vec![2, 6, 10, 14],
                    vec![3, 7, 11, 15],
                    vec![4, 8, 12, 16],
                ],
                vec![vec![1, 5], vec![2, 6], vec![3, 7], vec![4, 8]],
            ],
        ),
    );
    let v = json(&file, "S4wrS4");
    assert_eq!(v["order"], 7962624);
    assert_eq!(v["derived_length"], 6);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["7962624", "1990656", "663552", "41472", "20736", "256", "1"]
    );
    assert_eq!(
        factors(&v),
        vec![twos(2), vec![3], twos(4), twos(1), vec![3; 4], twos(8)]
    );
    assert_eq!(v["is_nilpotent"], false);
    assert_eq!(target(&v, "aussm")["layers"], 6);
    assert_eq!(
        target(&v, "neg-mamba")["reason"],
        "S4wrS4 has order 7962624 with odd part 243: not a 2-group"
    );
}

#[test]
fn agl_1_1009() {
    // AGL(1, 1009) = C1009 ⋊ C1008 (11 is a primitive root mod 1009):
    // order 1009·1008 = 1,017,072. [t, m] is a non-trivial translation,
    // so G' = C1009, and G/G' = C1008 = C16 × C9 × C7: derived length 2.
    let file = source("agl", &agl1("AGL", 1009, 11));
    let v = json(&file, "AGL");
    assert_eq!(v["order"], 1017072);
    assert_eq!(v["derived_length"], 2);
    assert_eq!(texts(&v["derived_series_orders"]), ["1017072", "1009", "1"]);
    assert_eq!(factors(&v), vec![vec![7, 9, 16], vec![1009]]);
    assert_eq!(v["abelian_invariant_factors"], serde_json::json!([1008]));
    assert_eq!(target(&v, "aussm")["widths"], serde_json::json!([1, 1]));
}

#[test]
fn agl_1_2048() {
    // AGL(1, 2^11) on F_2^11 (point x + 1 for the bit vector x): the 11
    // translations by unit vectors and the multiplication by a root of the
    // primitive polynomial X^11 + X^2 + 1, a 2047-cycle on the non-zero
    // vectors. Order 2^11·2047 = 4,192,256; G' = F_2^11 (the
    // multiplication moves every non-zero translation), G/G' = C2047 =
    // C23 × C89: derived length 2.
    let k = 11;
    let n = 1u64 << k;
    let mut gens: Vec<Vec<Vec<u64>>> = (0..k)
        .map(|i| {
            (0..n)
                .filter(|x| x & (1 << i) == 0)
                .map(|x| vec![x + 1, (x ^ (1 << i)) + 1])
                .collect()
        })
        .collect();
    let mut cycle = Vec::new();
    let mut x = 1u64;
    for _ in 0..n - 1 {
        cycle.push(x + 1);
        x <<= 1;
        if x & n != 0 {
            x ^= n | 0b101;
        }
    }
    assert_eq!(x, 1, "X^11 + X^2 + 1 is primitive");
    gens.push(vec![cycle]);
    let file = source("agl2048", &perm_group("AGL", n, &gens));
    let v = json(&file, "AGL");
    assert_eq!(v["order"], 4192256);
    assert_eq!(v["derived_length"], 2);
    assert_eq!(texts(&v["derived_series_orders"]), ["4192256", "2048", "1"]);
    assert_eq!(factors(&v), vec![vec![23, 89], twos(11)]);
}

#[test]
fn the_2x2x2_cube_group() {
    // The 24 stickers of the 2×2×2 cube, turned by the three faces that
    // miss one fixed corner: order 3^6·7! = 3,674,160 (the fixed corner's
    // orientation, and the other seven's total twist, are determined).
    // It is C3^6 ⋊ S7 with the sum-zero twists: G' = C3^6 ⋊ A7 is
    // perfect (A7 is, and the differences e_i - e_j span the twists), so
    // G/G' = C2 and the derived series stops at order 1,837,080.
    let file = source(
        "cube",
        "group Cube = perm(24) { R = (13,19,22,16)(14,21,23,18)(15,20,24,17), U = (7,21,22,12)(8,20,23,11)(9,19,24,10), F = (4,17,22,11)(5,16,23,10)(6,18,24,12) }\n",
    );
    let v = json(&file, "Cube");
    assert_eq!(v["order"], 3674160);
    assert_eq!(v["is_solvable"], false);
    assert!(v["derived_length"].is_null());
    assert_eq!(texts(&v["derived_series_orders"]), ["3674160", "1837080"]);
    assert_eq!(factors(&v), vec![vec![2]]);
    assert_eq!(
        target(&v, "aussm")["reason"],
        "Cube is not solvable: its derived series stops at a perfect subgroup H of order 1837080 with [H, H] = H"
    );
    let (out, _, code) = gssm_check(&file, &["Cube"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("  G(1)  order 1837080  perfect: [G(1), G(1)] = G(1), so the series stops\n"),
        "{out}"
    );
    // The one-layer targets say what is not computed without the elements.
    assert!(
        out.contains("  pd-ssm       1 layer: width at most 24 (the given action on 24 points;"),
        "{out}"
    );
}

#[test]
fn groups_past_the_limit_inside_products_are_kept_as_chains() {
    let file = source(
        "product",
        &(iterated_wreath("P32", 2, 5) + "group Q = P32 x < a | a^2 >\n"),
    );
    // P32 × C2: order 2^32, the same derived length 5 (C2 is abelian), and
    // G/G' = C2^5 × C2 (P32's abelianisation is C2^5, above).
    let v = json(&file, "Q");
    assert_eq!(v["order"], 1u64 << 32);
    assert_eq!(v["derived_length"], 5);
    assert_eq!(
        texts(&v["abelian_invariants"]),
        twos(6).iter().map(u64::to_string).collect::<Vec<_>>()
    );
    // The element limit only moves where the chain takes over.
    let (out, _, code) = gssm_check(&file, &["P32", "--max-elements", "10"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("P32: order 2147483648\n"), "{out}");
}

#[test]
fn a_chain_past_its_work_limit_is_an_error_not_a_hang() {
    // S_200 by a 200-cycle and a transposition: Schreier–Sims would take
    // minutes; with a small budget it stops at once and names the flag.
    let cycle: Vec<u64> = (1..=200).collect();
    let file = source(
        "work",
        &perm_group("S200", 200, &[vec![cycle], vec![vec![1, 2]]]),
    );
    let (_, err, code) = gssm_check(&file, &["S200", "--max-chain-work", "100000000"]);
    assert_eq!(code, 1);
    assert!(err.contains("point operations"), "{err}");
    assert!(err.contains("--max-chain-work"), "{err}");
    // The same budget is plenty for a big group with a short chain.
    let file = source("work-ok", &iterated_wreath("P32", 2, 5));
    let (out, _, code) = gssm_check(&file, &["P32", "--max-chain-work", "100000000"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("P32: order 2147483648\n"), "{out}");
}
