#!/usr/bin/env bash
# qecpipe dem: Stim-identical detector error models from circuits. The written text equals
# Stim's line for line (same targets, decompositions, detector declarations, order) with every
# probability within 1e-9 relative, and in fact byte for byte (same 19-digit probabilities); failures exit 1 with one line and leave no output file;
# usage errors exit 2; a 100,000-round circuit folds into a small model.
set -u
bin=${QECPIPE_BIN:?}
data=${QECPIPE_TEST_DATA:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0; pass=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1"; fail=$((fail+1)); fi; }

# same_model OURS THEIRS: identical text apart from probabilities, which agree to 1e-9 relative.
same_model() {
  paste -d '\n' "$1" "$2" | awk '
    NR % 2 == 1 { a = $0; next }
    {
      b = $0; pa = a; pb = b
      sub(/error\([^)]*\)/, "error()", pa); sub(/error\([^)]*\)/, "error()", pb)
      if (pa != pb) { print "line " NR/2 ": " a " | " b; bad = 1; exit 1 }
      if (a ~ /error\(/) {
        x = a; sub(/.*error\(/, "", x); sub(/\).*/, "", x)
        y = b; sub(/.*error\(/, "", y); sub(/\).*/, "", y)
        d = x - y; if (d < 0) d = -d
        if (d > 1e-9 * y) { print "line " NR/2 ": p " x " vs " y; bad = 1; exit 1 }
      }
    }
    END { exit bad }' && [ "$(wc -l < "$1")" -eq "$(wc -l < "$2")" ]
}

for name in surface_x_d3_r3_p0.003 surface_z_d3_r3_p0.003 surface_x_d5_r5_p0.003; do
  "$bin" dem --circuit "$data/$name.stim" --decompose-errors --out "$tmp/$name.dem"; st=$?
  check "$name decomposed: exit 0" '[ $st -eq 0 ]'
  check "$name decomposed equals Stim's .dem" 'same_model "$tmp/$name.dem" "$data/$name.dem"'
  check "$name decomposed is byte-identical to Stim's .dem" 'cmp -s "$tmp/$name.dem" "$data/$name.dem"'
  check "$name: no .partial left" '[ ! -e "$tmp/$name.dem.partial" ]'
  "$bin" dem --circuit "$data/$name.stim" > "$tmp/$name.nodecomp.dem"; st=$?
  check "$name undecomposed to stdout: exit 0" '[ $st -eq 0 ]'
  check "$name undecomposed equals Stim's .nodecomp.dem" 'same_model "$tmp/$name.nodecomp.dem" "$data/$name.nodecomp.dem"'
  check "$name undecomposed is byte-identical" 'cmp -s "$tmp/$name.nodecomp.dem" "$data/$name.nodecomp.dem"'
done

vec=${QECPIPE_VECTORS:-}
if [ -n "$vec" ] && [ -f "$vec/surface_x_d5_r1000_p0.003.stim" ]; then
  "$bin" dem --circuit "$vec/surface_x_d5_r1000_p0.003.stim" --decompose-errors --fold-loops --out "$tmp/r1000.dem"
  check "r1000 folded equals Stim's folded .dem" 'same_model "$tmp/r1000.dem" "$vec/surface_x_d5_r1000_p0.003.dem"'
  check "r1000 folded is byte-identical" 'cmp -s "$tmp/r1000.dem" "$vec/surface_x_d5_r1000_p0.003.dem"'
elif [ "${QECPIPE_REQUIRE_VECTORS:-}" = 1 ]; then
  check "QECPIPE_REQUIRE_VECTORS=1: surface_x_d5_r1000_p0.003.stim present in the shared vectors" false
else
  echo "SKIP: shared vectors absent; the r=1000 comparison did not run"
  skipped=1
fi

# 100,000 rounds: folded, small, with a repeat block.
"$bin" gen --basis x --distance 5 --rounds 100000 --p 0.001 --out "$tmp/long.stim"
"$bin" dem --circuit "$tmp/long.stim" --decompose-errors --fold-loops --out "$tmp/long.dem"; st=$?
check "100k rounds folded: exit 0" '[ $st -eq 0 ]'
check "100k rounds folded: under 1 MB" '[ "$(wc -c < "$tmp/long.dem")" -lt 1000000 ]'
check "100k rounds folded: has a repeat block" 'grep -q "^repeat [0-9]* {" "$tmp/long.dem"'

