#!/usr/bin/env bash
# `make demo`: the main job on the built-in quickstart config on 2 MPI ranks, then a report.
# Outputs go to demo/ (results HDF5, sinter CSV, plots).
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/$build/qecpipe"
mkdir -p "$root/demo"
cd "$root/demo"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
echo "== qecpipe run (built-in quickstart config) on 2 MPI ranks"
mpirun -n 2 --oversubscribe "$bin" run --out quickstart.h5 --restart
echo
echo "== qecpipe report"
"$bin" report quickstart.h5 --csv quickstart.csv --plots quickstart
echo
echo "results: demo/quickstart.h5   CSV: demo/quickstart.csv   plots: demo/quickstart_{ler_vs_p,ler_per_round,decoders}.{png,svg}"
