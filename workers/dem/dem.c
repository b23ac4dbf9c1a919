// The in-memory detector error model: construction, release, and the derived totals
// (qp_dem_finalize). Parsing and writing live in dem_parse.c and dem_write.c.
#include "workers/dem/dem.h"

#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"
#include "workers/util/saturate.h"

void qp_dem_init(qp_dem *d) { memset(d, 0, sizeof *d); }

static void block_free(qp_dem_block *b) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        qp_dem_instr *in = &b->instrs[i];
        free(in->args);
        free(in->targets);
        free(in->tag);
        if (in->body) {
            block_free(in->body);
            free(in->body);
        }
    }
    free(b->instrs);
    memset(b, 0, sizeof *b);
}

void qp_dem_free(qp_dem *d) {
    block_free(&d->top);
    memset(d, 0, sizeof *d);
}

qp_dem_instr *qp_dem_block_append(qp_dem_block *b, qp_dem_kind kind, const double *args,
                                  uint32_t num_args, const uint64_t *targets,
                                  uint32_t num_targets) {
    qp_grow(b->instrs, b->cap, b->num_instrs + 1);
    qp_dem_instr *in = &b->instrs[b->num_instrs++];
    memset(in, 0, sizeof *in);
    in->kind = kind;
    in->num_args = num_args;
    in->num_targets = num_targets;
    if (num_args) {
        in->args = qp_malloc(num_args * sizeof *in->args);
        memcpy(in->args, args, num_args * sizeof *in->args);
    }
    if (num_targets) {
        in->targets = qp_malloc(num_targets * sizeof *in->targets);
        memcpy(in->targets, targets, num_targets * sizeof *in->targets);
    }
    if (kind == QP_DEM_REPEAT) in->body = qp_calloc(1, sizeof *in->body);
    return in;
}

// Largest detector id any pass can reach is tracked relative to the block's start.
// Returns -1 on failure. *shift gets the detector shift of one pass, *max_rel the largest
// relative detector id used (or -1), *max_obs the largest observable id (or -1).
#define QP_DEM_MAX_ID (QP_DEM_OBS - 1)

// "NAME:line:1: msg" when the model came from a named source, "line N: msg" otherwise.
static int loc_fail(qp_err *err, const char *name, uint32_t line, const char *msg) {
    if (name) return qp_fail(err, "%s:%u:1: %s", name, line, msg);
    return qp_fail(err, "line %u: %s", line, msg);
}

static int block_totals(const qp_dem_block *b, const char *name, uint64_t *shift,
                        int64_t *max_rel, int64_t *max_obs, qp_err *err) {
    uint64_t s = 0;
    int64_t mx = -1;
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_dem_instr *in = &b->instrs[i];
        switch (in->kind) {
        case QP_DEM_ERROR:
            if (in->num_args != 1 || !(in->args[0] >= 0 && in->args[0] <= 1))
                return loc_fail(err, name, in->line, "error needs one probability in [0, 1]");
            for (uint32_t k = 0; k < in->num_targets; k++) {
                uint64_t t = in->targets[k];
                int sep = (t == QP_DEM_SEPARATOR);
                if (sep && (k == 0 || k + 1 == in->num_targets ||
                            in->targets[k - 1] == QP_DEM_SEPARATOR))
                    return loc_fail(err, name, in->line, "misplaced '^' separator");
                if (sep) continue;
                if (t & QP_DEM_OBS) {
                    int64_t o = (int64_t)(t & ~QP_DEM_OBS);
                    if (o > *max_obs) *max_obs = o;
                } else {
                    if (t > QP_DEM_MAX_ID - s) return loc_fail(err, name, in->line, "detector id overflows");
                    if ((int64_t)(t + s) > mx) mx = (int64_t)(t + s);
                }
            }
            break;
        case QP_DEM_DETECTOR:
            for (uint32_t k = 0; k < in->num_targets; k++) {
                uint64_t t = in->targets[k];
                if (t & (QP_DEM_OBS | QP_DEM_SEPARATOR))
                    return loc_fail(err, name, in->line, "detector takes D targets only");
                if (t > QP_DEM_MAX_ID - s) return loc_fail(err, name, in->line, "detector id overflows");
                if ((int64_t)(t + s) > mx) mx = (int64_t)(t + s);
            }
            break;
        case QP_DEM_LOGICAL_OBSERVABLE:
            for (uint32_t k = 0; k < in->num_targets; k++) {
                uint64_t t = in->targets[k];
                if (!(t & QP_DEM_OBS) || (t & QP_DEM_SEPARATOR))
                    return loc_fail(err, name, in->line, "logical_observable takes L targets only");
                int64_t o = (int64_t)(t & ~QP_DEM_OBS);
                if (o > *max_obs) *max_obs = o;
            }
            break;
        case QP_DEM_SHIFT_DETECTORS:
            if (in->num_targets != 1 || (in->targets[0] & (QP_DEM_OBS | QP_DEM_SEPARATOR)))
                return loc_fail(err, name, in->line, "shift_detectors takes one plain integer");
            if (in->targets[0] > QP_DEM_MAX_ID - s) return loc_fail(err, name, in->line, "detector shift overflows");
            s += in->targets[0];
            break;
        case QP_DEM_REPEAT: {
            if (!in->body || in->repeat_count == 0)
                return loc_fail(err, name, in->line, "repeat needs a positive count and a body");
            uint64_t bs = 0;
            int64_t bm = -1;
            if (block_totals(in->body, name, &bs, &bm, max_obs, err) < 0) return -1;
            uint64_t n = in->repeat_count;
            if (bs && (n > QP_DEM_MAX_ID / bs || n * bs > QP_DEM_MAX_ID - s))
                return loc_fail(err, name, in->line, "repeat shifts detectors past 2^62");
            if (bm >= 0) {
                uint64_t last = s + (n - 1) * bs + (uint64_t)bm;
                if ((int64_t)last > mx) mx = (int64_t)last;
            }
            s += n * bs;
            break;
        }
        default:
            return loc_fail(err, name, in->line, "unknown instruction kind");
        }
    }
    *shift = s;
    *max_rel = mx;
    return 0;
}

