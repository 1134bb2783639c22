//! Solvable permutation groups (stabiliser chains) converted to pc
//! presentations (`group::bsgs::pcpres`), against GAP's small-groups
//! oracle and two big groups.
//!
//! For each solvable oracle group, built from its permutation generators:
//! the presentation's order, derived series orders, derived factor
//! invariants and derived length are GAP's; the exponent map is a
//! bijection onto the exponent vectors (every element) and a homomorphism
//! (random pairs, the product taken as permutations); and the printed
//! presentation reads back through the language as the same presentation,
//! whose listed group has GAP's order. The groups that are not solvable
//! are refused as such. The big groups (AGL(1, 401), the Sylow subgroups
//! of S16, S64 and S81) get the same checks on samples, with expected
//! values derived in their tests.

mod common;

use common::{oracle_rows, parse_cycles, u32s};
use gssm_compiler::diagnostics::render_plain;
use gssm_compiler::elaborate::{load_source, Checked};
use gssm_compiler::group::bsgs::pcpres::{pc_presentation, pc_source, PcOfChain, PcOfChainError};
use gssm_compiler::group::bsgs::series;
use gssm_compiler::group::bsgs::{mul, Chain, ChainLimits, Perm};
use gssm_compiler::group::pc::{Exps, Pc, DEFAULT_MAX_WORK};
use gssm_compiler::group::pcgs;
use gssm_compiler::group::perm::from_cycles;
use gssm_compiler::group::Limits;
use num_bigint::BigUint;
use serde_json::Value;
use std::time::Instant;

/// A deterministic xorshift generator: the samples are the same each run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn row_chain(row: &Value) -> Chain {
    let degree = row["perm_degree"].as_u64().unwrap() as usize;
    let gens: Vec<Perm> = row["perm_gens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| from_cycles(degree, &parse_cycles(g.as_str().unwrap())).unwrap())
        .collect();
    Chain::generated(degree, &gens, ChainLimits::default()).unwrap()
}

fn derived_orders(pc: &Pc) -> Vec<BigUint> {
    pcgs::derived_series(pc)
        .unwrap()
        .iter()
        .map(pcgs::Pcgs::order)
        .collect()
}

/// The derived factors' abelian invariants as prime powers.
fn derived_factors(pc: &Pc) -> Vec<Vec<BigUint>> {
    let ds = pcgs::derived_series(pc).unwrap();
    ds.windows(2)
        .map(|w| {
            pcgs::factor_invariants(pc, &w[0], &w[1])
                .unwrap()
                .iter()
                .map(pcgs::PrimePower::value)
                .collect()
        })
        .collect()
}

fn big(xs: &[u64]) -> Vec<BigUint> {
    xs.iter().map(|&x| BigUint::from(x)).collect()
}

/// `samples` random pairs (x, y) of the group, by normal form: the
/// exponent vector of x·y is the collected product of x's and y's, and
/// each vector maps back to its permutation.
fn check_homomorphism(g: &Chain, conv: &PcOfChain, samples: usize, rng: &mut Rng) -> Vec<String> {
    let order = u64::try_from(&g.order()).unwrap();
    let mut bad = Vec::new();
    for _ in 0..samples {
        let x = g.unrank(rng.below(order));
        let y = g.unrank(rng.below(order));
        let (Some(ex), Some(ey), Some(exy)) = (
            conv.exponents(&x),
            conv.exponents(&y),
            conv.exponents(&mul(&x, &y)),
        ) else {
            bad.push("an element without exponents".to_string());
            break;
        };
        if conv.pc().mul(&ex, &ey).unwrap() != exy {
            bad.push(format!("map(x·y) ≠ map(x)·map(y) for {ex:?}, {ey:?}"));
            break;
        }
        if conv.permutation(&ex).as_ref() != Some(&x) {
            bad.push(format!("{ex:?} does not map back"));
            break;
        }
    }
    bad
}

