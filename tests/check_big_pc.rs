//! `gssm check` of pc groups past the element limit: they are kept as
//! their presentations and their subgroups computed as induced pc
//! sequences, nothing listed. The expected values are derived by hand
//! (the derivations are in the comments) or, for the iterated wreath
//! products, are GAP 4.12's values for the same groups as permutation
//! groups (the ones `tests/check_big.rs` checks), compared as well against
//! `gssm check` of the permutation group itself.

mod common;

use common::{check_json as json, gssm_check, iterated_wreath, target_entry as target, texts};
use serde_json::{json, Value};

fn source(test: &str, text: &str) -> std::path::PathBuf {
    common::check_source("check-big-pc", test, text)
}

fn factors(v: &Value) -> Vec<Vec<String>> {
    v["derived_factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| texts(&f["prime_powers"]))
        .collect()
}

fn strs(xs: &[u64]) -> Vec<String> {
    xs.iter().map(u64::to_string).collect()
}

/// `group NAME = pc< f1, … | … >` from relative orders (all power
/// relations trivial) and conjugate relations f_j^{f_i} = f_k as
/// 0-based (i, j, k).
fn pc_source(name: &str, orders: &[u64], conj: &[(usize, usize, usize)]) -> String {
    let gens: Vec<String> = (1..=orders.len()).map(|i| format!("f{i}")).collect();
    let mut rels: Vec<String> = orders
        .iter()
        .enumerate()
        .map(|(i, p)| format!("f{}^{p}", i + 1))
        .collect();
    for &(i, j, k) in conj {
        rels.push(format!(
            "f{i}^-1*f{j}*f{i} = f{k}",
            i = i + 1,
            j = j + 1,
            k = k + 1
        ));
    }
    format!(
        "group {name} = pc< {} | {} >\n",
        gens.join(", "),
        rels.join(", ")
    )
}

/// C_p wr C_p wr … (k copies) as a pc presentation: P_1 = C_p = ⟨f1⟩,
/// and P_k = P_{k-1} wr C_p = ⟨t⟩ ⋉ P_{k-1}^p with t first, then the p
/// copies of P_{k-1}'s generators, each copy keeping P_{k-1}'s relations,
/// the copies commuting, and t moving copy c's generator j to copy c+1's
/// (mod p). Every generator has order p: the relative orders are all p,
/// and the order is p^(1 + p + … + p^(k-1)). P_{k-1} wr C_p is the Sylow
/// p-subgroup of S_{p^k}, the group `iterated_wreath` gives by
/// permutations.
fn pc_wreath(p: u64, k: u32) -> (Vec<u64>, Vec<(usize, usize, usize)>) {
    if k == 1 {
        return (vec![p], Vec::new());
    }
    let (orders, conj) = pc_wreath(p, k - 1);
    let m = orders.len();
    let offset = |c: u64| 1 + c as usize * m;
    let mut all_orders = vec![p];
    let mut all_conj = Vec::new();
    for c in 0..p {
        all_orders.extend(&orders);
        for j in 0..m {
            all_conj.push((0, offset(c) + j, offset((c + 1) % p) + j));
        }
        for &(i, j, l) in &conj {
            all_conj.push((offset(c) + i, offset(c) + j, offset(c) + l));
        }
    }
    (all_orders, all_conj)
}

fn wreath_source(name: &str, p: u64, k: u32) -> String {
    let (orders, conj) = pc_wreath(p, k);
    pc_source(name, &orders, &conj)
}

/// The Heisenberg group of 3×3 upper unitriangular matrices over Z/m: x
/// and y the elementary matrices at (1,2) and (2,3), z = [y, x] the one at
/// (1,3), central; relative orders m (composite allowed).
fn heisenberg(name: &str, m: u64) -> String {
    format!("group {name} = pc< x, y, z | x^{m}, y^{m}, z^{m}, [y, x] = z >\n")
}

/// The dihedral group of order 2^(k+1) with its maximal-class pc series:
/// a the reflection, b_i = r^(2^(i-1)) for the rotation r of order 2^k,
/// so b_i^2 = b_(i+1), b_k^2 = 1; a inverts r, and r^(-2^(i-1)) =
/// r^(2^k - 2^(i-1)) = b_i·b_(i+1)⋯b_k (2^k - 2^(i-1) = 2^(i-1) + … +
/// 2^(k-1)).
fn dihedral(name: &str, k: usize) -> String {
    let mut gens = vec!["a".to_string()];
    gens.extend((1..=k).map(|i| format!("b{i}")));
    let mut rels = vec!["a^2".to_string()];
    for i in 1..k {
        rels.push(format!("b{i}^2 = b{}", i + 1));
    }
    rels.push(format!("b{k}^2"));
    for i in 1..=k {
        let tail: Vec<String> = (i..=k).map(|j| format!("b{j}")).collect();
        rels.push(format!("a^-1*b{i}*a = {}", tail.join("*")));
    }
    format!(
        "group {name} = pc< {} | {} >\n",
        gens.join(", "),
        rels.join(", ")
    )
}

#[test]
fn heisenberg_group_mod_1000() {
    // |H| = 1000^3 = 10^9. H' = ⟨z⟩ = Z(H): [y^b, x^a] = z^(ab), so H' is
    // ⟨z⟩ ≅ C1000, H/H' = C1000 × C1000 (x, y), and H' is abelian:
    // derived length 2. C1000 = C8 × C125, so the prime powers are
    // [8, 8, 125, 125] and [8, 125]. Nilpotent of class 2 (z central),
    // not of prime-power order.
    let file = source("heisenberg", &heisenberg("H", 1000));
    let v = json(&file, "H");
    assert_eq!(v["order"], 1_000_000_000u64);
    assert_eq!(v["generators"], json!(["x", "y", "z"]));
    assert_eq!(v["derived_length"], 2);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["1000000000", "1000", "1"]
    );
    assert_eq!(factors(&v), vec![strs(&[8, 8, 125, 125]), strs(&[8, 125])]);
    assert_eq!(v["abelian_invariant_factors"], json!([1000, 1000]));
    assert_eq!(v["abelian_invariants"], json!([8, 8, 125, 125]));
    assert_eq!(v["is_abelian"], false);
    assert_eq!(v["is_nilpotent"], true);
    assert_eq!(v["is_solvable"], true);
    assert_eq!(target(&v, "aussm")["layers"], 2);
    assert_eq!(target(&v, "aussm")["widths"], json!([2, 1]));
    // 10^9 = 2^9 · 5^9.
    assert_eq!(
        target(&v, "neg-mamba")["reason"],
        "H has order 1000000000 with odd part 1953125: not a 2-group"
    );
    // The one-layer targets say what is not computed without the elements.
    assert_eq!(target(&v, "pd-ssm")["layers"], 1);
    let (out, _, code) = gssm_check(&file, &["H"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("H: order 1000000000\n"), "{out}");
    assert!(
        out.contains("  solvable     yes, derived length 2\n"),
        "{out}"
    );
    assert!(
        out.contains("  G/G'         C1000 x C1000 (invariant factors [1000, 1000], prime powers [8, 8, 125, 125])\n"),
        "{out}"
    );
    assert!(
        out.contains("  pd-ssm       1 layer: width at most 1000000000 (the regular action;"),
        "{out}"
    );
}

#[test]
fn dihedral_group_of_order_2_to_the_31() {
    // D = ⟨a, r⟩ of order 2^31, r of order 2^30. [r, a] = r^-2, so
    // D' = ⟨r^2⟩ ≅ C_(2^29), cyclic, and D/D' = C2 × C2: derived length 2.
    // A 2-group of maximal class (30). The series of squares and
    // commutators: D²[D, D] = ⟨r^2⟩ (a² = (ar)² = 1), then ⟨r^4⟩, …,
    // ⟨r^(2^30)⟩ = 1: 1 + 29 layers, of ranks 2, 1, …, 1.
    let file = source("dihedral", &dihedral("D", 30));
    let v = json(&file, "D");
    assert_eq!(v["order"], 2147483648u64);
    assert_eq!(v["derived_length"], 2);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["2147483648", "536870912", "1"]
    );
    assert_eq!(factors(&v), vec![strs(&[2, 2]), strs(&[536870912])]);
    assert_eq!(v["abelian_invariant_factors"], json!([2, 2]));
    assert_eq!(v["is_nilpotent"], true);
    assert_eq!(v["is_abelian"], false);
    assert_eq!(target(&v, "aussm")["widths"], json!([2, 1]));
    let neg = target(&v, "neg-mamba");
    assert_eq!(neg["layers"], 30);
    let mut ranks = vec![2];
    ranks.extend([1; 29]);
    assert_eq!(neg["widths"], json!(ranks));
}

