"""Format version 7: aussm stacks for solvable groups given by a consistent
polycyclic presentation, numbered along the series the terms give
(the README's "The weight file", `pc.*`): with w_i(c) = f_s^{c_0}·f_{s+1}^{c_1}⋯ the
word in block i's generators, every element is uniquely
x = w_{k-1}(c_{k-1})⋯w_0(c_0), and its id is the digits c_0, c_1, … read as a
mixed-radix number (f1's digit least significant), the stack's joint code (no
readout); its label is the normal word of x.

Files are crafted here: each group is a permutation representation of its
pc generators f1..fn written here; the presentation (`pc.powers`,
`pc.conjugates`) is read off it by listing every normal word f1^e1⋯fn^en
as a permutation, and so is the ground truth: the numbering above, written
here from the spec on the permutations. The layers follow the construction
of `test_v5.craft_aussm` along the series the terms give (layer i tracks the
block's abelian factor, its tokens the elements of G_i, the cocycle hands
layer i+1 κ = σ(c)·x·σ(c')⁻¹); the version-6 truth it writes is swapped for
the `pc.*` tensors. Python loads the files, checks the presentation and the
numbering against the representation, runs them with NumPy and torch, and
refuses one lie per loader check.

Files compiled by the CLI (F101 = C101 ⋊ C100 and the Heisenberg group mod
20, past the element limit) are checked against the groups written here as
affine maps and unitriangular matrices, numbered here from the spec.
"""

from __future__ import annotations

import itertools
import json
import math
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pytest
import synth
from conftest import cli_run, gssm_bin, need_torch
from safetensors.numpy import save
from test_loader import read_raw
from test_v5 import Perm, Series, agrees_with_gssm_run, aussm_sequences, compile_perm, craft_aussm, from_cycles, inv, mul, power

import gssm

# -- groups as permutations, and their presentations read off them -------------


def c(n: int, *cycles: Sequence[int]) -> Perm:
    return from_cycles(n, cycles)


def quaternion_regular() -> Dict[str, Perm]:
    """Q8 = {±1, ±i, ±j, ±k} acting on itself by right multiplication."""
    table = {("1", u): (1, u) for u in "1ijk"}
    table.update({(u, "1"): (1, u) for u in "1ijk"})
    for u in "ijk":
        table[(u, u)] = (-1, "1")
    for a, b, d in (("i", "j", "k"), ("j", "k", "i"), ("k", "i", "j")):
        table[(a, b)], table[(b, a)] = (1, d), (-1, d)
    elems = [(s, u) for s in (1, -1) for u in "1ijk"]

    def times(x, y):
        s, u = table[(x[1], y[1])]
        return (x[0] * y[0] * s, u)

    def right(q):
        return tuple(elems.index(times(x, q)) for x in elems)

    return {"i": right((1, "i")), "j": right((1, "j")), "-1": right((-1, "1"))}


class Pres:
    """A pc presentation read off permutations f1..fn with relative orders
    r_j along terms (blocks of consecutive generators): every normal word
    f1^e1⋯fn^en is listed as a permutation (the words must give
    |G| = ∏ r_j distinct ones), so each permutation of G has its exponent
    vector, and f_j^{r_j}, f_j^{f_i} theirs. The ids are the spec's
    numbering, computed on the permutations."""

    def __init__(self, gens: Sequence[Perm], orders: Sequence[int], degree: int, terms: Sequence[int]):
        self.gens, self.orders, self.degree = list(gens), list(orders), degree
        self.n = len(orders)
        self.blocks, s = [], 0
        for b in terms:
            self.blocks.append((s, s + b))
            s += b
        assert s == self.n
        self.radix = [math.prod(orders[:j]) for j in range(self.n)]
        self.exps: Dict[Perm, Tuple[int, ...]] = {}
        for e in itertools.product(*[range(r) for r in orders]):
            g = self.word(e)
            assert g not in self.exps, f"two normal words give {g}: the relative orders are too large"
            self.exps[g] = e
        assert len(self.exps) == math.prod(orders)
        self.powers = [list(self.exps[power(f, r)]) for f, r in zip(gens, orders)]
        self.conj = [[[0] * self.n for _ in range(self.n)] for _ in range(self.n)]
        for i in range(self.n):
            for j in range(i + 1, self.n):
                self.conj[i][j] = list(self.exps[mul(mul(inv(gens[i]), gens[j]), gens[i])])

    def word(self, e: Sequence[int]) -> Perm:
        """f1^e1⋯fn^en."""
        g = tuple(range(self.degree))
        for f, x in zip(self.gens, e):
            g = mul(g, power(f, x))
        return g

    def block_word(self, i: int, d: Sequence[int]) -> Perm:
        """w_i(c): block i's generators to the digits d has there."""
        s, e = self.blocks[i]
        return self.word([d[j] if s <= j < e else 0 for j in range(self.n)])

    def id(self, g: Perm) -> int:
        # c_i = block i's exponents of g's normal word, g <- g·w_i(c_i)^-1.
        g, d = tuple(g), [0] * self.n
        for i, (s, e) in enumerate(self.blocks):
            x = self.exps[g]
            assert not any(x[:s]), "g left term i"
            d[s:e] = x[s:e]
            g = mul(g, inv(self.block_word(i, d)))
        assert g == tuple(range(self.degree))
        return sum(a * r for a, r in zip(d, self.radix))

    def perm(self, id: int) -> Perm:
        # w_{k-1}(c_{k-1})⋯w_0(c_0).
        d = []
        for r in self.orders:
            d.append(id % r)
            id //= r
        g = tuple(range(self.degree))
        for i in reversed(range(len(self.blocks))):
            g = mul(g, self.block_word(i, d))
        return g


