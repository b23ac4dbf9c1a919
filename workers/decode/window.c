// Sliding-window decoding on a folded DEM (see window.h): layout from the main repeat block,
// window models cut from the folded DEM without unrolling it, one decoder per distinct window,
// commit and carry per shot.
#include "workers/decode/window.h"

#include <stdlib.h>
#include <string.h>

#include "workers/decode/decoder.h"
#include "workers/decode/matching_graph.h"
#include "workers/decode/window_internal.h"
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
    l->num_segments = 1;
    if (m->index < 0 || m->body.shift <= 0) return 0;  // nothing to slide over: one global window
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
    l->buffer_its = l->window_its - l->commit_its;
    // The plan is walked when the decoder is built and for every shot: its length is bounded.
    if (l->iterations / l->commit_its > QP_WINDOW_MAX_WINDOWS)
        return qp_fail(err, "line %u: %llu repeat iterations committed %llu at a time make more than %d windows "
                            "per shot",
                       rep->line, (unsigned long long)l->iterations, (unsigned long long)l->commit_its,
                       QP_WINDOW_MAX_WINDOWS);
    uint64_t S = opt->segment ? opt->segment : QP_WINDOW_SEGMENT_WINDOWS * W;
    l->segment_its = (S + l->period - 1) / l->period;
    if (l->segment_its < l->window_its) l->segment_its = l->window_its;
    uint64_t P = l->segment_its + l->buffer_its;
    l->num_segments = (l->iterations + l->buffer_its) / P;
    if (l->num_segments == 0) l->num_segments = 1;
    return 0;
}

int qp_window_layout_of(const qp_dem *dem, const qp_window_options *opt, qp_window_layout *out,
                        qp_err *err) {
    main_repeat m;
    find_main_repeat(dem, &m);
    return layout_with(dem, &m, opt, out, err);
}

// The first detector of repeat iteration x (the head belongs to iteration 0, the tail to the
// last one).
static uint64_t det_at(const qp_window_layout *l, int64_t x) {
    if (x <= 0) return 0;
    if ((uint64_t)x >= l->iterations) return l->num_detectors;
    return l->head + (uint64_t)x * l->step;
}

// Segment s's core, in iterations [*a, *e).
static void segment_core(const qp_window_layout *l, uint64_t s, int64_t *a, int64_t *e) {
    uint64_t P = l->segment_its + l->buffer_its;
    *a = (int64_t)(s * P);
    *e = s + 1 == l->num_segments ? (int64_t)l->iterations : (int64_t)(s * P + l->segment_its);
}

// The span after the cursor, in plan order (see window.h): segment s's windows, then the seam
// after it. Returns 0 when the plan is exhausted. The span's decoder is not set.
static int plan_step(const qp_window_layout *l, qp_window_cursor *c, qp_window_span *sp) {
    if (c->done) return 0;
    if (l->iterations == 0) {  // one global window
        uint64_t D = l->num_detectors;
        *sp = (qp_window_span){.hi = D, .commit_end = D, .core_hi = D, .kind = QP_WINDOW_SLIDE};
        c->done = 1;
        return 1;
    }
    int64_t W = (int64_t)l->window_its, C = (int64_t)l->commit_its, buf = (int64_t)l->buffer_its;
    int64_t N = (int64_t)l->iterations, a, e;
    segment_core(l, c->segment, &a, &e);
    if (c->seam) {  // the seam to the next segment's core
        uint64_t lo = det_at(l, e), hi = det_at(l, e + buf);
        *sp = (qp_window_span){.lo = lo, .hi = hi, .commit_end = hi, .keep_from = lo, .core_hi = hi,
                               .segment = (uint32_t)c->segment, .kind = QP_WINDOW_SEAM};
        c->seam = 0, c->started = 0, c->segment++;
        return 1;
    }
    if (!c->started) c->start = a, c->started = 1;
    int64_t start = c->start, right = e < N ? buf : 0;
    int entry = start == a && a > 0;
    int last = start + W >= e + right;
    *sp = (qp_window_span){
        .lo = det_at(l, entry ? a - buf : start),
        .hi = det_at(l, last ? e + right : start + W),
        .commit_end = det_at(l, last ? e : start + C),
        .keep_from = det_at(l, entry ? a : start),
        .core_hi = det_at(l, e),
        .segment = (uint32_t)c->segment,
        .kind = entry ? QP_WINDOW_ENTRY : QP_WINDOW_SLIDE,
    };
    if (!last) c->start += C;
    else if (c->segment + 1 < l->num_segments) c->seam = 1;
    else c->done = 1;
    return 1;
}

