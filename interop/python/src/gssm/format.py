"""Reading, validating and writing gssm weight files.

A weight file is safetensors with real tensors only and a JSON manifest in
``__metadata__["gssm"]``. Tensor names (i = layer index from 0, F = the
manifest's float dtype, V_i = the layer's token count, r_i = its width,
C_i = prod(moduli) = its number of state codes):

========================================  =====  ===========================
name                                      dtype  shape
========================================  =====  ===========================
``group.table``                           I32    [N, N], table[g, h] = g·h
``tokens.element``                        I32    [V_0]
``readout``                               I32    [C_0·C_1⋯C_{k-1}]
``layer.i.moduli``                        I32    [r_i]
``layer.i.transition.code``               I32    [V_i, r_i]
``layer.i.transition.re`` / ``.im``       F      [V_i, r_i]
``layer.i.transition.phase`` (aussm)      F      [V_i, r_i]
``layer.i.input.re`` / ``.im``            F      [V_i, r_i]
``layer.i.h0.re`` / ``.im``               F      [r_i]
``layer.i.cocycle`` (not the last layer)  I32    [C_i, V_i]
========================================  =====  ===========================

:func:`load` applies the same checks as the Rust loader: every index an
executor uses is checked to be in bounds, floats are finite, the group table
is a Latin square with identity 0, and no tensor is missing or unexpected.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Union

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .model import Model

FORMAT_NAME = "gssm-weights"
FORMAT_VERSION = 1
MANIFEST_KEY = "gssm"
#: Largest weight file read (as the CLI): a huge file fails fast.
MAX_MODEL_BYTES = 1 << 30

PathLike = Union[str, "os.PathLike[str]"]


# --------------------------------------------------------------------------
# Errors


class FormatError(ValueError):
    """A weight file that is not a valid gssm model."""


class SafetensorsError(FormatError):
    """The bytes are not a readable safetensors file."""


class NoManifestError(FormatError):
    """``__metadata__["gssm"]`` is missing."""


class ManifestError(FormatError):
    """The manifest is not valid JSON for this format."""


class WrongFormatError(FormatError):
    """The manifest's ``format`` is not ``gssm-weights``."""


class VersionError(FormatError):
    """Unsupported ``format_version``."""


class MissingTensorError(FormatError):
    """A tensor the manifest requires is absent."""


class UnexpectedTensorError(FormatError):
    """A tensor that is no part of a model with this manifest."""


class DtypeError(FormatError):
    """A tensor has the wrong dtype."""


class ShapeError(FormatError):
    """A tensor has the wrong shape."""


class RangeError(FormatError):
    """An integer table entry is out of range."""


class NotFiniteError(FormatError):
    """A float tensor holds NaN or infinity."""


class InconsistentError(FormatError):
    """The tensors and manifest disagree, or the group table is not a group's."""


class LimitError(FormatError):
    """The model exceeds a load limit."""


# --------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class LoadLimits:
    """Upper bounds a loaded file must respect (the Rust defaults)."""

    max_order: int = 1 << 13
    max_table: int = 1 << 26
    max_layers: int = 64


@dataclass(frozen=True)
class GroupInfo:
    name: str
    order: int
    generators: List[str]


@dataclass(frozen=True)
class LayerInfo:
    factor_order: int
    invariant_factors: List[int]
    prime_power_invariants: List[int]
    width: int
    num_tokens: int
    num_codes: int
    token_labels: List[str]


