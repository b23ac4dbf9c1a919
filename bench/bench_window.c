// Benchmark of windowed decoding (workers/decode/window.h) against global matching of the same
// shots: rotated surface-code memory-X experiments under SI1000 noise p = 0.001, d = 5 and 11,
// rounds = 1,000, 10,000, 100,000 (folded DEM, the job's default window W = 10 d, commit
// C = 8 d unless given; default segments), "mwpm" (sparse blossom) in both. Shots are sampled with the frame sampler
// (seed 2026, stream = case index); only decoding is timed, as wall and thread CPU time, and
// reported per round per shot, so linear growth shows as a flat us_per_round. Global matching
// is run only while its graph stays small (at most 300,000 detectors: it needs ~2.4 KB per
// detector); on those shots the two predictions are compared (same_prediction).
// One JSON line per (d, rounds).
//
// Usage: bench_window [round_budget [commit_per_d]]
//   (defaults 200000: shots = max(2, round_budget / rounds); 8: C = 8 d)
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workers/circuit/surface_code.h"
#include "workers/decode/decoder.h"
#include "workers/decode/window.h"
#include "workers/dem/error_analysis.h"
#include "workers/sim/frame_sample.h"

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const char *what, const qp_err *err) {
    fprintf(stderr, "bench_window: %s: %s\n", what, err->msg);
    return 1;
}

// Decodes n shots; *wall / *cpu in seconds.
static int timed_decode(qp_decoder *dec, const uint8_t *dets, size_t n, size_t bps, uint8_t *pred, double *wall,
                        double *cpu, qp_err *err) {
    double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    int rc = qp_decoder_decode_batch(dec, dets, n, bps, pred, NULL, err);
    *wall = clock_s(CLOCK_MONOTONIC) - t0;
    *cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    return rc;
}

int main(int argc, char **argv) {
    uint64_t budget = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
    uint32_t commit_per_d = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 8;
    const uint32_t ds[] = {5, 11};
    const uint64_t rounds_list[] = {1000, 10000, 100000};
    uint64_t case_index = 0;
    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 3; j++, case_index++) {
            uint32_t d = ds[i];
            uint64_t rounds = rounds_list[j], shots = budget / rounds < 2 ? 2 : budget / rounds;
            qp_err err;
            qp_circuit circ;
            qp_surface_params sp = qp_surface_params_si1000('x', d, rounds, 0.001);
            if (qp_surface_code_generate(&circ, &sp, &err)) return fail("circuit", &err);
            qp_dem dem;
            qp_error_analysis_options eo = {.decompose_errors = 1, .fold_loops = 1};
            if (qp_error_analysis(&circ, &eo, &dem, &err)) return fail("dem", &err);
            size_t bps = (size_t)(dem.num_detectors + 7) / 8;
            uint8_t *dets = malloc(shots * bps), *obs = malloc(shots), *pw = malloc(shots), *pg = malloc(shots);
            if (qp_frame_sample_b8(&circ, NULL, 2026, case_index, 0, shots, dets, obs, &err)) return fail("sample", &err);
            qp_window_options wo = {.window = 10 * d, .commit = commit_per_d * d};
            double t0 = clock_s(CLOCK_MONOTONIC);
            qp_decoder *win = qp_decoder_create_windowed("mwpm", &dem, &wo, &err);
            double setup = clock_s(CLOCK_MONOTONIC) - t0;
            if (!win) return fail("windowed decoder", &err);
            double ww, wc, gw = 0, gc = 0, gsetup = 0;
            if (timed_decode(win, dets, shots, bps, pw, &ww, &wc, &err)) return fail("windowed decode", &err);
            uint64_t wm = 0, gm = 0, same = 0;
            for (uint64_t s = 0; s < shots; s++) wm += (pw[s] ^ obs[s]) & 1;
            int global = dem.num_detectors <= 300000;
            if (global) {
                t0 = clock_s(CLOCK_MONOTONIC);
                qp_decoder *g = qp_decoder_create("mwpm", &dem, &err);
                gsetup = clock_s(CLOCK_MONOTONIC) - t0;
                if (!g) return fail("global decoder", &err);
                if (timed_decode(g, dets, shots, bps, pg, &gw, &gc, &err)) return fail("global decode", &err);
                for (uint64_t s = 0; s < shots; s++) gm += (pg[s] ^ obs[s]) & 1, same += ((pg[s] ^ pw[s]) & 1) == 0;
                qp_decoder_free(g);
            }
            double per = 1e6 / (double)(rounds * shots);
            const qp_window_layout *l = qp_window_get_layout(qp_decoder_window(win));
            printf("{\"bench\":\"window\",\"d\":%u,\"rounds\":%llu,\"noise\":\"si1000\",\"p\":0.001,\"shots\":%llu,"
                   "\"window\":%u,\"commit\":%u,\"segments\":%llu,\"setup_s\":%.3f,\"us_per_round\":%.3f,"
                   "\"cpu_us_per_round\":%.3f,\"mistakes\":%llu",
                   d, (unsigned long long)rounds, (unsigned long long)shots, 10 * d, commit_per_d * d,
                   (unsigned long long)l->num_segments, setup, ww * per, wc * per, (unsigned long long)wm);
            if (global)
                printf(",\"global_setup_s\":%.3f,\"global_us_per_round\":%.3f,\"global_cpu_us_per_round\":%.3f,"
                       "\"global_mistakes\":%llu,\"same_prediction\":%llu,\"ratio_vs_global\":%.2f}\n",
                       gsetup, gw * per, gc * per, (unsigned long long)gm, (unsigned long long)same, gc > 0 ? wc / gc : 0);
            else
                printf(",\"global\":\"skipped: %llu detectors\"}\n", (unsigned long long)dem.num_detectors);
            fflush(stdout);
            qp_decoder_free(win);
            free(dets), free(obs), free(pw), free(pg);
            qp_dem_free(&dem);
            qp_circuit_free(&circ);
        }
    return 0;
}
