#!/usr/bin/env bash
# Hostile Stim circuits (the fuzz seeds of fuzz/seeds/circuit: REPEAT blocks of 10^15 passes that
# hold only TICK, nothing, only SHIFT_COORDS, or noise and unitaries without measurements; nested
# counts whose product passes 2^64; 10^15 measurements; qubit 2^24 - 1) and a DEM whose one
# detector id is 4294967000, through every command that reads them: one line naming the file
# (and the REPEAT's line), exit 1, an existing output untouched. Before the circuit unroll limit
# (qp_circuit_unroll_limit, checked when a circuit is finalized) sample, simulate, dem and
# decode --circuit ran on each for hours; sample on 10^15 measurements or qubit 2^24 - 1 and
# decode / simulate --dem on the detector id aborted out of memory (exit 134). `timeout` only
# turns such a regression into a failure instead of a stuck test.
. "$(dirname "$0")/cli_lib.sh"
seeds=$here/../../fuzz/seeds
: > empty.b8

for case in repeat_tick_only:1 repeat_empty_body:2 repeat_shift_coords_only:2 repeat_detector_free:2 \
            repeat_nested_overflow:3; do
  name=${case%:*} line=${case#*:}
  f=$seeds/circuit/$name.stim
  want="$name.stim: line $line: REPEAT block unrolls to"
  refused "$name: sample" "$want" "$bin" sample --circuit "$f" --shots 10 --out keep.out
  refused "$name: simulate" "$want" "$bin" simulate --circuit "$f" --shots 10 --out keep.out
  refused "$name: dem" "$want" "$bin" dem --circuit "$f" --out keep.out
  refused "$name: dem --fold-loops" "$want" "$bin" dem --circuit "$f" --fold-loops --out keep.out
  refused "$name: decode --circuit" "$want" "$bin" decode --circuit "$f" --in empty.b8 --out keep.out
  refused "$name: convert --circuit" "$want" "$bin" convert --circuit "$f" --in empty.b8 --in-format b8 \
    --out keep.out --out-format 01
done
refused "nested overflow: the count saturates" "unrolls to at least 18446744073709551615 instructions" \
  "$bin" simulate --circuit "$seeds/circuit/repeat_nested_overflow.stim" --shots 10 --out keep.out

f=$seeds/circuit/repeat_measurements_past_2_32.stim
want="repeat_measurements_past_2_32.stim: line 1: the circuit reaches 1000000000000000 measurements here; at most 4294967295"
refused "10^15 measurements: sample" "$want" "$bin" sample --circuit "$f" --shots 10 --out keep.out
refused "10^15 measurements: dem" "$want" "$bin" dem --circuit "$f" --out keep.out

refused "qubit 2^24 - 1: sample" "qubit_index_max.stim: 16777216 qubits (largest index 16777215): the reference sample's dense tableau takes at most 16384" \
  "$bin" sample --circuit "$seeds/circuit/qubit_index_max.stim" --shots 10 --out keep.out

# run with a circuit experiment: the job fails naming the circuit, the result file is not made.
cp "$seeds/circuit/repeat_tick_only.stim" tick.stim
printf 'job: {name: t, seed: 1}\nexperiments:\n  - {circuit: tick.stim, decoders: mwpm, max_shots: 100}\n' > job.yaml
timeout 300 "$bin" run job.yaml --out r.h5 --quiet > /dev/null 2> err.txt; st=$?
check "run: exit non-zero ($st)" '[ $st -ne 0 ] && [ $st -ne 124 ]'
check "run: names the circuit and line ($(head -c 200 err.txt))" 'grep -q "tick.stim: line 1: REPEAT block unrolls to" err.txt'
check "run: no result file" '[ ! -e r.h5 ] && [ ! -e r.h5.partial ]'

# A lone detector id past the per-detector limit: decoders and the DEM sampler refuse it.
f=$seeds/dem/detector_id_past_2_26.dem
want="detector_id_past_2_26.dem.*the model has 4294967001 detectors; the .* allocates per detector and takes at most 67108864"
for dec in mwpm uf mwpm-corr; do
  refused "D4294967000: decode $dec" "$want" "$bin" decode --dem "$f" --in empty.b8 --out keep.out --decoder $dec
done
refused "D4294967000: simulate --dem" "$want" "$bin" simulate --dem "$f" --shots 10 --out keep.out

finish
