#!/usr/bin/env bash
# Hostile detector error models (the fuzz seeds of fuzz/seeds/dem: repeat blocks of 10^15 passes
# that shift, do nothing, flip an observable or add one mechanism; nested counts whose product
# passes 2^64; a count of 2^64 - 1; a repeat in place flooding a window; a repeat of 10^18
# iterations) through every command that reads a DEM: one line naming the file and the repeat
# block's line, exit 1, an existing output untouched. Before the shared unroll limit
# (qp_dem_unroll_limit, checked when a model is parsed) decode and simulate ran on each for hours;
# `timeout` only turns such a regression into a failure instead of a stuck test.
. "$(dirname "$0")/cli_lib.sh"
data=${QECPIPE_TEST_DATA:?}
seeds=$here/../../fuzz/seeds/dem
: > empty.b8

for case in repeat_no_work:2 repeat_empty_body:3 repeat_observable_only:3 repeat_errors_in_place:3 \
            repeat_nested_overflow:5 repeat_count_max:3; do
  name=${case%:*} line=${case#*:}
  want="$name.dem:$line:1: repeat block unrolls to"
  for dec in mwpm uf mwpm-corr ml; do
    refused "$name: decode $dec" "$want" "$bin" decode --dem "$seeds/$name.dem" --in empty.b8 --out keep.out --decoder $dec
  done
  refused "$name: decode --window 10" "$want" "$bin" decode --dem "$seeds/$name.dem" --in empty.b8 --out keep.out --window 10
  refused "$name: simulate" "$want" "$bin" simulate --dem "$seeds/$name.dem" --shots 10 --out keep.out
  refused "$name: convert --dem" "$want" "$bin" convert --dem "$seeds/$name.dem" --in empty.b8 --out keep.out
done

# Models within the limit as a whole, refused where the walk would not be bounded: a window gets
# the 5 * 10^6 passes in place of a model of 40,001 detectors, and 10^18 iterations make more
# windows per shot than 2^26 (the windowed decoder is chosen automatically past 100,000 detectors).
refused "repeat in place: decode --window 10" \
  "window_repeat_in_place.dem: window of detectors 0..9: line 2: repeat block unrolls to 10000000 instructions" \
  "$bin" decode --dem "$seeds/window_repeat_in_place.dem" --in empty.b8 --out keep.out --window 10
refused "10^18 iterations: decode" \
  "window_too_many_windows.dem: line 2: 1000000000000000000 repeat iterations committed 50 at a time make more than 67108864 windows" \
  "$bin" decode --dem "$seeds/window_too_many_windows.dem" --in empty.b8 --out keep.out
echo keep > keep.out
timeout 300 mpirun --oversubscribe -n 2 "$bin" decode --dem "$seeds/window_too_many_windows.dem" --in empty.b8 \
  --out keep.out > /dev/null 2> err.txt; st=$?
check "10^18 iterations: decode on 2 ranks: exit non-zero ($st)" '[ $st -ne 0 ] && [ $st -ne 124 ]'
check "10^18 iterations: decode on 2 ranks: the message" 'grep -q "window_too_many_windows.dem: line 2: .* windows per shot" err.txt'
check "10^18 iterations: decode on 2 ranks: existing output untouched" '[ "$(cat keep.out)" = keep ]'

# An archive folder whose DEM ends in a repeat doing nothing: redecode names the folder and line.
bash "$here/make_archive.sh" "$data" archive
f=archive/surface_code_bX_d3_r03_center_3_5/circuit_detector_error_model.dem
line=$(($(wc -l < "$f") + 1))
printf 'repeat 1000000000000000 {\n    shift_detectors 0\n}\n' >> "$f"
echo keep > keep.out
timeout 300 mpirun --oversubscribe -n 2 "$bin" redecode archive --decoders mwpm --out keep.out --quiet > /dev/null 2> err.txt; st=$?
check "redecode: exit non-zero" '[ $st -ne 0 ] && [ $st -ne 124 ]'
check "redecode: names the folder and line ($(head -c 200 err.txt))" \
  'grep -q "surface_code_bX_d3_r03_center_3_5:$line:1: repeat block unrolls to" err.txt'
check "redecode: existing output untouched" '[ "$(cat keep.out)" = keep ]'

finish
