#!/usr/bin/env bash
# qecpipe report as sinter reads its CSV (issue 19): strong_id separates what sinter's does
# (circuit, DEM, decoder, json_metadata; for nn the model file's SHA-256); the same shots reported twice are counted once,
# disjoint samples of one problem are summed; an unfinished .partial shows its journal.
. "$(dirname "$0")/cli_lib.sh"
data=${QECPIPE_TEST_DATA:?}
ids() { tail -n +2 "$1" | cut -d, -f6; }                 # the strong_id column
col() { grep -F "$2" "$1" | cut -d, -f"$3" | tr -d ' '; }  # a column of the rows matching $2


# 2. strong_id. (a) Two experiments of one circuit file, named first and second.
cp "$data/surface_x_d3_r3_p0.003.stim" c.stim
cat > named.yaml <<'YAML'
job:
  name: named
  seed: 7
  shots_per_task: 1000
experiments:
  - circuit: c.stim
    name: first
    decoders: [mwpm]
    max_shots: 4000
  - circuit: c.stim
    name: second
    decoders: [mwpm]
    max_shots: 4000
YAML
mpi 2 "$bin" run named.yaml --out named.h5 --quiet > /dev/null 2>&1
"$bin" report named.h5 --csv named.csv --quiet 2> named.log
check "CSV header is sinter's" '[ "$(head -1 named.csv | tr -d " ")" = "shots,errors,discards,seconds,decoder,strong_id,json_metadata" ]'
check "strong_id is a SHA-256 (64 hex digits) as sinter's" '[ -z "$(ids named.csv | grep -vE "^[0-9a-f]{64}$")" ] && [ "$(ids named.csv | wc -l)" -eq 2 ]'
check "first and second: two ids, two rows" '[ -z "$(ids named.csv | sort | uniq -d)" ]'

# (b) A redecode with --dem-by-parity (other DEMs) and with the default DEM: two ids.
bash "$here/make_archive.sh" "$data" archive
f=surface_code_bX_d3_r03_center_3_5
mkdir -p one && cp -r archive/$f one/
# The even shots' DEM is the default one; the odd shots' differs (every probability 0.00x
# becomes 0.10x: another valid model). So only the odd shots' DEM tells the two apart.
sed 's/error(0\.00/error(0.10/' one/$f/circuit_detector_error_model.dem > one/$f/pij_from_even_for_odd.dem
cp one/$f/circuit_detector_error_model.dem one/$f/pij_from_odd_for_even.dem
mpi 2 "$bin" redecode one --out default.h5 --quiet > /dev/null 2>&1
mpi 2 "$bin" redecode one --dem-by-parity --out parity.h5 --quiet > /dev/null 2>&1
"$bin" report default.h5 --csv default.csv --quiet
"$bin" report parity.h5 --csv parity.csv --quiet
check "parity and default DEM decode differently here" '[ "$(col default.csv $f 2)" != "$(col parity.csv $f 2)" ]'
# (c) Two archive folders holding identical circuits (and DEMs and shots).
mkdir -p twins && cp -r archive/$f twins/a && cp -r archive/$f twins/b
mpi 2 "$bin" redecode twins --out twins.h5 --quiet > /dev/null 2>&1
"$bin" report twins.h5 --csv twins.csv --quiet
{ ids named.csv; ids default.csv; ids parity.csv; } > case_ids.txt
ids twins.csv > twin_ids.txt
check "the issue's cases: all ids distinct ($(sort case_ids.txt | uniq -d | wc -l) repeated)" \
  '[ "$(wc -l < case_ids.txt)" -eq 4 ] && [ -z "$(sort case_ids.txt | uniq -d)" ]'
check "twin folders: two ids" '[ "$(wc -l < twin_ids.txt)" -eq 2 ] && [ -z "$(sort twin_ids.txt | uniq -d)" ]'
# (d) The nn decoder with two model files (two tiny trainings, seeds 1 and 2): two ids; the
# same model file under another name: the same id (the id hashes the file's bytes).
for s in 1 2; do
  cat > tiny$s.yaml <<YAML
