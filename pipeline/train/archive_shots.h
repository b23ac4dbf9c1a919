// Training shots read from an archive in Google's layout (`train.archive`: fine-tuning a model
// on a device's own data) instead of sampled: every experiment folder under the root
// (pipeline/formats/archive_walk.h) with its detection_events.b8 and obs_flips_actual.01 (or
// .b8), all folders of one detector layout (the model is trained for one layout).
//
// The split: the last `holdout` shots of each folder are held out (evaluation only; never a
// training shot), the rest are the training shots. The split is a text (qp_archive_split_text)
// the training job stores in its checkpoint (/archive_split), one line per folder:
//   FOLDER <tab> SHOTS <tab> HELD_OUT <tab> SHA256(detection_events.b8) <tab> SHA256(observables file)
// after '#' comment lines (the archive root). A resumed run, and `qecpipe train --export-holdout`,
// check the archive against it, so both see the same shots as the run that wrote it.
//
// Order of the training shots: epoch e (sample k of the run is epoch k / num_train, position
// k % num_train) visits every training shot once, in a permutation drawn from (seed, stream,
// e): a run's batches depend on (seed, step, batch size) only, so a resume continues them.
// All shots are held in memory on every rank: (ceil(D/8) + ceil(O/8)) bytes per shot.
#ifndef QP_TRAIN_ARCHIVE_SHOTS_H
#define QP_TRAIN_ARCHIVE_SHOTS_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/formats/shot_format.h"
#include "workers/util/err.h"

typedef struct {
    char *rel;                  // folder path relative to the root ("." for the root itself)
    char *circuit_path;         // circuit_noisy.stim or circuit_ideal.stim
    char *dets_path, *obs_path;
    qp_shot_format obs_format;  // QP_FORMAT_01 or QP_FORMAT_B8
    uint64_t shots, holdout;    // holdout: the folder's last shots that are held out
    char dets_sha256[65], obs_sha256[65];
} qp_archive_folder;

typedef struct {
    char *root;
    size_t num_folders;
    qp_archive_folder *folders;
    char *circuit_text;          // the first folder's circuit (its layout is the model's)
    uint64_t num_dets, num_obs;
    size_t det_bytes, obs_bytes;  // b8 bytes per shot
    uint64_t num_shots, num_train, num_heldout;
    uint8_t *train_dets, *train_obs;  // (num_train, bytes), folders in order (after _load)
    uint8_t *held_dets, *held_obs;    // (num_heldout, bytes)
    uint64_t *perm;                   // the current epoch's permutation of the training shots
    uint64_t perm_epoch;
    int have_perm;
} qp_archive_shots;

// Finds the experiment folders under root and checks them: a circuit (circuit_noisy.stim or
// circuit_ideal.stim) of the same detectors (count and coordinates) as the first folder's and
// observables, whole records in detection_events.b8, as many shots in the observables file;
// hashes both shot files. Errors name the file (and byte offset or line:column of bad data).
int qp_archive_shots_open(qp_archive_shots *a, const char *root, qp_err *err);

// The split from the config: a fraction of each folder (rounded to the nearest shot), or
// `count` shots in all (count > 0; shared by the folders in proportion to their size).
// Fails when no training shot or no held-out shot would remain.
int qp_archive_shots_split(qp_archive_shots *a, double fraction, uint64_t count, qp_err *err);

// The split as text (see the top of this file); malloc'd.
char *qp_archive_split_text(const qp_archive_shots *a);

// 0 if `recorded` (a checkpoint's /archive_split) is the split of this archive as it is now,
// else -1 naming the first difference (a folder added, removed or changed, another held-out
// count). `what` names the recorded text's origin in the message ("checkpoint F").
int qp_archive_split_check(const qp_archive_shots *a, const char *recorded, const char *what, qp_err *err);

// Sets the held-out counts from a recorded split (after qp_archive_split_check passed).
int qp_archive_split_apply(qp_archive_shots *a, const char *recorded, qp_err *err);

// Reads every folder's shots into the training and held-out arrays.
int qp_archive_shots_load(qp_archive_shots *a, qp_err *err);

// Training samples [first, first + n) of the run (see the top of this file) into dets
// (n, det_bytes) and obs (n, obs_bytes).
void qp_archive_shots_batch(qp_archive_shots *a, uint64_t seed, uint64_t stream, uint64_t first, uint64_t n,
                            uint8_t *dets, uint8_t *obs);

// Writes the held-out shots as an archive under dest: dest/FOLDER/ with the folder's *.stim
// and *.dem files copied, detection_events.b8 and obs_flips_actual.01 (or .b8, as in the
// source) holding only its held-out shots. Refuses to overwrite existing shot files.
int qp_archive_shots_export_holdout(const qp_archive_shots *a, const char *dest, qp_err *err);

void qp_archive_shots_free(qp_archive_shots *a);

#endif
