"""Format version 3: the loader reads versions 2 and 3, the `bos` field and
the rnn, pd-ssm and deltaproduct tensors, and rejects corrupt files with the
same depth of checks as diagonal ones (and `gssm run` rejects them too)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Dict

import numpy as np
import pytest
import synth
from conftest import cli_rejects
from test_loader import add, drop, mutate, read_raw, reshape, retype, set_entry, set_field, write_raw

import gssm

BASES: Dict[str, Callable[[], gssm.Model]] = {
    "pd": lambda: synth.build_v3("S3", "pd-ssm"),
    "pd-bos": lambda: synth.build_v3("S3", "pd-ssm", bos=True),
    "delta": lambda: synth.build_v3("S3", "deltaproduct"),
    "delta-bos": lambda: synth.build_v3("S3", "deltaproduct", bos=True),
    "delta-orbits-bos": lambda: synth.build_v3("A4", "deltaproduct", bos=True, basis="orbits"),
    "rnn": lambda: synth.build_v3("S3", "rnn"),
    "rnn-bos": lambda: synth.build_v3("S3", "rnn", bos=True),
    "diag-bos": lambda: synth.a4_diag(bos=True),
    "diag-v2": lambda: synth.s3(),
}


def base_file(kind: str, tmp_path: Path) -> Path:
    p = tmp_path / f"{kind}.safetensors"
    BASES[kind]().save(str(p))
    return p


def swap_rows(name: str, i: int, j: int) -> Callable:
    def f(t, m):
        a = t[name].copy()
        a[[i, j]] = a[[j, i]]
        t[name] = a

    return f


def copy_row(name: str, src: int, dst: int) -> Callable:
    def f(t, m):
        a = t[name].copy()
        a[dst] = a[src]
        t[name] = a

    return f


def set_row(name: str, i, value) -> Callable:
    def f(t, m):
        a = t[name].copy()
        a[i] = value
        t[name] = a

    return f


def grow(name: str, axis: int) -> Callable:
    """One more entry along `axis` (a copy of the last)."""

    def f(t, m):
        a = t[name]
        t[name] = np.concatenate([a, np.take(a, [-1], axis=axis)], axis=axis)

    return f


def set_token_label(i: int, label: str) -> Callable:
    def f(t, m):
        m["tokens"][i] = label

    return f


def set_output_label(i: int, label: str) -> Callable:
    def f(t, m):
        m["outputs"][i] = label

    return f


def fewer_factors(t, m):
    """Keep d − 1 factors per token (the start token needs d)."""
    d = t["delta.basis"].shape[1]
    for name in ("delta.k", "delta.beta", "delta.v"):
        t[name] = np.ascontiguousarray(t[name][:, : d - 1])


def extra_factor_on_bos(t, m):
    """One more factor per token (β = 0), then β = 1 on the start token's."""
    k, beta, v = t["delta.k"], t["delta.beta"], t["delta.v"]
    V, _, d = k.shape
    k = np.concatenate([k, np.zeros((V, 1, d), k.dtype)], axis=1)
    k[:, -1, 0] = 1
    beta = np.concatenate([beta, np.zeros((V, 1), beta.dtype)], axis=1)
    v = np.concatenate([v, np.zeros((V, 1), v.dtype)], axis=1)
    beta[-1, -1] = 1
    t["delta.k"], t["delta.beta"], t["delta.v"] = k, beta, v


def cocycle_bos_elsewhere(t, m):
    a = t["layer.0.cocycle"].copy()
    a[1, -1] = 0
    t["layer.0.cocycle"] = a


