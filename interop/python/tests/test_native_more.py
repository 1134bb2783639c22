"""gssm.data and the one-layer targets through the native module, against
the CLI and against products computed here by multiplying permutations."""

from __future__ import annotations

import io
import json
import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import STDLIB, gssm_bin, need_native

import gssm

SEED = STDLIB / "seed.gssm"


@pytest.fixture(scope="module", autouse=True)
def native():
    return need_native()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(gssm_bin()), *args], capture_output=True, timeout=600)


@pytest.mark.parametrize("fmt", ["word-problem", "word-problem-bos", "jsonl"])
def test_data_gives_the_cli_bytes(tmp_path, fmt):
    out = tmp_path / "d"
    r = cli("data", str(SEED), "-g", "A5", "--len", "12", "--count", "50", "--seed", "7",
            "--format", fmt, "--alphabet", "generators+inverses", "-o", str(out))
    assert r.returncode == 0, r.stderr
    d = gssm.data(str(SEED), "A5", 12, 50, alphabet="generators+inverses", seed=7, format=fmt)
    assert d.text.encode() == out.read_bytes()
    assert d.vocab["tokens"] == ["t", "t^-1", "c", "c^-1"]


def mul(p, q):
    """p then q, on 0-based points (GAP's convention)."""
    return tuple(q[i] for i in p)


def test_data_labels_are_prefix_products():
    # S3 = Symmetric(3): c = (1,2,3), t = (1,2); element labels are words.
    gens = {"c": (1, 2, 0), "t": (1, 0, 2)}

    def word(w):
        g = (0, 1, 2)
        if w == "e":
            return g
        for f in w.split("*"):
            name, _, e = f.partition("^")
            p = gens[name]
            e = int(e) if e else 1
            if e < 0:
                p = tuple(sorted(range(3), key=lambda i: p[i]))
            for _ in range(abs(e)):
                g = mul(g, p)
        return g

    d = gssm.data(str(SEED), "S3", 20, 30, seed=3)
    df = pd.read_csv(io.StringIO(d.text), dtype=str)
    assert list(df.columns) == ["seed", "input", "target"]
    toks = [word(t) for t in d.vocab["tokens"]]
    outs = [word(o) for o in d.vocab["outputs"]]
    for _, row in df.iterrows():
        g = (0, 1, 2)
        for x, y in zip(row["input"].split(), row["target"].split()):
            g = mul(g, toks[int(x)])
            assert outs[int(y)] == g


def test_data_refuses_what_it_cannot_hold():
    with pytest.raises(ValueError, match="max_bytes"):
        gssm.data(str(SEED), "S3", 1000, 1000, max_bytes=1000)


BIG = """group S8 = perm(8) { a = (1,2,3,4,5,6,7,8), b = (1,2) }
group H = pc< x, y, z | x^20, y^20, z^20, [y, x] = z >
automaton Parity {
  states even, odd;
  start even;
  accept even;
  symbol 0: id;
  symbol 1: (even, odd);
}
"""


@pytest.mark.parametrize(
    "name,flags,fmt",
    [
        ("S8", ["--target", "pd-ssm", "--alphabet", "generators", "--bos"], "word-problem"),
        ("H", ["--alphabet", "generators+inverses"], "jsonl"),
        ("Parity", ["--target", "neg-mamba"], "word-problem-bos"),
    ],
)
def test_model_data_gives_the_cli_bytes(tmp_path, name, flags, fmt):
    src = tmp_path / "big.gssm"
    src.write_text(BIG)
    model = tmp_path / f"{name}.safetensors"
    r = cli("compile", str(src), "-g", name, *flags, "-o", str(model))
    assert r.returncode == 0, r.stderr
    out, vocab = tmp_path / "d", tmp_path / "v.json"
    r = cli("data", "--model", str(model), "--len", "15", "--count", "40", "--seed", "9", "--format", fmt,
            "-o", str(out), "--vocab", str(vocab))
    assert r.returncode == 0, r.stderr
    m = gssm.load(model)
    for given in (model, str(model), model.read_bytes(), m):
        d = gssm.model_data(given, 15, 40, seed=9, format=fmt)
        assert d.text.encode() == out.read_bytes()
        assert d.vocab == json.loads(vocab.read_text())
    # The targets are the file's own truth, as the Python loader computes it.
    d = gssm.model_data(m, 15, 40, seed=9, format="jsonl")
    rows = [json.loads(line) for line in d.text.splitlines()]
    x = np.asarray([r["input"] for r in rows])
    np.testing.assert_array_equal(m.truth(x), np.asarray([r["target"] for r in rows]))
    assert d.vocab["outputs_count"] == m.order


def test_model_data_refuses_a_bound_past_any_size(tmp_path):
    model = tmp_path / "s3.safetensors"
    model.write_bytes(gssm.compile_bytes(str(SEED), "S3"))
    with pytest.raises(ValueError, match="max_bytes"):
        gssm.model_data(model, 2**63 - 1, 2**63)


def test_model_data_refuses_a_bad_file():
    with pytest.raises(gssm.GssmError, match="not a valid gssm model"):
        gssm.model_data(b"not a weight file", 3, 3)


@pytest.mark.parametrize("target", ["rnn", "pd-ssm", "deltaproduct"])
def test_one_layer_targets_compile_and_verify(target):
    m = gssm.compile(str(SEED), "A5", target=target, alphabet="generators+inverses", bos=True)
    assert m.manifest.bos == 4
    r = gssm.verify(m, length=4, horizon_len=1000, dtypes=["f32"])
    assert r.ok and r.proof.ok
    assert r.exhaustive_backend == "reference"
    if target != "deltaproduct":
        assert r.proof.horizon.startswith("infinite")
    s = gssm.check(str(SEED), "A5")
    [t] = [t for t in s.targets if t.target == target]
    assert t.layers == 1 and t.size
