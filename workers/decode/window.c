// Sliding-window decoding on a folded DEM (see window.h): layout from the main repeat block,
// window models cut from the folded DEM without unrolling it, one decoder per distinct window,
// commit and carry per shot.
#include "workers/decode/window.h"

#include <stdlib.h>
#include <string.h>

#include "workers/decode/decoder.h"
#include "workers/decode/matching_graph.h"
#include "workers/util/alloc.h"

// ---------------------------------------------------------------------------------------
// Block statistics: what one pass of a block does, relative to its start.

typedef struct {
    int64_t shift;        // detector shift of one pass
    double time;          // time-coordinate shift of one pass (last coordinate)
    int64_t lo, hi;       // smallest / largest relative detector id an error touches (lo > hi: none)
    int64_t span;         // largest (max - min) detector id within one error component
} block_stats;

static void note_range(block_stats *s, int64_t lo, int64_t hi) {
    if (lo < s->lo) s->lo = lo;
    if (hi > s->hi) s->hi = hi;
}

static void stats_of(const qp_dem_block *b, block_stats *s) {
    *s = (block_stats){.lo = INT64_MAX, .hi = INT64_MIN};
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_dem_instr *in = &b->instrs[i];
        if (in->kind == QP_DEM_SHIFT_DETECTORS) {
            s->shift += in->num_targets ? (int64_t)in->targets[0] : 0;
            if (in->num_args) s->time += in->args[in->num_args - 1];
        } else if (in->kind == QP_DEM_REPEAT) {
            block_stats t;
            stats_of(in->body, &t);
            int64_t n = (int64_t)in->repeat_count;
            if (n > 0 && t.lo <= t.hi) note_range(s, s->shift + t.lo, s->shift + (n - 1) * t.shift + t.hi);
            if (t.span > s->span) s->span = t.span;
            s->shift += n * t.shift;
            s->time += (double)n * t.time;
        } else if (in->kind == QP_DEM_ERROR) {
            int64_t cmin = INT64_MAX, cmax = INT64_MIN;
            for (uint32_t k = 0; k <= in->num_targets; k++) {
                uint64_t t = k < in->num_targets ? in->targets[k] : QP_DEM_SEPARATOR;
                if (t == QP_DEM_SEPARATOR) {
                    if (cmin <= cmax) {
                        note_range(s, s->shift + cmin, s->shift + cmax);
                        if (cmax - cmin > s->span) s->span = cmax - cmin;
                    }
                    cmin = INT64_MAX, cmax = INT64_MIN;
                } else if (!(t & QP_DEM_OBS)) {
                    if ((int64_t)t < cmin) cmin = (int64_t)t;
                    if ((int64_t)t > cmax) cmax = (int64_t)t;
                }
            }
        }
    }
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
static int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

// ---------------------------------------------------------------------------------------
// Layout

// The main repeat: the top-level repeat block that shifts the most detectors.
typedef struct {
    long index;            // in dem->top, or -1
    block_stats body;
    int64_t head;          // detector shift before it
    int64_t head_hi;       // largest detector an error before it touches (-1: none)
    int64_t tail_lo;       // smallest detector an error after it touches (INT64_MAX: none)
    int64_t span;          // over the whole model
} main_repeat;

static void find_main_repeat(const qp_dem *dem, main_repeat *m) {
    const qp_dem_block *top = &dem->top;
    m->index = -1;
    int64_t best = 0;
    for (size_t i = 0; i < top->num_instrs; i++) {
        const qp_dem_instr *in = &top->instrs[i];
        if (in->kind != QP_DEM_REPEAT) continue;
        block_stats t;
        stats_of(in->body, &t);
        int64_t dets = (int64_t)in->repeat_count * t.shift;
        if (dets > best) best = dets, m->index = (long)i;
    }
    block_stats all;
    stats_of(top, &all);
    m->span = all.span;
    m->head_hi = -1;
    m->tail_lo = INT64_MAX;
    // Errors outside the main repeat, in absolute ids: walk the top block with one-instruction
    // sub-blocks so stats_of does the nested arithmetic.
    int64_t shift = 0;
    for (size_t i = 0; i < top->num_instrs; i++) {
        qp_dem_block one = {.instrs = (qp_dem_instr *)&top->instrs[i], .num_instrs = 1};
        block_stats t;
        stats_of(&one, &t);
        if ((long)i == m->index) {
            stats_of(top->instrs[i].body, &m->body);
            m->head = shift;
        } else if (t.lo <= t.hi) {
            if (m->index < 0 || (long)i < m->index) {
                if (shift + t.hi > m->head_hi) m->head_hi = shift + t.hi;
            } else if (shift + t.lo < m->tail_lo) {
                m->tail_lo = shift + t.lo;
            }
        }
        shift += t.shift;
    }
}

