//! The diagonal stack's proof (see the module above).

use super::{search, ProofReport};
use gssm_runtime::ir::Diagonal;
use gssm_runtime::valid::ValidModel;
use gssm_runtime::values;

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
    let r = search(model, init, |s, x| {
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
        (next, Some(got))
    });
    let (states, transitions) = match r {
        Ok(x) => x,
        Err((states, transitions, msg)) => return fail(states, transitions, msg),
    };
    ProofReport {
        ok: true,
        dtype,
        states,
        transitions,
        failure: None,
        horizon: None,
    }
}
