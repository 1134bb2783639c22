//! Group → weight file → loaded model → executors, on groups built from
//! permutations: round trips, determinism, and tracking against the group's
//! multiplication.

use gssm_compiler::construct::Alphabet;
use gssm_compiler::group::perm::{from_cycles, group_from_permutations};
use gssm_compiler::group::{Group, Limits};
use gssm_compiler::pipeline::{compile, Options, Origin};
use gssm_compiler::target;
use gssm_compiler::verify::{exhaustive_cpu, proof};
use gssm_runtime::exec::{build, Backend};
use gssm_runtime::format::{load, FloatDtype, LoadLimits};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::Tokens;
use gssm_runtime::truth::running_products;

fn perms(name: &str, degree: usize, gens: &[&[&[u32]]]) -> Group {
    let ps: Vec<Vec<u32>> = gens
        .iter()
        .map(|cycles| {
            let c: Vec<Vec<u32>> = cycles
                .iter()
                .map(|c| c.iter().map(|x| x - 1).collect())
                .collect();
            from_cycles(degree, &c).unwrap()
        })
        .collect();
    let names = (0..ps.len())
        .map(|i| ["a", "b", "c"][i].to_string())
        .collect();
    group_from_permutations(name, names, &ps, &Limits::default()).unwrap()
}

fn s4() -> Group {
    perms("S4", 4, &[&[&[1, 2, 3, 4]], &[&[1, 2]]])
}

fn lcg_tokens(v: usize, n: usize, mut seed: u64) -> Vec<u32> {
    (0..n)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % v as u64) as u32
        })
        .collect()
}

#[test]
fn file_round_trips_and_is_deterministic() {
    let g = s4();
    let aussm = target::by_name("aussm").unwrap();
    for dt in [FloatDtype::F32, FloatDtype::F64] {
        let (model, bytes) = compile(
            &g,
            &Origin::default(),
            aussm,
            &Options::new(Alphabet::Elements, dt),
        )
        .unwrap();
        let (_, again) = compile(
            &g,
            &Origin::default(),
            aussm,
            &Options::new(Alphabet::Elements, dt),
        )
        .unwrap();
        assert_eq!(bytes, again, "same input must give the same bytes");
        let loaded = load(&bytes, &LoadLimits::default()).unwrap();
        assert_eq!(loaded.manifest, model.manifest);
        assert_eq!(
            loaded.diagonal().expect("diagonal").readout,
            model.diagonal().expect("diagonal").readout
        );
        assert_eq!(loaded.truth, model.truth);
        for (a, b) in loaded
            .diagonal()
            .expect("diagonal")
            .layers
            .iter()
            .zip(&model.diagonal().expect("diagonal").layers)
        {
            assert_eq!(a.cocycle, b.cocycle);
            assert_eq!(a.transition_code, b.transition_code);
            for (x, y) in a.a_re.iter().zip(&b.a_re) {
                assert!((x - y).abs() < 1e-7);
            }
        }
        assert!(proof(&loaded).ok);
    }
}

#[test]
fn s4_tracks_random_sequences_in_f32_and_f64() {
    let g = s4();
    let (model, _) = compile(
        &g,
        &Origin::default(),
        target::by_name("aussm").unwrap(),
        &Options::new(Alphabet::Elements, FloatDtype::F32),
    )
    .unwrap();
    assert_eq!(
        model.diagonal().expect("diagonal").layers.len(),
        3,
        "S4 has derived length 3"
    );
    let ids = lcg_tokens(24, 64 * 500, 7);
    let toks = Tokens::new(&model, 64, 500, ids).unwrap();
    let truth = running_products(&model, &toks);
    for dt in [Dtype::F64, Dtype::F32] {
        let out = build(&model, Backend::Reference, dt)
            .unwrap()
            .run(&toks)
            .unwrap();
        assert_eq!(out, truth, "{dt:?}");
    }
}

#[test]
fn word_problem_alphabet_with_inverses() {
    let g = s4();
    let (model, _) = compile(
        &g,
        &Origin::default(),
        target::by_name("aussm").unwrap(),
        &Options::new(Alphabet::Generators { inverses: true }, FloatDtype::F32),
    )
    .unwrap();
    // a = (1,2,3,4) has an inverse token, b = (1,2) is an involution.
    assert_eq!(model.manifest.tokens, vec!["a", "a^-1", "b"]);
    assert!(proof(&model).ok);
    let ex = exhaustive_cpu::<f32>(&model, 8);
    assert_eq!(ex.sequences, (1..=8).map(|l| 3u64.pow(l)).sum::<u64>());
    assert_eq!(ex.mismatches, 0);
}

