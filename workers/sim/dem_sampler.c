// DEM sampler (see dem_sampler.h): the model is compiled once into a small program (runs of
// mechanisms with block-relative detector ids, detector shifts, repeats), never unrolled; per
// fixed batch of shots the program runs and every mechanism's firing positions are found by
// geometric skipping, its symptoms XORed into the records.
#include "workers/sim/dem_sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"
#include "workers/util/rng.h"

enum { OP_MECHS, OP_SHIFT, OP_REPEAT };

static int cmp_u32(const void *x, const void *y) {
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

static void add_op(qp_dem_sampler *s, size_t *cap, uint8_t kind, uint64_t a, uint64_t b) {
    qp_grow(s->ops, *cap, s->num_ops + 1);
    s->ops[s->num_ops++] = (qp_dem_sampler_op){kind, a, b};
}

typedef struct {
    size_t cap_mechs, cap_dets, cap_ops;
    uint32_t *scratch;
    size_t cap_scratch;
} builder;

// Appends one error instruction as a mechanism: detectors of all `^` parts XORed.
static int add_mechanism(qp_dem_sampler *s, builder *bl, const qp_dem_instr *in, qp_err *err) {
    size_t m = s->num_mechs;
    if (m + 1 > bl->cap_mechs) {
        size_t nc = bl->cap_mechs ? bl->cap_mechs * 2 : 256;
        s->log_q = qp_realloc(s->log_q, nc * sizeof *s->log_q);
        s->prob = qp_realloc(s->prob, nc * sizeof *s->prob);
        s->det_start = qp_realloc(s->det_start, (nc + 1) * sizeof *s->det_start);
        s->obs = qp_realloc(s->obs, nc * sizeof *s->obs);
        bl->cap_mechs = nc;
    }
    qp_grow(bl->scratch, bl->cap_scratch, in->num_targets + 1);
    size_t n = 0;
    uint64_t obs = 0;
    for (uint32_t k = 0; k < in->num_targets; k++) {
        uint64_t t = in->targets[k];
        if (t == QP_DEM_SEPARATOR) continue;
        if (t & QP_DEM_OBS) {
            uint64_t o = t & ~QP_DEM_OBS;
            if (o >= 64) return qp_fail(err, "DEM sampler: observable L%llu (at most 64 observables)", (unsigned long long)o);
            obs ^= 1ull << o;
        } else {
            if (t > UINT32_MAX) return qp_fail(err, "DEM sampler: detector id past 2^32");
            bl->scratch[n++] = (uint32_t)t;
        }
    }
    qsort(bl->scratch, n, sizeof *bl->scratch, cmp_u32);
    size_t w = 0;
    for (size_t i = 0; i < n;) {  // repeated ids cancel in pairs
        size_t j = i;
        while (j < n && bl->scratch[j] == bl->scratch[i]) j++;
        if ((j - i) & 1) bl->scratch[w++] = bl->scratch[i];
        i = j;
    }
    uint64_t start = m ? s->det_start[m] : 0;
    if (m == 0) s->det_start[0] = 0;
    qp_grow(s->dets, bl->cap_dets, start + w + 1);
    if (w) memcpy(s->dets + start, bl->scratch, w * sizeof *s->dets);
    s->det_start[m + 1] = start + w;
    s->prob[m] = in->args[0];
    s->log_q[m] = log1p(-in->args[0]);
    s->obs[m] = obs;
    s->num_mechs = m + 1;
    return 0;
}

static int compile_block(qp_dem_sampler *s, builder *bl, const qp_dem_block *b, qp_err *err) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_dem_instr *in = &b->instrs[i];
        if (in->kind == QP_DEM_ERROR) {
            if (add_mechanism(s, bl, in, err) < 0) return -1;
            if (s->num_ops && s->ops[s->num_ops - 1].kind == OP_MECHS && s->ops[s->num_ops - 1].b == s->num_mechs - 1)
                s->ops[s->num_ops - 1].b++;
            else
                add_op(s, &bl->cap_ops, OP_MECHS, s->num_mechs - 1, s->num_mechs);
        } else if (in->kind == QP_DEM_SHIFT_DETECTORS) {
            add_op(s, &bl->cap_ops, OP_SHIFT, in->targets[0], 0);
        } else if (in->kind == QP_DEM_REPEAT) {
            size_t at = s->num_ops;
            add_op(s, &bl->cap_ops, OP_REPEAT, in->repeat_count, 0);
            if (compile_block(s, bl, in->body, err) < 0) return -1;
            s->ops[at].b = s->num_ops - at - 1;  // body length in ops
        }
    }
    return 0;
}

