"""Perturb the phases of a compiled AUSSM model with Gaussian noise of
increasing size and print the accuracy of the decoded outputs (running
products of a group, or an automaton's states).

    gssm compile stdlib/<file>.gssm -g S3 --target aussm -o S3.safetensors
    python examples/perturb.py S3.safetensors [--batch 200] [--length 200]

Uses PyTorch when it is installed (``--numpy`` forces NumPy).
"""

from __future__ import annotations

import argparse
import copy
from typing import List, Optional, Tuple

import numpy as np

import gssm

SIGMAS = [0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3]


def perturbed(model: gssm.Model, sigma: float, rng: np.random.Generator) -> gssm.Model:
    """A copy with θ + δ on every phase, δ ~ N(0, σ²), and the stored
    transition rotated by δ (as GssmModule does when θ is trained): a reset
    (a = 0) stays one and a register's a keeps its modulus."""
    m = copy.deepcopy(model)
    for l in m.layers:
        d = rng.normal(0.0, sigma, size=l.phase.shape)
        l.phase = np.mod(l.phase.astype(np.float64) + d, 2 * np.pi).astype(l.phase.dtype)
        a = (l.a_re.astype(np.float64) + 1j * l.a_im.astype(np.float64)) * np.exp(1j * d)
        l.a_re = a.real.astype(l.a_re.dtype)
        l.a_im = a.imag.astype(l.a_im.dtype)
    return m


def score(y: np.ndarray, truth: np.ndarray) -> Tuple[float, float]:
    """Accuracy, and the median step of a sequence's first wrong output."""
    wrong = y != truth
    first = np.where(wrong.any(axis=1), wrong.argmax(axis=1) + 1, np.inf)
    return float((~wrong).mean()), float(np.median(first))


def accuracy_numpy(model: gssm.Model, x: np.ndarray, truth: np.ndarray, sigma: float, seed: int) -> Tuple[float, float]:
    m = perturbed(model, sigma, np.random.default_rng(seed))
    return score(m.run(x), truth)


def accuracy_torch(model: gssm.Model, x: np.ndarray, truth: np.ndarray, sigma: float, seed: int) -> Tuple[float, float]:
    import torch

    mod = gssm.GssmModule(model)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in mod.layers:
            layer.theta.add_(sigma * torch.randn(layer.theta.shape, generator=g, dtype=layer.theta.dtype))
    return score(mod(torch.as_tensor(x)).numpy(), truth)


def main(argv: Optional[List[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", help="an AUSSM weight file (e.g. S3 compiled with --target aussm)")
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--length", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--numpy", action="store_true", help="use the NumPy executor even if torch is installed")
    a = ap.parse_args(argv)

    model = gssm.load(a.model)
    if model.target != "aussm":
        raise SystemExit(f"{a.model} targets {model.target}; this example perturbs AUSSM phases")
    use_torch = not a.numpy
    if use_torch:
        import importlib.util

        use_torch = importlib.util.find_spec("torch") is not None
    acc = accuracy_torch if use_torch else accuracy_numpy

    rng = np.random.default_rng(a.seed)
    x = rng.integers(0, model.num_tokens, size=(a.batch, a.length))
    truth = model.truth(x)
    print(f"{model.manifest.name}: {len(model.layers)} layers, moduli "
          f"{[l.moduli.tolist() for l in model.layers]}, {a.batch} sequences x {a.length} steps, "
          f"{'torch' if use_torch else 'numpy'} {model.manifest.dtype}")
    print(f"{'sigma':>8}  {'accuracy':>8}  {'median first error':>18}")
    for i, s in enumerate(SIGMAS):
        accuracy, first = acc(model, x, truth, s, a.seed + 1 + i)
        shown = "none" if first == np.inf else f"step {first:.0f}"
        print(f"{s:8.0e}  {accuracy:8.4f}  {shown:>18}")


if __name__ == "__main__":
    main()
