"""The NumPy executor and helpers on models built in Python (no compiler
needed), checked against the group table and against `gssm run`."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
import synth
from conftest import cli_run, gssm_bin

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
        m.encode("t nope")
    with pytest.raises(ValueError, match="unsupported dtype"):
        m.run([0], "float16")


def test_labels():
    m = synth.s3()
    labels = m.token_labels
    ids = m.encode(" ".join(labels[1:4]))
    np.testing.assert_array_equal(ids, [1, 2, 3])
    np.testing.assert_array_equal(m.encode([labels[1:3], [labels[0], labels[5]]]), [[1, 2], [0, 5]])
    assert m.token_label([[1, 2]]) == [labels[1:3]]
    y = m.run(ids)
    assert m.decode(y) == [m.output_labels[i] for i in m.running_products(ids)]
    with pytest.raises(gssm.TokenError):
        m.decode([6])


def test_labels_are_words_naming_their_elements():
    """Each label, read as a product of generator permutations, is the
    permutation of the element it labels; Model.evaluate agrees."""
    m = synth.s3()
    elems = synth.closure(synth.S3_GENS)
    gens = dict(zip(synth.S3_NAMES, synth.S3_GENS))
    assert m.generator_names == synth.S3_NAMES
    assert [elems[g] for g in m.generators.tolist()] == synth.S3_GENS
    for i, lab in enumerate(m.output_labels):
        p = tuple(range(3))
        for f in [] if lab == "e" else lab.split("*"):
            name, _, k = f.partition("^")
            for _ in range(int(k or 1)):
                p = synth.compose(p, gens[name])
        assert p == elems[i], lab
        assert m.evaluate(lab) == i
    t, c = gens["t"], gens["c"]
    c_inv = synth.compose(c, c)
    assert m.evaluate("c^-1") == elems.index(c_inv)
    assert m.evaluate("t*c^-1") == elems.index(synth.compose(t, c_inv))
    assert m.evaluate("c^3") == 0 and m.evaluate("t^-1") == elems.index(t)
    assert m.evaluate("c^1000000000000") == elems.index(c)  # 10^12 ≡ 1 (mod 3)
    for bad in ["", "x", "c^", "c^1.5", "c**t", "e*c"]:
        with pytest.raises(gssm.TokenError):
            m.evaluate(bad)


def test_sizes_derived_from_the_tensors():
    m = synth.c2xc4_negmamba()
    assert m.order == 8 and m.series_orders == [8, 4, 2, 1]
    assert [(l.width, l.num_tokens, l.num_codes, l.factor_order) for l in m.layers] == [(1, 8, 2, 2), (1, 4, 2, 2), (1, 2, 2, 2)]
    l = m.layers[0]
    for moduli, inv, pp in [([2], [2], [2]), ([2, 4], [2, 4], [2, 4]), ([12], [12], [3, 4]), ([6, 4], [2, 12], [2, 3, 4]), ([5, 3], [15], [3, 5])]:
        l.moduli = np.array(moduli)
        assert (l.invariant_factors, l.prime_power_invariants) == (inv, pp), moduli
        assert np.prod(inv) == np.prod(pp) == l.num_codes


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(SYNTH))
def test_synth_files_pass_gssm_verify(tmp_path, name, dtype):
    """The Python-built files hold exactly the floats the compiler would store,
    bit for bit, and compute the group product: the Rust proof accepts them."""
    p = tmp_path / "m.safetensors"
    SYNTH[name](dtype).save(str(p))
    r = subprocess.run(
        [str(gssm_bin()), "verify", str(p), "--budget", "20000", "--horizon-len", "0", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads(r.stdout)
    assert report["proof"]["ok"] and report["exhaustive"]["mismatches"] == 0, report


@pytest.mark.parametrize("target", ["mamba", "gla", "s4d"])
def test_trivial_targets(tmp_path, target):
    p = tmp_path / "t.safetensors"
    synth.trivial(target=target).save(str(p))
    m = gssm.load(p)
    assert m.target == target and m.layers == [] and m.order == 1
    x = np.zeros((2, 7), np.int64)
    np.testing.assert_array_equal(m.run(x), np.zeros((2, 7)))
    np.testing.assert_array_equal(cli_run(p, x, tmp_path), np.zeros((2, 7)))


def test_invalid_models_are_not_written(tmp_path):
    """save() validates first: a model its own loader would refuse is not written."""
    import dataclasses

    m = synth.s3()
    m.manifest = dataclasses.replace(m.manifest, target="neg-mamba")
    with pytest.raises(gssm.InconsistentError, match="no phases"):
        m.save(str(tmp_path / "a.safetensors"))
    m = synth.s3()
    m.layers[0].a_re = m.layers[0].a_re.astype(np.float64) + 1e-12  # not a float32 value
    with pytest.raises(gssm.InconsistentError, match="not a float32 value"):
        m.save(str(tmp_path / "b.safetensors"))
    m = synth.s3()
    m.layers[1].cocycle = np.zeros((3, 3), np.int64)
    with pytest.raises(gssm.InconsistentError, match="last layer"):
        m.save(str(tmp_path / "c.safetensors"))
    assert not list(tmp_path.iterdir())


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