@dataclass(frozen=True)
class Manifest:
    """The JSON manifest (``__metadata__["gssm"]``)."""

    format: str
    format_version: int
    compiler: str
    group: GroupInfo
    convention: str
    target: str
    dtype: str
    series_orders: List[int]
    layers: List[LayerInfo]
    tokens: List[str]
    outputs: List[str]
    raw: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_json(self) -> str:
        """Serialise with the Rust field order."""
        d: Dict[str, Any] = {
            "format": self.format,
            "format_version": self.format_version,
            "compiler": self.compiler,
            "group": {
                "name": self.group.name,
                "order": self.group.order,
                "generators": list(self.group.generators),
            },
            "convention": self.convention,
            "target": self.target,
            "dtype": self.dtype,
            "series_orders": list(self.series_orders),
            "layers": [
                {
                    "factor_order": l.factor_order,
                    "invariant_factors": list(l.invariant_factors),
                    "prime_power_invariants": list(l.prime_power_invariants),
                    "width": l.width,
                    "num_tokens": l.num_tokens,
                    "num_codes": l.num_codes,
                    "token_labels": list(l.token_labels),
                }
                for l in self.layers
            ],
            "tokens": list(self.tokens),
            "outputs": list(self.outputs),
        }
        return json.dumps(d, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Layer:
    """One diagonal layer. Float arrays keep the file's dtype."""

    moduli: np.ndarray  # int64 [r]
    transition_code: np.ndarray  # int64 [V, r]
    a_re: np.ndarray  # [V, r]
    a_im: np.ndarray
    b_re: np.ndarray
    b_im: np.ndarray
    h0_re: np.ndarray  # [r]
    h0_im: np.ndarray
    cocycle: Optional[np.ndarray]  # int64 [C, V]; None on the last layer
    phase: Optional[np.ndarray] = None  # [V, r], aussm only

    @property
    def width(self) -> int:
        return int(self.moduli.shape[0])

    @property
    def num_tokens(self) -> int:
        return int(self.transition_code.shape[0])

    @property
    def num_codes(self) -> int:
        return int(np.prod(self.moduli, dtype=np.int64))

    def code_of(self, digits: Sequence[int]) -> int:
        """Mixed-radix code of state digits (digit 0 least significant)."""
        code = 0
        for q, n in zip(reversed(list(digits)), reversed(self.moduli.tolist())):
            code = code * n + int(q)
        return code

    def digits_of(self, code: int) -> List[int]:
        """Digits of a mixed-radix state code."""
        out = []
        for n in self.moduli.tolist():
            out.append(code % n)
            code //= n
        return out


# --------------------------------------------------------------------------
# Manifest parsing


def _req(d: Dict[str, Any], key: str, kind: str, where: str) -> Any:
    if not isinstance(d, dict):
        raise ManifestError(f"{where or 'manifest'} is not a JSON object")
    if key not in d:
        raise ManifestError(f"missing field `{key}`{' in ' + where if where else ''}")
    v = d[key]
    ok: bool
    if kind == "str":
        ok = isinstance(v, str)
    elif kind == "uint":
        ok = isinstance(v, int) and not isinstance(v, bool) and v >= 0
    elif kind == "uint_list":
        ok = isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in v)
    elif kind == "str_list":
        ok = isinstance(v, list) and all(isinstance(x, str) for x in v)
    elif kind == "obj":
        ok = isinstance(v, dict)
    elif kind == "list":
        ok = isinstance(v, list)
    else:  # pragma: no cover
        raise AssertionError(kind)
    if not ok:
        want = {
            "str": "a string",
            "uint": "a non-negative integer",
            "uint_list": "a list of non-negative integers",
            "str_list": "a list of strings",
            "obj": "an object",
            "list": "a list",
        }[kind]
        raise ManifestError(f"field `{key}`{' in ' + where if where else ''} must be {want}, found {v!r}")
    return v


