// Benchmark of the exact maximum-likelihood decoder (workers/decode/ml.h) on the d=3, 3-round
// reference vectors: seconds to build the decision table from NAME.nodecomp.dem (the 2^25-entry
// joint distribution, one butterfly per mechanism) and µs per shot to decode NAME.dets.b8, with
// its mistakes next to PyMatching's and the MANIFEST's optimum. Times are this thread's CPU time
// (the machine is shared). One JSON line per case.
//
// Usage: bench_ml [VECTORS_DIR [NAME]]   (default $QECPIPE_VECTORS or ../shared/vectors; NAME
// picks one case, default surface_z_d3_r3_p0.005 and surface_x_d3_r3_p0.003)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/test_support.h"
#include "workers/decode/ml.h"
#include "workers/dem/dem.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench_case(const char *dir, const char *name) {
    char path[4096];
    qp_err err;
    qp_dem dem;
    qp_dem_init(&dem);
    snprintf(path, sizeof path, "%s/%s.nodecomp.dem", dir, name);
    if (qp_dem_parse_file(&dem, path, &err) != 0) return fprintf(stderr, "bench_ml: %s\n", err.msg), 1;
    double t0 = now_s();
    qp_ml *ml = qp_ml_create(&dem, &err);
    double build = now_s() - t0;
    qp_dem_free(&dem);
    if (!ml) return fprintf(stderr, "bench_ml: %s\n", err.msg), 1;
    size_t len_dets, len_obs, len_pm;
    snprintf(path, sizeof path, "%s/%s.dets.b8", dir, name);
    unsigned char *dets = (unsigned char *)qp_test_read_file(path, &len_dets);
    snprintf(path, sizeof path, "%s/%s.obs.b8", dir, name);
    unsigned char *obs = (unsigned char *)qp_test_read_file(path, &len_obs);
    snprintf(path, sizeof path, "%s/%s.pymatching.01", dir, name);
    unsigned char *pm = (unsigned char *)qp_test_read_file(path, &len_pm);
    if (!dets || !obs || !pm) return fprintf(stderr, "bench_ml: %s: missing files\n", name), 1;
    size_t bps = (qp_ml_num_detectors(ml) + 7) / 8, shots = len_dets / bps;
    uint64_t mistakes = 0, pm_mistakes = 0;
    t0 = now_s();
    for (size_t s = 0; s < shots; s++) {
        uint64_t pred;
        qp_ml_decode_b8(ml, dets + s * bps, &pred, NULL);
        mistakes += (pred & 1) != (obs[s] & 1u);
    }
    double decode = now_s() - t0;
    for (size_t s = 0; s < shots; s++) pm_mistakes += (pm[2 * s] == '1') != (obs[s] & 1u);
    printf("{\"bench\":\"ml\",\"case\":\"%s\",\"build_seconds\":%.3f,\"us_per_shot\":%.4f,\"shots\":%zu,"
           "\"mistakes\":%llu,\"pymatching_mistakes\":%llu,\"table_mb\":%.0f}\n",
           name, build, 1e6 * decode / (double)shots, shots, (unsigned long long)mistakes,
           (unsigned long long)pm_mistakes,
           (double)(8ull << (qp_ml_num_detectors(ml) + qp_ml_num_observables(ml))) / (1 << 20));
    free(dets);
    free(obs);
    free(pm);
    qp_ml_free(ml);
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : getenv("QECPIPE_VECTORS");
    if (!dir) dir = "../shared/vectors";
    if (argc > 2) return bench_case(dir, argv[2]);
    return bench_case(dir, "surface_z_d3_r3_p0.005") || bench_case(dir, "surface_x_d3_r3_p0.003");
}
