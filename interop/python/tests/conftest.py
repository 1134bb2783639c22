"""Shared fixtures: the gssm CLI, compiled stdlib models, torch and native
module availability."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

REPO = Path(__file__).resolve().parents[3]
STDLIB = REPO / "stdlib"


def gssm_bin() -> Path:
    """The CLI under test: $GSSM_BIN, else target/debug/gssm of this repo."""
    p = Path(os.environ.get("GSSM_BIN") or REPO / "target" / "debug" / "gssm")
    if not p.exists():
        pytest.fail(f"gssm binary not found at {p}: build it (cargo build --bin gssm) or set GSSM_BIN")
    return p


def torch_required() -> bool:
    return os.environ.get("GSSM_REQUIRE_TORCH", "") not in ("", "0")


def need_torch():
    """torch, or a skip when it is not installed and GSSM_REQUIRE_TORCH is unset."""
    if torch_required():
        import torch  # noqa: F401  (must be importable)

        return torch
    return pytest.importorskip("torch")


def native_required() -> bool:
    return os.environ.get("GSSM_REQUIRE_NATIVE", "") not in ("", "0")


def need_native():
    """gssm._native (the compiler, built by maturin), or a skip when it is
    not built and GSSM_REQUIRE_NATIVE is unset."""
    try:
        from gssm import _native
    except ImportError as e:
        if native_required():
            pytest.fail(f"GSSM_REQUIRE_NATIVE is set but gssm._native cannot be imported: {e}")
        pytest.skip(f"gssm._native is not built: {e}")
    return _native


def stdlib_source(group: str) -> Path:
    """The stdlib file that defines `group`."""
    files = sorted(STDLIB.glob("**/*.gssm"))
    if not files:
        pytest.fail(f"no .gssm files under {STDLIB}")
    pat = re.compile(r"\bgroup\s+" + re.escape(group) + r"\b")
    hits = [f for f in files if pat.search(f.read_text(encoding="utf-8"))]
    if not hits:
        pytest.fail(f"no stdlib file defines group {group} (looked in {[str(f) for f in files]})")
    return hits[0]


def compile_model(group: str, target: str, dtype: str, out: Path) -> Path:
    """`gssm compile stdlib/… -g GROUP --target T [--dtype f64] -o out`."""
    cmd = [str(gssm_bin()), "compile", str(stdlib_source(group)), "-g", group, "--target", target, "-o", str(out)]
    if dtype == "float64":
        cmd += ["--dtype", "f64"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    return out


def write_ids(path: Path, tokens: np.ndarray) -> None:
    with open(path, "w") as f:
        for row in tokens:
            f.write(" ".join(map(str, row.tolist())))
            f.write("\n")


def cli_run(
    model_path: Path, tokens: np.ndarray, workdir: Path, dtype: Optional[str] = None, backend: Optional[str] = None
) -> np.ndarray:
    """`gssm run MODEL --input FILE --ids [--backend B]`: one output line per
    sequence (automaton models need `--backend reference`)."""
    inp = workdir / f"in_{os.getpid()}_{abs(hash(str(model_path)))}.txt"
    write_ids(inp, tokens)
    cmd = [str(gssm_bin()), "run", str(model_path), "--input", str(inp), "--ids"]
    if dtype:
        cmd += ["--dtype", {"float32": "f32", "float64": "f64"}.get(dtype, dtype)]
    if backend:
        cmd += ["--backend", backend]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stderr}"
    rows = [list(map(int, line.split())) for line in r.stdout.splitlines() if line.strip()]
    out = np.asarray(rows, dtype=np.int64)
    assert out.shape == tokens.shape, f"gssm run printed {out.shape}, expected {tokens.shape}"
    return out


def cli_rejects(model_path: Path) -> str:
    """Run `gssm run` on a file expected to be invalid; return its stderr."""
    r = subprocess.run(
        [str(gssm_bin()), "run", str(model_path), "--tokens", "0"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode != 0, f"gssm run accepted {model_path}"
    return r.stderr


@pytest.fixture(scope="session")
def compiled(tmp_path_factory):
    """compiled(group, target, dtype) -> path, compiled once per session."""
    cache: Dict[Tuple[str, str, str], Path] = {}
    d = tmp_path_factory.mktemp("models")

    def get(group: str, target: str = "aussm", dtype: str = "float32") -> Path:
        key = (group, target, dtype)
        if key not in cache:
            cache[key] = compile_model(group, target, dtype, d / f"{group}.{target}.{dtype}.safetensors")
        return cache[key]

    return get


# -- format version 3: compiled rnn, pd-ssm, deltaproduct and start tokens ---


def v3_source(group: str, workdir: Path) -> Path:
    """A source defining `group`: the stdlib file, or for S5 (not in the
    stdlib's named groups) a file importing the families."""
    if group == "S5":
        src = workdir / "s5.gssm"
        src.write_text('import "families"\n\ngroup S5 = Symmetric(5)\n', encoding="utf-8")
        return src
    return stdlib_source(group)


def compile_v3(group: str, target: str, out: Path, dtype: str = "float32", alphabet: str = "generators+inverses", bos: bool = False) -> Path:
    """`gssm compile SRC -g GROUP --target T --alphabet A [--bos] [--dtype f64] -o out`."""
    cmd = [str(gssm_bin()), "compile", str(v3_source(group, out.parent)), "-g", group, "--target", target]
    cmd += ["--alphabet", alphabet, "-o", str(out)]
    if bos:
        cmd.append("--bos")
    if dtype == "float64":
        cmd += ["--dtype", "f64"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    return out


@pytest.fixture(scope="session")
def compiled_v3(tmp_path_factory):
    """compiled_v3(group, target, dtype="float32", alphabet="generators+inverses",
    bos=False) -> path, compiled once per session."""
    cache: Dict[Tuple[str, str, str, str, bool], Path] = {}
    d = tmp_path_factory.mktemp("models_v3")

    def get(group: str, target: str, dtype: str = "float32", alphabet: str = "generators+inverses", bos: bool = False) -> Path:
        key = (group, target, dtype, alphabet, bos)
        if key not in cache:
            name = f"{group}.{target}.{dtype}.{alphabet.replace('+', '_')}{'.bos' if bos else ''}.safetensors"
            cache[key] = compile_v3(group, target, d / name, dtype, alphabet, bos)
        return cache[key]

    return get
