"""The NumPy executor and helpers on models built in Python (no compiler
needed), checked against the group table and against `gssm run`."""

from __future__ import annotations

import numpy as np
import pytest
import synth
from conftest import cli_run

import gssm
from gssm.numpy_exec import round_half_away

SYNTH = {
    "C60": lambda dt: synth.cyclic(60, dt),
    "S3": synth.s3,
    "C2xC4-negmamba": synth.c2xc4_negmamba,
    "trivial": synth.trivial,
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(SYNTH))
def test_synth_matches_truth_and_cli(tmp_path, name, dtype):
    m0 = SYNTH[name](dtype)
    p = tmp_path / "m.safetensors"
    m0.save(str(p))
    m = gssm.load(p)
    x = np.random.default_rng(7).integers(0, m.num_tokens, size=(300, 400))
    truth = m.running_products(x)
    y = m.run(x)
    np.testing.assert_array_equal(y, truth)
    np.testing.assert_array_equal(cli_run(p, x, tmp_path), y)
    other = "float64" if dtype == "float32" else "float32"
    np.testing.assert_array_equal(m.run(x, other), truth)


def test_running_products_by_hand():
    m = synth.s3()
    x = np.array([1, 2, 3, 4, 5, 0, 2])
    g, want = 0, []
    for t in x:
        g = m.multiply(g, int(m.token_elements[t]))
        want.append(g)
    np.testing.assert_array_equal(m.running_products(x), want)
    np.testing.assert_array_equal(m.run(x), want)  # 1-D in, 1-D out
    assert m.run(x).shape == x.shape


def test_noncommutative_order_matters():
    m = synth.s3()
    # find a, b with ab != ba: the running products distinguish the orders
    a, b = next((a, b) for a in range(6) for b in range(6) if m.multiply(a, b) != m.multiply(b, a))
    assert m.run([a, b])[-1] == m.multiply(a, b)
    assert m.run([b, a])[-1] == m.multiply(b, a)


def test_token_validation():
    m = synth.s3()
    with pytest.raises(gssm.TokenError, match="out of range"):
        m.run([[0, 6]])
    with pytest.raises(gssm.TokenError, match="out of range"):
        m.run([[-1, 0]])
    with pytest.raises(gssm.TokenError, match="integers"):
        m.run(np.array([[0.5, 1.0]]))
    with pytest.raises(gssm.TokenError, match="unknown token"):
        m.encode("g0 nope")
    with pytest.raises(ValueError, match="unsupported dtype"):
        m.run([0], "float16")


def test_labels():
    m = synth.s3()
    ids = m.encode("g1 g2 g3")
    np.testing.assert_array_equal(ids, [1, 2, 3])
    np.testing.assert_array_equal(m.encode([["g1", "g2"], ["g0", "g5"]]), [[1, 2], [0, 5]])
    assert m.token_label([[1, 2]]) == [["g1", "g2"]]
    y = m.run(ids)
    assert m.decode(y) == [m.output_labels[i] for i in m.running_products(ids)]
    with pytest.raises(gssm.TokenError):
        m.decode([6])


def test_empty_and_trivial():
    m = synth.s3()
    assert m.run(np.zeros((3, 0), np.int64)).shape == (3, 0)
    t = synth.trivial()
    np.testing.assert_array_equal(t.run(np.zeros((2, 5), np.int64)), np.zeros((2, 5)))


def test_round_half_away_from_zero():
    x = np.array([0.5, -0.5, 1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994, 3.7, -3.2, np.nan])
    np.testing.assert_array_equal(round_half_away(x), [1, -1, 2, 3, -3, 0, 0, 4, -3, 0])


def test_states_are_unit_phases():
    m = synth.cyclic(12, "float64")
    x = np.random.default_rng(0).integers(0, 12, size=(4, 30))
    (h,) = gssm.states(m, x)
    assert h.shape == (4, 30, 1)
    np.testing.assert_allclose(np.abs(h), 1.0, atol=1e-12)
    q = np.mod(np.round(np.angle(h[..., 0]) * 12 / (2 * np.pi)).astype(int), 12)
    np.testing.assert_array_equal(q, m.run(x))


def test_perturbed_transitions_fail_visibly():
    """A model whose phases are off by a large amount decodes wrongly: the
    executor really uses the file's transitions."""
    m = synth.cyclic(6)
    m.layers[0].a_re, m.layers[0].a_im = (
        np.cos(m.layers[0].phase + 0.4).astype(np.float32),
        np.sin(m.layers[0].phase + 0.4).astype(np.float32),
    )
    x = np.random.default_rng(1).integers(0, 6, size=(10, 50))
    assert (m.run(x) != m.running_products(x)).mean() > 0.5