static int layout_with(const qp_dem *dem, const main_repeat *m, const qp_window_options *opt,
                       qp_window_layout *l, qp_err *err) {
    memset(l, 0, sizeof *l);
    l->num_detectors = dem->num_detectors;
    uint64_t W = opt->window, C = opt->commit ? opt->commit : opt->window / 2;
    if (W == 0) return qp_fail(err, "window: must be at least 1 round");
    if (C > W)
        return qp_fail(err, "commit region of %llu rounds is larger than the window of %llu rounds",
                       (unsigned long long)C, (unsigned long long)W);
    if (C == 0) C = 1;
    if (m->index < 0 || m->body.shift <= 0) {  // nothing to slide over: one global window
        l->num_windows = 1;
        l->head = dem->num_detectors;
        return 0;
    }
    const qp_dem_instr *rep = &dem->top.instrs[m->index];
    l->head = (uint64_t)m->head;
    l->step = (uint64_t)m->body.shift;
    l->iterations = rep->repeat_count;
    l->period = m->body.time >= 1 ? (uint64_t)(m->body.time + 0.5) : 1;
    l->window_its = (W + l->period - 1) / l->period;
    l->commit_its = (C + l->period - 1) / l->period;
    l->depth_its = (uint64_t)ceil_div(m->span, (int64_t)l->step);
    if (l->depth_its == 0) l->depth_its = 1;
    uint64_t depth_rounds = l->depth_its * l->period;
    if (l->window_its <= l->depth_its)
        return qp_fail(err, "window of %llu rounds is not longer than the detector graph's time depth "
                            "(%llu rounds: edges span up to %llu rounds; the model repeats every %llu)",
                       (unsigned long long)W, (unsigned long long)depth_rounds,
                       (unsigned long long)depth_rounds, (unsigned long long)l->period);
    if (l->window_its - l->commit_its < l->depth_its)
        return qp_fail(err, "window of %llu rounds with a commit region of %llu leaves a buffer shorter than "
                            "the detector graph's time depth (%llu rounds); use a commit of at most %llu",
                       (unsigned long long)W, (unsigned long long)C, (unsigned long long)depth_rounds,
                       (unsigned long long)((l->window_its - l->depth_its) * l->period));
    l->num_windows = l->iterations > l->window_its
                         ? 1 + (l->iterations - l->window_its + l->commit_its - 1) / l->commit_its
                         : 1;
    return 0;
}

int qp_window_layout_of(const qp_dem *dem, const qp_window_options *opt, qp_window_layout *out,
                        qp_err *err) {
    main_repeat m;
    find_main_repeat(dem, &m);
    return layout_with(dem, &m, opt, out, err);
}

void qp_window_range(const qp_window_layout *l, uint64_t j, uint64_t *lo, uint64_t *hi,
                     uint64_t *commit_end) {
    if (l->num_windows == 1) {
        *lo = 0;
        *hi = *commit_end = l->num_detectors;
        return;
    }
    uint64_t first = j * l->commit_its;
    *lo = j == 0 ? 0 : l->head + first * l->step;
    if (j + 1 == l->num_windows) {
        *hi = *commit_end = l->num_detectors;
    } else {
        *hi = l->head + (first + l->window_its) * l->step;
        *commit_end = l->head + (first + l->commit_its) * l->step;
    }
}

// ---------------------------------------------------------------------------------------
// Window models: the folded DEM cut to [lo, hi), ids relative to lo.

typedef struct {
    uint64_t lo, hi;
    qp_dem *out;
    uint64_t *buf;
    size_t cap;
} cutter;

