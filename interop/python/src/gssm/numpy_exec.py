"""The NumPy executor: the reference semantics, vectorised over the batch.

Diagonal targets, per time step t and layer i (v_0 = x_t)::

    h_i   <- a_i[v_i] ⊙ h_i + b_i[v_i]                 (complex, elementwise)
    q_ij   = round(arg(h_ij)·n_ij/2π) mod n_ij          (a phase component)
    q_ij   = #{θ in (0.75, 2.5, 4.75) : re(h_ij) ≥ θ}   (a register component)
    code_i = q_i0 + n_i0·(q_i1 + n_i1·(…))
    v_{i+1} = cocycle_i[code_i, v_i]                    (i < k-1)
    y_t    = readout[code_0 + C_0·(code_1 + C_1·(…))]

A model without a readout (format version 6, a permutation group numbered
along a series) outputs the joint code code_0 + C_0·(code_1 + …) itself,
which is the element's id; with no layers that is 0.

Arithmetic follows the Rust reference executor operation by operation:
re = (ar·hr − ai·hi) + br and im = (ar·hi + ai·hr) + bi, each operation
rounded in the run dtype; arg by atan2 in the run dtype; the digit in float64
with round-half-away-from-zero (a register's: re h compared in float64).
Resets (a = 0) and registers are the same recurrence with other values, so
only the decoding depends on a component's kind.

The one-layer targets of format version 3 (every float in the run dtype,
each product rounded before it is added):

* ``pd-ssm``: h'[index[x, j]] = diag[x, j]·h[j] + input[x, index[x, j]];
  the state itself is decoded.
* ``deltaproduct``: for r = 0..m-1, s = Σ_c k[x,r,c]·h[c] (c in order),
  t = v[x,r] − s, h[c] = h[c] + (β[x,r]·k[x,r,c])·t; the points read are
  x_i = Σ_c basis[i,c]·h[c] + offset[i].
* ``rnn``: h' = relu(((W_ih[:, x] + b_ih) + W_hh·h) + b_hh) from h = 0;
  output argmax(W_ro·h + b_ro), the first maximum on ties.

Point decoding (pd-ssm, deltaproduct): coordinate i goes to the point j
nearest to x_i (ties: the lowest j); if that is a bijection p, π = p⁻¹ and the
output is the element g with ``images[g] == π``; otherwise, or when no row
matches, :data:`UNDECODABLE`. A permutation group without a table (format
version 5) has no ``images``: π is ranked by the normal form
instead (:meth:`gssm.perm.PermTruth.rank_many`), UNDECODABLE when π is not
in the group. A diagonal model of such a group (aussm) decodes as any
other: its ``readout`` holds the normal form's ids. A model with a start
token runs from the zero
state (its ``h0`` is 0) and every sequence must begin with the start token.
"""

from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from .format import REGISTER_THRESHOLDS, UNDECODABLE
from .model import Model, TokenInput

TAU = 2.0 * math.pi

# Row keys for the action table: two polynomial hashes modulo primes below
# 2^31, so that every partial sum fits an int64 (NumPy and torch alike);
# a key match is confirmed by comparing the whole row.
_P1, _P2 = 2147483647, 2147483629


def _hash_weights(n: int, seed: int) -> Tuple[List[int], List[int]]:
    """Pseudo-random weights (splitmix64) for the row keys."""
    x = (0x9E3779B97F4A7C15 * (seed + 1)) & ((1 << 64) - 1)
    out = []
    for _ in range(2 * n):
        x = (x + 0x9E3779B97F4A7C15) & ((1 << 64) - 1)
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & ((1 << 64) - 1)
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & ((1 << 64) - 1)
        out.append(z ^ (z >> 31))
    return [1 + w % (_P1 - 1) for w in out[:n]], [1 + w % (_P2 - 1) for w in out[n:]]


