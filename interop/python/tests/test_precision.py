"""Precision as a proof, on the Python side: a model compiled with
``--precision`` records its proved dtypes in the manifest, the loader reads
and checks that record, and NumPy and PyTorch, which compute the weight
file's arithmetic, run a proved model for a million steps without an error
(ground truth from the group table, never from the layers)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from conftest import REPO, gssm_bin, need_torch

import gssm
from gssm.format import CONVENTION, ManifestError, parse_manifest

STEPS = 1_000_000


def compile_proved(tmp_path, group: str, dtype: str = "f32") -> gssm.Model:
    out = tmp_path / f"{group}.safetensors"
    cmd = [str(gssm_bin()), "compile", "stdlib/seed.gssm", "-g", group, "--alphabet", "generators"]
    cmd += ["--precision", dtype, "-o", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert r.returncode == 0, r.stderr
    return gssm.load(str(out))


def sequences(m: gssm.Model) -> np.ndarray:
    """A seeded random sequence, and each token repeated 1000 times in turn
    (the longest single rotations), as one batch of two."""
    rng = np.random.default_rng(11)
    random = rng.integers(0, m.num_tokens, size=STEPS)
    walk = (np.arange(STEPS) // 1000) % m.num_tokens
    return np.stack([random, walk])


@pytest.fixture(scope="module")
def a4xc5(tmp_path_factory):
    return compile_proved(tmp_path_factory.mktemp("precision"), "A4xC5")


def test_the_manifest_records_the_proved_dtypes(a4xc5):
    proved = {p.dtype: p for p in a4xc5.manifest.proved}
    assert "f32" in proved and proved["f32"].states > 0
    # The record survives a rewrite byte for byte.
    again = gssm.loads(gssm.dumps(a4xc5))
    assert again.manifest.proved == a4xc5.manifest.proved
    assert gssm.dumps(again) == gssm.dumps(a4xc5)


def test_numpy_runs_a_proved_model_a_million_steps(a4xc5):
    x = sequences(a4xc5)
    np.testing.assert_array_equal(a4xc5.run(x, "float32"), a4xc5.running_products(x))


def test_torch_runs_a_proved_model_a_million_steps(a4xc5):
    torch = need_torch()
    x = sequences(a4xc5)
    with torch.no_grad():
        got = gssm.GssmModule(a4xc5, dtype=torch.float32)(torch.as_tensor(x)).numpy()
    np.testing.assert_array_equal(got, a4xc5.running_products(x))


def _manifest_with(proved):
    d = {
        "format": "gssm-weights",
        "format_version": 4,
        "compiler": "test",
        "group": {"name": "C2", "generators": ["a"]},
        "convention": CONVENTION,
        "target": "aussm",
        "dtype": "float32",
        "tokens": ["e", "a"],
        "outputs": ["e", "a"],
        "proved": proved,
    }
    return json.dumps(d)


@pytest.mark.parametrize(
    "proved, message",
    [
        ([{"dtype": "f8", "states": 2, "fused": True}], "expected f64, f32, f16 or bf16"),
        ([{"dtype": "f32", "states": 2, "fused": True}] * 2, "names f32 twice"),
        ([{"dtype": "f32", "states": -1, "fused": True}], "non-negative integer"),
        ([{"dtype": "f32", "states": 2, "fused": 1}], "true or false"),
        ([{"dtype": "f32", "states": 2, "fused": True, "why": "x"}], "unknown field `why`"),
        ({"dtype": "f32"}, "must be a list"),
    ],
)
def test_malformed_claims_are_refused(proved, message):
    with pytest.raises(ManifestError, match=message):
        parse_manifest(_manifest_with(proved))


def test_a_well_formed_claim_parses():
    m = parse_manifest(_manifest_with([{"dtype": "bf16", "states": 27, "fused": False}]))
    assert m.proved == [gssm.ProvedDtype(dtype="bf16", states=27, fused=False)]
