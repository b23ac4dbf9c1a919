#!/usr/bin/env bash
# qecpipe run end to end: results independent of the rank count (with max_errors stopping),
# resume after a rank is killed, bad input leaves existing results untouched, report output.
. "$(dirname "$0")/cli_lib.sh"

cat > job.yaml <<'YAML'
job:
  name: ranks
  seed: 11
  shots_per_task: 1024
experiments:
  - code: surface
    distance: [3, 5]
    rounds: d
    basis: [x, z]
    noise: {model: uniform, p: [0.004, 0.008]}
    decoders: [mwpm]
    max_shots: 12000
    max_errors: 150
YAML

# 1. The same file on 1, 2 and 4 ranks (run-specific facts live under /run).
for n in 1 2 4; do
  mpi $n "$bin" run job.yaml --out r$n.h5 --quiet > out$n.txt 2> err$n.txt; st=$?
  check "run on $n ranks exits 0 ($(head -c 300 err$n.txt))" '[ $st -eq 0 ] && [ -f r$n.h5 ] && [ ! -e r$n.h5.partial ]'
done
check "1 vs 2 ranks identical" 'h5diff --exclude-path /run r1.h5 r2.h5 >/dev/null'
check "1 vs 4 ranks identical" 'h5diff --exclude-path /run r1.h5 r4.h5 >/dev/null'
# max_errors really stopped some experiment before max_shots.
stopped=$(awk '$4 == "shots" && $3 < 12000' out1.txt | wc -l)
check "max_errors stops at least one experiment early" '[ "$stopped" -ge 1 ]'

# 2. Resume: SIGKILL one rank while the job runs, re-run, compare with the uninterrupted run.
cat > long.yaml <<'YAML'
job:
  name: resume
  seed: 3
  shots_per_task: 1024
experiments:
  - code: surface
    distance: [3, 5]
    rounds: d
    basis: [x, z]
    noise: {model: uniform, p: [0.003, 0.005]}
    decoders: [mwpm]
    max_shots: 12000
YAML
mpi 2 "$bin" run long.yaml --out whole.h5 --wave-shots 2048 --quiet > /dev/null 2>&1
# The last rank SIGKILLs itself after its 5th journaled wave: in the middle of an experiment
# (waves of 2 tasks; the first experiment has 6 waves).
QECPIPE_FAULT_KILL_AFTER_WAVES=5 mpi 2 "$bin" run long.yaml --out killed.h5 --wave-shots 2048 --quiet > /dev/null 2> kill.log; st=$?
check "killed run fails" '[ $st -ne 0 ]'
check "killed run leaves no final file" '[ ! -e killed.h5 ] && [ -e killed.h5.partial ]'
mpi 2 "$bin" run long.yaml --out killed.h5 --wave-shots 2048 > /dev/null 2> resume.log; st=$?
check "resumed run exits 0" '[ $st -eq 0 ]'
check "resume reports the journal" 'grep -q "resuming" resume.log'
check "resumed file equals uninterrupted" 'h5diff --exclude-path /run whole.h5 killed.h5 >/dev/null'
# Killed again on 1 rank, resumed on 4: still the same file.
QECPIPE_FAULT_KILL_AFTER_WAVES=9 mpi 1 "$bin" run long.yaml --out killed2.h5 --wave-shots 2048 --quiet > /dev/null 2>&1
mpi 4 "$bin" run long.yaml --out killed2.h5 --wave-shots 2048 --quiet > /dev/null 2>&1; st=$?
check "killed on 1 rank, resumed on 4 ranks: equal" '[ $st -eq 0 ] && h5diff --exclude-path /run whole.h5 killed2.h5 >/dev/null'

# 3. Bad input: one line, exit 1, earlier results untouched.
sum_before=$(md5sum r1.h5)
printf 'job:\n  name: bad\n  output: r1.h5\n  sede: 3\nexperiments:\n  - code: surface\n    distance: 3\n    rounds: 3\n    basis: x\n    noise: {model: uniform, p: 0.001}\n    max_shots: 10\n' > bad.yaml
mpi 2 "$bin" run bad.yaml > /dev/null 2> bad.log; st=$?
check "unknown key exits 1" '[ $st -eq 1 ]'
check "unknown key: one qecpipe line naming file:line:col" '[ "$(grep -c "^qecpipe" bad.log)" -eq 1 ] && grep -q "^qecpipe run: bad.yaml:4:3: .*unknown key" bad.log'
check "existing result untouched" '[ "$(md5sum r1.h5)" = "$sum_before" ] && [ ! -e r1.h5.partial ]'

# 4. Report: table, sinter CSV, plots.
"$bin" report r1.h5 --csv r1.csv --plots r1 > table.txt; st=$?
check "report exits 0" '[ $st -eq 0 ]'
check "CSV has sinter header" 'head -1 r1.csv | tr -d " " | grep -q "^shots,errors,discards,seconds,decoder,strong_id,json_metadata$"'
check "CSV has one row per experiment x decoder" '[ "$(tail -n +2 r1.csv | wc -l)" -eq 8 ]'
check "plots written" '[ -s r1_ler_vs_p.png ] && [ -s r1_ler_vs_p.svg ] && [ -s r1_ler_per_round.png ]'

# 5. The exact ML decoder from a config (d=3, 2 rounds: 16 detectors, a 1 MB table), next to
# mwpm: the same file on 1 and 2 ranks, and ML's mistakes no more than mwpm's + 3 sd.
cat > ml.yaml <<'YAML'
job: {name: ml, seed: 5, shots_per_task: 1000}
experiments:
  - {code: surface, distance: 3, rounds: 2, basis: z, noise: {model: uniform, p: 0.01}, decoders: [mwpm, ml], max_shots: 6000}
YAML
mpi 1 "$bin" run ml.yaml --out ml1.h5 --quiet > ml1.txt 2>&1; st1=$?
mpi 2 "$bin" run ml.yaml --out ml2.h5 --quiet > ml2.txt 2>&1; st2=$?
check "ml run exits 0 ($(head -c 300 ml2.txt))" '[ $st1 -eq 0 ] && [ $st2 -eq 0 ]'
check "ml run: 1 vs 2 ranks identical" 'h5diff --exclude-path /run ml1.h5 ml2.h5 >/dev/null'
e_mwpm=$(awk '$2 == "mwpm" {print $5}' ml2.txt); e_ml=$(awk '$2 == "ml" {print $5}' ml2.txt)
check "ml mistakes $e_ml <= mwpm's $e_mwpm + 3 sd" '[ -n "$e_ml" ] && awk -v a="$e_ml" -v b="$e_mwpm" "BEGIN{exit !(a <= b + 3*sqrt(b+1))}"'

finish
