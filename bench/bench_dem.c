// Benchmark of the detector-error-model module (workers/dem, workers/sim/dem_sampler), one
// JSON line per figure:
//  - DEM sampler shots/s, rotated memory-X surface code, uniform p = 0.001, d=5 r=25 and
//    d=11 r=11, 200,000 shots into memory (b8 records), best of 3, beside Stim's sample_dem
//    figure on this machine (../shared/anchors.md) and the ratio ours/Stim;
//  - error analysis time (decomposed) for d=11 r=11, best of 3;
//  - the long experiment: d=5, 100,000 rounds, decompose + fold: seconds and bytes of text.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workers/circuit/surface_code.h"
#include "workers/dem/error_analysis.h"
#include "workers/sim/dem_sampler.h"
#include "workers/util/alloc.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, const qp_err *err) {
    fprintf(stderr, "bench_dem: %s: %s\n", what, err->msg);
    exit(1);
}

static void make_dem(uint32_t d, uint64_t rounds, double p, int fold, qp_dem *out, double *seconds) {
    qp_err err = {{0}};
    qp_surface_params sp = qp_surface_params_uniform('x', d, rounds, p);
    qp_circuit c;
    if (qp_surface_code_generate(&c, &sp, &err) != 0) die("generate", &err);
    qp_error_analysis_options opt = {1, fold, 0};
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        if (qp_error_analysis(&c, &opt, out, &err) != 0) die("analysis", &err);
        double t = now() - t0;
        if (t < best) best = t;
        if (rep < 2) qp_dem_free(out);
    }
    *seconds = best;
    qp_circuit_free(&c);
}

static void bench_sampler(uint32_t d, uint64_t rounds, double stim_shots_per_s) {
    qp_dem dem;
    double analysis_s;
    make_dem(d, rounds, 0.001, 0, &dem, &analysis_s);
    if (d == 11)
        printf("{\"bench\":\"dem_error_analysis\",\"d\":%u,\"rounds\":%llu,\"p\":0.001,\"decompose\":true,"
               "\"seconds\":%.4f}\n",
               d, (unsigned long long)rounds, analysis_s);
    qp_err err = {{0}};
    qp_dem_sampler s;
    if (qp_dem_sampler_init(&s, &dem, &err) != 0) die("sampler", &err);
    const uint64_t shots = 200000;
    size_t rb = (dem.num_detectors + 7) / 8;
    uint8_t *dets = qp_malloc(shots * rb), *obs = qp_malloc(shots);
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        if (qp_dem_sampler_sample(&s, 1, 0, 0, shots, dets, obs, &err) != 0) die("sample", &err);
        double t = now() - t0;
        if (t < best) best = t;
    }
    double rate = shots / best;
    printf("{\"bench\":\"dem_sample\",\"d\":%u,\"rounds\":%llu,\"p\":0.001,\"mechanisms\":%zu,\"shots\":%llu,"
           "\"shots_per_s\":%.0f,\"stim_sample_dem_shots_per_s\":%.0f,\"ratio_vs_stim\":%.2f}\n",
           d, (unsigned long long)rounds, s.num_mechs, (unsigned long long)shots, rate, stim_shots_per_s,
           rate / stim_shots_per_s);
    free(dets);
    free(obs);
    qp_dem_sampler_free(&s);
    qp_dem_free(&dem);
}

int main(void) {
    bench_sampler(5, 25, 1.14e6);
    bench_sampler(11, 11, 0.51e6);
    qp_dem dem;
    double seconds;
    make_dem(5, 100000, 0.001, 1, &dem, &seconds);
    qp_err err = {{0}};
    char *text = qp_dem_to_string(&dem, &err);
    printf("{\"bench\":\"dem_fold_long\",\"d\":5,\"rounds\":100000,\"p\":0.001,\"seconds\":%.4f,"
           "\"text_bytes\":%zu,\"stim_seconds\":0.011,\"stim_text_bytes\":127000}\n",
           seconds, text ? strlen(text) : 0);
    free(text);
    qp_dem_free(&dem);
    return 0;
}
