"""rnn models exported for PyTorch's own classes: `gssm export MODEL --format
torch-rnn -o DIR` (and gssm.export.write_torch_rnn, which writes the same
files) gives rnn.safetensors, readout.safetensors and config.json that load
with `load_state_dict(strict=True)` into torch.nn.RNN and torch.nn.Linear;
PyTorch's own RNN kernel then decodes the group product on 1,000 random
sequences of 1,000 steps without one error. The ground truth multiplies
permutations (synth.truth), reading the labels in config.json as words in
the stdlib family's generators."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import synth
from conftest import need_torch

import gssm
from gssm.export import torch_rnn, torch_rnn_tensors, write_torch_rnn

BATCH, LENGTH = 1000, 1000


def run_exported(d: Path, group: str, seed: int) -> None:
    """Load DIR with torch's classes and count errors over BATCH × LENGTH."""
    torch = need_torch()
    from safetensors.torch import load_file

    cfg = json.loads((d / "config.json").read_text(encoding="utf-8"))
    assert set(cfg) == {"rnn", "readout", "tokens", "outputs", "bos"}
    rc, oc = cfg["rnn"], cfg["readout"]
    assert rc["nonlinearity"] == "relu" and rc["num_layers"] == 1 and rc["bias"] is True
    assert set(rc) == {"input_size", "hidden_size", "nonlinearity", "num_layers", "bias"}
    assert set(oc) == {"in_features", "out_features"} and oc["in_features"] == rc["hidden_size"]
    V, H, N = rc["input_size"], rc["hidden_size"], oc["out_features"]
    assert len(cfg["tokens"]) == V and len(cfg["outputs"]) == N == synth.ORDERS[group]
    bos = cfg["bos"]
    assert bos is None or (bos == V - 1 and cfg["tokens"][bos] == "<bos>")

    rnn_sd = load_file(str(d / "rnn.safetensors"))
    ro_sd = load_file(str(d / "readout.safetensors"))
    dtype = rnn_sd["weight_hh_l0"].dtype
    rnn = torch.nn.RNN(
        input_size=V, hidden_size=H, nonlinearity=rc["nonlinearity"], num_layers=rc["num_layers"], bias=rc["bias"], dtype=dtype
    )
    readout = torch.nn.Linear(oc["in_features"], N, dtype=dtype)
    rnn.load_state_dict(rnn_sd, strict=True)
    readout.load_state_dict(ro_sd, strict=True)

    x = synth.sequences(V, bos, (BATCH, LENGTH), seed=seed)
    truth = synth.truth(group, cfg["tokens"], cfg["outputs"], x)
    pred = np.empty_like(x)
    xt = torch.as_tensor(np.ascontiguousarray(x.T))  # [T, B]: torch's default layout
    chunk = max(1, (1 << 24) // (BATCH * H))
    h = None  # torch's default h_0 = 0
    with torch.no_grad():
        for t0 in range(0, LENGTH, chunk):
            inp = torch.nn.functional.one_hot(xt[t0 : t0 + chunk], V).to(dtype)
            o, h = rnn(inp, h)
            pred[:, t0 : t0 + chunk] = torch.argmax(readout(o), dim=-1).T.numpy()
    errors = int((pred != truth).sum())
    assert errors == 0, f"{errors} errors of {pred.size}"


SYNTH = [("S3", False), ("A5", False), ("S3", True)]


@pytest.mark.parametrize("group,bos", SYNTH, ids=[f"{g}{'-bos' if b else ''}" for g, b in SYNTH])
def test_python_built_weights_in_torch_rnn(tmp_path, group, bos):
    """The same check on weights built in Python from the spec's construction."""
    m = synth.build_v3(group, "rnn", bos=bos)
    write_torch_rnn(m, tmp_path / "out")
    run_exported(tmp_path / "out", group, seed=100 + len(group) + bos)


def gssm_bin_or_skip() -> Path:
    b = os.environ.get("GSSM_BIN")
    if not b:
        pytest.skip("GSSM_BIN is not set")
    return Path(b)


CLI = [("S3", False), ("A5", False), ("S5", False), ("S3", True)]


@pytest.mark.parametrize("group,bos", CLI, ids=[f"{g}{'-bos' if b else ''}" for g, b in CLI])
def test_cli_export_in_torch_rnn(tmp_path, group, bos):
    """`gssm compile … --target rnn --alphabet generators+inverses [--bos]`,
    then `gssm export MODEL --format torch-rnn -o DIR`."""
    gssm_bin_or_skip()
    from conftest import compile_v3

    model = compile_v3(group, "rnn", tmp_path / f"{group}.rnn.safetensors", bos=bos)
    out = tmp_path / "torch-rnn"
    cmd = [os.environ["GSSM_BIN"], "export", str(model), "--format", "torch-rnn", "-o", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stderr}"
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "readout.safetensors", "rnn.safetensors"]
    # The CLI's files hold the model's own weights, as the Python writer's do.
    m = gssm.load(model)
    from safetensors.numpy import load_file

    rnn_sd, ro_sd, cfg = torch_rnn_tensors(m)
    for name, a in load_file(str(out / "rnn.safetensors")).items():
        np.testing.assert_array_equal(a, rnn_sd[name])
    for name, a in load_file(str(out / "readout.safetensors")).items():
        np.testing.assert_array_equal(a, ro_sd[name])
    assert json.loads((out / "config.json").read_text(encoding="utf-8")) == cfg
    run_exported(out, group, seed=200 + len(group) + bos)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_rnn_classes(dtype):
    torch = need_torch()
    m = synth.build_v3("A4", "rnn", bos=True, dtype=dtype)
    rnn, readout = torch_rnn(m)
    assert type(rnn) is torch.nn.RNN and type(readout) is torch.nn.Linear
    assert rnn.weight_hh_l0.dtype == (torch.float64 if dtype == "float64" else torch.float32)
    assert set(rnn.state_dict()) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}
    x = synth.sequences(m.num_tokens, m.bos, (64, 300), seed=8)
    with torch.no_grad():
        o, _ = rnn(torch.nn.functional.one_hot(torch.as_tensor(x.T.copy()), m.num_tokens).to(rnn.weight_hh_l0.dtype))
        y = torch.argmax(readout(o), dim=-1).T.numpy()
    np.testing.assert_array_equal(y, synth.truth("A4", m.token_labels, m.output_labels, x))
    np.testing.assert_array_equal(y, m.run(x))
    with pytest.raises(ValueError, match="rnn model"):
        torch_rnn(synth.build_v3("A4", "pd-ssm"))


def test_config_json(tmp_path):
    m = synth.build_v3("S3", "rnn", bos=True)
    write_torch_rnn(m, tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert cfg == {
        "rnn": {"input_size": 4, "hidden_size": 18, "nonlinearity": "relu", "num_layers": 1, "bias": True},
        "readout": {"in_features": 18, "out_features": 6},
        "tokens": m.token_labels,
        "outputs": m.output_labels,
        "bos": 3,
    }
    assert json.loads(json.dumps(torch_rnn_tensors(synth.build_v3("S3", "rnn"))[2]))["bos"] is None
