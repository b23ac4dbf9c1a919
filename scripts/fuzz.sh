#!/usr/bin/env bash
# Builds every fuzz/fuzz_*.c target in BUILD_DIR and runs each for SECONDS with its seeds.
# Crashes are saved as BUILD_DIR/crash-*; turn each into a regression test.
set -euo pipefail
build=$1; seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for src in "$root"/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  cmake --build "$build" --target "$name" -j2 >/dev/null
  seeds="$root/fuzz/seeds/${name#fuzz_}"
  corpus="$build/corpus-${name#fuzz_}"
  mkdir -p "$corpus"
  echo "fuzzing $name for ${seconds}s"
  (cd "$build" && ./"$name" -max_total_time="$seconds" -print_final_stats=0 "$corpus" ${seeds:+$( [ -d "$seeds" ] && echo "$seeds")} 2>&1 | tail -2) || status=1
done
exit $status
