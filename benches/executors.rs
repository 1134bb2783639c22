//! Reference vs JIT throughput (tokens/s) on stdlib models S3, A4 and C60,
//! batch 1024 × length 4096, all cores.
//!
//!     cargo bench --bench executors
//!
//! `GSSM_BENCH_QUICK=1` shrinks the batch to 64 × 1024 for a smoke run.

#[path = "../tests/common/mod.rs"]
mod common;

use common::tokens;

/// A stdlib group compiled for AUSSM in f32.
fn stdlib_model(group: &str) -> gssm_runtime::valid::ValidModel {
    common::stdlib_model(group, "aussm", gssm_runtime::format::FloatDtype::F32)
}

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gssm_runtime::exec::{build, Backend};
use gssm_runtime::scalar::Dtype;
use std::hint::black_box;
use std::time::Duration;

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
