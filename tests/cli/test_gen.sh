#!/usr/bin/env bash
# qecpipe gen: uniform circuits equal the reference vectors' stim gen text (comments aside),
# si1000 circuits parse and have the same detector lines, --out writes atomically, and bad
# flags or values fail with one line and the right exit status.
set -u
bin=${QECPIPE_BIN:?}
vec=${QECPIPE_VECTORS:-}
data=${QECPIPE_TEST_DATA:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0; pass=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1"; fail=$((fail+1)); fi; }

# 1. Uniform noise reproduces stim gen for every reference circuit present.
dirs="$data"; [ -n "$vec" ] && [ -d "$vec" ] && dirs="$vec"
[ "${QECPIPE_REQUIRE_VECTORS:-}" = 1 ] && check "QECPIPE_REQUIRE_VECTORS=1: the shared vectors are present" '[ "$dirs" != "$data" ]' 
n=0
for f in "$dirs"/surface_*_d*_r*_p*.stim; do
  [ -e "$f" ] || continue
  b=$(basename "$f" .stim); IFS=_ read -r _ basis d r p <<< "$b"
  "$bin" gen --code surface --basis "$basis" --distance "${d#d}" --rounds "${r#r}" --noise uniform --p "${p#p}" > "$tmp/ours.stim"
  check "$b: exit 0" '[ $? -eq 0 ]'
  grep -v '^#' "$f" > "$tmp/ref.stim"; grep -v '^#' "$tmp/ours.stim" > "$tmp/ours_nc.stim"
  check "$b: same text as stim gen" 'cmp -s "$tmp/ref.stim" "$tmp/ours_nc.stim"'
  n=$((n+1))
done
check "compared at least 3 vector circuits (got $n)" '[ $n -ge 3 ]'

# 2. si1000: same DETECTOR / OBSERVABLE lines as uniform; CZ only; noise model visible.
"$bin" gen --basis z --distance 5 --rounds 25 --noise si1000 --p 0.001 --out "$tmp/si.stim"
check "si1000 --out exit 0" '[ $? -eq 0 ]'
check "si1000 file exists, no .partial left" '[ -s "$tmp/si.stim" ] && [ ! -e "$tmp/si.stim.partial" ]'
"$bin" gen --basis z --distance 5 --rounds 25 --noise uniform --p 0.001 > "$tmp/u.stim"
check "si1000 and uniform have the same detectors and observable" \
  'diff <(grep -E "DETECTOR|OBSERVABLE|SHIFT_COORDS|QUBIT_COORDS|REPEAT" "$tmp/si.stim") <(grep -E "DETECTOR|OBSERVABLE|SHIFT_COORDS|QUBIT_COORDS|REPEAT" "$tmp/u.stim") >/dev/null'
check "si1000 uses CZ not CX" 'grep -q "^ *CZ " "$tmp/si.stim" && ! grep -q "^ *CX " "$tmp/si.stim"'
check "si1000 noise: DEPOLARIZE2(p), M(5p), X_ERROR(2p), DEPOLARIZE1(p/10)" \
  'grep -q "DEPOLARIZE2(0.001)" "$tmp/si.stim" && grep -q "M(0.005)" "$tmp/si.stim" && grep -q "X_ERROR(0.002)" "$tmp/si.stim" && grep -q "DEPOLARIZE1(0.0001)" "$tmp/si.stim"'

# 3. Noiseless: no noise channels at all.
"$bin" gen --basis x --distance 3 --rounds 4 > "$tmp/clean.stim"
check "noiseless gen exit 0" '[ $? -eq 0 ]'
check "noiseless circuit has no noise" '! grep -qE "ERROR|DEPOLARIZE|PAULI_CHANNEL|M\(" "$tmp/clean.stim"'
check "noiseless circuit has 16 DETECTOR lines (4 + 8 in REPEAT + 4)" '[ "$(grep -c DETECTOR "$tmp/clean.stim")" -eq 16 ]'

# 4. Errors: usage errors exit 2 with one line; bad values exit 1 or 2 with one line; no output file.
expect_fail() {  # name, expected status, args...
  local name=$1 want=$2; shift 2
  "$bin" gen "$@" > /dev/null 2> "$tmp/err"; local st=$?
  check "$name: exit $want (got $st)" '[ $st -eq $want ]'
  check "$name: one line on stderr" '[ "$(wc -l < "$tmp/err")" -eq 1 ]'
  check "$name: message names the command" 'grep -q "^qecpipe gen: " "$tmp/err"'
}
expect_fail "missing --basis" 2 --distance 3 --rounds 3
expect_fail "missing --distance" 2 --basis x --rounds 3
expect_fail "missing --rounds" 2 --basis x --distance 3
expect_fail "bad --basis" 2 --basis y --distance 3 --rounds 3
expect_fail "bad --noise" 2 --basis x --distance 3 --rounds 3 --noise pink
expect_fail "bad --code" 2 --code color --basis x --distance 3 --rounds 3
expect_fail "non-numeric --p" 2 --basis x --distance 3 --rounds 3 --p abc
expect_fail "unknown flag" 2 --basis x --distance 3 --rounds 3 --frobnicate 1
expect_fail "even distance" 1 --basis x --distance 4 --rounds 3 --out "$tmp/even.stim"
check "even distance leaves no file" '[ ! -e "$tmp/even.stim" ] && [ ! -e "$tmp/even.stim.partial" ]'
expect_fail "p out of range" 1 --basis x --distance 3 --rounds 3 --p 2
expect_fail "unwritable --out" 1 --basis x --distance 3 --rounds 3 --out /nonexistent/dir/f.stim

# Repetition code: Stim's text for the vectors' case; DEM equals Stim's; usage errors.
"$bin" gen --code repetition --distance 7 --rounds 20 --p 0.002 --out "$tmp/rep.stim"
check "repetition gen exits 0" '[ $? -eq 0 ]'
check "repetition circuit equals stim gen's (comments aside)" \
    'diff <(grep -v "^#" "$tmp/rep.stim") <(grep -v "^#" "$QECPIPE_TEST_DATA/gates/gen_repetition_code_memory_d7_r20.stim") >/dev/null'
"$bin" gen --code repetition --basis x --distance 3 --rounds 2 2>"$tmp/err" >/dev/null; st=$?
check "repetition with --basis is a usage error" '[ $st -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ]'
"$bin" gen --code repetition --distance 1 --rounds 2 2>"$tmp/err" >/dev/null; st=$?
check "repetition distance 1 is a usage error" '[ $st -eq 2 ]'
"$bin" gen --code color --distance 3 --rounds 2 2>"$tmp/err" >/dev/null; st=$?
check "unknown code names the supported ones" '[ $st -eq 2 ] && grep -q "surface, repetition" "$tmp/err"'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
