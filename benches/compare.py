#!/usr/bin/env python3
"""Executor throughput on one weight file: the JIT and the reference executor
(through `gssm bench`) against NumPy loops over time vectorised over the
batch, in tokens (sequence steps) per second.

    cargo build --release
    target/release/gssm compile stdlib/seed.gssm -g S3 -o S3.safetensors
    python3 benches/compare.py S3.safetensors            # batch 1024 x 4096

NumPy runs two ways: the interop package's executor (`gssm.numpy_exec`, the
reference semantics operation by operation) when it can be imported, and a
lean loop written here (float32 arithmetic, one gather per table, arctan2,
rint). The ratios use the faster NumPy time. Every executor's outputs are
checked against the group's running products.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BAR_NUMPY = 20.0
BAR_REFERENCE = 10.0


def read_safetensors(path: Path):
    """Tensors (name -> array) and the gssm manifest of a weight file."""
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    kinds = {"I32": np.int32, "F32": np.float32, "F64": np.float64}
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        lo, hi = info["data_offsets"]
        arr = np.frombuffer(data[base + lo : base + hi], dtype=kinds[info["dtype"]])
        tensors[name] = arr.reshape(info["shape"])
    return tensors, json.loads(meta["gssm"])


class Lean:
    """The model's tables for the lean NumPy loop."""

    def __init__(self, path: Path, dt):
        t, manifest = read_safetensors(path)
        self.dt = dt
        self.layers = []
        for i, info in enumerate(manifest["layers"]):
            p = f"layer.{i}."
            moduli = t[p + "moduli"].astype(np.int64)
            radix = np.concatenate([[1], np.cumprod(moduli[:-1])]).astype(np.int64)
            coc = t.get(p + "cocycle")
            self.layers.append(
                dict(
                    a_re=t[p + "transition.re"].astype(dt),
                    a_im=t[p + "transition.im"].astype(dt),
                    b_re=t[p + "input.re"].astype(dt),
                    b_im=t[p + "input.im"].astype(dt),
                    h0_re=t[p + "h0.re"].astype(dt),
                    h0_im=t[p + "h0.im"].astype(dt),
                    scale=(moduli / (2 * math.pi)).astype(dt),
                    moduli=moduli,
                    radix=radix,
                    codes=int(np.prod(moduli)),
                    ntok=int(info["num_tokens"]),
                    cocycle=None if coc is None else coc.astype(np.int64),
                )
            )
        self.readout = t["readout"].astype(np.int64)
        self.table = t["group.table"].astype(np.int64)
        self.elements = t["tokens.element"].astype(np.int64)

    def run(self, tokens: np.ndarray) -> np.ndarray:
        """Outputs [B, T] for tokens [B, T]: one vectorised step per time step."""
        B, T = tokens.shape
        xs = np.ascontiguousarray(tokens.T)  # time-major: one contiguous row per step
        out = np.empty((T, B), dtype=np.int64)
        if not self.layers:
            out[:] = self.readout[0]
            return out.T
        hs = [(np.tile(L["h0_re"], (B, 1)), np.tile(L["h0_im"], (B, 1))) for L in self.layers]
        last = len(self.layers) - 1
        with np.errstate(all="ignore"):
            for t in range(T):
                v = xs[t]
                joint = 0
                stride = 1
                for i, L in enumerate(self.layers):
                    hr, hi = hs[i]
                    ar, ai = L["a_re"][v], L["a_im"][v]
                    nr = ar * hr - ai * hi + L["b_re"][v]
                    ni = ar * hi + ai * hr + L["b_im"][v]
                    hs[i] = (nr, ni)
                    q = np.rint(np.arctan2(ni, nr) * L["scale"]).astype(np.int64) % L["moduli"]
                    code = q[:, 0] if q.shape[1] == 1 else q @ L["radix"]
                    joint = joint + code * stride
                    stride *= L["codes"]
                    if i < last:
                        v = L["cocycle"][code, v]
                out[t] = self.readout[joint]
        return out.T

    def truth(self, tokens: np.ndarray) -> np.ndarray:
        B, T = tokens.shape
        g = np.zeros(B, dtype=np.int64)
        out = np.empty((B, T), dtype=np.int64)
        el = self.elements[tokens]
        for t in range(T):
            g = self.table[g, el[:, t]]
            out[:, t] = g
        return out


def best_time(f, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path, help="weight file written by gssm compile")
    ap.add_argument("--gssm", type=Path, default=ROOT / "target" / "release" / "gssm", help="gssm binary (cargo build --release)")
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--len", type=int, default=4096)
    ap.add_argument("--dtype", choices=["f32", "f64"], default="f32")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per executor; the best counts")
    ap.add_argument("--no-package", action="store_true", help="skip the interop package's NumPy executor")
    args = ap.parse_args()

    if not args.gssm.exists():
        print(f"error: {args.gssm} not found; run `cargo build --release` first", file=sys.stderr)
        return 2
    cmd = [str(args.gssm.resolve()), "bench", str(args.model), "--batch", str(args.batch), "--len", str(args.len),
           "--dtypes", args.dtype, "--repeat", str(args.repeat), "--json"]
    bench = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    rate = {r["backend"]: r for r in bench["results"]}
    steps = args.batch * args.len

    dt = np.float32 if args.dtype == "f32" else np.float64
    lean = Lean(args.model, dt)
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, len(lean.elements), size=(args.batch, args.len), dtype=np.int64)
    truth = lean.truth(tokens)
    numpy_rates = {}
    secs, out = best_time(lambda: lean.run(tokens), args.repeat)
    numpy_rates["numpy (lean loop)"] = (steps / secs, bool((out == truth).all()))
    if not args.no_package:
        sys.path.insert(0, str(ROOT / "interop" / "python" / "src"))
        try:
            import gssm  # noqa: E402

            model = gssm.load(str(args.model))
            secs, out = best_time(lambda: model.run(tokens, dtype=args.dtype), 1)
            numpy_rates["numpy (gssm package)"] = (steps / secs, bool((out == truth).all()))
        except ImportError as e:
            print(f"(interop package not importable: {e})", file=sys.stderr)

    print(f"{bench['group']} (order {bench['order']}, {bench['layers']} layer(s)), batch {args.batch} x length {args.len}, "
          f"{args.dtype}, {bench['threads']} thread(s) for the Rust executors")
    rows = [(f"jit {args.dtype}", rate["jit"]["tokens_per_s"], rate["jit"]["correct"]),
            (f"reference {args.dtype}", rate["reference"]["tokens_per_s"], rate["reference"]["correct"])]
    rows += [(k, v[0], v[1]) for k, v in numpy_rates.items()]
    for name, r, ok in rows:
        print(f"  {name:<22} {r / 1e6:10.2f} M tokens/s{'' if ok else '   WRONG OUTPUTS'}")
    jit = rate["jit"]["tokens_per_s"]
    best_numpy = max(v[0] for v in numpy_rates.values())
    r_np, r_ref = jit / best_numpy, jit / rate["reference"]["tokens_per_s"]
    print(f"  jit / numpy     = {r_np:7.1f}x  (bar {BAR_NUMPY:.0f}x: {'pass' if r_np >= BAR_NUMPY else 'FAIL'})")
    print(f"  jit / reference = {r_ref:7.1f}x  (bar {BAR_REFERENCE:.0f}x: {'pass' if r_ref >= BAR_REFERENCE else 'FAIL'})")
    ok = all(r[2] for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
