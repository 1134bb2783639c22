"""The PyTorch module: parameters in the architecture's parameterisation,
outputs equal to the NumPy executor and the group table, gradients, export."""

from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest
import synth
from conftest import gssm_bin, need_torch

import gssm


@pytest.fixture
def torch():
    return need_torch()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make", [lambda d: synth.cyclic(60, d), synth.s3, synth.c2xc4_negmamba, synth.trivial])
def test_matches_numpy(torch, make, dtype):
    m = make(dtype)
    x = np.random.default_rng(11).integers(0, m.num_tokens, size=(64, 300))
    for run_dt in (torch.float32, torch.float64):
        mod = gssm.GssmModule(m, dtype=run_dt)
        y = mod(torch.as_tensor(x)).numpy()
        np.testing.assert_array_equal(y, m.running_products(x))
        np.testing.assert_array_equal(y, m.run(x, "float32" if run_dt == torch.float32 else "float64"))


def test_parameters_aussm(torch, compiled):
    m = gssm.load(compiled("S3"))
    mod = gssm.GssmModule(m)
    names = dict(mod.named_parameters())
    assert set(names) == {f"layers.{i}.{p}" for i in range(2) for p in ("theta", "b_re", "b_im", "h0_re", "h0_im")}
    for i, l in enumerate(m.layers):
        th = names[f"layers.{i}.theta"]
        assert isinstance(th, torch.nn.Parameter) and th.requires_grad and th.dtype == torch.float32
        np.testing.assert_array_equal(th.detach().numpy(), l.phase)
        # a = exp(iθ) agrees with the stored transition to rounding
        np.testing.assert_allclose(np.cos(l.phase.astype(np.float64)), l.a_re, atol=1e-6)
        np.testing.assert_allclose(np.sin(l.phase.astype(np.float64)), l.a_im, atol=1e-6)
        # the phases are 2π·code/modulus, rounded once to float32
        want = (2 * math.pi * l.transition_code / l.moduli[None, :]).astype(np.float32)
        np.testing.assert_array_equal(l.phase, want)
        # untrained, the module's transition is the stored one bit for bit
        a_re, a_im = mod.layers[i].transition()
        np.testing.assert_array_equal(a_re.detach().numpy(), l.a_re)
        np.testing.assert_array_equal(a_im.detach().numpy(), l.a_im)


def test_parameters_negmamba(torch, compiled):
    m = gssm.load(compiled("Q8", "neg-mamba"))
    mod = gssm.GssmModule(m)
    names = dict(mod.named_parameters())
    assert not any("theta" in n for n in names)
    for i, l in enumerate(m.layers):
        np.testing.assert_array_equal(names[f"layers.{i}.a_re"].detach().numpy(), l.a_re)
        assert f"layers.{i}.a_im" not in names  # a buffer: the transition is real
    x = np.random.default_rng(2).integers(0, m.num_tokens, size=(32, 200))
    np.testing.assert_array_equal(mod(torch.as_tensor(x)).numpy(), m.running_products(x))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make", [lambda d: synth.cyclic(60, d), synth.s3, synth.c2xc4_negmamba])
def test_states_equal_numpy_bit_for_bit(torch, make, dtype):
    """Untrained, the module runs the file's own transitions with the NumPy
    executor's operation order, so the states agree exactly, not just the
    decoded outputs."""
    m = make(dtype)
    x = np.random.default_rng(12).integers(0, m.num_tokens, size=(16, 200))
    out, states = gssm.GssmModule(m).trajectory(torch.as_tensor(x))
    want = gssm.states(m, x)
    assert len(states) == len(want)
    for s, w in zip(states, want):
        s = s.detach().numpy()
        np.testing.assert_array_equal(s.real, w.real)
        np.testing.assert_array_equal(s.imag, w.imag)
    np.testing.assert_array_equal(out.numpy(), m.run(x))


@pytest.mark.parametrize("group,target,dtype", [("S3", "aussm", "float32"), ("A4", "aussm", "float64"), ("Q8", "neg-mamba", "float32")])
def test_untrained_export_is_the_file(torch, compiled, tmp_path, group, target, dtype):
    """Exporting an untrained module writes the compiled file's bytes back, so
    it still passes `gssm verify`, which checks every float bit for bit."""
    path = compiled(group, target, dtype)
    data = path.read_bytes()
    exported = gssm.dumps(gssm.GssmModule(gssm.load(path)).export())
    assert exported == data
    p = tmp_path / "exported.safetensors"
    p.write_bytes(exported)
    r = subprocess.run(
        [str(gssm_bin()), "verify", str(p), "--budget", "20000", "--horizon-len", "0"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_gradients_flow(torch):
    m = synth.s3("float64")
    mod = gssm.GssmModule(m)
    x = torch.as_tensor(np.random.default_rng(0).integers(0, 6, size=(8, 20)))
    out, states = mod.trajectory(x)
    assert [s.shape for s in states] == [(8, 20, 1), (8, 20, 1)]
    assert states[0].dtype == torch.complex128
    np.testing.assert_array_equal(out.numpy(), m.running_products(x.numpy()))
    # Rotate the states: the compiled C2 states lie exactly on the real axis,
    # where a loss on |s| or imag(s)² is stationary, so use imag(s) itself.
    loss = sum(((s.abs() - 1.0) ** 2).mean() + s.imag.mean() for s in states)
    loss.backward()
    for n, p in mod.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), n
    assert mod.layers[0].theta.grad.abs().sum() > 0


def test_noise_then_export(torch, tmp_path):
    m = synth.s3()
    mod = gssm.GssmModule(m)
    x = np.random.default_rng(5).integers(0, 6, size=(50, 200))
    with torch.no_grad():
        for l in mod.layers:
            l.theta.add_(0.6)  # far outside the decoding margin (π/3 for C3)
    y = mod(torch.as_tensor(x)).numpy()
    assert (y != m.running_products(x)).mean() > 0.3
    exported = mod.export()
    p = tmp_path / "noisy.safetensors"
    gssm.save(exported, str(p))
    again = gssm.load(p)
    np.testing.assert_array_equal(again.run(x), y)
    np.testing.assert_allclose(again.layers[0].phase, np.mod(m.layers[0].phase + 0.6, 2 * math.pi), atol=1e-6)


def test_bad_tokens(torch):
    mod = gssm.GssmModule(synth.s3())
    with pytest.raises(ValueError, match="out of range"):
        mod(torch.tensor([[0, 6]]))
    with pytest.raises(TypeError, match="integer"):
        mod(torch.tensor([[0.0, 1.0]]))
    assert tuple(mod(torch.tensor([1, 2, 3])).shape) == (3,)


def test_cuda(torch):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    for m in (synth.s3("float64"), synth.cyclic(60), synth.c2xc4_negmamba()):
        x = np.random.default_rng(9).integers(0, m.num_tokens, size=(256, 500))
        for dt in (torch.float32, torch.float64):
            mod = gssm.GssmModule(m, dtype=dt, device="cuda")
            y = mod(torch.as_tensor(x, device="cuda"))
            assert y.device.type == "cuda"
            np.testing.assert_array_equal(y.cpu().numpy(), m.running_products(x))
