//! The proof for all lengths. Run the construction on exact state codes:
//! from the initial joint state, every token moves each layer's digits by
//! its transition code; the cocycle tables carry tokens down the stack. If
//! the readout of the initial state is e and, for every reachable joint state
//! S and token x, readout(S·x) = readout(S)·x in the group, then by induction
//! the model outputs x_1⋯x_t for every sequence of every length. The float
//! parameters are checked to be the exact ones (a = exp(2πi c/n), b = 0,
//! h0 on code 0) up to the rounding of the stored dtype, so the exact run is
//! the float model's run wherever the float stays within its precision.

use gssm_runtime::ir::Model;
use gssm_runtime::scalar::phase_digit;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ProofReport {
    pub ok: bool,
    /// Reachable joint states.
    pub states: usize,
    /// (state, token) transitions checked.
    pub transitions: usize,
    /// The first failure, if any.
    pub failure: Option<String>,
}

/// Largest deviation of a stored float from its exact value accepted as
/// rounding (f32 spacing near 1 is 1.2e-7).
const PARAM_TOLERANCE: f64 = 1e-6;

pub fn proof(model: &Model) -> ProofReport {
    let fail = |states, transitions, msg: String| ProofReport {
        ok: false,
        states,
        transitions,
        failure: Some(msg),
    };
    // Float parameters must be the exact construction.
    for (i, l) in model.layers.iter().enumerate() {
        let r = l.width();
        for v in 0..l.num_tokens {
            for j in 0..r {
                let k = v * r + j;
                let t = std::f64::consts::TAU * l.transition_code[k] as f64 / l.moduli[j] as f64;
                let dev = (l.a_re[k] - t.cos()).abs().max((l.a_im[k] - t.sin()).abs());
                if dev > PARAM_TOLERANCE {
                    return fail(0, 0, format!("layer {i}: transition of token {v}, component {j} is {:.9}{:+.9}i, not exp(2πi·{}/{}) (off by {dev:.2e})", l.a_re[k], l.a_im[k], l.transition_code[k], l.moduli[j]));
                }
                if l.b_re[k] != 0.0 || l.b_im[k] != 0.0 {
                    return fail(
                        0,
                        0,
                        format!("layer {i}: input term of token {v}, component {j} is non-zero"),
                    );
                }
            }
        }
        for j in 0..r {
            let mag = (l.h0_re[j].powi(2) + l.h0_im[j].powi(2)).sqrt();
            if (mag - 1.0).abs() > PARAM_TOLERANCE || (l.h0_re[j] - 1.0).abs() > PARAM_TOLERANCE {
                return fail(0, 0, format!("layer {i}: h0 component {j} is not 1"));
            }
        }
    }
    let k = model.layers.len();
    let v0 = model.num_tokens();
    // Joint state: every layer's digit vector, flattened.
    let init: Vec<u32> = model
        .layers
        .iter()
        .flat_map(|l| {
            (0..l.width()).map(move |j| phase_digit(l.h0_im[j].atan2(l.h0_re[j]), l.moduli[j]))
        })
        .collect();
    let readout_of = |digits: &[u32]| -> usize {
        let (mut joint, mut stride, mut off) = (0usize, 1usize, 0usize);
        for l in &model.layers {
            joint += l.code_of(&digits[off..off + l.width()]) * stride;
            stride *= l.num_codes();
            off += l.width();
        }
        joint
    };
    if model.readout[readout_of(&init)] != 0 {
        return fail(
            1,
            0,
            format!(
                "the initial state reads out {}, not the identity",
                model.manifest.outputs[model.readout[readout_of(&init)] as usize]
            ),
        );
    }
    let mut index: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut states = vec![init.clone()];
    // BFS tree, so a failure can name the shortest sequence reaching it.
    let mut parent: Vec<(usize, usize)> = vec![(usize::MAX, 0)];
    index.insert(init, 0);
    let mut transitions = 0usize;
    let mut head = 0;
    while head < states.len() {
        let s = states[head].clone();
        let here = model.readout[readout_of(&s)];
        for x in 0..v0 {
            let mut next = s.clone();
            let mut v = x;
            let mut off = 0;
            for (i, l) in model.layers.iter().enumerate() {
                let r = l.width();
                for j in 0..r {
                    next[off + j] = (next[off + j] + l.transition_code[v * r + j]) % l.moduli[j];
                }
                if i + 1 < k {
                    v = l.cocycle[l.code_of(&next[off..off + r]) * l.num_tokens + v] as usize;
                }
                off += r;
            }
            let got = model.readout[readout_of(&next)];
            let want = model.mul(here, model.token_elements[x]);
            transitions += 1;
            if got != want {
                let (o, t) = (&model.manifest.outputs, &model.manifest.tokens);
                let mut seq = vec![t[x].as_str()];
                let mut at = head;
                while at != 0 {
                    seq.push(t[parent[at].1].as_str());
                    at = parent[at].0;
                }
                seq.reverse();
                return fail(
                    states.len(),
                    transitions,
                    format!(
                        "after the tokens [{}] the model reads out {} but the product is {}",
                        seq.join(" "),
                        o[got as usize],
                        o[want as usize]
                    ),
                );
            }
            if !index.contains_key(&next) {
                index.insert(next.clone(), states.len());
                states.push(next);
                parent.push((head, x));
            }
        }
        head += 1;
    }
    ProofReport {
        ok: true,
        states: states.len(),
        transitions,
        failure: None,
    }
}