// ---------------------------------------------------------------------------------------
// Window models: the folded DEM cut to [lo, hi), ids relative to lo.

typedef struct {
    uint64_t lo, hi;
    int open_below;    // detectors below lo leave the component (an open past) instead of dropping it
    int closed_above;  // a detector at or above hi drops the component (a committed future)
    qp_dem_block *into;  // where cut errors go: the window model's top, or a repeat body in it
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
            if (d < (int64_t)c->lo) past |= !c->open_below;
            else if (d < (int64_t)c->hi) c->buf[n++] = (uint64_t)d - c->lo, inside = 1;
            else past |= c->closed_above;
            // d >= hi (or below lo, open): dropped; the component ends at the window's boundary
        }
    }
    if (!any_inside) return;
    n--;  // trailing separator
    qp_dem_instr *e = qp_dem_block_append(c->into, QP_DEM_ERROR, in->args, in->num_args, c->buf, (uint32_t)n);
    e->line = in->line;
}

// A repeat whose passes do not shift: every pass puts the same errors into the window, so the
// window model gets the body's cut once inside a repeat of the same count (bounded, as any
// model, by qp_dem_finalize) instead of count copies.
static void cut_block(cutter *c, const qp_dem_block *b, int64_t *shift);
static void cut_in_place(cutter *c, const qp_dem_instr *in, int64_t shift) {
    qp_dem_block *outer = c->into;
    qp_dem_instr *rep = qp_dem_block_append(outer, QP_DEM_REPEAT, NULL, 0, NULL, 0);
    rep->repeat_count = in->repeat_count;
    rep->line = in->line;
    c->into = rep->body;
    cut_block(c, in->body, &shift);
    c->into = outer;
    if (rep->body->num_instrs == 0) {  // nothing of the body reaches the window
        free(rep->body->instrs);
        free(rep->body);
        outer->num_instrs--;
    }
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
            } else if (*shift + t.hi < (int64_t)c->lo || *shift + t.lo >= (int64_t)c->hi) {
                last = -1;  // passes in place that never reach [lo, hi)
            } else if (n > 1) {
                cut_in_place(c, in, *shift);
                last = -1;
            }
            for (int64_t r = first; r <= last; r++) {
                int64_t s = *shift + r * t.shift;
                cut_block(c, in->body, &s);
            }
            *shift += n * t.shift;
        }
    }
}

