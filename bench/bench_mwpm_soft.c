// Benchmark of mwpm-soft against mwpm on the same shots: decode CPU µs per shot, the cost of the
// per-shot reweighting alone (set + restore the touched edges, no matching), and both logical
// error rates with the paired difference in standard deviations.
// Shots: rotated surface-code memory Z, rounds = d, SI1000 p = 0.001 from the frame sampler with
// the measurement flips taken out; readout added as in tests/decode/soft_shots.h (per shot and
// measurement e log-uniform in [1e-4, 0.3], the result flipped with probability e, p1 given);
// both decoders' DEM says M(E[e]). Timing: CPU time of the process (CLOCK_PROCESS_CPUTIME_ID),
// the decoders interleaved, best of `reps` passes over all shots.
//
// Usage: bench_mwpm_soft [shots] [reps]   (default 20000 shots per distance, 3 reps)
// One JSON line per distance (3, 5, 7).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/decode/soft_shots.h"
#include "workers/circuit/surface_code.h"
#include "workers/decode/decoder.h"
#include "workers/decode/mwpm_soft.h"
#include "workers/dem/error_analysis.h"

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const char *msg) {
    fprintf(stderr, "bench_mwpm_soft: %s\n", msg);
    return 1;
}

int main(int argc, char **argv) {
    uint64_t shots = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    if (!shots || reps < 1) return fail("usage: bench_mwpm_soft [shots] [reps]");
    const double p = 0.001, mean_e = qp_soft_log_uniform_mean();
    const uint32_t ds[3] = {3, 5, 7};
    for (int di = 0; di < 3; di++) {
        uint32_t d = ds[di];
        qp_err err;
        qp_circuit sample, decode;
        qp_surface_params sp = qp_surface_params_si1000('z', d, d, p);
        if (qp_surface_code_generate(&sample, &sp, &err) || qp_surface_code_generate(&decode, &sp, &err))
            return fail(err.msg);
        qp_soft_set_measurement_flip(&sample.top, -1);
        qp_soft_set_measurement_flip(&decode.top, mean_e);
        qp_soft_shots s;
        if (qp_soft_shots_make(&s, &sample, shots, 2027 + d, qp_soft_log_uniform_e, 0, &err)) return fail(err.msg);
        qp_dem dem;
        qp_error_analysis_options eo = {.decompose_errors = 1, .fold_loops = 1};
        if (qp_error_analysis(&decode, &eo, &dem, &err)) return fail(err.msg);
        qp_decoder *hard = qp_decoder_create("mwpm", &dem, &err);
        qp_decoder *soft = hard ? qp_decoder_create_from_circuit("mwpm-soft", &dem, &decode, &err) : NULL;
        qp_mwpm_soft *ms = soft ? qp_mwpm_soft_create(&dem, &decode, &err) : NULL;
        if (!ms) return fail(err.msg);
        uint8_t *ph = malloc(shots * s.obs_bytes), *ps = malloc(shots * s.obs_bytes);
        if (!ph || !ps) return fail("out of memory");
        qp_soft_batch sb = {s.p1, NULL, s.M, s.M};
        double best_h = 1e300, best_s = 1e300, best_r = 1e300;
        for (int r = 0; r < reps; r++) {
            double t0 = cpu_s();
            if (qp_decoder_decode_batch(hard, s.dets, shots, s.det_bytes, ph, NULL, &err)) return fail(err.msg);
            double t1 = cpu_s();
            if (qp_decoder_decode_batch_soft(soft, s.dets, shots, s.det_bytes, &sb, ps, NULL, &err))
                return fail(err.msg);
            double t2 = cpu_s();
            for (uint64_t t = 0; t < shots; t++) {  // the reweighting alone
                if (qp_mwpm_soft_apply(ms, s.p1 + t * s.M, &err)) return fail(err.msg);
                qp_mwpm_soft_restore(ms);
            }
            double t3 = cpu_s();
            if (t1 - t0 < best_h) best_h = t1 - t0;
            if (t2 - t1 < best_s) best_s = t2 - t1;
            if (t3 - t2 < best_r) best_r = t3 - t2;
        }
        uint64_t wh = 0, ws = 0, disc = 0;
        for (uint64_t t = 0; t < shots; t++) {
            int h = memcmp(ph + t * s.obs_bytes, s.obs + t * s.obs_bytes, s.obs_bytes) != 0;
            int so = memcmp(ps + t * s.obs_bytes, s.obs + t * s.obs_bytes, s.obs_bytes) != 0;
            wh += h;
            ws += so;
            disc += h != so;
        }
        double diff = (double)wh - (double)ws, sd = sqrt((double)disc);
        printf("{\"bench\":\"mwpm_soft\",\"basis\":\"z\",\"d\":%u,\"rounds\":%u,\"noise\":\"si1000\",\"p\":%g,"
               "\"readout\":\"e log-uniform [1e-4, 0.3]\",\"mean_e\":%.5f,\"measurements\":%u,\"shots\":%llu,"
               "\"mwpm_mistakes\":%llu,\"soft_mistakes\":%llu,\"mwpm_ler\":%.5f,\"soft_ler\":%.5f,\"discordant\":%llu,"
               "\"sigma\":%.1f,\"mwpm_us_per_shot\":%.2f,\"soft_us_per_shot\":%.2f,\"reweight_us_per_shot\":%.2f,"
               "\"reps\":%d,\"clock\":\"process cpu, best of reps\"}\n",
               d, d, p, mean_e, s.M, (unsigned long long)shots, (unsigned long long)wh, (unsigned long long)ws,
               (double)wh / (double)shots, (double)ws / (double)shots, (unsigned long long)disc, sd > 0 ? diff / sd : 0.0,
               best_h * 1e6 / (double)shots, best_s * 1e6 / (double)shots, best_r * 1e6 / (double)shots, reps);
        fflush(stdout);
        free(ph);
        free(ps);
        qp_mwpm_soft_free(ms);
        qp_decoder_free(soft);
        qp_decoder_free(hard);
        qp_dem_free(&dem);
        qp_soft_shots_free(&s);
        qp_circuit_free(&sample);
        qp_circuit_free(&decode);
    }
    return 0;
}
