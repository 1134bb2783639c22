//! The GPU backend on models the compiler builds from the standard library:
//! the device's outputs equal the reference executor's and the group's
//! running products, its exhaustive check finds no mismatch, and on a
//! corrupted model it reports the CPU verifier's counts and first failure.
//!
//! Without any GPU adapter these are skipped with a message, except in CI
//! (CI=true), where that is a failure: CI installs Mesa's lavapipe.

mod common;

use common::{gpu_present, tokens};

/// A stdlib model in f32, the GPU's dtype.
fn stdlib_model(group: &str, target: &str) -> ValidModel {
    common::stdlib_model(group, target, FloatDtype::F32)
}

use gssm_compiler::verify::exhaustive_cpu;
use gssm_runtime::exec::gpu;
use gssm_runtime::exec::reference::{Reference, Stepper};
use gssm_runtime::exec::Executor;
use gssm_runtime::format::{FloatDtype, LoadLimits};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::truth::running_products;
use gssm_runtime::valid::validate;
use gssm_runtime::valid::ValidModel;

/// (group, target, exhaustive length): lengths chosen so that each check
/// covers 10^4 to 10^5 sequences and runs in seconds on lavapipe.
const MODELS: [(&str, &str, usize); 5] = [
    ("S3", "aussm", 6),
    ("A4", "aussm", 4),
    ("Q8", "aussm", 5),
    ("C60", "aussm", 3),
    ("C2xC4", "neg-mamba", 5),
];

#[test]
fn stdlib_models_on_the_gpu_equal_the_reference_and_the_group() {
    if !gpu_present() {
        return;
    }
    for (group, t, _) in MODELS {
        let model = stdlib_model(group, t);
        let batch = tokens(&model, 256, 67, group.len() as u64);
        let exec = gpu::build(&model, Dtype::F32).unwrap_or_else(|e| panic!("{group}: {e}"));
        let got = exec.run(&batch).unwrap_or_else(|e| panic!("{group}: {e}"));
        let reference = Reference::new(&model, Dtype::F32)
            .run(&batch)
            .expect("reference runs");
        assert_eq!(got, reference, "{group} ({t}): GPU and reference disagree");
        assert_eq!(
            got,
            running_products(&model, &batch),
            "{group} ({t}): wrong products"
        );
    }
}

#[test]
fn stdlib_models_pass_the_exhaustive_check_on_the_gpu() {
    if !gpu_present() {
        return;
    }
    for (group, t, len) in MODELS {
        let model = stdlib_model(group, t);
        let r = gpu::exhaustive(&model, len, (0, 1)).unwrap_or_else(|e| panic!("{group}: {e}"));
        let v = model.num_tokens() as u64;
        assert_eq!(
            r.sequences,
            (1..=len as u32).map(|l| v.pow(l)).sum::<u64>(),
            "{group}"
        );
        assert_eq!(
            (r.mismatches, r.first_failure),
            (0, None),
            "{group} ({t}) at length {len}"
        );
        let h = gpu::horizon(&model, 64, 4096, 7).unwrap_or_else(|e| panic!("{group}: {e}"));
        assert_eq!(
            h.horizon, None,
            "{group} ({t}) failed a random sequence in f32"
        );
    }
}

#[test]
fn a_corrupted_model_fails_where_the_cpu_verifier_says() {
    if !gpu_present() {
        return;
    }
    let model = stdlib_model("S3", "aussm");
    let len = 5;
    for which in [0usize, 1, 4] {
        let mut bad = model.clone().into_model();
        // Point one readout entry at another element: still a valid model.
        let order = bad.order() as u32;
        let d = bad.diagonal_mut().expect("diagonal");
        let r = d.readout.as_mut().expect("a readout");
        r[which] = (r[which] + 1) % order;
        let bad = validate(bad, &LoadLimits::default()).unwrap();
        let cpu = exhaustive_cpu::<f32>(&bad, len);
        let got = gpu::exhaustive(&bad, len, (0, 1)).expect("runs");
        assert!(
            cpu.mismatches > 0,
            "corrupting readout {which} changed nothing"
        );
        assert_eq!(
            (got.sequences, got.mismatches, &got.first_failure),
            (cpu.sequences, cpu.mismatches, &cpu.first_failure),
            "readout entry {which} corrupted"
        );
    }
    // A corrupted cocycle (S3 has two layers).
    let mut bad = model.clone().into_model();
    let d = bad.diagonal_mut().expect("diagonal");
    let next = d.layers[1].num_tokens as u32;
    d.layers[0].cocycle[3] = (d.layers[0].cocycle[3] + 1) % next;
    let bad = validate(bad, &LoadLimits::default()).unwrap();
    let cpu = exhaustive_cpu::<f32>(&bad, len);
    let got = gpu::exhaustive(&bad, len, (0, 1)).expect("runs");
    assert!(cpu.mismatches > 0);
    assert_eq!(
        (got.sequences, got.mismatches, got.first_failure),
        (cpu.sequences, cpu.mismatches, cpu.first_failure)
    );
}

