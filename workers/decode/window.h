// Windowed decoding of long memory experiments on a folded detector error model: sliding
// windows (decode W rounds, commit the oldest C, carry the rest: Dennis et al. 2002's
// overlapping recovery; Tan et al. 2023) inside independent segments, whose seams are decoded
// afterwards with both neighbours committed (the two-layer parallel scheme of Skoric et al.
// 2023), so that the segments of one shot can be decoded concurrently (by MPI ranks, by the
// caller). Memory follows the window, never the number of rounds: the model is never unrolled.
//
// What it promises:
// - The time axis is the DEM's main repeat block (the top-level `repeat N { ... }` that shifts
//   the most detectors; a surface-code DEM folded by `--fold-loops` or Stim has one): one
//   iteration shifts detectors by `step` and time coordinates by `period` rounds (1 when the
//   model has no time coordinate). W, C and the segment length S are in rounds, rounded up to
//   whole periods. Detectors before the repeat (head) belong to iteration 0, those after it
//   (tail) to the last iteration. A model without a repeat block is one global window.
// - Layout (a function of the DEM, W, C and S only; never of who decodes): buffer B = W - C.
//   Segment s owns the core iterations [s(S+B), s(S+B)+S) (the last core runs to the end);
//   between two cores lies a seam of B iterations. A segment is decoded by sliding windows
//   over its core: windows of W iterations whose oldest C are committed; its first window
//   (except in segment 0) also covers the seam before it with an open past (kind ENTRY); its
//   last window ends B iterations past the core and commits up to the core's end. Seams are
//   decoded last, one window each, closed on both sides (kind SEAM).
// - A window's graph: every DEM error component with a detector in [lo, hi). Detectors at or
//   after hi leave the component (an edge into the future becomes a boundary edge), as do
//   detectors before lo in an ENTRY window; a component reaching before lo in other windows
//   (the committed past), or after hi in a SEAM (committed future), is dropped. Interior
//   windows of one kind and size are translates of each other and share ONE decoder, built
//   once; the few head and tail windows have their own. Any matching kind of decoder.h works
//   ("mwpm", "uf", "mwpm-corr"): a window wraps a qp_decoder on the window's model.
// - Commit: an edge of a window's correction whose lower endpoint lies before the window's
//   commit line, and which reaches the kept region (ENTRY: the core), is committed: its
//   observable mask goes into the prediction; its endpoints past the commit line have their
//   events flipped for the next window (carry), and endpoints in a seam are reported as seam
//   flips. Hence B must be at least the graph's time depth (the largest round distance an
//   edge spans): W, C that violate this, or C > W, are one clear error at creation.
// - The prediction equals global matching's except near window and seam boundaries where the
//   buffer is too short to see the optimal pairing; the defaults (C = W/2, W = 10 d in the
//   job) keep this within statistical noise (tests/decode/test_window.c).
// Deliberately absent: a globally optimal weight (the reported weight is the committed
// edges' sum); models with negative-weight (p > 0.5) edges.
#ifndef QP_DECODE_WINDOW_H
#define QP_DECODE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "workers/decode/decoder.h"
#include "workers/dem/dem.h"
#include "workers/util/err.h"

typedef struct qp_window qp_window;

// Segment length when none is given: this many windows.
#define QP_WINDOW_SEGMENT_WINDOWS 100
// At most this many windows per shot (rounds / commit; 10^6 rounds committing 50 make 20,000).
#define QP_WINDOW_MAX_WINDOWS (1 << 26)

typedef struct {
    uint64_t window;   // W, rounds (> 0)
    uint64_t commit;   // C, rounds; 0: W / 2
    uint64_t segment;  // S, rounds per segment core; 0: QP_WINDOW_SEGMENT_WINDOWS · W
} qp_window_options;

