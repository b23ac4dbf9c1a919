// Unrolls a detector error model (see dem_flatten.h). Walks the instruction tree keeping the
// running detector shift and coordinate shift; each repeat body is walked count times.
#include "workers/dem/dem_flatten.h"

#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

typedef struct {
    qp_dem_flat *f;
    size_t cap_mechs, cap_dets, cap_comps, cap_comp_dets;
    // Declared coordinates, gathered as (detector, offset into pool, count) then laid out.
    uint64_t *decl_det;
    uint64_t *decl_off;
    uint32_t *decl_len;
    size_t num_decl, cap_decl;
    double *pool;
    size_t num_pool, cap_pool;
    double *coord_shift;       // running coordinate offsets
    size_t num_coord_shift, cap_coord_shift;
    size_t max_mechanisms;
    uint64_t *scratch;         // sorting workspace for one component
    size_t cap_scratch;
} flattener;

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

// Sorts ids[0..n) and removes pairs of equal ids (XOR semantics). Returns the new length.
static size_t sort_cancel(uint64_t *ids, size_t n) {
    qsort(ids, n, sizeof *ids, cmp_u64);
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && ids[j] == ids[i]) j++;
        if ((j - i) & 1) ids[w++] = ids[i];
        i = j;
    }
    return w;
}

static int add_error(flattener *fl, const qp_dem_instr *in, uint64_t shift, qp_err *err) {
    qp_dem_flat *f = fl->f;
    if (fl->max_mechanisms && f->num_mechs >= fl->max_mechanisms)
        return qp_fail(err, "detector error model unrolls to more than %zu mechanisms",
                       fl->max_mechanisms);
    qp_grow(f->mechs, fl->cap_mechs, f->num_mechs + 1);
    qp_dem_mechanism *m = &f->mechs[f->num_mechs++];
    m->probability = in->args[0];
    m->first_comp = f->num_comps;
    m->num_comps = 0;
    m->observables = 0;
    size_t all_start = 0;  // scratch holds every detector of the mechanism
    size_t k = 0;
    for (;;) {
        size_t start = k;
        while (k < in->num_targets && in->targets[k] != QP_DEM_SEPARATOR) k++;
        // component [start, k)
        qp_grow(fl->scratch, fl->cap_scratch, all_start + (k - start) * 2 + 1);
        size_t n = 0;
        uint64_t obs = 0;
        uint64_t *cdets = fl->scratch + all_start;
        for (size_t t = start; t < k; t++) {
            uint64_t v = in->targets[t];
            if (v & QP_DEM_OBS) obs ^= 1ull << (v & ~QP_DEM_OBS);
            else cdets[n++] = v + shift;
        }
        n = sort_cancel(cdets, n);
        qp_grow(f->comps, fl->cap_comps, f->num_comps + 1);
        qp_dem_component *c = &f->comps[f->num_comps++];
        c->first_det = f->num_comp_dets;
        c->num_dets = (uint32_t)n;
        c->observables = obs;
        qp_grow(f->comp_dets, fl->cap_comp_dets, f->num_comp_dets + n);
        if (n) memcpy(f->comp_dets + f->num_comp_dets, cdets, n * sizeof *cdets);
        f->num_comp_dets += n;
        all_start += n;
        m->observables ^= obs;
        m->num_comps++;
        if (k >= in->num_targets) break;
        k++;  // skip '^'
    }
    size_t n = sort_cancel(fl->scratch, all_start);
    m->first_det = f->num_dets;
    m->num_dets = (uint32_t)n;
    qp_grow(f->dets, fl->cap_dets, f->num_dets + n);
    if (n) memcpy(f->dets + f->num_dets, fl->scratch, n * sizeof *f->dets);
    f->num_dets += n;
    return 0;
}

