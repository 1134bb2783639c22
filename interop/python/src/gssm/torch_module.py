"""A PyTorch ``nn.Module`` running a gssm model (import torch only when used).

The layer parameters are ``nn.Parameter`` s in the target architecture's own
parameterisation, so training can start from compiled weights:

* AUSSM: ``theta`` [V, r] (from ``layer.i.transition.phase``), a = exp(iθ);
* neg-mamba, mamba, gla: ``a_re`` [V, r], the real transition (``a_im`` is
  a zero buffer);

plus ``b_re``, ``b_im`` [V, r] (input term) and ``h0_re``, ``h0_im`` [r].
Automaton models (format version 4) use the same parameters: a reset is
a = 0 with b its target point, a register component a real a ∈ {1, 1/4}
with b ∈ {0, 4} (for AUSSM a₀ = 0, 1 or 1/4 and θ₀ = 0, below), and the
register's digit is read from re h by thresholds, not by its angle.

The one-layer targets of format version 3:

* rnn: ``rnn`` is a ``torch.nn.RNN`` (ReLU) and ``readout`` a
  ``torch.nn.Linear``; the input is the one-hot token, h starts at 0 and the
  output is the argmax of the readout (PyTorch's own kernels throughout);
* pd-ssm: ``pd.diag``, ``pd.input`` (and ``pd.h0``) parameters, the
  permutation a gather through the inverse of ``pd.index``;
* deltaproduct: ``delta.k``, ``delta.beta``, ``delta.v`` (and ``delta.h0``),
  the factors applied one after the other, the first first; β is clamped to
  [0, 2] where it is used (the stored values are unchanged by it), so a
  trained module still exports a valid file.

pd-ssm and deltaproduct decode their points like the NumPy executor and
return :data:`gssm.UNDECODABLE` where no element matches; a permutation group
without a table (format version 5) ranks the arrangement by its normal form
(:class:`RankDecoder`).

With a start token the initial state is a zero buffer, not a parameter, and
the start token's reset cannot be trained away: a diagonal layer multiplies
its transition by a per-token keep mask (0 for the start token: AUSSM's
phase cannot express a = 0), pd-ssm its ``diag`` likewise, and deltaproduct
takes the start token's factors from buffers.

The recurrence runs on real/imaginary pairs with the same operation order as
the reference executor, ``re = (ar·hr − ai·hi) + br``,
``im = (ar·hi + ai·hr) + bi``, in float32 or float64, on any device. Decoding
(atan2, digits, cocycle and readout lookups) is discrete: :meth:`forward`
returns output ids, :meth:`trajectory` also returns the differentiable states.
A diagonal model without a readout (format version 6, a permutation group
numbered along a series) returns the joint code itself, which is the
element's id.

For AUSSM the transition is a = a₀·exp(i(θ − θ₀)), with a₀ and θ₀ the file's
stored transition and phase, computed in float64 and rounded to the run
dtype. Until θ moves this is the stored transition bit for bit (cos 0 = 1 and
sin 0 = 0 exactly), so the module runs the same floats as the NumPy and Rust
executors and :meth:`export` writes the file's own values back (which
``gssm verify`` checks bit for bit); once θ moves it is exp(iθ) to within
rounding, with the same gradient.
"""

from __future__ import annotations

import math
from typing import Any, List, Optional, Tuple, Union

import torch
from torch import nn

from .format import REGISTER_THRESHOLDS, UNDECODABLE, PathLike
from .model import Model

TAU = 2.0 * math.pi
_DTYPES = {
    "f32": torch.float32,
    "float32": torch.float32,
    "f64": torch.float64,
    "float64": torch.float64,
}


def _torch_dtype(model: Model, dtype: Any) -> torch.dtype:
    if dtype is None:
        return torch.float64 if model.manifest.dtype == "float64" else torch.float32
    if isinstance(dtype, str):
        if dtype not in _DTYPES:
            raise ValueError(f"unsupported dtype '{dtype}': use float32 or float64")
        return _DTYPES[dtype]
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"unsupported dtype {dtype}: use torch.float32 or torch.float64")
    return dtype


