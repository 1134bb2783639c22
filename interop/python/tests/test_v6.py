"""Format version 6: aussm stacks for permutation groups without a Cayley
table, numbered along a series G = G_0 ⊳ G_1 ⊳ … ⊳ G_k = 1 with abelian
factors so that the output id is the stack's joint code (no readout;
the README's "The weight file", `perm.series.*`).

Files are crafted here (`test_v5.craft_aussm`: the series given by its
sections, π_i and the groups found by brute force) and compiled by the CLI
(`gssm compile --target aussm --max-elements 30`). Python loads them, numbers
the elements, runs them with NumPy and torch, and the outputs are checked
against running products multiplied here and ranked by this file's own
implementation of the spec's numbering (never the package's); labels are
checked against cycle notation written here. Lies are refused, one per
loader check, with the Rust loader's error classes.

Orders: S3 = Z/3 ⋊ Z/2 has 6 elements, A4 = V4 ⋊ Z/3 12 (its factor V4 =
Z/2 × Z/2 has two components), D4 8 (D4/Z(D4) = Z/2 × Z/2), Z/4 × Z/2 8,
AGL(1, 13) = C13 ⋊ C12 156, C2 wr C2 wr C2 (the Sylow 2-subgroup of S8,
order 2^7) times C3 384.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pytest
import synth
from conftest import cli_run, gssm_bin, need_torch
from test_loader import read_raw
from test_v5 import (
    Perm,
    Series,
    add_tensor,
    agl1_cycles,
    agrees_with_gssm_run,
    aussm_sequences,
    cli_labels,
    cli_verify_rejects,
    closure,
    compile_perm,
    craft_aussm,
    drop_tensor,
    from_cycles,
    inv,
    mixed_code,
    mixed_digits,
    mul,
    mutate,
    perm_source,
    power,
    products,
    refused,
    set_field,
    sigma,
    wreath_cycles,
)

import gssm

# -- the spec's numbering, written here ---------------------------------------


def cycle_label(p: Sequence[int]) -> str:
    """GAP's cycle notation on points 1..n: each cycle from its least point,
    cycles by their least point, "()" for the identity."""
    seen, out = set(), ""
    for s in range(len(p)):
        if s in seen or p[s] == s:
            continue
        cyc, x = [], s
        while x not in seen:
            seen.add(x)
            cyc.append(str(x + 1))
            x = p[x]
        out += "(" + ",".join(cyc) + ")"
    return out or "()"


class FileSeries:
    """The numbering of the spec, from a file's `perm.series.*` tensors, in
    plain Python: π_i(y) sums the codes of the representatives y's sift
    passes through (at level l the row u with u(b_l) = y(b_l), then
    y ← y·u⁻¹), c_i = π_i(y_i), y_{i+1} = y_i·σ_i(c_i)⁻¹, and
    id = code_0 + |A_0|·(code_1 + …)."""

    def __init__(self, t: Dict[str, np.ndarray]):
        self.n = int(t["perm.tokens"].shape[1])
        self.terms = []
        i = 0
        while f"perm.series.{i}.moduli" in t:
            p = f"perm.series.{i}."
            base = t[p + "base"].tolist()
            levels = [
                ([tuple(r) for r in t[p + f"level.{l}"].tolist()], [tuple(c) for c in t[p + f"codes.{l}"].tolist()])
                for l in range(len(base))
            ]
            sections = [tuple(r) for r in t[p + "sections"].tolist()]
            self.terms.append((t[p + "moduli"].tolist(), sections, base, levels))
            i += 1
        self._ranks: Dict[Perm, int] = {}

    @property
    def k(self) -> int:
        return len(self.terms)

    @property
    def order(self) -> int:
        return math.prod(math.prod(m) for m, *_ in self.terms)

    def pi(self, i: int, y: Perm) -> Optional[Tuple[int, ...]]:
        """π_i(y), or None when y's sift through term i does not end in the
        identity (y is not in G_i)."""
        moduli, _, base, levels = self.terms[i]
        c = [0] * len(moduli)
        for b, (reps, codes) in zip(base, levels):
            d = next((j for j, u in enumerate(reps) if u[b] == y[b]), None)
            if d is None:
                return None
            y = mul(y, inv(reps[d]))
            c = [(a + x) % m for a, x, m in zip(c, codes[d], moduli)]
        return tuple(c) if y == tuple(range(self.n)) else None

    def rank(self, y: Perm) -> Optional[int]:
        y = tuple(int(v) for v in y)
        if y in self._ranks:
            return self._ranks[y]
        key, out, stride = y, 0, 1
        for i, (moduli, sections, _, _) in enumerate(self.terms):
            c = self.pi(i, y)
            if c is None:
                return None
            out += mixed_code(c, moduli) * stride
            stride *= math.prod(moduli)
            y = mul(y, inv(sigma(sections, c)))
        if y != tuple(range(self.n)):
            return None
        self._ranks[key] = out
        return out

    def unrank(self, id: int) -> Perm:
        cs = []
        for moduli, *_ in self.terms:
            a = math.prod(moduli)
            cs.append(mixed_digits(id % a, moduli))
            id //= a
        y = tuple(range(self.n))
        for i in reversed(range(self.k)):
            y = mul(y, sigma(self.terms[i][1], cs[i]))
        return y


def word_perms(labels: Sequence[str], gens: Dict[str, Perm], n: int) -> List[Perm]:
    """Token label -> permutation (the start token: the identity)."""
    return [tuple(range(n)) if lab == gssm.BOS_LABEL else synth.perm_of_word(lab, gens) for lab in labels]


def expected(x: np.ndarray, perms: Sequence[Perm], n: int, bos: Optional[int], number) -> Tuple[np.ndarray, List[List[Perm]]]:
    """The running products multiplied here and their ids by ``number``."""
    prods = products(x, perms, n, bos=-1 if bos is None else bos)
    return np.asarray([[number(g) for g in row] for row in prods], np.int64), prods


# -- files crafted here --------------------------------------------------------


def c(n: int, *cycles: Sequence[int]) -> Perm:
    return from_cycles(n, cycles)


S3_T, S3_C = c(3, (1, 2)), c(3, (1, 2, 3))
A4_A, A4_B = c(4, (1, 2, 3)), c(4, (1, 2), (3, 4))
D4_R, D4_S = c(4, (1, 2, 3, 4)), c(4, (1, 3))
C42_A, C42_B = c(6, (1, 2, 3, 4)), c(6, (5, 6))
AGL13 = [from_cycles(13, cs) for cs in agl1_cycles(13, 2)]  # 2 is a primitive root mod 13


def _with_inverses(names: Sequence[str], gens: Sequence[Perm]) -> List[Tuple[str, Perm]]:
    out = []
    for name, g in zip(names, gens):
        out.append((name, g))
        if inv(g) != g:
            out.append((f"{name}^-1", inv(g)))
    return out


CRAFTED = {
    # name: (degree, generator names, generators, tokens, series, bos)
    "S3": (3, ["t", "c"], [S3_T, S3_C], [("t", S3_T), ("c", S3_C), ("c^-1", inv(S3_C)), ("t*c", mul(S3_T, S3_C))],
           [([2], [S3_T]), ([3], [S3_C])], False),
    "S3-bos": (3, ["t", "c"], [S3_T, S3_C], [("t", S3_T), ("c", S3_C)], [([2], [S3_T]), ([3], [S3_C])], True),
    # V4 = Z/2 × Z/2 below Z/3: a factor with two components.
    "A4": (4, ["a", "b"], [A4_A, A4_B], _with_inverses(["a", "b"], [A4_A, A4_B]),
           [([3], [A4_A]), ([2, 2], [A4_B, c(4, (1, 3), (2, 4))])], False),
    # D4/Z(D4) = Z/2 × Z/2 on top: the first term has two components.
    "D4": (4, ["r", "s"], [D4_R, D4_S], _with_inverses(["r", "s"], [D4_R, D4_S]),
           [([2, 2], [D4_R, D4_S]), ([2], [power(D4_R, 2)])], False),
    "D4-bos": (4, ["r", "s"], [D4_R, D4_S], [("r", D4_R), ("s", D4_S)],
               [([2, 2], [D4_R, D4_S]), ([2], [power(D4_R, 2)])], True),
    # One term of two components of different moduli.
    "C4xC2": (6, ["a", "b"], [C42_A, C42_B], _with_inverses(["a", "b"], [C42_A, C42_B]), [([4, 2], [C42_A, C42_B])], False),
    "AGL13": (13, ["g1", "g2"], AGL13, _with_inverses(["g1", "g2"], AGL13), [([12], [AGL13[1]]), ([13], [AGL13[0]])], False),
}
CRAFTED_ORDERS = {"S3": 6, "S3-bos": 6, "A4": 12, "D4": 8, "D4-bos": 8, "C4xC2": 8, "AGL13": 156}


def crafted_series(name: str) -> Series:
    n, *_, terms, _ = CRAFTED[name]
    return Series(n, terms)


@pytest.fixture(scope="session")
def crafted(tmp_path_factory):
    """crafted(name) -> path of a version 6 file made here (see CRAFTED),
    and crafted("trivial"): no terms, no layers."""
    d = tmp_path_factory.mktemp("models_v6_crafted")
    cache: Dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            if name == "trivial":
                e = tuple(range(3))
                cache[name] = craft_aussm(d / "trivial.safetensors", "C1", ["a"], [e], [("a", e), ("a^2", e)], Series(3, []))
            else:
                n, names, gens, toks, terms, bos = CRAFTED[name]
                cache[name] = craft_aussm(d / f"{name}.safetensors", name, names, gens, toks, Series(n, terms), bos=bos)
        return cache[name]

    return get


def crafted_perms(name: str) -> List[Perm]:
    n, _, _, toks, _, bos = CRAFTED[name]
    return [p for _, p in toks] + ([tuple(range(n))] if bos else [])


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_loads(crafted, name):
    n, names, _, toks, terms, bos = CRAFTED[name]
    m = gssm.load(crafted(name))
    assert m.manifest.format_version == gssm.FORMAT_VERSION_SERIES == 6
    assert isinstance(m.perm, gssm.SeriesTruth) and m.outputs_joint_code
    assert m.target == "aussm" and m.is_diagonal and m.readout is None
    assert m.order == m.perm.order == CRAFTED_ORDERS[name] and m.perm.degree == n
    assert m.group is None and m.group_table is None and m.manifest.outputs == []
    assert [t.moduli.tolist() for t in m.perm.terms] == [list(mo) for mo, _ in terms]
    assert [l.num_codes for l in m.layers] == [math.prod(mo) for mo, _ in terms]
    assert m.series_orders[0] == m.order
    assert m.token_labels == [lab for lab, _ in toks] + (["<bos>"] if bos else [])
    labels = m.output_labels
    assert len(labels) == m.order and labels[0] == "()"
    assert f"order {m.order}" in repr(m)


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_numbering_is_the_spec(crafted, name):
    # rank and unrank are inverse bijections between G and 0..|G|, and the
    # ids are those of the spec, computed here by brute force (π_i(y) = the
    # c with y·σ_i(c)⁻¹ in G_{i+1}) and by this file's own sift.
    path = crafted(name)
    m = gssm.load(path)
    series = crafted_series(name)
    mine = FileSeries(read_raw(path)[0])
    group = series.groups[0]
    ids = m.perm.rank_many(np.asarray(group))
    assert sorted(ids.tolist()) == list(range(len(group)))
    assert ids.tolist() == [series.rank(g) for g in group] == [mine.rank(g) for g in group]
    back = m.perm.unrank_many(np.arange(len(group)))
    assert [tuple(g) for g in back.tolist()] == [series.unrank(i) for i in range(len(group))]
    assert all(m.perm.rank(g) == i for i, g in enumerate(back.tolist()))
    assert m.perm.rank(tuple(range(series.n))) == 0
    assert m.perm.label(1) == cycle_label(series.unrank(1))
    with pytest.raises(ValueError):
        m.perm.unrank(m.order)


def test_non_members_do_not_rank(crafted):
    m = gssm.load(crafted("A4"))
    assert m.perm.rank(c(4, (1, 2))) is None  # odd
    assert m.perm.rank((0, 1, 2)) is None  # another degree
    assert m.perm.rank_many(np.asarray([c(4, (1, 2)), c(4, (1, 2, 3, 4))])).tolist() == [gssm.UNDECODABLE] * 2
    m = gssm.load(crafted("D4"))
    assert m.perm.rank(c(4, (1, 2))) is None and m.perm.rank(c(4, (1, 3))) is not None
    assert "(1,2)" not in m.output_labels and "(1,3)" in m.output_labels
    assert m.output_labels.index("(1,3)") == m.perm.rank(c(4, (1, 3)))


def test_sections_are_powered_by_squaring_past_the_table_limit(crafted, monkeypatch):
    # Without power tables (a modulus past gssm.perm.MAX_POWER_TABLE) the
    # sections are raised by repeated squaring: the same numbering.
    path = crafted("AGL13")
    series = crafted_series("AGL13")
    monkeypatch.setattr(gssm.perm, "MAX_POWER_TABLE", 0)
    m = gssm.load(path)
    group = series.groups[0]
    assert m.perm.rank_many(np.asarray(group)).tolist() == [series.rank(g) for g in group]
    assert [tuple(g) for g in m.perm.unrank_many(np.arange(156)).tolist()] == [series.unrank(i) for i in range(156)]


@pytest.mark.parametrize("name", sorted(CRAFTED))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_crafted_outputs_are_the_numbered_running_products(crafted, name, dtype):
    m = gssm.load(crafted(name))
    series = crafted_series(name)
    x = aussm_sequences(m, (6, 200), seed=17)
    y = m.run(x, dtype)
    want, prods = expected(x, crafted_perms(name), series.n, m.bos, series.rank)
    np.testing.assert_array_equal(y, want)
    np.testing.assert_array_equal(m.running_products(x), want)
    assert m.decode(y[0]) == [cycle_label(g) for g in prods[0]]
    if m.bos is not None:
        assert (y[x == m.bos] == 0).all()


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_torch_module_runs_the_same(crafted, tmp_path, name):
    torch = need_torch()
    path = crafted(name)
    m = gssm.load(path)
    series = crafted_series(name)
    x = aussm_sequences(m, (4, 120), seed=23)
    want, _ = expected(x, crafted_perms(name), series.n, m.bos, series.rank)
    for dt in (torch.float32, torch.float64):
        mod = gssm.GssmModule(m, dtype=dt)
        assert mod.readout is None
        np.testing.assert_array_equal(mod(torch.as_tensor(x)).numpy(), want)
    out, states = mod.trajectory(torch.as_tensor(x[:2]))
    np.testing.assert_array_equal(out.numpy(), want[:2])
    assert [tuple(s.shape) for s in states] == [(2, 120, l.width) for l in m.layers]
    out_path = tmp_path / f"{name}.torch.safetensors"
    gssm.save(gssm.GssmModule(m).export(), str(out_path))
    assert out_path.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_save_gives_the_same_bytes(crafted, tmp_path, name):
    path = crafted(name)
    out = tmp_path / f"{name}.again.safetensors"
    gssm.load(path).save(str(out))
    assert out.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("name", ["S3", "A4", "D4-bos", "C4xC2"])
def test_crafted_agree_with_gssm_run(crafted, tmp_path, name):
    path = crafted(name)
    m = gssm.load(path)
    x = aussm_sequences(m, (4, 30), seed=29)
    y = m.run(x)
    np.testing.assert_array_equal(cli_run(path, x, tmp_path), y)
    np.testing.assert_array_equal(cli_run(path, x, tmp_path, backend="reference"), y)
    assert cli_labels(path, x, tmp_path) == m.decode(y)


@pytest.mark.parametrize("name", ["S3-bos", "A4", "D4", "C4xC2"])
def test_crafted_pass_gssm_verify(crafted, name):
    # Rust proves the files made here: the stored floats are the
    # construction's and the joint code is the series' numbering of the
    # product, so both sides read the spec alike.
    cmd = [str(gssm_bin()), "verify", str(crafted(name)), "--length", "4", "--horizon-len", "100"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}"
    assert "the output is the joint code" in r.stdout


def test_the_trivial_group(crafted, tmp_path):
    # No terms, no layers: the one id is 0, the empty stack's joint code.
    path = crafted("trivial")
    m = gssm.load(path)
    assert m.order == 1 and m.layers == [] and m.readout is None and m.perm.terms == []
    assert m.outputs_joint_code and list(m.output_labels) == ["()"]
    x = np.asarray([[0, 1, 1], [1, 0, 0]])
    np.testing.assert_array_equal(m.run(x), np.zeros((2, 3), np.int64))
    np.testing.assert_array_equal(m.running_products(x), np.zeros((2, 3), np.int64))
    assert m.perm.rank((0, 1, 2)) == 0 and m.perm.rank((1, 0, 2)) is None
    torch = need_torch()
    np.testing.assert_array_equal(gssm.GssmModule(m)(torch.as_tensor(x)).numpy(), np.zeros((2, 3)))
    out = tmp_path / "trivial.again.safetensors"
    m.save(str(out))
    assert out.read_bytes() == path.read_bytes()


# -- lies, one per loader check ---------------------------------------------------


def _set(name: str, index, value):
    def f(t, m):
        a = t[name].copy()
        a[index] = value
        t[name] = a

    return f


def _even_rep_coded_odd(t, m):
    # S3's term 0 codes the sign: give a 3-cycle representative code 1.
    for l in range(t["perm.series.0.base"].shape[0]):
        reps = t[f"perm.series.0.level.{l}"].tolist()
        for r, u in enumerate(reps):
            if r and synth.sign(tuple(u)) == 1:
                _set(f"perm.series.0.codes.{l}", (r, 0), 1)(t, m)
                return
    raise AssertionError("no even representative")


def _codes_swapped(t, m):
    # A4's term 1 (V4 = Z/2 × Z/2): the two components' codes trade
    # places in one representative only.
    a = t["perm.series.1.codes.0"].copy()
    r = next(r for r, row in enumerate(a.tolist()) if row[0] != row[1])
    a[r] = a[r, ::-1]
    t["perm.series.1.codes.0"] = a


def _term(i: int, moduli, sections, base, levels, codes):
    """Replace term i's tensors."""

    def f(t, m):
        for name in [k for k in t if k.startswith(f"perm.series.{i}.")]:
            del t[name]
        p = f"perm.series.{i}."
        t[p + "moduli"] = np.asarray(moduli, np.int32)
        t[p + "sections"] = np.asarray(sections, np.int32)
        t[p + "base"] = np.asarray(base, np.int32)
        for l, (reps, cs) in enumerate(zip(levels, codes)):
            t[p + f"level.{l}"] = np.asarray(reps, np.int32)
            t[p + f"codes.{l}"] = np.asarray(cs, np.int32)

    return f