#[test]
fn iterated_wreath_of_c3_as_pc_and_as_permutations() {
    // C3 wr C3 wr C3 wr C3, 40 pc generators, order 3^40 (past 2^53: JSON
    // strings). GAP 4.12 on the permutation group, which tests/check_big.rs
    // checks `gssm check` against: derived series orders 3^40, 3^36, 3^30,
    // 3^18, 1 with factors C3^4, C3^6, C3^12, C3^18. The pc group's report
    // has the same structure.
    let text = wreath_source("W", 3, 4) + &iterated_wreath("Wp", 3, 4);
    let file = source("wreath3", &text);
    let v = json(&file, "W");
    assert_eq!(v["order"], "12157665459056928801");
    assert_eq!(v["derived_length"], 4);
    assert_eq!(
        factors(&v),
        vec![strs(&[3; 4]), strs(&[3; 6]), strs(&[3; 12]), strs(&[3; 18])]
    );
    assert_eq!(v["is_nilpotent"], true);
    assert_eq!(
        target(&v, "neg-mamba")["reason"],
        "W has order 12157665459056928801 with odd part 12157665459056928801: not a 2-group"
    );
    same_structure(&v, &json(&file, "Wp"));
    let (out, _, code) = gssm_check(&file, &["W"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("W: order 12157665459056928801\n"), "{out}");
}

/// Everything but the names, generators, place and the one-layer sizes
/// (which depend on the given action) agrees between two reports of one
/// group.
fn same_structure(a: &Value, b: &Value) {
    for key in [
        "order",
        "is_abelian",
        "is_nilpotent",
        "is_solvable",
        "derived_length",
        "derived_series_orders",
        "derived_factors",
        "abelian_invariants",
        "abelian_invariant_factors",
    ] {
        assert_eq!(a[key], b[key], "{key}");
    }
    for t in ["aussm", "neg-mamba", "mamba", "gla", "s4d"] {
        let (x, y) = (target(a, t), target(b, t));
        assert_eq!(x["layers"], y["layers"], "{t}");
        assert_eq!(x["widths"], y["widths"], "{t}");
    }
}

#[test]
fn c2_wreath_powers_as_pc_and_as_permutations() {
    // C2 wr C2 wr C2 wr C2 (order 2^15 = 32768, past the default 4096) on
    // 16 points and as 15 pc generators: the same report either way.
    // By hand (as for P32 in tests/check_big.rs): derived length 4 and
    // G/G' = C2^4.
    let text = wreath_source("W", 2, 4) + &iterated_wreath("Wp", 2, 4);
    let file = source("wreath2", &text);
    let v = json(&file, "W");
    assert_eq!(v["order"], 32768);
    assert_eq!(v["derived_length"], 4);
    assert_eq!(v["abelian_invariants"], json!([2, 2, 2, 2]));
    assert!(target(&v, "neg-mamba")["layers"].as_u64().is_some());
    same_structure(&v, &json(&file, "Wp"));

    // C2 wr … wr C2 six times: 63 pc generators, order 2^63, against GAP's
    // values for the Sylow 2-subgroup of S64 (tests/check_big.rs) and
    // against the permutation group's report.
    let text = wreath_source("P", 2, 6) + &iterated_wreath("Pp", 2, 6);
    let file = source("wreath2-6", &text);
    let v = json(&file, "P");
    assert_eq!(v["order"], "9223372036854775808");
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
    let twos = |n: usize| strs(&vec![2; n]);
    assert_eq!(
        factors(&v),
        vec![twos(6), twos(9), twos(13), twos(17), twos(17), twos(1)]
    );
    same_structure(&v, &json(&file, "Pp"));
}

/// P, the Heisenberg group mod 1000 (order 10^9, past the element limit;
/// derived series 10^9, 1000, 1 with P/P' = C1000², P' = C1000, as in
/// `heisenberg_group_mod_1000`), and products with it. The derived series
/// of a direct product is the product of the factors' derived series, so
/// its terms' orders multiply and each derived factor is the product of
/// the factors' (its prime powers are the union of theirs; a factor whose
/// series has ended contributes nothing). C1000 = C8 × C125.
fn products_source(test: &str, extra: &str) -> std::path::PathBuf {
    source(
        test,
        &format!("import \"families\"\n{}{extra}", heisenberg("P", 1000)),
    )
}

#[test]
fn powers_of_a_pc_group_past_the_limit_are_pc_groups() {
    let file = products_source(
        "powers",
        "group P2 = P^2\ngroup Q = (P x Cyclic(2))^2\ngroup P5 = P^5\n",
    );
    // P²: order 10^18; (P²)' = P'² of order 10^6, then 1. P²/(P²)' =
    // C1000⁴: prime powers 8⁴ 125⁴, invariant factors 1000⁴; P'² = C1000².
    let v = json(&file, "P2");
    assert_eq!(v["order"], "1000000000000000000");
    assert_eq!(
        v["generators"],
        json!(["x_1", "y_1", "z_1", "x_2", "y_2", "z_2"])
    );
    assert_eq!(v["derived_length"], 2);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["1000000000000000000", "1000000", "1"]
    );
    assert_eq!(
        factors(&v),
        vec![
            strs(&[8, 8, 8, 8, 125, 125, 125, 125]),
            strs(&[8, 8, 125, 125])
        ]
    );
    assert_eq!(
        v["abelian_invariant_factors"],
        json!([1000, 1000, 1000, 1000])
    );
    assert_eq!(v["is_nilpotent"], true);
    assert_eq!(v["is_abelian"], false);
    // aussm: one layer per derived factor, as wide as its rank (4, then 2).
    assert_eq!(target(&v, "aussm")["widths"], json!([4, 2]));
    // (P × C2)²: a power of a product kept as a pc group. Order
    // (2·10^9)² = 4·10^18; derived subgroup P'² (10^6); G/G' = (C1000² ×
    // C2)² = C2² × C1000⁴.
    let v = json(&file, "Q");
    assert_eq!(v["order"], "4000000000000000000");
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["4000000000000000000", "1000000", "1"]
    );
    assert_eq!(
        factors(&v),
        vec![
            strs(&[2, 2, 8, 8, 8, 8, 125, 125, 125, 125]),
            strs(&[8, 8, 125, 125])
        ]
    );
    assert_eq!(
        v["abelian_invariant_factors"],
        json!([2, 2, 1000, 1000, 1000, 1000])
    );
    // P^5 has order 10^45 ≥ 2^127: refused before anything is built.
    let (_, err, code) = gssm_check(&file, &["P5"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("2^127 or more") && err.contains("help"),
        "{err}"
    );
    // The product's consistency check is bounded by --max-pc-work.
    let (_, err, code) = gssm_check(&file, &["P2", "--max-pc-work", "1000"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("collection took more than 1000 steps") && err.contains("--max-pc-work"),
        "{err}"
    );
}

#[test]
fn pc_groups_past_the_limit_times_listed_groups() {
    let file = products_source(
        "listed",
        "group PC5 = P x Cyclic(5)\ngroup PS4 = P x Symmetric(4)\n",
    );
    // P × C5 (C5 a presentation: its regular action): order 5·10^9;
    // (P × C5)' = P' (1000). G/G' = C1000² × C5: prime powers 5, 8, 8,
    // 125, 125 and invariant factors 5 | 1000 | 1000 (C1000 × C5 is not
    // cyclic).
    let v = json(&file, "PC5");
    assert_eq!(v["order"], 5_000_000_000u64);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["5000000000", "1000", "1"]
    );
    assert_eq!(
        factors(&v),
        vec![strs(&[5, 8, 8, 125, 125]), strs(&[8, 125])]
    );
    assert_eq!(v["abelian_invariant_factors"], json!([5, 1000, 1000]));
    assert_eq!(v["is_nilpotent"], true);
    // P × S4 (S4 on its 4 points: series 24, 12, 4, 1 with factors C2,
    // C3, C2²): orders 24·10^9, 1000·12 = 12000, 1·4, 1; factors C1000² ×
    // C2, C1000 × C3 = C3000, C2². Not nilpotent (S4 is not).
    let v = json(&file, "PS4");
    assert_eq!(v["order"], 24_000_000_000u64);
    assert_eq!(v["derived_length"], 3);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["24000000000", "12000", "4", "1"]
    );
    assert_eq!(
        factors(&v),
        vec![
            strs(&[2, 8, 8, 125, 125]),
            strs(&[3, 8, 125]),
            strs(&[2, 2])
        ]
    );
    assert_eq!(v["derived_factors"][1]["invariant_factors"], json!([3000]));
    assert_eq!(v["abelian_invariant_factors"], json!([2, 1000, 1000]));
    assert_eq!(v["is_nilpotent"], false);
    assert_eq!(v["is_solvable"], true);
    assert_eq!(target(&v, "aussm")["layers"], 3);
}

