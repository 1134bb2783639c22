"""Without the native module the loader and the NumPy executor still work,
and gssm.check / compile / verify say what is missing."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
import sys

class Block:
    # Refuse gssm._native, as in an installation without the extension.
    def find_spec(self, name, path=None, target=None):
        if name == "gssm._native":
            raise ImportError("No module named 'gssm._native'")

sys.meta_path.insert(0, Block())
import numpy as np
import gssm

m = gssm.load(sys.argv[1])
x = np.arange(m.num_tokens)[None, :]
assert (m.run(x) == m.running_products(x)).all()
for call in (lambda: gssm.check("group C = < a | a^2 >"), lambda: gssm.compile("x.gssm", "C"), lambda: gssm.verify(m)):
    try:
        call()
    except ImportError as e:
        assert "gssm._native" in str(e) and "maturin" in str(e), e
    else:
        raise AssertionError("no ImportError")
print("ok")
"""


def test_loader_works_without_native(compiled):
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(compiled("S3"))], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
