#!/usr/bin/env bash
# Training on an archive (train.archive: fine-tuning on device data) end to end, 1 rank:
#  1. A test device: `gen --device-seed` is deterministic in the seed, differs between seeds,
#     keeps the detectors of the plain circuit; --device-spread without --device-seed is a
#     usage error. scripts/make_device_archive.sh writes a folder in Google's layout.
#  2. The split is recorded in the checkpoint (/archive_split: shots, held-out count, hashes);
#     `--export-holdout` writes exactly the last held-out shots of the folder (byte for byte),
#     which `redecode` then decodes.
#  3. A run stopped and resumed ends with the weights and Adam moments of an uninterrupted run
#     bit for bit (same split, same epoch order); a resume with another holdout in the config,
#     or after the archive's shots changed, is refused with one line naming the difference.
#  4. train.init from a shipped model works with an archive (the model's layout fits the
#     archive's circuit); an archive whose detection_events.b8 is cut mid-record is one error
#     naming the file and the byte offset; train.archive with train.code is a config error.
. "$(dirname "$0")/cli_lib.sh"
root=$(cd "$here/../.." && pwd)

# 1. The device.
"$bin" gen --basis z --distance 3 --rounds 3 --noise si1000 --p 0.003 --device-seed 7 --out a.stim
"$bin" gen --basis z --distance 3 --rounds 3 --noise si1000 --p 0.003 --device-seed 7 --out b.stim
"$bin" gen --basis z --distance 3 --rounds 3 --noise si1000 --p 0.003 --device-seed 8 --out c.stim
"$bin" gen --basis z --distance 3 --rounds 3 --noise si1000 --p 0.003 --out plain.stim
check "device circuit is deterministic in the seed" 'cmp -s a.stim b.stim'
check "another device seed, another device" '! cmp -s a.stim c.stim'
"$bin" dem --circuit a.stim --out a.dem; "$bin" dem --circuit plain.stim --out plain.dem
check "the device keeps the plain circuit's detectors" \
  '[ "$(grep -c "^detector" a.dem)" = "$(grep -c "^detector" plain.dem)" ] && [ "$(grep -c "^detector" a.dem)" -gt 0 ]'
"$bin" gen --basis z --distance 3 --rounds 3 --noise si1000 --p 0.003 --device-spread 2 > /dev/null 2> err.txt; st=$?
check "--device-spread without --device-seed: exit 2 ($(cat err.txt))" '[ $st -eq 2 ]'
QECPIPE_BIN=$bin "$root/scripts/make_device_archive.sh" arch --basis z --distance 3 --rounds 3 --p 0.003 \
  --device-seed 7 --shots 3000 --seed 5 > made.txt
f=arch/surface_code_bZ_d3_r03_device_7
check "archive folder in Google's layout" '[ -f $f/circuit_noisy.stim ] && [ -f $f/detection_events.b8 ] && [ -f $f/obs_flips_actual.01 ] && [ -f $f/device_circuit.stim ]'
check "its shots come from the device circuit (3000 shots x 3 bytes)" '[ "$(stat -c %s $f/detection_events.b8)" = 9000 ] && cmp -s $f/device_circuit.stim a.stim'

cfg() {  # cfg NAME HOLDOUT_LINE
  cat > "$1.yaml" <<YAML
job: {name: $1, seed: 3}
train:
  archive: arch
  $2
  init: nn_d3_z_uniform.h5
  steps: 12
  batch_size: 64
  learning_rate: 1e-3
  warmup_steps: 2
  hidden: 16
  layers: 2
  heads: 2
  eval_every: 6
  eval_shots: 250
  checkpoint_every: 4
  checkpoint: $1.h5
YAML
}
# 2. The split.
cfg full "holdout_fraction: 0.1"
"$bin" train full.yaml --quiet 2> err.txt; st=$?
check "archive training with train.init from a shipped model exits 0 ($(tail -c 300 err.txt))" '[ $st -eq 0 ] && [ -f full.h5 ]'
"$bin" train full.yaml --export-holdout held 2> err.txt; st=$?
check "--export-holdout exits 0 ($(cat err.txt))" '[ $st -eq 0 ]'
check "held-out = the last 300 shots, byte for byte" \
  'cmp -s <(tail -c 900 $f/detection_events.b8) held/surface_code_bZ_d3_r03_device_7/detection_events.b8 && cmp -s <(tail -n 300 $f/obs_flips_actual.01) held/surface_code_bZ_d3_r03_device_7/obs_flips_actual.01'
