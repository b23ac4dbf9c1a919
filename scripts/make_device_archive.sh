#!/usr/bin/env bash
# A test archive in Google's layout whose shots come from a test "device" (qecpipe gen
# --device-seed: per-qubit and per-coupler error rates drawn around SI1000), for trying
# `qecpipe train` with `train.archive` (fine-tuning) and `qecpipe redecode`.
#   scripts/make_device_archive.sh DEST --basis z --distance 3 --rounds 3 --p 0.003 \
#       --device-seed 7 [--device-spread 2.5] --shots 1000000 [--seed 1]
# Writes DEST/surface_code_b<X|Z>_d<d>_r<NN>_device_<S>/ with
#   circuit_noisy.stim    the plain SI1000 circuit at p: the model a user has before calibrating
#                         (as in Google's archives, a model circuit, not the device); redecode
#                         derives the plain SI1000 DEM from it
#   detection_events.b8   the device's shots (qecpipe simulate of device_circuit.stim)
#   obs_flips_actual.01   their actual observable flips
#   device_circuit.stim   the device itself (not part of Google's layout; what the shots were
#                         sampled from, for reference: its DEM is the calibrated ceiling)
# Needs QECPIPE_BIN or qecpipe on PATH (or build/qecpipe next to this script).
set -euo pipefail
usage() { echo "usage: $0 DEST --basis x|z --distance D --rounds R --p P --device-seed S [--device-spread X] --shots N [--seed S]" >&2; exit 2; }
[ $# -ge 1 ] || usage
dest=$1; shift
basis= d= r= p= dseed= spread=2 shots= seed=1
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage
  case $1 in
    --basis) basis=$2 ;; --distance) d=$2 ;; --rounds) r=$2 ;; --p) p=$2 ;;
    --device-seed) dseed=$2 ;; --device-spread) spread=$2 ;; --shots) shots=$2 ;; --seed) seed=$2 ;;
    *) usage ;;
  esac
  shift 2
done
[ -n "$basis" ] && [ -n "$d" ] && [ -n "$r" ] && [ -n "$p" ] && [ -n "$dseed" ] && [ -n "$shots" ] || usage
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${QECPIPE_BIN:-$(command -v qecpipe || echo "$here/build/qecpipe")}
B=$(echo "$basis" | tr xz XZ)
folder=$dest/surface_code_b${B}_d${d}_r$(printf %02d "$r")_device_$dseed
if [ -e "$folder/detection_events.b8" ]; then echo "$0: $folder already holds shots; not overwritten" >&2; exit 1; fi
mkdir -p "$folder"
gen=(--code surface --basis "$basis" --distance "$d" --rounds "$r" --noise si1000 --p "$p")
"$bin" gen "${gen[@]}" --out "$folder/circuit_noisy.stim"
"$bin" gen "${gen[@]}" --device-seed "$dseed" --device-spread "$spread" --out "$folder/device_circuit.stim"
"$bin" simulate --circuit "$folder/device_circuit.stim" --shots "$shots" --seed "$seed" \
  --out "$folder/detection_events.b8" --out-format b8 --obs-out "$folder/obs_flips_actual.01" --obs-out-format 01
echo "$folder"