def parse_manifest(text: str) -> Manifest:
    """Parse and type-check the manifest JSON; format and version first."""
    try:
        d = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ManifestError(f"the gssm manifest is not valid JSON: {e}") from None
    if not isinstance(d, dict):
        raise ManifestError("the gssm manifest is not a JSON object")
    fmt = _req(d, "format", "str", "")
    if fmt != FORMAT_NAME:
        raise WrongFormatError(f"the file's format is '{fmt}', expected '{FORMAT_NAME}'")
    ver = _req(d, "format_version", "uint", "")
    if ver != FORMAT_VERSION:
        raise VersionError(
            f"format version {ver} is not supported (this reader reads version {FORMAT_VERSION})"
        )
    g = _req(d, "group", "obj", "")
    group = GroupInfo(
        name=_req(g, "name", "str", "group"),
        order=_req(g, "order", "uint", "group"),
        generators=list(_req(g, "generators", "str_list", "group")),
    )
    layers = []
    for i, ld in enumerate(_req(d, "layers", "list", "")):
        w = f"layers[{i}]"
        layers.append(
            LayerInfo(
                factor_order=_req(ld, "factor_order", "uint", w),
                invariant_factors=list(_req(ld, "invariant_factors", "uint_list", w)),
                prime_power_invariants=list(_req(ld, "prime_power_invariants", "uint_list", w)),
                width=_req(ld, "width", "uint", w),
                num_tokens=_req(ld, "num_tokens", "uint", w),
                num_codes=_req(ld, "num_codes", "uint", w),
                token_labels=list(_req(ld, "token_labels", "str_list", w)),
            )
        )
    return Manifest(
        format=fmt,
        format_version=ver,
        compiler=_req(d, "compiler", "str", ""),
        group=group,
        convention=_req(d, "convention", "str", ""),
        target=_req(d, "target", "str", ""),
        dtype=_req(d, "dtype", "str", ""),
        series_orders=list(_req(d, "series_orders", "uint_list", "")),
        layers=layers,
        tokens=list(_req(d, "tokens", "str_list", "")),
        outputs=list(_req(d, "outputs", "str_list", "")),
        raw=d,
    )


# --------------------------------------------------------------------------
# Safetensors container


_ST_DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32}


