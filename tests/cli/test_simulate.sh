#!/usr/bin/env bash
# qecpipe simulate end to end: every output format carries the same bits (checked by
# converting back to b8), observables appended or separate agree, the same seed gives the same
# bytes, the spill path (tiny --record-budget) equals the in-memory path, and errors exit 1 or 2
# with one line and leave no output file behind.
set -u
bin=${QECPIPE_BIN:?}
data=${QECPIPE_TEST_DATA:?}
circ=$data/surface_x_d3_r3_p0.003.stim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0; pass=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1"; fail=$((fail+1)); fi; }

# Reference run: 640 shots, observables appended, b8 (24 detectors + 1 observable = 4 bytes).
"$bin" simulate --circuit "$circ" --shots 640 --seed 11 --out "$tmp/ref.b8" --out-format b8 --append-observables
check "b8 run exits 0" '[ $? -eq 0 ]'
check "b8 size is 640 x 4 bytes" '[ "$(stat -c %s "$tmp/ref.b8")" -eq 2560 ]'
check "some detection events fired" '[ "$(od -An -v -tu1 "$tmp/ref.b8" | tr -s " " "\n" | grep -cv "^0*$")" -gt 50 ]'

# Every format, converted back to b8, gives the same bytes.
for fmt in 01 r8 hits dets ptb64; do
  "$bin" simulate --circuit "$circ" --shots 640 --seed 11 --out "$tmp/s.$fmt" --out-format $fmt --append-observables
  check "$fmt run exits 0" '[ $? -eq 0 ]'
  "$bin" convert --in "$tmp/s.$fmt" --in-format $fmt --out "$tmp/back.$fmt.b8" --out-format b8 \
      --num-detectors 24 --num-observables 1
  check "$fmt converts back" '[ $? -eq 0 ]'
  check "$fmt carries the same bits as b8" 'cmp -s "$tmp/ref.b8" "$tmp/back.$fmt.b8"'
done

# Separate observables file = the appended bit; detector file = the first 24 bits.
"$bin" simulate --circuit "$circ" --shots 640 --seed 11 --out "$tmp/d.b8" --out-format b8 \
    --obs-out "$tmp/o.b8" --obs-out-format b8
check "split run exits 0" '[ $? -eq 0 ]'
"$bin" convert --in "$tmp/ref.b8" --in-format b8 --out "$tmp/d2.b8" --out-format b8 \
    --obs-out "$tmp/o2.b8" --obs-out-format b8 --num-detectors 24 --num-observables 1
check "separate detector file matches the appended run" 'cmp -s "$tmp/d.b8" "$tmp/d2.b8"'
check "separate observable file matches the appended run" 'cmp -s "$tmp/o.b8" "$tmp/o2.b8"'

# Determinism, and seeds matter.
"$bin" simulate --circuit "$circ" --shots 640 --seed 11 --out "$tmp/again.b8" --out-format b8 --append-observables
check "same seed, same bytes" 'cmp -s "$tmp/ref.b8" "$tmp/again.b8"'
"$bin" simulate --circuit "$circ" --shots 640 --seed 12 --out "$tmp/other.b8" --out-format b8 --append-observables
check "different seed, different bytes" '! cmp -s "$tmp/ref.b8" "$tmp/other.b8"'
# A shorter run is a prefix of a longer one (same seed).
"$bin" simulate --circuit "$circ" --shots 300 --seed 11 --out "$tmp/short.b8" --out-format b8 --append-observables
check "300 shots = first 300 of 640" 'cmp -s "$tmp/short.b8" <(head -c 1200 "$tmp/ref.b8")'

# Spill path (records through a temporary file) gives the same bytes.
"$bin" simulate --circuit "$circ" --shots 640 --seed 11 --out "$tmp/spill.b8" --out-format b8 --append-observables \
    --record-budget 1 --obs-out "$tmp/spill_o.b8" --obs-out-format b8
