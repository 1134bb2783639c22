"""Reading, validating and writing gssm weight files (format versions 2, 3,
4, 5, 6 and 7).

A weight file is safetensors with real tensors only and a JSON manifest in
``__metadata__["gssm"]``. Tensor names (i = layer index from 0, F = the
manifest's float dtype, N = the number of output labels: the group order or
the automaton's number of states, V_i = the layer's token count, r_i = its
width, C_i = prod(moduli) = its number of state codes):

========================================  =====  ===========================
name                                      dtype  shape
========================================  =====  ===========================
``group.table``                           I32    [N, N], table[g, h] = g·h
``group.generators``                      I32    [number of generators]
``tokens.element``                        I32    [V_0]
``automaton.delta`` (automata, instead    I32    [V_0, N], delta[v, q] = the
of the three above)                              state q goes to on token v
``automaton.start``                       I32    [1]
``automaton.accept``                      I32    [N], 1 for accepting states
``readout`` (none in version 6)           I32    [C_0·C_1⋯C_{k-1}]
``layer.i.moduli``                        I32    [r_i]
``layer.i.coords`` (version 4, optional)  I32    [r_i], 0 phase, 1 register
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

Version 3 adds three one-layer targets that track any finite group, and the
optional manifest field ``bos`` (a start token). ``pd-ssm`` and
``deltaproduct`` carry a faithful permutation action of degree n (the
decoder's table) and their own tensors; ``rnn`` is a ReLU Elman network
(n = degree, d = state size, m = reflections per token, H = hidden units):

========================================  =====  ===========================
name                                      dtype  shape
========================================  =====  ===========================
``action.images`` (pd-ssm, deltaproduct)  I32    [N, n], images[g, j] = j·g
``action.points`` (pd-ssm, deltaproduct)  F      [n], the value marking point j
``pd.index``                              I32    [V, n], P(x) column one-hot
``pd.diag`` / ``pd.input``                F      [V, n]
``pd.h0``                                 F      [n]
``delta.basis``                           F      [n, d]
``delta.offset``                          F      [n]
``delta.k``                               F      [V, m, d]
``delta.beta`` / ``delta.v``              F      [V, m]
``delta.h0``                              F      [d]
``rnn.weight_ih``                         F      [H, V]
``rnn.weight_hh``                         F      [H, H]
``rnn.bias_ih`` / ``rnn.bias_hh``         F      [H]
``rnn.readout.weight``                    F      [N, H]
``rnn.readout.bias``                      F      [N]
========================================  =====  ===========================

A version 2 file is a version 3 file without ``bos`` and with a diagonal
target; both are read. With ``bos`` the start token is the last token, its
label ``<bos>`` and its element the identity, the model runs from the zero
state, and every layer's tables make the start token reset the state (the
rules are checked below, target by target).

Version 4 adds automata and two kinds of component. The manifest has
exactly one of ``group`` and ``automaton`` (``{"name": …}``); an automaton
model carries ``automaton.*`` instead of ``group.*`` and ``tokens.element``,
its token and output labels are the source's symbol and state names
(unique, non-empty, without spaces or control characters), its output after
x_1…x_t is the state reached from ``start`` (class ids are state ids), it
has no start token and it is always a stack of diagonal layers. A layer's
``coords`` (absent: all phases) give each component's kind:

* phase, modulus n: code c < n rotates (a = exp(2πi·c/n), b = 0), code
  n ≤ c < 2n resets (a = 0, b = exp(2πi·(c−n)/n)); digit
  round(arg h·n/2π) mod n; h0 = exp(2πi·d/n) for its initial digit d;
* register, modulus 4: code 0 keeps (a = 1, b = 0), code 1 + bit writes the
  bit (a = 1/4, b = 4·bit); digit = how many of 0.75, 2.5, 4.75 are ≤ re h
  (2·current bit + previous bit); h0 = 4·(d // 2) + d % 2.

Resets and registers need version 4. mamba and gla layers (automata only)
have phases of modulus 2 that only keep (code 0) or reset, and registers;
neg-mamba phases have modulus 2; aussm phases any modulus. Stored phases
(aussm) are 0 for resets and registers.

:func:`load` applies the same checks as the Rust loader (``runtime/src/
format.rs`` and ``runtime/src/valid``): every index an executor uses is in
bounds, floats are finite and of the stored dtype, the group table is a Latin
square with identity 0 (an automaton's transitions, start state and
acceptance flags in range), the target is known and its layer class and
transition codes respected (a group model's layers only rotate), labels are
unique words in the generators that evaluate to their elements (an
automaton's: unique names), and no manifest field or tensor is missing or
unexpected. For the version 3 targets: permutation rows (``action.images``, ``pd.index``), action rows
distinct with row 0 the identity, distinct points, β in [0, 2], and the
start-token rules. That the floats are
the construction's values and that the model computes the group product (or
the automaton's state) is left to ``gssm verify``.

Version 5 tracks a permutation group too big for a Cayley table, on a
``pd-ssm`` or an ``aussm`` model (n = the degree, k = the base length, m_i =
level i's representatives):

========================================  =====  ===========================
name                                      dtype  shape
========================================  =====  ===========================
``perm.generators`` (instead of           I32    [number of generators, n]
``group.*`` and ``tokens.element``)              images of points 0..n
``perm.tokens``                           I32    [V, n], each token's
                                                 permutation (start: identity)
``perm.base``                             I32    [k], the base points
``perm.level.i``                          I32    [m_i, n], level i's coset
                                                 representatives
========================================  =====  ===========================

The manifest's ``outputs`` is empty: output ids number the elements through
the normal form (:class:`gssm.perm.PermTruth`), and an element's label is its
cycle notation, made on demand. A pd-ssm file has no ``action.images``
(``action.points`` stays, one point per permuted point); an aussm file is a
stack of diagonal layers as in version 4 whose ``readout`` maps joint codes
to these ids (each below the group's order, which may be far above
``LoadLimits.max_order``). The loader checks it as the Rust one does, in time
polynomial in the degree and the number of levels: the permutations are
permutations of 0..n, the base has distinct points, each level has 2..n
representatives, the identity first, each fixing the earlier base points and
sending its own to a point no earlier row does; a stabiliser chain rebuilt
from ``perm.generators`` (deterministic Schreier–Sims, its work bounded)
has exactly ∏ m_i elements (at most 2^32 − 1) and holds every representative
and token; token labels evaluate, as words multiplied out in permutations,
to their tokens' permutations.

Version 6 replaces version 5's aussm files (pd-ssm files stay version 5):
an aussm stack for a solvable permutation group without a table, whose ids
number the elements along a series G = G_0 ⊳ G_1 ⊳ … ⊳ G_k = 1 with abelian
factors A_i = Z/n_i0 × … × Z/n_i(w_i-1) (:class:`gssm.perm.SeriesTruth`), so
that an element's id is exactly the stack's joint code and the file has no
``readout``. Per term i (0..k without gaps; b_i its base length, m_il level
l's representatives, w_i its factor's components):

==========================================  =====  =========================
name                                        dtype  shape
==========================================  =====  =========================
``perm.generators``                         I32    [number of generators, n]
``perm.tokens``                             I32    [V, n] (start: identity)
``perm.series.i.moduli``                    I32    [w_i], each n_ij ≥ 2
``perm.series.i.sections``                  I32    [w_i, n], s_ij ∈ G_i with
                                                   π_i(s_ij) = e_j
``perm.series.i.base``                      I32    [b_i], G_i's base points
``perm.series.i.level.l``                   I32    [m_il, n], level l's coset
                                                   representatives (identity
                                                   first), as version 5's
``perm.series.i.codes.l``                   I32    [m_il, w_i], the digits of
                                                   π_i of each representative
``layer.i.*``                                      as version 4, k layers
==========================================  =====  =========================

No ``readout``, ``perm.base`` or ``perm.level.*``. G_i is the group term i's
representatives generate; π_i : G_i → A_i sums (digit j mod n_ij) the codes
of the representatives y's sift passes through. The id of y is
code_0 + |A_0|·(code_1 + |A_1|·(…)) for c_i = π_i(y_i), y_0 = y,
y_{i+1} = y_i·σ_i(c_i)⁻¹ and σ_i(c) = s_i0^{c_0}·s_i1^{c_1}·…, code_i the
mixed-radix code of c_i (digit 0 least significant); a trivial group has no
terms, no layers and the one id 0. The loader checks, in polynomial time:
(1) per term, moduli ≥ 2, the base and levels as in version 5 (each level
2..=n representatives), code digits below their moduli, the identity's
codes (row 0 of each level) 0, sections permutations; (2) π_i is a homomorphism: the representatives u ⊕ shift(code
u), acting on the n points and on one extra cycle per prime power q of each
n_ij (rotated by c_j mod q; Z/n_ij is the product of these), generate a group of
order exactly ∏_l m_il (stabiliser chain, its degree at most
``LoadLimits.max_cell``); (3) every generator and token lies in G_0 and
``perm.generators`` generate a group of order ∏_l m_0l; (4) π_i(s_ij) = e_j;
(5) term i+1's representatives lie in G_i with π_i = 0; (6) ∏_l m_il =
|A_i|·∏_l m_(i+1)l, the last term's order is |A_{k-1}|, and ∏ |A_i| ≤
2^32 − 1; (7) the model is exactly k diagonal layers, layer i with |A_i|
state codes, and no readout. Token labels evaluate as in version 5.

Version 7 is an aussm stack for a solvable group given by a consistent
polycyclic presentation (:class:`gssm.pc.PcTruth`) whose generators f1..fn
run along the stack's series, without a readout: the manifest is as in
version 6 (``outputs`` empty, labels made on demand) and ``group.generators``
names the rows of ``pc.generators``, in which token labels are words (n pc
generators, k terms, V tokens, g named generators; every exponent e_l of
every vector below r_l):

==========================================  =====  =========================
name                                        dtype  shape
==========================================  =====  =========================
``pc.orders``                               I32    [n], relative orders r_j
``pc.powers``                               I32    [n, n], row j f_j^{r_j}
                                                   (entries 0..=j zero)
``pc.conjugates``                           I32    [n, n, n], [i, j] =
                                                   f_j^{f_i} = f_i⁻¹·f_j·f_i
                                                   for i < j (entries 0..=i
                                                   zero); rows i ≥ j zero
``pc.terms``                                I32    [k], generators per term:
                                                   blocks B_0, B_1, … of f1..fn
``pc.generators``                           I32    [g, n], each named
                                                   generator's exponents
``pc.tokens``                               I32    [V, n] (start: all 0)
``layer.i.*``                                      as version 4, k layers
==========================================  =====  =========================

No ``readout``, ``group.*`` or ``perm.*``. With w_i(c) = f_s^{c_0}·f_{s+1}^{c_1}⋯
the word in block i's generators, every element is uniquely
x = w_{k-1}(c_{k-1})⋯w_1(c_1)·w_0(c_0) (the blocks in reverse order, as
version 6's sections), and its id is the digits c_0, c_1, … read as one
mixed-radix number with f1's digit least significant, the stack's joint
code (rank: c_i = block i's exponents of x's normal word, then
x ← x·w_i(c_i)⁻¹); its label is the normal word of x ("f1*f3^2",
"<identity>" for id 0). The loader checks: (1)
shapes, r_j ≥ 2 and ∏ r_j ≤ 2^32 − 1 (from ``pc.orders`` before the other
tensors are used), the relations' exponents in range and zero where stated;
(2) consistency: Wamsley's overlaps (Sims 9.8; for k > j > i
(f_k f_j) f_i = f_k (f_j f_i), for j > i (f_j^{r_j}) f_i =
f_j^{r_j−1} (f_j f_i) and f_j (f_i^{r_i}) = (f_j f_i) f_i^{r_i−1}, for every j
(f_j^{r_j}) f_j = f_j (f_j^{r_j})) collect alike, at most
``LoadLimits.max_pc_work`` collection steps in all; (3) ``pc.terms`` are
blocks of at least one generator partitioning f1..fn; for a < b in one block
``pc.conjugates[a, b]`` is the unit vector at b on the block's positions and
``pc.powers[a]`` zero there, and for b in a later block
``pc.conjugates[a, b]`` is zero on a's block (each term normal in the one
before, with an abelian factor whose coordinates are the block's
exponents); (4) the target is aussm, the model exactly k diagonal layers,
layer i with ∏_{j∈B_i} r_j codes, and no readout; (5) ``pc.generators`` and
``pc.tokens`` in range, token labels evaluate (collected in the
presentation) to their tokens' elements, a start token's row is 0.
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

from .perm import (
    MAX_PERM_ORDER,
    Chain,
    ChainError,
    ChainLimits,
    ChainTooLarge,
    PermTruth,
    SeriesTerm,
    SeriesTruth,
    cycle_notation,
)
from .pc import CollectionLimit, PcInconsistent, PcTruth, gen_name, pc_word

if TYPE_CHECKING:  # pragma: no cover
    from .model import Model

FORMAT_NAME = "gssm-weights"
#: The version writers write for a model with a Cayley table or an automaton.
FORMAT_VERSION = 4
#: The version of a permutation group without a table (``perm.*``).
FORMAT_VERSION_PERM = 5
#: The version of an aussm stack numbering a permutation group along a
#: series (``perm.series.*``, no readout).
FORMAT_VERSION_SERIES = 6
#: The version of an aussm stack numbering a solvable group by a pc
#: presentation (``pc.*``, no readout).
FORMAT_VERSION_PC = 7
#: The versions this reader reads: a version 2 file is a version 3 file
#: without ``bos``, with a diagonal target; version 4 adds automata,
#: registers and resets; version 5 permutation groups without a table;
#: version 6 their aussm stacks numbered along a series; version 7 solvable
#: groups numbered by a pc presentation.
READ_VERSIONS = (2, 3, 4, 5, 6, 7)
MANIFEST_KEY = "gssm"
#: The one product convention of gssm models (Rust ``ir::CONVENTION``).
CONVENTION = "left-to-right: y_t = x_1*x_2*...*x_t; for permutations p*q applies p first (GAP)"
#: Targets with diagonal layers (``layer.i.*`` and ``readout``).
DIAGONAL_TARGETS = ("aussm", "neg-mamba", "mamba", "gla", "s4d")
#: One-layer targets of format version 3, each with its own tensors.
ACTION_TARGETS = ("pd-ssm", "deltaproduct")
#: Targets that track a permutation group without a table (format version
#: 5; Rust ``valid::validate``).
PERM_TARGETS = ("pd-ssm", "aussm")
#: Targets that track a permutation group numbered along a series (format
#: version 6).
SERIES_TARGETS = ("aussm",)
#: Targets that track a group numbered by a pc presentation (format
#: version 7).
PC_TARGETS = ("aussm",)
#: Targets a file may name (Rust ``valid::TargetKind``).
TARGETS = DIAGONAL_TARGETS + ("rnn",) + ACTION_TARGETS
#: The start token's label, the one token label that is not a word.
BOS_LABEL = "<bos>"
#: What executors return for a step whose state decodes to no element
#: (pd-ssm and deltaproduct), printed as ``?``.
UNDECODABLE = 0xFFFFFFFF
#: Largest weight file read (as the CLI): a huge file fails fast.
MAX_MODEL_BYTES = 1 << 30

PathLike = Union[str, "os.PathLike[str]"]

# Rust i32 entries are read as u32: anything negative is out of this range.
_I32_BOUND = 1 << 31
_MANIFEST_FIELDS = ("format", "format_version", "compiler", "group", "automaton", "convention", "target", "dtype")
_MANIFEST_FIELDS += ("bos", "tokens", "outputs", "proved")
_MANIFEST_FIELDS_V3 = tuple(f for f in _MANIFEST_FIELDS if f not in ("automaton", "proved"))
_MANIFEST_FIELDS_V2 = tuple(f for f in _MANIFEST_FIELDS_V3 if f != "bos")
_GROUP_FIELDS = ("name", "generators")
_AUTOMATON_FIELDS = ("name",)
_PROVED_FIELDS = ("dtype", "states", "fused")
#: The arithmetics a precision claim may name (Rust ``scalar::Dtype``).
PROOF_DTYPES = ("f64", "f32", "f16", "bf16")
#: Component kinds of ``layer.i.coords``.
COORD_PHASE, COORD_REGISTER = 0, 1
#: A register's digit is how many of these are ≤ re h (Rust
#: ``ir::REGISTER_THRESHOLDS``).
REGISTER_THRESHOLDS = (0.75, 2.5, 4.75)
_DTYPES = {"float32": ("F32", np.float32), "float64": ("F64", np.float64)}


def target_is_diagonal(target: str) -> bool:
    """Whether the target's files carry diagonal layers and a readout table
    (every target of format version 2)."""
    return target in DIAGONAL_TARGETS


def target_has_layers(target: str) -> bool:
    """Whether a target's layers can track a group; the others track only
    the trivial group and have no layers in a group model (mamba and gla
    layers keep and reset, which only an automaton model uses)."""
    return target in ("aussm", "neg-mamba")


def target_has_phases(target: str) -> bool:
    """Whether the target's files carry ``layer.i.transition.phase``."""
    return target == "aussm"


