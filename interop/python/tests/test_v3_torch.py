"""GssmModule on format version 3 models: rnn through torch.nn.RNN and
torch.nn.Linear, pd-ssm with gathers, deltaproduct with the reflection loop,
diagonal layers with a start token; outputs and states equal to the NumPy
executor, the start token's reset kept through training, export."""

from __future__ import annotations

import numpy as np
import pytest
import synth
from conftest import need_torch

import gssm

MODELS = {
    "S3-rnn": lambda dt: synth.build_v3("S3", "rnn", dtype=dt),
    "A5-rnn-bos": lambda dt: synth.build_v3("A5", "rnn", bos=True, dtype=dt),
    "A4-pd-ssm": lambda dt: synth.build_v3("A4", "pd-ssm", dtype=dt),
    "A5-pd-ssm-bos": lambda dt: synth.build_v3("A5", "pd-ssm", bos=True, dtype=dt),
    "S3-deltaproduct-bos": lambda dt: synth.build_v3("S3", "deltaproduct", bos=True, dtype=dt),
    "A5-deltaproduct": lambda dt: synth.build_v3("A5", "deltaproduct", dtype=dt),
    "A4-deltaproduct-orbits-bos": lambda dt: synth.build_v3("A4", "deltaproduct", bos=True, basis="orbits", dtype=dt),
    "S3-aussm-bos": lambda dt: synth.s3_bos(dt),
    "A4-aussm-bos": lambda dt: synth.a4_diag(dt, bos=True),
}


@pytest.fixture
def torch():
    return need_torch()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(MODELS))
def test_module_equals_numpy_and_permutations(torch, name, dtype):
    m = MODELS[name](dtype)
    group = name.split("-")[0]
    x = synth.sequences(m.num_tokens, m.bos, (32, 300), seed=21)
    truth = synth.truth(group, m.token_labels, m.output_labels, x)
    for run_dt in (torch.float32, torch.float64):
        mod = gssm.GssmModule(m, dtype=run_dt)
        y = mod(torch.as_tensor(x)).numpy()
        np.testing.assert_array_equal(y, truth)
        np.testing.assert_array_equal(y, m.run(x, "float32" if run_dt == torch.float32 else "float64"))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(MODELS))
def test_states_equal_numpy_bit_for_bit(torch, name, dtype):
    """The module runs the reference's operations in the same order, so the
    states agree exactly (the rnn's are 0/1 one-hot vectors either way)."""
    m = MODELS[name](dtype)
    x = synth.sequences(m.num_tokens, m.bos, (8, 120), seed=22)
    out, states = gssm.GssmModule(m).trajectory(torch.as_tensor(x))
    want = gssm.states(m, x)
    assert len(states) == len(want)
    for s, w in zip(states, want):
        s = s.detach().numpy()
        if np.iscomplexobj(w):
            np.testing.assert_array_equal(s.real, w.real)
            np.testing.assert_array_equal(s.imag, w.imag)
        else:
            assert s.dtype == w.dtype
            np.testing.assert_array_equal(s, w)
    np.testing.assert_array_equal(out.numpy(), m.run(x))


