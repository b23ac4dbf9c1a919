#!/usr/bin/env bash
# What the result file of a long run costs (issue 20, must-show 3): a d = 5 memory experiment of
# SHOTS shots (default 10^7) run by `qecpipe run` on 2 ranks,
#   store:   job.store's default (predictions only)
#   weights: store: [predictions, weights] (what every run wrote before issue 20)
#   deflate: store: [predictions, weights] with deflate: 4 (the cost of compression)
# each REPS times interleaved (best of REPS by CPU time): the file's bytes and logical bytes
# (h5ls), wall seconds (the slower rank) and CPU seconds (user + sys of both ranks). With QECPIPE_BIN_BEFORE=PATH
# (an earlier qecpipe), the same run with it too ("before": the file as it was).
# Then the write speed: bench_store (collective HDF5 appends of SHOTS float32 per-shot values
# with the chunk qecpipe picks, vs a plain write in the same program) and `dd bs=1M
# conv=fdatasync` of the same bytes, in DIR (default: a temporary directory under /tmp).
# One JSON line per figure.
#   bench/bench_store_run.sh [BUILD_DIR] [SHOTS] [REPS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
shots=${2:-10000000}
reps=${3:-2}
bin=$build/qecpipe
work=$(mktemp -d "${DIR:-/tmp}/bench_store_run.XXXXXX")
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
load=$(cut -d' ' -f1 /proc/loadavg)

config() {  # name, extra job keys
  cat > "$work/$1.yaml" <<YAML
job:
  name: bench-store
  seed: 1
  shots_per_task: 10000
  $2
experiments:
  - {code: surface, distance: 5, rounds: 5, basis: x, noise: {model: uniform, p: 0.003}, decoders: [mwpm],
     max_shots: $shots}
YAML
}
config store "store: [predictions]"
config weights "store: [predictions, weights]"
config deflate $'store: [predictions, weights]\n  deflate: 4'
config before ""

declare -A best_wall best_cpu size logical
one() {  # case, binary
  local out="$work/$1.h5" t
  rm -f "$out"
  rm -f "$work"/t.*
  # GNU time per rank (t.<rank>): the wall time of the slower rank, the CPU time of both.
  mpirun --oversubscribe -n 2 sh -c '/usr/bin/time -o "$0.$OMPI_COMM_WORLD_RANK" -f "%e %U %S" "$@"' \
    "$work/t" "$2" run "$work/$1.yaml" --out "$out" --quiet > /dev/null
  local wall cpu
  read -r wall cpu < <(cat "$work"/t.* | awk '{if ($1 > w) w = $1; c += $2 + $3} END {print w, c}')
  if [ -z "${best_wall[$1]:-}" ] || awk -v a="$cpu" -v b="${best_cpu[$1]}" 'BEGIN{exit !(a < b)}'; then
    best_wall[$1]=$wall; best_cpu[$1]=$cpu
  fi
  size[$1]=$(stat -c %s "$out")
  logical[$1]=$(h5ls -rv "$out" | awk '/Storage:/ {n += $2} END {print n + 0}')
}
cases="store weights deflate"
[ -n "${QECPIPE_BIN_BEFORE:-}" ] && cases="before $cases"
for r in $(seq 1 "$reps"); do
  for c in $cases; do
    if [ "$c" = before ]; then one before "$QECPIPE_BIN_BEFORE"; else one "$c" "$bin"; fi
  done
done
h5diff "$work/weights.h5" "$work/deflate.h5" /experiments/surface_x_d5_r5_uniform_p0.003/decoders/mwpm/weights \
  /experiments/surface_x_d5_r5_uniform_p0.003/decoders/mwpm/weights > /dev/null || { echo "deflate changed the weights" >&2; exit 1; }
for c in $cases; do
  printf '{"bench":"store_run","case":"%s","shots":%d,"ranks":2,"file_bytes":%d,"logical_bytes":%d,"file_vs_logical":%.3f,"wall_s":%.2f,"cpu_s":%.2f,"best_of":%d,"load":%s}\n' \
    "$c" "$shots" "${size[$c]}" "${logical[$c]}" "$(awk -v a="${size[$c]}" -v b="${logical[$c]}" 'BEGIN{print a / b}')" \
    "${best_wall[$c]}" "${best_cpu[$c]}" "$reps" "$load"
done
printf '{"bench":"store_run","figure":"deflate_cpu_vs_weights","value":%.3f,"note":"CPU time of the run with deflate 4 over without"}\n' \
  "$(awk -v a="${best_cpu[deflate]}" -v b="${best_cpu[weights]}" 'BEGIN{print a / b}')"
if [ -n "${QECPIPE_BIN_BEFORE:-}" ]; then
  printf '{"bench":"store_run","figure":"file_vs_before","value":%.3f,"note":"default store file bytes over the earlier qecpipe'"'"'s"}\n' \
    "$(awk -v a="${size[store]}" -v b="${size[before]}" 'BEGIN{print a / b}')"
fi

# Write speed: SHOTS float32 values (4 bytes a shot) through the store vs a plain write, and dd.
mb=$(awk -v n="$shots" 'BEGIN{printf "%.3f", n * 4 / 1e6}')
mpirun -n 2 "$build/bench/bench_store" --mb "$mb" --shots-per-task 10000 --reps "$((reps * 2 + 1))" --dir "$work"
blocks=$(awk -v n="$shots" 'BEGIN{b = int(n * 4 / 1048576); print b < 1 ? 1 : b}')
/usr/bin/time -o "$work/time" -f "%e" dd if=/dev/zero of="$work/dd.raw" bs=1M count="$blocks" conv=fdatasync 2> /dev/null
rm -f "$work/dd.raw"
printf '{"bench":"store_run","figure":"dd_write_MBps","value":%.1f,"bytes":%d,"seconds":%s}\n' \
  "$(awk -v s="$(tail -1 "$work/time")" -v n="$((blocks * 1048576))" 'BEGIN{print n / (s > 0 ? s : 0.01) / 1e6}')" \
  "$((blocks * 1048576))" "$(tail -1 "$work/time")"