def row_keys(rows: np.ndarray, w1: Sequence[int], w2: Sequence[int]) -> np.ndarray:
    """int64 keys of the rows of an int64 [R, n] table (entries below 2^31)."""
    a1 = np.zeros(rows.shape[0], np.int64)
    a2 = np.zeros(rows.shape[0], np.int64)
    for j in range(rows.shape[1]):
        a1 = (a1 + rows[:, j] * w1[j]) % _P1
        a2 = (a2 + rows[:, j] * w2[j]) % _P2
    return a1 * _P2 + a2


def action_keys(images: np.ndarray) -> Tuple[List[int], List[int], np.ndarray]:
    """Weights giving every row of ``images`` its own key, and the keys."""
    n = images.shape[1]
    for seed in range(64):
        w1, w2 = _hash_weights(n, seed)
        keys = row_keys(images, w1, w2)
        if np.unique(keys).size == keys.size:
            return w1, w2, keys
    raise ValueError("could not key the rows of the action table")  # pragma: no cover


class PointDecoder:
    """Point decoding against a faithful action (see the module docstring)."""

    def __init__(self, images: np.ndarray, points: np.ndarray):
        self.images = np.asarray(images, np.int64)
        self.points = points
        self.n = self.images.shape[1]
        self.w1, self.w2, keys = action_keys(self.images)
        self.order = np.argsort(keys, kind="stable")
        self.sorted_keys = keys[self.order]

    def decode(self, x: np.ndarray) -> np.ndarray:
        """Element ids (or UNDECODABLE) for the points x [B, n] (run dtype)."""
        B, n = x.shape[0], self.n
        if n == 0:  # one element, whose row is empty
            return np.zeros(B, np.int64)
        with np.errstate(all="ignore"):
            dist = np.abs(x[:, :, None] - self.points[None, None, :])
        p = np.argmin(dist, axis=2)  # the first minimum; a NaN distance wins
        ok = (np.sort(p, axis=1) == np.arange(n)).all(axis=1)
        pi = np.argsort(p, axis=1, kind="stable")  # p⁻¹ where p is a bijection
        key = row_keys(pi, self.w1, self.w2)
        pos = np.minimum(np.searchsorted(self.sorted_keys, key), self.sorted_keys.size - 1)
        cand = self.order[pos]
        ok &= self.sorted_keys[pos] == key
        ok &= (self.images[cand] == pi).all(axis=1)
        return np.where(ok, cand, np.int64(UNDECODABLE))


class RankDecoder:
    """Point decoding against a normal form (format version 5): the
    arrangement π of the points is ranked, as the Rust reference executor's
    ``Elements::Ranked``."""

    def __init__(self, truth, points: np.ndarray):
        self.truth = truth
        self.n = int(np.shape(points)[0])
        # Sorted once, so each coordinate looks at two neighbours (the
        # degree may be thousands: no [B, n, n] distance table).
        pts = np.asarray(points, np.float64)
        self.order = np.argsort(pts, kind="stable")
        self.sorted = pts[self.order]

    def nearest(self, x: np.ndarray) -> np.ndarray:
        """The point nearest to each value (the lowest point on ties), as
        Rust ``Points::nearest``, in float64."""
        x = np.asarray(x, np.float64)
        i = np.searchsorted(self.sorted, x, side="left")
        i = np.where(np.isnan(x), 0, i)  # Rust's partition_point on NaN
        lo = np.clip(i - 1, 0, self.n - 1)
        hi = np.clip(i, 0, self.n - 1)
        with np.errstate(all="ignore"):
            dlo, dhi = np.abs(self.sorted[lo] - x), np.abs(self.sorted[hi] - x)
        jlo, jhi = self.order[lo], self.order[hi]
        keep = (dlo < dhi) | ((dlo == dhi) & (jlo < jhi))
        return np.where(keep, jlo, jhi)

    def decode(self, x: np.ndarray) -> np.ndarray:
        n = self.n
        p = self.nearest(x)
        ok = (np.sort(p, axis=1) == np.arange(n)).all(axis=1)
        pi = np.argsort(p, axis=1, kind="stable")  # p⁻¹ where p is a bijection
        ids = self.truth.rank_many(pi)
        return np.where(ok, ids, np.int64(UNDECODABLE))


