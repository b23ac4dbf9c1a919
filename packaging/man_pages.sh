#!/usr/bin/env bash
# Writes the man pages of qecpipe with help2man, from the binary's own --help (so they never
# disagree with it): qecpipe.1, and qecpipe-CMD.1 for every subcommand `qecpipe --help` lists,
# named as git names its pages (`man qecpipe-run`). Run by the build (cmake/Install.cmake).
#   man_pages.sh QECPIPE_BIN OUT_DIR VERSION
set -euo pipefail
bin=$1 out=$2 version=$3
mkdir -p "$out"
rm -f "$out"/qecpipe*.1  # no page of a removed subcommand survives
wrappers=$(mktemp -d)
trap 'rm -rf "$wrappers"' EXIT
# The subcommands and their one-line summaries: "  NAME  summary" under "Commands:".
commands=$("$bin" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\)  *\(.*\)/\1\t\2/p')
[ -n "$commands" ] || { echo "man_pages.sh: no commands in '$bin --help'" >&2; exit 1; }

# SEE ALSO: qecpipe(1) and every subcommand's page but the page's own.
see_also() {  # see_also PAGE
  local cmd list=".BR qecpipe (1)"
  while IFS=$'\t' read -r cmd _; do
    [ "qecpipe-$cmd" = "$1" ] || list+=$',\n'".BR qecpipe-$cmd (1)"
  done <<< "$commands"
  [ "$1" = qecpipe ] && list=${list#*$'\n'}
  printf '[SEE ALSO]\n%s\n' "$list"
}

# help2man names a page after the program it runs, so each subcommand gets a wrapper named
# qecpipe-CMD that runs `qecpipe CMD`.
page() {  # page NAME SUMMARY PROGRAM
  local include="$wrappers/$1.h2m"
  see_also "$1" > "$include"
  help2man --no-info --no-discard-stderr --version-string="$version" --name="$2" \
    --include="$include" --output="$out/$1.1.partial" "$3"
  mv "$out/$1.1.partial" "$out/$1.1"
}
page qecpipe "distributed quantum error correction decoding pipeline (simulate, train, decode, report)" "$bin"
while IFS=$'\t' read -r cmd summary; do
  printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$bin" "$cmd" > "$wrappers/qecpipe-$cmd"
  chmod +x "$wrappers/qecpipe-$cmd"
  page "qecpipe-$cmd" "$summary" "$wrappers/qecpipe-$cmd"
done <<< "$commands"
