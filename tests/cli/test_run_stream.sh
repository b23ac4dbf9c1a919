#!/usr/bin/env bash
# qecpipe run of a long windowed experiment: shots are sampled and decoded window by window
# (workers/stream/sample_decode.h) unless job.store asks for the detection events (samples).
# The streamed predictions and weights (mwpm and uf, 2,500 rounds: 3 segments of 1,200 rounds)
# equal those of the whole-record path (store: [..., samples]), bit for bit, and the file is
# the same on 1 and 2 ranks.
. "$(dirname "$0")/cli_lib.sh"

cat > stream.yaml <<'YAML'
job: {name: stream, seed: 5, shots_per_task: 50, store: [predictions, weights]}
experiments:
  - {code: surface, distance: 3, rounds: 2500, basis: x, noise: {model: si1000, p: 0.001}, decoders: [mwpm, uf], window: 12, commit: 6, max_shots: 200}
YAML
sed 's/store: \[predictions, weights\]}/store: [predictions, weights, samples]}/' stream.yaml > stored.yaml

"$bin" run stream.yaml --out s1.h5 --quiet > /dev/null 2> err1; st1=$?
"$bin" run stored.yaml --out w1.h5 --quiet > /dev/null 2> errw; stw=$?
mpirun --oversubscribe -n 2 "$bin" run stream.yaml --out s2.h5 --quiet > /dev/null 2> err2; st2=$?
check "runs exit 0 ($(head -c 300 err1 errw err2))" '[ $st1 -eq 0 ] && [ $stw -eq 0 ] && [ $st2 -eq 0 ]'
g=/experiments/surface_x_d3_r2500_si1000_p0.001
check "the streamed run stores no detection events" '! h5ls "s1.h5$g/detectors" >/dev/null 2>&1'
check "store: samples stores them" 'h5ls "w1.h5$g/detectors" >/dev/null 2>&1'
for k in mwpm uf; do
  for f in predictions weights; do
    check "$k $f: streamed = whole record" 'h5diff s1.h5 w1.h5 $g/decoders/$k/$f $g/decoders/$k/$f >/dev/null'
  done
done
check "streamed 1 vs 2 ranks: identical files" 'h5diff --exclude-path /run s1.h5 s2.h5 >/dev/null'

finish