def _read_header(data: bytes) -> Dict[str, Any]:
    """The safetensors JSON header (structure only; data via safetensors)."""
    if len(data) < 8:
        raise SafetensorsError("not a safetensors file: shorter than its 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise SafetensorsError(f"not a safetensors file: header length {n} exceeds the file")
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"not a safetensors file: header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise SafetensorsError("not a safetensors file: header is not a JSON object")
    return header


class _Reader:
    """Checked access to the tensors of one file."""

    def __init__(self, header: Dict[str, Any], tensors: Dict[str, np.ndarray]):
        self.header = header
        self.tensors = tensors
        self.seen: set = set()

    def view(self, name: str, shape: Sequence[int], dtype: str) -> np.ndarray:
        info = self.header.get(name)
        if name not in self.tensors or not isinstance(info, dict):
            raise MissingTensorError(f"tensor `{name}` is missing")
        self.seen.add(name)
        found = list(info.get("shape", []))
        if found != list(shape):
            raise ShapeError(f"tensor `{name}` has shape {found}, expected {list(shape)}")
        if info.get("dtype") != dtype:
            raise DtypeError(f"tensor `{name}` has dtype {info.get('dtype')}, expected {dtype}")
        arr = np.asarray(self.tensors[name])
        return arr.astype(_ST_DTYPES[dtype], copy=False).reshape(shape)

    def ints(self, name: str, shape: Sequence[int], bound: int) -> np.ndarray:
        """An I32 tensor whose entries all lie in 0..bound."""
        a = self.view(name, shape, "I32").astype(np.int64)
        bad = np.flatnonzero((a < 0) | (a >= bound))
        if bad.size:
            i = int(bad[0])
            raise RangeError(
                f"tensor `{name}` entry {i} is {int(a.reshape(-1)[i])}, outside 0..{bound}"
            )
        return a

    def floats(self, name: str, shape: Sequence[int], dtype: str) -> np.ndarray:
        a = self.view(name, shape, dtype).copy()
        bad = np.flatnonzero(~np.isfinite(a))
        if bad.size:
            raise NotFiniteError(f"tensor `{name}` entry {int(bad[0])} is not finite")
        return a


def _checked_product(xs: Sequence[int], limit: int, what: str) -> int:
    p = 1
    for x in xs:
        p *= int(x)
        if p > limit:
            raise LimitError(f"{what} exceeds {limit} entries")
    return p


def _check_latin_square(t: np.ndarray, n: int) -> None:
    """Element 0 is the identity and every row and column a permutation."""
    ident = np.arange(n)
    bad = np.flatnonzero((t[0, :] != ident) | (t[:, 0] != ident))
    if bad.size:
        raise InconsistentError(
            f"group.table: element 0 is not the identity (row/column {int(bad[0])})"
        )
    srt = np.sort(t, axis=1)
    bad = np.flatnonzero((srt != ident).any(axis=1))
    if bad.size:
        raise InconsistentError(f"group.table: row {int(bad[0])} repeats an element")
    srt = np.sort(t, axis=0)
    bad = np.flatnonzero((srt != ident[:, None]).any(axis=0))
    if bad.size:
        raise InconsistentError(f"group.table: column {int(bad[0])} repeats an element")


# --------------------------------------------------------------------------
# Decoding


def loads(data: bytes, limits: LoadLimits = LoadLimits()) -> "Model":
    """Parse and validate the bytes of a weight file."""
    from .model import Model

    header = _read_header(data)
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or MANIFEST_KEY not in meta:
        raise NoManifestError(
            f'the file has no gssm manifest (`__metadata__["{MANIFEST_KEY}"]` is missing)'
        )
    text = meta[MANIFEST_KEY]
    if not isinstance(text, str):
        raise ManifestError("the gssm manifest is not a string")
    man = parse_manifest(text)
    if man.dtype == "float32":
        fdt = "F32"
    elif man.dtype == "float64":
        fdt = "F64"
    else:
        raise ManifestError(f"unknown dtype '{man.dtype}'")
    n = man.group.order
    if n == 0 or n > limits.max_order:
        raise LimitError(f"group order {n} is outside 1..={limits.max_order}")
    if len(man.outputs) != n:
        raise InconsistentError(f"{len(man.outputs)} output labels for a group of order {n}")
    k = len(man.layers)
    if k > limits.max_layers:
        raise LimitError(f"{k} layers (at most {limits.max_layers})")
    try:
        from safetensors.numpy import load as st_load

        tensors = st_load(bytes(data))
    except Exception as e:  # safetensors raises its own error types
        raise SafetensorsError(f"cannot read the tensors: {e}") from None

    rd = _Reader(header, tensors)
    table = rd.ints("group.table", [n, n], n)
    _check_latin_square(table, n)
    v0 = len(man.tokens)
    if v0 == 0 or v0 > limits.max_table:
        raise LimitError(f"{v0} tokens")
    token_elements = rd.ints("tokens.element", [v0], n)

    moduli_all = []
    for i in range(k):
        r = man.layers[i].width
        if r == 0 or r > 64:
            raise InconsistentError(f"layer {i} has width {r}")
        m = rd.ints(f"layer.{i}.moduli", [r], limits.max_table + 1)
        small = np.flatnonzero(m < 2)
        if small.size:
            j = int(small[0])
            raise InconsistentError(f"layer {i} modulus {j} is {int(m[j])}, must be at least 2")
        moduli_all.append(m)
    num_tokens = []
    for i in range(k):
        v = v0 if i == 0 else man.layers[i].num_tokens
        if v == 0 or v > limits.max_table:
            raise LimitError(f"layer {i} has {v} tokens")
        if man.layers[i].num_tokens != v:
            raise InconsistentError(
                f"layer {i} declares {man.layers[i].num_tokens} tokens, the model has {v}"
            )
        num_tokens.append(v)

    layers: List[Layer] = []
    joint = 1
    for i in range(k):
        moduli = moduli_all[i]
        v, r = num_tokens[i], int(moduli.shape[0])
        codes = _checked_product(moduli.tolist(), limits.max_table, "state codes")
        _checked_product([codes, v], limits.max_table, f"layer {i}'s cocycle table")
        joint = _checked_product([joint, codes], limits.max_table, "the readout table")
        p = f"layer.{i}."
        name = p + "transition.code"
        tc = rd.ints(name, [v, r], limits.max_table + 1)
        bad = np.flatnonzero((tc >= moduli[None, :]).reshape(-1))
        if bad.size:
            idx = int(bad[0])
            raise RangeError(
                f"tensor `{name}` entry {idx} is {int(tc.reshape(-1)[idx])}, "
                f"outside 0..{int(moduli[idx % r])}"
            )
        a_re = rd.floats(p + "transition.re", [v, r], fdt)
        a_im = rd.floats(p + "transition.im", [v, r], fdt)
        phase = rd.floats(p + "transition.phase", [v, r], fdt) if man.target == "aussm" else None
        b_re = rd.floats(p + "input.re", [v, r], fdt)
        b_im = rd.floats(p + "input.im", [v, r], fdt)
        h0_re = rd.floats(p + "h0.re", [r], fdt)
        h0_im = rd.floats(p + "h0.im", [r], fdt)
        cocycle = rd.ints(p + "cocycle", [codes, v], num_tokens[i + 1]) if i + 1 < k else None
        info = man.layers[i]
        if list(info.invariant_factors) != moduli.tolist() or info.num_codes != codes:
            raise InconsistentError(f"layer {i}'s manifest entry disagrees with its moduli tensor")
        layers.append(
            Layer(
                moduli=moduli,
                transition_code=tc,
                a_re=a_re,
                a_im=a_im,
                b_re=b_re,
                b_im=b_im,
                h0_re=h0_re,
                h0_im=h0_im,
                cocycle=cocycle,
                phase=phase,
            )
        )
    readout = rd.ints("readout", [joint], n)
    for name in tensors:
        if name not in rd.seen:
            raise UnexpectedTensorError(
                f"unexpected tensor `{name}`: not part of a gssm model with this manifest"
            )
    return Model(
        manifest=man,
        layers=layers,
        readout=readout,
        group_table=table,
        token_elements=token_elements,
    )


def load(path: PathLike, limits: LoadLimits = LoadLimits()) -> "Model":
    """Read and validate a weight file."""
    size = os.path.getsize(path)
    if size > MAX_MODEL_BYTES:
        raise LimitError(
            f"{os.fspath(path)} is {size} bytes, larger than the {MAX_MODEL_BYTES} byte limit"
        )
    with open(path, "rb") as f:
        data = f.read()
    try:
        return loads(data, limits)
    except FormatError as e:
        raise type(e)(f"{os.fspath(path)} is not a valid gssm model: {e}") from None


# --------------------------------------------------------------------------
# Encoding


def dumps(model: "Model", phases: Optional[bool] = None) -> bytes:
    """Serialise a model with the tensor names above.

    ``phases`` (default: the target is aussm) writes ``transition.phase``;
    when the layer has no stored phases, 2π·code/modulus is written.
    """
    from safetensors.numpy import save as st_save

    man = model.manifest
    fdt = {"float32": np.float32, "float64": np.float64}.get(man.dtype)
    if fdt is None:
        raise ManifestError(f"unknown dtype '{man.dtype}'")
    if phases is None:
        phases = man.target == "aussm"
    i32 = lambda a: np.ascontiguousarray(np.asarray(a), dtype="<i4")  # noqa: E731
    fl = lambda a: np.ascontiguousarray(np.asarray(a), dtype=np.dtype(fdt).newbyteorder("<"))  # noqa: E731
    t: Dict[str, np.ndarray] = {
        "group.table": i32(model.group_table),
        "tokens.element": i32(model.token_elements),
        "readout": i32(model.readout),
    }
    last = len(model.layers) - 1
    for i, l in enumerate(model.layers):
        p = f"layer.{i}."
        t[p + "moduli"] = i32(l.moduli)
        t[p + "transition.code"] = i32(l.transition_code)
        t[p + "transition.re"] = fl(l.a_re)
        t[p + "transition.im"] = fl(l.a_im)
        if phases:
            ph = l.phase
            if ph is None:
                ph = 2 * math.pi * np.asarray(l.transition_code, np.float64) / np.asarray(l.moduli, np.float64)[None, :]
            t[p + "transition.phase"] = fl(ph)
        t[p + "input.re"] = fl(l.b_re)
        t[p + "input.im"] = fl(l.b_im)
        t[p + "h0.re"] = fl(l.h0_re)
        t[p + "h0.im"] = fl(l.h0_im)
        if i < last:
            if l.cocycle is None:
                raise InconsistentError(f"layer {i} needs a cocycle table (it is not the last layer)")
            t[p + "cocycle"] = i32(l.cocycle)
    return st_save(t, metadata={MANIFEST_KEY: man.to_json()})


def save(model: "Model", path: PathLike, phases: Optional[bool] = None) -> None:
    """Write a model to ``path`` (see :func:`dumps`)."""
    data = dumps(model, phases)
    with open(path, "wb") as f:
        f.write(data)
