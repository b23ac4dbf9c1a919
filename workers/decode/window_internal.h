// What window.c shares with window_stream.c (not a public interface): walking the plan one span
// at a time and decoding one span on an event buffer that may be a ring.
#ifndef QP_DECODE_WINDOW_INTERNAL_H
#define QP_DECODE_WINDOW_INTERNAL_H

#include "workers/decode/window.h"

// A position in the plan (window.h): spans are produced one at a time, so no plan of a long
// experiment is ever held. Start from {0}.
typedef struct {
    uint64_t segment;  // the segment whose windows (or the seam after it) come next
    int64_t start;     // with started: the next window's first iteration
    int started, seam, done;
} qp_window_cursor;

// The next span of w's plan, its decoder set, into *sp; 0 when the plan is exhausted.
int qp_window_cursor_next(const qp_window *w, qp_window_cursor *c, qp_window_span *sp);

// Detectors of w's widest span.
uint64_t qp_window_widest(const qp_window *w);

// The seam detectors committed edges have flipped since the last qp_window_clear_flips
// (qp_window_decode_span appends to them; a detector may appear twice: flips XOR).
size_t qp_window_flips(const qp_window *w, const uint64_t **flips);
void qp_window_clear_flips(qp_window *w);

// Where detector d's event is: bit (d - base) & mask of bits (a whole record: base 0,
// mask all ones; a ring of 2^k bits: mask 2^k - 1).
typedef struct {
    uint8_t *bits;
    uint64_t base, mask;
} qp_window_events;

// Decodes span sp on the events ev: XORs its committed edges' observables into *obs, adds their
// weight to *weight, flips the carried detectors in ev and appends the seam detectors those
// edges reach to the flips (qp_window_flips).
int qp_window_decode_span(qp_window *w, const qp_window_span *sp, const qp_window_events *ev, uint64_t *obs,
                          double *weight, qp_err *err);

#endif
