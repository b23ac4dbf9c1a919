# Sourced first by the CLI test scripts: the binary under test ($bin), this folder ($here), a
# scratch directory made current and removed at exit, `check NAME EXPR` (counts EXPR's
# outcome, names a failure), `mpi N CMD...`, `attr FILE.h5 PATH` (an HDF5 attribute's first
# value) and `finish` (the summary line; its status is the script's).
set -u
bin=${QECPIPE_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail=0; pass=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1"; fail=$((fail+1)); fi; }
mpi() { mpirun --oversubscribe -n "$@"; }
attr() { h5dump -a "/$2" "$1" 2>/dev/null | awk '/\(0\):/ {print $2; exit}'; }
# refused CHECK_NAME PATTERN CMD...: CMD (bad input) exits 1 with one stderr line matching
# PATTERN, and an existing output keep.out is left untouched (no keep.out.partial either).
refused() {
  local what=$1 want=$2; shift 2
  echo keep > keep.out
  timeout 300 "$@" 2> err.txt > /dev/null; st=$?
  check "$what: exit 1 (got $st: $(head -c 200 err.txt))" '[ $st -eq 1 ]'
  check "$what: one line matching '$want'" '[ "$(wc -l < err.txt)" -eq 1 ] && grep -q -- "$want" err.txt'
  check "$what: existing output untouched" '[ "$(cat keep.out)" = keep ] && [ ! -e keep.out.partial ]'
}
finish() { echo "$pass passed, $fail failed"; [ $fail -eq 0 ]; }