job: {name: tiny$s, seed: $s}
train:
  code: surface
  distance: 3
  rounds: 3
  basis: x
  noise: {model: uniform, p: 0.005}
  steps: 10
  batch_size: 32
  warmup_steps: 2
  hidden: 16
  layers: 1
  heads: 4
  eval_every: 10
  eval_shots: 256
  checkpoint_every: 10
  checkpoint: m$s.h5
YAML
  mpi 1 "$bin" train tiny$s.yaml > /dev/null 2>&1
done
cp m1.h5 m1_renamed.h5
for m in m1 m2 m1_renamed; do
  mpi 2 "$bin" redecode one --decoders nn --model $m.h5 --out nn_$m.h5 --quiet > /dev/null 2>&1
  "$bin" report nn_$m.h5 --csv nn_$m.csv --quiet
done
check "nn: two models, two ids" '[ -n "$(ids nn_m1.csv)" ] && [ -n "$(ids nn_m2.csv)" ] && [ "$(ids nn_m1.csv)" != "$(ids nn_m2.csv)" ]'
check "nn: one model under two names, one id" '[ -n "$(ids nn_m1.csv)" ] && [ "$(ids nn_m1.csv)" = "$(ids nn_m1_renamed.csv)" ]'

# What sinter does not separate, neither do we: another seed, the same problem.
sed 's/seed: 7/seed: 8/' named.yaml > named8.yaml
mpi 2 "$bin" run named8.yaml --out named8.h5 --quiet > /dev/null 2>&1
"$bin" report named8.h5 --csv named8.csv --quiet
check "another seed: the same ids" '[ "$(ids named.csv | sort)" = "$(ids named8.csv | sort)" ]'

# 3. Overlapping files. A whole run and one of its shares: the same shots, counted once.
mpi 2 "$bin" run named.yaml --out part.h5 --share 1/2 --quiet > /dev/null 2>&1
"$bin" report named.h5 part.h5 --csv overlap.csv > overlap.txt 2> overlap.log; st=$?
check "whole + share: exit 0, one row per experiment" '[ $st -eq 0 ] && [ "$(tail -n +2 overlap.csv | wc -l)" -eq 2 ]'
check "whole + share: counts of the whole run" 'diff <(tail -n +2 named.csv | cut -d, -f1-3,5-) <(tail -n +2 overlap.csv | cut -d, -f1-3,5-) > /dev/null'
check "whole + share: a warning naming both files" 'grep -q "named.h5 and part.h5 both hold experiment second.*the same shots" overlap.log'
# Two seeds: disjoint shots of one problem, summed as sinter sums them.
"$bin" report named.h5 named8.h5 --csv merged.csv --quiet 2> merged.log
s7=$(col named.csv first 1); s8=$(col named8.csv first 1); e7=$(col named.csv first 2); e8=$(col named8.csv first 2)
check "two seeds: one row per problem, shots and errors summed ($(col merged.csv first 1) = $s7 + $s8)" \
  '[ "$(tail -n +2 merged.csv | wc -l)" -eq 2 ] && [ "$(col merged.csv first 1)" -eq $((s7 + s8)) ] && [ "$(col merged.csv first 2)" -eq $((e7 + e8)) ] && [ ! -s merged.log ]'

# 4. An unfinished .partial: what its journal holds, marked unfinished. The last rank kills
# itself after 2 journaled waves of 1,000 shots; a finished run of 2,000 shots has the same
# counts (same seed and stream, tasks committed in order).
cat > waves.yaml <<'YAML'
job:
  name: waves
  seed: 4
  shots_per_task: 500
experiments:
  - code: surface
    distance: 3
    rounds: 3
    basis: x
    noise: {model: uniform, p: 0.01}
    decoders: [mwpm]
    max_shots: MAX
