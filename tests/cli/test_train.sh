#!/usr/bin/env bash
# qecpipe train end to end under mpirun -n 2:
#  1. d=3, 3-round memory-X surface code, uniform p=0.005: the training loss falls (last 20
#     steps below 0.6 x the first 20) and on 4,000 held-out shots the decoder beats "always
#     predict no flip" by more than 3 standard deviations: k_nn <= k0 - 3 sqrt(k0), k0 being
#     the no-flip decoder's mistakes (if the net were no better, k_nn would scatter around k0
#     with a binomial standard deviation below sqrt(k0)). The figures come from the
#     checkpoint's attributes and agree with the last stderr line.
#  2. SIGTERM to the ranks mid-run (as Slurm sends it): exit 0, a valid checkpoint at the step
#     reached (complete = 0), no .partial left; --resume finishes, and with --fixed-order the
#     final weights and Adam moments equal an uninterrupted run's bit for bit.
#  3. Bad input: a bad config, a config without a train section, --resume with no checkpoint:
#     exit 1 with one line; unknown flag: exit 2.
. "$(dirname "$0")/cli_lib.sh"

cat > learn.yaml <<'YAML'
job:
  name: learn
  seed: 1
train:
  code: surface
  distance: 3
  rounds: 3
  basis: x
  noise: {model: uniform, p: 0.005}
  steps: 600
  batch_size: 64
  learning_rate: 3e-3
  warmup_steps: 30
  hidden: 32
  layers: 1
  heads: 4
  eval_every: 200
  eval_shots: 4000
  checkpoint_every: 300
  checkpoint: learn.h5
YAML

# 1. Learning.
mpirun --oversubscribe -n 2 "$bin" train learn.yaml > out.txt 2> err.txt; st=$?
check "train exits 0 ($(tail -c 300 err.txt))" '[ $st -eq 0 ] && [ -f learn.h5 ] && [ ! -e learn.h5.partial ]'
cat err.txt
done_line=$(grep 'qecpipe train: done:' err.txt)
check "a final summary line" '[ -n "$done_line" ]'
loss_first=$(echo "$done_line" | sed -n 's/.* loss \([0-9.]*\) -> \([0-9.]*\),.*/\1/p')
loss_last=$(echo "$done_line" | sed -n 's/.* loss \([0-9.]*\) -> \([0-9.]*\),.*/\2/p')
check "loss falls: $loss_first -> $loss_last" 'awk -v a="$loss_first" -v b="$loss_last" "BEGIN {exit !(a > 0 && b < 0.6 * a)}"'
shots=$(attr learn.h5 eval_shots); ler=$(attr learn.h5 eval_ler); noflip=$(attr learn.h5 eval_noflip_ler)
step=$(attr learn.h5 step); complete=$(attr learn.h5 complete)
check "checkpoint attributes: step $step complete $complete shots $shots" '[ "$step" = 600 ] && [ "$complete" = 1 ] && [ "$shots" = 4000 ]'
check "stderr and attributes agree on the LER ($ler)" 'echo "$done_line" | grep -q "LER $(printf %.4f "$ler")"'
check "held-out: nn LER $ler vs no-flip $noflip on $shots shots, > 3 sigma better" \
  'awk -v n="$shots" -v a="$ler" -v b="$noflip" "BEGIN {k=a*n; k0=b*n; exit !(k0 > 0 && k <= k0 - 3*sqrt(k0))}"'

# The trained model through `qecpipe decode --decoder nn` on fresh shots of the same circuit:
# clearly better than always predicting "no flip" (3 sigma), and a model of another basis is
# refused with one line.
"$bin" gen --basis x --distance 3 --rounds 3 --noise uniform --p 0.005 --out g.stim
"$bin" simulate --circuit g.stim --shots 4096 --seed 99 --out g.b8 --out-format b8 --obs-out go.b8 --obs-out-format b8
line=$("$bin" decode --circuit g.stim --in g.b8 --obs-in go.b8 --decoder nn --model learn.h5); st=$?
nn_errors=$(echo "$line" | awk '{print $4}')
flips=$(od -An -tu1 -v go.b8 | tr -s ' ' '\n' | awk '$1 != "" && $1 != 0 {n++} END {print n+0}')
check "decode --decoder nn: $nn_errors mistakes vs $flips flips (no-flip), > 3 sigma better" \
  '[ $st -eq 0 ] && awk -v k="$nn_errors" -v k0="$flips" "BEGIN {exit !(k0 > 0 && k <= k0 - 3*sqrt(k0))}"'
