// Benchmark of leakage in the Pauli-frame sampler (workers/sim/frame_leak.c), one JSON line per
// figure: shots per CPU second of d=5 and d=11 SI1000 p=0.002 memory-Z circuits (3d rounds),
// 100,000 shots into memory (records built, no file), without leakage and with leakage
// {p, mean_rounds=5} for p = 2e-4 and 2e-3; runs interleaved (off, on, on, off, ...), best of
// N (argv[1], default 5) each, CPU time of this process (the machine is shared), and the ratio
// to the run without leakage.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workers/circuit/surface_code.h"
#include "workers/sim/frame_stream.h"

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int emit_nothing(void *ctx, const uint8_t *recs, const uint8_t *obs, size_t n, qp_err *err) {
    volatile uint8_t sink = n ? recs[0] : 0;
    (void)sink;
    return 0;
}

static void die(const char *what, const qp_err *err) {
    fprintf(stderr, "bench_leak: %s: %s\n", what, err->msg);
    exit(1);
}

static double run_once(const qp_circuit *c, uint64_t shots, double leak_p, uint64_t seed) {
    qp_err err = {{0}};
    qp_frame_stream_params p = {.seed = seed, .num_shots = shots, .randomize_gauge = 1,
                                .leakage = {.p = leak_p, .mean_rounds = leak_p > 0 ? 5 : 0}};
    double c0 = cpu_now();
    if (qp_frame_stream(c, &p, emit_nothing, NULL, &err) != 0) die("sample", &err);
    return cpu_now() - c0;
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    if (reps < 1) reps = 1;
    const uint32_t ds[2] = {5, 11};
    const double ps[3] = {0, 2e-4, 2e-3};
    const uint64_t shots = 100000;
    for (int i = 0; i < 2; i++) {
        qp_circuit c;
        qp_err err = {{0}};
        qp_surface_params sp = qp_surface_params_si1000('z', ds[i], 3 * ds[i], 0.002);
        if (qp_surface_code_generate(&c, &sp, &err) != 0) die("generate", &err);
        double best[3] = {1e30, 1e30, 1e30};
        for (int rep = 0; rep < reps; rep++)
            for (int k = 0; k < 3; k++) {
                int j = rep % 2 ? 2 - k : k;  // alternate the order so drifting load hits every case
                double t = run_once(&c, shots, ps[j], 1 + rep);
                if (t < best[j]) best[j] = t;
            }
        for (int k = 0; k < 3; k++) {
            printf("{\"bench\":\"frame_leak\",\"case\":\"d%u_r%u_si1000_p0.002%s\",\"leak_p\":%g,\"mean_rounds\":%d,"
                   "\"shots\":%lu,\"cpu_seconds\":%.4f,\"shots_per_cpu_s\":%.0f,\"ratio_vs_no_leakage\":%.3f,"
                   "\"best_of\":%d}\n",
                   ds[i], 3 * ds[i], k ? "_leakage" : "", ps[k], k ? 5 : 0, (unsigned long)shots, best[k],
                   shots / best[k], best[0] / best[k], reps);
            fflush(stdout);
        }
        qp_circuit_free(&c);
    }
    return 0;
}
