"""deltaproduct models as flash-linear-attention's GatedDeltaProduct layer
(gssm.export.fla_gated_deltaproduct).

fla's layer forward runs Triton kernels, which need a GPU, and fla is not a
dependency of this package. So the layer is checked in three ways:

* always: ``FlaLayerRef`` below, a line-by-line re-implementation of what
  ``GatedDeltaProduct.forward`` (fla 0.6.0, fla/layers/gated_deltaproduct.py)
  computes for the exported configuration (use_short_conv=False: SiLU on the
  q/k/v projections; β = 2·sigmoid(b_proj x); the kernels' L2 norm
  x / sqrt(Σx² + 1e-6) on q and k, fla/modules/l2norm.py; the recurrence of
  fla/ops/gated_delta_product/naive.py, copied statement by statement; the
  RMSNorm o_norm, fla's rms_norm_ref; o_proj), its parameters loaded with
  load_state_dict(strict=True) under fla's own names and shapes;
* when fla is importable (GSSM_REQUIRE_FLA=1 makes it required): fla's own
  GatedDeltaProduct built from the config takes the state dict with
  load_state_dict(strict=True), and its own projections, fla's own naive
  recurrence and fla's own rms_norm_ref run on CPU and agree with the
  re-implementation;
* with fla and a CUDA device: the layer's own forward (fused_recurrent
  kernels, float32) decodes the group product too.

The ground truth multiplies permutations (synth.truth)."""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest
import synth
from conftest import need_torch

from gssm import export

torch = need_torch()
F = torch.nn.functional


def need_fla():
    if os.environ.get("GSSM_REQUIRE_FLA", "") not in ("", "0"):
        import fla.layers  # noqa: F401

        return fla
    return pytest.importorskip("fla.layers")


# -- the re-implementation ---------------------------------------------------


def naive_recurrent_gated_delta_product(q, k, v, g, beta, scale, initial_state=None, num_householder=1):
    """fla/ops/gated_delta_product/naive.py (0.6.0), without cu_seqlens."""
    q_original_dtype = q.dtype
    B, T, H, K = q.shape
    V = v.shape[-1]
    assert k.shape == (B, T * num_householder, H, K)
    assert v.shape == (B, T * num_householder, H, V)
    assert beta.shape == (B, T * num_householder, H)
    if g is not None:
        assert g.shape == (B, T, H)
    q, k, v, beta = map(lambda x: x.float(), (q, k, v, beta))
    q = q * scale

    h = torch.zeros(B, H, K, V, dtype=torch.float32, device=q.device)
    if initial_state is not None:
        h = initial_state

    o = torch.zeros(B, T, H, V, dtype=torch.float32, device=q.device)

    for i in range(T):
        if g is not None:
            h = h * g[:, i, :].exp()[..., None, None]
        # multiple state transition
        for j in range(num_householder):
            k_ij = k[:, i * num_householder + j, :, :]
            v_ij = v[:, i * num_householder + j, :, :]
            beta_ij = beta[:, i * num_householder + j, :]
            h = h + (v_ij - (h * k_ij[..., None]).sum(-2)).unsqueeze(-2) * k_ij[..., None] * beta_ij[..., None, None]
        # memory readout
        q_i = q[:, i, :, :]
        o_i = (h * q_i[..., None]).sum(-2)
        o[:, i] = o_i
    return o.to(q_original_dtype), h


def l2norm(x, eps=1e-6):
    """fla/modules/l2norm.py: y = x / sqrt(Σx² + eps) over the last dim."""
    return x * (1 / torch.sqrt((x * x).sum(-1, keepdim=True) + eps))


def rms_norm_ref(x, weight, eps):
    """fla/modules/layernorm.py rms_norm_ref (no bias, no residual)."""
    rstd = 1 / torch.sqrt((x.square()).mean(dim=-1, keepdim=True) + eps)
    return x * rstd * weight


