#!/usr/bin/env bash
# Result files sized to their data (issue 20), on 2-rank `qecpipe run`s:
#  1. The issue's sweep: 200 small experiments (d = 3, 5; both bases; 50 values of p; 2,000
#     shots each; mwpm): the file is at most 2x its logical bytes (the sum of every dataset's
#     elements x element size, from h5ls) and at most 20 MB (it was 213 MB with one fixed
#     256 KiB chunk per dataset); h5stat's raw data is within 2x of the logical bytes too.
#     job.store's default keeps predictions only: no weights, no samples.
#  2. job.store: [predictions, weights, samples] keeps all three; with job.deflate: 4 the
#     per-shot datasets are compressed (shuffle + deflate), read back equal to the uncompressed
#     run's, and a run killed after a wave resumes to the same file.
#  3. configs/threshold.yaml stopped after its first two waves (two experiments, each stopped
#     by max_errors in its first wave): the .partial is within 2x of its logical bytes (with
#     chunks sized from max_shots = 10^8 alone it was 7x).
#  4. A bad store item is one error at file:line:column, nothing written.
. "$(dirname "$0")/cli_lib.sh"
logical() { h5ls -rv "$1" | awk '/Storage:/ {n += $2} END {print n + 0}'; }
raw() { h5stat -S "$1" | awk '/Raw data:/ {print $3}'; }
has() { h5ls -r "$1" | grep -q "$2 "; }

# --- 1. The sweep ------------------------------------------------------------------------------
ps=$(seq 0 49 | awk '{printf "%s%.4f", (NR > 1 ? ", " : ""), 0.001 + $1 * 0.0001}')
cat > sweep.yaml <<YAML
job:
  name: sweep
  seed: 20
  shots_per_task: 1000
experiments:
  - code: surface
    distance: [3, 5]
    basis: [x, z]
    noise: {model: uniform, p: [$ps]}
    decoders: [mwpm]
    max_shots: 2000
YAML
mpi 2 "$bin" run sweep.yaml --out sweep.h5 --quiet > sweep.out 2> sweep.err; st=$?
check "sweep exits 0 ($(head -c 300 sweep.err))" '[ $st -eq 0 ] && [ -f sweep.h5 ]'
experiments=$(h5ls sweep.h5/experiments | wc -l)
check "sweep: 200 experiments (got $experiments)" '[ "$experiments" -eq 200 ]'
size=$(stat -c %s sweep.h5); lb=$(logical sweep.h5); rd=$(raw sweep.h5)
echo "sweep: file $size bytes, logical $lb bytes, h5stat raw data $rd bytes"
check "sweep: file ($size) <= 2x logical bytes ($lb)" '[ "$lb" -gt 0 ] && [ "$size" -le $((2 * lb)) ]'
check "sweep: file ($size) <= 20 MB" '[ "$size" -le 20000000 ]'
check "sweep: h5stat raw data ($rd) <= 2x logical bytes ($lb)" '[ -n "$rd" ] && [ "$rd" -le $((2 * lb)) ]'
e=/experiments/surface_z_d5_r5_uniform_p0.003
check "default store: predictions kept, weights and samples not" \
  'has sweep.h5 $e/decoders/mwpm/predictions && ! has sweep.h5 $e/decoders/mwpm/weights && ! has sweep.h5 $e/detectors'
check "statistics are there without weights" \
  '[ "$(h5dump -a $e/decoders/mwpm/shots sweep.h5 | grep -o "(0): [0-9]*")" = "(0): 2000" ]'

# --- 2. Everything kept, compressed or not -----------------------------------------------------
one() {  # $1 output, $2 extra job keys
  cat > one.yaml <<YAML
job: {name: one, seed: 5, shots_per_task: 500, store: [predictions, weights, samples]$2}
experiments:
  - {code: surface, distance: 5, basis: x, noise: {model: uniform, p: 0.004}, decoders: [mwpm, uf], max_shots: 6000}
YAML
}
one plain.h5 ""
mpi 2 "$bin" run one.yaml --out plain.h5 --wave-shots 1000 --quiet > /dev/null 2> plain.err; st=$?
check "store everything: exit 0 ($(head -c 300 plain.err))" '[ $st -eq 0 ]'
e=/experiments/surface_x_d5_r5_uniform_p0.004
check "store everything: predictions, weights, detectors and observables" \
  'has plain.h5 $e/decoders/uf/predictions && has plain.h5 $e/decoders/mwpm/weights && has plain.h5 $e/detectors && has plain.h5 $e/observables'
