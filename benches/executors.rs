//! Reference vs JIT throughput (tokens/s) on stdlib models S3, A4 and C60,
//! batch 1024 × length 4096, all cores.
//!
//!     cargo bench --bench executors
//!
//! `GSSM_BENCH_QUICK=1` shrinks the batch to 64 × 1024 for a smoke run.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gssm_compiler::construct::Alphabet;
use gssm_compiler::elaborate::load_file;
use gssm_compiler::group::Limits;
use gssm_compiler::pipeline::compile;
use gssm_compiler::target;
use gssm_runtime::exec::{build, Backend};
use gssm_runtime::format::{decode, FloatDtype, LoadLimits};
use gssm_runtime::ir::Model;
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::Tokens;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

/// Compile a group of stdlib/seed.gssm for AUSSM and load the file back.
fn stdlib_model(group: &str) -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib/seed.gssm");
    let program = load_file(&path, &Limits::default()).unwrap_or_else(|d| panic!("{}", d.message));
    let e = program
        .eval(group)
        .unwrap_or_else(|d| panic!("{group}: {}", d.message));
    let t = target::by_name("aussm").expect("aussm target");
    let (_, bytes) = compile(
        &e.group,
        &e.origin(),
        t,
        Alphabet::Elements,
        FloatDtype::F32,
    )
    .unwrap_or_else(|d| panic!("{group}: {}", d.message));
    decode(&bytes, &LoadLimits::default()).expect("the compiler's file loads")
}

fn tokens(model: &Model, batch: usize, len: usize, mut seed: u64) -> Tokens {
    let v = model.num_tokens() as u64;
    let ids = (0..batch * len)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % v) as u32
        })
        .collect();
    Tokens::new(model, batch, len, ids).expect("valid tokens")
}

fn executors(c: &mut Criterion) {
    let quick = std::env::var_os("GSSM_BENCH_QUICK").is_some();
    let (batch, len) = if quick { (64, 1024) } else { (1024, 4096) };
    for group in ["S3", "A4", "C60"] {
        let model = stdlib_model(group);
        let toks = tokens(&model, batch, len, 1);
        let mut g = c.benchmark_group(format!("{group}/{batch}x{len}"));
        g.throughput(Throughput::Elements((batch * len) as u64));
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(if quick { 1 } else { 5 }));
        for (backend, dtype) in [
            (Backend::Reference, Dtype::F32),
            (Backend::Jit, Dtype::F32),
            (Backend::Reference, Dtype::F64),
            (Backend::Jit, Dtype::F64),
        ] {
            let exec = build(&model, backend, dtype).expect("executor");
            g.bench_function(format!("{}-{}", backend.name(), dtype.name()), |b| {
                b.iter(|| black_box(exec.run(black_box(&toks)).expect("run")))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, executors);
criterion_main!(benches);
