"""The compiler and verifier, from Python: ``gssm.check``, ``gssm.compile``
and ``gssm.verify`` give what ``gssm check --json``, ``gssm compile`` and
``gssm verify --json`` give, with no CLI.

They run the Rust crates through the optional native module
``gssm._native`` (built when the package is installed from source with
maturin), imported on first use; the loader and the executors need only
NumPy. Errors are :class:`GssmError`; warnings about the source are
:class:`GssmWarning` (through :mod:`warnings`).

``source_or_path`` is a ``.gssm`` file or source text:

- a :class:`os.PathLike` (e.g. :class:`pathlib.Path`) is a path;
- a ``str`` containing a newline is source text;
- a ``str`` naming an existing file is a path;
- any other ``str`` is source text if it contains the word ``group`` or
  ``import`` and does not end in ``.gssm``, else a path (which then fails
  as a file that cannot be read).

Source text is named ``<source>`` in reports and errors, and its relative
imports resolve from the current directory; stdlib modules (``import
"families"``) are built in either way.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from .format import loads
from .model import Model

SourceOrPath = Union[str, "os.PathLike[str]"]

#: How source text is named in reports and errors.
SOURCE_TEXT_NAME = "<source>"

_WORD = re.compile(r"\b(group|import)\b")


class GssmError(Exception):
    """An error of the compiler or verifier. ``str(err)`` is the diagnostic
    as the CLI prints it (file, line and column, the source line with the
    span underlined, and a hint), without colours.

    ``code`` names the kind of error (e.g. ``"parse"``, ``"target::no-series"``);
    ``file``, ``line`` and ``column`` (1-based) locate it when it points into
    a source, else they are ``None``."""

    def __init__(
        self,
        code: str,
        message: str,
        rendered: str,
        file: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
        help: Optional[str] = None,
    ) -> None:
        super().__init__(code, message, rendered, file, line, column, help)
        self.code = code
        self.message = message
        self.rendered = rendered
        self.file = file
        self.line = line
        self.column = column
        self.help = help

    def __str__(self) -> str:
        return self.rendered.rstrip("\n")


class GssmWarning(UserWarning):
    """A warning about a source (e.g. a group named like another convention),
    rendered as the CLI prints it."""


def _native() -> Any:
    try:
        from . import _native as native
    except ImportError as e:
        raise ImportError(
            "gssm.check, gssm.compile and gssm.verify need the native module gssm._native, "
            "which this installation of gssm lacks: install the package from source with "
            "maturin (pip install ./interop/python, with a Rust toolchain) to build it. "
            "Loading and running weight files (gssm.load, Model.run) works without it."
        ) from e
    return native


def _call(name: str, *args: Any, **kwargs: Any) -> Any:
    """``gssm._native.NAME(*args, **kwargs)``, its errors as :class:`GssmError`."""
    native = _native()
    try:
        return getattr(native, name)(*args, **kwargs)
    except native.Error as e:
        raise GssmError(*e.args) from None


def _source(source_or_path: SourceOrPath) -> Tuple[Optional[str], Optional[str]]:
    """(path, None) or (None, text), by the rule in the module docstring."""
    if isinstance(source_or_path, os.PathLike):
        return os.fspath(source_or_path), None
    if not isinstance(source_or_path, str):
        raise TypeError(f"expected a path or source text, got {type(source_or_path).__name__}")
    s = source_or_path
    if "\n" in s:
        return None, s
    if os.path.isfile(s):
        return s, None
    if _WORD.search(s) and not s.rstrip().endswith(".gssm"):
        return None, s
    return s, None


def _warn(rendered: Sequence[str], depth: int = 0) -> None:
    # Attributed to the caller of the public function that called this
    # (`depth` more public functions in between).
    for w in rendered:
        warnings.warn(w.rstrip("\n"), GssmWarning, stacklevel=3 + depth)


def _limits(max_elements: Optional[int], max_cosets: Optional[int], max_memory: Optional[int]) -> Dict[str, Any]:
    return {"max_elements": max_elements, "max_cosets": max_cosets, "max_memory": max_memory}


# -- check -----------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    file: str
    line: int
    column: int


@dataclass(frozen=True)
class Factor:
    """An abelian factor: invariant factors and prime powers."""

    invariant_factors: List[int]
    prime_powers: List[int]


@dataclass(frozen=True)
class TargetDepth:
    """The least number of layers a target needs (``layers``, with each
    layer's width), or why it cannot track the group (``reason``,
    ``explanation``)."""

    target: str
    layers: Optional[int]
    widths: Optional[List[int]]
    reason: Optional[str]
    explanation: Optional[str]
    #: For the one-layer targets: how the layer is built and its size.
    size: Optional[str] = None


@dataclass(frozen=True)
class SeriesVerdict:
    """Whether a target accepts the series the source gave."""

    target: str
    layers: Optional[int]
    reason: Optional[str]


@dataclass(frozen=True)
class SeriesHint:
    """The series the source gave: |G_1|, …, |G_{k-1}| and each target's
    verdict."""

    subgroup_orders: List[int]
    targets: List[SeriesVerdict]


@dataclass(frozen=True)
class Structure:
    """What ``gssm check --json`` reports (``dataclasses.asdict`` gives the
    same object)."""

    name: str
    order: int
    generators: List[str]
    defined_at: Location
    is_abelian: bool
    is_nilpotent: bool
    is_solvable: bool
    derived_length: Optional[int]
    derived_series_orders: List[int]
    derived_factors: List[Factor]
    abelian_invariants: List[int]
    abelian_invariant_factors: List[int]
    targets: List[TargetDepth]
    series_hint: Optional[SeriesHint]
    warnings: List[str]

    def target(self, name: str) -> TargetDepth:
        """The entry of target ``name``."""
        for t in self.targets:
            if t.target == name:
                return t
        raise KeyError(name)

    @staticmethod
    def from_json(d: Dict[str, Any]) -> "Structure":
        hint = d["series_hint"]
        return Structure(
            **{
                **d,
                # Counts from 2^53 on come as decimal strings (exact in JSON).
                "order": int(d["order"]),
                "derived_series_orders": [int(n) for n in d["derived_series_orders"]],
                "abelian_invariant_factors": [int(n) for n in d["abelian_invariant_factors"]],
                "defined_at": Location(**d["defined_at"]),
                "derived_factors": [
                    Factor(**{**f, "invariant_factors": [int(n) for n in f["invariant_factors"]]})
                    for f in d["derived_factors"]
                ],
                "targets": [TargetDepth(**t) for t in d["targets"]],
                "series_hint": None
                if hint is None
                else SeriesHint(hint["subgroup_orders"], [SeriesVerdict(**t) for t in hint["targets"]]),
            }
        )


def check(
    source_or_path: SourceOrPath,
    group: Optional[str] = None,
    *,
    max_elements: Optional[int] = None,
    max_cosets: Optional[int] = None,
    max_memory: Optional[int] = None,
) -> Structure:
    """Build ``group`` (a name or a group expression such as
    ``"Dihedral(8) x C2"``; default: the last group the source defines) and
    report its structure, as ``gssm check FILE [GROUP] --json``. A
    permutation group past ``max_elements`` is reported from its stabiliser
    chain, without listing its elements; its orders are exact ints however
    large. The limits
    are those of the CLI's ``--max-elements``, ``--max-cosets`` and
    ``--max-memory`` (bytes); ``None`` keeps the default."""
    path, text = _source(source_or_path)
    out, warns = _call("check", path, text, group, **_limits(max_elements, max_cosets, max_memory))
    _warn(warns)
    return Structure.from_json(json.loads(out))


# -- compile ---------------------------------------------------------------

_DTYPES = {"float32": "float32", "f32": "float32", "float64": "float64", "f64": "float64"}


def _compile(
    source_or_path: SourceOrPath,
    group: Optional[str],
    target: str,
    dtype: str,
    alphabet: str,
    bos: bool,
    limits: Dict[str, Any],
) -> Tuple[bytes, List[str]]:
    if dtype not in _DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}: choose float32 or float64")
    path, text = _source(source_or_path)
    data, warns = _call("compile", path, text, group, target, _DTYPES[dtype], alphabet, bool(bos), **limits)
    return bytes(data), warns


def compile_bytes(
    source_or_path: SourceOrPath,
    group: Optional[str],
    target: str = "aussm",
    dtype: str = "float32",
    alphabet: str = "elements",
    *,
    bos: bool = False,
    max_elements: Optional[int] = None,
    max_cosets: Optional[int] = None,
    max_memory: Optional[int] = None,
) -> bytes:
    """The weight file :func:`compile` builds its model from: the bytes
    ``gssm compile FILE -g GROUP --target T --dtype D --alphabet A [--bos]``
    writes."""
    return _compile_bytes(
        source_or_path, group, target, dtype, alphabet, bos, _limits(max_elements, max_cosets, max_memory), 1
    )


def _compile_bytes(
    source_or_path: SourceOrPath,
    group: Optional[str],
    target: str,
    dtype: str,
    alphabet: str,
    bos: bool,
    limits: Dict[str, Any],
    depth: int,
) -> bytes:
    data, warns = _compile(source_or_path, group, target, dtype, alphabet, bos, limits)
    _warn(warns, depth)
    return data


def compile(
    source_or_path: SourceOrPath,
    group: Optional[str],
    target: str = "aussm",
    dtype: str = "float32",
    alphabet: str = "elements",
    *,
    bos: bool = False,
    max_elements: Optional[int] = None,
    max_cosets: Optional[int] = None,
    max_memory: Optional[int] = None,
) -> Model:
    """Compile ``group`` (a name or a group expression; ``None``: the last
    group the source defines) for ``target`` (``aussm``, ``neg-mamba``, …)
    with float ``dtype`` (``float32``/``float64``) and token ``alphabet``
    (``elements``, ``generators`` or ``generators+inverses``): the model
    loaded from the same bytes as ``gssm compile`` writes (see
    :func:`compile_bytes`). A group the target cannot track raises
    :class:`GssmError` saying why."""
    return loads(
        _compile_bytes(
            source_or_path, group, target, dtype, alphabet, bos, _limits(max_elements, max_cosets, max_memory), 1
        )
    )


@dataclass(frozen=True)
class Dataset:
    """A word-problem dataset as ``gssm data`` writes it: ``text`` (the CSV
    or JSON lines, byte for byte the CLI's) and ``vocab`` (what the ids mean:
    token and element labels as in the weight file's manifest)."""

    text: str
    vocab: Dict[str, Any]


def data(
    source_or_path: SourceOrPath,
    group: Optional[str],
    len: int,
    count: int,
    alphabet: str = "elements",
    seed: int = 0,
    format: str = "word-problem",
    *,
    path: Optional[Union[str, "os.PathLike[str]"]] = None,
    max_bytes: int = 1 << 30,
    max_elements: Optional[int] = None,
    max_cosets: Optional[int] = None,
    max_memory: Optional[int] = None,
) -> Dataset:
    """``count`` sequences of ``len`` tokens (token ids as :func:`compile`
    numbers them for ``alphabet``) with their running products (element
    ids), drawn by SplitMix64 from ``seed``: the same bytes as ``gssm data
    FILE -g GROUP --len L --count N --alphabet A --seed S --format F``.
    ``format`` is ``word-problem`` (CSV ``seed,input,target``),
    ``word-problem-bos`` or ``jsonl``. The dataset is built in memory and
    refused beforehand when its size bound passes ``max_bytes`` (use the CLI
    to stream larger ones); with ``path`` it is also written there."""

    src_path, src_text = _source(source_or_path)
    raw, vocab, warns = _call(
        "data",
        src_path,
        src_text,
        group,
        len,
        count,
        alphabet,
        seed,
        format,
        max_bytes,
        **_limits(max_elements, max_cosets, max_memory),
    )
    _warn(warns)
    return _dataset(raw, vocab, path)


def model_data(
    model: Union[Model, bytes, "os.PathLike[str]", str],
    len: int,
    count: int,
    seed: int = 0,
    format: str = "word-problem",
    *,
    path: Optional[Union[str, "os.PathLike[str]"]] = None,
    max_bytes: int = 1 << 30,
) -> Dataset:
    """``count`` sequences of ``len`` tokens drawn from a weight file's own
    tokens (its start token never), labelled by the truth the file carries:
    its group's running products numbered as its outputs are, however large
    the group, or its automaton's states. The same bytes as ``gssm data
    --model FILE --len L --count N --seed S --format F``; ``model`` is a
    :class:`Model`, a weight file's bytes or its path. ``vocab`` has the
    file's token labels, ``outputs_count``, and the output labels up to
    65,536 of them."""
    raw, vocab = _call("model_data", _model_bytes(model), len, count, seed, format, max_bytes)
    return _dataset(raw, vocab, path)


def _dataset(raw: bytes, vocab: str, path: Optional[Union[str, "os.PathLike[str]"]]) -> Dataset:
    """The native module's dataset bytes and vocabulary JSON, also written
    to ``path`` when given."""
    if path is not None:
        with open(path, "wb") as f:
            f.write(bytes(raw))
    return Dataset(bytes(raw).decode("utf-8"), json.loads(vocab))


def _model_bytes(model: Union[Model, bytes, "os.PathLike[str]", str]) -> bytes:
    """A weight file's bytes: a model written out, bytes as they are, or a
    path's contents."""
    if isinstance(model, Model):
        from .format import dumps

        return dumps(model)
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model)
    with open(model, "rb") as f:
        return f.read()