check "spill run exits 0" '[ $? -eq 0 ]'
check "spill path = in-memory path" 'cmp -s "$tmp/ref.b8" "$tmp/spill.b8"'
check "spill path observables = in-memory path" 'cmp -s "$tmp/o.b8" "$tmp/spill_o.b8"'

# Observable flip rate of 20,000 shots, from the circuit and from its DEM (--dem), against
# Stim's 1346 / 20000 in the reference vectors: |difference| < 5 combined standard deviations.
rate_ok() {  # file of 01 lines, Stim count, shots
  awk -v stim="$2" -v n="$3" '{ k += ($1 == "1") } END {
      p1 = k / n; p2 = stim / n; p = (k + stim) / (2 * n); sd = sqrt(p * (1 - p) * 2 / n);
      z = (p1 - p2) / sd; if (z < 0) z = -z; printf "  obs flips %d vs Stim %d (z = %.2f)\n", k, stim, z; exit !(z < 5) }' "$1"
}
"$bin" simulate --circuit "$circ" --shots 20000 --seed 5 --out "$tmp/big.b8" --out-format b8 --obs-out "$tmp/big_o.01"
check "20000-shot circuit run exits 0" '[ $? -eq 0 ]'
check "circuit observable flip rate agrees with Stim" 'rate_ok "$tmp/big_o.01" 1346 20000'
"$bin" simulate --dem "$data/surface_x_d3_r3_p0.003.dem" --shots 20000 --seed 5 --out "$tmp/dem.b8" --out-format b8 \
    --obs-out "$tmp/dem_o.01" --append-observables
check "DEM run exits 0" '[ $? -eq 0 ]'
check "DEM records have 25 bits (4 bytes)" '[ "$(stat -c %s "$tmp/dem.b8")" -eq 80000 ]'
check "DEM observable flip rate agrees with Stim" 'rate_ok "$tmp/dem_o.01" 1346 20000'
"$bin" simulate --circuit "$circ" --dem "$data/surface_x_d3_r3_p0.003.dem" --shots 1 --out "$tmp/x.b8" 2>"$tmp/err"; st=$?
check "--circuit with --dem exits 2" '[ $st -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ]'

# Usage errors: exit 2, one line.
"$bin" simulate --shots 10 --out "$tmp/x.b8" 2>"$tmp/err"; st=$?
check "missing --circuit exits 2" '[ $st -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ]'
"$bin" simulate --circuit "$circ" --shots 10 --out "$tmp/x.b8" --out-format b9 2>"$tmp/err"; st=$?
check "unknown format exits 2" '[ $st -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ]'
# Runtime errors: exit 1, one line naming the file, nothing left behind.
printf 'R 0\nM 0\nFOO 1\nDETECTOR rec[-1]\n' > "$tmp/bad.stim"
"$bin" simulate --circuit "$tmp/bad.stim" --shots 10 --out "$tmp/bad.b8" --out-format b8 2>"$tmp/err"; st=$?
check "bad circuit exits 1" '[ $st -eq 1 ]'
check "bad circuit: one line naming file:line" '[ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "bad.stim:3" "$tmp/err"'
check "bad circuit: no output file" '[ ! -e "$tmp/bad.b8" ] && [ ! -e "$tmp/bad.b8.partial" ]'
"$bin" simulate --circuit "$tmp/missing.stim" --shots 10 --out "$tmp/bad.b8" 2>"$tmp/err"; st=$?
check "missing circuit exits 1" '[ $st -eq 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ]'
# ptb64 needs a multiple of 64 shots: a usage error before sampling, nothing left.
"$bin" simulate --circuit "$circ" --shots 100 --out "$tmp/p.ptb64" --out-format ptb64 2>"$tmp/err"; st=$?
check "ptb64 with 100 shots exits 2, no file" '[ $st -eq 2 ] && [ ! -e "$tmp/p.ptb64" ] && [ ! -e "$tmp/p.ptb64.partial" ]'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