int qp_dem_sampler_init(qp_dem_sampler *s, const qp_dem *d, qp_err *err) {
    memset(s, 0, sizeof *s);
    if (qp_dem_check_dense(d, "the DEM sampler", err)) return -1;
    if (d->num_observables > 64) return qp_fail(err, "DEM sampler: more than 64 observables");
    builder bl = {0};
    s->det_start = qp_malloc(sizeof *s->det_start);
    s->det_start[0] = 0;
    int rc = compile_block(s, &bl, &d->top, err);
    free(bl.scratch);
    if (rc < 0) {
        qp_dem_sampler_free(s);
        return -1;
    }
    s->num_detectors = d->num_detectors;
    s->num_observables = d->num_observables;
    return 0;
}

void qp_dem_sampler_free(qp_dem_sampler *s) {
    free(s->log_q);
    free(s->prob);
    free(s->det_start);
    free(s->dets);
    free(s->obs);
    free(s->ops);
    memset(s, 0, sizeof *s);
}

typedef struct {
    const qp_dem_sampler *s;
    qp_rng *rng;
    uint8_t *dets, *obs;
    size_t det_bytes, obs_bytes;
} batch;

static void sample_mechanisms(batch *bt, size_t m0, size_t m1, uint64_t offset) {
    const qp_dem_sampler *s = bt->s;
    const int64_t B = QP_DEM_SAMPLER_BATCH;
    for (size_t m = m0; m < m1; m++) {
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
                double u = 1.0 - qp_rng_uniform(bt->rng);  // (0, 1]
                double gap = floor(log(u) / s->log_q[m]);
                if (gap >= (double)B) break;
                shot += 1 + (int64_t)gap;
            }
            if (shot >= B) break;
            uint8_t *rec = bt->dets + (size_t)shot * bt->det_bytes;
            for (size_t k = 0; k < nd; k++) {
                uint64_t det = dm[k] + offset;
                rec[det >> 3] ^= (uint8_t)(1u << (det & 7));
            }
            if (om) {
                uint8_t *orec = bt->obs + (size_t)shot * bt->obs_bytes;
                for (uint64_t bits = om; bits; bits &= bits - 1) {
                    int o = __builtin_ctzll(bits);
                    orec[o >> 3] ^= (uint8_t)(1u << (o & 7));
                }
            }
        }
    }
}

// Runs ops [begin, end) with the running detector offset; repeats unrolled, so a batch costs the
// model's unrolled size, which qp_dem_unroll_limit (dem.h) bounds.
static void run_ops(batch *bt, size_t begin, size_t end, uint64_t *offset) {
    const qp_dem_sampler_op *ops = bt->s->ops;
    for (size_t i = begin; i < end; i++) {
        const qp_dem_sampler_op *op = &ops[i];
        if (op->kind == OP_MECHS) {
            sample_mechanisms(bt, op->a, op->b, *offset);
        } else if (op->kind == OP_SHIFT) {
            *offset += op->a;
        } else {
            for (uint64_t r = 0; r < op->a; r++) run_ops(bt, i + 1, i + 1 + op->b, offset);
            i += op->b;
        }
    }
}

// Samples one whole batch into dets (B, det_bytes) and obs (B, obs_bytes), zeroed first.
static void sample_batch(const qp_dem_sampler *s, qp_rng *rng, uint8_t *dets, size_t det_bytes,
                         uint8_t *obs, size_t obs_bytes) {
    const size_t B = QP_DEM_SAMPLER_BATCH;
    memset(dets, 0, B * det_bytes);
    memset(obs, 0, B * obs_bytes);
    batch bt = {s, rng, dets, obs, det_bytes, obs_bytes};
    uint64_t offset = 0;
    run_ops(&bt, 0, s->num_ops, &offset);
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
