"""Reading, validating and writing gssm weight files (format version 2).

A weight file is safetensors with real tensors only and a JSON manifest in
``__metadata__["gssm"]``. Tensor names (i = layer index from 0, F = the
manifest's float dtype, N = the group order = the number of output labels,
V_i = the layer's token count, r_i = its width, C_i = prod(moduli) = its
number of state codes):

========================================  =====  ===========================
name                                      dtype  shape
========================================  =====  ===========================
``group.table``                           I32    [N, N], table[g, h] = g·h
``group.generators``                      I32    [number of generators]
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

The manifest holds no sizes: the order is the number of output labels, the
layers are the consecutive ``layer.i.moduli`` tensors, a layer's width is the
length of its moduli and its token count the rows of its transition codes.

:func:`load` applies the same checks as the Rust loader (``runtime/src/
format.rs`` and ``runtime/src/valid``): every index an executor uses is in
bounds, floats are finite and of the stored dtype, the group table is a Latin
square with identity 0, the target is known and its layer class respected,
labels are unique words in the generators that evaluate to their elements,
and no manifest field or tensor is missing or unexpected. That the floats are
the construction's values and that the model computes the group product is
left to ``gssm verify``.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .model import Model

FORMAT_NAME = "gssm-weights"
FORMAT_VERSION = 2
MANIFEST_KEY = "gssm"
#: The one product convention of gssm models (Rust ``ir::CONVENTION``).
CONVENTION = "left-to-right: y_t = x_1*x_2*...*x_t; for permutations p*q applies p first (GAP)"
#: Targets a file may name (Rust ``valid::TargetKind``).
TARGETS = ("aussm", "neg-mamba", "mamba", "gla", "s4d")
#: Largest weight file read (as the CLI): a huge file fails fast.
MAX_MODEL_BYTES = 1 << 30

PathLike = Union[str, "os.PathLike[str]"]

# Rust i32 entries are read as u32: anything negative is out of this range.
_I32_BOUND = 1 << 31
_MANIFEST_FIELDS = ("format", "format_version", "compiler", "group", "convention", "target", "dtype", "tokens", "outputs")
_GROUP_FIELDS = ("name", "generators")
_DTYPES = {"float32": ("F32", np.float32), "float64": ("F64", np.float64)}


def target_has_layers(target: str) -> bool:
    """Whether a target's layers can change state; the others track only the
    trivial group and have no layers."""
    return target in ("aussm", "neg-mamba")


def target_has_phases(target: str) -> bool:
    """Whether the target's files carry ``layer.i.transition.phase``."""
    return target == "aussm"


def target_allows_modulus(target: str, n: int) -> bool:
    """Whether one layer of the target can carry a component of modulus n:
    AUSSM any root of unity, neg-mamba ±1 only."""
    if target == "aussm":
        return True
    return target == "neg-mamba" and n == 2


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
    """A tensor the model requires is absent."""


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
    """The tensors and manifest disagree, a label or name is malformed, or the
    group table is not a group's."""


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
    max_width: int = 64


@dataclass(frozen=True)
class GroupInfo:
    name: str
    generators: List[str]


@dataclass(frozen=True)
class Manifest:
    """The JSON manifest (``__metadata__["gssm"]``). It repeats no size:
    those come from the tensors (see :class:`gssm.Model`)."""

    format: str
    format_version: int
    compiler: str
    group: GroupInfo
    convention: str
    target: str
    dtype: str
    tokens: List[str]
    outputs: List[str]
    raw: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_json(self) -> str:
        """Serialise with the Rust field order (so rewriting is byte-stable)."""
        d: Dict[str, Any] = {
            "format": self.format,
            "format_version": self.format_version,
            "compiler": self.compiler,
            "group": {"name": self.group.name, "generators": list(self.group.generators)},
            "convention": self.convention,
            "target": self.target,
            "dtype": self.dtype,
            "tokens": list(self.tokens),
            "outputs": list(self.outputs),
        }
        return json.dumps(d, separators=(",", ":"), ensure_ascii=False)


def _prime_powers(n: int) -> List[Tuple[int, int]]:
    """(p, p^a) for each prime p dividing n exactly a times."""
    out = []
    p = 2
    while p * p <= n:
        if n % p == 0:
            q = 1
            while n % p == 0:
                n //= p
                q *= p
            out.append((p, q))
        p += 1
    if n > 1:
        out.append((n, n))
    return out