// The layout of windows over a DEM (derived; see the header comment).
typedef struct {
    uint64_t head;        // B: detectors before the main repeat
    uint64_t step;        // k: detectors per repeat iteration
    uint64_t iterations;  // N
    uint64_t period;      // rounds per iteration
    uint64_t num_detectors;
    uint64_t window_its, commit_its, buffer_its, segment_its;  // W, C, B, S in iterations
    uint64_t depth_its;   // time depth of the graph in iterations
    uint64_t num_segments;
} qp_window_layout;

typedef enum { QP_WINDOW_SLIDE = 0, QP_WINDOW_ENTRY = 1, QP_WINDOW_SEAM = 2 } qp_window_kind;

// One window of the plan: detectors [lo, hi) of the model, decoded by decoders[decoder].
typedef struct {
    uint64_t lo, hi;
    uint64_t commit_end;  // edges whose lower endpoint is below this are committed ...
    uint64_t keep_from;   // ... if their upper endpoint is at least this (ENTRY: the core's start)
    uint64_t core_hi;     // carries at or above this are seam flips (the segment's core end)
    uint32_t segment;     // the segment (a SEAM: the segment before it)
    uint32_t decoder;
    qp_window_kind kind;
} qp_window_span;

// Computes the layout; fails on C > W, a buffer shorter than the time depth (naming both), or
// more than QP_WINDOW_MAX_WINDOWS windows per shot.
// A DEM without a repeat block is one window (global decoding).
int qp_window_layout_of(const qp_dem *dem, const qp_window_options *opt, qp_window_layout *out,
                        qp_err *err);


// Builds the windowed decoder of kind ("mwpm", "uf", "mwpm-corr"). The DEM may be freed after.
qp_window *qp_window_create(const char *kind, const qp_dem *dem, const qp_window_options *opt,
                            qp_err *err);
void qp_window_free(qp_window *w);
const qp_window_layout *qp_window_get_layout(const qp_window *w);

// The plan: every window of a shot in order (each segment's windows, then the seam after it).
// The decoders walk the plan without storing it; this materialises it on the first call (one
// entry per window: it grows with the rounds), for tests and tools. Valid until qp_window_free.
size_t qp_window_plan(const qp_window *w, const qp_window_span **spans);

// Layer one: decodes segments first, first + stride, ... of one shot (dets: its b8 record).
// *obs_out / *weight_out: their committed edges; *flips (valid until the next call): the seam
// detectors those edges flip (a detector may appear twice: flips XOR).
int qp_window_decode_segments(qp_window *w, const uint8_t *dets, uint64_t first, uint64_t stride,
                              uint64_t *obs_out, double *weight_out, const uint64_t **flips,
                              size_t *num_flips, qp_err *err);
// Layer two: decodes every seam of the shot given ALL segments' flips (in any order).
// The prediction is the XOR of every segment's obs and the seams' obs.
int qp_window_decode_seams(qp_window *w, const uint8_t *dets, const uint64_t *flips, size_t num_flips,
                           uint64_t *obs_out, double *weight_out, qp_err *err);

// Decodes one shot (both layers in one process): dets is its b8 record (ceil(num_detectors/8) bytes). *obs_out: predicted
// observable mask; *weight_out (may be NULL): committed edges' weight, log-likelihood units.
int qp_window_decode_b8(qp_window *w, const uint8_t *dets, uint64_t *obs_out, double *weight_out,
                        qp_err *err);

// The windowed decoder behind the decoder interface (decoder.h): qp_decoder_decode_batch
// decodes each shot with qp_window_decode_b8; extra output = the committed weights. Fails on
// an unknown or model-file kind, a bad window/commit, or a DEM the kind cannot use.
qp_decoder *qp_decoder_create_windowed(const char *kind, const qp_dem *dem, const qp_window_options *opt,
                                       qp_err *err);
// The windowed decoder inside a decoder made by qp_decoder_create_windowed, else NULL.
qp_window *qp_decoder_window(const qp_decoder *dec);

#endif