def targets() -> List[str]:
    """The target names the compiler knows, in the order reports list them."""
    return list(_native().targets())


# -- verify ----------------------------------------------------------------


@dataclass(frozen=True)
class ProofReport:
    """The exact proof for all lengths: stored floats bit for bit, the table
    associative, and every reachable (state, token) transition reading out
    the group product."""

    ok: bool
    dtype: str
    states: int
    transitions: int
    failure: Optional[str]
    #: Why the float model is exact for every length, when the proof shows it.
    horizon: Optional[str] = None
    #: The argument, when the proof is local (checked token by token, for a
    #: group too big to search state by state); ``states`` and
    #: ``transitions`` then count the cross-check search, 0 when the group
    #: is too big for it.
    local: Optional[str] = None


@dataclass(frozen=True)
class ExhaustiveReport:
    """The float model on every sequence up to the length checked."""

    sequences: int
    mismatches: int
    first_failure: Optional[List[int]]


@dataclass(frozen=True)
class HorizonReport:
    """The first wrong step (1-based) of long random runs in ``dtype``, or
    ``None`` when every run was right up to ``max_len``."""

    dtype: str
    sequences: int
    max_len: int
    horizon: Optional[int]


@dataclass(frozen=True)
class Report:
    """What ``gssm verify --json`` reports; ``ok`` is its exit status (the
    proof, the source check if asked, the complete exhaustive check and the
    manifest's precision claims passed)."""

    group: str
    order: int
    target: str
    layers: int
    widths: List[int]
    source: Optional[str]
    proof: ProofReport
    exhaustive_length: int
    exhaustive_shard: Optional[List[int]]
    exhaustive_expected: int
    exhaustive: ExhaustiveReport
    exhaustive_dtype: str
    exhaustive_backend: str
    horizons: List[HorizonReport]
    #: Per dtype: ``{"closure": {...}, "worst_case": {...} or None}``, the
    #: precision proof (``closure["proved"]``) and, where it fails, the
    #: worst-case search.
    precision: List[Dict[str, Any]]
    #: The first of the manifest's precision claims (``proved``) that the
    #: proof does not confirm, or None when every claim holds.
    claim_failure: Optional[str]
    ok: bool

    @staticmethod
    def from_json(d: Dict[str, Any]) -> "Report":
        return Report(
            **{
                **d,
                "proof": ProofReport(**d["proof"]),
                "exhaustive": ExhaustiveReport(**d["exhaustive"]),
                "horizons": [HorizonReport(**h) for h in d["horizons"]],
            }
        )


