// A Stim detector error model in memory. Like circuits, `repeat` blocks stay nested.
// Contract between the .dem parser/writer (dem_parse.c, dem_write.c), the error analysis
// (workers/sim), the DEM sampler and the matching-graph builder (workers/decode).
#ifndef QP_DEM_DEM_H
#define QP_DEM_DEM_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#include "workers/util/err.h"

typedef enum {
    QP_DEM_ERROR,               // error(p) targets, with QP_DEM_SEPARATOR for `^`
    QP_DEM_DETECTOR,            // detector(coords...) D<k>
    QP_DEM_LOGICAL_OBSERVABLE,  // logical_observable L<k>
    QP_DEM_SHIFT_DETECTORS,     // shift_detectors(coords...) <n>
    QP_DEM_REPEAT,              // repeat <n> { ... }
} qp_dem_kind;

// Targets: detector ids (relative to the current shift) are plain values;
// observables carry QP_DEM_OBS; `^` is the value QP_DEM_SEPARATOR.
#define QP_DEM_OBS (1ull << 62)
#define QP_DEM_SEPARATOR (1ull << 63)

typedef struct qp_dem_block qp_dem_block;

typedef struct {
    qp_dem_kind kind;
    uint32_t num_args, num_targets;
    double *args;         // error: {p}; detector/shift: coordinates
    uint64_t *targets;    // error: D/L/^; detector: {id}; observable: {id}; shift: {amount}
    char *tag;
    uint64_t repeat_count;
    qp_dem_block *body;
    uint32_t line;
} qp_dem_instr;

struct qp_dem_block {
    qp_dem_instr *instrs;
    size_t num_instrs, cap;
};

typedef struct {
    qp_dem_block top;
    uint64_t num_detectors;    // derived: 1 + largest absolute detector id (incl. declared)
    uint32_t num_observables;  // derived: 1 + largest observable id
} qp_dem;

// How many instructions a model's repeat blocks may unroll to (every instruction met, the
// `repeat` line once per pass): QP_DEM_UNROLL_PER_DETECTOR per detector plus
// QP_DEM_UNROLL_SLACK, at most 2^62. Real models unroll to about 25 per detector (Stim's and
// ours, surface and colour codes); far beyond is a repeat block that does no work, such as a
// fuzzer's `repeat 10^15 { shift_detectors 1 }`. qp_dem_finalize enforces it, so everything
// that walks a finalized model unrolled (matching graph, DEM sampler, flattening, window
// models) is bounded by it instead of looping or allocating without end.
#define QP_DEM_UNROLL_PER_DETECTOR 256
#define QP_DEM_UNROLL_SLACK 1000000
uint64_t qp_dem_unroll_limit(uint64_t num_detectors);

// Most detectors a model may have for the code that allocates per detector (the matching
// graph of mwpm, uf and mwpm-corr; the DEM sampler, 128 bytes per detector per batch): 2^26.
// Real models stay far below (100,000 rounds of a d=11 surface code: 1.2 * 10^7); a lone
// `error(0.1) D4294967000` asked for 34 GB. qp_dem_check_dense names the limit.
#define QP_DEM_MAX_DENSE_DETECTORS (1ull << 26)
int qp_dem_check_dense(const qp_dem *d, const char *what, qp_err *err);

void qp_dem_init(qp_dem *d);
void qp_dem_free(qp_dem *d);
int qp_dem_parse(qp_dem *d, const char *text, const char *source_name, qp_err *err);
int qp_dem_parse_file(qp_dem *d, const char *path, qp_err *err);
int qp_dem_write(const qp_dem *d, FILE *out, qp_err *err);
qp_dem_instr *qp_dem_block_append(qp_dem_block *b, qp_dem_kind kind, const double *args,
                                  uint32_t num_args, const uint64_t *targets,
                                  uint32_t num_targets);
// Checks the model and derives its totals; fails on bad targets, detector ids or shifts past
// 2^62, or repeat blocks that unroll past qp_dem_unroll_limit (naming the block's line).
int qp_dem_finalize(qp_dem *d, qp_err *err);
// As qp_dem_finalize, but failures read "SOURCE:line:1: ..." (the parser uses this).
int qp_dem_finalize_named(qp_dem *d, const char *source_name, qp_err *err);
// Writes the model to a string (malloc'd, NUL-terminated); NULL only on a write failure.
char *qp_dem_to_string(const qp_dem *d, qp_err *err);

#endif