/// One sequence of 150,000 steps (more than twice lavapipe's 65,535-iteration
/// loop bound, nine dispatches) on a one-layer and a two-layer model: the
/// device's output equals the reference executor's in f32 at every step.
#[test]
fn one_long_sequence_equals_the_reference_at_every_step() {
    if !gpu_present() {
        return;
    }
    let len = 150_000;
    for group in ["C60", "S3"] {
        let model = stdlib_model(group, "aussm");
        let batch = tokens(&model, 1, len, 5);
        let got = gpu::build(&model, Dtype::F32)
            .and_then(|e| e.run(&batch))
            .unwrap_or_else(|e| panic!("{group}: {e}"));
        let want = Reference::new(&model, Dtype::F32)
            .run(&batch)
            .expect("reference runs");
        if let Some(t) = (0..len).find(|&t| got[t] != want[t]) {
            panic!("{group}: GPU and reference differ first at step {}", t + 1);
        }
    }
}

/// C60's precision sweep as `gssm verify` runs it, over sequences spanning
/// many dispatches (and lavapipe's loop bound): the device finds the same
/// first wrong step as the CPU stepping the same sequences in f32, or both
/// find none.
#[test]
fn c60_horizon_beyond_one_dispatch_equals_the_cpu() {
    if !gpu_present() {
        return;
    }
    let model = stdlib_model("C60", "aussm");
    // `gssm verify`'s default sweep: 4 sequences of up to 10^6 steps.
    let (seqs, max_len, seed) = (4u32, 1_000_000u32, 0u64);
    let got = gpu::horizon(&model, seqs, max_len, seed).expect("runs");
    let stepper = Stepper::<f32>::new(&model);
    let mut want: Option<usize> = None;
    for s in 0..seqs {
        let toks = gpu::horizon_tokens(seed, s, max_len as usize, model.num_tokens() as u32);
        let mut st = stepper.init();
        let mut g = 0u32;
        for (t, &x) in toks.iter().enumerate() {
            if want.is_some_and(|w| t + 1 >= w) {
                break;
            }
            g = model.next_output(g, x);
            if stepper.step(&mut st, x) != g {
                want = Some(t + 1);
                break;
            }
        }
    }
    assert_eq!(got.horizon, want, "C60 over {seqs} sequences of {max_len}");
}

/// The exhaustive check's count is the device's: it equals Σ_{l≤L} V^l,
/// and the counts of shards add up to it.
#[test]
fn exhaustive_counts_come_from_the_device_and_shards_add_up() {
    if !gpu_present() {
        return;
    }
    let model = stdlib_model("S3", "aussm");
    let len = 6;
    let v = model.num_tokens() as u64;
    let all: u64 = (1..=len as u32).map(|l| v.pow(l)).sum();
    let whole = gpu::exhaustive_shard(&model, len, (0, 1)).expect("runs");
    assert!(whole.is_whole());
    assert_eq!((whole.report.sequences, whole.expected), (all, all));
    let n = 7;
    let mut sum = 0;
    for i in 0..n {
        let part = gpu::exhaustive_shard(&model, len, (i, n)).expect("runs");
        assert!(!part.is_whole());
        assert_eq!(part.report.sequences, part.expected, "shard {i} of {n}");
        assert_eq!(part.report.mismatches, 0);
        sum += part.report.sequences;
    }
    assert_eq!(sum, all);
}

