"""Every stdlib model, compiled by the CLI: NumPy, PyTorch and `gssm run`
decode identical outputs, equal to the running products from the group table,
on 1,000 random sequences of length 1,000 in float32 and float64."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from conftest import cli_run, need_torch

import gssm

# (group, target, order, layers): the least depth for the target.
MODELS = [
    ("C2", "aussm", 2, 1),
    ("C6", "aussm", 6, 1),
    ("C24", "aussm", 24, 1),
    ("C60", "aussm", 60, 1),
    ("S3", "aussm", 6, 2),
    ("A4", "aussm", 12, 2),
    ("Q8", "aussm", 8, 2),
    ("C2xC4", "aussm", 8, 1),
    ("S4", "aussm", 24, 3),
    ("SL23", "aussm", 24, 3),
    ("A4xC5", "aussm", 60, 2),
    ("C2", "neg-mamba", 2, 1),
    ("C2xC4", "neg-mamba", 8, 2),
    ("Q8", "neg-mamba", 8, 2),
]
BATCH, LENGTH = 1000, 1000


def tokens_for(model: gssm.Model, key: str) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    return rng.integers(0, model.num_tokens, size=(BATCH, LENGTH), dtype=np.int64)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("group,target,order,depth", MODELS, ids=[f"{g}-{t}" for g, t, _, _ in MODELS])
def test_agrees_with_cli_and_ground_truth(compiled, tmp_path, group, target, order, depth, dtype):
    path = compiled(group, target, dtype)
    m = gssm.load(path)
    man = m.manifest
    assert (man.group.name, m.order, man.target, man.dtype) == (group, order, target, dtype)
    assert man.format_version in gssm.READ_VERSIONS and man.convention == gssm.CONVENTION
    assert len(m.layers) == depth
    assert m.series_orders[0] == order and m.series_orders[-1] == 1
    # The compiler writes each layer's moduli as the factor's invariant factors.
    assert all(l.invariant_factors == l.moduli.tolist() for l in m.layers)
    if target == "aussm":
        # Phases are 2π·code/modulus rounded once to the file's dtype.
        for l in m.layers:
            want = (2 * np.pi * (l.transition_code % l.moduli[None, :]) / l.moduli[None, :]).astype(m.dtype)
            np.testing.assert_array_equal(l.phase, want)
    if target == "neg-mamba":
        assert all(l.moduli.tolist() == [2] * l.width for l in m.layers)
        assert all(np.all(np.isin(l.a_re, [-1.0, 1.0])) and np.all(l.a_im == 0) for l in m.layers)

    x = tokens_for(m, f"{group}/{target}/{dtype}")
    truth = m.running_products(x)
    assert len(np.unique(truth)) == order  # the sequences reach every element

    y_np = m.run(x)  # the file's dtype
    y_cli = cli_run(path, x, tmp_path)
    np.testing.assert_array_equal(y_cli, truth)
    np.testing.assert_array_equal(y_np, y_cli)

    if dtype == "float64":
        # The float64 file run in float32 by both sides.
        x32 = x[:200]
        np.testing.assert_array_equal(m.run(x32, "float32"), cli_run(path, x32, tmp_path, "f32"))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("group,target,order,depth", MODELS, ids=[f"{g}-{t}" for g, t, _, _ in MODELS])
def test_torch_agrees(compiled, group, target, order, depth, dtype):
    torch = need_torch()
    path = compiled(group, target, dtype)
    m = gssm.load(path)
    x = tokens_for(m, f"{group}/{target}/{dtype}")
    mod = gssm.GssmModule(m)
    assert mod.dtype == (torch.float64 if dtype == "float64" else torch.float32)
    y = mod(torch.as_tensor(x))
    assert y.dtype == torch.int64 and tuple(y.shape) == x.shape
    np.testing.assert_array_equal(y.numpy(), m.running_products(x))
    np.testing.assert_array_equal(y.numpy(), m.run(x))


def test_labels_round_trip(compiled, tmp_path):
    m = gssm.load(compiled("S3"))
    labels = m.token_labels
    assert len(labels) == 6 and len(set(labels)) == 6
    x = m.encode(" ".join(labels))
    np.testing.assert_array_equal(x, np.arange(6))
    assert m.token_label(x) == labels
    y = m.run(x)
    assert m.decode(y) == [m.output_labels[i] for i in m.running_products(x)]
    # label input to the CLI gives the same outputs as id input
    import subprocess

    from conftest import gssm_bin

    r = subprocess.run(
        [str(gssm_bin()), "run", str(compiled("S3")), "--tokens", " ".join(labels)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert r.stdout.split() == m.decode(y)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("group,target,order,depth", MODELS, ids=[f"{g}-{t}" for g, t, _, _ in MODELS])
def test_rewrite_is_byte_identical(compiled, group, target, order, depth, dtype):
    """Loading a compiled file and writing it again reproduces its bytes."""
    path = compiled(group, target, dtype)
    data = path.read_bytes()
    assert gssm.dumps(gssm.loads(data)) == data
