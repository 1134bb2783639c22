//! The diagonal stack's proof (see the module above).

use super::ProofReport;
use gssm_runtime::ir::Diagonal;
use gssm_runtime::truth::next_product;
use gssm_runtime::valid::ValidModel;
use gssm_runtime::values;
use std::collections::HashMap;

/// The first stored float that is not the construction's value.
fn check_parameters(model: &ValidModel, d: &Diagonal) -> Result<(), String> {
    let dt = model.dtype();
    let dn = dt.manifest_name();
    let bos = model.manifest.bos.is_some();
    let same = |x: f64, y: f64| x.to_bits() == y.to_bits();
    for (i, l) in d.layers.iter().enumerate() {
        let r = l.width();
        for (k, &c) in l.transition_code.iter().enumerate() {
            let (v, j, n) = (k / r, k % r, l.moduli[k % r]);
            if bos && v + 1 == l.num_tokens {
                // The start token: a = 0 (the loader checked it), b = h0.
                for (t, got, want) in [
                    ("input.re", l.b_re[k], values::H0.0),
                    ("input.im", l.b_im[k], values::H0.1),
                ] {
                    if !same(got, want) {
                        return Err(format!(
                            "tensor `layer.{i}.{t}` entry {k} (the start token, component {j}) is {got:e}, but the start token writes the initial state {want:e}"
                        ));
                    }
                }
                continue;
            }
            let at = |t: &str, got: f64, want: f64| {
                format!(
                    "tensor `layer.{i}.{t}` entry {k} (token {v}, component {j}) is {got:e}, but the construction stores {want:e} for c/n = {c}/{n} in {dn}"
                )
            };
            let (re, im) = values::transition(c, n, dt);
            if !same(l.a_re[k], re) {
                return Err(at("transition.re", l.a_re[k], re));
            }
            if !same(l.a_im[k], im) {
                return Err(at("transition.im", l.a_im[k], im));
            }
            if let Some(ph) = &l.phase {
                let want = values::phase(c, n, dt);
                if !same(ph[k], want) {
                    return Err(at("transition.phase", ph[k], want));
                }
            }
            if !same(l.b_re[k], values::B.0) {
                return Err(at("input.re", l.b_re[k], values::B.0));
            }
            if !same(l.b_im[k], values::B.1) {
                return Err(at("input.im", l.b_im[k], values::B.1));
            }
        }
        // With a start token the model runs from the zero state (the
        // loader checked h0 = 0).
        for j in (0..r).filter(|_| !bos) {
            for (t, got, want) in [
                ("h0.re", l.h0_re[j], values::H0.0),
                ("h0.im", l.h0_im[j], values::H0.1),
            ] {
                if !same(got, want) {
                    return Err(format!(
                        "tensor `layer.{i}.{t}` entry {j} is {got:e}, but the initial state is exactly {want:e}"
                    ));
                }
            }
        }
    }
    Ok(())
}

pub fn proof(model: &ValidModel, d: &Diagonal) -> ProofReport {
    let dtype = model.dtype().manifest_name();
    let fail = |states, transitions, msg: String| ProofReport {
        ok: false,
        dtype,
        states,
        transitions,
        failure: Some(msg),
        horizon: None,
    };
    if let Err(e) = check_parameters(model, d) {
        return fail(0, 0, e);
    }
    let bos = model.manifest.bos.is_some();
    let k = d.layers.len();
    let v0 = model.num_tokens();
    // Joint state: every layer's digit vector, flattened; h0 = 1 is digit 0
    // (with a start token: the state it writes, from which the sequence
    // begins).
    let init: Vec<u32> = vec![0; d.layers.iter().map(|l| l.width()).sum()];
    let readout_of = |digits: &[u32]| -> usize {
        let (mut joint, mut stride, mut off) = (0usize, 1usize, 0usize);
        for l in &d.layers {
            joint += l.code_of(&digits[off..off + l.width()]) * stride;
            stride *= l.num_codes();
            off += l.width();
        }
        joint
    };
    if d.readout[readout_of(&init)] != 0 {
        return fail(
            1,
            0,
            format!(
                "the initial state reads out {}, not the identity",
                model.manifest.outputs[d.readout[readout_of(&init)] as usize]
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
        let here = d.readout[readout_of(&s)];
        for x in 0..v0 {
            let mut next = s.clone();
            let mut v = x;
            let mut off = 0;
            for (i, l) in d.layers.iter().enumerate() {
                let r = l.width();
                // A start token (each layer's last) writes digit 0.
                let start = bos && v + 1 == l.num_tokens;
                for j in 0..r {
                    next[off + j] = if start {
                        0
                    } else {
                        (next[off + j] + l.transition_code[v * r + j]) % l.moduli[j]
                    };
                }
                if i + 1 < k {
                    v = l.cocycle[l.code_of(&next[off..off + r]) * l.num_tokens + v] as usize;
                }
                off += r;
            }
            let got = d.readout[readout_of(&next)];
            let want = next_product(model, here, x as u32);
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
        dtype,
        states: states.len(),
        transitions,
        failure: None,
        horizon: None,
    }
}
