// Detector and qubit coordinates with SHIFT_COORDS applied through REPEAT blocks. Only
// blocks holding detectors are iterated (bounded by the detector count); other blocks add
// their per-iteration shift times the repeat count, so a REPEAT 10^9 of shifts costs nothing.
#include "workers/circuit/circuit_coords.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

#define MAX_TABLE_ENTRIES (1ull << 28)  // 2 GiB of doubles

typedef struct {
    double *shift;       // (shift_width) running SHIFT_COORDS sum
    uint32_t shift_width; // most arguments of any DETECTOR / QUBIT_COORDS / SHIFT_COORDS
    uint32_t width;      // output row width (most arguments of the DETECTORs, or QUBIT_COORDS)
    // Detector output.
    double *det;         // (num_detectors, width)
    uint64_t next_det;
    uint64_t num_dets;
    // Qubit output.
    double *qubit;       // (num_qubits, width)
    uint8_t *has;        // (num_qubits)
    uint32_t num_qubits;
} walker;

// Most arguments of an instruction with gate `only` (or of any coordinate-carrying
// instruction when only == QP_GATE_COUNT) anywhere in the block.
static uint32_t max_width(const qp_block *b, qp_gate only) {
    uint32_t w = 0;
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        uint32_t x = 0;
        if (in->gate == QP_GATE_REPEAT)
            x = max_width(in->body, only);
        else if (only == QP_GATE_COUNT ? (in->gate == QP_GATE_DETECTOR || in->gate == QP_GATE_QUBIT_COORDS ||
                                          in->gate == QP_GATE_SHIFT_COORDS)
                                       : in->gate == only)
            x = in->num_args;
        if (x > w) w = x;
    }
    return w;
}

// Whether a block (recursively) contains an instruction with this gate.
static int block_contains(const qp_block *b, qp_gate gate) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        if (in->gate == gate) return 1;
        if (in->gate == QP_GATE_REPEAT && block_contains(in->body, gate)) return 1;
    }
    return 0;
}

// Adds `times` x the block's total shift per iteration to `shift` (block must not emit).
static void add_block_shift(const qp_block *b, double *shift, uint32_t width, double times) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_SHIFT_COORDS)
            for (uint32_t k = 0; k < in->num_args && k < width; k++) shift[k] += in->args[k] * times;
        else if (in->gate == QP_GATE_REPEAT)
            add_block_shift(in->body, shift, width, times * (double)in->repeat_count);
    }
}

static int walk(const qp_block *b, walker *w, qp_err *err) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        switch (in->gate) {
        case QP_GATE_SHIFT_COORDS:
            for (uint32_t k = 0; k < in->num_args; k++) w->shift[k] += in->args[k];
            break;
        case QP_GATE_DETECTOR:
            if (w->det) {
                if (w->next_det >= w->num_dets)
                    return qp_fail(err, "more DETECTOR instructions than the %llu counted by finalize (circuit changed?)",
                                   (unsigned long long)w->num_dets);
                double *row = &w->det[w->next_det * w->width];
                for (uint32_t k = 0; k < in->num_args; k++) row[k] = in->args[k] + w->shift[k];
            }
            w->next_det++;
            break;
        case QP_GATE_QUBIT_COORDS:
            if (w->qubit) {
                for (uint32_t t = 0; t < in->num_targets; t++) {
                    uint32_t q = in->targets[t] & QP_TARGET_VALUE_MASK;
                    if (q >= w->num_qubits) continue;
                    double *row = &w->qubit[(size_t)q * w->width];
                    for (uint32_t k = 0; k < w->width; k++) row[k] = NAN;
                    for (uint32_t k = 0; k < in->num_args; k++) row[k] = in->args[k] + w->shift[k];
                    w->has[q] = 1;
                }
            }
            break;
        case QP_GATE_REPEAT:
            if (w->det && block_contains(in->body, QP_GATE_DETECTOR)) {
                // Every iteration emits detectors: iterate (bounded by the detector count).
                for (uint64_t r = 0; r < in->repeat_count && w->next_det <= w->num_dets; r++)
                    if (walk(in->body, w, err)) return -1;
            } else if (!w->det && block_contains(in->body, QP_GATE_QUBIT_COORDS)) {
                // Qubit coordinates: only the last iteration's assignments survive, so skip
                // to it by shifting count-1 iterations' worth, then walk the body once.
                add_block_shift(in->body, w->shift, w->shift_width, (double)(in->repeat_count - 1));
                if (walk(in->body, w, err)) return -1;
            } else {
                add_block_shift(in->body, w->shift, w->shift_width, (double)in->repeat_count);
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

int qp_circuit_detector_coords(const qp_circuit *c, double **coords_flat, uint32_t *num_coords_per_det,
                               qp_err *err) {
    *coords_flat = NULL;
    *num_coords_per_det = 0;
    uint32_t width = max_width(&c->top, QP_GATE_DETECTOR);
    uint32_t shift_width = max_width(&c->top, QP_GATE_COUNT);
    if (c->num_detectors == 0) {
        *num_coords_per_det = width;
        return 0;
    }
    if (width && c->num_detectors > MAX_TABLE_ENTRIES / width)
        return qp_fail(err, "%llu detectors x %u coordinates is too large a table",
                       (unsigned long long)c->num_detectors, width);
    walker w = {0};
    w.width = width;
    w.shift_width = shift_width;
    w.shift = qp_calloc(shift_width + 1, sizeof *w.shift);
    w.num_dets = c->num_detectors;
    w.det = qp_calloc(width ? c->num_detectors * width : 1, sizeof *w.det);
    int rc = walk(&c->top, &w, err);
    if (rc == 0 && w.next_det != c->num_detectors)
        rc = qp_fail(err, "found %llu detectors, finalize counted %llu (circuit changed without qp_circuit_finalize?)",
                     (unsigned long long)w.next_det, (unsigned long long)c->num_detectors);
    free(w.shift);
    if (rc) {
        free(w.det);
        return -1;
    }
    *coords_flat = w.det;
    *num_coords_per_det = width;
    return 0;
}

// Qubit coordinates only need the last QUBIT_COORDS per qubit (walk without detector output).
int qp_circuit_qubit_coords(const qp_circuit *c, double **coords_flat, uint32_t *num_coords_per_qubit,
                            uint8_t **has_coords, qp_err *err) {
    uint32_t width = max_width(&c->top, QP_GATE_QUBIT_COORDS);
    walker w = {0};
    w.width = width;
    w.shift_width = max_width(&c->top, QP_GATE_COUNT);
    w.shift = qp_calloc(w.shift_width + 1, sizeof *w.shift);
    w.num_qubits = c->num_qubits;
    w.qubit = qp_malloc(((size_t)c->num_qubits * width + 1) * sizeof *w.qubit);
    for (size_t i = 0; i < (size_t)c->num_qubits * width; i++) w.qubit[i] = NAN;
    w.has = qp_calloc((size_t)c->num_qubits + 1, 1);
    int rc = walk(&c->top, &w, err);
    free(w.shift);
    if (rc) {
        free(w.qubit);
        free(w.has);
        return -1;
    }
    *coords_flat = w.qubit;
    *num_coords_per_qubit = width;
    if (has_coords)
        *has_coords = w.has;
    else
        free(w.has);
    return 0;
}
