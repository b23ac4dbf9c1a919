// Windowed decoding of one shot as its detection events arrive (the consumer side of streamed
// sampling): detectors are pushed in order, in pieces of any size; every window of the plan
// (window.h) is decoded as soon as its last detector has arrived, each seam once both of its
// segments are done. Memory per stream is a ring of the events still needed (at least twice the
// widest window) plus the seams waiting for their second segment: it follows W and the segment
// layout, never the number of rounds.
//
// What it promises: the prediction and weight equal qp_window_decode_b8's on the whole record,
// bit for bit (same windows, same order: segments' windows in plan order, seams in plan order,
// the two weight sums added last), whatever the sizes of the pieces.
// One qp_window serves any number of streams (e.g. one per shot of a sampled batch), one call at
// a time: the window's decoders and scratch are shared.
#ifndef QP_DECODE_WINDOW_STREAM_H
#define QP_DECODE_WINDOW_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "workers/decode/window.h"
#include "workers/util/err.h"

typedef struct qp_window_stream qp_window_stream;

// A stream decoding with w (borrowed: must outlive the stream), ready for a first shot.
qp_window_stream *qp_window_stream_create(qp_window *w);
void qp_window_stream_free(qp_window_stream *s);

// Starts a new shot (drops whatever the previous one left).
void qp_window_stream_reset(qp_window_stream *s);

// Detectors first_det .. first_det + n - 1 of the shot: detector first_det + i is bit
// (first_bit + i) of bits (b8 order: bit k is bit k % 8 of byte k / 8). Pieces arrive in order
// without gaps or overlaps; a piece out of order or past the model's detectors is an error.
int qp_window_stream_push(qp_window_stream *s, const uint8_t *bits, uint64_t first_bit, uint64_t first_det,
                          uint64_t n, qp_err *err);

// After the shot's last detector: *obs_out its predicted observable mask, *weight_out (may be
// NULL) its committed weight. A shot with detectors missing is an error.
int qp_window_stream_finish(qp_window_stream *s, uint64_t *obs_out, double *weight_out, qp_err *err);

// Bytes of events the stream holds (ring + seams), for tests and benchmarks.
size_t qp_window_stream_bytes(const qp_window_stream *s);

#endif