E4 = tuple(range(4))
# D4's term 1 replaced by <s>: a group of order 2 and a homomorphism onto
# Z/2, but s is not in the kernel of π_0 (it is not central).
_d4_term1_not_central = _term(1, [2], [D4_S], [0], [[E4, D4_S]], [[[0], [1]]])
# ... or by <(1,2)>, not even in D4.
_d4_term1_outside = _term(1, [2], [c(4, (1, 2))], [0], [[E4, c(4, (1, 2))]], [[[0], [1]]])


def _drop_last_level(t, m):
    b = t["perm.series.0.base"]
    last = b.shape[0] - 1
    t["perm.series.0.base"] = b[:-1].copy()
    del t[f"perm.series.0.level.{last}"], t[f"perm.series.0.codes.{last}"]


def _token_odd(t, m):
    a = t["perm.tokens"].copy()
    a[0] = c(4, (1, 2))
    t["perm.tokens"] = a


def _generators_of_a_smaller_group(t, m):
    a = t["perm.generators"].copy()
    a[1] = a[0]
    t["perm.generators"] = a


def _drop_last_layer(t, m):
    for name in [k for k in t if k.startswith("layer.1.")] + ["layer.0.cocycle"]:
        del t[name]


def _readout(t, m):
    t["readout"] = np.arange(6, dtype=np.int32)