def target_rotates(target: str) -> bool:
    """Whether a phase component of the target may rotate; mamba and gla
    phases only keep and reset (a ∈ {0, 1})."""
    return target in ("aussm", "neg-mamba")


def target_allows_modulus(target: str, n: int) -> bool:
    """Whether one layer of the target can carry a phase component of
    modulus n: AUSSM any root of unity, neg-mamba ±1 (rotating by −1), mamba
    and gla ±1 (reset only)."""
    if target == "aussm":
        return True
    return target in ("neg-mamba", "mamba", "gla") and n == 2


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
    #: Largest permutation degree of a group without a table (format
    #: version 5; also its stabiliser chain's degree limit).
    max_cell: int = 1 << 13
    #: Most point operations the stabiliser chain of a version 5 file may
    #: take to build (Rust ``chain::DEFAULT_MAX_WORK``), and its membership
    #: checks.
    max_chain_work: int = 20_000_000_000
    #: Most collection steps (multiplications by one pc generator) checking
    #: a version 7 presentation and evaluating its token labels may take.
    #: Python collects far slower than Rust, whose compiler allows
    #: 200 000 000; a presentation built to make collection explode fails
    #: with a :class:`LimitError` rather than hanging.
    max_pc_work: int = 10_000_000


@dataclass(frozen=True)
class GroupInfo:
    name: str
    generators: List[str]


@dataclass(frozen=True)
class AutomatonInfo:
    #: The automaton's name as the source gave it (provenance).
    name: str


@dataclass(frozen=True)
class ProvedDtype:
    """A dtype whose horizon ``gssm compile --precision`` proved infinite:
    every rotating component's rounded orbit closes on ``states`` (float
    state, digit) pairs in all, also with fused multiply-adds when
    ``fused``. A claim that ``gssm verify`` proves again."""

    dtype: str
    states: int
    fused: bool


@dataclass(frozen=True)
class Manifest:
    """The JSON manifest (``__metadata__["gssm"]``). It repeats no size:
    those come from the tensors (see :class:`gssm.Model`). Exactly one of
    ``group`` and ``automaton`` is set (``automaton`` from format version 4)."""

    format: str
    format_version: int
    compiler: str
    group: Optional[GroupInfo]
    convention: str
    target: str
    dtype: str
    tokens: List[str]
    outputs: List[str]
    #: The start token's id (format version 3), or None: no start token.
    bos: Optional[int] = None
    raw: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: The tracked automaton (format version 4), or None: a group.
    automaton: Optional[AutomatonInfo] = None
    #: The dtypes proved exact for every length (format version 4).
    proved: List[ProvedDtype] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The tracked group's or automaton's name."""
        if self.group is not None:
            return self.group.name
        return self.automaton.name if self.automaton is not None else ""

    def to_json(self) -> str:
        """Serialise with the Rust field order (so rewriting is byte-stable).
        ``bos`` is written when it is set or when the file read had the field
        (``"bos": null`` stays); otherwise it is omitted."""
        d: Dict[str, Any] = {
            "format": self.format,
            "format_version": self.format_version,
            "compiler": self.compiler,
        }
        if self.group is not None:
            d["group"] = {"name": self.group.name, "generators": list(self.group.generators)}
        if self.automaton is not None:
            d["automaton"] = {"name": self.automaton.name}
        d.update(convention=self.convention, target=self.target, dtype=self.dtype)
        if self.bos is not None or "bos" in self.raw:
            d["bos"] = self.bos
        d["tokens"] = list(self.tokens)
        d["outputs"] = list(self.outputs)
        if self.proved:
            d["proved"] = [{"dtype": p.dtype, "states": p.states, "fused": p.fused} for p in self.proved]
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
    #: int64 [r]: each component's kind (COORD_PHASE, COORD_REGISTER), as
    #: ``layer.i.coords``; None (no tensor) means every component is a phase.
    coords: Optional[np.ndarray] = None

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
    def coord_kinds(self) -> np.ndarray:
        """int64 [r]: each component's kind, 0 (phase) where no ``coords``."""
        if self.coords is None:
            return np.zeros(self.width, np.int64)
        return np.asarray(self.coords, np.int64)

    @property
    def registers(self) -> np.ndarray:
        """bool [r]: which components are registers."""
        return self.coord_kinds == COORD_REGISTER

    @property
    def is_group_layer(self) -> bool:
        """Whether every component is a phase that only rotates, so the
        layer tracks an abelian group (every layer of a group model)."""
        tc = np.asarray(self.transition_code)
        return not self.registers.any() and bool((tc < np.asarray(self.moduli)[None, :]).all())

    def _group_layer(self) -> None:
        if not self.is_group_layer:
            raise ValueError("this layer has registers or resets (an automaton model's): it tracks no abelian group")

    @property
    def factor_order(self) -> int:
        """Order of the abelian factor the layer tracks: its number of codes."""
        self._group_layer()
        return self.num_codes

    @property
    def prime_power_invariants(self) -> List[int]:
        """Elementary divisors of Z_{n_0} × Z_{n_1} × ⋯, ascending."""
        self._group_layer()
        return sorted(q for n in np.asarray(self.moduli).tolist() for _, q in _prime_powers(int(n)))

    @property
    def invariant_factors(self) -> List[int]:
        """Invariant factors d_1 | d_2 | ⋯ of the same group, ascending (the
        moduli themselves when they are already in that form, as the
        compiler writes them)."""
        self._group_layer()
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


@dataclass
class AutomatonTruth:
    """An automaton model's ground truth, as the file carries it: output t
    is the state reached from ``start`` by tokens x_1…x_t."""

    delta: np.ndarray  # int64 [V, S], delta[v, q] = the state q goes to on v
    start: int
    accept: np.ndarray  # int64 [S], 1 for accepting states

    @property
    def num_states(self) -> int:
        return int(np.shape(self.accept)[0])

    def next(self, q: int, v: int) -> int:
        return int(self.delta[v, q])

    def accepts(self, q: int) -> bool:
        return bool(self.accept[q])


@dataclass(frozen=True)
class GroupTruth:
    """A group model's ground truth: the Cayley table, each generator's and
    each token's element (views of the model's own arrays)."""

    table: np.ndarray  # int64 [N, N]
    generators: np.ndarray  # int64 [number of generators]
    token_elements: np.ndarray  # int64 [V]


@dataclass
class Action:
    """A faithful right action of the group on n points (pd-ssm and
    deltaproduct): ``images[g, j]`` = j·g, and the value marking each point.
    ``images`` is None for a permutation group without a table (format
    version 5), whose normal form numbers the arrangements instead."""

    images: Optional[np.ndarray]  # int64 [N, n]
    points: np.ndarray  # F [n]

    @property
    def degree(self) -> int:
        if self.images is None:
            return int(np.shape(self.points)[0])
        return int(np.shape(self.images)[1])


@dataclass
class PdLayer:
    """The pd-ssm layer: h' = P(x)·D(x)·h + b(x), P(x) column one-hot with
    its 1 of column j in row ``index[x, j]``."""

    index: np.ndarray  # int64 [V, n]
    diag: np.ndarray  # F [V, n]
    input: np.ndarray  # F [V, n]
    h0: np.ndarray  # F [n]


