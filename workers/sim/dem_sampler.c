// DEM sampler (see dem_sampler.h): flatten once, then per fixed batch of shots walk every
// mechanism's firing positions by geometric skipping and XOR its symptoms into the records.
#include "workers/sim/dem_sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/dem/dem_flatten.h"
#include "workers/util/alloc.h"
#include "workers/util/rng.h"

int qp_dem_sampler_init(qp_dem_sampler *s, const qp_dem *d, qp_err *err) {
    memset(s, 0, sizeof *s);
    if (d->num_detectors > UINT32_MAX) return qp_fail(err, "DEM sampler: more than 2^32 detectors");
    qp_dem_flat f;
    if (qp_dem_flatten(d, &f, QP_DEM_SAMPLER_MAX_MECHANISMS, err) < 0)
        return qp_fail_prefix(err, "DEM sampler (repeat blocks are unrolled)");
    size_t n = f.num_mechs;
    s->num_mechs = n;
    s->log_q = qp_malloc((n ? n : 1) * sizeof *s->log_q);
    s->prob = qp_malloc((n ? n : 1) * sizeof *s->prob);
    s->det_start = qp_malloc((n + 1) * sizeof *s->det_start);
    s->dets = qp_malloc((f.num_dets ? f.num_dets : 1) * sizeof *s->dets);
    s->obs = qp_malloc((n ? n : 1) * sizeof *s->obs);
    uint64_t w = 0;
    for (size_t m = 0; m < n; m++) {
        const qp_dem_mechanism *x = &f.mechs[m];
        s->prob[m] = x->probability;
        s->log_q[m] = log1p(-x->probability);
        s->det_start[m] = w;
        for (uint32_t k = 0; k < x->num_dets; k++) s->dets[w++] = (uint32_t)f.dets[x->first_det + k];
        s->obs[m] = x->observables;
    }
    s->det_start[n] = w;
    s->num_detectors = d->num_detectors;
    s->num_observables = d->num_observables;
    qp_dem_flat_free(&f);
    return 0;
}

void qp_dem_sampler_free(qp_dem_sampler *s) {
    free(s->log_q);
    free(s->prob);
    free(s->det_start);
    free(s->dets);
    free(s->obs);
    memset(s, 0, sizeof *s);
}

// Samples one whole batch into dets (B, det_bytes) and obs (B, obs_bytes), zeroed first.
static void sample_batch(const qp_dem_sampler *s, qp_rng *rng, uint8_t *dets, size_t det_bytes,
                         uint8_t *obs, size_t obs_bytes) {
    const int64_t B = QP_DEM_SAMPLER_BATCH;
    memset(dets, 0, (size_t)B * det_bytes);
    memset(obs, 0, (size_t)B * obs_bytes);
    for (size_t m = 0; m < s->num_mechs; m++) {
        double p = s->prob[m];
        if (p <= 0) continue;
        const uint32_t *dm = s->dets + s->det_start[m];
        size_t nd = (size_t)(s->det_start[m + 1] - s->det_start[m]);
        uint64_t om = s->obs[m];
        int64_t shot = -1;
        for (;;) {
            if (p >= 1) {
                shot++;
            } else {
                double u = 1.0 - qp_rng_uniform(rng);  // (0, 1]
                double gap = floor(log(u) / s->log_q[m]);
                if (gap >= (double)B) break;
                shot += 1 + (int64_t)gap;
            }
            if (shot >= B) break;
            uint8_t *rec = dets + (size_t)shot * det_bytes;
            for (size_t k = 0; k < nd; k++) rec[dm[k] >> 3] ^= (uint8_t)(1u << (dm[k] & 7));
            if (om) {
                uint8_t *orec = obs + (size_t)shot * obs_bytes;
                for (uint64_t bits = om; bits; bits &= bits - 1) {
                    int o = __builtin_ctzll(bits);
                    orec[o >> 3] ^= (uint8_t)(1u << (o & 7));
                }
            }
        }
    }
}

int qp_dem_sampler_sample(const qp_dem_sampler *s, uint64_t seed, uint64_t stream_id,
                          uint64_t first_shot, uint64_t num_shots, uint8_t *dets_b8,
                          uint8_t *obs_b8, qp_err *err) {
    if (num_shots == 0) return 0;
    if (first_shot + num_shots < first_shot) return qp_fail(err, "DEM sampler: shot range overflows");
    const uint64_t B = QP_DEM_SAMPLER_BATCH;
    size_t det_bytes = (size_t)((s->num_detectors + 7) / 8), obs_bytes = (s->num_observables + 7) / 8;
    uint8_t *bd = qp_malloc(B * det_bytes + 1), *bo = qp_malloc(B * obs_bytes + 1);
    uint64_t end = first_shot + num_shots;
    for (uint64_t b = first_shot / B; b * B < end; b++) {
        qp_rng rng;
        qp_rng_stream(&rng, seed, stream_id, b);
        sample_batch(s, &rng, bd, det_bytes, bo, obs_bytes);
        uint64_t lo = b * B > first_shot ? b * B : first_shot;
        uint64_t hi = (b + 1) * B < end ? (b + 1) * B : end;
        if (dets_b8 && det_bytes)
            memcpy(dets_b8 + (lo - first_shot) * det_bytes, bd + (lo - b * B) * det_bytes, (hi - lo) * det_bytes);
        if (obs_b8 && obs_bytes)
            memcpy(obs_b8 + (lo - first_shot) * obs_bytes, bo + (lo - b * B) * obs_bytes, (hi - lo) * obs_bytes);
    }
    free(bd);
    free(bo);
    return 0;
}

int qp_dem_sample(const qp_dem *d, uint64_t seed, uint64_t stream_id, uint64_t first_shot,
                  uint64_t num_shots, uint8_t *dets_b8, uint8_t *obs_b8, qp_err *err) {
    qp_dem_sampler s;
    if (qp_dem_sampler_init(&s, d, err) < 0) return -1;
    int rc = qp_dem_sampler_sample(&s, seed, stream_id, first_shot, num_shots, dets_b8, obs_b8, err);
    qp_dem_sampler_free(&s);
    return rc;
}
