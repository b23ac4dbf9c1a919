#!/usr/bin/env bash
# Benchmark of `qecpipe train` (data-parallel training over MPI ranks), one JSON line per figure:
#   train_throughput  training samples/s per rank and the all-reduce share of step time, on 1
#                     and 2 ranks (d=3 r=3 memory Z, uniform p=0.005, H=32 L=2, global batch
#                     128; shots sampled on the fly; evaluation excluded from the timing)
#   train_vs_mwpm     a decoder trained for STEPS steps on 2 ranks: its LER on EVAL held-out
#                     shots next to our MWPM's on exactly the same shots (re-sampled with
#                     `qecpipe simulate` from the checkpoint's /circuit and /rng stream ids)
# Usage: bench/bench_train.sh [STEPS] [EVAL]   (defaults 4000 and 100000; QECPIPE_BIN or
#        build/qecpipe). Not a test: no assertions. A shell script because it drives the
#        qecpipe binary under mpirun (bench_*.c programs link only the worker libraries).
# Needs mpirun, h5dump.
set -euo pipefail
steps=${1:-4000}
eval_shots=${2:-100000}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${QECPIPE_BIN:-$here/build/qecpipe}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

config() {  # config STEPS EVAL_SHOTS EVAL_EVERY
  cat <<YAML
job:
  name: bench_train
  seed: 7
train:
  code: surface
  distance: 3
  rounds: 3
  basis: z
  noise: {model: uniform, p: 0.005}
  steps: $1
  batch_size: 128
  learning_rate: 2e-3
  warmup_steps: 50
  hidden: 32
  layers: 2
  heads: 4
  eval_every: $3
  eval_shots: $2
  checkpoint_every: 0
  checkpoint: model.h5
YAML
}

# The "done:" line's figures: samples/s/rank and the all-reduce share.
figures() { sed -n 's/.*, \([0-9.]*\) samples\/s\/rank, all-reduce \([0-9.]*\)% of step time.*/\1 \2/p' "$1"; }

config 300 100 0 > tp.yaml
for n in 1 2; do
  mpirun --oversubscribe -n $n "$bin" train tp.yaml --checkpoint tp$n.h5 2> tp$n.log
  read -r sps share < <(figures tp$n.log)
  echo "{\"bench\":\"train_throughput\",\"ranks\":$n,\"batch_per_rank\":$((128 / n)),\"steps\":300,\"samples_per_s_per_rank\":$sps,\"allreduce_share\":$(awk -v s="$share" 'BEGIN {print s / 100}'),\"model\":\"H32 L2 d3 r3\"}"
done

config "$steps" "$eval_shots" 0 > ler.yaml
start=$(date +%s)
mpirun --oversubscribe -n 2 "$bin" train ler.yaml 2> ler.log
secs=$(( $(date +%s) - start ))
attr() { h5dump -a "/$1" model.h5 | awk '/\(0\):/ {print $2; exit}'; }
nn_ler=$(attr eval_ler)
h5dump -b LE -d /circuit -o circuit.stim model.h5 > /dev/null
read -r seed _ eval_stream _ < <(h5dump -d /rng model.h5 | awk -F'[:,]' '/\(0\):/ {print $2, $3, $4, $5}')
"$bin" simulate --circuit circuit.stim --shots "$eval_shots" --seed "$seed" --stream "$eval_stream" \
  --out dets.b8 --out-format b8 --obs-out obs.b8 --obs-out-format b8
mwpm=$("$bin" decode --circuit circuit.stim --in dets.b8 --obs-in obs.b8 --decoder mwpm)
mwpm_ler=$(echo "$mwpm" | awk '{for (i = 1; i < NF; i++) if ($i == "ler") print $(i + 1)}')
echo "{\"bench\":\"train_vs_mwpm\",\"ranks\":2,\"steps\":$steps,\"batch\":128,\"train_seconds\":$secs,\"eval_shots\":$eval_shots,\"nn_ler\":$nn_ler,\"mwpm_ler\":$mwpm_ler,\"noflip_ler\":$(attr eval_noflip_ler)}"
