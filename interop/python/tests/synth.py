"""Small models built in Python from the construction (cyclic factors only),
independent of the compiler: permutation groups with a given subnormal series."""

from __future__ import annotations

import itertools
import math
from typing import Callable, List, Sequence, Tuple

import numpy as np

import gssm
from gssm.format import GroupInfo, Layer, LayerInfo, Manifest

Perm = Tuple[int, ...]


def compose(p: Perm, q: Perm) -> Perm:
    """p*q: apply p, then q."""
    return tuple(q[p[i]] for i in range(len(p)))


def closure(gens: Sequence[Perm]) -> List[Perm]:
    n = len(gens[0])
    e = tuple(range(n))
    elems = [e]
    seen = {e}
    frontier = [e]
    while frontier:
        nxt = []
        for g in frontier:
            for s in gens:
                h = compose(g, s)
                if h not in seen:
                    seen.add(h)
                    elems.append(h)
                    nxt.append(h)
        frontier = nxt
    return elems


def build(
    elems: List[Perm],
    series: List[Callable[[Perm], bool]],
    name: str,
    dtype: str = "float32",
    target: str = "aussm",
) -> gssm.Model:
    """Model for the group `elems` (identity first) along G = G_0 ⊳ … ⊳ G_k = 1,
    each G_i given by a membership predicate and each factor cyclic."""
    n = len(elems)
    idx = {g: i for i, g in enumerate(elems)}
    table = np.array([[idx[compose(g, h)] for h in elems] for g in elems], dtype=np.int64)
    inv = {g: next(h for h in elems if table[idx[g], idx[h]] == 0) for g in elems}
    subs = [[g for g in elems if pred(g)] for pred in series]
    assert len(subs[-1]) == 1
    k = len(subs) - 1
    fdt = np.float32 if dtype == "float32" else np.float64
    layers: List[Layer] = []
    infos: List[LayerInfo] = []
    transversals = []
    for i in range(k):
        upper, lower = subs[i], set(subs[i + 1])
        m = len(upper) // len(lower)
        # A generator of the cyclic factor and its powers as transversal.
        for g in upper:
            pw = [tuple(range(len(g)))]
            for _ in range(m - 1):
                pw.append(compose(pw[-1], g))
            cosets = {frozenset(compose(l, p) for l in lower) for p in pw}
            if len(cosets) == m:
                break
        else:  # pragma: no cover
            raise ValueError("factor is not cyclic")
        coord = {}
        for j, p in enumerate(pw):
            for l in lower:
                coord[compose(l, p)] = j
        transversals.append(pw)
        code = np.array([[coord[x]] for x in upper], dtype=np.int64)
        ph = 2 * math.pi * code / m
        if target == "aussm":
            a_re, a_im = np.cos(ph), np.sin(ph)
        else:
            a_re, a_im = np.where(code % 2 == 0, 1.0, -1.0), np.zeros_like(ph)
        if i + 1 < k:
            low = subs[i + 1]
            lidx = {g: j for j, g in enumerate(low)}
            coc = np.zeros((m, len(upper)), dtype=np.int64)
            for c in range(m):
                for v, x in enumerate(upper):
                    a = (c - coord[x]) % m
                    kap = compose(compose(pw[a], x), inv[pw[c]])
                    coc[c, v] = lidx[kap]
        else:
            coc = None
        V = len(upper)
        layers.append(
            Layer(
                moduli=np.array([m], dtype=np.int64),
                transition_code=code,
                a_re=a_re.astype(fdt),
                a_im=a_im.astype(fdt),
                b_re=np.zeros((V, 1), fdt),
                b_im=np.zeros((V, 1), fdt),
                h0_re=np.ones(1, fdt),
                h0_im=np.zeros(1, fdt),
                cocycle=coc,
                phase=ph.astype(fdt) if target == "aussm" else None,
            )
        )
        infos.append(
            LayerInfo(
                factor_order=m,
                invariant_factors=[m],
                prime_power_invariants=[m],
                width=1,
                num_tokens=V,
                num_codes=m,
                token_labels=[f"g{idx[x]}" for x in upper],
            )
        )
    # readout: y = s_{k-1}(a_{k-1}) ⋯ s_0(a_0)
    sizes = [len(t) for t in transversals]
    readout = np.zeros(int(np.prod(sizes, dtype=np.int64)), dtype=np.int64)
    for digits in itertools.product(*[range(s) for s in sizes]):
        jc = 0
        for d, s in zip(reversed(digits), reversed(sizes)):
            jc = jc * s + d
        y = tuple(range(len(elems[0])))
        for i in reversed(range(k)):
            y = compose(y, transversals[i][digits[i]])
        readout[jc] = idx[y]
    labels = [f"g{i}" for i in range(n)]
    man = Manifest(
        format=gssm.FORMAT_NAME,
        format_version=gssm.FORMAT_VERSION,
        compiler="synth",
        group=GroupInfo(name=name, order=n, generators=[]),
        convention="left-to-right",
        target=target,
        dtype=dtype,
        series_orders=[len(s) for s in subs],
        layers=infos,
        tokens=labels,
        outputs=labels,
    )
    return gssm.Model(
        manifest=man,
        layers=layers,
        readout=readout,
        group_table=table,
        token_elements=np.arange(n, dtype=np.int64),
    )


def cyclic(n: int, dtype: str = "float32") -> gssm.Model:
    g = tuple((i + 1) % n for i in range(n))
    elems = closure([g])
    return build(elems, [lambda p: True, lambda p: p == tuple(range(n))], f"C{n}", dtype)


def sign(p: Perm) -> int:
    s = 1
    for i in range(len(p)):
        for j in range(i + 1, len(p)):
            if p[i] > p[j]:
                s = -s
    return s


def s3(dtype: str = "float32") -> gssm.Model:
    elems = closure([(1, 0, 2), (1, 2, 0)])
    return build(elems, [lambda p: True, lambda p: sign(p) == 1, lambda p: p == (0, 1, 2)], "S3", dtype)


def c2xc4_negmamba(dtype: str = "float32") -> gssm.Model:
    # C2 x C4 on 6 points: (0 1) and (2 3 4 5); series G ⊳ <(2 4)(3 5)> ⊳ 1 has
    # factors C2xC2 (not cyclic), so use G ⊳ C4 ⊳ C2 ⊳ 1 with C2 factors.
    a, b = (1, 0, 2, 3, 4, 5), (0, 1, 3, 4, 5, 2)
    elems = closure([a, b])
    c4 = set(closure([b]))
    c2 = set(closure([compose(b, b)]))
    e = tuple(range(6))
    return build(elems, [lambda p: True, lambda p: p in c4, lambda p: p in c2, lambda p: p == e], "C2xC4", dtype, "neg-mamba")


def trivial(dtype: str = "float32") -> gssm.Model:
    man = Manifest(
        format=gssm.FORMAT_NAME,
        format_version=gssm.FORMAT_VERSION,
        compiler="synth",
        group=GroupInfo(name="C1", order=1, generators=[]),
        convention="left-to-right",
        target="aussm",
        dtype=dtype,
        series_orders=[1],
        layers=[],
        tokens=["e"],
        outputs=["e"],
    )
    return gssm.Model(
        manifest=man,
        layers=[],
        readout=np.zeros(1, np.int64),
        group_table=np.zeros((1, 1), np.int64),
        token_elements=np.zeros(1, np.int64),
    )
