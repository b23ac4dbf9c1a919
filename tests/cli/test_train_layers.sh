#!/usr/bin/env bash
# The opt-in AlphaQubit layers end to end (qecpipe train, checkpoint, decode):
#  1. d=3, 3-round memory-X, uniform p=0.005, with every opt-in layer (geometric attention
#     bias, per-type embedding, convolutions with dilations 1 and 2, gated FFN, line readout):
#     it learns (loss falls below 0.7 x its start; the held-out LER beats "always no flip" by
#     more than 3 standard deviations, as in test_train.sh), the checkpoint records the
#     architecture (version 2 and its attributes), and `decode --decoder nn` rebuilds it:
#     decode's mistakes on the held-out shots equal the checkpoint's eval_ler x eval_shots
#     within 3 sqrt(k) (different shots, same model: statistics, not equality).
#  2. The same model decodes a d=5 circuit (its parameters do not depend on the distance):
#     exit 0, one prediction per shot, and starts a d=5 training run (train.init). A model
#     with the free bias table refuses both.
#  3. Depth: the L=1 model starts an L=2 run (train.init, the new layer appended as the
#     identity; with another aux_weight, 0.1, which the checkpoint records): after one step
#     at learning rate 1e-20 its predictions on the d=3 shots equal the model's, shot for
#     shot, while the same step from random weights differs. A model of more layers than the
#     run's is refused (exit 1, naming `layers`). Width: the H=16 model (2 heads) starts an H=32
#     run with 4 heads (each unit becomes two copies that compute what it did): after the same
#     step its predictions differ from the model's on at most 2 of the 4,000 shots (float
#     rounding at probability 1/2; the random-weight control differs on hundreds), the
#     checkpoint says hidden 32; an H=32 run that keeps 2 heads is refused (exit 1, naming heads).
#  4. Bad values: `ffn: fancy`, `conv_dilations: [0]`: exit 1, one line naming the key.
. "$(dirname "$0")/cli_lib.sh"

cat > layers.yaml <<'YAML'
job:
  name: layers
  seed: 1
train:
  code: surface
  distance: 3
  rounds: 3
  basis: x
  noise: {model: uniform, p: 0.005}
  steps: 400
  batch_size: 64
  learning_rate: 3e-3
  warmup_steps: 30
  hidden: 16
  layers: 1
  heads: 2
  attention_bias: geometric
  attention_bias_radius: 3
  stabilizer_embedding: type
  conv_dilations: [1, 2]
  ffn: gated
  readout: lines
  eval_every: 0
  eval_shots: 4000
  checkpoint: layers.h5
YAML

# 1. Learning, the recorded architecture, decode.
"$bin" train layers.yaml > out.txt 2> err.txt; st=$?
check "train exits 0 ($(tail -c 300 err.txt))" '[ $st -eq 0 ] && [ -f layers.h5 ]'
done_line=$(grep 'qecpipe train: done:' err.txt)
loss_first=$(echo "$done_line" | sed -n 's/.* loss \([0-9.]*\) -> \([0-9.]*\),.*/\1/p')
loss_last=$(echo "$done_line" | sed -n 's/.* loss \([0-9.]*\) -> \([0-9.]*\),.*/\2/p')
check "loss falls: $loss_first -> $loss_last" 'awk -v a="$loss_first" -v b="$loss_last" "BEGIN {exit !(a > 0 && b < 0.7 * a)}"'
shots=$(attr layers.h5 eval_shots); ler=$(attr layers.h5 eval_ler); noflip=$(attr layers.h5 eval_noflip_ler)
check "held-out: nn LER $ler vs no-flip $noflip on $shots shots, > 3 sigma better" \
  'awk -v n="$shots" -v a="$ler" -v b="$noflip" "BEGIN {k=a*n; k0=b*n; exit !(k0 > 0 && k <= k0 - 3*sqrt(k0))}"'
sattr() { h5dump -a "/$2" "$1" 2>/dev/null | awk -F'"' '/\(0\):/ {print $2; exit}'; }
arch="$(attr layers.h5 version) $(sattr layers.h5 attention_bias) $(attr layers.h5 attention_bias_radius) $(sattr layers.h5 stabilizer_embedding) $(sattr layers.h5 conv_dilations) $(sattr layers.h5 ffn) $(sattr layers.h5 readout)"
check "checkpoint records the architecture: $arch" '[ "$arch" = "2 geometric 3 type 1,2 gated lines" ]'