def word_label(e: Sequence[int]) -> str:
    """The spec's label of an exponent vector, written here."""
    parts = [f"f{j + 1}" + (f"^{x}" if x > 1 else "") for j, x in enumerate(e) if x]
    return "*".join(parts) or "<identity>"


S3_T, S3_C = c(3, (1, 2)), c(3, (1, 2, 3))
D8_R, D8_S = c(4, (1, 2, 3, 4)), c(4, (1, 3))
Q = quaternion_regular()
C8_A = c(8, (1, 2, 3, 4, 5, 6, 7, 8))
C3C4_X, C3C4_Y = c(7, (1, 2, 3)), c(7, (4, 5, 6, 7))
V_A, V_B = c(4, (1, 2)), c(4, (3, 4))
C4_A = c(4, (1, 2, 3, 4))

GROUPS = {
    # name: (degree, pc generators, relative orders, terms, named generators,
    #        tokens (label, permutation), bos, order)
    "C4": (4, [C4_A], [4], [1], [("a", C4_A)], [("a", C4_A), ("a^-1", inv(C4_A)), ("a^2", power(C4_A, 2))], False),
    "C2xC2": (4, [V_A, V_B], [2, 2], [2], [("a", V_A), ("b", V_B)], [("a", V_A), ("b", V_B), ("a*b", mul(V_A, V_B))], False),
    # f2^{f1} = f2^2: S3 ⊳ A3, not a central series.
    "S3": (3, [S3_T, S3_C], [2, 3], [1, 1], [("t", S3_T), ("c", S3_C)],
           [("t", S3_T), ("c", S3_C), ("c^-1", inv(S3_C)), ("t*c", mul(S3_T, S3_C))], False),
    # f1 = s, f2 = r, f3 = r^2: f2^2 = f3, f2^{f1} = f2*f3; the centre below D8/Z = V4.
    "D8": (4, [D8_S, D8_R, power(D8_R, 2)], [2, 2, 2], [2, 1], [("r", D8_R), ("s", D8_S)],
           [("r", D8_R), ("r^-1", inv(D8_R)), ("s", D8_S), ("r*s", mul(D8_R, D8_S))], False),
    "D8-bos": (4, [D8_S, D8_R, power(D8_R, 2)], [2, 2, 2], [2, 1], [("r", D8_R), ("s", D8_S)],
               [("r", D8_R), ("s", D8_S)], True),
    # f1 = rs, f2 = r^2, f3 = s: D8 ⊳ V4 = <r^2, s> ⊳ 1, V4 not central.
    "D8-V4": (4, [mul(D8_R, D8_S), power(D8_R, 2), D8_S], [2, 2, 2], [1, 2], [("r", D8_R), ("s", D8_S)],
              [("r", D8_R), ("s", D8_S), ("s*r", mul(D8_S, D8_R))], False),
    # i, j, -1: f1^2 = f3, f2^2 = f3, f2^{f1} = f2*f3.
    "Q8": (8, [Q["i"], Q["j"], Q["-1"]], [2, 2, 2], [2, 1], [("i", Q["i"]), ("j", Q["j"])],
           [("i", Q["i"]), ("j", Q["j"]), ("i^-1", inv(Q["i"])), ("j^3", inv(Q["j"]))], False),
    # A composite relative order with a carry: f1^4 = f2.
    "C8": (8, [C8_A, power(C8_A, 4)], [4, 2], [1, 1], [("a", C8_A)], [("a", C8_A), ("a^-1", inv(C8_A)), ("a^3", power(C8_A, 3))], False),
    # One term of two generators of orders 3 and 4.
    "C3xC4": (7, [C3C4_X, C3C4_Y], [3, 4], [2], [("x", C3C4_X), ("y", C3C4_Y)],
              [("x", C3C4_X), ("y", C3C4_Y), ("x*y", mul(C3C4_X, C3C4_Y)), ("y^-1", inv(C3C4_Y))], False),
    # n = 0, k = 0: no terms, no layers, the one id 0.
    "trivial": (3, [], [], [], [("a", (0, 1, 2))], [("a", (0, 1, 2)), ("a^2", (0, 1, 2))], False),
}
ORDERS = {"C4": 4, "C2xC2": 4, "S3": 6, "D8": 8, "D8-bos": 8, "D8-V4": 8, "Q8": 8, "C8": 8, "C3xC4": 12, "trivial": 1}


def pres(name: str) -> Pres:
    degree, gens, orders, terms, *_ = GROUPS[name]
    return Pres(gens, orders, degree, terms)


def token_perms(name: str) -> List[Perm]:
    degree, *_, toks, bos = GROUPS[name]
    return [p for _, p in toks] + ([tuple(range(degree))] if bos else [])


def craft(path: Path, name: str) -> Path:
    """A version 7 file for GROUPS[name]: the layers of craft_aussm along the
    terms' series, the presentation read off the permutations."""
    degree, gens, orders, terms, named, toks, bos = GROUPS[name]
    p = Pres(gens, orders, degree, terms)
    series, start = [], 0
    for b in terms:
        series.append((orders[start : start + b], gens[start : start + b]))
        start += b
    v6 = craft_aussm(path, name, [n for n, _ in named], [g for _, g in named], toks, Series(degree, series), bos=bos)
    t, man = read_raw(v6)
    for key in [k for k in t if k.startswith("perm.")]:
        del t[key]
    n = len(orders)
    i32 = lambda a, shape: np.asarray(a, np.int64).reshape(shape).astype("<i4")  # noqa: E731
    t["pc.orders"] = i32(orders, [n])
    t["pc.powers"] = i32(p.powers, [n, n])
    t["pc.conjugates"] = i32(p.conj, [n, n, n])
    t["pc.terms"] = i32(terms, [len(terms)])
    t["pc.generators"] = i32([p.exps[g] for _, g in named], [len(named), n])
    t["pc.tokens"] = i32([p.exps[g] for g in token_perms(name)], [len(toks) + bos, n])
    man["format_version"] = 7
    path.write_bytes(save(t, metadata={"gssm": json.dumps(man, separators=(",", ":"), ensure_ascii=False)}))
    return path