size=$(stat -c %s plain.h5); lb=$(logical plain.h5)
check "store everything: file ($size) <= 2x logical bytes ($lb)" '[ "$size" -le $((2 * lb)) ]'
one z.h5 ", deflate: 4"
mpi 2 "$bin" run one.yaml --out z.h5 --wave-shots 1000 --quiet > /dev/null 2> z.err; st=$?
check "deflate 4: exit 0 ($(head -c 300 z.err))" '[ $st -eq 0 ]'
check "deflate 4: detectors have the shuffle and deflate filters" \
  'h5dump -p -H -d $e/detectors z.h5 | grep -q SHUFFLE && h5dump -p -H -d $e/detectors z.h5 | grep -q "DEFLATE"'
check "deflate 4: smaller file ($(stat -c %s z.h5) < $size)" '[ "$(stat -c %s z.h5)" -lt "$size" ]'
same=1
for d in detectors observables decoders/mwpm/predictions decoders/mwpm/weights decoders/uf/weights; do
  h5diff plain.h5 z.h5 $e/$d $e/$d > /dev/null 2>&1 || { same=0; echo "differs: $d"; }
done
check "deflate 4: every per-shot dataset equal to the uncompressed run's" '[ $same -eq 1 ]'
QECPIPE_FAULT_KILL_AFTER_WAVES=2 timeout 300 mpirun --oversubscribe -n 2 "$bin" run one.yaml --out zk.h5 \
  --wave-shots 1000 --quiet > /dev/null 2>&1
check "deflate 4: the killed run left a .partial" '[ -e zk.h5.partial ] && [ ! -e zk.h5 ]'
timeout 300 mpirun --oversubscribe -n 2 "$bin" run one.yaml --out zk.h5 --wave-shots 1000 --quiet > /dev/null 2> zk.err; st=$?
check "deflate 4: resumed after a kill, exit 0 ($(head -c 300 zk.err))" '[ $st -eq 0 ] && grep -q "resuming" zk.err'
check "deflate 4: the resumed file equals an uninterrupted run's" 'h5diff --exclude-path /run z.h5 zk.h5 > /dev/null 2>&1'

# --- 3. The threshold study's first waves -----------------------------------------------------
QECPIPE_FAULT_KILL_AFTER_WAVES=2 timeout 600 mpirun --oversubscribe -n 2 "$bin" run threshold --out thr.h5 \
  --quiet > /dev/null 2>&1
waves=$(h5ls -r thr.h5.partial 2>/dev/null | grep -c "/decoders/mwpm/predictions ")
size=$(stat -c %s thr.h5.partial 2>/dev/null || echo 0); lb=$(logical thr.h5.partial)
echo "threshold.yaml, first 2 waves: file $size bytes, logical $lb bytes"
check "threshold.yaml: 2 experiments written before the kill (got $waves)" '[ "$waves" -eq 2 ]'
check "threshold.yaml first waves: file ($size) <= 2x logical bytes ($lb)" '[ "$lb" -gt 0 ] && [ "$size" -le $((2 * lb)) ]'

# --- 4. A bad store item ----------------------------------------------------------------------
printf 'job:\n  name: bad\n  seed: 1\n  store: [predictions, wieghts]\nexperiments:\n  - {code: surface, distance: 3, basis: x, noise: {model: uniform, p: 0.001}, max_shots: 10}\n' > bad.yaml
mpi 1 "$bin" run bad.yaml --out bad.h5 --quiet > /dev/null 2> bad.err; st=$?
check "bad store item: exit 1, one line at file:line:column: $(head -1 bad.err)" \
  '[ $st -eq 1 ] && [ "$(grep -c "^qecpipe" bad.err)" -eq 1 ] && grep -q "bad.yaml:4:24: job.store: expected one of predictions, weights, confidence, samples" bad.err && [ ! -e bad.h5 ] && [ ! -e bad.h5.partial ]'

finish
