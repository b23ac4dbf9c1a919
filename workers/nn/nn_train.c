// One training step (see nn_train.h).
#include "workers/nn/nn_train.h"

#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

void nn_trainer_init(nn_trainer *t, nn_model *model, const nn_adam_config *adam) {
    t->model = model;
    t->adam = *adam;
    t->m = qp_calloc(model->num_params, sizeof(float));
    t->v = qp_calloc(model->num_params, sizeof(float));
    t->step = 0;
}

void nn_trainer_free(nn_trainer *t) {
    free(t->m);
    free(t->v);
    memset(t, 0, sizeof *t);
}

int nn_train_step(nn_trainer *t, const float *inputs, const float *present, const float *targets, int B,
                  int R, const nn_allreduce *ar, nn_step_stats *stats, qp_err *err) {
    nn_model *m = t->model;
    size_t n = m->num_params;
    nn_model_zero_grad(m);
    nn_model_forward(m, inputs, present, targets, B, R);
    nn_model_backward(m);
    if (ar && ar->num_replicas > 1) {
        if (ar->sum(m->grads_memory, n, ar->ctx, err)) return qp_fail_prefix(err, "nn_train_step all-reduce");
        float inv = 1.0f / (float)ar->num_replicas;
        for (size_t i = 0; i < n; i++) m->grads_memory[i] *= inv;
    }
    double norm = nn_grad_norm(m->grads_memory, n);
    if (t->adam.grad_clip > 0 && norm > t->adam.grad_clip) {
        float s = (float)(t->adam.grad_clip / norm);
        for (size_t i = 0; i < n; i++) m->grads_memory[i] *= s;
    }
    float lr = nn_adam_lr(&t->adam, t->step);
    t->step++;
    size_t at = 0;
    for (int k = 0; k < NN_NUM_PARAM_TENSORS; k++) {
        size_t sz = m->param_sizes[k];
        nn_adam_update(m->params_memory + at, m->grads_memory + at, t->m + at, t->v + at, sz, lr, &t->adam,
                       t->step, nn_param_decay[k]);
        at += sz;
    }
    if (stats) *stats = (nn_step_stats){m->loss, m->loss_main, m->loss_aux, norm, lr};
    return 0;
}