def point_decoder(model: Model, points: np.ndarray):
    """The decoder of a pd-ssm or deltaproduct model's points."""
    if model.perm is not None:
        return RankDecoder(model.perm, points)
    return PointDecoder(model.action.images, points)


def resolve_dtype(model: Model, dtype: Optional[Union[str, np.dtype, type]]) -> np.dtype:
    """float32/float64 from a name ('f32', 'float64', …), a NumPy dtype, or None (the file's)."""
    if dtype is None:
        return model.dtype
    if isinstance(dtype, str):
        names = {"f32": np.float32, "float32": np.float32, "f64": np.float64, "float64": np.float64}
        if dtype not in names:
            raise ValueError(f"unsupported dtype '{dtype}': use float32 or float64")
        return np.dtype(names[dtype])
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"unsupported dtype {dt}: use float32 or float64")
    return dt


def round_half_away(x: np.ndarray) -> np.ndarray:
    """Round to the nearest integer, ties away from zero (Rust's ``f64::round``); NaN -> 0."""
    r = np.trunc(x)
    frac = x - r  # exact
    out = r + (frac >= 0.5) - (frac <= -0.5)
    return np.where(np.isnan(x), 0.0, out)


def phase_digits(re: np.ndarray, im: np.ndarray, moduli: np.ndarray) -> np.ndarray:
    """Digits q = round(atan2(im, re)·n/2π) mod n (atan2 in the inputs' dtype)."""
    angle = np.arctan2(im, re).astype(np.float64)
    k = round_half_away(angle * moduli.astype(np.float64) / TAU)
    k = np.clip(k, -(2.0**62), 2.0**62).astype(np.int64)
    return np.mod(k, moduli)


def register_digits(re: np.ndarray) -> np.ndarray:
    """A register's digit: how many of the thresholds are ≤ re (NaN -> 0)."""
    x = np.asarray(re).astype(np.float64)
    out = np.zeros(x.shape, np.int64)
    for t in REGISTER_THRESHOLDS:
        out += x >= t
    return out


def layer_digits(re: np.ndarray, im: np.ndarray, moduli: np.ndarray, registers: Optional[np.ndarray]) -> np.ndarray:
    """Each component's digit by its kind (``registers``: bool [r], None
    when the layer has none)."""
    q = phase_digits(re, im, moduli)
    if registers is not None:
        q = np.where(registers, register_digits(re), q)
    return q


class _Prepared:
    """Per-layer tables converted for one run dtype."""

    def __init__(self, model: Model, dt: np.dtype):
        self.layers: List[Tuple[np.ndarray, ...]] = []
        self.registers: List[Optional[np.ndarray]] = []
        for l in model.layers:
            reg = l.registers
            self.registers.append(reg if reg.any() else None)
            r = l.width
            radix = np.ones(r, dtype=np.int64)
            if r > 1:
                radix[1:] = np.cumprod(l.moduli[:-1])
            self.layers.append(
                (
                    l.a_re.astype(dt),
                    l.a_im.astype(dt),
                    l.b_re.astype(dt),
                    l.b_im.astype(dt),
                    l.h0_re.astype(dt),
                    l.h0_im.astype(dt),
                    l.moduli.astype(np.int64),
                    radix,
                    None if l.cocycle is None else l.cocycle.reshape(-1),
                    np.int64(l.num_codes),
                    np.int64(l.num_tokens),
                )
            )
        self.readout = model.readout