/// Exponent vectors of `elems` are pairwise distinct.
fn injective(conv: &PcOfChain, elems: &[Perm]) -> bool {
    let mut exps: Vec<Exps> = elems.iter().filter_map(|x| conv.exponents(x)).collect();
    let count = exps.len();
    exps.sort_unstable();
    exps.dedup();
    count == elems.len() && exps.len() == count
}

/// The printed presentation read back (kept as a presentation: element
/// limit 1) is the same presentation; `None` when it is, else what
/// differs.
fn reads_back(pc: &Pc, name: &str) -> Option<String> {
    let text = pc_source(pc, name);
    let limits = Limits {
        max_elements: 1,
        ..Limits::default()
    };
    let program = match load_source("printed.gssm", &text, &limits) {
        Ok(p) => p,
        Err(d) => return Some(format!("{text}: {}", render_plain(&d))),
    };
    match program.eval_to_check(name) {
        Ok(Checked::Pc(e)) => {
            let same = e.pc.relative_orders() == pc.relative_orders()
                && (0..pc.len()).all(|i| {
                    e.pc.power_relation(i) == pc.power_relation(i)
                        && (i + 1..pc.len())
                            .all(|j| e.pc.conjugate_relation(i, j) == pc.conjugate_relation(i, j))
                });
            (!same).then(|| format!("{text}: read back as another presentation"))
        }
        // The trivial group is listed even under an element limit of 1.
        Ok(Checked::Listed(e)) if pc.is_empty() && e.group.order() == 1 => None,
        Ok(_) => Some(format!("{text}: not kept as a pc presentation")),
        Err(d) => Some(format!("{text}: {}", render_plain(&d))),
    }
}

/// The order of the group the printed source lists.
fn listed_order(pc: &Pc, name: &str) -> Result<usize, String> {
    let text = pc_source(pc, name);
    let program =
        load_source("printed.gssm", &text, &Limits::default()).map_err(|d| render_plain(&d))?;
    let e = program.eval(name).map_err(|d| render_plain(&d))?;
    Ok(e.group.order())
}

#[test]
fn oracle_groups_convert_to_gap_s_groups() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut converted = 0;
    let mut refused = 0;
    let mut failures = Vec::new();
    for row in oracle_rows() {
        let id = format!("{}", row["id"]);
        let g = row_chain(&row);
        if !row["is_solvable"].as_bool().unwrap() {
            match pc_presentation(&g, DEFAULT_MAX_WORK) {
                Err(PcOfChainError::NotSolvable { .. }) => refused += 1,
                other => failures.push(format!("{id}: not refused as unsolvable: {other:?}")),
            }
            continue;
        }
        let conv = match pc_presentation(&g, DEFAULT_MAX_WORK) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{id}: {e}"));
                continue;
            }
        };
        let pc = conv.pc();
        let mut bad: Vec<String> = Vec::new();
        let order = row["order"].as_u64().unwrap();
        if pc.order() != order as u128 {
            bad.push(format!("order {}", pc.order()));
        }
        let orders = derived_orders(pc);
        let want: Vec<u64> = u32s(&row["derived_series_orders"])
            .iter()
            .map(|&x| x as u64)
            .collect();
        if orders != big(&want) {
            bad.push(format!("derived series orders {orders:?}"));
        }
        if Some(orders.len() as u64 - 1) != row["derived_length"].as_u64() {
            bad.push("derived length".to_string());
        }
        let factors = derived_factors(pc);
        let want: Vec<Vec<BigUint>> = row["derived_factor_invariants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| u32s(f).iter().map(|&x| BigUint::from(x)).collect())
            .collect();
        if factors != want {
            bad.push(format!("derived factor invariants {factors:?}"));
        }
        // Every element: a bijection onto the exponent vectors.
        let all: Vec<Perm> = (0..order).map(|i| g.unrank(i)).collect();
        if !injective(&conv, &all) {
            bad.push("not injective".to_string());
        }
        bad.extend(check_homomorphism(&g, &conv, 100, &mut rng));
        bad.extend(reads_back(pc, "G"));
        match listed_order(pc, "G") {
            Ok(n) if n as u64 == order => {}
            Ok(n) => bad.push(format!("printed source lists {n} elements")),
            Err(e) => bad.push(e),
        }
        if !bad.is_empty() {
            failures.push(format!("{id} {}: {}", row["structure"], bad.join("; ")));
        }
        converted += 1;
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // 739 rows: 735 solvable (the trivial group among them), and A5, S5,
    // SL(2, 5) and A5 × C2 not.
    assert_eq!((converted, refused), (735, 4));
}

