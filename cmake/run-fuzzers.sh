#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset) and runs each for a fixed
# time, starting from its corpus in tests/fuzz/corpus/<target>/ (read only:
# new inputs go to a scratch directory). A crash, a leak, an uncaught
# exception other than concur::ValueError or an input over the memory limit
# fails the run and leaves the input in build/fuzz/crashes/.
# Usage: cmake/run-fuzzers.sh [seconds per target, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
mkdir -p build/fuzz/crashes
for target in frame_parser_fuzz from_bytes_fuzz outcome_fuzz; do
  scratch=$(mktemp -d)
  corpus=tests/fuzz/corpus/$target
  mkdir -p "$corpus"
  echo "== $target: ${seconds}s =="
  if ! "build/fuzz/tests/fuzz/$target" "$scratch" "$corpus" -max_total_time="$seconds" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix=build/fuzz/crashes/"$target"- 2>build/fuzz/"$target".log; then
    tail -n 40 build/fuzz/"$target".log
    rm -rf "$scratch"
    echo "$target found a failing input (see build/fuzz/crashes/)" >&2
    exit 1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build/fuzz/"$target".log || true
  rm -rf "$scratch"
done
