#!/usr/bin/env bash
# End-to-end throughput of `qecpipe run` (sample + decode + collective HDF5 writes) on 1 rank
# and on 2 ranks, and the speed-up. Prints one JSON line per figure.
#   bench/bench_run_scaling.sh [BUILD_DIR] [SHOTS] [DISTANCE] [P]
set -euo pipefail
build=${1:-build}
shots=${2:-1000000}
d=${3:-7}
p=${4:-0.005}
bin=$(cd "$build" && pwd)/qecpipe
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cat > "$work/bench.yaml" <<YAML
job:
  name: bench-scaling
  seed: 1
  shots_per_task: 8192
experiments:
  - code: surface
    distance: $d
    rounds: $d
    basis: x
    noise: {model: uniform, p: $p}
    decoders: [mwpm]
    max_shots: $shots
YAML
run() {  # ranks -> seconds
  local t0 t1
  t0=$(date +%s.%N)
  mpirun -n "$1" "$bin" run "$work/bench.yaml" --out "$work/r$1.h5" --quiet > /dev/null
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}' 
}
s1=$(run 1); s2=$(run 2)
h5diff --exclude-path /run "$work/r1.h5" "$work/r2.h5" > /dev/null || { echo "results differ between 1 and 2 ranks" >&2; exit 1; }
case="d${d}_r${d}_p${p}_mwpm"
printf '{"bench":"run_scaling","case":"%s","ranks":1,"shots":%d,"seconds":%.3f,"shots_per_s":%.0f}\n' "$case" "$shots" "$s1" "$(awk -v n="$shots" -v s="$s1" 'BEGIN{print n / s}')"
printf '{"bench":"run_scaling","case":"%s","ranks":2,"shots":%d,"seconds":%.3f,"shots_per_s":%.0f}\n' "$case" "$shots" "$s2" "$(awk -v n="$shots" -v s="$s2" 'BEGIN{print n / s}')"
printf '{"bench":"run_scaling","case":"%s","figure":"speedup_2_vs_1","value":%.3f,"goal":1.8}\n' "$case" "$(awk -v a="$s1" -v b="$s2" 'BEGIN{print a / b}')"
