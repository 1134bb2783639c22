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

#[test]
fn pc_groups_past_the_limit_inside_products_are_still_errors() {
    let file = source(
        "product",
        &(heisenberg("H", 1000) + "group Q = H x < a | a^2 >\n"),
    );
    let (_, err, code) = gssm_check(&file, &["Q"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("group::pc-in-product") && err.contains("cannot be a factor of a product"),
        "{err}"
    );
    assert!(err.contains("help"), "{err}");
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

#[test]
fn compiling_a_pc_group_past_the_limit_says_what_to_do() {
    let file = source("compile", &heisenberg("H", 1000));
    let out = file.with_extension("safetensors");
    let (_, err, code) = common::gssm(&[
        "compile",
        file.to_str().unwrap(),
        "-g",
        "H",
        "--target",
        "aussm",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            "H is a pc group of order 1000000000, past --max-elements 4096: compiling it lists its elements"
        ),
        "{err}"
    );
    assert!(err.contains("help: raise --max-elements"), "{err}");
    assert!(!out.exists(), "no file is written");
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
