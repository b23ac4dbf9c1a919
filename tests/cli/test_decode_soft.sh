#!/bin/bash
# qecpipe decode --decoder mwpm-soft --soft-in F (issue 15): the soft shot file is read shot by
# shot beside the detection events. Soft files are made here byte by byte (float32 little-endian):
#   - p1 = 0.01 everywhere, on a circuit whose measurements say M(0.01): predictions and the
#     printed line identical to --decoder mwpm (the readout says what the circuit says);
#   - the same values in the leakage layout (p1 then pleak per shot, twice the size): identical;
#   - p1 = 0.5 everywhere (every result a coin toss): measurement edges cost nothing and
#     mwpm-soft makes more mistakes than mwpm, so the values are really read;
#   - usage and input errors: no --soft-in, --soft-in for another decoder, --dem instead of
#     --circuit, --window, a size that is not whole shots, a shot count other than --in's.
source "$(dirname "$0")/cli_lib.sh"

"$bin" gen --code surface --basis z --distance 3 --rounds 3 --noise si1000 --p 0.002 > c.stim  # M(0.01)
# Its measurements: 8 per round (the REPEAT body holds rounds 2..3) + 9 data qubits.
M=$(awk '/REPEAT/ {rep = $2; next} /^ *}/ {rep = 0; next}
         /^ *M\(/ {n = NF - 1; total += rep ? rep * n : n} END {print total}' c.stim)
check "the circuit has 33 measurements (counted $M)" '[ "$M" = 33 ]'
shots=2000
"$bin" simulate --circuit c.stim --shots $shots --seed 5 --out d.b8 --out-format b8 --obs-out o.b8 --obs-out-format b8

# float32 file of n copies of the 4 bytes $2 (octal escapes for printf).
floats() {
    printf "$2" > one.f32
    while [ $(stat -c %s one.f32) -lt $(($1 * 4)) ]; do cat one.f32 one.f32 > two.f32; mv two.f32 one.f32; done
    head -c $(($1 * 4)) one.f32
}
floats $((shots * M)) '\012\327\043\074' > q0.f32    # 0.01f = 0x3c23d70a
floats $((shots * M)) '\000\000\000\077' > half.f32  # 0.5f = 0x3f000000

"$bin" decode --circuit c.stim --in d.b8 --obs-in o.b8 --out hard.01 > hard.txt
"$bin" decode --circuit c.stim --in d.b8 --obs-in o.b8 --out soft.01 --decoder mwpm-soft --soft-in q0.f32 > soft.txt
check "p1 = q0: mwpm-soft predicts as mwpm" 'cmp -s hard.01 soft.01'
check "p1 = q0: the same counts ($(cat soft.txt))" 'cmp -s hard.txt soft.txt'
hard_errors=$(awk '{print $4}' hard.txt)
check "mwpm makes mistakes here ($hard_errors)" '[ "$hard_errors" -gt 0 ]'

# The leakage layout: per shot 33 p1 then 33 pleak. Interleave q0 rows with half rows so that
# reading it as p1-only shots would decode with coin tosses on every other shot.
head -c $((M * 4)) q0.f32 > row_q0.f32
head -c $((M * 4)) half.f32 > row_half.f32
for ((s = 0; s < 8; s++)); do cat row_q0.f32 row_half.f32; done > block.f32  # 8 shots
for ((b = 0; b < shots / 8; b++)); do cat block.f32; done > leak.f32
"$bin" decode --circuit c.stim --in d.b8 --obs-in o.b8 --out leak.01 --decoder mwpm-soft --soft-in leak.f32 > leak.txt
check "leakage layout (p1 then pleak): the p1 halves are used" 'cmp -s hard.01 leak.01'

"$bin" decode --circuit c.stim --in d.b8 --obs-in o.b8 --decoder mwpm-soft --soft-in half.f32 > half.txt
half_errors=$(awk '{print $4}' half.txt)
check "p1 = 0.5: more mistakes than mwpm ($half_errors vs $hard_errors)" '[ "$half_errors" -gt "$hard_errors" ]'

expect_fail() {  # NAME STATUS PATTERN CMD...: exits with STATUS and says PATTERN on stderr
    local name=$1 want=$2 pattern=$3
    shift 3
    "$@" > /dev/null 2> err.txt
    local got=$?
    check "$name (exit $got: $(head -c 200 err.txt))" '[ $got -eq $want ] && grep -q -- "$pattern" err.txt'
}
expect_fail "no --soft-in" 2 "needs --soft-in FILE" \
    "$bin" decode --circuit c.stim --in d.b8 --obs-in o.b8 --decoder mwpm-soft
expect_fail "--soft-in for mwpm" 2 "only for --decoder mwpm-soft" \
    "$bin" decode --circuit c.stim --in d.b8 --obs-in o.b8 --soft-in q0.f32
"$bin" dem --circuit c.stim --decompose-errors --out c.dem
expect_fail "--dem instead of --circuit" 2 "needs --circuit FILE" \
    "$bin" decode --dem c.dem --in d.b8 --obs-in o.b8 --decoder mwpm-soft --soft-in q0.f32
expect_fail "--window" 2 "decodes globally" \
    "$bin" decode --circuit c.stim --in d.b8 --obs-in o.b8 --decoder mwpm-soft --soft-in q0.f32 --window 2
head -c $((shots * M * 4 - 4)) q0.f32 > cut.f32
expect_fail "not whole shots" 1 "cut.f32: $((shots * M * 4 - 4)) bytes is not a whole number of shots of 33 float32" \
    "$bin" decode --circuit c.stim --in d.b8 --obs-in o.b8 --decoder mwpm-soft --soft-in cut.f32
head -c $((100 * M * 4)) q0.f32 > few.f32
expect_fail "fewer shots than --in" 1 "few.f32 holds 100 shots of 33 measurements" \
    "$bin" decode --circuit c.stim --in d.b8 --obs-in o.b8 --decoder mwpm-soft --soft-in few.f32 --out x.01
check "no output left behind" '[ ! -e x.01 ] && [ ! -e x.01.partial ]'
head -c $((100 * M * 4)) q0.f32 | "$bin" decode --circuit c.stim --in d.b8 --obs-in o.b8 --decoder mwpm-soft \
    --soft-in - > /dev/null 2> err.txt
status=${PIPESTATUS[1]}
check "a pipe that ends early (exit $status: $(cat err.txt))" '[ $status -eq 1 ] && grep -q "ends at shot 100" err.txt'
finish
