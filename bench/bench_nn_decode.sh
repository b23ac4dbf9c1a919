#!/usr/bin/env bash
# Neural-decoder inference through `qecpipe decode`, side by side with mwpm on the same shots,
# one JSON line per (distance, decoder):
#   decode_speed  CPU microseconds per round per shot (user + system time of the decode
#                 command, so shared cores do not inflate it), d=3 and d=5, 10 rounds, memory X,
#                 uniform p=0.005. Fixed costs (start-up, model and DEM loading) cancel:
#                 per shot = (T(N2) - T(N1)) / (N2 - N1).
# The nn model has the shipped models' size (H=16, L=2, 2 heads; speed does not depend on the
# weights, so a 1-step model serves for d=5, where none is shipped).
# Usage: bench/bench_nn_decode.sh [N1 N2]   (defaults 2000 and 12000). Not a test.
set -euo pipefail
n1=${1:-2000} n2=${2:-12000}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${QECPIPE_BIN:-$here/build/qecpipe}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cpu() { /usr/bin/time -f "%U %S" -o t.txt "$@" > /dev/null; awk '{print $1 + $2}' t.txt; }
rounds=10
for d in 3 5; do
  "$bin" gen --basis x --distance $d --rounds $rounds --noise uniform --p 0.005 --out c$d.stim
  cat > m$d.yaml <<YAML
job: {name: speed, seed: 1}
train:
  circuit: c$d.stim
  steps: 1
  batch_size: 8
  warmup_steps: 0
  hidden: 16
  layers: 2
  heads: 2
  eval_every: 0
  checkpoint_every: 0
  checkpoint: m$d.h5
YAML
  "$bin" train m$d.yaml --quiet 2> /dev/null
  for n in $n1 $n2; do
    "$bin" simulate --circuit c$d.stim --shots $n --seed 5 --out s$n.b8 --out-format b8 --obs-out o$n.b8 --obs-out-format b8
  done
  for dec in nn mwpm; do
    extra=(); [ $dec = nn ] && extra=(--model m$d.h5)
    t1=$(cpu "$bin" decode --circuit c$d.stim --in s$n1.b8 --obs-in o$n1.b8 --decoder $dec "${extra[@]}")
    t2=$(cpu "$bin" decode --circuit c$d.stim --in s$n2.b8 --obs-in o$n2.b8 --decoder $dec "${extra[@]}")
    us=$(awk -v a="$t1" -v b="$t2" -v n=$((n2 - n1)) -v r=$rounds 'BEGIN {printf "%.3f", (b - a) / n / r * 1e6}')
    echo "{\"bench\":\"nn_decode\",\"figure\":\"decode_speed\",\"d\":$d,\"rounds\":$rounds,\"p\":0.005,\"decoder\":\"$dec\",\"model\":\"$([ $dec = nn ] && echo H16 L2 heads2 || echo -)\",\"shots\":[$n1,$n2],\"cpu_us_per_round_per_shot\":$us}"
  done
done