@dataclass
class Layer:
    """One diagonal layer. Float arrays keep the file's dtype; sizes and the
    structure of the abelian factor it tracks are derived from the moduli
    and the tables."""

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
        return int(np.shape(self.moduli)[0])

    @property
    def num_tokens(self) -> int:
        return int(np.shape(self.transition_code)[0])

    @property
    def num_codes(self) -> int:
        """Number of state codes, prod(moduli)."""
        return math.prod(int(n) for n in np.asarray(self.moduli).tolist())

    @property
    def factor_order(self) -> int:
        """Order of the abelian factor the layer tracks: its number of codes."""
        return self.num_codes

    @property
    def prime_power_invariants(self) -> List[int]:
        """Elementary divisors of Z_{n_0} × Z_{n_1} × ⋯, ascending."""
        return sorted(q for n in np.asarray(self.moduli).tolist() for _, q in _prime_powers(int(n)))

    @property
    def invariant_factors(self) -> List[int]:
        """Invariant factors d_1 | d_2 | ⋯ of the same group, ascending (the
        moduli themselves when they are already in that form, as the
        compiler writes them)."""
        by_prime: Dict[int, List[int]] = {}
        for n in np.asarray(self.moduli).tolist():
            for p, q in _prime_powers(int(n)):
                by_prime.setdefault(p, []).append(q)
        for v in by_prime.values():
            v.sort(reverse=True)
        cols = max((len(v) for v in by_prime.values()), default=0)
        return [math.prod(v[j] for v in by_prime.values() if j < len(v)) for j in range(cols)][::-1]

    def code_of(self, digits: Sequence[int]) -> int:
        """Mixed-radix code of state digits (digit 0 least significant)."""
        code = 0
        for q, n in zip(reversed(list(digits)), reversed(np.asarray(self.moduli).tolist())):
            code = code * n + int(q)
        return code

    def digits_of(self, code: int) -> List[int]:
        """Digits of a mixed-radix state code."""
        out = []
        for n in np.asarray(self.moduli).tolist():
            out.append(code % n)
            code //= n
        return out


# --------------------------------------------------------------------------
# Labels: words in the generators


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Rust's i64 parser: an optional sign, then ASCII digits.
_INT = re.compile(r"[+-]?[0-9]+")


def check_generator_name(name: str) -> None:
    """A generator name is an identifier and not ``e``, the identity's label;
    raises :class:`InconsistentError` (without the field) otherwise."""
    if not _IDENT.fullmatch(name):
        raise InconsistentError(f"generator name '{name}' is not an identifier")
    if name == "e":
        raise InconsistentError("a generator may not be named 'e', the identity's label")


class Words:
    """Evaluates label words (``e``, ``a``, ``a^-1``, ``a^2*b``) with a group
    table and generator elements, left to right, the way the Rust loader
    does (powers by repeated squaring, inverses as the last power before the
    identity), so both accept exactly the same labels."""

    def __init__(self, table: np.ndarray, generators: Sequence[int], names: Sequence[str]):
        self.table = table
        self.generators = [int(g) for g in generators]
        self.index = {n: i for i, n in enumerate(names)}
        self.inverses: List[Optional[int]] = [None] * len(self.generators)

    def _mul(self, g: int, h: int) -> int:
        return int(self.table[g, h])

    def eval(self, label: str) -> int:
        """The element a label names; :class:`InconsistentError` saying why
        it names none otherwise."""
        if label == "e":
            return 0
        if label == "":
            raise InconsistentError("the label is empty")
        acc = 0
        for factor in label.split("*"):
            name, sep, e = factor.partition("^")
            exp = 1
            if sep:
                if not _INT.fullmatch(e) or not -(1 << 63) <= int(e) < (1 << 63):
                    raise InconsistentError(f"exponent '{e}' is not an integer")
                exp = int(e)
            if name not in self.index:
                raise InconsistentError(f"'{name}' is not a generator")
            acc = self._mul(acc, self._pow(self.index[name], exp))
        return acc

    def _pow(self, i: int, exp: int) -> int:
        b = self._inverse(i) if exp < 0 else self.generators[i]
        e, acc = abs(exp), 0
        while e > 0:
            if e & 1:
                acc = self._mul(acc, b)
            b = self._mul(b, b)
            e >>= 1
        return acc

    def _inverse(self, i: int) -> int:
        inv = self.inverses[i]
        if inv is None:
            # x -> x·g permutes the elements (the table is a Latin square),
            # so the powers of g return to the identity within |G| steps.
            g = self.generators[i]
            prev, x = 0, g
            while x != 0:
                prev, x = x, self._mul(x, g)
            inv = self.inverses[i] = prev
        return inv


