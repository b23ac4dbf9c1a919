#!/usr/bin/env bash
# Neural-decoder inference through `qecpipe decode`, side by side with mwpm on the same shots,
# one JSON line per (distance, decoder, model):
#   decode_speed  CPU microseconds per round per shot (user + system time of the decode
#                 command, so shared cores do not inflate it), d=3 and d=5, 10 rounds, memory X,
#                 uniform p=0.005. Fixed costs (start-up, model and DEM loading) cancel:
#                 per shot = (T(N2) - T(N1)) / (N2 - N1); best of REPEAT runs of each command.
# Models (speed does not depend on the weights, so 1-step models of each shape serve):
#   plain16   H=16, L=2, 2 heads: the shipped d=3 models' shape
#   layers16  the same with every AlphaQubit layer (geometric attention bias, per-type
#             stabilizer embedding, convolutions with dilations 1 and 2, gated FFN, line readout)
#   layers32  layers16 at H=32 (d=5 only)
# Usage: bench/bench_nn_decode.sh [N1 N2 [REPEAT]]   (defaults 2000 12000 3). Not a test.
# QECPIPE_BIN selects the binary (e.g. an older build, for before/after).
set -euo pipefail
n1=${1:-2000} n2=${2:-12000} repeat=${3:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${QECPIPE_BIN:-$here/build/qecpipe}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cpu() { /usr/bin/time -f "%U %S" -o t.txt "$@" > /dev/null; awk '{print $1 + $2}' t.txt; }
best() {  # best (least) CPU seconds of $repeat runs of the command
  local b='' t
  for ((i = 0; i < repeat; i++)); do
    t=$(cpu "$@")
    b=$(awk -v a="$b" -v t="$t" 'BEGIN {print (a == "" || t < a) ? t : a}')
  done
  echo "$b"
}
rounds=10
layers='  attention_bias: geometric
  stabilizer_embedding: type
  conv_dilations: [1, 2]
  ffn: gated
  readout: lines'
for d in 3 5; do
  "$bin" gen --basis x --distance $d --rounds $rounds --noise uniform --p 0.005 --out c$d.stim
  models="plain16 layers16"; [ $d = 5 ] && models="plain16 layers16 layers32"
  for m in $models; do
    h=${m//[a-z]/}
    cat > $m.yaml <<YAML
job: {name: speed, seed: 1}
train:
  circuit: c$d.stim
  steps: 1
  batch_size: 8
  warmup_steps: 0
  hidden: $h
  layers: 2
  heads: 2
$([ "${m#layers}" != "$m" ] && echo "$layers")
  eval_every: 0
  checkpoint_every: 0
  checkpoint: $m-d$d.h5
YAML
    "$bin" train $m.yaml --quiet 2> /dev/null
  done
  for n in $n1 $n2; do
    "$bin" simulate --circuit c$d.stim --shots $n --seed 5 --out s$n.b8 --out-format b8 --obs-out o$n.b8 --obs-out-format b8
  done
  for dm in mwpm $(for m in $models; do echo nn:$m; done); do
    dec=${dm%%:*} m=${dm#*:} extra=()
    [ $dec = nn ] && extra=(--model $m-d$d.h5) || m=-
    t1=$(best "$bin" decode --circuit c$d.stim --in s$n1.b8 --obs-in o$n1.b8 --decoder $dec "${extra[@]}")
    t2=$(best "$bin" decode --circuit c$d.stim --in s$n2.b8 --obs-in o$n2.b8 --decoder $dec "${extra[@]}")
    us=$(awk -v a="$t1" -v b="$t2" -v n=$((n2 - n1)) -v r=$rounds 'BEGIN {printf "%.3f", (b - a) / n / r * 1e6}')
    echo "{\"bench\":\"nn_decode\",\"figure\":\"decode_speed\",\"d\":$d,\"rounds\":$rounds,\"p\":0.005,\"decoder\":\"$dec\",\"model\":\"$m\",\"shots\":[$n1,$n2],\"repeat\":$repeat,\"cpu_us_per_round_per_shot\":$us}"
  done
done