def round_half_away(x: torch.Tensor) -> torch.Tensor:
    """Nearest integer, ties away from zero (Rust's ``f64::round``); NaN -> 0."""
    r = torch.trunc(x)
    frac = x - r
    out = r + (frac >= 0.5).to(x.dtype) - (frac <= -0.5).to(x.dtype)
    return torch.where(torch.isnan(x), torch.zeros_like(x), out)


class GssmLayer(nn.Module):
    """One diagonal layer's parameters and decoder tables; with ``bos`` its
    last token is the start token (kept at a = 0 by the ``keep`` mask)."""

    def __init__(self, layer: Any, target: str, dtype: torch.dtype, bos: bool = False):
        super().__init__()
        f = lambda a: torch.as_tensor(a.astype("float64")).to(dtype)  # noqa: E731
        self.target = target
        self.bos = bos
        if target == "aussm":
            if layer.phase is None:
                raise ValueError("an aussm layer needs `transition.phase`")
            self.theta = nn.Parameter(f(layer.phase))
            # The point θ₀ the stored transition a₀ belongs to, in the run
            # dtype so that θ − θ₀ is exactly 0 until θ is trained.
            self.register_buffer("theta0", f(layer.phase))
            f64 = lambda a: torch.as_tensor(a.astype("float64"))  # noqa: E731
            self.register_buffer("a0_re", f64(layer.a_re))
            self.register_buffer("a0_im", f64(layer.a_im))
        else:
            self.a_re = nn.Parameter(f(layer.a_re))
            self.register_buffer("a_im", f(layer.a_im))
        self.b_re = nn.Parameter(f(layer.b_re))
        self.b_im = nn.Parameter(f(layer.b_im))
        if bos:
            # The zero state; the start token writes the initial one.
            self.register_buffer("h0_re", f(layer.h0_re))
            self.register_buffer("h0_im", f(layer.h0_im))
            keep = torch.ones(layer.num_tokens, dtype=dtype)
            keep[-1] = 0
            self.register_buffer("keep", keep)
        else:
            self.h0_re = nn.Parameter(f(layer.h0_re))
            self.h0_im = nn.Parameter(f(layer.h0_im))
            self.keep = None
        r = layer.width
        radix = [1] * r
        for j in range(1, r):
            radix[j] = radix[j - 1] * int(layer.moduli[j - 1])
        self.register_buffer("moduli", torch.as_tensor(layer.moduli, dtype=torch.int64))
        # Register components are decoded by thresholds on re h, phases by
        # their angle; the recurrence is the same for both.
        reg = layer.registers
        self.has_registers = bool(reg.any())
        self.register_buffer("registers", torch.as_tensor(reg, dtype=torch.bool))
        self.register_buffer("thresholds", torch.as_tensor(REGISTER_THRESHOLDS, dtype=torch.float64))
        self.register_buffer("moduli_f", torch.as_tensor(layer.moduli, dtype=torch.float64))
        self.register_buffer("radix", torch.as_tensor(radix, dtype=torch.int64))
        coc = layer.cocycle.reshape(-1) if layer.cocycle is not None else []
        self.register_buffer("cocycle", torch.as_tensor(coc, dtype=torch.int64))
        self.num_tokens = layer.num_tokens
        self.num_codes = layer.num_codes
        self.width = r

    def transition(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """(re, im) of a [V, r] from the parameters (times the keep mask:
        exact, 1 for every token but the start token)."""
        if self.target == "aussm":
            d = self.theta.to(torch.float64) - self.theta0.to(torch.float64)
            c, s = torch.cos(d), torch.sin(d)
            re = self.a0_re * c - self.a0_im * s
            im = self.a0_re * s + self.a0_im * c
            re, im = re.to(self.theta.dtype), im.to(self.theta.dtype)
        else:
            re, im = self.a_re, self.a_im
        if self.keep is not None:
            re, im = re * self.keep[:, None], im * self.keep[:, None]
        return re, im

    def digits(self, re: torch.Tensor, im: torch.Tensor) -> torch.Tensor:
        """Phases: q = round(atan2(im, re)·n/2π) mod n, digit arithmetic in
        float64; registers: how many thresholds are ≤ re h (in float64)."""
        angle = torch.atan2(im, re).to(torch.float64)
        x = angle * self.moduli_f
        # A full tensor divisor: some backends turn division by a scalar
        # into multiplication by its reciprocal, which rounds differently.
        x = torch.div(x, torch.full_like(x, TAU))
        k = round_half_away(x).clamp(-(2.0**62), 2.0**62).to(torch.int64)
        q = torch.remainder(k, self.moduli)
        if self.has_registers:
            r = (re.to(torch.float64)[..., None] >= self.thresholds).sum(dim=-1)
            q = torch.where(self.registers, r, q)
        return q


class PointDecoder(nn.Module):
    """Point decoding against the action table (as :class:`gssm.numpy_exec.
    PointDecoder`): nearest point per coordinate, then the element whose
    ``images`` row is the inverse of that map, or UNDECODABLE."""

    def __init__(self, action: Any, dtype: torch.dtype):
        super().__init__()
        import numpy as np

        from .numpy_exec import action_keys

        images = np.asarray(action.images, np.int64)
        w1, w2, keys = action_keys(images)
        order = np.argsort(keys, kind="stable")
        self.register_buffer("images", torch.as_tensor(images))
        self.register_buffer("points", torch.as_tensor(action.points.astype("float64")).to(dtype))
        self.register_buffer("w1", torch.as_tensor(w1, dtype=torch.int64))
        self.register_buffer("w2", torch.as_tensor(w2, dtype=torch.int64))
        self.register_buffer("order", torch.as_tensor(order))
        self.register_buffer("sorted_keys", torch.as_tensor(keys[order]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from .numpy_exec import _P1, _P2

        B, n = x.shape[0], self.images.shape[1]
        if n == 0:
            return torch.zeros(B, dtype=torch.int64, device=x.device)
        p = torch.argmin((x[:, :, None] - self.points).abs(), dim=2)
        ok = (torch.sort(p, dim=1).values == torch.arange(n, device=x.device)).all(dim=1)
        pi = torch.argsort(p, dim=1, stable=True)
        a1 = torch.zeros(B, dtype=torch.int64, device=x.device)
        a2 = torch.zeros_like(a1)
        for j in range(n):
            a1 = torch.remainder(a1 + pi[:, j] * self.w1[j], _P1)
            a2 = torch.remainder(a2 + pi[:, j] * self.w2[j], _P2)
        key = a1 * _P2 + a2
        pos = torch.searchsorted(self.sorted_keys, key).clamp(max=self.sorted_keys.numel() - 1)
        cand = self.order[pos]
        ok = ok & (self.sorted_keys[pos] == key) & (self.images[cand] == pi).all(dim=1)
        return torch.where(ok, cand, torch.full_like(cand, UNDECODABLE))


class RankDecoder(nn.Module):
    """Point decoding against a normal form (format version 5, as
    :class:`gssm.numpy_exec.RankDecoder`): nearest point per coordinate,
    then the arrangement π sifted through the levels; UNDECODABLE when p is
    no bijection or π is not in the group."""

    def __init__(self, truth: Any, points: Any, dtype: torch.dtype):
        super().__init__()
        import numpy as np

        n = truth.degree
        levels = truth._prepared()
        mmax = max((m for *_, m in levels), default=1)
        # Levels padded to one [k, mmax, n] table of inverse representatives.
        inv = np.broadcast_to(np.arange(n, dtype=np.int64), (len(levels), mmax, n)).copy()
        pos = np.full((len(levels), n), -1, np.int64)
        radix = np.ones(len(levels), np.int64)
        for i, (_b, lpos, linv, _reps, m) in enumerate(levels):
            inv[i, :m] = linv
            pos[i] = lpos
            if i + 1 < len(levels):
                radix[i + 1] = radix[i] * m
        # Sorted points (float64, as Rust decodes): two neighbours per
        # coordinate, no [B, n, n] distance table.
        pts = np.asarray(points, np.float64)
        order = np.argsort(pts, kind="stable")
        self.register_buffer("points", torch.as_tensor(pts))
        self.register_buffer("sorted_points", torch.as_tensor(pts[order]))
        self.register_buffer("point_order", torch.as_tensor(order))
        self.register_buffer("base", torch.as_tensor(np.asarray(truth.base, np.int64)))
        self.register_buffer("pos", torch.as_tensor(pos))
        self.register_buffer("inv", torch.as_tensor(inv))
        self.register_buffer("radix", torch.as_tensor(radix))

    def nearest(self, x: torch.Tensor) -> torch.Tensor:
        """The point nearest to each value (the lowest point on ties)."""
        n = self.points.shape[0]
        x = x.to(torch.float64).contiguous()
        i = torch.searchsorted(self.sorted_points, x, side="left")
        i = torch.where(torch.isnan(x), torch.zeros_like(i), i)
        lo, hi = (i - 1).clamp(0, n - 1), i.clamp(0, n - 1)
        dlo, dhi = (self.sorted_points[lo] - x).abs(), (self.sorted_points[hi] - x).abs()
        jlo, jhi = self.point_order[lo], self.point_order[hi]
        keep = (dlo < dhi) | ((dlo == dhi) & (jlo < jhi))
        return torch.where(keep, jlo, jhi)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, n = x.shape[0], self.points.shape[0]
        p = self.nearest(x)
        ident = torch.arange(n, device=x.device)
        ok = (torch.sort(p, dim=1).values == ident).all(dim=1)
        h = torch.argsort(p, dim=1, stable=True)
        ids = torch.zeros(B, dtype=torch.int64, device=x.device)
        for i in range(self.base.shape[0]):
            d = self.pos[i][h[:, self.base[i]]]
            ok = ok & (d >= 0)
            d = d.clamp(min=0)
            # h <- h·u^-1
            h = torch.gather(self.inv[i][d], 1, h)
            ids = ids + d * self.radix[i]
        ok = ok & (h == ident).all(dim=1)
        return torch.where(ok, ids, torch.full_like(ids, UNDECODABLE))


class PdSsmLayer(nn.Module):
    """pd-ssm: h'[i] = diag[x, j]·h[j] + input[x, i] with j = inv[x, i], the
    inverse of ``index[x]`` (so that h'[index[x, j]] = diag[x, j]·h[j] +
    input[x, index[x, j]], the reference's operations)."""

    def __init__(self, pd: Any, dtype: torch.dtype, bos: Optional[int]):
        super().__init__()
        f = lambda a: torch.as_tensor(a.astype("float64")).to(dtype)  # noqa: E731
        index = torch.as_tensor(pd.index, dtype=torch.int64)
        self.register_buffer("index", index)
        self.register_buffer("inv_index", torch.argsort(index, dim=1))
        self.diag = nn.Parameter(f(pd.diag))
        self.input = nn.Parameter(f(pd.input))
        if bos is None:
            self.h0 = nn.Parameter(f(pd.h0))
            self.keep = None
        else:
            self.register_buffer("h0", f(pd.h0))
            keep = torch.ones(index.shape[0], dtype=dtype)
            keep[bos] = 0
            self.register_buffer("keep", keep)

    def effective_diag(self) -> torch.Tensor:
        if self.keep is None:
            return self.diag
        return torch.where(self.keep[:, None] > 0, self.diag, torch.zeros_like(self.diag))

    def step(self, h: torch.Tensor, v: torch.Tensor, diag: torch.Tensor) -> torch.Tensor:
        return torch.gather(diag[v] * h, 1, self.inv_index[v]) + self.input[v]


class DeltaProductLayer(nn.Module):
    """deltaproduct: per token, for r = 0..m-1, s = Σ_c k[c]·h[c] (in order),
    t = v − s, h[c] ← h[c] + (β·k[c])·t; points x = basis·h + offset."""

    def __init__(self, dl: Any, dtype: torch.dtype, bos: Optional[int]):
        super().__init__()
        f = lambda a: torch.as_tensor(a.astype("float64")).to(dtype)  # noqa: E731
        self.register_buffer("basis", f(dl.basis))
        self.register_buffer("offset", f(dl.offset))
        self.k = nn.Parameter(f(dl.k))
        self.beta = nn.Parameter(f(dl.beta))
        self.v = nn.Parameter(f(dl.v))
        self.m, self.d = dl.num_reflections, dl.dim
        self.bos = bos
        if bos is None:
            self.h0 = nn.Parameter(f(dl.h0))
        else:
            self.register_buffer("h0", f(dl.h0))
            self.register_buffer("bos_k", f(dl.k[bos]))
            self.register_buffer("bos_beta", f(dl.beta[bos]))

    def effective(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """(k, β) as run and exported: β clamped to [0, 2], the range the
        format allows (the stored values unchanged), and the start token's
        factors from the buffers."""
        beta = self.beta.clamp(0.0, 2.0)
        if self.bos is None:
            return self.k, beta
        row = torch.zeros(self.k.shape[0], dtype=torch.bool, device=self.k.device)
        row[self.bos] = True
        k = torch.where(row[:, None, None], self.bos_k[None], self.k)
        beta = torch.where(row[:, None], self.bos_beta[None], beta)
        return k, beta

    def step(self, h: torch.Tensor, v: torch.Tensor, k: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
        kx, bx, vx = k[v], beta[v], self.v[v]
        for r in range(self.m):
            s = torch.zeros_like(h[:, 0])
            for c in range(self.d):
                s = s + kx[:, r, c] * h[:, c]
            t = vx[:, r] - s
            h = h + (bx[:, r, None] * kx[:, r, :]) * t[:, None]
        return h

    def points(self, h: torch.Tensor) -> torch.Tensor:
        x = torch.zeros((h.shape[0], self.basis.shape[0]), dtype=h.dtype, device=h.device)
        for c in range(self.d):
            x = x + self.basis[None, :, c] * h[:, c, None]
        return x + self.offset[None, :]


class GssmModule(nn.Module):
    """A gssm model as a PyTorch module.

    ``forward(tokens)`` takes a LongTensor [B, T] (or [T]) of token ids and
    returns the decoded output ids (element or state ids, or :data:`gssm.UNDECODABLE`),
    same shape, int64. In a model with a start token every sequence must
    begin with it.

    Submodules by target: diagonal ``layers`` (:class:`GssmLayer`) and the
    ``readout`` table (a buffer; None when the output is the joint code,
    format version 6); rnn ``rnn`` (``torch.nn.RNN``) and
    ``readout`` (``torch.nn.Linear``); pd-ssm ``pd`` (:class:`PdSsmLayer`) and
    deltaproduct ``delta`` (:class:`DeltaProductLayer`), each with a
    ``decoder`` (:class:`PointDecoder`, or :class:`RankDecoder` for a
    permutation group without a table).
    """

    #: Largest B·T_chunk·H the rnn keeps at once.
    RNN_CHUNK = 1 << 24

    def __init__(self, model: Model, dtype: Any = None, device: Optional[Union[str, torch.device]] = None):
        super().__init__()
        self.model = model
        self.target = model.manifest.target
        self.dtype = _torch_dtype(model, dtype)
        self.bos = model.bos
        bos = model.bos is not None
        self.layers = nn.ModuleList(GssmLayer(l, self.target, self.dtype, bos) for l in model.layers)
        self.register_buffer("_anchor", torch.zeros(0), persistent=False)
        f = lambda a: torch.as_tensor(a.astype("float64")).to(self.dtype)  # noqa: E731
        if model.is_diagonal:
            # No table when the joint code is the output (format version 6).
            ro = None if model.readout is None else torch.as_tensor(model.readout, dtype=torch.int64)
            self.register_buffer("readout", ro)
        elif self.target == "rnn":
            r = model.rnn
            H, V, N = r.hidden_size, model.num_tokens, model.order
            self.rnn = nn.RNN(V, H, nonlinearity="relu", batch_first=True, dtype=self.dtype)
            self.readout = nn.Linear(H, N, dtype=self.dtype)
            with torch.no_grad():
                self.rnn.weight_ih_l0.copy_(f(r.weight_ih))
                self.rnn.weight_hh_l0.copy_(f(r.weight_hh))
                self.rnn.bias_ih_l0.copy_(f(r.bias_ih))
                self.rnn.bias_hh_l0.copy_(f(r.bias_hh))
                self.readout.weight.copy_(f(r.readout_weight))
                self.readout.bias.copy_(f(r.readout_bias))
        elif self.target == "pd-ssm":
            self.pd = PdSsmLayer(model.pd, self.dtype, model.bos)
            if model.perm is not None:
                self.decoder = RankDecoder(model.perm, model.action.points, self.dtype)
            else:
                self.decoder = PointDecoder(model.action, self.dtype)
        else:
            self.delta = DeltaProductLayer(model.delta, self.dtype, model.bos)
            self.decoder = PointDecoder(model.action, self.dtype)
        self.num_tokens = model.num_tokens
        if device is not None:
            self.to(device)

    @classmethod
    def from_file(cls, path: PathLike, dtype: Any = None, device: Optional[Union[str, torch.device]] = None) -> "GssmModule":
        """Load and validate a weight file, then build the module."""
        from .format import load

        return cls(load(path), dtype=dtype, device=device)

    @property
    def device(self) -> torch.device:
        return self._anchor.device

    def _check(self, tokens: torch.Tensor) -> Tuple[torch.Tensor, bool]:
        if not isinstance(tokens, torch.Tensor):
            tokens = torch.as_tensor(tokens)
        if tokens.dtype.is_floating_point or tokens.dtype.is_complex or tokens.dtype == torch.bool:
            raise TypeError(f"tokens must be an integer tensor, got {tokens.dtype}")
        one = tokens.dim() == 1
        x = tokens.reshape(1, -1) if one else tokens
        if x.dim() != 2:
            raise ValueError(f"tokens must have shape [T] or [B, T], got {tuple(tokens.shape)}")
        if x.numel():
            lo, hi = int(x.min()), int(x.max())
            if lo < 0 or hi >= self.num_tokens:
                bad = lo if lo < 0 else hi
                raise ValueError(
                    f"token id {bad} is out of range: the model has {self.num_tokens} tokens "
                    f"(ids 0..{self.num_tokens - 1})"
                )
            if self.bos is not None:
                bad_rows = torch.nonzero(x[:, 0] != self.bos).reshape(-1)
                if bad_rows.numel():
                    from .model import TokenError

                    b = int(bad_rows[0])
                    t = int(x[b, 0])
                    labels = self.model.manifest.tokens
                    raise TokenError(
                        f"sequence {b} starts with token {t} ('{labels[t]}'), but this model has a start token: "
                        f"every sequence must begin with '{labels[self.bos]}' (id {self.bos})"
                    )
        return x.to(device=self.device, dtype=torch.int64), one

    def _scan_one_layer(self, x: torch.Tensor, keep: bool) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """rnn, pd-ssm, deltaproduct: ids [B, T] and (if kept) states [B, T, size]."""
        B, T = x.shape
        out = torch.empty((B, T), dtype=torch.int64, device=self.device)
        kept: List[torch.Tensor] = []
        if self.target == "rnn":
            H = self.rnn.hidden_size
            chunk = max(1, self.RNN_CHUNK // max(1, B * H))
            h = torch.zeros((1, B, H), dtype=self.dtype, device=self.device)
            for t0 in range(0, T, chunk):
                xs = torch.nn.functional.one_hot(x[:, t0 : t0 + chunk], self.num_tokens).to(self.dtype)
                o, h = self.rnn(xs, h)
                out[:, t0 : t0 + chunk] = torch.argmax(self.readout(o), dim=-1)
                if keep:
                    kept.append(o)
            return out, ([torch.cat(kept, 1)] if keep and kept else [])
        if self.target == "pd-ssm":
            layer, args = self.pd, (self.pd.effective_diag(),)
            state = self.pd.h0.expand(B, -1)
            points = lambda h: h  # noqa: E731
        else:
            layer, args = self.delta, self.delta.effective()
            state = self.delta.h0.expand(B, -1)
            points = self.delta.points
        for t in range(T):
            state = layer.step(state, x[:, t], *args)
            if keep:
                kept.append(state)
            with torch.no_grad():
                out[:, t] = self.decoder(points(state))
        return out, ([torch.stack(kept, 1)] if keep and kept else [])

    def _scan(self, tokens: torch.Tensor, keep: bool) -> Tuple[torch.Tensor, List[List[Tuple[torch.Tensor, torch.Tensor]]]]:
        x, one = self._check(tokens)
        B, T = x.shape
        if not self.model.is_diagonal:
            out, states = self._scan_one_layer(x, keep)
            return (out[0] if one else out), states  # type: ignore[return-value]
        out = torch.empty((B, T), dtype=torch.int64, device=self.device)
        kept: List[List[Tuple[torch.Tensor, torch.Tensor]]] = [[] for _ in self.layers]
        if len(self.layers) == 0:
            out.fill_(0 if self.readout is None else int(self.readout[0]))
            return (out[0] if one else out), kept
        params = [(l,) + l.transition() + (l.b_re, l.b_im) for l in self.layers]
        hs = [(l.h0_re.expand(B, -1), l.h0_im.expand(B, -1)) for l in self.layers]
        last = len(self.layers) - 1
        for t in range(T):
            v = x[:, t]
            joint = torch.zeros(B, dtype=torch.int64, device=self.device)
            stride = 1
            for i, (l, a_re, a_im, b_re, b_im) in enumerate(params):
                hr, hi = hs[i]
                ar, ai, br, bi = a_re[v], a_im[v], b_re[v], b_im[v]
                nr = ar * hr - ai * hi + br
                ni = ar * hi + ai * hr + bi
                hs[i] = (nr, ni)
                if keep:
                    kept[i].append((nr, ni))
                code = (l.digits(nr, ni) * l.radix).sum(dim=1)
                joint = joint + code * stride
                stride *= l.num_codes
                if i < last:
                    v = l.cocycle[code * l.num_tokens + v]
            out[:, t] = joint if self.readout is None else self.readout[joint]
        return (out[0] if one else out), kept

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Decoded output ids [B, T] for token ids [B, T]."""
        with torch.no_grad():
            out, _ = self._scan(tokens, keep=False)
        return out

    def trajectory(self, tokens: torch.Tensor) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """Output ids and each layer's states, differentiable in the
        parameters: complex [B, T, r_i] per diagonal layer (the
        layer-to-layer tokens are discrete); one real [B, T, size] for rnn,
        pd-ssm and deltaproduct."""
        out, kept = self._scan(tokens, keep=True)
        if not self.model.is_diagonal:
            return out, kept  # type: ignore[return-value]
        states = [torch.complex(torch.stack([p[0] for p in k], 1), torch.stack([p[1] for p in k], 1)) for k in kept]
        return out, states

    def export(self) -> Model:
        """The current parameters as a :class:`gssm.Model` (same tables and
        manifest), rounded to the file's dtype, e.g. to save a fine-tuned
        model with :func:`gssm.save`. A module that runs in the file's dtype
        and was not trained exports the file's values exactly."""
        import copy

        import numpy as np

        m = copy.deepcopy(self.model)
        npdt = np.float64 if m.manifest.dtype == "float64" else np.float32
        g = lambda t: t.detach().to("cpu", torch.float64).numpy().astype(npdt)  # noqa: E731
        if self.target == "rnn":
            r = m.rnn
            r.weight_ih, r.weight_hh = g(self.rnn.weight_ih_l0), g(self.rnn.weight_hh_l0)
            r.bias_ih, r.bias_hh = g(self.rnn.bias_ih_l0), g(self.rnn.bias_hh_l0)
            r.readout_weight, r.readout_bias = g(self.readout.weight), g(self.readout.bias)
        elif self.target == "pd-ssm":
            m.pd.diag, m.pd.input, m.pd.h0 = g(self.pd.effective_diag()), g(self.pd.input), g(self.pd.h0)
        elif self.target == "deltaproduct":
            k, beta = self.delta.effective()
            m.delta.k, m.delta.beta, m.delta.v, m.delta.h0 = g(k), g(beta), g(self.delta.v), g(self.delta.h0)
        for src, dst in zip(self.layers, m.layers):
            # The transition exactly as forward() computes it; a phase
            # outside [0, 2π) reduced into it, one inside left untouched.
            a_re, a_im = src.transition()
            if src.target == "aussm":
                th = src.theta.detach().to(torch.float64)
                th = torch.where((th >= 0) & (th < TAU), th, torch.remainder(th, TAU))
                if src.keep is not None:  # the start token's phase stays 0
                    th = torch.where(src.keep[:, None] > 0, th, torch.zeros_like(th))
                dst.phase = g(th)
            if src.keep is not None:  # +0, whatever the sign the mask left
                a_re = torch.where(src.keep[:, None] > 0, a_re, torch.zeros_like(a_re))
                a_im = torch.where(src.keep[:, None] > 0, a_im, torch.zeros_like(a_im))
            dst.a_re, dst.a_im = g(a_re), g(a_im)
            dst.b_re, dst.b_im = g(src.b_re), g(src.b_im)
            dst.h0_re, dst.h0_im = g(src.h0_re), g(src.h0_im)
        return m
