//! Group + series → SSM IR: the construction of DESIGN.md §1.
//!
//! Layer i tracks the abelian factor A_i = G_i/G_{i+1} with invariant-factor
//! coordinates c_i (one state component per invariant factor, so the width is
//! least), transversal s_i and cocycle
//!     κ_i(a, x) = s_i(a) · x · s_i(a + π_i(x))^{-1} ∈ G_{i+1},
//! which, written as a function of the code after the update and the input,
//! is the layer's decoder and the next layer's token. The readout is
//!     y = s_{k-1}(a_{k-1}) · … · s_1(a_1) · s_0(a_0).
//! Split and non-split extensions are handled alike: nothing here assumes a
//! complement exists.
//!
//! With a start token, every layer gets one more token, last: a = 0 and
//! b = h0 = (1, 0), which writes the initial state into the zero state (or
//! resets it), and the cocycle passes it to the next layer's start token.

use super::{manifest, Tokens};
use crate::group::{Elem, Group};
use crate::structure::abelian::AbelianFactor;
use crate::target::{Plan, Target};
use gssm_runtime::ir::{Coord, Diagonal, FloatDtype, Layer, Model, Net};
use gssm_runtime::values;

/// Build the IR with floats in `dtype`: the values of
/// `gssm_runtime::values`, which the proof recomputes bit for bit.
pub fn construct(
    g: &Group,
    plan: &Plan,
    target: &dyn Target,
    toks: &Tokens,
    dtype: FloatDtype,
) -> Result<Model, String> {
    let bos = toks.bos;
    let k = plan.depth();
    if bos && k == 0 {
        return Err(format!(
            "{} is trivial, so the model has no layer for a start token to write",
            g.name
        ));
    }
    // Position of each element within each series term (the local token id).
    let local: Vec<Vec<u32>> = plan
        .series
        .iter()
        .map(|sub| {
            let mut pos = vec![u32::MAX; g.order()];
            for (i, &x) in sub.iter().enumerate() {
                pos[x as usize] = i as u32;
            }
            pos
        })
        .collect();
    let mut layers = Vec::with_capacity(k);
    for (i, f) in plan.factors.iter().enumerate() {
        let inputs: Vec<Elem> = if i == 0 {
            toks.group.iter().map(|t| t.0).collect()
        } else {
            plan.series[i].clone()
        };
        let mut codes = Vec::with_capacity(inputs.len());
        for &x in &inputs {
            let code = f.code_of[x as usize];
            if code == u32::MAX {
                return Err(format!("internal: token {} is not in G_{i}", g.label(x)));
            }
            codes.push(code);
        }
        let v = inputs.len() + usize::from(bos);
        let cocycle = if i + 1 < k {
            let next = &local[i + 1];
            let mut table = Vec::with_capacity(f.order() * v);
            for c in 0..f.order() as u32 {
                let s_after_inv = g.inv(f.transversal[c as usize]);
                for &x in &inputs {
                    let before = f.sub(c, f.code_of[x as usize]);
                    let kappa = g.mul(g.mul(f.transversal[before as usize], x), s_after_inv);
                    let id = next[kappa as usize];
                    if id == u32::MAX {
                        return Err(format!(
                            "internal: cocycle value {} left G_{}",
                            g.label(kappa),
                            i + 1
                        ));
                    }
                    table.push(id);
                }
                if bos {
                    // Start token → the next layer's start token (its last id).
                    table.push(plan.series[i + 1].len() as u32);
                }
            }
            table
        } else {
            Vec::new()
        };
        layers.push(layer(f, &codes, bos, target, dtype, cocycle));
    }
    // Readout over joint codes, layer 0 least significant.
    let joint: usize = plan.factors.iter().map(|f| f.order()).product();
    let mut readout = Vec::with_capacity(joint);
    for code in 0..joint {
        let mut rest = code;
        let mut y: Elem = 0;
        for f in &plan.factors {
            let c = rest % f.order();
            rest /= f.order();
            // Later layers multiply on the left.
            y = g.mul(f.transversal[c], y);
        }
        readout.push(y);
    }
    Ok(Model {
        manifest: manifest(g, target.kind(), dtype, toks),
        net: Net::Diagonal(Diagonal {
            layers,
            readout: Some(readout),
        }),
        truth: super::group_truth(g, toks),
    })
}

/// A layer's tensors: factor `f`'s moduli, the transitions of the group
/// inputs whose codes are `codes` (in token order), a start token's row
/// last when `bos`, and the cocycle table (empty for the last layer).
pub fn layer(
    f: &AbelianFactor,
    codes: &[u32],
    bos: bool,
    target: &dyn Target,
    dtype: FloatDtype,
    cocycle: Vec<u32>,
) -> Layer {
    let moduli = f.moduli.clone();
    let r = moduli.len();
    let v = codes.len() + usize::from(bos);
    let mut transition_code = Vec::with_capacity(v * r);
    let (mut a_re, mut a_im) = (Vec::with_capacity(v * r), Vec::with_capacity(v * r));
    for &code in codes {
        for (j, d) in f.digits(code).into_iter().enumerate() {
            transition_code.push(d);
            let (re, im) = values::transition(d, moduli[j], dtype);
            a_re.push(re);
            a_im.push(im);
        }
    }
    if bos {
        // The start token: a = 0 (code and phase 0 by convention).
        transition_code.extend(std::iter::repeat_n(0, r));
        a_re.extend(std::iter::repeat_n(0.0, r));
        a_im.extend(std::iter::repeat_n(0.0, r));
    }
    let phase = target.kind().has_phases().then(|| {
        transition_code
            .iter()
            .enumerate()
            .map(|(idx, &c)| values::phase(c, moduli[idx % r], dtype))
            .collect()
    });
    Layer {
        coords: vec![Coord::Phase; r],
        moduli,
        num_tokens: v,
        transition_code,
        a_re,
        a_im,
        phase,
        b_re: input_terms(values::B.0, values::H0.0, v, r, bos),
        b_im: input_terms(values::B.1, values::H0.1, v, r, bos),
        h0_re: vec![if bos { 0.0 } else { values::H0.0 }; r],
        h0_im: vec![if bos { 0.0 } else { values::H0.1 }; r],
        cocycle,
    }
}

/// The input term of every token: `b` for group tokens, and with a start
/// token, `start` on its (last) row.
pub fn input_terms(b: f64, start: f64, v: usize, r: usize, bos: bool) -> Vec<f64> {
    let mut out = vec![b; v * r];
    if bos {
        out[(v - 1) * r..].fill(start);
    }
    out
}
