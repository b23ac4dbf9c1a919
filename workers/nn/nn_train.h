// One data-parallel training step of the decoder: forward, backward, all-reduce of the
// single gradient buffer through a callback, global-norm clipping, AdamW update.
// Pure computation: the batch comes in as arrays, the all-reduce is a function pointer
// (scheduler/allreduce.h supplies the MPI one), nothing is read or written.
#ifndef QP_NN_TRAIN_H
#define QP_NN_TRAIN_H

#include <stddef.h>

#include "workers/nn/nn_adam.h"
#include "workers/nn/nn_model.h"
#include "workers/util/err.h"

// Sums buf (n floats) in place across the replicas; returns 0 or -1 with err set.
typedef struct {
    int (*sum)(float *buf, size_t n, void *ctx, qp_err *err);
    void *ctx;
    int num_replicas;  // the summed gradient is divided by this (each replica's is a batch mean)
} nn_allreduce;

typedef struct {
    nn_model *model;      // not owned
    nn_adam_config adam;
    float *m, *v;         // (num_params) Adam moments, the parameter layout
    long step;            // optimizer steps taken so far
} nn_trainer;

typedef struct {
    double loss, loss_main, loss_aux;  // this replica's batch losses (before the step)
    double grad_norm;                  // global norm of the averaged gradient, before clipping
    float lr;                          // learning rate used
} nn_step_stats;

void nn_trainer_init(nn_trainer *t, nn_model *model, const nn_adam_config *adam);
void nn_trainer_free(nn_trainer *t);

// inputs (B,R,S,F), present (R,S) or NULL, targets (B,O): this replica's batch.
// ar NULL = a single replica. stats may be NULL. Returns -1 if the all-reduce fails (the
// parameters are then unchanged).
int nn_train_step(nn_trainer *t, const float *inputs, const float *present, const float *targets, int B,
                  int R, const nn_allreduce *ar, nn_step_stats *stats, qp_err *err);

#endif
