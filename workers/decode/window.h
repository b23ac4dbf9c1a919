// Windowed (sliding-window) decoding of long memory experiments on a folded detector error
// model: decode W rounds, commit the oldest C, carry the rest (Dennis et al. 2002's
// overlapping recovery; Skoric et al. 2023; Tan et al. 2023). Memory follows the window,
// never the number of rounds: the model is never unrolled.
//
// What it promises:
// - The time axis is the DEM's main repeat block (the top-level `repeat N { ... }` with the
//   most detectors; a surface-code DEM folded by `--fold-loops` or Stim has one): one
//   iteration shifts detectors by `k` and time coordinates by `period` rounds (1 when the
//   model has no time coordinate). W and C are in rounds, rounded up to whole periods.
//   Detectors before the repeat (head) belong to the first window, detectors after it (tail)
//   to the last one.
// - Window j covers detectors [lo_j, hi_j) with lo_0 = 0, lo_j = B + j·C·k (B = detectors
//   before the repeat), hi_j = lo-aligned + W·k; the window that reaches the end of the repeat
//   takes the rest of the model and commits everything. The layout depends only on the DEM,
//   W and C.
// - A window's graph: every DEM error component with a detector in [lo, hi) and none before
//   lo; detectors at or after hi are removed from the component, so an edge into the future
//   becomes a boundary edge (the "future boundary"); components reaching into the committed
//   past were accounted for by the carry and are dropped. Windows whose contributing repeat
//   iterations are all inside the repeat are translates of each other and share ONE decoder,
//   built once; the few head and tail windows have their own. Any engine of decoder.h works
//   ("mwpm", "uf", "mwpm-corr"): the window wraps a qp_decoder on the window's model.
// - Commit: an edge of the window's correction whose lower endpoint lies before the commit
//   line (lo_{j+1}) is committed: its observable mask goes into the prediction, and its
//   endpoints at or after the commit line have their detection events flipped for the next
//   window (the carry). Hence the buffer W - C must be at least the graph's time depth (the
//   largest round distance an edge spans), so that no committed edge reaches the future
//   boundary; W, C that violate this, or C > W, are one clear error at creation.
// - The prediction equals global matching's except near window seams where the buffer is too
//   short to see the optimal pairing; the default C = W/2 with W >= 2·d makes this rare.
// Deliberately absent: weights (the reported weight is the committed edges' sum, not a global
// optimum); models with negative-weight (p > 0.5) edges.
#ifndef QP_DECODE_WINDOW_H
#define QP_DECODE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "workers/decode/decoder.h"
#include "workers/dem/dem.h"
#include "workers/util/err.h"

typedef struct qp_window qp_window;

typedef struct {
    uint64_t window;  // W, rounds (> 0)
    uint64_t commit;  // C, rounds; 0: W / 2
} qp_window_options;

// The layout of windows over a DEM (derived; see the header comment).
typedef struct {
    uint64_t head;        // B: detectors before the main repeat
    uint64_t step;        // k: detectors per repeat iteration
    uint64_t iterations;  // N
    uint64_t period;      // rounds per iteration
    uint64_t num_detectors;
    uint64_t window_its, commit_its;  // W and C in iterations
    uint64_t depth_its;   // time depth of the graph in iterations
    uint64_t num_windows;
} qp_window_layout;

// Computes the layout; fails on C > W or a buffer shorter than the time depth, naming both.
// A DEM without a repeat block is one window (global decoding).
int qp_window_layout_of(const qp_dem *dem, const qp_window_options *opt, qp_window_layout *out,
                        qp_err *err);

// Window j's detector range and commit line (detectors < commit_end are final after it).
void qp_window_range(const qp_window_layout *l, uint64_t j, uint64_t *lo, uint64_t *hi,
                     uint64_t *commit_end);

// Builds the windowed decoder of kind ("mwpm", "uf", "mwpm-corr"). The DEM may be freed after.
qp_window *qp_window_create(const char *kind, const qp_dem *dem, const qp_window_options *opt,
                            qp_err *err);
void qp_window_free(qp_window *w);
const qp_window_layout *qp_window_get_layout(const qp_window *w);
uint32_t qp_window_num_observables(const qp_window *w);

// Decodes one shot: dets is its b8 record (ceil(num_detectors/8) bytes). *obs_out: predicted
// observable mask; *weight_out (may be NULL): committed edges' weight, log-likelihood units.
int qp_window_decode_b8(qp_window *w, const uint8_t *dets, uint64_t *obs_out, double *weight_out,
                        qp_err *err);

// The windowed decoder behind the decoder interface (decoder.h): qp_decoder_decode_batch
// decodes each shot with qp_window_decode_b8; extra output = the committed weights. Fails on
// an unknown or model-file kind, a bad window/commit, or a DEM the kind cannot use.
qp_decoder *qp_decoder_create_windowed(const char *kind, const qp_dem *dem, const qp_window_options *opt,
                                       qp_err *err);
// The layout of a decoder made by qp_decoder_create_windowed, else NULL.
const qp_window_layout *qp_decoder_window_layout(const qp_decoder *dec);

#endif
