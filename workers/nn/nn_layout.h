// From a circuit's detectors to the model's input grid: which stabilizer and which round
// each detector belongs to, and the conversion of b8 detection-event records into the
// model's input tensor (B,R,S,F).
//
// A detector with coordinates (x, y, t) belongs to the stabilizer at (x, y) and the round
// at t (Stim's and Google's surface-code circuits write DETECTOR(x, y, t)). Stabilizers are
// the distinct (x, y) pairs sorted by x then y; rounds the distinct t sorted ascending;
// coordinates are compared after rounding to 1e-6. The final data-qubit detectors have the
// largest t, so they form the last round. A (stabilizer, round) cell without a detector
// is a zero input and has present = 0.
// The readout pools over the stabilizers that have a detector in the last round: for a
// memory experiment those are the stabilizers of the observable's basis.
// Geometry for the opt-in layers (nn_model.h): the stabilizers' grid cells are their (x, y)
// divided by the smallest nonzero coordinate gap (2 in Stim's surface codes), from the
// smallest x and y; row = y, col = x. Type 1 = the stabilizer has a detector in the last
// round (the observable's basis). The logical observable runs along the grid axis on which
// the type-1 stabilizers spread farthest (a Z observable of a memory-Z surface code joins
// the two boundaries that carry the weight-2 Z checks); the readout lines are the grid lines
// parallel to it: rows if it runs along x, columns if along y. Every stabilizer is in a line.
// Not here: reading circuits (workers/circuit computes the coordinates) or files.
#ifndef QP_NN_LAYOUT_H
#define QP_NN_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "workers/nn/nn_model.h"
#include "workers/util/err.h"

typedef struct {
    int num_dets;      // detectors in the circuit
    int num_stabs;     // S
    int num_rounds;    // R
    int *det_stab;     // (num_dets) stabilizer index of detector d
    int *det_round;    // (num_dets) round index of detector d
    double *stab_xy;   // (S,2) coordinates of stabilizer s
    double *round_t;   // (R) t coordinate of round r
    float *present;    // (R,S) 1 where a detector exists
    float *pool_w;     // (S) readout pooling weights: 1/n on the last round's stabilizers
    int *stab_row, *stab_col;  // (S) grid cell of stabilizer s
    int *stab_type;            // (S) 1 if it has a detector in the last round, else 0
    int *stab_line;            // (S) readout line, 0..num_lines-1
    int num_lines;
    int lines_along_x;         // 1: lines are grid rows (the observable runs along x)
} nn_layout;

// The layout's geometry as the model takes it (pointers into lay).
nn_geometry nn_layout_geometry(const nn_layout *lay);

// coords (num_dets,3) holds x, y, t per detector (NaN = missing coordinate, an error).
// Two detectors on the same (stabilizer, round) are an error naming both.
int nn_layout_build(nn_layout *lay, const double *coords, int num_dets, qp_err *err);
void nn_layout_free(nn_layout *lay);

// inputs (B,R,S,F) from B shot records in b8 (each ceil(num_dets/8) bytes, bit d of a shot
// at byte d/8, bit d%8). Feature 0 is the detection event. With F = 2, feature 1 is the
// measurement bit of the same detector from meas_b8 (same layout; NULL gives zeros).
void nn_layout_inputs_from_b8(const nn_layout *lay, const uint8_t *dets_b8, const uint8_t *meas_b8,
                              int B, int F, float *inputs);

// inputs (B,R,S,F) from B shots' soft inputs (workers/circuit/soft_events.h): event (B,D) the
// soft detection events, feature 0; with F = 2, feature 1 from leak (B,D), or zeros if NULL.
void nn_layout_inputs_from_soft(const nn_layout *lay, const float *event, const float *leak, int B, int F,
                                float *inputs);

// targets (B,O) from B observable records in b8 (ceil(O/8) bytes per shot).
void nn_layout_targets_from_b8(const uint8_t *obs_b8, int B, int O, float *targets);

#endif
