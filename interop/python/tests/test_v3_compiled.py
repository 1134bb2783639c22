"""What format version 3 added, in files written by the Rust compiler (rnn,
pd-ssm, deltaproduct; start tokens with --bos; the files themselves carry
the current version, 4): the Python loader accepts them and
writes them back byte for byte, and NumPy, PyTorch and `gssm run` decode the
running products computed by multiplying the stdlib family's permutations."""

from __future__ import annotations

import numpy as np
import pytest
import synth
from conftest import cli_run, need_torch

import gssm

CASES = [(g, t, bos) for g in ("S3", "A4", "A5") for t in ("rnn", "pd-ssm", "deltaproduct") for bos in (False, True)]


def tokens_of(group: str, bos: bool):
    """generators+inverses: each generator, then its inverse unless it is an involution."""
    out = []
    for name, p in synth.FAMILIES[group]:
        out.append(name)
        if synth.inverse(p) != p:
            out.append(f"{name}^-1")
    return out + (["<bos>"] if bos else [])


@pytest.mark.parametrize("group,target,bos", CASES, ids=[f"{g}-{t}{'-bos' if b else ''}" for g, t, b in CASES])
def test_compiled_one_layer_models(compiled_v3, tmp_path, group, target, bos):
    path = compiled_v3(group, target, bos=bos)
    data = path.read_bytes()
    m = gssm.load(path)
    man = m.manifest
    # The compiler writes the current version (4) for groups as well.
    assert (man.format_version, man.target, man.group.name, m.order) == (gssm.FORMAT_VERSION, target, group, synth.ORDERS[group])
    assert m.token_labels == tokens_of(group, bos)
    assert m.bos == (m.num_tokens - 1 if bos else None)
    assert gssm.dumps(m) == data
    if target != "rnn":
        # A faithful action on the family's points (degree n of Symmetric(n) / Alternating(n)).
        assert m.action.degree == len(synth.FAMILIES[group][0][1])
    if target == "rnn":
        assert m.rnn.hidden_size == m.order * (m.num_tokens - bos)
        for a in (m.rnn.weight_ih, m.rnn.weight_hh, m.rnn.bias_ih, m.rnn.bias_hh, m.rnn.readout_weight):
            assert set(np.unique(a)) <= {-1.0, 0.0, 1.0}
    B, T = (100, 400) if target == "rnn" and group == "A5" else (300, 600)
    x = synth.sequences(m.num_tokens, m.bos, (B, T), seed=len(group) + len(target) + bos)
    truth = synth.truth(group, m.token_labels, m.output_labels, x)
    y = m.run(x)
    np.testing.assert_array_equal(y, truth)
    np.testing.assert_array_equal(cli_run(path, x, tmp_path), truth)
    torch = need_torch()
    np.testing.assert_array_equal(gssm.GssmModule(m)(torch.as_tensor(x)).numpy(), truth)


@pytest.mark.parametrize("group", ["S3", "A4"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_compiled_diagonal_with_start_token(compiled_v3, tmp_path, group, dtype):
    path = compiled_v3(group, "aussm", dtype=dtype, alphabet="elements", bos=True)
    m = gssm.load(path)
    assert m.bos == m.num_tokens - 1 == m.order and m.token_labels[-1] == "<bos>"
    assert gssm.dumps(m) == path.read_bytes()
    for l in m.layers:
        assert l.h0_re.tolist() == [0.0] * l.width and l.a_re[-1].tolist() == [0.0] * l.width
    x = synth.sequences(m.num_tokens, m.bos, (300, 600), seed=17)
    truth = synth.truth(group, m.token_labels, m.output_labels, x)
    np.testing.assert_array_equal(m.run(x), truth)
    np.testing.assert_array_equal(cli_run(path, x, tmp_path), truth)
    torch = need_torch()
    np.testing.assert_array_equal(gssm.GssmModule(m)(torch.as_tensor(x)).numpy(), truth)


def test_compiled_float64_deltaproduct(compiled_v3, tmp_path):
    path = compiled_v3("A5", "deltaproduct", dtype="float64", bos=True)
    m = gssm.load(path)
    assert m.manifest.dtype == "float64" and gssm.dumps(m) == path.read_bytes()
    x = synth.sequences(m.num_tokens, m.bos, (200, 1000), seed=2)
    truth = synth.truth("A5", m.token_labels, m.output_labels, x)
    np.testing.assert_array_equal(m.run(x), truth)
    np.testing.assert_array_equal(m.run(x, "float32"), truth)
    np.testing.assert_array_equal(cli_run(path, x, tmp_path), truth)
