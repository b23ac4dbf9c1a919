// Benchmark of the union-find decoder against our MWPM (the decoder interface's "mwpm", i.e.
// sparse blossom, decoder.h) on the same shots: µs per shot and mistakes of both, for
// rotated surface-code memory experiments (X basis, uniform circuit noise p, rounds = d),
// d = 5, 7, 11 at p = 0.001 and 0.005. Shots come from
// our own pipeline: circuit generator → frame sampler (seed 2027, stream = case index) and
// error analysis (--decompose_errors) → DEM → matching graph. Only decoding is timed (best of
// `reps` passes over the same shots), measured as this thread's CPU time so that other load on
// a shared machine does not inflate it. One JSON line per case; "speedup" = MWPM µs / UF µs.
//
// Usage: bench_uf [num_shots [reps [d [p]]]]   (defaults 20000, 1, every case; d and p pick
// one case, for profiling)
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workers/circuit/surface_code.h"
#include "workers/decode/decoder.h"
#include "workers/decode/matching_graph.h"
#include "workers/decode/union_find.h"
#include "workers/dem/error_analysis.h"
#include "workers/sim/frame_sample.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);  // CPU time: the machine is shared
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int die(const char *msg) {
    fprintf(stderr, "bench_uf: %s\n", msg);
    return 1;
}

int main(int argc, char **argv) {
    uint64_t shots = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
    int reps = argc > 2 ? atoi(argv[2]) : 1;
    if (reps < 1) reps = 1;
    uint32_t only_d = argc > 3 ? (uint32_t)atoi(argv[3]) : 0;
    double only_p = argc > 4 ? atof(argv[4]) : 0;
    const struct {
        uint32_t d;
        double p;
    } cases[] = {{5, 0.001}, {5, 0.005}, {7, 0.001}, {7, 0.005}, {11, 0.001}, {11, 0.005}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t d = cases[i].d;
        double p = cases[i].p;
        if ((only_d && d != only_d) || (only_p > 0 && p != only_p)) continue;
        qp_err err;
        qp_circuit circ;
        qp_surface_params sp = qp_surface_params_uniform('x', d, d, p);
        if (qp_surface_code_generate(&circ, &sp, &err)) return die(err.msg);
        qp_dem dem;
        qp_error_analysis_options eo = {.decompose_errors = 1, .fold_loops = 0};
        if (qp_error_analysis(&circ, &eo, &dem, &err)) return die(err.msg);
        qp_matching_graph g;
        if (qp_matching_graph_from_dem(&g, &dem, &err)) return die(err.msg);
        qp_decoder *mwpm = qp_decoder_create("mwpm", &dem, &err);
        if (!mwpm) return die(err.msg);
        qp_uf *uf = qp_uf_create(&g);
        size_t bps = ((size_t)g.num_detectors + 7) / 8;
        uint8_t *dets = malloc(shots * bps), *obs = malloc(shots);
        uint8_t *pred_uf = malloc(shots), *pred_mwpm = malloc(shots);
        if (qp_frame_sample_b8(&circ, NULL, 2027, i, 0, shots, dets, obs, &err)) return die(err.msg);
        double best_uf = 1e30, best_mwpm = 1e30;
        for (int rep = 0; rep < reps; rep++) {
            double t0 = now_s();
            if (qp_uf_decode_batch_b8(uf, dets, shots, bps, pred_uf, NULL, &err)) return die(err.msg);
            double t1 = now_s();
            if (qp_decoder_decode_batch(mwpm, dets, shots, bps, pred_mwpm, NULL, &err)) return die(err.msg);
            double t2 = now_s();
            if (t1 - t0 < best_uf) best_uf = t1 - t0;
            if (t2 - t1 < best_mwpm) best_mwpm = t2 - t1;
        }
        uint64_t uf_mistakes = 0, mwpm_mistakes = 0;
        for (uint64_t s = 0; s < shots; s++) {
            uf_mistakes += (pred_uf[s] ^ obs[s]) & 1;
            mwpm_mistakes += (pred_mwpm[s] ^ obs[s]) & 1;
        }
        double uf_us = best_uf * 1e6 / (double)shots, mwpm_us = best_mwpm * 1e6 / (double)shots;
        printf("{\"bench\":\"uf\",\"basis\":\"x\",\"d\":%u,\"rounds\":%u,\"p\":%g,\"shots\":%llu,"
               "\"detectors\":%u,\"uf_us_per_shot\":%.3f,\"mwpm_us_per_shot\":%.3f,\"speedup\":%.2f,"
               "\"uf_mistakes\":%llu,\"mwpm_mistakes\":%llu,\"uf_ler\":%.3e,\"mwpm_ler\":%.3e}\n",
               d, d, p, (unsigned long long)shots, g.num_detectors, uf_us, mwpm_us, mwpm_us / uf_us,
               (unsigned long long)uf_mistakes, (unsigned long long)mwpm_mistakes,
               (double)uf_mistakes / (double)shots, (double)mwpm_mistakes / (double)shots);
        fflush(stdout);
        free(dets);
        free(obs);
        free(pred_uf);
        free(pred_mwpm);
        qp_uf_free(uf);
        qp_decoder_free(mwpm);
        qp_matching_graph_free(&g);
        qp_dem_free(&dem);
        qp_circuit_free(&circ);
    }
    return 0;
}
