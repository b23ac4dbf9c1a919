#!/usr/bin/env bash
# Slurm end to end on a real one-node cluster (slurm/local-cluster.sh, started here if it is
# not running, and stopped at the end only if this test started it):
#   1. sbatch --wait slurm/run.sbatch returns 0, and its result equals `mpirun -n 2`'s
#      (h5diff outside /run); the file records the Slurm job id. It finds qecpipe on PATH
#      (no QECPIPE_BIN), as an installed qecpipe is found.
#   2. preemption: a pretrain.sbatch job requeued mid-run (scontrol requeue) resumes from its
#      checkpoint, and the final weights, Adam moments and RNG state equal an uninterrupted
#      run's (skipped with a notice when `qecpipe train` is not available).
#   3. a 2-task sweep.sbatch array, combined by `qecpipe report`, gives the same shots and
#      errors per experiment and decoder as one job over all experiments.
#   4. every script in slurm/ passes bash -n and shellcheck.
#   5. slurm/redecode.sbatch over a small archive equals `mpirun -n 2 qecpipe
#      redecode` (h5diff outside /run).
#   6. pretrain.sbatch with a shipped config named as in the README (`pretrain_d3`) finds
#      its checkpoint path (pretrain_d3.h5, so a requeue would resume it) and trains one step.
# A cluster that cannot start is a failure, never a skip.
# shellcheck disable=SC2016  # check() evals its single-quoted conditions later, on purpose
set -u
bin=${QECPIPE_BIN:?}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
slurm_dir=$(cd "$here/../../slurm" && pwd)
state_dir=${QECPIPE_SLURM_STATE:-/var/lib/qecpipe-slurm}
export SLURM_CONF=$state_dir/slurm.conf
# mpirun refuses root without these (srun does not need them).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d /tmp/qecpipe-slurm-test.XXXXXX)
chmod 755 "$work"
fail=0; pass=0; started=0; jobs_submitted=()
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1"; fail=$((fail+1)); return 1; fi; }
finish() {
  [ ${#jobs_submitted[@]} -gt 0 ] && scancel "${jobs_submitted[@]}" 2>/dev/null
  [ "$started" = 1 ] && "$slurm_dir/local-cluster.sh" stop
  rm -rf "$work"
}
trap finish EXIT
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 )) s"; }
# wait_gone ID: poll until job ID (all its array tasks) left the queue; at most 5 minutes.
wait_gone() {
  local _
  for _ in $(seq 1 1500); do
    [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  return 1
}
# job_ok ID N: job ID has N records (array tasks), each COMPLETED with exit code 0:0.
job_ok() {
  local info
  info=$(scontrol show job "$1" 2>/dev/null)
  [ "$(grep -c 'JobState=' <<< "$info")" -eq "$2" ] &&
    [ "$(grep -c 'JobState=COMPLETED' <<< "$info")" -eq "$2" ] &&
    [ "$(grep -c ' ExitCode=0:0' <<< "$info")" -eq "$2" ]
}
show() { local f; for f in "$@"; do [ -f "$f" ] && { echo "---- $f"; tail -20 "$f"; }; done; }

# 4. Lint (needs no cluster).
if ! command -v shellcheck >/dev/null && [ "$(id -u)" -eq 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends shellcheck >/dev/null 2>&1
fi
for f in "$slurm_dir"/*.sbatch "$slurm_dir"/*.sh "$here"/*.sh; do
  check "bash -n $(basename "$f")" 'bash -n "$f"'
  check "shellcheck $(basename "$f") is clean" 'shellcheck "$f"'
done

# The cluster. One run of this test at a time (several build directories may run it at once):
# otherwise one run could stop the cluster under another.
exec 9> "${TMPDIR:-/tmp}/qecpipe-slurm-test.lock"
if ! flock -w 600 9; then
  echo "FAIL: another run of this test held the lock for 10 minutes"
  echo "$pass passed, $((fail+1)) failed"
  exit 1
fi
if "$slurm_dir/local-cluster.sh" status >/dev/null 2>&1; then
  echo "using the running local cluster"
else
  # 9>&-: the daemons it starts must not inherit (and so hold forever) this test's lock.
  if "$slurm_dir/local-cluster.sh" start 9>&-; then
    started=1
  else
    echo "FAIL: the local Slurm cluster did not start (slurm/local-cluster.sh start; logs in $state_dir/log)"
    echo "$pass passed, $((fail+1)) failed"
    exit 1
  fi
fi
echo "cluster ready after $(elapsed)"
cd "$work" || exit 1

cat > job.yaml <<'YAML'
job:
  name: slurm_e2e
  seed: 29
  shots_per_task: 4096
experiments:
  - code: surface
    distance: [3, 5]
    rounds: d
    basis: [x, z]
    noise: {model: uniform, p: 0.005}
    decoders: [mwpm]
    max_shots: 20000
YAML

# A two-experiment archive in Google's layout for 5 (generated here, not reference data).
for b in x z; do
  d=archive/surface_code_b${b}_d3_r03
  mkdir -p "$d"
  "$bin" gen --basis "$b" --distance 3 --rounds 3 --p 0.004 --out "$d/circuit_noisy.stim"
  "$bin" simulate --circuit "$d/circuit_noisy.stim" --shots 6000 --seed 8 --out "$d/detection_events.b8" \
    --out-format b8 --obs-out "$d/obs_flips_actual.01"
done

# 1, 3 and 5 are submitted together (the node has room for one at a time; Slurm queues them),
# while mpirun computes the reference outside Slurm.
# run.sbatch finds qecpipe on PATH, as after an install (the others through QECPIPE_BIN).
env -u QECPIPE_BIN PATH="$(dirname "$bin"):$PATH" \
  timeout 300 sbatch --wait --parsable -o run.out "$slurm_dir/run.sbatch" job.yaml --out one.h5 \
  > run.id 2> run.err &
run_pid=$!
sbatch --parsable --array=0-1 -o 'sweep_%a.out' "$slurm_dir/sweep.sbatch" \
  job.yaml part > sweep.id 2> sweep.err
sbatch --parsable -o redecode.out "$slurm_dir/redecode.sbatch" archive red.h5 \
  --decoders mwpm --shots-per-task 1000 > redecode.id 2> redecode.err
sleep 1
for f in run.id sweep.id redecode.id; do
  id=$(head -1 "$f" 2>/dev/null | cut -d';' -f1)
  [ -n "$id" ] && jobs_submitted+=("$id")
done
mpirun --oversubscribe -n 2 "$bin" run job.yaml --out mpi.h5 --quiet > mpi.out 2>&1
check "mpirun -n 2 reference run exits 0" '[ -f mpi.h5 ]' || show mpi.out
wait "$run_pid"; run_status=$?
mpirun --oversubscribe -n 2 "$bin" redecode archive --out red_mpi.h5 --decoders mwpm \
  --shots-per-task 1000 --quiet > red_mpi.out 2>&1
check "mpirun -n 2 reference redecode exits 0" '[ -f red_mpi.h5 ]' || show red_mpi.out
sweep_id=$(cut -d';' -f1 sweep.id)
redecode_id=$(cut -d';' -f1 redecode.id)
# sbatch --wait polls at growing intervals (up to 32 s); these two are polled more often.
wait_gone "$sweep_id"; wait_gone "$redecode_id"
echo "run.sbatch, sweep.sbatch and redecode.sbatch done after $(elapsed)"

# 1. run.sbatch
run_id=$(head -1 run.id | cut -d';' -f1)
check "sbatch --wait run.sbatch returns 0 (got $run_status)" '[ $run_status -eq 0 ]' || show run.out run.err
check "run.sbatch wrote one.h5 and no .partial" '[ -f one.h5 ] && [ ! -e one.h5.partial ]'
check "run.sbatch result equals mpirun -n 2 (h5diff outside /run)" \
  'h5diff --exclude-path /run one.h5 mpi.h5 > h5diff.txt 2>&1' || head -20 h5diff.txt
check "one.h5 records the Slurm job id $run_id" \
  'h5dump -a /run/slurm_job_id one.h5 2>/dev/null | grep -qE "\"?$run_id\"?\$|\(0\): \"?$run_id\"?"'

# 3. sweep.sbatch: the two shares together equal the one job.
check "sweep.sbatch array job: both tasks COMPLETED with exit code 0" 'job_ok "$sweep_id" 2' \
  || show sweep_0.out sweep_1.out sweep.err
check "each array task wrote its own file" '[ -f part_0.h5 ] && [ -f part_1.h5 ]'
"$bin" report part_0.h5 part_1.h5 --csv sweep.csv --quiet > /dev/null 2> report.err
"$bin" report one.h5 --csv one.csv --quiet > /dev/null 2>> report.err
"$bin" report part_0.h5 --csv p0.csv --quiet > /dev/null 2>> report.err
# shots, errors, discards, decoder, strong_id: the fields before the quoted json_metadata.
stats() { awk -F, 'NR > 1 { gsub(/ /, ""); print $6, $5, $1, $2, $3 }' "$1" | sort; }
check "the one job reports 4 experiments" '[ "$(stats one.csv | wc -l)" -eq 4 ]'
check "array task 0 ran a strict share (2 of 4 experiments)" '[ "$(stats p0.csv | wc -l)" -eq 2 ]'
check "sweep (2 array tasks, combined) = one job: shots/errors per experiment+decoder" \
  '[ "$(stats sweep.csv)" = "$(stats one.csv)" ]' || diff <(stats sweep.csv) <(stats one.csv)

# 5. redecode.sbatch
check "redecode.sbatch job COMPLETED with exit code 0" 'job_ok "$redecode_id" 1' \
  || show redecode.out redecode.err
check "redecode.sbatch result equals mpirun -n 2 (h5diff outside /run)" \
  'h5diff --exclude-path /run red.h5 red_mpi.h5 > h5diff_red.txt 2>&1' || head -20 h5diff_red.txt
"$bin" report red.h5 --csv red.csv --quiet > /dev/null 2>> report.err
check "redecode result holds 2 experiments of 6000 shots (mwpm)" \
  '[ "$(stats red.csv | awk "\$3 == 6000" | wc -l)" -eq 2 ]' || cat red.csv

# 2. Preemption of a training job.
if ! "$bin" train --help > /dev/null 2>&1; then
  echo "SKIP: qecpipe train not available (preemption test of pretrain.sbatch)"
else
  mkdir ref pre
  cat > ref/train.yaml <<'YAML'
job:
  name: slurm_pretrain
  seed: 17
train:
  code: surface
  distance: 3
  rounds: 3
  basis: z
  noise: {model: uniform, p: 0.005}
  steps: 400
  batch_size: 32
  hidden: 16
  layers: 1
  heads: 2
  warmup_steps: 10
  eval_every: 0
  checkpoint_every: 10
  checkpoint: model.h5
YAML
  cp ref/train.yaml pre/train.yaml
  (cd pre && sbatch --parsable -o pretrain.out "$slurm_dir/pretrain.sbatch" train.yaml > ../pre.id 2> ../pre.err)
  pre_id=$(cut -d';' -f1 pre.id)
  jobs_submitted+=("$pre_id")
  # Requeue as soon as the first checkpoint exists, while the job still runs.
  for _ in $(seq 1 1200); do
    [ -f pre/model.h5 ] && break
    [ -z "$(squeue -h -j "$pre_id" -o %T 2>/dev/null)" ] && break
    sleep 0.1
  done
  state=$(squeue -h -j "$pre_id" -o %T 2>/dev/null)
  check "pretrain job still running when its first checkpoint appears (state '$state'; raise steps if it finished)" \
    '[ "$state" = RUNNING ] && [ -f pre/model.h5 ]'
  scontrol requeue "$pre_id"
  echo "pretrain job $pre_id requeued after $(elapsed)"
  # The uninterrupted reference, on as many ranks as the Slurm job, outside Slurm (while the
  # requeued job waits to start again).
  (cd ref && mpirun --oversubscribe -n 2 "$bin" train train.yaml > train.out 2>&1)
  check "uninterrupted mpirun -n 2 qecpipe train exits 0" '[ -f ref/model.h5 ]' || show ref/train.out
  for _ in $(seq 1 300); do
    [ -z "$(squeue -h -j "$pre_id" -o %T 2>/dev/null)" ] && break
    sleep 1
  done
  info=$(scontrol show job "$pre_id" 2>/dev/null)
  check "requeued pretrain job completed ($(echo "$info" | grep -o 'JobState=[A-Z_]*'))" \
    'echo "$info" | grep -q "JobState=COMPLETED"' || show pre/pretrain.out pre.err
  check "pretrain job was restarted once" 'echo "$info" | grep -q "Restarts=1"'
  check "the restarted job resumed from the checkpoint (--resume)" \
    'grep -q "restart 1.*--resume" pre/pretrain.out'
  # The training state: weights, both Adam moments, the sampler's RNG position. (Root
  # attributes such as train_loss, a mean over the last steps this process ran, may differ.)
  for d in /params /adam_m /adam_v /rng; do
    check "$d after requeue equals the uninterrupted run's (h5diff)" \
      'h5diff ref/model.h5 pre/model.h5 "$d" "$d" > h5diff_train.txt 2>&1' || head -20 h5diff_train.txt
  done

  # 6. configs/pretrain_d3.yaml by its shipped name, stopped after one step (its schedule kept).
  mkdir named
  named_rc=0
  (cd named && sbatch --wait -o named.out "$slurm_dir/pretrain.sbatch" pretrain_d3 --stop-after 1 \
    > ../named.id 2> ../named.err) || named_rc=$?
  check "sbatch --wait pretrain.sbatch pretrain_d3 --stop-after 1 exits 0 (got $named_rc)" \
    '[ "$named_rc" -eq 0 ]' || show named/named.out named.err
  check "pretrain.sbatch found the shipped config's checkpoint path" \
    'grep -q "(checkpoint pretrain_d3.h5)" named/named.out' || show named/named.out
  check "the shipped pretraining config trained one step" \
    'h5dump -a /step named/pretrain_d3.h5 2> /dev/null | grep -q "(0): 1$"'
fi

echo "total $(elapsed)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
