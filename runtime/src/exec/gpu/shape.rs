//! The model laid out for the device: every table checked once on the host,
//! packed into one float buffer and one integer buffer, with the offsets and
//! shapes that the generated shaders bake in as constants.

use crate::valid::ValidModel;

/// One layer's shape and where its tables live in the packed buffers.
#[derive(Clone, Debug)]
pub(crate) struct LayerShape {
    pub moduli: Vec<u32>,
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
    pub readout_off: u32,
    pub group_table_off: u32,
    pub token_elements_off: u32,
    pub floats: Vec<[f32; 4]>,
    pub ints: Vec<u32>,
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
        let group = model
            .group()
            .expect("diagonal_only refuses models without a group");
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
        let readout_off = ints.len() as u32;
        ints.extend_from_slice(&diag.readout);
        let group_table_off = ints.len() as u32;
        ints.extend_from_slice(&group.table);
        let token_elements_off = ints.len() as u32;
        ints.extend_from_slice(&group.token_elements);
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
            group_table_off,
            token_elements_off,
            floats,
            ints,
        })
    }
}
