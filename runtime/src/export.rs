//! Exports into the frameworks people train, as files their own classes
//! load as they are: `torch-rnn` gives `torch.nn.RNN`'s and
//! `torch.nn.Linear`'s state dicts (safetensors) and a JSON config.

use crate::ir::Net;
use crate::valid::ValidModel;
use safetensors::tensor::{Dtype as StDtype, TensorView};
use serde_json::json;
use std::collections::HashMap;

/// One exported file: its name in the output directory and its bytes.
pub struct ExportFile {
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

fn floats(v: &[f64], dt: crate::ir::FloatDtype) -> (StDtype, Vec<u8>) {
    match dt {
        crate::ir::FloatDtype::F32 => (
            StDtype::F32,
            v.iter().flat_map(|&x| (x as f32).to_le_bytes()).collect(),
        ),
        crate::ir::FloatDtype::F64 => (
            StDtype::F64,
            v.iter().flat_map(|&x| x.to_le_bytes()).collect(),
        ),
    }
}

fn state_dict(
    tensors: &[(&str, Vec<usize>, &[f64])],
    dt: crate::ir::FloatDtype,
) -> Result<Vec<u8>, String> {
    let data: Vec<(String, StDtype, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, shape, v)| {
            let (d, b) = floats(v, dt);
            (name.to_string(), d, shape.clone(), b)
        })
        .collect();
    let views: Vec<(String, TensorView)> = data
        .iter()
        .map(|(n, d, s, b)| {
            TensorView::new(*d, s.clone(), b)
                .map(|t| (n.clone(), t))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    safetensors::tensor::serialize(views, None::<HashMap<String, String>>)
        .map_err(|e| e.to_string())
}

/// `rnn.safetensors` (exactly `torch.nn.RNN(input_size=V, hidden_size=H,
/// nonlinearity="relu")`'s state dict), `readout.safetensors` (exactly
/// `torch.nn.Linear(H, N)`'s) and `config.json`.
pub fn torch_rnn(model: &ValidModel) -> Result<Vec<ExportFile>, String> {
    let Net::Rnn(c) = &model.net else {
        return Err(format!(
            "torch-rnn exports rnn models; this one is {} (compile with --target rnn)",
            model.target().name()
        ));
    };
    let (h, v, n, dt) = (c.hidden(), model.num_tokens(), model.order(), model.dtype());
    let rnn = state_dict(
        &[
            ("weight_ih_l0", vec![h, v], &c.weight_ih),
            ("weight_hh_l0", vec![h, h], &c.weight_hh),
            ("bias_ih_l0", vec![h], &c.bias_ih),
            ("bias_hh_l0", vec![h], &c.bias_hh),
        ],
        dt,
    )?;
    let readout = state_dict(
        &[
            ("weight", vec![n, h], &c.readout_weight),
            ("bias", vec![n], &c.readout_bias),
        ],
        dt,
    )?;
    let m = &model.manifest;
    // Inputs are one-hot token ids from h_0 = 0 (torch's default); the
    // argmax of the readout is the element id, labelled by `outputs`.
    let config = json!({
        "rnn": {
            "input_size": v,
            "hidden_size": h,
            "nonlinearity": "relu",
            "num_layers": 1,
            "bias": true,
        },
        "readout": {"in_features": h, "out_features": n},
        "tokens": m.tokens,
        "outputs": m.outputs,
        "bos": m.bos,
    });
    let config = serde_json::to_vec_pretty(&config).map_err(|e| e.to_string())?;
    Ok(vec![
        ExportFile {
            name: "rnn.safetensors",
            bytes: rnn,
        },
        ExportFile {
            name: "readout.safetensors",
            bytes: readout,
        },
        ExportFile {
            name: "config.json",
            bytes: config,
        },
    ])
}
