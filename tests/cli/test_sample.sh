#!/usr/bin/env bash
# qecpipe sample end to end (the measurement record, like `stim sample`): a noiseless circuit
# gives its reference record in every shot (inverted targets, MPAD, Pauli products, X before
# M, feedback), formats carry the same bits, the same seed gives the same bytes, heralds are in
# the record even for one shot, and bad input exits 1 with one line and no output file.
set -u
bin=${QECPIPE_BIN:?}
data=${QECPIPE_TEST_DATA:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0; pass=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1"; fail=$((fail+1)); fi; }

# Deterministic records: X 0 -> 1; !1 -> 1; MPAD 1 0; MPP Z0*Z1 on |10> -> 1; MXX on |++> -> 0;
# feedback CX rec[-6] 2 (the first result, 1) flips qubit 2 -> M 2 reads 1; SPP X3 twice = X.
cat > "$tmp/det.stim" <<'C'
X 0
M 0 !1
MPAD 1 0
MPP Z0*Z1
RX 4 5
MXX 4 5
CX rec[-6] 2
M 2
SPP X3
SPP X3
M 3
C
"$bin" sample --circuit "$tmp/det.stim" --shots 5 --seed 3 --out "$tmp/det.01" --out-format 01
check "noiseless run exits 0" '[ $? -eq 0 ]'
check "every shot is the reference record" '[ "$(sort -u "$tmp/det.01")" = "11101011" ]'
check "five shots" '[ "$(wc -l < "$tmp/det.01")" -eq 5 ]'

circ=$data/gates/gates_s7001.stim
"$bin" sample --circuit "$circ" --shots 640 --seed 11 --out "$tmp/ref.b8" --out-format b8
check "b8 run exits 0" '[ $? -eq 0 ]'
check "b8 size is 640 x 4 bytes (25 results)" '[ "$(stat -c %s "$tmp/ref.b8")" -eq 2560 ]'
for fmt in 01 r8 hits dets ptb64; do
  "$bin" sample --circuit "$circ" --shots 640 --seed 11 --out "$tmp/s.$fmt" --out-format $fmt
  "$bin" convert --in "$tmp/s.$fmt" --in-format $fmt --out "$tmp/back.$fmt.b8" --out-format b8 \
      --num-detectors 25 --num-observables 0
  check "$fmt carries the same bits as b8" 'cmp -s "$tmp/ref.b8" "$tmp/back.$fmt.b8"'
done
check "dets names results M<k>" 'grep -q "^shot.* M[0-9]" "$tmp/s.dets"'
"$bin" sample --circuit "$circ" --shots 640 --seed 11 --out "$tmp/again.b8" --out-format b8
check "same seed, same bytes" 'cmp -s "$tmp/ref.b8" "$tmp/again.b8"'
"$bin" sample --circuit "$circ" --shots 640 --seed 12 --out "$tmp/other.b8" --out-format b8
check "another seed, other bytes" '! cmp -s "$tmp/ref.b8" "$tmp/other.b8"'

printf 'R 0\nHERALDED_ERASE(0.5) 0\nM 0\n' > "$tmp/h.stim"
"$bin" sample --circuit "$tmp/h.stim" --shots 1 --out "$tmp/h.01"
check "one shot still has the herald (2 results)" '[ "$(head -c 2 "$tmp/h.01" | tr -d 01 | wc -c)" -eq 0 ] && [ "$(wc -c < "$tmp/h.01")" -eq 3 ]'

printf 'H 0\nM 0\nFOO 1\n' > "$tmp/bad.stim"
msg=$("$bin" sample --circuit "$tmp/bad.stim" --shots 10 --out "$tmp/bad.01" 2>&1); rc=$?
check "bad circuit exits 1" '[ $rc -eq 1 ]'
check "error names file:line:col" '[[ "$msg" == *"bad.stim:3:1: unknown gate"* ]]'
check "error is one line" '[ "$(printf "%s\n" "$msg" | wc -l)" -eq 1 ]'
check "no output file left" '[ ! -e "$tmp/bad.01" ] && [ ! -e "$tmp/bad.01.partial" ]'
"$bin" sample --circuit "$circ" --shots 10 --out "$tmp/x.ptb64" --out-format ptb64 2>/dev/null
check "ptb64 with 10 shots is a usage error (2)" '[ $? -eq 2 ]'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
