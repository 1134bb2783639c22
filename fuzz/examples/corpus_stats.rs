//! How far a corpus gets into the loader: how many files it accepts and how
//! many it rejects at each kind of check. Shows whether a target's inputs
//! reach past the container into the model checks.
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example corpus_stats -- DIR...

use gssm_runtime::format::{load, FormatError, LoadLimits};
use std::collections::BTreeMap;

fn main() {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = 0;
    for dir in std::env::args().skip(1) {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
            let bytes = std::fs::read(entry.expect("dir entry").path()).expect("read");
            total += 1;
            let kind = match load(&bytes, &LoadLimits::default()) {
                Ok(m) => format!("accepted ({} layers)", m.layers.len()),
                Err(e) => {
                    let k = format!("{e:?}");
                    let k = k
                        .split(['(', ' ', '{'])
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    if let FormatError::Safetensors(_) = e {
                        k
                    } else {
                        format!("rejected: {k}")
                    }
                }
            };
            *counts.entry(kind).or_default() += 1;
        }
    }
    println!("{total} files");
    for (k, n) in counts {
        println!("{n:>8}  {k}");
    }
}