static void cut_error(cutter *c, const qp_dem_instr *in, int64_t shift) {
    qp_grow(c->buf, c->cap, (size_t)in->num_targets + 1);
    size_t n = 0, comp_start = 0;
    int past = 0, inside = 0, any_inside = 0;
    for (uint32_t k = 0; k <= in->num_targets; k++) {
        uint64_t t = k < in->num_targets ? in->targets[k] : QP_DEM_SEPARATOR;
        if (t == QP_DEM_SEPARATOR) {
            if (past || !inside) n = comp_start;  // reaches the committed past, or wholly in the future
            else c->buf[n++] = QP_DEM_SEPARATOR, any_inside = 1;
            comp_start = n;
            past = inside = 0;
        } else if (t & QP_DEM_OBS) {
            c->buf[n++] = t;
        } else {
            int64_t d = (int64_t)t + shift;
            if (d < (int64_t)c->lo) past = 1;
            else if (d < (int64_t)c->hi) c->buf[n++] = (uint64_t)d - c->lo, inside = 1;
            // d >= hi: dropped; the component ends at the future boundary
        }
    }
    if (!any_inside) return;
    n--;  // trailing separator
    qp_dem_instr *e = qp_dem_block_append(&c->out->top, QP_DEM_ERROR, in->args, in->num_args, c->buf, (uint32_t)n);
    e->line = in->line;
}

static void cut_block(cutter *c, const qp_dem_block *b, int64_t *shift) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_dem_instr *in = &b->instrs[i];
        if (in->kind == QP_DEM_SHIFT_DETECTORS) {
            *shift += in->num_targets ? (int64_t)in->targets[0] : 0;
        } else if (in->kind == QP_DEM_ERROR) {
            cut_error(c, in, *shift);
        } else if (in->kind == QP_DEM_REPEAT) {
            block_stats t;
            stats_of(in->body, &t);
            int64_t n = (int64_t)in->repeat_count, first = 0, last = n - 1;
            if (t.lo > t.hi) last = -1;  // no errors in the body
            else if (t.shift > 0) {      // only the passes whose errors reach [lo, hi)
                int64_t f = ceil_div((int64_t)c->lo - *shift - t.hi, t.shift);
                int64_t l = floor_div((int64_t)c->hi - 1 - *shift - t.lo, t.shift);
                if (f > first) first = f;
                if (l < last) last = l;
            }
            for (int64_t r = first; r <= last; r++) {
                int64_t s = *shift + r * t.shift;
                cut_block(c, in->body, &s);
            }
            *shift += n * t.shift;
        }
    }
}

static int window_model(const qp_dem *dem, uint64_t lo, uint64_t hi, qp_dem *out, qp_err *err) {
    qp_dem_init(out);
    cutter c = {.lo = lo, .hi = hi, .out = out};
    int64_t shift = 0;
    cut_block(&c, &dem->top, &shift);
    free(c.buf);
    // Declare the window's last detector and the model's last observable so the window decoder
    // has the window's size and the model's observable count.
    uint64_t last_det = hi - lo - 1;
    qp_dem_block_append(&out->top, QP_DEM_DETECTOR, NULL, 0, &last_det, 1);
    if (dem->num_observables) {
        uint64_t last_obs = QP_DEM_OBS | (dem->num_observables - 1);
        qp_dem_block_append(&out->top, QP_DEM_LOGICAL_OBSERVABLE, NULL, 0, &last_obs, 1);
    }
    return qp_dem_finalize(out, err);
}

// ---------------------------------------------------------------------------------------
// The windowed decoder

struct qp_window {
    qp_window_layout layout;
    uint32_t num_observables;
    // decoder_of[j] indexes decoders[]; interior windows share one.
    uint32_t *decoder_of;        // (num_windows)
    qp_decoder **decoders;       // (num_decoders)
    uint32_t num_decoders;
    // Per-shot scratch.
    uint8_t *events;             // (ceil(num_detectors/8)) the shot's events with the carry applied
    uint8_t *window_rec;         // (ceil(largest window/8)) one window's b8 record
    uint8_t pred[8];
};