"$bin" gen --basis z --distance 3 --rounds 3 --noise uniform --p 0.005 --out gz.stim
"$bin" decode --circuit gz.stim --in g.b8 --obs-in go.b8 --decoder nn --model learn.h5 > /dev/null 2> nnz.log; st=$?
check "decode --decoder nn refuses a memory-Z circuit for a memory-X model: exit 1, one line" \
  '[ $st -eq 1 ] && [ "$(wc -l < nnz.log)" -eq 1 ]'

# Without --model, decode picks the listed model that covers the circuit (QECPIPE_MODELS
# stands in for models/): the same predictions as naming it; a circuit no model covers (other
# p, other basis) is refused with one line that lists the models.
mkdir -p shipped && cp learn.h5 shipped/ && printf '# test\nlearn.h5\tuniform\t0.004\t0.006\tthe test model\n' > shipped/MODELS.tsv
picked=$(QECPIPE_MODELS=$PWD/shipped "$bin" decode --circuit g.stim --in g.b8 --obs-in go.b8 --decoder nn); st=$?
check "decode --decoder nn without --model picks the covering model: '$picked' = '$line'" '[ $st -eq 0 ] && [ "$picked" = "$line" ]'
"$bin" gen --basis x --distance 3 --rounds 3 --noise uniform --p 0.001 --out g1.stim
QECPIPE_MODELS=$PWD/shipped "$bin" decode --circuit g1.stim --in g.b8 --obs-in go.b8 --decoder nn > /dev/null 2> pick.log; st=$?
check "no model covers p=0.001: exit 1, one line listing the models ($(cat pick.log))" \
  '[ $st -eq 1 ] && [ "$(wc -l < pick.log)" -eq 1 ] && grep -q "p = 0.001.*learn.h5 (the test model)" pick.log'
QECPIPE_MODELS=$PWD/shipped "$bin" decode --circuit gz.stim --in g.b8 --obs-in go.b8 --decoder nn > /dev/null 2> pick.log; st=$?
check "no model covers memory Z: exit 1, one line" '[ $st -eq 1 ] && [ "$(wc -l < pick.log)" -eq 1 ] && grep -q "no shipped nn model covers" pick.log'

# 2. SIGTERM and resume (a small model, fixed-order all-reduce for a bitwise comparison).
cat > term.yaml <<'YAML'
job:
  name: term
  seed: 9
train:
  code: surface
  distance: 3
  rounds: 2
  basis: z
  noise: {model: uniform, p: 0.01}
  steps: 1500
  batch_size: 16
  learning_rate: 2e-3
  warmup_steps: 10
  hidden: 16
  layers: 1
  heads: 2
  eval_every: 20
  eval_shots: 200
  checkpoint_every: 0
  checkpoint: term.h5
YAML
mpirun --oversubscribe -n 2 "$bin" train term.yaml --fixed-order --checkpoint whole.h5 --quiet 2> whole.log; st=$?
check "uninterrupted run exits 0 ($(tail -c 200 whole.log))" '[ $st -eq 0 ] && [ -f whole.h5 ]'
mpirun --oversubscribe -n 2 "$bin" train term.yaml --fixed-order > /dev/null 2> term.log &
job=$!
for _ in $(seq 1 600); do grep -q 'step 40/' term.log 2>/dev/null && break; sleep 0.05; done
ranks=$(pgrep -P "$job")
check "two rank processes to signal ($ranks)" '[ $(echo $ranks | wc -w) -eq 2 ]'
[ -n "$ranks" ] && kill -TERM $ranks
wait "$job"; st=$?
cat term.log | tail -2
check "SIGTERM: exit 0 ($st)" '[ $st -eq 0 ]'
check "SIGTERM: says where it stopped" 'grep -q "stopped at step [0-9]* of 1500" term.log'
tstep=$(attr term.h5 step); tcomplete=$(attr term.h5 complete)
check "SIGTERM: valid checkpoint at step $tstep (complete $tcomplete)" \
  '[ -f term.h5 ] && [ ! -e term.h5.partial ] && [ "$tcomplete" = 0 ] && [ "$tstep" -ge 40 ] && [ "$tstep" -lt 1500 ]'
