#!/usr/bin/env bash
# Benchmark of `qecpipe train` (data-parallel training over MPI ranks), one JSON line per figure:
#   sgemm             single-thread cblas_sgemm GFLOP/s at 512^3 (build/bench/bench_sgemm), run
#                     before, between and after the trainings: the best is the MFU denominator
#   train_throughput  per model and rank count (1 and 2): training samples/s per rank (wall
#                     and CPU time), the all-reduce share of step time, training FLOPs per
#                     sample (workers/nn/nn_flops.h: forward + backward = 3x forward), GFLOP
#                     per CPU-second per rank and MFU = that / sgemm. d=3 r=3 memory Z, uniform
#                     p=0.005, global batch 128, shots sampled on the fly, evaluation excluded.
#                     Models: "H32 L2" (the original architecture) and "H32 L2 layers" (the
#                     AlphaQubit layers of configs/pretrain_d3.yaml: geometric bias, per-type
#                     embedding, convolutions dilations 1 and 2, gated FFN, line readout).
#                     "load" is the 1-minute load average when the run ended.
#   train_vs_mwpm     a decoder trained for STEPS steps on 2 ranks: its LER on EVAL held-out
#                     shots next to our MWPM's on exactly the same shots (re-sampled with
#                     `qecpipe simulate` from the checkpoint's /circuit and /rng stream ids)
# Usage: bench/bench_train.sh [STEPS] [EVAL]   (defaults 4000 and 100000; STEPS 0 skips
#        train_vs_mwpm; QECPIPE_BIN or build/qecpipe, BENCH_SGEMM or build/bench/bench_sgemm). Not a test: no assertions. A shell script because it drives the
#        qecpipe binary under mpirun (bench_*.c programs link only the worker libraries).
# Needs mpirun, h5dump.
set -euo pipefail
steps=${1:-4000}
eval_shots=${2:-100000}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${QECPIPE_BIN:-$here/build/qecpipe}
sgemm_bin=${BENCH_SGEMM:-$here/build/bench/bench_sgemm}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

config() {  # config STEPS EVAL_SHOTS EVAL_EVERY [EXTRA_TRAIN_KEYS]
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
${4:-}
YAML
}

# The "done:" line's figures: samples/s/rank and the all-reduce share; the "compute:" line's:
# FLOPs/sample, CPU s/rank, of which in MPI, samples/CPU-s/rank, GFLOP/CPU-s/rank, the same
# outside MPI.
figures() { sed -n 's/.*, \([0-9.]*\) samples\/s\/rank, all-reduce \([0-9.]*\)% of step time.*/\1 \2/p' "$1"; }
compute() {
  sed -n 's/.*compute: \([0-9.]*\) training FLOPs\/sample, \([0-9.]*\) CPU s\/rank in steps (\([0-9.]*\) in MPI), \([0-9.]*\) samples\/CPU-s\/rank, \([0-9.]*\) GFLOP\/CPU-s\/rank (\([0-9.]*\) outside MPI).*/\1 \2 \3 \4 \5 \6/p' "$1"
}
sgemm() {
  "$sgemm_bin" 512 512 512 1 | tee -a sgemm.json | sed -n 's/.*"gflops":\([0-9.]*\).*/\1/p'
}

layers="  attention_bias: geometric
  stabilizer_embedding: type
  conv_dilations: [1, 2]
  ffn: gated
  readout: lines"
config 300 100 0 > tp_plain.yaml
config 300 100 0 "$layers" > tp_layers.yaml
peak=$(sgemm)
rows=()
for model in plain layers; do
  for n in 1 2; do
    mpirun --oversubscribe -n $n "$bin" train tp_$model.yaml --checkpoint tp$n.h5 2> tp$n.log
    read -r sps share < <(figures tp$n.log)
    read -r flops cpu mpi sps_cpu gflops gflops_c < <(compute tp$n.log)
    load=$(cut -d' ' -f1 /proc/loadavg)
    name="H32 L2"; [ $model = layers ] && name="H32 L2 layers"
    rows+=("$n $sps $share $flops $cpu $mpi $sps_cpu $gflops $gflops_c $load $name")
    p=$(sgemm); peak=$(awk -v a="$peak" -v b="$p" 'BEGIN {print (b > a ? b : a)}')
  done
done
cat sgemm.json
for row in "${rows[@]}"; do
  read -r n sps share flops cpu mpi sps_cpu gflops gflops_c load name <<< "$row"
  mfu() { awk -v g="$1" -v p="$peak" 'BEGIN {printf "%.4f", g / p}'; }
  echo "{\"bench\":\"train_throughput\",\"model\":\"$name d3 r3\",\"ranks\":$n,\"batch_per_rank\":$((128 / n)),\"steps\":300,\"samples_per_s_per_rank\":$sps,\"samples_per_cpu_s_per_rank\":$sps_cpu,\"cpu_s_per_rank\":$cpu,\"mpi_cpu_s_per_rank\":$mpi,\"allreduce_share\":$(awk -v s="$share" 'BEGIN {print s / 100}'),\"train_flops_per_sample\":$flops,\"gflop_per_cpu_s_per_rank\":$gflops,\"sgemm_gflops\":$peak,\"mfu\":$(mfu "$gflops"),\"mfu_outside_mpi\":$(mfu "$gflops_c"),\"load\":$load}"
done
[ "$steps" -gt 0 ] || exit 0

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
