// libFuzzer target for the .dem parser: any input either fails with a one-line message that
// names the source, or parses into a model whose written text parses back to the same text
// (write -> parse -> write fixed point) with the same derived totals; small models are also
// flattened, sampled and cut into matching edges (the three walks that unroll repeat blocks,
// bounded by qp_dem_unroll_limit; the sampler's bit indexing).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workers/decode/matching_graph.h"
#include "workers/dem/dem.h"
#include "workers/dem/dem_flatten.h"
#include "workers/sim/dem_sampler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    qp_dem d;
    qp_err err;
    if (qp_dem_parse(&d, text, "fuzz", &err) != 0) {
        free(text);
        if (strncmp(err.msg, "fuzz:", 5) != 0 || strchr(err.msg, '\n')) abort();
        return 0;
    }
    free(text);
    char *t1 = qp_dem_to_string(&d, &err);
    if (!t1) abort();
    qp_dem d2;
    if (qp_dem_parse(&d2, t1, "rewritten", &err) != 0) abort();
    char *t2 = qp_dem_to_string(&d2, &err);
    if (!t2 || strcmp(t1, t2) != 0) abort();
    if (d.num_detectors != d2.num_detectors || d.num_observables != d2.num_observables) abort();
    if (d.num_detectors <= 100000 && d.num_observables <= 64) {
        qp_dem_flat f;
        if (qp_dem_flatten(&d, &f, 100000, &err) == 0) {
            for (size_t m = 0; m < f.num_mechs; m++)
                for (uint32_t k = 0; k < f.mechs[m].num_dets; k++)
                    if (f.dets[f.mechs[m].first_det + k] >= f.num_detectors) abort();
            qp_dem_flat_free(&f);
        }
    }
    // Sampling costs a draw per mechanism and batch of 1024 shots: kept to fuzzing speed.
    if (d.num_detectors <= 100000 && d.num_observables <= 64 && qp_dem_count_unrolled_errors(&d) <= 100000) {
        uint8_t dets[100000 / 8 + 1], obs[8];
        if (qp_dem_sample(&d, 1, 2, 0, 1, dets, obs, &err) != 0) abort();
        qp_mg_edge *edges = NULL;
        size_t num_edges = 0;
        if (qp_matching_graph_dem_edges(&d, &edges, &num_edges, &err) == 0)
            for (size_t i = 0; i < num_edges; i++)
                if (edges[i].a >= d.num_detectors) abort();
        free(edges);
    }
    free(t1);
    free(t2);
    qp_dem_free(&d2);
    qp_dem_free(&d);
    return 0;
}
