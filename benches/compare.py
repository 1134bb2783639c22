#!/usr/bin/env python3
"""Executor throughput side by side, per CPU-second on one core: the JIT and
the reference executor (through `gssm bench`), a NumPy loop, a JAX
`lax.scan` (when JAX is installed) and the hand-written AVX2 limit kernel
(`benches/limit.rs`), on the same weight files, in tokens (sequence steps)
per second.

    cargo build --release --bin gssm --example limit
    target/release/gssm compile stdlib/seed.gssm -g S3 --target aussm -o S3.safetensors
    target/release/gssm compile stdlib/seed.gssm -g C60 --target aussm -o C60.safetensors
    python3 benches/compare.py S3.safetensors C60.safetensors      # batch 1024 x 4096

Everything runs pinned to one core (`taskset -c 0` for the Rust programs,
this process's own affinity for NumPy and JAX) with one thread
(RAYON_NUM_THREADS=1 and the BLAS thread variables), so tokens/s is tokens
per CPU-second. Each round runs every executor once, one after the other;
the table shows the median of `--rounds` rounds. Outputs are checked: the
Rust executors and the limit kernel against the group's running products
(the limit kernel also against the JIT's outputs), NumPy and JAX against the
running products computed here from the Cayley table, so every column
decodes the same outputs. The table is Markdown, for the README.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

ONE_THREAD = {
    "RAYON_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
}
os.environ.update(ONE_THREAD)

import numpy as np  # noqa: E402  (after the thread variables)

ROOT = Path(__file__).resolve().parent.parent
CORE = 0


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


class Model:
    """A group model's tables: layers are the consecutive layer.i.moduli
    tensors (the manifest holds no sizes)."""

    def __init__(self, path: Path):
        t, self.manifest = read_safetensors(path)
        if "group.table" not in t:
            raise SystemExit(f"{path}: the comparison runs group models (group.table)")
        self.layers = []
        i = 0
        while f"layer.{i}.moduli" in t:
            p = f"layer.{i}."
            moduli = t[p + "moduli"].astype(np.int64)
            coords = t.get(p + "coords")
            if coords is not None and (coords != 0).any():
                raise SystemExit(f"{path}: the comparison runs phase components only")
            radix = np.concatenate([[1], np.cumprod(moduli[:-1])]).astype(np.int64)
            coc = t.get(p + "cocycle")
            self.layers.append(
                dict(
                    a_re=t[p + "transition.re"].astype(np.float32),
                    a_im=t[p + "transition.im"].astype(np.float32),
                    b_re=t[p + "input.re"].astype(np.float32),
                    b_im=t[p + "input.im"].astype(np.float32),
                    h0_re=t[p + "h0.re"].astype(np.float32),
                    h0_im=t[p + "h0.im"].astype(np.float32),
                    scale=(moduli / (2 * math.pi)),
                    moduli=moduli,
                    radix=radix,
                    codes=int(np.prod(moduli)),
                    cocycle=None if coc is None else coc.astype(np.int64),
                )
            )
            i += 1
        self.readout = t["readout"].astype(np.int64)
        self.table = t["group.table"].astype(np.int64)
        self.elements = t["tokens.element"].astype(np.int64)
        self.num_tokens = len(self.elements)

    def truth(self, tokens: np.ndarray) -> np.ndarray:
        """Running products from the Cayley table (identity = element 0)."""
        B, T = tokens.shape
        g = np.zeros(B, dtype=np.int64)
        out = np.empty((B, T), dtype=np.int64)
        el = self.elements[tokens]
        for s in range(T):
            g = self.table[g, el[:, s]]
            out[:, s] = g
        return out

    def run_numpy(self, tokens: np.ndarray) -> np.ndarray:
        """The model in float32, one vectorised step per time step."""
        B, T = tokens.shape
        xs = np.ascontiguousarray(tokens.T)
        out = np.empty((T, B), dtype=np.int64)
        hs = [(np.tile(L["h0_re"], (B, 1)), np.tile(L["h0_im"], (B, 1))) for L in self.layers]
        last = len(self.layers) - 1
        with np.errstate(all="ignore"):
            for s in range(T):
                v = xs[s]
                joint = 0
                stride = 1
                for i, L in enumerate(self.layers):
                    hr, hi = hs[i]
                    ar, ai = L["a_re"][v], L["a_im"][v]
                    nr = (ar * hr - ai * hi) + L["b_re"][v]
                    ni = (ar * hi + ai * hr) + L["b_im"][v]
                    hs[i] = (nr, ni)
                    q = np.rint(np.arctan2(ni, nr) * L["scale"]).astype(np.int64) % L["moduli"]
                    code = q[:, 0] if q.shape[1] == 1 else q @ L["radix"]
                    joint = joint + code * stride
                    stride *= L["codes"]
                    if i < last:
                        v = L["cocycle"][code, v]
                out[s] = self.readout[joint]
        return out.T

    def jax_runner(self):
        """A jitted `lax.scan` of the same semantics, or None without JAX."""
        try:
            import jax
            import jax.numpy as jnp
        except ImportError:
            return None
        jax.config.update("jax_platforms", "cpu")
        Ls = [{k: (jnp.asarray(v) if isinstance(v, np.ndarray) else v) for k, v in L.items()} for L in self.layers]
        readout = jnp.asarray(self.readout.astype(np.int32))
        last = len(Ls) - 1

        def step(hs, v):
            joint = jnp.zeros_like(v)
            stride = 1
            new = []
            for i, L in enumerate(Ls):
                hr, hi = hs[i]
                ar, ai = L["a_re"][v], L["a_im"][v]
                nr = (ar * hr - ai * hi) + L["b_re"][v]
                ni = (ar * hi + ai * hr) + L["b_im"][v]
                new.append((nr, ni))
                scale = jnp.asarray(L["scale"], dtype=jnp.float32)
                q = jnp.mod(jnp.rint(jnp.arctan2(ni, nr) * scale).astype(jnp.int32), jnp.asarray(L["moduli"], dtype=jnp.int32))
                code = q @ jnp.asarray(L["radix"], dtype=jnp.int32)
                joint = joint + code * stride
                stride *= L["codes"]
                if i < last:
                    v = L["cocycle"].astype(jnp.int32)[code, v]
            return tuple(new), readout[joint]

        @jax.jit
        def run(xs):
            B = xs.shape[1]
            h = tuple((jnp.tile(L["h0_re"], (B, 1)), jnp.tile(L["h0_im"], (B, 1))) for L in Ls)
            _, ys = jax.lax.scan(step, h, xs)
            return ys.T

        def call(tokens):
            return np.asarray(run(jnp.asarray(np.ascontiguousarray(tokens.T).astype(np.int32)))).astype(np.int64)

        return call


def bench_tokens(num_tokens: int, batch: int, length: int, seed: int = 0) -> np.ndarray:
    """`gssm bench --seed`'s tokens: the same 64-bit LCG, high bits mod V."""
    a, c, mask = 6364136223846793005, 1442695040888963407, (1 << 64) - 1
    n = batch * length
    # Seeds in blocks: x_{k+j} = A_j x_k + C_j with (A_j, C_j) per offset j.
    block = min(n, 4096)
    A = np.empty(block, dtype=np.uint64)
    C = np.empty(block, dtype=np.uint64)
    aj, cj = 1, 0
    for j in range(block):
        aj, cj = (aj * a) & mask, (cj * a + c) & mask
        A[j], C[j] = aj, cj
    out = np.empty(n, dtype=np.uint64)
    x = np.uint64(seed)
    with np.errstate(over="ignore"):
        for k in range(0, n, block):
            m = min(block, n - k)
            xs = A[:m] * x + C[:m]
            out[k : k + m] = xs
            x = xs[m - 1]
    return ((out >> np.uint64(33)) % np.uint64(num_tokens)).astype(np.int64).reshape(batch, length)