@dataclass
class DeltaLayer:
    """The deltaproduct layer: per token m generalised Householder factors
    h ← h + β·k·(v − k·h), the first acting first; points are read as
    x = basis·h + offset."""

    basis: np.ndarray  # F [n, d]
    offset: np.ndarray  # F [n]
    k: np.ndarray  # F [V, m, d]
    beta: np.ndarray  # F [V, m]
    v: np.ndarray  # F [V, m]
    h0: np.ndarray  # F [d]

    @property
    def dim(self) -> int:
        """d, the state size."""
        return int(np.shape(self.basis)[1])

    @property
    def num_reflections(self) -> int:
        """m, the factors per token."""
        return int(np.shape(self.k)[1])


@dataclass
class RnnLayer:
    """The Elman RNN (ReLU) of ``torch.nn.RNN`` and its linear readout."""

    weight_ih: np.ndarray  # F [H, V]
    weight_hh: np.ndarray  # F [H, H]
    bias_ih: np.ndarray  # F [H]
    bias_hh: np.ndarray  # F [H]
    readout_weight: np.ndarray  # F [N, H]
    readout_bias: np.ndarray  # F [N]

    @property
    def hidden_size(self) -> int:
        return int(np.shape(self.weight_hh)[0])


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
        self.inverses: List[Optional[Any]] = [None] * len(self.generators)

    def _identity(self) -> Any:
        return 0

    def _mul(self, g: int, h: int) -> int:
        return int(self.table[g, h])

    def show(self, g: Any) -> str:
        """An element, for messages."""
        return f"element {g}"

    def same(self, a: Any, b: Any) -> bool:
        return bool(a == b)

    def eval(self, label: str) -> Any:
        """The element a label names; :class:`InconsistentError` saying why
        it names none otherwise."""
        if label == "e":
            return self._identity()
        if label == "":
            raise InconsistentError("the label is empty")
        acc = self._identity()
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

    def _pow(self, i: int, exp: int) -> Any:
        b = self._inverse(i) if exp < 0 else self.generators[i]
        e, acc = abs(exp), self._identity()
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


class PermWords(Words):
    """:class:`Words` over permutations multiplied directly (format version
    5, Rust ``valid::Perms``): elements are image arrays, p·q applies p
    first."""

    def __init__(self, generators: np.ndarray, names: Sequence[str]):
        self.generators = [np.asarray(g, np.int64) for g in generators]
        self.degree = int(np.shape(generators)[1]) if np.ndim(generators) == 2 else 0
        self.index = {n: i for i, n in enumerate(names)}
        self.inverses = [None] * len(self.generators)

    def _identity(self) -> np.ndarray:
        return np.arange(self.degree, dtype=np.int64)

    def _mul(self, g: np.ndarray, h: np.ndarray) -> np.ndarray:  # type: ignore[override]
        return h[g]

    def _inverse(self, i: int) -> np.ndarray:  # type: ignore[override]
        inv = self.inverses[i]
        if inv is None:
            g = self.generators[i]
            inv = np.empty_like(g)
            inv[g] = np.arange(g.shape[0])
            self.inverses[i] = inv
        return inv

    def show(self, g: Any) -> str:
        return cycle_notation(g)

    def same(self, a: Any, b: Any) -> bool:
        return bool(np.array_equal(a, b))


class PcWords(Words):
    """:class:`Words` over a pc group's exponent vectors, multiplied by
    collection (format version 7): the named generators are the rows of
    ``pc.generators``; elements show as their normal words ("f1*f2^2")."""

    def __init__(self, truth: PcTruth, names: Sequence[str], max_work: Optional[int] = None):
        self.col = truth.collector(max_work)
        self.generators = [[int(x) for x in g] for g in np.asarray(truth.generators).tolist()]
        self.index = {n: i for i, n in enumerate(names)}
        self.inverses = [None] * len(self.generators)

    def _identity(self) -> List[int]:
        return self.col.identity()

    def _mul(self, g: List[int], h: List[int]) -> List[int]:  # type: ignore[override]
        return self.col.mul(g, h)

    def _inverse(self, i: int) -> List[int]:  # type: ignore[override]
        inv = self.inverses[i]
        if inv is None:
            inv = self.inverses[i] = self.col.inverse(self.generators[i])
        return inv

    def show(self, g: Any) -> str:
        return pc_word(g)

    def same(self, a: Any, b: Any) -> bool:
        return [int(x) for x in a] == [int(x) for x in b]


# --------------------------------------------------------------------------
# Manifest parsing


