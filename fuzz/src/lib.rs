//! Shared pieces of the gssm fuzz targets.
//!
//! - [`raw`]: a safetensors reader/writer that writes whatever it is given,
//!   so mutations can produce files the safetensors crate would refuse to;
//! - [`check`]: what must hold for every file the loader accepts and
//!   every source the front end reads;
//! - [`gen`]: valid random models and token batches from fuzz input;
//! - [`mutate`]: structure-aware mutation of weight files;
//! - [`source`]: grammar-aware gssm programs from fuzz input.

pub mod check;
pub mod gen;
pub mod mutate;
pub mod raw;
pub mod source;

use gssm_runtime::ir::{Model, Net};

/// What a model computes with, for the examples' summaries: "2 layers",
/// "pd-ssm cell", ...; "+ bos" when it has a start token.
pub fn net_summary(model: &Model) -> String {
    let net = match &model.net {
        Net::Diagonal(d) => match d.layers.len() {
            1 => "1 layer".into(),
            k => format!("{k} layers"),
        },
        Net::Pd(_) => "a pd-ssm cell".into(),
        Net::Delta(_) => "a deltaproduct cell".into(),
        Net::Rnn(_) => "an rnn cell".into(),
    };
    match model.manifest.bos {
        Some(_) => format!("{net} + bos"),
        None => net,
    }
}

/// SplitMix64: small, seedable, good enough to pick mutations.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
    /// True with probability 1/n.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}
