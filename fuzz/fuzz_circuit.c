// libFuzzer target for the Stim circuit parser: any input either fails with a one-line
// message naming a position, or parses into a circuit whose written text parses back to the
// same text (write -> parse -> write fixed point) with the same derived totals. Coordinates
// and noise stripping are exercised on small circuits too, and so is the error analysis of
// every gate (strict and approximate): it either succeeds or fails with one line.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workers/circuit/circuit.h"
#include "workers/circuit/circuit_coords.h"
#include "workers/dem/error_analysis.h"

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
    qp_circuit_strip_noise(&c2);
    if (qp_circuit_finalize(&c2, &err) != 0) abort();  // removing noise keeps rec[-k] valid
    if (c2.num_measurements != c.num_measurements) abort();
    free(t1);
    free(t2);
    qp_circuit_free(&c2);
    qp_circuit_free(&c);
    return 0;
}