"$bin" gen --basis x --distance 3 --rounds 3 --noise uniform --p 0.005 --out c3.stim
"$bin" gen --basis x --distance 5 --rounds 5 --noise uniform --p 0.005 --out c5.stim
for d in 3 5; do
  "$bin" simulate --circuit c$d.stim --shots 4000 --seed 77 --out d$d.b8 --out-format b8 --obs-out o$d.b8 --obs-out-format b8
done
"$bin" decode --decoder nn --circuit c3.stim --model layers.h5 --in d3.b8 --obs-in o3.b8 > dec3.txt 2>&1; st=$?
k=$(awk '/errors/ {print $4}' dec3.txt)
check "decode rebuilds the model: $k mistakes vs eval $ler x $shots ($(cat dec3.txt))" \
  '[ $st -eq 0 ] && awk -v k="$k" -v a="$ler" -v n="$shots" "BEGIN {e=a*n; exit !(k != \"\" && (k-e)^2 <= 9*(e+k))}"'

# 2. The same parameters at d=5.
"$bin" decode --decoder nn --circuit c5.stim --model layers.h5 --in d5.b8 --out p5.01 > dec5.txt 2>&1; st=$?
check "d=3 model decodes d=5: exit 0, 4000 predictions ($(cat dec5.txt))" '[ $st -eq 0 ] && [ "$(wc -l < p5.01)" -eq 4000 ]'
"$bin" gen --basis z --distance 5 --rounds 5 --noise uniform --p 0.005 --out z5.stim
"$bin" decode --decoder nn --circuit z5.stim --model layers.h5 --in d5.b8 --out z5.01 > z5.txt 2>&1; st=$?
check "the memory-X model refuses a memory-Z d=5 circuit: exit 1, one line ($(cat z5.txt))" \
  '[ $st -eq 1 ] && [ "$(wc -l < z5.txt)" -eq 1 ] && grep -q "memory basis" z5.txt'
sed -e 's/attention_bias: geometric/attention_bias: table/' -e 's/ steps: 400/ steps: 2/' -e 's/warmup_steps: 30/warmup_steps: 1/' -e 's/layers.h5/table.h5/' layers.yaml > table.yaml
"$bin" train table.yaml > /dev/null 2>&1
"$bin" decode --decoder nn --circuit c5.stim --model table.h5 --in d5.b8 --out q5.01 > tab5.txt 2>&1; st=$?
check "a free-table model refuses d=5: exit 1, one line ($(cat tab5.txt))" \
  '[ $st -eq 1 ] && [ "$(wc -l < tab5.txt)" -eq 1 ] && grep -q "stabilizers" tab5.txt'

# ... and start a d=5 training run (train.init), which a free-table model cannot.
sed -e 's/distance: 3/distance: 5/' -e 's/rounds: 3/rounds: 2/' -e 's/ steps: 400/ steps: 2/' -e 's/warmup_steps: 30/warmup_steps: 1/' \
    -e 's/eval_shots: 4000/eval_shots: 100/' -e 's/layers.h5/fine5.h5/' layers.yaml > fine5.yaml
echo "  init: layers.h5" >> fine5.yaml
"$bin" train fine5.yaml > /dev/null 2> fine5.log; st=$?
check "train.init: the d=3 model starts a d=5 run ($(tail -c 200 fine5.log))" '[ $st -eq 0 ] && [ -f fine5.h5 ]'
sed -e 's/attention_bias: geometric/attention_bias: table/' -e 's/layers.h5/table.h5/' -e 's/fine5.h5/tfine5.h5/' fine5.yaml > tfine5.yaml
"$bin" train tfine5.yaml > /dev/null 2> tfine5.log; st=$?
check "train.init: a free-table d=3 model does not fit d=5: exit 1 ($(tail -c 200 tfine5.log))" '[ $st -eq 1 ] && grep -q "does not fit" tfine5.log'

# 3. Depth.
sed -e 's/layers: 1/layers: 2/' -e 's/ steps: 400/ steps: 1/' -e 's/warmup_steps: 30/warmup_steps: 1/' \
    -e 's/learning_rate: 3e-3/learning_rate: 1e-20/' -e 's/eval_shots: 4000/eval_shots: 100/' -e 's/layers.h5/deep.h5/' layers.yaml > deep.yaml
