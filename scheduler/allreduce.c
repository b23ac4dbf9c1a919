// Gradient all-reduce over MPI, plain or in a fixed order (see allreduce.h).
#include "scheduler/allreduce.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workers/util/alloc.h"

#define QP_ALLREDUCE_CHUNK ((size_t)1 << 26)  // floats per MPI call (counts are ints)

void qp_allreduce_init(qp_allreduce_ctx *ctx, MPI_Comm comm, qp_allreduce_mode mode) {
    memset(ctx, 0, sizeof *ctx);
    ctx->comm = comm;
    ctx->mode = mode;
    MPI_Comm_rank(comm, &ctx->rank);
    MPI_Comm_size(comm, &ctx->size);
}

void qp_allreduce_free(qp_allreduce_ctx *ctx) {
    free(ctx->gather);
    memset(ctx, 0, sizeof *ctx);
}

static int qp_allreduce_fixed_chunk(qp_allreduce_ctx *c, float *buf, int n, qp_err *err) {
    size_t need = (size_t)c->size * n;
    if (c->rank == 0 && need > c->gather_cap) {
        c->gather = qp_realloc(c->gather, need * sizeof(float));
        c->gather_cap = need;
    }
    if (MPI_Gather(buf, n, MPI_FLOAT, c->gather, n, MPI_FLOAT, 0, c->comm) != MPI_SUCCESS)
        return qp_fail(err, "allreduce: MPI_Gather of %d floats failed", n);
    if (c->rank == 0) {
        memcpy(buf, c->gather, (size_t)n * sizeof(float));
        for (int r = 1; r < c->size; r++) {
            const float *src = c->gather + (size_t)r * n;
            for (int i = 0; i < n; i++) buf[i] += src[i];
        }
    }
    if (MPI_Bcast(buf, n, MPI_FLOAT, 0, c->comm) != MPI_SUCCESS)
        return qp_fail(err, "allreduce: MPI_Bcast of %d floats failed", n);
    return 0;
}

static double thread_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int qp_allreduce_sum(float *buf, size_t n, void *ctx, qp_err *err) {
    qp_allreduce_ctx *c = ctx;
    double t0 = MPI_Wtime(), c0 = thread_cpu_seconds();
    for (size_t at = 0; at < n; at += QP_ALLREDUCE_CHUNK) {
        int len = (int)(n - at < QP_ALLREDUCE_CHUNK ? n - at : QP_ALLREDUCE_CHUNK);
        if (c->mode == QP_ALLREDUCE_FIXED_ORDER) {
            if (qp_allreduce_fixed_chunk(c, buf + at, len, err)) return -1;
        } else if (MPI_Allreduce(MPI_IN_PLACE, buf + at, len, MPI_FLOAT, MPI_SUM, c->comm) != MPI_SUCCESS) {
            return qp_fail(err, "allreduce: MPI_Allreduce of %d floats failed", len);
        }
    }
    c->seconds += MPI_Wtime() - t0;
    c->cpu_seconds += thread_cpu_seconds() - c0;
    c->calls++;
    return 0;
}