def _bos_token_moves(t, m):
    a = t["perm.tokens"].copy()
    a[-1] = a[0]
    t["perm.tokens"] = a


CRAFTED_CASES = [
    # 1: the structure of each term.
    ("code digit out of range", "A4", _set("perm.series.1.codes.0", (1, 1), 2), gssm.RangeError,
     "tensor `perm.series.1.codes.0` entry 3 is 2, outside 0..2"),
    # The last term's identity coded like the 3-cycle: every other check
    # holds (the graph group is built from the other rows), but a sift that
    # picks the identity would add 1.
    ("identity's code nonzero", "S3", _set("perm.series.1.codes.0", (0, 0), 1), gssm.InconsistentError,
     "`perm.series.1.codes.0` row 0 is the identity's code and must be 0"),
    ("code digit negative", "S3", _set("perm.series.1.codes.0", (1, 0), -1), gssm.RangeError, "perm.series.1.codes.0"),
    ("modulus 1", "C4xC2", _set("perm.series.0.moduli", 1, 1), gssm.InconsistentError,
     "`perm.series.0.moduli` entry 1 is 1, but a coordinate's modulus is at least 2"),
    ("no components", "S3", lambda t, m: t.update({"perm.series.0.moduli": np.zeros(0, np.int32),
                                                   "perm.series.0.sections": np.zeros((0, 3), np.int32),
                                                   "perm.series.0.codes.0": np.zeros((3, 0), np.int32),
                                                   "perm.series.0.codes.1": np.zeros((2, 0), np.int32)}),
     gssm.InconsistentError, "`perm.series.0.moduli` is empty"),
    ("codes of the wrong width", "S3", add_tensor("perm.series.0.codes.0", np.zeros((3, 2), np.int32)), gssm.ShapeError,
     "tensor `perm.series.0.codes.0` has shape [3, 2], expected [3, 1]"),
    ("section not a permutation", "S3", _set("perm.series.0.sections", (0, 0), 2), gssm.InconsistentError,
     "`perm.series.0.sections` row 0 is not a permutation"),
    ("representative 0 not the identity", "S3", _set("perm.series.1.level.0", (0,), [1, 2, 0]), gssm.InconsistentError,
     "`perm.series.1.level.0` row 0 is not the identity"),
    ("base point repeated", "S3", lambda t, m: t.update({"perm.series.0.base": t["perm.series.0.base"][[0, 0]].copy()}),
     gssm.InconsistentError, "`perm.series.0.base` repeats point"),
    # 2: π_i is a homomorphism.
    ("even representative coded odd", "S3", _even_rep_coded_odd, gssm.InconsistentError, "the codes `perm.series.0.codes.*` are not a homomorphism of term 0's group"),
    ("codes of two components swapped", "A4", _codes_swapped, gssm.InconsistentError,
     "the codes `perm.series.1.codes.*` are not a homomorphism of term 1's group: with its representatives' codes it has"),
    # 3: the generators and tokens are G_0's.
    ("token outside the group", "A4", _token_odd, gssm.InconsistentError,
     "`perm.tokens` row 0 is not in the group the series numbers"),
    ("generators of a smaller group", "A4", _generators_of_a_smaller_group, gssm.InconsistentError,
     "the series numbers 12 elements, but `perm.generators` generate a group of order 3"),
    # 4: π_i(s_ij) = e_j.
    ("section of code 0", "S3", _set("perm.series.0.sections", (0,), [0, 1, 2]), gssm.InconsistentError,
     "`perm.series.0.sections` row 0 has code [0] in term 0's factor, not the unit vector [1]"),
    ("sections swapped", "A4", lambda t, m: t.update({"perm.series.1.sections": t["perm.series.1.sections"][::-1].copy()}),
     gssm.InconsistentError, "`perm.series.1.sections` row 0 has code [0, 1] in term 1's factor, not the unit vector [1, 0]"),
    ("section outside its term", "A4", _set("perm.series.1.sections", (0,), [1, 2, 0, 3]), gssm.InconsistentError,
     "`perm.series.1.sections` row 0 is not in term 1 of the series"),
    # 5: G_{i+1} lies in the kernel of π_i.
    ("next term outside the kernel", "D4", _d4_term1_not_central, gssm.InconsistentError,
     "`perm.series.1.level.0` row 1 has code [0, 1] in term 0's factor, but term 1 must lie in its kernel"),
    ("next term outside the group", "D4", _d4_term1_outside, gssm.InconsistentError,
     "`perm.series.1.level.0` row 1 is not in term 0 of the series"),
    # 6: the orders.
    ("factor too big", "S3", _set("perm.series.0.moduli", 0, 4), gssm.InconsistentError,
     "term 0 of the series has 6 elements, but its factor has 4 and the next term 3: the terms are not a series"),
    ("level missing", "S3", _drop_last_level, gssm.InconsistentError, "term 0 of the series has 3 elements"),
    ("last term not the factor", "C4xC2", _set("perm.series.0.moduli", 1, 4), gssm.InconsistentError,
     "term 0 of the series has 8 elements, but its factor has 16 and the next term 1"),
    # 7: the layers.
    ("readout present", "S3", _readout, gssm.InconsistentError,
     "a truth numbered along a series (`perm.series.*`) has the joint code as its output id, so the file has no `readout` tensor"),
    ("readout of the wrong size", "S3", add_tensor("readout", np.zeros(5, np.int32)), gssm.ShapeError, "readout"),
    ("a layer too few", "S3", _drop_last_layer, gssm.InconsistentError,
     "the truth's series has 2 terms, but the stack has 1 layers"),
    ("layer codes not the factor's", "A4", _set("layer.1.moduli", 1, 3), gssm.InconsistentError,
     "layer 1 has 6 codes, but term 1's factor (`perm.series.1.moduli`) has 4 elements"),
    # Tensors and manifest.
    ("codes missing", "S3", drop_tensor("perm.series.1.codes.0"), gssm.MissingTensorError, "perm.series.1.codes.0"),
    ("moduli missing", "S3", drop_tensor("perm.series.1.moduli"), gssm.MissingTensorError, "perm.series.1.moduli"),
    ("stray level", "S3", add_tensor("perm.series.0.level.9", np.zeros((2, 3), np.int32)), gssm.UnexpectedTensorError,
     "perm.series.0.level.9"),
    ("term past a gap", "S3", add_tensor("perm.series.3.moduli", np.asarray([2], np.int32)), gssm.UnexpectedTensorError,
     "perm.series.3.moduli"),
    ("version 5 normal form too", "S3", add_tensor("perm.base", np.asarray([0], np.int32)), gssm.UnexpectedTensorError,
     "perm.base"),
    ("version 5", "S3", set_field("format_version", 5), gssm.MissingTensorError, "perm.base"),
    ("pd-ssm target", "S3", set_field("target", "pd-ssm"), gssm.InconsistentError, "tracked by aussm models only"),
    ("outputs listed", "S3", set_field("outputs", ["e"]), gssm.InconsistentError, "`outputs` must be empty"),
    ("start token moves points", "S3-bos", _bos_token_moves, gssm.InconsistentError,
     "`perm.tokens` row 2 (the start token) must be the identity"),
]


