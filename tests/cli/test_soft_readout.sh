#!/usr/bin/env bash
# Soft readout end to end (issue 15): `gen --readout` writes the hard-equivalent circuit (only
# the single-qubit measurements' flip probabilities change, to the model's M named in the
# header), `simulate --readout --soft-out` writes num_measurements float32 per shot in [0, 1],
# the same seed gives the same bytes, asking for soft values does not change the detection
# events, and usage errors exit 2 leaving no file.
source "$(dirname "$0")/cli_lib.sh"

"$bin" gen --basis z --distance 3 --rounds 4 --noise si1000 --p 0.002 --out plain.stim
"$bin" gen --basis z --distance 3 --rounds 4 --noise si1000 --p 0.002 --readout snr=8,t1_over_tint=40 --out hard.stim
check "gen --readout exits 0" '[ $? -eq 0 ]'
m=$(sed -n 's/.*implied M = \([0-9.e-]*\).*/\1/p' hard.stim)
check "the header names M (snr 8, T1/Tint 40: 0.0053)" '[ "${m:0:6}" = "0.0053" ]'
check "every M instruction flips with M" '[ "$(grep -c "^ *M(" hard.stim)" -eq 3 ] && [ "$(grep -c "^ *M($m" hard.stim)" -eq 3 ]'
check "nothing else changes" '[ "$(diff <(grep -v "^ *M(\|^#" plain.stim) <(grep -v "^ *M(\|^#" hard.stim) | wc -l)" -eq 0 ]'

meas=41  # d=3, 4 rounds: 8 measure qubits x 4 rounds + 9 data qubits
"$bin" simulate --circuit plain.stim --shots 500 --seed 4 --readout snr=8,t1_over_tint=40 --soft-out s.f32 \
    --out d.b8 --out-format b8
check "simulate --readout --soft-out exits 0" '[ $? -eq 0 ]'
check "soft file holds 500 x $meas float32" '[ "$(stat -c %s s.f32)" -eq $((500 * meas * 4)) ]'
check "values in [0, 1], some uncertain" 'od -An -v -tf4 s.f32 | tr -s " " "\n" | grep -v "^$" |
    awk "\$1 < 0 || \$1 > 1 { bad++ } \$1 > 1e-4 && \$1 < 0.9999 { mid++ } END { exit !(bad == 0 && mid > 10) }"'
"$bin" simulate --circuit plain.stim --shots 500 --seed 4 --readout snr=8,t1_over_tint=40 --soft-out s2.f32 \
    --out d2.b8 --out-format b8
check "same seed, same soft bytes" 'cmp -s s.f32 s2.f32'
"$bin" simulate --circuit plain.stim --shots 500 --seed 4 --readout snr=8,t1_over_tint=40 --out d3.b8 --out-format b8
check "soft values do not change the detection events" 'cmp -s d.b8 d3.b8'
"$bin" simulate --circuit plain.stim --shots 500 --seed 4 --out d4.b8 --out-format b8
check "readout changes them (vs M(5p) flips)" '! cmp -s d.b8 d4.b8'

"$bin" simulate --circuit plain.stim --shots 300 --seed 4 --readout snr=8,t1_over_tint=40 --leakage p=0.002,mean_rounds=3 \
    --soft-out l.f32 --out l.b8 --out-format b8
check "with --leakage each shot holds p1 then pleak: 300 x 2 x $meas float32" '[ "$(stat -c %s l.f32)" -eq $((300 * 2 * meas * 4)) ]'

"$bin" simulate --circuit plain.stim --shots 10 --soft-out x.f32 --out x.b8 2>err.txt
check "--soft-out without --readout is a usage error" '[ $? -eq 2 ] && [ ! -e x.f32 ] && [ ! -e x.b8 ] && grep -q "needs --readout" err.txt'
"$bin" simulate --circuit plain.stim --shots 10 --readout snr=8,t1=3 --out x.b8 2>err.txt
check "unknown --readout key" '[ $? -eq 2 ] && [ ! -e x.b8 ] && grep -q "unknown key .t1." err.txt'
"$bin" gen --basis z --distance 3 --rounds 2 --readout snr=-1,t1_over_tint=3 --out y.stim 2>err.txt
check "negative snr" '[ $? -eq 2 ] && [ ! -e y.stim ] && grep -q "snr must be positive" err.txt'
finish
