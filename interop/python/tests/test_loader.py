"""The loader rejects corrupt files with a clear exception, as `gssm run` does."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Callable, Dict, Tuple

import numpy as np
import pytest
import synth
from conftest import cli_rejects, cli_run
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


def swap_labels(key: str, i: int, j: int) -> Callable:
    def f(t, m):
        m[key][i], m[key][j] = m[key][j], m[key][i]

    return f


def copy_label(key: str, src: int, dst: int) -> Callable:
    def f(t, m):
        m[key][dst] = m[key][src]

    return f


def set_label(key: str, i: int, label: str) -> Callable:
    def f(t, m):
        m[key][i] = label

    return f


def set_group_field(key: str, value) -> Callable:
    def f(t, m):
        m["group"][key] = value

    return f


def drop_phases(t, m):
    for name in [n for n in t if n.endswith(".transition.phase")]:
        del t[name]


def retarget(target: str, keep_phases: bool) -> Callable:
    def f(t, m):
        m["target"] = target
        if not keep_phases:
            drop_phases(t, m)

    return f


def other_generator_element(t, m):
    # Generator 0 names a different element than the table says, so every
    # label that uses it evaluates to the wrong element.
    a = t["group.generators"].copy()
    a[0] = (a[0] + 1) % t["group.table"].shape[0]
    t["group.generators"] = a


def modulus_one_on_last_layer(t, m):
    # Shapes kept consistent (one code, so the readout has 2·1 entries), so
    # only the modulus itself is wrong.
    t["layer.1.moduli"] = np.array([1], np.int32)
    t["layer.1.transition.code"] = np.zeros_like(t["layer.1.transition.code"])
    t["readout"] = t["readout"][:2].copy()


def cocycle_on_last_layer(t, m):
    t["layer.1.cocycle"] = np.zeros((3, 3), np.int32)


CASES = [
    # manifest
    ("future version", set_field("format_version", 8), gssm.VersionError, "version 8"),
    # Version 5 is a permutation group without a table (`perm.*`): a file
    # with a Cayley table that says 5 is refused, as by the Rust loader.
    ("version 5", set_field("format_version", 5), gssm.InconsistentError, "format version 5 files track a permutation group without a table"),
    ("version 1", set_field("format_version", 1), gssm.VersionError, "older gssm"),
    ("wrong format", set_field("format", "other-weights"), gssm.WrongFormatError, "other-weights"),
    ("unknown dtype", set_field("dtype", "float16"), gssm.ManifestError, "float16"),
    ("manifest field missing", lambda t, m: m.pop("tokens"), gssm.ManifestError, "tokens"),
    ("manifest field type", set_field("compiler", 6), gssm.ManifestError, "compiler"),
    ("manifest field series_orders", set_field("series_orders", [6, 3, 1]), gssm.ManifestError, "unknown field `series_orders`"),
    ("manifest field layers", set_field("layers", []), gssm.ManifestError, "unknown field `layers`"),
    ("group field order", set_group_field("order", 6), gssm.ManifestError, "unknown field `order`"),
    ("other convention", set_field("convention", "right-to-left"), gssm.InconsistentError, "convention"),
    ("unknown target", set_field("target", "lstm"), gssm.InconsistentError, "not a known target"),
    ("neg-mamba over modulus 3", retarget("neg-mamba", False), gssm.InconsistentError, "`layer.1.moduli` entry 0 is 3"),
    ("phase on neg-mamba", retarget("neg-mamba", True), gssm.InconsistentError, "`layer.0.transition.phase` is present"),
    ("layers on mamba", retarget("mamba", False), gssm.InconsistentError, "has no layers"),
    # generators and labels
    # Elements 1 and 2 have different labels in both bases, so after the swap
    # label 1 names element 2.
    ("output labels swapped", swap_labels("outputs", 1, 2), gssm.InconsistentError, "`outputs[1]`"),
    ("token labels swapped", swap_labels("tokens", 1, 2), gssm.InconsistentError, "`tokens[1]`"),
    ("output labels identical", copy_label("outputs", 1, 2), gssm.InconsistentError, "repeats the label"),
    ("token labels identical", copy_label("tokens", 3, 4), gssm.InconsistentError, "repeats the label"),
    ("label not a word", set_label("tokens", 4, "rho"), gssm.InconsistentError, "'rho' is not a generator"),
    ("label bad exponent", set_label("outputs", 1, "c^x"), gssm.InconsistentError, "exponent 'x'"),
    ("label empty", set_label("outputs", 1, ""), gssm.InconsistentError, "empty"),
    ("generator element wrong", other_generator_element, gssm.InconsistentError, "evaluates to element"),
    ("generator element out of range", set_entry("group.generators", (0,), 6), gssm.RangeError, "group.generators"),
    ("generator name not an identifier", set_group_field("generators", ["c*t", "t"]), gssm.InconsistentError, "not an identifier"),
    ("generator named e", set_group_field("generators", ["e", "t"]), gssm.InconsistentError, "'e'"),
    ("generator names repeated", set_group_field("generators", ["t", "t"]), gssm.InconsistentError, "twice"),
    ("generator names vs tensor", set_group_field("generators", ["t"]), gssm.ShapeError, "group.generators"),
    # tensors
    ("missing tensor", drop("readout"), gssm.MissingTensorError, "readout"),
    ("missing generators", drop("group.generators"), gssm.MissingTensorError, "group.generators"),
    ("missing phase", drop("layer.1.transition.phase"), gssm.MissingTensorError, "layer.1.transition.phase"),
    ("missing cocycle", drop("layer.0.cocycle"), gssm.MissingTensorError, "layer.0.cocycle"),
    ("cocycle on the last layer", cocycle_on_last_layer, gssm.UnexpectedTensorError, "layer.1.cocycle"),
    ("table entry = order", set_entry("group.table", (2, 3), 6), gssm.RangeError, "group.table"),
    ("table entry negative", set_entry("group.table", (2, 3), -1), gssm.RangeError, "group.table"),
    ("readout entry", set_entry("readout", (1,), 6), gssm.RangeError, "readout"),
    ("token element", set_entry("tokens.element", (5,), 99), gssm.RangeError, "tokens.element"),
    ("cocycle entry", set_entry("layer.0.cocycle", (1, 2), 3), gssm.RangeError, "layer.0.cocycle"),
    # Codes n..2n-1 of a phase are resets (format version 4): 2n is out of range.
    ("transition code", set_entry("layer.1.transition.code", (0, 0), 6), gssm.RangeError, "transition.code"),
    ("modulus 1", modulus_one_on_last_layer, gssm.InconsistentError, "must be at least 2"),
    ("modulus vs cocycle", set_entry("layer.0.moduli", (0,), 1), gssm.ShapeError, "layer.0.cocycle"),
    ("not a group table", swap_table_entries, gssm.InconsistentError, "row 1 repeats"),
    ("identity not 0", set_entry("group.table", (0, 1), 2), gssm.InconsistentError, "identity"),
    ("NaN transition", set_entry("layer.0.transition.re", (1, 0), np.nan), gssm.NotFiniteError, "not finite"),
    ("NaN phase", set_entry("layer.0.transition.phase", (1, 0), np.nan), gssm.NotFiniteError, "transition.phase"),
    ("inf h0", set_entry("layer.1.h0.im", (0,), np.inf), gssm.NotFiniteError, "h0.im"),
    ("float64 tensor in a float32 file", retype("layer.0.input.re", np.float64), gssm.DtypeError, "F64"),
    ("int64 table", retype("readout", np.int64), gssm.DtypeError, "I64"),
    ("wrong shape", reshape("layer.0.transition.im"), gssm.ShapeError, "transition.im"),
    ("unexpected tensor", add("layer.7.extra", np.zeros(3, np.float32)), gssm.UnexpectedTensorError, "layer.7.extra"),
    ("outputs vs table", lambda t, m: m["outputs"].pop(), gssm.ShapeError, "group.table"),
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


@pytest.mark.parametrize("key", ["outputs", "tokens"])
def test_swapped_labels_name_the_element_they_evaluate_to(base, tmp_path, key):
    t, m = read_raw(base)
    elements = list(range(len(m["outputs"]))) if key == "outputs" else t["tokens.element"].tolist()
    assert elements[1] != elements[2]
    bad = mutate(base, tmp_path, swap_labels(key, 1, 2))
    with pytest.raises(gssm.InconsistentError) as info:
        gssm.load(bad)
    msg = str(info.value)
    assert f"evaluates to element {elements[2]}, but labels element {elements[1]}" in msg, msg


def perm_of_word(word: str, gens: dict) -> tuple:
    """The permutation a label names, by composing the generators' permutations."""
    n = len(next(iter(gens.values())))
    p = tuple(range(n))
    if word == "e":
        return p
    for factor in word.split("*"):
        name, _, e = factor.partition("^")
        k = int(e) if e else 1
        g = gens[name]
        if k < 0:
            g, k = tuple(sorted(range(n), key=lambda i: g[i])), -k  # the inverse permutation
        for _ in range(k):
            p = synth.compose(p, g)
    return p