@pytest.fixture(scope="session")
def crafted(tmp_path_factory):
    d = tmp_path_factory.mktemp("models_v7")
    cache: Dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            cache[name] = craft(d / f"{name}.safetensors", name)
        return cache[name]

    return get


def expected(name: str, x: np.ndarray, bos: Optional[int]) -> np.ndarray:
    """Ids of the running products, multiplied and numbered here."""
    p = pres(name)
    perms = token_perms(name)
    out = np.empty(x.shape, np.int64)
    for b, row in enumerate(x.tolist()):
        g = tuple(range(p.degree))
        for t, v in enumerate(row):
            g = tuple(range(p.degree)) if v == bos else mul(g, perms[v])
            out[b, t] = p.id(g)
    return out


# -- the crafted files -----------------------------------------------------------


def test_the_presentations_are_the_ones_meant():
    assert pres("S3").conj[0][1] == [0, 2] and pres("S3").powers == [[0, 0], [0, 0]]
    assert pres("D8").powers == [[0, 0, 0], [0, 0, 1], [0, 0, 0]] and pres("D8").conj[0][1] == [0, 1, 1]
    assert pres("Q8").powers == [[0, 0, 1], [0, 0, 1], [0, 0, 0]] and pres("Q8").conj[0][1] == [0, 1, 1]
    assert pres("C8").powers == [[0, 1], [0, 0]]
    assert pres("D8-V4").conj[0][2] == [0, 1, 1]


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_crafted_loads(crafted, name):
    degree, gens, orders, terms, named, toks, bos = GROUPS[name]
    m = gssm.load(crafted(name))
    assert m.manifest.format_version == gssm.FORMAT_VERSION_PC == 7
    assert isinstance(m.pc, gssm.PcTruth) and m.perm is None and m.outputs_joint_code
    assert m.target == "aussm" and m.is_diagonal and m.readout is None
    assert m.group is None and m.group_table is None and m.manifest.outputs == []
    assert m.order == m.pc.order == ORDERS[name] and m.num_tokens == len(toks) + bos
    assert m.pc.orders.tolist() == orders and m.pc.terms.tolist() == terms
    assert [l.num_codes for l in m.layers] == m.pc.factor_orders
    assert m.series_orders[0] == m.order
    labels = m.output_labels
    assert len(labels) == m.order and labels[0] == "<identity>"
    assert f"order {m.order}" in repr(m) and "normal words" in repr(labels)


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_pc_truth_multiplies_as_the_permutations_do(crafted, name):
    m = gssm.load(crafted(name))
    p, pc = pres(name), m.pc
    ids = range(m.order)
    assert sorted(p.id(p.perm(a)) for a in ids) == list(ids)
    for a in ids:
        ea = pc.unrank(a)
        assert list(ea) == list(p.exps[p.perm(a)]) and pc.rank(ea) == a
        assert pc.label(a) == word_label(ea) and m.output_labels.index(pc.label(a)) == a
        assert pc.rank(pc.inverse(ea)) == p.id(inv(p.perm(a)))
        for b in ids:
            want = p.id(mul(p.perm(a), p.perm(b)))
            assert pc.rank(pc.mul(ea, pc.unrank(b))) == want == m.multiply(a, b)
    for v, g in enumerate(token_perms(name)):
        assert pc.next(0, v) == p.id(g)


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_running_products_are_the_ids(crafted, name):
    m = gssm.load(crafted(name))
    x = aussm_sequences(m, (4, 60), seed=7)
    want = expected(name, x, m.bos)
    np.testing.assert_array_equal(m.running_products(x), want)
    np.testing.assert_array_equal(m.truth(x), want)
    assert m.decode(want[0]) == [word_label(pres(name).exps[pres(name).perm(i)]) for i in want[0]]