# A non-deterministic detector: exit 1, one line naming it, no output file.
printf 'QUBIT_COORDS(0, 0) 0\nH 0\nM 0\nDETECTOR(3, 4) rec[-1]\n' > "$tmp/gauge.stim"
"$bin" dem --circuit "$tmp/gauge.stim" --out "$tmp/gauge.dem" 2>"$tmp/err"; st=$?
check "non-deterministic detector exits 1" '[ $st -eq 1 ]'
check "non-deterministic: one line" '[ "$(wc -l < "$tmp/err")" -eq 1 ]'
check "non-deterministic: names D0 and its coordinates" 'grep -q "qecpipe dem: .*detector D0 at coords (3, 4) is not deterministic" "$tmp/err"'
check "non-deterministic: no output file" '[ ! -e "$tmp/gauge.dem" ] && [ ! -e "$tmp/gauge.dem.partial" ]'

# A malformed circuit: exit 1, one line with file:line:column.
printf 'H 0\nFOO 1\n' > "$tmp/bad.stim"
"$bin" dem --circuit "$tmp/bad.stim" --out "$tmp/bad.dem" 2>"$tmp/err"; st=$?
check "malformed circuit exits 1" '[ $st -eq 1 ]'
check "malformed circuit: one line naming line 2" '[ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "bad.stim:2:" "$tmp/err"'
check "malformed circuit: no output" '[ ! -e "$tmp/bad.dem" ]'

# Usage errors exit 2 with one line.
"$bin" dem 2>"$tmp/err" >/dev/null; st=$?
check "missing --circuit exits 2" '[ $st -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ]'
"$bin" dem --circuit 2>"$tmp/err" >/dev/null; st=$?
check "--circuit without value exits 2" '[ $st -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ]'

# The whole language: HERALDED_ERASE needs --approximate-disjoint-errors, as in Stim.
printf 'R 0\nHERALDED_ERASE(0.01) 0\nM 0\nDETECTOR rec[-1]\nDETECTOR rec[-2]\n' > "$tmp/h.stim"
"$bin" dem --circuit "$tmp/h.stim" --out "$tmp/h.dem" 2>"$tmp/err"; st=$?
check "HERALDED_ERASE without the flag exits 1, one line, no file" \
    '[ $st -eq 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "approximate-disjoint-errors" "$tmp/err" && [ ! -e "$tmp/h.dem" ]'
"$bin" dem --circuit "$tmp/h.stim" --approximate-disjoint-errors --out "$tmp/h.dem"
check "HERALDED_ERASE with the flag: herald alone, and herald with X or Y" \
    '[ $? -eq 0 ] && grep -q "^error(0\.005[0-9]*) D0 D1$" "$tmp/h.dem" && grep -q "^error(0\.005[0-9]*) D1$" "$tmp/h.dem"'

# A hyperedge that cannot be decomposed (three detectors, nothing to split it into): dem
# --decompose-errors and every decoder refuse with one line naming it.
printf 'R 0\nX_ERROR(0.1) 0\nM 0\nDETECTOR rec[-1]\nDETECTOR rec[-1]\nDETECTOR rec[-1]\n' > "$tmp/hyper.stim"
"$bin" dem --circuit "$tmp/hyper.stim" --decompose-errors --out "$tmp/hyper.dem" 2>"$tmp/err"; st=$?
check "undecomposable hyperedge: exit 1, one line naming D0 D1 D2" \
    '[ $st -eq 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "D0 D1 D2" "$tmp/err"'
"$bin" dem --circuit "$tmp/hyper.stim" --out "$tmp/hyper.dem"
printf '\x07\n' > "$tmp/hyper.b8"
for dec in mwpm mwpm-corr uf; do
  "$bin" decode --dem "$tmp/hyper.dem" --in "$tmp/hyper.b8" --in-format b8 --out "$tmp/p.01" --decoder $dec 2>"$tmp/err"; st=$?
  check "$dec refuses a hyperedge DEM with one line naming it" \
      '[ $st -eq 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "not graphlike.*D0 D1 D2" "$tmp/err" && [ ! -e "$tmp/p.01" ]'
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ] || exit 1
[ -z "${skipped:-}" ] || exit 77  # ctest: SKIP_RETURN_CODE
