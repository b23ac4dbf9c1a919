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
finish() { echo "$pass passed, $fail failed"; [ $fail -eq 0 ]; }
