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

use crate::group::{Elem, Group};
use crate::target::{Plan, Target};
use gssm_runtime::ir::{
    FloatDtype, GroupInfo, Layer, Manifest, Model, CONVENTION, FORMAT_NAME, FORMAT_VERSION,
};
use gssm_runtime::values;

/// The model's input alphabet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alphabet {
    /// Every group element is a token (token id = element id).
    Elements,
    /// The generators, optionally with their inverses (the word problem).
    Generators { inverses: bool },
}

/// Token ids → (element, label).
pub fn tokens(g: &Group, alphabet: Alphabet) -> Vec<(Elem, String)> {
    match alphabet {
        Alphabet::Elements => g.elements().map(|x| (x, g.label(x).to_string())).collect(),
        Alphabet::Generators { inverses } => {
            let mut out = Vec::new();
            for (&x, name) in g.generators().iter().zip(g.generator_names()) {
                out.push((x, name.clone()));
                if inverses && g.inv(x) != x {
                    out.push((g.inv(x), format!("{name}^-1")));
                }
            }
            out
        }
    }
}

/// Build the IR with floats in `dtype`: the values of
/// `gssm_runtime::values`, which the proof recomputes bit for bit.
pub fn construct(
    g: &Group,
    plan: &Plan,
    target: &dyn Target,
    alphabet: Alphabet,
    dtype: FloatDtype,
) -> Result<Model, String> {
    let toks = tokens(g, alphabet);
    if toks.is_empty() {
        return Err(
            "the token alphabet is empty (the group has no generators); use all elements as tokens"
                .into(),
        );
    }
    let k = plan.depth();
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
            toks.iter().map(|t| t.0).collect()
        } else {
            plan.series[i].clone()
        };
        let moduli = f.invariant_factors.clone();
        let r = moduli.len();
        let v = inputs.len();
        let mut transition_code = Vec::with_capacity(v * r);
        let (mut a_re, mut a_im) = (Vec::with_capacity(v * r), Vec::with_capacity(v * r));
        for &x in &inputs {
            let code = f.code_of[x as usize];
            if code == u32::MAX {
                return Err(format!("internal: token {} is not in G_{i}", g.label(x)));
            }
            for (j, d) in f.digits(code).into_iter().enumerate() {
                transition_code.push(d);
                let (re, im) = values::transition(d, moduli[j], dtype);
                a_re.push(re);
                a_im.push(im);
            }
        }
        let phase = target.kind().has_phases().then(|| {
            transition_code
                .iter()
                .enumerate()
                .map(|(idx, &c)| values::phase(c, moduli[idx % r], dtype))
                .collect()
        });
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
            }
            table
        } else {
            Vec::new()
        };
        layers.push(Layer {
            moduli,
            num_tokens: v,
            transition_code,
            a_re,
            a_im,
            phase,
            b_re: vec![values::B.0; v * r],
            b_im: vec![values::B.1; v * r],
            h0_re: vec![values::H0.0; r],
            h0_im: vec![values::H0.1; r],
            cocycle,
        });
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
    let manifest = Manifest {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
        compiler: format!("gssm {}", env!("CARGO_PKG_VERSION")),
        group: GroupInfo {
            name: g.name.clone(),
            generators: g.generator_names().to_vec(),
        },
        convention: CONVENTION.into(),
        target: target.kind().name().into(),
        dtype: dtype.manifest_name().into(),
        tokens: toks.iter().map(|t| t.1.clone()).collect(),
        outputs: g.labels().to_vec(),
    };
    Ok(Model {
        manifest,
        layers,
        readout,
        group_table: g.table().to_vec(),
        generators: g.generators().to_vec(),
        token_elements: toks.iter().map(|t| t.0).collect(),
    })
}
