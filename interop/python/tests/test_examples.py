"""The README's example and examples/perturb.py run on a compiled S3 model."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import need_torch

HERE = Path(__file__).resolve().parents[1]


def test_readme_example(compiled, tmp_path, monkeypatch):
    need_torch()
    text = (HERE / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python example"
    s3 = compiled("S3")
    (tmp_path / "S3.safetensors").write_bytes(Path(s3).read_bytes())
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "README.md", "exec"), {"__name__": "readme"})
    assert (tmp_path / "S3-noisy.safetensors").exists()


def run_perturb(path: str, *extra: str) -> str:
    r = subprocess.run(
        [sys.executable, str(HERE / "examples" / "perturb.py"), path, "--batch", "100", "--length", "300", *extra],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def parse(out: str):
    rows = [l.split() for l in out.splitlines() if re.match(r"\s*\d", l)]
    return [(float(r[0]), float(r[1])) for r in rows]


def check_table(rows):
    assert len(rows) >= 6
    assert rows[0] == (0.0, 1.0)  # no noise: exact
    assert all(a == 1.0 for s, a in rows if s <= 1e-4)  # far inside the margin
    assert rows[-1][1] < 0.9  # large noise: visibly wrong


def test_perturb_numpy(compiled):
    check_table(parse(run_perturb(str(compiled("S3")), "--numpy")))


def test_perturb_torch(compiled):
    need_torch()
    out = run_perturb(str(compiled("S3")))
    assert "torch" in out.splitlines()[0]
    check_table(parse(out))