static void shift_coords(flattener *fl, const double *args, uint32_t n) {
    qp_grow(fl->coord_shift, fl->cap_coord_shift, n);
    for (uint32_t i = fl->num_coord_shift; i < n; i++) fl->coord_shift[i] = 0;
    if (n > fl->num_coord_shift) fl->num_coord_shift = n;
    for (uint32_t i = 0; i < n; i++) fl->coord_shift[i] += args[i];
}

// 1 when the block adds no error and declares no detector (recursively): it only shifts, so its
// repetitions are applied at once (`repeat 10^15 { shift_detectors 1 }` must not loop).
static int only_shifts(const qp_dem_block *b) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_dem_instr *in = &b->instrs[i];
        if (in->kind == QP_DEM_ERROR || in->kind == QP_DEM_DETECTOR) return 0;
        if (in->kind == QP_DEM_REPEAT && !only_shifts(in->body)) return 0;
    }
    return 1;
}

static int walk(flattener *fl, const qp_dem_block *b, uint64_t *shift, qp_err *err);

// `repeat` of a block that only shifts: walk it once, then scale what it moved.
static int repeat_shifts(flattener *fl, const qp_dem_instr *in, uint64_t *shift, qp_err *err) {
    uint64_t before = *shift;
    uint32_t n_before = fl->num_coord_shift;
    double *coords_before = qp_malloc((n_before ? n_before : 1) * sizeof *coords_before);
    if (n_before) memcpy(coords_before, fl->coord_shift, n_before * sizeof *coords_before);
    int rc = walk(fl, in->body, shift, err);
    uint64_t delta = *shift - before, count = in->repeat_count;
    if (rc == 0 && delta && count > (UINT64_MAX - before) / delta)
        rc = qp_fail(err, "detector error model: shift_detectors in a repeat block overflows the detector index");
    if (rc == 0) {
        *shift = before + delta * count;
        for (uint32_t i = 0; i < fl->num_coord_shift; i++) {
            double b0 = i < n_before ? coords_before[i] : 0;
            fl->coord_shift[i] = b0 + (fl->coord_shift[i] - b0) * (double)count;
        }
    }
    free(coords_before);
    return rc;
}

static int walk(flattener *fl, const qp_dem_block *b, uint64_t *shift, qp_err *err) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_dem_instr *in = &b->instrs[i];
        switch (in->kind) {
        case QP_DEM_ERROR:
            if (add_error(fl, in, *shift, err) < 0) return -1;
            break;
        case QP_DEM_DETECTOR:
            for (uint32_t t = 0; t < in->num_targets; t++) {
                size_t cap = fl->cap_decl;
                qp_grow(fl->decl_det, fl->cap_decl, fl->num_decl + 1);
                if (fl->cap_decl != cap) {  // the two companion arrays grow with it, not per declaration
                    fl->decl_off = qp_realloc(fl->decl_off, fl->cap_decl * sizeof *fl->decl_off);
                    fl->decl_len = qp_realloc(fl->decl_len, fl->cap_decl * sizeof *fl->decl_len);
                }
                fl->decl_det[fl->num_decl] = in->targets[t] + *shift;
                fl->decl_off[fl->num_decl] = fl->num_pool;
                fl->decl_len[fl->num_decl] = in->num_args;
                fl->num_decl++;
                qp_grow(fl->pool, fl->cap_pool, fl->num_pool + in->num_args);
                for (uint32_t a = 0; a < in->num_args; a++)
                    fl->pool[fl->num_pool++] =
                        in->args[a] + (a < fl->num_coord_shift ? fl->coord_shift[a] : 0);
            }
            break;
        case QP_DEM_LOGICAL_OBSERVABLE:
            break;
        case QP_DEM_SHIFT_DETECTORS:
            shift_coords(fl, in->args, in->num_args);
            *shift += in->targets[0];
            break;
        case QP_DEM_REPEAT:
            if (in->repeat_count > 1 && only_shifts(in->body)) {
                if (repeat_shifts(fl, in, shift, err) < 0) return -1;
                break;
            }
            for (uint64_t r = 0; r < in->repeat_count; r++)
                if (walk(fl, in->body, shift, err) < 0) return -1;
            break;
        }
    }
    return 0;
}

