#!/bin/bash
# mwpm-soft on real soft readout (issue 15, must-show 1's "mwpm-soft < mwpm"): the sampler's
# readout model (snr 5, t1_over_tint 20: implied flip M = 0.0182) on SI1000 p = 0.001, d = 3 and 5,
# rounds = d, memory Z, 20,000 shots each.
#   - simulate --readout --soft-out, then decode with mwpm and mwpm-soft on the same shots and
#     the hard-equivalent circuit (gen --readout): paired comparison, D = mwpm mistakes -
#     mwpm-soft mistakes, sd = sqrt(discordant shots); asserted D > 4 sd for each distance
#     (seed fixed: 5.4 and 5.8 sd when written);
#   - qecpipe run with noise.readout and decoders [mwpm, mwpm-soft]: mwpm-soft has fewer errors
#     than mwpm in both experiments (the counts the result file records).
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
finish
