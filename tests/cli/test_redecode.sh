#!/usr/bin/env bash
# qecpipe redecode over a small archive in Google's layouts (built by make_archive.sh from the
# reference vectors): on 2 ranks, the per-experiment mistake counts equal `qecpipe decode` run
# on each folder alone; --dem-by-parity; bad archives get one clear error and exit 1.
. "$(dirname "$0")/cli_lib.sh"
data=${QECPIPE_TEST_DATA:?}

bash "$here/make_archive.sh" "$data" archive
mpi 2 "$bin" redecode archive --decoders mwpm --shots-per-task 3000 --out r.h5 --quiet > out.txt 2> err.txt; st=$?
check "redecode exits 0 ($(head -c 300 err.txt))" '[ $st -eq 0 ] && [ -f r.h5 ]'
"$bin" report r.h5 --csv r.csv --quiet
check "one CSV row per folder" '[ "$(tail -n +2 r.csv | wc -l)" -eq 3 ]'

# Each folder decoded alone with the DEM redecode chose (the folder's DEM, else derived).
for dir in $(cd archive && find . -name detection_events.b8 -printf '%h\n' | sed 's|^\./||' | sort); do
  f=archive/$dir
  if [ -f "$f/circuit_detector_error_model.dem" ]; then model=(--dem "$f/circuit_detector_error_model.dem")
  else model=(--circuit "$f/circuit_noisy.stim"); fi
  if [ -f "$f/obs_flips_actual.01" ]; then obs=(--obs-in "$f/obs_flips_actual.01" --obs-in-format 01)
  else obs=(--obs-in "$f/obs_flips_actual.b8" --obs-in-format b8); fi
  alone=$("$bin" decode "${model[@]}" --in "$f/detection_events.b8" --in-format b8 "${obs[@]}" --decoder mwpm | awk '{print $4}')
  # The CSV's json_metadata holds the folder name; column 2 is errors.
  together=$(grep -F "\"\"name\"\":\"\"$dir\"\"" r.csv | cut -d, -f2 | tr -d ' ')
  check "$dir: redecode errors ($together) == decode alone ($alone)" '[ -n "$alone" ] && [ "$alone" = "$together" ]'
done

# The same archive on 1 rank gives the same file.
mpi 1 "$bin" redecode archive --decoders mwpm --shots-per-task 3000 --out r1.h5 --quiet > /dev/null 2>&1
check "1 rank == 2 ranks" 'h5diff --exclude-path /run r.h5 r1.h5 >/dev/null'

# The same through a config's redecode section and `qecpipe run`: the same statistics.
printf 'job:\n  name: rd\n  seed: 0\n  output: cfg.h5\n  shots_per_task: 3000\nredecode:\n  archive: archive\n  decoders: [mwpm]\n' > rd.yaml
mpi 2 "$bin" run rd.yaml --quiet > /dev/null 2>&1; st=$?
"$bin" report cfg.h5 --csv cfg.csv --quiet
check "redecode section via qecpipe run: same statistics" '[ $st -eq 0 ] && diff <(cut -d, -f1-3,5,7- cfg.csv) <(cut -d, -f1-3,5,7- r.csv) >/dev/null'

# --store: what the file keeps per shot. Default predictions only; with samples, the stored
# detection events of a folder are its detection_events.b8 byte for byte.
e=/experiments/surface_code_bZ_d3_r03_center_3_5
check "default --store: predictions, no weights, no samples" \
  'h5ls -r r.h5 | grep -q "$e/decoders/mwpm/predictions " && ! h5ls -r r.h5 | grep -q "$e/decoders/mwpm/weights " && ! h5ls -r r.h5 | grep -q "$e/detectors "'
mpi 2 "$bin" redecode archive --decoders mwpm --shots-per-task 3000 --store predictions,weights,samples --deflate 3 \
  --out s.h5 --quiet > /dev/null 2> s.err; st=$?
check "--store predictions,weights,samples --deflate 3: exit 0 ($(head -c 300 s.err))" '[ $st -eq 0 ]'
h5dump -b LE -d $e/detectors -o dets.bin s.h5 > /dev/null 2>&1
check "--store samples: detectors equal the folder's detection_events.b8" \
  'cmp -s dets.bin archive/surface_code_bZ_d3_r03_center_3_5/detection_events.b8'
check "--store weights: weights kept" 'h5ls -r s.h5 | grep -q "$e/decoders/mwpm/weights "'
check "--store: the same statistics as the default" \
  '"$bin" report s.h5 --csv s.csv --quiet && diff <(cut -d, -f1-3,5,7- s.csv) <(cut -d, -f1-3,5,7- r.csv) > /dev/null'
mpi 1 "$bin" redecode archive --store predictions,dets --out u.h5 > /dev/null 2> u.err; st=$?
check "--store with an unknown name: usage error naming it, no file: $(head -1 u.err)" \
  '[ $st -eq 2 ] && grep -q "unknown per-shot dataset .dets." u.err && [ ! -e u.h5 ] && [ ! -e u.h5.partial ]'

# --dem-by-parity on the folder that has the pij files (both are its DEM here, so the counts
# must equal the plain decode).
mkdir -p parity && cp -r archive/surface_code_bX_d3_r03_center_3_5 parity/
mpi 2 "$bin" redecode parity --dem-by-parity --out p.h5 --quiet > /dev/null 2>&1; st=$?
check "--dem-by-parity exits 0" '[ $st -eq 0 ]'
"$bin" report p.h5 --csv p.csv --quiet
check "--dem-by-parity counts" '[ "$(tail -1 p.csv | cut -d, -f2 | tr -d " ")" = "$(grep -F surface_code_bX r.csv | cut -d, -f2 | tr -d " ")" ]'

# Bad input: a truncated detection_events.b8, a missing observable file. One line, exit 1,
# and the earlier result file is untouched.
sum=$(md5sum r.h5)
mkdir -p bad/e && cp archive/surface_code_bZ_d3_r03_center_3_5/* bad/e/
head -c 10001 archive/surface_code_bZ_d3_r03_center_3_5/detection_events.b8 > bad/e/detection_events.b8
mpi 2 "$bin" redecode bad --out r.h5 --quiet > /dev/null 2> bad1.log; st=$?
check "truncated b8 exits 1" '[ $st -eq 1 ]'
check "truncated b8: one line with the byte offset" '[ "$(grep -c "^qecpipe" bad1.log)" -eq 1 ] && grep -q "detection_events.b8: byte offset 9999" bad1.log'
cp archive/surface_code_bZ_d3_r03_center_3_5/detection_events.b8 bad/e/ && rm bad/e/obs_flips_actual.01
mpi 2 "$bin" redecode bad --out r.h5 --quiet > /dev/null 2> bad2.log; st=$?
check "missing observables exits 1" '[ $st -eq 1 ] && grep -q "no obs_flips_actual" bad2.log'
check "earlier result untouched" '[ "$(md5sum r.h5)" = "$sum" ] && [ ! -e r.h5.partial ]'

finish
