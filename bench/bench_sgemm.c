// The single-thread cblas_sgemm rate: the denominator of training MFU (bench/bench_train.sh
// runs it in the same run as the trainings it compares). One JSON line:
//   sgemm   GFLOP/s of C(M,N) = A(M,K) B(K,N), row-major, 1 thread, CPU time of the thread
//           over repetitions filling SECONDS (after one warm-up call)
// Usage: bench_sgemm [M N K [SECONDS]]   (default 512 512 512 1; not a test, no assertions)
// The same OpenBLAS kernels as qecpipe (qp_blas_setup), so the rate is the one the trainer's
// GEMMs could reach.
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pipeline/cli/blas_setup.h"
#include "workers/util/alloc.h"

static double thread_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char **argv) {
    qp_blas_setup(argv);  // AVX kernels where OpenBLAS would fall back to SSE3; one thread
    openblas_set_num_threads(1);
    int m = argc > 3 ? atoi(argv[1]) : 512, n = argc > 3 ? atoi(argv[2]) : 512, k = argc > 3 ? atoi(argv[3]) : 512;
    double secs = argc > 4 ? atof(argv[4]) : 1.0;
    if (m < 1 || n < 1 || k < 1 || !(secs > 0)) {
        fprintf(stderr, "usage: bench_sgemm [M N K [SECONDS]]\n");
        return 2;
    }
    float *a = qp_malloc(sizeof(float) * m * k), *b = qp_malloc(sizeof(float) * k * n), *c = qp_malloc(sizeof(float) * m * n);
    for (long i = 0; i < (long)m * k; i++) a[i] = (float)(i % 7) * 0.1f;
    for (long i = 0; i < (long)k * n; i++) b[i] = (float)(i % 5) * 0.1f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
    long reps = 0;
    double t0 = thread_cpu_seconds(), t;
    do {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
        reps++;
    } while ((t = thread_cpu_seconds() - t0) < secs);
    printf("{\"bench\":\"sgemm\",\"m\":%d,\"n\":%d,\"k\":%d,\"threads\":1,\"reps\":%ld,\"cpu_s\":%.3f,\"gflops\":%.2f}\n", m, n,
           k, reps, t, 2.0 * m * n * k * reps / t / 1e9);
    free(a), free(b), free(c);
    return 0;
}