mpirun --oversubscribe -n 2 "$bin" train term.yaml --fixed-order --resume --quiet 2> resume.log; st=$?
check "--resume exits 0 ($(tail -c 200 resume.log))" '[ $st -eq 0 ]'
check "--resume finished: step $(attr term.h5 step)" '[ "$(attr term.h5 step)" = 1500 ] && [ "$(attr term.h5 complete)" = 1 ]'
for d in params adam_m adam_v; do
  check "resumed /$d equals the uninterrupted run's bit for bit" 'h5diff whole.h5 term.h5 /$d /$d > /dev/null'
done
# Everything h5diff sees, attributes included: train_loss averages the last 20 steps, which
# straddle the interruption when it comes 10 steps before the end (--stop-after).
check "resumed file equals the uninterrupted run's, attributes included ($(h5diff whole.h5 term.h5 2>&1 | head -c 200))" \
  'h5diff whole.h5 term.h5 > /dev/null'
sed 's/steps: 1500/steps: 60/' term.yaml > late.yaml
mpirun --oversubscribe -n 2 "$bin" train late.yaml --fixed-order --checkpoint late_whole.h5 --quiet 2> /dev/null
mpirun --oversubscribe -n 2 "$bin" train late.yaml --fixed-order --checkpoint late.h5 --stop-after 50 --quiet 2> /dev/null
mpirun --oversubscribe -n 2 "$bin" train late.yaml --fixed-order --checkpoint late.h5 --resume --quiet 2> /dev/null; st=$?
check "stopped 10 steps before the end and resumed: equal to uninterrupted in everything h5diff sees ($(h5diff late_whole.h5 late.h5 2>&1 | head -c 300))" \
  '[ $st -eq 0 ] && [ "$(attr late.h5 step)" = 60 ] && h5diff late_whole.h5 late.h5 > /dev/null'
# --resume on a complete checkpoint: a no-op with a message, the file untouched.
sum=$(md5sum < term.h5)
mpirun --oversubscribe -n 2 "$bin" train term.yaml --fixed-order --resume 2> again.log; st=$?
check "--resume on a complete checkpoint: exit 0, says so, file untouched, its claim released ($(tail -c 200 again.log))" \
  '[ $st -eq 0 ] && grep -q "nothing to resume" again.log && [ "$(md5sum < term.h5)" = "$sum" ] && [ "$(attr term.h5 train_loss)" != nan ] && [ ! -e term.h5.partial.lock ]'

# 3. Errors.
sed 's/hidden: 16/hidden: 15/' term.yaml > bad.yaml
"$bin" train bad.yaml > /dev/null 2> bad.log; st=$?
check "bad config: exit 1, one line naming the file ($(cat bad.log))" \
  '[ $st -eq 1 ] && [ $(wc -l < bad.log) -eq 1 ] && grep -q "^qecpipe train: .*bad.yaml:" bad.log'
printf 'job:\n  name: x\n  seed: 1\nexperiments:\n  - {code: surface, distance: 3, rounds: 3, basis: x, noise: {model: uniform, p: 0.01}, decoders: [mwpm], max_shots: 10}\n' > notrain.yaml
"$bin" train notrain.yaml > /dev/null 2> notrain.log; st=$?
check "no train section: exit 1, one line ($(cat notrain.log))" '[ $st -eq 1 ] && [ $(wc -l < notrain.log) -eq 1 ]'
"$bin" train term.yaml --resume --checkpoint nothing.h5 > /dev/null 2> noresume.log; st=$?
check "--resume without a checkpoint: exit 1, one line ($(cat noresume.log))" \
  '[ $st -eq 1 ] && [ $(wc -l < noresume.log) -eq 1 ] && grep -q nothing.h5 noresume.log && [ ! -e nothing.h5 ]'
"$bin" train term.yaml --bogus > /dev/null 2> usage.log; st=$?
check "unknown flag: exit 2" '[ $st -eq 2 ] && [ $(wc -l < usage.log) -eq 1 ]'
"$bin" train > /dev/null 2>&1; st=$?
check "no config: exit 2" '[ $st -eq 2 ]'

finish