@pytest.mark.parametrize("what,name,f,exc,needle", CRAFTED_CASES, ids=[x[0] for x in CRAFTED_CASES])
def test_crafted_lies_refused(crafted, tmp_path, what, name, f, exc, needle):
    refused(mutate(crafted(name), tmp_path, f), exc, needle)  # Python, then `gssm run`


def test_the_untouched_raw_file_loads(crafted, tmp_path):
    p = mutate(crafted("A4"), tmp_path, lambda t, m: None)
    assert gssm.load(p).order == 12


def test_limits(crafted):
    path = crafted("AGL13")
    # π_i's check acts on 13 + (4 + 3) and 13 + 13 points: one cycle per
    # prime power of each modulus.
    assert gssm.load(path, gssm.LoadLimits(max_cell=26)).order == 156
    with pytest.raises(gssm.LimitError, match="13 extra points beside the 13, more than the 25"):
        gssm.load(path, gssm.LoadLimits(max_cell=25))
    with pytest.raises(gssm.LimitError, match="degree 13"):
        gssm.load(path, gssm.LoadLimits(max_cell=12))
    with pytest.raises(gssm.LimitError, match="point operations"):
        gssm.load(path, gssm.LoadLimits(max_chain_work=100))
    # Neither the Cayley-table limit nor the readout table's bounds the ids.
    assert gssm.load(path, gssm.LoadLimits(max_order=2, max_table=100)).order == 156


