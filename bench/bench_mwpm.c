// Benchmark of the MWPM decoder: µs per shot and per round for rotated surface-code memory
// experiments (X basis, uniform circuit noise p, rounds = d), d = 5, 7, 11 at p = 0.001 and
// 0.005. Shots come from our own pipeline: circuit generator → frame sampler (100,000 shots,
// seed 2026) and error analysis (--decompose_errors) → DEM → matching graph. Only decoding is
// timed (best of `reps` passes over the same shots, default 1). One JSON line per figure, with PyMatching 2's
// time on this machine (../shared/anchors.md) and the ratio ours / PyMatching.
//
// Usage: bench_mwpm [num_shots [reps]]   (defaults 100000, 1)
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workers/circuit/surface_code.h"
#include "workers/decode/decoder.h"
#include "workers/dem/error_analysis.h"
#include "workers/sim/frame_sample.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    uint32_t d;
    double p;
    double pymatching_us;  // anchors.md, "PyMatching predict", same machine
} bench_case;

int main(int argc, char **argv) {
    uint64_t shots = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    int reps = argc > 2 ? atoi(argv[2]) : 1;
    if (reps < 1) reps = 1;
    const bench_case cases[] = {{5, 0.001, 0.40}, {5, 0.005, 2.21}, {7, 0.001, 1.13},
                                {7, 0.005, 7.37}, {11, 0.001, 4.70}, {11, 0.005, 35.1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bench_case *bc = &cases[i];
        qp_err err;
        qp_circuit circ;
        qp_surface_params sp = qp_surface_params_uniform('x', bc->d, bc->d, bc->p);
        if (qp_surface_code_generate(&circ, &sp, &err)) {
            fprintf(stderr, "bench_mwpm: %s\n", err.msg);
            return 1;
        }
        qp_dem dem;
        qp_error_analysis_options eo = {.decompose_errors = 1, .fold_loops = 0};
        if (qp_error_analysis(&circ, &eo, &dem, &err)) {
            fprintf(stderr, "bench_mwpm: %s\n", err.msg);
            return 1;
        }
        qp_decoder *dec = qp_decoder_create("mwpm", &dem, &err);
        if (!dec) {
            fprintf(stderr, "bench_mwpm: %s\n", err.msg);
            return 1;
        }
        size_t bps = (size_t)(qp_decoder_num_detectors(dec) + 7) / 8;
        uint8_t *dets = malloc(shots * bps), *obs = malloc(shots), *pred = malloc(shots);
        if (qp_frame_sample_b8(&circ, NULL, 2026, i, 0, shots, dets, obs, &err)) {
            fprintf(stderr, "bench_mwpm: %s\n", err.msg);
            return 1;
        }
        double best = 1e30;
        for (int rep = 0; rep < reps; rep++) {
            double t0 = now_s();
            if (qp_decoder_decode_batch(dec, dets, shots, bps, pred, NULL, &err)) {
                fprintf(stderr, "bench_mwpm: %s\n", err.msg);
                return 1;
            }
            double t = now_s() - t0;
            if (t < best) best = t;
        }
        uint64_t mistakes = 0;
        for (uint64_t s = 0; s < shots; s++) mistakes += (pred[s] ^ obs[s]) & 1;
        double us = best * 1e6 / (double)shots;
        printf("{\"bench\":\"mwpm\",\"basis\":\"x\",\"d\":%u,\"rounds\":%u,\"p\":%g,\"shots\":%llu,"
               "\"detectors\":%llu,\"us_per_shot\":%.3f,\"us_per_round\":%.4f,\"mistakes\":%llu,"
               "\"pymatching_us_per_shot\":%.2f,\"ratio_vs_pymatching\":%.2f}\n",
               bc->d, bc->d, bc->p, (unsigned long long)shots,
               (unsigned long long)qp_decoder_num_detectors(dec), us, us / bc->d,
               (unsigned long long)mistakes, bc->pymatching_us, us / bc->pymatching_us);
        fflush(stdout);
        free(dets);
        free(obs);
        free(pred);
        qp_decoder_free(dec);
        qp_dem_free(&dem);
        qp_circuit_free(&circ);
    }
    return 0;
}