// True when window j's model is a translate of every other such window: the repeat passes
// whose errors reach it all exist, and no error outside the repeat reaches it.
static int is_interior(const qp_window_layout *l, const main_repeat *m, uint64_t j) {
    if (l->num_windows == 1 || j == 0 || j + 1 == l->num_windows) return 0;
    uint64_t lo, hi, ce;
    qp_window_range(l, j, &lo, &hi, &ce);
    int64_t k = (int64_t)l->step, base = (int64_t)l->head;
    int64_t first = ceil_div((int64_t)lo - base - m->body.hi, k);
    int64_t last = floor_div((int64_t)hi - 1 - base - m->body.lo, k);
    return first >= 0 && last < (int64_t)l->iterations && m->head_hi < (int64_t)lo && m->tail_lo >= (int64_t)hi;
}

qp_window *qp_window_create(const char *kind, const qp_dem *dem, const qp_window_options *opt,
                            qp_err *err) {
    main_repeat m;
    find_main_repeat(dem, &m);
    qp_window_layout l;
    if (layout_with(dem, &m, opt, &l, err)) return NULL;
    if (dem->num_observables > 64)
        return qp_fail(err, "%u observables: at most 64 are supported", dem->num_observables), NULL;
    qp_window *w = qp_calloc(1, sizeof *w);
    w->layout = l;
    w->num_observables = dem->num_observables;
    w->decoder_of = qp_malloc(l.num_windows * sizeof *w->decoder_of);
    long shared = -1;
    uint64_t widest = 1;
    for (uint64_t j = 0; j < l.num_windows; j++) {
        int interior = is_interior(&l, &m, j);
        if (interior && shared >= 0) {
            w->decoder_of[j] = (uint32_t)shared;
            continue;
        }
        uint64_t lo, hi, ce;
        qp_window_range(&l, j, &lo, &hi, &ce);
        if (hi - lo > widest) widest = hi - lo;
        qp_dem wd;
        qp_decoder *dec = NULL;
        if (window_model(dem, lo, hi, &wd, err) == 0) dec = qp_decoder_create(kind, &wd, err);
        qp_dem_free(&wd);
        if (dec && qp_decoder_graph(dec)->has_base_flip) {
            qp_decoder_free(dec);
            dec = NULL;
            qp_fail(err, "an error has probability above 0.5: windowed decoding does not support that");
        }
        if (!dec) {
            qp_fail_prefix(err, "window %llu (detectors %llu..%llu)", (unsigned long long)j,
                           (unsigned long long)lo, (unsigned long long)hi - 1);
            w->layout.num_windows = j;
            qp_window_free(w);
            return NULL;
        }
        w->decoders = qp_realloc(w->decoders, (w->num_decoders + 1) * sizeof *w->decoders);
        w->decoders[w->num_decoders] = dec;
        w->decoder_of[j] = w->num_decoders++;
        if (interior) shared = (long)w->decoder_of[j];
    }
    w->events = qp_malloc((l.num_detectors + 7) / 8 + 1);
    w->window_rec = qp_malloc((widest + 7) / 8 + 1);
    return w;
}

void qp_window_free(qp_window *w) {
    if (!w) return;
    for (uint32_t i = 0; i < w->num_decoders; i++) qp_decoder_free(w->decoders[i]);
    free(w->decoders);
    free(w->decoder_of);
    free(w->events);
    free(w->window_rec);
    free(w);
}

const qp_window_layout *qp_window_get_layout(const qp_window *w) { return &w->layout; }
uint32_t qp_window_num_observables(const qp_window *w) { return w->num_observables; }

static int bit(const uint8_t *b, uint64_t i) { return (b[i >> 3] >> (i & 7)) & 1; }

// The observable mask and integer weight of edge {a, b} of g (b may be the boundary).
static void edge_of(const qp_matching_graph *g, uint32_t a, uint32_t b, uint64_t *obs, int64_t *wt) {
    if (b == QP_MG_BOUNDARY) {
        *obs = g->boundary_obs[a];
        *wt = g->boundary_weight[a];
        return;
    }
    for (uint32_t e = g->adj_start[a]; e < g->adj_start[a + 1]; e++)
        if (g->adj_node[e] == b) {
            *obs = g->adj_obs[e];
            *wt = g->adj_weight[e];
            return;
        }
    *obs = 0, *wt = 0;  // not an edge: decoders only report graph edges
}

