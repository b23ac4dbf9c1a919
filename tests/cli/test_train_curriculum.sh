#!/usr/bin/env bash
# train.curriculum end to end (d=3, 2 rounds, a tiny layout-portable model):
#  1. Three stages, uniform p=0.003 memory Z batch 64 -> SI1000 p=0.002 Z batch 128 -> uniform
#     p=0.003 memory X batch 128, 30 steps each: the run reports each stage as it starts; the
#     checkpoint's circuit is each stage's (equal to `qecpipe gen` of it, comments aside) and
#     its shot counter (/rng[3]) counts the shots of the stages before (30*64 + 15*128 at step
#     45); stage 1 trains exactly what a run without a curriculum trains (same noise, batch and
#     schedule length: equal /params and Adam moments after 30 steps); stopped mid-stage 2
#     (--stop-after 45) or at the basis change (60) and --resume'd on 1 rank, the final
#     checkpoint equals the uninterrupted one's in everything h5diff sees.
#  2. 1 rank vs 2 ranks (--fixed-order): the final parameters and Adam moments agree within
#     relative L2 difference 1e-5 (the tolerance of tests/train/mpitest_train.c: the same
#     global batches, float sums in another order).
#  3. Bad curricula exit 1 with one line: stage steps that do not add up to train.steps, a
#     stage batch that is not a multiple of the ranks (under mpirun -n 2), a basis change with a
#     model that is not layout-portable, soft readout in some stages only, with train.archive,
#     and --steps.
. "$(dirname "$0")/cli_lib.sh"

cat > cur.yaml <<'YAML'
job:
  name: curriculum
  seed: 7
train:
  code: surface
  distance: 3
  rounds: 2
  basis: z
  noise: {model: uniform, p: 0.003}
  batch_size: 64
  learning_rate: 2e-3
  warmup_steps: 10
  hidden: 16
  layers: 1
  heads: 2
  attention_bias: geometric
  stabilizer_embedding: type
  conv_dilations: [1]
  readout: lines
  curriculum:
    - {steps: 30}
    - {steps: 30, noise: {model: si1000, p: 0.002}, batch_size: 128}
    - {steps: 30, basis: x, batch_size: 128}
  eval_every: 20
  eval_shots: 500
  checkpoint_every: 20
  checkpoint: cur.h5
YAML
# The text of a checkpoint's /circuit, and a generated circuit without its comment lines.
circuit_of() { h5dump -d /circuit -b LE -o "$2" "$1" > /dev/null; }
gen_text() { "$bin" gen --distance 3 --rounds 2 "$@" --out - | grep -v '^#'; }
rel_l2() {  # relative L2 difference of dataset $3 in $1 from $2
  paste <(h5dump -y -w 1 -d "/$3" "$1" | grep -E '^ *-?[0-9]' | tr -d ' ,') \
        <(h5dump -y -w 1 -d "/$3" "$2" | grep -E '^ *-?[0-9]' | tr -d ' ,') |
    awk '{d += ($1 - $2)^2; s += $2^2; n++} END {if (n < 1000 || s == 0) print "nan"; else printf "%.3g\n", sqrt(d / s)}'
}

# 1. Three stages on 1 rank.
"$bin" train cur.yaml --checkpoint whole.h5 2> whole.log; st=$?
check "3-stage curriculum exits 0 ($(tail -c 300 whole.log))" '[ $st -eq 0 ] && [ "$(attr whole.h5 step)" = 90 ]'
check "reports stage 1" 'grep -q "stage 1/3, steps 0..30: surface_z_d3_r2_uniform_p0.003, batch 64 (64 per rank)" whole.log'
check "reports the switch to stage 2" 'grep -q "stage 2/3, steps 30..60: surface_z_d3_r2_si1000_p0.002, batch 128 (128 per rank)" whole.log'
check "reports the switch to stage 3" 'grep -q "stage 3/3, steps 60..90: surface_x_d3_r2_uniform_p0.003, batch 128 (128 per rank)" whole.log'
check "the held-out set is the last stage's, and says so" \
  '[ "$(grep -c "held-out 500 shots of the last stage" whole.log)" -eq 5 ]'
circuit_of whole.h5 whole.stim
check "final checkpoint: the last stage's circuit (memory X, uniform)" \
  'gen_text --basis x --noise uniform --p 0.003 | cmp -s - whole.stim'
check "final checkpoint: batch 128, next shot 30*(64 + 128 + 128) = 9600" \
  '[ "$(attr whole.h5 batch_size)" = 128 ] && h5dump -d /rng whole.h5 | grep -q ", 9600$"'

"$bin" train cur.yaml --checkpoint mid.h5 --stop-after 45 --quiet 2> mid.log; st=$?
circuit_of mid.h5 mid.stim
check "stopped mid-stage 2 at step 45: exit 0 ($(tail -c 200 mid.log))" '[ $st -eq 0 ] && [ "$(attr mid.h5 step)" = 45 ]'
check "step 45: stage 2's circuit (SI1000 p=0.002, memory Z)" 'gen_text --basis z --noise si1000 --p 0.002 | cmp -s - mid.stim'
check "step 45: the next shot is 30*64 + 15*128 = 3840" 'h5dump -d /rng mid.h5 | grep -q ", 3840$"'
"$bin" train cur.yaml --checkpoint mid.h5 --resume 2> resume.log; st=$?
check "--resume from step 45 exits 0, starting in stage 2" \
  '[ $st -eq 0 ] && grep -q "stage 2/3" resume.log && grep -q "stage 3/3" resume.log && ! grep -q "stage 1/3" resume.log'