@pytest.mark.parametrize("name", sorted(GROUPS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numpy_outputs_are_the_ids(crafted, name, dtype):
    m = gssm.load(crafted(name))
    x = aussm_sequences(m, (6, 200), seed=17)
    y = m.run(x, dtype)
    np.testing.assert_array_equal(y, expected(name, x, m.bos))
    if m.bos is not None:
        assert (y[x == m.bos] == 0).all()


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_torch_outputs_are_the_ids(crafted, tmp_path, name):
    torch = need_torch()
    path = crafted(name)
    m = gssm.load(path)
    x = aussm_sequences(m, (4, 120), seed=23)
    want = expected(name, x, m.bos)
    for dt in (torch.float32, torch.float64):
        mod = gssm.GssmModule(m, dtype=dt)
        assert mod.readout is None
        np.testing.assert_array_equal(mod(torch.as_tensor(x)).numpy(), want)
    out_path = tmp_path / f"{name}.torch.safetensors"
    gssm.save(gssm.GssmModule(m).export(), str(out_path))
    assert out_path.read_bytes() == path.read_bytes()


def series(name: str) -> Series:
    degree, gens, orders, terms, *_ = GROUPS[name]
    out, start = [], 0
    for b in terms:
        out.append((orders[start : start + b], gens[start : start + b]))
        start += b
    return Series(degree, out)


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_the_numbering_is_version_6s_along_the_terms(name):
    # The spec's ids are version 6's numbering of the same series, the
    # sections each term's pc generators (test_v5.Series: π_i by brute
    # force), which is what the stacks built by craft_aussm output.
    p, s = pres(name), series(name)
    assert sorted(p.id(g) for g in p.exps) == list(range(ORDERS[name]))
    for g in p.exps:
        assert p.id(g) == s.rank(g) and p.perm(p.id(g)) == g


def test_ids_by_hand(crafted):
    # S3: f1 = t, f2 = c, f2^f1 = f2^2, terms [1, 1]; id c_0 + 2·c_1 is
    # f2^{c_1}·f1^{c_0}. t·c = f1*f2: c_0 = 1, t·c·t^-1 = f2^2 gives c_1 = 2,
    # id 5 (and f2^2·f1 = f1·f2^4 = f1*f2); id 3 is f2·f1 = f1*f2^2. The
    # exponent vector of f1*f2 read as a number would be 3.
    m = gssm.load(crafted("S3"))
    assert pres("S3").id(mul(S3_T, S3_C)) == 5 and pres("S3").id(mul(S3_T, power(S3_C, 2))) == 3
    assert [m.output_labels[i] for i in range(6)] == ["<identity>", "f1", "f2", "f1*f2^2", "f2^2", "f1*f2"]
    assert m.evaluate("t*c") == 5 and m.pc.rank([1, 1]) == 5 and m.pc.unrank(5) == [1, 1]
    assert m.pc.rank([1, 2]) == 3 and m.pc.unrank(3) == [1, 2] and m.pc.label(3) == "f1*f2^2"
    assert m.output_labels.index("f1*f2") == 5 and m.multiply(1, 2) == 5 and m.multiply(2, 1) == 3
    x = m.encode("t c c t")  # t, t·c, t·c^2, t·c^2·t = c
    np.testing.assert_array_equal(m.run(x), [1, 5, 3, 2])
    np.testing.assert_array_equal(m.running_products(x), [1, 5, 3, 2])
    assert m.decode(m.run(x)) == ["f1", "f1*f2", "f1*f2^2", "f2"]
    # D8 ⊳ V4 = <r^2, s>, not central: f1 = rs, f2 = r^2, f3 = s,
    # f3^f1 = f2*f3. r = f1·f3 (normal word, exponents 1, 0, 1): c_0 = 1,
    # r·f1^-1 = s^{f1} = f2·f3, so r = w_1(1, 1)·w_0(1) has id 1 + 2 + 4 = 7;
    # s·rs = f3·f1 has id 1 + 4 = 5.
    p = pres("D8-V4")
    rs, r2, s_ = mul(D8_R, D8_S), power(D8_R, 2), D8_S
    assert mul(rs, s_) == D8_R == mul(mul(r2, s_), rs) and p.exps[D8_R] == (1, 0, 1)
    assert p.id(D8_R) == 7 and p.id(mul(s_, rs)) == 5
    m = gssm.load(crafted("D8-V4"))
    assert m.evaluate("r") == 7 and m.output_labels[7] == "f1*f3" and m.evaluate("s*r*s") == 5
    assert m.output_labels[5] == word_label(p.exps[mul(s_, rs)])


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_save_gives_the_same_bytes(crafted, tmp_path, name):
    path = crafted(name)
    out = tmp_path / f"{name}.again.safetensors"
    gssm.load(path).save(str(out))
    assert out.read_bytes() == path.read_bytes()


def test_evaluate_and_labels(crafted):
    m = gssm.load(crafted("D8"))
    p = pres("D8")
    assert m.evaluate("r") == p.id(D8_R) == 2 and m.evaluate("s") == 1
    assert m.evaluate("r^-1*s^3") == p.id(mul(inv(D8_R), D8_S))
    assert m.output_labels[2] == "f2" and m.output_labels[7] == "f1*f2*f3" and m.output_labels[5] == "f1*f3"
    assert "f2*f1" not in m.output_labels and "f1^1" not in m.output_labels and "f4" not in m.output_labels
    x = m.encode("r r s")
    assert m.decode(m.run(x)) == ["f2", "f3", "f1*f3"]  # r^2*s = s*r^2
    with pytest.raises(gssm.TokenError):
        m.evaluate("q")
    m = gssm.load(crafted("C8"))
    assert m.decode(m.run(m.encode("a^3 a^3"))) == ["f1^3", "f1^2*f2"]


def test_the_trivial_group(crafted):
    m = gssm.load(crafted("trivial"))
    assert m.order == 1 and m.layers == [] and m.pc.length == 0 and list(m.output_labels) == ["<identity>"]
    x = np.asarray([[0, 1, 1], [1, 0, 0]])
    np.testing.assert_array_equal(m.run(x), np.zeros((2, 3), np.int64))
    np.testing.assert_array_equal(m.running_products(x), np.zeros((2, 3), np.int64))


def test_a_large_relative_order_collects_fast():
    # C1009 ⋊ C1008 (f2^{f1} = f2^11): f1^a·f2^b·f1^c·f2^d = f1^{a+c}·f2^{b·11^c + d}.
    import time

    r1, r2, g = 1008, 1009, 11
    conj = np.zeros((2, 2, 2), np.int64)
    conj[0, 1, 1] = g
    pc = gssm.PcTruth(
        orders=np.asarray([r1, r2]), powers=np.zeros((2, 2), np.int64), conjugates=conj,
        terms=np.asarray([1, 1]), generators=np.eye(2, dtype=np.int64), tokens=np.eye(2, dtype=np.int64),
    )
    t0 = time.perf_counter()
    pc.check_consistent(max_work=100_000)
    rng = np.random.default_rng(1)
    for _ in range(200):
        a, c_ = (int(v) for v in rng.integers(0, r1, 2))
        b, d = (int(v) for v in rng.integers(0, r2, 2))
        assert pc.mul([a, b], [c_, d]) == [(a + c_) % r1, (b * pow(g, c_, r2) + d) % r2]
        assert pc.mul(pc.inverse([a, b]), [a, b]) == [0, 0]
    assert time.perf_counter() - t0 < 20
    # A presentation whose collection is long stops at the bound.
    with pytest.raises(gssm.pc.CollectionLimit):
        pc.check_consistent(max_work=10)


def test_the_work_bound_is_a_limit_error(crafted):
    path = crafted("Q8")
    with pytest.raises(gssm.LimitError, match="checking that the pc presentation is consistent took more than 5 collection steps"):
        gssm.load(path, gssm.LoadLimits(max_pc_work=5))
    # Neither the Cayley-table limit nor the readout table's bounds the ids.
    assert gssm.load(path, gssm.LoadLimits(max_order=2, max_table=100)).order == 8


def test_an_edited_model_is_validated_before_it_is_written(crafted, tmp_path):
    m = gssm.load(crafted("D8"))
    m.readout = np.arange(8)
    with pytest.raises(gssm.InconsistentError, match="no `readout` tensor"):
        m.save(str(tmp_path / "x.safetensors"))
    m = gssm.load(crafted("D8"))
    m.pc.terms = np.asarray([1, 1, 1])
    with pytest.raises(gssm.InconsistentError, match="`pc.terms` has 3 terms, but the stack has 2 layers"):
        m.save(str(tmp_path / "x.safetensors"))
    assert not (tmp_path / "x.safetensors").exists()


# -- lies, one or more per check -----------------------------------------------


def _set(name: str, index, value):
    def f(t, m):
        a = t[name].copy()
        a[index] = value
        t[name] = a

    return f


def _put(name: str, value):
    def f(t, m):
        t[name] = np.asarray(value, np.int32)

    return f


def _field(key: str, value):
    def f(t, m):
        m[key] = value

    return f


def _drop(*names: str):
    def f(t, m):
        for name in names:
            del t[name]

    return f


def _drop_last_layer(t, m):
    for name in [k for k in t if k.startswith("layer.1.")] + ["layer.0.cocycle"]:
        del t[name]


def _swap_token_rows(t, m):
    t["pc.tokens"] = t["pc.tokens"][[1, 0] + list(range(2, t["pc.tokens"].shape[0]))].copy()


def _start_token_without_a_layer(t, m):
    # The trivial group has no terms, so no layers: a start token would have
    # no state to reset.
    m["bos"] = len(m["tokens"])
    m["tokens"] = m["tokens"] + ["<bos>"]
    rows = t["pc.tokens"]
    t["pc.tokens"] = np.zeros((rows.shape[0] + 1, rows.shape[1]), rows.dtype)


CASES = [
    # 1: shapes, relative orders, ranges, the zeros of the relations.
    ("relative order 1", "C2xC2", _set("pc.orders", 1, 1), gssm.InconsistentError,
     "`pc.orders` entry 1 is 1, but a relative order is at least 2"),
    ("ids past 32 bits", "C2xC2", _put("pc.orders", [65536, 65537]), gssm.LimitError,
     "the relative orders `pc.orders` multiply to more than 4294967295 elements (output ids are 32-bit)"),
    ("power exponent out of range", "D8", _set("pc.powers", (1, 2), 2), gssm.RangeError,
     "tensor `pc.powers` entry [1, 2] is 2, outside 0..2 (f3's relative order)"),
    ("conjugate exponent out of range", "S3", _set("pc.conjugates", (0, 1, 1), 3), gssm.RangeError,
     "tensor `pc.conjugates` entry [0, 1, 1] is 3, outside 0..3 (f2's relative order)"),
    ("power not below its generator", "C8", _set("pc.powers", (0, 0), 1), gssm.InconsistentError,
     "`pc.powers` entry [0, 0] is 1, but row 0 (f1^4) is a word in the generators after f1: entries 0..=0 must be 0"),
    ("conjugate row below the diagonal", "S3", _set("pc.conjugates", (1, 0, 1), 1), gssm.InconsistentError,
     "`pc.conjugates` entry [1, 0, 1] is 1, but rows [i, j] with i >= j are all 0"),
    ("conjugate not after its conjugator", "D8", _set("pc.conjugates", (1, 2, 1), 1), gssm.InconsistentError,
     "`pc.conjugates` entry [1, 2, 1] is 1, but row [1, 2] (f3^f2) is a word in the generators after f2: entries 0..=1 must be 0"),
    ("powers of the wrong shape", "D8", _put("pc.powers", np.zeros((3, 2))), gssm.ShapeError,
     "tensor `pc.powers` has shape [3, 2], expected [3, 3]"),
    ("negative exponent", "C4", _set("pc.tokens", (0, 0), -1), gssm.RangeError, "tensor `pc.tokens` entry 0 is -1"),
    # 2: consistency.
    ("f1^2 = f2 beside f2^f1 = f2^2", "S3", _set("pc.powers", (0, 1), 1), gssm.InconsistentError,
     "the pc presentation (`pc.*`) is inconsistent: f1^2*f1 and f1*f1^2 collect differently, so it defines a "
     "group smaller than the product of the relative orders"),
    ("a conjugate of f2 that is 1", "C2xC2", _set("pc.conjugates", (0, 1, 1), 0), gssm.InconsistentError,
     "the pc presentation (`pc.*`) is inconsistent: f2*f1^2 and (f2*f1)*f1^1 collect differently"),
    # 3: the terms.
    ("terms not summing to n", "D8", _put("pc.terms", [1, 1]), gssm.InconsistentError,
     "`pc.terms` adds up to 2 generators, but `pc.orders` has 3: the terms' blocks partition f1..fn"),
    ("an empty term", "D8", _put("pc.terms", [2, 0, 1]), gssm.InconsistentError,
     "`pc.terms` entry 1 is 0, but each term adds at least one generator"),
    ("a non-abelian block", "S3", _put("pc.terms", [2]), gssm.InconsistentError,
     "`pc.conjugates` [0, 1] gives f2^f1 = f2^2, which is not f2 times later terms' generators: f1 and f2 are both in "
     "term 0 (block 0 of `pc.terms`: f1..f2), whose factor must be abelian"),
    ("a block whose power stays in it", "C8", _put("pc.terms", [2]), gssm.InconsistentError,
     "`pc.powers` row 0 gives f1^4 = f2, which is not in the later terms: f1 is in term 0 (block 0 of `pc.terms`: "
     "f1..f2), whose factor must have coordinates of orders [4, 2]"),
    ("a term that is not normal", "D8-V4", _put("pc.terms", [2, 1]), gssm.InconsistentError,
     "`pc.conjugates` [0, 2] gives f3^f1 = f2*f3, which is not in term 1 (the generators from f3 on): f1 is in term 0 "
     "(block 0 of `pc.terms`: f1..f2), in which term 1 must be normal"),
    # 4: the net.
    ("a layer too few", "D8", _drop_last_layer, gssm.InconsistentError,
     "`pc.terms` has 2 terms, but the stack has 1 layers: without a readout, layer i's code is term i's"),
    ("layer codes not the block's", "C3xC4", _set("layer.0.moduli", 1, 5), gssm.InconsistentError,
     "layer 0 has 15 codes, but term 0's factor (block 0 of `pc.terms`, relative orders [3, 4]) has 12 elements"),
    ("relative order past the layer's codes", "C4", _set("pc.orders", 0, 8), gssm.InconsistentError,
     "layer 0 has 4 codes, but term 0's factor (block 0 of `pc.terms`, relative orders [8]) has 8 elements"),
    ("readout present", "C4", _put("readout", np.arange(4)), gssm.InconsistentError,
     "a truth numbered by a pc presentation (`pc.*`) has the joint code as its output id, so the file has no `readout` tensor"),
    ("pd-ssm target", "C4", _field("target", "pd-ssm"), gssm.InconsistentError,
     "a group numbered by a pc presentation (`pc.*`) is tracked by aussm models only, not pd-ssm"),
    # 5: tokens, generators, labels.
    ("token exponent out of range", "C4", _set("pc.tokens", (0, 0), 4), gssm.RangeError,
     "tensor `pc.tokens` entry [0, 0] is 4, outside 0..4 (f1's relative order)"),
    ("generator exponent out of range", "C3xC4", _set("pc.generators", (1, 1), 4), gssm.RangeError,
     "tensor `pc.generators` entry [1, 1] is 4, outside 0..4 (f2's relative order)"),
    ("token unlike its label", "S3", _swap_token_rows, gssm.InconsistentError,
     "manifest `tokens[0]` 't' evaluates to f1, but labels f2"),
    ("start token without a layer", "trivial", _start_token_without_a_layer, gssm.InconsistentError,
     "a model with a start token needs a layer to hold its state"),
    ("start token moves", "D8-bos", _set("pc.tokens", (2, 1), 1), gssm.InconsistentError,
     "`pc.tokens` row 2 (the start token) must be all 0, the identity"),
    # Tensors and manifest.
    ("outputs listed", "C4", _field("outputs", ["e"]), gssm.InconsistentError, "manifest `outputs` must be empty"),
    ("version 6", "C4", _field("format_version", 6), gssm.InconsistentError,
     "format version 6 does not hold a group numbered by a pc presentation (`pc.*`), which is version 7"),
    ("terms missing", "C4", _drop("pc.terms"), gssm.MissingTensorError, "tensor `pc.terms` is missing"),
    ("stray pc tensor", "C4", _put("pc.extra", [0]), gssm.UnexpectedTensorError, "pc.extra"),
    ("generators of the wrong count", "C4", _put("pc.generators", [[1], [2]]), gssm.ShapeError,
     "tensor `pc.generators` has shape [2, 1], expected [1, 1]"),
]


def lie(crafted, tmp_path: Path, name: str, f) -> Path:
    t, m = read_raw(crafted(name))
    f(t, m)
    out = tmp_path / "bad.safetensors"
    out.write_bytes(save(t, metadata={"gssm": json.dumps(m)}))
    return out


@pytest.mark.parametrize("what,name,f,exc,needle", CASES, ids=[x[0] for x in CASES])
def test_lies_refused(crafted, tmp_path, what, name, f, exc, needle):
    with pytest.raises(exc) as info:
        gssm.load(lie(crafted, tmp_path, name, f))
    assert type(info.value) is exc, f"{type(info.value).__name__}: {info.value}"
    assert needle in str(info.value), str(info.value)


def test_a_table_file_is_not_version_7(tmp_path):
    path = tmp_path / "s3.safetensors"
    synth.s3().save(str(path))
    t, m = read_raw(path)
    m["format_version"] = 7
    out = tmp_path / "bad.safetensors"
    out.write_bytes(save(t, metadata={"gssm": json.dumps(m)}))
    with pytest.raises(gssm.InconsistentError, match=r"format version 7 files track a group numbered by a pc presentation \(`pc.\*`\); this file has another truth"):
        gssm.load(out)


# -- the CLI, once it reads version 7 ----------------------------------------------


def test_cli_lies_refused_by_inspect(crafted, tmp_path):
    for what, name, f, _exc, _needle in CASES:
        bad = lie(crafted, tmp_path, name, f)
        r = subprocess.run([str(gssm_bin()), "inspect", str(bad)], capture_output=True, text=True, timeout=120)
        assert r.returncode != 0, f"gssm inspect accepted the lie '{what}'"
        assert "not a valid gssm model" in r.stderr, f"{what}: {r.stderr}"


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_cli_verify_proves_the_crafted_files(crafted, name):
    cmd = [str(gssm_bin()), "verify", str(crafted(name)), "--length", "4", "--horizon-len", "100"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}"


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_cli_run_agrees(crafted, tmp_path, name):
    path = crafted(name)
    m = gssm.load(path)
    x = aussm_sequences(m, (4, 30), seed=29)
    y = m.run(x)
    np.testing.assert_array_equal(cli_run(path, x, tmp_path), y)
    np.testing.assert_array_equal(cli_run(path, x, tmp_path, backend="reference"), y)


# -- files compiled by the CLI ---------------------------------------------------
#
# F101 = C101 ⋊ C100 as the affine maps t -> u·t + v of Z/101 and H20 as the
# unitriangular 3x3 matrices mod 20, multiplied here (p·q: p first, then q,
# as GAP composes), with the numbering of the spec written here on these
# elements: the file's f-generators are the named generators (checked: the
# relations `pc.powers` and `pc.conjugates` hold for them here), w_i(c) and
# the product w_{k-1}(c_{k-1})⋯w_0(c_0) are multiplied here, and every
# element gets its id by listing the ids. Both groups are past the element
# limit (10100 and 8000 elements), so the compiler writes version 7.

F101_SRC = "group F101 = pc< a, b | a^100, b^101, a^-1*b*a = b^2 >\n"
H20_SRC = "group H20 = pc< x, y, z | x^20, y^20, z^20, [y, x] = z >\n"


class Affine:
    """t -> u·t + v mod p as (u, v)."""

    def __init__(self, p: int):
        self.p = p
        self.one = (1, 0)

    def mul(self, f, g):
        # g(f(t)) = g.u·(f.u·t + f.v) + g.v
        return (g[0] * f[0] % self.p, (g[0] * f[1] + g[1]) % self.p)

    def inv(self, f):
        u = pow(f[0], -1, self.p)
        return (u, -u * f[1] % self.p)


class Heis:
    """[[1, a, c], [0, 1, b], [0, 0, 1]] mod m as (a, b, c)."""

    def __init__(self, m: int):
        self.m = m
        self.one = (0, 0, 0)

    def mul(self, f, g):
        m = self.m
        return ((f[0] + g[0]) % m, (f[1] + g[1]) % m, (f[2] + g[2] + f[0] * g[1]) % m)

    def inv(self, f):
        m = self.m
        return (-f[0] % m, -f[1] % m, (f[0] * f[1] - f[2]) % m)


def _gpow(G, g, e: int):
    out = G.one
    for _ in range(e):
        out = G.mul(out, g)
    return out


def f101_group():
    G = Affine(101)
    a, b = (2, 0), (1, 1)
    # a^-1·b·a: t -> t/2, then + 1, then ·2: t + 2 = b^2.
    assert G.mul(G.mul(G.inv(a), b), a) == _gpow(G, b, 2) == (1, 2)
    return G, {"a": a, "b": b}


def h20_group():
    G = Heis(20)
    x, y = (1, 0, 0), (0, 1, 0)
    z = G.mul(G.mul(G.mul(G.inv(y), G.inv(x)), y), x)  # [y, x]
    assert z == (0, 0, 19)
    return G, {"x": x, "y": y, "z": z}


CLI_PC = {
    # name: (source, group, bos, order)
    "F101": (F101_SRC, f101_group, False, 10100),
    "F101-bos": (F101_SRC, f101_group, True, 10100),
    "H20": (H20_SRC, h20_group, False, 8000),
}


@pytest.fixture(scope="session")
def v7(tmp_path_factory):
    """v7(name) -> path of a file compiled by `gssm compile --target aussm
    --alphabet generators+inverses [--bos]` (see CLI_PC)."""
    d = tmp_path_factory.mktemp("models_v7_cli")
    cache: Dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            src, _, bos, _ = CLI_PC[name]
            cache[name] = compile_perm(src, d / f"{name}.safetensors", "generators+inverses", bos, (), target="aussm")
        return cache[name]

    return get


def eval_word(G, gens: Dict[str, object], word: str):
    """A token label ("a", "b^-1", "x*y^2") multiplied here."""
    g = G.one
    for factor in word.split("*"):
        name, _, e = factor.partition("^")
        k = int(e) if e else 1
        h = gens[name] if k >= 0 else G.inv(gens[name])
        g = G.mul(g, _gpow(G, h, abs(k)))
    return g


class Numbered:
    """The spec's numbering of a compiled file's group, on the elements
    written here: ids listed by unranking, normal words by listing every
    f1^e1⋯fn^en."""

    def __init__(self, path: Path, name: str):
        t, man = read_raw(path)
        self.G, gens = CLI_PC[name][1]()
        names = man["group"]["generators"]
        orders = t["pc.orders"].tolist()
        n = len(orders)
        # The f-generators are the named generators.
        assert names == list(gens) and t["pc.generators"].tolist() == np.eye(n, dtype=int).tolist()
        f = [gens[x] for x in names]
        G = self.G
        self.pows = [[_gpow(G, fj, e) for e in range(r)] for fj, r in zip(f, orders)]

        def word(e):
            g = G.one
            for j, x in enumerate(e):
                if x:
                    g = G.mul(g, self.pows[j][x])
            return g

        # Every normal word is a distinct element: ∏ r_j of them.
        self.exps = {word(e): e for e in itertools.product(*[range(r) for r in orders])}
        assert len(self.exps) == math.prod(orders) == CLI_PC[name][3]
        # The relations hold here.
        for j, r in enumerate(orders):
            assert word(t["pc.powers"][j].tolist()) == G.mul(self.pows[j][r - 1], f[j])
            for i in range(j):
                assert word(t["pc.conjugates"][i, j].tolist()) == G.mul(G.mul(G.inv(f[i]), f[j]), f[i])
        blocks, s = [], 0
        for b in t["pc.terms"].tolist():
            blocks.append((s, s + b))
            s += b
        radix = [math.prod(orders[:j]) for j in range(n)]
        # unrank: w_{k-1}(c_{k-1})⋯w_0(c_0).
        self.elements = []
        for id in range(math.prod(orders)):
            d, r_ = [], id
            for r in orders:
                d.append(r_ % r)
                r_ //= r
            g = G.one
            for s, e in reversed(blocks):
                g = G.mul(g, word([d[j] if s <= j < e else 0 for j in range(n)]))
            self.elements.append(g)
        self.id = {g: i for i, g in enumerate(self.elements)}
        assert len(self.id) == len(self.elements)
        # rank as the spec writes it agrees: c_i = block i's exponents,
        # then x <- x·w_i(c_i)^-1.
        for x0 in self.elements[:: max(1, len(self.elements) // 500)]:
            x, d = x0, [0] * n
            for s, e in blocks:
                ex = self.exps[x]
                assert not any(ex[:s])
                d[s:e] = ex[s:e]
                x = G.mul(x, G.inv(word([ex[j] if s <= j < e else 0 for j in range(n)])))
            assert x == G.one and sum(a * r for a, r in zip(d, radix)) == self.id[x0]
        self.tokens = [G.one if lab == gssm.BOS_LABEL else eval_word(G, gens, lab) for lab in man["tokens"]]

    def label(self, id: int) -> str:
        return word_label(self.exps[self.elements[id]])

    def expected(self, x: np.ndarray, bos: Optional[int]) -> np.ndarray:
        out = np.empty(x.shape, np.int64)
        G = self.G
        for b, row in enumerate(x.tolist()):
            g = G.one
            for t, v in enumerate(row):
                g = G.one if v == bos else G.mul(g, self.tokens[v])
                out[b, t] = self.id[g]
        return out


_NUMBERED: Dict[str, Numbered] = {}


def numbered(v7, name: str) -> Numbered:
    if name not in _NUMBERED:
        _NUMBERED[name] = Numbered(v7(name), name)
    return _NUMBERED[name]


@pytest.mark.parametrize("name", sorted(CLI_PC))
def test_cli_compiled_loads(v7, name):
    _, _, bos, order = CLI_PC[name]
    m = gssm.load(v7(name))
    assert m.manifest.format_version == 7 and isinstance(m.pc, gssm.PcTruth) and m.outputs_joint_code
    assert m.order == order and (m.bos is not None) == bos and m.readout is None
    assert [l.num_codes for l in m.layers] == m.pc.factor_orders
    mine = numbered(v7, name)
    # The package's numbering and labels are the one written here.
    rng = np.random.default_rng(0)
    for i in [0, 1, order - 1] + rng.integers(0, order, 200).tolist():
        e = m.pc.unrank(i)
        assert tuple(e) == mine.exps[mine.elements[i]] and m.pc.rank(e) == i
        assert m.output_labels[i] == mine.label(i)
    if name.startswith("F101"):
        # b^a = b^2: not central, so an id is not the exponent vector read
        # as a number: b·a = a·b^2 = f1*f2^2 is w_1(1)·w_0(1), id 1 + 100,
        # and a·b = f1*f2 is b^51·a (a·b·a^-1 = b^{1/2} = b^51), id
        # 1 + 100·51.
        G, gens = f101_group()
        a, b = gens["a"], gens["b"]
        assert mine.exps[G.mul(b, a)] == (1, 2) and mine.id[G.mul(b, a)] == 101 == m.evaluate("b*a")
        assert mine.exps[G.mul(a, b)] == (1, 1) and mine.id[G.mul(a, b)] == 5101 == m.evaluate("a*b")
        assert m.output_labels[5101] == "f1*f2" and m.output_labels[101] == "f1*f2^2"
    assert gssm.load(v7(name), gssm.LoadLimits(max_order=10)).order == order


@pytest.mark.parametrize("name", sorted(CLI_PC))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cli_compiled_outputs_are_the_ids(v7, name, dtype):
    m = gssm.load(v7(name))
    mine = numbered(v7, name)
    x = aussm_sequences(m, (6, 300), seed=13)
    want = mine.expected(x, m.bos)
    y = m.run(x, dtype)
    np.testing.assert_array_equal(y, want)
    np.testing.assert_array_equal(m.running_products(x), want)
    assert m.decode(y[0]) == [mine.label(i) for i in want[0]]
    if m.bos is not None:
        assert (y[x == m.bos] == 0).all()


@pytest.mark.parametrize("name", sorted(CLI_PC))
def test_cli_compiled_torch_module_runs_the_same(v7, tmp_path, name):
    torch = need_torch()
    path = v7(name)
    m = gssm.load(path)
    x = aussm_sequences(m, (5, 200), seed=3)
    want = numbered(v7, name).expected(x, m.bos)
    for dt in (torch.float32, torch.float64):
        mod = gssm.GssmModule(m, dtype=dt)
        np.testing.assert_array_equal(mod(torch.as_tensor(x)).numpy(), want)
    assert mod.readout is None
    out_path = tmp_path / f"{name}.torch.safetensors"
    gssm.save(gssm.GssmModule(m).export(), str(out_path))
    assert out_path.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("name", sorted(CLI_PC))
def test_cli_compiled_agree_with_gssm_run(v7, tmp_path, name):
    agrees_with_gssm_run(v7(name), tmp_path)


@pytest.mark.parametrize("name", sorted(CLI_PC))
def test_cli_compiled_save_gives_the_same_bytes(v7, tmp_path, name):
    path = v7(name)
    out = tmp_path / f"{name}.again.safetensors"
    gssm.load(path).save(str(out))
    assert out.read_bytes() == path.read_bytes()
