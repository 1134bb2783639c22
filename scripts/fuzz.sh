#!/usr/bin/env bash
# Run the cargo-fuzz targets in fuzz/ one at a time, each for a given time
# (or number of executions), and print executions and coverage per target.
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]        defaults: all, 60
#
# TARGET: load_bytes, load_mutated, jit_vs_reference, parse_elaborate.
# Environment:
#   FUZZ_RUNS=N          also stop a target after N executions
#   FUZZ_SANITIZER=S     cargo-fuzz sanitizer (default none; address, ...)
#   FUZZ_ARGS="..."      extra libFuzzer flags; "-fork=1 -ignore_crashes=1"
#                        keeps fuzzing past a known crash
#
# Needs the nightly toolchain and cargo-fuzz (cargo install cargo-fuzz).
# Corpora grow in fuzz/corpus/TARGET, crashes land in fuzz/artifacts/TARGET,
# libFuzzer's full output in fuzz/logs/TARGET/fuzz-0.log. Exits non-zero if
# any target crashed. docs/fuzzing.md explains the targets and results.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

all=(load_bytes load_mutated jit_vs_reference parse_elaborate)
want=${1:-all}
secs=${2:-60}
sanitizer=${FUZZ_SANITIZER:-none}
if [ "$want" = all ]; then
  targets=("${all[@]}")
else
  case " ${all[*]} " in
    *" $want "*) targets=("$want") ;;
    *) echo "unknown target '$want' (one of: ${all[*]}, all)" >&2; exit 2 ;;
  esac
fi

# The load targets start from valid files compiled by the real pipeline.
if ! ls fuzz/seeds/load/*.st >/dev/null 2>&1; then
  cargo run --release --manifest-path fuzz/Cargo.toml --example gen_seeds
fi

triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
failed=0
summary=()
for t in "${targets[@]}"; do
  cargo +nightly fuzz build -s "$sanitizer" "$t"
  bin=$root/fuzz/target/$triple/release/$t
  corpus=$root/fuzz/corpus/$t
  artifacts=$root/fuzz/artifacts/$t
  logdir=$root/fuzz/logs/$t
  mkdir -p "$corpus" "$artifacts" "$logdir"
  case $t in
    load_bytes | load_mutated) seeds=("$root/fuzz/seeds/load"); max_len=32768; timeout=20 ;;
    # Coset enumeration of an infinite presentation runs to its fixed work
    # limit: about a second natively, ten or more under instrumentation.
    # Inputs up to 1 MiB reach long lines (diagnostics past column 65,535)
    # and long chains (`for` clauses, products, prefixes) that short ones
    # cannot.
    parse_elaborate) seeds=("$root/fuzz/seeds/parse" "$root/stdlib" "$root/tests/data"); max_len=1048576; timeout=60 ;;
    # The input only picks shapes and a seed: short inputs say it all.
    *) seeds=(); max_len=256; timeout=20 ;;
  esac
  # Findings only: libFuzzer also writes slow-unit-* files there.
  findings() { find "$artifacts" -maxdepth 1 -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' | wc -l; }
  before=$(findings)
  flags=(-jobs=1 -workers=1 -max_total_time="$secs" -max_len="$max_len" -timeout="$timeout"
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/")
  [ -n "${FUZZ_RUNS:-}" ] && flags+=(-runs="$FUZZ_RUNS")
  # shellcheck disable=SC2206
  flags+=(${FUZZ_ARGS:-})
  echo "== $t: $bin ${flags[*]} $corpus ${seeds[*]}"
  start=$(date +%s)
  # -jobs=1: one fuzzing process (this machine's cores are shared), whose
  # output libFuzzer writes to fuzz-0.log in the working directory.
  (cd "$logdir" && rm -f fuzz-0.log && "$bin" "${flags[@]}" "$corpus" "${seeds[@]}" >/dev/null 2>&1) || true
  elapsed=$(($(date +%s) - start))
  log=$logdir/fuzz-0.log
  # Status lines: "#N ... cov: C ft: F corp: K/SIZE ..."; in fork mode
  # (FUZZ_ARGS=-fork=1) "#N: cov: C ft: F corp: K exec/s ...", and no
  # final stats, so N is the count of executions.
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  execs=${execs:-$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")}
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\(\/[0-9a-zA-Z]*\)\{0,1\}\).*/\1/p' <<<"$last")
  crashes=$(($(findings) - before))
  if [ "$crashes" -gt 0 ] || grep -q 'ERROR: libFuzzer' "$log"; then
    failed=1
    grep -m1 -A3 -E 'panicked at|ERROR: libFuzzer' "$log" || true
    status="CRASH ($crashes new artifacts in fuzz/artifacts/$t)"
  else
    status=ok
  fi
  line="$t: ${execs:-?} execs in ${elapsed}s, cov ${cov:-?} edges, ft ${ft:-?} features, corpus ${corp:-?}: $status"
  echo "$line"
  summary+=("$line")
done

echo
echo "== summary (sanitizer: $sanitizer)"
printf '%s\n' "${summary[@]}"
exit $failed