#[test]
fn pc_groups_past_the_limit_times_permutation_groups_past_it() {
    let file = products_source(
        "chains",
        &format!(
            "group PA = P x AGL1(401)\n{}group PW = P x W\n",
            iterated_wreath("W", 2, 4)
        ),
    );
    // AGL(1, 401) (a semidirect product past the limit, kept as a chain):
    // order 160400, AGL' = C401, AGL/AGL' = C400 = C16 × C25. P × AGL:
    // order 1.604·10^14; derived subgroup P' × C401 (401000), then 1. G/G'
    // = C1000² × C400: prime powers 8, 8, 16 and 25, 125, 125, invariant
    // factors 8·25 | 8·125 | 16·125; G'/G'' = C1000 × C401, cyclic.
    let v = json(&file, "PA");
    assert_eq!(v["order"], 160_400_000_000_000u64);
    assert_eq!(v["derived_length"], 2);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["160400000000000", "401000", "1"]
    );
    assert_eq!(
        factors(&v),
        vec![strs(&[8, 8, 16, 25, 125, 125]), strs(&[8, 125, 401])]
    );
    assert_eq!(v["abelian_invariant_factors"], json!([200, 1000, 2000]));
    assert_eq!(
        v["derived_factors"][1]["invariant_factors"],
        json!([401000])
    );
    assert_eq!(v["is_nilpotent"], false);
    // P × W, W = C2 wr C2 wr C2 wr C2 on 16 points (order 2^15, derived
    // series 2^15, 2^11, 2^6, 2, 1 by GAP, see
    // `check_pc_prints_a_presentation_that_reads_back`): orders 2^15·10^9,
    // 2^11·1000, 2^6, 2, 1, and each derived factor W's with P's added
    // (P's series ends after two steps), against W's own report.
    let v = json(&file, "PW");
    let w = json(&file, "W");
    assert_eq!(v["order"], 32_768_000_000_000u64);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["32768000000000", "2048000", "64", "2", "1"]
    );
    let p_factors = [strs(&[8, 8, 125, 125]), strs(&[8, 125])];
    let mut want = factors(&w);
    assert_eq!(want.len(), 4);
    for (f, p) in want.iter_mut().zip(&p_factors) {
        f.extend(p.iter().cloned());
        f.sort_by_key(|x| x.parse::<u64>().unwrap());
    }
    assert_eq!(factors(&v), want);
    // W's factors are elementary abelian of ranks 4, 5, 5, 1 (orders 2^4,
    // 2^11/2^6, 2^6/2, 2).
    assert_eq!(
        want,
        vec![
            strs(&[2, 2, 2, 2, 8, 8, 125, 125]),
            strs(&[2, 2, 2, 2, 2, 8, 125]),
            strs(&[2, 2, 2, 2, 2]),
            strs(&[2])
        ]
    );
    assert_eq!(v["is_nilpotent"], true);
}