static int window_model(const qp_dem *dem, const qp_window_span *sp, qp_dem *out, qp_err *err) {
    uint64_t lo = sp->lo, hi = sp->hi;
    qp_dem_init(out);
    cutter c = {.lo = lo, .hi = hi, .open_below = sp->kind == QP_WINDOW_ENTRY,
                .closed_above = sp->kind == QP_WINDOW_SEAM, .into = &out->top};
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

// What a window decoder was built for: interior windows by (kind, size), others also by lo.
typedef struct {
    int interior;
    qp_window_kind kind;
    uint64_t lo, size;
} qp_window_key;

struct qp_window {
    qp_window_layout layout;
    main_repeat repeat;
    uint32_t num_observables;
    size_t num_spans;            // windows of a shot (the plan is walked, not stored)
    qp_window_span *plan;        // the plan, only once qp_window_plan asked for it
    qp_decoder **decoders;       // (num_decoders) one per distinct window
    qp_window_key *keys;         // (num_decoders) what each was built for
    uint32_t num_decoders;
    uint64_t widest;             // detectors of the widest span
    // Per-shot scratch.
    uint8_t *events;             // (ceil(num_detectors/8)) the whole-record paths' events with the
                                 // carries applied; allocated on first use
    uint8_t *window_rec;         // (ceil(widest/8)) one window's b8 record
    uint64_t *flips;             // (num_flips) seam detectors flipped by committed segment edges
    size_t num_flips, cap_flips;
    uint8_t pred[8];
};

uint64_t qp_window_widest(const qp_window *w) { return w->widest; }
size_t qp_window_flips(const qp_window *w, const uint64_t **flips) {
    *flips = w->flips;
    return w->num_flips;
}
void qp_window_clear_flips(qp_window *w) { w->num_flips = 0; }

// True when the span's model is a translate of every other interior span of the same kind and
// size: the repeat passes whose errors reach [lo, hi) all exist, and no error outside the
// repeat reaches it.
static int is_interior(const qp_window_layout *l, const main_repeat *m, const qp_window_span *sp) {
    if (l->iterations == 0 || sp->lo < l->head || sp->hi >= l->num_detectors) return 0;
    int64_t k = (int64_t)l->step, base = (int64_t)l->head;
    int64_t first = ceil_div((int64_t)sp->lo - base - m->body.hi, k);
    int64_t last = floor_div((int64_t)sp->hi - 1 - base - m->body.lo, k);
    return first >= 0 && last < (int64_t)l->iterations && m->head_hi < (int64_t)sp->lo &&
           m->tail_lo >= (int64_t)sp->hi;
}

// The decoder of a span: interior spans by (kind, size), the others by (kind, lo, size).
// UINT32_MAX: none yet.
static uint32_t find_decoder(const qp_window *w, const qp_window_span *sp) {
    int interior = is_interior(&w->layout, &w->repeat, sp);
    for (uint32_t i = 0; i < w->num_decoders; i++) {
        const qp_window_key *k = &w->keys[i];
        if (k->interior == interior && k->kind == sp->kind && k->size == sp->hi - sp->lo &&
            (interior || k->lo == sp->lo))
            return i;
    }
    return UINT32_MAX;
}

int qp_window_cursor_next(const qp_window *w, qp_window_cursor *c, qp_window_span *sp) {
    if (!plan_step(&w->layout, c, sp)) return 0;
    sp->decoder = find_decoder(w, sp);
    return 1;
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
    w->repeat = m;
    // One decoder per distinct window: interior windows of one kind and size share one.
    uint64_t widest = 1;
    qp_window_cursor c = {0};
    qp_window_span sp;
    while (plan_step(&l, &c, &sp)) {
        w->num_spans++;
        if (find_decoder(w, &sp) != UINT32_MAX) continue;
        if (sp.hi - sp.lo > widest) widest = sp.hi - sp.lo;
        qp_dem wd;
        qp_decoder *dec = NULL;
        if (window_model(dem, &sp, &wd, err) == 0) dec = qp_decoder_create(kind, &wd, err);
        qp_dem_free(&wd);
        if (dec && qp_decoder_graph(dec)->has_base_flip) {
            qp_decoder_free(dec);
            dec = NULL;
            qp_fail(err, "an error has probability above 0.5: windowed decoding does not support that");
        }
        if (!dec) {
            qp_fail_prefix(err, "window of detectors %llu..%llu", (unsigned long long)sp.lo,
                           (unsigned long long)sp.hi - 1);
            qp_window_free(w);
            return NULL;
        }
        w->decoders = qp_realloc(w->decoders, (w->num_decoders + 1) * sizeof *w->decoders);
        w->decoders[w->num_decoders] = dec;
        w->keys = qp_realloc(w->keys, (w->num_decoders + 1) * sizeof *w->keys);
        w->keys[w->num_decoders++] = (qp_window_key){.interior = is_interior(&l, &m, &sp), .kind = sp.kind,
                                                     .lo = sp.lo, .size = sp.hi - sp.lo};
    }
    w->widest = widest;
    w->window_rec = qp_malloc((widest + 7) / 8 + 1);
    return w;
}

void qp_window_free(qp_window *w) {
    if (!w) return;
    for (uint32_t i = 0; i < w->num_decoders; i++) qp_decoder_free(w->decoders[i]);
    free(w->decoders);
    free(w->keys);
    free(w->plan);
    free(w->events);
    free(w->window_rec);
    free(w->flips);
    free(w);
}

const qp_window_layout *qp_window_get_layout(const qp_window *w) { return &w->layout; }
size_t qp_window_plan(const qp_window *w, const qp_window_span **spans) {
    if (!w->plan) {  // materialised on request only (tests, tools): it grows with the rounds
        qp_window *mw = (qp_window *)w;
        mw->plan = qp_malloc((w->num_spans + 1) * sizeof *w->plan);
        qp_window_cursor c = {0};
        for (size_t j = 0; qp_window_cursor_next(w, &c, &mw->plan[j]); j++) {}
    }
    *spans = w->plan;
    return w->num_spans;
}

static int bit(const uint8_t *b, uint64_t i) { return (b[i >> 3] >> (i & 7)) & 1; }
static void flip(uint8_t *b, uint64_t i) { b[i >> 3] ^= (uint8_t)(1u << (i & 7)); }
static uint64_t view_pos(const qp_window_events *v, uint64_t d) { return (d - v->base) & v->mask; }

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

int qp_window_decode_span(qp_window *w, const qp_window_span *sp, const qp_window_events *ev, uint64_t *obs,
                          double *weight, qp_err *err) {
    uint64_t lo = sp->lo, n = sp->hi - sp->lo;
    memset(w->window_rec, 0, (n + 7) / 8);
    for (uint64_t i = 0; i < n; i++)
        if (bit(ev->bits, view_pos(ev, lo + i))) w->window_rec[i >> 3] |= (uint8_t)(1u << (i & 7));
    qp_decoder *dec = w->decoders[sp->decoder];
    if (qp_decoder_decode_batch(dec, w->window_rec, 1, (n + 7) / 8, w->pred, NULL, err))
        return qp_fail_prefix(err, "window of detectors %llu..%llu", (unsigned long long)lo,
                              (unsigned long long)sp->hi - 1);
    const qp_matching_graph *g = qp_decoder_graph(dec);
    const uint32_t *edges;
    size_t ne = qp_decoder_last_correction(dec, &edges);
    for (size_t e = 0; e < ne; e++) {
        uint64_t ends[2] = {lo + edges[2 * e], edges[2 * e + 1] == QP_MG_BOUNDARY ? UINT64_MAX : lo + edges[2 * e + 1]};
        uint64_t low = ends[0] < ends[1] ? ends[0] : ends[1];
        uint64_t high = ends[1] == UINT64_MAX ? ends[0] : (ends[0] > ends[1] ? ends[0] : ends[1]);
        // Commit edges that start before the commit line and reach the kept region.
        if (low >= sp->commit_end || high < sp->keep_from) continue;
        uint64_t eo;
        int64_t ew;
        edge_of(g, edges[2 * e], edges[2 * e + 1], &eo, &ew);
        *obs ^= eo;
        *weight += (double)ew / g->scale;
        for (int t = 0; t < 2; t++) {
            uint64_t d = ends[t];
            if (d == UINT64_MAX || (d >= sp->keep_from && d < sp->commit_end)) continue;
            if (d < sp->keep_from || d >= sp->core_hi) {  // into a seam: decoded after the segments
                qp_grow(w->flips, w->cap_flips, w->num_flips + 1);
                w->flips[w->num_flips++] = d;
            } else {  // carried into the segment's next window
                flip(ev->bits, view_pos(ev, d));
            }
        }
    }
    return 0;
}

// The whole-record paths' event buffer, allocated on first use (the streamed path never needs it).
static void need_events(qp_window *w) {
    if (!w->events) w->events = qp_malloc((w->layout.num_detectors + 7) / 8 + 1);
}

int qp_window_decode_segments(qp_window *w, const uint8_t *dets, uint64_t first, uint64_t stride,
                              uint64_t *obs_out, double *weight_out, const uint64_t **flips,
                              size_t *num_flips, qp_err *err) {
    need_events(w);
    memcpy(w->events, dets, (w->layout.num_detectors + 7) / 8);
    w->num_flips = 0;
    uint64_t obs = 0;
    double weight = 0;
    qp_window_events ev = {w->events, 0, UINT64_MAX};
    qp_window_cursor c = {0};
    qp_window_span span;
    const qp_window_span *sp = &span;
    while (qp_window_cursor_next(w, &c, &span)) {
        if (sp->kind == QP_WINDOW_SEAM || sp->segment < first || (sp->segment - first) % stride) continue;
        if (qp_window_decode_span(w, sp, &ev, &obs, &weight, err)) return -1;
    }
    *obs_out = obs;
    if (weight_out) *weight_out = weight;
    *flips = w->flips;
    *num_flips = w->num_flips;
    return 0;
}

// Decodes every seam on w->events (the segments' carries and seam flips applied).
static int decode_seams(qp_window *w, uint64_t *obs_out, double *weight_out, qp_err *err) {
    uint64_t obs = 0;
    double weight = 0;
    qp_window_events ev = {w->events, 0, UINT64_MAX};
    qp_window_cursor c = {0};
    qp_window_span sp;
    while (qp_window_cursor_next(w, &c, &sp))
        if (sp.kind == QP_WINDOW_SEAM && qp_window_decode_span(w, &sp, &ev, &obs, &weight, err)) return -1;
    *obs_out = obs;
    if (weight_out) *weight_out = weight;
    return 0;
}

int qp_window_decode_seams(qp_window *w, const uint8_t *dets, const uint64_t *flips, size_t num_flips,
                           uint64_t *obs_out, double *weight_out, qp_err *err) {
    need_events(w);
    memcpy(w->events, dets, (w->layout.num_detectors + 7) / 8);
    for (size_t i = 0; i < num_flips; i++) flip(w->events, flips[i]);
    return decode_seams(w, obs_out, weight_out, err);
}

int qp_window_decode_b8(qp_window *w, const uint8_t *dets, uint64_t *obs_out, double *weight_out,
                        qp_err *err) {
    uint64_t obs_a, obs_b;
    double w_a, w_b;
    const uint64_t *flips;
    size_t nf;
    if (qp_window_decode_segments(w, dets, 0, 1, &obs_a, &w_a, &flips, &nf, err)) return -1;
    // Segments never write into seams, so the seams see the original events plus the flips.
    for (size_t i = 0; i < nf; i++) flip(w->events, flips[i]);
    if (decode_seams(w, &obs_b, &w_b, err)) return -1;
    *obs_out = obs_a ^ obs_b;
    if (weight_out) *weight_out = w_a + w_b;
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

static const qp_decoder_ops window_ops = {window_decode_batch, window_free_self, NULL};

qp_decoder *qp_decoder_create_windowed(const char *kind, const qp_dem *dem, const qp_window_options *opt,
                                       qp_err *err) {
    int id = qp_decoder_from_name(kind);
    if (id < 0 || !qp_decoder_kind_of((qp_decoder_id)id)->from_dem)
        return qp_fail(err, "decoder '%s' cannot decode in windows (a matching decoder can)", kind), NULL;
    qp_window *w = qp_window_create(kind, dem, opt, err);
    if (!w) return NULL;
    return qp_decoder_wrap((qp_decoder_id)id, w, &window_ops, w->layout.num_detectors, w->num_observables);
}

qp_window *qp_decoder_window(const qp_decoder *dec) { return qp_decoder_self(dec, &window_ops); }
