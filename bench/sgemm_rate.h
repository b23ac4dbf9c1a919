// The single-thread cblas_sgemm rate, the denominator of MFU figures (bench_sgemm, bench_nn):
// GFLOP/s of C(M,N) = A(M,K) B(K,N), row-major, over repetitions filling `secs` of the calling
// thread's CPU time, after one warm-up call. The caller pins OpenBLAS to one thread.
#ifndef QP_BENCH_SGEMM_RATE_H
#define QP_BENCH_SGEMM_RATE_H

#include <cblas.h>
#include <stdlib.h>
#include <time.h>

#include "workers/util/alloc.h"

static inline double qp_bench_thread_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// Returns GFLOP/s; *reps and *cpu_s (either may be NULL) get the repetitions and their time.
static inline double qp_bench_sgemm_gflops(int m, int n, int k, double secs, long *reps, double *cpu_s) {
    float *a = qp_malloc(sizeof(float) * m * k), *b = qp_malloc(sizeof(float) * k * n), *c = qp_malloc(sizeof(float) * m * n);
    for (long i = 0; i < (long)m * k; i++) a[i] = (float)(i % 7) * 0.1f;
    for (long i = 0; i < (long)k * n; i++) b[i] = (float)(i % 5) * 0.1f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
    long r = 0;
    double t0 = qp_bench_thread_cpu_seconds(), t;
    do {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
        r++;
    } while ((t = qp_bench_thread_cpu_seconds() - t0) < secs);
    free(a), free(b), free(c);
    if (reps) *reps = r;
    if (cpu_s) *cpu_s = t;
    return 2.0 * m * n * k * r / t / 1e9;
}

#endif
