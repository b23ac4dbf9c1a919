// train.curriculum at run time: which stage a global step is in, which global shots a step
// trains on, and the train section as a stage sees it. Without a curriculum the whole run is
// one stage: the train section itself, so nothing changes for such runs.
//
// Shots: stage k trains steps [first_step[k], first_step[k+1]) on batch[k] shots each; step s
// of stage k takes global shots [first_shot[k] + (s - first_step[k]) * batch[k], ... + batch[k])
// of the one training stream, first_shot[k] being the shots of the stages before. So a shot
// index is never used twice in a run (each stage's circuit draws fresh randomness), rank r of
// N takes the slice r of every step as before, and without stages shot = step * batch_size.
// Not here: circuits, sampling, MPI (pipeline/train/train_job.c).
#ifndef QP_TRAIN_CURRICULUM_H
#define QP_TRAIN_CURRICULUM_H

#include <stdint.h>

#include "pipeline/config/config.h"

typedef struct {
    int num_stages;                                  // >= 1
    int64_t first_step[QP_TRAIN_MAX_STAGES + 1];    // [num_stages] = the run's total steps
    uint64_t first_shot[QP_TRAIN_MAX_STAGES + 1];   // [num_stages] = the run's total shots
    uint64_t batch[QP_TRAIN_MAX_STAGES];             // global shots per step
    uint64_t max_batch;                              // the largest of them
} qp_curriculum;

// total_steps: the run's length (train.steps, or `--steps` without a curriculum, which a
// curriculum does not allow: the caller checks).
void qp_curriculum_init(qp_curriculum *cu, const qp_train_config *tc, int64_t total_steps);

// The stage that trains step `step`; steps at or past the end belong to the last stage (its
// circuit is the one a finished run's checkpoint holds).
int qp_curriculum_stage(const qp_curriculum *cu, int64_t step);

// The global index of the first shot of step `step`.
uint64_t qp_curriculum_shot(const qp_curriculum *cu, int64_t step);

// *out = tc with stage k's basis, noise, batch_size and data (its name too) (tc itself without stages).
void qp_curriculum_stage_config(const qp_train_config *tc, int k, qp_train_config *out);

#endif