def test_ids_past_32_bits_are_refused(crafted, tmp_path):
    def huge(t, m):
        t["perm.series.0.moduli"] = np.asarray([65536, 65536], np.int32)

    with pytest.raises(gssm.LimitError, match="output ids are 32-bit"):
        gssm.load(mutate(crafted("C4xC2"), tmp_path, huge))


def test_an_edited_model_is_validated_before_it_is_written(crafted, tmp_path):
    m = gssm.load(crafted("S3"))
    m.readout = np.arange(6)
    with pytest.raises(gssm.InconsistentError, match="no `readout` tensor"):
        m.save(str(tmp_path / "x.safetensors"))
    m = gssm.load(crafted("S3"))
    # Another transposition is as good a section as (1,2) (the numbering
    # changes, the rules hold); the identity is not.
    m.perm.terms[0].sections = np.asarray([c(3, (1, 3))])
    m.save(str(tmp_path / "ok.safetensors"))
    m.perm.terms[0].sections = np.arange(3)[None, :].copy()
    with pytest.raises(gssm.InconsistentError, match="not the unit vector"):
        m.save(str(tmp_path / "x.safetensors"))
    assert not (tmp_path / "x.safetensors").exists()
    # A version 5 normal form is not a version 6 file.
    m = gssm.load(crafted("S3"))
    m.manifest = dataclasses.replace(m.manifest, format_version=5)
    with pytest.raises(gssm.InconsistentError, match="which is version 6"):
        m.save(str(tmp_path / "x.safetensors"))


