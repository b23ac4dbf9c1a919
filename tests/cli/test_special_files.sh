#!/usr/bin/env bash
# Outputs that are not regular files (issue 19, item 1): a character device made with mknod
# (what /dev/null is) must still be a character device after every writing command; stream
# writers (gen, dem, simulate, convert, decode) write into it in place, the HDF5 writers (run,
# train) refuse it with one line. "-" and /dev/stdout write to standard output; a FIFO is
# written in place (a reader gets the bytes); a symlink to a file stays a link. Runs as root
# (mknod); without the permission the device cases are skipped with a notice.
. "$(dirname "$0")/cli_lib.sh"

"$bin" gen --basis x --distance 3 --rounds 3 --p 0.002 --out c.stim
"$bin" dem --circuit c.stim --decompose-errors --out c.dem
"$bin" simulate --circuit c.stim --shots 256 --seed 5 --out s.b8 --out-format b8 --obs-out o.b8 --obs-out-format b8
check "setup files" '[ -s c.stim ] && [ -s c.dem ] && [ -s s.b8 ] && [ -s o.b8 ]'
cat > job.yaml <<'YAML'
job:
  name: special
  seed: 2
  shots_per_task: 256
experiments:
  - code: surface
    distance: 3
    rounds: 3
    basis: x
    noise: {model: uniform, p: 0.002}
    decoders: [mwpm]
    max_shots: 512
YAML
cat > train.yaml <<'YAML'
job:
  name: special
  seed: 1
train:
  code: surface
  distance: 3
  rounds: 2
  basis: x
  noise: {model: uniform, p: 0.005}
  steps: 4
  batch_size: 8
  warmup_steps: 1
  hidden: 8
  layers: 1
  heads: 2
  eval_shots: 16
  checkpoint: model.h5
YAML

# Every writing command, aimed at the node; "status" is what the command must return.
commands=(
  "0|gen --basis x --distance 3 --rounds 3 --p 0.002 --out NODE"
  "0|dem --circuit c.stim --out NODE"
  "0|simulate --circuit c.stim --shots 128 --out NODE --out-format b8 --obs-out NODE2 --obs-out-format 01"
  "0|convert --in s.b8 --in-format b8 --num-detectors 24 --out NODE --out-format 01"
  "0|decode --dem c.dem --in s.b8 --in-format b8 --out NODE"
  "1|run job.yaml --quiet --out NODE"
  "1|train train.yaml --quiet --checkpoint NODE"
)
if mknod node c 1 3 2>/dev/null && mknod node2 c 1 3 2>/dev/null; then
  for entry in "${commands[@]}"; do
    want=${entry%%|*}; args=${entry#*|}; args=${args//NODE2/node2}; args=${args//NODE/node}
    name=${args%% *}
    case $name in run|train) mpi 2 "$bin" $args > out.txt 2> err.txt; st=$? ;; *) "$bin" $args > out.txt 2> err.txt; st=$? ;; esac
    check "$name --out <char device>: exit $st, want $want ($(head -c 300 err.txt))" '[ $st -eq $want ]'
    check "$name: the node is still a character device" '[ -c node ] && [ -c node2 ]'
    check "$name: no .partial left beside it" '[ ! -e node.partial ] && [ ! -e node.partial.lock ]'
    if [ "$want" = 1 ]; then
      check "$name: one line saying why" '[ "$(grep -c "^qecpipe" err.txt)" -eq 1 ] && grep -q "not a regular file" err.txt'
    fi
  done
else
  echo "NOTICE: mknod not permitted (not root?): character-device cases skipped"
fi

# "-" and /dev/stdout are standard output, byte-identical to the file output.
"$bin" gen --basis x --distance 3 --rounds 3 --p 0.002 --out - > dash.stim
"$bin" gen --basis x --distance 3 --rounds 3 --p 0.002 --out /dev/stdout > devstdout.stim
check "gen --out - writes stdout" 'cmp -s dash.stim c.stim'
check "gen --out /dev/stdout writes stdout" 'cmp -s devstdout.stim c.stim && [ ! -e /dev/stdout.partial ] && [ -L /dev/stdout ]'
"$bin" dem --circuit c.stim --decompose-errors --out - > dash.dem
check "dem --out - writes stdout" 'cmp -s dash.dem c.dem'
"$bin" convert --in s.b8 --in-format b8 --num-detectors 24 --out s.01 --out-format 01
"$bin" convert --in s.b8 --in-format b8 --num-detectors 24 --out - --out-format 01 > dash.01
check "convert --out - writes stdout" 'cmp -s dash.01 s.01'
"$bin" decode --dem c.dem --in s.b8 --in-format b8 --out p.01
"$bin" decode --dem c.dem --in s.b8 --in-format b8 --out - > dash_p.01
check "decode --out - writes stdout" 'cmp -s dash_p.01 p.01'
"$bin" simulate --circuit c.stim --shots 256 --seed 5 --out - --out-format b8 > dash.b8
"$bin" simulate --circuit c.stim --shots 256 --seed 5 --out plain.b8 --out-format b8
check "simulate --out - writes stdout" 'cmp -s dash.b8 plain.b8'
mpi 1 "$bin" run job.yaml --quiet --out - > /dev/null 2> err.txt; st=$?
check "run --out -: exit 1, one line" '[ $st -eq 1 ] && [ "$(grep -c "^qecpipe" err.txt)" -eq 1 ] && grep -q "standard output" err.txt'

# A FIFO is written in place: the reader gets exactly the circuit.
mkfifo pipe
cat pipe > from_pipe.stim &
reader=$!
"$bin" gen --basis x --distance 3 --rounds 3 --p 0.002 --out pipe; st=$?
wait $reader
check "gen into a FIFO: exit 0, the FIFO stays, the reader got the circuit" '[ $st -eq 0 ] && [ -p pipe ] && cmp -s from_pipe.stim c.stim'

# A symlink to a file: the target is replaced atomically, the link stays a link.
cp c.dem target.dem && ln -s target.dem link.dem
"$bin" dem --circuit c.stim --out link.dem
check "dem through a symlink: link kept, target rewritten" '[ -L link.dem ] && ! cmp -s target.dem c.dem && [ -s target.dem ]'

finish
