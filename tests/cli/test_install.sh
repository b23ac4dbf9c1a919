#!/usr/bin/env bash
# `cmake --install` end to end, as a cluster user meets qecpipe:
#   1. the build installs into a temporary prefix P: bin/qecpipe, share/qecpipe/{configs,slurm},
#      one man page per subcommand, bash completion, a modulefile naming P;
#   2. every man page renders (`man -l`) without groff warnings;
#   3. the installed tree still works after being moved (it finds share/qecpipe from its own
#      location): --version names the version, the commit and the moved share directory;
#   4. from an unrelated directory, P/bin/qecpipe runs the installed quickstart config by name
#      on 2 ranks and reports it (table, CSV, plots). The train stage is shortened by training
#      the same config first with `qecpipe train quickstart --steps 200` (run then finds the
#      finished checkpoint and skips training), to keep the suite short; under the sanitizers
#      (QECPIPE_TEST_QUICK) run does one of the quickstart's experiments (--share 0/9);
#   5. bash completion offers subcommands, options and shipped config names.
# shellcheck disable=SC2016,SC2034  # check() evals its single-quoted conditions (and the variables they use) later
set -u
bin=${QECPIPE_BIN:?}
build=$(cd "$(dirname "$bin")" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d /tmp/qecpipe-install-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0; pass=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1"; fail=$((fail+1)); return 1; fi; }

# 1. Install.
P=$work/prefix
cmake --install "$build" --prefix "$P" > "$work/install.log" 2>&1 < /dev/null; st=$?
check "cmake --install exits 0" '[ $st -eq 0 ]' || tail -5 "$work/install.log"
check "P/bin/qecpipe is executable" '[ -x "$P/bin/qecpipe" ]'
for f in "$src"/configs/*.yaml; do
  check "config $(basename "$f") installed unchanged" 'cmp -s "$f" "$P/share/qecpipe/configs/$(basename "$f")"'
done
for f in "$src"/slurm/*; do
  check "slurm/$(basename "$f") installed executable" '[ -x "$P/share/qecpipe/slurm/$(basename "$f")" ]'
done
commands=$("$bin" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
check "qecpipe --help lists at least 8 subcommands" '[ "$(wc -w <<< "$commands")" -ge 8 ]'
pages=("$P/share/man/man1/qecpipe.1")
for c in $commands; do pages+=("$P/share/man/man1/qecpipe-$c.1"); done
for p in "${pages[@]}"; do check "man page $(basename "$p") installed" '[ -s "$p" ]'; done
check "bash completion installed" '[ -s "$P/share/bash-completion/completions/qecpipe" ]'
modulefile=$(printf '%s\n' "$P"/share/qecpipe/modulefiles/qecpipe/* | head -1)
check "modulefile names the prefix" 'grep -qx "set prefix $P" "$modulefile"'
if command -v tclsh > /dev/null; then  # the modulefile is Tcl: it must at least parse
  check "modulefile is complete Tcl" 'echo "puts [info complete [read [open {$modulefile}]]]" | tclsh | grep -qx 1'
fi

# 2. Man pages render.
for p in "${pages[@]}"; do
  MANWIDTH=80 man --warnings -P cat -l "$p" > "$work/man.txt" 2> "$work/man.err"; st=$?
  check "man -l $(basename "$p") renders without warnings" '[ $st -eq 0 ] && [ ! -s "$work/man.err" ]' \
    || head -3 "$work/man.err"
done
MANWIDTH=80 man -P cat -l "$P/share/man/man1/qecpipe-run.1" > "$work/run.man" 2>&1
check "qecpipe-run(1) has NAME, SYNOPSIS and OPTIONS with --out" \
  'grep -q "^NAME" "$work/run.man" && grep -q "^SYNOPSIS" "$work/run.man" && grep -q "^OPTIONS" "$work/run.man" && grep -q -- "--out PATH" "$work/run.man"'
check "qecpipe-run(1) says what it is" 'grep -qE "qecpipe-run +- run a job" "$work/run.man"'

# 3. Move the installed tree: it finds its share/ from its own location.
mv "$P" "$work/moved"
P=$work/moved
"$P/bin/qecpipe" --version > "$work/version.txt"
check "--version names version and commit" \
  'grep -qE "^qecpipe [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]{7,}\)$" "$work/version.txt"' || cat "$work/version.txt"
check "--version names the moved share directory" 'grep -qx "shipped configs and models: $P/share/qecpipe" "$work/version.txt"'

# 4. The installed quickstart, by name, from a directory unrelated to source, build and prefix.
elsewhere=$work/elsewhere
mkdir "$elsewhere"
cd "$elsewhere" || exit 1
"$P/bin/qecpipe" run no_such_config > out.txt 2> err.txt; st=$?
check "an unknown config name: exit 1, one line naming the shipped configs" \
  '[ $st -eq 1 ] && [ "$(wc -l < err.txt)" -eq 1 ] && grep -q "$P/share/qecpipe/configs (shipped: .*quickstart" err.txt' \
  || cat err.txt
share=()
[ -n "${QECPIPE_TEST_QUICK:-}" ] && share=(--share 0/9) && echo "QECPIPE_TEST_QUICK: one experiment of 9"
mpirun --oversubscribe -n 2 "$P/bin/qecpipe" run quickstart "${share[@]}" > run.txt 2> run.err; st=$?
check "mpirun -n 2 P/bin/qecpipe run quickstart exits 0 and writes quickstart.h5" \
  '[ $st -eq 0 ] && [ -f quickstart.h5 ] && [ ! -e quickstart.h5.partial ]' || tail -5 run.err
"$P/bin/qecpipe" report quickstart.h5 --csv quickstart.csv --plots quickstart > table.txt 2> report.err; st=$?
check "report exits 0" '[ $st -eq 0 ]' || cat report.err
expected=$([ ${#share[@]} -gt 0 ] && echo 4 || echo 29)  # d=3: 2 p x 4 decoders + 1 p x 3; d=5,7: 2 x 3 p x 3
check "report lists $expected experiment x decoder rows" '[ "$(grep -c "^surface_x_d" table.txt)" -eq "$expected" ]' \
  || cat table.txt
for plot in ler_vs_p ler_per_round decoders; do
  check "report wrote quickstart_$plot.png and .svg" '[ -s quickstart_$plot.png ] && [ -s quickstart_$plot.svg ]'
done
if [ ${#share[@]} -eq 0 ]; then
  # The plots as sinter users read them: one panel per decoder (4, one noise model), a series per
  # distance in each (nn: d=3 only), the same colour for a distance in every panel; the
  # comparison has one series per decoder other than mwpm, nn at its 2 experiments only.
  blocks() { awk 'BEGIN { RS = "\n\n\n" } NF { n++ } END { print n + 0 }' "$1"; }
  check "LER vs p: a 2x2 grid of panels, one per decoder" \
    'grep -q "set multiplot layout 2,2" quickstart_ler_vs_p.gp && [ "$(grep -c "^set title .decoder " quickstart_ler_vs_p.gp)" -eq 8 ]'
  check "LER vs p: 3 + 3 + 1 + 3 series (distances per panel)" '[ "$(blocks quickstart_ler_vs_p.dat)" -eq 10 ]'
  check "LER vs p: d = 5 has one colour in every panel" \
    '[ "$(grep -o "lc rgb .#[0-9a-f]*. pt [0-9]* ps [0-9.]* dt [0-9] title .d = 5." quickstart_ler_vs_p.gp | sort -u | wc -l)" -eq 1 ]'
  check "decoders vs mwpm: 3 series, nn with 2 points" \
    '[ "$(blocks quickstart_decoders.dat)" -eq 3 ] && [ "$(awk "BEGIN { RS = \"\n\n\n\" } NR == 2" quickstart_decoders.dat | grep -c .)" -eq 2 ]'
fi
check "nothing was written into the installed prefix" \
  '[ -z "$(find "$P" -newer "$work/version.txt" -type f)" ]'

# 5. Bash completion.
complete_words() {  # complete_words WORD... : the completions of the last word
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _qecpipe; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$P/share/bash-completion/completions/qecpipe" "$@"
}
check "completion: qecpipe re<TAB> offers redecode and report" \
  '[ "$(complete_words "$P/bin/qecpipe" re | sort | tr "\n" " ")" = "redecode report " ]'
check "completion: qecpipe run --ou<TAB> is --out" '[ "$(complete_words "$P/bin/qecpipe" run --ou)" = "--out" ]'
check "completion: qecpipe run thr<TAB> offers the shipped config threshold" \
  'complete_words "$P/bin/qecpipe" run thr | grep -qx threshold'
check "completion: qecpipe decode --decoder <TAB> offers mwpm and nn" \
  'complete_words "$P/bin/qecpipe" decode --decoder "" | grep -qx mwpm && complete_words "$P/bin/qecpipe" decode --decoder "" | grep -qx nn'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
