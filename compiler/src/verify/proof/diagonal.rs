//! The diagonal stack's proof (see the module above).

use super::{search, stack, ProofReport, CROSS_CHECK_ORDER};
use gssm_runtime::ir::{register_digit, Coord, Diagonal};
use gssm_runtime::scalar::phase_digit;
use gssm_runtime::valid::ValidModel;
use gssm_runtime::values;

/// The initial digit of every component (read from h0, then checked to be
/// that digit's exact value), or the first stored float that is not the
/// construction's value.
fn check_parameters(model: &ValidModel, d: &Diagonal) -> Result<Vec<u32>, String> {
    let mut init = Vec::new();
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
            let coord = l.coords[j];
            let ((re, im), (bre, bim)) = values::coord_transition(coord, c, n, dt);
            if !same(l.a_re[k], re) {
                return Err(at("transition.re", l.a_re[k], re));
            }
            if !same(l.a_im[k], im) {
                return Err(at("transition.im", l.a_im[k], im));
            }
            if let Some(ph) = &l.phase {
                // Only rotations have a phase; resets and registers store 0.
                let want = if coord == Coord::Phase && c < n {
                    values::phase(c, n, dt)
                } else {
                    0.0
                };
                if !same(ph[k], want) {
                    return Err(at("transition.phase", ph[k], want));
                }
            }
            if !same(l.b_re[k], bre) {
                return Err(at("input.re", l.b_re[k], bre));
            }
            if !same(l.b_im[k], bim) {
                return Err(at("input.im", l.b_im[k], bim));
            }
        }
        // With a start token the model runs from the zero state (the
        // loader checked h0 = 0).
        for j in 0..r {
            let (coord, n) = (l.coords[j], l.moduli[j]);
            let digit = match coord {
                _ if bos => 0,
                Coord::Phase => phase_digit(l.h0_im[j].atan2(l.h0_re[j]), n),
                Coord::Register => register_digit(l.h0_re[j]),
            };
            init.push(digit);
            if bos {
                continue;
            }
            let want = values::coord_h0(coord, digit, n, dt);
            for (t, got, want) in [("h0.re", l.h0_re[j], want.0), ("h0.im", l.h0_im[j], want.1)] {
                if !same(got, want) {
                    return Err(format!(
                        "tensor `layer.{i}.{t}` entry {j} is {got:e}, but the initial state of digit {digit} is exactly {want:e}"
                    ));
                }
            }
        }
    }
    Ok(init)
}

/// One token on exact digits (every layer's, flattened): each component
/// moves by its code, a start token (each layer's last) writes digit 0,
/// and the cocycles carry the token down.
pub fn exact_step(d: &Diagonal, digits: &mut [u32], x: usize, bos: bool) {
    let k = d.layers.len();
    let (mut v, mut off) = (x, 0);
    for (i, l) in d.layers.iter().enumerate() {
        let r = l.width();
        let start = bos && v + 1 == l.num_tokens;
        for j in 0..r {
            let s = &mut digits[off + j];
            *s = if start {
                0
            } else {
                values::coord_next(l.coords[j], *s, l.transition_code[v * r + j], l.moduli[j])
            };
        }
        if i + 1 < k {
            v = l.cocycle[l.code_of(&digits[off..off + r]) * l.num_tokens + v] as usize;
        }
        off += r;
    }
}

/// Whether every float the model computes stays exact: no component
/// rotates (a ∈ {0, 1} on phases), so states are stored values or
/// registers, which stay inside their intervals in every float type.
fn never_rotates(d: &Diagonal) -> bool {
    d.layers.iter().all(|l| {
        let r = l.width();
        l.transition_code
            .iter()
            .enumerate()
            .all(|(k, &c)| l.coords[k % r] == Coord::Register || c == 0 || c >= l.moduli[k % r])
    })
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
        local: None,
    };
    let init = match check_parameters(model, d) {
        Ok(init) => init,
        Err(e) => return fail(0, 0, e),
    };
    let bos = model.manifest.bos.is_some();
    // Joint state: every layer's digit vector, flattened, from h0's digits
    // (with a start token: the state it writes, digit 0, from which the
    // sequence begins).
    let readout_of = |digits: &[u32]| -> usize {
        let (mut joint, mut stride, mut off) = (0usize, 1usize, 0usize);
        for l in &d.layers {
            joint += l.code_of(&digits[off..off + l.width()]) * stride;
            stride *= l.num_codes();
            off += l.width();
        }
        joint
    };
    let first = model.initial_output();
    if d.output(readout_of(&init)) != first {
        return fail(
            1,
            0,
            format!(
                "the initial state reads out {}, not {}",
                model.output_label(d.output(readout_of(&init))),
                model.output_label(first)
            ),
        );
    }
    // A truth without a table (permutations, a pc presentation) has none
    // to search against cheaply past a few thousand elements: prove it
    // layer by layer, and search the states only as a cross-check of
    // small groups.
    let mut off = 0;
    let codes: Vec<usize> = d
        .layers
        .iter()
        .map(|l| {
            let c = l.code_of(&init[off..off + l.width()]);
            off += l.width();
            c
        })
        .collect();
    let checked = match (model.perm(), model.pc()) {
        (Some(p), _) => Some(stack::check(d, p, model.order(), &codes, bos)),
        (None, Some(q)) => Some(stack::check_pc(d, q, model.order(), &codes, bos)),
        (None, None) => None,
    };
    let local = match checked {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => return fail(0, 0, e),
    };
    let (states, transitions) = if local.is_some() && model.order() > CROSS_CHECK_ORDER {
        (0, 0)
    } else {
        let r = search(model, init, |s, x| {
            let mut next = s.clone();
            exact_step(d, &mut next, x, bos);
            let got = d.output(readout_of(&next));
            (next, Some(got))
        });
        match r {
            Ok(x) => x,
            Err((states, transitions, msg)) => return fail(states, transitions, msg),
        }
    };
    ProofReport {
        ok: true,
        dtype,
        states,
        transitions,
        failure: None,
        horizon: never_rotates(d).then(|| {
            "infinite: no component rotates, so every state is a stored value or a register inside its interval, in every float type".to_string()
        }),
        local: local.map(|c| {
            format!(
                "local: every token's step multiplies the element read out by the token's, layer by layer ({} reachable (code, token) cells of {} layers, each cocycle token one element of the layer below), and {}, the identity at the start",
                c.cells,
                d.layers.len(),
                match c.readout {
                    Some(n) => format!("the readout is the product of the layers' elements ({n} entries)"),
                    None => "the output is the joint code, which the file's series numbers as the product of the layers' elements".to_string(),
                }
            )
        }),
    }
}
