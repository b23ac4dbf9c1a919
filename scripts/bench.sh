#!/usr/bin/env bash
# `make bench`: every benchmark, one JSON line per figure on stdout (progress on stderr).
# Speed is compared as ratios to the figures of ../shared/anchors.md, measured on this kind of
# machine (2 cores); run on an otherwise idle machine.
#   scripts/bench.sh [BUILD_DIR]
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 QECPIPE_BIN="$build/qecpipe"
[ -d "$root/../shared/vectors" ] && export QECPIPE_VECTORS="$root/../shared/vectors"
scratch=$(mktemp -d -p "$build")
trap 'rm -rf "$scratch"' EXIT
run() { echo "== $*" >&2; "$@"; }

run "$build/bench/bench_frame"                   # circuit sampling shots/s (vs Stim detect)
run "$build/bench/bench_leak"                    # sampling with leakage vs without, shots per CPU s
run "$build/bench/bench_soft"                    # soft readout vs hard sampling, CPU ns per measurement
run "$build/bench/bench_dem"                     # DEM sampling, error analysis (vs Stim)
run "$build/bench/bench_formats" 1000000         # shot-format encode/decode MB/s
run "$build/bench/bench_mwpm" 100000             # MWPM µs/shot (vs PyMatching)
run "$build/bench/bench_uf" 20000                # union-find vs MWPM
run "$build/bench/bench_corr" 20000              # correlated vs plain matching
# Through the command lines, vs `pymatching predict` when QECPIPE_PYMATCHING names one.
run bash "$root/bench/bench_matching_cli.sh" "$build"
run "$build/bench/bench_window" 200000           # windowed vs global matching, µs/round, 1k-100k rounds
[ -n "${QECPIPE_VECTORS:-}" ] && run "$build/bench/bench_ml"  # exact ML decoder: build s, µs/shot (d=3 vectors)
run "$build/bench/bench_nn" 1000                 # training samples/s, MFU, inference
run bash "$root/bench/bench_nn_decode.sh"                      # nn vs mwpm through qecpipe decode, CPU µs/round
# Parallel HDF5 writes on 2 ranks vs a plain write of the same size to the same disk.
(cd "$scratch" && run mpirun -n 2 "$build/bench/bench_store" --mb 512 --dir .)
dd_out=$(cd "$scratch" && dd if=/dev/zero of=dd.bin bs=1M count=512 conv=fdatasync 2>&1 | tail -1)
rm -f "$scratch/dd.bin"
echo "{\"bench\":\"dd\",\"mb\":512,\"result\":\"$dd_out\"}"
run bash "$root/bench/bench_run_scaling.sh" "$build"          # end-to-end run, 2 vs 1 ranks
run bash "$root/bench/bench_train.sh"                          # nn vs MWPM on the same shots