YAML
sed 's/MAX/6000/' waves.yaml > w6.yaml; sed 's/MAX/2000/' waves.yaml > w2.yaml
QECPIPE_FAULT_KILL_AFTER_WAVES=2 mpi 2 "$bin" run w6.yaml --out killed.h5 --wave-shots 1000 --quiet > /dev/null 2>&1
mpi 2 "$bin" run w2.yaml --out first2000.h5 --wave-shots 1000 --quiet > /dev/null 2>&1
check "the killed run left a .partial" '[ -f killed.h5.partial ] && [ ! -e killed.h5 ]'
"$bin" report killed.h5.partial --csv partial.csv > partial.txt 2> partial.log; st=$?
"$bin" report first2000.h5 --csv first2000.csv --quiet
check "report .partial: exit 0, 2000 journaled shots ($(col partial.csv '"' 1))" '[ $st -eq 0 ] && [ "$(col partial.csv "\"" 1)" = 2000 ]'
check "report .partial: the errors of the first 2000 shots ($(col partial.csv '"' 2) vs $(col first2000.csv '"' 2))" \
  '[ "$(col partial.csv "\"" 2)" = "$(col first2000.csv "\"" 2)" ] && [ "$(col partial.csv "\"" 2)" -gt 0 ]'
check "report .partial: says unfinished (table and stderr)" 'grep -q "unfinished" partial.txt && grep -q "killed.h5.partial is an unfinished run" partial.log'
"$bin" report killed.h5 --quiet 2> missing.log; st=$?
check "report of the final name points at the .partial" '[ $st -eq 1 ] && grep -q "killed.h5.partial holds an unfinished run" missing.log'

# 5. Per-round LER of a saturated experiment: LER >= 0.5 has no per-round rate, so the table
# says "saturated" (with a note), never a rate; an unsaturated row keeps (1-(1-2 LER)^(1/r))/2.
# The 1,000-round d=3 p=0.03 experiment is scrambled (LER near 0.5); seed 4 puts it above.
cat > sat.yaml <<'YAML'
job: {name: sat, seed: 4, shots_per_task: 200}
experiments:
  - {code: surface, distance: 3, rounds: 1000, basis: x, noise: {model: uniform, p: 0.03}, decoders: [mwpm], max_shots: 400}
  - {code: surface, distance: 3, rounds: 3, basis: x, noise: {model: uniform, p: 0.01}, decoders: [mwpm], max_shots: 400}
YAML
"$bin" run sat.yaml --out sat.h5 --quiet > /dev/null 2>&1
"$bin" report sat.h5 > sat.txt 2> sat.log; st=$?
check "report of a saturated run: exit 0 ($(head -c 200 sat.log))" '[ $st -eq 0 ]'
# Columns: name decoder shots errors LER [lo, hi] LER/round.
read -r s_shots s_err s_pr < <(awk '$1 ~ /_r1000_/ {print $3, $4, $8}' sat.txt)
read -r u_shots u_err u_pr < <(awk '$1 ~ /_r3_/ {print $3, $4, $8}' sat.txt)
check "the 1,000-round run is saturated ($s_err of $s_shots errors): the test means something" \
  '[ $((2 * s_err)) -ge "$s_shots" ]'
check "saturated row: LER/round says saturated, not a rate ($s_pr)" '[ "$s_pr" = saturated ]'
check "the table explains saturated" 'grep -q "^saturated: LER >= 0.5, so no per-round rate" sat.txt'
want=$(awk -v e="$u_err" -v n="$u_shots" 'BEGIN {printf "%.3e", (1 - exp(log(1 - 2 * e / n) / 3)) / 2}')
check "unsaturated row: LER/round $u_pr = (1-(1-2 LER)^(1/3))/2 = $want" '[ "$u_err" -gt 0 ] && [ "$u_pr" = "$want" ]'
if command -v gnuplot > /dev/null; then
  "$bin" report sat.h5 --plots satplot --quiet 2> plot.log; st=$?
  # The per-round data holds the unsaturated point only (d = 3: one row per drawn point).
  check "per-round plot: exit 0, the saturated point left out and said so" \
    '[ $st -eq 0 ] && [ "$(grep -c "^3 " satplot_ler_per_round.dat)" -eq 1 ] && grep -q "1 saturated (LER >= 0.5) not shown" satplot_ler_per_round.gp'
fi

finish
