"""Compiled models as other frameworks' own layers (torch imported on use).

Both exports take group models: an automaton model (format version 4) is a
stack of diagonal layers, neither an ``rnn`` nor a ``deltaproduct`` cell,
and is refused with a message saying so.

``torch_rnn`` — an ``rnn`` model as PyTorch's own classes
================================================================

:func:`torch_rnn` returns ``torch.nn.RNN(input_size=V, hidden_size=H,
nonlinearity="relu")`` and ``torch.nn.Linear(H, N)`` holding the file's
weights: feed one-hot tokens [T, B, V] from the zero state (PyTorch's default
h_0), take ``argmax`` of the readout over the N outputs (the first maximum
on ties) and get element ids. :func:`write_torch_rnn` writes the same files
as ``gssm export MODEL --format torch-rnn -o DIR``:

* ``DIR/rnn.safetensors``: exactly the state dict of that ``nn.RNN``
  (``weight_ih_l0`` [H, V], ``weight_hh_l0`` [H, H], ``bias_ih_l0``,
  ``bias_hh_l0`` [H]);
* ``DIR/readout.safetensors``: ``weight`` [N, H] and ``bias`` [N] of the
  ``nn.Linear``;
* ``DIR/config.json``: ``{"rnn": {"input_size", "hidden_size",
  "nonlinearity", "num_layers": 1, "bias": true}, "readout": {"in_features",
  "out_features"}, "tokens": [labels], "outputs": [labels], "bos": null or
  the start token's id}``.

The weights are the compiled ones, in {-1, 0, 1} plus a readout bias of 1/2:
every dtype computes them exactly, so PyTorch's RNN kernel decodes the group
product without error.

``fla_gated_deltaproduct`` — a ``deltaproduct`` model as flash-linear-attention's layer
==========================================================================================

:func:`fla_gated_deltaproduct` returns ``(config, state_dict)`` for
``fla.layers.GatedDeltaProduct(**config)`` (flash-linear-attention 0.6.0,
``fla/layers/gated_deltaproduct.py``; recurrence
``fla/ops/gated_delta_product/naive.py``). What the layer computes, per token
with hidden input x_t (here the one-hot token, ``hidden_size`` = max(V, n),
the coordinates past V zero), with ``use_short_conv=False``,
``use_forget_gate=False``, ``use_output_gate=False``,
``allow_neg_eigval=True``, one head:

* q = SiLU(W_q x), k_r = SiLU(W_k x)_r, v_r = SiLU(W_v x)_r (r = 0..M-1,
  ``num_householder`` = M), β_r = 2·sigmoid(W_b x)_r;
* the kernel normalises q and k: y = x / sqrt(Σx² + 1e-6)
  (``fla/modules/l2norm.py``, ``use_qk_l2norm_in_kernel=True``);
* state S ∈ R^{K×V'} (0 at the start), for r in order
  S ← S + β_r·k_r·(v_rᵀ − k_rᵀS), i.e. (I − β_r k_r k_rᵀ)S + β_r k_r v_rᵀ:
  the first factor acts first, the order of the gssm spec;
* o = scale·Sᵀq (scale = K^-1/2), then ``o_norm`` (RMSNorm over the V'
  values of the head, eps ``norm_eps``) and ``o_proj`` (no bias).

Can it realise the construction? Yes, with one choice the layer forces:

* **The state is the permutation matrix, not the point vector.** o_norm
  divides each head's output by its RMS. Read out as the gssm state (one
  value per point) the point values would be normalised away (with one value
  per head only the sign survives). Instead K = V' = n and S_0 = I: every
  column of S is moved by the same reflections, so after the prefix g,
  S = P_g (column j is e_{j·g}), and q ∝ the points (the same q for every
  token) gives o_j ∝ points[j·g]. Those are the points in another order, so
  their RMS is the same for every g and o_norm scales them by a constant,
  which ``o_proj`` undoes: output j ≈ points[j·g], and the nearest point of
  output j is π[j] = j·g directly (:func:`fla_decode`). The reflections are
  the file's, taken to the n point coordinates: u = basis·k (a unit vector
  of the per-orbit sum-zero space, so the permutation's identity on the
  orbit constants is kept).
* **SiLU before the L2 norm.** SiLU(z) ≥ −0.2785 (its minimum, at
  z ≈ −1.2785) and is invertible above that point, so every direction is a
  SiLU output up to scale: the exported W_k column is SiLU⁻¹(s·u) with s
  such that the smallest entry is −0.25, and the L2 norm removes s. The
  same for q. v is not normalised: the start token's v = e_c is written as
  SiLU⁻¹(1) (exact to rounding), every other v is SiLU(0) = 0 exactly.
* **β = 2 needs saturation.** β = 2·sigmoid(L) = 2 − 2e^{−L}/(1 + e^{−L}):
  never 2 in exact arithmetic, but sigmoid(L) rounds to exactly 1 once
  e^{−L} is below half an ulp of 1 (L > 16.7 in float32, L > 36.8 in
  float64); the export uses L = 40, so β = 2 exactly in float32, float64
  and bfloat16, and the error e^{−40} ≈ 4e-18 is gone. β = 0 (padding) is
  L = −1000 (sigmoid = 0 exactly), β = 1 (the start token) is L = 0.
* **‖k‖ < 1: the reflections are contractions.** The kernel's L2 norm adds
  1e-6 under the root, so ‖k‖² = s²/(s² + 1e-6). SiLU bounds the negative
  entry of a transposition's k_raw ∝ (e_a − e_b) to 0.2785, so s² ≤ 0.155
  and the reflection's eigenvalue −1 + 2·1e-6/(s² + 1e-6) is ≥ −1 + 1.3e-5
  (−1 + 1.6e-5 with the −0.25 margin the export keeps): every reflection
  shrinks the difference of the two entries it swaps by that factor. The
  error accumulates linearly; the entries of S drift from 0/1 towards the
  orbit mean at about 1.6e-5 per reflection that touches them, and decoding
  tolerates half the spacing of the points. 1,000 tokens decode without
  error (``tests/test_fla_export.py``; the largest deviation of an output
  from its point is about 0.03 for A5); measured in float32 without start
  tokens, S3 ran 30,000 tokens without error and A5 made its first error
  after about 20,700. Exact β = 2 cannot compensate (β ≤ 2), and scaling k_raw up is
  impossible (the negative entry is bounded). The start token (with
  ``bos``) writes S = I back whatever the drift, so resets restore it.
* **No start token: the initial state.** From S = 0 the group tokens (v = 0)
  keep S = 0, so a model without ``bos`` needs the initial state S_0 = I
  (:func:`fla_initial_state`), which the kernels take as ``initial_state``
  and ``GatedDeltaProduct.forward`` only through a cache. With ``bos`` the
  start token's n factors (k = e_c, β = 1, v = e_c) write I from any state
  and the layer runs from its default zero state.
* **Not used:** the forget gate (``use_forget_gate=True`` would multiply S
  by exp(g) each token; g = 0 needs ``A_log`` → −∞ or a saturated softplus,
  possible but pointless), the short convolution (a causal conv before the
  SiLU: a kernel that passes x_t through would work too), and the output
  gate (a token-dependent SiLU gate after the norm). ``mode`` is
  ``fused_recurrent``: fla's chunk kernels refuse float32 inputs; in
  bfloat16 k itself is rounded to 8 bits and the drift above is far larger.

fla's kernels need a GPU (Triton); its naive recurrence runs anywhere. The
tests run the layer's own projections, fla's naive recurrence and fla's
``rms_norm_ref`` on CPU when fla is installed, and a line-by-line
re-implementation of them otherwise.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, Dict, Optional, Tuple

import numpy as np

from .format import UNDECODABLE, PathLike
from .model import Model, TokenInput
from .numpy_exec import action_keys, row_keys

# -- torch.nn.RNN -------------------------------------------------------------


def _need(model: Model, target: str) -> None:
    # Automata compile to diagonal stacks only; say so rather than name the
    # target alone.
    if model.automaton is not None:
        raise ValueError(
            f"this export is for group models ({target}), but the model tracks the automaton "
            f"{model.manifest.name} (a {model.target} stack of diagonal layers)"
        )
    if model.target != target:
        raise ValueError(f"this export needs a {target} model, but the model's target is {model.target}")


def torch_rnn_tensors(model: Model) -> Tuple[Dict[str, np.ndarray], Dict[str, np.ndarray], Dict[str, Any]]:
    """(the nn.RNN state dict, the nn.Linear state dict, config.json) of an
    rnn model, arrays in the file's dtype."""
    _need(model, "rnn")
    r = model.rnn
    assert r is not None
    c = np.ascontiguousarray
    rnn = {
        "weight_ih_l0": c(r.weight_ih),
        "weight_hh_l0": c(r.weight_hh),
        "bias_ih_l0": c(r.bias_ih),
        "bias_hh_l0": c(r.bias_hh),
    }
    readout = {"weight": c(r.readout_weight), "bias": c(r.readout_bias)}
    config = {
        "rnn": {
            "input_size": model.num_tokens,
            "hidden_size": r.hidden_size,
            "nonlinearity": "relu",
            "num_layers": 1,
            "bias": True,
        },
        "readout": {"in_features": r.hidden_size, "out_features": model.order},
        "tokens": list(model.manifest.tokens),
        "outputs": list(model.manifest.outputs),
        "bos": model.bos,
    }
    return rnn, readout, config


