// The measurement map (measurement_map.h): one walk over the unrolled circuit collecting
// (measurement, detector) pairs, then a counting sort into per-measurement lists.
#include "workers/circuit/measurement_map.h"

#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

typedef struct {
    qp_measurement_map *map;
    uint64_t meas;       // measurements so far
    uint64_t dets;       // detectors so far
    uint64_t *pair;      // (num_pairs) measurement << 32 | detector
    size_t num_pairs, cap;
    uint64_t *scratch;   // one detector's measurements
    size_t scratch_cap;
} walker;

static int cmp_u64(const void *x, const void *y) {
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static int add_detector(walker *w, const qp_instr *in) {
    size_t n = 0;
    qp_grow(w->scratch, w->scratch_cap, in->num_targets + 1);
    for (uint32_t k = 0; k < in->num_targets; k++)
        if (in->targets[k] & QP_TARGET_REC) w->scratch[n++] = w->meas - (in->targets[k] & QP_TARGET_VALUE_MASK);
    qsort(w->scratch, n, sizeof *w->scratch, cmp_u64);
    for (size_t i = 0; i < n;) {  // a measurement named twice cancels
        if (i + 1 < n && w->scratch[i] == w->scratch[i + 1]) {
            i += 2;
            continue;
        }
        qp_grow(w->pair, w->cap, w->num_pairs + 1);
        w->pair[w->num_pairs++] = w->scratch[i++] << 32 | w->dets;
    }
    w->dets++;
    return 0;
}

static int walk(walker *w, const qp_block *b, qp_err *err) {
    qp_measurement_map *map = w->map;
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_REPEAT) {
            for (uint64_t r = 0; r < in->repeat_count; r++)
                if (walk(w, in->body, err)) return -1;
            continue;
        }
        const qp_gate_info *gi = &qp_gate_table[in->gate];
        if (in->gate == QP_GATE_DETECTOR) {
            add_detector(w, in);
        } else if (in->gate == QP_GATE_OBSERVABLE_INCLUDE) {
            uint32_t k = in->num_args ? (uint32_t)in->args[0] : 0;
            for (uint32_t t = 0; t < in->num_targets; t++)
                if (in->targets[t] & QP_TARGET_REC)
                    map->obs[w->meas - (in->targets[t] & QP_TARGET_VALUE_MASK)] ^= 1ull << k;
        } else if (gi->flags & QP_GF_BIT_TARGETS) {
            for (uint32_t t = 0; t < in->num_targets; t++)
                if (in->targets[t] & QP_TARGET_REC)
                    return qp_fail(err, "line %u: %s rec[-%u]: measurement feedback is not supported here (a flipped "
                                   "result would also flip a qubit)",
                                   in->line, gi->name, in->targets[t] & QP_TARGET_VALUE_MASK);
        }
        uint64_t n = qp_instr_num_results(in);
        // Heralded channels are measurements too, but their arguments are the channel's.
        double q = (gi->flags & QP_GF_MEASUREMENT) && !(gi->flags & QP_GF_NOISE) && in->num_args ? in->args[0] : 0;
        for (uint64_t r = 0; r < n; r++) map->flip[w->meas + r] = q;
        w->meas += n;
    }
    return 0;
}

int qp_measurement_map_build(qp_measurement_map *map, const qp_circuit *c, qp_err *err) {
    memset(map, 0, sizeof *map);
    if (c->num_measurements >= UINT32_MAX || c->num_detectors >= UINT32_MAX)
        return qp_fail(err, "%llu measurements and %llu detectors: at most 2^32 - 2 of each are supported",
                       (unsigned long long)c->num_measurements, (unsigned long long)c->num_detectors);
    if (c->num_observables > 64)
        return qp_fail(err, "%u observables: at most 64 are supported", c->num_observables);
    uint32_t M = (uint32_t)c->num_measurements;
    map->num_measurements = M;
    map->num_detectors = (uint32_t)c->num_detectors;
    map->num_observables = c->num_observables;
    map->obs = qp_calloc(M ? M : 1, sizeof *map->obs);
    map->flip = qp_calloc(M ? M : 1, sizeof *map->flip);
    map->det_start = qp_calloc((size_t)M + 1, sizeof *map->det_start);
    walker w = {.map = map};
    int rc = walk(&w, &c->top, err);
    if (rc == 0) {
        // Pairs arrive by detector; sorting by (measurement, detector) gives the lists.
        qsort(w.pair, w.num_pairs, sizeof *w.pair, cmp_u64);
        map->det = qp_malloc((w.num_pairs ? w.num_pairs : 1) * sizeof *map->det);
        for (size_t i = 0; i < w.num_pairs; i++) {
            map->det_start[(w.pair[i] >> 32) + 1]++;
            map->det[i] = (uint32_t)w.pair[i];
        }
        for (uint32_t m = 0; m < M; m++) map->det_start[m + 1] += map->det_start[m];
    }
    free(w.pair);
    free(w.scratch);
    if (rc) qp_measurement_map_free(map);
    return rc;
}

void qp_measurement_map_free(qp_measurement_map *map) {
    free(map->det_start);
    free(map->det);
    free(map->obs);
    free(map->flip);
    memset(map, 0, sizeof *map);
}