E = gssm
CASES = [
    # manifest: versions and the start token
    # Version 5 files track a permutation group without a table (`perm.*`).
    ("pd", "version 5", set_field("format_version", 5), E.InconsistentError, "format version 5 files track a permutation group"),
    ("pd", "version 6", set_field("format_version", 6), E.InconsistentError, "format version 6 files track a permutation group"),
    ("pd", "version 8", set_field("format_version", 8), E.VersionError, "version 8"),
    ("pd", "version 1", set_field("format_version", 1), E.VersionError, "older gssm"),
    ("pd", "pd-ssm in version 2", set_field("format_version", 2), E.InconsistentError, "needs format version 3"),
    ("rnn", "rnn in version 2", set_field("format_version", 2), E.InconsistentError, "needs format version 3"),
    ("delta", "deltaproduct in version 2", set_field("format_version", 2), E.InconsistentError, "needs format version 3"),
    ("diag-v2", "bos field in version 2", set_field("bos", None), E.ManifestError, "needs format version 3"),
    ("diag-bos", "bos in version 2", set_field("format_version", 2), E.ManifestError, "needs format version 3"),
    ("pd-bos", "bos not an id", set_field("bos", "<bos>"), E.ManifestError, "`bos`"),
    ("pd-bos", "bos negative", set_field("bos", -1), E.ManifestError, "`bos`"),
    ("pd-bos", "bos not the last token", set_field("bos", 0), E.InconsistentError, "must be the last token"),
    ("pd-bos", "bos out of range", set_field("bos", 9), E.InconsistentError, "must be the last token"),
    ("pd-bos", "bos label", set_token_label(3, "e"), E.InconsistentError, "start token's label"),
    ("pd-bos", "bos element", set_entry("tokens.element", (3,), 1), E.InconsistentError, "the identity"),
    ("pd-bos", "bos field dropped", lambda t, m: m.pop("bos"), E.InconsistentError, "'<bos>'"),
    ("pd", "<bos> label without bos", set_token_label(0, "<bos>"), E.InconsistentError, "'<bos>'"),
    ("pd-bos", "<bos> output label", set_output_label(1, "<bos>"), E.InconsistentError, "'<bos>'"),
    # the action table (pd-ssm and deltaproduct)
    ("pd", "images missing", drop("action.images"), E.MissingTensorError, "action.images"),
    ("delta", "images missing (delta)", drop("action.images"), E.MissingTensorError, "action.images"),
    ("pd", "points missing", drop("action.points"), E.MissingTensorError, "action.points"),
    ("pd", "images entry = degree", set_entry("action.images", (2, 1), 3), E.RangeError, "action.images"),
    ("pd", "images entry negative", set_entry("action.images", (2, 1), -1), E.RangeError, "action.images"),
    ("pd", "images row not a permutation", set_row("action.images", 1, [0, 0, 2]), E.InconsistentError, "repeats point 0"),
    ("pd", "images row 0 not the identity", swap_rows("action.images", 0, 1), E.InconsistentError, "row 0"),
    ("delta", "images rows equal", copy_row("action.images", 1, 2), E.InconsistentError, "not faithful"),
    ("pd", "images rows equal (pd)", copy_row("action.images", 4, 5), E.InconsistentError, "rows 4 and 5"),
    ("pd", "images shape", reshape("action.images"), E.ShapeError, "action.images"),
    ("pd", "images float", retype("action.images", np.float32), E.DtypeError, "action.images"),
    ("pd", "points equal", set_entry("action.points", (2,), 1.0), E.InconsistentError, "distinct"),
    ("delta", "points NaN", set_entry("action.points", (0,), np.nan), E.NotFiniteError, "action.points"),
    ("pd", "points shape", grow("action.points", 0), E.ShapeError, "action.points"),
    ("pd", "points float64", retype("action.points", np.float64), E.DtypeError, "action.points"),
    # pd-ssm
    ("pd", "index missing", drop("pd.index"), E.MissingTensorError, "pd.index"),
    ("pd", "diag missing", drop("pd.diag"), E.MissingTensorError, "pd.diag"),
    ("pd", "input missing", drop("pd.input"), E.MissingTensorError, "pd.input"),
    ("pd", "h0 missing", drop("pd.h0"), E.MissingTensorError, "pd.h0"),
    ("pd", "index entry = degree", set_entry("pd.index", (1, 2), 3), E.RangeError, "pd.index"),
    ("pd", "index row not a permutation", set_row("pd.index", 2, [1, 1, 0]), E.InconsistentError, "pd.index` row 2"),
    ("pd", "index shape", grow("pd.index", 0), E.ShapeError, "pd.index"),
    ("pd", "index float", retype("pd.index", np.float32), E.DtypeError, "pd.index"),
    ("pd", "diag inf", set_entry("pd.diag", (0, 1), np.inf), E.NotFiniteError, "pd.diag"),
    ("pd", "input shape", grow("pd.input", 1), E.ShapeError, "pd.input"),
    ("pd", "h0 float64", retype("pd.h0", np.float64), E.DtypeError, "pd.h0"),
    ("pd", "h0 NaN", set_entry("pd.h0", (1,), np.nan), E.NotFiniteError, "pd.h0"),
    ("pd-bos", "bos diag", set_entry("pd.diag", (3, 1), 1.0), E.InconsistentError, "`pd.diag` row 3"),
    ("pd-bos", "bos h0", set_entry("pd.h0", (0,), 1.0), E.InconsistentError, "`pd.h0` must be 0"),
    ("pd", "readout on pd-ssm", add("readout", np.zeros(6, np.int32)), E.UnexpectedTensorError, "`readout`"),
    ("pd", "delta tensor on pd-ssm", add("delta.k", np.zeros((3, 1, 3), np.float32)), E.UnexpectedTensorError, "delta.k"),
    ("pd", "layer on pd-ssm", add("layer.0.moduli", np.full(1, 2, np.int32)), E.UnexpectedTensorError, "layer.0.moduli"),
    # deltaproduct
    ("delta", "basis missing", drop("delta.basis"), E.MissingTensorError, "delta.basis"),
    ("delta", "offset missing", drop("delta.offset"), E.MissingTensorError, "delta.offset"),
    ("delta", "k missing", drop("delta.k"), E.MissingTensorError, "delta.k"),
    ("delta", "beta missing", drop("delta.beta"), E.MissingTensorError, "delta.beta"),
    ("delta", "v missing", drop("delta.v"), E.MissingTensorError, "delta.v"),
    ("delta", "h0 missing", drop("delta.h0"), E.MissingTensorError, "delta.h0"),
    ("delta", "basis rows", grow("delta.basis", 0), E.ShapeError, "delta.basis"),
    ("delta", "basis 1-D", reshape("delta.basis"), E.ShapeError, "delta.basis"),
    ("delta", "offset shape", grow("delta.offset", 0), E.ShapeError, "delta.offset"),
    ("delta", "k width", grow("delta.k", 2), E.ShapeError, "delta.k"),
    ("delta", "k tokens", grow("delta.k", 0), E.ShapeError, "delta.k"),
    ("delta", "beta factors", grow("delta.beta", 1), E.ShapeError, "delta.beta"),
    ("delta", "v shape", grow("delta.v", 0), E.ShapeError, "delta.v"),
    ("delta", "h0 shape", grow("delta.h0", 0), E.ShapeError, "delta.h0"),
    ("delta", "beta above 2", set_entry("delta.beta", (0, 1), 2.5), E.InconsistentError, "outside [0, 2]"),
    ("delta", "beta negative", set_entry("delta.beta", (1, 0), -0.5), E.InconsistentError, "outside [0, 2]"),
    ("delta", "beta NaN", set_entry("delta.beta", (1, 0), np.nan), E.NotFiniteError, "delta.beta"),
    ("delta", "k inf", set_entry("delta.k", (1, 0, 2), -np.inf), E.NotFiniteError, "delta.k"),
    ("delta", "k float64", retype("delta.k", np.float64), E.DtypeError, "delta.k"),
    ("delta-bos", "bos too few factors", fewer_factors, E.InconsistentError, "at least 3 factors"),
    ("delta-bos", "bos k not e_c", set_entry("delta.k", (3, 1, 2), 0.5), E.InconsistentError, "unit vector e_1"),
    ("delta-bos", "bos beta not 1", set_entry("delta.beta", (3, 2), 2.0), E.InconsistentError, "must be 1"),
    ("delta-orbits-bos", "bos extra factor", extra_factor_on_bos, E.InconsistentError, "must be 0 beyond"),
    ("delta-bos", "bos h0", set_entry("delta.h0", (2,), 3.0), E.InconsistentError, "`delta.h0` must be 0"),
    ("delta", "pd tensor on deltaproduct", add("pd.h0", np.zeros(3, np.float32)), E.UnexpectedTensorError, "pd.h0"),
    # rnn
    ("rnn", "weight_ih missing", drop("rnn.weight_ih"), E.MissingTensorError, "rnn.weight_ih"),
    ("rnn", "weight_hh missing", drop("rnn.weight_hh"), E.MissingTensorError, "rnn.weight_hh"),
    ("rnn", "bias_ih missing", drop("rnn.bias_ih"), E.MissingTensorError, "rnn.bias_ih"),
    ("rnn", "bias_hh missing", drop("rnn.bias_hh"), E.MissingTensorError, "rnn.bias_hh"),
    ("rnn", "readout weight missing", drop("rnn.readout.weight"), E.MissingTensorError, "rnn.readout.weight"),
    ("rnn", "readout bias missing", drop("rnn.readout.bias"), E.MissingTensorError, "rnn.readout.bias"),
    ("rnn", "weight_hh not square", grow("rnn.weight_hh", 1), E.ShapeError, "rnn.weight_hh"),
    ("rnn", "weight_hh 1-D", reshape("rnn.weight_hh"), E.ShapeError, "rnn.weight_hh"),
    ("rnn", "weight_ih tokens", grow("rnn.weight_ih", 1), E.ShapeError, "rnn.weight_ih"),
    ("rnn", "bias_hh shape", grow("rnn.bias_hh", 0), E.ShapeError, "rnn.bias_hh"),
    ("rnn", "readout weight outputs", grow("rnn.readout.weight", 0), E.ShapeError, "rnn.readout.weight"),
    ("rnn", "readout bias NaN", set_entry("rnn.readout.bias", (0,), np.nan), E.NotFiniteError, "rnn.readout.bias"),
    ("rnn", "weight_hh inf", set_entry("rnn.weight_hh", (3, 4), np.inf), E.NotFiniteError, "rnn.weight_hh"),
    ("rnn", "bias_ih float64", retype("rnn.bias_ih", np.float64), E.DtypeError, "rnn.bias_ih"),
    ("rnn-bos", "readout table on rnn", add("readout", np.zeros(1, np.int32)), E.UnexpectedTensorError, "`readout`"),
    ("rnn", "action on rnn", add("action.points", np.zeros(3, np.float32)), E.UnexpectedTensorError, "action.points"),
    ("rnn", "unknown rnn tensor", add("rnn.h0", np.zeros(18, np.float32)), E.UnexpectedTensorError, "rnn.h0"),
    # diagonal layers with a start token (A4: 3 layers, 13 / 5 / 3 tokens)
    ("diag-bos", "bos code", set_entry("layer.0.transition.code", (12, 0), 1), E.InconsistentError, "transition.code` row 12"),
    ("diag-bos", "bos transition", set_entry("layer.1.transition.re", (4, 0), 1.0), E.InconsistentError, "layer.1.transition.re` row 4"),
    ("diag-bos", "bos transition im", set_entry("layer.2.transition.im", (2, 0), 0.5), E.InconsistentError, "layer.2.transition.im"),
    ("diag-bos", "bos phase", set_entry("layer.0.transition.phase", (12, 0), 1.0), E.InconsistentError, "transition.phase` row 12"),
    ("diag-bos", "bos h0", set_entry("layer.2.h0.re", (0,), 1.0), E.InconsistentError, "layer.2.h0.re` must be 0"),
    ("diag-bos", "bos cocycle", cocycle_bos_elsewhere, E.InconsistentError, "next layer's start token 4"),
    ("diag-bos", "diagonal in version 5", set_field("format_version", 5), E.InconsistentError, "this file has another truth"),
    ("diag-bos", "diagonal in version 6", set_field("format_version", 6), E.InconsistentError, "this file has another truth"),
    ("diag-bos", "diagonal in version 8", set_field("format_version", 8), E.VersionError, "versions 2, 3, 4, 5, 6 and 7"),
]


