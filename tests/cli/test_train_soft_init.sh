#!/usr/bin/env bash
# train.init from a detection-event model (one input per stabilizer and round) into a
# soft-readout run (two: the soft detection event and the leakage probability; issue 15):
#  1. The shipped models/nn_d3_z_uniform_layers.h5 (every AlphaQubit layer, H = 16) starts a
#     d=3 memory-Z SI1000 run with soft readout and leakage: exit 0, its checkpoint takes 2
#     features. At learning rate 1e-9 (2 steps: the weights stay as loaded) its held-out LER on
#     soft inputs beats "always no flip" by > 3 standard deviations: the hard model's weights
#     read feature 0 as the detection event. The control: the same run from random weights
#     does not. Through decode, with every p1 rounded to 0/1, the soft model's predictions are
#     the hard model's on the hard events, shot for shot.
#  2. A tiny hard model trained here (2 steps) starts a soft run of the same keys: exit 0.
#  3. Refusals, exit 1 and one line each: a key differs (hidden, named); the soft model as init
#     of a hard run (num_features 2 -> 1); --resume of a soft run from the hard checkpoint.
. "$(dirname "$0")/cli_lib.sh"
models=$here/../../models

cat > soft.yaml <<YAML
job: {name: soft_init, seed: 5}
train:
  code: surface
  distance: 3
  rounds: 3
  basis: z
  noise: {model: si1000, p: 0.003, readout: {snr: 5, t1_over_tint: 20}, leakage: {p: 2e-4, mean_rounds: 5}}
  steps: 2
  batch_size: 32
  learning_rate: 1e-9
  warmup_steps: 1
  hidden: 16
  layers: 2
  heads: 2
  attention_bias: geometric
  stabilizer_embedding: type
  conv_dilations: [1, 2]
  ffn: gated
  readout: lines
  eval_every: 0
  eval_shots: 4000
  checkpoint: soft.h5
YAML

# 1. The shipped hard model starts the soft run.
sed 's/soft.h5/fresh.h5/' soft.yaml > fresh.yaml
echo "  init: $models/nn_d3_z_uniform_layers.h5" >> soft.yaml
"$bin" train soft.yaml > /dev/null 2> soft.log; st=$?
check "train.init of the shipped hard model: exit 0 ($(tail -c 300 soft.log))" '[ $st -eq 0 ] && [ -f soft.h5 ]'
check "the run takes soft inputs: num_features $(attr soft.h5 num_features)" '[ "$(attr soft.h5 num_features)" = 2 ]'
shots=$(attr soft.h5 eval_shots); ler=$(attr soft.h5 eval_ler); noflip=$(attr soft.h5 eval_noflip_ler)
beats='awk -v n="$shots" -v a="$ler" -v b="$noflip" "BEGIN {k=a*n; k0=b*n; exit !(k0 > 0 && k <= k0 - 3*sqrt(k0))}"'
check "held-out soft shots: LER $ler vs no-flip $noflip on $shots shots, > 3 sigma better" "$beats"
"$bin" train fresh.yaml > /dev/null 2> fresh.log; st=$?
shots=$(attr fresh.h5 eval_shots); ler=$(attr fresh.h5 eval_ler); noflip=$(attr fresh.h5 eval_noflip_ler)
check "control, random weights: exit $st, LER $ler vs no-flip $noflip, not better" "[ $st -eq 0 ] && ! $beats"

# Through decode: with every p1 rounded to 0/1 (soft events = hard events) and any leakage
# input, the soft run's model predicts exactly what the hard model predicts from the hard events.
"$bin" gen --basis z --distance 3 --rounds 3 --noise si1000 --p 0.003 --readout snr=5,t1_over_tint=20 --out c.stim
"$bin" simulate --circuit c.stim --shots 4000 --seed 91 --readout snr=5,t1_over_tint=20 --leakage p=2e-4,mean_rounds=5 \
  --out d.b8 --out-format b8 --soft-out s.f32
