#!/bin/bash
# mwpm-soft on real soft readout (issue 15, must-show 1's "mwpm-soft < mwpm"): the sampler's
# readout model (snr 5, t1_over_tint 20: implied flip M = 0.0182) on SI1000 p = 0.001, d = 3 and 5,
# rounds = d, memory Z, 20,000 shots each.
#   - simulate --readout --soft-out, then decode with mwpm and mwpm-soft on the same shots and
#     the hard-equivalent circuit (gen --readout): paired comparison, D = mwpm mistakes -
#     mwpm-soft mistakes, sd = sqrt(discordant shots); asserted D > 4 sd for each distance
#     (seed fixed: 5.4 and 5.8 sd when written);
#   - qecpipe run with noise.readout and decoders [mwpm, mwpm-soft]: mwpm-soft has fewer errors
#     than mwpm in both experiments (the counts the result file records);
#   - with leakage too, soft files hold p1 then pleak per shot: decode reads them (the p1 half)
#     and run decodes such experiments (counts recorded; no margin asserted on 5,000 shots).
source "$(dirname "$0")/cli_lib.sh"

ro=snr=5,t1_over_tint=20
for d in 3 5; do
    "$bin" gen --code surface --basis z --distance $d --rounds $d --noise si1000 --p 0.001 --readout $ro > c$d.stim
    "$bin" simulate --circuit c$d.stim --readout $ro --shots 20000 --seed 3 --out d$d.b8 --out-format b8 \
        --obs-out o$d.01 --obs-out-format 01 --soft-out s$d.f32
    "$bin" decode --circuit c$d.stim --in d$d.b8 --out hard$d.01 > /dev/null
    "$bin" decode --circuit c$d.stim --in d$d.b8 --out soft$d.01 --decoder mwpm-soft --soft-in s$d.f32 > /dev/null
    line=$(paste -d' ' o$d.01 hard$d.01 soft$d.01 |
           awk '{h = $1 != $2; s = $1 != $3; H += h; S += s; D += h != s}
                END {printf "%d %d %d %.2f", H, S, D, D ? (H - S) / sqrt(D) : 0}')
    read -r hard soft disc sigma <<< "$line"
    echo "d=$d: mwpm $hard mistakes, mwpm-soft $soft, discordant $disc: $sigma sd"
    check "d=$d: mwpm-soft beats mwpm by more than 4 sd ($soft vs $hard, $sigma sd)" \
        "awk -v s=$sigma 'BEGIN {exit !(s > 4)}'"
done

cat > soft.yaml <<'EOF'
job: {name: softrun, seed: 11, output: soft.h5}
experiments:
  - code: surface
    distance: [3, 5]
    rounds: d
    basis: z
    noise: {model: si1000, p: 0.001, readout: {snr: 5, t1_over_tint: 20}}
    decoders: [mwpm, mwpm-soft]
    max_shots: 20000
EOF
mpi 2 "$bin" run soft.yaml > run.txt 2>&1
check "run with mwpm-soft succeeds ($(tail -1 run.txt))" '[ -f soft.h5 ]'
for d in 3 5; do
    g=experiments/surface_z_d${d}_r${d}_si1000_p0.001_snr5_t20/decoders
    hard=$(attr soft.h5 $g/mwpm/errors)
    soft=$(attr soft.h5 $g/mwpm-soft/errors)
    check "run d=$d: mwpm-soft $soft errors < mwpm $hard" '[ -n "$soft" ] && [ -n "$hard" ] && [ "$soft" -lt "$hard" ]'
done
# With leakage: 2 M floats per shot.
"$bin" simulate --circuit c3.stim --readout $ro --leakage p=0.0005,mean_rounds=3 --shots 5000 --seed 3 \
    --out ld.b8 --out-format b8 --obs-out lo.b8 --obs-out-format b8 --soft-out ls.f32
check "leakage: the soft file holds 2 x 33 floats per shot" '[ $(stat -c %s ls.f32) -eq $((5000 * 66 * 4)) ]'
"$bin" decode --circuit c3.stim --in ld.b8 --obs-in lo.b8 --decoder mwpm-soft --soft-in ls.f32 > leak.txt 2>&1
check "leakage: decode reads the p1 half ($(cat leak.txt))" 'grep -q "^shots 5000 errors" leak.txt'
sed -e 's/output: soft.h5/output: leak.h5/' -e 's/distance: \[3, 5\]/distance: 3/' -e 's/max_shots: 20000/max_shots: 5000/' \
    -e 's/t1_over_tint: 20}}/t1_over_tint: 20}, leakage: {p: 0.0005, mean_rounds: 3}}/' soft.yaml > leak.yaml
mpi 2 "$bin" run leak.yaml > run_leak.txt 2>&1
g=experiments/surface_z_d3_r3_si1000_p0.001_leak0.0005_m3_snr5_t20/decoders
soft=$(attr leak.h5 $g/mwpm-soft/errors)
check "leakage: run decodes with mwpm-soft ($soft errors; $(grep -c errors run_leak.txt) result lines)" '[ -n "$soft" ]'
finish
