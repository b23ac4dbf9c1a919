// Training state <-> flat buffer (see nn_snapshot.h).
#include "workers/nn/nn_snapshot.h"

#include <string.h>

#define NN_SNAPSHOT_MAGIC "QPNNSNP1"
#define NN_SNAPSHOT_HEADER (8 + 8 + 8 + 4 + 4 + sizeof(nn_config))

size_t nn_snapshot_size(const nn_trainer *t, int num_rngs) {
    return NN_SNAPSHOT_HEADER + (size_t)num_rngs * sizeof(qp_rng) + 3 * t->model->num_params * sizeof(float);
}

void nn_snapshot_save(const nn_trainer *t, const qp_rng *rngs, int num_rngs, uint8_t *buf) {
    const nn_model *m = t->model;
    uint64_t np = m->num_params;
    int64_t step = t->step;
    uint32_t nr = (uint32_t)num_rngs, zero = 0;
    uint8_t *at = buf;
    memcpy(at, NN_SNAPSHOT_MAGIC, 8), at += 8;
    memcpy(at, &np, 8), at += 8;
    memcpy(at, &step, 8), at += 8;
    memcpy(at, &nr, 4), at += 4;
    memcpy(at, &zero, 4), at += 4;
    memcpy(at, &m->cfg, sizeof(nn_config)), at += sizeof(nn_config);
    memcpy(at, rngs, (size_t)num_rngs * sizeof(qp_rng)), at += (size_t)num_rngs * sizeof(qp_rng);
    memcpy(at, m->params_memory, np * sizeof(float)), at += np * sizeof(float);
    memcpy(at, t->m, np * sizeof(float)), at += np * sizeof(float);
    memcpy(at, t->v, np * sizeof(float));
}

int nn_snapshot_restore(nn_trainer *t, qp_rng *rngs, int num_rngs, const uint8_t *buf, size_t len, qp_err *err) {
    nn_model *m = t->model;
    if (len < NN_SNAPSHOT_HEADER || memcmp(buf, NN_SNAPSHOT_MAGIC, 8))
        return qp_fail(err, "nn snapshot: byte 0: not a decoder training snapshot");
    uint64_t np;
    int64_t step;
    uint32_t nr;
    memcpy(&np, buf + 8, 8);
    memcpy(&step, buf + 16, 8);
    memcpy(&nr, buf + 24, 4);
    if (np != m->num_params)
        return qp_fail(err, "nn snapshot: byte 8: %llu parameters, the model has %zu", (unsigned long long)np,
                       m->num_params);
    if (nr != (uint32_t)num_rngs)
        return qp_fail(err, "nn snapshot: byte 24: %u RNG streams, expected %d", nr, num_rngs);
    if (memcmp(buf + 32, &m->cfg, sizeof(nn_config)))
        return qp_fail(err, "nn snapshot: byte 32: model config differs from the model's");
    if (len != nn_snapshot_size(t, num_rngs))
        return qp_fail(err, "nn snapshot: byte %zu: expected %zu bytes in all", len, nn_snapshot_size(t, num_rngs));
    const uint8_t *at = buf + NN_SNAPSHOT_HEADER;
    memcpy(rngs, at, (size_t)num_rngs * sizeof(qp_rng)), at += (size_t)num_rngs * sizeof(qp_rng);
    memcpy(m->params_memory, at, np * sizeof(float)), at += np * sizeof(float);
    memcpy(t->m, at, np * sizeof(float)), at += np * sizeof(float);
    memcpy(t->v, at, np * sizeof(float));
    t->step = step;
    return 0;
}
