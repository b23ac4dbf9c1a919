// Record streaming (frame_stream.h): the spill path, the in-memory path and the one-call
// sampler give the same bits, with observables appended at an odd bit offset (13 detectors,
// 2 observables) and as separate records, for shot counts that are not multiples of 64.
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "workers/circuit/circuit.h"
#include "workers/sim/frame_sample.h"
#include "workers/sim/frame_stream.h"

static const char *circuit_text =
    "R 0 1 2 3\n"
    "REPEAT 13 {\n"
    "  X_ERROR(0.2) 0 1\n"
    "  CX 0 2 1 3\n"
    "  M(0.05) 2 3\n"
    "  DETECTOR rec[-1]\n"
    "  R 2 3\n"
    "}\n"
    "M 0 1\n"
    "OBSERVABLE_INCLUDE(0) rec[-2]\n"
    "OBSERVABLE_INCLUDE(1) rec[-1] rec[-2]\n";

typedef struct {
    uint8_t *recs, *obs;
    size_t rb, ob, n;
} collected;

static int collect(void *ctx, const uint8_t *recs, const uint8_t *obs, size_t n, qp_err *err) {
    collected *c = ctx;
    memcpy(c->recs + c->n * c->rb, recs, n * c->rb);
    if (obs) memcpy(c->obs + c->n * c->ob, obs, n * c->ob);
    c->n += n;
    return 0;
}

Test(frame_stream, spill_equals_memory_equals_sample) {
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(&c, circuit_text, "t", &err), 0, "%s", err.msg);
    cr_assert_eq(c.num_detectors, 13);
    cr_assert_eq(c.num_observables, 2);
    const uint64_t shots = 1000;
    size_t rb = 2, ob = 1;  // 15 bits appended; 2 observable bits
    uint8_t *d = calloc(shots, 2), *o = calloc(shots, 1);
    cr_assert_eq(qp_frame_sample_b8(&c, NULL, 9, 3, 0, shots, d, o, &err), 0, "%s", err.msg);
    size_t budgets[] = {0, 1, 700};  // default (in memory), spill, spill with pieces
    for (int b = 0; b < 3; b++) {
        collected col = {calloc(shots, rb), calloc(shots, ob), rb, ob, 0};
        qp_frame_stream_params p = {.seed = 9, .stream_id = 3, .num_shots = shots, .append_observables = 1,
                                    .want_observables = 1, .record_budget = budgets[b], .randomize_gauge = 1};
        cr_assert_eq(qp_frame_stream(&c, &p, collect, &col, &err), 0, "%s", err.msg);
        cr_assert_eq(col.n, shots);
        for (uint64_t s = 0; s < shots; s++) {
            for (int k = 0; k < 13; k++)
                cr_assert_eq((col.recs[s * rb + k / 8] >> (k % 8)) & 1, (d[s * 2 + k / 8] >> (k % 8)) & 1,
                             "budget %zu shot %lu detector %d", budgets[b], (unsigned long)s, k);
            for (int k = 0; k < 2; k++) {
                int want = (o[s] >> k) & 1;
                cr_assert_eq((col.recs[s * rb + (13 + k) / 8] >> ((13 + k) % 8)) & 1, want, "appended obs %d", k);
                cr_assert_eq((col.obs[s] >> k) & 1, want, "separate obs %d", k);
            }
            cr_assert_eq(col.recs[s * rb + 1] >> 7, 0, "padding bit set");
            cr_assert_eq(col.obs[s] >> 2, 0, "padding bits set");
        }
        free(col.recs);
        free(col.obs);
    }
    // The noise is visible: detectors fire at about 1 - (1-0.2)... roughly a third of the time.
    size_t ones = 0;
    for (uint64_t s = 0; s < shots; s++) ones += __builtin_popcount(d[s * 2] | (d[s * 2 + 1] << 8));
    cr_expect(ones > shots * 13 / 5 && ones < shots * 13 * 3 / 5, "%zu detection events", ones);
    free(d);
    free(o);
    qp_circuit_free(&c);
}
