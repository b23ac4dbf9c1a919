// The single-thread cblas_sgemm rate: the denominator of training MFU (bench/bench_train.sh
// runs it in the same run as the trainings it compares). One JSON line:
//   sgemm   GFLOP/s of C(M,N) = A(M,K) B(K,N), row-major, 1 thread, CPU time of the thread
//           over repetitions filling SECONDS (after one warm-up call)
// Usage: bench_sgemm [M N K [SECONDS]]   (default 512 512 512 1; not a test, no assertions)
// The same OpenBLAS kernels as qecpipe (qp_blas_setup), so the rate is the one the trainer's
// GEMMs could reach.
#include <stdio.h>
#include <stdlib.h>

#include "bench/sgemm_rate.h"
#include "pipeline/cli/blas_setup.h"

int main(int argc, char **argv) {
    qp_blas_setup(argv);  // AVX kernels where OpenBLAS would fall back to SSE3; one thread
    openblas_set_num_threads(1);
    int m = argc > 3 ? atoi(argv[1]) : 512, n = argc > 3 ? atoi(argv[2]) : 512, k = argc > 3 ? atoi(argv[3]) : 512;
    double secs = argc > 4 ? atof(argv[4]) : 1.0;
    if (m < 1 || n < 1 || k < 1 || !(secs > 0)) {
        fprintf(stderr, "usage: bench_sgemm [M N K [SECONDS]]\n");
        return 2;
    }
    long reps;
    double t, gflops = qp_bench_sgemm_gflops(m, n, k, secs, &reps, &t);
    printf("{\"bench\":\"sgemm\",\"m\":%d,\"n\":%d,\"k\":%d,\"threads\":1,\"reps\":%ld,\"cpu_s\":%.3f,\"gflops\":%.2f}\n", m, n,
           k, reps, t, gflops);
    return 0;
}