/// AGL(1, 401) = C401 ⋊ C400 on 401 points (point x + 1 for x in Z/401):
/// the translation x ↦ x + 1 and the multiplication x ↦ 3x (3 is a
/// primitive root mod 401, checked here: 3^(400/q) ≢ 1 for q = 2, 5).
fn agl_1_401() -> Chain {
    let p = 401u64;
    let pow = |mut b: u64, mut e: u64| {
        let mut r = 1;
        while e > 0 {
            if e & 1 == 1 {
                r = r * b % p;
            }
            b = b * b % p;
            e >>= 1;
        }
        r
    };
    assert!(pow(3, 200) != 1 && pow(3, 80) != 1);
    let t: Perm = (0..p).map(|x| ((x + 1) % p) as u32).collect();
    let m: Perm = (0..p).map(|x| (3 * x % p) as u32).collect();
    Chain::generated(p as usize, &[t, m], ChainLimits::default()).unwrap()
}

/// The conversion of a big group, timed, with the checks every group gets
/// that do not list it.
fn convert_big(name: &str, g: &Chain, samples: usize) -> PcOfChain {
    let start = Instant::now();
    let conv = pc_presentation(g, DEFAULT_MAX_WORK).unwrap();
    eprintln!(
        "{name}: converted in {:.3} s ({} pc generators)",
        start.elapsed().as_secs_f64(),
        conv.pc().len()
    );
    assert_eq!(BigUint::from(conv.pc().order()), g.order());
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let bad = check_homomorphism(g, &conv, samples, &mut rng);
    assert!(bad.is_empty(), "{name}: {bad:?}");
    // A sample of distinct elements keeps distinct exponent vectors.
    let order = u64::try_from(&g.order()).unwrap();
    let mut ids: Vec<u64> = (0..samples).map(|_| rng.below(order)).collect();
    ids.sort_unstable();
    ids.dedup();
    let elems: Vec<Perm> = ids.iter().map(|&i| g.unrank(i)).collect();
    assert!(injective(&conv, &elems), "{name}: not injective");
    assert_eq!(reads_back(conv.pc(), name), None);
    // Kept as a presentation (element limit 1), the printed source has
    // the group's order.
    let text = pc_source(conv.pc(), name);
    let limits = Limits {
        max_elements: 1,
        ..Limits::default()
    };
    let program = load_source("printed.gssm", &text, &limits).unwrap();
    match program.eval_to_check(name) {
        Ok(Checked::Pc(e)) => assert_eq!(BigUint::from(e.pc.order()), g.order()),
        _ => panic!("{name}: not read back as a pc presentation"),
    }
    conv
}

