#!/usr/bin/env bash
# The test suite: Rust workspace tests, then the Python package's tests
# (loaders against weight files written by this build's `gssm compile`, and
# the native module against the CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-targets
if [ -d interop/python/tests ]; then
  python3 -m pip install -q numpy safetensors pytest "maturin>=1.9.4,<2"
  # PyPI's torch wheel (with its CUDA libraries, about 3 GB) installs in one
  # to three minutes; its tests then run for real, never skipped.
  python3 -m pip install -q torch
  # fla's own DeltaProduct code (its naive recurrence runs on the CPU), so
  # the export is tested against it, not only against a re-implementation;
  # pandas reads the word-problem datasets as their users do.
  python3 -m pip install -q flash-linear-attention==0.6.0 pandas
  # The package with its native module (gssm._native), built by maturin in
  # the dev profile into target/, where the tests above left every
  # dependency built: only pyo3 and the extension crate compile (about 30 s
  # on 2 cores; the release build of `pip install ./interop/python` takes
  # about 10 minutes). Stripped, so the installed module is small.
  start=$SECONDS
  python3 -m pip install -q --no-build-isolation \
    --config-settings=build-args="--profile dev --strip" ./interop/python
  echo "installed interop/python with gssm._native in $((SECONDS - start)) s"
  # The binary the integration tests above built (target/debug/gssm): a
  # `cargo build` here would resolve features without the dev-dependencies
  # and compile the whole dependency tree a second time.
  test -x target/debug/gssm || { echo "target/debug/gssm was not built by the tests" >&2; exit 1; }
  python3 scripts/check_data.py "$PWD/target/debug/gssm"
  GSSM_REQUIRE_TORCH=1 GSSM_REQUIRE_FLA=1 GSSM_REQUIRE_NATIVE=1 GSSM_BIN="$PWD/target/debug/gssm" \
    python3 -m pytest -q interop/python/tests
fi