def test_other_words_for_the_same_elements_load(tmp_path):
    """Any word evaluating to the element is a valid label, in Python and Rust."""
    import dataclasses

    m = synth.s3()
    gens = dict(zip(synth.S3_NAMES, synth.S3_GENS))
    elems = synth.closure(synth.S3_GENS)
    # c^3 = t^2 = e, c^-1 = c^2: other words for the same elements.
    words = ["c^3*" + w + "*t^-2" if w != "e" else "t^2" for w in m.output_labels]
    words = [w.replace("c^2", "c^-1") for w in words]
    assert [elems.index(perm_of_word(w, gens)) for w in words] == list(range(6))
    m.manifest = dataclasses.replace(m.manifest, outputs=words, tokens=words)
    p = tmp_path / "words.safetensors"
    m.save(str(p))
    again = gssm.load(p)
    assert again.output_labels == words
    assert [again.evaluate(w) for w in words] == list(range(6))
    x = np.random.default_rng(4).integers(0, 6, size=(5, 40))
    np.testing.assert_array_equal(cli_run(p, x, tmp_path), again.running_products(x))


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


def test_a_repeated_manifest_field_is_refused():
    # Readers keeping the first and the last occurrence would disagree.
    from gssm.format import parse_manifest

    text = '{"format": "gssm-weights", "format_version": 2, "target": "aussm", "target": "lstm"}'
    with pytest.raises(gssm.ManifestError, match="repeats the field `target`"):
        parse_manifest(text)
