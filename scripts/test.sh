#!/usr/bin/env bash
# The test suite: Rust workspace tests, then the Python loaders' tests
# against weight files written by this build's `gssm compile`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-targets
if [ -d interop/python/tests ]; then
  python3 -m pip install -q numpy safetensors pytest
  # PyPI's torch wheel (with its CUDA libraries, about 3 GB) installs in one
  # to three minutes; its tests then run for real, never skipped.
  python3 -m pip install -q torch
  # fla's own DeltaProduct code (its naive recurrence runs on the CPU), so
  # the export is tested against it, not only against a re-implementation;
  # pandas reads the word-problem datasets as their users do.
  python3 -m pip install -q flash-linear-attention==0.6.0 pandas
  python3 -m pip install -q ./interop/python
  # The binary the integration tests above built (target/debug/gssm): a
  # `cargo build` here would resolve features without the dev-dependencies
  # and compile the whole dependency tree a second time.
  test -x target/debug/gssm || { echo "target/debug/gssm was not built by the tests" >&2; exit 1; }
  python3 scripts/check_data.py "$PWD/target/debug/gssm"
  GSSM_REQUIRE_TORCH=1 GSSM_REQUIRE_FLA=1 GSSM_BIN="$PWD/target/debug/gssm" python3 -m pytest -q interop/python/tests
fi
