//! The proof for all lengths. Run the construction on exact state codes:
//! from the initial joint state, every token moves each layer's digits by
//! its transition code; the cocycle tables carry tokens down the stack. If
//! the readout of the initial state is e and, for every reachable joint state
//! S and token x, readout(S·x) = readout(S)·x in the group, then by induction
//! the model outputs x_1⋯x_t for every sequence of every length.
//!
//! Before that run, every other tensor a reader uses is tied to it: the group
//! table is associative (Light's test over the generators, which generate
//! every element since every output label is a word in them), and every
//! stored float — transitions, phases, input terms, initial states — equals,
//! bit for bit, the value `gssm_runtime::values` specifies for its exact
//! phase numerator in the stored dtype. So the exact run is the float model's
//! run for as long as the float arithmetic decodes each state to its code.

use gssm_runtime::valid::ValidModel;
use gssm_runtime::values;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ProofReport {
    pub ok: bool,
    /// The stored dtype whose values were checked bit for bit.
    pub dtype: &'static str,
    /// Reachable joint states.
    pub states: usize,
    /// (state, token) transitions checked.
    pub transitions: usize,
    /// The first failure, if any.
    pub failure: Option<String>,
}

/// The first stored float that is not the construction's value.
fn check_parameters(model: &ValidModel) -> Result<(), String> {
    let dt = model.dtype();
    let dn = dt.manifest_name();
    let same = |x: f64, y: f64| x.to_bits() == y.to_bits();
    for (i, l) in model.layers.iter().enumerate() {
        let r = l.width();
        for (k, &c) in l.transition_code.iter().enumerate() {
            let (v, j, n) = (k / r, k % r, l.moduli[k % r]);
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
        for j in 0..r {
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

/// Light's associativity test: (x·s)·y = x·(s·y) for every x, y and
/// generator s. The elements for which it holds are closed under products,
/// so it then holds for all.
fn check_associative(model: &ValidModel) -> Result<(), String> {
    let n = model.order() as u32;
    for (i, &s) in model.generators.iter().enumerate() {
        for x in 0..n {
            let xs = model.mul(x, s);
            for y in 0..n {
                if model.mul(xs, y) != model.mul(x, model.mul(s, y)) {
                    let o = &model.manifest.outputs;
                    return Err(format!(
                        "tensor `group.table` is not associative: ({}·{})·{} ≠ {}·({}·{}) for generator {}",
                        o[x as usize], o[s as usize], o[y as usize], o[x as usize], o[s as usize], o[y as usize],
                        model.manifest.group.generators[i]
                    ));
                }
            }
        }
    }
    Ok(())
}

pub fn proof(model: &ValidModel) -> ProofReport {
    let dtype = model.dtype().manifest_name();
    let fail = |states, transitions, msg: String| ProofReport {
        ok: false,
        dtype,
        states,
        transitions,
        failure: Some(msg),
    };
    if let Err(e) = check_parameters(model).and_then(|()| check_associative(model)) {
        return fail(0, 0, e);
    }
    let k = model.layers.len();
    let v0 = model.num_tokens();
    // Joint state: every layer's digit vector, flattened; h0 = 1 is digit 0.
    let init: Vec<u32> = vec![0; model.layers.iter().map(|l| l.width()).sum()];
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
        dtype,
        states: states.len(),
        transitions,
        failure: None,
    }
}