m=$(( $(stat -c %s s.f32) / 4000 / 8 ))
perl -e 'my ($m) = @ARGV; local $/ = \(8 * $m); while (my $r = <STDIN>) { my @v = unpack("f<*", $r);
  my @p = map { $_ > 0.5 ? 1 : 0 } @v[0 .. $m - 1]; print pack("f<*", @p, @v[$m .. 2 * $m - 1]) }' "$m" < s.f32 > round.f32
"$bin" decode --decoder nn --circuit c.stim --model "$models/nn_d3_z_uniform_layers.h5" --in d.b8 --out p_hard.01 2> dec.log
"$bin" decode --decoder nn --circuit c.stim --model soft.h5 --in d.b8 --soft-in round.f32 --out p_round.01 2>> dec.log
n=$(paste -d' ' p_hard.01 p_round.01 | awk '$1 != $2 {n++} END {print n + 0}')
check "rounded soft inputs: $n of $(wc -l < p_round.01) predictions differ from the hard model's ($(head -c 200 dec.log))" \
  '[ "$(wc -l < p_round.01)" -eq 4000 ] && [ "$n" -eq 0 ]'

# 2. A tiny hard model trained here starts a soft run of its keys.
cat > hard.yaml <<'YAML'
job: {name: hard_tiny, seed: 2}
train:
  code: surface
  distance: 3
  rounds: 3
  basis: z
  noise: {model: si1000, p: 0.003}
  steps: 2
  batch_size: 16
  warmup_steps: 1
  hidden: 8
  layers: 1
  heads: 2
  eval_every: 0
  eval_shots: 100
  checkpoint: hard.h5
YAML
"$bin" train hard.yaml > /dev/null 2> hard.log; st=$?
check "tiny hard model: exit 0, num_features $(attr hard.h5 num_features) ($(tail -c 200 hard.log))" \
  '[ $st -eq 0 ] && [ "$(attr hard.h5 num_features)" = 1 ]'
sed -e 's/name: hard_tiny/name: soft_tiny/' -e 's/p: 0.003}/p: 0.003, readout: {snr: 5, t1_over_tint: 20}, leakage: {p: 2e-4, mean_rounds: 5}}/' \
    -e 's/hard.h5/tiny_soft.h5/' hard.yaml > tiny_soft.yaml
cp tiny_soft.yaml tiny_soft_resume.yaml
echo "  init: hard.h5" >> tiny_soft.yaml
"$bin" train tiny_soft.yaml > /dev/null 2> tiny_soft.log; st=$?
check "train.init of the tiny hard model: exit 0, num_features $(attr tiny_soft.h5 num_features) ($(tail -c 200 tiny_soft.log))" \
  '[ $st -eq 0 ] && [ "$(attr tiny_soft.h5 num_features)" = 2 ]'

# 3. Refusals.
one_line() {  # NAME LOG PATTERN: exit 1 ($st), one line matching PATTERN
  check "$1: exit 1, one line ($(head -c 300 "$2"))" "[ $st -eq 1 ] && [ \"\$(wc -l < $2)\" -eq 1 ] && grep -q -- '$3' $2"
}
sed -e 's/hidden: 16/hidden: 8/' -e 's/soft.h5/bad.h5/' soft.yaml > bad.yaml
"$bin" train bad.yaml > /dev/null 2> bad.log; st=$?
one_line "another hidden" bad.log "does not fit this config: hidden: checkpoint 16, config 8"
sed -e 's/hard.h5/hard2.h5/' hard.yaml > hard2.yaml
echo "  init: tiny_soft.h5" >> hard2.yaml
"$bin" train hard2.yaml > /dev/null 2> hard2.log; st=$?
one_line "a soft model into a hard run" hard2.log "does not fit this config: num_features: checkpoint 2, config 1"
sed -i 's/tiny_soft.h5/resumed.h5/' tiny_soft_resume.yaml
cp hard.h5 resumed.h5
"$bin" train tiny_soft_resume.yaml --resume > /dev/null 2> resume.log; st=$?
one_line "--resume of a soft run from a hard checkpoint" resume.log "num_features: checkpoint 1, config 2"

finish