check "resumed mid-stage 2: equal to the uninterrupted run in everything h5diff sees ($(h5diff whole.h5 mid.h5 2>&1 | head -c 300))" \
  'h5diff whole.h5 mid.h5 > /dev/null'
"$bin" train cur.yaml --checkpoint edge.h5 --stop-after 60 --quiet 2> /dev/null
circuit_of edge.h5 edge.stim
check "stopped at the basis change (step 60): the checkpoint holds stage 3's circuit" \
  'gen_text --basis x --noise uniform --p 0.003 | cmp -s - edge.stim'
"$bin" train cur.yaml --checkpoint edge.h5 --resume --quiet 2> edge.log; st=$?
check "resumed at the basis change: equal to the uninterrupted run ($(tail -c 200 edge.log; h5diff whole.h5 edge.h5 2>&1 | head -c 300))" \
  '[ $st -eq 0 ] && h5diff whole.h5 edge.h5 > /dev/null'

# Stage 1 is a run without a curriculum: same noise and batch, schedule over 90 steps.
sed -e '/curriculum:/,/basis: x/d' cur.yaml > plain.yaml
"$bin" train cur.yaml --checkpoint s1.h5 --stop-after 30 --quiet 2> /dev/null
"$bin" train plain.yaml --checkpoint plain.h5 --steps 90 --stop-after 30 --quiet 2> plain.log; st=$?
check "the run without a curriculum trains ($(tail -c 200 plain.log))" '[ $st -eq 0 ] && [ "$(attr plain.h5 step)" = 30 ]'
for d in params adam_m adam_v; do
  check "after stage 1, /$d equals the plain run's bit for bit" 'h5diff s1.h5 plain.h5 /$d /$d > /dev/null'
done

# 2. Two ranks: each takes half of every stage's batch.
mpi 2 "$bin" train cur.yaml --checkpoint two.h5 --fixed-order 2> two.log; st=$?
check "2 ranks exit 0 ($(tail -c 300 two.log))" '[ $st -eq 0 ] && [ "$(attr two.h5 step)" = 90 ]'
check "2 ranks: stage 2's batch split (64 per rank)" 'grep -q "stage 2/3.*batch 128 (64 per rank)" two.log'
for d in params adam_m adam_v; do
  diff=$(rel_l2 two.h5 whole.h5 $d)
  check "2 ranks vs 1: /$d relative difference $diff < 1e-5" 'awk -v d="$diff" "BEGIN {exit !(d == d + 0 && d < 1e-5)}"'
done

# 3. Bad curricula.
sed 's/^  batch_size: 64$/  batch_size: 64\n  steps: 100/' cur.yaml > sum.yaml
refused "stage steps 90 != train.steps 100" "sum.yaml:[0-9]*:[0-9]*: train.steps: 100, but the curriculum's stages add up to 90" \
  "$bin" train sum.yaml --checkpoint keep.out
sed 's/{steps: 30}/{steps: 30, batch_size: 63}/' cur.yaml > ranks.yaml
mpi 2 "$bin" train ranks.yaml --checkpoint nobatch.h5 > /dev/null 2> ranks.log; st=$?
check "stage batch 63 on 2 ranks: exit 1, one line naming the stage ($(grep ^qecpipe ranks.log))" \
  '[ $st -eq 1 ] && [ "$(grep -c ^qecpipe ranks.log)" -eq 1 ] && grep -q "ranks.yaml:[0-9]*:[0-9]*: train.curriculum\[0\].batch_size: 63 is not a multiple of the 2 ranks" ranks.log && [ ! -e nobatch.h5 ]'
grep -v 'stabilizer_embedding' cur.yaml > table.yaml
refused "basis change with a table model" "table.yaml:[0-9]*:[0-9]*: train.curriculum\[2\]: the curriculum changes the basis (z -> x), which needs a layout-portable model" \
  "$bin" train table.yaml --checkpoint keep.out
sed 's/{steps: 30, noise: {model: si1000, p: 0.002}/{steps: 30, noise: {model: si1000, p: 0.002, readout: {snr: 5, t1_over_tint: 20}}/' cur.yaml > soft.yaml
refused "soft readout in one stage only" "train.curriculum\[1\].noise: noise.readout in this stage but not in the train section" \
  "$bin" train soft.yaml --checkpoint keep.out
printf 'job: {name: a, seed: 1}\ntrain:\n  archive: somewhere\n  curriculum: [{steps: 10}]\n' > arch.yaml
refused "with train.archive" "arch.yaml:4:15: train.curriculum: not with train.archive" "$bin" train arch.yaml --checkpoint keep.out
refused "--steps with a curriculum" "--steps 50: train.curriculum sets the run's length (90 steps" \
  "$bin" train cur.yaml --steps 50 --checkpoint keep.out

finish
