"""The loader rejects corrupt files with a clear exception, as `gssm run` does."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Callable, Dict, Tuple

import numpy as np
import pytest
import synth
from conftest import cli_rejects
from safetensors.numpy import save

import gssm

Raw = Tuple[Dict[str, np.ndarray], dict]


def read_raw(path: Path) -> Raw:
    from safetensors.numpy import load_file

    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    return dict(load_file(str(path))), json.loads(header["__metadata__"]["gssm"])


def write_raw(path: Path, tensors: Dict[str, np.ndarray], manifest: dict) -> Path:
    path.write_bytes(save(tensors, metadata={"gssm": json.dumps(manifest)}))
    return path


@pytest.fixture(params=["synth", "compiled"])
def base(request, tmp_path, compiled) -> Path:
    """An S3 aussm float32 file: built in Python, or compiled by the CLI."""
    if request.param == "synth":
        p = tmp_path / "s3.safetensors"
        synth.s3().save(str(p))
        return p
    return compiled("S3")


def mutate(base: Path, tmp_path: Path, f: Callable[[Dict[str, np.ndarray], dict], None]) -> Path:
    t, m = read_raw(base)
    f(t, m)
    return write_raw(tmp_path / "bad.safetensors", t, m)


def set_entry(name: str, index: Tuple[int, ...], value) -> Callable:
    def f(t, m):
        a = t[name].copy()
        a[index] = value
        t[name] = a

    return f


def set_field(key: str, value) -> Callable:
    def f(t, m):
        m[key] = value

    return f


def drop(name: str) -> Callable:
    def f(t, m):
        del t[name]

    return f


def add(name: str, arr: np.ndarray) -> Callable:
    def f(t, m):
        t[name] = arr

    return f


def retype(name: str, dtype) -> Callable:
    def f(t, m):
        t[name] = t[name].astype(dtype)

    return f


def reshape(name: str) -> Callable:
    def f(t, m):
        t[name] = t[name].reshape(-1)[:-1].copy()

    return f


def swap_table_entries(t, m):
    a = t["group.table"].copy()
    a[1, 1], a[1, 2] = a[1, 2], a[1, 2]  # row 1 repeats an element
    t["group.table"] = a


def layer_width(t, m):
    m["layers"][0]["invariant_factors"] = [3]


CASES = [
    ("wrong version", set_field("format_version", 2), gssm.VersionError, "version 2"),
    ("wrong format", set_field("format", "other-weights"), gssm.WrongFormatError, "other-weights"),
    ("unknown dtype", set_field("dtype", "float16"), gssm.ManifestError, "float16"),
    ("manifest field missing", lambda t, m: m.pop("tokens"), gssm.ManifestError, "tokens"),
    ("manifest field type", set_field("series_orders", "6,3,1"), gssm.ManifestError, "series_orders"),
    ("missing tensor", drop("readout"), gssm.MissingTensorError, "readout"),
    ("missing phase", drop("layer.1.transition.phase"), gssm.MissingTensorError, "layer.1.transition.phase"),
    ("missing cocycle", drop("layer.0.cocycle"), gssm.MissingTensorError, "layer.0.cocycle"),
    ("table entry = order", set_entry("group.table", (2, 3), 6), gssm.RangeError, "group.table"),
    ("table entry negative", set_entry("group.table", (2, 3), -1), gssm.RangeError, "group.table"),
    ("readout entry", set_entry("readout", (1,), 6), gssm.RangeError, "readout"),
    ("token element", set_entry("tokens.element", (5,), 99), gssm.RangeError, "tokens.element"),
    ("cocycle entry", set_entry("layer.0.cocycle", (1, 2), 3), gssm.RangeError, "layer.0.cocycle"),
    ("transition code", set_entry("layer.1.transition.code", (0, 0), 3), gssm.RangeError, "transition.code"),
    ("modulus < 2", set_entry("layer.0.moduli", (0,), 1), gssm.InconsistentError, "modulus"),
    ("not a group table", swap_table_entries, gssm.InconsistentError, "group.table"),
    ("identity not 0", set_entry("group.table", (0, 1), 2), gssm.InconsistentError, "identity"),
    ("manifest disagrees", layer_width, gssm.InconsistentError, "disagrees"),
    ("NaN transition", set_entry("layer.0.transition.re", (1, 0), np.nan), gssm.NotFiniteError, "not finite"),
    ("inf h0", set_entry("layer.1.h0.im", (0,), np.inf), gssm.NotFiniteError, "h0.im"),
    ("float64 tensor in a float32 file", retype("layer.0.input.re", np.float64), gssm.DtypeError, "F64"),
    ("int64 table", retype("readout", np.int64), gssm.DtypeError, "I64"),
    ("wrong shape", reshape("layer.0.transition.im"), gssm.ShapeError, "transition.im"),
    ("unexpected tensor", add("layer.7.extra", np.zeros(3, np.float32)), gssm.UnexpectedTensorError, "layer.7.extra"),
    ("order too large", set_field("group", {"name": "S3", "order": 1 << 20, "generators": []}), gssm.LimitError, "order"),
    ("outputs vs order", lambda t, m: m["outputs"].pop(), gssm.InconsistentError, "output labels"),
]


@pytest.mark.parametrize("what,f,exc,needle", CASES, ids=[c[0] for c in CASES])
def test_corrupt_file_rejected(base, tmp_path, what, f, exc, needle):
    bad = mutate(base, tmp_path, f)
    with pytest.raises(exc) as info:
        gssm.load(bad)
    assert isinstance(info.value, gssm.FormatError) and isinstance(info.value, ValueError)
    assert needle in str(info.value), str(info.value)
    assert str(bad) in str(info.value)
    # The Rust loader rejects the same file.
    assert "not a valid gssm model" in cli_rejects(bad)


def test_untouched_base_loads(base, tmp_path):
    t, m = read_raw(base)
    p = write_raw(tmp_path / "same.safetensors", t, m)
    a, b = gssm.load(base), gssm.load(p)
    x = np.random.default_rng(3).integers(0, 6, size=(20, 50))
    np.testing.assert_array_equal(a.run(x), b.run(x))
    np.testing.assert_array_equal(a.run(x), a.running_products(x))


def test_no_manifest(tmp_path, base):
    t, _ = read_raw(base)
    p = tmp_path / "nometa.safetensors"
    p.write_bytes(save(t))
    with pytest.raises(gssm.NoManifestError, match="no gssm manifest"):
        gssm.load(p)
    cli_rejects(p)


def test_manifest_not_json(tmp_path, base):
    t, _ = read_raw(base)
    p = tmp_path / "badjson.safetensors"
    p.write_bytes(save(t, metadata={"gssm": "{not json"}))
    with pytest.raises(gssm.ManifestError, match="not valid JSON"):
        gssm.load(p)
    cli_rejects(p)


@pytest.mark.parametrize("data", [b"", b"\x01\x02", b"\xff" * 8 + b"{}", struct.pack("<Q", 2) + b"[]"])
def test_not_safetensors(tmp_path, data):
    p = tmp_path / "junk.safetensors"
    p.write_bytes(data)
    with pytest.raises(gssm.SafetensorsError):
        gssm.load(p)
    cli_rejects(p)


def test_truncated_data(tmp_path, base):
    p = tmp_path / "trunc.safetensors"
    p.write_bytes(base.read_bytes()[:-16])
    with pytest.raises(gssm.SafetensorsError):
        gssm.load(p)
    cli_rejects(p)


def test_limits(base):
    with pytest.raises(gssm.LimitError, match="order"):
        gssm.load(base, gssm.LoadLimits(max_order=5))
    with pytest.raises(gssm.LimitError, match="layers"):
        gssm.load(base, gssm.LoadLimits(max_layers=1))
    with pytest.raises(gssm.LimitError):
        gssm.load(base, gssm.LoadLimits(max_table=2))


def test_save_round_trip_is_byte_stable(tmp_path, base):
    m = gssm.load(base)
    p = tmp_path / "again.safetensors"
    m.save(str(p))
    m2 = gssm.load(p)
    assert m2.manifest == m.manifest
    for l1, l2 in zip(m.layers, m2.layers):
        for f in ("moduli", "transition_code", "a_re", "a_im", "b_re", "b_im", "h0_re", "h0_im", "phase"):
            np.testing.assert_array_equal(getattr(l1, f), getattr(l2, f))
    # Writing the loaded model again gives the same bytes.
    p2 = tmp_path / "again2.safetensors"
    m2.save(str(p2))
    assert p.read_bytes() == p2.read_bytes()
