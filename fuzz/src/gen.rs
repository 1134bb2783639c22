//! Valid random models and token batches, driven by fuzz input.
//!
//! A model here is any stack of layers whose tables are in range: the group
//! is cyclic, the cocycle and readout tables are arbitrary, the labels are
//! those `synth::cyclic_model` gives. The floats are the construction's
//! stored values (a = exp(2πi·c/n), b = 0, h0 on a chosen digit) in the
//! model's dtype, so for the short sequences generated every executor in
//! f32 or f64 must decode exactly what an integer run of the same tables
//! gives: any difference is an executor bug, not rounding.
//!
//! Now and then the model has a start token (`manifest.bos`): every layer
//! gets one more token, the last, whose row has a = 0 and b = the chosen
//! initial state (h0 is then 0), and whose cocycle entries name the next
//! layer's start token; batches then begin every sequence with it. Group
//! tokens' cocycle entries may name the next start token too, which resets
//! that layer mid-sequence: valid, and the exact run follows it.

use crate::Rng;
use arbitrary::{Result, Unstructured};
use gssm_runtime::format::LoadLimits;
use gssm_runtime::ir::{Coord, FloatDtype, Layer, BOS_LABEL};
use gssm_runtime::synth::cyclic_model;
use gssm_runtime::tokens::Tokens;
use gssm_runtime::valid::{validate, ValidModel};
use gssm_runtime::values::{transition, unit_root, B};

/// Largest joint state count (the readout table's size) generated.
const MAX_JOINT: usize = 4096;

/// A model plus the initial digit of every layer component (h0's code, or
/// with a start token the code the start token writes).
pub struct Generated {
    pub model: ValidModel,
    pub initial_digits: Vec<Vec<u32>>,
}