# -- files compiled by the CLI ---------------------------------------------------
#
# AGL(1, 13) = C13 ⋊ C12 on the points x + 1 of Z/13 (translation and x ->
# 2x), and C2 wr C2 wr C2 on points 1..8 (generator j cycles the two blocks
# of size 2^(j-1) inside the first block of size 2^j) times a 3-cycle on
# 9..11, as `tests/big_solvable.rs`; generators unnamed (g1, g2, …). With
# --max-elements 30 both are past the element limit (no Cayley table) while
# each abelian factor, whose coordinates the compiler computes on its
# elements, is within it (AGL's are 12 and 13, the wreath's at most 24).

AGL13_SRC = perm_source("AGL", 13, agl1_cycles(13, 2))
W_GENS = wreath_cycles(2, 3) + [[[9, 10, 11]]]
WREATH_SRC = perm_source("W", 11, W_GENS)
COMPILED = {
    # name: (source, degree, generators' cycles, alphabet, bos, extra flags, order)
    "agl": (AGL13_SRC, 13, agl1_cycles(13, 2), "generators+inverses", False, (), 156),
    "agl-bos": (AGL13_SRC, 13, agl1_cycles(13, 2), "generators+inverses", True, (), 156),
    "wreath": (WREATH_SRC, 11, W_GENS, "generators+inverses", False, (), 384),
    "wreath-bos": (WREATH_SRC, 11, W_GENS, "generators", True, ("--coordinates", "primary"), 384),
}