#[test]
fn agl_1_401_converts() {
    // |AGL(1, 401)| = 401·400 = 160400. G' = T, the translations: G/T ≅
    // (Z/401)^× ≅ C400 is abelian, so G' ≤ T, and [t, m] is a translation
    // by a nonzero amount (3 ≠ 1), so G' ≠ 1 and, T having prime order,
    // G' = T; T is abelian, so G'' = 1. The series [160400, 401, 1], G/G'
    // = C400 = C16 × C25 and G' = C401; the pc generators refine C400 to
    // 2, 2, 2, 2, 5, 5 and then 401.
    let g = agl_1_401();
    assert_eq!(g.order(), BigUint::from(160400u32));
    let conv = convert_big("AGL", &g, 300);
    let pc = conv.pc();
    assert_eq!(pc.relative_orders(), &[2, 2, 2, 2, 5, 5, 401]);
    assert_eq!(derived_orders(pc), big(&[160400, 401, 1]));
    assert_eq!(derived_factors(pc), vec![big(&[16, 25]), big(&[401])]);
}

#[test]
fn c2_wr_c2_wr_c2_wr_c2_converts() {
    // |P_k| = 2·|P_(k-1)|², so |P_1..P_4| = 2, 8, 128, 2^15. Derived
    // length k (tests/check_big.rs derives it); G/G' = C2^4, one C2 per
    // wreath level, and (A wr C2)' = {(a, b) ∈ A × A : ab ∈ A'} has order
    // |A|·|A'| = 2^7·2^4 = 2^11 for A = P_3 (|P_3'| = 2^4 likewise from
    // |P_2'| = |D8'| = 2). The orders of G'' and G''' (2^6 and 2) are the
    // permutation engine's derived series (bsgs::series, checked against
    // GAP on the Sylow 2-subgroups of S32 and S64 in tests/check_big.rs),
    // compared here as well.
    // P_4 = C2 wr C2 wr C2 wr C2 on 16 points, the Sylow 2-subgroup of S16.
    let g = wreath(2, 4);
    assert_eq!(g.order(), BigUint::from(1u32 << 15));
    let conv = convert_big("P16", &g, 300);
    let pc = conv.pc();
    assert_eq!(pc.relative_orders(), &[2; 15]);
    let want = big(&[1 << 15, 1 << 11, 1 << 6, 2, 1]);
    let engine: Vec<BigUint> = series::derived_series(&g)
        .unwrap()
        .iter()
        .map(Chain::order)
        .collect();
    assert_eq!(engine, want);
    assert_eq!(derived_orders(pc), want);
    let twos = |k: usize| vec![BigUint::from(2u32); k];
    assert_eq!(
        derived_factors(pc),
        vec![twos(4), twos(5), twos(5), twos(1)]
    );
}

/// C_p wr … wr C_p (k times) on p^k points, the Sylow p-subgroup of
/// S_{p^k}: generator j turns the first p^j points by p^(j-1), as
/// `tests/common`'s `wreath_generators` does.
fn wreath(p: u32, k: u32) -> Chain {
    let n = p.pow(k);
    let gens: Vec<Perm> = (1..=k)
        .map(|j| {
            let h = p.pow(j - 1);
            (0..n)
                .map(|x| if x < p * h { (x + h) % (p * h) } else { x })
                .collect()
        })
        .collect();
    Chain::generated(n as usize, &gens, ChainLimits::default()).unwrap()
}

#[test]
fn sylow_subgroups_of_s64_and_s81_convert() {
    // The derived series orders are GAP 4.12's, as tests/check_big.rs
    // checks them for the same groups as permutation groups.
    let strs = |xs: &[&str]| -> Vec<BigUint> { xs.iter().map(|x| x.parse().unwrap()).collect() };
    let cases = [
        (
            "P64",
            wreath(2, 6),
            strs(&[
                "9223372036854775808",
                "144115188075855872",
                "281474976710656",
                "34359738368",
                "262144",
                "2",
                "1",
            ]),
        ),
        (
            "W",
            wreath(3, 4),
            strs(&[
                "12157665459056928801",
                "150094635296999121",
                "205891132094649",
                "387420489",
                "1",
            ]),
        ),
    ];
    for (name, g, want) in cases {
        let conv = convert_big(name, &g, 100);
        assert_eq!(derived_orders(conv.pc()), want, "{name}");
    }
}
