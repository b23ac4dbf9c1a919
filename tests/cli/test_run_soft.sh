#!/usr/bin/env bash
# qecpipe run with soft readout (issue 15): noise.readout samples analog readout, the stored
# circuit and DEM are the hard-equivalent ones (measurements flip with the model's M, an
# attribute), job.store: soft keeps p1 as float32 (shots, num_measurements) beside the
# samples, identical on 1 and 2 ranks; without `soft` in job.store no dataset is written.
. "$(dirname "$0")/cli_lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

cat > soft.yaml <<'YAML'
job:
  name: soft
  seed: 5
  shots_per_task: 700
  store: [predictions, samples, soft]
experiments:
  - code: surface
    distance: 3
    rounds: 3
    basis: z
    noise: {model: si1000, p: 0.002, readout: {snr: 5, t1_over_tint: 15}}
    decoders: [mwpm]
    max_shots: 2000
YAML
for n in 1 2; do
  mpi $n "$bin" run soft.yaml --out r$n.h5 --quiet > out$n.txt 2> err$n.txt; st=$?
  check "run on $n ranks exits 0 ($(head -c 300 err$n.txt))" '[ $st -eq 0 ] && [ -f r$n.h5 ]'
done
g=/experiments/surface_z_d3_r3_si1000_p0.002_snr5_t15
check "1 vs 2 ranks identical" 'h5diff --exclude-path /run r1.h5 r2.h5 >/dev/null'
check "soft is float32 (2000, 33)" 'h5dump -H -d $g/soft r1.h5 | grep -q "H5T_IEEE_F32LE" && h5dump -H -d $g/soft r1.h5 | grep -q "( 2000, 33 )"'
m=$(attr r1.h5 "$g/readout_m" | tr -d ,)
check "readout_m attribute is M(snr 5, T1/Tint 15) = 0.02196" '[ "${m:0:7}" = "0.02196" ]'
h5dump -d $g/circuit -b -o circuit.stim r1.h5 > /dev/null
check "the stored circuit flips its 3 M layers with M" '[ "$(grep -c "^ *M(0.02196" circuit.stim)" -eq 3 ]'
h5dump -d $g/soft -b LE -o soft.f32 r1.h5 > /dev/null
check "p1 values lie in [0, 1] and some are uncertain" 'od -An -v -tf4 soft.f32 | tr -s " " "\n" | grep -v "^$" |
    awk "\$1 < 0 || \$1 > 1 { bad++ } \$1 > 1e-3 && \$1 < 0.999 { mid++ } END { exit !(bad == 0 && mid > 100 && NR == 66000) }"'
sed 's/store: \[predictions, samples, soft\]/store: [predictions, samples]/' soft.yaml > hard.yaml
mpi 1 "$bin" run hard.yaml --out h.h5 --quiet > /dev/null 2>&1
check "without job.store soft: no soft dataset, same detectors" '! h5dump -H -d $g/soft h.h5 >/dev/null 2>&1 &&
    h5diff r1.h5 h.h5 $g/detectors $g/detectors >/dev/null'

# With leakage too: p1 then pleak per measurement, (shots, 2 x 33).
sed 's/readout: {snr: 5, t1_over_tint: 15}}/readout: {snr: 5, t1_over_tint: 15}, leakage: {p: 0.002, mean_rounds: 3}}/; s/max_shots: 2000/max_shots: 500/' soft.yaml > leak.yaml
mpi 1 "$bin" run leak.yaml --out l.h5 --quiet > /dev/null 2> lerr.txt; st=$?
gl=/experiments/surface_z_d3_r3_si1000_p0.002_leak0.002_m3_snr5_t15
check "leakage + soft readout run exits 0 ($(head -c 300 lerr.txt))" '[ $st -eq 0 ]'
check "its soft dataset is (500, 66): p1 then pleak" 'h5dump -H -d $gl/soft l.h5 | grep -q "( 500, 66 )"'
finish
