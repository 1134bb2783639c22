"""A PyTorch ``nn.Module`` running a gssm model (import torch only when used).

The layer parameters are ``nn.Parameter`` s in the target architecture's own
parameterisation, so training can start from compiled weights:

* AUSSM: ``theta`` [V, r] (from ``layer.i.transition.phase``), a = exp(iθ);
* neg-mamba: ``a_re`` [V, r], the real transition (``a_im`` is a zero buffer);

plus ``b_re``, ``b_im`` [V, r] (input term) and ``h0_re``, ``h0_im`` [r].

The recurrence runs on real/imaginary pairs with the same operation order as
the reference executor, ``re = (ar·hr − ai·hi) + br``,
``im = (ar·hi + ai·hr) + bi``, in float32 or float64, on any device. Decoding
(atan2, digits, cocycle and readout lookups) is discrete: :meth:`forward`
returns output ids, :meth:`trajectory` also returns the differentiable states.

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

from .format import PathLike
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
    """One diagonal layer's parameters and decoder tables."""

    def __init__(self, layer: Any, target: str, dtype: torch.dtype):
        super().__init__()
        f = lambda a: torch.as_tensor(a.astype("float64")).to(dtype)  # noqa: E731
        self.target = target
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
        self.h0_re = nn.Parameter(f(layer.h0_re))
        self.h0_im = nn.Parameter(f(layer.h0_im))
        r = layer.width
        radix = [1] * r
        for j in range(1, r):
            radix[j] = radix[j - 1] * int(layer.moduli[j - 1])
        self.register_buffer("moduli", torch.as_tensor(layer.moduli, dtype=torch.int64))
        self.register_buffer("moduli_f", torch.as_tensor(layer.moduli, dtype=torch.float64))
        self.register_buffer("radix", torch.as_tensor(radix, dtype=torch.int64))
        coc = layer.cocycle.reshape(-1) if layer.cocycle is not None else []
        self.register_buffer("cocycle", torch.as_tensor(coc, dtype=torch.int64))
        self.num_tokens = layer.num_tokens
        self.num_codes = layer.num_codes
        self.width = r

    def transition(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """(re, im) of a [V, r] from the parameters."""
        if self.target == "aussm":
            d = self.theta.to(torch.float64) - self.theta0.to(torch.float64)
            c, s = torch.cos(d), torch.sin(d)
            re = self.a0_re * c - self.a0_im * s
            im = self.a0_re * s + self.a0_im * c
            return re.to(self.theta.dtype), im.to(self.theta.dtype)
        return self.a_re, self.a_im

    def digits(self, re: torch.Tensor, im: torch.Tensor) -> torch.Tensor:
        """q = round(atan2(im, re)·n/2π) mod n, digit arithmetic in float64."""
        angle = torch.atan2(im, re).to(torch.float64)
        x = angle * self.moduli_f
        # A full tensor divisor: some backends turn division by a scalar
        # into multiplication by its reciprocal, which rounds differently.
        x = torch.div(x, torch.full_like(x, TAU))
        k = round_half_away(x).clamp(-(2.0**62), 2.0**62).to(torch.int64)
        return torch.remainder(k, self.moduli)


class GssmModule(nn.Module):
    """A gssm model as a PyTorch module.

    ``forward(tokens)`` takes a LongTensor [B, T] (or [T]) of token ids and
    returns the decoded output ids (element ids), same shape, int64.
    """

    def __init__(self, model: Model, dtype: Any = None, device: Optional[Union[str, torch.device]] = None):
        super().__init__()
        self.model = model
        self.target = model.manifest.target
        self.dtype = _torch_dtype(model, dtype)
        self.layers = nn.ModuleList(GssmLayer(l, self.target, self.dtype) for l in model.layers)
        self.register_buffer("readout", torch.as_tensor(model.readout, dtype=torch.int64))
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
        return self.readout.device

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
        return x.to(device=self.device, dtype=torch.int64), one

    def _scan(self, tokens: torch.Tensor, keep: bool) -> Tuple[torch.Tensor, List[List[Tuple[torch.Tensor, torch.Tensor]]]]:
        x, one = self._check(tokens)
        B, T = x.shape
        out = torch.empty((B, T), dtype=torch.int64, device=self.device)
        kept: List[List[Tuple[torch.Tensor, torch.Tensor]]] = [[] for _ in self.layers]
        if len(self.layers) == 0:
            out.fill_(int(self.readout[0]))
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
            out[:, t] = self.readout[joint]
        return (out[0] if one else out), kept

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Decoded output ids [B, T] for token ids [B, T]."""
        with torch.no_grad():
            out, _ = self._scan(tokens, keep=False)
        return out

    def trajectory(self, tokens: torch.Tensor) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """Output ids and each layer's complex states [B, T, r_i], differentiable
        in the parameters (the layer-to-layer tokens are discrete)."""
        out, kept = self._scan(tokens, keep=True)
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
        for src, dst in zip(self.layers, m.layers):
            # The transition exactly as forward() computes it; a phase
            # outside [0, 2π) reduced into it, one inside left untouched.
            a_re, a_im = src.transition()
            if src.target == "aussm":
                th = src.theta.detach().to(torch.float64)
                th = torch.where((th >= 0) & (th < TAU), th, torch.remainder(th, TAU))
                dst.phase = g(th)
            dst.a_re, dst.a_im = g(a_re), g(a_im)
            dst.b_re, dst.b_im = g(src.b_re), g(src.b_im)
            dst.h0_re, dst.h0_im = g(src.h0_re), g(src.h0_im)
        return m
