// The training state as one flat byte buffer, for bit-for-bit resume: the model config,
// step, the caller's RNG streams (e.g. the batch sampler's), parameters and both Adam
// moments. Native byte order: the buffer is for this machine (the HDF5 checkpoint writer
// in pipeline/ stores the same fields as datasets).
// Layout: "QPNNSNP1" | u64 num_params | i64 step | u32 num_rngs | u32 0 | nn_config |
//         rngs (num_rngs x 4 u64) | params | m | v   (floats, num_params each)
#ifndef QP_NN_SNAPSHOT_H
#define QP_NN_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "workers/nn/nn_train.h"
#include "workers/util/err.h"
#include "workers/util/rng.h"

size_t nn_snapshot_size(const nn_trainer *t, int num_rngs);

// Writes nn_snapshot_size(t, num_rngs) bytes to buf.
void nn_snapshot_save(const nn_trainer *t, const qp_rng *rngs, int num_rngs, uint8_t *buf);

// Restores into a trainer whose model has the same config. Fails (nothing changed) on a
// bad magic, size or config mismatch, naming the byte offset.
int nn_snapshot_restore(nn_trainer *t, qp_rng *rngs, int num_rngs, const uint8_t *buf, size_t len, qp_err *err);

#endif