def test_rnn_is_torch_rnn_and_linear(torch):
    m = synth.build_v3("A4", "rnn", bos=True)
    mod = gssm.GssmModule(m)
    assert isinstance(mod.rnn, torch.nn.RNN) and isinstance(mod.readout, torch.nn.Linear)
    assert mod.rnn.nonlinearity == "relu" and mod.rnn.num_layers == 1 and mod.rnn.bias
    assert (mod.rnn.input_size, mod.rnn.hidden_size) == (5, 48)
    assert (mod.readout.in_features, mod.readout.out_features) == (48, 12)
    names = {n for n, _ in mod.named_parameters()}
    assert names == {"rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "readout.weight", "readout.bias"}
    np.testing.assert_array_equal(mod.rnn.weight_hh_l0.detach().numpy(), m.rnn.weight_hh)
    # Long sequences are run in chunks; the result does not depend on them.
    x = synth.sequences(5, 4, (16, 500), seed=3)
    y = mod(torch.as_tensor(x))
    mod.RNN_CHUNK = 16 * 48 * 7
    np.testing.assert_array_equal(mod(torch.as_tensor(x)).numpy(), y.numpy())


def test_parameters_pd_and_delta(torch):
    mod = gssm.GssmModule(synth.build_v3("A5", "pd-ssm"))
    assert {n for n, _ in mod.named_parameters()} == {"pd.diag", "pd.input", "pd.h0"}
    mod = gssm.GssmModule(synth.build_v3("A5", "pd-ssm", bos=True))
    assert {n for n, _ in mod.named_parameters()} == {"pd.diag", "pd.input"}  # h0 = 0 is a buffer
    mod = gssm.GssmModule(synth.build_v3("A5", "deltaproduct", bos=True))
    assert {n for n, _ in mod.named_parameters()} == {"delta.k", "delta.beta", "delta.v"}
    mod = gssm.GssmModule(synth.s3_bos())
    names = {n for n, _ in mod.named_parameters()}
    assert "layers.0.theta" in names and "layers.0.h0_re" not in names


@pytest.mark.parametrize("name", list(MODELS))
def test_untrained_export_is_the_model(torch, name):
    m = MODELS[name]("float32")
    assert gssm.dumps(gssm.GssmModule(m).export()) == gssm.dumps(m)
    m = MODELS[name]("float64")
    assert gssm.dumps(gssm.GssmModule(m, dtype=torch.float32).export()) != b"" and gssm.dumps(gssm.GssmModule(m).export()) == gssm.dumps(m)


@pytest.mark.parametrize("name", ["A5-pd-ssm-bos", "S3-deltaproduct-bos", "A4-deltaproduct-orbits-bos", "S3-aussm-bos", "A4-aussm-bos"])
def test_start_token_reset_survives_training(torch, name):
    """Noise on every parameter: the start token still resets the state (the
    keep mask / pinned factors), the initial state stays 0, and the exported
    model is still a valid file with a start token."""
    m = MODELS[name]("float32")
    mod = gssm.GssmModule(m)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in mod.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    bos = m.bos
    x = synth.sequences(m.num_tokens, bos, (4, 60), seed=9, reset_rate=0.0)
    x[:, 30] = bos
    out, states = mod.trajectory(torch.as_tensor(x))
    for s in states:
        s = s.detach()
        # Right after a start token the state is the same whatever came
        # before: exactly where the start token multiplies the state by 0;
        # deltaproduct's factors set h[c] to h[c] + (v − h[c]), which is v
        # only to a rounding of the previous state's size.
        assert torch.equal(s[:, 0], s[:1, 0].expand_as(s[:, 0]))
        if m.target == "deltaproduct":
            size = max(1.0, float(s[:, 29].abs().max()))
            torch.testing.assert_close(s[:, 30], s[:, 0], rtol=0, atol=4 * torch.finfo(s.dtype).eps * size)
        else:
            assert torch.equal(s[:, 30], s[:, 0])
    exported = mod.export()
    again = gssm.loads(gssm.dumps(exported))
    np.testing.assert_array_equal(again.run(x), out.numpy())


def test_gradients_flow(torch):
    for m in (synth.build_v3("S3", "deltaproduct", dtype="float64"), synth.build_v3("S3", "pd-ssm", bos=True), synth.build_v3("S3", "rnn")):
        mod = gssm.GssmModule(m)
        x = torch.as_tensor(synth.sequences(m.num_tokens, m.bos, (4, 12), seed=1))
        out, (s,) = mod.trajectory(x)
        assert s.requires_grad
        (s.square().mean() + s.mean()).backward()
        for n, p in mod.named_parameters():
            if not n.startswith("readout."):  # the loss is on the states only
                assert p.grad is not None and torch.isfinite(p.grad).all(), n
        np.testing.assert_array_equal(out.numpy(), m.run(x.numpy()))


def test_start_token_required(torch):
    for m in (synth.build_v3("S3", "rnn", bos=True), synth.s3_bos()):
        mod = gssm.GssmModule(m)
        with pytest.raises(gssm.TokenError, match="must begin with '<bos>'"):
            mod(torch.tensor([[m.bos, 0], [0, m.bos]]))
        assert tuple(mod(torch.tensor([m.bos, 1, 2])).shape) == (3,)


def test_undecodable_in_torch(torch):
    m = synth.build_v3("A4", "pd-ssm")
    m.pd.index = m.pd.index.copy()
    m.pd.index[0] = [1, 0, 2, 3]  # an odd permutation: no element of A4
    y = gssm.GssmModule(m)(torch.tensor([[0, 1], [1, 1]])).numpy()
    np.testing.assert_array_equal(y, m.run([[0, 1], [1, 1]]))
    assert y[0, 0] == gssm.UNDECODABLE


def test_cuda(torch):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    for name in ("A5-rnn-bos", "A5-pd-ssm-bos", "A5-deltaproduct", "S3-aussm-bos"):
        m = MODELS[name]("float32")
        x = synth.sequences(m.num_tokens, m.bos, (256, 400), seed=4)
        mod = gssm.GssmModule(m, device="cuda")
        y = mod(torch.as_tensor(x, device="cuda"))
        assert y.device.type == "cuda"
        np.testing.assert_array_equal(y.cpu().numpy(), synth.truth(name.split("-")[0], m.token_labels, m.output_labels, x))
