// Neural-decoder checkpoints and models in HDF5: everything needed to resume training bit for
// bit, and everything the nn decoder needs to decode a circuit. One file, written by ONE
// process (a store on MPI_COMM_SELF), atomically: PATH.partial, renamed to PATH when closed.
//
// File layout (h5dump shows it; attribute and dataset names are stable):
//   /params            float32 (num_params,)  the model's flat parameter buffer (nn_model.h order)
//   /adam_m, /adam_v   float32 (num_params,)  AdamW moments, same layout
//   /recent_losses     float64 (20,)          the training losses of steps step-20 .. step-1, oldest
//                                             first (NaN for steps before 0): what train_loss is the
//                                             mean of, kept so that a resumed run ends with the
//                                             same train_loss as an uninterrupted one
//   /rng               uint64 (4,)            job seed, training stream id, held-out stream id,
//                                             next training shot index (= step * batch_size;
//                                             with train.curriculum the shots of all steps so
//                                             far, train/curriculum.h); training shots of step s
//                                             are shots [s*batch, (s+1)*batch) of stream (seed,
//                                             id), so this is the whole random state of the run
//   /layout/detector_coords  float64 (num_dets,3)  x, y, t of each detector (rebuilds the layout)
//   /layout/detector_stabilizer, /layout/detector_round  uint32 (num_dets,)  the mapping itself
//   /layout/stabilizer_xy    float64 (S,2)
//   /config            text (yaml)  the job config the run was started from
//   /circuit           text (stim)  the training circuit (with a curriculum: of the stage of `step`)
//   /archive_split     text (tsv)   runs on an archive (train.archive) only: the folders, their
//                                   shots, held-out counts and file hashes (train/archive_shots.h)
//   attributes on "/": format = "qecpipe-nn-model", version = 1, step, total_steps, batch_size,
//     ranks, complete (1 when step == total_steps), model config (num_stabs, num_features,
//     num_obs, hidden, layers, heads, ffn_hidden, readout_hidden, state_scale, aux_weight),
//     num_params, num_dets, num_rounds, and the last figures: train_loss, eval_loss, eval_ler,
//     eval_noflip_ler, eval_shots, eval_step (NaN / 0 before the first evaluation).
//   version = 2 when the model uses opt-in layers (nn_model.h); then also: attention_bias
//     ("table" | "geometric"), attention_bias_radius, stabilizer_embedding ("table" | "type"),
//     conv_dilations ("none" | "1,2" ...), ffn ("plain" | "gated"), readout ("mean" | "lines").
//     Models of the original architecture stay version 1, byte for byte as before.
#ifndef QP_TRAIN_CHECKPOINT_H
#define QP_TRAIN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/output/output.h"
#include "workers/nn/nn_model.h"
#include "workers/util/err.h"

#define QP_NN_RECENT_LOSSES 20  // steps averaged into train_loss

typedef struct {
    nn_config model;
    size_t num_params;
    float *params;           // (num_params)
    float *adam_m, *adam_v;  // (num_params) each; NULL when not written / not read
    int num_dets, num_rounds, num_stabs;
    double *det_coords;         // (num_dets,3)
    int *det_stab, *det_round;  // (num_dets) written when non-NULL; read always
    double *stab_xy;            // (num_stabs,2) written when non-NULL; read always
    uint64_t rng[4];            // see /rng above
    int64_t step, total_steps;
    uint64_t batch_size;
    int64_t ranks;
    char *config_text;   // may be NULL when writing
    char *circuit_text;  // may be NULL when writing
    char *archive_split; // NULL: not trained on an archive
    double train_loss, eval_loss, eval_ler, eval_noflip_ler;
    double recent_losses[QP_NN_RECENT_LOSSES];  // see /recent_losses; all NaN when absent
    uint64_t eval_shots;
    int64_t eval_step;
} qp_nn_checkpoint;

// Writes ck to PATH (via PATH.partial), claiming PATH for the write (pipeline/output). Needs
// MPI initialised; called by one process.
int qp_nn_checkpoint_write(const char *path, const qp_nn_checkpoint *ck, qp_err *err);

// The same under a claim the caller holds across many checkpoints (a training job): the
// write commits the claim (the rename) and leaves it held.
int qp_nn_checkpoint_commit(qp_output *claim, const qp_nn_checkpoint *ck, qp_err *err);

// Reads PATH into *ck (zeroed first; every array qp_malloc'd). with_moments = 0 skips
// /adam_m and /adam_v (a model for decoding). Errors name the path and the missing or
// malformed object.
int qp_nn_checkpoint_read(const char *path, int with_moments, qp_nn_checkpoint *ck, qp_err *err);

// Frees what qp_nn_checkpoint_read allocated and zeroes *ck.
void qp_nn_checkpoint_free(qp_nn_checkpoint *ck);

// 0 if the two model configs have the same shape and constants, else -1 with a message
// naming the first difference ("hidden: checkpoint 32, config 64").
int qp_nn_config_compare(const nn_config *have, const nn_config *want, qp_err *err);

#endif