uint64_t qp_dem_unroll_limit(uint64_t num_detectors) {
    uint64_t limit = qp_sat_add(qp_sat_mul(qp_sat_add(num_detectors, 1), QP_DEM_UNROLL_PER_DETECTOR), QP_DEM_UNROLL_SLACK);
    return limit < (1ull << 62) ? limit : 1ull << 62;
}

int qp_dem_check_dense(const qp_dem *d, const char *what, qp_err *err) {
    if (d->num_detectors <= QP_DEM_MAX_DENSE_DETECTORS) return 0;
    return qp_fail(err, "the model has %llu detectors; %s allocates per detector and takes at most %llu (2^26)",
                   (unsigned long long)d->num_detectors, what, (unsigned long long)QP_DEM_MAX_DENSE_DETECTORS);
}

static uint64_t repeat_size(const qp_dem_instr *rep);

// Instructions one pass of the block meets (saturating at UINT64_MAX).
static uint64_t unrolled_size(const qp_dem_block *b) {
    uint64_t n = 0;
    for (size_t i = 0; i < b->num_instrs; i++)
        n = qp_sat_add(n, b->instrs[i].kind == QP_DEM_REPEAT ? repeat_size(&b->instrs[i]) : 1);
    return n;
}

// A repeat block's instructions unrolled, its own line once per pass.
static uint64_t repeat_size(const qp_dem_instr *rep) { return qp_sat_mul(rep->repeat_count, qp_sat_add(1, unrolled_size(rep->body))); }

// The repeat blocks of the top level may unroll to qp_dem_unroll_limit instructions (the top
// level's own instructions are the text's, paid for by reading it). Names the block at which the
// sum passes the limit, or the innermost block inside it that passes it alone.
static int check_unrolled(const qp_dem *d, const char *name, qp_err *err) {
    uint64_t limit = qp_dem_unroll_limit(d->num_detectors), sum = 0;
    const qp_dem_instr *culprit = NULL;
    for (size_t i = 0; i < d->top.num_instrs && !culprit; i++) {
        if (d->top.instrs[i].kind != QP_DEM_REPEAT) continue;
        sum = qp_sat_add(sum, repeat_size(&d->top.instrs[i]));
        if (sum > limit) culprit = &d->top.instrs[i];
    }
    if (!culprit) return 0;
    for (int deeper = 1; deeper;) {
        deeper = 0;
        for (size_t i = 0; i < culprit->body->num_instrs && !deeper; i++) {
            const qp_dem_instr *in = &culprit->body->instrs[i];
            if (in->kind == QP_DEM_REPEAT && repeat_size(in) > limit) culprit = in, deeper = 1;
        }
    }
    uint64_t size = repeat_size(culprit);
    char msg[300], count[40];
    if (size == UINT64_MAX) snprintf(count, sizeof count, "at least %llu", (unsigned long long)size);
    else snprintf(count, sizeof count, "%llu", (unsigned long long)size);
    snprintf(msg, sizeof msg,
             "repeat block unrolls to %s instructions; a model of %llu detectors may unroll to at most %llu "
             "(%d per detector + %d)",
             count, (unsigned long long)d->num_detectors, (unsigned long long)limit, QP_DEM_UNROLL_PER_DETECTOR,
             QP_DEM_UNROLL_SLACK);
    return loc_fail(err, name, culprit->line, msg);
}

int qp_dem_finalize_named(qp_dem *d, const char *source_name, qp_err *err) {
    uint64_t shift = 0;
    int64_t max_det = -1, max_obs = -1;
    if (block_totals(&d->top, source_name, &shift, &max_det, &max_obs, err) < 0) return -1;
    if (max_obs >= (int64_t)UINT32_MAX) return qp_fail(err, "observable id too large");
    d->num_detectors = (uint64_t)(max_det + 1);
    d->num_observables = (uint32_t)(max_obs + 1);
    return check_unrolled(d, source_name, err);
}

int qp_dem_finalize(qp_dem *d, qp_err *err) { return qp_dem_finalize_named(d, NULL, err); }