// Error instructions met when the block is unrolled (saturating at UINT64_MAX).
static uint64_t count_errors(const qp_dem_block *b) {
    uint64_t n = 0;
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_dem_instr *in = &b->instrs[i];
        uint64_t add = 0;
        if (in->kind == QP_DEM_ERROR) add = 1;
        else if (in->kind == QP_DEM_REPEAT) {
            uint64_t body = count_errors(in->body);
            add = body && in->repeat_count > UINT64_MAX / body ? UINT64_MAX : body * in->repeat_count;
        }
        n = add > UINT64_MAX - n ? UINT64_MAX : n + add;
    }
    return n;
}

uint64_t qp_dem_count_unrolled_errors(const qp_dem *d) { return count_errors(&d->top); }

int qp_dem_flatten(const qp_dem *d, qp_dem_flat *out, size_t max_mechanisms, qp_err *err) {
    memset(out, 0, sizeof *out);
    if (max_mechanisms && count_errors(&d->top) > max_mechanisms)
        return qp_fail(err, "detector error model unrolls to more than %zu mechanisms", max_mechanisms);
    // The walk is bounded by qp_dem_unroll_limit (qp_dem_finalize); the coordinate tables below
    // hold a slot per detector, so their size must fit (and (nd + 1) * 8 must not wrap).
    if (d->num_detectors >= UINT32_MAX)
        return qp_fail(err, "detector error model has %llu detectors; flattening supports fewer than 2^32",
                       (unsigned long long)d->num_detectors);
    if (d->num_observables > 64)
        return qp_fail(err, "detector error model has %u observables; at most 64 supported",
                       d->num_observables);
    flattener fl = {0};
    fl.f = out;
    fl.max_mechanisms = max_mechanisms;
    uint64_t shift = 0;
    int rc = walk(&fl, &d->top, &shift, err);
    out->num_detectors = d->num_detectors;
    out->num_observables = d->num_observables;
    if (rc == 0) {
        // Lay the declared coordinates out by detector; the last declaration wins.
        uint64_t nd = d->num_detectors;
        int64_t *last = qp_malloc((nd ? nd : 1) * sizeof *last);
        for (uint64_t k = 0; k < nd; k++) last[k] = -1;
        for (size_t i = 0; i < fl.num_decl; i++)
            if (fl.decl_det[i] < nd) last[fl.decl_det[i]] = (int64_t)i;
        out->coord_start = qp_malloc((nd + 1) * sizeof *out->coord_start);
        uint64_t total = 0;
        for (uint64_t k = 0; k < nd; k++) {
            out->coord_start[k] = total;
            if (last[k] >= 0) total += fl.decl_len[last[k]];
        }
        out->coord_start[nd] = total;
        out->coords = qp_malloc((total ? total : 1) * sizeof *out->coords);
        for (uint64_t k = 0; k < nd; k++)
            if (last[k] >= 0 && fl.decl_len[last[k]])
                memcpy(out->coords + out->coord_start[k], fl.pool + fl.decl_off[last[k]],
                       fl.decl_len[last[k]] * sizeof *out->coords);
        free(last);
    }
    free(fl.decl_det);
    free(fl.decl_off);
    free(fl.decl_len);
    free(fl.pool);
    free(fl.coord_shift);
    free(fl.scratch);
    if (rc < 0) qp_dem_flat_free(out);
    return rc;
}

void qp_dem_flat_free(qp_dem_flat *f) {
    free(f->mechs);
    free(f->dets);
    free(f->comps);
    free(f->comp_dets);
    free(f->coord_start);
    free(f->coords);
    memset(f, 0, sizeof *f);
}