def pinned(cmd):
    if shutil.which("taskset"):
        return ["taskset", "-c", str(CORE)] + cmd
    return cmd


def run_json(cmd):
    res = subprocess.run(pinned(cmd), check=True, capture_output=True, text=True, env=os.environ)
    return json.loads(res.stdout)


def timed(f):
    """CPU seconds of this process (every thread) spent in f, and its result."""
    start = time.process_time()
    out = f()
    return time.process_time() - start, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", type=Path, nargs="+", help="weight files written by gssm compile (f32 group models)")
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    ap.add_argument("--gssm", type=Path, default=target / "release" / "gssm")
    ap.add_argument("--limit", type=Path, default=target / "release" / "examples" / "limit")
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--len", type=int, default=4096)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-numpy", action="store_true", help="skip NumPy and JAX (the slow columns)")
    args = ap.parse_args()
    for exe in (args.gssm, args.limit):
        if not exe.exists():
            print(f"error: {exe} not found; run `cargo build --release --bin gssm --example limit`", file=sys.stderr)
            return 2
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {CORE})
    steps = args.batch * args.len
    common = ["--batch", str(args.batch), "--len", str(args.len)]
    cols = ["jit", "reference", "numpy", "jax", "limit"]
    table = []
    ok = True
    for path in args.models:
        model = Model(path)
        tokens = bench_tokens(model.num_tokens, args.batch, args.len)
        truth = model.truth(tokens) if not args.no_numpy else None
        jax_run = None if args.no_numpy else model.jax_runner()
        rates = {c: [] for c in cols}
        checks = {c: True for c in cols}
        for _ in range(args.rounds):
            for c in ["jit", "reference"]:
                r = run_json([str(args.gssm), "bench", str(path), *common, "--backends", c, "--dtypes", "f32", "--repeat", "1", "--json"])
                res = r["results"][0]
                rates[c].append(res["tokens_per_cpu_s"])
                checks[c] &= bool(res["correct"])
            r = run_json([str(args.limit), str(path), *common, "--repeat", "1"])
            rates["limit"].append(r["tokens_per_cpu_s"])
            checks["limit"] &= bool(r["correct"]) and bool(r["equal_jit"])
            if truth is not None:
                secs, out = timed(lambda: model.run_numpy(tokens))
                rates["numpy"].append(steps / secs)
                checks["numpy"] &= bool((out == truth).all())
            if jax_run is not None:
                if not rates["jax"]:
                    jax_run(tokens)  # compilation, outside the timing
                secs, out = timed(lambda: jax_run(tokens))
                rates["jax"].append(steps / secs)
                checks["jax"] &= bool((out == truth).all())
        med = {c: (statistics.median(v) if v else None) for c, v in rates.items()}
        ok &= all(checks[c] for c in cols if rates[c])
        table.append((path.stem, med, checks))

    print(f"batch {args.batch} × length {args.len}, f32, one core (taskset -c {CORE}, one thread), "
          f"median of {args.rounds} interleaved rounds, M tokens per CPU-second\n")
    print("| model | JIT | reference | NumPy | JAX | limit kernel (AVX2) | JIT / limit |")
    print("|---|---|---|---|---|---|---|")
    for name, med, checks in table:
        def cell(c):
            if med[c] is None:
                return "–"
            return f"{med[c] / 1e6:,.1f}" + ("" if checks[c] else " (WRONG)")
        ratio = f"{100 * med['jit'] / med['limit']:.0f}%"
        print(f"| {name} | {cell('jit')} | {cell('reference')} | {cell('numpy')} | {cell('jax')} | {cell('limit')} | {ratio} |")
    if not ok:
        print("\nsome outputs differ from the running products", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
