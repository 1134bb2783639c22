"""Permutation groups without a Cayley table: the normal form that numbers
their elements (format version 5, :class:`PermTruth`), the numbering along a
series with abelian factors (format version 6, :class:`SeriesTruth`), cycle
notation, and a deterministic Schreier–Sims that rebuilds a stabiliser chain
from generators (``runtime/src/ir.rs`` ``PermTruth``, ``runtime/src/chain.rs``).

Permutations are image arrays of points 0..n (``p[j]`` = the image of j)
and compose left to right, as everywhere in gssm: p·q applies p first, so
(p·q)[j] = q[p[j]].
"""

from __future__ import annotations

import re
from collections.abc import Sequence as _Sequence
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Sequence, Tuple, Union, overload

import numpy as np

#: Output ids are u32 and UNDECODABLE is u32::MAX, so |G| stays at or below
#: it (Rust ``valid::MAX_PERM_ORDER``).
MAX_PERM_ORDER = 0xFFFFFFFF
_UNDECODABLE = 0xFFFFFFFF


def compose(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """p·q: apply p first, then q."""
    return q[p]


def inverse(p: np.ndarray) -> np.ndarray:
    inv = np.empty_like(p)
    inv[p] = np.arange(p.shape[0], dtype=p.dtype)
    return inv


def is_identity(p: np.ndarray) -> bool:
    return bool((p == np.arange(p.shape[0])).all())


def cycle_notation(p: Sequence[int]) -> str:
    """A permutation of 0..n in GAP's cycle notation on 1..n, exactly as Rust
    ``ir::cycle_notation`` prints it: "()" for the identity, "(1,2)(3,4,5)"."""
    p = [int(x) for x in p]
    seen = [False] * len(p)
    out = []
    for start in range(len(p)):
        if seen[start] or p[start] == start:
            continue
        x, cyc = start, []
        while not seen[x]:
            seen[x] = True
            cyc.append(str(x + 1))
            x = p[x]
        out.append("(" + ",".join(cyc) + ")")
    return "".join(out) or "()"


_CYCLE = re.compile(r"\(([0-9]+(?:,[0-9]+)*)\)")


def parse_cycles(label: str, degree: int) -> Optional[np.ndarray]:
    """The permutation a cycle-notation label names (points 1..degree), or
    None when it is not one (repeated or out-of-range points, bad syntax)."""
    p = np.arange(degree, dtype=np.int64)
    if label == "()":
        return p
    pos, seen = 0, set()
    while pos < len(label):
        m = _CYCLE.match(label, pos)
        if m is None:
            return None
        pts = [int(x) - 1 for x in m.group(1).split(",")]
        if any(x < 0 or x >= degree or x in seen for x in pts) or len(pts) < 2:
            return None
        seen.update(pts)
        for k, x in enumerate(pts):
            p[x] = pts[(k + 1) % len(pts)]
        pos = m.end()
    return p if label else None


# --------------------------------------------------------------------------
# The normal form


class _Numbered:
    """What both numberings of a permutation group share, given ``tokens``,
    ``order``, ``rank_many`` and ``unrank_many``."""

    tokens: np.ndarray

    @property
    def degree(self) -> int:
        return int(np.shape(self.tokens)[1])

    def rank(self, g: Sequence[int]) -> Optional[int]:
        """The id of permutation g, or None when g is not in the group."""
        g = np.asarray(g, np.int64).reshape(1, -1)
        if g.shape[1] != self.degree:
            return None
        r = int(self.rank_many(g)[0])
        return None if r == _UNDECODABLE else r

    def unrank(self, id: int) -> np.ndarray:
        """The permutation with id ``id`` (0 <= id < order)."""
        if not 0 <= int(id) < self.order:
            raise ValueError(f"element id {id} is outside 0..{self.order}")
        return self.unrank_many(np.asarray([int(id)]))[0]

    def label(self, id: int) -> str:
        """Element ``id`` in cycle notation (Rust ``PermTruth::label``)."""
        return cycle_notation(self.unrank(id))

    def labels_many(self, ids: np.ndarray) -> List[str]:
        """The labels of ids [B] (each below the order)."""
        return [cycle_notation(g) for g in self.unrank_many(np.asarray(ids, np.int64))]

    def id_of_label(self, label: object) -> Optional[int]:
        """The id a label names, or None when it is no element's label
        (cycle notation exactly as :meth:`label` writes it)."""
        if not isinstance(label, str):
            return None
        p = parse_cycles(label, self.degree)
        if p is None or cycle_notation(p) != label:
            return None
        return self.rank(p)

    #: How :class:`PermLabels` describes the labels.
    LABELS = "in cycle notation"


@dataclass
class PermTruth(_Numbered):
    """A permutation group given by the tokens' permutations and a normal
    form (format version 5): a base b_0..b_{k-1} and per level i its coset
    representatives ``levels[i]`` [m_i, n] (the identity first, each fixing
    b_0..b_{i-1}, their images of b_i distinct). Element u_{k-1}·…·u_1·u_0
    (u_i row d_i of level i, applied u_{k-1} first) has id
    d_0 + m_0·(d_1 + m_1·(d_2 + …)); the identity is 0. Output ids are these
    ids; an element's label is its cycle notation, made on demand."""

    generators: np.ndarray  # int64 [number of generators, n]
    tokens: np.ndarray  # int64 [V, n] (the identity for a start token)
    base: np.ndarray  # int64 [k]
    levels: List[np.ndarray]  # int64 [m_i, n] per level
    _prep: Optional[tuple] = field(default=None, init=False, repr=False, compare=False)

    @property
    def order(self) -> int:
        """|G| = ∏ m_i, exactly."""
        o = 1
        for l in self.levels:
            o *= int(np.shape(l)[0])
        return o

    def _prepared(self) -> list:
        # Per level: base point, point -> row (or -1), inverse rows, m;
        # made again when the arrays are replaced.
        key = (id(self.tokens), id(self.base), tuple(id(l) for l in self.levels))
        if self._prep is None or self._prep[0] != key:
            n = self.degree
            prep = []
            for b, reps in zip(np.asarray(self.base).tolist(), self.levels):
                reps = np.asarray(reps, np.int64)
                pos = np.full(n, -1, np.int64)
                pos[reps[::-1, b]] = np.arange(reps.shape[0] - 1, -1, -1)
                inv = np.empty_like(reps)
                np.put_along_axis(inv, reps, np.broadcast_to(np.arange(n), reps.shape), axis=1)
                prep.append((int(b), pos, inv, reps, reps.shape[0]))
            self._prep = (key, prep)
        return self._prep[1]

    def rank_many(self, g: np.ndarray) -> np.ndarray:
        """Ids of the permutations g [B, n] (int64), or UNDECODABLE where a
        permutation does not sift to the identity (not in the group)."""
        h = np.asarray(g, np.int64)
        B = h.shape[0]
        ids = np.zeros(B, np.int64)
        ok = np.ones(B, bool)
        radix = 1
        for b, pos, inv, _reps, m in self._prepared():
            d = pos[h[:, b]]
            ok &= d >= 0
            d = np.where(d >= 0, d, 0)
            # h <- h·u^-1: u^-1 maps u[j] back to j.
            h = np.take_along_axis(inv[d], h, axis=1)
            ids += d * radix
            radix *= m
        ok &= (h == np.arange(h.shape[1])).all(axis=1)
        ok &= ids < _UNDECODABLE
        return np.where(ok, ids, np.int64(_UNDECODABLE))

    def unrank_many(self, ids: np.ndarray) -> np.ndarray:
        """The permutations [B, n] with ids [B] (each below the order)."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        B = ids.shape[0]
        digits = []
        for _b, _pos, _inv, _reps, m in self._prepared():
            digits.append(ids % m)
            ids = ids // m
        g = np.broadcast_to(np.arange(self.degree, dtype=np.int64), (B, self.degree)).copy()
        # g = u_{k-1}·…·u_0 applies u_{k-1} first: start from the last
        # level's representative and compose each lower level's after it.
        for (_b, _pos, _inv, reps, _m), d in reversed(list(zip(self._prepared(), digits))):
            g = np.take_along_axis(reps[d], g, axis=1)
        return g



# --------------------------------------------------------------------------
# The numbering along a series (format version 6)

#: Largest power table (entries) kept per section and its inverse: a
#: component of larger modulus raises its section by repeated squaring
#: instead. There are at most 32 components in all (∏ n_j < 2^32, each
#: n_j ≥ 2), so the tables stay below 64 · 2^16 entries whatever the moduli.
MAX_POWER_TABLE = 1 << 16


@dataclass
class SeriesTerm:
    """Term i of the series G = G_0 ⊳ G_1 ⊳ … ⊳ G_k = 1 (format version 6):
    a normal form of G_i as in version 5 (``base``, ``levels``: the element
    u_{L-1}·…·u_0 for u_l a row of level l), the codes π_i of its
    representatives in A_i = Z/n_0 × … × Z/n_{w-1} (``codes[l]`` [m_l, w],
    digit j below ``moduli[j]``) and the sections s_j ∈ G_i with π_i(s_j) =
    e_j. π_i(y) sums the codes of the representatives y's sift passes
    through; the loader checks that this is a homomorphism onto A_i with
    kernel G_{i+1}."""

    moduli: np.ndarray  # int64 [w]
    sections: np.ndarray  # int64 [w, n]
    base: np.ndarray  # int64 [b]
    levels: List[np.ndarray]  # int64 [m_l, n] per level
    codes: List[np.ndarray]  # int64 [m_l, w] per level

    @property
    def width(self) -> int:
        """w, the number of cyclic components of A_i."""
        return int(np.shape(self.moduli)[0])

    @property
    def factor_order(self) -> int:
        """|A_i| = ∏ n_j, exactly."""
        o = 1
        for x in np.asarray(self.moduli).tolist():
            o *= int(x)
        return o

    @property
    def order(self) -> int:
        """|G_i| as the levels describe it: ∏ m_l, exactly."""
        o = 1
        for l in self.levels:
            o *= int(np.shape(l)[0])
        return o


def _times_power(y: np.ndarray, s: np.ndarray, e: np.ndarray, table: Optional[np.ndarray]) -> np.ndarray:
    """y·s^e row by row (y [B, n], e [B] ≥ 0): from the table of powers
    s^0..s^{m-1} when there is one, else by repeated squaring (at most 32
    squarings: e < 2^32)."""
    if table is not None:
        return np.take_along_axis(table[e], y, axis=1)
    e = np.asarray(e, np.int64).copy()
    base = s
    while True:
        bit = (e & 1).astype(bool)
        if bit.any():
            # y·base applies y first: base[y].
            y = np.where(bit[:, None], base[y], y)
        e >>= 1
        if not (e > 0).any():
            return y
        base = base[base]


def _power_table(s: np.ndarray, m: int) -> np.ndarray:
    """s^0, s^1, …, s^{m-1} as [m, n]."""
    n = s.shape[0]
    out = np.empty((m, n), np.int64)
    out[0] = np.arange(n)
    for x in range(1, m):
        out[x] = s[out[x - 1]]
    return out


@dataclass
class SeriesTruth(_Numbered):
    """A permutation group numbered along a series with abelian factors
    (format version 6): the tokens' permutations and one :class:`SeriesTerm`
    per factor. The id of y ∈ G = G_0 is found term by term: c_i = π_i(y_i),
    y_{i+1} = y_i·σ_i(c_i)⁻¹ with σ_i(c) = s_0^{c_0}·s_1^{c_1}·… (p·q
    applies p first), and id = code_0 + |A_0|·(code_1 + |A_1|·(…)), code_i
    the mixed-radix code of c_i (digit 0 least significant). That is the
    joint code of a diagonal stack whose layer i tracks A_i, so a model's
    output is its joint code and the file needs no readout. Unranking is
    y = σ_{k-1}(c_{k-1})·…·σ_0(c_0); the identity is 0. The same interface
    as :class:`PermTruth` (degree, order, rank, unrank, label)."""

    generators: np.ndarray  # int64 [number of generators, n]
    tokens: np.ndarray  # int64 [V, n] (the identity for a start token)
    terms: List[SeriesTerm]
    _prep: Optional[tuple] = field(default=None, init=False, repr=False, compare=False)

    @property
    def order(self) -> int:
        """The number of ids, ∏ |A_i| (= |G| in a valid file), exactly."""
        o = 1
        for t in self.terms:
            o *= t.factor_order
        return o

    def _prepared(self) -> list:
        # Per term: per level (base point, point -> row or -1, inverse
        # rows, codes), the moduli and their radices, |A_i|, and per
        # component the section, its inverse and their power tables (None
        # past MAX_POWER_TABLE); made again when the arrays are replaced.
        key = (id(self.tokens), tuple((id(t.moduli), id(t.sections), id(t.base)) for t in self.terms))
        key += (tuple(id(l) for t in self.terms for l in t.levels + t.codes),)
        if self._prep is None or self._prep[0] != key:
            n = self.degree
            prep = []
            for t in self.terms:
                levels = []
                for b, reps, codes in zip(np.asarray(t.base).tolist(), t.levels, t.codes):
                    reps = np.asarray(reps, np.int64)
                    pos = np.full(n, -1, np.int64)
                    pos[reps[::-1, b]] = np.arange(reps.shape[0] - 1, -1, -1)
                    inv = np.empty_like(reps)
                    np.put_along_axis(inv, reps, np.broadcast_to(np.arange(n), reps.shape), axis=1)
                    levels.append((int(b), pos, inv, np.asarray(codes, np.int64)))
                moduli = np.asarray(t.moduli, np.int64)
                radix = np.ones(moduli.shape[0], np.int64)
                if moduli.shape[0] > 1:
                    radix[1:] = np.cumprod(moduli[:-1])
                sections = []
                for s, m in zip(np.asarray(t.sections, np.int64), moduli.tolist()):
                    s_inv = inverse(s)
                    small = m * n <= MAX_POWER_TABLE
                    sections.append(
                        (s, s_inv, _power_table(s, m) if small else None, _power_table(s_inv, m) if small else None)
                    )
                prep.append((levels, moduli, radix, t.factor_order, sections))
            self._prep = (key, prep)
        return self._prep[1]

    def sift_many(self, i: int, g: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """π_i of the permutations g [B, n]: their digits [B, w] (the codes
        of the representatives each sift passes through, summed digit by
        digit), and bool [B]: which sift to the identity, i.e. lie in G_i
        (the digits of the others mean nothing)."""
        levels, moduli, _radix, _a, _sections = self._prepared()[i]
        h = np.asarray(g, np.int64)
        B = h.shape[0]
        c = np.zeros((B, moduli.shape[0]), np.int64)
        ok = np.ones(B, bool)
        for b, pos, inv, codes in levels:
            d = pos[h[:, b]]
            ok &= d >= 0
            d = np.where(d >= 0, d, 0)
            # h <- h·u^-1: u^-1 maps u[j] back to j.
            h = np.take_along_axis(inv[d], h, axis=1)
            c = (c + codes[d]) % moduli
        ok &= (h == np.arange(h.shape[1])).all(axis=1)
        return c, ok

    def section_many(self, i: int, digits: np.ndarray, inverted: bool = False) -> np.ndarray:
        """σ_i(c) [B, n] for digits c [B, w] (σ_i(c)⁻¹ with ``inverted``)."""
        digits = np.asarray(digits, np.int64)
        B = digits.shape[0]
        y = np.broadcast_to(np.arange(self.degree, dtype=np.int64), (B, self.degree)).copy()
        return self._times_section(i, y, digits, inverted)

    def _times_section(self, i: int, y: np.ndarray, c: np.ndarray, inverted: bool) -> np.ndarray:
        # σ(c) = s_0^{c_0}·…·s_{w-1}^{c_{w-1}}; σ(c)⁻¹ = s_{w-1}^{-c_{w-1}}·…·s_0^{-c_0}.
        sections = self._prepared()[i][4]
        order = reversed(range(len(sections))) if inverted else range(len(sections))
        for j in order:
            s, s_inv, table, table_inv = sections[j]
            y = _times_power(y, s_inv if inverted else s, c[:, j], table_inv if inverted else table)
        return y

    def rank_many(self, g: np.ndarray) -> np.ndarray:
        """Ids of the permutations g [B, n] (int64), or UNDECODABLE where a
        permutation is not in the group (a sift that does not end in the
        identity)."""
        y = np.asarray(g, np.int64)
        B = y.shape[0]
        ids = np.zeros(B, np.int64)
        ok = np.ones(B, bool)
        stride = 1
        for i, (_levels, _moduli, radix, a, _sections) in enumerate(self._prepared()):
            c, member = self.sift_many(i, y)
            ok &= member
            ids += (c * radix).sum(axis=1) * stride
            stride *= a
            y = self._times_section(i, y, c, inverted=True)
        ok &= (y == np.arange(y.shape[1])).all(axis=1)
        ok &= ids < _UNDECODABLE
        return np.where(ok, ids, np.int64(_UNDECODABLE))

    def digits_many(self, ids: np.ndarray) -> List[np.ndarray]:
        """Per term the digits [B, w] of c_i for ids [B]."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        out = []
        for _levels, moduli, _radix, a, _sections in self._prepared():
            code = ids % a
            ids = ids // a
            c = np.empty((code.shape[0], moduli.shape[0]), np.int64)
            for j, m in enumerate(moduli.tolist()):
                c[:, j] = code % m
                code = code // m
            out.append(c)
        return out

    def unrank_many(self, ids: np.ndarray) -> np.ndarray:
        """The permutations [B, n] with ids [B] (each below the order):
        σ_{k-1}(c_{k-1})·…·σ_0(c_0)."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        B = ids.shape[0]
        digits = self.digits_many(ids)
        y = np.broadcast_to(np.arange(self.degree, dtype=np.int64), (B, self.degree)).copy()
        for i in reversed(range(len(digits))):
            y = self._times_section(i, y, digits[i], inverted=False)
        return y



#: Either truth of a permutation group without a table.
AnyPermTruth = Union[PermTruth, SeriesTruth]


class PermLabels(_Sequence):
    """The output labels of a group without a table, made on demand: a
    sequence of ``order`` strings that never lists them all (``labels[i]``,
    ``len``, ``in`` and ``index`` are each one unrank or rank). Any truth
    with ``order``, ``label`` and ``id_of_label`` will do: a permutation
    group's (cycle notation) or a pc group's (:class:`gssm.pc.PcTruth`,
    normal words)."""

    def __init__(self, truth: "AnyPermTruth"):
        self._truth = truth

    def __len__(self) -> int:
        return self._truth.order

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> List[str]: ...

    def __getitem__(self, i: Union[int, slice]) -> Union[str, List[str]]:
        n = len(self)
        if isinstance(i, slice):
            return [self._truth.label(j) for j in range(*i.indices(n))]
        i = int(i)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"output id {i} is outside 0..{n}")
        return self._truth.label(i)

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self)):
            yield self._truth.label(i)

    def _id(self, label: object) -> Optional[int]:
        return self._truth.id_of_label(label)

    def __contains__(self, label: object) -> bool:
        return self._id(label) is not None

    def index(self, label: object, start: int = 0, stop: Optional[int] = None) -> int:
        i = self._id(label)
        if i is None or i < start or (stop is not None and i >= stop):
            raise ValueError(f"{label!r} is not an element's label")
        return i

    def count(self, label: object) -> int:
        return int(label in self)

    def __repr__(self) -> str:
        return f"<{len(self)} output labels {self._truth.LABELS}, made on demand>"


# --------------------------------------------------------------------------
# Schreier–Sims (runtime/src/chain.rs)


class ChainError(Exception):
    """A stabiliser chain past a limit; ``kind`` says which."""

    def __init__(self, kind: str, msg: str):
        super().__init__(msg)
        self.kind = kind


class ChainTooLarge(Exception):
    """The group being built already has more than the given order."""

    def __init__(self, at_least: int):
        super().__init__(at_least)
        self.at_least = at_least


@dataclass(frozen=True)
class ChainLimits:
    """Rust ``chain::ChainLimits``' defaults: work counts point operations
    as the Rust chain does (two per Schreier generator made, one per level
    its sift passes, each times the degree)."""

    max_degree: int = 4096
    max_generators: int = 4096
    max_strong_generators: int = 1 << 16
    max_memory: int = 2 << 30
    max_work: int = 20_000_000_000


class _Level:
    __slots__ = ("point", "gens", "orbit", "pos", "reps", "inv_reps", "done")

    def __init__(self, point: int, n: int):
        ident = np.arange(n, dtype=np.int64)
        self.point = point
        self.gens: List[int] = []
        self.orbit = [point]
        self.pos = np.full(n, -1, np.int64)
        self.pos[point] = 0
        self.reps = [ident]
        self.inv_reps = [ident]
        self.done = [0]


class Chain:
    """A stabiliser chain built by the deterministic Schreier–Sims of
    ``runtime/src/chain.rs`` (same order of work, same limits). With
    ``max_order``, building stops with :class:`ChainTooLarge` as soon as the
    product of the orbit lengths (always a lower bound of the order) passes
    it, so a chain for a claimed order never grows past that order."""

    def __init__(self, degree: int, limits: ChainLimits = ChainLimits(), max_order: Optional[int] = None):
        if degree > limits.max_degree:
            raise ChainError("degree", f"permutations of degree {degree} are more than the {limits.max_degree} points a stabiliser chain accepts")
        self.degree = degree
        self.limits = limits
        self.max_order = max_order
        self.generators: List[np.ndarray] = []
        self.strong: List[np.ndarray] = []
        self.levels: List[_Level] = []
        self.bytes = 0
        self.work = 0
        self._lower = 1

    @classmethod
    def generated(
        cls, degree: int, gens: Sequence[np.ndarray], limits: ChainLimits = ChainLimits(), max_order: Optional[int] = None
    ) -> "Chain":
        if len(gens) > limits.max_generators:
            raise ChainError("generators", f"{len(gens)} generators are more than the {limits.max_generators} a permutation group may have")
        c = cls(degree, limits, max_order)
        for g in gens:
            c.add_generator(np.asarray(g, np.int64))
        return c

    @property
    def base(self) -> List[int]:
        return [l.point for l in self.levels]

    @property
    def order(self) -> int:
        o = 1
        for l in self.levels:
            o *= len(l.orbit)
        return o

    def contains_many(self, gs: np.ndarray) -> np.ndarray:
        """bool [B]: which permutations [B, n] lie in the group."""
        h = np.asarray(gs, np.int64)
        ok = np.ones(h.shape[0], bool)
        for l in self.levels:
            k = l.pos[h[:, l.point]]
            ok &= k >= 0
            inv = np.stack(l.inv_reps)[np.where(k >= 0, k, 0)]
            h = np.take_along_axis(inv, h, axis=1)
        return ok & (h == np.arange(self.degree)).all(axis=1)

    def _sift(self, g: np.ndarray, start: int) -> Tuple[np.ndarray, int]:
        h = g
        for i in range(start, len(self.levels)):
            l = self.levels[i]
            k = int(l.pos[h[l.point]])
            if k < 0:
                return h, i
            h = l.inv_reps[k][h]
        return h, len(self.levels)

    def add_generator(self, g: np.ndarray) -> bool:
        if g.shape[0] != self.degree:
            raise ChainError("invalid", f"a permutation of {g.shape[0]} points added to a group on {self.degree}")
        h, j = self._sift(g, 0)
        if is_identity(h):
            return False
        if len(self.generators) >= self.limits.max_generators:
            raise ChainError("generators", f"{len(self.generators) + 1} generators are more than the {self.limits.max_generators} a permutation group may have")
        self._charge(4 * self.degree)
        self.generators.append(g)
        top = self._add_strong(h, 0, j)
        self._complete(top)
        return True

    def _spend(self, ops: int) -> None:
        self.work += ops
        if self.work > self.limits.max_work:
            raise ChainError("work", f"building the stabiliser chain takes more than {self.limits.max_work} point operations")

    def _charge(self, nbytes: int) -> None:
        if self.bytes + nbytes > self.limits.max_memory:
            raise ChainError("memory", f"the stabiliser chain would take {self.bytes + nbytes} bytes, more than the memory limit of {self.limits.max_memory}")
        self.bytes += nbytes

    def _add_strong(self, h: np.ndarray, frm: int, to: int) -> int:
        if len(self.strong) >= self.limits.max_strong_generators:
            raise ChainError("strong", f"the stabiliser chain needs more than {self.limits.max_strong_generators} strong generators")
        n = self.degree
        if to == len(self.levels):
            point = int(np.flatnonzero(h != np.arange(n))[0])
            self._charge(4 * n + 8 * n + 16)
            self.levels.append(_Level(point, n))
        self._charge(4 * n + 8 * (to - frm + 1))
        s = len(self.strong)
        self.strong.append(h)
        for l in range(frm, to + 1):
            self.levels[l].gens.append(s)
            self._extend_orbit(l)
        return to

    def _extend_orbit(self, l: int) -> None:
        lv = self.levels[l]
        n = self.degree
        idx = 0
        while idx < len(lv.orbit):
            x = lv.orbit[idx]
            for s in lv.gens:
                y = int(self.strong[s][x])
                if lv.pos[y] >= 0:
                    continue
                self._charge(8 * n + 16)
                rep = self.strong[s][lv.reps[idx]]
                # The orbit grew: the product of the orbit lengths, a lower
                # bound of the order, grew with it.
                self._lower = self._lower // len(lv.orbit) * (len(lv.orbit) + 1)
                lv.pos[y] = len(lv.orbit)
                lv.orbit.append(y)
                lv.reps.append(rep)
                lv.inv_reps.append(inverse(rep))
                lv.done.append(0)
                if self.max_order is not None and self._lower > self.max_order:
                    raise ChainTooLarge(self._lower)
            idx += 1

    def _complete(self, start: int) -> None:
        i = start
        while True:
            j = self._process_level(i)
            if j is not None:
                i = j
            elif i == 0:
                return
            else:
                i -= 1

    def _process_level(self, i: int) -> Optional[int]:
        lv = self.levels[i]
        x_idx = 0
        while x_idx < len(lv.orbit):
            while lv.done[x_idx] < len(lv.gens):
                s = lv.gens[lv.done[x_idx]]
                x = lv.orbit[x_idx]
                y = int(self.strong[s][x])
                k = int(lv.pos[y])
                # u_x·s·u_y^-1, applied left to right.
                schreier = lv.inv_reps[k][self.strong[s][lv.reps[x_idx]]]
                lv.done[x_idx] += 1
                h, j = self._sift(schreier, i + 1)
                self._spend((2 + j - i) * self.degree)
                if not is_identity(h):
                    return self._add_strong(h, i + 1, j)
            x_idx += 1
        return None
