"""Solvable groups given by a consistent polycyclic presentation (format
version 7, :class:`PcTruth`): the pc generators f1..fn with relative orders
r_j ≥ 2, power relations f_j^{r_j} = w_jj and conjugate relations
f_j^{f_i} = f_i^-1·f_j·f_i = w_ij (i < j), every w a word in the generators
after the one it is about, stored as exponent vectors. Every element is one
normal word f1^e1·…·fn^en (0 ≤ e_j < r_j), its exponent vector.

The terms cut f1..fn into consecutive blocks B_0, …, B_{k-1}, and
w_i(c) = f_s^{c_0}·f_{s+1}^{c_1}⋯ is the word in block i's generators with
digits c. Every element is uniquely x = w_{k-1}(c_{k-1})⋯w_1(c_1)·w_0(c_0)
(the blocks in reverse order, version 6's σ_{k-1}(c_{k-1})⋯σ_0(c_0)), and its
id is the digits c_0, c_1, … read as one mixed-radix number, f1's digit least
significant: the stack's joint code. Ranking takes c_i as block i's exponents
of x's normal form and goes on with x·w_i(c_i)⁻¹ (in the next term);
unranking collects the product. The label of an id is the normal word of its
element, "f1*f3^2" ("<identity>" for id 0), GAP's names for a pc group's
generators.

The collector follows ``runtime/src/pc.rs`` (without its table of
conjugation by f_i^{2^m}, so a non-commuting tail times f_i^e costs e
steps here): multiplying
f1^e1⋯f_i^{e_i}·u (u in ⟨f_{i+1}, …⟩) by f_i gives f1^e1⋯f_i^{e_i+1}·u^{f_i},
where u^{f_i} is the product of the conjugates w_ij^{u_j} (each power by
squaring), so every step recurses into a smaller subgroup; a tail that
commutes with f_j takes f_j's exponents in one step. Each multiplication by
one generator is a step of work, bounded where a file is checked, so that a
presentation built to make collection explode fails with
:class:`CollectionLimit` instead of hanging.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

#: The label of id 0.
IDENTITY_LABEL = "<identity>"

Exps = List[int]


class PcInconsistent(Exception):
    """Two ways of collecting one of Wamsley's overlaps disagree: the
    presentation defines a group smaller than ∏ r_j."""


class CollectionLimit(Exception):
    """Collection took more steps than its bound."""

    def __init__(self, limit: int):
        super().__init__(f"collection took more than {limit} steps")
        self.limit = limit


def gen_name(j: int) -> str:
    """The name of pc generator j (from 0): "f1", "f2", …."""
    return f"f{j + 1}"


def pc_word(e: Sequence[int]) -> str:
    """An exponent vector as its normal word: "f1*f3^2", "<identity>"."""
    parts = [gen_name(j) if x == 1 else f"{gen_name(j)}^{x}" for j, x in enumerate(e) if x]
    return "*".join(parts) or IDENTITY_LABEL


_FACTOR = re.compile(r"f([1-9][0-9]*)(?:\^([1-9][0-9]*))?")


class Collector:
    """Collection in one presentation (plain Python ints), with a budget of
    steps (None: unbounded). Every vector passed in is a normal word with
    exponents below their relative orders."""

    def __init__(self, orders: Sequence[int], powers: Sequence[Sequence[int]], conj: Sequence[Sequence[Sequence[int]]],
                 max_work: Optional[int] = None):
        self.n = n = len(orders)
        self.orders = [int(r) for r in orders]
        self.powers = [[int(x) for x in row] for row in powers]
        # conj[i][j] for i < j: f_j^{f_i}; moves[i][j]: whether it is not f_j.
        self.conj = [[[int(x) for x in v] for v in row] for row in conj]
        self.moves = [[i < j and any(x != (j == l) for l, x in enumerate(self.conj[i][j])) for j in range(n)] for i in range(n)]
        self.limit = max_work
        self.left = max_work
        self._inverses: Optional[List[Exps]] = None

    def identity(self) -> Exps:
        return [0] * self.n

    def unit(self, j: int, e: int = 1) -> Exps:
        x = [0] * self.n
        x[j] = e
        return x

    def _step(self) -> None:
        if self.left is not None:
            if self.left <= 0:
                raise CollectionLimit(self.limit)  # type: ignore[arg-type]
            self.left -= 1

    def mul_gen(self, r: Exps, i: int) -> None:
        """r ← r·f_i."""
        self._step()
        n = self.n
        tail = [0] * (i + 1) + r[i + 1 :]
        mv = self.moves[i]
        # A tail of generators that commute with f_i stays as it is.
        if any(r[j] and mv[j] for j in range(i + 1, n)):
            tail = self._conj_by(tail, i)
        r[i] += 1
        if r[i] == self.orders[i]:
            r[i] = 0
            t = list(self.powers[i])
            self.mul_into(t, tail)
            tail = t
        r[i + 1 :] = tail[i + 1 :]

    def _conj_by(self, u: Exps, i: int) -> Exps:
        """u^{f_i} for u in ⟨f_{i+1}, …⟩: the product of the (f_j^{f_i})^{u_j}."""
        out = self.identity()
        ci = self.conj[i]
        for j in range(i + 1, self.n):
            e = u[j]
            if e == 1:
                self.mul_into(out, ci[j])
            elif e:
                self.mul_into(out, self.pow(ci[j], e))
        return out

    def mul_into(self, r: Exps, x: Sequence[int]) -> None:
        """r ← r·x."""
        n = self.n
        for j in range(n):
            e = x[j]
            if not e:
                continue
            p = self.orders[j]
            mv = self.moves[j]
            if e < p and not any(r[k] and mv[k] for k in range(j + 1, n)):
                # What follows f_j in r commutes with it: the exponents add
                # in one step, with at most one carry through f_j's power.
                self._step()
                s = r[j] + e
                if s < p:
                    r[j] = s
                else:
                    r[j] = s - p
                    t = list(self.powers[j])
                    self.mul_into(t, [0] * (j + 1) + r[j + 1 :])
                    r[j + 1 :] = t[j + 1 :]
                continue
            for _ in range(e):
                self.mul_gen(r, j)

    def mul(self, x: Sequence[int], y: Sequence[int]) -> Exps:
        r = list(x)
        self.mul_into(r, y)
        return r

    def pow(self, x: Sequence[int], k: int) -> Exps:
        """x^k (k ≥ 0) by squaring."""
        base, out = list(x), self.identity()
        while k > 0:
            if k & 1:
                self.mul_into(out, base)
            k >>= 1
            if k:
                base = self.mul(base, base)
        return out

    def inverses(self) -> List[Exps]:
        """f_i^-1 for every i, made once: f_i^{r_i - 1}·(f_i^{r_i})^-1, the
        last generators' first (w_ii lies in ⟨f_{i+1}, …⟩)."""
        if self._inverses is None:
            n = self.n
            inv: List[Exps] = [self.identity() for _ in range(n)]
            for i in reversed(range(n)):
                w = self.powers[i]
                w_inv = self.identity()
                for j in reversed(range(i + 1, n)):
                    if w[j]:
                        self.mul_into(w_inv, self.pow(inv[j], w[j]))
                inv[i] = self.mul(self.unit(i, self.orders[i] - 1), w_inv)
            self._inverses = inv
        return self._inverses

    def inverse(self, x: Sequence[int]) -> Exps:
        """x^-1 = (f_n^-1)^{e_n}⋯(f_1^-1)^{e_1}."""
        inv = self.inverses()
        out = self.identity()
        for j in reversed(range(self.n)):
            if x[j]:
                self.mul_into(out, self.pow(inv[j], x[j]))
        return out

    def check_consistent(self) -> None:
        """Wamsley's overlaps (Sims 9.8, the list of ``check_consistent`` in
        runtime/src/pc.rs), each collected two ways; raises
        :class:`PcInconsistent` naming the first that disagrees."""
        n = self.n
        name = gen_name

        def prod(x: Sequence[int], i: int) -> Exps:
            r = list(x)
            self.mul_gen(r, i)
            return r

        for k in range(n):
            for j in range(k):
                for i in range(j):
                    # (f_k f_j) f_i = f_k (f_j f_i)
                    if prod(prod(self.unit(k), j), i) != self.mul(self.unit(k), prod(self.unit(j), i)):
                        a, b, c = name(k), name(j), name(i)
                        raise PcInconsistent(f"({a}*{b})*{c} and {a}*({b}*{c}) collect differently")
        for j in range(n):
            pj = self.orders[j]
            a = name(j)
            for i in range(j):
                b = name(i)
                # (f_j^{r_j}) f_i = f_j^{r_j - 1} (f_j f_i)
                if prod(self.powers[j], i) != self.mul(self.unit(j, pj - 1), prod(self.unit(j), i)):
                    raise PcInconsistent(f"{a}^{pj}*{b} and {a}^{pj - 1}*({a}*{b}) collect differently")
                # f_j (f_i^{r_i}) = (f_j f_i) f_i^{r_i - 1}
                pi = self.orders[i]
                if self.mul(self.unit(j), self.powers[i]) != self.mul(prod(self.unit(j), i), self.unit(i, pi - 1)):
                    raise PcInconsistent(f"{a}*{b}^{pi} and ({a}*{b})*{b}^{pi - 1} collect differently")
            # (f_j^{r_j}) f_j = f_j (f_j^{r_j})
            if prod(self.powers[j], j) != self.mul(self.unit(j), self.powers[j]):
                raise PcInconsistent(f"{a}^{pj}*{a} and {a}*{a}^{pj} collect differently")


