//! How far a corpus gets into the loader: how many files it accepts and how
//! many it rejects at each kind of check. Shows whether a target's inputs
//! reach past the container into the model checks.
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example corpus_stats -- DIR...

use gssm_runtime::format::{decode, FormatError, LoadLimits};
use gssm_runtime::valid::validate;
use std::collections::BTreeMap;

/// An error's variant name, e.g. `Inconsistent`; for the catch-all
/// variants also the message's shape, numbers and quoted text elided, so
/// that the checks behind them are told apart.
fn kind(e: &FormatError) -> String {
    let name = format!("{e:?}")
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_string();
    match e {
        FormatError::Inconsistent(m) | FormatError::Limit(m) | FormatError::Manifest(m) => {
            format!("{name}: {}", shape(m))
        }
        _ => name,
    }
}

/// `m` with digit runs as `N` and '…'-quoted text as `'…'`, cut at 60 chars.
fn shape(m: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in m.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                if quoted {
                    out.push_str("'…'");
                }
            }
            _ if quoted => {}
            '0'..='9' => {
                if !out.ends_with('N') {
                    out.push('N');
                }
            }
            c => out.push(c),
        }
    }
    out.chars().take(60).collect()
}

fn main() {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = 0;
    for dir in std::env::args().skip(1) {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
            let bytes = std::fs::read(entry.expect("dir entry").path()).expect("read");
            total += 1;
            // Which stage stops a file: decoding (names, dtypes, shapes) or
            // validation (everything else).
            let label = match decode(&bytes) {
                Err(e @ FormatError::Safetensors(_)) => kind(&e),
                Err(e) => format!("rejected by decode: {}", kind(&e)),
                Ok(m) => match validate(m, &LoadLimits::default()) {
                    Ok(m) => format!("accepted ({})", gssm_fuzz::net_summary(&m)),
                    Err(e) => format!("rejected by validate: {}", kind(&e)),
                },
            };
            *counts.entry(label).or_default() += 1;
        }
    }
    println!("{total} files");
    for (k, n) in counts {
        println!("{n:>8}  {k}");
    }
}