@pytest.fixture(scope="session")
def v6(tmp_path_factory):
    """v6(name) -> path of a file compiled by `gssm compile --target aussm
    --max-elements 30` (see COMPILED)."""
    d = tmp_path_factory.mktemp("models_v6")
    cache: Dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            src, _, _, alphabet, bos, extra, _ = COMPILED[name]
            flags = ("--max-elements", "30") + tuple(extra)
            cache[name] = compile_perm(src, d / f"{name}.safetensors", alphabet, bos, flags, target="aussm")
        return cache[name]

    return get


def compiled_perms(name: str, m) -> List[Perm]:
    """Token id -> permutation, from the token labels (words in g1, g2, …)
    and the source's cycles."""
    _, n, gcycles, *_ = COMPILED[name]
    gens = {f"g{i + 1}": from_cycles(n, cs) for i, cs in enumerate(gcycles)}
    return word_perms(m.token_labels, gens, n)


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_compiled_loads(v6, name):
    _, n, gcycles, alphabet, bos, _, order = COMPILED[name]
    path = v6(name)
    m = gssm.load(path)
    assert m.manifest.format_version == gssm.FORMAT_VERSION_SERIES == 6
    assert isinstance(m.perm, gssm.SeriesTruth) and m.outputs_joint_code and m.readout is None
    assert m.target == "aussm" and m.order == m.perm.order == order and m.perm.degree == n
    assert m.group is None and m.action is None and m.manifest.outputs == []
    assert len(m.layers) == len(m.perm.terms) >= 2
    assert [l.num_codes for l in m.layers] == [t.factor_order for t in m.perm.terms]
    assert m.series_orders[0] == order
    assert (m.bos is not None) == bos
    if alphabet == "generators":
        assert m.token_labels[: len(gcycles)] == [f"g{i + 1}" for i in range(len(gcycles))]
    t, man = read_raw(path)
    assert man["format_version"] == 6 and "readout" not in t and "perm.base" not in t
    # The numbering written here agrees with the package's on every element.
    mine = FileSeries(t)
    assert mine.order == order
    group = closure([from_cycles(n, cs) for cs in gcycles], n)
    ids = m.perm.rank_many(np.asarray(group))
    assert sorted(ids.tolist()) == list(range(order))
    assert ids.tolist() == [mine.rank(g) for g in group]
    assert [tuple(g) for g in m.perm.unrank_many(np.arange(order)).tolist()] == [mine.unrank(i) for i in range(order)]
    # The Cayley-table limit does not bound the order.
    assert gssm.load(path, gssm.LoadLimits(max_order=10)).order == order