def write_torch_rnn(model: Model, directory: PathLike) -> None:
    """Write ``rnn.safetensors``, ``readout.safetensors`` and ``config.json``
    (what ``gssm export MODEL --format torch-rnn -o DIR`` writes)."""
    from safetensors.numpy import save_file

    rnn, readout, config = torch_rnn_tensors(model)
    os.makedirs(directory, exist_ok=True)
    save_file(rnn, os.path.join(directory, "rnn.safetensors"))
    save_file(readout, os.path.join(directory, "readout.safetensors"))
    with open(os.path.join(directory, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")


def torch_rnn(model: Model, dtype: Any = None) -> Tuple[Any, Any]:
    """``(torch.nn.RNN(input_size=V, hidden_size=H, nonlinearity="relu"),
    torch.nn.Linear(H, N))`` with an rnn model's weights (the file's dtype,
    or ``dtype``). The RNN is PyTorch's default layout (``batch_first=False``)."""
    import torch

    rnn_sd, ro_sd, cfg = torch_rnn_tensors(model)
    if dtype is None:
        dtype = torch.float64 if model.manifest.dtype == "float64" else torch.float32
    rnn = torch.nn.RNN(
        input_size=cfg["rnn"]["input_size"], hidden_size=cfg["rnn"]["hidden_size"], nonlinearity="relu", dtype=dtype
    )
    readout = torch.nn.Linear(cfg["readout"]["in_features"], cfg["readout"]["out_features"], dtype=dtype)
    t = lambda a: torch.as_tensor(a.astype("float64")).to(dtype)  # noqa: E731
    rnn.load_state_dict({k: t(v) for k, v in rnn_sd.items()}, strict=True)
    readout.load_state_dict({k: t(v) for k, v in ro_sd.items()}, strict=True)
    return rnn, readout


# -- fla GatedDeltaProduct ----------------------------------------------------

#: sigmoid(40) is exactly 1 in bfloat16, float32 and float64: β = 2.
FLA_REFLECT_LOGIT = 40.0
#: sigmoid(−1000) is exactly 0: β = 0 (padding factors).
FLA_OFF_LOGIT = -1000.0
#: The smallest value SiLU takes, at z = _SILU_ARGMIN.
SILU_MIN = -0.2784645427610738
_SILU_ARGMIN = -1.2784645427610738
#: The most negative entry a SiLU target gets (a margin from SILU_MIN,
#: where SiLU⁻¹ is ill-conditioned).
_SILU_FLOOR = -0.25
#: fla's L2 norm: x / sqrt(Σx² + eps) (``fla/modules/l2norm.py``).
FLA_L2_EPS = 1e-6
FLA_NORM_EPS = 1e-5


def silu(z: np.ndarray) -> np.ndarray:
    return z / (1.0 + np.exp(-z))


def silu_inverse(y: np.ndarray) -> np.ndarray:
    """z ≥ −1.2785 with SiLU(z) = y (float64 bisection), for y > SILU_MIN."""
    y = np.asarray(y, np.float64)
    if np.any(y <= SILU_MIN):
        raise ValueError(f"SiLU takes no value at or below {SILU_MIN}")
    lo = np.full(y.shape, _SILU_ARGMIN)
    hi = np.maximum(y, 0.0) + 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        below = silu(mid) < y
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return np.where(y == 0, 0.0, 0.5 * (lo + hi))


def _silu_direction(u: np.ndarray) -> np.ndarray:
    """Pre-activations whose SiLU is s·u (s > 0), the smallest entry at
    least _SILU_FLOOR; 0 stays 0."""
    neg = -float(np.min(u, initial=0.0))
    big = float(np.max(np.abs(u), initial=0.0))
    if big == 0:
        return np.zeros_like(u)
    s = 1.0 / big if neg == 0 else min(1.0 / big, -_SILU_FLOOR / neg)
    return silu_inverse(s * u)


def _logit_half(beta: float) -> float:
    """L with 2·sigmoid(L) = β."""
    if beta >= 2:
        return FLA_REFLECT_LOGIT
    if beta <= 0:
        return FLA_OFF_LOGIT
    p = beta / 2.0
    return math.log(p / (1.0 - p))


def _full_space_factors(model: Model) -> Tuple[np.ndarray, np.ndarray]:
    """The file's factors on the n point coordinates: u = basis·k [V, m, n]
    and β [V, m], float64, after checking that every group token's product
    is its element's permutation matrix and that the initial state marks
    the points in order (what the fla state relies on)."""
    dl, act = model.delta, model.action
    assert dl is not None and act is not None
    basis = dl.basis.astype(np.float64)
    u = np.einsum("nd,vmd->vmn", basis, dl.k.astype(np.float64))
    beta = dl.beta.astype(np.float64)
    n = act.degree
    for x in range(model.num_tokens):
        if x == model.bos:
            continue
        prod = np.eye(n)
        for r in range(dl.num_reflections):
            prod = (np.eye(n) - beta[x, r] * np.outer(u[x, r], u[x, r])) @ prod
        want = np.zeros((n, n))
        want[act.images[model.token_elements[x]], np.arange(n)] = 1.0  # column j is e_{j·g}
        err = float(np.abs(prod - want).max(initial=0.0))
        if err > 1e-3:
            raise ValueError(
                f"token {x} ('{model.manifest.tokens[x]}'): its factors, taken to the {n} point coordinates, are "
                f"not its element's permutation (off by {err:.3g}); only the construction's reflections export"
            )
    # The initial points: from h0, or written by the start token.
    h = dl.h0.astype(np.float64)
    if model.bos is not None:
        from .numpy_exec import _DeltaStepper

        st = _DeltaStepper(model, np.dtype(np.float64))
        h = st.step(np.zeros((1, dl.dim)), np.array([model.bos]))[0]
    x0 = basis @ h + dl.offset.astype(np.float64)
    near = np.argmin(np.abs(x0[:, None] - act.points.astype(np.float64)[None, :]), axis=1)
    if not np.array_equal(near, np.arange(n)):
        raise ValueError("the initial state does not mark point j at coordinate j; only the construction's state exports")
    return u, beta


def fla_gated_deltaproduct(model: Model) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """``(config, state_dict)`` for ``fla.layers.GatedDeltaProduct(**config)``
    realising a deltaproduct model (see the module docstring). Feed it the
    one-hot tokens (:func:`fla_one_hot`), in float32 with ``torch.no_grad()``
    (fla's chunk kernels refuse float32), from :func:`fla_initial_state`
    (None with a start token), and decode the output with
    :func:`fla_decode`. The state dict's tensors are float32."""
    import torch

    _need(model, "deltaproduct")
    act = model.action
    assert act is not None
    u, beta = _full_space_factors(model)
    n, V = act.degree, model.num_tokens
    m = u.shape[1]
    bos = model.bos
    M = max(m, n if bos is not None else 0, 1)
    hidden = max(V, n)
    points = act.points.astype(np.float64)

    q_w = np.zeros((n, hidden))
    k_w = np.zeros((M * n, hidden))
    v_w = np.zeros((M * n, hidden))
    b_w = np.full((M, hidden), 0.0)
    q_col = _silu_direction(points)
    for x in range(V):
        q_w[:, x] = q_col
        b_w[:, x] = FLA_OFF_LOGIT
        if x == bos:
            # S ← S with row c replaced by e_cᵀ, for c = 0..n-1: S = I.
            one = float(silu_inverse(np.array(1.0)))
            for c in range(n):
                k_w[c * n + c, x] = one
                v_w[c * n + c, x] = one
                b_w[c, x] = 0.0  # β = 1
            continue
        for r in range(m):
            if beta[x, r] == 0:
                continue
            k_w[r * n : (r + 1) * n, x] = _silu_direction(u[x, r])
            b_w[r, x] = _logit_half(float(beta[x, r]))
    scale = n**-0.5  # the kernels' default, K^-1/2
    # o_j = scale·points[j·g]/‖points‖ (up to the L2 eps); its RMS over j is
    # scale/√n for every g, so the norm divides by sqrt(scale²/n + eps).
    c = float(np.linalg.norm(points)) * math.sqrt(scale**2 / n + FLA_NORM_EPS) / scale
    o_w = np.zeros((hidden, n))
    o_w[:n, :n] = c * np.eye(n)
    f = lambda a: torch.as_tensor(np.asarray(a, np.float64)).to(torch.float32)  # noqa: E731
    state_dict = {
        "q_proj.weight": f(q_w),
        "k_proj.weight": f(k_w),
        "v_proj.weight": f(v_w),
        "b_proj.weight": f(b_w),
        "o_norm.weight": f(np.ones(n)),
        "o_proj.weight": f(o_w),
    }
    config = {
        "hidden_size": hidden,
        "expand_v": 1.0,
        "head_dim": n,
        "num_heads": 1,
        "mode": "fused_recurrent",
        "use_output_gate": False,
        "use_short_conv": False,
        "use_forget_gate": False,
        "allow_neg_eigval": True,
        "num_householder": M,
        "norm_eps": FLA_NORM_EPS,
    }
    return config, state_dict


def fla_initial_state(model: Model, batch: int = 1) -> Optional[Any]:
    """The fla state [B, 1, n, n] = I the layer must start from, or None for a
    model with a start token (which writes I itself from the zero state)."""
    import torch

    _need(model, "deltaproduct")
    if model.bos is not None:
        return None
    n = model.action.degree  # type: ignore[union-attr]
    return torch.eye(n, dtype=torch.float32).expand(batch, 1, n, n).contiguous()


def fla_one_hot(model: Model, tokens: TokenInput, dtype: Any = None) -> Any:
    """The layer's input: one-hot tokens [B, T, hidden_size] (float32)."""
    import torch

    x = model.check_sequences(tokens)
    n = model.action.degree if model.action is not None else 0
    hidden = max(model.num_tokens, n)
    return torch.nn.functional.one_hot(torch.as_tensor(x), hidden).to(dtype or torch.float32)


def fla_decode(model: Model, out: Any) -> np.ndarray:
    """Element ids (or UNDECODABLE) from the layer's output [B, T, hidden]:
    output j ≈ points[j·g], so π[j] = the nearest point of output j, and the
    element is the row of ``action.images`` equal to π."""
    act = model.action
    assert act is not None
    y = out.detach().to("cpu").double().numpy() if hasattr(out, "detach") else np.asarray(out, np.float64)
    n = act.degree
    B, T = y.shape[:2]
    y = y[..., :n].reshape(B * T, n)
    pts = act.points.astype(np.float64)
    p = np.argmin(np.abs(y[:, :, None] - pts[None, None, :]), axis=2)
    images = np.asarray(act.images, np.int64)
    w1, w2, keys = action_keys(images)
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    key = row_keys(p, w1, w2)
    pos = np.minimum(np.searchsorted(sk, key), sk.size - 1)
    cand = order[pos]
    ok = (np.sort(p, axis=1) == np.arange(n)).all(axis=1) & (sk[pos] == key) & (images[cand] == p).all(axis=1)
    return np.where(ok, cand, np.int64(UNDECODABLE)).reshape(B, T)


__all__ = [
    "FLA_OFF_LOGIT",
    "FLA_REFLECT_LOGIT",
    "fla_decode",
    "fla_gated_deltaproduct",
    "fla_initial_state",
    "fla_one_hot",
    "silu_inverse",
    "torch_rnn",
    "torch_rnn_tensors",
    "write_torch_rnn",
]
