// Benchmark of the sparse blossom decoder (workers/decode/sparse_blossom.h) side by side with
// the local-search exact decoder qp_mwpm: µs per shot for rotated surface-code memory
// experiments (X basis, uniform circuit noise p, rounds = d), d = 5, 7, 11 at p = 0.001 and
// 0.005, shots sampled exactly as bench_mwpm samples them (circuit generator → frame sampler,
// seed 2026, stream = case index; error analysis with --decompose_errors → matching graph).
// Only decoding is timed, as wall time (us_per_shot) and as this thread's CPU time
// (cpu_us_per_shot: less inflated when the machine is oversubscribed). qp_mwpm decodes the
// first `mwpm_shots` shots (it is slow at d = 11); on those shots the two decoders' matching weights are compared (weight_mismatches must be 0).
// One JSON line per figure, with PyMatching 2's time on this machine (../shared/anchors.md).
//
// Usage: bench_sparse [num_shots [mwpm_shots]]   (defaults 100000, 10000)
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workers/circuit/surface_code.h"
#include "workers/decode/matching_graph.h"
#include "workers/decode/mwpm.h"
#include "workers/decode/sparse_blossom.h"
#include "workers/dem/error_analysis.h"
#include "workers/sim/frame_sample.h"

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu_s(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

typedef struct {
    uint32_t d;
    double p;
    double pymatching_us;  // anchors.md, "PyMatching predict", same machine
} bench_case;

int main(int argc, char **argv) {
    uint64_t shots = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    uint64_t mwpm_shots = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000;
    if (mwpm_shots > shots) mwpm_shots = shots;
    const bench_case cases[] = {{5, 0.001, 0.40}, {5, 0.005, 2.21}, {7, 0.001, 1.13},
                                {7, 0.005, 7.37}, {11, 0.001, 4.70}, {11, 0.005, 35.1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bench_case *bc = &cases[i];
        qp_err err;
        qp_circuit circ;
        qp_surface_params sp = qp_surface_params_uniform('x', bc->d, bc->d, bc->p);
        if (qp_surface_code_generate(&circ, &sp, &err)) {
            fprintf(stderr, "bench_sparse: %s\n", err.msg);
            return 1;
        }
        qp_dem dem;
        qp_error_analysis_options eo = {.decompose_errors = 1, .fold_loops = 0};
        if (qp_error_analysis(&circ, &eo, &dem, &err)) {
            fprintf(stderr, "bench_sparse: %s\n", err.msg);
            return 1;
        }
        qp_matching_graph g;
        if (qp_matching_graph_from_dem(&g, &dem, &err)) {
            fprintf(stderr, "bench_sparse: %s\n", err.msg);
            return 1;
        }
        size_t bps = (size_t)(g.num_detectors + 7) / 8;
        uint8_t *dets = malloc(shots * bps), *obs = malloc(shots);
        uint64_t *pred = malloc(shots * sizeof *pred);
        double *weight = malloc(shots * sizeof *weight);
        if (qp_frame_sample_b8(&circ, NULL, 2026, i, 0, shots, dets, obs, &err)) {
            fprintf(stderr, "bench_sparse: %s\n", err.msg);
            return 1;
        }
        qp_sparse_blossom *sb = qp_sparse_blossom_create(&g);
        double t0 = now_s(), c0 = cpu_s();
        for (uint64_t s = 0; s < shots; s++)
            if (qp_sparse_blossom_decode_b8(sb, dets + s * bps, &pred[s], &weight[s], &err)) {
                fprintf(stderr, "bench_sparse: shot %llu: %s\n", (unsigned long long)s, err.msg);
                return 1;
            }
        double t_sparse = now_s() - t0, c_sparse = cpu_s() - c0;
        uint64_t mistakes = 0;
        for (uint64_t s = 0; s < shots; s++) mistakes += (pred[s] ^ obs[s]) & 1;
        qp_mwpm *m = qp_mwpm_create(&g);
        uint64_t mismatches = 0, mwpm_mistakes = 0;
        t0 = now_s();
        c0 = cpu_s();
        for (uint64_t s = 0; s < mwpm_shots; s++) {
            uint64_t o;
            double w;
            if (qp_mwpm_decode_b8(m, dets + s * bps, &o, &w, &err)) {
                fprintf(stderr, "bench_sparse: mwpm shot %llu: %s\n", (unsigned long long)s, err.msg);
                return 1;
            }
            mismatches += w != weight[s];
            mwpm_mistakes += (o ^ obs[s]) & 1;
        }
        double t_mwpm = now_s() - t0, c_mwpm = cpu_s() - c0;
        uint64_t sparse_mistakes_sub = 0;
        for (uint64_t s = 0; s < mwpm_shots; s++) sparse_mistakes_sub += (pred[s] ^ obs[s]) & 1;
        double us = t_sparse * 1e6 / (double)shots;
        double us_mwpm = mwpm_shots ? t_mwpm * 1e6 / (double)mwpm_shots : 0;
        double cpu_us = c_sparse * 1e6 / (double)shots;
        double cpu_us_mwpm = mwpm_shots ? c_mwpm * 1e6 / (double)mwpm_shots : 0;
        printf("{\"bench\":\"sparse_blossom\",\"basis\":\"x\",\"d\":%u,\"rounds\":%u,\"p\":%g,\"shots\":%llu,"
               "\"detectors\":%u,\"us_per_shot\":%.3f,\"cpu_us_per_shot\":%.3f,\"mistakes\":%llu,\"pymatching_us_per_shot\":%.2f,"
               "\"ratio_vs_pymatching\":%.2f,\"mwpm_shots\":%llu,\"mwpm_us_per_shot\":%.3f,"
               "\"mwpm_cpu_us_per_shot\":%.3f,\"speedup_vs_mwpm\":%.1f,\"weight_mismatches_vs_mwpm\":%llu,\"mistakes_on_mwpm_shots\":%llu,"
               "\"mwpm_mistakes\":%llu}\n",
               bc->d, bc->d, bc->p, (unsigned long long)shots, g.num_detectors, us, cpu_us, (unsigned long long)mistakes,
               bc->pymatching_us, us / bc->pymatching_us, (unsigned long long)mwpm_shots, us_mwpm, cpu_us_mwpm,
               us > 0 ? us_mwpm / us : 0, (unsigned long long)mismatches, (unsigned long long)sparse_mistakes_sub,
               (unsigned long long)mwpm_mistakes);
        fflush(stdout);
        qp_mwpm_free(m);
        qp_sparse_blossom_free(sb);
        free(dets);
        free(obs);
        free(pred);
        free(weight);
        qp_matching_graph_free(&g);
        qp_dem_free(&dem);
        qp_circuit_free(&circ);
    }
    return 0;
}
