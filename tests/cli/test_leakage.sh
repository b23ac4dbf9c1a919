#!/usr/bin/env bash
# simulate/sample --leakage end to end: p=0 gives the bytes without it, leakage raises the
# detection-event count, the same seed gives the same bytes on the in-memory and the spill path,
# sample --leaked-out marks leaked measurements, and a bad --leakage is one usage line (exit 2)
# with no output written.
source "$(dirname "$0")/cli_lib.sh"
circ=${QECPIPE_TEST_DATA:?}/surface_x_d5_r5_p0.003.stim
ones() { od -An -v -tu1 "$1" | tr -s ' ' '\n' | awk 'NF { n = $1; while (n) { c += n % 2; n = int(n / 2) } } END { print c + 0 }'; }

"$bin" simulate --circuit "$circ" --shots 2000 --seed 4 --out plain.b8 --out-format b8
"$bin" simulate --circuit "$circ" --shots 2000 --seed 4 --out p0.b8 --out-format b8 --leakage p=0,mean_rounds=5
check "p=0 gives the bytes without leakage" 'cmp -s plain.b8 p0.b8'
"$bin" simulate --circuit "$circ" --shots 2000 --seed 4 --out leak.b8 --out-format b8 --leakage p=2e-3,mean_rounds=5
check "leakage run exits 0" '[ $? -eq 0 ]'
check "leakage raises the detection events by more than 20 %" '[ $(ones leak.b8) -gt $(( $(ones plain.b8) * 12 / 10 )) ]'
"$bin" simulate --circuit "$circ" --shots 2000 --seed 4 --out spill.b8 --out-format b8 --leakage p=2e-3,mean_rounds=5 \
    --record-budget 100
check "spill path gives the same bytes" 'cmp -s leak.b8 spill.b8'

"$bin" sample --circuit "$circ" --shots 1000 --seed 4 --out m.01 --leakage p=5e-3,mean_rounds=3 --leaked-out l.01
check "sample --leaked-out exits 0" '[ $? -eq 0 ]'
check "one leaked line per shot" '[ "$(wc -l < l.01)" -eq 1000 ]'
check "leaked line as wide as the record" '[ "$(head -1 l.01 | tr -d "\n" | wc -c)" -eq "$(head -1 m.01 | tr -d "\n" | wc -c)" ]'
check "some measurements were leaked" '[ "$(tr -cd 1 < l.01 | wc -c)" -gt 100 ]'
"$bin" sample --circuit "$circ" --shots 1000 --seed 4 --out m2.01 --leakage p=5e-3,mean_rounds=3
check "the records do not depend on --leaked-out" 'cmp -s m.01 m2.01'

for bad in p=0.1 p=2,mean_rounds=3 p=0.1,mean_rounds=0.5 q=1,mean_rounds=2 p=x,mean_rounds=2; do
  "$bin" simulate --circuit "$circ" --shots 10 --out bad.b8 --leakage "$bad" 2>err.txt
  check "--leakage $bad exits 2" '[ $? -eq 2 ]'
  check "--leakage $bad: one line" '[ "$(wc -l < err.txt)" -eq 1 ] && grep -q leakage err.txt'
  check "--leakage $bad: no output" '[ ! -e bad.b8 ] && [ ! -e bad.b8.partial ]'
done
"$bin" sample --circuit "$circ" --shots 10 --out bad.01 --leaked-out l2.01 2>err.txt
check "--leaked-out without --leakage exits 2" '[ $? -eq 2 ] && [ ! -e l2.01 ]'

# noise.leakage in a config: its own experiment beside the leakage-free twin, attributes, and
# the same file on 1 and 2 ranks (tasks of 500 shots: the ranks share each experiment).
cat > leak.yaml <<'YAML'
job: {name: leak, seed: 3, shots_per_task: 500, store: [predictions, samples]}
experiments:
  - {code: surface, distance: 3, rounds: 3, basis: z, decoders: [mwpm], max_shots: 2000,
     noise: {model: si1000, p: 0.002}}
  - {code: surface, distance: 3, rounds: 3, basis: z, decoders: [mwpm], max_shots: 2000,
     noise: {model: si1000, p: 0.002, leakage: {p: 1e-3, mean_rounds: 3}}}
YAML
mpi 2 "$bin" run leak.yaml --out two.h5 --quiet > /dev/null 2> run2.log
check "run with noise.leakage exits 0" '[ $? -eq 0 ]'
mpi 1 "$bin" run leak.yaml --out one.h5 --quiet > /dev/null 2> run1.log
check "1 rank == 2 ranks" 'h5diff --exclude-path /run one.h5 two.h5 > /dev/null'
g=experiments/surface_z_d3_r3_si1000_p0.002_leak0.001_m3
check "leakage experiment named _leak<p>_m<mean>" '[ "$(attr two.h5 $g/rounds)" = 3 ]'
check "leakage_p attribute" '[ "$(attr two.h5 $g/leakage_p)" = 0.001 ]'
check "no leakage attribute on the twin" '! h5dump -a /experiments/surface_z_d3_r3_si1000_p0.002/leakage_p two.h5 > /dev/null 2>&1'
h5diff two.h5 two.h5 /$g/detectors /experiments/surface_z_d3_r3_si1000_p0.002/detectors > /dev/null 2>&1
check "the twins' detection events differ (h5diff status 1, not 2: both exist)" '[ $? -eq 1 ]'
finish