/// The input decides the model's shape, target and dtype; the table
/// contents come from a generator it seeds, so that short inputs still give
/// full random tables (an exhausted input would otherwise make every entry
/// 0).
pub fn model(u: &mut Unstructured) -> Result<Generated> {
    let order = u.int_in_range(1..=12usize)?;
    let v0 = u.int_in_range(1..=8usize)?;
    let neg_mamba = u.ratio(1, 4)?;
    let dtype = if u.arbitrary()? {
        FloatDtype::F64
    } else {
        FloatDtype::F32
    };
    let depth = u.int_in_range(0..=4usize)?;

    // Shapes first: each layer's cocycle ranges over the next layer's tokens.
    let mut shapes: Vec<(Vec<u32>, usize)> = Vec::new();
    let mut joint = 1usize;
    for i in 0..depth {
        let width = u.int_in_range(1..=3usize)?;
        let moduli = (0..width)
            .map(|_| {
                // Now and then a large modulus: still far from f32's
                // resolution over 48 steps (boundaries π/1024 apart).
                if neg_mamba {
                    Ok(2)
                } else if u.ratio(1, 8)? {
                    u.int_in_range(13..=1024u32)
                } else {
                    u.int_in_range(2..=12u32)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let codes: usize = moduli.iter().map(|&m| m as usize).product();
        if joint * codes > MAX_JOINT {
            break;
        }
        joint *= codes;
        let v = if i == 0 {
            v0
        } else {
            u.int_in_range(1..=8usize)?
        };
        shapes.push((moduli, v));
    }
    // A start token needs a layer to hold the state it writes.
    let bos = !shapes.is_empty() && u.ratio(1, 4)?;
    // Targets without layers track only the trivial group's readout: a
    // model with no layer may name any target.
    let target = match (neg_mamba, shapes.is_empty()) {
        (true, _) => "neg-mamba",
        (false, true) => *u.choose(&["aussm", "mamba", "gla", "s4d"])?,
        (false, false) => "aussm",
    };
    let mut rng = Rng::new(u.arbitrary()?);
    let mut below = |n: u32| rng.below(n as usize) as u32;
    let extra = usize::from(bos);
    // Group tokens' elements; the start token (last) is the identity.
    let mut token_elements: Vec<u32> = (0..v0).map(|_| below(order as u32)).collect();
    token_elements.extend((0..extra).map(|_| 0));
    let k = shapes.len();
    let mut layers = Vec::with_capacity(k);
    let mut initial_digits = Vec::with_capacity(k);
    for i in 0..k {
        let (moduli, v) = shapes[i].clone();
        // With a start token, every layer has it as its last token.
        let v = v + extra;
        let r = moduli.len();
        let codes: usize = moduli.iter().map(|&m| m as usize).product();
        let start = |x: usize| bos && x / r == v - 1;
        let transition_code: Vec<u32> = (0..v * r)
            .map(|x| if start(x) { 0 } else { below(moduli[x % r]) })
            .collect();
        let cocycle = match shapes.get(i + 1) {
            Some(&(_, next)) => (0..codes * v)
                .map(|x| {
                    if bos && x % v == v - 1 {
                        next as u32
                    } else {
                        below((next + extra) as u32)
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        let digits: Vec<u32> = moduli.iter().map(|&m| below(m)).collect();
        let a: Vec<(f64, f64)> = (0..v * r)
            .map(|x| {
                if start(x) {
                    (0.0, 0.0)
                } else {
                    transition(transition_code[x], moduli[x % r], dtype)
                }
            })
            .collect();
        // exp(2πi·d/n): the state starts on digit d, not 0 (h0, or with a
        // start token what the start token writes into the zero state).
        let h: Vec<(f64, f64)> = (0..r)
            .map(|j| {
                let (re, im) = unit_root(digits[j], moduli[j]);
                (dtype.round(re), dtype.round(im))
            })
            .collect();
        let b: Vec<(f64, f64)> = (0..v * r)
            .map(|x| if start(x) { h[x % r] } else { B })
            .collect();
        let h0: Vec<(f64, f64)> = if bos { vec![(0.0, 0.0); r] } else { h };
        layers.push(Layer {
            num_tokens: v,
            a_re: a.iter().map(|z| z.0).collect(),
            a_im: a.iter().map(|z| z.1).collect(),
            // cyclic_model fills the phases where the target has them.
            phase: None,
            b_re: b.iter().map(|z| z.0).collect(),
            b_im: b.iter().map(|z| z.1).collect(),
            h0_re: h0.iter().map(|z| z.0).collect(),
            h0_im: h0.iter().map(|z| z.1).collect(),
            coords: vec![Coord::Phase; moduli.len()],
            moduli,
            transition_code,
            cocycle,
        });
        initial_digits.push(digits);
    }
    let readout = (0..joint).map(|_| below(order as u32)).collect();
    let mut model = cyclic_model(layers, readout, order, token_elements, target, dtype);
    if bos {
        model.manifest.bos = Some(v0 as u32);
        model.manifest.tokens[v0] = BOS_LABEL.into();
    }
    let model = validate(model, &LoadLimits::default())
        .unwrap_or_else(|e| panic!("a generated model is valid: {e}"));
    Ok(Generated {
        model,
        initial_digits,
    })
}

/// A batch of 1..=17 sequences (batch sizes around SIMD widths) of 0..=48
/// tokens, drawn by a generator the input seeds; with a start token, each
/// sequence begins with it (and may hold it again later, which resets).
pub fn tokens(u: &mut Unstructured, model: &ValidModel) -> Result<Tokens> {
    let batch = u.int_in_range(1..=17usize)?;
    let len = u.int_in_range(0..=48usize)?;
    let mut rng = Rng::new(u.arbitrary()?);
    let bos = model.manifest.bos;
    let ids = (0..batch * len)
        .map(|i| match bos {
            Some(s) if i % len == 0 => s,
            _ => rng.below(model.num_tokens()) as u32,
        })
        .collect();
    Ok(Tokens::new(model, batch, len, ids).expect("generated ids are in range"))
}

/// The model's outputs computed on exact state digits: the semantics of
/// `ir` without floats.
/// A start token (each layer's last token, when the model has one) writes
/// the initial digits whatever the state was; the zero state before it is
/// never decoded, since every sequence begins with the start token.
pub fn exact_run(g: &Generated, tokens: &Tokens) -> Vec<u32> {
    let m = &g.model;
    let d = m.diagonal().expect("generated models are diagonal stacks");
    let bos = m.manifest.bos.is_some();
    let mut out = Vec::with_capacity(tokens.ids().len());
    for b in 0..tokens.batch() {
        let mut digits = g.initial_digits.clone();
        for &x in tokens.row(b) {
            let (mut v, mut joint, mut stride) = (x as usize, 0usize, 1usize);
            for (i, l) in d.layers.iter().enumerate() {
                let r = l.width();
                if bos && v == l.num_tokens - 1 {
                    digits[i].clone_from(&g.initial_digits[i]);
                } else {
                    for (j, q) in digits[i].iter_mut().enumerate() {
                        *q = (*q + l.transition_code[v * r + j]) % l.moduli[j];
                    }
                }
                let code = l.code_of(&digits[i]);
                joint += code * stride;
                stride *= l.num_codes();
                if i + 1 < d.layers.len() {
                    v = l.cocycle[code * l.num_tokens + v] as usize;
                }
            }
            out.push(d.readout.as_ref().map_or(joint as u32, |r| r[joint]));
        }
    }
    out
}