#[test]
fn corrupted_tables_are_caught_by_proof_and_exhaustive_check() {
    let g = perms("S3", 3, &[&[&[1, 2, 3]], &[&[1, 2]]]);
    let (model, _) = compile(
        &g,
        &Origin::default(),
        target::by_name("aussm").unwrap(),
        &Options::new(Alphabet::Elements, FloatDtype::F32),
    )
    .unwrap();
    let mut model = model.into_model();
    let k = model
        .diagonal()
        .and_then(|d| d.readout.as_ref())
        .expect("a readout")
        .len()
        - 1;
    let d = model.diagonal_mut().expect("diagonal");
    let r = d.readout.as_mut().expect("a readout");
    r[k] = (r[k] + 1) % 6;
    let model = gssm_runtime::validate(model, &LoadLimits::default()).unwrap();
    let pr = proof(&model);
    assert!(!pr.ok, "{pr:?}");
    let ex = exhaustive_cpu::<f32>(&model, 4);
    assert!(ex.mismatches > 0);
    let first = ex.first_failure.unwrap();
    // The first failing sequence really is wrong and every proper prefix right.
    let toks = Tokens::new(&model, 1, first.len(), first.clone()).unwrap();
    let out = build(&model, Backend::Reference, Dtype::F32)
        .unwrap()
        .run(&toks)
        .unwrap();
    let truth = running_products(&model, &toks);
    assert_ne!(out.last(), truth.last());
    assert_eq!(out[..first.len() - 1], truth[..first.len() - 1]);
}

#[test]
fn trivial_group_compiles_to_zero_layers() {
    let g = Group::trivial("1");
    let (model, bytes) = compile(
        &g,
        &Origin::default(),
        target::by_name("aussm").unwrap(),
        &Options::new(Alphabet::Elements, FloatDtype::F32),
    )
    .unwrap();
    assert!(model.diagonal().expect("diagonal").layers.is_empty());
    let loaded = load(&bytes, &LoadLimits::default()).unwrap();
    let toks = Tokens::new(&loaded, 1, 3, vec![0, 0, 0]).unwrap();
    assert_eq!(
        build(&loaded, Backend::Reference, Dtype::F32)
            .unwrap()
            .run(&toks)
            .unwrap(),
        vec![0, 0, 0]
    );
    assert!(proof(&loaded).ok);
}

/// A Latin square with identity 0 that is not a group: S4's table with one
/// intercalate (a 2×2 subsquare p q / q p) swapped, away from every product
/// the labels use. The loader accepts it; the proof must name the
/// associativity failure.
#[test]
fn a_non_associative_table_fails_the_proof() {
    let g = s4();
    let (model, _) = compile(
        &g,
        &Origin::default(),
        target::by_name("aussm").unwrap(),
        &Options::new(Alphabet::Elements, FloatDtype::F32),
    )
    .unwrap();
    let n = model.order();
    let base = model.into_model();
    let mut tried = 0;
    for a in 1..n {
        for b in a + 1..n {
            for x in 1..n {
                for y in x + 1..n {
                    let t = &base.group().unwrap().table;
                    let (p, q) = (t[a * n + x], t[a * n + y]);
                    if t[b * n + x] != q || t[b * n + y] != p {
                        continue;
                    }
                    let mut m = base.clone();
                    let tm = &mut m.group_mut().unwrap().table;
                    tm[a * n + x] = q;
                    tm[a * n + y] = p;
                    tm[b * n + x] = p;
                    tm[b * n + y] = q;
                    // Labels still evaluate to their elements, or the
                    // loader would already refuse the file.
                    let Ok(valid) = gssm_runtime::validate(m, &LoadLimits::default()) else {
                        continue;
                    };
                    tried += 1;
                    let pr = proof(&valid);
                    assert!(!pr.ok);
                    let why = pr.failure.unwrap();
                    assert!(why.contains("`group.table` is not associative"), "{why}");
                }
            }
        }
    }
    assert!(
        tried > 0,
        "no intercalate of S4's table kept the labels valid"
    );
}
