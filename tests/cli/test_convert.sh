#!/usr/bin/env bash
# qecpipe convert end to end: Stim-written vectors converted between every pair of formats
# must match Stim's bytes (cmp); observables split to / joined from a separate file; streaming
# from a pipe; usage errors exit 2; bad input exits 1 with one line naming file and position
# and leaves no output (nor .partial) behind, and an earlier file under the output name intact.
set -u
bin=${QECPIPE_BIN:?}
data=${QECPIPE_TEST_DATA:-$(dirname "$0")/../data}
# The Stim-written vectors: ../shared/vectors/formats when present, else the shipped copy.
vec=$data/formats/surface_x_d3_r3_p0.003.640
if [ -n "${QECPIPE_VECTORS:-}" ] && [ -f "$QECPIPE_VECTORS/formats/surface_x_d3_r3_p0.003.640.b8" ]; then
  vec=$QECPIPE_VECTORS/formats/surface_x_d3_r3_p0.003.640
elif [ "${QECPIPE_REQUIRE_VECTORS:-}" = 1 ]; then
  echo "FAIL: QECPIPE_REQUIRE_VECTORS=1 but the shared vectors' formats/ are missing"
  exit 1
fi
tmp=$(mktemp -d /tmp/qp_convert_test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0; pass=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $1"; fail=$((fail+1)); }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
formats="01 b8 r8 hits dets ptb64"
conv() { "$bin" convert --num-detectors 24 --num-observables 1 "$@"; }

# Every format to every format, compared with Stim's file byte for byte.
for a in $formats; do
  for b in $formats; do
    rm -f "$tmp/out"
    if conv --in "$vec.$a" --in-format "$a" --out "$tmp/out" --out-format "$b" 2>"$tmp/err"; then
      if cmp -s "$tmp/out" "$vec.$b"; then ok; else bad "$a -> $b differs from Stim's $b file"; fi
    else
      bad "$a -> $b failed: $(cat "$tmp/err")"
    fi
  done
done

# Observables in a separate file (Stim's --obs_out), and joined back (--obs-in).
conv --in "$vec.b8" --in-format b8 --out "$tmp/d.dets" --out-format dets --obs-out "$tmp/o.01" --obs-out-format 01
check "split: exit 0" '[ $? -eq 0 ]'
check "split: detectors-only dets has no L tokens" '! grep -q L "$tmp/d.dets"'
check "split: 640 observable lines" '[ "$(wc -l < "$tmp/o.01")" -eq 640 ]'
check "split: observable flips = L0 count in Stim dets" '[ "$(grep -c 1 "$tmp/o.01")" -eq "$(grep -c L0 "$vec.dets")" ]'
conv --in "$tmp/d.dets" --in-format dets --obs-in "$tmp/o.01" --obs-in-format 01 --out "$tmp/j.b8" --out-format b8
check "join: equals Stim's appended b8" 'cmp -s "$tmp/j.b8" "$vec.b8"'
# The shipped Stim --obs_out pair (20000 shots): join, then split again.
if [ -f "$data/surface_x_d3_r3_p0.003.dets.b8" ]; then
  conv --in "$data/surface_x_d3_r3_p0.003.dets.b8" --in-format b8 --obs-in "$data/surface_x_d3_r3_p0.003.obs.b8" \
       --obs-in-format b8 --out "$tmp/all.r8" --out-format r8
  conv --in "$tmp/all.r8" --in-format r8 --out "$tmp/d2.b8" --out-format b8 --obs-out "$tmp/o2.b8" --obs-out-format b8
  check "Stim dets.b8 + obs.b8 survive join -> r8 -> split" \
        'cmp -s "$tmp/d2.b8" "$data/surface_x_d3_r3_p0.003.dets.b8" && cmp -s "$tmp/o2.b8" "$data/surface_x_d3_r3_p0.003.obs.b8"'
fi

# Sizes taken from the circuit or the DEM the shots came from.
if [ -f "$data/surface_x_d3_r3_p0.003.stim" ]; then
  "$bin" convert --in "$vec.b8" --in-format b8 --out "$tmp/c.dets" --out-format dets --circuit "$data/surface_x_d3_r3_p0.003.stim"
  check "--circuit gives 24 detectors + 1 observable" 'cmp -s "$tmp/c.dets" "$vec.dets"'
  "$bin" convert --in "$vec.hits" --in-format hits --out "$tmp/c.r8" --out-format r8 --dem "$data/surface_x_d3_r3_p0.003.dem"
  check "--dem gives 24 detectors + 1 observable" 'cmp -s "$tmp/c.r8" "$vec.r8"'
  "$bin" convert --in "$vec.b8" --in-format b8 --out "$tmp/c.01" --dem "$data/surface_x_d3_r3_p0.003.dem" --num-detectors 25 --num-observables 0
  check "explicit sizes override --dem" 'cmp -s "$tmp/c.01" "$vec.01"'
fi

# Streaming from a pipe (size unknown up front).
cat "$vec.r8" | conv --in /dev/stdin --in-format r8 --out "$tmp/p.ptb64" --out-format ptb64
check "pipe: r8 -> ptb64 equals Stim's" 'cmp -s "$tmp/p.ptb64" "$vec.ptb64"'

# "-" is standard input / output.
conv --in - --in-format dets --out - --out-format hits < "$vec.dets" > "$tmp/s.hits"
check "stdin dets -> stdout hits equals Stim's" 'cmp -s "$tmp/s.hits" "$vec.hits"'

# Usage errors: exit 2, one line.
usage() {  # name, args...
  local name=$1; shift
  "$bin" convert "$@" >/dev/null 2>"$tmp/err"; local st=$?
  if [ $st -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ]; then ok; else bad "usage: $name (exit $st): $(cat "$tmp/err")"; fi
}
usage "no arguments"
usage "unknown flag" --in "$vec.b8" --bogus 1
usage "missing value" --in
usage "unknown format" --in "$vec.b8" --in-format b9 --out "$tmp/x" --num-detectors 24
usage "missing --num-detectors" --in "$vec.b8" --out "$tmp/x"
usage "missing --out" --in "$vec.b8" --num-detectors 24
usage "bad number" --in "$vec.b8" --out "$tmp/x" --num-detectors 2x4
usage "both --circuit and --dem" --in "$vec.b8" --out "$tmp/x" --circuit a.stim --dem a.dem
usage "obs-out without observables" --in "$vec.b8" --out "$tmp/x" --num-detectors 25 --obs-out "$tmp/y"
"$bin" convert --help >/dev/null; check "--help exits 0" '[ $? -eq 0 ]'
check "usage errors leave no output" '[ ! -e "$tmp/x" ] && [ ! -e "$tmp/x.partial" ]'

# Bad input: exit 1, one line with file and position, nothing left behind, old file intact.
badinput() {  # name, file, expected-substring, args...
  local name=$1 file=$2 want=$3; shift 3
  rm -f "$tmp/out" "$tmp/out.partial" "$tmp/obs" "$tmp/obs.partial"
  "$bin" convert --in "$file" --num-detectors 24 --num-observables 1 --out "$tmp/out" "$@" >/dev/null 2>"$tmp/err"
  local st=$?
  if [ $st -ne 1 ]; then bad "$name: exit $st, expected 1"; return; fi
  if [ "$(wc -l < "$tmp/err")" -ne 1 ]; then bad "$name: stderr is not one line: $(cat "$tmp/err")"; return; fi
  if ! grep -qF -- "$want" "$tmp/err"; then bad "$name: message lacks '$want': $(cat "$tmp/err")"; return; fi
  if [ -e "$tmp/out" ] || [ -e "$tmp/out.partial" ] || [ -e "$tmp/obs" ] || [ -e "$tmp/obs.partial" ]; then
    bad "$name: output left behind"; return
  fi
  ok
}
{ cat "$vec.b8"; printf 'x'; } > "$tmp/bad.b8"
badinput "b8 size" "$tmp/bad.b8" "$tmp/bad.b8: byte offset 2560:" --in-format b8 --out-format 01
printf '0000000000000000000000000\n0000000000000000000000000\n000000000000000000000000\n' > "$tmp/short.01"
badinput "01 short line" "$tmp/short.01" "$tmp/short.01:3:25: line has 24 bits, expected 25" --in-format 01 --out-format b8
printf '0000000000000000000000000\n00000000000x0000000000000\n' > "$tmp/stray.01"
badinput "01 stray char" "$tmp/stray.01" "$tmp/stray.01:2:12: expected '0' or '1', got 'x'" --in-format 01 --out-format b8
{ head -c 4000 "$vec.dets"; printf '\nshot D2 D24\n'; } > "$tmp/range.dets"
line=$(($(head -c 4000 "$vec.dets" | wc -l) + 2))
badinput "dets out of range" "$tmp/range.dets" "$tmp/range.dets:$line:9: detector index out of range" --in-format dets --out-format b8
printf 'shot D1 Q7\n' > "$tmp/tok.dets"
badinput "dets malformed" "$tmp/tok.dets" "$tmp/tok.dets:1:9: expected a token like D5 or L0" --in-format dets --out-format r8
printf '\x1a' > "$tmp/over.r8"
badinput "r8 overflow" "$tmp/over.r8" "$tmp/over.r8: byte offset 0: r8 run of 26 zeros" --in-format r8 --out-format b8
head -c 1990 "$vec.ptb64" > "$tmp/trunc.ptb64"
badinput "ptb64 truncated" "$tmp/trunc.ptb64" "$tmp/trunc.ptb64: byte offset 1800: truncated ptb64" --in-format ptb64 --out-format b8
badinput "ptb64 truncated, split output" "$tmp/trunc.ptb64" "byte offset 1800" --in-format ptb64 --out-format b8 --obs-out "$tmp/obs"
head -c 400 "$vec.b8" > "$tmp/100.b8"
badinput "ptb64 output of 100 shots" "$tmp/100.b8" "multiple of 64" --in-format b8 --out-format ptb64
badinput "missing input" "$tmp/none.b8" "$tmp/none.b8: cannot open" --in-format b8 --out-format 01
head -c 100 "$data/surface_x_d3_r3_p0.003.obs.b8" > "$tmp/o100.b8"
badinput "obs-in with fewer records" "$data/surface_x_d3_r3_p0.003.dets.b8" "$tmp/o100.b8: ends after 100 records" \
  --in-format b8 --obs-in "$tmp/o100.b8" --obs-in-format b8 --out-format r8
badinput "split output, bad input" "$tmp/short.01" ":3:25: line has 24 bits" --in-format 01 --out-format b8 \
  --obs-out "$tmp/obs" --obs-out-format 01
# Streaming (pipe) truncation is caught while decoding, with the same offset.
rm -f "$tmp/out" "$tmp/out.partial"
head -c 1990 "$vec.ptb64" | "$bin" convert --in /dev/stdin --in-format ptb64 --num-detectors 24 --num-observables 1 \
  --out "$tmp/out" --out-format 01 2>"$tmp/err"; st=$?
check "pipe: truncated ptb64 exits 1" '[ $st -eq 1 ]'
check "pipe: names byte offset 1800" 'grep -q "byte offset 1800: truncated ptb64" "$tmp/err"'
check "pipe: nothing left behind" '[ ! -e "$tmp/out" ] && [ ! -e "$tmp/out.partial" ]'
# An earlier result under the output name survives a failed run.
echo old > "$tmp/keep"
"$bin" convert --in "$tmp/bad.b8" --in-format b8 --num-detectors 24 --num-observables 1 --out "$tmp/keep" 2>/dev/null
check "failed run leaves the earlier file untouched" '[ "$(cat "$tmp/keep")" = old ] && [ ! -e "$tmp/keep.partial" ]'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