@pytest.mark.parametrize("kind,what,f,exc,needle", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_corrupt_v3_file_rejected(tmp_path, kind, what, f, exc, needle):
    bad = mutate(base_file(kind, tmp_path), tmp_path, f)
    with pytest.raises(exc) as info:
        gssm.load(bad)
    assert isinstance(info.value, gssm.FormatError) and isinstance(info.value, ValueError)
    assert needle in str(info.value), str(info.value)
    assert str(bad) in str(info.value)
    # The Rust loader rejects the same file.
    assert "not a valid gssm model" in cli_rejects(bad)


@pytest.mark.parametrize("kind", list(BASES))
def test_bases_load_and_rewrite_byte_for_byte(tmp_path, kind):
    p = base_file(kind, tmp_path)
    data = p.read_bytes()
    m = gssm.load(p)
    assert m.manifest.format_version == (2 if kind == "diag-v2" else 3)
    assert gssm.dumps(m) == data
    t, man = read_raw(p)
    if m.bos is None:
        assert "bos" not in man
    else:
        assert man["bos"] == m.num_tokens - 1 and man["tokens"][-1] == "<bos>"
        assert list(man) == ["format", "format_version", "compiler", "group", "convention", "target", "dtype", "bos", "tokens", "outputs"]


def test_bos_null_is_no_start_token_and_round_trips(tmp_path):
    p = base_file("pd", tmp_path)
    t, man = read_raw(p)
    man = dict(man)
    fields = list(man)
    man = {k: man[k] for k in fields[:7]} | {"bos": None} | {k: man[k] for k in fields[7:]}
    q = write_raw(tmp_path / "null.safetensors", t, man)
    m = gssm.load(q)
    assert m.bos is None
    again = gssm.loads(gssm.dumps(m))
    assert '"bos":null' in again.manifest.to_json()
    assert gssm.dumps(again) == gssm.dumps(m)


def test_version_3_diagonal_without_bos_loads(tmp_path):
    m = synth.s3()
    m.manifest = dataclasses.replace(m.manifest, format_version=3)
    p = tmp_path / "v3.safetensors"
    m.save(str(p))
    again = gssm.load(p)
    assert again.manifest.format_version == 3 and again.bos is None
    x = np.random.default_rng(0).integers(0, 6, size=(10, 50))
    np.testing.assert_array_equal(again.run(x), again.running_products(x))


@pytest.mark.parametrize(
    "kind,limits,needle",
    [
        ("rnn", gssm.LoadLimits(max_table=18 * 18 - 1), "rnn.weight_hh"),
        ("pd", gssm.LoadLimits(max_table=17), "action.images"),
        ("delta", gssm.LoadLimits(max_table=17), "action.images"),
        ("delta-bos", gssm.LoadLimits(max_table=35), "delta.k"),
    ],
)
def test_sizes_bounded(tmp_path, kind, limits, needle):
    with pytest.raises(gssm.LimitError, match=needle.replace(".", r"\.")):
        gssm.load(base_file(kind, tmp_path), limits)


def test_python_models_are_validated_before_writing(tmp_path):
    """save() refuses what load() would refuse, for the new tensors too."""
    m = synth.build_v3("S3", "deltaproduct", bos=True)
    m.delta.beta = m.delta.beta.copy()
    m.delta.beta[0, 0] = 2.0000002  # neither in [0, 2] nor (as float64) a float32 value
    with pytest.raises(gssm.FormatError):
        m.save(str(tmp_path / "a.safetensors"))
    m = synth.build_v3("S3", "pd-ssm")
    m.readout = np.zeros(6, np.int64)
    with pytest.raises(gssm.InconsistentError, match="no readout table"):
        m.save(str(tmp_path / "b.safetensors"))
    m = synth.build_v3("S3", "rnn")
    m.action = synth.build_v3("S3", "pd-ssm").action
    with pytest.raises(gssm.InconsistentError, match="action"):
        m.save(str(tmp_path / "c.safetensors"))
    m = synth.build_v3("S3", "rnn")
    m.manifest = dataclasses.replace(m.manifest, target="pd-ssm")
    with pytest.raises(gssm.InconsistentError, match="rnn layer"):
        m.save(str(tmp_path / "d.safetensors"))
    m = synth.s3()
    m.manifest = dataclasses.replace(m.manifest, bos=5)
    with pytest.raises(gssm.InconsistentError, match="needs format version 3"):
        m.save(str(tmp_path / "e.safetensors"))
    assert not list(tmp_path.iterdir())


def test_model_facts():
    m = synth.build_v3("A5", "deltaproduct", bos=True, basis="orbits")
    assert (m.order, m.num_tokens, m.bos, m.is_diagonal) == (60, 5, 4, False)
    assert (m.action.degree, m.delta.dim, m.delta.num_reflections) == (5, 4, 4)
    assert "bos=4" in repr(m) and "state=4" in repr(m)
    r = synth.build_v3("S3", "rnn", bos=True)
    assert r.rnn.hidden_size == 6 * 3 and "hidden=18" in repr(r)
    assert synth.s3().is_diagonal and synth.s3().bos is None
