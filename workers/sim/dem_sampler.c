// DEM sampler (see dem_sampler.h): flatten once, then per fixed batch of shots walk every
// mechanism's firing positions by geometric skipping and XOR its symptoms into the records.
#include "workers/sim/dem_sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/dem/dem_flatten.h"
#include "workers/util/alloc.h"
#include "workers/util/rng.h"

typedef struct {
    double p;
    size_t m;
} prob_index;

static int cmp_prob_index(const void *x, const void *y) {
    const prob_index *a = x, *b = y;
    if (a->p != b->p) return a->p < b->p ? -1 : 1;
    return a->m < b->m ? -1 : a->m > b->m;
}

int qp_dem_sampler_init(qp_dem_sampler *s, const qp_dem *d, qp_err *err) {
    memset(s, 0, sizeof *s);
    if (d->num_detectors > UINT32_MAX) return qp_fail(err, "DEM sampler: more than 2^32 detectors");
    qp_dem_flat f;
    if (qp_dem_flatten(d, &f, QP_DEM_SAMPLER_MAX_MECHANISMS, err) < 0)
        return qp_fail_prefix(err, "DEM sampler (repeat blocks are unrolled)");
    // Order mechanisms by probability (ties by position) and cut into equal-p groups.
    prob_index *order = qp_malloc((f.num_mechs ? f.num_mechs : 1) * sizeof *order);
    size_t n = 0;
    for (size_t m = 0; m < f.num_mechs; m++)
        if (f.mechs[m].probability > 0) order[n++] = (prob_index){f.mechs[m].probability, m};
    qsort(order, n, sizeof *order, cmp_prob_index);
    s->num_mechs = n;
    s->det_start = qp_malloc((n + 1) * sizeof *s->det_start);
    s->dets = qp_malloc((f.num_dets ? f.num_dets : 1) * sizeof *s->dets);
    s->obs = qp_malloc((n ? n : 1) * sizeof *s->obs);
    s->group_start = qp_malloc((n + 1) * sizeof *s->group_start);
    s->group_p = qp_malloc((n ? n : 1) * sizeof *s->group_p);
    s->group_log_q = qp_malloc((n ? n : 1) * sizeof *s->group_log_q);
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) {
        const qp_dem_mechanism *x = &f.mechs[order[i].m];
        if (i == 0 || order[i].p != order[i - 1].p) {
            s->group_start[s->num_groups] = i;
            s->group_p[s->num_groups] = order[i].p;
            s->group_log_q[s->num_groups] = log1p(-order[i].p);
            s->num_groups++;
        }
        s->det_start[i] = w;
        for (uint32_t k = 0; k < x->num_dets; k++) s->dets[w++] = (uint32_t)f.dets[x->first_det + k];
        s->obs[i] = x->observables;
    }
    s->det_start[n] = w;
    s->group_start[s->num_groups] = n;
    s->num_detectors = d->num_detectors;
    s->num_observables = d->num_observables;
    free(order);
    qp_dem_flat_free(&f);
    return 0;
}

void qp_dem_sampler_free(qp_dem_sampler *s) {
    free(s->det_start);
    free(s->dets);
    free(s->obs);
    free(s->group_start);
    free(s->group_p);
    free(s->group_log_q);
    memset(s, 0, sizeof *s);
}

static void fire(const qp_dem_sampler *s, size_t m, uint64_t shot, uint8_t *dets, size_t det_bytes,
                 uint8_t *obs, size_t obs_bytes) {
    uint8_t *rec = dets + shot * det_bytes;
    for (uint64_t k = s->det_start[m]; k < s->det_start[m + 1]; k++)
        rec[s->dets[k] >> 3] ^= (uint8_t)(1u << (s->dets[k] & 7));
    for (uint64_t bits = s->obs[m]; bits; bits &= bits - 1) {
        int o = __builtin_ctzll(bits);
        obs[shot * obs_bytes + (o >> 3)] ^= (uint8_t)(1u << (o & 7));
    }
}

// Samples one whole batch into dets (B, det_bytes) and obs (B, obs_bytes), zeroed first.
// A group's trials are numbered (mechanism - group start) * B + shot.
static void sample_batch(const qp_dem_sampler *s, qp_rng *rng, uint8_t *dets, size_t det_bytes,
                         uint8_t *obs, size_t obs_bytes) {
    const uint64_t B = QP_DEM_SAMPLER_BATCH;
    memset(dets, 0, B * det_bytes);
    memset(obs, 0, B * obs_bytes);
    for (size_t g = 0; g < s->num_groups; g++) {
        size_t m0 = s->group_start[g];
        uint64_t trials = (uint64_t)(s->group_start[g + 1] - m0) * B;
        if (s->group_p[g] >= 1) {
            for (uint64_t t = 0; t < trials; t++) fire(s, m0 + t / B, t % B, dets, det_bytes, obs, obs_bytes);
            continue;
        }
        double log_q = s->group_log_q[g];
        uint64_t t = 0;
        for (;;) {
            double u = 1.0 - qp_rng_uniform(rng);  // (0, 1]
            double gap = floor(log(u) / log_q);
            if (gap >= (double)(trials - t)) break;
            t += (uint64_t)gap;
            fire(s, m0 + t / B, t % B, dets, det_bytes, obs, obs_bytes);
            t++;
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