_KINDS: Dict[str, Tuple[Callable[[Any], bool], str]] = {
    "str": (lambda v: isinstance(v, str), "a string"),
    "uint": (lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < (1 << 32), "a non-negative integer"),
    "str_list": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of strings"),
    "obj": (lambda v: isinstance(v, dict), "an object"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "list": (lambda v: isinstance(v, list), "a list"),
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
                " (the manifest stores no sizes)"
            )


def _versions() -> str:
    vs = [str(v) for v in READ_VERSIONS]
    return ", ".join(vs[:-1]) + " and " + vs[-1]


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
    if ver not in READ_VERSIONS:
        older = (
            "; the file was written by an older gssm, so compile its source again with this one"
            if ver < min(READ_VERSIONS)
            else ""
        )
        raise VersionError(f"format version {ver} is not supported: this reader reads versions {_versions()}{older}")
    if ver < 3 and "bos" in d:
        raise ManifestError(f"field `bos` (a start token) needs format version 3, but the file is version {ver}")
    if ver < 4 and "automaton" in d:
        raise ManifestError(f"field `automaton` needs format version 4, but the file is version {ver}")
    _no_unknown(d, _MANIFEST_FIELDS if ver >= 4 else _MANIFEST_FIELDS_V3 if ver == 3 else _MANIFEST_FIELDS_V2)
    # null is an absent field, as serde reads an Option.
    has_group, has_automaton = d.get("group") is not None, d.get("automaton") is not None
    if has_group and has_automaton:
        raise ManifestError("the manifest must describe exactly one of `group` and `automaton`, but it has both")
    group = automaton = None
    if has_automaton:
        a = _req(d, "automaton", "obj")
        _no_unknown(a, _AUTOMATON_FIELDS, "automaton")
        automaton = AutomatonInfo(name=_req(a, "name", "str", "automaton"))
    elif ver >= 4 and not has_group:
        raise ManifestError("the manifest must describe exactly one of `group` and `automaton`, but it has neither")
    else:
        g = _req(d, "group", "obj")
        _no_unknown(g, _GROUP_FIELDS, "group")
        group = GroupInfo(name=_req(g, "name", "str", "group"), generators=list(_req(g, "generators", "str_list", "group")))
    proved = _parse_proved(d.get("proved", []))
    bos = d.get("bos")
    if bos is not None and not _KINDS["uint"][0](bos):
        raise ManifestError(f"field `bos` must be null or a token id, found {bos!r}")
    return Manifest(
        format=fmt,
        format_version=ver,
        compiler=_req(d, "compiler", "str"),
        group=group,
        convention=_req(d, "convention", "str"),
        target=_req(d, "target", "str"),
        dtype=_req(d, "dtype", "str"),
        tokens=list(_req(d, "tokens", "str_list")),
        outputs=list(_req(d, "outputs", "str_list")),
        bos=bos,
        raw=d,
        automaton=automaton,
        proved=proved,
    )


def _parse_proved(v: Any) -> List[ProvedDtype]:
    """The precision claims: each arithmetic named once (whether they hold
    is ``gssm verify``'s to prove)."""
    if not _KINDS["list"][0](v):
        raise ManifestError(f"field `proved` must be a list, found {v!r}")
    out: List[ProvedDtype] = []
    for i, p in enumerate(v):
        where = f"proved[{i}]"
        if not isinstance(p, dict):
            raise ManifestError(f"`{where}` must be an object, found {p!r}")
        _no_unknown(p, _PROVED_FIELDS, where)
        dt = _req(p, "dtype", "str", where)
        if dt not in PROOF_DTYPES:
            raise ManifestError(f"manifest `{where}.dtype` is '{dt}', expected f64, f32, f16 or bf16")
        if any(q.dtype == dt for q in out):
            raise ManifestError(f"manifest `proved` names {dt} twice")
        out.append(ProvedDtype(dtype=dt, states=_req(p, "states", "uint", where), fused=_req(p, "fused", "bool", where)))
    return out


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

    def declared(self, name: str, ndim: int, want: str) -> List[int]:
        """The shape the header declares for a tensor, before its data is
        converted, so sizes can be bounded first; ``want`` describes the
        expected shape for the message."""
        info = self.header.get(name)
        if name not in self.tensors or not isinstance(info, dict):
            raise MissingTensorError(f"tensor `{name}` is missing")
        found = info.get("shape", [])
        if not isinstance(found, list) or len(found) != ndim:
            raise ShapeError(f"tensor `{name}` has shape {found}, expected {want}")
        return [int(x) for x in found]

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
    if m.format_version not in READ_VERSIONS:
        raise VersionError(f"format version {m.format_version} is not supported: this reader reads versions {_versions()}")
    if m.convention != CONVENTION:
        raise InconsistentError(f"manifest field `convention` is '{m.convention}', but gssm models use '{CONVENTION}'")
    if m.dtype not in _DTYPES:
        raise ManifestError(f"manifest field `dtype` is '{m.dtype}', expected float32 or float64")
    if m.target not in TARGETS:
        raise InconsistentError(f"manifest field `target` is '{m.target}', not a known target ({', '.join(TARGETS)})")
    if m.format_version < 3:
        if not target_is_diagonal(m.target):
            raise InconsistentError(f"target {m.target} needs format version 3, but the file is version {m.format_version}")
        if m.bos is not None:
            raise InconsistentError(f"a start token (`bos`) needs format version 3, but the file is version {m.format_version}")
    fdt = m.dtype

    aut = model.automaton
    perm = model.perm
    pc = model.pc
    pc_words: Optional[PcWords] = None
    if pc is not None:
        # A solvable group numbered by a pc presentation (format version 7):
        # what it is and which target tracks it, then its checks.
        if perm is not None or aut is not None or m.automaton is not None or m.group is None or model.group_table is not None:
            raise InconsistentError(
                "the manifest must describe what the tensors track: a group numbered by a pc presentation "
                "(`pc.*`) is a `group` without `group.*` or `perm.*` tensors"
            )
        if m.target not in PC_TARGETS:
            raise InconsistentError(
                f"a group numbered by a pc presentation (`pc.*`) is tracked by aussm models only, not {m.target}"
            )
        names, v0, pc_words = _check_pc(model, limits)
        n = pc.order
    elif perm is not None:
        # A permutation group without a table (format version 5 or 6): its
        # truth first, as the Rust validator checks it before the order.
        if aut is not None or m.automaton is not None or m.group is None or model.group_table is not None:
            raise InconsistentError(
                "the manifest must describe what the tensors track: a permutation group without a table "
                "(`perm.*`) is a `group` without `group.*` tensors"
            )
        if isinstance(perm, SeriesTruth):
            # The target first: only an aussm stack's joint code numbers
            # the elements along the series.
            if m.target not in SERIES_TARGETS:
                raise InconsistentError(
                    "a permutation group numbered along a series (`perm.series.*`) is tracked by aussm models only, "
                    f"not {m.target}"
                )
            names, v0 = _check_series(model, limits)
        else:
            names, v0 = _check_perm(model, limits)
            if m.target not in PERM_TARGETS:
                raise InconsistentError(
                    "a permutation group without a table (`perm.*`) is tracked by pd-ssm and aussm models only, "
                    f"not {m.target}"
                )
        n = perm.order
    else:
        n = len(m.outputs)
        if n == 0 or n > limits.max_order:
            raise LimitError(
                f"{n} output labels (the group's order or the automaton's number of states) is outside 1..={limits.max_order}"
            )
        if m.format_version == FORMAT_VERSION_PERM:
            raise InconsistentError(
                "format version 5 files track a permutation group without a table (`perm.*`); "
                "this file has another truth, so it is version 4"
            )
        if m.format_version == FORMAT_VERSION_SERIES:
            raise InconsistentError(
                "format version 6 files track a permutation group without a table (`perm.*`); "
                "this file has another truth, so it is version 4"
            )
        if m.format_version == FORMAT_VERSION_PC:
            raise InconsistentError(
                "format version 7 files track a group numbered by a pc presentation (`pc.*`); "
                "this file has another truth, so it is version 4"
            )
        if (aut is not None, m.automaton is not None, m.group is not None, model.group_table is not None) not in (
            (False, False, True, True),
            (True, True, False, False),
        ):
            raise InconsistentError(
                "the manifest must describe what the tensors track: `group` with `group.*` tensors, "
                "or `automaton` with `automaton.*` tensors"
            )
    tok = None
    if aut is not None:
        v0 = _check_automaton(model, n, limits)
        bos = None
    elif perm is not None or pc is not None:
        bos = m.bos
    else:
        table, gens, names, tok, v0 = _check_group(model, n, limits)
        bos = m.bos
    if bos is not None:
        if bos != v0 - 1:
            raise InconsistentError(
                f"manifest `bos` is {bos}, but the start token must be the last token ({v0 - 1} of {v0})"
            )
        if m.tokens[bos] != BOS_LABEL:
            raise InconsistentError(f"manifest `tokens[{bos}]` is '{m.tokens[bos]}', but the start token's label is '{BOS_LABEL}'")
        if tok is not None and tok[bos] != 0:
            raise InconsistentError(f"`tokens.element` entry {bos} (the start token) is {int(tok[bos])}, but must be 0, the identity")
        if perm is not None and not np.array_equal(perm.tokens[bos], np.arange(perm.degree)):
            raise InconsistentError(f"`perm.tokens` row {bos} (the start token) must be the identity")
        if pc is not None and np.any(np.asarray(pc.tokens)[bos] != 0):
            raise InconsistentError(f"`pc.tokens` row {bos} (the start token) must be all 0, the identity")

    if target_is_diagonal(m.target):
        for what, part in (("action", model.action), ("pd-ssm layer", model.pd), ("deltaproduct layer", model.delta), ("rnn", model.rnn)):
            if part is not None:
                raise InconsistentError(f"the model has an {what}, but target {m.target} has diagonal layers only")
        _check_diagonal(model, n, v0, fdt, limits)
    else:
        if m.proved:
            raise InconsistentError("manifest `proved` is for diagonal models; a one-layer cell has its own proof")
        if aut is not None:
            raise InconsistentError(
                f"an automaton model is a stack of diagonal layers, but target {m.target} is a one-layer cell"
            )
        if model.layers:
            raise InconsistentError(f"target {m.target} has no diagonal layers, but the model has {len(model.layers)}")
        if model.readout is not None:
            raise InconsistentError(f"`readout` is present, but target {m.target} has no readout table")
        others = {"rnn": model.rnn, "pd-ssm": model.pd, "deltaproduct": model.delta}
        for t, part in others.items():
            if t != m.target and part is not None:
                raise InconsistentError(f"the model has a {t} layer, but its target is {m.target}")
        if m.target == "rnn":
            if model.action is not None:
                raise InconsistentError("the model has an action table, but target rnn has none")
            _check_rnn(model.rnn, n, v0, fdt, limits)
        else:
            deg = _check_action(model.action, n, fdt, limits, perm)
            if m.target == "pd-ssm":
                _check_pd(model.pd, v0, deg, fdt, limits, bos)
            else:
                _check_delta(model.delta, v0, deg, fdt, limits, bos)

    if aut is not None:
        # Labels: the source's symbol and state names.
        _check_names("outputs", m.outputs)
        _check_names("tokens", m.tokens)
    elif pc_words is not None:
        # 5: output labels are made on demand; token labels are words in
        # `group.generators`, collected in the presentation.
        try:
            _check_labels("tokens", m.tokens, pc_words, np.asarray(pc.tokens).tolist(), bos)
        except CollectionLimit as e:
            raise LimitError(f"evaluating the token labels in the pc presentation took more than {e.limit} collection steps") from None
    elif perm is not None:
        # Output labels are made on demand; token labels are words,
        # multiplied out in permutations.
        _check_labels("tokens", m.tokens, PermWords(perm.generators, names), list(perm.tokens), bos)
    else:
        # Labels: unique words that evaluate to their elements.
        words = Words(table, gens.tolist(), names)
        _check_labels("outputs", m.outputs, words, list(range(n)))
        _check_labels("tokens", m.tokens, words, tok.tolist(), bos)


def _check_group(model: "Model", n: int, limits: LoadLimits) -> Tuple[np.ndarray, np.ndarray, List[str], np.ndarray, int]:
    """The group table, generators and token elements; returns them with
    the generator names and the token count."""
    m = model.manifest
    assert m.group is not None
    table = _ints("group.table", model.group_table, [n, n])
    _check_range("group.table", table, n)
    _check_latin_square(table, n)
    names = _check_generator_names(m.group, limits)
    gens = _ints("group.generators", model.generators, [len(names)])
    _check_range("group.generators", gens, n)

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
    return table, gens, names, tok, v0


def _check_generator_names(group: GroupInfo, limits: LoadLimits) -> List[str]:
    """Generator names: few enough, identifiers, unique."""
    names = list(group.generators)
    if len(names) > limits.max_table:
        raise LimitError(f"{len(names)} generators")
    seen = set()
    for i, name in enumerate(names):
        try:
            check_generator_name(name)
        except InconsistentError as e:
            raise InconsistentError(f"manifest `group.generators[{i}]`: {e}") from None
        if name in seen:
            raise InconsistentError(f"manifest `group.generators` names '{name}' twice")
        seen.add(name)
    return names


def _check_perm_table(name: str, a: Any, rows: int, deg: int) -> np.ndarray:
    """``rows`` permutations of 0..deg (an entry out of range is no
    permutation either, as in Rust), as int64 [rows, deg]."""
    a = np.asarray(a)
    if a.ndim != 2 or a.shape[1] != deg:
        raise ShapeError(f"tensor `{name}` has shape {list(a.shape)}, expected [{rows}, {deg}]")
    if a.shape[0] != rows:
        raise InconsistentError(f"`{name}` has {a.shape[0]} rows, expected {rows}")
    a = _ints(name, a, [rows, deg])
    bad = np.flatnonzero((np.sort(a, axis=1) != np.arange(deg)).any(axis=1))
    if bad.size:
        raise InconsistentError(f"`{name}` row {int(bad[0])} is not a permutation of 0..{deg - 1}")
    return a


def _check_perm_common(model: "Model", limits: LoadLimits) -> Tuple[List[str], int, int, np.ndarray]:
    """What both truths of a permutation group without a table need (format
    versions 5 and 6): no listed outputs, and the generators and tokens
    permutations of the same points. Returns the generator names, the token
    count, the degree and the generators."""
    m = model.manifest
    p = model.perm
    assert p is not None and m.group is not None
    if m.outputs:
        raise InconsistentError(
            "manifest `outputs` must be empty for a permutation group without a table: "
            "an element's label is its cycle notation, made on demand"
        )
    v0 = len(m.tokens)
    if v0 == 0 or v0 > limits.max_table:
        raise LimitError(f"{v0} tokens (need 1..={limits.max_table})")
    if np.ndim(p.tokens) != 2:
        raise ShapeError(f"tensor `perm.tokens` has shape {list(np.shape(p.tokens))}, expected [{v0}, degree]")
    deg = p.degree
    if deg == 0 or deg > limits.max_cell:
        raise LimitError(f"the permutations have degree {deg} (need 1..={limits.max_cell})")
    names = _check_generator_names(m.group, limits)
    gens = _check_perm_table("perm.generators", p.generators, len(names), deg)
    _check_perm_table("perm.tokens", p.tokens, v0, deg)
    return names, v0, deg, gens


def _check_base(name: str, base: Any, deg: int) -> np.ndarray:
    """A base: at most ``deg`` distinct points of 0..deg, as int64."""
    if np.ndim(base) != 1:
        raise ShapeError(f"tensor `{name}` has shape {list(np.shape(base))}, expected [base length]")
    base = _ints(name, base, [np.shape(base)[0]])
    k = int(base.shape[0])
    if k > deg:
        raise InconsistentError(f"`{name}` has {k} points, more than the degree {deg}")
    _check_range(name, base, deg)
    seen = set()
    for b in base.tolist():
        if b in seen:
            raise InconsistentError(f"`{name}` repeats point {b}")
        seen.add(b)
    return base


def _check_level(name: str, reps: Any, i: int, base: np.ndarray, deg: int) -> np.ndarray:
    """Level i of a normal form: 2..=deg permutations, the identity first,
    each fixing the earlier base points and sending base point i where no
    earlier row does (so the levels' products are distinct)."""
    b = int(base[i])
    # A level of one representative numbers nothing; without them the
    # levels are at most log2 |G| <= 32, which bounds the checks after.
    mi = int(np.shape(reps)[0]) if np.ndim(reps) == 2 else 0
    if mi < 2 or mi > deg:
        raise InconsistentError(f"`{name}` has {mi} representatives (need 2..={deg})")
    reps = _check_perm_table(name, reps, mi, deg)
    if not np.array_equal(reps[0], np.arange(deg)):
        raise InconsistentError(f"`{name}` row 0 is not the identity")
    earlier = base[:i]
    moves = np.flatnonzero((reps[:, earlier] != earlier[None, :]).any(axis=1))
    _, first = np.unique(reps[:, b], return_index=True)
    repeats = np.setdiff1d(np.arange(mi), first)
    # The first offending row, as a row-by-row check finds it.
    if moves.size and (not repeats.size or moves[0] <= repeats[0]):
        r = int(moves[0])
        c = int(earlier[np.flatnonzero(reps[r, earlier] != earlier)[0]])
        raise InconsistentError(f"`{name}` row {r} moves base point {c} of an earlier level")
    if repeats.size:
        raise InconsistentError(f"`{name}` row {int(repeats[0])} sends base point {b} where an earlier row does")
    return reps


def _level_count_order(levels: Sequence[Any]) -> int:
    """∏ m_l from the levels' shapes (0 for a level that is no table)."""
    order = 1
    for reps in levels:
        order *= int(np.shape(reps)[0]) if np.ndim(reps) == 2 else 0
    return order


def _chain_limits(limits: LoadLimits) -> ChainLimits:
    return ChainLimits(max_degree=limits.max_cell, max_work=limits.max_chain_work)


def _generated_chain(deg: int, gens: np.ndarray, limits: LoadLimits, what: str, order: int) -> Chain:
    """The stabiliser chain of the group ``perm.generators`` generate, which
    must have ``order`` elements (``what`` describes them). Building stops
    once the group is known to have more elements than any valid file's
    levels describe, so the chain never grows past 2^32 - 1 elements (at
    most 32 levels) whatever the generators."""
    try:
        chain = Chain.generated(deg, list(gens), _chain_limits(limits), max_order=MAX_PERM_ORDER)
    except ChainTooLarge as e:
        raise InconsistentError(
            f"{what} {order} elements, but `perm.generators` generate a group of order at least {e.at_least}"
        ) from None
    except ChainError as e:
        if e.kind == "invalid":
            raise InconsistentError(str(e)) from None
        raise LimitError(f"checking the generators' group: {e}") from None
    if chain.order != order:
        raise InconsistentError(f"{what} {order} elements, but `perm.generators` generate a group of order {chain.order}")
    return chain


def _check_perm(model: "Model", limits: LoadLimits) -> Tuple[List[str], int]:
    """A permutation group without a table (Rust ``valid::check_perm``): the
    generators and tokens are permutations of the same points, and the
    levels are a normal form of exactly the group the generators generate.
    A stabiliser chain rebuilt here proves the last part in polynomial time:
    every representative lies in the group, the representatives' products
    are distinct (each level's fix the earlier base points and send their
    own to distinct points), and there are as many as the group's order.
    Returns the generator names and the token count."""
    m = model.manifest
    p = model.perm
    assert isinstance(p, PermTruth) and m.group is not None
    if m.format_version < FORMAT_VERSION_PERM:
        raise InconsistentError(
            f"format version {m.format_version} has no permutation groups without a table (`perm.*`): they need version 5"
        )
    if m.format_version > FORMAT_VERSION_PERM:
        raise InconsistentError(
            f"format version {m.format_version} does not hold a permutation group numbered by its chain "
            f"(`perm.base`, `perm.level.*`), which is version {FORMAT_VERSION_PERM}"
        )
    names, v0, deg, gens = _check_perm_common(model, limits)
    base = _check_base("perm.base", p.base, deg)
    k = int(base.shape[0])
    if len(p.levels) != k:
        raise InconsistentError(f"there are {len(p.levels)} `perm.level.i` tensors, but `perm.base` has {k} points")
    order = _level_count_order(p.levels)
    if order > MAX_PERM_ORDER:
        raise LimitError(f"the levels describe more than {MAX_PERM_ORDER} elements (output ids are 32-bit)")
    levels = [_check_level(f"perm.level.{i}", reps, i, base, deg) for i, reps in enumerate(p.levels)]
    chain = _generated_chain(deg, gens, limits, "the levels describe", order)
    # Each membership test sifts through the chain's levels: bound the
    # total before running them.
    chain_limits = _chain_limits(limits)
    sifts = sum(int(r.shape[0]) for r in levels) + v0
    cost = sifts * (len(chain.base) + 1) * deg
    if cost > chain_limits.max_work:
        raise LimitError(
            f"checking {sifts} permutations against the generators' group takes about {cost} point operations, "
            f"more than {chain_limits.max_work}"
        )
    for i, reps in enumerate(levels):
        bad = np.flatnonzero(~chain.contains_many(reps))
        if bad.size:
            raise InconsistentError(f"`perm.level.{i}` row {int(bad[0])} is not in the group `perm.generators` generate")
    bad = np.flatnonzero(~chain.contains_many(np.asarray(p.tokens, np.int64)))
    if bad.size:
        raise InconsistentError(f"`perm.tokens` row {int(bad[0])} is not in the group `perm.generators` generate")
    return names, v0


def _digits(c: np.ndarray) -> str:
    """Digits as Rust prints a vector: [0, 1]."""
    return "[" + ", ".join(str(int(x)) for x in c) + "]"


def _check_series(model: "Model", limits: LoadLimits) -> Tuple[List[str], int]:
    """A permutation group numbered along a series (format version 6; Rust
    ``valid::perm::check_series``): the loader checks 1-6 of the format (see
    the module docstring) in the Rust order, in time polynomial in the
    degree, the moduli and the number of levels, every size bounded before
    anything of that size is made; check 7 (the layers) is
    :func:`_check_diagonal`'s. Then π_i is a homomorphism onto A_i with
    kernel G_{i+1}, so the codes number G bijectively. Returns the
    generator names and the token count."""
    m = model.manifest
    p = model.perm
    # The ranking tables are keyed by the arrays' identities, which an
    # in-place change keeps: make them again from what is checked here.
    if p is not None and hasattr(p, "_prep"):
        p._prep = None
    assert isinstance(p, SeriesTruth) and m.group is not None
    if m.format_version != FORMAT_VERSION_SERIES:
        raise InconsistentError(
            f"format version {m.format_version} does not hold a permutation group numbered along a series "
            f"(`perm.series.*`), which is version {FORMAT_VERSION_SERIES}"
        )
    names, v0, deg, gens = _check_perm_common(model, limits)
    terms = p.terms
    k = len(terms)
    # 6 (its bound) from the shapes, before anything that size is made.
    ids = 1
    for t in terms:
        for x in np.asarray(t.moduli).reshape(-1).tolist():
            ids *= int(x)
            if ids > MAX_PERM_ORDER:
                raise LimitError(
                    f"the series' factors `perm.series.*.moduli` describe more than {MAX_PERM_ORDER} elements "
                    "(output ids are 32-bit)"
                )
    # 1: per term its moduli, base, levels, codes and sections.
    levels_of: List[List[np.ndarray]] = []
    codes_of: List[List[np.ndarray]] = []
    for i, t in enumerate(terms):
        pre = f"perm.series.{i}."
        if np.ndim(t.moduli) != 1:
            raise ShapeError(f"tensor `{pre}moduli` has shape {list(np.shape(t.moduli))}, expected [components]")
        moduli = _ints(pre + "moduli", t.moduli, [np.shape(t.moduli)[0]])
        w = int(moduli.shape[0])
        if w == 0:
            raise InconsistentError(f"`{pre}moduli` is empty: a term of a series has a nontrivial factor")
        for j, x in enumerate(moduli.tolist()):
            if x < 2:
                raise InconsistentError(f"`{pre}moduli` entry {j} is {x}, but a coordinate's modulus is at least 2")
        base = _check_base(pre + "base", t.base, deg)
        b = int(base.shape[0])
        if len(t.levels) != b:
            raise InconsistentError(f"there are {len(t.levels)} `{pre}level.l` tensors, but `{pre}base` has {b} points")
        if _level_count_order(t.levels) > MAX_PERM_ORDER:
            raise LimitError(f"the levels `{pre}level.*` describe more than {MAX_PERM_ORDER} elements (output ids are 32-bit)")
        levels = [_check_level(f"{pre}level.{l}", reps, l, base, deg) for l, reps in enumerate(t.levels)]
        if len(t.codes) != b:
            raise InconsistentError(f"there are {len(t.codes)} `{pre}codes.l` tensors, but `{pre}base` has {b} points")
        codes = []
        for l, (reps, c) in enumerate(zip(levels, t.codes)):
            c = _ints(f"{pre}codes.{l}", c, [reps.shape[0], w])
            _check_range(f"{pre}codes.{l}", c, moduli[None, :])
            # A sift that picks the identity adds row 0's code, so it must be
            # 0 for π_i to be the homomorphism check 2 proves.
            if c.shape[0] and np.any(c[0] != 0):
                raise InconsistentError(
                    f"`{pre}codes.{l}` row 0 is the identity's code and must be 0, not {c[0].tolist()}"
                )
            codes.append(c)
        _check_perm_table(pre + "sections", t.sections, w, deg)
        levels_of.append(levels)
        codes_of.append(codes)
    # 6: |G_i| = |A_i|·|G_{i+1}|, and G_k = 1.
    orders = [_level_count_order(t.levels) for t in terms] + [1]
    for i, t in enumerate(terms):
        if orders[i] != t.factor_order * orders[i + 1]:
            raise InconsistentError(
                f"term {i} of the series has {orders[i]} elements, but its factor has {t.factor_order} and the next "
                f"term {orders[i + 1]}: the terms are not a series with these factors"
            )
    # Every sift below costs its levels' searches and divisions: bound the
    # total before running them (as Rust does).
    chain_limits = _chain_limits(limits)
    num_levels = sum(len(levels) for levels in levels_of)
    reps_total = sum(int(r.shape[0]) for levels in levels_of for r in levels)
    sifts = int(np.shape(gens)[0]) + v0 + sum(int(np.shape(t.moduli)[0]) for t in terms) + reps_total
    cost = sifts * (num_levels + 1) * (deg + reps_total)
    if cost > chain_limits.max_work:
        raise LimitError(
            f"checking {sifts} permutations against the series takes about {cost} point operations, "
            f"more than {chain_limits.max_work}"
        )
    # 2: each π_i is a homomorphism.
    for i, t in enumerate(terms):
        _check_homomorphism(i, t, levels_of[i], codes_of[i], deg, orders[i], chain_limits)
    # 3: G_0 = <generators>, holding every generator and token.
    _generated_chain(deg, gens, limits, "the series numbers", orders[0])

    def outside(rows: np.ndarray) -> np.ndarray:
        if k == 0:
            return np.flatnonzero((rows != np.arange(deg)).any(axis=1))
        return np.flatnonzero(~p.sift_many(0, rows)[1])

    bad = outside(gens)
    if bad.size:
        raise InconsistentError(f"`perm.generators` row {int(bad[0])} is not in term 0 of the series")
    bad = outside(np.asarray(p.tokens, np.int64))
    if bad.size:
        raise InconsistentError(f"`perm.tokens` row {int(bad[0])} is not in the group the series numbers")
    for i, t in enumerate(terms):
        # 4: π_i(s_ij) = e_j, so π_i is onto A_i.
        sections = np.asarray(t.sections, np.int64)
        c, ok = p.sift_many(i, sections)
        eye = np.eye(sections.shape[0], dtype=np.int64)
        for j in range(sections.shape[0]):
            if not ok[j]:
                raise InconsistentError(f"`perm.series.{i}.sections` row {j} is not in term {i} of the series")
            if (c[j] != eye[j]).any():
                raise InconsistentError(
                    f"`perm.series.{i}.sections` row {j} has code {_digits(c[j])} in term {i}'s factor, "
                    f"not the unit vector {_digits(eye[j])}"
                )
        # 5: G_{i+1} lies in π_i's kernel.
        if i + 1 < k:
            for l, reps in enumerate(levels_of[i + 1]):
                name = f"perm.series.{i + 1}.level.{l}"
                c, ok = p.sift_many(i, reps)
                for r in range(reps.shape[0]):
                    if not ok[r]:
                        raise InconsistentError(f"`{name}` row {r} is not in term {i} of the series")
                    if c[r].any():
                        raise InconsistentError(
                            f"`{name}` row {r} has code {_digits(c[r])} in term {i}'s factor, "
                            f"but term {i + 1} must lie in its kernel"
                        )
    return names, v0


def _check_homomorphism(
    i: int, t: SeriesTerm, levels: List[np.ndarray], codes: List[np.ndarray], deg: int, order: int, chain_limits: ChainLimits
) -> None:
    """π_i given on the representatives extends to a homomorphism of G_i
    (check 2): the group the representatives generate, each beside a
    rotation of its code on extra points, projects onto G_i and has exactly
    as many elements as the levels iff the projection is injective, i.e. an
    element's code does not depend on the word. Component j's rotation is
    one cycle per prime power q of n_ij (Z/n ≅ ∏ Z/q), as Rust builds it,
    which keeps the extra points to Σ q rather than Σ n_ij."""
    moduli = np.asarray(t.moduli, np.int64).tolist()
    blocks = [(j, q) for j, nj in enumerate(moduli) for _, q in _prime_powers(nj)]
    extra = sum(q for _, q in blocks)
    ext = deg + extra
    if ext > chain_limits.max_degree:
        raise LimitError(
            f"checking term {i} of the series needs its factor's coordinates as {extra} extra points beside the {deg}, "
            f"more than the {chain_limits.max_degree} a chain may have"
        )
    offsets = np.cumsum([deg] + [q for _, q in blocks[:-1]]).tolist()
    chain = Chain(ext, chain_limits, max_order=order)
    what = f"the codes `perm.series.{i}.codes.*` are not a homomorphism of term {i}'s group: with its representatives' codes it has"
    try:
        for reps, cs in zip(levels, codes):
            for u, c in zip(reps[1:], cs[1:]):
                g = np.empty(ext, np.int64)
                g[:deg] = u
                for o, (j, q) in zip(offsets, blocks):
                    g[o : o + q] = o + (np.arange(q) + int(c[j])) % q
                chain.add_generator(g)
    except ChainTooLarge as e:
        raise InconsistentError(f"{what} at least {e.at_least} elements, not {order}") from None
    except ChainError as e:
        if e.kind == "invalid":
            raise InconsistentError(str(e)) from None
        raise LimitError(f"checking term {i} of the series: {e}") from None
    if chain.order != order:
        raise InconsistentError(f"{what} {chain.order} elements, not {order}")


def _check_exps(name: str, a: np.ndarray, orders: np.ndarray) -> None:
    """Every exponent (the last axis runs over f1..fn) below its generator's
    relative order; the entry is named by its full index."""
    bad = np.argwhere((a < 0) | (a >= orders))
    if bad.size:
        idx = tuple(int(x) for x in bad[0])
        l = idx[-1]
        raise RangeError(
            f"tensor `{name}` entry [{', '.join(map(str, idx))}] is {int(a[idx])}, "
            f"outside 0..{int(orders[l])} ({gen_name(l)}'s relative order)"
        )


def _check_pc(model: "Model", limits: LoadLimits) -> Tuple[List[str], int, PcWords]:
    """A group numbered by a pc presentation (format version 7): checks 1
    (shapes, relative orders, exponent ranges, the zeros of the relations),
    2 (consistency, its collection work bounded), 3 (the terms) and the
    ranges of 5 of the module docstring, in that order; 4 (the layers) is
    :func:`_check_diagonal`'s and the labels of 5 are checked last by
    :func:`validate`. Then ∏ r_j is the group's order, the ids number it
    bijectively, and each term's block of exponents is the coordinates of
    an abelian factor of a subnormal series: the stack's joint code is the
    id. Returns the generator names, the token count and the words that
    evaluate token labels."""
    m = model.manifest
    p = model.pc
    assert p is not None and m.group is not None
    # The collector is keyed by the arrays' identities, which an in-place
    # change keeps: make it again from what is checked here.
    p._prep = None
    if m.format_version != FORMAT_VERSION_PC:
        raise InconsistentError(
            f"format version {m.format_version} does not hold a group numbered by a pc presentation (`pc.*`), "
            f"which is version {FORMAT_VERSION_PC}"
        )
    if m.outputs:
        raise InconsistentError(
            "manifest `outputs` must be empty for a group numbered by a pc presentation: "
            "an element's label is its normal word, made on demand"
        )
    v0 = len(m.tokens)
    if v0 == 0 or v0 > limits.max_table:
        raise LimitError(f"{v0} tokens (need 1..={limits.max_table})")
    names = _check_generator_names(m.group, limits)
    # 1: the relative orders first, then the relations' shapes and entries.
    if np.ndim(p.orders) != 1:
        raise ShapeError(f"tensor `pc.orders` has shape {list(np.shape(p.orders))}, expected [generators]")
    orders = _ints("pc.orders", p.orders, [np.shape(p.orders)[0]])
    n = int(orders.shape[0])
    for j, r in enumerate(orders.tolist()):
        if r < 2:
            raise InconsistentError(f"`pc.orders` entry {j} is {r}, but a relative order is at least 2")
    ids = 1
    for r in orders.tolist():
        ids *= int(r)
        if ids > MAX_PERM_ORDER:
            raise LimitError(
                f"the relative orders `pc.orders` multiply to more than {MAX_PERM_ORDER} elements (output ids are 32-bit)"
            )
    powers = _ints("pc.powers", p.powers, [n, n])
    conj = _ints("pc.conjugates", p.conjugates, [n, n, n])
    _check_exps("pc.powers", powers, orders)
    _check_exps("pc.conjugates", conj, orders)
    for j in range(n):
        nz = np.flatnonzero(powers[j, : j + 1])
        if nz.size:
            l = int(nz[0])
            raise InconsistentError(
                f"`pc.powers` entry [{j}, {l}] is {int(powers[j, l])}, but row {j} ({gen_name(j)}^{int(orders[j])}) "
                f"is a word in the generators after {gen_name(j)}: entries 0..={j} must be 0"
            )
    ii, jj, ll = np.indices((n, n, n))
    bad = np.argwhere((conj != 0) & ((ii >= jj) | (ll <= ii)))
    if bad.size:
        i, j, l = (int(x) for x in bad[0])
        if i >= j:
            raise InconsistentError(
                f"`pc.conjugates` entry [{i}, {j}, {l}] is {int(conj[i, j, l])}, but rows [i, j] with i >= j are all 0"
            )
        raise InconsistentError(
            f"`pc.conjugates` entry [{i}, {j}, {l}] is {int(conj[i, j, l])}, but row [{i}, {j}] "
            f"({gen_name(j)}^{gen_name(i)}) is a word in the generators after {gen_name(i)}: entries 0..={i} must be 0"
        )
    # 2: consistency, so that the group has ∏ r_j elements.
    try:
        p.check_consistent(limits.max_pc_work)
    except PcInconsistent as e:
        raise InconsistentError(
            f"the pc presentation (`pc.*`) is inconsistent: {e}, so it defines a group smaller than the product "
            "of the relative orders and the ids number no group"
        ) from None
    except CollectionLimit as e:
        raise LimitError(f"checking that the pc presentation is consistent took more than {e.limit} collection steps") from None
    # 3: the terms partition f1..fn; each block's factor is abelian with
    # the block's exponents as coordinates, and the next term is normal.
    if np.ndim(p.terms) != 1:
        raise ShapeError(f"tensor `pc.terms` has shape {list(np.shape(p.terms))}, expected [terms]")
    terms = _ints("pc.terms", p.terms, [np.shape(p.terms)[0]])
    for i, b in enumerate(terms.tolist()):
        if b < 1:
            raise InconsistentError(f"`pc.terms` entry {i} is {b}, but each term adds at least one generator")
    if int(terms.sum()) != n:
        raise InconsistentError(
            f"`pc.terms` adds up to {int(terms.sum())} generators, but `pc.orders` has {n}: the terms' blocks partition f1..fn"
        )
    start = 0
    for i, b in enumerate(terms.tolist()):
        end = start + b
        rel = orders[start:end].tolist()
        where = f"term {i} (block {i} of `pc.terms`: {gen_name(start)}..{gen_name(end - 1)})"
        for a in range(start, end):
            if powers[a, start:end].any():
                raise InconsistentError(
                    f"`pc.powers` row {a} gives {gen_name(a)}^{int(orders[a])} = {pc_word(powers[a].tolist())}, which is "
                    f"not in the later terms: {gen_name(a)} is in {where}, whose factor must have coordinates of orders {rel}"
                )
            for c in range(a + 1, n):
                got = conj[a, c, start:end]
                if c < end:
                    want = np.zeros(b, np.int64)
                    want[c - start] = 1
                    if (got != want).any():
                        raise InconsistentError(
                            f"`pc.conjugates` [{a}, {c}] gives {gen_name(c)}^{gen_name(a)} = {pc_word(conj[a, c].tolist())}, "
                            f"which is not {gen_name(c)} times later terms' generators: {gen_name(a)} and {gen_name(c)} "
                            f"are both in {where}, whose factor must be abelian"
                        )
                elif got.any():
                    raise InconsistentError(
                        f"`pc.conjugates` [{a}, {c}] gives {gen_name(c)}^{gen_name(a)} = {pc_word(conj[a, c].tolist())}, "
                        f"which is not in term {i + 1} (the generators from {gen_name(end)} on): {gen_name(a)} is in "
                        f"{where}, in which term {i + 1} must be normal"
                    )
        start = end
    # 5: the named generators' and the tokens' exponent vectors.
    if np.ndim(p.generators) != 2:
        raise ShapeError(f"tensor `pc.generators` has shape {list(np.shape(p.generators))}, expected [{len(names)}, {n}]")
    gens = _ints("pc.generators", p.generators, [len(names), n])
    _check_exps("pc.generators", gens, orders)
    tokens = _ints("pc.tokens", p.tokens, [v0, n])
    _check_exps("pc.tokens", tokens, orders)
    return names, v0, PcWords(p, names, limits.max_pc_work)


def _check_automaton(model: "Model", n: int, limits: LoadLimits) -> int:
    """Transitions in range and total, the start state and the acceptance
    flags (format version 4, no start token); returns the token count."""
    m = model.manifest
    aut = model.automaton
    assert aut is not None
    v0 = len(m.tokens)
    if v0 == 0 or v0 > limits.max_table:
        raise LimitError(f"{v0} tokens (need 1..={limits.max_table})")
    if m.format_version < 4:
        raise InconsistentError(f"format version {m.format_version} has no automata (they need version 4)")
    if m.bos is not None:
        raise InconsistentError("an automaton model has no start token: it starts in its start state")
    _limit_product([v0, n], limits.max_table, "`automaton.delta`")
    delta = _ints("automaton.delta", aut.delta, [v0, n])
    _check_range("automaton.delta", delta, n)
    start = _ints("automaton.start", np.asarray([aut.start]).reshape(-1), [1])
    _check_range("automaton.start", start, n)
    accept = _ints("automaton.accept", aut.accept, [n])
    _check_range("automaton.accept", accept, 2)
    return v0


def _check_names(fld: str, labels: Sequence[str]) -> None:
    """Automaton labels: non-empty, without spaces or control characters,
    unique."""
    seen = set()
    for i, label in enumerate(labels):
        if label == "" or any(c.isspace() or _is_control(c) for c in label):
            raise InconsistentError(f"manifest `{fld}[{i}]` '{label}' is empty or has spaces or control characters")
        if label in seen:
            raise InconsistentError(f"manifest `{fld}[{i}]` repeats the label '{label}'")
        seen.add(label)


def _is_control(c: str) -> bool:
    # Rust's char::is_control: the general category Cc.
    import unicodedata

    return unicodedata.category(c) == "Cc"


def _check_diagonal(model: "Model", n: int, v0: int, fdt: str, limits: LoadLimits) -> None:
    """Layers and readout of a diagonal target; along a series (format
    version 6) one layer per term, layer i with |A_i| codes, and no readout:
    the joint code is the output."""
    m = model.manifest
    bos = m.bos is not None
    automaton = model.automaton is not None
    # Without a readout the joint code is the id: per term of the truth's
    # series its factor's order and where the file says it; what the truth is.
    factors: Optional[List[Tuple[int, str]]] = None
    if isinstance(model.perm, SeriesTruth):
        factors = [(t.factor_order, f"term {i}'s factor (`perm.series.{i}.moduli`)") for i, t in enumerate(model.perm.terms)]
        series_of, truth_is = "the truth's series", "a truth numbered along a series (`perm.series.*`)"
    elif model.pc is not None:
        orders = np.asarray(model.pc.orders).tolist()
        factors = [
            (a, f"term {i}'s factor (block {i} of `pc.terms`, relative orders {orders[b0:b1]})")
            for i, (a, (b0, b1)) in enumerate(zip(model.pc.factor_orders, model.pc.blocks))
        ]
        series_of, truth_is = "`pc.terms`", "a truth numbered by a pc presentation (`pc.*`)"
    k = len(model.layers)
    if k > limits.max_layers:
        raise LimitError(f"{k} layers (at most {limits.max_layers})")
    if bos and k == 0:
        raise InconsistentError("a model with a start token needs a layer to hold its state")
    if factors is not None and k != len(factors):
        raise InconsistentError(
            f"{series_of} has {len(factors)} terms, but the stack has {k} layers: "
            "without a readout, layer i's code is term i's"
        )
    # Mamba and GLA layers only keep and reset: no group but the trivial
    # one; input-independent S4D layers track nothing.
    if k > 0 and not target_has_layers(m.target) and (not automaton or m.target == "s4d"):
        raise InconsistentError(f"target {m.target} tracks only the trivial group and has no layers, but the file has {k}")
    joint = 1
    for i, layer in enumerate(model.layers):
        # The next layer's shapes are checked on its own turn; here only its
        # token count bounds this layer's cocycle.
        nxt = model.layers[i + 1].transition_code if i + 1 < k else None
        v_next = None if nxt is None else (int(np.shape(nxt)[0]) if np.ndim(nxt) else 0)
        codes = _check_layer(i, layer, v_next, m.target, fdt, limits, bos, m.format_version)
        if i == 0 and layer.num_tokens != v0:
            raise InconsistentError(f"layer 0 has {layer.num_tokens} tokens, but the model has {v0}")
        if factors is not None:
            # The joint code is the id: no table, so no table limit (the
            # ids are below 2^32, checked with the truth).
            a, where = factors[i]
            if codes != a:
                raise InconsistentError(
                    f"layer {i} has {codes} codes, but {where} has {a} elements: "
                    "without a readout, layer i's code is term i's"
                )
        else:
            joint = _limit_product([joint, codes], limits.max_table, "the readout table")
    if not automaton:
        # A group's layers only rotate (its start token has its own rule):
        # resets and registers hold an automaton's states (Rust
        # ``valid::validate``; older versions are refused above with their
        # own message).
        for l in model.layers:
            if l.registers.any() or (np.asarray(l.transition_code) >= np.asarray(l.moduli)[None, :]).any():
                raise InconsistentError(
                    "a group model's layers only rotate: no registers, and every transition code below its modulus"
                )
    if factors is not None:
        if model.readout is not None:
            raise InconsistentError(f"{truth_is} has the joint code as its output id, so the file has no `readout` tensor")
        return
    if model.readout is None:
        raise MissingTensorError("tensor `readout` is missing")
    readout = _ints("readout", model.readout, [joint])
    _check_range("readout", readout, n)


def _check_labels(
    fld: str, labels: Sequence[str], words: Words, elements: Sequence[int], bos: Optional[int] = None
) -> None:
    seen = set()
    for i, label in enumerate(labels):
        if label in seen:
            raise InconsistentError(f"manifest `{fld}[{i}]` repeats the label '{label}'")
        seen.add(label)
        if i == bos:
            continue  # the start token's label, checked with `bos`
        if label == BOS_LABEL:
            raise InconsistentError(
                f"manifest `{fld}[{i}]` is '{BOS_LABEL}', the start token's label, but "
                + ("outputs are elements" if fld == "outputs" else "the manifest's `bos` does not name this token")
            )
        try:
            got = words.eval(label)
        except InconsistentError as e:
            raise InconsistentError(f"manifest `{fld}[{i}]` '{label}': {e}") from None
        if not words.same(got, elements[i]):
            raise InconsistentError(
                f"manifest `{fld}[{i}]` '{label}' evaluates to {words.show(got)}, but labels {words.show(elements[i])}"
            )


def _check_layer(
    i: int,
    l: Layer,
    v_next: Optional[int],
    target: str,
    fdt: str,
    limits: LoadLimits,
    bos: bool = False,
    version: int = FORMAT_VERSION,
) -> int:
    """One layer's sizes, component kinds, indices and floats, and with a
    start token its last token's rows; returns its number of codes."""
    p = lambda s: f"layer.{i}.{s}"  # noqa: E731
    if np.ndim(l.moduli) != 1:
        raise ShapeError(f"tensor `{p('moduli')}` has shape {list(np.shape(l.moduli))}, expected [width]")
    r = l.width
    if r == 0 or r > limits.max_width:
        raise InconsistentError(f"layer {i} has width {r} (need 1..={limits.max_width})")
    moduli = _ints(p("moduli"), l.moduli, [r])
    if l.coords is None:
        register = np.zeros(r, bool)
    else:
        coords = _ints(p("coords"), l.coords, [r])
        _check_range(p("coords"), coords, 2)
        register = coords == COORD_REGISTER
    for j, x in enumerate(moduli.tolist()):
        if register[j] and x != 4:
            raise InconsistentError(f"`{p('moduli')}` entry {j} is {x}, but a register component has modulus 4")
    for j, x in enumerate(moduli.tolist()):
        if x < 2:
            raise InconsistentError(f"`{p('moduli')}` entry {j} is {x}, must be at least 2")
    for j, x in enumerate(moduli.tolist()):
        if not register[j] and not target_allows_modulus(target, x):
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
    # Phases: rotations below n, resets from n to 2n; registers: keep,
    # write 0, write 1. mamba and gla phases only keep and reset.
    rotates = ~register[None, :] & (tc != 0) & (tc < moduli[None, :])
    if not target_rotates(target) and rotates.any():
        idx = int(np.flatnonzero(rotates.reshape(-1))[0])
        bad_range = np.flatnonzero(((tc < 0) | (tc >= np.where(register, 3, 2 * moduli)[None, :])).reshape(-1))
        if not bad_range.size or idx < int(bad_range[0]):
            c = int(tc.reshape(-1)[idx])
            raise InconsistentError(
                f"`{p('transition.code')}` entry {idx} rotates by code {c}, but a {target} layer only keeps and resets"
            )
    _check_range(p("transition.code"), tc, np.where(register, 3, 2 * moduli)[None, :])
    if version < 4 and (register.any() or (tc >= moduli[None, :]).any()):
        raise InconsistentError(f"format version {version} has neither registers nor resets (they need version 4)")
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
    coc = None
    if v_next is not None:
        _limit_product([codes, v], limits.max_table, f"layer {i}'s cocycle")
        coc = _ints(p("cocycle"), l.cocycle, [codes, v])
        _check_range(p("cocycle"), coc, v_next)
    elif l.cocycle is not None and np.size(l.cocycle) != 0:
        raise InconsistentError(f"`{p('cocycle')}` is present, but layer {i} is the last layer")
    if bos:
        # The layer's last token is its start token: a = 0 (code 0, phase 0)
        # resets the state to b, from h0 = 0, and the cocycle hands the next
        # layer its own start token.
        t = v - 1
        if np.any(tc[t] != 0):
            raise InconsistentError(f"`{p('transition.code')}` row {t} (the start token) must be 0")
        rows = [("transition.re", l.a_re), ("transition.im", l.a_im)]
        if l.phase is not None:
            rows.append(("transition.phase", l.phase))
        for name, a in rows:
            if np.any(np.asarray(a)[t] != 0):
                raise InconsistentError(f"`{p(name)}` row {t} (the start token) must be 0: the start token resets the state")
        for name, a in (("h0.re", l.h0_re), ("h0.im", l.h0_im)):
            if np.any(np.asarray(a) != 0):
                raise InconsistentError(f"`{p(name)}` must be 0: a model with a start token runs from the zero state")
        if coc is not None:
            bad = np.flatnonzero(coc[:, t] != v_next - 1)
            if bad.size:
                c = int(bad[0])
                raise InconsistentError(
                    f"`{p('cocycle')}` entry [{c}, {t}] is {int(coc[c, t])}: the start token must map to the next "
                    f"layer's start token {v_next - 1}"
                )
    return codes


def _check_perm_rows(name: str, a: np.ndarray, what: str = "point") -> None:
    """Every row of an in-range [rows, n] table is a permutation of 0..n."""
    n = a.shape[1]
    srt = np.sort(a, axis=1)
    bad = np.flatnonzero((srt != np.arange(n)).any(axis=1))
    if bad.size:
        r = int(bad[0])
        seen = set()
        for x in a[r].tolist():
            if x in seen:
                raise InconsistentError(f"`{name}` row {r} repeats {what} {x}: not a permutation")
            seen.add(x)


def _check_points(act: Action, deg: int, fdt: str) -> None:
    _check_floats("action.points", act.points, [deg], fdt)
    pts = np.asarray(act.points).tolist()
    at: Dict[float, int] = {}
    for j, x in enumerate(pts):
        if x in at:
            raise InconsistentError(f"`action.points` entries {at[x]} and {j} are both {x}: points must be distinct")
        at[x] = j


def _check_action(act: Optional[Action], n: int, fdt: str, limits: LoadLimits, perm: Optional[PermTruth] = None) -> int:
    """A faithful action's table and points; returns the degree. Without a
    table (``perm``) the action is the truth's own permutations: no images,
    as many points as the truth permutes."""
    if perm is not None:
        if act is None:
            raise MissingTensorError("tensor `action.points` is missing")
        if act.images is not None:
            raise UnexpectedTensorError(
                "unexpected tensor `action.images`: a permutation group without a table numbers the arrangements by its normal form"
            )
        if np.ndim(act.points) != 1:
            raise ShapeError(f"tensor `action.points` has shape {list(np.shape(act.points))}, expected [degree]")
        deg = int(np.shape(act.points)[0])
        if deg == 0 or deg > limits.max_cell:
            raise LimitError(f"the action has degree {deg} (need 1..={limits.max_cell})")
        _check_points(act, deg, fdt)
        if deg != perm.degree:
            raise InconsistentError(f"the cell acts on {deg} points, but `perm.*` permutes {perm.degree}")
        return deg
    if act is None or act.images is None:
        raise MissingTensorError("tensor `action.images` is missing")
    shape = list(np.shape(act.images))
    if len(shape) != 2 or shape[0] != n:
        raise ShapeError(f"tensor `action.images` has shape {shape}, expected [{n}, degree]")
    deg = shape[1]
    _limit_product([n, deg], limits.max_table, "`action.images`")
    images = _ints("action.images", act.images, [n, deg])
    _check_range("action.images", images, deg)
    _check_perm_rows("action.images", images)
    bad = np.flatnonzero(images[0] != np.arange(deg))
    if bad.size:
        raise InconsistentError(f"`action.images` row 0 (the identity) moves point {int(bad[0])}: it must be the identity")
    first: Dict[bytes, int] = {}
    rows = np.ascontiguousarray(images)
    for g in range(n):
        key = rows[g].tobytes()
        if key in first:
            raise InconsistentError(
                f"`action.images` rows {first[key]} and {g} are equal: the action is not faithful, so the state cannot be decoded"
            )
        first[key] = g
    _check_points(act, deg, fdt)
    return deg


def _check_pd(pd: Optional[PdLayer], v: int, deg: int, fdt: str, limits: LoadLimits, bos: Optional[int]) -> None:
    if pd is None:
        raise MissingTensorError("tensor `pd.index` is missing")
    _limit_product([v, deg], limits.max_table, "`pd.index`")
    index = _ints("pd.index", pd.index, [v, deg])
    _check_range("pd.index", index, deg)
    _check_perm_rows("pd.index", index, "row")
    _check_floats("pd.diag", pd.diag, [v, deg], fdt)
    _check_floats("pd.input", pd.input, [v, deg], fdt)
    _check_floats("pd.h0", pd.h0, [deg], fdt)
    if bos is not None:
        if np.any(np.asarray(pd.diag)[bos] != 0):
            raise InconsistentError(f"`pd.diag` row {bos} (the start token) must be 0: the start token resets the state")
        if np.any(np.asarray(pd.h0) != 0):
            raise InconsistentError("`pd.h0` must be 0: a model with a start token runs from the zero state")


def _check_delta(dl: Optional[DeltaLayer], v: int, deg: int, fdt: str, limits: LoadLimits, bos: Optional[int]) -> None:
    if dl is None:
        raise MissingTensorError("tensor `delta.basis` is missing")
    bshape = list(np.shape(dl.basis))
    if len(bshape) != 2 or bshape[0] != deg:
        raise ShapeError(f"tensor `delta.basis` has shape {bshape}, expected [{deg}, state size]")
    d = bshape[1]
    _limit_product([deg, d], limits.max_table, "`delta.basis`")
    kshape = list(np.shape(dl.k))
    if len(kshape) != 3 or kshape[0] != v or kshape[2] != d:
        raise ShapeError(f"tensor `delta.k` has shape {kshape}, expected [{v}, reflections, {d}]")
    m = kshape[1]
    _limit_product([v, m, d], limits.max_table, "`delta.k`")
    _check_floats("delta.basis", dl.basis, [deg, d], fdt)
    _check_floats("delta.offset", dl.offset, [deg], fdt)
    _check_floats("delta.k", dl.k, [v, m, d], fdt)
    _check_floats("delta.beta", dl.beta, [v, m], fdt)
    _check_floats("delta.v", dl.v, [v, m], fdt)
    _check_floats("delta.h0", dl.h0, [d], fdt)
    beta = np.asarray(dl.beta).reshape(-1)
    bad = np.flatnonzero((beta < 0) | (beta > 2))
    if bad.size:
        i = int(bad[0])
        raise InconsistentError(f"`delta.beta` entry {i} ({float(beta[i])}) is outside [0, 2]")
    if bos is not None:
        # The start token's first d factors are k = e_c, β = 1: each sets
        # coordinate c to v whatever the state; the rest are identities.
        if m < d:
            raise InconsistentError(
                f"the start token needs at least {d} factors (one per state coordinate), but `delta.k` has {m} per token"
            )
        kb = np.asarray(dl.k)[bos]
        bb = np.asarray(dl.beta)[bos]
        for r in range(m):
            if r < d:
                if np.any(kb[r] != np.eye(d)[r]):
                    raise InconsistentError(f"`delta.k` [{bos}, {r}] (the start token) must be the unit vector e_{r}")
                if bb[r] != 1:
                    raise InconsistentError(f"`delta.beta` [{bos}, {r}] (the start token) is {float(bb[r])}, must be 1")
            elif bb[r] != 0:
                raise InconsistentError(
                    f"`delta.beta` [{bos}, {r}] (the start token) is {float(bb[r])}, must be 0 beyond its first {d} factors"
                )
        if np.any(np.asarray(dl.h0) != 0):
            raise InconsistentError("`delta.h0` must be 0: a model with a start token runs from the zero state")


def _check_rnn(rnn: Optional[RnnLayer], n: int, v: int, fdt: str, limits: LoadLimits) -> None:
    if rnn is None:
        raise MissingTensorError("tensor `rnn.weight_hh` is missing")
    shape = list(np.shape(rnn.weight_hh))
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ShapeError(f"tensor `rnn.weight_hh` has shape {shape}, expected [hidden, hidden]")
    h = shape[0]
    if h == 0:
        raise InconsistentError("`rnn.weight_hh` has no hidden units")
    _limit_product([h, h], limits.max_table, "`rnn.weight_hh`")
    _limit_product([h, v], limits.max_table, "`rnn.weight_ih`")
    _limit_product([n, h], limits.max_table, "`rnn.readout.weight`")
    for name, a, sh in (
        ("rnn.weight_ih", rnn.weight_ih, [h, v]),
        ("rnn.weight_hh", rnn.weight_hh, [h, h]),
        ("rnn.bias_ih", rnn.bias_ih, [h]),
        ("rnn.bias_hh", rnn.bias_hh, [h]),
        ("rnn.readout.weight", rnn.readout_weight, [n, h]),
        ("rnn.readout.bias", rnn.readout_bias, [n]),
    ):
        _check_floats(name, a, sh, fdt)


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
    v = len(man.tokens)
    # The manifest says what is tracked (parse_manifest checked it says one
    # thing); the other kind's tensors are then unexpected.
    truth: Dict[str, Any]
    if man.automaton is not None:
        _limit_product([v, n], limits.max_table, "`automaton.delta`")
        truth = {
            "group_table": None,
            "token_elements": None,
            "automaton": AutomatonTruth(
                delta=rd.ints("automaton.delta", [v, n]),
                start=int(rd.ints("automaton.start", [1])[0]),
                accept=rd.ints("automaton.accept", [n]),
            ),
        }
    elif (
        not rd.has("group.table")
        and not rd.has("perm.tokens")
        and (rd.has("pc.orders") or man.format_version == FORMAT_VERSION_PC)
    ):
        # A solvable group numbered by a pc presentation (format version 7;
        # validate refuses it in other versions).
        assert man.group is not None
        truth = {"pc": _read_pc(rd, len(man.group.generators), v)}
        if man.target not in PC_TARGETS:
            validate(Model(manifest=man, layers=[], readout=None, **truth), limits)
    elif not rd.has("group.table") and rd.has("perm.tokens"):
        # A permutation group without a table: a normal form (format
        # version 5; validate refuses it in older versions, as the Rust
        # loader does) or a series (version 6).
        assert man.group is not None
        if man.format_version >= FORMAT_VERSION_SERIES:
            truth = {"perm": _read_series(rd, len(man.group.generators), v)}
            tracked_by = SERIES_TARGETS
        else:
            truth = {"perm": _read_perm(rd, len(man.group.generators), v)}
            tracked_by = PERM_TARGETS
        if man.target not in tracked_by:
            # Only these targets track one: validate says so, whatever the
            # net.
            validate(Model(manifest=man, layers=[], readout=None, **truth), limits)
    else:
        assert man.group is not None
        truth = {
            "group_table": rd.ints("group.table", [n, n]),
            "generators": rd.ints("group.generators", [len(man.group.generators)]),
            "token_elements": rd.ints("tokens.element", [v]),
        }
    if man.target in TARGETS and not target_is_diagonal(man.target):
        parts = _read_one_layer(rd, man, n, fdt, limits, listed="perm" not in truth)
        for name in sorted(tensors):
            if name not in rd.seen:
                raise UnexpectedTensorError(f"unexpected tensor `{name}`: not part of a gssm model with this manifest")
        model = Model(manifest=man, layers=[], readout=None, **truth, **parts)
        validate(model, limits)
        return model
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
        coords = rd.ints(p + "coords", [r]) if rd.has(p + "coords") else None
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
                coords=coords,
            )
        )
    for i in range(k - 1):
        layers[i].cocycle = rd.ints(f"layer.{i}.cocycle", [layers[i].num_codes, layers[i].num_tokens])
    readout: Optional[np.ndarray] = None
    # Along a series (format version 6) or a pc presentation (version 7)
    # the layers' joint code is the element's id: no readout, and validate
    # refuses one that is there.
    if rd.has("readout") or not (isinstance(truth.get("perm"), SeriesTruth) or "pc" in truth):
        joint = math.prod(l.num_codes for l in layers)
        readout = rd.ints("readout", [joint])
    for name in sorted(tensors):
        if name not in rd.seen:
            raise UnexpectedTensorError(f"unexpected tensor `{name}`: not part of a gssm model with this manifest")
    model = Model(manifest=man, layers=layers, readout=readout, **truth)
    validate(model, limits)
    return model


