"""The NumPy executor: the reference semantics, vectorised over the batch.

Per time step t and layer i (v_0 = x_t)::

    h_i   <- a_i[v_i] ⊙ h_i + b_i[v_i]                 (complex, elementwise)
    q_ij   = round(arg(h_ij)·n_ij/2π) mod n_ij
    code_i = q_i0 + n_i0·(q_i1 + n_i1·(…))
    v_{i+1} = cocycle_i[code_i, v_i]                    (i < k-1)
    y_t    = readout[code_0 + C_0·(code_1 + C_1·(…))]

Arithmetic follows the Rust reference executor operation by operation:
re = (ar·hr − ai·hi) + br and im = (ar·hi + ai·hr) + bi, each operation
rounded in the run dtype; arg by atan2 in the run dtype; the digit in float64
with round-half-away-from-zero.
"""

from __future__ import annotations

import math
from typing import List, Optional, Tuple, Union

import numpy as np

from .model import Model, TokenError, TokenInput

TAU = 2.0 * math.pi


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


class _Prepared:
    """Per-layer tables converted for one run dtype."""

    def __init__(self, model: Model, dt: np.dtype):
        self.layers: List[Tuple[np.ndarray, ...]] = []
        for l in model.layers:
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


def run(model: Model, tokens: TokenInput, dtype: Optional[Union[str, np.dtype, type]] = None) -> np.ndarray:
    """Decoded output ids (element ids) for tokens [T] or [B, T]; same shape, int64."""
    dt = resolve_dtype(model, dtype)
    a = model.check_tokens(tokens)
    one = a.ndim == 1
    x = a.reshape(1, -1) if one else a
    if x.ndim != 2:
        raise TokenError(f"tokens must have shape [T] or [B, T], got {a.shape}")
    B, T = x.shape
    out = np.empty((B, T), dtype=np.int64)
    if not model.layers:
        out[...] = model.readout[0]
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
                q = phase_digits(nr, ni, mod)
                code = (q * radix).sum(axis=1)
                joint += code * stride
                stride = stride * ncodes
                if i < last:
                    v = coc[code * ntok + v]
            out[:, t] = p.readout[joint]
    return out[0] if one else out


def states(model: Model, tokens: TokenInput, dtype: Optional[Union[str, np.dtype, type]] = None) -> List[np.ndarray]:
    """Complex hidden states per layer, each [B, T, r_i] (for inspection)."""
    dt = resolve_dtype(model, dtype)
    a = model.check_tokens(tokens)
    x = a.reshape(1, -1) if a.ndim == 1 else a
    B, T = x.shape
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
                    code = (phase_digits(nr, ni, mod) * radix).sum(axis=1)
                    v = coc[code * ntok + v]
    return res