def verify(
    model: Union[Model, bytes, SourceOrPath],
    length: Optional[int] = None,
    horizon_len: int = 1_000_000,
    *,
    horizon_seqs: int = 4,
    dtypes: Sequence[str] = ("f64", "f32", "f16", "bf16"),
    backend: Optional[str] = None,
    budget: int = 4_000_000,
    seed: int = 0,
    source: Optional[SourceOrPath] = None,
    max_elements: Optional[int] = None,
    max_cosets: Optional[int] = None,
    max_memory: Optional[int] = None,
) -> Report:
    """Verify a model as ``gssm verify MODEL --json`` does, with the same
    defaults: the proof, the exhaustive check of every sequence of length ≤
    ``length`` (default: the longest whose count fits in ``budget``) on
    ``backend`` (``jit``, ``reference`` or ``gpu``; by default jit, or
    reference for the one-layer targets and start-token models), and the precision
    horizon of ``horizon_seqs`` random runs of ``horizon_len`` steps per
    dtype (0 skips it). ``model`` is a :class:`Model` (written out with
    :func:`gssm.dumps`), a weight file's bytes, or its path. With
    ``source`` (a path or source text), the model's group must also be the
    group the source defines under the model's group name.

    A check that fails gives ``ok == False``; a check that cannot run (a
    model the loader refuses, a source whose group differs) raises
    :class:`GssmError`."""
    data = _model_bytes(model)
    src_path, src_text = (None, None) if source is None else _source(source)
    out = _call(
        "verify",
        data,
        length,
        budget,
        backend,
        horizon_seqs,
        horizon_len,
        list(dtypes),
        seed,
        src_path,
        src_text,
        **_limits(max_elements, max_cosets, max_memory),
    )
    return Report.from_json(json.loads(out))