@pytest.mark.parametrize("name", sorted(COMPILED))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_compiled_outputs_are_the_numbered_running_products(v6, name, dtype):
    path = v6(name)
    m = gssm.load(path)
    mine = FileSeries(read_raw(path)[0])
    x = aussm_sequences(m, (6, 300), seed=13)
    y = m.run(x, dtype)
    want, prods = expected(x, compiled_perms(name, m), mine.n, m.bos, mine.rank)
    np.testing.assert_array_equal(y, want)
    np.testing.assert_array_equal(m.running_products(x), want)
    np.testing.assert_array_equal(m.run(x[0], dtype), want[0])
    for b in range(2):
        assert m.decode(y[b]) == [cycle_label(g) for g in prods[b]]
    if m.bos is not None:
        assert (y[x == m.bos] == 0).all()
        with pytest.raises(gssm.TokenError, match="start token"):
            m.run(x[:, 1:], dtype)


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_compiled_torch_module_runs_the_same(v6, tmp_path, name):
    torch = need_torch()
    path = v6(name)
    m = gssm.load(path)
    mine = FileSeries(read_raw(path)[0])
    x = aussm_sequences(m, (5, 200), seed=3)
    want, _ = expected(x, compiled_perms(name, m), mine.n, m.bos, mine.rank)
    for dt in (torch.float32, torch.float64):
        mod = gssm.GssmModule(m, dtype=dt)
        np.testing.assert_array_equal(mod(torch.as_tensor(x)).numpy(), want)
    assert mod.readout is None and "layers.0.theta" in [n for n, _ in mod.named_parameters()]
    out, states = mod.trajectory(torch.as_tensor(x[:2]))
    np.testing.assert_array_equal(out.numpy(), want[:2])
    assert [tuple(s.shape) for s in states] == [(2, 200, l.width) for l in m.layers]
    # Untrained, the module exports the file's own bytes.
    out_path = tmp_path / f"{name}.torch.safetensors"
    gssm.save(gssm.GssmModule(m).export(), str(out_path))
    assert out_path.read_bytes() == path.read_bytes()


def test_compiled_evaluate_and_labels(v6):
    m = gssm.load(v6("agl"))
    t, mu = (from_cycles(13, cs) for cs in agl1_cycles(13, 2))
    assert m.evaluate("g1") == m.perm.rank(t) and m.evaluate("g2^-1") == m.perm.rank(inv(mu))
    assert m.evaluate("g1*g2") == m.perm.rank(mul(t, mu)) == m.multiply(m.evaluate("g1"), m.evaluate("g2"))
    x = m.encode("g1 g1^-1 g2")
    assert m.decode(m.run(x)) == [
        "(" + ",".join(map(str, range(1, 14))) + ")",
        "()",
        cycle_label(mu),
    ]


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_compiled_agree_with_gssm_run(v6, tmp_path, name):
    agrees_with_gssm_run(v6(name), tmp_path)


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_compiled_save_gives_the_same_bytes(v6, tmp_path, name):
    path = v6(name)
    out = tmp_path / f"{name}.again.safetensors"
    gssm.load(path).save(str(out))
    assert out.read_bytes() == path.read_bytes()
    assert gssm.dumps(gssm.loads(out.read_bytes())) == path.read_bytes()


def _first_code_bumped(t, m):
    # Term 0's first non-identity representative gets another code: the
    # codes no longer define a homomorphism.
    a = t["perm.series.0.codes.0"].copy()
    mod = t["perm.series.0.moduli"]
    a[1, 0] = (a[1, 0] + 1) % mod[0]
    t["perm.series.0.codes.0"] = a


def _compiled_readout(t, m):
    joint = math.prod(math.prod(t[f"perm.series.{i}.moduli"].tolist()) for i in range(10) if f"perm.series.{i}.moduli" in t)
    t["readout"] = np.arange(joint, dtype=np.int32)


def _cocycle_out_of_range(t, m):
    a = t["layer.0.cocycle"].copy()
    a[0, 0] = t["layer.1.transition.code"].shape[0]
    t["layer.0.cocycle"] = a


COMPILED_CASES = [
    ("codes no homomorphism", "agl", _first_code_bumped, gssm.InconsistentError, "are not a homomorphism of term 0's group"),
    ("readout present", "agl", _compiled_readout, gssm.InconsistentError, "so the file has no `readout` tensor"),
    ("cocycle entry", "agl", _cocycle_out_of_range, gssm.RangeError, "layer.0.cocycle"),
    ("phase missing", "agl", drop_tensor("layer.1.transition.phase"), gssm.MissingTensorError, "layer.1.transition.phase"),
    ("neg-mamba target", "agl", set_field("target", "neg-mamba"), gssm.InconsistentError, "tracked by aussm models only"),
    ("version 4", "agl", set_field("format_version", 4), gssm.MissingTensorError, "perm.base"),
    ("start token moves points", "agl-bos", _bos_token_moves, gssm.InconsistentError, "(the start token) must be the identity"),
]


@pytest.mark.parametrize("what,name,f,exc,needle", COMPILED_CASES, ids=[x[0] for x in COMPILED_CASES])
def test_compiled_lies_refused(v6, tmp_path, what, name, f, exc, needle):
    bad = mutate(v6(name), tmp_path, f)
    refused(bad, exc, needle)  # Python, then `gssm run`
    assert "not a valid gssm model" in cli_verify_rejects(bad)
