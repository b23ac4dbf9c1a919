// A shot's windows decoded as its detectors arrive (see window_stream.h). The events a window
// still needs live in a ring (carries flip them there); each seam's events are also copied into
// a stash as they arrive, because a seam is decoded after the next segment, when the ring has
// moved on. Seam flips from committed segment edges are XORed into the stash. The plan is
// walked with cursors (window_internal.h), never stored.
#include "workers/decode/window_stream.h"

#include <stdlib.h>
#include <string.h>

#include "workers/decode/window_internal.h"
#include "workers/util/alloc.h"

typedef struct {
    qp_window_span span;  // the seam
    uint8_t *bits;        // its events (bit d - lo), original ones plus flips
    int used;
} seam_stash;

struct qp_window_stream {
    qp_window *w;
    uint8_t *ring;              // detector d at bit d & mask
    uint64_t ring_bits, mask;
    uint64_t received;          // detectors pushed so far
    qp_window_cursor at;        // the plan after `cur`
    qp_window_span cur;         // the next span to decode (valid when has_cur)
    int has_cur;
    qp_window_cursor arrive;    // the plan after `arr`: where to look for seams whose events arrive
    qp_window_span arr;
    int has_arr;
    qp_window_span *pending;    // seams waiting for their second segment (FIFO)
    size_t num_pending, cap_pending;
    seam_stash *stash;
    size_t num_stash;
    uint64_t seam_bytes;        // bytes of a stash slot (the widest seam)
    uint64_t seg_obs, seam_obs;
    double seg_weight, seam_weight;
};

static int bit_at(const uint8_t *b, uint64_t i) { return (b[i >> 3] >> (i & 7)) & 1; }
static void set_bit(uint8_t *b, uint64_t i, int v) {
    b[i >> 3] = (uint8_t)((b[i >> 3] & ~(1u << (i & 7))) | ((unsigned)v << (i & 7)));
}

qp_window_stream *qp_window_stream_create(qp_window *w) {
    qp_window_stream *s = qp_calloc(1, sizeof *s);
    s->w = w;
    s->ring_bits = 64;
    while (s->ring_bits < 2 * qp_window_widest(w)) s->ring_bits *= 2;
    s->mask = s->ring_bits - 1;
    s->ring = qp_calloc(s->ring_bits / 8, 1);
    // Seams are B iterations (or fewer): at most the widest window.
    s->seam_bytes = (qp_window_widest(w) + 7) / 8;
    qp_window_stream_reset(s);
    return s;
}

void qp_window_stream_free(qp_window_stream *s) {
    if (!s) return;
    for (size_t i = 0; i < s->num_stash; i++) free(s->stash[i].bits);
    free(s->stash);
    free(s->pending);
    free(s->ring);
    free(s);
}

void qp_window_stream_reset(qp_window_stream *s) {
    s->received = 0;
    memset(&s->at, 0, sizeof s->at);
    memset(&s->arrive, 0, sizeof s->arrive);
    s->has_cur = qp_window_cursor_next(s->w, &s->at, &s->cur);
    s->has_arr = qp_window_cursor_next(s->w, &s->arrive, &s->arr);
    s->num_pending = 0;
    for (size_t i = 0; i < s->num_stash; i++) s->stash[i].used = 0;
    s->seg_obs = s->seam_obs = 0;
    s->seg_weight = s->seam_weight = 0;
}

size_t qp_window_stream_bytes(const qp_window_stream *s) {
    return (size_t)(s->ring_bits / 8 + s->num_stash * s->seam_bytes + s->cap_pending * sizeof *s->pending);
}

static int same_span(const qp_window_span *a, const qp_window_span *b) {
    return a->lo == b->lo && a->hi == b->hi && a->kind == b->kind;
}

static seam_stash *stash_of(qp_window_stream *s, const qp_window_span *seam) {
    for (size_t i = 0; i < s->num_stash; i++)
        if (s->stash[i].used && same_span(&s->stash[i].span, seam)) return &s->stash[i];
    return NULL;
}

// The stash slot holding detector d (a seam's), or NULL.
static seam_stash *stash_holding(qp_window_stream *s, uint64_t d) {
    for (size_t i = 0; i < s->num_stash; i++)
        if (s->stash[i].used && d >= s->stash[i].span.lo && d < s->stash[i].span.hi) return &s->stash[i];
    return NULL;
}

static void stash_open(qp_window_stream *s, const qp_window_span *seam) {
    for (size_t i = 0; i < s->num_stash; i++)
        if (!s->stash[i].used) {
            s->stash[i].used = 1, s->stash[i].span = *seam;
            return;
        }
    // At most a few seams wait at once (the ring spans a bounded number of segments).
    s->stash = qp_realloc(s->stash, (s->num_stash + 1) * sizeof *s->stash);
    s->stash[s->num_stash++] = (seam_stash){*seam, qp_calloc(s->seam_bytes + 1, 1), 1};
}

