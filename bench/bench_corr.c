// Benchmark of correlated matching (mwpm-corr) against plain MWPM: logical error rates and
// µs per shot on rotated surface-code memory experiments (rounds = d, uniform circuit noise p),
// d = 5, 7 at p = 0.003 and 0.005, X and Z bases pooled. Shots come from our own pipeline:
// circuit generator → frame sampler (seed 2027, one stream per basis and case) and error
// analysis (--decompose_errors) → DEM. Both decoders see the same shots; the comparison is
// paired: diff = mwpm mistakes - corr mistakes, sd = sqrt(discordant shots) (shots where
// exactly one decoder is wrong), sigma = diff / sd. Timing: plain through the "mwpm" decoder,
// correlated through "mwpm-corr" (both passes plus the first pass's correction), decoding only.
//
// Usage: bench_corr [shots_per_basis]   (default 100000, i.e. 200,000 pooled per (d, p))
#include <math.h>
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

static int fail(const char *msg) {
    fprintf(stderr, "bench_corr: %s\n", msg);
    return 1;
}

int main(int argc, char **argv) {
    uint64_t shots = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    const uint32_t ds[2] = {5, 7};
    const double ps[2] = {0.003, 0.005};
    uint64_t stream = 0;
    for (int di = 0; di < 2; di++)
        for (int pi = 0; pi < 2; pi++) {
            uint64_t plain = 0, corr = 0, discordant = 0, total = 0;
            double t_plain = 0, t_corr = 0;
            for (int bi = 0; bi < 2; bi++, stream++) {
                qp_err err;
                qp_circuit circ;
                qp_surface_params sp = qp_surface_params_uniform(bi ? 'z' : 'x', ds[di], ds[di], ps[pi]);
                if (qp_surface_code_generate(&circ, &sp, &err)) return fail(err.msg);
                qp_dem dem;
                qp_error_analysis_options eo = {.decompose_errors = 1, .fold_loops = 0};
                if (qp_error_analysis(&circ, &eo, &dem, &err)) return fail(err.msg);
                qp_decoder *dp = qp_decoder_create("mwpm", &dem, &err);
                if (!dp) return fail(err.msg);
                qp_decoder *dc = qp_decoder_create("mwpm-corr", &dem, &err);
                if (!dc) return fail(err.msg);
                size_t bps = (size_t)(qp_decoder_num_detectors(dp) + 7) / 8;
                uint8_t *dets = malloc(shots * bps), *obs = malloc(shots), *pp = malloc(shots), *pc = malloc(shots);
                if (!dets || !obs || !pp || !pc) return fail("out of memory");
                if (qp_frame_sample_b8(&circ, NULL, 2027, stream, 0, shots, dets, obs, &err)) return fail(err.msg);
                double t0 = now_s();
                if (qp_decoder_decode_batch(dp, dets, shots, bps, pp, NULL, &err)) return fail(err.msg);
                double t1 = now_s();
                if (qp_decoder_decode_batch(dc, dets, shots, bps, pc, NULL, &err)) return fail(err.msg);
                double t2 = now_s();
                t_plain += t1 - t0;
                t_corr += t2 - t1;
                for (uint64_t s = 0; s < shots; s++) {
                    int wp = (pp[s] ^ obs[s]) & 1, wc = (pc[s] ^ obs[s]) & 1;
                    plain += wp;
                    corr += wc;
                    discordant += wp != wc;
                }
                total += shots;
                free(dets);
                free(obs);
                free(pp);
                free(pc);
                qp_decoder_free(dp);
                qp_decoder_free(dc);
                qp_dem_free(&dem);
                qp_circuit_free(&circ);
            }
            double diff = (double)plain - (double)corr, sd = sqrt((double)discordant);
            printf("{\"bench\":\"corr\",\"bases\":\"x+z\",\"d\":%u,\"rounds\":%u,\"p\":%g,\"shots\":%llu,"
                   "\"mwpm_mistakes\":%llu,\"corr_mistakes\":%llu,\"mwpm_ler\":%.6f,\"corr_ler\":%.6f,"
                   "\"discordant\":%llu,\"diff\":%.0f,\"sigma\":%.2f,"
                   "\"mwpm_us_per_shot\":%.2f,\"corr_us_per_shot\":%.2f}\n",
                   ds[di], ds[di], ps[pi], (unsigned long long)total, (unsigned long long)plain,
                   (unsigned long long)corr, (double)plain / (double)total, (double)corr / (double)total,
                   (unsigned long long)discordant, diff, sd > 0 ? diff / sd : 0.0, t_plain * 1e6 / (double)total,
                   t_corr * 1e6 / (double)total);
            fflush(stdout);
        }
    return 0;
}
