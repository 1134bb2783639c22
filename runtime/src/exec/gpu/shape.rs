//! The model laid out for the device: every table checked once on the host,
//! packed into one float buffer and one integer buffer, with the offsets and
//! shapes that the generated shaders bake in as constants.

use crate::ir::{Coord, Truth};
use crate::valid::ValidModel;

/// One layer's shape and where its tables live in the packed buffers.
#[derive(Clone, Debug)]
pub(crate) struct LayerShape {
    pub moduli: Vec<u32>,
    /// Per component: decoded by its phase or, for a register, its real
    /// part.
    pub coords: Vec<Coord>,
    pub tokens: u32,
    /// Offset (in vec4s) of `[V][width]` entries `(a.re, a.im, b.re, b.im)`.
    pub ab_off: u32,
    /// Offset (in vec4s) of `[width]` entries `(h0.re, h0.im, 0, 0)`.
    pub h0_off: u32,
    /// Offset (in u32s) of the `[codes][V]` cocycle table; None on the last
    /// layer.
    pub cocycle_off: Option<u32>,
    /// Index of this layer's first component in the joint state.
    pub state_off: u32,
    /// Multiplier of this layer's code in the joint readout index.
    pub joint_stride: u32,
}

impl LayerShape {
    pub fn width(&self) -> u32 {
        self.moduli.len() as u32
    }
}

/// The whole model, packed.
#[derive(Clone, Debug)]
pub(crate) struct Shape {
    pub layers: Vec<LayerShape>,
    pub num_tokens: u32,
    pub order: u32,
    /// Total number of complex state components.
    pub state_len: u32,
    /// Where the readout starts in the integer table; `None`: the output
    /// id is the joint code.
    pub readout_off: Option<u32>,
    /// The ground truth as table lookups, for the exhaustive and horizon
    /// kernels.
    pub truth: TruthShape,
    /// The true output before any token.
    pub initial: u32,
    pub floats: Vec<[f32; 4]>,
    pub ints: Vec<u32>,
}

/// Where the true output after token x from output y is looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TruthShape {
    /// `T[next_off + x·order + y]`: a [V][order] table of next outputs.
    Next { next_off: u32 },
    /// `T[table_off + y·order + T[elements_off + x]]`: a group's Cayley
    /// table and its tokens' elements, kept where they are smaller than the
    /// next-output table (more tokens than elements).
    Product { table_off: u32, elements_off: u32 },
}

/// Largest packed table, in entries: keeps every offset and index the shaders
/// compute well inside u32.
const MAX_ENTRIES: u64 = 1 << 30;

fn bad(msg: impl Into<String>) -> String {
    format!("the model is too large for the GPU backend: {}", msg.into())
}