def _read_perm(rd: _Reader, gens: int, v: int) -> PermTruth:
    """Generators, tokens, base and one tensor of representatives per base
    point (a stray ``perm.level.j`` is reported as unexpected)."""
    tokens = rd.ints("perm.tokens", [v, None])
    deg = int(tokens.shape[1])
    generators = rd.ints("perm.generators", [gens, deg])
    base = rd.ints("perm.base", [None])
    levels = [rd.ints(f"perm.level.{i}", [None, deg]) for i in range(int(base.shape[0]))]
    return PermTruth(generators=generators, tokens=tokens, base=base, levels=levels)


def _read_pc(rd: _Reader, gens: int, v: int) -> PcTruth:
    """The presentation, terms, generators and tokens (format version 7);
    n, the number of pc generators, is the length of ``pc.orders``."""
    orders = rd.ints("pc.orders", [None])
    n = int(orders.shape[0])
    return PcTruth(
        orders=orders,
        powers=rd.ints("pc.powers", [n, n]),
        conjugates=rd.ints("pc.conjugates", [n, n, n]),
        terms=rd.ints("pc.terms", [None]),
        generators=rd.ints("pc.generators", [gens, n]),
        tokens=rd.ints("pc.tokens", [v, n]),
    )


def _read_series(rd: _Reader, gens: int, v: int) -> SeriesTruth:
    """Generators, tokens and the series' terms (format version 6). Term i
    is there when any ``perm.series.i.*`` tensor is: terms are numbered from
    0 without gaps, a term's missing tensor is reported as missing and a
    stray one (or a term past a gap) as unexpected."""
    tokens = rd.ints("perm.tokens", [v, None])
    deg = int(tokens.shape[1])
    generators = rd.ints("perm.generators", [gens, deg])
    present = {name.split(".")[2] for name in rd.tensors if name.startswith("perm.series.") and name.count(".") >= 3}
    terms: List[SeriesTerm] = []
    while str(len(terms)) in present:
        p = f"perm.series.{len(terms)}."
        moduli = rd.ints(p + "moduli", [None])
        w = int(moduli.shape[0])
        sections = rd.ints(p + "sections", [w, deg])
        base = rd.ints(p + "base", [None])
        levels, codes = [], []
        for l in range(int(base.shape[0])):
            reps = rd.ints(p + f"level.{l}", [None, deg])
            levels.append(reps)
            codes.append(rd.ints(p + f"codes.{l}", [int(reps.shape[0]), w]))
        terms.append(SeriesTerm(moduli=moduli, sections=sections, base=base, levels=levels, codes=codes))
    return SeriesTruth(generators=generators, tokens=tokens, terms=terms)


