#!/usr/bin/env bash
# Corners a new user finds (issue 19): absurd sizes on the command line (record sizes, shots,
# rounds) get one clear error before anything is allocated; a closed stdout does not kill a job; CRLF 01 files read as
# Stim reads them; ptb64's multiple of 64 is checked before sampling; usage errors print once
# under mpirun; a non-ASCII character in an error is printed whole.
. "$(dirname "$0")/cli_lib.sh"
data=${QECPIPE_TEST_DATA:?}

# 6. Sizes from the command line: a usage error (exit 2, one line), no abort; a size that
# the input cannot hold is an error naming the file before a buffer of that size exists.
printf '0101\n1100\n' > s.01
for n in 4294967296 18446744073709551615; do
  "$bin" convert --in s.01 --out o.b8 --out-format b8 --num-detectors $n > /dev/null 2> big.log; st=$?
  check "--num-detectors $n: exit 2, one line saying too large ($(head -c 200 big.log))" \
    '[ $st -eq 2 ] && [ "$(wc -l < big.log)" -eq 1 ] && grep -q "too large" big.log && [ ! -e o.b8 ]'
done
for fmt in 01 b8 ptb64; do
  "$bin" convert --in s.01 --in-format $fmt --out o.b8 --out-format b8 --num-detectors 2147483647 > /dev/null 2> big.log; st=$?
  check "--num-detectors 2^31-1 on a 10-byte $fmt file: exit 1 naming the file ($(head -c 200 big.log))" \
    '[ $st -eq 1 ] && [ "$(wc -l < big.log)" -eq 1 ] && grep -q "s.01" big.log'
done
# Shots and rounds: more shots than 2^40 (also a wrapped -2) and rounds whose detectors
# overflow a record are usage errors, before any output file exists.
for n in 1099511627777 18446744073709551614; do
  for cmd in simulate sample; do
    timeout 60 "$bin" $cmd --circuit "$data/surface_x_d3_r3_p0.003.stim" --shots $n --out shots.b8 --out-format b8 \
      > /dev/null 2> shots.log; st=$?
    check "$cmd --shots $n: exit 2, one line ($(head -c 200 shots.log))" \
      '[ $st -eq 2 ] && [ "$(wc -l < shots.log)" -eq 1 ] && grep -q "at most 2^40" shots.log && [ ! -e shots.b8 ] && [ ! -e shots.b8.partial ]'
  done
done
for args in "--basis x --distance 5 --rounds 89478486" "--basis z --distance 3 --rounds 18446744073709551615" \
            "--code repetition --distance 5 --rounds 4611686018427387904"; do
  timeout 60 "$bin" gen $args --out big.stim > /dev/null 2> rounds.log; st=$?
  check "gen $args: exit 2, one line naming the largest --rounds ($(head -c 200 rounds.log))" \
    '[ $st -eq 2 ] && [ "$(wc -l < rounds.log)" -eq 1 ] && grep -q "rounds is at most" rounds.log && [ ! -e big.stim ]'
done
"$bin" gen --basis x --distance 5 --rounds 89478485 --out edge.stim 2> edge.log; st=$?
check "gen at the largest --rounds for d=5: exit 0 ($(head -c 200 edge.log))" '[ $st -eq 0 ] && grep -q "REPEAT 89478484 {" edge.stim'

# 9. A closed stdout: the job finishes (exit 0, file renamed), it only stops printing.
cat > two.yaml <<'YAML'
job:
  name: pipe
  seed: 3
  shots_per_task: 500
experiments:
  - code: surface
    distance: 3
    rounds: 3
    basis: [x, z]
    noise: {model: uniform, p: 0.005}
    decoders: [mwpm, uf]
    max_shots: 1000
YAML
"$bin" run two.yaml --out pipe.h5 --quiet 2> pipe.log | true; st=${PIPESTATUS[0]}
check "run | true: exit 0, not SIGPIPE (got $st; $(head -c 200 pipe.log))" '[ $st -eq 0 ] && [ -f pipe.h5 ] && [ ! -e pipe.h5.partial ]'
"$bin" run two.yaml --out pipe2.h5 --quiet 2> /dev/null | head -1 > first.txt; st=${PIPESTATUS[0]}
check "run | head -1: exit 0 and one result line (got $st)" '[ $st -eq 0 ] && [ -f pipe2.h5 ] && grep -q "LER" first.txt'
check "--quiet says what it silences" '"$bin" run --help | grep -- "--quiet" | grep -q "stdout"'

# Smaller: CRLF 01 files are read (Stim accepts them), also when seeking (redecode shards).
printf '0101\r\n1100\r\n' > crlf.01
"$bin" convert --in crlf.01 --num-detectors 4 --out lf.01 2> crlf.log; st=$?
check "CRLF 01 converts ($(head -c 200 crlf.log))" '[ $st -eq 0 ] && [ "$(cat lf.01)" = "$(printf "0101\n1100")" ]'

# Smaller: ptb64 with a shot count that is not a multiple of 64 fails before sampling.
"$bin" simulate --circuit "$data/surface_x_d3_r3_p0.003.stim" --shots 100 --out x.ptb64 --out-format ptb64 2> ptb.log; st=$?
check "simulate ptb64 --shots 100: usage error up front ($(head -c 200 ptb.log))" \
  '[ $st -eq 2 ] && grep -q "multiple of 64" ptb.log && [ ! -e x.ptb64 ] && [ ! -e x.ptb64.partial ]'

# Smaller: a usage error prints once, not once per rank.
mpirun --oversubscribe -n 2 "$bin" run --no-such-flag > /dev/null 2> usage.log
check "usage error under mpirun -n 2 prints one line ($(grep -c "qecpipe run" usage.log))" \
  '[ "$(grep -c "unknown option" usage.log)" -eq 1 ]'

# Smaller: a non-ASCII character in an error is printed whole (valid UTF-8).
printf 'job:\n  name: caf\xc3\xa9\n  seed: 1\nexperiments:\n  - code: surface\n    distance: 3\n    rounds: 3\n    noise: {model: uniform, p: 0.01}\n    max_shots: 10\n' > utf.yaml
"$bin" run utf.yaml --out utf.h5 > /dev/null 2> utf.log; st=$?
check "non-ASCII name: exit 1 with the whole character in the message ($(head -c 200 utf.log))" \
  '[ $st -eq 1 ] && grep -q "$(printf "\xc3\xa9")" utf.log && iconv -f UTF-8 -t UTF-8 utf.log > /dev/null 2>&1'

finish
