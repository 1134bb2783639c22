"""The NumPy executor on format version 3 models built in Python from the
spec's construction (rnn, pd-ssm, deltaproduct; start tokens on every
target), against the running products computed by multiplying permutations
(synth.truth), never from a table the executor reads; and against `gssm run`."""

from __future__ import annotations

import numpy as np
import pytest
import synth
from conftest import cli_run

import gssm

#: (group, target, deltaproduct basis)
ONE_LAYER = [(g, t, b) for g in ("S3", "A4", "A5") for t, b in (("rnn", ""), ("pd-ssm", ""), ("deltaproduct", "identity"), ("deltaproduct", "orbits"))]
IDS = [f"{g}-{t}{'-' + b if b else ''}" for g, t, b in ONE_LAYER]


def make(group: str, target: str, basis: str, bos: bool, dtype: str) -> gssm.Model:
    m = synth.build_v3(group, target, bos=bos, dtype=dtype, basis=basis or "identity")
    return gssm.loads(gssm.dumps(m))  # what a reader of the file gets


def check(m: gssm.Model, group: str, x: np.ndarray, dtype=None) -> np.ndarray:
    y = m.run(x, dtype)
    want = synth.truth(group, m.token_labels, m.output_labels, x)
    np.testing.assert_array_equal(y, want)
    return y


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bos", [False, True], ids=["no-bos", "bos"])
@pytest.mark.parametrize("group,target,basis", ONE_LAYER, ids=IDS)
def test_one_layer_targets_match_permutations(group, target, basis, bos, dtype):
    m = make(group, target, basis, bos, dtype)
    assert m.target == target and (m.bos is not None) == bos
    B, T = (48, 300) if (group, target) == ("A5", "rnn") else (96, 500)
    x = synth.sequences(m.num_tokens, m.bos, (B, T), seed=len(group) * 7 + len(target) + bos)
    truth = synth.truth(group, m.token_labels, m.output_labels, x)
    assert len(np.unique(truth)) == m.order  # every element reached
    check(m, group, x)
    other = "float64" if dtype == "float32" else "float32"
    check(m, group, x[:16], other)
    # The package's own ground truth (group table) agrees with the permutations.
    np.testing.assert_array_equal(m.running_products(x), truth)


@pytest.mark.parametrize("target", ["pd-ssm", "deltaproduct", "rnn"])
def test_every_element_a_token(target):
    """The elements alphabet (V = N) with a start token."""
    m = gssm.loads(gssm.dumps(synth.build_v3("A4", target, alphabet="elements", bos=True)))
    assert m.num_tokens == 13
    check(m, "A4", synth.sequences(13, 12, (64, 300), seed=5))


DIAGONAL = {
    "S3": synth.s3,
    "S3-bos": lambda dt: synth.s3_bos(dt),
    "A4": lambda dt: synth.a4_diag(dt),
    "A4-bos": lambda dt: synth.a4_diag(dt, bos=True),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(DIAGONAL))
def test_diagonal_with_and_without_start_token(name, dtype):
    m = gssm.loads(gssm.dumps(DIAGONAL[name](dtype)))
    group = name.split("-")[0]
    assert (m.bos is not None) == name.endswith("bos")
    assert m.manifest.format_version == (3 if m.bos is not None else 2)
    x = synth.sequences(m.num_tokens, m.bos, (128, 600), seed=11)
    check(m, group, x)
    if m.bos is not None:
        # Every layer starts from 0 and its start token writes (1, 0).
        for l in m.layers:
            assert l.h0_re.tolist() == [0.0] and l.b_re[-1].tolist() == [1.0]


def test_start_token_resets_mid_sequence():
    m = synth.build_v3("S3", "pd-ssm", bos=True)
    x = m.encode(["<bos>", "c", "t", "<bos>", "t", "<bos>", "<bos>", "c^-1"])
    gens = dict(synth.FAMILIES["S3"])
    want = ["e", "c", "c*t", "e", "t", "e", "e", "c^-1"]
    got = m.decode(m.run(x))
    assert [synth.perm_of_word(w, gens) for w in got] == [synth.perm_of_word(w, gens) for w in want]


@pytest.mark.parametrize("target", ["pd-ssm", "deltaproduct", "rnn", "aussm"])
def test_sequences_must_begin_with_the_start_token(target):
    m = synth.s3_bos() if target == "aussm" else synth.build_v3("S3", target, bos=True)
    bos = m.bos
    x = synth.sequences(m.num_tokens, bos, (4, 10), seed=1)
    x[2, 0] = 1
    for f in (m.run, lambda t: gssm.states(m, t)):
        with pytest.raises(gssm.TokenError, match=r"sequence 2 starts with token 1 .*must begin with '<bos>'"):
            f(x)
    with pytest.raises(gssm.TokenError, match="sequence 0"):
        m.run([0, bos])
    assert m.run(np.zeros((3, 0), np.int64)).shape == (3, 0)
    assert m.run([bos, 0]).shape == (2,)