def _read_one_layer(rd: _Reader, man: Manifest, n: int, fdt: str, limits: LoadLimits, listed: bool = True) -> Dict[str, Any]:
    """The tensors of an rnn, pd-ssm or deltaproduct file, every size
    bounded from the header before the data is converted. Without a listed
    action (``listed`` False: a permutation truth) there is no
    ``action.images`` and the points give the degree."""
    v = len(man.tokens)
    if man.target == "rnn":
        h = rd.declared("rnn.weight_hh", 2, "[hidden, hidden]")[0]
        _limit_product([h, h], limits.max_table, "`rnn.weight_hh`")
        _limit_product([h, v], limits.max_table, "`rnn.weight_ih`")
        _limit_product([n, h], limits.max_table, "`rnn.readout.weight`")
        return {
            "rnn": RnnLayer(
                weight_ih=rd.floats("rnn.weight_ih", [h, v], fdt),
                weight_hh=rd.floats("rnn.weight_hh", [h, h], fdt),
                bias_ih=rd.floats("rnn.bias_ih", [h], fdt),
                bias_hh=rd.floats("rnn.bias_hh", [h], fdt),
                readout_weight=rd.floats("rnn.readout.weight", [n, h], fdt),
                readout_bias=rd.floats("rnn.readout.bias", [n], fdt),
            )
        }
    if listed:
        deg = rd.declared("action.images", 2, f"[{n}, degree]")[1]
        _limit_product([n, deg], limits.max_table, "`action.images`")
        _limit_product([v, deg], limits.max_table, "the per-token tables")
        out: Dict[str, Any] = {
            "action": Action(images=rd.ints("action.images", [n, deg]), points=rd.floats("action.points", [deg], fdt))
        }
    else:
        points = rd.floats("action.points", [None], fdt)
        deg = int(points.shape[0])
        _limit_product([v, deg], limits.max_table, "the per-token tables")
        out = {"action": Action(images=None, points=points)}
    if man.target == "pd-ssm":
        out["pd"] = PdLayer(
            index=rd.ints("pd.index", [v, deg]),
            diag=rd.floats("pd.diag", [v, deg], fdt),
            input=rd.floats("pd.input", [v, deg], fdt),
            h0=rd.floats("pd.h0", [deg], fdt),
        )
        return out
    d = rd.declared("delta.basis", 2, f"[{deg}, state size]")[1]
    _limit_product([deg, d], limits.max_table, "`delta.basis`")
    m = rd.declared("delta.k", 3, f"[{v}, reflections, {d}]")[1]
    _limit_product([v, m, d], limits.max_table, "`delta.k`")
    out["delta"] = DeltaLayer(
        basis=rd.floats("delta.basis", [deg, d], fdt),
        offset=rd.floats("delta.offset", [deg], fdt),
        k=rd.floats("delta.k", [v, m, d], fdt),
        beta=rd.floats("delta.beta", [v, m], fdt),
        v=rd.floats("delta.v", [v, m], fdt),
        h0=rd.floats("delta.h0", [d], fdt),
    )
    return out


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
    aut = model.automaton
    if aut is not None:
        t: Dict[str, np.ndarray] = {
            "automaton.delta": i32(aut.delta),
            "automaton.start": i32([aut.start]),
            "automaton.accept": i32(aut.accept),
        }
    elif model.pc is not None:
        pc = model.pc
        t = {
            "pc.orders": i32(pc.orders),
            "pc.powers": i32(pc.powers),
            "pc.conjugates": i32(pc.conjugates),
            "pc.terms": i32(pc.terms),
            "pc.generators": i32(pc.generators),
            "pc.tokens": i32(pc.tokens),
        }
    elif isinstance(model.perm, SeriesTruth):
        p = model.perm
        t = {"perm.generators": i32(p.generators), "perm.tokens": i32(p.tokens)}
        for i, term in enumerate(p.terms):
            pre = f"perm.series.{i}."
            t[pre + "moduli"] = i32(term.moduli)
            t[pre + "sections"] = i32(term.sections)
            t[pre + "base"] = i32(term.base)
            for l, (reps, codes) in enumerate(zip(term.levels, term.codes)):
                t[pre + f"level.{l}"] = i32(reps)
                t[pre + f"codes.{l}"] = i32(codes)
    elif model.perm is not None:
        p = model.perm
        t = {"perm.generators": i32(p.generators), "perm.tokens": i32(p.tokens), "perm.base": i32(p.base)}
        for i, reps in enumerate(p.levels):
            t[f"perm.level.{i}"] = i32(reps)
    else:
        t = {
            "group.table": i32(model.group_table),
            "group.generators": i32(model.generators),
            "tokens.element": i32(model.token_elements),
        }
    if model.readout is not None:
        t["readout"] = i32(model.readout)
    if model.action is not None:
        if model.action.images is not None:
            t["action.images"] = i32(model.action.images)
        t["action.points"] = fl(model.action.points)
    if model.pd is not None:
        pd = model.pd
        t.update({"pd.index": i32(pd.index), "pd.diag": fl(pd.diag), "pd.input": fl(pd.input), "pd.h0": fl(pd.h0)})
    if model.delta is not None:
        dl = model.delta
        t.update(
            {
                "delta.basis": fl(dl.basis),
                "delta.offset": fl(dl.offset),
                "delta.k": fl(dl.k),
                "delta.beta": fl(dl.beta),
                "delta.v": fl(dl.v),
                "delta.h0": fl(dl.h0),
            }
        )
    if model.rnn is not None:
        r = model.rnn
        t.update(
            {
                "rnn.weight_ih": fl(r.weight_ih),
                "rnn.weight_hh": fl(r.weight_hh),
                "rnn.bias_ih": fl(r.bias_ih),
                "rnn.bias_hh": fl(r.bias_hh),
                "rnn.readout.weight": fl(r.readout_weight),
                "rnn.readout.bias": fl(r.readout_bias),
            }
        )
    last = len(model.layers) - 1
    for i, l in enumerate(model.layers):
        p = f"layer.{i}."
        t[p + "moduli"] = i32(l.moduli)
        if l.coords is not None:
            t[p + "coords"] = i32(l.coords)
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
