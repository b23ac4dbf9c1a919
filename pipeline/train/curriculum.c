// Steps, shots and stages of a training run (see curriculum.h).
#include "pipeline/train/curriculum.h"

#include <string.h>

void qp_curriculum_init(qp_curriculum *cu, const qp_train_config *tc, int64_t total_steps) {
    memset(cu, 0, sizeof *cu);
    cu->num_stages = tc->num_stages ? tc->num_stages : 1;
    for (int k = 0; k < cu->num_stages; k++) {
        int64_t steps = tc->num_stages ? (int64_t)tc->stages[k].steps : total_steps;
        cu->batch[k] = tc->num_stages ? tc->stages[k].batch_size : tc->batch_size;
        cu->first_step[k + 1] = cu->first_step[k] + steps;
        cu->first_shot[k + 1] = cu->first_shot[k] + (uint64_t)steps * cu->batch[k];
        if (cu->batch[k] > cu->max_batch) cu->max_batch = cu->batch[k];
    }
}

int qp_curriculum_stage(const qp_curriculum *cu, int64_t step) {
    int k = 0;
    while (k + 1 < cu->num_stages && step >= cu->first_step[k + 1]) k++;
    return k;
}

uint64_t qp_curriculum_shot(const qp_curriculum *cu, int64_t step) {
    int k = qp_curriculum_stage(cu, step);
    return cu->first_shot[k] + (uint64_t)(step - cu->first_step[k]) * cu->batch[k];
}

void qp_curriculum_stage_config(const qp_train_config *tc, int k, qp_train_config *out) {
    *out = *tc;
    if (!tc->num_stages) return;
    const qp_train_stage *s = &tc->stages[k];
    out->batch_size = s->batch_size;
    out->data = s->data;
}
