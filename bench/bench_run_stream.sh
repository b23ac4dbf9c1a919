#!/usr/bin/env bash
# Peak memory of `qecpipe run` on a long windowed experiment against the number of rounds:
# sampled shots are decoded window by window (workers/stream/sample_decode.h), so the peak RSS
# per rank should not grow with the rounds. One JSON line per (rounds, ranks): peak RSS of the
# largest rank (GNU time's %M, KB) and CPU seconds (user + sys, all ranks).
#   bench/bench_run_stream.sh [BUILD_DIR] [DISTANCE] [SHOTS] [ROUNDS...]
# Defaults: build, d = 5, 4 shots (one task), rounds 100000 1000000; SI1000 p = 0.001.
set -euo pipefail
build=${1:-build}
d=${2:-5}
shots=${3:-4}
shift $(( $# < 3 ? $# : 3 ))
rounds_list=${*:-100000 1000000}
bin=$(cd "$build" && pwd)/qecpipe
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for rounds in $rounds_list; do
  cat > "$work/long.yaml" <<YAML
job: {name: long, seed: 12, shots_per_task: $shots}
experiments:
  - {code: surface, distance: $d, rounds: $rounds, basis: x, noise: {model: si1000, p: 0.001}, decoders: [mwpm], max_shots: $shots}
YAML
  for ranks in 1 2; do
    rm -f "$work"/t.*
    # GNU time per rank, into t.<rank>.
    mpirun --oversubscribe -n "$ranks" sh -c '/usr/bin/time -o "$0.$OMPI_COMM_WORLD_RANK" -f "%M %U %S" "$@"' \
      "$work/t" "$bin" run "$work/long.yaml" --out "$work/r$ranks.h5" --quiet > /dev/null
    read -r rss cpu < <(cat "$work"/t.* | awk '{if ($1 > m) m = $1; c += $2 + $3} END {print m, c}')
    printf '{"bench":"run_stream","d":%d,"rounds":%d,"shots":%d,"ranks":%d,"peak_rss_kb_max_rank":%d,"cpu_s":%.2f,"result_bytes":%d}\n' \
      "$d" "$rounds" "$shots" "$ranks" "$rss" "$cpu" "$(stat -c %s "$work/r$ranks.h5")"
  done
done