/// GPU measurements (run by hand on a machine with a GPU; see
/// benches/README.md): token-steps/s for a batch of 2^20 sequences of
/// length 256 on S3 and A4, the same count of steps generated on the device
/// (the horizon kernel), and the exhaustive check of S4 at length 6 (and 7
/// when 6 is quick).
#[test]
#[ignore = "benchmark: cargo test --release --test gpu_stdlib -- --ignored --nocapture"]
fn gpu_bench() {
    use std::time::Instant;
    let adapter = gpu::adapter().expect("a GPU adapter");
    println!("adapter: {adapter}");
    let (batch, len) = (1usize << 20, 256usize);
    for group in ["S3", "A4"] {
        let model = stdlib_model(group, "aussm");
        let widths: Vec<usize> = model
            .diagonal()
            .expect("diagonal")
            .layers
            .iter()
            .map(|l| l.width())
            .collect();
        println!(
            "{group}: order {}, {} tokens, layer widths {widths:?}",
            model.order(),
            model.num_tokens()
        );
        let toks = tokens(&model, batch, len, 1);
        let exec = gpu::GpuExecutor::new(&model, Dtype::F32).expect("builds");
        exec.run(&tokens(&model, 1024, 64, 2)).expect("warm-up");
        let steps = (batch * len) as f64;
        let mut out = Vec::new();
        for rep in 0..3 {
            let clock = Instant::now();
            let (o, p) = exec.run_profiled(&toks).expect("runs");
            let wall = clock.elapsed().as_secs_f64();
            println!(
                "  run {rep}: {:.3} s wall = {:.3e} token-steps/s end to end; kernel {:.4} s = {:.3e} token-steps/s; \
                 pack {:.3} s, upload {:.3} s, download {:.3} s, unpack {:.3} s, {} chunks",
                wall,
                steps / wall,
                p.kernel_s,
                steps / p.kernel_s,
                p.pack_s,
                p.upload_s,
                p.download_s,
                p.unpack_s,
                p.chunks
            );
            out = o;
        }
        assert_eq!(
            out,
            running_products(&model, &toks),
            "{group}: wrong outputs"
        );
        let clock = Instant::now();
        let h = gpu::horizon(&model, batch as u32, len as u32, 3).expect("runs");
        let wall = clock.elapsed().as_secs_f64();
        println!(
            "  on-device random tokens (horizon kernel, 2^20 x 256, with ground truth): {:.3} s = {:.3e} token-steps/s, horizon {:?}",
            wall,
            steps / wall,
            h.horizon
        );
    }
    let s4 = stdlib_model("S4", "aussm");
    let widths: Vec<usize> = s4
        .diagonal()
        .expect("diagonal")
        .layers
        .iter()
        .map(|l| l.width())
        .collect();
    println!(
        "S4: order {}, {} tokens, layer widths {widths:?}",
        s4.order(),
        s4.num_tokens()
    );
    for len in [6usize, 7] {
        let clock = Instant::now();
        let r = gpu::exhaustive(&s4, len, (0, 1)).expect("runs");
        let wall = clock.elapsed().as_secs_f64();
        let full = 24f64.powi(len as i32);
        println!(
            "  exhaustive length {len}: {:.3} s; {} sequences of length 1..={len} ({full:.3e} of length {len}, {:.3e} per s), {} mismatches, first failure {:?}",
            wall,
            r.sequences,
            full / wall,
            r.mismatches,
            r.first_failure
        );
        if wall > 5.0 {
            break;
        }
    }
}

/// Kernel time alone (tokens already packed, one full-size warm-up run
/// first) for a batch of 2^20 × 256 on several stdlib models.
#[test]
#[ignore = "benchmark: cargo test --release --test gpu_stdlib -- --ignored --nocapture"]
fn gpu_kernel_by_model() {
    let batch = 1usize << 20;
    let models = [
        ("S3", "aussm"),
        ("A4", "aussm"),
        ("Q8", "aussm"),
        ("C60", "aussm"),
        ("S4", "aussm"),
        ("C2xC4", "neg-mamba"),
        ("C2xC4", "aussm"),
    ];
    for (g, t) in models {
        let m = stdlib_model(g, t);
        let toks = tokens(&m, batch, 256, 1);
        let e = gpu::GpuExecutor::new(&m, Dtype::F32).expect("builds");
        e.run(&toks).expect("warm-up");
        let (_, p) = e.run_profiled(&toks).expect("runs");
        let widths: Vec<usize> = m
            .diagonal()
            .expect("diagonal")
            .layers
            .iter()
            .map(|l| l.width())
            .collect();
        println!(
            "{g} {t} {widths:?}: kernel {:.4} s = {:.3e} token-steps/s",
            p.kernel_s,
            (batch * 256) as f64 / p.kernel_s
        );
    }
}
