#!/usr/bin/env bash
# The held-out table of a neural-decoder model card (models/*.md): on the d=3, 3-round Stim
# reference shots of ../shared/vectors (20,000 shots per case, made by Stim, never seen in
# training, which samples qecpipe's own simulator), the mistakes of nn and of every other
# decoder on the same shots, each with its LER and 95 % Wilson interval, and the exact
# optimum's mistakes from MANIFEST.txt (optimal_mistakes, or `--decoder ml` when it exists).
#   scripts/nn_model_card.sh BASIS MODEL.h5 [P...]     (default P: 0.003 0.005)
# Prints a markdown table on stdout. Needs QECPIPE_BIN or build/qecpipe, and the vectors.
set -euo pipefail
basis=$1 model=$2; shift 2
ps=${*:-0.003 0.005}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${QECPIPE_BIN:-$here/build/qecpipe}
vec=${QECPIPE_VECTORS:-$here/../shared/vectors}
decoders="nn mwpm mwpm-corr uf"
"$bin" decode --help 2>&1 | grep -- "--decoder" | grep -qw ml && decoders="$decoders ml"
echo "| case | decoder | mistakes / shots | LER | 95 % interval | vs exact optimum |"
echo "|---|---|---|---|---|---|"
for p in $ps; do
  name=surface_${basis}_d3_r3_p$p
  opt=$(grep -o "^$name	.*optimal_mistakes=[0-9]*" "$vec/MANIFEST.txt" | sed 's/.*optimal_mistakes=//')
  for d in $decoders; do
    extra=(); [ "$d" = nn ] && extra=(--model "$model")
    line=$("$bin" decode --circuit "$vec/$name.stim" --in "$vec/$name.dets.b8" --obs-in "$vec/$name.obs.b8" \
      --decoder "$d" "${extra[@]}")
    # "shots N errors E ler X ci95 [lo, hi]"
    echo "$line" | awk -v c="$name" -v d="$d" -v o="$opt" '{gsub(/[\[\],]/, ""); printf "| %s | %s | %d / %d | %.5f | [%.5f, %.5f] | %+.1f %% |\n", c, d, $4, $2, $6, $8, $9, 100 * ($4 - o) / o}'
  done
  echo "| $name | exact optimum (MANIFEST) | $opt / 20000 | $(awk -v o="$opt" 'BEGIN {printf "%.5f", o / 20000}') | | 0 |"
done