#[test]
fn non_solvable_factors_stay_errors() {
    let file = products_source("errors", "group PA5 = P x Alternating(5)\n");
    // A5 has no pc presentation: the error is at the factor.
    let (_, err, code) = gssm_check(&file, &["PA5"]);
    assert_eq!(code, 1);
    assert!(err.contains("group::pc-product-not-solvable"), "{err}");
    assert!(err.contains("not solvable"), "{err}");
    assert!(
        err.contains("multiplies only with solvable groups"),
        "{err}"
    );
    assert!(err.contains("big.gssm:3:17"), "{err}");
    // On the command line too, with the factor's place.
    let (_, err, code) = gssm_check(&file, &["P x Alternating(5)"]);
    assert_eq!(code, 1);
    assert!(err.contains("<group argument>:1:5"), "{err}");
    // The element limit only moves where the presentation takes over.
    let file = source("small", &heisenberg("H", 4));
    let (out, _, code) = gssm_check(&file, &["H", "--max-elements", "10"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("H: order 64\n"), "{out}");
    assert!(
        out.contains("  solvable     yes, derived length 2\n"),
        "{out}"
    );
}

/// `gssm check --pc` of a product kept as a pc group prints its
/// presentation, which reads back (past the element limit) as a group
/// with the same order and derived series.
#[test]
fn check_pc_of_a_pc_product_reads_back() {
    let file = products_source(
        "print-product",
        "group PS4 = P x Symmetric(4)\ngroup PA = P x AGL1(401)\n",
    );
    for (name, order, series) in [
        (
            "PS4",
            json!(24_000_000_000u64),
            vec!["24000000000", "12000", "4", "1"],
        ),
        (
            "PA",
            json!(160_400_000_000_000u64),
            vec!["160400000000000", "401000", "1"],
        ),
    ] {
        let (out, err, code) = gssm_check(&file, &[name, "--pc"]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.starts_with(&format!("group {name} = pc< x, y, z, f1,")),
            "{out}"
        );
        let back = source(&format!("back-{name}"), &out);
        let (o, err, code) = gssm_check(&back, &[name, "--json", "--max-elements", "1"]);
        assert_eq!(code, 0, "{name}: {err}");
        let v: Value = serde_json::from_str(&o).unwrap();
        assert_eq!(v["order"], order, "{name}");
        assert_eq!(texts(&v["derived_series_orders"]), series, "{name}");
        assert_eq!(factors(&v), factors(&json(&file, name)), "{name}");
    }
}

#[test]
fn a_pc_group_past_its_work_limit_is_an_error_not_a_hang() {
    let file = source("work", &wreath_source("P", 2, 6));
    let start = std::time::Instant::now();
    let (_, err, code) = gssm_check(&file, &["P", "--max-pc-work", "1000000"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("collection took more than 1000000 steps"),
        "{err}"
    );
    assert!(err.contains("--max-pc-work"), "{err}");
    assert!(start.elapsed().as_secs() < 60, "{:?}", start.elapsed());
    // The same budget is plenty for a shorter presentation.
    let file = source("work-ok", &heisenberg("H", 1000));
    let (out, _, code) = gssm_check(&file, &["H", "--max-pc-work", "1000000"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("H: order 1000000000\n"), "{out}");
}

#[test]
fn presentations_past_the_orders_gssm_computes_with_are_errors() {
    // 2^128 from 128 generators of relative order 2.
    let orders = vec![2u64; 128];
    let file = source("order", &pc_source("E", &orders, &[]));
    let (_, err, code) = gssm_check(&file, &["E"]);
    assert_eq!(code, 1);
    assert!(err.contains("2^127 or more"), "{err}");
    assert!(err.contains("help"), "{err}");
    // A relative order past 2^32.
    let file = source("rel", "group C = pc< a | a^4294967296 >\n");
    let (_, err, code) = gssm_check(&file, &["C"]);
    assert_eq!(code, 1);
    assert!(err.contains("2^32 or more"), "{err}");
    assert!(err.contains("help"), "{err}");
}

/// A pc group past the element limit compiles to aussm only, with its
/// generators as tokens and each abelian factor within the limit; every
/// other case is an error that says what to do, and writes no file
/// (`tests/big_pc.rs` compiles the ones that fit).
#[test]
fn compiling_a_pc_group_past_the_limit_says_what_to_do() {
    let file = source("compile", &heisenberg("H", 1000));
    let out = file.with_extension("safetensors");
    for (args, want, help) in [
        (
            &["--target", "aussm", "--alphabet", "generators"][..],
            "the abelian factor G_0/G_1 of H has 1000000 elements, more than --max-elements (4096) allows",
            "help: each abelian factor's coordinates are computed on its elements; raise --max-elements",
        ),
        (
            &["--target", "pd-ssm", "--alphabet", "generators"][..],
            "H (order 1000000000) is past the element limit, and a pc group compiles without listing its",
            "help: use --target aussm",
        ),
        (
            &["--target", "aussm", "--max-elements", "2000000"][..],
            "H has 1000000000 elements, too many to make each a token",
            "help: a group past the element limit compiles with its generators as tokens",
        ),
    ] {
        let mut all = vec![
            "compile",
            file.to_str().unwrap(),
            "-g",
            "H",
            "-o",
            out.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        let (_, err, code) = common::gssm(&all);
        assert_eq!(code, 1, "{err}");
        let flat = err.replace("\n  │ ", " ");
        assert!(flat.contains(want), "{err}");
        assert!(flat.contains(help), "{err}");
        assert!(!out.exists(), "no file is written");
    }
}

/// `gssm check --pc` prints a solvable group as a pc presentation that
/// reads back as a group with the same structure: AGL(1, 401) (a
/// semidirect product past the element limit, kept as permutations; by
/// hand: order 401·400, G' = C401, G/G' = C400), the wreath product C2 wr
/// C2 wr C2 wr C2 (GAP's values in `tests/check_big.rs`: order 2^15,
/// derived series 2^15, 2^11, 2^6, 2, 1) and S4 (listed: 24, 12, 4, 1).
/// A group that is not solvable has none, said with help.
#[test]
fn check_pc_prints_a_presentation_that_reads_back() {
    let file = source(
        "print",
        &format!(
            "import \"families\"\ngroup A = AGL1(401)\ngroup S4p = Symmetric(4)\n{}",
            iterated_wreath("W", 2, 4)
        ),
    );
    for (name, order, series) in [
        ("A", 160400u64, vec!["160400", "401", "1"]),
        ("W", 1 << 15, vec!["32768", "2048", "64", "2", "1"]),
        ("S4p", 24, vec!["24", "12", "4", "1"]),
    ] {
        let (out, err, code) = gssm_check(&file, &[name, "--pc"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with(&format!("group {name} = pc<")), "{out}");
        // Read back past the element limit, and listed where it is small.
        let back = source(&format!("back-{name}"), &out);
        let limits: &[&str] = if order < 4096 { &["1", "4096"] } else { &["1"] };
        for &limit in limits {
            let (o, err, code) = gssm_check(&back, &[name, "--json", "--max-elements", limit]);
            assert_eq!(code, 0, "{name}: {err}");
            let v: Value = serde_json::from_str(&o).unwrap();
            assert_eq!(v["order"], order, "{name}");
            assert_eq!(texts(&v["derived_series_orders"]), series, "{name}");
        }
    }
    let (_, err, code) = gssm_check(&file, &["Alternating(5)", "--pc"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("not solvable") && err.contains("help:"),
        "{err}"
    );
}

/// Semidirect products with a pc group past the element limit, kept as pc
/// groups: A = (Z/1000)² = ⟨a, b⟩ and P the Heisenberg group over Z/1000.
fn semidirect_source(test: &str) -> std::path::PathBuf {
    products_source(
        test,
        "group A = pc< a, b | a^1000, b^1000 >\n\
         group Inv = A : < t | t^2 > by { t: a -> a^-1, b -> b^-1 }\n\
         group Swap = A : < t | t^2 > by { t: a -> b, b -> a }\n\
         group SP = P : < c | c^2 > by { c: x -> y, y -> x, z -> z^-1 }\n\
         group CP = < r | r^3 > : P by { x: r -> r^-1 }\n\
         group AS3 = A : < s, r | s^2, r^3, (s*r)^2 > by { s: a -> b, b -> a; r: a -> b, b -> a^-1*b^-1 }\n\
         group Square = A : < t | t^2 > by { t: a -> a^2 }\n\
         group Quarter = A : < t | t^2 > by { t: a -> b, b -> a^-1 }\n\
         group PA5 = P : Alternating(5) by { }\n\
         group D8 = < a | a^4 > : < t | t^2 > by { t: a -> a^-1 }\n\
         group Twice = A : < u, v | u^2, v*u^-1 > by { u: a -> a^-1, b -> b^-1; v: a -> a, b -> b }\n\
         group TwiceOk = A : < u, v | u^2, v*u^-1 > by { u: a -> a^-1, b -> b^-1; v: a -> a^-1, b -> b^-1 }\n\
         group TrivH = A : < u | u > by { u: a -> a^-1, b -> b^-1 }\n",
    )
}

#[test]
fn semidirect_products_with_a_pc_group_past_the_limit_are_pc_groups() {
    let file = semidirect_source("semidirect");
    // A ⋊ C2 by inversion: order 2·10^6. [n, t] = n^-1·n^t = n^-2, so G'
    // = 2A = {n²} ≅ C500² (order 250000), abelian: derived length 2. G/G'
    // = A/2A × C2 = C2³. C500 = C4 × C125. t inverts the 125-part, so not
    // nilpotent. H's pc generator (a listed group, converted) is f1.
    let v = json(&file, "Inv");
    assert_eq!(v["order"], 2_000_000u64);
    assert_eq!(v["generators"], json!(["f1", "a", "b"]));
    assert_eq!(v["derived_length"], 2);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["2000000", "250000", "1"]
    );
    assert_eq!(factors(&v), vec![strs(&[2, 2, 2]), strs(&[4, 4, 125, 125])]);
    assert_eq!(v["abelian_invariant_factors"], json!([2, 2, 2]));
    assert_eq!(
        v["derived_factors"][1]["invariant_factors"],
        json!([500, 500])
    );
    assert_eq!(v["is_nilpotent"], false);
    assert_eq!(v["is_solvable"], true);
    // C1000 wr C2 (t swaps a and b): [a^i b^j, t] = a^(j-i) b^(i-j), so G'
    // = {a^k b^-k} ≅ C1000; G/G' = C1000 (a ≡ b) × C2. Not nilpotent (the
    // base group is not a 2-group).
    let v = json(&file, "Swap");
    assert_eq!(v["order"], 2_000_000u64);
    assert_eq!(texts(&v["derived_series_orders"]), ["2000000", "1000", "1"]);
    assert_eq!(factors(&v), vec![strs(&[2, 8, 125]), strs(&[8, 125])]);
    assert_eq!(v["abelian_invariant_factors"], json!([2, 1000]));
    assert_eq!(v["is_nilpotent"], false);
    // P ⋊ C2, c swapping x and y (so [x, y] = z^-1 and z ↦ z^-1): order
    // 2·10^9. G' = ⟨u, z⟩ with u = [x, c] = x^-1·y and z = [y, x]; it is
    // normal (u^x = u·z, u^y = z·u, u^c = u^-1) with G/G' = C1000 (x ≡ y)
    // × C2, so |G'| = 10^6, abelian (z is central in P). In P, (x^a
    // y^b)(x^c y^d) = x^(a+c) y^(b+d) z^(bc), so u^k = x^-k y^k
    // z^(-k(k-1)/2) and u^1000 = z^-499500 = z^500: u has order 2000 and
    // G' = Z²/⟨(2000, 0), (0, 1000), (1000, -500)⟩, whose invariant
    // factors are gcd = 500 and 10^6/500 = 2000: C500 × C2000, prime
    // powers 4, 16, 125, 125.
    let v = json(&file, "SP");
    assert_eq!(v["order"], 2_000_000_000u64);
    assert_eq!(v["generators"], json!(["f1", "x", "y", "z"]));
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["2000000000", "1000000", "1"]
    );
    assert_eq!(
        factors(&v),
        vec![strs(&[2, 8, 125]), strs(&[4, 16, 125, 125])]
    );
    assert_eq!(v["abelian_invariant_factors"], json!([2, 1000]));
    assert_eq!(
        v["derived_factors"][1]["invariant_factors"],
        json!([500, 2000])
    );
    assert_eq!(v["is_nilpotent"], false);
    // C3 ⋊ P, x inverting r (x has even order 1000; y and z act
    // trivially): order 3·10^9, the pc group now H. G' = ⟨z⟩ × ⟨r⟩ ([r, x]
    // = r^-2 = r), cyclic of order 3000; G/G' = C1000² (x, y).
    let v = json(&file, "CP");
    assert_eq!(v["order"], 3_000_000_000u64);
    assert_eq!(v["generators"], json!(["x", "y", "z", "f1"]));
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["3000000000", "3000", "1"]
    );
    assert_eq!(
        factors(&v),
        vec![strs(&[8, 8, 125, 125]), strs(&[3, 8, 125])]
    );
    assert_eq!(v["derived_factors"][1]["invariant_factors"], json!([3000]));
    // A ⋊ S3, S3 on A through its 2-dimensional representation (s: a ↔
    // b, r: a ↦ b ↦ a^-1·b^-1, of order 3; (s·r)² fixes a and b): S3's pc
    // generators are not s and r, so the action goes through words in
    // them. r - 1 sends a, b to b - a, -a - 2b, of determinant 3, a unit
    // mod 1000: [A, r] = A. So G' = A ⋊ A3 (3·10^6), G'' = A (10^6), G'''
    // = 1; factors C2, C3, C1000².
    let v = json(&file, "AS3");
    assert_eq!(v["order"], 6_000_000u64);
    assert_eq!(v["derived_length"], 3);
    assert_eq!(
        texts(&v["derived_series_orders"]),
        ["6000000", "3000000", "1000000", "1"]
    );
    assert_eq!(
        factors(&v),
        vec![strs(&[2]), strs(&[3]), strs(&[8, 8, 125, 125])]
    );
    assert_eq!(v["is_nilpotent"], false);
    // Small operands and a small product stay listed, as before: D8.
    let v = json(&file, "D8");
    assert_eq!(v["order"], 8);
    assert_eq!(v["generators"], json!(["a", "t"]));
    assert_eq!(texts(&v["derived_series_orders"]), ["8", "2", "1"]);
    assert_eq!(v["is_nilpotent"], true);
}

#[test]
fn semidirect_products_with_a_pc_group_check_their_action() {
    let file = semidirect_source("semidirect-errors");
    // a ↦ a² is no automorphism of C1000 (1000 is even).
    let (_, err, code) = gssm_check(&file, &["Square"]);
    assert_eq!(code, 1);
    assert!(err.contains("action::not-automorphism"), "{err}");
    assert!(err.contains("inconsistent"), "{err}");
    assert!(
        err.contains(
            "help: the action is not by automorphisms of N, or does not respect H's relations"
        ),
        "{err}"
    );
    // At the action block, on line 9 (after `import`, P and the rest).
    assert!(err.contains("big.gssm:9:"), "{err}");
    // a ↦ b ↦ a^-1 is an automorphism of order 4, but t² = 1.
    let (_, err, code) = gssm_check(&file, &["Quarter"]);
    assert_eq!(code, 1);
    assert!(err.contains("action::not-automorphism"), "{err}");
    assert!(err.contains("big.gssm:10:"), "{err}");
    // H = < u, v | u^2, v = u > is C2, listed: v is u, so it must act as
    // u does. Acting trivially instead breaks H's relation v·u^-1 = 1, even
    // though each map alone is an automorphism of A.
    let (_, err, code) = gssm_check(&file, &["Twice"]);
    assert_eq!(code, 1);
    assert!(err.contains("action::not-automorphism"), "{err}");
    assert!(err.contains("the action of `v`"), "{err}");
    let v = json(&file, "TwiceOk");
    assert_eq!(v["order"], 2_000_000u64);
    // A trivial H (u = 1) can only act trivially.
    let (_, err, code) = gssm_check(&file, &["TrivH"]);
    assert_eq!(code, 1);
    assert!(err.contains("the action of `u`"), "{err}");
    // A5 has no pc presentation: the error is at the operand.
    let (_, err, code) = gssm_check(&file, &["PA5"]);
    assert_eq!(code, 1);
    assert!(err.contains("group::pc-semidirect-not-solvable"), "{err}");
    assert!(err.contains("not solvable"), "{err}");
    assert!(err.contains("big.gssm:11:17"), "{err}");
    assert!(
        err.contains("help: a semidirect product with a pc group past the element limit is kept as a pc group"),
        "{err}"
    );
    // The product's consistency check is bounded by --max-pc-work.
    let (_, err, code) = gssm_check(&file, &["SP", "--max-pc-work", "100"]);
    assert_eq!(code, 1);
    assert!(err.contains("--max-pc-work"), "{err}");
    // A product kept as a pc group is an operand in turn: Inv ⋊ C2 with
    // u acting trivially is Inv × C2 (order 4·10^6, G/G' = C2⁴, G' =
    // Inv'), and (Inv x Cyclic(2)) the same as a direct product.
    for expr in ["Inv : < u | u^2 > by { }", "Inv x Cyclic(2)"] {
        let (out, err, code) = gssm_check(&file, &[expr, "--json"]);
        assert_eq!(code, 0, "{expr}: {err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["order"], 4_000_000u64, "{expr}");
        assert_eq!(
            texts(&v["derived_series_orders"]),
            ["4000000", "250000", "1"],
            "{expr}"
        );
        assert_eq!(
            v["abelian_invariant_factors"],
            json!([2, 2, 2, 2]),
            "{expr}"
        );
    }
}

/// `gssm check --pc` of a semidirect product kept as a pc group prints a
/// presentation that reads back with the same order and derived series.
#[test]
fn check_pc_of_a_pc_semidirect_product_reads_back() {
    let file = semidirect_source("print-semidirect");
    for (name, start) in [
        ("Inv", "group Inv = pc< f1, a, b |"),
        ("SP", "group SP = pc< f1, x, y, z |"),
        ("AS3", "group AS3 = pc< f1, f2, a, b |"),
    ] {
        let (out, err, code) = gssm_check(&file, &[name, "--pc"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with(start), "{out}");
        let back = source(&format!("back-{name}"), &out);
        let (o, err, code) = gssm_check(&back, &[name, "--json", "--max-elements", "1"]);
        assert_eq!(code, 0, "{name}: {err}");
        let v: Value = serde_json::from_str(&o).unwrap();
        let w = json(&file, name);
        assert_eq!(v["order"], w["order"], "{name}");
        assert_eq!(
            v["derived_series_orders"], w["derived_series_orders"],
            "{name}"
        );
        assert_eq!(factors(&v), factors(&w), "{name}");
    }
    // SP's action reads as written: c swaps x and y and inverts z.
    let (out, _, _) = gssm_check(&file, &["SP", "--pc"]);
    assert!(out.contains("f1^-1*x*f1 = y,"), "{out}");
    assert!(out.contains("f1^-1*z*f1 = z^999,"), "{out}");
}
