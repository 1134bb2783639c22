//! Print the gssm source a parse_elaborate input stands for (generated
//! programs for inputs starting with NUL, the text itself otherwise), and
//! time its elaboration: for reproducing and minimising findings.
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example show_source -- FILE

use arbitrary::Unstructured;
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: show_source FILE");
    let data = std::fs::read(&path).expect("read input");
    let text = match data.split_first() {
        Some((0, rest)) => {
            gssm_fuzz::source::program(&mut Unstructured::new(rest)).expect("generator input")
        }
        _ => String::from_utf8_lossy(&data).into_owned(),
    };
    println!("{text}");
    let start = Instant::now();
    gssm_fuzz::check::elaborate(&text, &data);
    eprintln!("elaborated in {:.3} s", start.elapsed().as_secs_f64());
}
