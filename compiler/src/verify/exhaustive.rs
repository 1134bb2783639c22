//! The float model on every sequence up to a length, against the ground
//! truth (the Cayley table or the automaton's transitions). A depth-first
//! walk shares prefixes: each node costs one model step, so checking all
//! Σ_{l≤L} V^l sequences costs about that many steps.

use gssm_runtime::exec::reference::Stepper;
use gssm_runtime::scalar::Real;
use gssm_runtime::truth::next_product;
use gssm_runtime::valid::ValidModel;

pub use gssm_runtime::exec::ExhaustiveReport;

/// Number of sequences of length 1..=length over `v` tokens, or None on
/// overflow.
pub fn count_sequences(v: u64, length: usize) -> Option<u64> {
    gssm_runtime::exec::expected_sequences(v, length, (0, 1))
}

/// Sequences an exhaustive check to `length` covers: every sequence of
/// length 1..=length, or, for a start-token model, every one that begins
/// with the start token. None on overflow.
pub fn expected(model: &ValidModel, length: usize) -> Option<u64> {
    let v = model.num_tokens() as u64;
    match model.manifest.bos {
        Some(_) if length == 0 => Some(0),
        Some(_) => count_sequences(v, length - 1)?.checked_add(1),
        None => count_sequences(v, length),
    }
}

/// Check every sequence of length ≤ `length` on the reference executor in
/// float type `R` (for a start-token model, those that begin with it).
/// Top-level branches run in parallel.
pub fn exhaustive_cpu<R: Real>(model: &ValidModel, length: usize) -> ExhaustiveReport {
    use rayon::prelude::*;
    let stepper = Stepper::<R>::new(model);
    let v = model.num_tokens() as u32;
    let firsts: Vec<u32> = match model.manifest.bos {
        Some(b) => vec![b],
        None => (0..v).collect(),
    };
    let results: Vec<(u64, u64, Option<Vec<u32>>)> = firsts
        .into_par_iter()
        .map(|first| {
            if length == 0 {
                return (0, 0, None);
            }
            let mut count = 0u64;
            let mut bad = 0u64;
            let mut first_bad: Option<Vec<u32>> = None;
            // Stack of (state, truth) per depth; seq holds the current path.
            let mut seq = vec![first];
            let mut st = stepper.init();
            let out = stepper.step(&mut st, first);
            let truth = next_product(model, model.initial_output(), first);
            let mut states = vec![(st, truth)];
            count += 1;
            if out != truth {
                bad += 1;
                first_bad.get_or_insert_with(|| seq.clone());
            }
            let mut next_tok = vec![0u32];
            while let Some(depth) = next_tok.len().checked_sub(1) {
                if seq.len() == length || next_tok[depth] == v {
                    // Backtrack.
                    next_tok.pop();
                    seq.pop();
                    states.pop();
                    continue;
                }
                let t = next_tok[depth];
                next_tok[depth] += 1;
                let (mut st, g) = states.last().cloned().expect("state per depth");
                let out = stepper.step(&mut st, t);
                let truth = next_product(model, g, t);
                seq.push(t);
                count += 1;
                if out != truth {
                    bad += 1;
                    first_bad.get_or_insert_with(|| seq.clone());
                }
                states.push((st, truth));
                next_tok.push(0);
            }
            (count, bad, first_bad)
        })
        .collect();
    let mut report = ExhaustiveReport {
        sequences: 0,
        mismatches: 0,
        first_failure: None,
    };
    for (c, b, f) in results {
        report.sequences += c;
        report.mismatches += b;
        if report.first_failure.is_none() {
            report.first_failure = f;
        }
    }
    report
}