class _PdStepper:
    def __init__(self, model: Model, dt: np.dtype):
        pd, act = model.pd, model.action
        assert pd is not None and act is not None
        self.index = pd.index.astype(np.int64)
        self.diag, self.input, self.h0 = pd.diag.astype(dt), pd.input.astype(dt), pd.h0.astype(dt)
        self.decoder = point_decoder(model, act.points.astype(dt))

    def init(self, B: int) -> np.ndarray:
        return np.repeat(self.h0[None, :], B, 0)

    def step(self, h: np.ndarray, v: np.ndarray) -> np.ndarray:
        idx = self.index[v]
        val = self.diag[v] * h + np.take_along_axis(self.input[v], idx, axis=1)
        out = np.empty_like(h)
        np.put_along_axis(out, idx, val, axis=1)
        return out

    def decode(self, h: np.ndarray) -> np.ndarray:
        return self.decoder.decode(h)


class _DeltaStepper:
    def __init__(self, model: Model, dt: np.dtype):
        dl, act = model.delta, model.action
        assert dl is not None and act is not None
        self.basis, self.offset = dl.basis.astype(dt), dl.offset.astype(dt)
        self.k, self.beta, self.v, self.h0 = dl.k.astype(dt), dl.beta.astype(dt), dl.v.astype(dt), dl.h0.astype(dt)
        self.m, self.d = dl.num_reflections, dl.dim
        self.decoder = PointDecoder(act.images, act.points.astype(dt))

    def init(self, B: int) -> np.ndarray:
        return np.repeat(self.h0[None, :], B, 0)

    def step(self, h: np.ndarray, v: np.ndarray) -> np.ndarray:
        kx, bx, vx = self.k[v], self.beta[v], self.v[v]
        for r in range(self.m):
            s = np.zeros(h.shape[0], h.dtype)
            for c in range(self.d):
                s = s + kx[:, r, c] * h[:, c]
            t = vx[:, r] - s
            h = h + (bx[:, r, None] * kx[:, r, :]) * t[:, None]
        return h

    def points(self, h: np.ndarray) -> np.ndarray:
        """x = basis·h + offset, the sum in order, [B, n]."""
        x = np.zeros((h.shape[0], self.basis.shape[0]), h.dtype)
        for c in range(self.d):
            x = x + self.basis[None, :, c] * h[:, c, None]
        return x + self.offset[None, :]

    def decode(self, h: np.ndarray) -> np.ndarray:
        return self.decoder.decode(self.points(h))


class _RnnStepper:
    def __init__(self, model: Model, dt: np.dtype):
        r = model.rnn
        assert r is not None
        self.w_ih_t = np.ascontiguousarray(r.weight_ih.astype(dt).T)  # [V, H]
        self.w_hh_t = np.ascontiguousarray(r.weight_hh.astype(dt).T)
        self.b_ih, self.b_hh = r.bias_ih.astype(dt), r.bias_hh.astype(dt)
        self.w_ro_t = np.ascontiguousarray(r.readout_weight.astype(dt).T)
        self.b_ro = r.readout_bias.astype(dt)
        self.dt = dt

    def init(self, B: int) -> np.ndarray:
        return np.zeros((B, self.w_hh_t.shape[0]), self.dt)

    def step(self, h: np.ndarray, v: np.ndarray) -> np.ndarray:
        pre = ((self.w_ih_t[v] + self.b_ih) + h @ self.w_hh_t) + self.b_hh
        return np.maximum(pre, 0)

    def decode(self, h: np.ndarray) -> np.ndarray:
        return np.argmax(h @ self.w_ro_t + self.b_ro, axis=1).astype(np.int64)


def _stepper(model: Model, dt: np.dtype):
    return {"pd-ssm": _PdStepper, "deltaproduct": _DeltaStepper, "rnn": _RnnStepper}[model.target](model, dt)


