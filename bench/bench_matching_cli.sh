#!/usr/bin/env bash
# Matching through the command line, side by side with PyMatching's: `qecpipe decode` (mwpm,
# mwpm-corr) and, when QECPIPE_PYMATCHING names a `pymatching` program (PyMatching 2's own
# command line, `pymatching predict`, built by you outside the repo), `pymatching predict`
# without and with --enable_correlations, on the same DEM and the same b8 files.
#
# Method: rotated surface-code memory (X basis, rounds = d, uniform circuit noise p), circuit
# from `qecpipe gen`, decomposed DEM from `qecpipe dem`, shots from `qecpipe simulate` (seed
# 2026). Each program decodes a file of N1 shots and one of N2 shots (the first N1 shots plus
# more) to a 01 prediction file; per-shot time = (t(N2) - t(N1)) / (N2 - N1), which removes
# start-up, DEM parsing and graph building; t is the best of `reps` runs. Times are the process's
# CPU time (user + sys, from /usr/bin/time), which a busy machine inflates less than wall time;
# both programs are measured the same way in the same run. One JSON line per (case, decoder).
#
#   bench/bench_matching_cli.sh [BUILD_DIR [reps]]     (default build, 3)
#   QECPIPE_BENCH_CASES="d,p,N1,N2 ..." overrides the cases.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
reps=${2:-3}
bin=$build/qecpipe
pm=${QECPIPE_PYMATCHING:-}
cases=${QECPIPE_BENCH_CASES:-"5,0.001,200000,1200000 7,0.005,20000,120000 11,0.001,20000,220000 11,0.005,10000,50000"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cpu_seconds CMD...: best-of-reps user+sys seconds of CMD.
cpu_seconds() {
  local best=""
  for _ in $(seq "$reps"); do
    /usr/bin/time -f "%U %S" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
    local t
    t=$(awk '{printf "%.4f", $1 + $2}' "$tmp/time")
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
  done
  echo "$best"
}

for c in $cases; do
  IFS=, read -r d p n1 n2 <<<"$c"
  name="d${d}_p${p}"
  "$bin" gen --basis x --distance "$d" --rounds "$d" --p "$p" --out "$tmp/$name.stim"
  "$bin" dem --circuit "$tmp/$name.stim" --decompose-errors --out "$tmp/$name.dem"
  "$bin" simulate --circuit "$tmp/$name.stim" --shots "$n2" --seed 2026 --out "$tmp/$name.$n2.b8" --out-format b8 \
    --obs-out "$tmp/$name.obs.b8" --obs-out-format b8 >/dev/null
  det_bytes=$(( $(stat -c %s "$tmp/$name.$n2.b8") / n2 ))
  head -c $(( det_bytes * n1 )) "$tmp/$name.$n2.b8" >"$tmp/$name.$n1.b8"
  for decoder in mwpm mwpm-corr; do
    t1=$(cpu_seconds "$bin" decode --dem "$tmp/$name.dem" --in "$tmp/$name.$n1.b8" --out "$tmp/ours.01" --decoder "$decoder")
    t2=$(cpu_seconds "$bin" decode --dem "$tmp/$name.dem" --in "$tmp/$name.$n2.b8" --out "$tmp/ours.01" --decoder "$decoder")
    ours=$(awk -v a="$t1" -v b="$t2" -v n="$((n2 - n1))" 'BEGIN { printf "%.3f", (b - a) / n * 1e6 }')
    line="{\"bench\":\"matching_cli\",\"case\":\"$name\",\"d\":$d,\"rounds\":$d,\"p\":$p,\"decoder\":\"$decoder\",\"n1\":$n1,\"n2\":$n2,\"reps\":$reps,\"qecpipe_cpu_s\":[$t1,$t2],\"qecpipe_us_per_shot\":$ours"
    if [ -n "$pm" ]; then
      flag=""; [ "$decoder" = mwpm-corr ] && flag=--enable_correlations
      p1=$(cpu_seconds "$pm" predict --dem "$tmp/$name.dem" --in "$tmp/$name.$n1.b8" --in_format b8 --out "$tmp/pm.01" $flag)
      p2=$(cpu_seconds "$pm" predict --dem "$tmp/$name.dem" --in "$tmp/$name.$n2.b8" --in_format b8 --out "$tmp/pm.01" $flag)
      theirs=$(awk -v a="$p1" -v b="$p2" -v n="$((n2 - n1))" 'BEGIN { printf "%.3f", (b - a) / n * 1e6 }')
      # Same predictions? Count the shots where the two 01 files differ.
      differ=$(cmp -l "$tmp/ours.01" "$tmp/pm.01" | wc -l || true)
      ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.3f", a / b }')
      line="$line,\"pymatching_cpu_s\":[$p1,$p2],\"pymatching_us_per_shot\":$theirs,\"ratio\":$ratio,\"shots_predicted_differently\":$differ"
    fi
    echo "$line}"
  done
done