check "evaluation on 250 of the held-out shots" '[ "$(attr full.h5 eval_shots)" = 250 ]'
h5dump -b LE -d /archive_split -o split.bin full.h5 > /dev/null 2>&1
check "the split text names the folder, 3000 shots, 300 held out" \
  'tr -d "\r" < split.bin | grep -q "^surface_code_bZ_d3_r03_device_7	3000	300	"'
"$bin" train full.yaml --export-holdout held 2> err.txt; st=$?
check "--export-holdout does not overwrite ($(cat err.txt))" '[ $st -eq 1 ] && grep -q "not overwritten" err.txt'
"$bin" redecode held --decoders mwpm-corr --out held.h5 --quiet > /dev/null 2> err.txt; st=$?
check "redecode decodes the exported held-out shots ($(tail -c 200 err.txt))" \
  '[ $st -eq 0 ] && [ "$(attr held.h5 experiments/surface_code_bZ_d3_r03_device_7/shots)" = 300 ]'

# 3. Resume.
cfg half "holdout_fraction: 0.1"
"$bin" train half.yaml --quiet --stop-after 6 2> err.txt; st1=$?
"$bin" train half.yaml --quiet --resume 2>> err.txt; st2=$?
check "stop at 6 and resume: exit 0 ($(tail -c 300 err.txt))" '[ $st1 -eq 0 ] && [ $st2 -eq 0 ]'
check "resumed run = uninterrupted run, bit for bit (params, Adam moments)" \
  'h5diff -d 0 full.h5 half.h5 /params /params > /dev/null && h5diff full.h5 half.h5 /adam_m /adam_m > /dev/null && h5diff full.h5 half.h5 /adam_v /adam_v > /dev/null && h5diff full.h5 half.h5 /archive_split /archive_split > /dev/null'
cfg moved "holdout_fraction: 0.2"
cp half.h5 moved.h5
"$bin" train moved.yaml --resume --steps 20 2> err.txt; st=$?
check "resume with another holdout is refused ($(cat err.txt))" '[ $st -eq 1 ] && [ "$(wc -l < err.txt)" = 1 ] && grep -q "keeps its split" err.txt'
cp half.h5 grown.h5; cfg grown "holdout_fraction: 0.1"
cp -r arch arch.orig
printf '\001\002\003' >> $f/detection_events.b8; echo 1 >> $f/obs_flips_actual.01
"$bin" train grown.yaml --resume --steps 20 2> err.txt; st=$?
check "resume after the archive grew is refused ($(cat err.txt))" '[ $st -eq 1 ] && grep -q "changed since checkpoint grown.h5" err.txt'
rm -rf arch; cp -r arch.orig arch

# 4. Bad archives and configs.
head -c 8999 arch.orig/surface_code_bZ_d3_r03_device_7/detection_events.b8 > $f/detection_events.b8
cfg bad "holdout_fraction: 0.1"
"$bin" train bad.yaml 2> err.txt; st=$?
check "a cut detection_events.b8: one line naming the file and byte offset ($(cat err.txt))" \
  '[ $st -eq 1 ] && [ "$(wc -l < err.txt)" = 1 ] && grep -q "detection_events.b8" err.txt && grep -q "byte" err.txt'
rm -rf arch; cp -r arch.orig arch
printf 'job: {name: x, seed: 1}\ntrain:\n  archive: arch\n  code: surface\n' > both.yaml
"$bin" train both.yaml 2> err.txt; st=$?
check "train.archive with train.code: a config error ($(cat err.txt))" '[ $st -eq 1 ] && grep -q "both.yaml:4" err.txt'
printf 'job: {name: x, seed: 1}\ntrain:\n  code: surface\n  distance: 3\n  basis: z\n  noise: {model: si1000, p: 0.003}\n  holdout_shots: 5\n' > nohold.yaml
"$bin" train nohold.yaml 2> err.txt; st=$?
check "holdout without an archive: a config error ($(cat err.txt))" '[ $st -eq 1 ] && grep -q "only with train.archive" err.txt'
finish
