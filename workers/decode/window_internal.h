// What window.c shares with window_stream.c (not a public interface): the windowed decoder's
// state and the decoding of one span of its plan on an event buffer that may be a ring.
#ifndef QP_DECODE_WINDOW_INTERNAL_H
#define QP_DECODE_WINDOW_INTERNAL_H

#include "workers/decode/window.h"

struct qp_window {
    qp_window_layout layout;
    uint32_t num_observables;
    qp_window_span *plan;        // (num_spans) every window of a shot, in order
    size_t num_spans;
    qp_decoder **decoders;       // (num_decoders) interior windows of one kind and size share one
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

// Where detector d's event is: bit (d - base) & mask of bits (a whole record: base 0,
// mask all ones; a ring of 2^k bits: mask 2^k - 1).
typedef struct {
    uint8_t *bits;
    uint64_t base, mask;
} qp_window_events;

// Decodes span sp on the events ev: XORs its committed edges' observables into *obs, adds their
// weight to *weight, flips the carried detectors in ev and appends the seam detectors those
// edges reach to w->flips.
int qp_window_decode_span(qp_window *w, const qp_window_span *sp, const qp_window_events *ev, uint64_t *obs,
                          double *weight, qp_err *err);

#endif
