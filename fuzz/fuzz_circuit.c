// libFuzzer target for the Stim circuit parser: any input either fails with a one-line
// message naming a position, or parses into a circuit whose written text parses back to the
// same text (write -> parse -> write fixed point) with the same derived totals. Coordinates
// and noise stripping are exercised on small circuits too, and so is the error analysis of
// every gate (strict and approximate): it either succeeds or fails with one line. Small
// circuits also run through the samplers (reference tableau, Pauli-frame detectors and
// measurement records), which read the same gate table, and through circuit_shape (the
// observable walked backwards through every gate).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workers/circuit/circuit.h"
#include "workers/circuit/circuit_coords.h"
#include "workers/circuit/circuit_shape.h"
#include "workers/dem/error_analysis.h"
#include "workers/sim/frame_sample.h"
#include "workers/sim/reference_sample.h"

// Target visits of the unrolled circuit (REPEAT counts multiplied), saturating at `cap`:
// the reference sampler unrolls, so only circuits with little work are sampled.
static uint64_t unrolled_work(const qp_block *b, uint64_t cap) {
    uint64_t w = 0;
    for (size_t i = 0; i < b->num_instrs && w < cap; i++) {
        const qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_REPEAT) {
            uint64_t body = 1 + (in->body ? unrolled_work(in->body, cap) : 0);  // a pass costs even when empty
            w += in->repeat_count > cap / body ? cap : body * in->repeat_count;
        } else {
            w += 1 + in->num_targets;
        }
    }
    return w < cap ? w : cap;
}

// Samples 2 blocks' worth of shots; each sampler succeeds or fails with one line.
static void sample_small(const qp_circuit *c) {
    qp_err err;
    size_t rb = (c->num_measurements + 7) / 8, db = (c->num_detectors + 7) / 8, ob = (c->num_observables + 7) / 8;
    const uint64_t shots = 2 * QP_FRAME_BLOCK_SHOTS;
    uint8_t *ref = calloc(rb + 1, 1), *meas = malloc(shots * rb + 1);
    uint8_t *dets = malloc(shots * db + 1), *obs = malloc(shots * ob + 1);
    if (qp_reference_sample(c, ref, &err) != 0) {
        if (strchr(err.msg, '\n')) abort();
    } else if (qp_frame_sample_measurements_b8(c, NULL, 1, 0, 0, shots, ref, meas, &err) != 0 && strchr(err.msg, '\n')) {
        abort();
    }
    if (qp_frame_sample_b8(c, NULL, 1, 0, 0, shots, dets, obs, &err) != 0 && strchr(err.msg, '\n')) abort();
    free(ref);
    free(meas);
    free(dets);
    free(obs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    qp_circuit c;
    qp_err err;
    if (qp_circuit_parse_buffer(&c, (const char *)data, size, "fuzz", &err) != 0) {
        if (strncmp(err.msg, "fuzz:", 5) != 0 || strchr(err.msg, '\n')) abort();  // one line, positioned
        qp_circuit_free(&c);
        return 0;
    }
    char *t1 = qp_circuit_to_text(&c, &err);
    if (!t1) abort();
    qp_circuit c2;
    if (qp_circuit_parse(&c2, t1, "rewritten", &err) != 0) abort();  // our own output must parse
    char *t2 = qp_circuit_to_text(&c2, &err);
    if (!t2 || strcmp(t1, t2) != 0) abort();
    if (c.num_measurements != c2.num_measurements || c.num_detectors != c2.num_detectors ||
        c.num_qubits != c2.num_qubits || c.num_observables != c2.num_observables ||
        c.max_lookback != c2.max_lookback)
        abort();
    if (c.num_detectors <= 1000) {  // up to 4096 coordinates each
        double *xyz = NULL;
        uint32_t w = 0;
        if (qp_circuit_detector_coords(&c, &xyz, &w, &err) == 0) free(xyz);
    }
    if (c.num_qubits <= 1000) {
        double *qc = NULL;
        uint32_t w = 0;
        uint8_t *has = NULL;
        if (qp_circuit_qubit_coords(&c, &qc, &w, &has, &err) == 0) {
            free(qc);
            free(has);
        }
    }
    if (c.num_qubits <= 64 && c.num_measurements <= 4096 && c.num_detectors <= 4096) {
        for (int strict = 0; strict < 2; strict++) {
            qp_error_analysis_options opt = {0, 0, strict};
            qp_dem d;
            if (qp_error_analysis(&c, &opt, &d, &err) == 0) qp_dem_free(&d);
            else if (strchr(err.msg, '\n')) abort();
        }
    }
    if (c.num_qubits <= 64 && c.num_measurements <= 4096 && c.num_detectors <= 4096 &&
        unrolled_work(&c.top, 100000) < 100000) {
        sample_small(&c);
        qp_circuit_shape shape;  // redecode's reading of rounds, distance and basis
        if (qp_circuit_shape_of(&c, &shape, &err) != 0 && strchr(err.msg, '\n')) abort();
        if (shape.basis && shape.basis != 'x' && shape.basis != 'z') abort();
    }
    qp_circuit_strip_noise(&c2);
    if (qp_circuit_finalize(&c2, &err) != 0) abort();  // removing noise keeps rec[-k] valid
    if (c2.num_measurements != c.num_measurements) abort();
    free(t1);
    free(t2);
    qp_circuit_free(&c2);
    qp_circuit_free(&c);
    return 0;
}