# --------------------------------------------------------------------------
# Manifest parsing


_KINDS: Dict[str, Tuple[Callable[[Any], bool], str]] = {
    "str": (lambda v: isinstance(v, str), "a string"),
    "uint": (lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < (1 << 32), "a non-negative integer"),
    "str_list": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of strings"),
    "obj": (lambda v: isinstance(v, dict), "an object"),
}


def _req(d: Dict[str, Any], key: str, kind: str, where: str = "") -> Any:
    at = f" in `{where}`" if where else ""
    if key not in d:
        raise ManifestError(f"missing field `{key}`{at}")
    ok, want = _KINDS[kind]
    v = d[key]
    if not ok(v):
        raise ManifestError(f"field `{key}`{at} must be {want}, found {v!r}")
    return v


def _no_unknown(d: Dict[str, Any], known: Sequence[str], where: str = "") -> None:
    for key in d:
        if key not in known:
            at = f" in `{where}`" if where else ""
            raise ManifestError(
                f"unknown field `{key}`{at}, expected one of {', '.join(f'`{k}`' for k in known)}"
                f" (format version {FORMAT_VERSION} stores no sizes in the manifest)"
            )


def _unique_keys(pairs):
    """A JSON object whose keys are unique: a repeated field would let two
    readers (first wins, last wins) see different manifests."""
    d = {}
    for k, v in pairs:
        if k in d:
            raise ManifestError(f"the gssm manifest repeats the field `{k}`")
        d[k] = v
    return d