impl Shape {
    /// Pack a validated model (every index is in range, every table has its
    /// size) for the shaders, within the device's offset range.
    pub fn new(model: &ValidModel) -> Result<Shape, String> {
        let order = model.order();
        let v0 = model.num_tokens();
        let diag = super::super::diagonal_only(model, super::super::Backend::Gpu)
            .map_err(|e| e.to_string())?;
        let k = diag.layers.len();
        let mut floats: Vec<[f32; 4]> = Vec::new();
        let mut ints: Vec<u32> = Vec::new();
        let mut layers = Vec::with_capacity(k);
        let mut state_len = 0u64;
        let mut joint = 1u64;
        for (i, l) in diag.layers.iter().enumerate() {
            let w = l.width();
            let v = l.num_tokens;
            let mut codes = 1u64;
            for &n in &l.moduli {
                codes = codes.saturating_mul(n as u64);
            }
            if codes > MAX_ENTRIES || codes.saturating_mul(v as u64) > MAX_ENTRIES {
                return Err(bad(format!("layer {i} has too many state codes ({codes})")));
            }
            let vw = v * w;
            let ab_off = floats.len() as u64;
            for e in 0..vw {
                // Same f64 -> f32 rounding as the reference executor.
                floats.push([
                    l.a_re[e] as f32,
                    l.a_im[e] as f32,
                    l.b_re[e] as f32,
                    l.b_im[e] as f32,
                ]);
            }
            let h0_off = floats.len() as u64;
            for j in 0..w {
                floats.push([l.h0_re[j] as f32, l.h0_im[j] as f32, 0.0, 0.0]);
            }
            let cocycle_off = if i + 1 < k {
                let off = ints.len() as u64;
                ints.extend_from_slice(&l.cocycle);
                Some(off)
            } else {
                None
            };
            if floats.len() as u64 > MAX_ENTRIES || ints.len() as u64 > MAX_ENTRIES {
                return Err(bad("tables too large for the device"));
            }
            layers.push(LayerShape {
                moduli: l.moduli.clone(),
                coords: l.coords.clone(),
                tokens: v as u32,
                ab_off: ab_off as u32,
                h0_off: h0_off as u32,
                cocycle_off: cocycle_off.map(|o| o as u32),
                state_off: state_len as u32,
                joint_stride: joint as u32,
            });
            state_len += w as u64;
            joint = joint.saturating_mul(codes);
            if joint > MAX_ENTRIES || state_len > MAX_ENTRIES {
                return Err(bad("the joint state is too large"));
            }
        }
        let readout_off = diag.readout.as_ref().map(|r| {
            let off = ints.len() as u32;
            ints.extend_from_slice(r);
            off
        });
        // One lookup per step from a next-output table, unless a group's
        // own tables are smaller.
        let next_len = (v0 as u64).saturating_mul(order as u64);
        let truth = match &model.truth {
            Truth::Group(g) if ((g.table.len() + g.token_elements.len()) as u64) < next_len => {
                let table_off = ints.len() as u32;
                ints.extend_from_slice(&g.table);
                let elements_off = ints.len() as u32;
                ints.extend_from_slice(&g.token_elements);
                TruthShape::Product {
                    table_off,
                    elements_off,
                }
            }
            _ => {
                if next_len > MAX_ENTRIES {
                    return Err(bad("the ground-truth table is too large for the device"));
                }
                let next_off = ints.len() as u32;
                ints.extend(
                    (0..v0 as u32)
                        .flat_map(|x| (0..order as u32).map(move |y| model.next_output(y, x))),
                );
                TruthShape::Next { next_off }
            }
        };
        if ints.len() as u64 > MAX_ENTRIES {
            return Err(bad("tables too large for the device"));
        }
        // Bindings must not be empty.
        if floats.is_empty() {
            floats.push([0.0; 4]);
        }
        Ok(Shape {
            layers,
            num_tokens: v0 as u32,
            order: order as u32,
            state_len: state_len as u32,
            readout_off,
            truth,
            initial: model.initial_output(),
            floats,
            ints,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Shape, TruthShape};
    use crate::ir::FloatDtype;
    use crate::synth;
    use crate::valid::{validate, LoadLimits, ValidModel};

    /// The lookup the kernels make for (output y, token x).
    fn lookup(s: &Shape, y: u32, x: u32) -> u32 {
        let t = |i: u32| s.ints[i as usize];
        match s.truth {
            TruthShape::Next { next_off } => t(next_off + x * s.order + y),
            TruthShape::Product {
                table_off,
                elements_off,
            } => t(table_off + y * s.order + t(elements_off + x)),
        }
    }

    fn agrees(model: &ValidModel, s: &Shape) {
        assert_eq!(s.initial, model.initial_output());
        for x in 0..model.num_tokens() as u32 {
            for y in 0..model.order() as u32 {
                assert_eq!(lookup(s, y, x), model.next_output(y, x), "({y}, {x})");
            }
        }
    }

    #[test]
    fn the_smaller_truth_table_is_packed_and_agrees_with_the_model() {
        // C3 over its 3 elements: 9 next outputs beat 9 + 3 entries.
        let few = synth::valid_cyclic_model(vec![], vec![0], 3, vec![0, 1, 2], FloatDtype::F32);
        let s = Shape::new(&few).unwrap();
        assert!(matches!(s.truth, TruthShape::Next { .. }));
        agrees(&few, &s);
        // Eight tokens over C3: 24 next outputs lose to 9 + 8.
        let many = synth::valid_cyclic_model(
            vec![],
            vec![0],
            3,
            vec![0, 1, 2, 2, 1, 0, 1, 1],
            FloatDtype::F32,
        );
        let s = Shape::new(&many).unwrap();
        assert!(matches!(s.truth, TruthShape::Product { .. }));
        agrees(&many, &s);
        // An automaton has only its transitions, whatever their size.
        let delta = vec![1, 2, 0, 0, 0, 0, 2, 2, 1, 1, 1, 1];
        let a = synth::automaton_model(vec![], vec![2], 3, delta, 2, "aussm", FloatDtype::F32);
        let a = validate(a, &LoadLimits::default()).unwrap();
        let s = Shape::new(&a).unwrap();
        assert!(matches!(s.truth, TruthShape::Next { .. }));
        agrees(&a, &s);
    }
}
