#!/usr/bin/env bash
# The qecpipe command: --version, --help, and usage errors exit 2 with one line.
set -u
bin=${QECPIPE_BIN:?}
fail=0; pass=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1"; fail=$((fail+1)); fi; }

"$bin" --version | grep -q '^qecpipe [0-9]'; check "--version prints version" '[ $? -eq 0 ]'
"$bin" --help >/dev/null; check "--help exits 0" '[ $? -eq 0 ]'
"$bin" frobnicate 2>/tmp/qp_cli_err.$$; st=$?
check "unknown command exits 2" '[ $st -eq 2 ]'
check "unknown command: one line" '[ "$(wc -l < /tmp/qp_cli_err.$$)" -eq 1 ]'
for cmd in $("$bin" --help | awk '/^commands:/{f=1;next} f&&/^  [a-z]/{print $1}'); do
  "$bin" "$cmd" --help >/dev/null; st=$?
  check "$cmd --help exits 0" '[ $st -eq 0 ]'
  "$bin" "$cmd" --no-such-flag 2>/tmp/qp_cli_err.$$ >/dev/null; st=$?
  check "$cmd unknown flag exits 2" '[ $st -eq 2 ]'
  check "$cmd unknown flag: one line" '[ "$(wc -l < /tmp/qp_cli_err.$$)" -eq 1 ]'
done
rm -f /tmp/qp_cli_err.$$
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