def parse_manifest(text: str) -> Manifest:
    """Parse and type-check the manifest JSON. Format and version come first,
    so an older file gets the version message rather than a field error."""
    try:
        d = json.loads(text, object_pairs_hook=_unique_keys)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ManifestError(f"the gssm manifest is not valid JSON: {e}") from None
    if not isinstance(d, dict):
        raise ManifestError("the gssm manifest is not a JSON object")
    fmt = d.get("format")
    if fmt != FORMAT_NAME:
        raise WrongFormatError(f"the file's format is '{fmt if isinstance(fmt, str) else ''}', expected '{FORMAT_NAME}'")
    ver = _req(d, "format_version", "uint")
    if ver != FORMAT_VERSION:
        older = (
            "; the file was written by an older gssm, so compile its source again with this one"
            if ver < FORMAT_VERSION
            else ""
        )
        raise VersionError(f"format version {ver} is not supported: this reader reads version {FORMAT_VERSION}{older}")
    _no_unknown(d, _MANIFEST_FIELDS)
    g = _req(d, "group", "obj")
    _no_unknown(g, _GROUP_FIELDS, "group")
    return Manifest(
        format=fmt,
        format_version=ver,
        compiler=_req(d, "compiler", "str"),
        group=GroupInfo(name=_req(g, "name", "str", "group"), generators=list(_req(g, "generators", "str_list", "group"))),
        convention=_req(d, "convention", "str"),
        target=_req(d, "target", "str"),
        dtype=_req(d, "dtype", "str"),
        tokens=list(_req(d, "tokens", "str_list")),
        outputs=list(_req(d, "outputs", "str_list")),
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


def _shape_str(shape: Sequence[Optional[int]]) -> str:
    return "[" + ", ".join("?" if s is None else str(s) for s in shape) + "]"


class _Reader:
    """Checked access to the tensors of one file, remembering which were read
    so that any other tensor is reported."""

    def __init__(self, header: Dict[str, Any], tensors: Dict[str, np.ndarray]):
        self.header = header
        self.tensors = tensors
        self.seen: set = set()

    def has(self, name: str) -> bool:
        return name in self.tensors

    def view(self, name: str, shape: Sequence[Optional[int]], dtype: str) -> np.ndarray:
        """The tensor, its dtype checked and its shape matched against
        ``shape`` (``None`` takes whatever the file declares)."""
        info = self.header.get(name)
        if name not in self.tensors or not isinstance(info, dict):
            raise MissingTensorError(f"tensor `{name}` is missing")
        self.seen.add(name)
        if info.get("dtype") != dtype:
            raise DtypeError(f"tensor `{name}` has dtype {info.get('dtype')}, expected {dtype}")
        found = list(info.get("shape", []))
        if len(found) != len(shape) or any(s is not None and s != f for f, s in zip(found, shape)):
            raise ShapeError(f"tensor `{name}` has shape {found}, expected {_shape_str(shape)}")
        arr = np.asarray(self.tensors[name])
        return arr.astype(_ST_DTYPES[dtype], copy=False).reshape(found)

    def ints(self, name: str, shape: Sequence[Optional[int]]) -> np.ndarray:
        """An I32 tensor of non-negative entries, as int64."""
        a = self.view(name, shape, "I32").astype(np.int64)
        _check_range(name, a, _I32_BOUND)
        return a

    def floats(self, name: str, shape: Sequence[Optional[int]], dtype: str) -> np.ndarray:
        return self.view(name, shape, dtype).copy()


# --------------------------------------------------------------------------
# Validation (runtime/src/valid/mod.rs)


def _limit_product(xs: Sequence[int], limit: int, what: str) -> int:
    p = 1
    for x in xs:
        p *= int(x)
        if p > limit:
            raise LimitError(f"{what} exceeds {limit} entries")
    return p


def _check_range(name: str, a: np.ndarray, bound: Union[int, np.ndarray]) -> None:
    """Every entry in 0..bound (``bound`` may broadcast per column)."""
    bad = np.flatnonzero(((a < 0) | (a >= bound)).reshape(-1))
    if bad.size:
        i = int(bad[0])
        b = bound if isinstance(bound, int) else int(np.broadcast_to(bound, a.shape).reshape(-1)[i])
        raise RangeError(f"tensor `{name}` entry {i} is {int(a.reshape(-1)[i])}, outside 0..{b}")


def _ints(name: str, a: Any, shape: Sequence[int]) -> np.ndarray:
    """An in-memory integer table with the expected shape, as int64."""
    if a is None:
        raise MissingTensorError(f"tensor `{name}` is missing")
    a = np.asarray(a)
    if a.dtype.kind not in "iu":
        raise DtypeError(f"tensor `{name}` has dtype {a.dtype}, expected integers (I32)")
    if list(a.shape) != list(shape):
        raise ShapeError(f"tensor `{name}` has shape {list(a.shape)}, expected {list(shape)}")
    return a.astype(np.int64)


def _check_floats(name: str, a: Any, shape: Sequence[int], dtype: str) -> None:
    """Finite, of the expected shape, and exactly representable in the
    stored dtype (so writing the file loses nothing)."""
    if a is None:
        raise MissingTensorError(f"tensor `{name}` is missing")
    a = np.asarray(a)
    if a.dtype.kind != "f":
        raise DtypeError(f"tensor `{name}` has dtype {a.dtype}, expected {_DTYPES[dtype][0]}")
    if list(a.shape) != list(shape):
        raise ShapeError(f"tensor `{name}` has shape {list(a.shape)}, expected {list(shape)}")
    flat = a.reshape(-1)
    bad = np.flatnonzero(~np.isfinite(flat))
    if bad.size:
        raise NotFiniteError(f"tensor `{name}` entry {int(bad[0])} is not finite")
    target = np.dtype(_DTYPES[dtype][1])
    if a.dtype.itemsize > target.itemsize:
        with np.errstate(over="ignore"):
            back = flat.astype(target).astype(a.dtype)
        bad = np.flatnonzero(back != flat)
        if bad.size:
            i = int(bad[0])
            raise InconsistentError(f"`{name}` entry {i} ({float(flat[i]):e}) is not a {dtype} value")


def _check_latin_square(t: np.ndarray, n: int) -> None:
    """Every row and column a permutation and element 0 the identity: what
    an executor and the ground truth rely on (associativity is left to
    ``gssm verify``)."""
    ident = np.arange(n)
    bad = np.flatnonzero((t[0, :] != ident) | (t[:, 0] != ident))
    if bad.size:
        raise InconsistentError(f"group.table: element 0 is not the identity (row/column {int(bad[0])})")
    for what, lines in (("row", t), ("column", t.T)):
        srt = np.sort(lines, axis=1)
        bad = np.flatnonzero((srt != ident).any(axis=1))
        if bad.size:
            g = int(bad[0])
            seen = set()
            for x in lines[g].tolist():
                if x in seen:
                    raise InconsistentError(f"group.table: {what} {g} repeats element {x}")
                seen.add(x)


def validate(model: "Model", limits: LoadLimits = LoadLimits()) -> None:
    """Check everything an executor, the verifier or a reader relies on, as
    the Rust ``valid::validate`` does; raises a :class:`FormatError`.

    :func:`loads` calls it on every file and :func:`dumps` on every model it
    writes, so a model built or edited in Python is held to the same rules.
    """
    m = model.manifest
    if m.format != FORMAT_NAME:
        raise WrongFormatError(f"the file's format is '{m.format}', expected '{FORMAT_NAME}'")
    if m.format_version != FORMAT_VERSION:
        raise VersionError(f"format version {m.format_version} is not supported: this reader reads version {FORMAT_VERSION}")
    if m.convention != CONVENTION:
        raise InconsistentError(f"manifest field `convention` is '{m.convention}', but gssm models use '{CONVENTION}'")
    if m.dtype not in _DTYPES:
        raise ManifestError(f"manifest field `dtype` is '{m.dtype}', expected float32 or float64")
    if m.target not in TARGETS:
        raise InconsistentError(f"manifest field `target` is '{m.target}', not a known target ({', '.join(TARGETS)})")
    fdt = m.dtype

    # The group: order, table, generators.
    n = len(m.outputs)
    if n == 0 or n > limits.max_order:
        raise LimitError(f"group order {n} (the number of output labels) is outside 1..={limits.max_order}")
    table = _ints("group.table", model.group_table, [n, n])
    _check_range("group.table", table, n)
    _check_latin_square(table, n)
    names = list(m.group.generators)
    if len(names) > limits.max_table:
        raise LimitError(f"{len(names)} generators")
    gens = _ints("group.generators", model.generators, [len(names)])
    _check_range("group.generators", gens, n)
    seen = set()
    for i, name in enumerate(names):
        try:
            check_generator_name(name)
        except InconsistentError as e:
            raise InconsistentError(f"manifest `group.generators[{i}]`: {e}") from None
        if name in seen:
            raise InconsistentError(f"manifest `group.generators` names '{name}' twice")
        seen.add(name)

    # Tokens.
    te = np.asarray(model.token_elements)
    if te.ndim != 1:
        raise ShapeError(f"tensor `tokens.element` has shape {list(te.shape)}, expected [{len(m.tokens)}]")
    v0 = int(te.shape[0])
    if v0 == 0 or v0 > limits.max_table:
        raise LimitError(f"{v0} tokens (need 1..={limits.max_table})")
    if len(m.tokens) != v0:
        raise InconsistentError(f"manifest `tokens` has {len(m.tokens)} labels, but `tokens.element` has {v0} entries")
    tok = _ints("tokens.element", te, [v0])
    _check_range("tokens.element", tok, n)

    # Layers.
    k = len(model.layers)
    if k > limits.max_layers:
        raise LimitError(f"{k} layers (at most {limits.max_layers})")
    if k > 0 and not target_has_layers(m.target):
        raise InconsistentError(f"target {m.target} tracks only the trivial group and has no layers, but the file has {k}")
    joint = 1
    for i, layer in enumerate(model.layers):
        # The next layer's shapes are checked on its own turn; here only its
        # token count bounds this layer's cocycle.
        nxt = model.layers[i + 1].transition_code if i + 1 < k else None
        v_next = None if nxt is None else (int(np.shape(nxt)[0]) if np.ndim(nxt) else 0)
        codes = _check_layer(i, layer, v_next, m.target, fdt, limits)
        if i == 0 and layer.num_tokens != v0:
            raise InconsistentError(f"layer 0 has {layer.num_tokens} tokens, but the model has {v0}")
        joint = _limit_product([joint, codes], limits.max_table, "the readout table")
    readout = _ints("readout", model.readout, [joint])
    _check_range("readout", readout, n)

    # Labels: unique words that evaluate to their elements.
    words = Words(table, gens.tolist(), names)
    _check_labels("outputs", m.outputs, words, list(range(n)))
    _check_labels("tokens", m.tokens, words, tok.tolist())


def _check_labels(fld: str, labels: Sequence[str], words: Words, elements: Sequence[int]) -> None:
    seen = set()
    for i, label in enumerate(labels):
        if label in seen:
            raise InconsistentError(f"manifest `{fld}[{i}]` repeats the label '{label}'")
        seen.add(label)
        try:
            got = words.eval(label)
        except InconsistentError as e:
            raise InconsistentError(f"manifest `{fld}[{i}]` '{label}': {e}") from None
        if got != elements[i]:
            raise InconsistentError(
                f"manifest `{fld}[{i}]` '{label}' evaluates to element {got}, but labels element {elements[i]}"
            )


def _check_layer(i: int, l: Layer, v_next: Optional[int], target: str, fdt: str, limits: LoadLimits) -> int:
    """One layer's sizes, indices and floats; returns its number of codes."""
    p = lambda s: f"layer.{i}.{s}"  # noqa: E731
    if np.ndim(l.moduli) != 1:
        raise ShapeError(f"tensor `{p('moduli')}` has shape {list(np.shape(l.moduli))}, expected [width]")
    r = l.width
    if r == 0 or r > limits.max_width:
        raise InconsistentError(f"layer {i} has width {r} (need 1..={limits.max_width})")
    moduli = _ints(p("moduli"), l.moduli, [r])
    for j, x in enumerate(moduli.tolist()):
        if x < 2:
            raise InconsistentError(f"`{p('moduli')}` entry {j} is {x}, must be at least 2")
    for j, x in enumerate(moduli.tolist()):
        if not target_allows_modulus(target, x):
            raise InconsistentError(
                f"`{p('moduli')}` entry {j} is {x}: a {target} layer cannot realise a cyclic factor of that order"
            )
    codes = _limit_product(moduli.tolist(), limits.max_table, f"layer {i}'s state codes")
    if np.ndim(l.transition_code) != 2:
        raise ShapeError(f"tensor `{p('transition.code')}` has shape {list(np.shape(l.transition_code))}, expected [tokens, {r}]")
    v = l.num_tokens
    if v == 0 or v > limits.max_table:
        raise LimitError(f"layer {i} has {v} tokens")
    _limit_product([v, r], limits.max_table, f"layer {i}'s transitions")
    tc = _ints(p("transition.code"), l.transition_code, [v, r])
    _check_range(p("transition.code"), tc, moduli[None, :])
    floats = [
        ("transition.re", l.a_re, [v, r]),
        ("transition.im", l.a_im, [v, r]),
        ("input.re", l.b_re, [v, r]),
        ("input.im", l.b_im, [v, r]),
        ("h0.re", l.h0_re, [r]),
        ("h0.im", l.h0_im, [r]),
    ]
    if target_has_phases(target):
        if l.phase is None:
            raise MissingTensorError(f"tensor `{p('transition.phase')}` is missing")
        floats.append(("transition.phase", l.phase, [v, r]))
    elif l.phase is not None:
        raise InconsistentError(f"`{p('transition.phase')}` is present, but target {target} has no phases")
    for name, a, shape in floats:
        _check_floats(p(name), a, shape, fdt)
    if v_next is not None:
        _limit_product([codes, v], limits.max_table, f"layer {i}'s cocycle")
        coc = _ints(p("cocycle"), l.cocycle, [codes, v])
        _check_range(p("cocycle"), coc, v_next)
    elif l.cocycle is not None and np.size(l.cocycle) != 0:
        raise InconsistentError(f"`{p('cocycle')}` is present, but layer {i} is the last layer")
    return codes


# --------------------------------------------------------------------------
# Decoding


def loads(data: bytes, limits: LoadLimits = LoadLimits()) -> "Model":
    """Parse and validate the bytes of a weight file. Sizes come from the
    tensors' own shapes, checked against each other, then :func:`validate`
    checks the rest."""
    from .model import Model

    header = _read_header(data)
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or MANIFEST_KEY not in meta:
        raise NoManifestError(f'the file has no gssm manifest (`__metadata__["{MANIFEST_KEY}"]` is missing)')
    text = meta[MANIFEST_KEY]
    if not isinstance(text, str):
        raise ManifestError("the gssm manifest is not a string")
    man = parse_manifest(text)
    if man.dtype not in _DTYPES:
        raise ManifestError(f"unknown dtype '{man.dtype}'")
    fdt = _DTYPES[man.dtype][0]
    try:
        from safetensors.numpy import load as st_load

        tensors = st_load(bytes(data))
    except Exception as e:  # safetensors raises its own error types
        raise SafetensorsError(f"cannot read the tensors: {e}") from None

    rd = _Reader(header, tensors)
    n = len(man.outputs)
    table = rd.ints("group.table", [n, n])
    generators = rd.ints("group.generators", [len(man.group.generators)])
    token_elements = rd.ints("tokens.element", [len(man.tokens)])
    # Layers are numbered from 0 without gaps; a stray `layer.j.*` is
    # reported as unexpected below.
    k = 0
    while rd.has(f"layer.{k}.moduli"):
        k += 1
    layers: List[Layer] = []
    for i in range(k):
        p = f"layer.{i}."
        moduli = rd.ints(p + "moduli", [None])
        r = int(moduli.shape[0])
        tc = rd.ints(p + "transition.code", [None, r])
        sh = [int(tc.shape[0]), r]
        a_re = rd.floats(p + "transition.re", sh, fdt)
        a_im = rd.floats(p + "transition.im", sh, fdt)
        # Read whenever present, so a phase on a target without phases is
        # reported as such rather than as an unexpected tensor.
        phase = rd.floats(p + "transition.phase", sh, fdt) if rd.has(p + "transition.phase") else None
        layers.append(
            Layer(
                moduli=moduli,
                transition_code=tc,
                a_re=a_re,
                a_im=a_im,
                b_re=rd.floats(p + "input.re", sh, fdt),
                b_im=rd.floats(p + "input.im", sh, fdt),
                h0_re=rd.floats(p + "h0.re", [r], fdt),
                h0_im=rd.floats(p + "h0.im", [r], fdt),
                cocycle=None,
                phase=phase,
            )
        )
    for i in range(k - 1):
        layers[i].cocycle = rd.ints(f"layer.{i}.cocycle", [layers[i].num_codes, layers[i].num_tokens])
    joint = math.prod(l.num_codes for l in layers)
    readout = rd.ints("readout", [joint])
    for name in sorted(tensors):
        if name not in rd.seen:
            raise UnexpectedTensorError(f"unexpected tensor `{name}`: not part of a gssm model with this manifest")
    model = Model(
        manifest=man,
        layers=layers,
        readout=readout,
        group_table=table,
        token_elements=token_elements,
        generators=generators,
    )
    validate(model, limits)
    return model


def load(path: PathLike, limits: LoadLimits = LoadLimits()) -> "Model":
    """Read and validate a weight file."""
    size = os.path.getsize(path)
    if size > MAX_MODEL_BYTES:
        raise LimitError(f"{os.fspath(path)} is {size} bytes, larger than the {MAX_MODEL_BYTES} byte limit")
    with open(path, "rb") as f:
        data = f.read()
    try:
        return loads(data, limits)
    except FormatError as e:
        raise type(e)(f"{os.fspath(path)} is not a valid gssm model: {e}") from None


# --------------------------------------------------------------------------
# Encoding


def dumps(model: "Model", limits: LoadLimits = LoadLimits()) -> bytes:
    """Serialise a model with the tensor names above, after :func:`validate`
    (so Python never writes a file the loaders refuse). A model loaded from
    a file is written back byte for byte."""
    from safetensors.numpy import save as st_save

    validate(model, limits)
    man = model.manifest
    fdt = np.dtype(_DTYPES[man.dtype][1]).newbyteorder("<")
    i32 = lambda a: np.ascontiguousarray(np.asarray(a), dtype="<i4")  # noqa: E731
    fl = lambda a: np.ascontiguousarray(np.asarray(a), dtype=fdt)  # noqa: E731
    t: Dict[str, np.ndarray] = {
        "group.table": i32(model.group_table),
        "group.generators": i32(model.generators),
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
        if l.phase is not None:
            t[p + "transition.phase"] = fl(l.phase)
        t[p + "input.re"] = fl(l.b_re)
        t[p + "input.im"] = fl(l.b_im)
        t[p + "h0.re"] = fl(l.h0_re)
        t[p + "h0.im"] = fl(l.h0_im)
        if i < last:
            t[p + "cocycle"] = i32(l.cocycle)
    return st_save(t, metadata={MANIFEST_KEY: man.to_json()})


def save(model: "Model", path: PathLike) -> None:
    """Write a model to ``path`` (see :func:`dumps`)."""
    data = dumps(model)
    with open(path, "wb") as f:
        f.write(data)
