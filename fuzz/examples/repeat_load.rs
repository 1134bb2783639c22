//! Load each file several times and print every outcome that differs
//! between calls: an error message must not depend on hash order. Exits
//! non-zero if any file's outcome varies.
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example repeat_load -- FILE...

use gssm_runtime::format::{load, LoadLimits};
use std::collections::BTreeSet;

/// Each call builds fresh hash maps, so a few dozen calls show any order
/// dependence with near certainty.
const CALLS: usize = 32;

fn main() {
    let mut varies = false;
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let outcomes: BTreeSet<String> = (0..CALLS)
            .map(|_| match load(&bytes, &LoadLimits::default()) {
                Ok(m) => format!("accepted ({})", gssm_fuzz::net_summary(&m)),
                Err(e) => format!("rejected: {e}"),
            })
            .collect();
        if outcomes.len() > 1 {
            varies = true;
            println!("{path}: {} different outcomes", outcomes.len());
            for o in &outcomes {
                println!("  {o}");
            }
        } else {
            println!("{path}: {}", outcomes.first().expect("CALLS > 0"));
        }
    }
    std::process::exit(i32::from(varies));
}