@dataclass
class PcTruth:
    """A solvable group as a consistent pc presentation whose generators run
    along the stack's series (format version 7): the relative orders, the
    power and conjugate relations as exponent vectors, the terms (how many
    consecutive generators each term of the series adds, top first), and the
    named generators' and tokens' exponent vectors. An element's id is the
    digits of x = w_{k-1}(c_{k-1})⋯w_0(c_0) read as a mixed-radix number
    (f1's digit fastest; see the module), which is the stack's joint code,
    so the file needs no readout. The same interface as
    :class:`gssm.perm.PermTruth` where it applies (order, rank, unrank,
    label), with exponent vectors for permutations."""

    orders: np.ndarray  # int64 [n]
    powers: np.ndarray  # int64 [n, n]
    conjugates: np.ndarray  # int64 [n, n, n]
    terms: np.ndarray  # int64 [k]
    generators: np.ndarray  # int64 [number of generators, n]
    tokens: np.ndarray  # int64 [V, n] (the identity for a start token)
    _prep: Optional[tuple] = field(default=None, init=False, repr=False, compare=False)

    #: How :class:`gssm.perm.PermLabels` describes the labels.
    LABELS = "as normal words in f1..fn"

    @property
    def length(self) -> int:
        """n, the number of pc generators."""
        return int(np.shape(self.orders)[0])

    @property
    def order(self) -> int:
        """|G| = ∏ r_j, exactly (in a valid file)."""
        o = 1
        for r in np.asarray(self.orders).reshape(-1).tolist():
            o *= int(r)
        return o

    @property
    def radices(self) -> List[int]:
        """∏_{l<j} r_l for each j: the weight of generator j's digit in an
        id."""
        out, s = [], 1
        for r in np.asarray(self.orders).reshape(-1).tolist():
            out.append(s)
            s *= int(r)
        return out

    @property
    def blocks(self) -> List[Tuple[int, int]]:
        """Each term's generators as a range (start, end) of 0..n."""
        out, s = [], 0
        for b in np.asarray(self.terms).reshape(-1).tolist():
            out.append((s, s + int(b)))
            s += int(b)
        return out

    @property
    def factor_orders(self) -> List[int]:
        """|A_i| = ∏_{j in B_i} r_j per term: layer i's number of codes."""
        r = np.asarray(self.orders).reshape(-1).tolist()
        out = []
        for s, e in self.blocks:
            o = 1
            for x in r[s:e]:
                o *= int(x)
            out.append(o)
        return out

    def collector(self, max_work: Optional[int] = None) -> Collector:
        """A fresh collector with a budget of ``max_work`` steps (None:
        unbounded)."""
        n = self.length
        conj = np.asarray(self.conjugates, np.int64).reshape(n, n, n).tolist()
        return Collector(np.asarray(self.orders).tolist(), np.asarray(self.powers, np.int64).reshape(n, n).tolist(), conj, max_work)

    def _col(self) -> Collector:
        # An unbounded collector with its inverses, made again when the
        # arrays are replaced (the loader drops it on every validation).
        key = (id(self.orders), id(self.powers), id(self.conjugates))
        if self._prep is None or self._prep[0] != key:
            self._prep = (key, self.collector())
        return self._prep[1]

    # -- elements ------------------------------------------------------------

    def _vec(self, x: Sequence[int]) -> Exps:
        v = [int(e) for e in np.asarray(x).reshape(-1).tolist()]
        if len(v) != self.length:
            raise ValueError(f"an exponent vector has {self.length} entries, not {len(v)}")
        for j, (e, r) in enumerate(zip(v, np.asarray(self.orders).tolist())):
            if not 0 <= e < r:
                raise ValueError(f"exponent {e} of {gen_name(j)} is outside 0..{r}")
        return v

    def mul(self, x: Sequence[int], y: Sequence[int]) -> Exps:
        """x·y, both exponent vectors."""
        return self._col().mul(self._vec(x), self._vec(y))

    def inverse(self, x: Sequence[int]) -> Exps:
        return self._col().inverse(self._vec(x))

    def pow(self, x: Sequence[int], k: int) -> Exps:
        """x^k for any integer k."""
        col = self._col()
        v = self._vec(x)
        return col.pow(col.inverse(v), -k) if k < 0 else col.pow(v, k)

    def _block_words(self, d: Sequence[int]) -> List[Exps]:
        """The words w_i(c_i) of digits d (one per generator, in order) as
        exponent vectors, one per block: d on block i's positions, 0
        elsewhere (already a normal word)."""
        out = []
        for s, e in self.blocks:
            w = [0] * self.length
            w[s:e] = d[s:e]
            out.append(w)
        return out

    def _rank_vec(self, v: Exps) -> int:
        # c_i = block i's exponents of x, then x <- x·w_i(c_i)^-1; the
        # last block's word is x itself.
        col = self._col()
        bl = self.blocks
        d = list(v)
        x = list(v)
        for i, (s, e) in enumerate(bl[:-1]):
            c = x[s:e]
            d[s:e] = c
            if any(c):
                w = [0] * self.length
                w[s:e] = c
                x = col.mul(x, col.inverse(w))
            if any(x[:e]):
                raise ValueError(
                    f"{pc_word(v)} times the inverse of its term {i} word is not in term {i + 1}: "
                    "the presentation does not run along `pc.terms`"
                )
        if bl:
            s, e = bl[-1]
            d[s:e] = x[s:e]
        return sum(a * r for a, r in zip(d, self.radices))

    def _digits(self, id: int) -> Exps:
        out = []
        for r in np.asarray(self.orders).tolist():
            out.append(id % int(r))
            id //= int(r)
        return out

    def _unrank_digits(self, d: Exps) -> Exps:
        # w_{k-1}(c_{k-1})⋯w_1(c_1)·w_0(c_0), collected.
        col = self._col()
        x = col.identity()
        for w in reversed(self._block_words(d)):
            if any(w):
                col.mul_into(x, w)
        return x

    def rank(self, x: Sequence[int]) -> Optional[int]:
        """The id of the element with exponent vector x (its normal word),
        or None when x is not one (wrong length, an exponent out of range)."""
        try:
            v = self._vec(x)
        except ValueError:
            return None
        return self._rank_vec(v)

    def unrank(self, id: int) -> Exps:
        """The exponent vector (normal word) of the element with id ``id``
        (0 <= id < order)."""
        id = int(id)
        if not 0 <= id < self.order:
            raise ValueError(f"element id {id} is outside 0..{self.order}")
        return self._unrank_digits(self._digits(id))

    def rank_many(self, x: np.ndarray) -> np.ndarray:
        """Ids of exponent vectors x [B, n] (in range)."""
        x = np.asarray(x, np.int64).reshape(-1, self.length)
        return np.asarray([self._rank_vec(v) for v in x.tolist()], np.int64).reshape(x.shape[0])

    def unrank_many(self, ids: np.ndarray) -> np.ndarray:
        """Exponent vectors [B, n] of ids [B] (each below the order)."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        out = np.empty((ids.shape[0], self.length), np.int64)
        for b, i in enumerate(ids.tolist()):
            out[b] = self._unrank_digits(self._digits(int(i)))
        return out

    def label(self, id: int) -> str:
        """Element ``id`` as its normal word ("f1*f3^2", "<identity>")."""
        return pc_word(self.unrank(id))

    def labels_many(self, ids: np.ndarray) -> List[str]:
        return [pc_word(e) for e in self.unrank_many(ids).tolist()]

    def id_of_label(self, label: object) -> Optional[int]:
        """The id a label names, or None when it is no element's label (the
        normal word exactly as :meth:`label` writes it)."""
        if not isinstance(label, str):
            return None
        if label == IDENTITY_LABEL:
            return 0
        e = [0] * self.length
        last = -1
        for factor in label.split("*"):
            m = _FACTOR.fullmatch(factor)
            if m is None:
                return None
            j = int(m.group(1)) - 1
            x = int(m.group(2) or 1)
            if j <= last or j >= self.length or (m.group(2) and x == 1) or x >= int(self.orders[j]):
                return None
            e[j], last = x, j
        return self.rank(e)

    # -- ground truth --------------------------------------------------------

    def next(self, y: int, token: int) -> int:
        """The id of y·x for the element with id ``y`` and token ``token``'s
        element x: rank(unrank(y)·x)."""
        return self._rank_vec(self._col().mul(self.unrank(y), np.asarray(self.tokens)[int(token)].tolist()))

    def running_ids(self, x: np.ndarray, bos: Optional[int] = None) -> np.ndarray:
        """Ids of the running products of token rows x [B, T] (each row's
        product reset to the identity by the start token ``bos``): the same
        as steps of :meth:`next`, keeping the element between steps."""
        x = np.asarray(x, np.int64)
        col = self._col()
        toks = np.asarray(self.tokens, np.int64).tolist()
        out = np.empty(x.shape, np.int64)
        for b, row in enumerate(x.tolist()):
            g = col.identity()
            for t, v in enumerate(row):
                if v == bos:
                    g = col.identity()
                    out[b, t] = 0
                else:
                    col.mul_into(g, toks[v])
                    out[b, t] = self._rank_vec(g)
        return out

    def check_consistent(self, max_work: Optional[int] = None) -> None:
        """Wamsley's overlaps with a bound on collection work: raises
        :class:`PcInconsistent` or :class:`CollectionLimit`."""
        self.collector(max_work).check_consistent()
