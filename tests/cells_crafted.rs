//! One-layer models (rnn, pd-ssm, deltaproduct) and start tokens changed in
//! one place: the loader refuses what breaks the format's structure, and
//! the proof refuses every other change, naming the tensor; executors that
//! do not run a target refuse it by name.

mod common;

use common::stdlib_model_with;
use gssm_compiler::construct::Alphabet;
use gssm_compiler::pipeline::Options;
use gssm_compiler::verify::proof;
use gssm_runtime::exec::{build, Backend};
use gssm_runtime::format::{decode, encode, FloatDtype, LoadLimits};
use gssm_runtime::ir::{Model, Net};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::valid::validate;

fn model(target: &str, bos: bool) -> Model {
    let opts = Options {
        alphabet: Alphabet::Generators { inverses: true },
        dtype: FloatDtype::F32,
        bos,
        coordinates: Default::default(),
    };
    stdlib_model_with("S3", target, &opts).into_model()
}

/// The change must be refused by the loader with a message containing `want`.
fn refused(m: Model, want: &str) {
    match validate(m, &LoadLimits::default()) {
        Ok(_) => panic!("accepted a model that should fail with '{want}'"),
        Err(e) => assert!(e.to_string().contains(want), "'{e}' does not say '{want}'"),
    }
}

/// The change passes the loader, and the proof fails naming `want`.
fn disproved(m: Model, want: &str) {
    let v = validate(m, &LoadLimits::default()).expect("structurally valid");
    let p = proof(&v);
    assert!(!p.ok, "the proof accepted a changed model ({want})");
    let f = p.failure.unwrap_or_default();
    assert!(f.contains(want), "'{f}' does not name '{want}'");
}

fn pd(m: &mut Model) -> &mut gssm_runtime::ir::PdCell {
    match &mut m.net {
        Net::Pd(c) => c,
        _ => panic!("pd-ssm"),
    }
}

fn delta(m: &mut Model) -> &mut gssm_runtime::ir::DeltaCell {
    match &mut m.net {
        Net::Delta(c) => c,
        _ => panic!("deltaproduct"),
    }
}

fn rnn(m: &mut Model) -> &mut gssm_runtime::ir::RnnCell {
    match &mut m.net {
        Net::Rnn(c) => c,
        _ => panic!("rnn"),
    }
}

#[test]
fn unchanged_models_prove_and_round_trip() {
    for target in ["rnn", "pd-ssm", "deltaproduct", "aussm"] {
        for bos in [false, true] {
            let m = model(target, bos);
            let v = validate(m.clone(), &LoadLimits::default()).unwrap();
            assert!(proof(&v).ok, "{target} bos {bos}");
            let bytes = encode(&v).unwrap();
            assert_eq!(decode(&bytes).unwrap(), m, "{target} bos {bos}");
        }
    }
}

#[test]
fn the_loader_refuses_broken_structure() {
    let mut m = model("pd-ssm", false);
    pd(&mut m).index[1] = pd(&mut m).index[0];
    refused(m, "not a permutation");

    let mut m = model("pd-ssm", false);
    let n = pd(&mut m).action.points.len();
    let images = pd(&mut m).action.images.as_mut().expect("a listed action");
    let row1 = images[n..2 * n].to_vec();
    images[2 * n..3 * n].copy_from_slice(&row1);
    refused(m, "not faithful");

    let mut m = model("pd-ssm", false);
    pd(&mut m).action.points[1] = pd(&mut m).action.points[0];
    refused(m, "distinct");

    let mut m = model("deltaproduct", false);
    delta(&mut m).beta[0] = 2.5;
    refused(m, "outside [0, 2]");

    let mut m = model("deltaproduct", false);
    delta(&mut m).k.pop();
    refused(m, "delta.k");

    let mut m = model("rnn", false);
    rnn(&mut m).weight_hh[3] = f64::NAN;
    refused(m, "not finite");

    let mut m = model("rnn", false);
    rnn(&mut m).weight_hh[3] = 0.1;
    refused(m, "not a float32 value");

    // A target whose tensors describe another kind of net.
    let mut m = model("rnn", false);
    m.manifest.target = "pd-ssm".into();
    refused(m, "PD-SSM cell");

    // Start tokens: the last token, labelled <bos>, the identity's, from a
    // zero state.
    let mut m = model("pd-ssm", true);
    m.manifest.bos = Some(0);
    refused(m, "must be the last token");
    let mut m = model("pd-ssm", true);
    let te = &mut m.group_mut().unwrap().token_elements;
    let last = te.len() - 1;
    te[last] = 1;
    refused(m, "must be 0");
    let mut m = model("aussm", true);
    m.diagonal_mut().unwrap().layers[0].h0_re[0] = 1.0;
    refused(m, "zero state");
    let mut m = model("aussm", true);
    let l = &mut m.diagonal_mut().unwrap().layers[0];
    let r = l.width();
    let v = l.num_tokens;
    l.a_re[(v - 1) * r] = 1.0;
    refused(m, "a = 0");
    // A version-2 file has no start tokens.
    let mut m = model("aussm", true);
    m.manifest.format_version = 2;
    refused(m, "version 2");
}

#[test]
fn the_proof_refuses_every_changed_value() {
    let mut m = model("pd-ssm", false);
    pd(&mut m).diag[0] = -1.0;
    disproved(m, "pd.diag");

    let mut m = model("pd-ssm", false);
    let n = pd(&mut m).action.points.len();
    // Another token's permutation: still a permutation.
    let other = pd(&mut m).index[n..2 * n].to_vec();
    pd(&mut m).index[..n].copy_from_slice(&other);
    disproved(m, "pd.index");

    let mut m = model("pd-ssm", true);
    let last = pd(&mut m).input.len() - 1;
    pd(&mut m).input[last] += 1.0;
    disproved(m, "pd.input");

    let mut m = model("deltaproduct", false);
    let k0 = delta(&mut m).k[0];
    delta(&mut m).k[0] = f64::from(f32::from_bits((k0 as f32).to_bits() + 1));
    disproved(m, "delta.k");

    let mut m = model("deltaproduct", false);
    delta(&mut m).beta[0] = 1.0;
    disproved(m, "delta.beta");

    let mut m = model("rnn", false);
    rnn(&mut m).weight_hh[5] += 1.0;
    disproved(m, "rnn.weight_hh");

    let mut m = model("rnn", true);
    rnn(&mut m).readout_bias[0] = 0.0;
    disproved(m, "rnn.readout.bias");

    // The group table itself: a wrong product the cells follow.
    let mut m = model("rnn", false);
    let n = m.order();
    let t = &mut m.group_mut().unwrap().table;
    t.swap(n + 1, n + 2);
    t.swap(2 * n + 1, 2 * n + 2);
    let v = validate(m, &LoadLimits::default());
    if let Ok(v) = v {
        assert!(!proof(&v).ok, "a changed table passed the proof");
    }
}

#[test]
fn jit_and_gpu_refuse_one_layer_targets_by_name() {
    for target in ["rnn", "pd-ssm", "deltaproduct"] {
        let v = validate(model(target, false), &LoadLimits::default()).unwrap();
        for backend in [Backend::Jit, Backend::Gpu] {
            match build(&v, backend, Dtype::F32) {
                Ok(_) => panic!("{} ran {target}", backend.name()),
                Err(e) => {
                    let e = e.to_string();
                    assert!(e.contains(target) && e.contains("reference"), "{e}");
                }
            }
        }
        assert!(build(&v, Backend::Reference, Dtype::F32).is_ok());
    }
}