def test_undecodable_state_is_the_sentinel():
    """A state whose points are not a bijection, or whose permutation is no
    element's, decodes to UNDECODABLE (0xFFFFFFFF), printed as '?'."""
    assert gssm.UNDECODABLE == 0xFFFFFFFF
    m = synth.build_v3("A4", "pd-ssm")
    # Two coordinates marking the same point: not a bijection.
    m.pd.h0 = np.array([1.0, 1.0, 3.0, 4.0], np.float32)
    y = m.run([[0, 1, 2]])
    assert (y == gssm.UNDECODABLE).all()
    assert m.decode(y) == [["?", "?", "?"]]
    # An odd permutation of the 4 points: a bijection, but not in A4.
    m = synth.build_v3("A4", "pd-ssm")
    m.pd.index = m.pd.index.copy()
    m.pd.index[0] = [1, 0, 2, 3]
    gssm.validate(m)  # structurally valid
    y = m.run([[0, 1], [1, 1]])
    assert y[0, 0] == gssm.UNDECODABLE and y[0, 1] == gssm.UNDECODABLE
    assert y[1].tolist() == m.running_products([[1, 1]])[0].tolist()
    # deltaproduct: a state far from every point arrangement.
    m = synth.build_v3("S3", "deltaproduct")
    m.delta.h0 = np.array([2.0, 2.0, 2.0], np.float32)
    assert (m.run([[0, 1]]) == gssm.UNDECODABLE).all()


def test_states_of_one_layer_targets():
    m = synth.build_v3("S3", "pd-ssm")
    x = np.array([[0, 2, 1, 1]])
    (h,) = gssm.states(m, x)
    assert h.shape == (1, 4, 3) and h.dtype == np.float32
    # Each state is the points, permuted: point j at coordinate j·g.
    gens = dict(synth.FAMILIES["S3"])
    p = tuple(range(3))
    for t, tok in enumerate(x[0]):
        p = synth.compose(p, synth.perm_of_word(m.token_labels[tok], gens))
        want = np.zeros(3)
        want[list(p)] = [1.0, 2.0, 3.0]
        np.testing.assert_array_equal(h[0, t], want)
    (r,) = gssm.states(synth.build_v3("S3", "rnn"), x)
    assert r.shape == (1, 4, 18) and set(np.unique(r)) == {0.0, 1.0} and (r.sum(axis=2) == 1).all()


def test_pd_ssm_is_exact_in_every_dtype():
    """The pd-ssm state is the points permuted, without arithmetic error."""
    m = synth.build_v3("A5", "pd-ssm")
    x = synth.sequences(m.num_tokens, None, (8, 2000), seed=2)
    (h,) = gssm.states(m, x)
    assert set(np.unique(h)) == {1.0, 2.0, 3.0, 4.0, 5.0}
    check(m, "A5", x)


# -- against `gssm run` (the Rust reference executor reads version 3) -------

CLI_MODELS = {
    "S3-rnn": lambda: synth.build_v3("S3", "rnn"),
    "S3-rnn-bos": lambda: synth.build_v3("S3", "rnn", bos=True),
    "A5-pd-ssm": lambda: synth.build_v3("A5", "pd-ssm"),
    "A4-pd-ssm-bos": lambda: synth.build_v3("A4", "pd-ssm", bos=True),
    "A5-deltaproduct": lambda: synth.build_v3("A5", "deltaproduct"),
    "A4-deltaproduct-orbits-bos": lambda: synth.build_v3("A4", "deltaproduct", bos=True, basis="orbits"),
    "S3-aussm-bos": lambda: synth.s3_bos(),
    "A4-aussm-bos-f64": lambda: synth.a4_diag("float64", bos=True),
}


@pytest.mark.parametrize("name", list(CLI_MODELS))
def test_cli_runs_python_built_v3_files(tmp_path, name):
    m = CLI_MODELS[name]()
    p = tmp_path / "m.safetensors"
    m.save(str(p))
    x = synth.sequences(m.num_tokens, m.bos, (50, 200), seed=3)
    y = check(gssm.load(p), name.split("-")[0], x)
    np.testing.assert_array_equal(cli_run(p, x, tmp_path), y)


def test_running_products_with_start_token_from_the_table():
    m = synth.s3_bos()
    x = np.array([[6, 1, 2, 6, 3]])
    g = m.multiply(1, 2)
    assert m.running_products(x).tolist() == [[0, 1, g, 0, 3]]
