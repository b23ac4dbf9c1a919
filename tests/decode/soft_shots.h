// Shots with soft readout made without a soft sampler, for mwpm-soft's test and benchmark:
// the frame sampler gives a circuit's detection events, observable flips and measurement flips;
// then per shot and measurement an error probability e is drawn, the result is flipped with
// probability e exactly (its detectors and observables with it, through the measurement map)
// and p1 is e or 1 - e on the side of 1/2 of the (flipped) frame result. The measurement map is
// checked against the sampler on the way: the detectors and observables it derives from the
// sampled measurement flips must equal the sampled ones.
#ifndef QP_TESTS_DECODE_SOFT_SHOTS_H
#define QP_TESTS_DECODE_SOFT_SHOTS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workers/circuit/circuit.h"
#include "workers/circuit/measurement_map.h"
#include "workers/sim/frame_sample.h"
#include "workers/util/alloc.h"
#include "workers/util/err.h"
#include "workers/util/rng.h"

typedef struct {
    uint64_t shots;
    size_t det_bytes, obs_bytes;
    uint32_t M;            // measurements per shot
    uint8_t *dets, *obs;   // (shots, det_bytes), (shots, obs_bytes), readout flips included
    float *p1;             // (shots, M)
} qp_soft_shots;

static inline void qp_soft_shots_free(qp_soft_shots *s) {
    free(s->dets);
    free(s->obs);
    free(s->p1);
    memset(s, 0, sizeof *s);
}

// The readout error law of the tests: log-uniform in [1e-4, 0.3]; its mean (b - a) / ln(b / a).
#define QP_SOFT_E_MIN 1e-4
#define QP_SOFT_E_MAX 0.3
static inline double qp_soft_log_uniform_e(qp_rng *r) {
    return QP_SOFT_E_MIN * exp(qp_rng_uniform(r) * log(QP_SOFT_E_MAX / QP_SOFT_E_MIN));
}
static inline double qp_soft_log_uniform_mean(void) {
    return (QP_SOFT_E_MAX - QP_SOFT_E_MIN) / log(QP_SOFT_E_MAX / QP_SOFT_E_MIN);
}

// Sets the flip probability argument of every measurement instruction to q (q < 0: removes it).
static inline void qp_soft_set_measurement_flip(qp_block *b, double q) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_REPEAT) {
            qp_soft_set_measurement_flip(in->body, q);
            continue;
        }
        const qp_gate_info *gi = &qp_gate_table[in->gate];
        if (!(gi->flags & QP_GF_MEASUREMENT) || (gi->flags & QP_GF_NOISE)) continue;
        if (q < 0) {
            in->num_args = 0;
        } else {
            if (!in->num_args) in->args = qp_realloc(in->args, sizeof *in->args);
            in->num_args = 1;
            in->args[0] = q;
        }
    }
}

static inline int qp_soft_bit(const uint8_t *r, uint64_t k) { return r[k / 8] >> (k % 8) & 1; }
static inline void qp_soft_flip_bit(uint8_t *r, uint64_t k) { r[k / 8] ^= (uint8_t)(1u << (k % 8)); }

// XORs measurement m's detectors and observables into a detector and an observable record.
static inline void qp_soft_apply_flip(const qp_measurement_map *map, uint32_t m, uint8_t *dets, uint8_t *obs) {
    for (uint32_t j = map->det_start[m]; j < map->det_start[m + 1]; j++) qp_soft_flip_bit(dets, map->det[j]);
    for (uint32_t k = 0; k < map->num_observables; k++)
        if (map->obs[m] >> k & 1) qp_soft_flip_bit(obs, k);
}

// Shots 0..shots-1 of (sample_circuit, seed) with readout added: e from draw_e (NULL: e =
// e_fixed for every measurement). Fails on a sampler error or when the measurement map
// disagrees with the sampler (naming the shot).
static inline int qp_soft_shots_make(qp_soft_shots *s, const qp_circuit *sample_circuit, uint64_t shots, uint64_t seed,
                                     double (*draw_e)(qp_rng *), double e_fixed, qp_err *err) {
    memset(s, 0, sizeof *s);
    s->shots = shots;
    s->M = (uint32_t)sample_circuit->num_measurements;
    s->det_bytes = (sample_circuit->num_detectors + 7) / 8;
    s->obs_bytes = (sample_circuit->num_observables + 7) / 8;
    size_t mb = (s->M + 7) / 8;
    s->dets = qp_calloc(shots ? shots : 1, s->det_bytes ? s->det_bytes : 1);
    s->obs = qp_calloc(shots ? shots : 1, s->obs_bytes ? s->obs_bytes : 1);
    s->p1 = qp_malloc((shots * s->M + 1) * sizeof *s->p1);
    uint8_t *meas = qp_calloc(shots ? shots : 1, mb ? mb : 1), *ref = qp_calloc(mb ? mb : 1, 1);
    uint8_t *d = qp_calloc(s->det_bytes ? s->det_bytes : 1, 1), *o = qp_calloc(s->obs_bytes ? s->obs_bytes : 1, 1);
    qp_measurement_map map = {0};
    int rc = -1;
    if (qp_frame_sample_b8(sample_circuit, NULL, seed, 0, 0, shots, s->dets, s->obs, err) ||
        qp_frame_sample_measurements_b8(sample_circuit, NULL, seed, 0, 0, shots, ref, meas, err) ||
        qp_measurement_map_build(&map, sample_circuit, err))
        goto done;
    qp_rng rng;
    qp_rng_stream(&rng, seed, 1, 0);
    for (uint64_t t = 0; t < shots; t++) {
        memset(d, 0, s->det_bytes);
        memset(o, 0, s->obs_bytes);
        uint8_t *mt = meas + t * mb, *dt = s->dets + t * s->det_bytes, *ot = s->obs + t * s->obs_bytes;
        for (uint32_t m = 0; m < s->M; m++)
            if (qp_soft_bit(mt, m)) qp_soft_apply_flip(&map, m, d, o);
        if (memcmp(d, dt, s->det_bytes) || memcmp(o, ot, s->obs_bytes)) {
            qp_fail(err, "shot %llu: the measurement map's detectors/observables differ from the sampler's",
                    (unsigned long long)t);
            goto done;
        }
        for (uint32_t m = 0; m < s->M; m++) {
            double e = draw_e ? draw_e(&rng) : e_fixed;
            int result = qp_soft_bit(mt, m);
            if (qp_rng_uniform(&rng) < e) {  // a readout error
                result ^= 1;
                qp_soft_apply_flip(&map, m, dt, ot);
            }
            s->p1[t * s->M + m] = (float)(result ? 1 - e : e);
        }
    }
    rc = 0;
done:
    free(meas);
    free(ref);
    free(d);
    free(o);
    qp_measurement_map_free(&map);
    if (rc) qp_soft_shots_free(s);
    return rc;
}

#endif
