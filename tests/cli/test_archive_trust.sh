#!/usr/bin/env bash
# What redecode believes about an archive folder (issue 19): distance, rounds and basis come
# from the circuit (CX and CZ circuits alike), a folder name that contradicts it is a warning; a folder with only the
# ideal (noiseless) circuit gets a clear error asking for a DEM; folders without
# detection_events.b8 are named as skipped; odd characters in folder names stay valid JSON.
. "$(dirname "$0")/cli_lib.sh"
data=${QECPIPE_TEST_DATA:?}
v=$data/surface_x_d3_r3_p0.003
folder() {  # DIR: a d=3, 3-round X-basis experiment (circuit, detection events, observables)
  mkdir -p "$1"
  cp "$v.stim" "$1/circuit_noisy.stim"
  cp "$v.dets.b8" "$1/detection_events.b8"
  "$bin" convert --in "$v.obs.b8" --in-format b8 --out "$1/obs_flips_actual.01" --num-detectors 0 --num-observables 1
}

# 8. A folder named d7, r25, basis Z holding d=3, 3-round X data.
folder lying/surface_code_bZ_d7_r25_center_3_5
mpi 2 "$bin" redecode lying --out lying.h5 --quiet > /dev/null 2> lying.log; st=$?
"$bin" report lying.h5 --csv lying.csv > lying.txt
check "contradicting folder name: exit 0 ($(head -c 300 lying.log))" '[ $st -eq 0 ]'
check "contradicting folder name: one warning naming both" \
  '[ "$(grep -c warning lying.log)" -eq 1 ] && grep -q "says d=7 r=25 basis z but the circuit has d=3 r=3 basis x" lying.log'
check "json_metadata from the circuit: b x, d 3, r 3" 'grep -q "\"\"b\"\":\"\"x\"\",\"\"d\"\":3,\"\"r\"\":3" lying.csv'
# LER per round with 3 rounds: (1 - (1 - 2 LER)^(1/3)) / 2, as the table prints it.
ler=$(awk 'NR == 2 {print $5}' lying.txt); per=$(awk 'NR == 2 {print $NF}' lying.txt)
want=$(awk -v l="$ler" 'BEGIN {printf "%.3e", (1 - (1 - 2 * l) ^ (1 / 3)) / 2}')
check "LER per round uses the circuit's 3 rounds ($per, want $want)" '[ -n "$per" ] && [ "$per" = "$want" ]'
# A truthful name: no warning.
folder honest/surface_code_bX_d3_r03_center_3_5
mpi 2 "$bin" redecode honest --out honest.h5 --quiet > /dev/null 2> honest.log
check "agreeing folder name: no warning" '! grep -q warning honest.log'

# 8, the basis of CZ circuits: `qecpipe gen` circuits (uniform: CX; si1000: CZ with H layers
# that rotate data qubits) in both bases, each in a folder whose name says the other basis.
for noise in uniform si1000; do
  for b in x z; do
    named=$([ $b = x ] && echo Z || echo X)
    f=cz/surface_code_b${named}_d3_r03_${noise}_$b
    mkdir -p "$f"
    "$bin" gen --basis $b --distance 3 --rounds 3 --noise $noise --p 0.002 --out "$f/circuit_noisy.stim"
    "$bin" simulate --circuit "$f/circuit_noisy.stim" --shots 2000 --seed 3 --out "$f/detection_events.b8" \
      --out-format b8 --obs-out "$f/obs_flips_actual.b8" --obs-out-format b8
  done
done
mpi 2 "$bin" redecode cz --out cz.h5 --quiet > /dev/null 2> cz.log; st=$?
"$bin" report cz.h5 --csv cz.csv > /dev/null
check "gen circuits in lying folders: exit 0 ($(head -c 300 cz.log))" '[ $st -eq 0 ]'
check "gen circuits in lying folders: one warning each, the circuit's basis named" \
  '[ "$(grep -c warning cz.log)" -eq 4 ] && [ "$(grep -c "says basis z but the circuit has basis x" cz.log)" -eq 2 ] &&
   [ "$(grep -c "says basis x but the circuit has basis z" cz.log)" -eq 2 ]'
for noise in uniform si1000; do
  for b in x z; do
    check "$noise memory $b: json_metadata b $b" \
      'grep "${noise}_$b" cz.csv | grep -q "\"\"b\"\":\"\"$b\"\",\"\"d\"\":3,\"\"r\"\":3"'
  done
done

# 7. Only circuit_ideal.stim: a clear error asking for a DEM; with the DEM it decodes.
mkdir -p ideal/e
"$bin" gen --basis x --distance 3 --rounds 3 --out ideal/e/circuit_ideal.stim
cp "$v.dets.b8" ideal/e/detection_events.b8
cp "$v.obs.b8" ideal/e/obs_flips_actual.b8
mpi 2 "$bin" redecode ideal --out ideal.h5 --quiet > /dev/null 2> ideal.log; st=$?
check "ideal circuit only: exit 1, one line asking for a DEM ($(head -c 300 ideal.log))" \
  '[ $st -eq 1 ] && [ "$(grep -c "^qecpipe" ideal.log)" -eq 1 ] && grep -q "circuit_ideal.stim has no noise.*needs a DEM" ideal.log && [ ! -e ideal.h5 ]'
cp "$v.dem" ideal/e/circuit_detector_error_model.dem
mpi 2 "$bin" redecode ideal --out ideal.h5 --quiet > /dev/null 2> ideal2.log; st=$?
check "ideal circuit with a DEM: decodes ($(head -c 300 ideal2.log))" '[ $st -eq 0 ] && [ -f ideal.h5 ]'

# Smaller: a folder with a circuit but no detection_events.b8 is named in the summary;
# a tab in a folder name is escaped in json_metadata (\t), not dropped.
folder odd/$'tab\there'
mkdir -p odd/no_shots && cp "$v.stim" odd/no_shots/circuit_noisy.stim
mpi 2 "$bin" redecode odd --out odd.h5 --quiet > /dev/null 2> odd.log; st=$?
"$bin" report odd.h5 --csv odd.csv --quiet
check "folder without detection_events.b8 named as skipped ($(head -c 300 odd.log))" \
  '[ $st -eq 0 ] && grep -q "skipping 1 folder with a circuit but no detection_events.b8: no_shots" odd.log'
check "tab in a folder name escaped as \\t in json_metadata" 'grep -qF "\"\"name\"\":\"\"tab\\there\"\"" odd.csv'

finish
