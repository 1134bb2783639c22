//! Group engine benchmarks: coset enumeration of presentations needing more
//! than 10^5 cosets, and building every group of GAP's small-group oracle.
//!
//! Run with `cargo bench --bench engine`.

use criterion::{criterion_group, criterion_main, Criterion};
use gssm_compiler::group::perm::{from_cycles, group_from_permutations, Perm};
use gssm_compiler::group::{coset, Limits, Word};
use serde_json::Value;
use std::hint::black_box;

const ORACLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/oracle/smallgroups_le120.jsonl"
);

/// < a, b | a^n, b^m, [a, b] > = C_n x C_m.
fn abelian(n: i64, m: i64) -> Vec<Word> {
    vec![
        vec![(0, n)],
        vec![(1, m)],
        vec![(0, -1), (1, -1), (0, 1), (1, 1)],
    ]
}

/// PSL(2,p) = < x, y | x^p, y^2, (xy)^3, (x^4 y x^((p+1)/2) y)^2 >.
fn psl2(p: i64) -> Vec<Word> {
    vec![
        vec![(0, p)],
        vec![(1, 2)],
        [(0, 1), (1, 1)].repeat(3),
        [(0, 4), (1, 1), (0, (p + 1) / 2), (1, 1)].repeat(2),
    ]
}

/// Elementary abelian 2-group of rank k, as a Coxeter presentation.
fn elementary_abelian(k: usize) -> Vec<Word> {
    let mut r: Vec<Word> = (0..k).map(|i| vec![(i, 2)]).collect();
    for i in 0..k {
        for j in i + 1..k {
            r.push(vec![(i, 1), (j, 1), (i, 1), (j, 1)]);
        }
    }
    r
}

fn coset_enumeration(c: &mut Criterion) {
    let lim = Limits::default();
    let mut g = c.benchmark_group("coset_enumeration");
    g.sample_size(10);
    for (name, ngens, rels, order) in [
        ("C400xC400", 2, abelian(400, 400), 160_000),
        ("C2^17", 17, elementary_abelian(17), 131_072),
        ("PSL(2,61)", 2, psl2(61), 113_460),
    ] {
        // Check once that the enumeration is right before timing it.
        let t = coset::coset_table(ngens, &rels, &lim).expect("finite presentation");
        assert_eq!(t.n, order, "{name}");
        g.bench_function(name, |b| {
            b.iter(|| coset::coset_table(ngens, black_box(&rels), &lim).map(|t| t.n))
        });
    }
    g.finish();
}

/// "(1,2,3)(4,5)" → 0-based cycles.
fn cycles(s: &str) -> Vec<Vec<u32>> {
    s.split(')')
        .map(|c| c.trim_start_matches('('))
        .filter(|c| !c.trim().is_empty())
        .map(|c| {
            c.split(',')
                .map(|x| x.trim().parse::<u32>().unwrap() - 1)
                .collect()
        })
        .collect()
}

fn relator(s: &str, gens: &[String]) -> Word {
    s.split('*')
        .map(|tok| {
            let (name, e) = tok.split_once('^').unwrap_or((tok, "1"));
            let j = gens.iter().position(|g| g == name).unwrap();
            (j, e.parse().unwrap())
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn oracle_groups(c: &mut Criterion) {
    let text = std::fs::read_to_string(ORACLE).expect("the oracle lies in tests/oracle");
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let perms: Vec<(Vec<String>, Vec<Perm>)> = rows
        .iter()
        .map(|r| {
            let degree = r["perm_degree"].as_u64().unwrap() as usize;
            let gens: Vec<Perm> = strings(&r["perm_gens"])
                .iter()
                .map(|g| from_cycles(degree, &cycles(g)).unwrap())
                .collect();
            let names = (0..gens.len()).map(|i| format!("g{i}")).collect();
            (names, gens)
        })
        .collect();
    let fps: Vec<(Vec<String>, Vec<Word>)> = rows
        .iter()
        .map(|r| {
            let gens = strings(&r["fp_gens"]);
            let rels = strings(&r["fp_relators"])
                .iter()
                .map(|s| relator(s, &gens))
                .collect();
            (gens, rels)
        })
        .collect();
    let lim = Limits::default();
    let mut g = c.benchmark_group("oracle_739_groups");
    g.sample_size(10);
    g.bench_function("from_perm_gens", |b| {
        b.iter(|| {
            perms
                .iter()
                .map(|(names, gens)| {
                    group_from_permutations("G", names.clone(), gens, &lim)
                        .unwrap()
                        .order()
                })
                .sum::<usize>()
        })
    });
    g.bench_function("from_fp_presentation", |b| {
        b.iter(|| {
            fps.iter()
                .map(|(names, rels)| {
                    coset::enumerate("G", names.clone(), rels, &lim)
                        .unwrap()
                        .order()
                })
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, coset_enumeration, oracle_groups);
criterion_main!(benches);