int qp_window_decode_b8(qp_window *w, const uint8_t *dets, uint64_t *obs_out, double *weight_out,
                        qp_err *err) {
    const qp_window_layout *l = &w->layout;
    memcpy(w->events, dets, (l->num_detectors + 7) / 8);
    uint64_t obs = 0;
    double weight = 0;
    for (uint64_t j = 0; j < l->num_windows; j++) {
        uint64_t lo, hi, ce;
        qp_window_range(l, j, &lo, &hi, &ce);
        uint64_t n = hi - lo;
        memset(w->window_rec, 0, (n + 7) / 8);
        for (uint64_t i = 0; i < n; i++)
            if (bit(w->events, lo + i)) w->window_rec[i >> 3] |= (uint8_t)(1u << (i & 7));
        qp_decoder *dec = w->decoders[w->decoder_of[j]];
        if (qp_decoder_decode_batch(dec, w->window_rec, 1, (n + 7) / 8, w->pred, NULL, err))
            return qp_fail_prefix(err, "window %llu (detectors %llu..%llu)", (unsigned long long)j,
                                  (unsigned long long)lo, (unsigned long long)hi - 1);
        // 3. Commit the edges that start before the commit line; carry their far ends.
        const qp_matching_graph *g = qp_decoder_graph(dec);
        const uint32_t *edges;
        size_t ne = qp_decoder_last_correction(dec, &edges);
        for (size_t e = 0; e < ne; e++) {
            uint32_t a = edges[2 * e], b = edges[2 * e + 1];
            uint32_t low = b == QP_MG_BOUNDARY || a < b ? a : b;
            if (lo + low >= ce) continue;
            uint64_t eo;
            int64_t ew;
            edge_of(g, a, b, &eo, &ew);
            obs ^= eo;
            weight += (double)ew / g->scale;
            uint32_t ends[2] = {a, b};
            for (int t = 0; t < 2; t++)
                if (ends[t] != QP_MG_BOUNDARY && lo + ends[t] >= ce) {
                    uint64_t d = lo + ends[t];
                    w->events[d >> 3] ^= (uint8_t)(1u << (d & 7));
                }
        }
    }
    *obs_out = obs;
    if (weight_out) *weight_out = weight;
    return 0;
}

// ---------------------------------------------------------------------------------------
// Behind the decoder interface

static int window_decode_batch(void *self, const uint8_t *dets_b8, size_t num_shots, size_t bytes_per_shot,
                               uint8_t *obs_pred_b8_out, void *extra_out, qp_err *err) {
    qp_window *w = self;
    size_t want = (size_t)((w->layout.num_detectors + 7) / 8), obs_bytes = (w->num_observables + 7) / 8;
    if (bytes_per_shot != want)
        return qp_fail(err, "detector records have %zu bytes per shot but the model has %llu detectors (%zu bytes per shot)",
                       bytes_per_shot, (unsigned long long)w->layout.num_detectors, want);
    double *weights = extra_out;
    for (size_t s = 0; s < num_shots; s++) {
        uint64_t obs;
        if (qp_window_decode_b8(w, dets_b8 + s * bytes_per_shot, &obs, weights ? &weights[s] : NULL, err))
            return qp_fail_prefix(err, "shot %zu", s);
        for (size_t b = 0; b < obs_bytes; b++) obs_pred_b8_out[s * obs_bytes + b] = (uint8_t)(obs >> (8 * b));
    }
    return 0;
}

static void window_free_self(void *self) { qp_window_free(self); }

static const qp_decoder_ops window_ops = {window_decode_batch, window_free_self};

qp_decoder *qp_decoder_create_windowed(const char *kind, const qp_dem *dem, const qp_window_options *opt,
                                       qp_err *err) {
    int id = qp_decoder_from_name(kind);
    if (id < 0 || !qp_decoder_kind_of((qp_decoder_id)id)->from_dem)
        return qp_fail(err, "decoder '%s' cannot decode in windows (a matching decoder can)", kind), NULL;
    qp_window *w = qp_window_create(kind, dem, opt, err);
    if (!w) return NULL;
    return qp_decoder_wrap((qp_decoder_id)id, w, &window_ops, w->layout.num_detectors, w->num_observables);
}

const qp_window_layout *qp_decoder_window_layout(const qp_decoder *dec) {
    const qp_window *w = qp_decoder_self(dec, &window_ops);
    return w ? &w->layout : NULL;
}
