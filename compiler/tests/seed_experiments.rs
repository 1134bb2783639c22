//! The seed experiment table: which stdlib groups each target can track, at
//! which depth, and that every compiled model tracks long random f32
//! sequences exactly. Expected depths are the theorem's (derived length for
//! aussm; the squares-and-commutators series for neg-mamba, 2-groups only;
//! nothing for mamba).

use gssm_compiler::construct::Alphabet;
use gssm_compiler::elaborate::load_file;
use gssm_compiler::group::Limits;
use gssm_compiler::pipeline::{compile, Options};
use gssm_compiler::target;
use gssm_runtime::exec::{build, Backend};
use gssm_runtime::format::{load, FloatDtype, LoadLimits};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::Tokens;
use gssm_runtime::truth::running_products;

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../stdlib/seed.gssm");

/// Depth a target must reach; None = must not compile.
type Depth = Option<usize>;

/// (group, mamba, neg-mamba, aussm).
const TABLE: &[(&str, Depth, Depth, Depth)] = &[
    ("C2", None, Some(1), Some(1)),
    ("C6", None, None, Some(1)),
    ("C24", None, None, Some(1)),
    ("C60", None, None, Some(1)),
    ("S3", None, None, Some(2)),
    ("A4", None, None, Some(2)),
    ("A5", None, None, None),
    ("C2xC4", None, Some(2), Some(1)),
];

fn random_tokens(v: usize, n: usize, mut seed: u64) -> Vec<u32> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % v as u64) as u32
        })
        .collect()
}

#[test]
fn seed_table_depths_and_long_f32_tracking() {
    let program = load_file(SEED.as_ref(), &Limits::default()).expect("seed library elaborates");
    for &(name, mamba, neg, aussm) in TABLE {
        let e = program.group(Some(name), &[]).expect(name);
        for (tname, want) in [("mamba", mamba), ("neg-mamba", neg), ("aussm", aussm)] {
            let t = target::by_name(tname).unwrap();
            let result = compile(
                &e.group,
                &e.origin(),
                t,
                &Options::new(Alphabet::Elements, FloatDtype::F32),
            );
            match (result, want) {
                (Err(d), None) => {
                    assert!(
                        d.message.contains("cannot be compiled"),
                        "{name}/{tname}: {}",
                        d.message
                    );
                    if name == "A5" && tname == "aussm" {
                        assert!(
                            d.message.contains("A5 is perfect: [A5, A5] = A5"),
                            "{}",
                            d.message
                        );
                    }
                }
                (Ok((_, bytes)), Some(depth)) => {
                    let model = load(&bytes, &LoadLimits::default()).unwrap();
                    assert_eq!(
                        model.diagonal().expect("diagonal").layers.len(),
                        depth,
                        "{name}/{tname}"
                    );
                    let (batch, len) = (4, 100_000);
                    let toks = Tokens::new(
                        &model,
                        batch,
                        len,
                        random_tokens(model.num_tokens(), batch * len, 0x9e37 + depth as u64),
                    )
                    .unwrap();
                    let out = build(&model, Backend::Reference, Dtype::F32)
                        .unwrap()
                        .run(&toks)
                        .unwrap();
                    let truth = running_products(&model, &toks);
                    let wrong = out.iter().zip(&truth).filter(|(a, b)| a != b).count();
                    assert_eq!(
                        wrong,
                        0,
                        "{name}/{tname}: {wrong} wrong outputs of {}",
                        batch * len
                    );
                }
                (Ok(_), None) => panic!("{name} must not compile for {tname}"),
                (Err(d), Some(_)) => panic!("{name} must compile for {tname}: {}", d.message),
            }
        }
    }
}