def run(model: Model, tokens: TokenInput, dtype: Optional[Union[str, np.dtype, type]] = None) -> np.ndarray:
    """Decoded output ids (element or state ids, or :data:`UNDECODABLE`) for tokens
    [T] or [B, T]; same shape, int64. A model with a start token needs every
    sequence to begin with it (:class:`TokenError` otherwise)."""
    dt = resolve_dtype(model, dtype)
    a = model.check_tokens(tokens)
    one = a.ndim == 1
    x = model.check_sequences(a)
    B, T = x.shape
    if not model.is_diagonal:
        st = _stepper(model, dt)
        out = np.empty((B, T), dtype=np.int64)
        h = st.init(B)
        with np.errstate(all="ignore"):
            for t in range(T):
                h = st.step(h, x[:, t])
                out[:, t] = st.decode(h)
        return out[0] if one else out
    out = np.empty((B, T), dtype=np.int64)
    if not model.layers:
        # The empty stack's one joint code, 0.
        out[...] = 0 if model.readout is None else model.readout[0]
        return out[0] if one else out
    p = _Prepared(model, dt)
    hs = [(np.repeat(L[4][None, :], B, 0), np.repeat(L[5][None, :], B, 0)) for L in p.layers]
    last = len(p.layers) - 1
    with np.errstate(all="ignore"):
        for t in range(T):
            v = x[:, t]
            joint = np.zeros(B, dtype=np.int64)
            stride = np.int64(1)
            for i, (a_re, a_im, b_re, b_im, _h0r, _h0i, mod, radix, coc, ncodes, ntok) in enumerate(p.layers):
                hr, hi = hs[i]
                ar, ai, br, bi = a_re[v], a_im[v], b_re[v], b_im[v]
                nr = ar * hr - ai * hi + br
                ni = ar * hi + ai * hr + bi
                hs[i] = (nr, ni)
                q = layer_digits(nr, ni, mod, p.registers[i])
                code = (q * radix).sum(axis=1)
                joint += code * stride
                stride = stride * ncodes
                if i < last:
                    v = coc[code * ntok + v]
            out[:, t] = joint if p.readout is None else p.readout[joint]
    return out[0] if one else out


def states(model: Model, tokens: TokenInput, dtype: Optional[Union[str, np.dtype, type]] = None) -> List[np.ndarray]:
    """Hidden states per layer (for inspection): complex [B, T, r_i] per
    diagonal layer; for rnn, pd-ssm and deltaproduct one real [B, T, size]."""
    dt = resolve_dtype(model, dtype)
    x = model.check_sequences(tokens)
    B, T = x.shape
    if not model.is_diagonal:
        st = _stepper(model, dt)
        h = st.init(B)
        res = np.empty((B, T, h.shape[1]), dtype=dt)
        with np.errstate(all="ignore"):
            for t in range(T):
                h = st.step(h, x[:, t])
                res[:, t] = h
        return [res]
    p = _Prepared(model, dt)
    cdt = np.complex64 if dt == np.float32 else np.complex128
    res = [np.empty((B, T, L[6].shape[0]), dtype=cdt) for L in p.layers]
    hs = [(np.repeat(L[4][None, :], B, 0), np.repeat(L[5][None, :], B, 0)) for L in p.layers]
    last = len(p.layers) - 1
    with np.errstate(all="ignore"):
        for t in range(T):
            v = x[:, t]
            for i, (a_re, a_im, b_re, b_im, _h0r, _h0i, mod, radix, coc, _nc, ntok) in enumerate(p.layers):
                hr, hi = hs[i]
                nr = a_re[v] * hr - a_im[v] * hi + b_re[v]
                ni = a_re[v] * hi + a_im[v] * hr + b_im[v]
                hs[i] = (nr, ni)
                res[i][:, t].real = nr
                res[i][:, t].imag = ni
                if i < last:
                    code = (layer_digits(nr, ni, mod, p.registers[i]) * radix).sum(axis=1)
                    v = coc[code * ntok + v]
    return res