// Decodes the pending seams whose second segment is below `segment` (all of them: UINT64_MAX).
static int decode_seams_before(qp_window_stream *s, uint64_t segment, qp_err *err) {
    size_t done = 0;
    while (done < s->num_pending && (uint64_t)s->pending[done].segment + 1 < segment) {
        const qp_window_span *sp = &s->pending[done++];
        seam_stash *st = stash_of(s, sp);
        if (!st) return qp_fail(err, "internal: the events of seam %llu..%llu are missing", (unsigned long long)sp->lo,
                                (unsigned long long)sp->hi - 1);
        qp_window_events ev = {st->bits, sp->lo, UINT64_MAX};
        qp_window_clear_flips(s->w);
        if (qp_window_decode_span(s->w, sp, &ev, &s->seam_obs, &s->seam_weight, err)) return -1;
        st->used = 0;
    }
    if (done == 0) return 0;  // also: pending may still be NULL (memmove's arguments must not be)
    memmove(s->pending, s->pending + done, (s->num_pending - done) * sizeof *s->pending);
    s->num_pending -= done;
    return 0;
}

// Decodes every span whose detectors have all arrived.
static int advance(qp_window_stream *s, qp_err *err) {
    qp_window *w = s->w;
    for (; s->has_cur; s->has_cur = qp_window_cursor_next(w, &s->at, &s->cur)) {
        const qp_window_span *sp = &s->cur;
        if (sp->kind == QP_WINDOW_SEAM) {  // segment sp->segment is done: the seam before it can go
            if (decode_seams_before(s, (uint64_t)sp->segment + 1, err)) return -1;
            qp_grow(s->pending, s->cap_pending, s->num_pending + 1);
            s->pending[s->num_pending++] = *sp;
            continue;
        }
        if (sp->hi > s->received) return 0;
        if (decode_seams_before(s, sp->segment, err)) return -1;
        qp_window_events ev = {s->ring, 0, s->mask};
        qp_window_clear_flips(w);
        if (qp_window_decode_span(w, sp, &ev, &s->seg_obs, &s->seg_weight, err)) return -1;
        const uint64_t *flips;
        size_t nf = qp_window_flips(w, &flips);
        for (size_t i = 0; i < nf; i++) {
            seam_stash *st = stash_holding(s, flips[i]);
            if (!st) return qp_fail(err, "internal: seam flip of detector %llu outside every waiting seam",
                                    (unsigned long long)flips[i]);
            uint64_t k = flips[i] - st->span.lo;
            st->bits[k >> 3] ^= (uint8_t)(1u << (k & 7));
        }
    }
    return decode_seams_before(s, UINT64_MAX, err);
}

// The lowest detector the ring must still hold: the next segment window's lo (after a seam, the
// next segment's entry window starts at that seam's lo).
static uint64_t needed_from(const qp_window_stream *s) {
    if (!s->has_cur) return s->received;
    return s->cur.lo;
}

// Copies detectors [d0, d0 + n) (bits from src_bit of src) into the ring and the seams' stashes.
static void store(qp_window_stream *s, const uint8_t *src, uint64_t src_bit, uint64_t d0, uint64_t n) {
    // Seams whose first detector arrives now get a stash.
    for (; s->has_arr && s->arr.lo < d0 + n; s->has_arr = qp_window_cursor_next(s->w, &s->arrive, &s->arr))
        if (s->arr.kind == QP_WINDOW_SEAM && s->arr.hi > s->arr.lo) stash_open(s, &s->arr);
    for (uint64_t i = 0; i < n; i++) set_bit(s->ring, (d0 + i) & s->mask, bit_at(src, src_bit + i));
    for (size_t k = 0; k < s->num_stash; k++) {
        if (!s->stash[k].used) continue;
        const qp_window_span *sp = &s->stash[k].span;
        uint64_t a = sp->lo > d0 ? sp->lo : d0, b = sp->hi < d0 + n ? sp->hi : d0 + n;
        for (uint64_t d = a; d < b; d++) set_bit(s->stash[k].bits, d - sp->lo, bit_at(src, src_bit + (d - d0)));
    }
}

int qp_window_stream_push(qp_window_stream *s, const uint8_t *bits, uint64_t first_bit, uint64_t first_det,
                          uint64_t n, qp_err *err) {
    uint64_t D = qp_window_get_layout(s->w)->num_detectors;
    if (first_det != s->received)
        return qp_fail(err, "detectors %llu.. arrived but %llu.. were expected", (unsigned long long)first_det,
                       (unsigned long long)s->received);
    if (n > D - first_det)
        return qp_fail(err, "detectors up to %llu arrived but the model has %llu", (unsigned long long)(first_det + n),
                       (unsigned long long)D);
    uint64_t done = 0;
    while (done < n) {
        // Write no further than the ring can hold without overwriting events still needed.
        uint64_t room = needed_from(s) + s->ring_bits - s->received, take = n - done < room ? n - done : room;
        if (take == 0) return qp_fail(err, "internal: the event ring of %llu bits is full", (unsigned long long)s->ring_bits);
        store(s, bits, first_bit + done, s->received, take);
        s->received += take;
        done += take;
        if (advance(s, err)) return -1;
    }
    return 0;
}

int qp_window_stream_finish(qp_window_stream *s, uint64_t *obs_out, double *weight_out, qp_err *err) {
    uint64_t D = qp_window_get_layout(s->w)->num_detectors;
    if (s->received != D)
        return qp_fail(err, "the shot ended after %llu of its %llu detectors", (unsigned long long)s->received,
                       (unsigned long long)D);
    if (advance(s, err)) return -1;  // a model whose last windows need no new detector (D = 0)
    if (s->has_cur || s->num_pending) return qp_fail(err, "internal: windows left undecoded");
    *obs_out = s->seg_obs ^ s->seam_obs;
    if (weight_out) *weight_out = s->seg_weight + s->seam_weight;
    return 0;
}
