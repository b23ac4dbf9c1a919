#!/usr/bin/env bash
# Test fixture: builds a small archive in Google's published layouts from reference vectors.
#   make_archive.sh VECTORS_DIR DEST_DIR
# 2023 layout (Zenodo 6804040): surface_code_b{X,Z}_d<d>_r<NN>_center_3_5/ with
#   circuit_noisy.stim, detection_events.b8, obs_flips_actual.01, and (for some folders)
#   circuit_detector_error_model.dem and the two pij_from_*.dem files.
# 2024 layout (Zenodo 13273331): d<d>_at_q4_7/<X|Z>/r<NN>/ with circuit_noisy_si1000.stim
#   renamed to circuit_noisy.stim, detection_events.b8, obs_flips_actual.b8.
set -euo pipefail
src=$1; dest=$2
bin=${QECPIPE_BIN:?}
mkdir -p "$dest"
obs_to_01() { "$bin" convert --in "$1" --in-format b8 --out "$2" --out-format 01 --num-detectors 0 --num-observables 1; }

add_2023() {  # name basis d r with_dem
  local n=$1 b=$2 d=$3 r=$4 with_dem=$5
  local f="$dest/surface_code_b${b}_d${d}_r$(printf %02d "$r")_center_3_5"
  mkdir -p "$f"
  cp "$src/$n.stim" "$f/circuit_noisy.stim"
  cp "$src/$n.dets.b8" "$f/detection_events.b8"
  obs_to_01 "$src/$n.obs.b8" "$f/obs_flips_actual.01"
  if [ "$with_dem" = 1 ]; then
    cp "$src/$n.dem" "$f/circuit_detector_error_model.dem"
    cp "$src/$n.dem" "$f/pij_from_odd_for_even.dem"
    cp "$src/$n.dem" "$f/pij_from_even_for_odd.dem"
  fi
}
add_2024() {  # name basis d r
  local n=$1 b=$2 d=$3 r=$4
  local f="$dest/d${d}_at_q4_7/$b/r$(printf %02d "$r")"
  mkdir -p "$f"
  cp "$src/$n.stim" "$f/circuit_noisy.stim"
  cp "$src/$n.dets.b8" "$f/detection_events.b8"
  cp "$src/$n.obs.b8" "$f/obs_flips_actual.b8"
}
add_2023 surface_x_d3_r3_p0.003 X 3 3 1
add_2023 surface_z_d3_r3_p0.003 Z 3 3 0
add_2024 surface_x_d5_r5_p0.003 X 5 5
