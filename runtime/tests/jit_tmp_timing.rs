use gssm_runtime::exec::jit::Jit;
use gssm_runtime::exec::Executor;
use gssm_runtime::ir::*;
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::Tokens;
use std::f64::consts::TAU;
#[test]
#[ignore]
fn timing() {
    // S3-shaped: layer0 C2 (6 tokens), layer1 C3 (3 tokens)
    let mk = |v: usize, n: u32, next: Option<usize>| {
        let ph = |x: usize| TAU * (x % n as usize) as f64 / n as f64;
        Layer {
            moduli: vec![n],
            num_tokens: v,
            transition_code: (0..v as u32).map(|x| x % n).collect(),
            a_re: (0..v).map(|x| ph(x).cos()).collect(),
            a_im: (0..v).map(|x| ph(x).sin()).collect(),
            b_re: vec![0.0; v],
            b_im: vec![0.0; v],
            h0_re: vec![1.0],
            h0_im: vec![0.0],
            cocycle: next
                .map(|nv| (0..n as usize * v).map(|k| (k % nv) as u32).collect())
                .unwrap_or_default(),
        }
    };
    let layers = vec![mk(6, 2, Some(3)), mk(3, 3, None)];
    let man = Manifest {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
        compiler: "t".into(),
        group: GroupInfo {
            name: "S3".into(),
            order: 6,
            generators: vec![],
        },
        convention: CONVENTION.into(),
        target: "aussm".into(),
        dtype: "float32".into(),
        series_orders: vec![],
        layers: vec![],
        tokens: (0..6).map(|i| i.to_string()).collect(),
        outputs: vec![],
    };
    let model = Model {
        manifest: man,
        layers,
        readout: (0..6).collect(),
        group_table: (0..36).map(|k| ((k / 6 + k % 6) % 6) as u32).collect(),
        token_elements: (0..6).collect(),
    };
    let model = match std::env::var("MODEL") {
        Ok(p) => {
            gssm_runtime::format::decode(&std::fs::read(p).unwrap(), &Default::default()).unwrap()
        }
        Err(_) => model,
    };
    let nt = model.num_tokens() as u64;
    let (b, l): (usize, usize) = (
        1024,
        std::env::var("LEN")
            .ok()
            .and_then(|g| g.parse().ok())
            .unwrap_or(4096),
    );
    let mut s = 1u64;
    let ids: Vec<u32> = (0..b * l)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % nt) as u32
        })
        .collect();
    let toks = Tokens::new(&model, b, l, ids).unwrap();
    let groups: usize = std::env::var("G")
        .ok()
        .and_then(|g| g.parse().ok())
        .unwrap_or(2);
    for dt in [Dtype::F32, Dtype::F64] {
        let jit = Jit::with_groups(&model, dt, groups).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        for _ in 0..3 {
            let t = std::time::Instant::now();
            pool.install(|| jit.run(&toks).unwrap());
            let e = t.elapsed().as_secs_f64();
            eprintln!(
                "{dt:?} G={groups} 1 thread: {:.1} M tok/s",
                (b * l) as f64 / e / 1e6
            );
        }
        let pool2 = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        for _ in 0..2 {
            let t = std::time::Instant::now();
            pool2.install(|| jit.run(&toks).unwrap());
            let e = t.elapsed().as_secs_f64();
            eprintln!(
                "{dt:?} G={groups} 2 threads: {:.1} M tok/s",
                (b * l) as f64 / e / 1e6
            );
        }
        let rf = gssm_runtime::exec::reference::Reference::new(&model, dt);
        let t = std::time::Instant::now();
        pool2.install(|| rf.run(&toks).unwrap());
        let e = t.elapsed().as_secs_f64();
        eprintln!(
            "{dt:?} reference 2 threads: {:.1} M tok/s",
            (b * l) as f64 / e / 1e6
        );
        let t = std::time::Instant::now();
        let r = pool2.install(|| gssm_runtime::exec::jit::exhaustive(&model, dt, 10).unwrap());
        eprintln!(
            "exhaustive L=9: {:?} in {:.2}s",
            (r.sequences, r.mismatches),
            t.elapsed().as_secs_f64()
        );
    }
}

#[test]
#[ignore]
fn dbg_c2() {
    let n = 2u32;
    let v = 2usize;
    let phase = |x: usize| TAU * x as f64 / n as f64;
    let layer = Layer {
        moduli: vec![n],
        num_tokens: v,
        transition_code: (0..n).collect(),
        a_re: (0..v).map(|x| phase(x).cos()).collect(),
        a_im: (0..v).map(|x| phase(x).sin()).collect(),
        b_re: vec![0.0; v],
        b_im: vec![0.0; v],
        h0_re: vec![1.0],
        h0_im: vec![0.0],
        cocycle: Vec::new(),
    };
    let man = Manifest {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
        compiler: "t".into(),
        group: GroupInfo {
            name: "C2".into(),
            order: 2,
            generators: vec![],
        },
        convention: CONVENTION.into(),
        target: "aussm".into(),
        dtype: "float32".into(),
        series_orders: vec![],
        layers: vec![],
        tokens: (0..2).map(|i| i.to_string()).collect(),
        outputs: vec![],
    };
    let model = Model {
        manifest: man,
        layers: vec![layer],
        readout: vec![0, 1],
        group_table: vec![0, 1, 1, 0],
        token_elements: vec![0, 1],
    };
    for l in 4..5 {
        for g in 1..2 {
            let jit = Jit::with_groups(&model, Dtype::F32, g).unwrap();
            let r = jit.exhaustive(&model, l).unwrap();
            eprintln!("L={l} G={g}: {:?}", r);
        }
    }
}
