#!/usr/bin/env bash
# Builds every fuzz/fuzz_*.c target in BUILD_DIR and runs each for SECONDS, starting from its
# seeds in fuzz/seeds/<name>/ (read-only) with a scratch corpus in BUILD_DIR/corpus-<name>.
# A crash is saved as BUILD_DIR/crash-*; turn each into a regression test.
set -euo pipefail
build=$(cd "$1" && pwd); seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for src in "$root"/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  short=${name#fuzz_}
  cmake --build "$build" --target "$name" -j2 >/dev/null
  corpus="$build/corpus-$short"
  mkdir -p "$corpus"
  seeds=()
  [ -d "$root/fuzz/seeds/$short" ] && seeds=("$root/fuzz/seeds/$short")
  echo "fuzzing $name for ${seconds}s"
  if ! (cd "$build" && UBSAN_OPTIONS=halt_on_error=1 ./fuzz/"$name" -max_total_time="$seconds" \
          -print_final_stats=1 "$corpus" "${seeds[@]}" 2>fuzz-"$short".log); then
    echo "FAIL: $name found a crash (see $build/fuzz-$short.log and $build/crash-*)"
    tail -30 "$build/fuzz-$short.log"
    status=1
  else
    grep -E "stat::number_of_executed_units" "$build/fuzz-$short.log" | sed "s/^/  $name: /"
  fi
done
exit $status
