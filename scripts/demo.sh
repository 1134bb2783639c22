#!/usr/bin/env bash
# The main job on the bundled example: build gssm, then check, compile, run
# and verify groups from stdlib/seed.gssm.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin gssm
gssm=target/release/gssm
out=target/demo
mkdir -p "$out"

echo "== gssm check stdlib/seed.gssm S3"
$gssm check stdlib/seed.gssm S3

echo; echo "== gssm compile: S3 and A4 for aussm, C2xC4 for neg-mamba"
$gssm compile stdlib/seed.gssm -g S3 --target aussm -o "$out/s3.safetensors"
$gssm compile stdlib/seed.gssm -g A4 --target aussm -o "$out/a4.safetensors"
$gssm compile stdlib/seed.gssm -g C2xC4 --target neg-mamba -o "$out/c2xc4.safetensors"

echo; echo "== gssm run: running products of c t c c in S3"
$gssm run "$out/s3.safetensors" --tokens "c t c c"

echo; echo "== gssm verify S3: proof, exhaustive check, precision horizon"
$gssm verify "$out/s3.safetensors" --horizon-len 100000

echo; echo "== gssm compile A5 for aussm: no series exists, and gssm says why"
if $gssm compile stdlib/seed.gssm -g A5 --target aussm -o "$out/a5.safetensors"; then
  echo "unexpected: A5 compiled" >&2
  exit 1
fi
echo; echo "== A5 in one layer: pd-ssm on its 5 points, and an Elman RNN for torch.nn.RNN"
$gssm compile stdlib/seed.gssm -g A5 --target pd-ssm -o "$out/a5.pd-ssm.safetensors"
$gssm verify "$out/a5.pd-ssm.safetensors" --length 3 --horizon-len 10000
$gssm compile stdlib/seed.gssm -g A5 --target rnn --alphabet generators+inverses -o "$out/a5.rnn.safetensors"
$gssm export "$out/a5.rnn.safetensors" --format torch-rnn -o "$out/a5-torch-rnn"

echo; echo "== Automata: Dyck(2, 2) (bounded brackets) on Mamba layers, Parity refused there"
$gssm check stdlib/languages.gssm 'Dyck(2, 2)'
$gssm compile stdlib/languages.gssm -g 'Dyck(2, 2)' --target mamba -o "$out/dyck22.mamba.safetensors"
$gssm verify "$out/dyck22.mamba.safetensors" --length 6 --horizon-len 100000
if $gssm compile stdlib/languages.gssm -g Parity --target mamba -o "$out/parity.mamba.safetensors"; then
  echo "unexpected: Parity compiled for mamba" >&2
  exit 1
fi

echo; echo "== Precision as a proof: C24 in the coordinates whose f32 horizon is proved infinite"
$gssm compile stdlib/seed.gssm -g C24 --precision f32 -o "$out/c24.safetensors"
echo; echo "== C60 over its generator: proved in f32, f16 and bf16; verify proves the manifest's claims again"
$gssm compile stdlib/seed.gssm -g C60 --alphabet generators --precision bf16 -o "$out/c60.safetensors"
$gssm verify "$out/c60.safetensors" --horizon-len 10000 --horizon-seqs 2

echo; echo "demo finished: weight files are in $out/"