sed 's/deep.h5/fresh.h5/' deep.yaml > fresh.yaml
printf '  aux_weight: 0.1\n  init: layers.h5\n' >> deep.yaml
"$bin" train deep.yaml > /dev/null 2> deep.log; st=$?
check "train.init into 2 layers: exit 0, layers $(attr deep.h5 layers), aux_weight $(attr deep.h5 aux_weight) ($(tail -c 200 deep.log))" \
  '[ $st -eq 0 ] && [ "$(attr deep.h5 layers)" = 2 ] && awk -v a="$(attr deep.h5 aux_weight)" "BEGIN {exit !(a > 0.0999 && a < 0.1001)}"'
"$bin" train fresh.yaml > /dev/null 2>&1
for m in deep fresh; do "$bin" decode --decoder nn --circuit c3.stim --model $m.h5 --in d3.b8 --out $m.01 > /dev/null 2>&1; done
"$bin" decode --decoder nn --circuit c3.stim --model layers.h5 --in d3.b8 --out one.01 > /dev/null 2>&1
check "the 2-layer run starts from the 1-layer model's predictions ($(cmp deep.01 one.01 2>&1))" '[ -s one.01 ] && cmp -s deep.01 one.01'
check "control: the same step from random weights predicts otherwise" '[ -s fresh.01 ] && ! cmp -s fresh.01 one.01'
sed -e 's/layers: 2/layers: 1/' -e 's/deep.h5/shallow.h5/' -e 's/init: layers.h5/init: deep.h5/' deep.yaml > shallow.yaml
"$bin" train shallow.yaml > /dev/null 2> shallow.log; st=$?
check "a 2-layer model does not start a 1-layer run: exit 1, one line ($(cat shallow.log))" \
  '[ $st -eq 1 ] && [ "$(wc -l < shallow.log)" -eq 1 ] && grep -q "does not fit this config: layers: checkpoint 2, config 1" shallow.log'

wide() { sed -e 's/hidden: 16/hidden: 32/' -e "s/heads: 2/heads: $1/" -e 's/deep.h5/wide.h5/' -e 's/layers: 2/layers: 1/' \
    -e 's/aux_weight: 0.1/aux_weight: 0.5/' deep.yaml > wide.yaml; }
wide 4
"$bin" train wide.yaml > /dev/null 2> wide.log; st=$?
"$bin" decode --decoder nn --circuit c3.stim --model wide.h5 --in d3.b8 --out wide.01 > /dev/null 2>&1
ndiff=$(cmp -l wide.01 one.01 2>/dev/null | wc -l); nfresh=$(cmp -l fresh.01 one.01 2>/dev/null | wc -l)
check "train.init into H=32: exit 0, hidden $(attr wide.h5 hidden), heads $(attr wide.h5 heads); $ndiff predictions differ from the H=16 model's, $nfresh from random weights ($(tail -c 200 wide.log))" \
  '[ $st -eq 0 ] && [ "$(attr wide.h5 hidden)" = 32 ] && [ "$(attr wide.h5 heads)" = 4 ] && [ -s wide.01 ] && [ "$ndiff" -le 2 ] && [ "$nfresh" -gt 100 ]'
wide 2
"$bin" train wide.yaml > /dev/null 2> wide2.log; st=$?
check "an H=32 run with the model's 2 heads is refused: exit 1, one line ($(cat wide2.log))" \
  '[ $st -eq 1 ] && [ "$(wc -l < wide2.log)" -eq 1 ] && grep -q "heads: a model of hidden 16 with 2 heads widens to hidden 32 with 4 heads" wide2.log'

# 4. Bad values.
sed 's/ffn: gated/ffn: fancy/' layers.yaml > bad1.yaml
"$bin" train bad1.yaml > /dev/null 2> bad1.log; st=$?
check "ffn: fancy: exit 1, one line ($(cat bad1.log))" '[ $st -eq 1 ] && [ "$(wc -l < bad1.log)" -eq 1 ] && grep -q "train.ffn" bad1.log'
sed 's/conv_dilations: \[1, 2\]/conv_dilations: [0]/' layers.yaml > bad2.yaml
"$bin" train bad2.yaml > /dev/null 2> bad2.log; st=$?
check "conv_dilations: [0]: exit 1, one line ($(cat bad2.log))" '[ $st -eq 1 ] && [ "$(wc -l < bad2.log)" -eq 1 ] && grep -q "train.conv_dilations" bad2.log'

finish