class FlaLayerRef(torch.nn.Module):
    """GatedDeltaProduct's parameters (same names and shapes) and its forward
    for use_short_conv=False, use_forget_gate=False, use_output_gate=False."""

    def __init__(self, hidden_size, head_dim, num_heads, expand_v, num_householder, norm_eps, allow_neg_eigval, **_):
        super().__init__()
        self.head_k_dim = head_dim
        self.head_v_dim = int(head_dim * expand_v)
        self.num_heads = num_heads
        self.num_householder = num_householder
        self.allow_neg_eigval = allow_neg_eigval
        key_dim, value_dim = num_heads * head_dim, num_heads * self.head_v_dim
        self.q_proj = torch.nn.Linear(hidden_size, key_dim, bias=False)
        self.k_proj = torch.nn.Linear(hidden_size, key_dim * num_householder, bias=False)
        self.v_proj = torch.nn.Linear(hidden_size, value_dim * num_householder, bias=False)
        self.b_proj = torch.nn.Linear(hidden_size, num_heads * num_householder, bias=False)
        self.o_norm = torch.nn.Module()
        self.o_norm.weight = torch.nn.Parameter(torch.ones(self.head_v_dim))
        self.norm_eps = norm_eps
        self.o_proj = torch.nn.Linear(value_dim, hidden_size, bias=False)

    def forward(self, hidden_states, initial_state=None):
        B, T, _ = hidden_states.shape
        n, K, Vd = self.num_householder, self.head_k_dim, self.head_v_dim
        q = F.silu(self.q_proj(hidden_states))
        k = F.silu(self.k_proj(hidden_states))
        v = F.silu(self.v_proj(hidden_states))
        q = q.reshape(B, T, -1, K)  # '... (h d) -> ... h d'
        k = k.reshape(B, T, n, -1, K).reshape(B, T * n, -1, K)  # '... t (n h d) -> ... (t n) h d'
        v = v.reshape(B, T, n, -1, Vd).reshape(B, T * n, -1, Vd)
        beta = self.b_proj(hidden_states).sigmoid()
        if self.allow_neg_eigval:
            beta = beta * 2.0
        beta = beta.reshape(B, T, n, -1).reshape(B, T * n, -1)  # '... t (n h) -> ... (t n) h'
        q, k = l2norm(q), l2norm(k)  # use_qk_l2norm_in_kernel=True
        o, _ = naive_recurrent_gated_delta_product(q, k, v, None, beta, K**-0.5, initial_state, n)
        o = rms_norm_ref(o, self.o_norm.weight, self.norm_eps)
        return self.o_proj(o.reshape(B, T, -1))


CASES = [(g, bos, basis) for g in ("S3", "A5") for bos in (False, True) for basis in ("identity", "orbits")]
IDS = [f"{g}{'-bos' if b else ''}-{basis}" for g, b, basis in CASES]


@pytest.mark.parametrize("group,bos,basis", CASES, ids=IDS)
def test_reimplemented_layer_decodes_the_group(group, bos, basis):
    m = synth.build_v3(group, "deltaproduct", bos=bos, basis=basis)
    config, sd = export.fla_gated_deltaproduct(m)
    layer = FlaLayerRef(**config)
    layer.load_state_dict(sd, strict=True)
    B = 200
    x = synth.sequences(m.num_tokens, m.bos, (B, 1000), seed=31)
    with torch.no_grad():
        out = layer(export.fla_one_hot(m, x), export.fla_initial_state(m, B))
    assert out.shape == (B, 1000, config["hidden_size"])
    y = export.fla_decode(m, out)
    truth = synth.truth(group, m.token_labels, m.output_labels, x)
    assert int((y != truth).sum()) == 0
    # Output j is the value of point j·g, to within the drift of ‖k‖ < 1.
    want = m.action.points[np.asarray(m.action.images)[truth]]
    assert np.abs(out[..., : m.action.degree].numpy() - want).max() < 0.1


def test_config_is_gated_deltaproducts():
    m = synth.build_v3("A5", "deltaproduct", bos=True)
    config, sd = export.fla_gated_deltaproduct(m)
    assert config == {
        "hidden_size": 5,
        "expand_v": 1.0,
        "head_dim": 5,
        "num_heads": 1,
        "mode": "fused_recurrent",
        "use_output_gate": False,
        "use_short_conv": False,
        "use_forget_gate": False,
        "allow_neg_eigval": True,
        "num_householder": 5,
        "norm_eps": 1e-5,
    }
    assert {k: tuple(v.shape) for k, v in sd.items()} == {
        "q_proj.weight": (5, 5),
        "k_proj.weight": (25, 5),
        "v_proj.weight": (25, 5),
        "b_proj.weight": (5, 5),
        "o_norm.weight": (5,),
        "o_proj.weight": (5, 5),
    }
    assert all(v.dtype == torch.float32 for v in sd.values())
    assert export.fla_initial_state(m) is None
    n = synth.build_v3("A5", "deltaproduct")
    assert torch.equal(export.fla_initial_state(n, 2), torch.eye(5).expand(2, 1, 5, 5))


def test_beta_saturates_exactly():
    """β = 2·sigmoid(L): 2 exactly at L = 40 in bfloat16, float32 and float64;
    0 exactly at L = −1000; 1 at L = 0."""
    for dt in (torch.bfloat16, torch.float32, torch.float64):
        t = lambda v: torch.tensor(v, dtype=dt)  # noqa: E731
        assert (2 * torch.sigmoid(t(export.FLA_REFLECT_LOGIT))).item() == 2.0
        assert torch.sigmoid(t(export.FLA_OFF_LOGIT)).item() == 0.0
        assert (2 * torch.sigmoid(t(0.0))).item() == 1.0
    # The smallest L with β = 2 exactly in float32 and float64.
    assert (2 * torch.sigmoid(torch.tensor(16.0))).item() < 2.0
    assert (2 * torch.sigmoid(torch.tensor(17.0))).item() == 2.0
    assert (2 * torch.sigmoid(torch.tensor(36.0, dtype=torch.float64))).item() < 2.0
    assert (2 * torch.sigmoid(torch.tensor(37.0, dtype=torch.float64))).item() == 2.0


def test_silu_inverse():
    y = np.array([-0.27, -0.25, -0.1, 0.0, 1e-3, 0.5, 1.0, 5.0, 30.0])
    z = export.silu_inverse(y)
    np.testing.assert_allclose(export.silu(z), y, rtol=1e-12, atol=1e-15)
    assert (z >= -1.2785).all()
    with pytest.raises(ValueError):
        export.silu_inverse(np.array([-0.3]))


def test_keys_are_unit_within_the_l2_eps():
    """The exported k are the file's reflections on the n point coordinates;
    fla's L2 norm leaves ‖k‖² = s²/(s² + 1e-6), the contraction the export
    documents (s² ≥ 0.125 with the −0.25 floor)."""
    m = synth.build_v3("A5", "deltaproduct", basis="orbits")
    config, sd = export.fla_gated_deltaproduct(m)
    n, M = 5, config["num_householder"]
    raw = F.silu(sd["k_proj.weight"].double().T[: m.num_tokens]).reshape(m.num_tokens, M, n)
    on = raw.norm(dim=-1) > 0
    s2 = raw.square().sum(-1)[on]
    assert (s2 >= 0.125 - 1e-6).all()
    k = l2norm(raw)[on]
    assert ((1 - k.norm(dim=-1) ** 2) <= 1e-6 / 0.125 + 1e-9).all()


def test_only_the_construction_exports():
    m = synth.build_v3("S3", "deltaproduct")
    m.delta.k = m.delta.k.copy()
    m.delta.k[0, 0] = m.delta.k[1, 0]
    with pytest.raises(ValueError, match="not its element's permutation"):
        export.fla_gated_deltaproduct(m)
    m = synth.build_v3("S3", "deltaproduct")
    m.delta.h0 = m.delta.h0[::-1].copy()
    with pytest.raises(ValueError, match="initial state"):
        export.fla_gated_deltaproduct(m)
    with pytest.raises(ValueError, match="deltaproduct model"):
        export.fla_gated_deltaproduct(synth.build_v3("S3", "pd-ssm"))


# -- fla's own code ----------------------------------------------------------


def fla_layer(config, sd):
    need_fla()
    import warnings

    from fla.layers.gated_deltaproduct import GatedDeltaProduct

    assert set(config) <= set(inspect.signature(GatedDeltaProduct.__init__).parameters)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fla warns that use_short_conv=False is unusual
        layer = GatedDeltaProduct(**config)
    layer.load_state_dict(sd, strict=True)
    return layer.eval()


@pytest.mark.parametrize("group,bos", [("S3", True), ("A5", False)])
def test_fla_layer_takes_the_state_dict_and_its_parts_agree(group, bos):
    m = synth.build_v3(group, "deltaproduct", bos=bos, basis="orbits")
    config, sd = export.fla_gated_deltaproduct(m)
    layer = fla_layer(config, sd)
    from fla.modules.layernorm import rms_norm_ref as fla_rms_norm_ref
    from fla.ops.gated_delta_product.naive import naive_recurrent_gated_delta_product as fla_naive

    ref = FlaLayerRef(**config)
    ref.load_state_dict(sd, strict=True)
    B, T = 64, 400
    x = synth.sequences(m.num_tokens, m.bos, (B, T), seed=41)
    h = export.fla_one_hot(m, x)
    init = export.fla_initial_state(m, B)
    n, M = config["head_dim"], config["num_householder"]
    with torch.no_grad():
        # GatedDeltaProduct.forward up to the kernel, with the layer's own modules.
        q = F.silu(layer.q_proj(h)).reshape(B, T, 1, n)
        k = F.silu(layer.k_proj(h)).reshape(B, T * M, 1, n)
        v = F.silu(layer.v_proj(h)).reshape(B, T * M, 1, n)
        beta = (layer.b_proj(h).sigmoid() * 2.0).reshape(B, T * M, 1)
        o, _ = fla_naive(l2norm(q), l2norm(k), v, None, beta, n**-0.5, initial_state=init, num_householder=M)
        o = fla_rms_norm_ref(o, layer.o_norm.weight, None, eps=layer.o_norm.eps)
        out = layer.o_proj(o.reshape(B, T, n))
        want = ref(h, init)
    torch.testing.assert_close(out, want, rtol=0, atol=1e-5)
    truth = synth.truth(group, m.token_labels, m.output_labels, x)
    assert int((export.fla_decode(m, out) != truth).sum()) == 0


def test_fla_layer_forward_on_cuda():
    m = synth.build_v3("A5", "deltaproduct", bos=True)
    config, sd = export.fla_gated_deltaproduct(m)
    layer = fla_layer(config, sd)
    if not torch.cuda.is_available():
        pytest.skip("fla's kernels need a CUDA device")
    layer = layer.cuda()
    x = synth.sequences(m.num_tokens, m.bos, (128, 1000), seed=43)
    with torch.no_grad():
        out, _, _ = layer(export.fla_one_hot(m, x).cuda())
    truth = synth.truth("A5", m.token_labels, m.output_labels, x)
    assert int((export.fla_decode(m, out) != truth).sum()) == 0
